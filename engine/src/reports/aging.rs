//! `aging`: open debit items (invoices and debit notes with something
//! remaining) by days past due on D: `not_due` (due on D or later),
//! `1-30`, `31-60`, `61-90`, `over_90`, with the share overdue.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::present::{Align, Table, amount, count, percent as pct};
use super::{By, Converter, ReportData};
use crate::planner::{Money, Planner};

/// The buckets, in order.
pub const BUCKETS: [&str; 5] = ["not_due", "1-30", "31-60", "61-90", "over_90"];

/// The bucket of an item due on `due` seen on `date`.
pub fn bucket(due: NaiveDate, date: NaiveDate) -> &'static str {
    match (date - due).num_days() {
        ..=0 => "not_due",
        1..=30 => "1-30",
        31..=60 => "31-60",
        61..=90 => "61-90",
        _ => "over_90",
    }
}

/// One bucket's open amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// `not_due`, `1-30`, `31-60`, `61-90`, `over_90`.
    pub bucket: &'static str,
    /// The remaining of its items, platform currency.
    pub amount: Money,
    /// How many items.
    pub items: usize,
}

/// The buckets of one group (`--by`) or of everything.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Buckets {
    /// The five buckets, in order (empty ones too).
    pub buckets: Vec<Bucket>,
    /// Their sum.
    pub total: Money,
    /// Items in all.
    pub items: usize,
    /// The overdue part (every bucket but `not_due`).
    pub overdue: Money,
    /// `overdue` ÷ `total` × 100, two decimals (0 when nothing is open).
    pub overdue_percent: f64,
}

/// One group's buckets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The account, collector or scenario.
    pub group: String,
    /// Its buckets.
    #[serde(flatten)]
    pub buckets: Buckets,
}

/// The aging report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aging {
    /// `aging`.
    pub report: &'static str,
    /// D.
    pub date: NaiveDate,
    /// The platform currency.
    pub currency: String,
    /// Everything.
    #[serde(flatten)]
    pub all: Buckets,
    /// Per group, when grouped, by group name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
    /// Currencies of open items without a rate: left out of the amounts.
    pub missing_rates: Vec<String>,
}

impl Buckets {
    fn new(zero: Money) -> Buckets {
        Buckets {
            buckets: BUCKETS
                .iter()
                .map(|b| Bucket {
                    bucket: b,
                    amount: zero,
                    items: 0,
                })
                .collect(),
            total: zero,
            items: 0,
            overdue: zero,
            overdue_percent: 0.0,
        }
    }

    fn add(&mut self, bucket: &str, amount: Money) {
        if let Some(b) = self.buckets.iter_mut().find(|b| b.bucket == bucket) {
            b.amount += amount;
            b.items += 1;
        }
        self.total += amount;
        self.items += 1;
        if bucket != "not_due" {
            self.overdue += amount;
        }
    }

    fn finish(&mut self) {
        self.overdue_percent = percent(self.overdue, self.total);
    }
}

/// `part` ÷ `whole` × 100, two decimals; 0 when `whole` is 0.
pub fn percent(part: Money, whole: Money) -> f64 {
    if whole.minor == 0 {
        return 0.0;
    }
    let p = part.minor as f64 / whole.minor as f64 * 100.0;
    (p * 100.0).round() / 100.0
}

/// The aging of `data` on `date`, grouped `by` when given.
pub fn aging(planner: &Planner, data: &ReportData, date: NaiveDate, by: Option<By>) -> Aging {
    let mut convert = Converter::new(planner);
    let zero = convert.zero();
    let mut all = Buckets::new(zero);
    let mut groups: BTreeMap<String, Buckets> = BTreeMap::new();
    let open = data.items.iter().filter(|i| i.is_open_debit());
    for item in open {
        let Some(amount) = convert.convert(item.remaining, &item.currency) else {
            continue;
        };
        let b = bucket(item.due_date, date);
        all.add(b, amount);
        if let Some(by) = by {
            groups
                .entry(by.key(item))
                .or_insert_with(|| Buckets::new(zero))
                .add(b, amount);
        }
    }
    all.finish();
    let groups = by.map(|_| {
        groups
            .into_iter()
            .map(|(group, mut buckets)| {
                buckets.finish();
                Group { group, buckets }
            })
            .collect()
    });
    Aging {
        report: "aging",
        date,
        currency: planner.config.settings.currency.clone(),
        all,
        groups,
        missing_rates: convert.missing(),
    }
}

