//! `forecast`: the cash open debit items are expected to bring, per ISO
//! week for the 13 weeks from D, then `later`.
//!
//! Each open debit item (an invoice or debit note with something
//! remaining), its remaining converted to the platform currency, counts in
//! exactly one of:
//! - `excluded`: its status excludes it from collection (`excludes`, such
//!   as litigation): never forecast;
//! - a week of `weeks`, or `later`, on its **expected date**, or
//!   `off_forecast` when that date is before D;
//! - `disputed`: it has the dispute status and no dispute was resolved in
//!   the 365 days up to D, so nothing says when it will be.
//!
//! The expected date of an item is:
//! - when its status is a promise (a status that suspends until
//!   `item.promise_date`) and it has a promise date: that date, and its
//!   amount also counts in its week's `promised`. A promise dated before
//!   D is broken: the item is off the forecast and listed in
//!   `broken_promises`;
//! - when its status is the dispute status (the settings'
//!   `dispute_status`, else the status named `dispute`): its due date + the
//!   mean resolution time of disputes + its customer's payment delay. The
//!   mean resolution time is that of the disputes of its reason (its
//!   comment's part before `:`) when disputes of that reason were resolved
//!   in the 365 days up to D, else that of every dispute resolved then
//!   (see the `disputes` report);
//! - else its due date + its customer's payment delay.
//!
//! A customer's **payment delay** is the amount-weighted mean of (payment
//! date − due date) over that customer's payments made in the 365 days up
//! to D, rounded to whole days (see the `profile` report); a customer
//! without such payments gets the delay of all the report's payments
//! then, and 0 when there are none.
//!
//! `weeks` are the ISO weeks (Monday to Sunday) from the one holding D,
//! 13 of them, labelled `2026-W49` (the ISO week-numbering year, which
//! differs from the calendar year around January 1st); `later` holds
//! what is expected after them. Items of currencies without a rate are
//! left out of every figure, payments of such currencies out of the
//! delays, and their currencies listed in `missing_rates`. So `weeks` + `later` + `disputed` + `excluded` +
//! `off_forecast` = `total`, the open debit items' remaining.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, TimeDelta};
use relance_dsl::model::StatusEffect;
use serde::Serialize;

use super::disputes::{Resolutions, reason_of};
use super::profile::Delays;
use super::{By, Converter, ReportData, ReportItem};
use crate::planner::{Money, Planner};

/// How many weeks are forecast one by one.
pub const WEEKS: usize = 13;

/// The ISO week label of a day: `2026-W49`.
pub fn week_label(day: NaiveDate) -> String {
    day.format("%G-W%V").to_string()
}

/// The Monday of the ISO week holding `day`.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day.checked_sub_days(Days::new(day.weekday().num_days_from_monday().into()))
        .unwrap_or(day)
}

/// One week's expected cash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    /// The ISO week, `2026-W49`.
    pub week: String,
    /// What is expected that week, platform currency.
    pub amount: Money,
    /// The part of `amount` expected on promises.
    pub promised: Money,
}

/// The figures of one group (`--by`) or of everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// The 13 weeks from D's, in order (empty ones too).
    pub weeks: Vec<Week>,
    /// Expected after the 13 weeks.
    pub later: Money,
    /// Disputed, with no resolution history to forecast it.
    pub disputed: Money,
    /// Excluded from collection: never forecast.
    pub excluded: Money,
    /// Expected before D (broken promises, customers later than usual).
    pub off_forecast: Money,
    /// The open debit items' remaining: the sum of all the above.
    pub total: Money,
}

/// A promise whose date has passed while the item is still open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenPromise {
    /// The customer.
    pub customer: String,
    /// The item.
    pub reference: String,
    /// The promised date (before D).
    pub promise_date: NaiveDate,
    /// Its remaining, platform currency.
    pub amount: Money,
}

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The account, collector or scenario.
    pub group: String,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// The forecast report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forecast {
    /// `forecast`.
    pub report: &'static str,
    /// D.
    pub date: NaiveDate,
    /// The platform currency.
    pub currency: String,
    /// Everything.
    #[serde(flatten)]
    pub all: Figures,
    /// Per group, when grouped, by group name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Group>>,
    /// The broken promises, by customer and reference.
    pub broken_promises: Vec<BrokenPromise>,
    /// Currencies without a rate (open items' or payments'): left out.
    pub missing_rates: Vec<String>,
}

