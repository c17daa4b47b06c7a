//! The `alerts` table: raises and resolutions by runs and delivery, the
//! platform-wide `stale_data` alert, and pages of alerts in id order after a
//! cursor. Every write is a multi-row statement; uniqueness lives in the
//! database (a partial unique index on open alerts), so two runs at the
//! same time raise an alert once.

use sqlx::{AssertSqlSafe, Row as _};

use super::history::{self, HistoryEvent};
use super::{Store, StoreError, Tx, and_equal, close_rows, insert_rows, on_tx, statement};

/// An alert that starts holding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedAlert {
    /// Alert name.
    pub alert: String,
    /// The account.
    pub account: String,
    /// `CUSTOMER/REFERENCE`, or `""` for account alerts.
    pub item: String,
    /// Its level.
    pub level: String,
    /// Why it holds.
    pub detail: String,
}

/// Records raises (once: an alert already open stays one alert) and resolves
/// `(alert, account, item)` that stopped holding. Returns the raises recorded now.
pub async fn record(
    tx: &mut Tx,
    raised: &[RaisedAlert],
    resolved: &[(String, String, String)],
    date: &str,
    now: &str,
    origin: &str,
) -> Result<Vec<RaisedAlert>, StoreError> {
    let rows: Vec<Vec<Option<String>>> = raised
        .iter()
        .map(|a| {
            vec![
                Some(a.alert.clone()),
                Some(a.account.clone()),
                Some(a.item.clone()),
                Some(a.level.clone()),
                Some(date.to_string()),
                Some(a.detail.clone()),
                Some(origin.to_string()),
            ]
        })
        .collect();
    let inserted = insert_rows(
        tx,
        "INSERT INTO alerts (alert, account, item, level, raised_on, detail, origin) VALUES",
        "ON CONFLICT (account, alert, item) WHERE resolved_on IS NULL DO NOTHING RETURNING alert, account, item",
        7,
        &rows,
        "raising alerts",
    )
    .await?;
    let new: Vec<RaisedAlert> = raised
        .iter()
        .filter(|a| {
            inserted
                .iter()
                .any(|r| r[0] == a.alert && r[1] == a.account && r[2] == a.item)
        })
        .cloned()
        .collect();
    let keys: Vec<Vec<String>> = resolved
        .iter()
        .map(|(alert, account, item)| vec![account.clone(), alert.clone(), item.clone()])
        .collect();
    close_rows(
        tx,
        "alerts",
        "resolved_on",
        date,
        &["account", "alert", "item"],
        &keys,
        "resolving alerts",
    )
    .await?;
    let mut history: Vec<HistoryEvent> = new
        .iter()
        .map(|a| HistoryEvent {
            at: now.to_string(),
            kind: "alert_raised".into(),
            customer: Some(a.account.clone()),
            reference: a.item.split_once('/').map(|(_, r)| r.to_string()),
            origin: origin.to_string(),
            data: serde_json::json!({"alert": a.alert, "item": a.item, "level": a.level, "why": a.detail})
                .to_string(),
        })
        .collect();
    history.extend(resolved.iter().map(|(alert, account, item)| HistoryEvent {
        at: now.to_string(),
        kind: "alert_resolved".into(),
        customer: Some(account.clone()),
        reference: item.split_once('/').map(|(_, r)| r.to_string()),
        origin: origin.to_string(),
        data: serde_json::json!({"alert": alert, "item": item}).to_string(),
    }));
    history::append_history(tx, &history).await?;
    Ok(new)
}

