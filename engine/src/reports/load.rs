//! Reading a [`ReportData`] from the store: the open accounts as the
//! planner loads them (their collector and scenario), the cleared items of
//! the period, the payment history and the dispute episodes rebuilt from the
//! status history; then the [`Filters`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate};

use super::{Dispute, Filters, Payment, ReportData, ReportItem};
use crate::date::parse_iso;
use crate::planner::facts::ItemType;
use crate::planner::{Account, Planner};
use crate::run::{self, RunError, Selection};
use crate::store::reports::{self as table, StatusLine};
use crate::store::{Store, payments};

/// How far back reports read the past: 25 months (the countback DSO walks
/// up to 24 months; profiles look a year back from each of 12 months).
pub const HISTORY_DAYS: u64 = 760;

/// What reports read on `date`, for the accounts `filters` select.
pub async fn report_data(
    store: &Store,
    planner: &Planner,
    filters: &Filters,
    date: NaiveDate,
) -> Result<ReportData, RunError> {
    let since = date
        .checked_sub_days(chrono::Days::new(HISTORY_DAYS))
        .unwrap_or(date)
        .to_string();
    let selection = Selection {
        account: filters.customer.clone(),
        ..Selection::to_render(planner)
    };
    // The accounts (read from the file on a blocking thread on SQLite) and
    // the other tables (through the pool) are read at the same time.
    let tables = async {
        let mut tx = store.begin().await?;
        let cleared = table::cleared_items(&mut tx, &since).await?;
        let collectors = table::collectors(&mut tx).await?;
        let paid = payments::payments_between(&mut tx, &since, &date.to_string()).await?;
        let lines = table::status_lines(&mut tx).await?;
        tx.rollback().await?;
        Ok::<_, RunError>((cleared, collectors, paid, lines))
    };
    let (accounts, tables) = tokio::join!(run::load(store, &selection), tables);
    let accounts = accounts?;
    let (cleared, collectors, paid, lines) = tables?;

    // Who collects each account, and its scenario when it has open items.
    let mut collector_of: HashMap<String, String> = HashMap::new();
    for (customer, colleague) in collectors {
        collector_of.entry(customer).or_insert(colleague);
    }
    let mut data = ReportData::default();
    let mut scenario_of: HashMap<String, Option<String>> = HashMap::new();
    for account in &accounts {
        let collector = collector(account);
        let scenario = planner.scenario_reason(account, date).map(|(s, _)| s);
        scenario_of.insert(account.code.to_string(), scenario.clone());
        for i in &account.items {
            data.items.push(ReportItem {
                customer: i.customer.clone(),
                account: account.code.to_string(),
                reference: i.reference.clone(),
                kind: i.kind,
                issue_date: i.issue_date,
                due_date: i.due_date,
                amount: i.amount,
                remaining: i.remaining,
                currency: i.currency.clone(),
                status: i.status.clone(),
                status_since: i.status_since,
                promise_date: i.promise_date,
                comment: i.comment.clone(),
                cleared_on: None,
                collector: collector.clone(),
                scenario: scenario.clone(),
            });
        }
    }
    for c in cleared {
        if filters.customer.as_ref().is_some_and(|f| *f != c.account) {
            continue;
        }
        let Some(due_date) = parse_iso(&c.due_date) else {
            continue;
        };
        data.items.push(ReportItem {
            collector: collector_of.get(&c.account).cloned(),
            scenario: scenario_of.get(&c.account).cloned().flatten(),
            customer: c.customer,
            account: c.account,
            reference: c.reference,
            kind: ItemType::parse(&c.kind),
            issue_date: c.issue_date.as_deref().and_then(parse_iso),
            due_date,
            amount: c.amount,
            remaining: 0,
            currency: c.currency,
            status: None,
            status_since: None,
            promise_date: None,
            comment: None,
            cleared_on: c.cleared_on.as_deref().and_then(parse_iso),
        });
    }
    data.items.retain(|i| {
        filters
            .collector
            .as_ref()
            .is_none_or(|f| i.collector.as_ref() == Some(f))
            && filters
                .scenario
                .as_ref()
                .is_none_or(|f| i.scenario.as_ref() == Some(f))
    });
    data.items.sort_by(|a, b| {
        (&a.account, &a.customer, &a.reference).cmp(&(&b.account, &b.customer, &b.reference))
    });

    let kept: HashMap<(&str, &str), &ReportItem> = data
        .items
        .iter()
        .map(|i| ((i.customer.as_str(), i.reference.as_str()), i))
        .collect();
    let mut payments: Vec<Payment> = paid
        .into_iter()
        .filter_map(|p| {
            // What customers paid: invoices and debit notes (a credit
            // note or an unallocated payment used up is no cash in).
            let item = kept
                .get(&(p.customer.as_str(), p.reference.as_str()))
                .filter(|i| i.kind.is_debit())?;
            Some(Payment {
                paid_on: parse_iso(&p.paid_on)?,
                due_date: item.due_date,
                customer: p.customer,
                reference: p.reference,
                amount: p.amount,
                currency: p.currency,
            })
        })
        .collect();
    payments.sort_by(|a, b| {
        (a.paid_on, &a.customer, &a.reference).cmp(&(b.paid_on, &b.customer, &b.reference))
    });
    let dispute = planner
        .config
        .settings
        .dispute_status
        .clone()
        .unwrap_or_else(|| "dispute".into());
    let tz = planner.config.settings.timezone;
    let cleared_on = |customer: &str, reference: &str| {
        kept.get(&(customer, reference)).and_then(|i| i.cleared_on)
    };
    let disputes: Vec<Dispute> = episodes(&lines, &dispute, tz, cleared_on)
        .into_iter()
        .filter(|d| kept.contains_key(&(d.customer.as_str(), d.reference.as_str())))
        .collect();
    data.payments = payments;
    data.disputes = disputes;
    Ok(data)
}

