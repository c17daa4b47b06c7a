//! `qualified`: the share of the overdue amount that has a status on D.
//!
//! - **Overdue**: the open debit items (invoices and debit notes with
//!   something remaining) due before D (`due_date < D`); their remaining,
//!   as stored. Items not yet due, credit notes and payments are left out.
//! - **Qualified**: the part of it whose items have a status (any status:
//!   a promise, a dispute, litigation…).
//! - `percent` = qualified ÷ overdue × 100, and per status its amount ÷
//!   overdue × 100; two decimals, 0 when nothing is overdue.
//!
//! `statuses` lists every status of the configuration, in its order (by
//! name), with zeros when no overdue item has it, then statuses found in
//! the data that the configuration does not define, by name. Amounts are in
//! the platform currency, each item converted and rounded once; items of a
//! currency without a rate are left out and the currency listed in
//! `missing_rates`. Grouped (`--by`), the same figures per account,
//! collector or scenario, by group name.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::aging::percent;
use super::{By, Converter, ReportData};
use crate::planner::{Money, Planner};

/// One status's overdue amount.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusLine {
    /// The status.
    pub status: String,
    /// The remaining of its overdue items, platform currency.
    pub amount: Money,
    /// How many overdue items have it.
    pub items: usize,
    /// `amount` ÷ the overdue amount × 100, two decimals.
    pub percent: f64,
}

/// The figures of one group (`--by`) or of everything.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shares {
    /// The overdue amount, platform currency.
    pub overdue: Money,
    /// How many overdue items.
    pub items: usize,
    /// The part of `overdue` with a status.
    pub qualified: Money,
    /// `qualified` ÷ `overdue` × 100, two decimals (0 when nothing is overdue).
    pub percent: f64,
    /// Per status, configured ones first (empty ones too).
    pub statuses: Vec<StatusLine>,
}

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The account, collector or scenario.
    pub group: String,
    /// Its figures.
    #[serde(flatten)]
    pub shares: Shares,
}

/// The % qualified report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Qualified {
    /// `qualified`.
    pub report: &'static str,
    /// D.
    pub date: NaiveDate,
    /// The platform currency.
    pub currency: String,
    /// Everything.
    #[serde(flatten)]
    pub all: Shares,
    /// Per group, when grouped, by group name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
    /// Currencies of overdue items without a rate: left out of the amounts.
    pub missing_rates: Vec<String>,
}

impl Shares {
    fn new(configured: &[String], zero: Money) -> Shares {
        Shares {
            overdue: zero,
            items: 0,
            qualified: zero,
            percent: 0.0,
            statuses: configured
                .iter()
                .map(|s| StatusLine {
                    status: s.clone(),
                    amount: zero,
                    items: 0,
                    percent: 0.0,
                })
                .collect(),
        }
    }

    fn add(&mut self, status: Option<&str>, amount: Money, configured: usize) {
        self.overdue += amount;
        self.items += 1;
        let Some(status) = status else {
            return;
        };
        self.qualified += amount;
        let line = match self.statuses.iter().position(|l| l.status == status) {
            Some(i) => i,
            None => {
                // Unknown to the configuration: after the configured ones,
                // by name.
                let at = self.statuses[configured..]
                    .iter()
                    .position(|l| l.status.as_str() > status)
                    .map_or(self.statuses.len(), |i| configured + i);
                self.statuses.insert(
                    at,
                    StatusLine {
                        status: status.to_string(),
                        amount: Money::zero(amount.currency),
                        items: 0,
                        percent: 0.0,
                    },
                );
                at
            }
        };
        if let Some(l) = self.statuses.get_mut(line) {
            l.amount += amount;
            l.items += 1;
        }
    }

    fn finish(&mut self) {
        self.percent = percent(self.qualified, self.overdue);
        for l in &mut self.statuses {
            l.percent = percent(l.amount, self.overdue);
        }
    }
}

