//! The context variables a template reads, checked against the context's
//! shape, so that `relance check` refuses `{{ customer.nme }}` instead of
//! the email failing at send time.
//!
//! Tera does not expose its syntax tree, so this is a scan of the tera
//! tags (`{{ … }}`, `{% … %}`) of a template whose front matter and
//! hashtags are blanked: it finds the dotted paths (`customer.name`,
//! `i.remaining` inside `{% for i in covered %}`) and looks each one up in
//! the shape of a fully populated [`Context`]. Names it cannot place (macro
//! arguments, `set` variables, filter and test names) are left alone: the
//! scan reports only what is certainly wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use chrono::NaiveDate;
use serde_json::Value;

use crate::context::*;

/// A path that the context does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariable {
    /// Byte range of the path in the text.
    pub range: Range<usize>,
    /// The path as written, up to the name that does not exist (`customer.nme`).
    pub path: String,
    /// That name (`nme`).
    pub name: String,
    /// The names that exist at that place, for suggestions.
    pub known: Vec<String>,
}

/// The shape of the context: the fields of a fully populated [`Context`]
/// (custom fields declared in the configuration added to `customer` and
/// item records).
#[derive(Debug, Clone)]
pub struct Shape {
    /// The context as JSON, every list with one element.
    root: Value,
}

impl Shape {
    /// The shape, with the declared custom fields of customers and items.
    pub fn new(customer_fields: &[String], item_fields: &[String]) -> Shape {
        let mut root = serde_json::to_value(sample()).unwrap_or(Value::Null);
        let add = |v: &mut Value, names: &[String]| {
            if let Value::Object(map) = v {
                for n in names {
                    map.insert(n.clone(), Value::String(String::new()));
                }
            }
        };
        if let Some(customer) = root.get_mut("customer") {
            add(customer, customer_fields);
        }
        for list in ["items", "covered"] {
            if let Some(Value::Array(items)) = root.get_mut(list) {
                items.iter_mut().for_each(|i| add(i, item_fields));
            }
        }
        if let Some(Value::Object(leader)) = root.get_mut("leader") {
            for n in item_fields {
                leader.insert(n.clone(), Value::String(String::new()));
            }
        }
        if let Some(Value::Array(members)) = root.get_mut("members") {
            for m in members {
                if let Some(Value::Array(items)) = m.get_mut("items") {
                    items.iter_mut().for_each(|i| add(i, item_fields));
                }
            }
        }
        Shape { root }
    }

    /// The top-level names a template may read.
    fn roots(&self) -> BTreeSet<&str> {
        match &self.root {
            Value::Object(map) => map.keys().map(String::as_str).collect(),
            _ => BTreeSet::new(),
        }
    }

    /// Follows `path` (after its root, given as the value it names); the
    /// first segment that does not exist, with the names that do.
    fn find<'v>(
        &self,
        mut at: &'v Value,
        segments: &[&str],
    ) -> Result<&'v Value, (usize, Vec<String>)> {
        for (n, seg) in segments.iter().enumerate() {
            match at {
                Value::Object(map) => match map.get(*seg) {
                    Some(v) => at = v,
                    None => return Err((n, map.keys().cloned().collect())),
                },
                // Scalars and lists: tera's own attributes are not fields.
                _ => return Ok(at),
            }
        }
        Ok(at)
    }
}

/// The unknown context paths of a template body (front matter and
/// hashtags blanked, so positions are positions in the file).
pub fn unknown_variables(body: &str, shape: &Shape) -> Vec<UnknownVariable> {
    let roots = shape.roots();
    // Loop variables bound to the element of a known list.
    let mut bound: BTreeMap<String, Value> = BTreeMap::new();
    // Other local names (set, macro arguments, loops over unknown things).
    let mut locals: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for tag in tags(body) {
        let tokens = tokenize(body, tag.clone());
        // `for x in path` / `for k, v in path`, `set x =`, `macro m(a, b)`.
        if let Some(first) = tokens.first().map(|t| &body[t.range.clone()]) {
            match first {
                "for" => {
                    let names: Vec<&str> = tokens
                        .iter()
                        .skip(1)
                        .take_while(|t| &body[t.range.clone()] != "in")
                        .map(|t| &body[t.range.clone()])
                        .filter(|n| *n != ",")
                        .collect();
                    let source = tokens
                        .iter()
                        .skip_while(|t| &body[t.range.clone()] != "in")
                        .nth(1)
                        .map(|t| &body[t.range.clone()]);
                    let element = source.and_then(|s| element_of(shape, s));
                    for (i, n) in names.iter().enumerate() {
                        match (&element, names.len(), i) {
                            (Some(e), 1, _) => {
                                bound.insert(n.to_string(), e.clone());
                            }
                            _ => {
                                locals.insert(n.to_string());
                            }
                        }
                    }
                }
                "set" | "set_global" => {
                    if let Some(t) = tokens.get(1) {
                        locals.insert(body[t.range.clone()].to_string());
                    }
                }
                "macro" => {
                    for t in tokens.iter().skip(2) {
                        locals.insert(body[t.range.clone()].to_string());
                    }
                }
                _ => {}
            }
        }
        for t in &tokens {
            if !t.path {
                continue;
            }
            let text = &body[t.range.clone()];
            let segments: Vec<&str> = text.split('.').collect();
            let (root, rest) = (segments[0], &segments[1..]);
            let start = match bound.get(root) {
                Some(v) => v,
                None if locals.contains(root) || !roots.contains(root) => continue,
                None => match shape.root.get(root) {
                    Some(v) => v,
                    None => continue,
                },
            };
            if let Err((n, known)) = shape.find(start, rest) {
                out.push(UnknownVariable {
                    range: t.range.clone(),
                    path: segments[..=n + 1].join("."),
                    name: rest[n].to_string(),
                    known,
                });
            }
        }
    }
    out
}

