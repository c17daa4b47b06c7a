//! Reading a [`ReportData`] from the store: the items open on D (and, for
//! the reports that look back, those cleared or issued in the last
//! [`HISTORY_DAYS`]), the payment history, the dispute episodes rebuilt
//! from the status history, who collects each account and, when a report
//! is filtered or grouped by scenario, the scenario the planner picks for
//! each account; then the [`Filters`]. A report reads only what it
//! [`Needs`]: the open items alone make the aging.

use std::collections::BTreeMap;
use std::collections::hash_map::Entry;

use foldhash::{HashMap, HashMapExt as _};

use chrono::{DateTime, NaiveDate};

use super::{By, Dispute, Filters, Kind, Payment, ReportData, ReportItem};
use crate::date::parse_iso;
use crate::planner::Planner;
use crate::run::{self, RunError, Selection};
use crate::store::Store;
use crate::store::report_rows::{self, ItemRow, ItemSink, Rows, StatusLine, Window};

/// How far back reports read the past: 25 months (the countback DSO walks
/// up to 24 months; profiles look a year back from each of 12 months).
pub const HISTORY_DAYS: u64 = 760;

/// What a report reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// The items open on D (and, for a report on a past day, those cleared
    /// after it): every report but the receipts, which read them only to
    /// group payments.
    pub items: bool,
    /// Items cleared or issued within [`HISTORY_DAYS`] (dso, profile,
    /// receipts).
    pub cleared: bool,
    /// Payments within [`HISTORY_DAYS`] (dso, forecast, receipts, profile).
    pub payments: bool,
    /// Dispute episodes from the status history (forecast, disputes).
    pub disputes: bool,
    /// Each account's scenario as the planner picks it (a scenario filter
    /// or grouping): the accounts are then read whole, as the planner does.
    pub scenarios: bool,
}

impl Needs {
    /// Everything: what a page showing every report reads once.
    pub const ALL: Needs = Needs {
        items: true,
        cleared: true,
        payments: true,
        disputes: true,
        scenarios: true,
    };

    /// What report `kind` reads, filtered by `filters`, grouped `by`.
    pub fn of(kind: Kind, filters: &Filters, by: Option<By>) -> Needs {
        let grouped = by.is_some();
        Needs {
            items: kind != Kind::Receipts || grouped,
            cleared: matches!(kind, Kind::Dso | Kind::Profile)
                || (kind == Kind::Receipts && grouped),
            payments: matches!(
                kind,
                Kind::Dso | Kind::Forecast | Kind::Receipts | Kind::Profile
            ),
            disputes: matches!(kind, Kind::Forecast | Kind::Disputes),
            scenarios: filters.scenario.is_some() || by == Some(By::Scenario),
        }
    }
}

impl std::ops::BitOr for Needs {
    type Output = Needs;

    fn bitor(self, other: Needs) -> Needs {
        Needs {
            items: self.items || other.items,
            cleared: self.cleared || other.cleared,
            payments: self.payments || other.payments,
            disputes: self.disputes || other.disputes,
            scenarios: self.scenarios || other.scenarios,
        }
    }
}

