//! Reports finance reads (docs/reference/reports.md): aging, DSO, %
//! qualified, cash forecast, cash receipts, disputes, payment profiles.
//!
//! Each report is a pure function of a [`ReportData`] (what the store holds:
//! items open and cleared, the payment history, dispute episodes; read
//! through `store::report_rows` and filtered by [`load::report_data`]), the
//! compiled configuration (rates, statuses) and a date. Amounts are in the platform currency at the
//! settings' rates, each item's amount converted and rounded once
//! ([`Converter`]); amounts of currencies without a rate are left out of
//! the figures and listed apart (`missing_rates`).
//!
//! # Layout
//! - this module: the input types, filters, grouping, conversion;
//! - `aging`: open debit items by days past due;
//! - `dso`: days sales outstanding, standard and countback;
//! - `qualified`: the share of the overdue amount with a status;
//! - `forecast`: expected cash per ISO week from promises, payment delays
//!   and dispute resolution times;
//! - `receipts`: cash received per ISO week or month;
//! - `disputes`: open disputes, totals by reason and customer, mean
//!   resolution times;
//! - `profile`: accounts by payment delay class, and its monthly trend;
//! - `load`: reading a [`ReportData`] from the store, and the dispute
//!   episodes of the status history;
//! - `present`: tables (aligned text, CSV) shared by the reports;
//! - `views`: the tables and charts of the reports but `aging`.

pub mod aging;
pub mod disputes;
pub mod dso;
pub mod forecast;
pub mod load;
pub mod present;
pub mod profile;
pub mod qualified;
pub mod receipts;
pub mod views;

use std::collections::BTreeSet;

use chrono::{Datelike as _, NaiveDate};
use serde::Serialize;

use crate::planner::facts::ItemType;
use crate::planner::{Currency, Money, Planner};

/// An item as reports read it: open or cleared, with whom and what
/// scenario it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportItem {
    /// The customer.
    pub customer: String,
    /// The account it is collected in (the group leader's code, else the customer's).
    pub account: String,
    /// The reference.
    pub reference: String,
    /// Invoice, debit note, credit note, payment.
    pub kind: ItemType,
    /// When it was issued, when known.
    pub issue_date: Option<NaiveDate>,
    /// When it falls due.
    pub due_date: NaiveDate,
    /// Its amount, minor units.
    pub amount: i64,
    /// What is left, minor units (0: cleared).
    pub remaining: i64,
    /// Its currency.
    pub currency: String,
    /// Its status, if any.
    pub status: Option<String>,
    /// Since when it has that status.
    pub status_since: Option<NaiveDate>,
    /// The promised payment date.
    pub promise_date: Option<NaiveDate>,
    /// The status comment.
    pub comment: Option<String>,
    /// When it was cleared (remaining 0).
    pub cleared_on: Option<NaiveDate>,
    /// The account's collector (the first by address), if any.
    pub collector: Option<String>,
    /// The account's scenario, as the planner picks it.
    pub scenario: Option<String>,
}

impl ReportItem {
    /// An open debit: an invoice or debit note with something remaining.
    pub fn is_open_debit(&self) -> bool {
        self.kind.is_debit() && self.remaining > 0
    }
}

/// A payment: an item's remaining went down (docs/reference/data.md
/// "Payment history").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The customer.
    pub customer: String,
    /// The item.
    pub reference: String,
    /// When it was paid.
    pub paid_on: NaiveDate,
    /// How much, minor units (> 0).
    pub amount: i64,
    /// In what currency.
    pub currency: String,
    /// The item's due date (payment delays are measured from it).
    pub due_date: NaiveDate,
}

/// A dispute episode of an item: from the day it got the dispute status to
/// the day it lost it (`None`: still open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// The customer.
    pub customer: String,
    /// The item.
    pub reference: String,
    /// The reason, when recorded (the comment's part before `:`).
    pub reason: Option<String>,
    /// When the dispute was opened.
    pub opened: NaiveDate,
    /// When it was resolved, if it was.
    pub resolved: Option<NaiveDate>,
}

/// What reports read, already filtered ([`Filters`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportData {
    /// Every item (open and cleared) of the selected accounts.
    pub items: Vec<ReportItem>,
    /// Their payments, oldest first.
    pub payments: Vec<Payment>,
    /// Their dispute episodes, oldest first.
    pub disputes: Vec<Dispute>,
}

impl ReportData {
    /// The data as it stood at the end of `day`, as far as the payment
    /// history tells: items issued after it left out; each item's remaining
    /// raised by its payments after `day` (at most its amount), its
    /// clearing undone when it came later; payments after `day` left out.
    /// Statuses are today's: the history of statuses is not replayed.
    pub fn as_of(&self, day: NaiveDate) -> ReportData {
        self.seen_on(day).into_owned()
    }

