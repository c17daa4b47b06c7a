//! From text to [`ast::File`]: the pest grammar (`grammar.pest`), error
//! recovery, and the conversion of pest pairs into the span-carrying AST.
//!
//! Parsing never fails: it returns the blocks it could read and a diagnostic
//! for each syntax error. The file is parsed one top-level block at a time;
//! after an error the parser resumes at the next line that starts a block, so
//! one typo does not hide the rest of the file.

use std::cell::RefCell;
use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveTime};
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span, Spanned};

#[derive(pest_derive::Parser)]
#[grammar = "grammar.pest"]
struct Grammar;

/// Keywords that start a top-level block or statement.
pub const TOP_LEVEL_KEYWORDS: &[&str] = &[
    "settings",
    "calendar",
    "field",
    "status",
    "assign",
    "hook",
    "hashtag",
    "scenario",
    "alert",
    "escalation",
];

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::infix(Rule::op_in, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
});

/// Parses one `.relance` file. Always returns a tree; syntax errors are diagnostics.
pub fn parse_file(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    let builder = Builder {
        file,
        base: 0,
        diags: RefCell::new(Vec::new()),
    };
    let mut items = Vec::new();
    // Statements nested too deep never reach pest, which would recurse once
    // per bracket: their blocks are refused whole (see `depth`).
    let deep = crate::depth::too_deep(text);
    builder
        .diags
        .borrow_mut()
        .extend(deep.iter().map(|&at| too_deep_diagnostic(file, text, at)));
    let mut deep_sites = deep.iter().copied().peekable();
    let mut offset = skip_trivia(text, 0);
    while offset < text.len() {
        while deep_sites.next_if(|&at| at < offset).is_some() {}
        let stop = deep_sites.peek().copied().unwrap_or(text.len());
        if stop < next_block_start(text, offset) {
            items.push(Item::Broken(broken_block(file, text, offset)));
            offset = skip_trivia(text, next_block_start(text, offset));
            continue;
        }
        let rest = &text[offset..stop];
        let b = Builder {
            base: offset,
            ..builder.fork()
        };
        match Grammar::parse(Rule::top_line, rest) {
            Ok(pairs) => {
                let mut end = offset;
                let mut block = Vec::new();
                for pair in pairs {
                    end = offset + pair.as_span().end();
                    if !matches!(pair.as_rule(), Rule::EOI | Rule::nl) {
                        block.push(b.item(pair));
                    }
                }
                if end >= stop && stop < text.len() {
                    // The block ran into a statement nested too deep.
                    items.push(Item::Broken(broken_block(file, text, offset)));
                    offset = skip_trivia(text, next_block_start(text, stop));
                    continue;
                }
                items.extend(block);
                builder.diags.borrow_mut().extend(b.diags.take());
                offset = skip_trivia(text, end.max(offset + 1));
            }
            Err(err) => {
                let error_at = offset + error_offset(&err.location);
                let resume = if error_at >= stop && stop < text.len() {
                    // Cut short at a statement nested too deep, already reported.
                    next_block_start(text, stop)
                } else {
                    builder.diags.borrow_mut().push(syntax_diagnostic(
                        file,
                        text,
                        error_at,
                        &err.variant,
                    ));
                    next_block_start(text, offset)
                };
                items.push(Item::Broken(broken_block(file, text, offset)));
                offset = skip_trivia(text, resume);
            }
        }
    }
    (File { items }, builder.diags.take())
}

/// The diagnostic for a statement that nests deeper than `depth::MAX_DEPTH`,
/// at the token where it does.
fn too_deep_diagnostic(file: FileId, text: &str, at: usize) -> Diagnostic {
    let end = at + found_at(text, at).1;
    Diagnostic::new(
        Code::TooDeep,
        Span::new(file, at, end),
        format!(
            "this expression nests deeper than {} levels",
            crate::depth::MAX_DEPTH
        ),
    )
    .with_help(
        "every operator and every bracket counts a level: write a long `or` of \
         comparisons as `x in [a, b, c]`, or move part of the condition into a hook",
    )
}

