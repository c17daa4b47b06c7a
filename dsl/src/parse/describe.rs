//! Syntax errors in words: what was expected (each grammar rule named by
//! [`describe`], an exhaustive match, so a new rule forces its wording), what
//! was found, and a hint where one helps (`==`, a misspelt block keyword, a
//! string left open).

use pest::error::ErrorVariant;

use super::{Rule, TOP_LEVEL_KEYWORDS};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};

pub(super) fn syntax_diagnostic(
    file: FileId,
    text: &str,
    at: usize,
    variant: &ErrorVariant<Rule>,
) -> Diagnostic {
    let found = found_at(text, at);
    let end = at + found.1;
    let message = match variant {
        ErrorVariant::ParsingError { .. } if unclosed_string(text, at) => {
            "this string is not closed before the end of the line".to_string()
        }
        ErrorVariant::ParsingError { positives, .. } => {
            let starts_expr = positives.iter().any(|r| expression_marker(*r));
            let mut expected: Vec<&str> = positives
                .iter()
                .filter(|r| !(starts_expr && starts_expression(**r)))
                .filter_map(|r| describe(*r))
                .collect();
            if starts_expr {
                expected.push("an expression");
            }
            expected.sort_unstable();
            expected.dedup();
            match expected.as_slice() {
                [] => format!("unexpected {}", found.0),
                [one] => format!("expected {one}, found {}", found.0),
                many => format!("expected one of {}, found {}", many.join(", "), found.0),
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let mut d = Diagnostic::new(Code::Syntax, Span::new(file, at, end), message);
    if text[at..].starts_with('=') && !text[at..].starts_with("==") {
        d = d.with_help("compare with `==`");
    }
    if let Some(word) = found.0.strip_prefix('`').and_then(|w| w.strip_suffix('`'))
        && let Some(h) = crate::diagnostic::did_you_mean(word, TOP_LEVEL_KEYWORDS.iter().copied())
        && at == text[..at].rfind('\n').map_or(0, |n| n + 1)
        && h != format!("did you mean `{word}`?")
    {
        d = d.with_help(h);
    }
    d
}

/// Rules that only an expression starts with: when one is expected, the
/// message says "an expression" instead of listing every kind of operand.
fn expression_marker(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::expr
            | Rule::expr_nl
            | Rule::primary
            | Rule::prefix_op
            | Rule::op_not
            | Rule::op_neg
            | Rule::paren
            | Rule::list
            | Rule::call
            | Rule::hook_fn
            | Rule::path
            | Rule::literal
            | Rule::boolean
            | Rule::null
    )
}

/// Rules an expression can start with.
fn starts_expression(rule: Rule) -> bool {
    expression_marker(rule)
        || matches!(
            rule,
            Rule::ident | Rule::string | Rule::number | Rule::duration | Rule::date
        )
}

/// Whether a `"` at `at` opens a string that the line never closes.
fn unclosed_string(text: &str, at: usize) -> bool {
    let rest = &text[at..];
    let Some(after) = rest.strip_prefix('"') else {
        return false;
    };
    let line = &after[..after.find('\n').unwrap_or(after.len())];
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return false,
            _ => escaped = false,
        }
    }
    true
}

/// What stands at `at`, for "found ..." (and its byte length).
pub(super) fn found_at(text: &str, at: usize) -> (String, usize) {
    let rest = text.get(at..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return ("the end of the file".into(), 0);
    };
    if c == '\n' || c == '\r' {
        return ("the end of the line".into(), 0);
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '-')
        .collect();
    if word.is_empty() {
        (format!("`{c}`"), c.len_utf8())
    } else {
        let len = word.len();
        (format!("`{word}`"), len)
    }
}

