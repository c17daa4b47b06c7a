//! Each block and statement as a `Row`: blocks with their bodies,
//! one-line items batched so their columns align, steps and hashtags inline
//! when they fit on a line and hold no comment.

use super::expr::{expr, quote, value};
use super::printer::{Printer, Row, block, wrap_list};
use super::{INDENT, MAX_WIDTH};
use crate::ast::*;
use crate::source::{FileId, Span, Spanned};

impl Printer<'_> {
    pub(super) fn items(&mut self, items: &[Item]) {
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
                            // A list (`dispute_reasons "…", "…"`) keeps its
                            // commas; other settings' values are words.
                            let sep = if e.key.node == "dispute_reasons" {
                                ", "
                            } else {
                                " "
                            };
                            p.row(
                                vec![e.key.node.clone(), values.join(sep)],
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

    pub(super) fn row(&self, cols: Vec<String>, span: Span, kind: &'static str) -> Row {
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
