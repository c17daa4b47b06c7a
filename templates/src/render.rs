//! Rendering: one tera instance per configuration, built once, and the
//! expansion of `#hashtags`.
//!
//! Hashtags are expanded without re-parsing a template per email: at load
//! time each `#name` becomes `{{ __h.name | safe }}` (a custom hashtag
//! backed by a template becomes an `{% include %}`), and `##` becomes a
//! literal `#`. At render time `__h` holds the values of the hashtags that
//! template uses, already in the form the output needs: escaped HTML and
//! HTML tables for the HTML part, plain text and aligned tables for the
//! subject and `.txt` parts.
//!
//! A template cannot read files or reach the network: the instance is
//! built from text handed in, with no file loader, and tera's only
//! functions are `range` and `throw`. Each message is bounded in time and
//! size ([`crate::limits`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use tera::{Kwargs, State, Tera};

use crate::context::{Context, Item, Totals};
use crate::format::Lang;
use crate::front_matter;
use crate::hashtags;
use crate::tables::{Table, Tables, Words, escape};
use crate::text;

/// Built-in hashtags (TEMPLATES.md); `relance check` knows the same list.
pub const BUILTIN: &[&str] = &[
    "company_name",
    "customer_name",
    "customer_code",
    "contact_name",
    "contact_email",
    "collector_name",
    "collector_email",
    "collector_phone",
    "today",
    "total_due",
    "total_overdue",
    "balance",
    "total_covered",
    "previous_date",
    "items_list",
    "items_list_overdue",
    "items_list_covered",
    "items_list_collection_grouped",
    "items_list_collection_grouped_splitted",
    "late_penalties",
    "attachments",
    "interactive_link",
    "promise_date",
    "dispute_comment",
];

/// A custom hashtag declared in the DSL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomHashtag {
    /// `text "..."`: written as is (escaped in HTML).
    Text(String),
    /// `template "partials/x.html"`: that template, rendered with the context.
    Template(String),
}

/// Why a configuration's templates cannot be loaded. `relance check`
/// reports these with their place; this is what the runtime sees.
#[derive(Debug, thiserror::Error)]
#[error("template {path}: {message}")]
pub struct LoadError {
    /// The file, relative to `templates/`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Why one email could not be rendered: the action fails with an alert on
/// its account; the run goes on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    /// No such template in the language, nor in the settings language.
    #[error(
        "template \"{template}\" exists neither in \"{language}\" nor in the settings language"
    )]
    Missing {
        /// The template.
        template: String,
        /// The language wanted.
        language: String,
    },
    /// The message went past a bound of [`crate::limits`] (range numbers,
    /// output bytes, time): a template that loops over too much.
    #[error("template {file}: {message}")]
    Bounded {
        /// The file.
        file: String,
        /// Which bound, and how far.
        message: String,
    },
    /// Tera failed (an unknown variable, a filter given a wrong value...).
    #[error("template {file}: {message}")]
    Tera {
        /// The file.
        file: String,
        /// Tera's message, with its causes.
        message: String,
    },
}

/// A rendered email or letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The language it was rendered in.
    pub language: String,
    /// Subject (plain text); empty when the template has none.
    pub subject: String,
    /// Reply-To, when the front matter sets one and it renders to something.
    pub reply_to: Option<String>,
    /// The HTML part: a fragment, data escaped.
    pub html: String,
    /// The text part: the `.txt` template, else derived from the HTML.
    pub text: String,
}

impl Rendered {
    /// The HTML part as a whole document, for an email.
    pub fn html_document(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n<body>\n{}\n</body>\n</html>\n",
            escape(&self.language),
            escape(&self.subject),
            self.html
        )
    }

    /// A standalone printable page for a letter: A4, margins, print CSS.
    pub fn letter_page(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
             @page {{ size: A4; margin: 25mm 20mm; }}\n\
             body {{ font-family: Georgia, 'Times New Roman', serif; font-size: 11pt; line-height: 1.4; color: #000; max-width: 170mm; margin: 0 auto; }}\n\
             table {{ width: 100%; font-size: 10pt; }}\n\
             @media print {{ body {{ margin: 0; }} }}\n\
             </style>\n</head>\n<body>\n{}\n</body>\n</html>\n",
            escape(&self.language),
            escape(&self.subject),
            self.html
        )
    }
}

