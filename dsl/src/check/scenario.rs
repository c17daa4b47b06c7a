//! Scenarios and their steps: statements once each, step names unique and
//! offsets increasing, every action checked, modes resolved, and the warning
//! for a step before the due date that nothing keeps from catching up.

use std::collections::BTreeMap;

use super::names::Names;
use super::{Checker, STEP_CONDITION};
use crate::ast::{self, Expr, ExprKind};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::model::*;
use crate::source::{Span, Spanned};

impl Checker<'_> {
    pub(super) fn scenario(&mut self, s: &ast::Scenario, names: &Names) -> Scenario {
        let mut sc = Scenario {
            name: s.name.node.clone(),
            label: None,
            calendar: None,
            min_gap_days: 0,
            max_age_days: None,
            mode: Mode::Auto,
            steps: Vec::new(),
            span: s.name.span,
        };
        let mut seen = BTreeMap::new();
        // Modes are applied to steps after the scenario's own mode is known.
        let mut step_modes: Vec<Option<Mode>> = Vec::new();
        let mut step_names: BTreeMap<&str, Span> = BTreeMap::new();
        let mut previous: Option<(i64, Span)> = None;
        for stmt in &s.stmts {
            match stmt {
                ast::ScenarioStmt::Label(l) => {
                    self.once(&mut seen, "label", l.span);
                    sc.label = Some(l.node.clone());
                }
                ast::ScenarioStmt::Calendar(c) => {
                    self.once(&mut seen, "calendar", c.span);
                    self.reference("calendar", Code::UnknownCalendar, c, &names.calendars);
                    sc.calendar = Some(c.node.clone());
                }
                ast::ScenarioStmt::MinGap(d) => {
                    self.once(&mut seen, "min_gap", d.span);
                    sc.min_gap_days = self.days(d, "min_gap");
                }
                ast::ScenarioStmt::MaxAge(d) => {
                    self.once(&mut seen, "max_age", d.span);
                    sc.max_age_days = Some(self.days(d, "max_age"));
                }
                ast::ScenarioStmt::Mode(m) => {
                    self.once(&mut seen, "mode", m.span);
                    if let Some(mode) = self.mode(m) {
                        sc.mode = mode;
                    }
                }
                ast::ScenarioStmt::Step(step) => {
                    if let Some(first) = step_names.get(step.name.node.as_str()) {
                        let first = *first;
                        self.error(
                            Code::DuplicateName,
                            step.name.span,
                            format!(
                                "step \"{}\" is defined twice in scenario \"{}\"",
                                step.name.node, s.name.node
                            ),
                        )
                        .labels
                        .push((first, "first defined here".into()));
                    } else {
                        step_names.insert(&step.name.node, step.name.span);
                    }
                    let offset = self.offset(&step.offset);
                    if let Some((prev, prev_span)) = previous
                        && offset <= prev
                    {
                        self.error(
                            Code::StepOrder,
                            step.offset.span,
                            format!(
                                "step \"{}\" must come later than the step before it ({} is not after {})",
                                step.name.node,
                                offset_text(offset),
                                offset_text(prev)
                            ),
                        )
                        .labels
                        .push((prev_span, "the step before".into()));
                    }
                    previous = Some((offset, step.offset.span));
                    let (st, mode) = self.step(step, offset, names);
                    sc.steps.push(st);
                    step_modes.push(mode);
                }
                ast::ScenarioStmt::Unknown(u) => self.unknown(
                    u,
                    "scenario",
                    &["label", "calendar", "min_gap", "max_age", "mode", "step"],
                ),
            }
        }
        for (step, mode) in sc.steps.iter_mut().zip(step_modes) {
            step.mode = mode.unwrap_or(sc.mode);
        }
        sc
    }

    fn step(&mut self, s: &ast::Step, offset: i64, names: &Names) -> (Step, Option<Mode>) {
        if let Some(w) = &s.when {
            self.condition(w, STEP_CONDITION);
        }
        let mut actions = Vec::new();
        let mut mode = None;
        let mut mode_span: Option<Span> = None;
        for stmt in &s.stmts {
            match stmt {
                ast::StepStmt::Email(e) => {
                    self.template_ref(&e.template);
                    let to = self.recipients(&e.to, false);
                    let cc = self.recipients(&e.cc, false);
                    let mut attach = Vec::new();
                    for a in &e.attach {
                        match a.node.as_str() {
                            "statement" => attach.push(Attachment::Statement),
                            "invoices" => attach.push(Attachment::Invoices),
                            "penalties" => attach.push(Attachment::Penalties),
                            other => self.help(
                                Code::InvalidValue,
                                a.span,
                                format!("unknown attachment `{other}`"),
                                did_you_mean(other, ATTACHMENTS.iter().copied()).or_else(|| {
                                    Some("attachments are statement, invoices, penalties".into())
                                }),
                            ),
                        }
                    }
                    actions.push(Action::Email {
                        template: e.template.node.clone(),
                        to,
                        cc,
                        attach,
                    });
                }
                ast::StepStmt::Letter(t, _) => {
                    self.template_ref(t);
                    actions.push(Action::Letter {
                        template: t.node.clone(),
                    });
                }
                ast::StepStmt::Task(t) => {
                    let assign = t
                        .assign
                        .as_ref()
                        .and_then(|r| self.recipients(std::slice::from_ref(r), true).pop());
                    actions.push(Action::Task {
                        kind: t.kind.node.clone(),
                        assign,
                        note: t.note.as_ref().map(|n| n.node.clone()),
                    });
                }
                ast::StepStmt::Escalate(sc, _) => {
                    self.scenario_ref(sc, names);
                    actions.push(Action::Escalate {
                        scenario: sc.node.clone(),
                    });
                }
                ast::StepStmt::Penalties(_) => actions.push(Action::Penalties),
                ast::StepStmt::Notify(n) => actions.push(self.notify(n)),
                ast::StepStmt::Mode(m) => {
                    if let Some(first) = mode_span {
                        self.error(
                            Code::RepeatedStatement,
                            m.span,
                            "`mode` is given twice in this step",
                        )
                        .labels
                        .push((first, "first given here".into()));
                    }
                    mode_span = Some(m.span);
                    mode = self.mode(m).or(mode);
                }
                ast::StepStmt::Unknown(u) => self.unknown(
                    u,
                    "step",
                    &[
                        "email",
                        "letter",
                        "task",
                        "escalate",
                        "penalties",
                        "notify",
                        "mode",
                    ],
                ),
            }
        }
        if actions.is_empty()
            && !s
                .stmts
                .iter()
                .any(|st| matches!(st, ast::StepStmt::Unknown(_)))
        {
            self.error(
                Code::Missing,
                s.name.span,
                format!("step \"{}\" has no action", s.name.node),
            )
            .help =
                Some("add `email`, `letter`, `task`, `escalate`, `penalties` or `notify`".into());
        }
        let to_customer = actions
            .iter()
            .any(|a| matches!(a, Action::Email { .. } | Action::Letter { .. }));
        if offset < 0 && to_customer && !s.when.as_ref().is_some_and(reads_due_date) {
            self.diags.push(
                Diagnostic::new(
                    Code::UnguardedEarlyStep,
                    s.offset.span,
                    format!(
                        "step \"{}\" comes before the due date and nothing stops it for an item already overdue",
                        s.name.node
                    ),
                )
                .with_help(
                    "an item first chased after its due date reaches this step as a catch-up; \
                     add `when item.days_overdue < 0` so it only goes out before the due date",
                ),
            );
        }
        let step = Step {
            name: s.name.node.clone(),
            offset_days: offset,
            when: s.when.clone(),
            actions,
            mode: Mode::Auto,
            span: s.span,
        };
        (step, mode)
    }

    fn notify(&mut self, n: &ast::Notify) -> Action {
        if let Some(t) = &n.template {
            self.template_ref(t);
        }
        Action::Notify {
            to: self.recipients(&n.to, true),
            template: n.template.as_ref().map(|t| t.node.clone()),
        }
    }

    fn mode(&mut self, m: &ast::Name) -> Option<Mode> {
        match m.node.as_str() {
            "auto" => Some(Mode::Auto),
            "review" => Some(Mode::Review),
            other => {
                self.help(
                    Code::InvalidValue,
                    m.span,
                    format!("unknown mode `{other}`"),
                    did_you_mean(other, ["auto", "review"])
                        .or_else(|| Some("modes are auto and review".into())),
                );
                None
            }
        }
    }

    fn days(&mut self, d: &Spanned<ast::Duration>, what: &str) -> i64 {
        match d.node.days() {
            Some(n) => n,
            None => {
                self.error(
                    Code::InvalidValue,
                    d.span,
                    format!("`{what}` is counted in days or weeks (`7d`, `2w`), not hours"),
                );
                0
            }
        }
    }

    fn offset(&mut self, o: &Spanned<ast::Offset>) -> i64 {
        if let Some(d) = o.node.duration
            && d.days().is_none()
        {
            self.error(
                Code::InvalidValue,
                o.span,
                "step offsets are counted in days or weeks (`7d`, `2w`), not hours",
            );
        }
        o.node.days()
    }
}

/// Whether a condition reads the item's due date (`item.days_overdue`,
/// `item.due_date`): what keeps a step before the due date from firing for
/// an item already overdue.
fn reads_due_date(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Path(parts) => {
            parts.len() == 2
                && parts[0].node == "item"
                && matches!(parts[1].node.as_str(), "days_overdue" | "due_date")
        }
        ExprKind::Literal(_) | ExprKind::Var(_) => false,
        ExprKind::List(list) | ExprKind::Call(_, list) | ExprKind::HookCall(_, list) => {
            list.iter().any(reads_due_date)
        }
        ExprKind::Unary(_, x) | ExprKind::Paren(x) => reads_due_date(x),
        ExprKind::Binary(_, a, b) => reads_due_date(a) || reads_due_date(b),
    }
}

fn offset_text(days: i64) -> String {
    match days {
        0 => "due".into(),
        d if d > 0 => format!("due + {d}d"),
        d => format!("due - {}d", -d),
    }
}
