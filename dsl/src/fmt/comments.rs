//! Comments: the tree has none, so they are found by a scan of the text and
//! put back while printing, before the statement they preceded (own-line
//! comments, with the blank lines around them) or at the end of the line
//! they ended (trailing comments).

use super::printer::{Line, Printer};

/// A comment in the source.
pub(super) struct Comment {
    pub(super) start: usize,
    pub(super) end: usize,
    /// Whether only spaces precede it on its line.
    pub(super) own_line: bool,
}

/// Finds every comment: `#` or `//` outside a string, to the end of the line.
pub(super) fn comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_string = false;
    let mut line_start = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b'#' || (b == b'/' && bytes.get(i + 1) == Some(&b'/')) {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            let own_line = text[line_start..i].trim().is_empty();
            out.push(Comment {
                start: i,
                end,
                own_line,
            });
            i = end;
            continue;
        }
        if b == b'\n' {
            line_start = i + 1;
        }
        i += 1;
    }
    out
}

impl Printer<'_> {
    /// Whether the source has a blank line between `prev_end` and `start`.
    pub(super) fn blank_before(&self, start: usize) -> bool {
        let gap = &self.text[self.prev_end.min(start)..start];
        gap.split('\n')
            .skip(1)
            .collect::<Vec<_>>()
            .split_last()
            .is_some_and(|(_, middle)| middle.iter().any(|l| l.trim().is_empty()))
    }

    /// Prints the comments that come before `until`, as own lines.
    pub(super) fn flush_comments(&mut self, until: usize, indent: usize) {
        while let Some(&Comment { start, end, .. }) = self.comments.get(self.next_comment) {
            if start >= until {
                break;
            }
            if self.blank_before(start) {
                self.blank();
            }
            let code = self.text[start..end].trim_end().to_string();
            self.out.push(Line {
                indent,
                code,
                comment: None,
            });
            self.prev_end = end;
            self.next_comment += 1;
        }
    }

    /// The comment ending the source line on which `end` is, if any. A
    /// comment after a closing `}` belongs to the block, not to its last
    /// statement (`step … { email … }  # x` written as a block keeps `# x`
    /// after the `}`; found by the fuzzer).
    pub(super) fn trailing_comment(&mut self, end: usize) -> Option<String> {
        let c = self.comments.get(self.next_comment)?;
        if c.own_line || c.start < end || self.text[end..c.start].contains(['\n', '}']) {
            return None;
        }
        self.next_comment += 1;
        self.prev_end = c.end;
        Some(self.text[c.start..c.end].trim_end().to_string())
    }

    /// Whether a comment lies inside a span (a block cannot then be inlined).
    pub(super) fn has_comment_in(&self, start: usize, end: usize) -> bool {
        self.comments[self.next_comment..]
            .iter()
            .any(|c| c.start > start && c.start < end)
    }
}