/// One template in one language.
#[derive(Debug, Clone, Default)]
struct Entry {
    /// Tera name of the HTML body.
    html: Option<String>,
    /// Tera name of the text body.
    txt: Option<String>,
    /// Tera name of the subject.
    subject: Option<String>,
    /// Tera name of the reply-to.
    reply_to: Option<String>,
    /// The hashtags it uses, its partials' included.
    hashtags: BTreeSet<String>,
}

/// A configuration's templates, compiled once.
#[derive(Clone)]
pub struct Templates {
    /// Every template, front-matter values and partials compiled.
    tera: Tera,
    /// `(language, name)` → its parts.
    entries: BTreeMap<(String, String), Entry>,
    /// The settings language: the fallback.
    default_language: String,
    /// Custom text hashtags.
    custom_text: BTreeMap<String, String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("entries", &self.entries.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A tera instance with relance's filters: `money` and `date`.
pub fn new_tera() -> Tera {
    let mut tera = Tera::default();
    tera.register_filter("money", money_filter);
    tera.register_filter("date", date_filter);
    tera.register_function("range", crate::limits::range);
    tera
}

fn lang_of(kwargs: &Kwargs, state: &State) -> tera::TeraResult<Lang> {
    let lang: Option<String> = match kwargs.get::<&str>("lang")? {
        Some(l) => Some(l.to_string()),
        None => state.get::<String>("lang")?,
    };
    Ok(Lang::of(lang.as_deref().unwrap_or("en")))
}

/// `{{ x | money(currency="EUR", lang="fr") }}`; the currency defaults to
/// the account's, the language to the rendering's.
///
/// tera hands numbers over as binary floats: an amount of the context
/// arrives as the float whose shortest text is its exact decimal, which
/// is read back through that text and rounded once (half away from zero)
/// to the currency's minor unit, so what is written is the exact amount.
fn money_filter(value: f64, kwargs: Kwargs, state: &State) -> tera::TeraResult<String> {
    crate::limits::check_time()?;
    let currency = match kwargs.get::<&str>("currency")? {
        Some(c) => c.to_string(),
        None => state
            .get::<String>("currency")?
            .unwrap_or_else(|| "EUR".into()),
    };
    let not_an_amount = || tera::Error::message(format!("money: {value} is not an amount"));
    if !value.is_finite() {
        return Err(not_an_amount());
    }
    let exact: relance_money::Decimal = value.to_string().parse().map_err(|_| not_an_amount())?;
    let amount = relance_money::Money::from_decimal(exact, crate::context::currency_of(&currency));
    Ok(lang_of(&kwargs, state)?.money(amount.minor, &currency))
}

/// `{{ d | date(lang="fr", format="short") }}`: a `YYYY-MM-DD` date written
/// for the language; `long` (the default) for sentences, `short` for tables.
fn date_filter(value: &str, kwargs: Kwargs, state: &State) -> tera::TeraResult<String> {
    crate::limits::check_time()?;
    let date = chrono::NaiveDate::parse_from_str(value.get(..10).unwrap_or(value), "%Y-%m-%d")
        .map_err(|_| tera::Error::message(format!("date: \"{value}\" is not a YYYY-MM-DD date")))?;
    let lang = lang_of(&kwargs, state)?;
    match kwargs.get::<&str>("format")? {
        None | Some("long") => Ok(lang.long_date(date)),
        Some("short") => Ok(lang.short_date(date)),
        Some(other) => Err(tera::Error::message(format!(
            "date: format \"{other}\" is neither \"long\" nor \"short\""
        ))),
    }
}

/// Rewrites hashtags into tera: known ones read `__h`, template-backed custom
/// ones include their template, `##` is a `#`. Returns the names used.
fn rewrite(
    text: &str,
    known: &BTreeSet<&str>,
    custom_templates: &BTreeMap<String, String>,
) -> (String, BTreeSet<String>) {
    let found = hashtags::find(text);
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut used = BTreeSet::new();
    for h in found.hashtags {
        if let Some(path) = custom_templates.get(&h.name) {
            edits.push((h.range, format!("{{% include \"{path}\" %}}")));
        } else if known.contains(h.name.as_str()) {
            edits.push((h.range, format!("{{{{ __h.{} | safe }}}}", h.name)));
            used.insert(h.name);
        }
    }
    for e in found.escapes {
        edits.push((e..e + 2, "{{ \"#\" }}".to_string()));
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len() + edits.len() * 16);
    let mut at = 0;
    for (range, with) in edits {
        out.push_str(&text[at..range.start]);
        out.push_str(&with);
        at = range.end;
    }
    out.push_str(&text[at..]);
    (out, used)
}

impl Templates {
    /// Compiles the files under `templates/` (paths relative to it) with the
    /// configuration's custom hashtags; `default_language` is the settings'.
    pub fn load<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
        custom: &BTreeMap<String, CustomHashtag>,
        default_language: &str,
    ) -> Result<Templates, LoadError> {
        let mut known: BTreeSet<&str> = BUILTIN.iter().copied().collect();
        let mut custom_text = BTreeMap::new();
        let mut custom_templates = BTreeMap::new();
        for (name, body) in custom {
            match body {
                CustomHashtag::Text(t) => {
                    known.insert(name.as_str());
                    custom_text.insert(name.clone(), t.clone());
                }
                CustomHashtag::Template(path) => {
                    let path = path.strip_prefix("templates/").unwrap_or(path);
                    custom_templates.insert(name.clone(), path.to_string());
                }
            }
        }
        let files: Vec<(&str, &str)> = files.into_iter().collect();
        let partials = Partials::new(&files);
        let mut sources: Vec<(String, String)> = Vec::new();
        let mut entries: BTreeMap<(String, String), Entry> = BTreeMap::new();
        let mut shared_tags = BTreeSet::new();
        for &(path, text) in &files {
            let (fm, errors) = front_matter::parse(text);
            if let Some(e) = errors.first() {
                return Err(LoadError {
                    path: path.to_string(),
                    message: e.message.clone(),
                });
            }
            let body = &text[fm.range.end.min(text.len())..];
            let (body, used) = rewrite(body, &known, &custom_templates);
            let Some((lang, name)) = crate::scan::language_template(path) else {
                shared_tags.extend(used);
                match partials.language_of(path) {
                    // A partial of one language: its includes are that language's.
                    Some(lang) => sources.push((path.to_string(), partials.resolve(&body, lang))),
                    None => {
                        // A shared partial: as is, and once more for every
                        // language with partials of its own, in which its
                        // includes resolve to that language's.
                        for lang in partials.overriding_languages() {
                            if !partials.overridden(lang, path) {
                                sources.push((
                                    Partials::copy_name(path, lang),
                                    partials.resolve(&body, lang),
                                ));
                            }
                        }
                        sources.push((path.to_string(), body));
                    }
                }
                continue;
            };
            sources.push((path.to_string(), partials.resolve(&body, lang)));
            let entry = entries
                .entry((lang.to_string(), name.to_string()))
                .or_default();
            entry.hashtags.extend(used);
            if path.ends_with(".html") {
                entry.html = Some(path.to_string());
            } else {
                entry.txt = Some(path.to_string());
            }
            for key in front_matter::KEYS {
                let Some(value) = fm.get(key).filter(|v| !v.trim().is_empty()) else {
                    continue;
                };
                let field = if *key == "subject" {
                    &mut entry.subject
                } else {
                    &mut entry.reply_to
                };
                // The HTML file's front matter wins over the text file's.
                if field.is_some() && !path.ends_with(".html") {
                    continue;
                }
                let (value, used) = rewrite(value, &known, &custom_templates);
                let tera_name = format!("{path}@{key}");
                sources.push((tera_name.clone(), partials.resolve(&value, lang)));
                entry.hashtags.extend(used);
                *field = Some(tera_name);
            }
        }
        for entry in entries.values_mut() {
            entry.hashtags.extend(shared_tags.iter().cloned());
        }
        let mut tera = new_tera();
        tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| LoadError {
                path: e
                    .to_string()
                    .split('`')
                    .nth(1)
                    .unwrap_or("templates")
                    .to_string(),
                message: error_chain(&e),
            })?;
        Ok(Templates {
            tera,
            entries,
            default_language: default_language.to_string(),
            custom_text,
        })
    }

