//! `profile`: accounts by payment behaviour, and its trend month by month.
//!
//! An account's **payment delay** on a date T is the amount-weighted mean
//! of (payment date − the paid item's due date), in days, over the
//! payments of its customers made in the 365 days up to T (paid on a day
//! in (T − 365 days, T]), each payment weighed by its amount in the
//! platform currency, the mean rounded to whole days (halves away from
//! zero). Payments of currencies without a rate are left out (and listed
//! in `missing_rates`). Its class:
//! - `on_time`: delay ≤ 0;
//! - `up_to_15`: 1 to 15 days;
//! - `15_to_45`: 16 to 45 days;
//! - `over_45`: more than 45 days;
//! - `no_history`: no payment in those 365 days.
//!
//! The accounts are those of the report's items (open or cleared); a
//! payment counts for the account of its customer. `classes` lists the
//! five classes in that order, each with its number of accounts on D and
//! their open amount on D (the remaining of their open debit items).
//! `trend` classifies the same accounts at the end of each of the 12
//! months up to D's (the oldest first; D's own month is seen on D, not
//! after it), from the payments made up to then, and counts them.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt as _};

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use super::{Converter, Payment, ReportData};
use crate::planner::{Money, Planner};

/// The classes, in order.
pub const CLASSES: [&str; 5] = ["on_time", "up_to_15", "15_to_45", "over_45", "no_history"];

/// How far back payments count for a delay, in days.
pub const HISTORY_DAYS: u64 = 365;

/// The class of a delay (`None`: no history).
pub fn class(delay: Option<i64>) -> &'static str {
    match delay {
        None => "no_history",
        Some(..=0) => "on_time",
        Some(1..=15) => "up_to_15",
        Some(16..=45) => "15_to_45",
        Some(_) => "over_45",
    }
}

/// `num ÷ den` rounded to the nearest integer, halves away from zero
/// (`den` > 0).
pub fn rounded_div(num: i128, den: i128) -> i64 {
    let q = (2 * num.abs() + den) / (2 * den);
    let q = if num < 0 { -q } else { q };
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// Whether `day` falls in the 365 days up to `date`: (date − 365, date].
pub fn within_history(day: NaiveDate, date: NaiveDate) -> bool {
    day <= date
        && date
            .checked_sub_days(Days::new(HISTORY_DAYS))
            .is_none_or(|start| day > start)
}

/// Amount-weighted delays: sums of (delay × amount) and of amounts, per key
/// and over everything.
#[derive(Debug, Default)]
pub struct Delays<'p> {
    per_key: HashMap<&'p str, (i128, i128)>,
    all: (i128, i128),
}

impl<'p> Delays<'p> {
    /// The payments made in the 365 days up to `date`, keyed by `key`
    /// (a customer, an account), each weighed by its amount in the platform
    /// currency (payments `convert` cannot convert are left out).
    pub fn of(
        payments: impl IntoIterator<Item = &'p Payment>,
        date: NaiveDate,
        convert: &mut Converter<'_>,
        key: impl Fn(&'p Payment) -> &'p str,
    ) -> Delays<'p> {
        let mut delays = Delays::default();
        for p in payments {
            if !within_history(p.paid_on, date) {
                continue;
            }
            let Some(amount) = convert.convert(p.amount, &p.currency) else {
                continue;
            };
            if amount.minor <= 0 {
                continue;
            }
            let weighted = i128::from((p.paid_on - p.due_date).num_days()) * amount.minor;
            let sums = delays.per_key.entry(key(p)).or_default();
            sums.0 += weighted;
            sums.1 += amount.minor;
            delays.all.0 += weighted;
            delays.all.1 += amount.minor;
        }
        delays
    }

    /// The delay of `key`, whole days; `None` without payments.
    pub fn of_key(&self, key: &str) -> Option<i64> {
        self.per_key
            .get(key)
            .filter(|s| s.1 > 0)
            .map(|s| rounded_div(s.0, s.1))
    }

    /// The delay of every payment together, whole days; `None` without any.
    pub fn overall(&self) -> Option<i64> {
        (self.all.1 > 0).then(|| rounded_div(self.all.0, self.all.1))
    }
}

/// One class on D.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Class {
    /// `on_time`, `up_to_15`, `15_to_45`, `over_45`, `no_history`.
    pub class: &'static str,
    /// How many accounts.
    pub customers: usize,
    /// Their open debit items' remaining on D, platform currency.
    pub open: Money,
}

/// The classes' counts at the end of one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Month {
    /// `2026-11`.
    pub month: String,
    /// Accounts on time.
    pub on_time: usize,
    /// Accounts 1 to 15 days late.
    pub up_to_15: usize,
    /// Accounts 16 to 45 days late.
    #[serde(rename = "15_to_45")]
    pub from_15_to_45: usize,
    /// Accounts more than 45 days late.
    pub over_45: usize,
    /// Accounts without payments in the 365 days before.
    pub no_history: usize,
}