/// The account's collector: its first colleague with the role, by address.
fn collector(account: &Account) -> Option<String> {
    account
        .colleagues
        .iter()
        .filter(|c| c.role == "collector")
        .map(|c| c.email.clone())
        .min()
}

/// The dispute episodes of the status history (`lines`, oldest first):
/// each time an item got the `dispute` status, until it lost it (or was
/// cleared: `cleared_on`); the reason is the part of the status comment
/// before `:` (the customer page writes `reason: comment`). A line's day
/// is its `on` (the day the change counts for), else the day of its `at`
/// in the platform timezone `tz`.
pub fn episodes(
    lines: &[StatusLine],
    dispute: &str,
    tz: chrono_tz::Tz,
    cleared_on: impl Fn(&str, &str) -> Option<NaiveDate>,
) -> Vec<Dispute> {
    let mut open: BTreeMap<(String, String), Dispute> = BTreeMap::new();
    let mut out = Vec::new();
    for line in lines {
        let data: serde_json::Value = serde_json::from_str(&line.data).unwrap_or_default();
        // The day the change counts for (`on`), else the day it was made.
        let on = data["on"].as_str().and_then(parse_iso);
        let Some(day) = on.or_else(|| {
            DateTime::parse_from_rfc3339(&line.at)
                .ok()
                .map(|at| at.with_timezone(&tz).date_naive())
        }) else {
            continue;
        };
        let (status, comment) = match line.kind.as_str() {
            "status_set" => (data["status"].as_str(), data["comment"].as_str()),
            "status_changed" => (data["to"].as_str(), data["comment"].as_str()),
            _ => (None, None),
        };
        let key = (line.customer.clone(), line.reference.clone());
        let disputed = status == Some(dispute);
        match (open.contains_key(&key), disputed) {
            (false, true) => {
                let reason = comment
                    .and_then(|c| c.split_once(':'))
                    .map(|(r, _)| r.trim().to_string())
                    .filter(|r| !r.is_empty());
                open.insert(
                    key.clone(),
                    Dispute {
                        customer: key.0,
                        reference: key.1,
                        reason,
                        opened: day,
                        resolved: None,
                    },
                );
            }
            (true, false) => {
                if let Some(mut d) = open.remove(&key) {
                    d.resolved = Some(day);
                    out.push(d);
                }
            }
            _ => {}
        }
    }
    for (_, mut d) in open {
        d.resolved = cleared_on(&d.customer, &d.reference);
        out.push(d);
    }
    out.sort_by(|a, b| {
        (a.opened, &a.customer, &a.reference).cmp(&(b.opened, &b.customer, &b.reference))
    });
    out
}