    /// The languages that have templates, in code order.
    pub fn languages(&self) -> BTreeSet<&str> {
        self.entries.keys().map(|(l, _)| l.as_str()).collect()
    }

    /// The templates of a language, by name.
    pub fn names(&self, language: &str) -> Vec<&str> {
        self.entries
            .keys()
            .filter(|(l, _)| l == language)
            .map(|(_, n)| n.as_str())
            .collect()
    }

    /// Whether a template exists in a language.
    pub fn has(&self, language: &str, template: &str) -> bool {
        self.entries
            .contains_key(&(language.to_string(), template.to_string()))
    }

    /// The language a template renders in for this context (TEMPLATES.md):
    /// `forced`, else the contact's, else the customer's, else the settings';
    /// when the template is missing in that language, the settings language.
    pub fn language_for(&self, template: &str, ctx: &Context, forced: Option<&str>) -> String {
        let wanted = forced
            .or(ctx.contact.as_ref().and_then(|c| c.language.as_deref()))
            .or(ctx.customer.language.as_deref())
            .unwrap_or(&self.default_language);
        if self.has(wanted, template) {
            wanted.to_string()
        } else {
            self.default_language.clone()
        }
    }

    /// Renders every template in every language once, for a sample
    /// context (one element per list), and returns those that go past a
    /// bound of [`crate::limits`] whatever the data: `relance check` says
    /// so before anything is sent.
    pub fn trial(&self) -> Vec<RenderError> {
        let sample = crate::variables::sample();
        self.entries
            .keys()
            .filter_map(
                |(lang, name)| match self.render(name, &sample, Some(lang)) {
                    Err(e @ RenderError::Bounded { .. }) => Some(e),
                    _ => None,
                },
            )
            .collect()
    }

