//! The declaration blocks that are not behaviour: custom `field`s (checked
//! first, since expressions anywhere may read them), `calendar`s, `status`es
//! (with their label translations) and `hashtag`s.

use std::collections::BTreeMap;

use super::validate::{WEEKDAYS, valid_hashtag_name, valid_language, weekday};
use super::{Checker, STATUS_CONTEXT};
use crate::ast::{self, Value};
use crate::diagnostic::{Code, Diagnostic, closest, did_you_mean};
use crate::model::*;
use crate::schema;
use crate::source::Span;

impl Checker<'_> {
    pub(super) fn field(&mut self, f: &ast::Field) {
        let target = match f.target.node.as_str() {
            "customer" => FieldTarget::Customer,
            "item" => FieldTarget::Item,
            other => {
                self.help(
                    Code::InvalidValue,
                    f.target.span,
                    format!("custom fields belong to `customer` or `item`, not `{other}`"),
                    did_you_mean(other, ["customer", "item"]),
                );
                return;
            }
        };
        const TYPES: &[&str] = &["text", "number", "date", "boolean"];
        let ty = match f.ty.node.as_str() {
            "text" => Type::Text,
            "number" => Type::Number,
            "date" => Type::Date,
            "boolean" => Type::Bool,
            other => {
                self.help(
                    Code::InvalidValue,
                    f.ty.span,
                    format!("unknown field type `{other}`"),
                    did_you_mean(other, TYPES.iter().copied())
                        .or_else(|| Some("field types are text, number, date, boolean".into())),
                );
                return;
            }
        };
        if schema::builtin_fields(&f.target.node)
            .iter()
            .any(|(n, _)| *n == f.name.node)
        {
            self.error(
                Code::DuplicateName,
                f.name.span,
                format!("`{}.{}` is a built-in field", f.target.node, f.name.node),
            );
            return;
        }
        if self
            .fields
            .iter()
            .any(|d| d.target == target && d.name == f.name.node)
        {
            self.error(
                Code::DuplicateName,
                f.name.span,
                format!(
                    "field `{}.{}` is declared twice",
                    f.target.node, f.name.node
                ),
            );
            return;
        }
        self.fields.push(FieldDef {
            target,
            name: f.name.node.clone(),
            ty,
        });
    }

    pub(super) fn calendar(&mut self, c: &ast::Calendar) -> Calendar {
        let mut cal = Calendar::default();
        let mut seen = BTreeMap::new();
        for stmt in &c.stmts {
            match stmt {
                ast::CalendarStmt::Weekend(days, span) => {
                    self.once(&mut seen, "weekend", *span);
                    for d in days {
                        match weekday(&d.node) {
                            Some(w) => cal.weekend.push(w),
                            None => self.help(
                                Code::InvalidValue,
                                d.span,
                                format!("`{}` is not a day of the week", d.node),
                                did_you_mean(&d.node, WEEKDAYS.iter().copied()).or_else(|| {
                                    Some("days are mon, tue, wed, thu, fri, sat, sun".into())
                                }),
                            ),
                        }
                    }
                }
                ast::CalendarStmt::Holidays(dates, span) => {
                    self.once(&mut seen, "holidays", *span);
                    for d in dates {
                        if let Value::Date(date) = d.node {
                            cal.holidays.push(date);
                        }
                    }
                }
                ast::CalendarStmt::Unknown(u) => {
                    self.unknown(u, "calendar", &["weekend", "holidays"])
                }
            }
        }
        cal.holidays.sort_unstable();
        cal.holidays.dedup();
        cal
    }

    pub(super) fn status(&mut self, s: &ast::Status) -> StatusDef {
        let mut def = StatusDef {
            name: s.name.node.clone(),
            label: None,
            labels: BTreeMap::new(),
            effect: StatusEffect::None,
        };
        let mut seen = BTreeMap::new();
        let mut effect_span: Option<Span> = None;
        for stmt in &s.stmts {
            match stmt {
                ast::StatusStmt::Label(l, translations) => {
                    self.once(&mut seen, "label", l.span);
                    def.label = Some(l.node.clone());
                    for t in translations {
                        let lang = &t.language;
                        if !valid_language(&lang.node) {
                            self.error(
                                Code::InvalidValue,
                                lang.span,
                                format!(
                                    "\"{}\" is not a language code such as fr or de",
                                    lang.node
                                ),
                            );
                        } else if def.labels.contains_key(&lang.node) {
                            self.error(
                                Code::RepeatedStatement,
                                lang.span,
                                format!("the label in \"{}\" is given twice", lang.node),
                            );
                        } else {
                            def.labels.insert(lang.node.clone(), t.text.node.clone());
                        }
                    }
                }
                ast::StatusStmt::Suspends(until, span) => {
                    if let Some(first) = effect_span {
                        self.error(
                            Code::RepeatedStatement,
                            *span,
                            "a status either suspends or excludes, once",
                        )
                        .labels
                        .push((first, "already said here".into()));
                        continue;
                    }
                    effect_span = Some(*span);
                    if let Some(e) = until {
                        let ty = self.expr(e, STATUS_CONTEXT);
                        self.expect_type(e, &ty, &Type::Date, "`suspends until` needs a date");
                    }
                    def.effect = StatusEffect::Suspends(until.clone());
                }
                ast::StatusStmt::Excludes(span) => {
                    if let Some(first) = effect_span {
                        self.error(
                            Code::RepeatedStatement,
                            *span,
                            "a status either suspends or excludes, once",
                        )
                        .labels
                        .push((first, "already said here".into()));
                        continue;
                    }
                    effect_span = Some(*span);
                    def.effect = StatusEffect::Excludes;
                }
                ast::StatusStmt::Unknown(u) => {
                    self.unknown(u, "status", &["label", "suspends", "excludes"])
                }
            }
        }
        self.status_translations(s, &def);
        def
    }

    /// Warns when a status's label has no translation for a language that
    /// templates are written in: customers would read it in another language.
    fn status_translations(&mut self, s: &ast::Status, def: &StatusDef) {
        let Some(label) = &def.label else { return };
        let span = s
            .stmts
            .iter()
            .find_map(|st| match st {
                ast::StatusStmt::Label(l, _) => Some(l.span),
                _ => None,
            })
            .unwrap_or(s.name.span);
        let fallback = self.settings_language();
        let missing: Vec<String> = self
            .env
            .templates
            .keys()
            .filter(|lang| **lang != fallback && !def.labels.contains_key(*lang))
            .cloned()
            .collect();
        for lang in missing {
            self.diags.push(
                Diagnostic::new(
                    Code::MissingTranslation,
                    span,
                    format!("status \"{}\" has no \"{lang}\" label", def.name),
                )
                .with_help(format!(
                    "emails in \"{lang}\" would show \"{label}\"; add `{lang} \"…\"` after the label"
                )),
            );
        }
    }

    pub(super) fn hashtag(&mut self, h: &ast::Hashtag) -> Option<HashtagDef> {
        if !valid_hashtag_name(&h.name.node) {
            self.error(
                Code::InvalidValue,
                h.name.span,
                format!("\"{}\" is not a hashtag name", h.name.node),
            )
            .help = Some(
                "hashtag names are lower-case letters, digits and `_`, starting with a letter"
                    .into(),
            );
        }
        if BUILTIN_HASHTAGS.contains(&h.name.node.as_str()) {
            self.error(
                Code::DuplicateName,
                h.name.span,
                format!("#{} is a built-in hashtag", h.name.node),
            );
        }
        let mut body = None;
        for stmt in &h.stmts {
            let (new, span) = match stmt {
                ast::HashtagStmt::Text(t) => (HashtagBody::Text(t.node.clone()), t.span),
                ast::HashtagStmt::Template(t) => {
                    if !self.env.template_files.contains(&t.node) {
                        let help =
                            closest(&t.node, self.env.template_files.iter().map(String::as_str))
                                .map(|c| format!("did you mean \"{c}\"?"));
                        self.help(
                            Code::UnknownTemplate,
                            t.span,
                            format!("no template file \"templates/{}\"", t.node),
                            help,
                        );
                    }
                    (HashtagBody::Template(t.node.clone()), t.span)
                }
                ast::HashtagStmt::Unknown(u) => {
                    self.unknown(u, "hashtag", &["text", "template"]);
                    continue;
                }
            };
            if body.is_some() {
                self.error(
                    Code::RepeatedStatement,
                    span,
                    "a hashtag has one body: `text` or `template`",
                );
            } else {
                body = Some(new);
            }
        }
        match body {
            Some(body) => Some(HashtagDef {
                name: h.name.node.clone(),
                body,
            }),
            None => {
                self.error(
                    Code::Missing,
                    h.name.span,
                    format!("hashtag \"{}\" has no body", h.name.node),
                )
                .help = Some("add `text \"...\"` or `template \"partials/....html\"`".into());
                None
            }
        }
    }
}

/// Built-in hashtags (docs/reference/templates.md).
pub const BUILTIN_HASHTAGS: &[&str] = &[
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