    /// Whether [`ReportData::as_of`] `day` would change nothing: nothing
    /// issued, paid or disputed after `day`, no clearing after it to undo.
    fn unchanged_on(&self, day: NaiveDate) -> bool {
        self.payments.iter().all(|p| p.paid_on <= day)
            && self.disputes.iter().all(|d| d.opened <= day)
            && self.items.iter().all(|i| {
                i.issue_date.is_none_or(|d| d <= day)
                    && !(i.cleared_on.is_some_and(|c| c > day) && i.remaining > 0)
            })
    }

    /// [`ReportData::as_of`] `day`, borrowed when it would be an unchanged
    /// copy (a report on the day the data was read, the usual case).
    pub fn seen_on(&self, day: NaiveDate) -> std::borrow::Cow<'_, ReportData> {
        if self.unchanged_on(day) {
            return std::borrow::Cow::Borrowed(self);
        }
        std::borrow::Cow::Owned(self.copied_as_of(day))
    }

    fn copied_as_of(&self, day: NaiveDate) -> ReportData {
        let mut later: std::collections::HashMap<(&str, &str), i64> =
            std::collections::HashMap::new();
        for p in self.payments.iter().filter(|p| p.paid_on > day) {
            *later
                .entry((p.customer.as_str(), p.reference.as_str()))
                .or_default() += p.amount;
        }
        let items = self
            .items
            .iter()
            .filter(|i| i.issue_date.is_none_or(|d| d <= day))
            .map(|i| {
                let paid_after = later
                    .get(&(i.customer.as_str(), i.reference.as_str()))
                    .copied()
                    .unwrap_or(0);
                let mut item = i.clone();
                if paid_after > 0 {
                    item.remaining = (i.remaining + paid_after).min(i.amount.max(i.remaining));
                }
                if item.cleared_on.is_some_and(|c| c > day) && item.remaining > 0 {
                    item.cleared_on = None;
                }
                item
            })
            .collect();
        ReportData {
            items,
            payments: self
                .payments
                .iter()
                .filter(|p| p.paid_on <= day)
                .cloned()
                .collect(),
            disputes: self
                .disputes
                .iter()
                .filter(|d| d.opened <= day)
                .cloned()
                .collect(),
        }
    }
}

/// Which accounts a report covers (`None`: all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Accounts whose collector is this colleague (`--collector EMAIL`).
    pub collector: Option<String>,
    /// Accounts in this scenario.
    pub scenario: Option<String>,
    /// This customer's account.
    pub customer: Option<String>,
}

/// How a report's lines are grouped (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// One line per account.
    Customer,
    /// One line per collector (`none` for accounts without one).
    Collector,
    /// One line per scenario.
    Scenario,
}

impl By {
    /// From `customer`, `collector`, `scenario`.
    pub fn parse(text: &str) -> Option<By> {
        match text {
            "customer" => Some(By::Customer),
            "collector" => Some(By::Collector),
            "scenario" => Some(By::Scenario),
            _ => None,
        }
    }

    /// The group of an item.
    pub fn key(self, item: &ReportItem) -> String {
        match self {
            By::Customer => item.account.clone(),
            By::Collector => item.collector.clone().unwrap_or_else(|| "none".into()),
            By::Scenario => item.scenario.clone().unwrap_or_else(|| "none".into()),
        }
    }
}

/// Converts amounts to the platform currency, each converted and rounded
/// once, and remembers the currencies it could not convert.
#[derive(Debug)]
pub struct Converter<'a> {
    planner: &'a Planner,
    missing: BTreeSet<String>,
}

impl<'a> Converter<'a> {
    /// A converter at the settings' rates.
    pub fn new(planner: &'a Planner) -> Converter<'a> {
        Converter {
            planner,
            missing: BTreeSet::new(),
        }
    }

    /// The platform currency.
    pub fn currency(&self) -> Currency {
        self.planner.currency()
    }

    /// Zero in the platform currency.
    pub fn zero(&self) -> Money {
        Money::zero(self.currency())
    }

    /// `minor` of `currency` in the platform currency; `None` (and the
    /// currency remembered) without a rate.
    pub fn convert(&mut self, minor: i64, currency: &str) -> Option<Money> {
        let converted = self.planner.convert(minor, currency, self.currency());
        if converted.is_none() {
            self.missing.insert(currency.to_string());
        }
        converted
    }

    /// The currencies met without a rate, sorted.
    pub fn missing(self) -> Vec<String> {
        self.missing.into_iter().collect()
    }
}

/// The reports, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `aging`.
    Aging,
    /// `dso`.
    Dso,
    /// `qualified`.
    Qualified,
    /// `forecast`.
    Forecast,
    /// `receipts`.
    Receipts,
    /// `disputes`.
    Disputes,
    /// `profile`.
    Profile,
}

impl Kind {
    /// Every report's name, in the order the docs list them.
    pub const NAMES: &'static [&'static str] = &[
        "aging",
        "dso",
        "qualified",
        "forecast",
        "receipts",
        "disputes",
        "profile",
    ];

    const ALL: [Kind; 7] = [
        Kind::Aging,
        Kind::Dso,
        Kind::Qualified,
        Kind::Forecast,
        Kind::Receipts,
        Kind::Disputes,
        Kind::Profile,
    ];

    /// From its name.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Aging => "aging",
            Kind::Dso => "dso",
            Kind::Qualified => "qualified",
            Kind::Forecast => "forecast",
            Kind::Receipts => "receipts",
            Kind::Disputes => "disputes",
            Kind::Profile => "profile",
        }
    }
}

