//! The `Printer`: it collects output lines while the items are walked,
//! prints rows with their columns aligned (within runs of one kind not
//! separated by a blank line), nests block bodies, wraps long lists, and
//! renders the lines with trailing comments aligned.

use super::comments::Comment;
use super::{INDENT, MAX_WIDTH};
use crate::source::Span;

/// One output line.
pub(super) struct Line {
    /// Leading spaces.
    pub(super) indent: usize,
    /// The code (or an own-line comment); empty for a blank line.
    pub(super) code: String,
    /// A comment at the end of the line.
    pub(super) comment: Option<String>,
}

/// A statement about to be printed: its text split in aligned columns.
pub(super) struct Row {
    /// Aligned columns (`label`, `"x"`); the last one is not padded.
    pub(super) cols: Vec<String>,
    /// Lines after the first (block bodies), already indented relative to the row.
    pub(super) tail: Vec<Line>,
    /// Where the statement is in the source.
    pub(super) span: (usize, usize),
    /// Rows of one kind align with each other.
    pub(super) kind: &'static str,
    /// A body printed only when the row is (a multi-line step's actions, with
    /// their spans): building it earlier would take comments that belong to
    /// the rows before it.
    pub(super) later: Option<(Span, Vec<(String, Span)>)>,
}

pub(super) struct Printer<'t> {
    pub(super) text: &'t str,
    pub(super) comments: Vec<Comment>,
    pub(super) next_comment: usize,
    pub(super) out: Vec<Line>,
    /// End of the last thing printed from the source.
    pub(super) prev_end: usize,
}