/// Where an item's amount goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// The week at this index; `true` when on a promise.
    Week(usize, bool),
    Later,
    Disputed,
    Excluded,
    Off,
}

impl Figures {
    fn new(labels: &[String], zero: Money) -> Figures {
        Figures {
            weeks: labels
                .iter()
                .map(|week| Week {
                    week: week.clone(),
                    amount: zero,
                    promised: zero,
                })
                .collect(),
            later: zero,
            disputed: zero,
            excluded: zero,
            off_forecast: zero,
            total: zero,
        }
    }

    fn add(&mut self, slot: Slot, amount: Money) {
        match slot {
            Slot::Week(w, promised) => {
                if let Some(week) = self.weeks.get_mut(w) {
                    week.amount += amount;
                    if promised {
                        week.promised += amount;
                    }
                }
            }
            Slot::Later => self.later += amount,
            Slot::Disputed => self.disputed += amount,
            Slot::Excluded => self.excluded += amount,
            Slot::Off => self.off_forecast += amount,
        }
        self.total += amount;
    }
}

/// What the forecast knows of the configuration and the past.
struct Context<'a> {
    planner: &'a Planner,
    dispute_status: Option<String>,
    delays: Delays<'a>,
    resolutions: Resolutions,
    date: NaiveDate,
    monday: NaiveDate,
}

impl Context<'_> {
    /// The customer's payment delay: theirs, else the portfolio's, else 0.
    fn delay(&self, customer: &str) -> i64 {
        self.delays
            .of_key(customer)
            .or_else(|| self.delays.overall())
            .unwrap_or(0)
    }

    /// Where an item expected on `day` goes.
    fn on(&self, day: Option<NaiveDate>, promised: bool) -> Slot {
        let Some(day) = day else {
            // Beyond the calendar: only absurd delays get there.
            return Slot::Later;
        };
        if day < self.date {
            return Slot::Off;
        }
        match usize::try_from((day - self.monday).num_days() / 7) {
            Ok(w) if w < WEEKS => Slot::Week(w, promised),
            _ => Slot::Later,
        }
    }

    /// Where an open debit item goes; `Some(date)` too when it is a broken
    /// promise.
    fn slot(&self, item: &ReportItem) -> (Slot, Option<NaiveDate>) {
        let def = item
            .status
            .as_ref()
            .and_then(|s| self.planner.config.statuses.get(s));
        match def.map(|d| &d.effect) {
            Some(StatusEffect::Excludes) => return (Slot::Excluded, None),
            Some(StatusEffect::Suspends(Some(until))) if until.reads("item", "promise_date") => {
                if let Some(promise) = item.promise_date {
                    if promise < self.date {
                        return (Slot::Off, Some(promise));
                    }
                    return (self.on(Some(promise), true), None);
                }
            }
            _ => {}
        }
        let delay = self.delay(&item.customer);
        let mut days = delay;
        if item.status.is_some() && item.status == self.dispute_status {
            let reason = item.comment.as_deref().and_then(reason_of);
            let Some(resolution) = self.resolutions.expected(reason.as_deref()) else {
                return (Slot::Disputed, None);
            };
            days = days.saturating_add(resolution);
        }
        let expected = TimeDelta::try_days(days).and_then(|d| item.due_date.checked_add_signed(d));
        (self.on(expected, false), None)
    }
}

