//! The `customers` and `colleagues` tables as the rest of the engine reads
//! them (the import writes them through [`super::table`]): the indexes the
//! import checks rows against, group leaders, collection accounts and their
//! timezones.

use sqlx::{AssertSqlSafe, Row as _};

use super::{Store, StoreError, Tx, on_tx, statement};

/// A stored customer as the import needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerEntry {
    /// Its code.
    pub code: String,
    /// Its currency, if set.
    pub currency: Option<String>,
    /// Its group leader, if grouped.
    pub group_leader: Option<String>,
}

/// Every stored customer (code, currency, leader).
pub async fn customer_index(tx: &mut Tx) -> Result<Vec<CustomerEntry>, StoreError> {
    on_tx!(tx, c => async {
        let rows = sqlx::query("SELECT code, currency, group_leader FROM customers")
            .fetch_all(&mut **c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CustomerEntry {
                    code: r.try_get(0)?,
                    currency: r.try_get(1)?,
                    group_leader: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }.await)
    .map_err(StoreError::query("reading customers"))
}

/// Every stored colleague (email, role).
pub async fn colleague_index(tx: &mut Tx) -> Result<Vec<(String, String)>, StoreError> {
    on_tx!(tx, c => async {
        let rows = sqlx::query("SELECT email, role FROM colleagues").fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }.await)
    .map_err(StoreError::query("reading colleagues"))
}

/// A customer's group leader: `None` when the customer does not exist,
/// `Some(None)` when it is not grouped.
pub async fn group_leader(tx: &mut Tx, code: &str) -> Result<Option<Option<String>>, StoreError> {
    let sql = statement(tx, "SELECT group_leader FROM customers WHERE code = ?");
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).bind(code).fetch_optional(&mut **c).await)
        .map_err(StoreError::query("reading a customer"))
}

/// Of these codes, those that are no collection account (unknown, or
/// collected through a group leader), in the order given.
pub async fn not_accounts(tx: &mut Tx, codes: &[String]) -> Result<Vec<String>, StoreError> {
    let mut missing = Vec::new();
    for batch in codes.chunks(1000) {
        let template = format!(
            "SELECT code FROM customers WHERE group_leader IS NULL AND code IN ({})",
            vec!["?"; batch.len()].join(", ")
        );
        let sql = statement(tx, &template);
        let found: Vec<String> = on_tx!(tx, c => {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql));
            for code in batch {
                q = q.bind(code.clone());
            }
            q.fetch_all(&mut **c).await
        })
        .map_err(StoreError::query("reading customers"))?;
        missing.extend(batch.iter().filter(|c| !found.contains(c)).cloned());
    }
    Ok(missing)
}

/// The timezones of collection accounts that name one (leaders only).
pub async fn account_timezones(store: &Store) -> Result<Vec<String>, StoreError> {
    let mut tx = store.begin().await?;
    let zones: Vec<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
        "SELECT DISTINCT timezone FROM customers WHERE timezone IS NOT NULL AND timezone <> '' \
         AND group_leader IS NULL ORDER BY timezone")
        .fetch_all(&mut **c)
        .await)
    .map_err(StoreError::query("reading timezones"))?;
    tx.rollback().await?;
    Ok(zones)
}

/// Every collection account's code with its stored timezone.
pub async fn account_timezones_by_code(
    tx: &mut Tx,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT code, timezone FROM customers WHERE group_leader IS NULL")
        .fetch_all(&mut **c)
        .await)
    .map_err(StoreError::query("reading accounts' timezones"))
}

/// A colleague as the workspace lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colleague {
    /// Address (the key).
    pub email: String,
    /// Name.
    pub name: String,
    /// Collection role (`collector`, `sales`, `manager`).
    pub role: String,
}

/// Every colleague, by name.
pub async fn colleagues(tx: &mut Tx) -> Result<Vec<Colleague>, StoreError> {
    on_tx!(tx, c => async {
        let rows = sqlx::query("SELECT email, name, role FROM colleagues ORDER BY name, email")
            .fetch_all(&mut **c)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Colleague {
                    email: r.try_get(0)?,
                    name: r.try_get(1)?,
                    role: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }.await)
    .map_err(StoreError::query("reading colleagues"))
}

/// The collection accounts (leaders' codes) a colleague is assigned to,
/// directly or through a grouped member, sorted.
pub async fn accounts_of(tx: &mut Tx, colleague: &str) -> Result<Vec<String>, StoreError> {
    let sql = statement(
        tx,
        "SELECT DISTINCT COALESCE(c.group_leader, c.code) FROM assignments a \
         JOIN customers c ON c.code = a.customer WHERE a.colleague = ? ORDER BY 1",
    );
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).bind(colleague).fetch_all(&mut **c).await)
        .map_err(StoreError::query("reading assignments"))
}

/// What the workspace's account search asks for; `None` is any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSearch {
    /// Part of the code or of the name, any case.
    pub text: Option<String>,
    /// Assigned to this colleague (email).
    pub colleague: Option<String>,
    /// With this alert open.
    pub alert: Option<String>,
    /// At most this many.
    pub limit: u32,
}

/// Collection accounts (code, name) matching a search, by code.
pub async fn search_accounts(
    tx: &mut Tx,
    search: &AccountSearch,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut template = String::from("SELECT code, name FROM customers WHERE group_leader IS NULL");
    let mut binds: Vec<String> = Vec::new();
    if let Some(text) = search
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let escaped: String = text
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '\\' | '%' | '_' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        template
            .push_str(" AND (LOWER(code) LIKE ? ESCAPE '\\' OR LOWER(name) LIKE ? ESCAPE '\\')");
        binds.push(format!("%{escaped}%"));
        binds.push(format!("%{escaped}%"));
    }
    if let Some(colleague) = &search.colleague {
        template.push_str(
            " AND code IN (SELECT COALESCE(m.group_leader, m.code) FROM assignments a \
             JOIN customers m ON m.code = a.customer WHERE a.colleague = ?)",
        );
        binds.push(colleague.clone());
    }
    if let Some(alert) = &search.alert {
        template.push_str(
            " AND code IN (SELECT account FROM alerts WHERE alert = ? AND resolved_on IS NULL)",
        );
        binds.push(alert.clone());
    }
    template.push_str(&format!(" ORDER BY code LIMIT {}", search.limit));
    let sql = statement(tx, &template);
    on_tx!(tx, c => async {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let rows = q.fetch_all(&mut **c).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("searching accounts"))
}

/// The name of a customer and of a colleague, for what people read
/// (internal notifications): `(customer name, colleague name)`, each `None`
/// when unknown or empty.
pub async fn names(
    tx: &mut Tx,
    customer: &str,
    colleague: &str,
) -> Result<(Option<String>, Option<String>), StoreError> {
    let sql = statement(tx, "SELECT name FROM customers WHERE code = ?");
    let customer: Option<Option<String>> = on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(customer)
        .fetch_optional(&mut **c)
        .await)
    .map_err(StoreError::query("reading a customer's name"))?;
    let sql = statement(tx, "SELECT name FROM colleagues WHERE email = ?");
    let colleague: Option<Option<String>> = on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(colleague)
        .fetch_optional(&mut **c)
        .await)
    .map_err(StoreError::query("reading a colleague's name"))?;
    let some = |n: Option<Option<String>>| n.flatten().filter(|n| !n.is_empty());
    Ok((some(customer), some(colleague)))
}