/// The words an error message uses for a grammar rule; `None` for rules that
/// are never worth naming. Exhaustive, so a new rule forces its wording.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the file",
        Rule::WHITESPACE | Rule::COMMENT | Rule::comma => return None,
        Rule::nl => "the end of the line",
        Rule::top_item | Rule::top_line => "a block",
        Rule::body_open => "`{`",
        Rule::body_close => "`}`",
        Rule::settings => "`settings`",
        Rule::setting => "a setting",
        Rule::setting_value => "a value",
        Rule::calendar => "`calendar`",
        Rule::calendar_stmt => "`weekend` or `holidays`",
        Rule::weekend => "`weekend`",
        Rule::holidays => "`holidays`",
        Rule::field => "`field`",
        Rule::field_path => "a field such as `customer.segment`",
        Rule::field_type => "a field type (text, number, date, boolean)",
        Rule::status => "`status`",
        Rule::status_stmt => "a status statement",
        Rule::suspends => "`suspends`",
        Rule::excludes => "`excludes`",
        Rule::assign => "`assign`",
        Rule::hook => "`hook`",
        Rule::hashtag => "`hashtag`",
        Rule::hashtag_stmt => "`text` or `template`",
        Rule::hashtag_text => "`text`",
        Rule::hashtag_template => "`template`",
        Rule::scenario => "`scenario`",
        Rule::scenario_stmt => "a scenario statement",
        Rule::calendar_ref => "`calendar`",
        Rule::min_gap => "`min_gap`",
        Rule::max_age => "`max_age`",
        Rule::mode => "`mode`",
        Rule::step => "`step`",
        Rule::offset => "an offset such as `due + 7d`",
        Rule::sign => "`+` or `-`",
        Rule::step_stmt => "a step action",
        Rule::email => "`email`",
        Rule::attachments => "an attachment (statement, invoices, penalties)",
        Rule::letter => "`letter`",
        Rule::task => "`task`",
        Rule::escalate => "`escalate`",
        Rule::penalties => "`penalties`",
        Rule::notify => "`notify`",
        Rule::recipients | Rule::recipient => "a recipient (a role or an \"address\")",
        Rule::alert => "`alert`",
        Rule::alert_stmt => "an alert statement",
        Rule::when => "`when`",
        Rule::level => "`level`",
        Rule::escalation => "`escalation`",
        Rule::escalation_stmt => "an escalation statement",
        Rule::switch => "`switch`",
        Rule::label | Rule::status_label => "`label`",
        Rule::label_translation => "a language and its label (`fr \"Promesse de paiement\"`)",
        Rule::unknown_stmt | Rule::unknown_rest | Rule::raw_string => "a statement",
        Rule::expr | Rule::expr_nl | Rule::primary => "an expression",
        Rule::prefix_op | Rule::op_not | Rule::op_neg => "an expression",
        Rule::infix_op
        | Rule::op_or
        | Rule::op_and
        | Rule::op_in
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div => "an operator",
        Rule::paren => "`(`",
        Rule::list => "`[`",
        Rule::call => "a function call",
        Rule::hook_fn => "`hook.<function>`",
        Rule::path => "a field such as `item.amount`",
        Rule::literal => "a value",
        Rule::boolean => "`true` or `false`",
        Rule::null => "`null`",
        Rule::ident | Rule::ident_char => "a name",
        Rule::currency => "a currency code such as `USD`",
        Rule::string | Rule::string_inner => "a string",
        Rule::number => "a number",
        Rule::duration => "a duration such as `7d`",
        Rule::date => "a date such as `2026-11-22`",
        Rule::time => "a time such as `09:00`",
        Rule::time_range => "a time range such as `08:30..18:00`",
        Rule::kw_settings => "`settings`",
        Rule::kw_calendar => "`calendar`",
        Rule::kw_weekend => "`weekend`",
        Rule::kw_holidays => "`holidays`",
        Rule::kw_field => "`field`",
        Rule::kw_status => "`status`",
        Rule::kw_label => "`label`",
        Rule::kw_suspends => "`suspends`",
        Rule::kw_until => "`until`",
        Rule::kw_excludes => "`excludes`",
        Rule::kw_assign => "`assign`",
        Rule::kw_when => "`when`",
        Rule::kw_hook => "`hook`",
        Rule::kw_from => "`from`",
        Rule::kw_hashtag => "`hashtag`",
        Rule::kw_text => "`text`",
        Rule::kw_template => "`template`",
        Rule::kw_scenario => "`scenario`",
        Rule::kw_min_gap => "`min_gap`",
        Rule::kw_max_age => "`max_age`",
        Rule::kw_mode => "`mode`",
        Rule::kw_step => "`step`",
        Rule::kw_at => "`at`",
        Rule::kw_due => "`due`",
        Rule::kw_email => "`email`",
        Rule::kw_to => "`to`",
        Rule::kw_cc => "`cc`",
        Rule::kw_attach => "`attach`",
        Rule::kw_letter => "`letter`",
        Rule::kw_task => "`task`",
        Rule::kw_note => "`note`",
        Rule::kw_escalate => "`escalate`",
        Rule::kw_penalties => "`penalties`",
        Rule::kw_notify => "`notify`",
        Rule::kw_alert => "`alert`",
        Rule::kw_for => "`for`",
        Rule::kw_level => "`level`",
        Rule::kw_escalation => "`escalation`",
        Rule::kw_switch => "`switch`",
        Rule::keyword => "a keyword",
    })
}

pub(super) fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_settings
            | Rule::kw_calendar
            | Rule::kw_weekend
            | Rule::kw_holidays
            | Rule::kw_field
            | Rule::kw_status
            | Rule::kw_label
            | Rule::kw_suspends
            | Rule::kw_until
            | Rule::kw_excludes
            | Rule::kw_assign
            | Rule::kw_when
            | Rule::kw_hook
            | Rule::kw_from
            | Rule::kw_hashtag
            | Rule::kw_text
            | Rule::kw_template
            | Rule::kw_scenario
            | Rule::kw_min_gap
            | Rule::kw_max_age
            | Rule::kw_mode
            | Rule::kw_step
            | Rule::kw_at
            | Rule::kw_due
            | Rule::kw_email
            | Rule::kw_to
            | Rule::kw_cc
            | Rule::kw_attach
            | Rule::kw_letter
            | Rule::kw_task
            | Rule::kw_note
            | Rule::kw_escalate
            | Rule::kw_penalties
            | Rule::kw_notify
            | Rule::kw_alert
            | Rule::kw_for
            | Rule::kw_level
            | Rule::kw_escalation
            | Rule::kw_switch
    )
}
