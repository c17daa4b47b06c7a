//! From text to [`ast::File`](File): the pest grammar (`grammar.pest`), error
//! recovery, and the conversion of pest pairs into the span-carrying AST.
//!
//! Parsing never fails: it returns the blocks it could read and a diagnostic
//! for each syntax error. The file is parsed one top-level block at a time;
//! after an error the parser resumes at the next line that starts a block, so
//! one typo does not hide the rest of the file.
//!
//! - this module: the entry points, and the `Builder` that turns the pairs of
//!   one top-level block into AST nodes, a span on each.
//! - `recovery`: where to resume after a syntax error, and what a broken
//!   block's first line still says (`Item::Broken`).
//! - `describe`: syntax errors in words; every grammar rule named, exhaustively.
//! - `blocks`: blocks and their statements.
//! - `expr`: expressions, with the Pratt parser for operator precedence.
//! - `literals`: names, strings (escapes), numbers, durations, dates, times.

mod blocks;
mod describe;
mod expr;
mod literals;
mod recovery;

use std::cell::RefCell;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};
use describe::{found_at, is_keyword, syntax_diagnostic};
use recovery::{broken_block, next_block_start, skip_trivia};

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
