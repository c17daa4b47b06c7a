//! The nesting bound. pest's parser recurses once per bracket, the Pratt
//! parser once per prefix operator, and the checker, `rules::eval`, `fmt` and
//! `fmt::meaning` walk the tree recursively: a deep expression would overflow
//! the stack of any of them. [`too_deep`] reads the text once, with no
//! recursion, before anything is parsed, and finds each statement whose
//! expression could nest deeper than [`MAX_DEPTH`]; the parser refuses that
//! statement's block with a diagnostic, so every tree it builds is at most
//! [`MAX_DEPTH`] deep.
//!
//! The count is an upper bound of the tree's depth: within one element (a
//! statement, a list element, a call argument, a parenthesised expression)
//! every operator counts one level and the deepest bracket it holds counts
//! its own depth, plus one. An expression with at most `MAX_DEPTH - 1`
//! operators and brackets in all is therefore always accepted.

use crate::parse::TOP_LEVEL_KEYWORDS;

/// The deepest an expression may nest (docs/configuration.md).
pub const MAX_DEPTH: usize = 128;

/// One open bracket (or the statement itself, at the bottom of the stack).
#[derive(Default)]
struct Level {
    /// Operators in the current element at this level.
    ops: usize,
    /// Depth of the deepest closed bracket in the current element.
    child: usize,
    /// Depth of the deepest finished element of this bracket.
    done: usize,
}

impl Level {
    /// An upper bound of the current element's depth.
    fn element(&self) -> usize {
        self.ops + self.child + 1
    }
}

/// Byte offsets where a statement first nests deeper than [`MAX_DEPTH`], one
/// per statement, in file order.
pub fn too_deep(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut levels = vec![Level::default()];
    let mut reported = false;
    let mut i = 0;
    while i < bytes.len() {
        let at = i;
        let c = bytes[i];
        let mut op = false;
        match c {
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n') {
                    i += if bytes[i] == b'\\' && bytes.get(i + 1) != Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                }
                if bytes.get(i) == Some(&b'"') {
                    i += 1;
                }
                continue;
            }
            b'#' => {
                i = line_end(bytes, i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = line_end(bytes, i);
                continue;
            }
            b'\\' if matches!(bytes.get(i + 1), Some(b'\n' | b'\r')) => {
                // A continued line: the statement goes on.
                i += if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') {
                    3
                } else {
                    2
                };
                continue;
            }
            b'\n' => {
                i += 1;
                if levels.len() == 1 {
                    levels[0] = Level::default();
                    reported = false;
                }
                if starts_with_top_keyword(&bytes[i..]) {
                    // The parser starts a new block here whatever came before.
                    levels.truncate(1);
                    levels[0] = Level::default();
                    reported = false;
                }
                continue;
            }
            b'{' | b'}' => {
                i += 1;
                if levels.len() == 1 {
                    levels[0] = Level::default();
                    reported = false;
                }
                continue;
            }
            b'(' | b'[' => {
                levels.push(Level::default());
                i += 1;
            }
            b')' | b']' => {
                i += 1;
                if levels.len() > 1
                    && let Some(closed) = levels.pop()
                {
                    let depth = 1 + closed.done.max(closed.element());
                    if let Some(parent) = levels.last_mut() {
                        parent.child = parent.child.max(depth);
                    }
                }
            }
            b',' => {
                i += 1;
                if let Some(level) = levels.last_mut() {
                    level.done = level.done.max(level.element());
                    level.ops = 0;
                    level.child = 0;
                }
                continue;
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = bytes.get(i + 1) == Some(&b'=');
                i += if two { 2 } else { 1 };
                op = two || matches!(c, b'<' | b'>');
            }
            b'+' | b'-' | b'*' | b'/' => {
                i += 1;
                op = true;
            }
            b'0'..=b'9' => {
                i = if is_date(&bytes[i..]) {
                    i + 10
                } else {
                    word_end(bytes, i, true)
                };
                continue;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                i = word_end(bytes, i, false);
                op = matches!(&bytes[at..i], b"and" | b"or" | b"not" | b"in");
            }
            _ => {
                i += 1;
                continue;
            }
        }
        if op && let Some(level) = levels.last_mut() {
            level.ops += 1;
        }
        if !reported && estimate(&levels) > MAX_DEPTH {
            found.push(at);
            reported = true;
        }
    }
    found
}

/// An upper bound of the depth of the tree being read, from the root of the
/// statement down to the current token.
fn estimate(levels: &[Level]) -> usize {
    levels
        .iter()
        .fold(0usize, |sum, l| sum.saturating_add(l.element()))
}

fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |n| i + n)
}

/// The end of a name or keyword (`numeric`: of a number, duration or time,
/// which may hold `.` and `:`).
fn word_end(bytes: &[u8], mut i: usize, numeric: bool) -> usize {
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric()
            || bytes[i] == b'_'
            || numeric && matches!(bytes[i], b'.' | b':'))
    {
        i += 1;
    }
    i
}

/// `YYYY-MM-DD` at the start of `bytes`: its `-` are no operators.
fn is_date(bytes: &[u8]) -> bool {
    bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(k, b)| match k {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

fn starts_with_top_keyword(bytes: &[u8]) -> bool {
    let end = bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .unwrap_or(bytes.len());
    std::str::from_utf8(&bytes[..end]).is_ok_and(|w| TOP_LEVEL_KEYWORDS.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_statements_are_far_from_the_bound() {
        let text = "holidays 2026-01-01, 2026-05-01, 2026-12-25\n\
                    assign \"x\" when customer.segment in [\"a\", \"b\"] and not (account.total > 10 - 2 * 3)\n";
        assert!(too_deep(text).is_empty());
        let list = format!("x in [{}]", vec!["1 + 2"; 5000].join(", "));
        assert!(too_deep(&list).is_empty(), "list elements count apart");
    }

    #[test]
    fn deep_brackets_chains_and_prefixes_are_found_once_per_statement() {
        let n = MAX_DEPTH + 1;
        for text in [
            format!("when {}1{}", "(".repeat(n), ")".repeat(n)),
            format!("when {}1{}", "[".repeat(n), "]".repeat(n)),
            format!("when {}", vec!["true"; n + 1].join(" and ")),
            format!("when {}true", "not ".repeat(n)),
            format!("when {}1", "- ".repeat(n)),
            format!("when {}1{}", "f(".repeat(n), ")".repeat(n)),
        ] {
            let found = too_deep(&format!("{text}\n{text}\n"));
            assert_eq!(found.len(), 2, "{}", &text[..40]);
            assert!(found[0] < text.len() && found[1] > text.len());
        }
    }

    #[test]
    fn the_bound_is_exact_for_a_flat_chain() {
        let at = |terms: usize| too_deep(&vec!["a"; terms].join(" or "));
        assert!(at(MAX_DEPTH).is_empty());
        assert_eq!(at(MAX_DEPTH + 1).len(), 1);
    }

    #[test]
    fn strings_and_comments_hold_no_brackets() {
        let deep = "(".repeat(MAX_DEPTH * 2);
        let text = format!("label \"{deep}\" # {deep}\n// {deep}\nx \"\\\"{deep}\"");
        assert!(too_deep(&text).is_empty());
    }
}