/// The % qualified of `data` on `date`, grouped `by` when given.
pub fn qualified(
    planner: &Planner,
    data: &ReportData,
    date: NaiveDate,
    by: Option<By>,
) -> Qualified {
    let mut convert = Converter::new(planner);
    let zero = convert.zero();
    let configured: Vec<String> = planner.config.statuses.keys().cloned().collect();
    let n = configured.len();
    let mut all = Shares::new(&configured, zero);
    let mut groups: BTreeMap<String, Shares> = BTreeMap::new();
    let overdue = data
        .items
        .iter()
        .filter(|i| i.is_open_debit() && i.due_date < date);
    for item in overdue {
        let Some(amount) = convert.convert(item.remaining, &item.currency) else {
            continue;
        };
        let status = item.status.as_deref();
        all.add(status, amount, n);
        if let Some(by) = by {
            groups
                .entry(by.key(item))
                .or_insert_with(|| Shares::new(&configured, zero))
                .add(status, amount, n);
        }
    }
    all.finish();
    let groups = by.map(|_| {
        groups
            .into_iter()
            .map(|(group, mut shares)| {
                shares.finish();
                Group { group, shares }
            })
            .collect()
    });
    Qualified {
        report: "qualified",
        date,
        currency: planner.config.settings.currency.clone(),
        all,
        groups,
        missing_rates: convert.missing(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::facts::ItemType::{CreditNote, Invoice};
    use crate::reports::ReportItem;
    use crate::reports::dso::fixtures::{cleared, d, item, planner};

    fn with(status: &str, account: &str, i: ReportItem) -> ReportItem {
        ReportItem {
            status: (!status.is_empty()).then(|| status.to_string()),
            account: account.into(),
            ..i
        }
    }

    fn data() -> ReportData {
        ReportData {
            items: vec![
                // Overdue on 2026-11-30: 1,000 in all.
                with("promise", "A", item("P1", Invoice, "", "2026-11-01", 300)),
                with("dispute", "A", item("D1", Invoice, "", "2026-10-01", 150)),
                with("dispute", "B", item("D2", Invoice, "", "2026-11-29", 50)),
                with("", "B", item("U1", Invoice, "", "2026-09-01", 500)),
                // Not overdue: due on D, or later; a credit note; cleared.
                with("dispute", "A", item("N1", Invoice, "", "2026-11-30", 4_000)),
                with("promise", "B", item("N2", Invoice, "", "2026-12-15", 4_000)),
                with(
                    "dispute",
                    "A",
                    item("C1", CreditNote, "", "2026-01-01", 4_000),
                ),
                with("promise", "A", cleared("X1", Invoice, "2026-01-01", 4_000)),
            ],
            ..ReportData::default()
        }
    }

    #[test]
    fn qualified_is_the_overdue_share_with_a_status_per_status() {
        let report = qualified(&planner(), &data(), d("2026-11-30"), None);
        assert_eq!(report.all.overdue.minor, 100_000);
        assert_eq!(report.all.items, 4);
        assert_eq!(report.all.qualified.minor, 50_000);
        assert_eq!(report.all.percent, 50.0);
        let lines: Vec<(&str, i128, usize, f64)> = report
            .all
            .statuses
            .iter()
            .map(|l| (l.status.as_str(), l.amount.minor, l.items, l.percent))
            .collect();
        assert_eq!(
            lines,
            vec![("dispute", 20_000, 2, 20.0), ("promise", 30_000, 1, 30.0)]
        );
        assert!(report.groups.is_none());
        let json = serde_json::to_value(&report).expect("serializes");
        assert_eq!(json["report"], "qualified");
        assert_eq!(json["overdue"], 1000.0);
        assert_eq!(json["qualified"], 500.0);
        assert_eq!(json["percent"], 50.0);
        assert_eq!(json["statuses"][1]["status"], "promise");
        assert_eq!(json["statuses"][1]["amount"], 300.0);
        assert!(json.get("groups").is_none());
    }

    #[test]
    fn grouped_each_account_has_its_shares_and_unknown_statuses_come_last() {
        let mut data = data();
        data.items.push(with(
            "audit",
            "B",
            item("Z1", Invoice, "", "2026-11-01", 500),
        ));
        let report = qualified(&planner(), &data, d("2026-11-30"), Some(By::Customer));
        let names: Vec<&str> = report
            .all
            .statuses
            .iter()
            .map(|l| l.status.as_str())
            .collect();
        assert_eq!(names, vec!["dispute", "promise", "audit"]);
        let groups = report.groups.expect("grouped");
        let a = &groups[0];
        assert_eq!(a.group, "A");
        assert_eq!(a.shares.overdue.minor, 45_000);
        assert_eq!(a.shares.percent, 100.0);
        let b = &groups[1];
        assert_eq!(b.group, "B");
        // 50 disputed + 500 audit of 1,050.
        assert_eq!(b.shares.overdue.minor, 105_000);
        assert_eq!(b.shares.qualified.minor, 55_000);
        assert_eq!(b.shares.percent, 52.38);
        assert_eq!(b.shares.statuses[1].amount.minor, 0);
    }

    #[test]
    fn an_overdue_item_without_a_rate_is_listed_and_left_out() {
        let mut data = data();
        data.items.push(ReportItem {
            currency: "USD".into(),
            ..with("promise", "A", item("USD", Invoice, "", "2026-11-01", 999))
        });
        let report = qualified(&planner(), &data, d("2026-11-30"), None);
        assert_eq!(report.all.overdue.minor, 100_000);
        assert_eq!(report.missing_rates, vec!["USD".to_string()]);
    }
}