    /// Renders a template for a context, in the language `language_for` picks.
    pub fn render(
        &self,
        template: &str,
        ctx: &Context,
        forced: Option<&str>,
    ) -> Result<Rendered, RenderError> {
        let language = self.language_for(template, ctx, forced);
        let entry = self
            .entries
            .get(&(language.clone(), template.to_string()))
            .ok_or_else(|| RenderError::Missing {
                template: template.to_string(),
                language: forced
                    .or(ctx.contact.as_ref().and_then(|c| c.language.as_deref()))
                    .or(ctx.customer.language.as_deref())
                    .unwrap_or(&self.default_language)
                    .to_string(),
            })?;
        let ctx = localized(ctx, &language);
        let ctx = ctx.as_ref();
        let values = self.hashtag_values(&entry.hashtags, ctx, &language);
        let mut tc = tera::Context::from_serialize(ctx).map_err(|e| RenderError::Tera {
            file: template.to_string(),
            message: error_chain(&e),
        })?;
        tc.insert("lang", &language);
        tc.insert("currency", &ctx.account.currency);

        // One budget (range numbers, time) for the whole message; each part
        // bounded in bytes (`limits`).
        let _budget = crate::limits::MessageBudget::start();
        let run = |name: &str, tc: &tera::Context| {
            let file = name.split('@').next().unwrap_or(name).to_string();
            let mut out = crate::limits::Bounded::new();
            match self.tera.render_to(name, tc, &mut out) {
                Ok(()) => String::from_utf8(out.bytes).map_err(|_| RenderError::Tera {
                    file,
                    message: "the rendered text is not UTF-8".into(),
                }),
                Err(e) => Err(match out.over {
                    Some(over) => RenderError::Bounded {
                        file,
                        message: over.message(),
                    },
                    None if crate::limits::tripped() => RenderError::Bounded {
                        file,
                        message: error_chain(&e),
                    },
                    None => RenderError::Tera {
                        file,
                        message: error_chain(&e),
                    },
                }),
            }
        };
        // Plain values: subject, reply-to, `.txt`.
        tc.insert("__h", &values.plain);
        let subject = match &entry.subject {
            Some(n) => one_line(&run(n, &tc)?),
            None => String::new(),
        };
        let reply_to = match &entry.reply_to {
            Some(n) => Some(one_line(&run(n, &tc)?)).filter(|r| !r.is_empty()),
            None => None,
        };
        let txt = match &entry.txt {
            Some(n) => Some(run(n, &tc)?),
            None => None,
        };
        let html = match &entry.html {
            Some(n) => {
                tc.insert("__h", &values.html);
                run(n, &tc)?
            }
            None => String::new(),
        };
        let text = match (txt, &entry.html) {
            (Some(t), _) => t,
            (None, Some(n)) => {
                tc.insert("__h", &values.text_in_html);
                text::from_html(&run(n, &tc)?)
            }
            (None, None) => String::new(),
        };
        Ok(Rendered {
            language,
            subject,
            reply_to,
            html,
            text,
        })
    }