/// Parses a lone expression (used by tests and by tools that evaluate snippets).
pub fn parse_expr(file: FileId, text: &str) -> (Option<Expr>, Vec<Diagnostic>) {
    if let Some(&at) = crate::depth::too_deep(text).first() {
        return (None, vec![too_deep_diagnostic(file, text, at)]);
    }
    let b = Builder {
        file,
        base: 0,
        diags: RefCell::new(Vec::new()),
    };
    match Grammar::parse(Rule::expr_nl, text) {
        Ok(mut pairs) => {
            let pair = pairs.next();
            let end = pair.as_ref().map_or(0, |p| p.as_span().end());
            let expr = pair.map(|p| b.expr(p));
            let mut diags = b.diags.take();
            if skip_trivia(text, end) < text.len() {
                diags.push(syntax_diagnostic(
                    file,
                    text,
                    skip_trivia(text, end),
                    &ErrorVariant::CustomError {
                        message: "expected the end of the expression".into(),
                    },
                ));
            }
            (expr, diags)
        }
        Err(err) => {
            let at = error_offset(&err.location);
            (None, vec![syntax_diagnostic(file, text, at, &err.variant)])
        }
    }
}

fn error_offset(location: &InputLocation) -> usize {
    match location {
        InputLocation::Pos(p) => *p,
        InputLocation::Span((s, _)) => *s,
    }
}

/// Skips spaces, line breaks, continuation backslashes and comments.
fn skip_trivia(text: &str, mut i: usize) -> usize {
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'\\' if matches!(bytes.get(i + 1), Some(b'\n' | b'\r')) => i += 1,
            b'#' => i = line_end(text, i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => i = line_end(text, i),
            _ => break,
        }
    }
    i.min(text.len())
}

fn line_end(text: &str, i: usize) -> usize {
    text[i..].find('\n').map_or(text.len(), |n| i + n)
}

/// After a syntax error in the block starting at `from`: the next line (after
/// the first) that starts at column 0 with a top-level keyword.
fn next_block_start(text: &str, from: usize) -> usize {
    let mut i = line_end(text, from);
    while i < text.len() {
        let line_start = i + 1;
        if line_start >= text.len() {
            return text.len();
        }
        let line = &text[line_start..line_end(text, line_start)];
        if starts_with_top_keyword(line) {
            return line_start;
        }
        i = line_end(text, line_start);
    }
    text.len()
}

fn starts_with_top_keyword(line: &str) -> bool {
    let word: String = line
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    TOP_LEVEL_KEYWORDS.contains(&word.as_str())
}

/// Reads `keyword "name"` at the start of a block that failed to parse.
fn broken_block(file: FileId, text: &str, at: usize) -> Broken {
    let line = &text[at..line_end(text, at)];
    let keyword: String = line
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let after = &line[keyword.len()..];
    let trimmed = after.trim_start();
    let name = trimmed.strip_prefix('"').and_then(|rest| {
        let end = rest.find('"')?;
        let start = at + keyword.len() + (after.len() - trimmed.len());
        Some(Spanned::new(
            rest[..end].to_string(),
            Span::new(file, start, start + end + 2),
        ))
    });
    Broken { keyword, name }
}

