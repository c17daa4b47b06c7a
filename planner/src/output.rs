//! The JSON of `plan --json` and `run --json` (docs/reference/cli.md, "stable contract").

use chrono::NaiveDate;
use serde::Serialize;

use super::{AccountPlan, PlannedAction, PlannedAlert, PlannedEscalation};
use crate::facts::AccountCode;

/// One action as printed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActionJson {
    /// Its id, once recorded (`run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The account.
    pub account: AccountCode,
    /// The scenario.
    pub scenario: String,
    /// The step.
    pub step: String,
    /// The step's actions in file order.
    pub kinds: Vec<&'static str>,
    /// The first email's or letter's template.
    pub template: Option<String>,
    /// The step's trigger date for the leader.
    pub planned_for: NaiveDate,
    /// A catch-up.
    pub late: bool,
    /// The leader's reference.
    pub leader: String,
    /// Covered references, sorted.
    pub items: Vec<String>,
    /// Main recipients, sorted.
    pub to: Vec<String>,
    /// Copies, sorted.
    pub cc: Vec<String>,
    /// `auto` or `review`.
    pub mode: &'static str,
    /// Its state, once recorded (`run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Why.
    pub why: String,
}

impl ActionJson {
    /// From a planned action.
    pub fn new(a: &PlannedAction) -> ActionJson {
        let mut items: Vec<String> = a.items.iter().map(|k| k.reference.clone()).collect();
        items.sort();
        ActionJson {
            id: None,
            account: a.account.clone(),
            scenario: a.scenario.clone(),
            step: a.step.clone(),
            kinds: a.kinds.clone(),
            template: a.template.clone(),
            planned_for: a.planned_for,
            late: a.late,
            leader: a.leader.reference.clone(),
            items,
            to: a.to.clone(),
            cc: a.cc.clone(),
            mode: a.mode.as_str(),
            state: None,
            why: a.why.clone(),
        }
    }
}

/// One open alert as printed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertJson {
    /// The alert's name.
    pub alert: String,
    /// The account.
    pub account: AccountCode,
    /// The item's reference, `null` for account alerts.
    pub item: Option<String>,
    /// `low`, `medium`, `high`.
    pub level: &'static str,
    /// Why.
    pub why: String,
}

impl AlertJson {
    /// From a planned alert.
    pub fn new(a: &PlannedAlert) -> AlertJson {
        AlertJson {
            alert: a.alert.clone(),
            account: a.account.clone(),
            item: a.item.as_ref().map(|k| k.reference.clone()),
            level: a.level.as_str(),
            why: a.why.clone(),
        }
    }
}

/// One escalation as printed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EscalationJson {
    /// The escalation's name.
    pub escalation: String,
    /// The account.
    pub account: AccountCode,
    /// The scenario it switches to.
    pub switch: Option<String>,
    /// Why.
    pub why: String,
}

impl EscalationJson {
    /// From a planned escalation.
    pub fn new(e: &PlannedEscalation) -> EscalationJson {
        EscalationJson {
            escalation: e.escalation.clone(),
            account: e.account.clone(),
            switch: e.switch.clone(),
            why: e.why.clone(),
        }
    }
}

/// The whole document.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct PlanJson {
    /// The run date.
    pub date: Option<NaiveDate>,
    /// Actions by account.
    pub actions: Vec<ActionJson>,
    /// Alerts by name, account, item.
    pub alerts: Vec<AlertJson>,
    /// Escalations by account.
    pub escalations: Vec<EscalationJson>,
}

impl PlanJson {
    /// Adds an account's plan.
    pub fn push(&mut self, plan: &AccountPlan) {
        if let Some(a) = &plan.action {
            self.actions.push(ActionJson::new(a));
        }
        self.alerts.extend(plan.alerts.iter().map(AlertJson::new));
        self.escalations
            .extend(plan.escalations.iter().map(EscalationJson::new));
    }

    /// Sorts as docs/reference/cli.md says: actions and escalations by account; alerts by
    /// name, account, item (`null` first).
    pub fn sort(&mut self) {
        self.actions.sort_by(|a, b| a.account.cmp(&b.account));
        self.escalations
            .sort_by(|a, b| (&a.account, &a.escalation).cmp(&(&b.account, &b.escalation)));
        self.alerts
            .sort_by(|a, b| (&a.alert, &a.account, &a.item).cmp(&(&b.alert, &b.account, &b.item)));
    }
}

/// `plan --json` written as the plans arrive, the same text as [`PlanJson`]
/// pretty-printed and sorted: each action goes out at once (plans come in
/// account order, and an account has at most one action), while the alerts
/// and escalations, which come after the actions and sort otherwise, are
/// kept (small rows) and written sorted by [`PlanJsonWriter::finish`]. What
/// is held does not grow with the number of actions.
#[derive(Debug)]
pub struct PlanJsonWriter<W: std::io::Write> {
    /// Where the document goes.
    out: W,
    /// Actions written so far (for the separators).
    actions: usize,
    /// The account of the last action written: the next must sort after it.
    last_account: Option<AccountCode>,
    /// Alerts, written sorted at the end.
    alerts: Vec<AlertJson>,
    /// Escalations, written sorted at the end.
    escalations: Vec<EscalationJson>,
}

impl<W: std::io::Write> PlanJsonWriter<W> {
    /// Starts the document of `date`.
    pub fn new(mut out: W, date: Option<NaiveDate>) -> std::io::Result<Self> {
        write!(
            out,
            "{{\n  \"date\": {},\n  \"actions\": [",
            to_json(&date)?
        )?;
        Ok(PlanJsonWriter {
            out,
            actions: 0,
            last_account: None,
            alerts: Vec::new(),
            escalations: Vec::new(),
        })
    }