    /// The account statement (API, `attach statement`): the split grouped
    /// statement as a printable page, in the context's language.
    pub fn statement(&self, ctx: &Context, forced: Option<&str>) -> Rendered {
        let language = forced
            .or(ctx.customer.language.as_deref())
            .unwrap_or(&self.default_language)
            .to_string();
        let ctx = localized(ctx, &language);
        let ctx = ctx.as_ref();
        let tables = tables(ctx, &language);
        let table = tables.split(&ctx.members);
        let title = format!(
            "{} — {} ({})",
            ctx.settings.company, ctx.customer.name, ctx.customer.code
        );
        let date = tables.lang.long_date(ctx.today);
        Rendered {
            html: format!(
                "<h1 style=\"font-size:16pt\">{}</h1>\n<p>{}</p>\n{}",
                escape(&title),
                escape(&date),
                table.html
            ),
            text: format!("{title}\n{date}\n\n{}", table.text),
            subject: title,
            reply_to: None,
            language,
        }
    }

    fn hashtag_values(&self, names: &BTreeSet<String>, ctx: &Context, language: &str) -> Values {
        let mut values = Values::default();
        let tables = tables(ctx, language);
        for name in names {
            let value = match self.custom_text.get(name) {
                Some(text) => Value::Scalar(text.clone()),
                None => builtin(name, ctx, &tables),
            };
            values.add(name, value);
        }
        values
    }
}

/// The context with every item's `status_label` in `language`, where its
/// status has a label in that language (borrowed when nothing changes: the
/// caller may have localized it already, see [`Context::localize`]).
fn localized<'a>(ctx: &'a Context, language: &str) -> Cow<'a, Context> {
    if !ctx.needs_localizing(language) {
        return Cow::Borrowed(ctx);
    }
    let mut ctx = ctx.clone();
    ctx.localize(language);
    Cow::Owned(ctx)
}

fn tables<'a>(ctx: &'a Context, language: &str) -> Tables<'a> {
    Tables {
        lang: Lang::of(language),
        words: Words::of(language),
        currency: &ctx.account.currency,
    }
}

/// A hashtag's value before it is put in the form an output needs.
enum Value {
    Scalar(String),
    Table(Table),
}

/// The hashtag values of one rendering, in the three forms.
#[derive(Default)]
struct Values {
    /// For the HTML part: escaped text, HTML tables.
    html: BTreeMap<String, String>,
    /// For the text part derived from the HTML: escaped text, escaped aligned tables.
    text_in_html: BTreeMap<String, String>,
    /// For the subject, the reply-to and `.txt`: text as is, aligned tables.
    plain: BTreeMap<String, String>,
}

