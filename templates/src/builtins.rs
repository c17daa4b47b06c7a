//! The built-in hashtags: their names ([`BUILTIN`]), what each is worth for
//! a context, and the forms a hashtag's value takes in each output.

use std::collections::BTreeMap;

use crate::context::{Context, Item, Totals};
use crate::format::Lang;
use crate::tables::{Table, Tables, Words, escape};

/// Built-in hashtags (docs/reference/templates.md); `relance check` knows the same list.
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

pub(crate) fn tables<'a>(ctx: &'a Context, language: &str) -> Tables<'a> {
    Tables {
        lang: Lang::of(language),
        words: Words::of(language),
        currency: &ctx.account.currency,
    }
}

/// A hashtag's value before it is put in the form an output needs.
pub(crate) enum Value {
    Scalar(String),
    /// A URL: a link in HTML, the URL itself in text.
    Link(String),
    Table(Table),
}

/// The hashtag values of one rendering, in the three forms.
#[derive(Default)]
pub(crate) struct Values {
    /// For the HTML part: escaped text, HTML tables.
    pub(crate) html: BTreeMap<String, String>,
    /// For the text part derived from the HTML: escaped text, escaped aligned tables.
    pub(crate) text_in_html: BTreeMap<String, String>,
    /// For the subject, the reply-to and `.txt`: text as is, aligned tables.
    pub(crate) plain: BTreeMap<String, String>,
}

impl Values {
    pub(crate) fn add(&mut self, name: &str, value: Value) {
        match value {
            Value::Scalar(s) => {
                let escaped = escape(&s);
                self.html.insert(name.to_string(), escaped.clone());
                self.text_in_html.insert(name.to_string(), escaped);
                self.plain.insert(name.to_string(), s);
            }
            Value::Link(url) if url.is_empty() => self.add(name, Value::Scalar(url)),
            Value::Link(url) => {
                let escaped = escape(&url);
                self.html.insert(
                    name.to_string(),
                    format!("<a href=\"{escaped}\">{escaped}</a>"),
                );
                self.text_in_html.insert(name.to_string(), escaped);
                self.plain.insert(name.to_string(), url);
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

pub(crate) fn builtin(name: &str, ctx: &Context, tables: &Tables<'_>) -> Value {
    let money =
        |amount: relance_money::Money| tables.lang.money(amount.minor, amount.currency.as_str());
    let all: Vec<&Item> = ctx.items.iter().collect();
    let grouped = ctx.account.grouped;
    // The totals of exactly what the tables beside them list.
    let totals = Totals::of(&ctx.items, &ctx.account.currency);
    if name == "interactive_link" {
        return Value::Link(ctx.links.interactive.clone().unwrap_or_default());
    }
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
