//! `receipts`: cash received per ISO week or calendar month.
//!
//! The payments are the payment history (`ReportData::payments`: each time
//! an item's remaining went down, by how much, on what day) paid on D or
//! before. Each is counted in the period holding its `paid_on`: the ISO
//! week (`2026-W49`, weeks from Monday; the first week of a year is the one
//! holding its first Thursday, so 2026-12-31 is in `2026-W53` and
//! 2027-01-04 in `2027-W01`) or the calendar month (`2026-11`).
//!
//! The window runs from the period holding `from` to the period holding D,
//! both included; without `from`, the last 13 weeks or 12 months up to D
//! (the period holding D and the 12 or 11 before it). Every period of the
//! window is listed, oldest first, empty ones with 0; the period holding D
//! counts only up to D. A `from` after D gives no period.
//!
//! Amounts are in the platform currency, each payment converted and
//! rounded once; payments of a currency without a rate are left out and the
//! currency listed in `missing_rates`. Grouped (`--by`), a payment belongs
//! to the group of its item (looked up by customer and reference); a
//! payment whose item is not in the data is grouped under its customer by
//! customer, under `none` otherwise.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::Serialize;

use super::{By, Converter, ReportData, ReportItem};
use crate::planner::{Money, Planner};

/// Weeks listed without `from`.
pub const DEFAULT_WEEKS: u32 = 13;

/// Months listed without `from`.
pub const DEFAULT_MONTHS: u32 = 12;

/// How receipts are bucketed (`--period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// ISO weeks, `2026-W49`.
    Week,
    /// Calendar months, `2026-11`.
    Month,
}

impl Period {
    /// From `week` or `month`.
    pub fn parse(text: &str) -> Option<Period> {
        match text {
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }

    /// The first day of the period holding `date`.
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Week => date.week(Weekday::Mon).checked_first_day().unwrap_or(date),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }

    /// The first day of the next period, after `start` (a period's first
    /// day); `None` past the calendar's end.
    fn next(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Week => start.checked_add_days(Days::new(7)),
            Period::Month => start.checked_add_months(Months::new(1)),
        }
    }

    /// The name of the period holding `date`: `2026-W49` or `2026-11`.
    pub fn label(self, date: NaiveDate) -> String {
        match self {
            Period::Week => {
                let week = date.iso_week();
                format!("{:04}-W{:02}", week.year(), week.week())
            }
            Period::Month => date.format("%Y-%m").to_string(),
        }
    }

    /// The default window's first day: the start of the period 12 weeks or
    /// 11 months before the one holding `date`.
    fn default_from(self, date: NaiveDate) -> NaiveDate {
        let start = self.start(date);
        match self {
            Period::Week => start.checked_sub_days(Days::new(7 * u64::from(DEFAULT_WEEKS - 1))),
            Period::Month => start.checked_sub_months(Months::new(DEFAULT_MONTHS - 1)),
        }
        .unwrap_or(start)
    }
}

/// One period's receipts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodLine {
    /// `2026-W49` or `2026-11`.
    pub period: String,
    /// Cash received in it, platform currency.
    pub amount: Money,
    /// How many payments.
    pub payments: usize,
}

/// The receipts of one group (`--by`) or of everything.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lines {
    /// Every period of the window, oldest first (empty ones too).
    pub periods: Vec<PeriodLine>,
    /// Their sum.
    pub total: Money,
    /// Payments in all.
    pub payments: usize,
}

/// One group's receipts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The account, collector or scenario.
    pub group: String,
    /// Its receipts.
    #[serde(flatten)]
    pub lines: Lines,
}

/// The cash receipts report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Receipts {
    /// `receipts`.
    pub report: &'static str,
    /// D.
    pub date: NaiveDate,
    /// The platform currency.
    pub currency: String,
    /// `week` or `month`.
    pub period: Period,
    /// Everything.
    #[serde(flatten)]
    pub all: Lines,
    /// Per group, when grouped, by group name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
    /// Currencies of payments in the window without a rate: left out of
    /// the amounts.
    pub missing_rates: Vec<String>,
}