/// A bucket's label in a chart or table, in `language` (English, French;
/// English for the others).
pub fn bucket_label(bucket: &str, language: &str) -> String {
    let fr = language.starts_with("fr");
    match (bucket, fr) {
        ("not_due", false) => "not due".into(),
        ("not_due", true) => "non échu".into(),
        ("over_90", false) => "over 90 days".into(),
        ("over_90", true) => "plus de 90 jours".into(),
        (b, false) => format!("{b} days"),
        (b, true) => format!("{b} jours"),
    }
}

impl Aging {
    /// The table: one row per bucket (or, grouped, one row per group with
    /// a column per bucket), the totals, the share overdue.
    pub fn table(&self) -> Table {
        let title = format!("Aging on {} ({})", self.date, self.currency);
        let mut t = match &self.groups {
            None => {
                let mut t = Table::new(
                    title,
                    &[
                        ("bucket", Align::Left),
                        ("items", Align::Right),
                        ("amount", Align::Right),
                        ("share", Align::Right),
                    ],
                );
                for b in &self.all.buckets {
                    t.rows.push(vec![
                        b.bucket.to_string(),
                        count(b.items),
                        amount(b.amount),
                        pct(percent(b.amount, self.all.total)),
                    ]);
                }
                t.totals = Some(vec![
                    "total".into(),
                    count(self.all.items),
                    amount(self.all.total),
                    pct(if self.all.total.minor == 0 {
                        0.0
                    } else {
                        100.0
                    }),
                ]);
                t
            }
            Some(groups) => {
                let mut columns: Vec<(&str, Align)> = vec![("group", Align::Left)];
                columns.extend(BUCKETS.iter().map(|b| (*b, Align::Right)));
                columns.extend([("total", Align::Right), ("overdue_%", Align::Right)]);
                let mut t = Table::new(title, &columns);
                let row = |name: &str, b: &Buckets| {
                    let mut r = vec![name.to_string()];
                    r.extend(b.buckets.iter().map(|x| amount(x.amount)));
                    r.push(amount(b.total));
                    r.push(pct(b.overdue_percent));
                    r
                };
                for g in groups {
                    t.rows.push(row(&g.group, &g.buckets));
                }
                t.totals = Some(row("total", &self.all));
                t
            }
        };
        t.notes.push(format!(
            "overdue: {} ({}% of the open amount)",
            amount(self.all.overdue),
            pct(self.all.overdue_percent)
        ));
        if !self.missing_rates.is_empty() {
            t.notes.push(format!(
                "left out (no rate): {}",
                self.missing_rates.join(", ")
            ));
        }
        t
    }

    /// The chart: one bar per bucket, in `language`.
    pub fn chart(&self, language: &str) -> String {
        let title = if language.starts_with("fr") {
            format!("Balance âgée au {}", self.date)
        } else {
            format!("Aging on {}", self.date)
        };
        relance_templates::charts::bars_svg(&relance_templates::charts::Bars {
            title,
            currency: self.currency.clone(),
            language: language.to_string(),
            bars: self
                .all
                .buckets
                .iter()
                .map(|b| {
                    (
                        bucket_label(b.bucket, language),
                        i64::try_from(b.amount.minor).unwrap_or(i64::MAX),
                    )
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_days_past_due_on_the_date() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("a date");
        let on = d("2026-11-30");
        assert_eq!(bucket(d("2026-11-30"), on), "not_due");
        assert_eq!(bucket(d("2026-12-15"), on), "not_due");
        assert_eq!(bucket(d("2026-11-29"), on), "1-30");
        assert_eq!(bucket(d("2026-10-31"), on), "1-30");
        assert_eq!(bucket(d("2026-10-30"), on), "31-60");
        assert_eq!(bucket(d("2026-10-01"), on), "31-60");
        assert_eq!(bucket(d("2026-09-30"), on), "61-90");
        assert_eq!(bucket(d("2026-09-01"), on), "61-90");
        assert_eq!(bucket(d("2026-08-31"), on), "over_90");
    }
}
