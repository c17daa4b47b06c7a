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

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::parse::parse_file;
use crate::source::{FileId, Span, Spanned};

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

/// A comment in the source.
struct Comment {
    start: usize,
    end: usize,
    /// Whether only spaces precede it on its line.
    own_line: bool,
}

/// Finds every comment: `#` or `//` outside a string, to the end of the line.
fn comments(text: &str) -> Vec<Comment> {
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

/// One output line.
struct Line {
    /// Leading spaces.
    indent: usize,
    /// The code (or an own-line comment); empty for a blank line.
    code: String,
    /// A comment at the end of the line.
    comment: Option<String>,
}

/// A statement about to be printed: its text split in aligned columns.
struct Row {
    /// Aligned columns (`label`, `"x"`); the last one is not padded.
    cols: Vec<String>,
    /// Lines after the first (block bodies), already indented relative to the row.
    tail: Vec<Line>,
    /// Where the statement is in the source.
    span: (usize, usize),
    /// Rows of one kind align with each other.
    kind: &'static str,
    /// A body printed only when the row is (a multi-line step's actions, with
    /// their spans): building it earlier would take comments that belong to
    /// the rows before it.
    later: Option<(Span, Vec<(String, Span)>)>,
}

struct Printer<'t> {
    text: &'t str,
    comments: Vec<Comment>,
    next_comment: usize,
    out: Vec<Line>,
    /// End of the last thing printed from the source.
    prev_end: usize,
}