/// The forecast of `data` on `date`, grouped `by` when given.
pub fn forecast(planner: &Planner, data: &ReportData, date: NaiveDate, by: Option<By>) -> Forecast {
    let mut convert = Converter::new(planner);
    let zero = convert.zero();
    let monday = monday_of(date);
    let cx = Context {
        planner,
        dispute_status: crate::answers::dispute_status(&planner.config),
        delays: Delays::of(&data.payments, date, &mut convert, |p| p.customer.as_str()),
        resolutions: Resolutions::of(&data.disputes, date),
        date,
        monday,
    };
    let labels: Vec<String> = (0..WEEKS as u64)
        .map(|w| week_label(monday.checked_add_days(Days::new(7 * w)).unwrap_or(monday)))
        .collect();
    let mut all = Figures::new(&labels, zero);
    let mut groups: BTreeMap<String, Figures> = BTreeMap::new();
    let mut broken_promises = Vec::new();
    for item in data.items.iter().filter(|i| i.is_open_debit()) {
        let Some(amount) = convert.convert(item.remaining, &item.currency) else {
            continue;
        };
        let (slot, broken) = cx.slot(item);
        all.add(slot, amount);
        if let Some(by) = by {
            groups
                .entry(by.key(item))
                .or_insert_with(|| Figures::new(&labels, zero))
                .add(slot, amount);
        }
        if let Some(promise_date) = broken {
            broken_promises.push(BrokenPromise {
                customer: item.customer.clone(),
                reference: item.reference.clone(),
                promise_date,
                amount,
            });
        }
    }
    broken_promises.sort_by(|a, b| (&a.customer, &a.reference).cmp(&(&b.customer, &b.reference)));
    Forecast {
        report: "forecast",
        date,
        currency: planner.config.settings.currency.clone(),
        all,
        groups: by.map(|_| {
            groups
                .into_iter()
                .map(|(group, figures)| Group { group, figures })
                .collect()
        }),
        broken_promises,
        missing_rates: convert.missing(),
    }
}

/// Fixtures the reports' tests share: a configuration, items, payments.
#[cfg(test)]
pub(super) mod testing {
    use chrono::NaiveDate;

    use crate::planner::facts::ItemType;
    use crate::planner::{Currency, Money, Planner};
    use crate::reports::{Dispute, Payment, ReportItem};