/// The element shape of a list named by a path (`covered`, `members`,
/// `penalties.items`, `m.items` is not resolved: it needs the loop above).
fn element_of(shape: &Shape, path: &str) -> Option<Value> {
    let segments: Vec<&str> = path.split('.').collect();
    let start = shape.root.get(segments[0])?;
    match shape.find(start, &segments[1..]) {
        Ok(Value::Array(items)) => items.first().cloned(),
        _ => None,
    }
}

/// A word of a tag.
#[derive(Debug, Clone)]
struct Token {
    /// Where it is.
    range: Range<usize>,
    /// Whether it is a variable path (not a filter, test, function,
    /// keyword argument or attribute of a call's result).
    path: bool,
}

/// The ranges of the insides of `{{ … }}` and `{% … %}`.
fn tags(body: &str) -> Vec<Range<usize>> {
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'{' && (bytes[i + 1] == b'{' || bytes[i + 1] == b'%') {
            let close = if bytes[i + 1] == b'{' { "}}" } else { "%}" };
            let start = i + 2;
            match body[start..].find(close) {
                Some(n) => {
                    out.push(start..start + n);
                    i = start + n + 2;
                }
                None => break,
            }
        } else if bytes[i] == b'{' && bytes[i + 1] == b'#' {
            // A comment.
            i = body[i + 2..]
                .find("#}")
                .map_or(bytes.len(), |n| i + 2 + n + 2);
        } else {
            i += 1;
        }
    }
    out
}

/// Words and paths of a tag, strings skipped.
fn tokenize(body: &str, tag: Range<usize>) -> Vec<Token> {
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "not",
        "in",
        "is",
        "if",
        "elif",
        "else",
        "endif",
        "for",
        "endfor",
        "set",
        "set_global",
        "include",
        "macro",
        "endmacro",
        "block",
        "endblock",
        "extends",
        "filter",
        "endfilter",
        "raw",
        "endraw",
        "break",
        "continue",
        "true",
        "false",
        "none",
        "True",
        "False",
        "None",
        "loop",
        "self",
        "super",
        "with",
        "endwith",
        "import",
        "as",
        "ignore",
        "missing",
    ];
    let text = &body[tag.clone()];
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // What came before the current word: `|` (a filter), `is` (a test).
    let mut after_pipe = false;
    let mut after_is = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' || c == b'\'' || c == b'`' {
            i = text[i + 1..]
                .find(c as char)
                .map_or(bytes.len(), |n| i + 1 + n + 1);
            after_pipe = false;
            after_is = false;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
            {
                i += 1;
            }
            let word = text[start..i].trim_end_matches('.');
            let end = start + word.len();
            let next = text[i..].trim_start();
            let call = next.starts_with('(');
            let kwarg = next.starts_with('=') && !next.starts_with("==");
            // `x.y[0].z`, `(a).b`: subscripts and calls end what we follow.
            let subscript = next.starts_with('[');
            let preceded_by_dot = start > 0 && bytes[start - 1] == b'.';
            let keyword = KEYWORDS.contains(&word);
            let path = !(after_pipe
                || after_is
                || call
                || kwarg
                || keyword
                || preceded_by_dot
                || (subscript && !word.contains('.')));
            out.push(Token {
                range: tag.start + start..tag.start + end,
                path,
            });
            after_is = word == "is" || (after_is && word == "not");
            after_pipe = false;
            continue;
        }
        if c == b'|' {
            after_pipe = !(i + 1 < bytes.len() && bytes[i + 1] == b'|');
        } else if c == b',' {
            out.push(Token {
                range: tag.start + i..tag.start + i + 1,
                path: false,
            });
        } else if !c.is_ascii_whitespace() {
            after_pipe = false;
            after_is = false;
        }
        i += 1;
    }
    out
}