/// Raises (`hold` true, with `detail`) or resolves the platform-wide
/// `stale_data` alert (account `""`). Returns whether it changed.
pub async fn stale_data(
    store: &Store,
    hold: bool,
    detail: &str,
    date: &str,
    now: &str,
    origin: &str,
) -> Result<bool, StoreError> {
    let mut tx = store.begin_write().await?;
    let sql = "SELECT COUNT(*) FROM alerts WHERE alert = 'stale_data' AND account = '' AND resolved_on IS NULL";
    let open: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(sql).fetch_one(&mut **c).await)
        .map_err(StoreError::query("reading alerts"))?;
    let changed = if hold && open == 0 {
        let alert = RaisedAlert {
            alert: "stale_data".into(),
            account: String::new(),
            item: String::new(),
            level: "high".into(),
            detail: detail.to_string(),
        };
        !record(&mut tx, &[alert], &[], date, now, origin)
            .await?
            .is_empty()
    } else if !hold && open > 0 {
        let key = ("stale_data".to_string(), String::new(), String::new());
        record(&mut tx, &[], &[key], date, now, origin).await?;
        true
    } else {
        false
    };
    tx.commit().await?;
    Ok(changed)
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// Its id.
    pub id: i64,
    /// The alert's name.
    pub alert: String,
    /// The account.
    pub account: String,
    /// `CUSTOMER/REFERENCE`, `""` for account alerts.
    pub item: String,
    /// `low`, `medium`, `high`.
    pub level: String,
    /// The run date it was raised on.
    pub raised_on: String,
    /// The run date it was resolved on, if it was.
    pub resolved_on: Option<String>,
    /// Why it holds.
    pub detail: String,
    /// Who raised it.
    pub origin: String,
}

/// Reads an [`AlertRow`] from a row of `SELECT id, alert, account, item,
/// level, raised_on, resolved_on, detail, origin` (a macro: the row types of
/// the two backends share no trait worth naming here).
macro_rules! alert_row {
    ($r:expr) => {
        Ok::<_, sqlx::Error>(AlertRow {
            id: $r.try_get(0)?,
            alert: $r.try_get(1)?,
            account: $r.try_get(2)?,
            item: $r.try_get(3)?,
            level: $r.try_get(4)?,
            raised_on: $r.try_get(5)?,
            resolved_on: $r.try_get(6)?,
            detail: $r.try_get(7)?,
            origin: $r.try_get(8)?,
        })
    };
}

/// Which alerts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// `Some(true)`: open only; `Some(false)`: resolved only.
    pub open: Option<bool>,
    /// Only of this account.
    pub account: Option<String>,
    /// Only this alert.
    pub alert: Option<String>,
    /// Only with an id above this one (the cursor).
    pub after: i64,
    /// At most this many.
    pub limit: u32,
}

/// A page of alerts in id order.
pub async fn list(tx: &mut Tx, filter: &AlertFilter) -> Result<Vec<AlertRow>, StoreError> {
    let mut template = String::from(
        "SELECT id, alert, account, item, level, raised_on, resolved_on, detail, origin \
         FROM alerts WHERE id > ?",
    );
    match filter.open {
        Some(true) => template.push_str(" AND resolved_on IS NULL"),
        Some(false) => template.push_str(" AND resolved_on IS NOT NULL"),
        None => {}
    }
    let binds = and_equal(
        &mut template,
        &[("account", &filter.account), ("alert", &filter.alert)],
    );
    template.push_str(&format!(" ORDER BY id LIMIT {}", filter.limit));
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(filter.after);
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter().map(|r| alert_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("listing alerts"))
}

/// Open alerts of these accounts, in id order, at most `limit`.
pub async fn open_on(
    tx: &mut Tx,
    accounts: &[String],
    limit: u32,
) -> Result<Vec<AlertRow>, StoreError> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let template = format!(
        "SELECT id, alert, account, item, level, raised_on, resolved_on, detail, origin \
         FROM alerts WHERE resolved_on IS NULL AND account IN ({}) ORDER BY id LIMIT {limit}",
        vec!["?"; accounts.len()].join(", ")
    );
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for a in accounts {
            q = q.bind(a.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter().map(|r| alert_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("listing alerts"))
}

/// The names of the alerts open on some account, sorted (the workspace's
/// alert filter).
pub async fn open_names(tx: &mut Tx) -> Result<Vec<String>, StoreError> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT DISTINCT alert FROM alerts WHERE resolved_on IS NULL AND account <> '' ORDER BY alert",
    )
    .fetch_all(&mut **c)
    .await)
    .map_err(StoreError::query("reading alerts"))
}
