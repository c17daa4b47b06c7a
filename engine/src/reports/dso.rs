//! `dso`: days sales outstanding on D, standard and countback, with the
//! figures they are computed from.
//!
//! - **Receivables at D**: the open debit items' remaining (invoices and
//!   debit notes), minus the open credit notes' remaining, minus the
//!   unallocated payments' remaining (items of kind `payment`). Reports
//!   see the data as of D ([`super::ReportData::as_of`]): an item's
//!   remaining is raised by the payments recorded after D, and items issued
//!   after D are left out; what this function reads is taken as D's.
//! - **Sales** of a span of days: the `amount` (not the remaining) of the
//!   invoices and debit notes whose `issue_date` falls in it, minus the
//!   `amount` of the credit notes issued in it. Items without an
//!   `issue_date` cannot be placed in time: they are left out of every sales
//!   figure and counted in `no_issue_date`.
//! - **Standard DSO** over N days (default 90): receivables ÷ the sales of
//!   (D−N, D] × N (negative when credits exceed the open debits).
//! - **Countback DSO**: the receivables are matched against sales walking
//!   back month by month from D — first the calendar month holding D, from
//!   its first day to D, then each whole previous month. While a month's
//!   sales do not exceed what is left of the receivables, they are
//!   subtracted and the month's days counted (a month whose sales are zero
//!   or negative counts whole); in the month whose sales exceed what is
//!   left, `left ÷ that month's sales × that month's days` is counted and
//!   the walk stops. Receivables of zero or less count 0 days. The walk
//!   stops after 24 months: receivables still left then give no figure.
//!
//! Both figures are days with one decimal (rounded half away from zero),
//! `null` when they cannot be computed, with the reason in
//! `standard_unavailable` / `countback_unavailable`. Amounts are in the
//! platform currency, each item converted and rounded once; items of a
//! currency without a rate are left out of every figure and the currency is
//! listed in `missing_rates`.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt as _};

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use super::{Converter, ReportData};
use crate::planner::facts::ItemType;
use crate::planner::{Money, Planner};

/// The default period of the standard DSO, in days (`--days`).
pub const DEFAULT_DAYS: i64 = 90;

/// How many months the countback walk goes back at most.
pub const COUNTBACK_MONTHS: u32 = 24;

/// Why the standard DSO is `null`: the period's sales are zero or less.
pub const NO_SALES: &str = "no_sales";

/// Why the countback DSO is `null`: 24 months of sales do not use up the
/// receivables.
pub const OVER_24_MONTHS: &str = "over_24_months";

/// One month of the countback walk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Month {
    /// The calendar month, `2026-11`.
    pub month: String,
    /// Its sales (for the month holding D: from its first day to D),
    /// platform currency.
    pub sales: Money,
    /// The days it adds to the countback DSO, one decimal: the month's days
    /// (for the month holding D: D's day of the month), or the fraction of
    /// them that uses up the receivables.
    pub days_counted: f64,
}

/// The DSO report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dso {
    /// `dso`.
    pub report: &'static str,
    /// D.
    pub date: NaiveDate,
    /// The platform currency.
    pub currency: String,
    /// Receivables at D (as stored), platform currency.
    pub receivables: Money,
    /// The sales of (D−`days`, D], platform currency.
    pub sales: Money,
    /// N, the period of the standard DSO in days.
    pub days: i64,
    /// receivables ÷ sales × days, one decimal; `null` when sales are zero
    /// or less.
    pub standard: Option<f64>,
    /// `no_sales` when `standard` is `null`.
    pub standard_unavailable: Option<&'static str>,
    /// The countback DSO, one decimal; `null` when 24 months of sales do
    /// not use up the receivables.
    pub countback: Option<f64>,
    /// `over_24_months` when `countback` is `null`.
    pub countback_unavailable: Option<&'static str>,
    /// The countback walk, from the month holding D back.
    pub months: Vec<Month>,
    /// Invoices, debit notes and credit notes without an issue date, left
    /// out of the sales.
    pub no_issue_date: usize,
    /// Currencies without a rate met in the receivables or the sales: left
    /// out of the figures.
    pub missing_rates: Vec<String>,
}

