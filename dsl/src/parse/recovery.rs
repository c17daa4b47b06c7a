//! Recovery from syntax errors: the parser reads one top-level block at a
//! time, and after an error resumes at the next line that starts with a
//! block keyword at column 0. A block that failed still gives its keyword and
//! name, so references to it add no noise.

use super::TOP_LEVEL_KEYWORDS;
use crate::ast::Broken;
use crate::source::{FileId, Span, Spanned};

/// Skips spaces, line breaks, continuation backslashes and comments.
pub(super) fn skip_trivia(text: &str, mut i: usize) -> usize {
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
pub(super) fn next_block_start(text: &str, from: usize) -> usize {
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
pub(super) fn broken_block(file: FileId, text: &str, at: usize) -> Broken {
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