    /// Adds an account's plan. Plans must come in account order.
    pub fn push(&mut self, plan: &AccountPlan) -> std::io::Result<()> {
        if let Some(a) = &plan.action {
            self.action(&ActionJson::new(a))?;
        }
        self.alerts.extend(plan.alerts.iter().map(AlertJson::new));
        self.escalations
            .extend(plan.escalations.iter().map(EscalationJson::new));
        Ok(())
    }

    /// Writes one action; its account must not sort before the last one's.
    pub fn action(&mut self, action: &ActionJson) -> std::io::Result<()> {
        if self
            .last_account
            .as_ref()
            .is_some_and(|last| *last > action.account)
        {
            return Err(std::io::Error::other(format!(
                "plan of account {} came after account {}",
                action.account,
                self.last_account.as_ref().map_or("", AccountCode::as_str)
            )));
        }
        self.last_account = Some(action.account.clone());
        let separator = if self.actions == 0 { "" } else { "," };
        self.actions += 1;
        writeln!(self.out, "{separator}")?;
        write_element(&mut self.out, action)
    }

    /// Writes the alerts and escalations, sorted as [`PlanJson::sort`]
    /// does, ends the document and returns the writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out
            .write_all(if self.actions == 0 { b"]" } else { b"\n  ]" })?;
        let mut rest = PlanJson {
            alerts: std::mem::take(&mut self.alerts),
            escalations: std::mem::take(&mut self.escalations),
            ..PlanJson::default()
        };
        rest.sort();
        write_array(&mut self.out, "alerts", &rest.alerts)?;
        write_array(&mut self.out, "escalations", &rest.escalations)?;
        self.out.write_all(b"\n}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// `value` as compact JSON.
fn to_json(value: &impl Serialize) -> std::io::Result<String> {
    serde_json::to_string(value).map_err(std::io::Error::other)
}

/// One element of a top-level array, pretty-printed and indented as
/// `serde_json::to_string_pretty` indents it inside the document (JSON text
/// has no raw line breaks in strings, so indenting by line is exact).
fn write_element(out: &mut impl std::io::Write, value: &impl Serialize) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        write!(out, "    {line}")?;
    }
    Ok(())
}

/// `,\n  "name": [...]` as the pretty document writes it.
fn write_array(
    out: &mut impl std::io::Write,
    name: &str,
    values: &[impl Serialize],
) -> std::io::Result<()> {
    write!(out, ",\n  \"{name}\": [")?;
    if values.is_empty() {
        return out.write_all(b"]");
    }
    for (i, value) in values.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        write_element(out, value)?;
    }
    out.write_all(b"\n  ]")
}

#[cfg(test)]
mod writer_tests {
    use super::*;

    fn action(account: &str, why: &str) -> ActionJson {
        ActionJson {
            id: None,
            account: AccountCode::from(account),
            scenario: "standard".into(),
            step: "reminder_1".into(),
            kinds: vec!["email"],
            template: Some("reminder_1".into()),
            planned_for: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            late: false,
            leader: "INV-1".into(),
            items: vec!["INV-1".into(), "INV-2".into()],
            to: vec!["a@x.example".into()],
            cc: vec![],
            mode: "auto",
            state: None,
            why: why.into(),
        }
    }

    fn alert(name: &str, account: &str, item: Option<&str>) -> AlertJson {
        AlertJson {
            alert: name.into(),
            account: AccountCode::from(account),
            item: item.map(String::from),
            level: "high",
            why: "a \"quoted\"\nline".into(),
        }
    }

    fn streamed(doc: &PlanJson) -> String {
        let mut w = PlanJsonWriter::new(Vec::new(), doc.date).unwrap();
        for a in &doc.actions {
            w.action(a).unwrap();
        }
        w.alerts.extend(doc.alerts.iter().cloned());
        w.escalations.extend(doc.escalations.iter().cloned());
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn the_streamed_document_is_the_pretty_printed_one_byte_for_byte() {
        let mut doc = PlanJson {
            date: NaiveDate::from_ymd_opt(2026, 11, 20),
            actions: vec![action("C1", "due"), action("C2", "é ✓ \u{1}")],
            alerts: vec![
                alert("promise_broken", "C2", Some("INV-9")),
                alert("credit_limit", "C1", None),
                alert("promise_broken", "C1", Some("INV-3")),
            ],
            escalations: vec![EscalationJson {
                escalation: "legal".into(),
                account: AccountCode::from("C1"),
                switch: None,
                why: "over 90 days".into(),
            }],
        };
        let text = streamed(&doc);
        doc.sort();
        assert_eq!(text, serde_json::to_string_pretty(&doc).unwrap() + "\n");
    }

    #[test]
    fn an_empty_day_streams_as_the_empty_document() {
        for date in [None, NaiveDate::from_ymd_opt(2026, 1, 2)] {
            let doc = PlanJson {
                date,
                ..PlanJson::default()
            };
            assert_eq!(
                streamed(&doc),
                serde_json::to_string_pretty(&doc).unwrap() + "\n"
            );
        }
    }

    #[test]
    fn an_action_out_of_account_order_is_refused() {
        let mut w = PlanJsonWriter::new(Vec::new(), None).unwrap();
        w.action(&action("C2", "")).unwrap();
        let err = w.action(&action("C1", "")).unwrap_err();
        assert!(
            err.to_string().contains("C1 came after account C2"),
            "{err}"
        );
    }
}
