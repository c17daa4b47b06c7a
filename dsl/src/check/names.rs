//! Names: the blocks declared across all files by kind, each name once
//! (a second definition is an error pointing at the first), and references
//! to them with a "did you mean".

use std::collections::BTreeMap;

use super::Checker;
use crate::ast::{self, Item};
use crate::diagnostic::{Code, Diagnostic, closest};
use crate::source::Span;

/// Names declared by kind, for duplicates and references.
#[derive(Default)]
pub(super) struct Names {
    pub(super) scenarios: BTreeMap<String, Span>,
    pub(super) statuses: BTreeMap<String, Span>,
    pub(super) calendars: BTreeMap<String, Span>,
    pub(super) alerts: BTreeMap<String, Span>,
    pub(super) escalations: BTreeMap<String, Span>,
    pub(super) hashtags: BTreeMap<String, Span>,
    pub(super) hooks: BTreeMap<String, Span>,
}

impl Names {
    fn of_kind(&mut self, keyword: &str) -> Option<(&mut BTreeMap<String, Span>, &'static str)> {
        Some(match keyword {
            "scenario" => (&mut self.scenarios, "scenario"),
            "status" => (&mut self.statuses, "status"),
            "calendar" => (&mut self.calendars, "calendar"),
            "alert" => (&mut self.alerts, "alert"),
            "escalation" => (&mut self.escalations, "escalation"),
            "hashtag" => (&mut self.hashtags, "hashtag"),
            "hook" => (&mut self.hooks, "hook"),
            _ => return None,
        })
    }
}

fn item_keyword(item: &Item) -> Option<(&'static str, &ast::Name)> {
    Some(match item {
        Item::Calendar(c) => ("calendar", &c.name),
        Item::Status(s) => ("status", &s.name),
        Item::Hook(h) => ("hook", &h.name),
        Item::Hashtag(h) => ("hashtag", &h.name),
        Item::Scenario(s) => ("scenario", &s.name),
        Item::Alert(a) => ("alert", &a.name),
        Item::Escalation(e) => ("escalation", &e.name),
        _ => return None,
    })
}

impl Checker<'_> {
    /// Names, across all files; duplicates reported once each.
    pub(super) fn declare(&mut self, items: &[&Item]) -> Names {
        let mut names = Names::default();
        for item in items {
            let (keyword, name) = match item {
                Item::Broken(b) => match &b.name {
                    Some(n) => (b.keyword.as_str(), n),
                    None => continue,
                },
                other => match item_keyword(other) {
                    Some(k) => k,
                    None => continue,
                },
            };
            let Some((map, kind)) = names.of_kind(keyword) else {
                continue;
            };
            if let Some(first) = map.get(&name.node) {
                let first = *first;
                self.diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        name.span,
                        format!("{kind} \"{}\" is defined twice", name.node),
                    )
                    .with_label(first, "first defined here"),
                );
            } else {
                map.insert(name.node.clone(), name.span);
            }
        }
        names
    }

    pub(super) fn reference(
        &mut self,
        kind: &str,
        code: Code,
        name: &ast::Name,
        known: &BTreeMap<String, Span>,
    ) -> bool {
        if known.contains_key(&name.node) {
            return true;
        }
        let help = closest(&name.node, known.keys().map(String::as_str))
            .map(|c| format!("did you mean \"{c}\"?"))
            .or_else(|| match known.len() {
                0 => Some(format!("no {kind} is defined")),
                _ => Some(format!(
                    "defined: {}",
                    known
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            });
        self.help(
            code,
            name.span,
            format!("unknown {kind} \"{}\"", name.node),
            help,
        );
        false
    }

    pub(super) fn scenario_ref(&mut self, name: &ast::Name, names: &Names) -> bool {
        self.reference("scenario", Code::UnknownScenario, name, &names.scenarios)
    }
}