pub use receipts::Period;

/// How a report is computed: the date, the grouping, and the parameters
/// some reports take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// D.
    pub date: NaiveDate,
    /// Lines by customer, collector or scenario, where the report groups
    /// (aging, qualified, forecast, receipts).
    pub by: Option<By>,
    /// The DSO period, in days.
    pub days: i64,
    /// Receipts per week or month.
    pub period: Period,
}

/// DSO with its standard figure at the end of each of the last 12 months.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DsoReport {
    /// DSO on D.
    #[serde(flatten)]
    pub dso: dso::Dso,
    /// The standard DSO at the end of each of the 12 months up to D's,
    /// oldest first (D itself for D's month).
    pub trend: Vec<views::DsoPoint>,
}

/// A computed report: its JSON document is the API's.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// `aging`.
    Aging(aging::Aging),
    /// `dso`.
    Dso(DsoReport),
    /// `qualified`.
    Qualified(qualified::Qualified),
    /// `forecast`.
    Forecast(forecast::Forecast),
    /// `receipts`.
    Receipts(receipts::Receipts),
    /// `disputes`.
    Disputes(disputes::Disputes),
    /// `profile`.
    Profile(profile::Profile),
}

impl Report {
    /// As an aligned table (text, CSV).
    pub fn table(&self) -> present::Table {
        match self {
            Report::Aging(r) => r.table(),
            Report::Dso(r) => r.dso.table(),
            Report::Qualified(r) => r.table(),
            Report::Forecast(r) => r.table(),
            Report::Receipts(r) => r.table(),
            Report::Disputes(r) => r.table(),
            Report::Profile(r) => r.table(),
        }
    }

    /// As an SVG chart, labels in `language`.
    pub fn chart(&self, language: &str) -> String {
        match self {
            Report::Aging(r) => r.chart(language),
            Report::Dso(r) => r.dso.chart(&r.trend, language),
            Report::Qualified(r) => r.chart(language),
            Report::Forecast(r) => r.chart(language),
            Report::Receipts(r) => r.chart(language),
            Report::Disputes(r) => r.chart(language),
            Report::Profile(r) => r.chart(language),
        }
    }
}

/// The last day of the month of `day`.
fn month_end(day: NaiveDate) -> NaiveDate {
    let first_next = if day.month() == 12 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)
    };
    first_next.and_then(|d| d.pred_opt()).unwrap_or(day)
}

/// Report `kind` of `data`: a pure function of the data and the options.
pub fn of(planner: &Planner, data: &ReportData, kind: Kind, options: &Options) -> Report {
    let date = options.date;
    let seen = data.seen_on(date);
    let data: &ReportData = &seen;
    match kind {
        Kind::Aging => Report::Aging(aging::aging(planner, data, date, options.by)),
        Kind::Dso => {
            // D's month is D's own figure; then each earlier month's end.
            let on_date = dso::dso(planner, data, date, options.days);
            let mut trend = vec![views::DsoPoint {
                month: date.format("%Y-%m").to_string(),
                standard: on_date.standard,
            }];
            // Then the end of each of the 11 months before, latest first.
            let mut ends = Vec::new();
            let mut day = date;
            while ends.len() < 11 {
                let Some(previous) = day
                    .with_day0(0)
                    .and_then(|first| first.pred_opt())
                    .map(month_end)
                else {
                    break;
                };
                day = previous;
                ends.push(day);
            }
            let standards = dso::standard_on(planner, data, &ends, options.days);
            trend.extend(
                ends.iter()
                    .zip(standards)
                    .map(|(day, standard)| views::DsoPoint {
                        month: day.format("%Y-%m").to_string(),
                        standard,
                    }),
            );
            trend.reverse();
            Report::Dso(DsoReport {
                dso: on_date,
                trend,
            })
        }
        Kind::Qualified => Report::Qualified(qualified::qualified(planner, data, date, options.by)),
        Kind::Forecast => Report::Forecast(forecast::forecast(planner, data, date, options.by)),
        Kind::Receipts => Report::Receipts(receipts::receipts(
            planner,
            data,
            date,
            options.period,
            None,
            options.by,
        )),
        Kind::Disputes => Report::Disputes(disputes::disputes(planner, data, date)),
        Kind::Profile => Report::Profile(profile::profile(planner, data, date)),
    }
}

/// Computes report `kind` over the accounts `filters` select.
pub async fn compute(
    store: &crate::store::Store,
    planner: &Planner,
    kind: Kind,
    filters: &Filters,
    options: &Options,
) -> Result<Report, crate::run::RunError> {
    let needs = load::Needs::of(kind, filters, options.by);
    let data = load::report_data(store, planner, filters, needs, options.date).await?;
    Ok(of(planner, &data, kind, options))
}
