//! The meaning of a file, to compare two files regardless of layout: what
//! the formatter must never change.

use crate::ast::Item;
use crate::parse::parse_file;
use crate::source::FileId;

/// What a file says, without where it says it: its syntax tree with every span
/// removed, and the problems the parser found in its literals, as text. Two
/// files with the same meaning give the same string; `None` when the file has
/// syntax errors or a block that could not be read.
pub fn meaning(text: &str) -> Option<String> {
    let (file, diags) = parse_file(FileId(0), text);
    if diags
        .iter()
        .any(|d| matches!(d.code, crate::Code::Syntax | crate::Code::TooDeep))
        || file.items.iter().any(|i| matches!(i, Item::Broken(_)))
    {
        return None;
    }
    let problems: Vec<(&str, &str)> = diags
        .iter()
        .map(|d| (d.code.as_str(), d.message.as_str()))
        .collect();
    let debug = format!("{:?} {problems:?}", file.items);
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug.as_str();
    while let Some(at) = rest.find("Span { ") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(" }").map_or(rest.len(), |n| at + n + 2);
        rest = &rest[end..];
    }
    out.push_str(rest);
    Some(out)
}