impl Printer<'_> {
    pub(super) fn render(self) -> String {
        let mut s = String::with_capacity(self.text.len());
        let lines = &self.out;
        // Trailing comments align within a group of consecutive lines of one indent.
        let mut i = 0;
        while i < lines.len() {
            let mut j = i;
            while j < lines.len() && !lines[j].code.is_empty() && lines[j].indent == lines[i].indent
            {
                j += 1;
            }
            let j = j.max(i + 1);
            let width = lines[i..j]
                .iter()
                .filter(|l| l.comment.is_some())
                .map(|l| l.code.chars().count())
                .max()
                .unwrap_or(0);
            for l in &lines[i..j] {
                if l.code.is_empty() && l.comment.is_none() {
                    s.push('\n');
                    continue;
                }
                s.push_str(&" ".repeat(l.indent));
                s.push_str(&l.code);
                if let Some(c) = &l.comment {
                    let pad = width - l.code.chars().count() + 2;
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                }
                s.push('\n');
            }
            i = j;
        }
        while s.ends_with("\n\n") {
            s.pop();
        }
        if s.trim().is_empty() {
            return String::new();
        }
        s
    }

    pub(super) fn blank(&mut self) {
        if self
            .out
            .last()
            .is_some_and(|l| !l.code.is_empty() && !l.code.ends_with('{'))
        {
            self.out.push(Line {
                indent: 0,
                code: String::new(),
                comment: None,
            });
        }
    }

    /// Prints rows at an indent, aligning the columns of rows of one kind
    /// that are not separated by blank lines.
    pub(super) fn rows(&mut self, rows: Vec<Row>, indent: usize) {
        // Compute runs first, from the source's blank lines.
        let mut widths: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
        let mut start = 0;
        while start < rows.len() {
            let mut end = start + 1;
            while end < rows.len()
                && rows[end].kind == rows[start].kind
                && !has_blank_line(
                    &self.text[rows[end - 1].span.1.min(rows[end].span.0)..rows[end].span.0],
                )
            {
                end += 1;
            }
            let ncols = rows[start..end]
                .iter()
                .map(|r| r.cols.len())
                .max()
                .unwrap_or(0);
            let mut w = vec![0; ncols];
            for r in &rows[start..end] {
                // The first column always counts: `excludes` widens `label`.
                let counted = r.cols.len().saturating_sub(1).max(1);
                for (k, c) in r.cols.iter().enumerate().take(counted) {
                    w[k] = w[k].max(c.chars().count());
                }
            }
            for wi in widths.iter_mut().take(end).skip(start) {
                *wi = w.clone();
            }
            start = end;
        }
        for (row, w) in rows.into_iter().zip(widths) {
            self.flush_comments(row.span.0, indent);
            if self.blank_before(row.span.0) {
                self.blank();
            }
            let mut code = String::new();
            let last = row.cols.len().saturating_sub(1);
            for (k, c) in row.cols.iter().enumerate() {
                if k > 0 {
                    code.push(' ');
                }
                code.push_str(c);
                if k < last {
                    let pad = w
                        .get(k)
                        .copied()
                        .unwrap_or(0)
                        .saturating_sub(c.chars().count());
                    code.push_str(&" ".repeat(pad));
                }
            }
            let code = code.trim_end().to_string();
            // A wrapped list: continuation lines align under its first value.
            let mut parts = code.split('\n');
            let first = parts.next().unwrap_or("").to_string();
            let continuation: Vec<String> = parts.map(str::to_string).collect();
            let code = if continuation.is_empty() {
                code
            } else {
                self.out.push(Line {
                    indent,
                    code: first.clone(),
                    comment: None,
                });
                let value_col = first.find(' ').map_or(0, |k| {
                    k + first[k..].chars().take_while(|c| *c == ' ').count()
                });
                let last = continuation.len() - 1;
                for (k, c) in continuation.into_iter().enumerate() {
                    if k < last {
                        self.out.push(Line {
                            indent: indent + value_col,
                            code: c,
                            comment: None,
                        });
                    } else {
                        // The last line is pushed below with the trailing comment.
                        self.prev_end = row.span.1;
                        let comment = self.trailing_comment(row.span.1);
                        self.out.push(Line {
                            indent: indent + value_col,
                            code: c,
                            comment,
                        });
                    }
                }
                continue;
            };
            if let Some((span, actions)) = row.later {
                self.out.push(Line {
                    indent,
                    code,
                    comment: None,
                });
                let tail = self.body(span, |p| {
                    actions
                        .into_iter()
                        .map(|(text, sp)| p.row(vec![text], sp, "action"))
                        .collect()
                });
                for mut l in tail {
                    l.indent += indent;
                    self.out.push(l);
                }
                self.prev_end = row.span.1;
                let comment = self.trailing_comment(row.span.1);
                if let Some(last) = self.out.last_mut() {
                    last.comment = comment;
                }
            } else if row.tail.is_empty() {
                self.prev_end = row.span.1;
                let comment = self.trailing_comment(row.span.1);
                self.out.push(Line {
                    indent,
                    code,
                    comment,
                });
            } else {
                self.out.push(Line {
                    indent,
                    code,
                    comment: None,
                });
                for mut l in row.tail {
                    l.indent += indent;
                    self.out.push(l);
                }
                self.prev_end = row.span.1;
                let comment = self.trailing_comment(row.span.1);
                if let Some(last) = self.out.last_mut() {
                    last.comment = comment;
                }
            }
        }
    }

    /// Prints a block body: `{`, rows built by `build` with the printer, `}`.
    /// Returns the lines after the header line.
    pub(super) fn body(
        &mut self,
        span: Span,
        build: impl FnOnce(&mut Self) -> Vec<Row>,
    ) -> Vec<Line> {
        let saved = std::mem::take(&mut self.out);
        // Comments on the header line after `{` become the body's first lines.
        self.prev_end = self.text[..span.end as usize]
            .get(span.start as usize..)
            .and_then(|t| t.find('{'))
            .map_or(span.start as usize, |n| span.start as usize + n + 1);
        let rows = build(self);
        self.rows(rows, INDENT);
        self.flush_comments(span.end as usize, INDENT);
        let mut lines = std::mem::replace(&mut self.out, saved);
        while lines.last().is_some_and(|l| l.code.is_empty()) {
            lines.pop();
        }
        lines.push(Line {
            indent: 0,
            code: "}".into(),
            comment: None,
        });
        lines
    }
}

/// Joins a list with `, `, breaking lines (with `\n`) so that none passes
/// [`MAX_WIDTH`] when it starts at column `start`.
pub(super) fn wrap_list(items: &[String], start: usize) -> String {
    let mut out = String::new();
    let mut width = start;
    for (k, item) in items.iter().enumerate() {
        if k > 0 {
            if width + 2 + item.len() + 1 > MAX_WIDTH {
                out.push_str(",\n");
                width = start;
            } else {
                out.push_str(", ");
                width += 2;
            }
        }
        out.push_str(item);
        width += item.len();
    }
    out
}

/// A top-level block: its header line, then its body's lines.
pub(super) fn block(header: String, tail: Vec<Line>, span: (usize, usize)) -> Row {
    Row {
        cols: vec![header],
        tail,
        span,
        kind: "block",
        later: None,
    }
}

fn has_blank_line(gap: &str) -> bool {
    let lines: Vec<&str> = gap.split('\n').collect();
    lines.len() > 2
        && lines[1..lines.len() - 1]
            .iter()
            .any(|l| l.trim().is_empty())
}