impl Values {
    fn add(&mut self, name: &str, value: Value) {
        match value {
            Value::Scalar(s) => {
                let escaped = escape(&s);
                self.html.insert(name.to_string(), escaped.clone());
                self.text_in_html.insert(name.to_string(), escaped);
                self.plain.insert(name.to_string(), s);
            }
            Value::Table(t) => {
                self.html.insert(name.to_string(), t.html);
                self.text_in_html
                    .insert(name.to_string(), format!("\n{}\n", escape(&t.text)));
                self.plain.insert(name.to_string(), t.text);
            }
        }
    }
}

fn builtin(name: &str, ctx: &Context, tables: &Tables<'_>) -> Value {
    let money = |amount: relance_money::Money| {
        tables.lang.money(amount.minor, amount.currency.as_str())
    };
    let all: Vec<&Item> = ctx.items.iter().collect();
    let grouped = ctx.account.grouped;
    // The totals of exactly what the tables beside them list.
    let totals = Totals::of(&ctx.items, &ctx.account.currency);
    Value::Scalar(match name {
        "company_name" => ctx.settings.company.clone(),
        "customer_name" => ctx.customer.name.clone(),
        "customer_code" => ctx.customer.code.clone(),
        "contact_name" => ctx
            .contact
            .as_ref()
            .and_then(|c| c.name.clone())
            .unwrap_or_else(|| ctx.customer.name.clone()),
        "contact_email" => ctx
            .contact
            .as_ref()
            .map(|c| c.email.clone())
            .unwrap_or_default(),
        "collector_name" => ctx
            .collector
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        "collector_email" => ctx
            .collector
            .as_ref()
            .map(|c| c.email.clone())
            .unwrap_or_default(),
        "collector_phone" => ctx
            .collector
            .as_ref()
            .and_then(|c| c.phone.clone())
            .unwrap_or_default(),
        "today" => tables.lang.long_date(ctx.today),
        "total_due" => money(totals.due),
        "total_overdue" => money(totals.overdue),
        "balance" => money(totals.balance),
        "total_covered" => money(Totals::signed(&ctx.covered, &ctx.account.currency)),
        "previous_date" => ctx
            .previous
            .iter()
            .map(|p| p.date)
            .max()
            .map(|d| tables.lang.long_date(d))
            .unwrap_or_default(),
        "interactive_link" => ctx.links.interactive.clone().unwrap_or_default(),
        "promise_date" => ctx
            .leader
            .as_ref()
            .and_then(|l| l.promise_date)
            .map(|d| tables.lang.long_date(d))
            .unwrap_or_default(),
        "dispute_comment" => ctx
            .leader
            .as_ref()
            .and_then(|l| l.comment.clone())
            .unwrap_or_default(),
        "items_list" => return Value::Table(tables.items(&all, false)),
        "items_list_overdue" => {
            let overdue: Vec<&Item> = ctx.items.iter().filter(|i| i.overdue).collect();
            return Value::Table(tables.items(&overdue, false));
        }
        "items_list_covered" => {
            let covered: Vec<&Item> = ctx.covered.iter().collect();
            return Value::Table(tables.items(&covered, false));
        }
        "items_list_collection_grouped" => return Value::Table(tables.items(&all, grouped)),
        "items_list_collection_grouped_splitted" => {
            return Value::Table(if grouped {
                tables.split(&ctx.members)
            } else {
                tables.items(&all, false)
            });
        }
        "late_penalties" => return Value::Table(tables.penalties(&ctx.penalties)),
        "attachments" => return Value::Table(tables.attachments(&ctx.links.attachments)),
        _ => String::new(),
    })
}

