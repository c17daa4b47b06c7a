//! The `settings` block: each key once, its values typed, and the codes in it
//! (timezone, currency, language, sender address) checked.

use std::collections::{BTreeMap, HashMap};

use super::Checker;
use super::names::Names;
use super::validate::valid_language;
use crate::ast::{self, Value};
use crate::diagnostic::{Code, closest, did_you_mean};
use crate::email::Mailbox;
use crate::model::*;
use crate::source::{Span, Spanned};

impl Checker<'_> {
    pub(super) fn settings(&mut self, block: Option<&ast::Settings>, names: &Names) -> Settings {
        let mut s = Settings {
            company: None,
            from: None,
            timezone: chrono_tz::UTC,
            currency: "EUR".into(),
            language: "en".into(),
            calendar: None,
            default_scenario: None,
            send_window: None,
            max_data_age_hours: None,
            rates: BTreeMap::new(),
            public_url: None,
            notify_immediately: Some(Level::High),
            link_expiry_hours: DEFAULT_LINK_EXPIRY_HOURS,
            files_kept_days: DEFAULT_FILES_KEPT_DAYS,
            attach_budget_bytes: DEFAULT_ATTACH_BUDGET_BYTES,
            promise_limit_days: DEFAULT_PROMISE_LIMIT_DAYS,
            promise_status: None,
            dispute_status: None,
            paid_status: None,
            dispute_reasons: Vec::new(),
        };
        let Some(block) = block else {
            return s;
        };
        const KEYS: &[&str] = &[
            "company",
            "from",
            "timezone",
            "currency",
            "language",
            "calendar",
            "default_scenario",
            "send_window",
            "max_data_age",
            "rate",
            "public_url",
            "notify_immediately",
            "link_expiry",
            "files_kept_after_clearing",
            "attach_budget_mb",
            "promise_limit",
            "promise_status",
            "dispute_status",
            "paid_status",
            "dispute_reasons",
        ];
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for entry in &block.entries {
            let key = entry.key.node.as_str();
            if !KEYS.contains(&key) {
                self.help(
                    Code::UnknownStatement,
                    entry.key.span,
                    format!("unknown setting `{key}`"),
                    did_you_mean(key, KEYS.iter().copied()),
                );
                continue;
            }
            if key != "rate" {
                if let Some(first) = seen.get(key) {
                    let first = *first;
                    self.error(
                        Code::RepeatedStatement,
                        entry.key.span,
                        format!("setting `{key}` is given twice"),
                    )
                    .labels
                    .push((first, "first given here".into()));
                    continue;
                }
                seen.insert(key, entry.key.span);
            }
            match key {
                "company" => s.company = self.string_setting(entry),
                "from" => {
                    if let Some(from) = self.string_setting(entry) {
                        let span = entry.values[0].span;
                        if Mailbox::parse(&from).is_err() {
                            self.error(
                                Code::InvalidValue,
                                span,
                                format!("\"{from}\" is not a sender address"),
                            )
                            .help =
                                Some("write `\"Name <address@example.com>\"` or an address".into());
                        }
                        s.from = Some(from);
                    }
                }
                "timezone" => {
                    if let Some(tz) = self.string_setting(entry)
                        && let Some(tz) = self.timezone(&tz, entry.values[0].span)
                    {
                        s.timezone = tz;
                    }
                }
                "currency" => {
                    if let Some(c) = self.string_setting(entry) {
                        self.currency(&c, entry.values[0].span);
                        s.currency = c;
                    }
                }
                "language" => {
                    if let Some(l) = self.string_setting(entry)
                        && self.language(&l, entry.values[0].span)
                    {
                        s.language = l;
                    }
                }
                "calendar" => {
                    if let Some(c) = self.string_setting(entry) {
                        self.reference(
                            "calendar",
                            Code::UnknownCalendar,
                            &Spanned::new(c.clone(), entry.values[0].span),
                            &names.calendars,
                        );
                        s.calendar = Some(c);
                    }
                }
                "default_scenario" => {
                    if let Some(sc) = self.string_setting(entry) {
                        self.scenario_ref(&Spanned::new(sc.clone(), entry.values[0].span), names);
                        s.default_scenario = Some(sc);
                    }
                }
                "send_window" => {
                    if let Some((from, _)) =
                        self.setting_values(entry, 1, "a time range such as `08:30..18:00`")
                    {
                        match from.node {
                            Value::TimeRange(a, b) if a < b => s.send_window = Some((a, b)),
                            Value::TimeRange(..) => {
                                self.error(
                                    Code::InvalidValue,
                                    from.span,
                                    "the send window must end after it starts",
                                );
                            }
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, from, "a time range such as `08:30..18:00`"),
                        }
                    }
                }
                "max_data_age" => {
                    if let Some((v, _)) = self.setting_values(entry, 1, "a duration such as `36h`")
                    {
                        match v.node {
                            Value::Duration(d) => s.max_data_age_hours = Some(d.hours()),
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, v, "a duration such as `36h`"),
                        }
                    }
                }
                "link_expiry" => {
                    const WHAT: &str = "a duration such as `30d` or `48h`";
                    if let Some((v, _)) = self.setting_values(entry, 1, WHAT) {
                        match v.node {
                            Value::Duration(d) if d.hours() > 0 => s.link_expiry_hours = d.hours(),
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, v, WHAT),
                        }
                    }
                }
                "files_kept_after_clearing" => {
                    const WHAT: &str = "a duration in days or weeks such as `180d`";
                    if let Some((v, _)) = self.setting_values(entry, 1, WHAT) {
                        match v.node {
                            Value::Duration(d) if d.days().is_some() => {
                                s.files_kept_days = d.days().unwrap_or(DEFAULT_FILES_KEPT_DAYS);
                            }
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, v, WHAT),
                        }
                    }
                }
                "attach_budget_mb" => {
                    const WHAT: &str =
                        "a whole number of megabytes such as `10` (0: link every file)";
                    if let Some((v, _)) = self.setting_values(entry, 1, WHAT) {
                        match v.node {
                            Value::Number(n)
                                if n.is_integer()
                                    && n >= rust_decimal::Decimal::ZERO
                                    && n <= rust_decimal::Decimal::from(1024) =>
                            {
                                let mb = u64::try_from(n).unwrap_or(0);
                                s.attach_budget_bytes = mb * 1024 * 1024;
                            }
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, v, WHAT),
                        }
                    }
                }
                "promise_limit" => {
                    const WHAT: &str = "a duration in days or weeks such as `30d`";
                    if let Some((v, _)) = self.setting_values(entry, 1, WHAT) {
                        match v.node {
                            Value::Duration(d) if d.days().is_some_and(|d| d > 0) => {
                                s.promise_limit_days =
                                    d.days().unwrap_or(DEFAULT_PROMISE_LIMIT_DAYS);
                            }
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, v, WHAT),
                        }
                    }
                }
                "promise_status" | "dispute_status" | "paid_status" => {
                    if let Some(name) = self.string_setting(entry) {
                        self.reference(
                            "status",
                            Code::UnknownStatus,
                            &Spanned::new(name.clone(), entry.values[0].span),
                            &names.statuses,
                        );
                        match key {
                            "promise_status" => s.promise_status = Some(name),
                            "dispute_status" => s.dispute_status = Some(name),
                            _ => s.paid_status = Some(name),
                        }
                    }
                }
                "dispute_reasons" => {
                    for v in &entry.values {
                        match &v.node {
                            Value::String(r) if !r.trim().is_empty() => {
                                s.dispute_reasons.push(r.trim().to_string());
                            }
                            Value::Invalid(_) => {}
                            _ => self.expected(
                                entry,
                                v,
                                "reasons in double quotes, separated by commas",
                            ),
                        }
                    }
                }
                "public_url" => {
                    if let Some(url) = self.string_setting(entry) {
                        match public_url(&url) {
                            Ok(url) => s.public_url = Some(url),
                            Err(why) => {
                                self.error(
                                    Code::InvalidValue,
                                    entry.values[0].span,
                                    format!("\"{url}\" is not a public URL: {why}"),
                                )
                                .help = Some(
                                    "write the address people open the workspace at, such as `\"https://relance.example.com\"`".into(),
                                );
                            }
                        }
                    }
                }
                "notify_immediately" => {
                    const WHAT: &str = "a level (`high`, `medium`, `low`) or `none`";
                    if let Some((v, _)) = self.setting_values(entry, 1, WHAT) {
                        match &v.node {
                            Value::Ident(w) => match w.as_str() {
                                "high" => s.notify_immediately = Some(Level::High),
                                "medium" => s.notify_immediately = Some(Level::Medium),
                                "low" => s.notify_immediately = Some(Level::Low),
                                "none" => s.notify_immediately = None,
                                other => {
                                    self.help(
                                        Code::InvalidValue,
                                        v.span,
                                        format!("`notify_immediately` takes {WHAT}, not `{other}`"),
                                        did_you_mean(other, ["high", "medium", "low", "none"]),
                                    );
                                }
                            },
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, v, WHAT),
                        }
                    }
                }
                "rate" => {
                    if let Some((cur, rate)) = self.setting_values(
                        entry,
                        2,
                        "a currency code and a rate, as in `rate USD 0.92`",
                    ) {
                        let Some(rate) = rate else { continue };
                        let code = match &cur.node {
                            Value::Currency(c) => c.clone(),
                            Value::Invalid(_) => continue,
                            _ => {
                                self.expected(entry, cur, "a currency code such as `USD`");
                                continue;
                            }
                        };
                        if !self.currency(&code, cur.span) {
                            continue;
                        }
                        match rate.node {
                            Value::Number(r) if r > rust_decimal::Decimal::ZERO => {
                                if s.rates.insert(code.clone(), r).is_some() {
                                    self.error(
                                        Code::RepeatedStatement,
                                        cur.span,
                                        format!("the rate of {code} is given twice"),
                                    );
                                }
                            }
                            Value::Number(_) => {
                                self.error(
                                    Code::InvalidValue,
                                    rate.span,
                                    "a rate must be greater than 0",
                                );
                            }
                            Value::Invalid(_) => {}
                            _ => self.expected(entry, rate, "a number"),
                        }
                    }
                }
                _ => {}
            }
        }
        if s.rates.contains_key(&s.currency) {
            // A rate for the platform currency itself is harmless but meaningless.
            s.rates.remove(&s.currency);
        }
        s
    }

    /// The values of a setting when there are exactly `n` (1 or 2).
    fn setting_values<'a>(
        &mut self,
        entry: &'a ast::Setting,
        n: usize,
        what: &str,
    ) -> Option<(&'a Spanned<Value>, Option<&'a Spanned<Value>>)> {
        if entry.values.len() != n {
            self.error(
                Code::InvalidValue,
                entry.span,
                format!("`{}` takes {what}", entry.key.node),
            );
            return None;
        }
        Some((&entry.values[0], entry.values.get(1)))
    }

    fn expected(&mut self, entry: &ast::Setting, value: &Spanned<Value>, what: &str) {
        self.error(
            Code::InvalidValue,
            value.span,
            format!("`{}` takes {what}", entry.key.node),
        );
    }

    fn string_setting(&mut self, entry: &ast::Setting) -> Option<String> {
        let (v, _) = self.setting_values(entry, 1, "a string")?;
        match &v.node {
            Value::String(s) => Some(s.clone()),
            Value::Invalid(_) => None,
            _ => {
                self.error(
                    Code::InvalidValue,
                    v.span,
                    format!("`{}` takes a string in double quotes", entry.key.node),
                );
                None
            }
        }
    }

    fn timezone(&mut self, name: &str, span: Span) -> Option<chrono_tz::Tz> {
        match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                let help = closest(name, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()))
                    .map(|c| format!("did you mean \"{c}\"?"))
                    .or_else(|| Some("use an IANA name such as \"Europe/Paris\"".into()));
                self.help(
                    Code::InvalidTimezone,
                    span,
                    format!("unknown timezone \"{name}\""),
                    help,
                );
                None
            }
        }
    }

    fn currency(&mut self, code: &str, span: Span) -> bool {
        if iso_currency::Currency::from_code(code).is_some() {
            return true;
        }
        let codes: Vec<&str> = <iso_currency::Currency as iso_currency::IntoEnumIterator>::iter()
            .map(|c| c.code())
            .collect();
        let help = closest(code, codes.iter().copied())
            .map(|c| format!("did you mean \"{c}\"?"))
            .or_else(|| Some("use an ISO 4217 code such as \"EUR\" or \"USD\"".into()));
        self.help(
            Code::InvalidCurrency,
            span,
            format!("unknown currency \"{code}\""),
            help,
        );
        false
    }

    fn language(&mut self, lang: &str, span: Span) -> bool {
        let valid = valid_language(lang);
        if !valid {
            self.error(
                Code::InvalidValue,
                span,
                format!("\"{lang}\" is not a language code"),
            )
            .help = Some("use a two-letter code such as \"en\" or \"fr\"".into());
        }
        valid
    }
}

