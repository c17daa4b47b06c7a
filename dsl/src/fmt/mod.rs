//! `relance fmt`: the canonical layout of a `.relance` file.
//!
//! The file is printed from its syntax tree, so the layout is canonical:
//! two-space indentation, one statement per line, values aligned in a column
//! within a block (and step names and offsets aligned within a scenario),
//! one-action steps and one-line hashtags written inline. Comments are found
//! by a scan of the text and put back before the statement they preceded, or
//! at the end of the line they ended; blank lines between statements are kept
//! (at most one). Formatting is idempotent and never changes the meaning:
//! `parse(format(x)) == parse(x)`, which the tests check.
//!
//! - this module: [`format_file`], the entry point, and its guard.
//! - `meaning`: [`meaning()`], a file's content without its layout.
//! - `comments`: the comment scan, and where each comment goes back.
//! - `printer`: the `Printer`, its rows aligned in columns, block bodies,
//!   and the final text.
//! - `items`: each block and statement as rows.
//! - `expr`: values and expressions as written canonically ([`expr()`],
//!   [`value`], [`quote`]).

mod comments;
mod expr;
mod items;
mod meaning;
mod printer;

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::parse::parse_file;
use crate::source::FileId;
use comments::comments;
use printer::Printer;

pub use expr::{expr, quote, value};
pub use meaning::meaning;

/// Lines longer than this are broken (lists) or written as blocks (steps).
const MAX_WIDTH: usize = 100;
const INDENT: usize = 2;

/// Formats one file. A file with syntax errors is not formatted: its
/// diagnostics are returned instead.
pub fn format_file(text: &str) -> Result<String, Vec<Diagnostic>> {
    let (file, diags) = parse_file(FileId(0), text);
    if diags.iter().any(|d| d.code == crate::Code::Syntax)
        || file.items.iter().any(|i| matches!(i, Item::Broken(_)))
        || diags.iter().any(|d| unknown_escape(text, d))
    {
        return Err(diags);
    }
    let mut p = Printer {
        text,
        comments: comments(text),
        next_comment: 0,
        out: Vec::new(),
        prev_end: 0,
    };
    p.items(&file.items);
    p.flush_comments(text.len(), 0);
    let out = p.render();
    // A guard against formatter bugs: never hand back a file that says
    // something else.
    if meaning(&out).as_deref() != meaning(text).as_deref() {
        return Err(vec![Diagnostic::global(
            crate::Code::Syntax,
            "internal error: formatting would change the meaning of this file; it was left as it is",
        )]);
    }
    Ok(out)
}

/// An unknown escape in a string (`"\a"`): the string's value keeps the
/// backslash, which `quote` would double, so such a file is not formatted
/// until the escape is fixed (found by the fuzzer, tests/fuzz.rs).
fn unknown_escape(text: &str, d: &Diagnostic) -> bool {
    d.code == crate::Code::InvalidValue
        && d.span
            .is_some_and(|s| text.as_bytes().get(s.start as usize) == Some(&b'\\'))
}
