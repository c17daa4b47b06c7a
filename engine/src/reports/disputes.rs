//! `disputes`: the open disputes on D, totals by reason and by customer,
//! and how long disputes take to resolve.
//!
//! An **open dispute** is an open debit item (an invoice or debit note
//! with something remaining) that has the dispute status (the settings'
//! `dispute_status`, else the status named `dispute`) or a dispute episode
//! open on D (opened on D or before, not resolved by D). Of each:
//! - `amount`: its remaining, platform currency;
//! - `opened`: when its open episode was opened (the latest, when
//!   several), else since when it has the dispute status; `age_days` is
//!   D − `opened` (`null` when neither is known);
//! - `reason`: the open episode's reason, else the comment's part
//!   before its first `:` (`Wrong amount: 3 boxes missing` → `Wrong
//!   amount`), else `null`;
//! - `comment` and `collector`: the item's status comment and its account's
//!   collector.
//!
//! They are listed oldest first (by `opened`, the unknown last, then
//! customer and reference). `by_reason` totals them per reason (`null`: no
//! reason) and gives each reason's **mean resolution time**: the mean of
//! (resolved − opened), in days rounded to whole days (halves away from
//! zero), over the episodes of that reason resolved in the 365 days up to
//! D, `null` without any; reasons with resolved episodes but no open
//! dispute are listed too, with no amount. Reasons are sorted by name,
//! `null` last. `by_customer` totals them per customer (the item's
//! customer, not its group's account), by code. Items of currencies without
//! a rate are left out and their currencies listed in `missing_rates`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use super::profile::{rounded_div, within_history};
use super::{Converter, Dispute, ReportData};
use crate::planner::{Money, Planner};

/// The reason a status comment records: its part before the first `:`,
/// trimmed; `None` when there is no `:` or nothing before it.
pub fn reason_of(comment: &str) -> Option<String> {
    let (reason, _) = comment.split_once(':')?;
    let reason = reason.trim();
    (!reason.is_empty()).then(|| reason.to_string())
}

/// How long disputes resolved in the 365 days up to a date took, per
/// reason and over all.
#[derive(Debug, Default)]
pub struct Resolutions {
    per_reason: HashMap<Option<String>, (i64, i64)>,
    all: (i64, i64),
}

impl Resolutions {
    /// The episodes of `disputes` resolved in the 365 days up to `date`.
    pub fn of(disputes: &[Dispute], date: NaiveDate) -> Resolutions {
        let mut r = Resolutions::default();
        for d in disputes {
            let Some(resolved) = d.resolved else {
                continue;
            };
            if !within_history(resolved, date) {
                continue;
            }
            let days = (resolved - d.opened).num_days();
            let sums = r.per_reason.entry(d.reason.clone()).or_default();
            sums.0 += days;
            sums.1 += 1;
            r.all.0 += days;
            r.all.1 += 1;
        }
        r
    }

    /// The mean resolution time of `reason`'s episodes, whole days; `None`
    /// without any.
    pub fn of_reason(&self, reason: Option<&str>) -> Option<i64> {
        self.per_reason
            .get(&reason.map(str::to_string))
            .filter(|s| s.1 > 0)
            .map(|s| rounded_div(s.0.into(), s.1.into()))
    }

    /// The mean resolution time of every episode, whole days; `None`
    /// without any.
    pub fn overall(&self) -> Option<i64> {
        (self.all.1 > 0).then(|| rounded_div(self.all.0.into(), self.all.1.into()))
    }

    /// The time a dispute of `reason` is expected to take: its reason's mean
    /// when that reason has resolved episodes, else the mean of all; `None`
    /// without any resolved episode.
    pub fn expected(&self, reason: Option<&str>) -> Option<i64> {
        reason
            .and_then(|r| self.of_reason(Some(r)))
            .or_else(|| self.overall())
    }

    fn reasons(&self) -> impl Iterator<Item = &Option<String>> {
        self.per_reason.keys()
    }
}

/// One open dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenDispute {
    /// The customer.
    pub customer: String,
    /// The item.
    pub reference: String,
    /// Its remaining, platform currency.
    pub amount: Money,
    /// When the dispute was opened, when known.
    pub opened: Option<NaiveDate>,
    /// D − `opened`, in days.
    pub age_days: Option<i64>,
    /// Its reason, when recorded.
    pub reason: Option<String>,
    /// The item's status comment.
    pub comment: Option<String>,
    /// The account's collector.
    pub collector: Option<String>,
}

/// The open disputes of one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonTotal {
    /// The reason (`null`: none recorded).
    pub reason: Option<String>,
    /// Their remaining, platform currency.
    pub amount: Money,
    /// How many open disputes.
    pub items: usize,
    /// The mean resolution time of this reason's episodes resolved in the
    /// 365 days up to D, whole days.
    pub mean_resolution_days: Option<i64>,
}

