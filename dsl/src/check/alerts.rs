//! `alert` and `escalation` blocks: scope, conditions (in the context each
//! one is evaluated in), levels, who is notified, and the built-in alerts
//! that may only be relabelled.

use std::collections::BTreeMap;

use super::names::Names;
use super::{ACCOUNT_ALERT, Checker, ESCALATION, ITEM_CONTEXT};
use crate::ast;
use crate::diagnostic::{Code, did_you_mean};
use crate::model::*;

impl Checker<'_> {
    pub(super) fn alert(&mut self, a: &ast::Alert) -> Option<AlertDef> {
        let builtin = BUILTIN_ALERTS.iter().find(|(n, _, _)| *n == a.name.node);
        let scope = match (&a.scope, builtin) {
            (Some(s), _) => match s.node.as_str() {
                "item" => Some(Scope::Item),
                "account" => Some(Scope::Account),
                other => {
                    self.help(
                        Code::InvalidValue,
                        s.span,
                        format!("an alert is `for item` or `for account`, not `for {other}`"),
                        did_you_mean(other, ["item", "account"]),
                    );
                    None
                }
            },
            (None, Some((_, scope, _))) => Some(*scope),
            (None, None) => {
                self.error(
                    Code::Missing,
                    a.name.span,
                    format!(
                        "alert \"{}\" needs `for item` or `for account`",
                        a.name.node
                    ),
                );
                None
            }
        };
        if let (Some(s), Some((_, builtin_scope, _)), Some(span)) =
            (scope, builtin, a.scope.as_ref().map(|s| s.span))
            && s != *builtin_scope
        {
            self.error(
                Code::InvalidValue,
                span,
                format!(
                    "built-in alert \"{}\" is for {}",
                    a.name.node,
                    if *builtin_scope == Scope::Item {
                        "item"
                    } else {
                        "account"
                    }
                ),
            );
        }
        let ctx = if scope == Some(Scope::Item) {
            ITEM_CONTEXT
        } else {
            ACCOUNT_ALERT
        };
        let mut def = AlertDef {
            name: a.name.node.clone(),
            scope: scope.unwrap_or(Scope::Account),
            label: None,
            when: None,
            level: builtin.map_or(Level::Medium, |b| b.2),
            notify: Vec::new(),
            builtin: builtin.is_some(),
        };
        let mut seen = BTreeMap::new();
        for stmt in &a.stmts {
            match stmt {
                ast::AlertStmt::Label(l) => {
                    self.once(&mut seen, "label", l.span);
                    def.label = Some(l.node.clone());
                }
                ast::AlertStmt::When(e) => {
                    self.once(&mut seen, "when", e.span);
                    if builtin.is_some() {
                        self.error(
                            Code::InvalidValue,
                            e.span,
                            format!(
                                "built-in alert \"{}\" has a fixed condition; override its label, level and notify only",
                                a.name.node
                            ),
                        );
                    } else {
                        self.condition(e, ctx);
                        def.when = Some(e.clone());
                    }
                }
                ast::AlertStmt::Level(l) => {
                    self.once(&mut seen, "level", l.span);
                    match l.node.as_str() {
                        "low" => def.level = Level::Low,
                        "medium" => def.level = Level::Medium,
                        "high" => def.level = Level::High,
                        other => self.help(
                            Code::InvalidValue,
                            l.span,
                            format!("unknown level `{other}`"),
                            did_you_mean(other, ["low", "medium", "high"])
                                .or_else(|| Some("levels are low, medium, high".into())),
                        ),
                    }
                }
                ast::AlertStmt::Notify(n) => {
                    self.once(&mut seen, "notify", n.span);
                    def.notify = self.recipients(&n.to, true);
                }
                ast::AlertStmt::Unknown(u) => {
                    self.unknown(u, "alert", &["label", "when", "level", "notify"])
                }
            }
        }
        if builtin.is_none() && def.when.is_none() && !seen.contains_key("when") {
            self.error(
                Code::Missing,
                a.name.span,
                format!("alert \"{}\" has no `when` condition", a.name.node),
            );
        }
        scope.map(|_| def)
    }

    pub(super) fn escalation(
        &mut self,
        e: &ast::Escalation,
        names: &Names,
    ) -> Option<EscalationDef> {
        let mut when = None;
        let mut def_label = None;
        let mut switch = None;
        let mut notify = Vec::new();
        let mut seen = BTreeMap::new();
        for stmt in &e.stmts {
            match stmt {
                ast::EscalationStmt::Label(l) => {
                    self.once(&mut seen, "label", l.span);
                    def_label = Some(l.node.clone());
                }
                ast::EscalationStmt::When(w) => {
                    self.once(&mut seen, "when", w.span);
                    self.condition(w, ESCALATION);
                    when = Some(w.clone());
                }
                ast::EscalationStmt::Switch(s) => {
                    self.once(&mut seen, "switch", s.span);
                    self.scenario_ref(s, names);
                    switch = Some(s.node.clone());
                }
                ast::EscalationStmt::Notify(n) => {
                    self.once(&mut seen, "notify", n.span);
                    notify = self.recipients(&n.to, true);
                }
                ast::EscalationStmt::Unknown(u) => {
                    self.unknown(u, "escalation", &["label", "when", "switch", "notify"])
                }
            }
        }
        if switch.is_none() && notify.is_empty() && !seen.contains_key("notify") {
            self.error(
                Code::Missing,
                e.name.span,
                format!(
                    "escalation \"{}\" neither switches scenario nor notifies anyone",
                    e.name.node
                ),
            )
            .help = Some("add `switch \"<scenario>\"` or `notify <role>`".into());
        }
        let Some(when) = when else {
            self.error(
                Code::Missing,
                e.name.span,
                format!("escalation \"{}\" has no `when` condition", e.name.node),
            );
            return None;
        };
        Some(EscalationDef {
            name: e.name.node.clone(),
            label: def_label,
            when,
            switch,
            notify,
        })
    }
}