fn syntax_diagnostic(
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
fn found_at(text: &str, at: usize) -> (String, usize) {
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

fn is_keyword(rule: Rule) -> bool {
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

/// Converts pairs of one top-level item into AST nodes.
struct Builder {
    /// The file being parsed.
    file: FileId,
    /// Offset of the parsed slice in the file (items are parsed one at a time).
    base: usize,
    /// Problems found in literals (bad dates, unknown escapes).
    diags: RefCell<Vec<Diagnostic>>,
}

/// The meaningful children of a pair: keywords, line ends and braces are dropped.
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| {
        let r = p.as_rule();
        !is_keyword(r) && !matches!(r, Rule::nl | Rule::body_open | Rule::body_close)
    })
}

impl Builder {
    fn fork(&self) -> Builder {
        Builder {
            file: self.file,
            base: self.base,
            diags: RefCell::new(Vec::new()),
        }
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    fn error(&self, code: Code, span: Span, message: String) {
        self.diags
            .borrow_mut()
            .push(Diagnostic::new(code, span, message));
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::string => Spanned::new(self.unescape(&pair), span),
            _ => Spanned::new(pair.as_str().to_string(), span),
        }
    }

    fn unescape(&self, pair: &Pair<'_, Rule>) -> String {
        let raw = pair.as_str();
        let inner = &raw[1..raw.len() - 1];
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                Some((_, other)) => {
                    let start = self.span(pair).start as usize + 1 + i;
                    self.error(
                        Code::InvalidValue,
                        Span::new(self.file, start, start + 1 + other.len_utf8()),
                        format!("unknown escape `\\{other}` in string (use \\\", \\\\ or \\n)"),
                    );
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        }
        out
    }

    fn item(&self, pair: Pair<'_, Rule>) -> Item {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::settings => Item::Settings(Settings {
                entries: children(pair).map(|p| self.setting(p)).collect(),
                span,
            }),
            Rule::calendar => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it.map(|p| self.calendar_stmt(p)).collect();
                Item::Calendar(Calendar { name, stmts, span })
            }
            Rule::field => {
                let mut it = children(pair);
                let path = next(&mut it);
                let mut parts = path.clone().into_inner();
                let target = self.name(next(&mut parts));
                let name = self.name(next(&mut parts));
                let ty = self.name(next(&mut it));
                Item::Field(Field {
                    target,
                    name,
                    ty,
                    span,
                })
            }
            Rule::status => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it
                    .map(|p| {
                        let s = self.span(&p);
                        match p.as_rule() {
                            Rule::status_label => {
                                let mut it = children(p);
                                let label = self.name(next(&mut it));
                                let translations = it
                                    .map(|t| {
                                        let mut parts = children(t);
                                        let language = self.name(next(&mut parts));
                                        let text = self.name(next(&mut parts));
                                        Translation { language, text }
                                    })
                                    .collect();
                                StatusStmt::Label(label, translations)
                            }
                            Rule::suspends => {
                                StatusStmt::Suspends(children(p).next().map(|e| self.expr(e)), s)
                            }
                            Rule::excludes => StatusStmt::Excludes(s),
                            _ => StatusStmt::Unknown(self.unknown(p)),
                        }
                    })
                    .collect();
                Item::Status(Status { name, stmts, span })
            }
            Rule::assign => {
                let mut it = children(pair);
                let scenario = self.name(next(&mut it));
                let when = self.expr(next(&mut it));
                Item::Assign(Assign {
                    scenario,
                    when,
                    span,
                })
            }
            Rule::hook => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let path = self.name(next(&mut it));
                Item::Hook(Hook { name, path, span })
            }
            Rule::hashtag => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it
                    .map(|p| match p.as_rule() {
                        Rule::hashtag_text => HashtagStmt::Text(self.name(only(p))),
                        Rule::hashtag_template => HashtagStmt::Template(self.name(only(p))),
                        _ => HashtagStmt::Unknown(self.unknown(p)),
                    })
                    .collect();
                Item::Hashtag(Hashtag { name, stmts, span })
            }
            Rule::scenario => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it.map(|p| self.scenario_stmt(p)).collect();
                Item::Scenario(Scenario { name, stmts, span })
            }
            Rule::alert => {
                let mut it = children(pair).peekable();
                let name = self.name(next(&mut it));
                let scope = it
                    .next_if(|p| p.as_rule() == Rule::ident)
                    .map(|p| self.name(p));
                let stmts = it
                    .map(|p| match p.as_rule() {
                        Rule::label => AlertStmt::Label(self.label(p)),
                        Rule::when => AlertStmt::When(self.expr(only(p))),
                        Rule::level => AlertStmt::Level(self.name(only(p))),
                        Rule::notify => AlertStmt::Notify(self.notify(p)),
                        _ => AlertStmt::Unknown(self.unknown(p)),
                    })
                    .collect();
                Item::Alert(Alert {
                    name,
                    scope,
                    stmts,
                    span,
                })
            }
            Rule::escalation => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it
                    .map(|p| match p.as_rule() {
                        Rule::label => EscalationStmt::Label(self.label(p)),
                        Rule::when => EscalationStmt::When(self.expr(only(p))),
                        Rule::switch => EscalationStmt::Switch(self.name(only(p))),
                        Rule::notify => EscalationStmt::Notify(self.notify(p)),
                        _ => EscalationStmt::Unknown(self.unknown(p)),
                    })
                    .collect();
                Item::Escalation(Escalation { name, stmts, span })
            }
            other => unreachable_rule(other),
        }
    }

    fn setting(&self, pair: Pair<'_, Rule>) -> Setting {
        let span = self.span(&pair);
        let mut it = children(pair);
        let key = self.name(next(&mut it));
        let values = it.map(|p| self.value(p)).collect();
        Setting { key, values, span }
    }

    fn calendar_stmt(&self, pair: Pair<'_, Rule>) -> CalendarStmt {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::weekend => {
                CalendarStmt::Weekend(children(pair).map(|p| self.name(p)).collect(), span)
            }
            Rule::holidays => {
                CalendarStmt::Holidays(children(pair).map(|p| self.value(p)).collect(), span)
            }
            _ => CalendarStmt::Unknown(self.unknown(pair)),
        }
    }

    fn scenario_stmt(&self, pair: Pair<'_, Rule>) -> ScenarioStmt {
        match pair.as_rule() {
            Rule::label => ScenarioStmt::Label(self.label(pair)),
            Rule::calendar_ref => ScenarioStmt::Calendar(self.name(only(pair))),
            Rule::min_gap => ScenarioStmt::MinGap(self.duration(only(pair))),
            Rule::max_age => ScenarioStmt::MaxAge(self.duration(only(pair))),
            Rule::mode => ScenarioStmt::Mode(self.name(only(pair))),
            Rule::step => ScenarioStmt::Step(self.step(pair)),
            _ => ScenarioStmt::Unknown(self.unknown(pair)),
        }
    }

    fn step(&self, pair: Pair<'_, Rule>) -> Step {
        let span = self.span(&pair);
        let mut it = children(pair).peekable();
        let name = self.name(next(&mut it));
        let offset = self.offset(next(&mut it));
        let when = it
            .next_if(|p| matches!(p.as_rule(), Rule::expr))
            .map(|p| self.expr(p));
        let stmts = it
            .map(|p| {
                let s = self.span(&p);
                match p.as_rule() {
                    Rule::email => StepStmt::Email(self.email(p)),
                    Rule::letter => StepStmt::Letter(self.name(only(p)), s),
                    Rule::task => StepStmt::Task(self.task(p)),
                    Rule::escalate => StepStmt::Escalate(self.name(only(p)), s),
                    Rule::penalties => StepStmt::Penalties(s),
                    Rule::notify => StepStmt::Notify(self.notify(p)),
                    Rule::mode => StepStmt::Mode(self.name(only(p))),
                    _ => StepStmt::Unknown(self.unknown(p)),
                }
            })
            .collect();
        Step {
            name,
            offset,
            when,
            stmts,
            span,
        }
    }

    fn offset(&self, pair: Pair<'_, Rule>) -> Spanned<Offset> {
        let span = self.span(&pair);
        let mut negative = false;
        let mut duration = None;
        for p in children(pair) {
            match p.as_rule() {
                Rule::sign => negative = p.as_str() == "-",
                _ => duration = Some(self.duration(p).node),
            }
        }
        Spanned::new(Offset { negative, duration }, span)
    }

    fn email(&self, pair: Pair<'_, Rule>) -> Email {
        let span = self.span(&pair);
        let mut it = children(pair);
        let template = self.name(next(&mut it));
        let to = self.recipients(next(&mut it));
        let mut cc = Vec::new();
        let mut attach = Vec::new();
        for p in it {
            match p.as_rule() {
                Rule::recipients => cc = self.recipients(p),
                _ => attach = children(p).map(|a| self.name(a)).collect(),
            }
        }
        Email {
            template,
            to,
            cc,
            attach,
            span,
        }
    }

    fn task(&self, pair: Pair<'_, Rule>) -> Task {
        let span = self.span(&pair);
        let mut it = children(pair);
        let kind = self.name(next(&mut it));
        let mut assign = None;
        let mut note = None;
        for p in it {
            match p.as_rule() {
                Rule::recipient => assign = Some(self.recipient(p)),
                _ => note = Some(self.name(p)),
            }
        }
        Task {
            kind,
            assign,
            note,
            span,
        }
    }

    fn notify(&self, pair: Pair<'_, Rule>) -> Notify {
        let span = self.span(&pair);
        let mut it = children(pair);
        let to = self.recipients(next(&mut it));
        let template = it.next().map(|p| self.name(p));
        Notify { to, template, span }
    }

    fn recipients(&self, pair: Pair<'_, Rule>) -> Vec<Recipient> {
        children(pair).map(|p| self.recipient(p)).collect()
    }

    fn recipient(&self, pair: Pair<'_, Rule>) -> Recipient {
        let inner = only(pair);
        match inner.as_rule() {
            Rule::string => Recipient::Address(self.name(inner)),
            _ => Recipient::Role(self.name(inner)),
        }
    }

    fn label(&self, pair: Pair<'_, Rule>) -> Spanned<String> {
        self.name(only(pair))
    }

    fn unknown(&self, pair: Pair<'_, Rule>) -> Unknown {
        let span = self.span(&pair);
        let keyword = self.name(only(pair));
        Unknown { keyword, span }
    }

    fn duration(&self, pair: Pair<'_, Rule>) -> Spanned<Duration> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let (digits, unit) = text.split_at(text.len() - 1);
        let unit = match unit {
            "h" => DurationUnit::Hours,
            "w" => DurationUnit::Weeks,
            _ => DurationUnit::Days,
        };
        let amount = digits.parse().unwrap_or_else(|_| {
            self.error(
                Code::InvalidValue,
                span,
                format!("duration `{text}` is too large"),
            );
            0
        });
        Spanned::new(Duration { amount, unit }, span)
    }

    fn value(&self, pair: Pair<'_, Rule>) -> Spanned<Value> {
        let span = self.span(&pair);
        let text = pair.as_str();
        let value = match pair.as_rule() {
            Rule::string => Value::String(self.unescape(&pair)),
            // Exact decimals: `0.1` is one tenth, not its nearest binary float.
            Rule::number => match text.parse::<rust_decimal::Decimal>() {
                Ok(n) => Value::Number(n),
                _ => {
                    self.error(
                        Code::InvalidValue,
                        span,
                        format!("`{text}` is too long a number (at most 28 digits)"),
                    );
                    Value::Invalid(text.into())
                }
            },
            Rule::duration => Value::Duration(self.duration(pair).node),
            Rule::date => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(d) => Value::Date(d),
                Err(_) => {
                    self.error(Code::InvalidValue, span, format!("`{text}` is not a date"));
                    Value::Invalid(text.into())
                }
            },
            Rule::time => match self.time(&pair) {
                Some(t) => Value::Time(t),
                None => Value::Invalid(text.into()),
            },
            Rule::time_range => {
                let mut it = pair.clone().into_inner();
                let a = self.time(&next(&mut it));
                let b = self.time(&next(&mut it));
                match (a, b) {
                    (Some(a), Some(b)) => Value::TimeRange(a, b),
                    _ => Value::Invalid(text.into()),
                }
            }
            Rule::currency => Value::Currency(text.into()),
            Rule::boolean => Value::Bool(text == "true"),
            Rule::null => Value::Null,
            _ => Value::Ident(text.into()),
        };
        Spanned::new(value, span)
    }

    fn time(&self, pair: &Pair<'_, Rule>) -> Option<NaiveTime> {
        let text = pair.as_str();
        let parsed = NaiveTime::parse_from_str(text, "%H:%M").ok();
        if parsed.is_none() {
            self.error(
                Code::InvalidValue,
                self.span(pair),
                format!("`{text}` is not a time of day (00:00 to 23:59)"),
            );
        }
        parsed
    }

    fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let span = self.span(&op).to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_not => UnaryOp::Not,
                    _ => UnaryOp::Neg,
                };
                Expr {
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                    span,
                }
            })
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_in => BinaryOp::In,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    _ => BinaryOp::Div,
                };
                Expr {
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    span,
                }
            })
            .parse(pair.into_inner().filter(|p| p.as_rule() != Rule::nl))
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => ExprKind::Paren(Box::new(self.expr(only(pair)))),
            Rule::list => ExprKind::List(children(pair).map(|p| self.expr(p)).collect()),
            Rule::call => {
                let mut it = children(pair);
                let head = next(&mut it);
                let args = it.map(|p| self.expr(p)).collect();
                if head.as_rule() == Rule::hook_fn {
                    ExprKind::HookCall(self.name(only(head)), args)
                } else {
                    ExprKind::Call(self.name(head), args)
                }
            }
            Rule::path => ExprKind::Path(pair.into_inner().map(|p| self.name(p)).collect()),
            Rule::ident => ExprKind::Var(self.name(pair)),
            _ => ExprKind::Literal(self.value(pair).node),
        };
        Expr { kind, span }
    }
}

/// The next pair; the grammar guarantees it exists wherever this is called.
fn next<'i>(it: &mut impl Iterator<Item = Pair<'i, Rule>>) -> Pair<'i, Rule> {
    it.next()
        .unwrap_or_else(|| unreachable!("the grammar guarantees this child"))
}

/// The single meaningful child of a pair.
fn only(pair: Pair<'_, Rule>) -> Pair<'_, Rule> {
    next(&mut children(pair))
}

fn unreachable_rule(rule: Rule) -> ! {
    unreachable!("top_item only yields block rules, got {rule:?}")
}