/// A `public_url` as links use it (no trailing `/`), or why it is none: an
/// absolute `http` or `https` URL with a host, and no query or fragment.
fn public_url(text: &str) -> Result<String, &'static str> {
    let trimmed = text.trim();
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or("it must start with https:// or http://")?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') || host.contains('@') {
        return Err("it names no host");
    }
    if rest.contains(['?', '#']) {
        return Err("it may not have a query or a fragment");
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it may not contain spaces");
    }
    Ok(trimmed.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::public_url;
    use crate::diagnostic::Code;
    use crate::source::FileId;

    /// The settings and the codes of the diagnostics of `text`.
    fn checked(text: &str) -> (crate::model::Settings, Vec<Code>) {
        let (file, parsed) = crate::parse::parse_file(FileId(0), text);
        assert!(parsed.is_empty(), "{parsed:?}");
        let env = crate::check::Env {
            hooks_complete: true,
            ..Default::default()
        };
        let checked = crate::check::check(&[(FileId(0), file)], &env);
        let codes = checked.diagnostics.iter().map(|d| d.code).collect();
        (checked.config.settings, codes)
    }

    #[test]
    fn the_customer_side_settings_are_read_and_checked() {
        let (s, codes) = checked(
            "settings {\n  attach_budget_mb 5\n  promise_limit 3w\n  promise_status \"promise\"\n  \
             dispute_reasons \"Wrong amount\",\n    \"Not received\"\n}\n\
             status \"promise\" { suspends until item.promise_date + 3d }\n",
        );
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(s.attach_budget_bytes, 5 * 1024 * 1024);
        assert_eq!(s.promise_limit_days, 21);
        assert_eq!(s.promise_status.as_deref(), Some("promise"));
        assert_eq!(s.dispute_reasons, ["Wrong amount", "Not received"]);
        assert_eq!(s.paid_status, None);

        let (defaults, _) = checked("settings {\n  currency \"EUR\"\n}\n");
        assert_eq!(defaults.attach_budget_bytes, 10 * 1024 * 1024);
        assert_eq!(defaults.promise_limit_days, 30);
        assert!(defaults.dispute_reasons.is_empty());

        let (_, codes) = checked(
            "settings {\n  attach_budget_mb 2.5\n  promise_limit 12h\n  dispute_status \"dispte\"\n}\n\
             status \"dispute\" { suspends }\n",
        );
        assert_eq!(
            codes,
            [Code::InvalidValue, Code::InvalidValue, Code::UnknownStatus]
        );

        let (_, codes) = checked(
            "settings {\n  dispute_status \"promise\"\n}\n\
             status \"promise\" { suspends until item.promise_date + 3d }\n",
        );
        assert_eq!(codes, [Code::InvalidValue], "a dispute has no date");
    }

    #[test]
    fn a_public_url_is_an_absolute_http_url_kept_without_its_trailing_slash() {
        assert_eq!(
            public_url("https://relance.acme.example/"),
            Ok("https://relance.acme.example".into())
        );
        assert_eq!(
            public_url("http://intranet:8080/relance"),
            Ok("http://intranet:8080/relance".into())
        );
        assert!(public_url("relance.acme.example").is_err());
        assert!(public_url("https:///x").is_err());
        assert!(public_url("https://a.example/?x=1").is_err());
        assert!(public_url("ftp://a.example").is_err());
    }
}