/// What reports read on `date`, for the accounts `filters` select, as far
/// as `needs` asks.
pub async fn report_data(
    store: &Store,
    planner: &Planner,
    filters: &Filters,
    needs: Needs,
    date: NaiveDate,
) -> Result<ReportData, RunError> {
    let since = date
        .checked_sub_days(chrono::Days::new(HISTORY_DAYS))
        .unwrap_or(date)
        .to_string();
    // What was cleared or paid after D: a report on a past day undoes it.
    let after = date.succ_opt().unwrap_or(date).to_string();
    let window = Window {
        cleared_since: if needs.cleared { &since } else { &after }.clone(),
        issued_since: if needs.cleared {
            since.clone()
        } else {
            "9999-12-31".into()
        },
        paid_since: if needs.payments { &since } else { &after }.clone(),
        most_payments: needs.payments,
        items: needs.items,
        status_lines: needs.disputes,
        account: filters.customer.clone(),
    };
    // Scenarios first (the planner reads the accounts), when asked for.
    let scenario_of = if needs.scenarios {
        let selection = Selection {
            account: filters.customer.clone(),
            ..Selection::all(planner)
        };
        run::load(store, &selection)
            .await?
            .iter()
            .filter_map(|a| {
                let (scenario, _) = planner.scenario_reason(a, date)?;
                Some((a.code.to_string(), scenario))
            })
            .collect()
    } else {
        HashMap::new()
    };
    let mut items = Items {
        filters: filters.clone(),
        scenario_of,
        ..Items::default()
    };
    // From the file on a blocking thread on SQLite, else through the pool.
    let (rows, items) = match store.sqlite_file() {
        Some(path) => tokio::task::spawn_blocking(move || {
            let rows = report_rows::read_file(&path, &window, &mut items);
            (rows, items)
        })
        .await
        .map_err(|e| RunError::Task(e.to_string()))?,
        None => {
            let mut tx = store.begin().await?;
            let rows = report_rows::read(&mut tx, &window, &mut items).await;
            tx.rollback().await?;
            (rows, items)
        }
    };
    let rows = rows?;
    if let Some(code) = &filters.customer
        && !rows.account_found
    {
        return Err(RunError::UnknownAccount(code.clone()));
    }
    Ok(items.finish(planner, rows))
}

/// The report items as the read hands them: each with its account, its
/// collector and scenario, those of the accounts the filters leave out
/// dropped at once.
#[derive(Debug, Default)]
struct Items {
    filters: Filters,
    scenario_of: HashMap<String, String>,
    leader_of: HashMap<String, String>,
    collector_of: HashMap<String, String>,
    /// Items of customers that are their own account, in the read's
    /// (customer, reference) order: account order.
    own: Vec<ReportItem>,
    /// Items of customers grouped under another.
    grouped: Vec<ReportItem>,
    /// The last customer seen.
    last: Option<Last>,
}

/// The last customer an item was read of: its account, whether the
/// account is kept, who collects it and its scenario.
#[derive(Debug)]
struct Last {
    customer: String,
    account: String,
    keep: bool,
    collector: Option<String>,
    scenario: Option<String>,
}

impl Items {
    fn account_of(&self, customer: &str) -> String {
        self.leader_of
            .get(customer)
            .cloned()
            .unwrap_or_else(|| customer.to_string())
    }

    /// Whether the filters leave anything out.
    fn filtered(&self) -> bool {
        let f = &self.filters;
        f.customer.is_some() || f.collector.is_some() || f.scenario.is_some()
    }

    /// Whether the customer's account is kept.
    fn customer_kept(&self, customer: &str) -> bool {
        !self.filtered() || self.kept(&self.account_of(customer))
    }

    fn kept(&self, account: &str) -> bool {
        let f = &self.filters;
        f.customer.as_deref().is_none_or(|c| c == account)
            && f.collector
                .as_ref()
                .is_none_or(|c| self.collector_of.get(account) == Some(c))
            && f.scenario
                .as_ref()
                .is_none_or(|s| self.scenario_of.get(account) == Some(s))
    }