/// Per-language partials: `partials/<lang>/x.html`, for a language that has
/// templates, stands in for `partials/x.html` in that language's templates
/// and partials, so signatures and closing lines are in the message's
/// language. Tera resolves includes by name at load time, so each file's
/// includes are rewritten for its language; a shared partial is compiled
/// once more per language with partials of its own ([`Partials::copy_name`]),
/// its includes resolved for that language.
struct Partials<'a> {
    /// Languages that have templates.
    languages: BTreeSet<&'a str>,
    /// `(language, "partials/x.html")` of every per-language partial.
    overrides: BTreeSet<(&'a str, String)>,
    /// Every partial that is no language's.
    shared: BTreeSet<&'a str>,
}

impl<'a> Partials<'a> {
    fn new(files: &[(&'a str, &'a str)]) -> Partials<'a> {
        let languages: BTreeSet<&str> = files
            .iter()
            .filter_map(|(p, _)| crate::scan::language_template(p).map(|(l, _)| l))
            .collect();
        let mut overrides = BTreeSet::new();
        let mut shared = BTreeSet::new();
        for (path, _) in files {
            let Some(rest) = path.strip_prefix("partials/") else {
                continue;
            };
            match rest.split_once('/') {
                Some((lang, file)) if languages.contains(lang) => {
                    overrides.insert((lang, format!("partials/{file}")));
                }
                _ => {
                    shared.insert(*path);
                }
            }
        }
        Partials {
            languages,
            overrides,
            shared,
        }
    }

    /// The language of a per-language partial.
    fn language_of(&self, path: &str) -> Option<&'a str> {
        let (lang, _) = path.strip_prefix("partials/")?.split_once('/')?;
        self.languages.get(lang).copied()
    }

    /// Languages with partials of their own.
    fn overriding_languages(&self) -> BTreeSet<&'a str> {
        self.overrides.iter().map(|(l, _)| *l).collect()
    }

    /// Whether `language` has its own version of the shared partial `path`.
    fn overridden(&self, language: &str, path: &str) -> bool {
        self.overrides
            .iter()
            .any(|(l, p)| *l == language && p == path)
    }

    /// The tera name of a shared partial compiled for `language`.
    fn copy_name(path: &str, language: &str) -> String {
        format!("{path}@{language}")
    }

    /// What `{% include "name" %}` means in `language`.
    fn target(&self, name: &str, language: &str) -> Option<String> {
        if !name.starts_with("partials/") {
            return None;
        }
        if let Some(rest) = name.strip_prefix("partials/")
            && self.overrides.contains(&(language, name.to_string()))
        {
            return Some(format!("partials/{language}/{rest}"));
        }
        let has_own = self.overrides.iter().any(|(l, _)| *l == language);
        (has_own && self.shared.contains(name)).then(|| Partials::copy_name(name, language))
    }

    /// `text` with its includes resolved for `language`.
    fn resolve(&self, text: &str, language: &str) -> String {
        if !self.overrides.iter().any(|(l, _)| *l == language) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (range, name) in includes(text) {
            if let Some(target) = self.target(name, language) {
                out.push_str(&text[at..range.start]);
                out.push_str(&target);
                at = range.end;
            }
        }
        out.push_str(&text[at..]);
        out
    }
}

/// The names in `{% include "name" %}` tags (any quote, `{%-`), with their
/// byte ranges.
fn includes(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{%") {
        let start = from + open + 2;
        from = start;
        let rest = &text[start..];
        let trimmed = rest.trim_start_matches(['-', '+', '~']).trim_start();
        let Some(after) = trimmed.strip_prefix("include") else {
            continue;
        };
        let args = after.trim_start();
        if args.len() == after.len() {
            continue; // `{% includes ...`: not the tag
        }
        let Some(quote) = args
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))
        else {
            continue;
        };
        let name_start = start + (rest.len() - args.len()) + 1;
        let Some(len) = text[name_start..].find(quote) else {
            continue;
        };
        found.push((
            name_start..name_start + len,
            &text[name_start..name_start + len],
        ));
        from = name_start + len;
    }
    found
}

/// A header value on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Tera's message with its causes, on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let m = s.to_string();
        if !message.contains(&m) {
            message.push_str(": ");
            message.push_str(&m);
        }
        source = s.source();
    }
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