/// A context with every optional part present and one element per list.
pub(crate) fn sample() -> Context {
    let day = NaiveDate::MIN;
    let text = String::new;
    let zero = relance_money::Money::zero(relance_money::Currency::NONE);
    let item = Item {
        customer: text(),
        reference: text(),
        kind: text(),
        debit: true,
        issue_date: Some(day),
        due_date: day,
        days_overdue: 0,
        overdue: false,
        amount: zero,
        remaining: zero,
        currency: text(),
        converted: zero,
        status: Some(text()),
        status_label: Some(text()),
        status_labels: std::collections::BTreeMap::new(),
        held: false,
        promise_date: Some(day),
        comment: Some(text()),
        custom: Custom::new(),
    };
    Context {
        settings: Settings {
            company: text(),
            currency: text(),
            language: text(),
        },
        customer: Customer {
            code: text(),
            name: text(),
            language: Some(text()),
            address: Some(text()),
            postcode: Some(text()),
            city: Some(text()),
            country: Some(text()),
            custom: Custom::new(),
        },
        account: AccountInfo {
            code: text(),
            currency: text(),
            total_due: zero,
            total_overdue: zero,
            balance: zero,
            total_covered: zero,
            items_count: 0,
            overdue_items_count: 0,
            held_items_count: 0,
            max_days_overdue: 0,
            grouped: false,
        },
        contact: Some(Contact {
            name: Some(text()),
            email: text(),
            language: Some(text()),
        }),
        collector: Some(Colleague {
            name: text(),
            email: text(),
            phone: Some(text()),
        }),
        items: vec![item.clone()],
        covered: vec![item.clone()],
        members: vec![Member {
            code: text(),
            name: text(),
            items: vec![item.clone()],
            subtotal: zero,
        }],
        step: Some(text()),
        scenario: Some(text()),
        today: day,
        penalties: Penalties {
            items: vec![Penalty {
                customer: text(),
                reference: text(),
                days_overdue: 0,
                remaining: zero,
                currency: text(),
                amount: zero,
            }],
            total: zero,
        },
        links: Links {
            interactive: Some(text()),
            attachments: vec![Attachment {
                name: text(),
                url: text(),
                expires: day,
            }],
        },
        leader: Some(item),
        previous: vec![Previous {
            step: text(),
            scenario: text(),
            date: day,
            kinds: vec![text()],
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(body: &str) -> Vec<(String, String)> {
        let shape = Shape::new(&["segment".into()], &["business_unit".into()]);
        unknown_variables(body, &shape)
            .into_iter()
            .map(|u| (u.path, u.name))
            .collect()
    }

    #[test]
    fn a_misspelt_field_is_found() {
        let shape = Shape::new(&[], &[]);
        let found = unknown_variables("<p>{{ customer.nme }}</p>", &shape);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "customer.nme");
        assert_eq!(found[0].range, 6..18);
        assert!(found[0].known.contains(&"name".to_string()));
    }

    #[test]
    fn misspellings_in_branches_not_taken_and_loops_are_found() {
        let body = "{% if false %}{{ account.total_overdu }}{% endif %}\
                    {% for i in covered %}{{ i.remaning | money }}{% endfor %}\
                    {% for m in members %}{{ m.subtotal }}{% endfor %}";
        let found: Vec<String> = unknown(body).into_iter().map(|u| u.0).collect();
        assert_eq!(found, ["account.total_overdu", "i.remaning"]);
    }

    #[test]
    fn known_paths_custom_fields_filters_and_locals_pass() {
        let body = "{{ customer.name | upper }} {{ customer.segment }} \
                    {% for i in items %}{{ i.business_unit }} {{ i.due_date | date(lang=\"fr\") }}\
                    {{ loop.index }}{% endfor %}{% set x = account.balance %}{{ x.anything }}\
                    {% if contact and contact.name is defined %}{{ contact.name }}{% endif %}\
                    {{ \"customer.nope\" }} {# {{ customer.nope }} #} {{ penalties.items | length }}\
                    {% for k, v in customer %}{{ v }}{% endfor %}{{ today | date }}";
        assert_eq!(unknown(body), Vec::<(String, String)>::new());
    }
}