/// Days with one decimal, rounded half away from zero.
fn one_decimal(days: f64) -> f64 {
    (days * 10.0).round() / 10.0
}

/// The first day of the month holding `date`.
fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The DSO on `date` over the last `days` days (values below 1 are taken
/// as 1).
pub fn dso(planner: &Planner, data: &ReportData, date: NaiveDate, days: i64) -> Dso {
    let days = days.max(1);
    let mut convert = Converter::new(planner);
    let zero = convert.zero();
    let mut receivables = zero;
    let mut sales = zero;
    let mut no_issue_date = 0;
    // The sales of each month of the walk, by how many months back (0: the
    // month holding D).
    let mut monthly: BTreeMap<u32, Money> = BTreeMap::new();
    let period_start = date.checked_sub_days(chrono::Days::new(days.unsigned_abs()));
    let this_month = month_start(date);
    let walk_start = this_month
        .checked_sub_months(Months::new(COUNTBACK_MONTHS - 1))
        .unwrap_or(NaiveDate::MIN);
    for item in &data.items {
        if item.remaining > 0
            && let Some(value) = convert.convert(item.remaining, &item.currency)
        {
            if item.kind.is_debit() {
                receivables += value;
            } else {
                // Credit notes and unallocated payments.
                receivables -= value;
            }
        }
        let sign = match item.kind {
            ItemType::Invoice | ItemType::DebitNote => 1,
            ItemType::CreditNote => -1,
            ItemType::Payment => continue,
        };
        let Some(issued) = item.issue_date else {
            no_issue_date += 1;
            continue;
        };
        if issued > date {
            continue;
        }
        let in_period = period_start.is_none_or(|start| issued > start);
        let in_walk = issued >= walk_start;
        if !in_period && !in_walk {
            continue;
        }
        let Some(value) = convert.convert(item.amount, &item.currency) else {
            continue;
        };
        let value = if sign > 0 { value } else { -value };
        if in_period {
            sales += value;
        }
        if in_walk {
            let back =
                (date.year() - issued.year()) * 12 + date.month() as i32 - issued.month() as i32;
            *monthly.entry(back.unsigned_abs()).or_insert(zero) += value;
        }
    }
    let (standard, standard_unavailable) = if sales.minor > 0 {
        let ratio = receivables.minor as f64 / sales.minor as f64;
        (Some(one_decimal(ratio * days as f64)), None)
    } else {
        (None, Some(NO_SALES))
    };
    let (countback, months) = countback(receivables, &monthly, date, zero);
    Dso {
        report: "dso",
        date,
        currency: planner.config.settings.currency.clone(),
        receivables,
        sales,
        days,
        standard,
        standard_unavailable,
        countback_unavailable: countback.is_none().then_some(OVER_24_MONTHS),
        countback,
        months,
        no_issue_date,
        missing_rates: convert.missing(),
    }
}

/// The standard DSO over `days` days at the end of each of `ends` (each
/// before the data's date), as [`dso`] of the data as of that day
/// ([`super::ReportData::as_of`]) would give it, in one pass over the
/// items instead of a copy of them per day.
pub fn standard_on(
    planner: &Planner,
    data: &ReportData,
    ends: &[NaiveDate],
    days: i64,
) -> Vec<Option<f64>> {
    let days = days.max(1);
    let mut convert = Converter::new(planner);
    let zero = convert.zero();
    let mut receivables = vec![zero; ends.len()];
    let mut sales = vec![zero; ends.len()];
    let Some(earliest) = ends.iter().min().copied() else {
        return Vec::new();
    };
    // Each item's payments after the earliest day, which raise its
    // remaining back on the days before them.
    let mut later: HashMap<(&str, &str), Vec<(NaiveDate, i64)>> = HashMap::new();
    for p in data.payments.iter().filter(|p| p.paid_on > earliest) {
        later
            .entry((p.customer.as_str(), p.reference.as_str()))
            .or_default()
            .push((p.paid_on, p.amount));
    }
    let starts: Vec<Option<NaiveDate>> = ends
        .iter()
        .map(|end| end.checked_sub_days(chrono::Days::new(days.unsigned_abs())))
        .collect();
    for item in &data.items {
        let paid = later.get(&(item.customer.as_str(), item.reference.as_str()));
        let sign = match item.kind {
            ItemType::Invoice | ItemType::DebitNote => 1,
            ItemType::CreditNote => -1,
            ItemType::Payment => 0,
        };
        let mut remaining_now = None;
        let mut amount = None;
        for (k, end) in ends.iter().enumerate() {
            if item.issue_date.is_some_and(|d| d > *end) {
                continue;
            }
            let paid_after: i64 = paid.map_or(0, |paid| {
                paid.iter().filter(|(on, _)| on > end).map(|(_, a)| a).sum()
            });
            let remaining = if paid_after > 0 {
                (item.remaining + paid_after).min(item.amount.max(item.remaining))
            } else {
                item.remaining
            };
            if remaining > 0 {
                let value = if remaining == item.remaining {
                    *remaining_now.get_or_insert_with(|| convert.convert(remaining, &item.currency))
                } else {
                    convert.convert(remaining, &item.currency)
                };
                if let Some(value) = value {
                    if item.kind.is_debit() {
                        receivables[k] += value;
                    } else {
                        receivables[k] -= value;
                    }
                }
            }
            let Some(issued) = item.issue_date else {
                continue;
            };
            if sign != 0
                && starts[k].is_none_or(|start| issued > start)
                && let Some(value) =
                    *amount.get_or_insert_with(|| convert.convert(item.amount, &item.currency))
            {
                sales[k] += if sign > 0 { value } else { -value };
            }
        }
    }
    receivables
        .iter()
        .zip(&sales)
        .map(|(receivables, sales)| {
            (sales.minor > 0)
                .then(|| one_decimal(receivables.minor as f64 / sales.minor as f64 * days as f64))
        })
        .collect()
}

/// The countback walk: the DSO (`None` past 24 months) and the months
/// walked.
fn countback(
    receivables: Money,
    monthly: &BTreeMap<u32, Money>,
    date: NaiveDate,
    zero: Money,
) -> (Option<f64>, Vec<Month>) {
    let mut left = receivables.minor;
    let mut total = 0.0;
    let mut months = Vec::new();
    let this_month = month_start(date);
    for back in 0..COUNTBACK_MONTHS {
        if left <= 0 {
            return (Some(one_decimal(total)), months);
        }
        let Some(start) = this_month.checked_sub_months(Months::new(back)) else {
            break;
        };
        let month_days = if back == 0 {
            i64::from(date.day())
        } else {
            start
                .checked_add_months(Months::new(1))
                .map_or(30, |next| (next - start).num_days())
        };
        let sales = monthly.get(&back).copied().unwrap_or(zero);
        let counted = if sales.minor > left {
            let fraction = left as f64 / sales.minor as f64 * month_days as f64;
            left = 0;
            fraction
        } else {
            left -= sales.minor;
            month_days as f64
        };
        total += counted;
        months.push(Month {
            month: start.format("%Y-%m").to_string(),
            sales,
            days_counted: one_decimal(counted),
        });
    }
    if left <= 0 {
        (Some(one_decimal(total)), months)
    } else {
        (None, months)
    }
}

/// Hand-built planners and items for the reports' tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::NaiveDate;

    use crate::planner::Planner;
    use crate::planner::facts::ItemType;
    use crate::reports::ReportItem;

    /// A date from its ISO text.
    pub fn d(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    /// A planner in EUR with a rate for GBP (2) and none for USD, and the
    /// statuses `promise` and `dispute`.
    pub fn planner() -> Planner {
        let text = "settings {\n  timezone \"Europe/Paris\"\n  currency \"EUR\"\n  \
                    default_scenario \"s\"\n  rate GBP 2\n}\n\
                    status \"promise\" {\n  suspends until item.promise_date + 3d\n}\n\
                    status \"dispute\" {\n  suspends\n}\n\
                    scenario \"s\" {\n  step \"call\" at due { task call }\n}\n";
        crate::reports::forecast::testing::planner_of(text)
    }

    /// An item of customer `C1` in EUR, open for its whole `amount` (major
    /// units), issued on `issued` (`""`: no issue date), due on `due`.
    pub fn item(
        reference: &str,
        kind: ItemType,
        issued: &str,
        due: &str,
        amount: i64,
    ) -> ReportItem {
        ReportItem {
            customer: "C1".into(),
            account: "C1".into(),
            reference: reference.into(),
            kind,
            issue_date: (!issued.is_empty()).then(|| d(issued)),
            due_date: d(due),
            amount: amount * 100,
            remaining: amount * 100,
            currency: "EUR".into(),
            status: None,
            status_since: None,
            promise_date: None,
            comment: None,
            cleared_on: None,
            collector: None,
            scenario: None,
        }
    }

    /// `item` cleared: nothing remaining, due when issued (`""`: no issue
    /// date, due on 2026-01-01).
    pub fn cleared(reference: &str, kind: ItemType, issued: &str, amount: i64) -> ReportItem {
        let due = if issued.is_empty() {
            "2026-01-01"
        } else {
            issued
        };
        ReportItem {
            remaining: 0,
            ..item(reference, kind, issued, due, amount)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{cleared, d, item, planner};
    use super::*;
    use crate::planner::facts::ItemType::{CreditNote, DebitNote, Invoice, Payment};

    fn data(items: Vec<crate::reports::ReportItem>) -> ReportData {
        ReportData {
            items,
            ..ReportData::default()
        }
    }

    #[test]
    fn standard_dso_is_receivables_over_the_periods_sales_times_its_days() {
        // D = 2026-11-30, N = 90: the period is (2026-09-01, 2026-11-30].
        let items = vec![
            // Receivables: 1,200 open − 100 credit note − 100 payment = 1,000.
            item("INV-1", Invoice, "2026-11-10", "2026-12-10", 1_200),
            item("CN-1", CreditNote, "2026-08-01", "2026-08-01", 100),
            item("PAY-1", Payment, "", "2026-11-01", 100),
            // Sales: INV-1, INV-2, DN-1 less CN-2 and CN-3 (CN-1 is older):
            // 1,200 + 1,900 + 500 − 300 − 300 = 3,000.
            cleared("INV-2", Invoice, "2026-10-05", 1_900),
            cleared("DN-1", DebitNote, "2026-09-02", 500),
            cleared("CN-2", CreditNote, "2026-10-20", 300),
            cleared("CN-3", CreditNote, "2026-11-30", 300),
            // Outside the period: on its first day, after D.
            cleared("INV-3", Invoice, "2026-09-01", 7_000),
            cleared("INV-4", Invoice, "2026-12-01", 7_000),
            // No issue date: left out and counted.
            cleared("INV-5", Invoice, "", 7_000),
        ];
        let report = dso(&planner(), &data(items), d("2026-11-30"), DEFAULT_DAYS);
        assert_eq!(report.receivables.minor, 100_000);
        assert_eq!(report.sales.minor, 300_000);
        assert_eq!(report.days, 90);
        assert_eq!(report.standard, Some(30.0));
        assert_eq!(report.standard_unavailable, None);
        assert_eq!(report.no_issue_date, 1);
        assert!(report.missing_rates.is_empty());
        let json = serde_json::to_value(&report).expect("serializes");
        assert_eq!(json["report"], "dso");
        assert_eq!(json["receivables"], 1000.0);
        assert_eq!(json["sales"], 3000.0);
        assert_eq!(json["standard"], 30.0);
    }

    #[test]
    fn countback_walks_back_whole_months_then_a_fraction() {
        // D = 2026-11-15. Receivables 2,500.
        // November (1st–15th, 15 days): sales 1,000 → left 1,500, 15 days.
        // October (31 days): sales 1,000 → left 500, 31 days.
        // September (30 days): sales 2,000 > 500 → 500/2,000 × 30 = 7.5.
        // Countback: 15 + 31 + 7.5 = 53.5.
        let items = vec![
            item("OPEN", Invoice, "", "2026-12-31", 2_500),
            cleared("NOV", Invoice, "2026-11-15", 1_000),
            // After D: not November's sales.
            cleared("NOV-LATE", Invoice, "2026-11-16", 9_000),
            cleared("OCT-1", Invoice, "2026-10-01", 1_200),
            cleared("OCT-CN", CreditNote, "2026-10-31", 200),
            cleared("SEP", Invoice, "2026-09-30", 2_000),
            cleared("AUG", Invoice, "2026-08-31", 9_000),
        ];
        let report = dso(&planner(), &data(items), d("2026-11-15"), DEFAULT_DAYS);
        assert_eq!(report.countback, Some(53.5));
        assert_eq!(report.countback_unavailable, None);
        let walk: Vec<(&str, i128, f64)> = report
            .months
            .iter()
            .map(|m| (m.month.as_str(), m.sales.minor, m.days_counted))
            .collect();
        assert_eq!(
            walk,
            vec![
                ("2026-11", 100_000, 15.0),
                ("2026-10", 100_000, 31.0),
                ("2026-09", 200_000, 7.5),
            ]
        );
        let json = serde_json::to_value(&report).expect("serializes");
        assert_eq!(json["months"][2]["month"], "2026-09");
        assert_eq!(json["months"][2]["sales"], 2000.0);
        assert_eq!(json["months"][2]["days_counted"], 7.5);
        assert_eq!(json["countback"], 53.5);
    }

    #[test]
    fn without_sales_both_figures_are_null_and_say_why() {
        let items = vec![item("OPEN", Invoice, "", "2026-10-01", 1_000)];
        let report = dso(&planner(), &data(items), d("2026-11-30"), DEFAULT_DAYS);
        assert_eq!(report.sales.minor, 0);
        assert_eq!(report.standard, None);
        assert_eq!(report.standard_unavailable, Some(NO_SALES));
        assert_eq!(report.countback, None);
        assert_eq!(report.countback_unavailable, Some(OVER_24_MONTHS));
        assert_eq!(report.months.len(), 24);
        assert_eq!(report.months[23].month, "2024-12");
        let json = serde_json::to_value(&report).expect("serializes");
        assert!(json["standard"].is_null());
        assert!(json["countback"].is_null());
    }

    #[test]
    fn a_currency_without_a_rate_is_listed_and_left_out() {
        let usd = crate::reports::ReportItem {
            currency: "USD".into(),
            ..item("USD-1", Invoice, "2026-11-01", "2026-12-01", 5_000)
        };
        let gbp = crate::reports::ReportItem {
            currency: "GBP".into(),
            ..item("GBP-1", Invoice, "2026-11-01", "2026-12-01", 100)
        };
        let eur = cleared("EUR-1", Invoice, "2026-11-01", 1_800);
        let report = dso(&planner(), &data(vec![usd, gbp, eur]), d("2026-11-30"), 30);
        // GBP at 2: 200 EUR open, 200 + 1,800 sold.
        assert_eq!(report.receivables.minor, 20_000);
        assert_eq!(report.sales.minor, 200_000);
        assert_eq!(report.standard, Some(3.0));
        assert_eq!(report.missing_rates, vec!["USD".to_string()]);
        // November, 30 days: 200 of 2,000 sold → 3 days.
        assert_eq!(report.countback, Some(3.0));
    }

    #[test]
    fn no_receivables_is_zero_days() {
        let items = vec![cleared("INV", Invoice, "2026-11-01", 1_000)];
        let report = dso(&planner(), &data(items), d("2026-11-30"), DEFAULT_DAYS);
        assert_eq!(report.standard, Some(0.0));
        assert_eq!(report.countback, Some(0.0));
        assert!(report.months.is_empty());
    }
}