/// The open disputes of one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerTotal {
    /// The customer.
    pub customer: String,
    /// Their remaining, platform currency.
    pub amount: Money,
    /// How many open disputes.
    pub items: usize,
}

/// The disputes report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disputes {
    /// `disputes`.
    pub report: &'static str,
    /// D.
    pub date: NaiveDate,
    /// The platform currency.
    pub currency: String,
    /// The open disputes, oldest first.
    pub open: Vec<OpenDispute>,
    /// Per reason, by name, `null` last.
    pub by_reason: Vec<ReasonTotal>,
    /// Per customer, by code.
    pub by_customer: Vec<CustomerTotal>,
    /// The open disputes' remaining.
    pub total: Money,
    /// Currencies of open disputes without a rate: left out.
    pub missing_rates: Vec<String>,
}

/// The disputes of `data` on `date`.
pub fn disputes(planner: &Planner, data: &ReportData, date: NaiveDate) -> Disputes {
    let mut convert = Converter::new(planner);
    let zero = convert.zero();
    let status = crate::answers::dispute_status(&planner.config);
    // The latest episode of each item open on D.
    let mut unresolved: HashMap<(&str, &str), &Dispute> = HashMap::new();
    let open_on = |d: &&Dispute| d.opened <= date && d.resolved.is_none_or(|r| r > date);
    for d in data.disputes.iter().filter(open_on) {
        let key = (d.customer.as_str(), d.reference.as_str());
        if unresolved.get(&key).is_none_or(|e| e.opened <= d.opened) {
            unresolved.insert(key, d);
        }
    }
    let mut open = Vec::new();
    for item in data.items.iter().filter(|i| i.is_open_debit()) {
        let episode = unresolved.get(&(item.customer.as_str(), item.reference.as_str()));
        let has_status = status.is_some() && item.status == status;
        if episode.is_none() && !has_status {
            continue;
        }
        let Some(amount) = convert.convert(item.remaining, &item.currency) else {
            continue;
        };
        let opened = episode
            .map(|e| e.opened)
            .or(item.status_since.filter(|_| has_status));
        let reason = match episode {
            Some(e) => e.reason.clone(),
            None => item.comment.as_deref().and_then(reason_of),
        };
        open.push(OpenDispute {
            customer: item.customer.clone(),
            reference: item.reference.clone(),
            amount,
            opened,
            age_days: opened.map(|o| (date - o).num_days()),
            reason,
            comment: item.comment.clone(),
            collector: item.collector.clone(),
        });
    }
    open.sort_by(|a, b| {
        (a.opened.is_none(), a.opened, &a.customer, &a.reference).cmp(&(
            b.opened.is_none(),
            b.opened,
            &b.customer,
            &b.reference,
        ))
    });
    let resolutions = Resolutions::of(&data.disputes, date);
    let mut reasons: BTreeMap<(bool, Option<String>), (Money, usize)> = BTreeMap::new();
    for r in resolutions.reasons() {
        reasons.insert((r.is_none(), r.clone()), (zero, 0));
    }
    let mut customers: BTreeMap<&str, (Money, usize)> = BTreeMap::new();
    let mut total = zero;
    for d in &open {
        let r = reasons
            .entry((d.reason.is_none(), d.reason.clone()))
            .or_insert((zero, 0));
        r.0 += d.amount;
        r.1 += 1;
        let c = customers.entry(&d.customer).or_insert((zero, 0));
        c.0 += d.amount;
        c.1 += 1;
        total += d.amount;
    }
    let by_reason = reasons
        .into_iter()
        .map(|((_, reason), (amount, items))| ReasonTotal {
            mean_resolution_days: resolutions.of_reason(reason.as_deref()),
            reason,
            amount,
            items,
        })
        .collect();
    let by_customer = customers
        .into_iter()
        .map(|(customer, (amount, items))| CustomerTotal {
            customer: customer.to_string(),
            amount,
            items,
        })
        .collect();
    Disputes {
        report: "disputes",
        date,
        currency: planner.config.settings.currency.clone(),
        open,
        by_reason,
        by_customer,
        total,
        missing_rates: convert.missing(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::forecast::testing::*;
    use super::*;

    /// Resolved in the 365 days before 2026-11-26: `Wrong amount` in 10 and
    /// 20 days (15), `Not received` in 5, one without reason in 60; an older
    /// `Damaged` one does not count.
    fn history() -> Vec<Dispute> {
        vec![
            episode(Some("Wrong amount"), "2026-03-01", Some("2026-03-11")),
            episode(Some("Wrong amount"), "2026-04-01", Some("2026-04-21")),
            episode(Some("Not received"), "2026-04-01", Some("2026-04-06")),
            episode(None, "2026-05-01", Some("2026-06-30")),
            episode(Some("Damaged"), "2025-01-01", Some("2025-02-01")),
        ]
    }

    fn data() -> ReportData {
        let mut x1 = with_status(
            invoice("X", "X1", "2026-10-01", 4_000),
            "dispute",
            Some("Wrong amount: 3 boxes short"),
        );
        x1.status_since = Some(d("2026-11-06"));
        x1.collector = Some("ann@t.example".into());
        let x2 = with_status(
            invoice("X", "X2", "2026-10-01", 2_500),
            "dispute",
            Some("call me"),
        );
        let y1 = invoice("Y", "Y1", "2026-09-01", 10_000);
        let mut paid = with_status(invoice("Y", "Y2", "2026-09-01", 0), "dispute", None);
        paid.amount = 3_000;
        let mut usd = with_status(invoice("Y", "Y3", "2026-09-01", 1_000), "dispute", None);
        usd.currency = "USD".into();
        let mut disputes = history();
        let open = |reference: &str, reason: &str, opened: &str, resolved: Option<&str>| Dispute {
            customer: "Y".into(),
            reference: reference.into(),
            reason: Some(reason.into()),
            opened: d(opened),
            resolved: resolved.map(d),
        };
        disputes.push(open("Y1", "Damaged", "2026-10-27", None));
        // Resolved after D: open on D, and no resolution time yet.
        disputes.push(open("Y4", "Wrong amount", "2026-11-01", Some("2026-12-01")));
        // Opened after D.
        disputes.push(open("Y5", "Damaged", "2026-12-01", None));
        ReportData {
            items: vec![x1, x2, y1, paid, usd, invoice("Y", "Y4", "2026-09-01", 800)],
            payments: vec![],
            disputes,
        }
    }

    #[test]
    fn open_disputes_with_age_reason_and_totals() {
        let r = disputes(&planner(), &data(), d("2026-11-26"));
        let open: Vec<(&str, Option<i64>, Option<&str>)> = r
            .open
            .iter()
            .map(|o| (o.reference.as_str(), o.age_days, o.reason.as_deref()))
            .collect();
        assert_eq!(
            open,
            [
                ("Y1", Some(30), Some("Damaged")),
                ("Y4", Some(25), Some("Wrong amount")),
                ("X1", Some(20), Some("Wrong amount")),
                ("X2", None, None),
            ]
        );
        assert_eq!(r.open[2].amount, eur(4_000));
        assert_eq!(r.open[2].collector.as_deref(), Some("ann@t.example"));
        assert_eq!(
            r.open[2].comment.as_deref(),
            Some("Wrong amount: 3 boxes short")
        );
        let by_reason: Vec<(Option<&str>, Money, usize, Option<i64>)> = r
            .by_reason
            .iter()
            .map(|t| {
                (
                    t.reason.as_deref(),
                    t.amount,
                    t.items,
                    t.mean_resolution_days,
                )
            })
            .collect();
        assert_eq!(
            by_reason,
            [
                (Some("Damaged"), eur(10_000), 1, None),
                (Some("Not received"), eur(0), 0, Some(5)),
                (Some("Wrong amount"), eur(4_800), 2, Some(15)),
                (None, eur(2_500), 1, Some(60)),
            ]
        );
        assert_eq!(
            r.by_customer,
            [
                CustomerTotal {
                    customer: "X".into(),
                    amount: eur(6_500),
                    items: 2
                },
                CustomerTotal {
                    customer: "Y".into(),
                    amount: eur(10_800),
                    items: 2
                },
            ]
        );
        assert_eq!(r.total, eur(17_300));
        assert_eq!(r.missing_rates, ["USD"]);
        let json = serde_json::to_value(&r).expect("serialises");
        assert_eq!(json["report"], "disputes");
        assert_eq!(json["by_reason"][3]["reason"], serde_json::Value::Null);
        assert_eq!(json["open"][0]["opened"], "2026-10-27");
    }

    #[test]
    fn a_reason_is_the_comment_before_its_colon() {
        assert_eq!(
            reason_of("Wrong amount: 3 boxes"),
            Some("Wrong amount".into())
        );
        assert_eq!(reason_of("no colon here"), None);
        assert_eq!(reason_of(" : empty reason"), None);
    }

    #[test]
    fn resolution_times_fall_back_to_every_reason() {
        let r = Resolutions::of(&history(), d("2026-11-26"));
        assert_eq!(r.expected(Some("Wrong amount")), Some(15));
        // (10 + 20 + 5 + 60) ÷ 4 = 23.75.
        assert_eq!(r.expected(Some("Damaged")), Some(24));
        assert_eq!(r.expected(None), Some(24));
        let none = Resolutions::of(&[], d("2026-11-26"));
        assert_eq!(none.expected(Some("Wrong amount")), None);
    }
}