impl Printer<'_> {
    fn render(self) -> String {
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

    fn blank(&mut self) {
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

    /// Whether the source has a blank line between `prev_end` and `start`.
    fn blank_before(&self, start: usize) -> bool {
        let gap = &self.text[self.prev_end.min(start)..start];
        gap.split('\n')
            .skip(1)
            .collect::<Vec<_>>()
            .split_last()
            .is_some_and(|(_, middle)| middle.iter().any(|l| l.trim().is_empty()))
    }

    /// Prints the comments that come before `until`, as own lines.
    fn flush_comments(&mut self, until: usize, indent: usize) {
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
    fn trailing_comment(&mut self, end: usize) -> Option<String> {
        let c = self.comments.get(self.next_comment)?;
        if c.own_line || c.start < end || self.text[end..c.start].contains(['\n', '}']) {
            return None;
        }
        self.next_comment += 1;
        self.prev_end = c.end;
        Some(self.text[c.start..c.end].trim_end().to_string())
    }

    /// Whether a comment lies inside a span (a block cannot then be inlined).
    fn has_comment_in(&self, start: usize, end: usize) -> bool {
        self.comments[self.next_comment..]
            .iter()
            .any(|c| c.start > start && c.start < end)
    }

    /// Prints rows at an indent, aligning the columns of rows of one kind
    /// that are not separated by blank lines.
    fn rows(&mut self, rows: Vec<Row>, indent: usize) {
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
    fn body(&mut self, span: Span, build: impl FnOnce(&mut Self) -> Vec<Row>) -> Vec<Line> {
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

    fn items(&mut self, items: &[Item]) {
        // One-line items are printed in batches so that their columns align;
        // blocks are printed one by one, after the rows and comments before
        // them (a block's body takes the comments inside it).
        let mut pending: Vec<Row> = Vec::new();
        let mut previous_block = false;
        for item in items {
            let start = item_span(item).0;
            let block = self.is_block(item);
            let comment_before = self
                .comments
                .get(self.next_comment)
                .is_some_and(|c| c.own_line && c.start < start);
            if block || previous_block || comment_before {
                self.rows(std::mem::take(&mut pending), 0);
                if (block || previous_block) && !self.out.is_empty() {
                    self.blank();
                }
                self.flush_comments(start, 0);
            }
            let row = self.item(item);
            if block {
                self.rows(vec![row], 0);
            } else {
                pending.push(row);
            }
            previous_block = block;
        }
        self.rows(pending, 0);
    }

    /// Whether an item prints as a multi-line block.
    fn is_block(&self, item: &Item) -> bool {
        match item {
            Item::Field(_) | Item::Assign(_) | Item::Hook(_) | Item::Broken(_) => false,
            Item::Hashtag(h) => self.hashtag_inline(h).is_none(),
            _ => true,
        }
    }

    /// A hashtag's one-line form, when it has one (a single statement, no
    /// comment inside, not too long).
    fn hashtag_inline(&self, h: &Hashtag) -> Option<(String, String)> {
        let stmts: Vec<String> = h
            .stmts
            .iter()
            .map(|s| match s {
                HashtagStmt::Text(t) => format!("text {}", quote(&t.node)),
                HashtagStmt::Template(t) => format!("template {}", quote(&t.node)),
                HashtagStmt::Unknown(u) => self.text[u.span.range()].trim().to_string(),
            })
            .collect();
        let head = format!("hashtag {}", quote(&h.name.node));
        let inline = format!("{{ {} }}", stmts.join(""));
        (stmts.len() == 1
            && !self.has_comment_in(h.span.start as usize, h.span.end as usize)
            && head.len() + inline.len() < MAX_WIDTH)
            .then_some((head, inline))
    }

    fn item(&mut self, item: &Item) -> Row {
        let span = item_span(item);
        match item {
            Item::Settings(s) => {
                let tail = self.body(s.span, |p| {
                    s.entries
                        .iter()
                        .map(|e| {
                            let values: Vec<String> =
                                e.values.iter().map(|v| value(&v.node)).collect();
                            p.row(
                                vec![e.key.node.clone(), values.join(" ")],
                                e.span,
                                "setting",
                            )
                        })
                        .collect()
                });
                block("settings {".into(), tail, span)
            }
            Item::Calendar(c) => {
                let tail = self.body(c.span, |p| {
                    c.stmts
                        .iter()
                        .map(|s| match s {
                            CalendarStmt::Weekend(days, sp) => {
                                let list: Vec<String> =
                                    days.iter().map(|d| d.node.clone()).collect();
                                p.row(vec!["weekend".into(), list.join(", ")], *sp, "kv")
                            }
                            CalendarStmt::Holidays(dates, sp) => {
                                let list: Vec<String> =
                                    dates.iter().map(|d| value(&d.node)).collect();
                                p.row(
                                    vec!["holidays".into(), wrap_list(&list, INDENT + 9)],
                                    *sp,
                                    "kv",
                                )
                            }
                            CalendarStmt::Unknown(u) => p.verbatim(u),
                        })
                        .collect()
                });
                block(format!("calendar {} {{", quote(&c.name.node)), tail, span)
            }
            Item::Field(f) => Row {
                cols: vec![
                    format!("field {}.{}", f.target.node, f.name.node),
                    f.ty.node.clone(),
                ],
                tail: Vec::new(),
                span,
                kind: "field",
                later: None,
            },
            Item::Status(s) => {
                let tail = self.body(s.span, |p| {
                    s.stmts
                        .iter()
                        .map(|st| match st {
                            StatusStmt::Label(l, translations) => {
                                let mut text = quote(&l.node);
                                for t in translations {
                                    text.push(' ');
                                    text.push_str(&t.language.node);
                                    text.push(' ');
                                    text.push_str(&quote(&t.text.node));
                                }
                                let span = translations.last().map_or(l.span, |t| Span {
                                    end: t.text.span.end,
                                    ..l.span
                                });
                                p.row(vec!["label".into(), text], span, "kv")
                            }
                            StatusStmt::Suspends(until, sp) => match until {
                                Some(e) => p.row(
                                    vec!["suspends".into(), format!("until {}", expr(e))],
                                    *sp,
                                    "kv",
                                ),
                                None => p.row(vec!["suspends".into()], *sp, "kv"),
                            },
                            StatusStmt::Excludes(sp) => p.row(vec!["excludes".into()], *sp, "kv"),
                            StatusStmt::Unknown(u) => p.verbatim(u),
                        })
                        .collect()
                });
                block(format!("status {} {{", quote(&s.name.node)), tail, span)
            }
            Item::Assign(a) => Row {
                cols: vec![
                    format!("assign {}", quote(&a.scenario.node)),
                    format!("when {}", expr(&a.when)),
                ],
                tail: Vec::new(),
                span,
                kind: "assign",
                later: None,
            },
            Item::Hook(h) => Row {
                cols: vec![
                    format!("hook {}", quote(&h.name.node)),
                    format!("from {}", quote(&h.path.node)),
                ],
                tail: Vec::new(),
                span,
                kind: "hook",
                later: None,
            },
            Item::Hashtag(h) => {
                if let Some((head, inline)) = self.hashtag_inline(h) {
                    Row {
                        cols: vec![head, inline],
                        tail: Vec::new(),
                        span,
                        kind: "hashtag",
                        later: None,
                    }
                } else {
                    let tail = self.body(h.span, |p| {
                        h.stmts
                            .iter()
                            .map(|s| match s {
                                HashtagStmt::Text(t) => {
                                    p.row(vec!["text".into(), quote(&t.node)], t.span, "kv")
                                }
                                HashtagStmt::Template(t) => {
                                    p.row(vec!["template".into(), quote(&t.node)], t.span, "kv")
                                }
                                HashtagStmt::Unknown(u) => p.verbatim(u),
                            })
                            .collect()
                    });
                    block(format!("hashtag {} {{", quote(&h.name.node)), tail, span)
                }
            }
            Item::Scenario(s) => {
                let tail = self.body(s.span, |p| {
                    s.stmts.iter().map(|st| p.scenario_stmt(st)).collect()
                });
                block(format!("scenario {} {{", quote(&s.name.node)), tail, span)
            }
            Item::Alert(a) => {
                let tail = self.body(a.span, |p| {
                    a.stmts
                        .iter()
                        .map(|st| match st {
                            AlertStmt::Label(l) => {
                                p.row(vec!["label".into(), quote(&l.node)], l.span, "kv")
                            }
                            AlertStmt::When(e) => p.row(vec!["when".into(), expr(e)], e.span, "kv"),
                            AlertStmt::Level(l) => {
                                p.row(vec!["level".into(), l.node.clone()], l.span, "kv")
                            }
                            AlertStmt::Notify(n) => {
                                p.row(vec!["notify".into(), notify_rest(n)], n.span, "kv")
                            }
                            AlertStmt::Unknown(u) => p.verbatim(u),
                        })
                        .collect()
                });
                let scope = a
                    .scope
                    .as_ref()
                    .map(|s| format!(" for {}", s.node))
                    .unwrap_or_default();
                block(
                    format!("alert {}{scope} {{", quote(&a.name.node)),
                    tail,
                    span,
                )
            }
            Item::Escalation(e) => {
                let tail = self.body(e.span, |p| {
                    e.stmts
                        .iter()
                        .map(|st| match st {
                            EscalationStmt::Label(l) => {
                                p.row(vec!["label".into(), quote(&l.node)], l.span, "kv")
                            }
                            EscalationStmt::When(x) => {
                                p.row(vec!["when".into(), expr(x)], x.span, "kv")
                            }
                            EscalationStmt::Switch(s) => {
                                p.row(vec!["switch".into(), quote(&s.node)], s.span, "kv")
                            }
                            EscalationStmt::Notify(n) => {
                                p.row(vec!["notify".into(), notify_rest(n)], n.span, "kv")
                            }
                            EscalationStmt::Unknown(u) => p.verbatim(u),
                        })
                        .collect()
                });
                block(format!("escalation {} {{", quote(&e.name.node)), tail, span)
            }
            Item::Broken(_) => Row {
                cols: Vec::new(),
                tail: Vec::new(),
                span,
                kind: "broken",
                later: None,
            },
        }
    }

    fn scenario_stmt(&mut self, st: &ScenarioStmt) -> Row {
        match st {
            ScenarioStmt::Label(l) => self.row(vec!["label".into(), quote(&l.node)], l.span, "kv"),
            ScenarioStmt::Calendar(c) => {
                self.row(vec!["calendar".into(), quote(&c.node)], c.span, "kv")
            }
            ScenarioStmt::MinGap(d) => {
                self.row(vec!["min_gap".into(), d.node.to_string()], d.span, "kv")
            }
            ScenarioStmt::MaxAge(d) => {
                self.row(vec!["max_age".into(), d.node.to_string()], d.span, "kv")
            }
            ScenarioStmt::Mode(m) => self.row(vec!["mode".into(), m.node.clone()], m.span, "kv"),
            ScenarioStmt::Unknown(u) => self.verbatim(u),
            ScenarioStmt::Step(s) => self.step(s),
        }
    }

    fn step(&mut self, s: &Step) -> Row {
        let head = format!("step {}", quote(&s.name.node));
        let offset = offset(&s.offset);
        let when = s
            .when
            .as_ref()
            .map(|w| format!("when {} ", expr(w)))
            .unwrap_or_default();
        let actions: Vec<String> = s.stmts.iter().map(|a| self.step_action(a)).collect();
        let span = (s.span.start as usize, s.span.end as usize);
        let inline = format!("{when}{{ {} }}", actions.first().map_or("", String::as_str));
        let fits = head.len() + offset.len() + inline.len() + 2 * INDENT + 2 < MAX_WIDTH + 20;
        if actions.len() == 1 && fits && !self.has_comment_in(span.0, span.1) {
            return Row {
                cols: vec![head, offset, inline],
                tail: Vec::new(),
                span,
                kind: "step",
                later: None,
            };
        }
        let actions = actions
            .into_iter()
            .zip(s.stmts.iter().map(action_span))
            .collect();
        Row {
            cols: vec![head, offset, format!("{when}{{")],
            tail: Vec::new(),
            span,
            kind: "step",
            later: Some((s.span, actions)),
        }
    }

    fn step_action(&self, a: &StepStmt) -> String {
        match a {
            StepStmt::Email(e) => {
                let mut s = format!("email {} to {}", quote(&e.template.node), recipients(&e.to));
                if !e.cc.is_empty() {
                    s.push_str(&format!(" cc {}", recipients(&e.cc)));
                }
                if !e.attach.is_empty() {
                    let list: Vec<&str> = e.attach.iter().map(|a| a.node.as_str()).collect();
                    s.push_str(&format!(" attach {}", list.join(", ")));
                }
                s
            }
            StepStmt::Letter(t, _) => format!("letter {}", quote(&t.node)),
            StepStmt::Task(t) => {
                let mut s = format!("task {}", t.kind.node);
                if let Some(r) = &t.assign {
                    s.push_str(&format!(" assign {}", recipient(r)));
                }
                if let Some(n) = &t.note {
                    s.push_str(&format!(" note {}", quote(&n.node)));
                }
                s
            }
            StepStmt::Escalate(sc, _) => format!("escalate {}", quote(&sc.node)),
            StepStmt::Penalties(_) => "penalties".into(),
            StepStmt::Notify(n) => format!("notify {}", notify_rest(n)),
            StepStmt::Mode(m) => format!("mode {}", m.node),
            StepStmt::Unknown(u) => self.text[u.span.range()].trim().to_string(),
        }
    }

    fn row(&self, cols: Vec<String>, span: Span, kind: &'static str) -> Row {
        Row {
            cols,
            tail: Vec::new(),
            span: (span.start as usize, span.end as usize),
            kind,
            later: None,
        }
    }

    fn verbatim(&self, u: &Unknown) -> Row {
        let text = self.text[u.span.range()].trim().to_string();
        self.row(vec![text], u.span, "unknown")
    }
}

/// Joins a list with `, `, breaking lines (with `\n`) so that none passes
/// [`MAX_WIDTH`] when it starts at column `start`.
fn wrap_list(items: &[String], start: usize) -> String {
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
fn block(header: String, tail: Vec<Line>, span: (usize, usize)) -> Row {
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

fn item_span(item: &Item) -> (usize, usize) {
    let s = match item {
        Item::Settings(s) => s.span,
        Item::Calendar(c) => c.span,
        Item::Field(f) => f.span,
        Item::Status(s) => s.span,
        Item::Assign(a) => a.span,
        Item::Hook(h) => h.span,
        Item::Hashtag(h) => h.span,
        Item::Scenario(s) => s.span,
        Item::Alert(a) => a.span,
        Item::Escalation(e) => e.span,
        Item::Broken(b) => b
            .name
            .as_ref()
            .map_or(Span::new(FileId(0), 0, 0), |n| n.span),
    };
    (s.start as usize, s.end as usize)
}

fn action_span(a: &StepStmt) -> Span {
    match a {
        StepStmt::Email(e) => e.span,
        StepStmt::Letter(_, s) | StepStmt::Escalate(_, s) | StepStmt::Penalties(s) => *s,
        StepStmt::Task(t) => t.span,
        StepStmt::Notify(n) => n.span,
        StepStmt::Mode(m) => m.span,
        StepStmt::Unknown(u) => u.span,
    }
}

fn offset(o: &Spanned<Offset>) -> String {
    match o.node.duration {
        None => "at due".into(),
        Some(d) => format!("at due {} {d}", if o.node.negative { "-" } else { "+" }),
    }
}

fn notify_rest(n: &Notify) -> String {
    let mut s = recipients(&n.to);
    if let Some(t) = &n.template {
        s.push_str(&format!(" template {}", quote(&t.node)));
    }
    s
}

fn recipients(list: &[Recipient]) -> String {
    list.iter().map(recipient).collect::<Vec<_>>().join(", ")
}

fn recipient(r: &Recipient) -> String {
    match r {
        Recipient::Role(n) => n.node.clone(),
        Recipient::Address(a) => quote(&a.node),
    }
}

/// A string literal, escaped.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value as written canonically.
pub fn value(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Number(n) => n.normalize().to_string(),
        Value::Duration(d) => d.to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        Value::Time(t) => t.format("%H:%M").to_string(),
        Value::TimeRange(a, b) => format!("{}..{}", a.format("%H:%M"), b.format("%H:%M")),
        Value::Currency(c) | Value::Ident(c) | Value::Invalid(c) => c.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
    }
}

/// An expression as written canonically (parentheses as the author wrote them).
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(v) => value(v),
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Path(parts) => parts
            .iter()
            .map(|p| p.node.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ExprKind::Var(n) => n.node.clone(),
        ExprKind::Call(n, args) => format!(
            "{}({})",
            n.node,
            args.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::HookCall(n, args) => {
            format!(
                "hook.{}({})",
                n.node,
                args.iter().map(expr).collect::<Vec<_>>().join(", ")
            )
        }
        ExprKind::Unary(UnaryOp::Not, x) => format!("not {}", expr(x)),
        ExprKind::Unary(UnaryOp::Neg, x) => format!("-{}", expr(x)),
        ExprKind::Binary(op, l, r) => format!("{} {} {}", expr(l), op.as_str(), expr(r)),
        ExprKind::Paren(x) => format!("({})", expr(x)),
    }
}
