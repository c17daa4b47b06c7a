//! Blocks and their statements: from the pairs of one top-level item to
//! [`Item`], statement by statement (settings, calendars, fields, statuses,
//! assignments, hooks, hashtags, scenarios and steps, alerts, escalations).

use pest::iterators::Pair;

use super::{Builder, Rule, children, next, only};
use crate::ast::*;
use crate::source::Spanned;

impl Builder {
    pub(super) fn item(&self, pair: Pair<'_, Rule>) -> Item {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::settings => Item::Settings(Settings {
                entries: children(pair).map(|p| self.setting(p)).collect(),
                span,
            }),
            Rule::calendar => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it.map(|p| self.calendar_stmt(p)).collect();
                Item::Calendar(Calendar { name, stmts, span })
            }
            Rule::field => {
                let mut it = children(pair);
                let path = next(&mut it);
                let mut parts = path.clone().into_inner();
                let target = self.name(next(&mut parts));
                let name = self.name(next(&mut parts));
                let ty = self.name(next(&mut it));
                Item::Field(Field {
                    target,
                    name,
                    ty,
                    span,
                })
            }
            Rule::status => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it
                    .map(|p| {
                        let s = self.span(&p);
                        match p.as_rule() {
                            Rule::status_label => {
                                let mut it = children(p);
                                let label = self.name(next(&mut it));
                                let translations = it
                                    .map(|t| {
                                        let mut parts = children(t);
                                        let language = self.name(next(&mut parts));
                                        let text = self.name(next(&mut parts));
                                        Translation { language, text }
                                    })
                                    .collect();
                                StatusStmt::Label(label, translations)
                            }
                            Rule::suspends => {
                                StatusStmt::Suspends(children(p).next().map(|e| self.expr(e)), s)
                            }
                            Rule::excludes => StatusStmt::Excludes(s),
                            _ => StatusStmt::Unknown(self.unknown(p)),
                        }
                    })
                    .collect();
                Item::Status(Status { name, stmts, span })
            }
            Rule::assign => {
                let mut it = children(pair);
                let scenario = self.name(next(&mut it));
                let when = self.expr(next(&mut it));
                Item::Assign(Assign {
                    scenario,
                    when,
                    span,
                })
            }
            Rule::hook => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let path = self.name(next(&mut it));
                Item::Hook(Hook { name, path, span })
            }
            Rule::hashtag => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it
                    .map(|p| match p.as_rule() {
                        Rule::hashtag_text => HashtagStmt::Text(self.name(only(p))),
                        Rule::hashtag_template => HashtagStmt::Template(self.name(only(p))),
                        _ => HashtagStmt::Unknown(self.unknown(p)),
                    })
                    .collect();
                Item::Hashtag(Hashtag { name, stmts, span })
            }
            Rule::scenario => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it.map(|p| self.scenario_stmt(p)).collect();
                Item::Scenario(Scenario { name, stmts, span })
            }
            Rule::alert => {
                let mut it = children(pair).peekable();
                let name = self.name(next(&mut it));
                let scope = it
                    .next_if(|p| p.as_rule() == Rule::ident)
                    .map(|p| self.name(p));
                let stmts = it
                    .map(|p| match p.as_rule() {
                        Rule::label => AlertStmt::Label(self.label(p)),
                        Rule::when => AlertStmt::When(self.expr(only(p))),
                        Rule::level => AlertStmt::Level(self.name(only(p))),
                        Rule::notify => AlertStmt::Notify(self.notify(p)),
                        _ => AlertStmt::Unknown(self.unknown(p)),
                    })
                    .collect();
                Item::Alert(Alert {
                    name,
                    scope,
                    stmts,
                    span,
                })
            }
            Rule::escalation => {
                let mut it = children(pair);
                let name = self.name(next(&mut it));
                let stmts = it
                    .map(|p| match p.as_rule() {
                        Rule::label => EscalationStmt::Label(self.label(p)),
                        Rule::when => EscalationStmt::When(self.expr(only(p))),
                        Rule::switch => EscalationStmt::Switch(self.name(only(p))),
                        Rule::notify => EscalationStmt::Notify(self.notify(p)),
                        _ => EscalationStmt::Unknown(self.unknown(p)),
                    })
                    .collect();
                Item::Escalation(Escalation { name, stmts, span })
            }
            other => unreachable_rule(other),
        }
    }

    fn setting(&self, pair: Pair<'_, Rule>) -> Setting {
        let span = self.span(&pair);
        let mut it = children(pair);
        let key = self.name(next(&mut it));
        let values = it.map(|p| self.value(p)).collect();
        Setting { key, values, span }
    }

    fn calendar_stmt(&self, pair: Pair<'_, Rule>) -> CalendarStmt {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::weekend => {
                CalendarStmt::Weekend(children(pair).map(|p| self.name(p)).collect(), span)
            }
            Rule::holidays => {
                CalendarStmt::Holidays(children(pair).map(|p| self.value(p)).collect(), span)
            }
            _ => CalendarStmt::Unknown(self.unknown(pair)),
        }
    }

    fn scenario_stmt(&self, pair: Pair<'_, Rule>) -> ScenarioStmt {
        match pair.as_rule() {
            Rule::label => ScenarioStmt::Label(self.label(pair)),
            Rule::calendar_ref => ScenarioStmt::Calendar(self.name(only(pair))),
            Rule::min_gap => ScenarioStmt::MinGap(self.duration(only(pair))),
            Rule::max_age => ScenarioStmt::MaxAge(self.duration(only(pair))),
            Rule::mode => ScenarioStmt::Mode(self.name(only(pair))),
            Rule::step => ScenarioStmt::Step(self.step(pair)),
            _ => ScenarioStmt::Unknown(self.unknown(pair)),
        }
    }

    fn step(&self, pair: Pair<'_, Rule>) -> Step {
        let span = self.span(&pair);
        let mut it = children(pair).peekable();
        let name = self.name(next(&mut it));
        let offset = self.offset(next(&mut it));
        let when = it
            .next_if(|p| matches!(p.as_rule(), Rule::expr))
            .map(|p| self.expr(p));
        let stmts = it
            .map(|p| {
                let s = self.span(&p);
                match p.as_rule() {
                    Rule::email => StepStmt::Email(self.email(p)),
                    Rule::letter => StepStmt::Letter(self.name(only(p)), s),
                    Rule::task => StepStmt::Task(self.task(p)),
                    Rule::escalate => StepStmt::Escalate(self.name(only(p)), s),
                    Rule::penalties => StepStmt::Penalties(s),
                    Rule::notify => StepStmt::Notify(self.notify(p)),
                    Rule::mode => StepStmt::Mode(self.name(only(p))),
                    _ => StepStmt::Unknown(self.unknown(p)),
                }
            })
            .collect();
        Step {
            name,
            offset,
            when,
            stmts,
            span,
        }
    }

    fn offset(&self, pair: Pair<'_, Rule>) -> Spanned<Offset> {
        let span = self.span(&pair);
        let mut negative = false;
        let mut duration = None;
        for p in children(pair) {
            match p.as_rule() {
                Rule::sign => negative = p.as_str() == "-",
                _ => duration = Some(self.duration(p).node),
            }
        }
        Spanned::new(Offset { negative, duration }, span)
    }

    fn email(&self, pair: Pair<'_, Rule>) -> Email {
        let span = self.span(&pair);
        let mut it = children(pair);
        let template = self.name(next(&mut it));
        let to = self.recipients(next(&mut it));
        let mut cc = Vec::new();
        let mut attach = Vec::new();
        for p in it {
            match p.as_rule() {
                Rule::recipients => cc = self.recipients(p),
                _ => attach = children(p).map(|a| self.name(a)).collect(),
            }
        }
        Email {
            template,
            to,
            cc,
            attach,
            span,
        }
    }

    fn task(&self, pair: Pair<'_, Rule>) -> Task {
        let span = self.span(&pair);
        let mut it = children(pair);
        let kind = self.name(next(&mut it));
        let mut assign = None;
        let mut note = None;
        for p in it {
            match p.as_rule() {
                Rule::recipient => assign = Some(self.recipient(p)),
                _ => note = Some(self.name(p)),
            }
        }
        Task {
            kind,
            assign,
            note,
            span,
        }
    }

    fn notify(&self, pair: Pair<'_, Rule>) -> Notify {
        let span = self.span(&pair);
        let mut it = children(pair);
        let to = self.recipients(next(&mut it));
        let template = it.next().map(|p| self.name(p));
        Notify { to, template, span }
    }

    fn recipients(&self, pair: Pair<'_, Rule>) -> Vec<Recipient> {
        children(pair).map(|p| self.recipient(p)).collect()
    }

    fn recipient(&self, pair: Pair<'_, Rule>) -> Recipient {
        let inner = only(pair);
        match inner.as_rule() {
            Rule::string => Recipient::Address(self.name(inner)),
            _ => Recipient::Role(self.name(inner)),
        }
    }

    fn label(&self, pair: Pair<'_, Rule>) -> Spanned<String> {
        self.name(only(pair))
    }

    fn unknown(&self, pair: Pair<'_, Rule>) -> Unknown {
        let span = self.span(&pair);
        let keyword = self.name(only(pair));
        Unknown { keyword, span }
    }
}

fn unreachable_rule(rule: Rule) -> ! {
    unreachable!("top_item only yields block rules, got {rule:?}")
}