impl Lines {
    fn new(starts: &[NaiveDate], period: Period, zero: Money) -> Lines {
        Lines {
            periods: starts
                .iter()
                .map(|s| PeriodLine {
                    period: period.label(*s),
                    amount: zero,
                    payments: 0,
                })
                .collect(),
            total: zero,
            payments: 0,
        }
    }

    fn add(&mut self, index: usize, amount: Money) {
        if let Some(line) = self.periods.get_mut(index) {
            line.amount += amount;
            line.payments += 1;
            self.total += amount;
            self.payments += 1;
        }
    }
}

/// The group of a payment's item (see the module's documentation).
fn group_of(by: By, item: Option<&ReportItem>, customer: &str) -> String {
    match (item, by) {
        (Some(item), _) => by.key(item),
        (None, By::Customer) => customer.to_string(),
        (None, _) => "none".into(),
    }
}

/// The receipts of `data` up to `date`, per `period`, from the period
/// holding `from` (default: the last 13 weeks or 12 months), grouped `by`
/// when given.
pub fn receipts(
    planner: &Planner,
    data: &ReportData,
    date: NaiveDate,
    period: Period,
    from: Option<NaiveDate>,
    by: Option<By>,
) -> Receipts {
    let mut convert = Converter::new(planner);
    let zero = convert.zero();
    let first = period.start(from.unwrap_or_else(|| period.default_from(date)));
    let mut starts = Vec::new();
    let mut start = Some(first);
    while let Some(s) = start.filter(|s| *s <= date) {
        starts.push(s);
        start = period.next(s);
    }
    let mut all = Lines::new(&starts, period, zero);
    let mut groups: BTreeMap<String, Lines> = BTreeMap::new();
    let items: HashMap<(&str, &str), &ReportItem> = match by {
        Some(_) => data
            .items
            .iter()
            .map(|i| ((i.customer.as_str(), i.reference.as_str()), i))
            .collect(),
        None => HashMap::new(),
    };
    for payment in &data.payments {
        if payment.paid_on > date || payment.paid_on < first {
            continue;
        }
        // The last period starting on or before the payment.
        let index = starts.partition_point(|s| *s <= payment.paid_on);
        let Some(index) = index.checked_sub(1) else {
            continue;
        };
        let Some(amount) = convert.convert(payment.amount, &payment.currency) else {
            continue;
        };
        all.add(index, amount);
        if let Some(by) = by {
            let item = items.get(&(payment.customer.as_str(), payment.reference.as_str()));
            groups
                .entry(group_of(by, item.copied(), &payment.customer))
                .or_insert_with(|| Lines::new(&starts, period, zero))
                .add(index, amount);
        }
    }
    let groups = by.map(|_| {
        groups
            .into_iter()
            .map(|(group, lines)| Group { group, lines })
            .collect()
    });
    Receipts {
        report: "receipts",
        date,
        currency: planner.config.settings.currency.clone(),
        period,
        all,
        groups,
        missing_rates: convert.missing(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::facts::ItemType::Invoice;
    use crate::reports::Payment;
    use crate::reports::dso::fixtures::{d, item, planner};

    fn paid(customer: &str, reference: &str, on: &str, major: i64, currency: &str) -> Payment {
        Payment {
            customer: customer.into(),
            reference: reference.into(),
            paid_on: d(on),
            amount: major * 100,
            currency: currency.into(),
            due_date: d("2026-10-01"),
        }
    }

    fn lines(lines: &Lines) -> Vec<(&str, i128, usize)> {
        lines
            .periods
            .iter()
            .map(|l| (l.period.as_str(), l.amount.minor, l.payments))
            .collect()
    }

    #[test]
    fn weeks_are_iso_weeks_across_the_year_boundary_with_empty_ones_listed() {
        let data = ReportData {
            payments: vec![
                // Before the window (2026-12-14 is the first week's Monday).
                paid("C1", "I1", "2026-12-13", 1_000, "EUR"),
                paid("C1", "I1", "2026-12-14", 100, "EUR"),
                paid("C1", "I2", "2026-12-31", 200, "EUR"),
                paid("C1", "I3", "2027-01-03", 300, "EUR"),
                paid("C1", "I4", "2027-01-04", 400, "GBP"),
                // After D.
                paid("C1", "I5", "2027-01-06", 1_000, "EUR"),
            ],
            ..ReportData::default()
        };
        let report = receipts(
            &planner(),
            &data,
            d("2027-01-05"),
            Period::Week,
            Some(d("2026-12-16")),
            None,
        );
        assert_eq!(
            lines(&report.all),
            vec![
                ("2026-W51", 10_000, 1),
                ("2026-W52", 0, 0),
                ("2026-W53", 50_000, 2),
                ("2027-W01", 80_000, 1),
            ]
        );
        assert_eq!(report.all.total.minor, 140_000);
        assert_eq!(report.all.payments, 4);
        let json = serde_json::to_value(&report).expect("serializes");
        assert_eq!(json["report"], "receipts");
        assert_eq!(json["period"], "week");
        assert_eq!(json["periods"][3]["period"], "2027-W01");
        assert_eq!(json["periods"][3]["amount"], 800.0);
        assert_eq!(json["total"], 1400.0);
    }

    #[test]
    fn by_default_the_last_thirteen_weeks_or_twelve_months() {
        let data = ReportData {
            payments: vec![
                // Before the window (December 2025 to November 2026).
                paid("C1", "I1", "2025-11-30", 50, "EUR"),
                paid("C1", "I1", "2025-12-01", 100, "EUR"),
                paid("C1", "I2", "2026-11-26", 200, "EUR"),
                paid("C1", "I3", "2026-11-02", 300, "USD"),
            ],
            ..ReportData::default()
        };
        let on = d("2026-11-26");
        let months = receipts(&planner(), &data, on, Period::Month, None, None);
        assert_eq!(months.all.periods.len(), 12);
        assert_eq!(months.all.periods[0].period, "2025-12");
        assert_eq!(months.all.periods[0].amount.minor, 10_000);
        assert_eq!(months.all.periods[1].period, "2026-01");
        assert_eq!(months.all.periods[1].payments, 0);
        assert_eq!(months.all.periods[11].period, "2026-11");
        assert_eq!(months.all.periods[11].amount.minor, 20_000);
        assert_eq!(months.all.total.minor, 30_000);
        assert_eq!(months.missing_rates, vec!["USD".to_string()]);
        let weeks = receipts(&planner(), &data, on, Period::Week, None, None);
        assert_eq!(weeks.all.periods.len(), 13);
        assert_eq!(weeks.all.periods[0].period, "2026-W36");
        assert_eq!(weeks.all.periods[12].period, "2026-W48");
        assert_eq!(weeks.all.total.minor, 20_000);
    }

    #[test]
    fn grouped_a_payment_follows_its_items_account() {
        let data = ReportData {
            items: vec![ReportItem {
                account: "LEAD".into(),
                ..item("I1", Invoice, "", "2026-10-01", 100)
            }],
            payments: vec![
                paid("C1", "I1", "2026-11-02", 100, "EUR"),
                paid("C2", "GONE", "2026-11-03", 40, "EUR"),
            ],
            ..ReportData::default()
        };
        let report = receipts(
            &planner(),
            &data,
            d("2026-11-30"),
            Period::Month,
            Some(d("2026-11-01")),
            Some(By::Customer),
        );
        let groups = report.groups.expect("grouped");
        let names: Vec<(&str, i128)> = groups
            .iter()
            .map(|g| (g.group.as_str(), g.lines.total.minor))
            .collect();
        assert_eq!(names, vec![("C2", 4000), ("LEAD", 10_000)]);
        let by_collector = receipts(
            &planner(),
            &data,
            d("2026-11-30"),
            Period::Month,
            Some(d("2026-11-01")),
            Some(By::Collector),
        );
        let groups = by_collector.groups.expect("grouped");
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].group, "none");
        assert_eq!(groups[0].lines.payments, 2);
    }

    #[test]
    fn periods_parse_from_their_names() {
        assert_eq!(Period::parse("week"), Some(Period::Week));
        assert_eq!(Period::parse("month"), Some(Period::Month));
        assert_eq!(Period::parse("year"), None);
        assert_eq!(Period::Week.label(d("2026-12-31")), "2026-W53");
        assert_eq!(Period::Week.label(d("2027-01-04")), "2027-W01");
    }
}