/// The profile report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// `profile`.
    pub report: &'static str,
    /// D.
    pub date: NaiveDate,
    /// The platform currency.
    pub currency: String,
    /// The five classes on D, in order.
    pub classes: Vec<Class>,
    /// The 12 months up to D's, oldest first.
    pub trend: Vec<Month>,
    /// Currencies without a rate (open items' or payments'): left out.
    pub missing_rates: Vec<String>,
}

/// The day a month's classes are seen: its last day, but never after `date`.
fn month_end(year: i32, month: u32, date: NaiveDate) -> Option<NaiveDate> {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let end = NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()?;
    Some(end.min(date))
}

/// The profile of `data` on `date`.
pub fn profile(planner: &Planner, data: &ReportData, date: NaiveDate) -> Profile {
    let mut convert = Converter::new(planner);
    let zero = convert.zero();
    // Every account with its open amount, and the account of each
    // customer; items come by account, so each run of one account's items
    // is added up before it is looked up.
    let mut open: BTreeMap<&str, Money> = BTreeMap::new();
    let mut account_of: HashMap<&str, &str> = HashMap::new();
    let mut run: Option<(&str, &str, Money)> = None;
    for item in &data.items {
        match &mut run {
            Some((customer, account, _))
                if *customer == item.customer && *account == item.account => {}
            _ => {
                if let Some((_, account, sum)) = run.take() {
                    *open.entry(account).or_insert(zero) += sum;
                }
                account_of.insert(&item.customer, &item.account);
                run = Some((&item.customer, &item.account, zero));
            }
        }
        if item.is_open_debit()
            && let Some(amount) = convert.convert(item.remaining, &item.currency)
            && let Some((_, _, sum)) = &mut run
        {
            *sum += amount;
        }
    }
    if let Some((_, account, sum)) = run {
        *open.entry(account).or_insert(zero) += sum;
    }
    let index: HashMap<&str, usize> = open.keys().enumerate().map(|(i, a)| (*a, i)).collect();

    // The days the accounts are classed on: D, then the end of each of
    // the 12 months up to D's.
    let mut ends = vec![(None, date)];
    let first = date.year() * 12 + date.month0() as i32 - 11;
    for m in first..first + 12 {
        let (year, month) = (m.div_euclid(12), m.rem_euclid(12) as u32 + 1);
        if let Some(end) = month_end(year, month, date) {
            ends.push((Some(format!("{year:04}-{month:02}")), end));
        }
    }
    // Each payment that counts on one of those days, converted once:
    // (paid on, its account's index, delay × amount, amount).
    let counted = |day: NaiveDate| ends.iter().any(|(_, end)| within_history(day, *end));
    let mut weighed: Vec<(NaiveDate, usize, i128, i128)> = Vec::new();
    for p in data.payments.iter().filter(|p| counted(p.paid_on)) {
        let Some(amount) = convert.convert(p.amount, &p.currency) else {
            continue;
        };
        let account = account_of
            .get(p.customer.as_str())
            .copied()
            .unwrap_or(&p.customer);
        let Some(&i) = index.get(account) else {
            continue;
        };
        if amount.minor > 0 {
            let weighted = i128::from((p.paid_on - p.due_date).num_days()) * amount.minor;
            weighed.push((p.paid_on, i, weighted, amount.minor));
        }
    }
    // Each account's class on `day`, as an index into CLASSES.
    let classes_on = |day: NaiveDate| -> Vec<usize> {
        let mut sums = vec![(0i128, 0i128); open.len()];
        for (paid_on, i, weighted, amount) in &weighed {
            if within_history(*paid_on, day) {
                sums[*i].0 += weighted;
                sums[*i].1 += amount;
            }
        }
        sums.iter()
            .map(|(weighted, amount)| {
                let delay = (*amount > 0).then(|| rounded_div(*weighted, *amount));
                CLASSES.iter().position(|c| *c == class(delay)).unwrap_or(4)
            })
            .collect()
    };
    let counts = |classes: &[usize]| {
        let mut counts = [0usize; 5];
        for c in classes {
            counts[*c] += 1;
        }
        counts
    };
    let now = classes_on(date);
    let on_date = counts(&now);
    let classes = CLASSES
        .iter()
        .enumerate()
        .map(|(i, c)| Class {
            class: c,
            customers: on_date[i],
            open: now
                .iter()
                .zip(open.values())
                .filter(|(k, _)| **k == i)
                .fold(zero, |sum, (_, amount)| sum + *amount),
        })
        .collect();
    let trend = ends
        .iter()
        .filter_map(|(month, end)| {
            let c = counts(&classes_on(*end));
            Some(Month {
                month: month.clone()?,
                on_time: c[0],
                up_to_15: c[1],
                from_15_to_45: c[2],
                over_45: c[3],
                no_history: c[4],
            })
        })
        .collect();
    Profile {
        report: "profile",
        date,
        currency: planner.config.settings.currency.clone(),
        classes,
        trend,
        missing_rates: convert.missing(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::forecast::testing::*;
    use super::*;

    #[test]
    fn classes_have_closed_bounds() {
        assert_eq!(class(None), "no_history");
        assert_eq!(class(Some(-3)), "on_time");
        assert_eq!(class(Some(0)), "on_time");
        assert_eq!(class(Some(1)), "up_to_15");
        assert_eq!(class(Some(15)), "up_to_15");
        assert_eq!(class(Some(16)), "15_to_45");
        assert_eq!(class(Some(45)), "15_to_45");
        assert_eq!(class(Some(46)), "over_45");
    }

    #[test]
    fn means_round_halves_away_from_zero() {
        assert_eq!(rounded_div(25, 2), 13);
        assert_eq!(rounded_div(-25, 2), -13);
        assert_eq!(rounded_div(24, 2), 12);
        assert_eq!(rounded_div(49, 4), 12);
        assert_eq!(rounded_div(51, 4), 13);
    }

    /// On 2026-11-26: A on time (−2 days), B 10 days late from June, C 30
    /// (16 on 100 then 60 on 100: 38) from August, E 60, F never
    /// paid; G pays through its child customer G2, 46 days late, in
    /// November.
    fn data() -> ReportData {
        let mut g2 = invoice("G2", "G2-1", "2026-12-01", 900);
        g2.account = "G".into();
        let mut usd = invoice("F", "F2", "2026-12-01", 500);
        usd.currency = "USD".into();
        ReportData {
            items: vec![
                invoice("A", "A1", "2026-12-01", 1_000),
                invoice("A", "A2", "2026-12-01", 2_000),
                invoice("B", "B1", "2026-12-01", 3_000),
                invoice("C", "C1", "2026-12-01", 0),
                invoice("E", "E1", "2026-12-01", 4_000),
                invoice("F", "F1", "2026-12-01", 5_000),
                usd,
                invoice("G", "G1", "2026-12-01", 100),
                g2,
            ],
            payments: vec![
                payment("A", "2026-01-10", "2026-01-08", 10_000),
                payment("B", "2026-06-01", "2026-06-11", 10_000),
                payment("C", "2026-08-01", "2026-08-17", 10_000),
                payment("C", "2026-08-01", "2026-09-30", 10_000),
                payment("E", "2025-10-01", "2025-11-30", 10_000),
                payment("G2", "2026-09-20", "2026-11-05", 10_000),
            ],
            disputes: vec![],
        }
    }

    #[test]
    fn accounts_are_classed_by_their_weighted_delay() {
        let p = profile(&planner(), &data(), d("2026-11-26"));
        let classes: Vec<(&str, usize, Money)> = p
            .classes
            .iter()
            .map(|c| (c.class, c.customers, c.open))
            .collect();
        assert_eq!(
            classes,
            [
                ("on_time", 1, eur(3_000)),
                ("up_to_15", 1, eur(3_000)),
                ("15_to_45", 1, eur(0)),
                ("over_45", 2, eur(5_000)),
                ("no_history", 1, eur(5_000)),
            ]
        );
        assert_eq!(p.missing_rates, ["USD"]);
    }

    #[test]
    fn the_trend_classes_accounts_at_each_month_end() {
        let p = profile(&planner(), &data(), d("2026-11-26"));
        let months: Vec<&str> = p.trend.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], "2025-12");
        assert_eq!(months[11], "2026-11");
        let at = |month: &str| {
            let m = p.trend.iter().find(|m| m.month == month).expect("a month");
            [
                m.on_time,
                m.up_to_15,
                m.from_15_to_45,
                m.over_45,
                m.no_history,
            ]
        };
        // Only E has paid (2025-11-30).
        assert_eq!(at("2025-12"), [0, 0, 0, 1, 5]);
        // A from January, B from June.
        assert_eq!(at("2026-06"), [1, 1, 0, 1, 3]);
        // C's first payment: 16 days.
        assert_eq!(at("2026-08"), [1, 1, 1, 1, 2]);
        // C's second: 38 days; still 15 to 45.
        assert_eq!(at("2026-09"), [1, 1, 1, 1, 2]);
        // G pays in November, seen on D (not on 2026-11-30); E's payment
        // of 2025-11-30 is still within the 365 days.
        assert_eq!(at("2026-10"), [1, 1, 1, 1, 2]);
        assert_eq!(at("2026-11"), [1, 1, 1, 2, 1]);
        let json = serde_json::to_value(&p).expect("serialises");
        assert_eq!(json["trend"][11]["15_to_45"], 1);
        assert_eq!(json["classes"][2]["class"], "15_to_45");
    }
}