    /// The data: items by account, customer and reference; the payments
    /// and dispute episodes of `rows` whose accounts are kept.
    fn finish(mut self, planner: &Planner, rows: Rows) -> ReportData {
        let order = |a: &ReportItem, b: &ReportItem| {
            (&a.account, &a.customer, &a.reference).cmp(&(&b.account, &b.customer, &b.reference))
        };
        let mut data = ReportData::default();
        let grouped = std::mem::take(&mut self.grouped);
        let own = std::mem::take(&mut self.own);
        data.items = if grouped.is_empty() {
            own
        } else {
            let mut grouped = grouped;
            grouped.sort_unstable_by(order);
            merge(own, grouped, order)
        };
        if !data.items.is_sorted_by(|a, b| order(a, b).is_le()) {
            // Only a store whose text order differs from Rust's.
            data.items.sort_unstable_by(order);
        }
        let Rows {
            payments,
            status,
            account_found: _,
        } = rows;
        // Payments come oldest first.
        data.payments = payments
            .into_iter()
            .filter(|p| self.customer_kept(&p.customer))
            .map(|p| Payment {
                customer: p.customer,
                reference: p.reference,
                paid_on: p.paid_on,
                amount: p.amount,
                currency: p.currency,
                due_date: p.due_date,
            })
            .collect();
        let dispute = planner
            .config
            .settings
            .dispute_status
            .clone()
            .unwrap_or_else(|| "dispute".into());
        let tz = planner.config.settings.timezone;
        let cleared: HashMap<(&str, &str), NaiveDate> = status
            .iter()
            .filter_map(|s| {
                Some((
                    (s.line.customer.as_str(), s.line.reference.as_str()),
                    s.cleared_on?,
                ))
            })
            .collect();
        let lines: Vec<&StatusLine> = status
            .iter()
            .filter(|s| self.customer_kept(&s.line.customer))
            .map(|s| &s.line)
            .collect();
        data.disputes = episodes(lines, &dispute, tz, |customer, reference| {
            cleared.get(&(customer, reference)).copied()
        });
        data
    }
}

impl ItemSink for Items {
    fn begin(&mut self, collectors: Vec<(String, String)>, leaders: Vec<(String, String)>) {
        // Who collects each account: its first collector by address.
        for (customer, colleague) in collectors {
            match self.collector_of.entry(customer) {
                Entry::Occupied(mut first) => {
                    if colleague < *first.get() {
                        first.insert(colleague);
                    }
                }
                Entry::Vacant(none) => {
                    none.insert(colleague);
                }
            }
        }
        self.leader_of = leaders.into_iter().collect();
    }

    fn item(&mut self, i: ItemRow) {
        // Rows come by customer: what the last one's account is, whether it
        // is kept and who collects it are looked up once per customer.
        if self.last.as_ref().is_none_or(|l| l.customer != i.customer) {
            let account = self.account_of(&i.customer);
            self.last = Some(Last {
                customer: i.customer.clone(),
                keep: self.kept(&account),
                collector: self.collector_of.get(&account).cloned(),
                scenario: self.scenario_of.get(&account).cloned(),
                account,
            });
        }
        let Some(last) = self.last.as_ref().filter(|l| l.keep) else {
            return;
        };
        let item = ReportItem {
            collector: last.collector.clone(),
            scenario: last.scenario.clone(),
            customer: i.customer,
            account: last.account.clone(),
            reference: i.reference,
            kind: i.kind,
            issue_date: i.issue_date,
            due_date: i.due_date,
            amount: i.amount,
            remaining: i.remaining,
            currency: i.currency,
            status: i.status,
            status_since: i.status_since,
            promise_date: i.promise_date,
            comment: i.comment,
            cleared_on: i.cleared_on,
        };
        if item.account == item.customer {
            self.own.push(item);
        } else {
            self.grouped.push(item);
        }
    }
}

/// `a` and `b`, each sorted by `order`, merged into one sorted list.
fn merge<T>(a: Vec<T>, b: Vec<T>, order: impl Fn(&T, &T) -> std::cmp::Ordering) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => {
                if order(y, x).is_lt() {
                    b.next()
                } else {
                    a.next()
                }
            }
            (Some(_), None) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(item) => out.push(item),
            None => return out,
        }
    }
}

/// The dispute episodes of the status history (`lines`, oldest first):
/// each time an item got the `dispute` status, until it lost it (or was
/// cleared: `cleared_on`); the reason is the part of the status comment
/// before `:` (the customer page writes `reason: comment`). A line's day
/// is its `on` (the day the change counts for), else the day of its `at`
/// in the platform timezone `tz`.
pub fn episodes<'a>(
    lines: impl IntoIterator<Item = &'a StatusLine>,
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