    /// Statuses `promise` (until the promise date), `dispute`, `litigation`
    /// (excludes); EUR, with a GBP rate and none for USD.
    pub const CONFIG: &str = r#"settings {
  company  "T"
  from     "T <ar@t.example>"
  currency "EUR"
  language "en"
  rate     GBP 1.17
}
status "promise" { suspends until item.promise_date + 3d }
status "dispute" { suspends }
status "litigation" { excludes }
"#;

    /// A configuration's text checked (its errors fail the test) and compiled.
    pub fn planner_of(text: &str) -> Planner {
        let mut loaded = crate::config::Loaded::default();
        crate::config::add_file(&mut loaded, "main.relance".into(), text.as_bytes().to_vec());
        let report = crate::config::check(loaded);
        let errors: Vec<&str> = report
            .checked
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.message.as_str())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        Planner::new(&report.checked.config, &report.sources).expect("compiles")
    }

    /// The planner of [`CONFIG`].
    pub fn planner() -> Planner {
        planner_of(CONFIG)
    }

    /// `2026-11-26` as a date.
    pub fn d(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    /// Euros in cents.
    pub fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::new("EUR").expect("EUR"))
    }

    /// An open EUR invoice of `customer` (its own account), no status.
    pub fn invoice(customer: &str, reference: &str, due: &str, remaining: i64) -> ReportItem {
        ReportItem {
            customer: customer.into(),
            account: customer.into(),
            reference: reference.into(),
            kind: ItemType::Invoice,
            issue_date: None,
            due_date: d(due),
            amount: remaining,
            remaining,
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

    /// `item` with `status` and `comment`.
    pub fn with_status(mut item: ReportItem, status: &str, comment: Option<&str>) -> ReportItem {
        item.status = Some(status.into());
        item.comment = comment.map(str::to_string);
        item
    }

    /// A EUR payment of `customer`'s item due on `due`, paid on `paid`.
    pub fn payment(customer: &str, due: &str, paid: &str, amount: i64) -> Payment {
        Payment {
            customer: customer.into(),
            reference: format!("{customer}-{due}"),
            paid_on: d(paid),
            amount,
            currency: "EUR".into(),
            due_date: d(due),
        }
    }

    /// A dispute episode of `reason`, opened and maybe resolved.
    pub fn episode(reason: Option<&str>, opened: &str, resolved: Option<&str>) -> Dispute {
        Dispute {
            customer: "Z".into(),
            reference: format!("Z-{opened}"),
            reason: reason.map(str::to_string),
            opened: d(opened),
            resolved: resolved.map(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::testing::*;
    use super::*;
    use crate::reports::{Dispute, Payment};

    fn sum(f: &Figures) -> Money {
        f.weeks.iter().fold(
            f.later + f.disputed + f.excluded + f.off_forecast,
            |s, w| s + w.amount,
        )
    }

    fn week<'a>(f: &'a Forecast, label: &str) -> &'a Week {
        f.all
            .weeks
            .iter()
            .find(|w| w.week == label)
            .unwrap_or_else(|| panic!("no week {label} in {:?}", f.all.weeks))
    }

    /// The resolved disputes of the portfolio: `Wrong amount` 10 and 20
    /// days (mean 15), one without reason 60 days: 30 days over all. One
    /// resolved more than 365 days ago and one still open do not count.
    fn resolved() -> Vec<Dispute> {
        vec![
            episode(Some("Wrong amount"), "2026-03-01", Some("2026-03-11")),
            episode(Some("Wrong amount"), "2026-04-01", Some("2026-04-21")),
            episode(None, "2026-05-01", Some("2026-06-30")),
            episode(Some("Wrong amount"), "2024-01-01", Some("2025-11-26")),
            episode(Some("Wrong amount"), "2026-10-01", None),
        ]
    }

    /// Customer A pays 13 days late (10 days on 300, 20 on 100: 12.5,
    /// rounded up), C on time (600 on the due date): the portfolio 5 days
    /// ((3000 + 2000 + 0) ÷ 1000). A payment older than 365 days and one
    /// after D do not count.
    fn payments() -> Vec<Payment> {
        vec![
            payment("A", "2025-01-01", "2025-11-26", 100_000),
            payment("A", "2026-06-01", "2026-06-11", 30_000),
            payment("A", "2026-07-01", "2026-07-21", 10_000),
            payment("C", "2026-09-01", "2026-09-01", 60_000),
            payment("C", "2026-11-01", "2026-12-31", 100_000),
        ]
    }

    fn portfolio() -> ReportData {
        let mut promised = with_status(invoice("P", "P1", "2026-10-01", 10_000), "promise", None);
        promised.promise_date = Some(d("2026-12-02"));
        let mut broken = with_status(invoice("P", "P2", "2026-10-01", 5_000), "promise", None);
        broken.promise_date = Some(d("2026-11-20"));
        let mut usd = invoice("C", "C3", "2026-12-01", 1_000);
        usd.currency = "USD".into();
        let mut gbp = invoice("C", "C4", "2027-06-01", 1_000);
        gbp.currency = "GBP".into();
        let mut credit = invoice("C", "CN", "2026-12-01", 9_999);
        credit.kind = crate::planner::facts::ItemType::CreditNote;
        let mut paid = invoice("C", "C5", "2026-12-01", 0);
        paid.amount = 5_000;
        ReportData {
            items: vec![
                promised,
                broken,
                invoice("A", "A1", "2026-11-30", 20_000),
                invoice("B", "B1", "2026-11-24", 7_000),
                invoice("C", "C1", "2026-11-01", 3_000),
                with_status(
                    invoice("A", "A2", "2026-11-20", 4_000),
                    "dispute",
                    Some("Wrong amount: 3 boxes short"),
                ),
                with_status(
                    invoice("B", "B2", "2026-11-20", 6_000),
                    "dispute",
                    Some("Damaged: crushed"),
                ),
                with_status(invoice("C", "C2", "2026-06-01", 50_000), "litigation", None),
                usd,
                gbp,
                credit,
                paid,
            ],
            payments: payments(),
            disputes: resolved(),
        }
    }

    #[test]
    fn each_open_item_lands_where_its_promise_delay_or_dispute_puts_it() {
        let f = forecast(&planner(), &portfolio(), d("2026-11-26"), None);
        let labels: Vec<&str> = f.all.weeks.iter().map(|w| w.week.as_str()).collect();
        assert_eq!(labels.len(), 13);
        assert_eq!(labels[0], "2026-W48", "the week holding D first");
        assert_eq!(labels[12], "2027-W07");
        // B has no payments: the portfolio's 5 days, 2026-11-29 (Sunday of D's week).
        assert_eq!(week(&f, "2026-W48").amount, eur(7_000));
        // The promise of 2026-12-02, on its date (not the status' + 3d).
        assert_eq!(week(&f, "2026-W49").amount, eur(10_000));
        assert_eq!(week(&f, "2026-W49").promised, eur(10_000));
        // A pays 13 days late: due 2026-11-30, expected Sunday 2026-12-13.
        assert_eq!(week(&f, "2026-W50").amount, eur(20_000));
        assert_eq!(week(&f, "2026-W50").promised, eur(0));
        // A2's `Wrong amount` takes 15 days, A 13 more: 2026-12-18.
        assert_eq!(week(&f, "2026-W51").amount, eur(4_000));
        // B2's `Damaged` has no history: every dispute's 30 days, and the
        // portfolio's 5: 2026-12-25.
        assert_eq!(week(&f, "2026-W52").amount, eur(6_000));
        let weeks = f.all.weeks.iter().fold(eur(0), |s, w| s + w.amount);
        assert_eq!(weeks, eur(47_000));
        // GBP 10.00 at 1.17, due in June 2027.
        assert_eq!(f.all.later, eur(1_170));
        assert_eq!(f.all.excluded, eur(50_000));
        assert_eq!(f.all.disputed, eur(0));
        // The broken promise (50) and C1, due 2026-11-01 from a customer who pays on time.
        assert_eq!(f.all.off_forecast, eur(8_000));
        assert_eq!(
            f.broken_promises,
            vec![BrokenPromise {
                customer: "P".into(),
                reference: "P2".into(),
                promise_date: d("2026-11-20"),
                amount: eur(5_000),
            }]
        );
        assert_eq!(f.missing_rates, vec!["USD".to_string()]);
        assert_eq!(f.all.total, eur(106_170));
        assert_eq!(sum(&f.all), f.all.total);
    }

    #[test]
    fn a_dispute_without_resolution_history_is_shown_apart() {
        let mut data = portfolio();
        data.disputes.retain(|e| e.resolved.is_none());
        let f = forecast(&planner(), &data, d("2026-11-26"), None);
        assert_eq!(f.all.disputed, eur(10_000));
        assert_eq!(week(&f, "2026-W51").amount, eur(0));
        assert_eq!(week(&f, "2026-W52").amount, eur(0));
        assert_eq!(sum(&f.all), f.all.total);
    }

    #[test]
    fn without_any_payment_items_are_expected_on_their_due_date() {
        let data = ReportData {
            items: vec![invoice("B", "B1", "2026-11-26", 7_000)],
            ..ReportData::default()
        };
        let f = forecast(&planner(), &data, d("2026-11-26"), None);
        assert_eq!(week(&f, "2026-W48").amount, eur(7_000));
    }

    #[test]
    fn weeks_across_a_year_end_carry_the_iso_year() {
        let f = forecast(&planner(), &ReportData::default(), d("2027-01-01"), None);
        let labels: Vec<&str> = f.all.weeks.iter().map(|w| w.week.as_str()).collect();
        assert_eq!(&labels[..3], ["2026-W53", "2027-W01", "2027-W02"]);
        assert_eq!(f.all.total, eur(0));
    }

    #[test]
    fn the_document_has_the_stable_keys() {
        let data = ReportData {
            items: vec![invoice("B", "B1", "2026-11-26", 7_000)],
            ..ReportData::default()
        };
        let f = forecast(&planner(), &data, d("2026-11-26"), None);
        let json = serde_json::to_value(&f).expect("serialises");
        assert_eq!(
            json["weeks"][0],
            serde_json::json!({"week": "2026-W48", "amount": 70.0, "promised": 0.0})
        );
        for key in [
            "report",
            "date",
            "currency",
            "total",
            "later",
            "disputed",
            "excluded",
            "off_forecast",
            "broken_promises",
            "missing_rates",
        ] {
            assert!(json.get(key).is_some(), "no {key} in {json}");
        }
        assert_eq!(json["report"], "forecast");
        assert_eq!(json["total"], 70.0);
        assert!(json.get("groups").is_none());
    }

    #[test]
    fn groups_split_the_same_figures() {
        let f = forecast(
            &planner(),
            &portfolio(),
            d("2026-11-26"),
            Some(By::Customer),
        );
        let groups = f.groups.as_ref().expect("grouped");
        let names: Vec<&str> = groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "P"]);
        let total = groups.iter().fold(eur(0), |s, g| s + g.figures.total);
        assert_eq!(total, f.all.total);
        assert_eq!(groups[2].figures.excluded, eur(50_000));
    }

    fn arb_item() -> impl Strategy<Value = ReportItem> {
        (
            0..4usize,
            0..400i64,
            -50_000..200_000i64,
            0..5usize,
            0..3usize,
            -40..120i64,
            proptest::option::of(0..6usize),
        )
            .prop_map(|(c, due, remaining, status, currency, promise, reason)| {
                let base = d("2026-06-01");
                let mut i = invoice(
                    ["A", "B", "C", "D"][c],
                    &format!("R{due}-{remaining}"),
                    "2026-06-01",
                    remaining,
                );
                i.due_date = base + TimeDelta::days(due);
                i.currency = ["EUR", "GBP", "USD"][currency].into();
                i.status = [
                    None,
                    Some("promise"),
                    Some("dispute"),
                    Some("litigation"),
                    Some("other"),
                ][status]
                    .map(str::to_string);
                i.promise_date =
                    (promise > -30).then(|| d("2026-11-26") + TimeDelta::days(promise));
                i.comment = reason.map(|r| format!("reason {r}: text"));
                i
            })
    }

    fn arb_payment() -> impl Strategy<Value = Payment> {
        (0..4usize, 0..700i64, -30..90i64, 1..100_000i64, 0..3usize).prop_map(
            |(c, due, delay, amount, currency)| {
                let due = d("2025-06-01") + TimeDelta::days(due);
                let mut p = payment(["A", "B", "C", "E"][c], "2025-06-01", "2025-06-01", amount);
                p.due_date = due;
                p.paid_on = due + TimeDelta::days(delay);
                p.currency = ["EUR", "GBP", "USD"][currency].into();
                p
            },
        )
    }

    fn arb_dispute() -> impl Strategy<Value = Dispute> {
        (
            proptest::option::of(0..6usize),
            0..700i64,
            proptest::option::of(0..200i64),
        )
            .prop_map(|(reason, opened, took)| {
                let opened = d("2025-06-01") + TimeDelta::days(opened);
                Dispute {
                    customer: "A".into(),
                    reference: "X".into(),
                    reason: reason.map(|r| format!("reason {r}")),
                    opened,
                    resolved: took.map(|t| opened + TimeDelta::days(t)),
                }
            })
    }

    proptest! {
        #[test]
        fn the_forecast_sums_to_the_open_total(
            items in proptest::collection::vec(arb_item(), 0..40),
            payments in proptest::collection::vec(arb_payment(), 0..30),
            disputes in proptest::collection::vec(arb_dispute(), 0..10),
            days in 0..120i64,
        ) {
            let planner = planner();
            let date = d("2026-10-01") + TimeDelta::days(days);
            let data = ReportData { items, payments, disputes };
            let f = forecast(&planner, &data, date, Some(By::Customer));
            let open = data.items.iter().filter(|i| i.is_open_debit()).fold(eur(0), |s, i| {
                s + planner.convert(i.remaining, &i.currency, planner.currency()).unwrap_or(eur(0))
            });
            prop_assert_eq!(sum(&f.all), open);
            prop_assert_eq!(f.all.total, open);
            let groups = f.groups.expect("grouped");
            prop_assert_eq!(groups.iter().fold(eur(0), |s, g| s + sum(&g.figures)), open);
            for w in &f.all.weeks {
                prop_assert!(w.promised.minor <= w.amount.minor);
            }
        }

        #[test]
        fn the_aging_buckets_sum_to_the_open_total(
            items in proptest::collection::vec(arb_item(), 0..40),
            payments in proptest::collection::vec(arb_payment(), 0..30),
            days in 0..400i64,
        ) {
            let planner = planner();
            let date = d("2026-06-01") + TimeDelta::days(days);
            // Seen as of its date, as reports see the store.
            let data = ReportData { items, payments, disputes: Vec::new() }.as_of(date);
            let a = crate::reports::aging::aging(&planner, &data, date, Some(By::Collector));
            let open = data.items.iter().filter(|i| i.is_open_debit()).fold(eur(0), |s, i| {
                s + planner.convert(i.remaining, &i.currency, planner.currency()).unwrap_or(eur(0))
            });
            let buckets = a.all.buckets.iter().fold(eur(0), |s, b| s + b.amount);
            prop_assert_eq!(buckets, open);
            prop_assert_eq!(a.all.total, open);
            let items: usize = a.all.buckets.iter().map(|b| b.items).sum();
            prop_assert_eq!(items, a.all.items);
            let groups = a.groups.expect("grouped");
            prop_assert_eq!(groups.iter().fold(eur(0), |s, g| s + g.buckets.total), open);
        }

        #[test]
        fn the_dso_trend_in_one_pass_is_the_dso_as_of_each_month_end(
            items in proptest::collection::vec((arb_item(), 0..500i64, 0..4usize), 0..30),
            paid in proptest::collection::vec((0..30usize, 0..500i64, 1..150_000i64), 0..30),
            days in 1..200i64,
        ) {
            use crate::planner::facts::ItemType;
            let planner = planner();
            let items: Vec<ReportItem> = items
                .into_iter()
                .enumerate()
                .map(|(n, (mut i, issued, kind))| {
                    i.reference = format!("R{n}");
                    i.remaining = i.remaining.max(0);
                    i.amount = i.remaining + 10_000;
                    i.issue_date = (issued < 480).then(|| d("2025-07-01") + TimeDelta::days(issued));
                    i.kind = [ItemType::Invoice, ItemType::DebitNote, ItemType::CreditNote, ItemType::Payment][kind];
                    i
                })
                .collect();
            let mut payments: Vec<Payment> = paid
                .into_iter()
                .filter_map(|(n, on, amount)| {
                    let i = items.get(n)?;
                    let mut p = payment(&i.customer, "2025-07-01", "2025-07-01", amount);
                    p.reference = i.reference.clone();
                    p.paid_on = d("2025-07-01") + TimeDelta::days(on);
                    p.currency = i.currency.clone();
                    Some(p)
                })
                .collect();
            payments.sort_by_key(|p| p.paid_on);
            let data = ReportData { items, payments, disputes: Vec::new() };
            let ends = [d("2026-10-31"), d("2026-06-30"), d("2026-02-28"), d("2025-09-30")];
            let one_pass = crate::reports::dso::standard_on(&planner, &data, &ends, days);
            for (end, standard) in ends.iter().zip(one_pass) {
                let copied = crate::reports::dso::dso(&planner, &data.as_of(*end), *end, days);
                prop_assert_eq!(standard, copied.standard, "on {}", end);
            }
        }
    }
}
