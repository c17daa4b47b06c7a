//! What the planner reads: collection accounts and everything that belongs
//! to them, loaded for a page of accounts at a time (a few statements per
//! page, whatever its size), never all rows at once.
//!
//! A collection account is a customer without a `group_leader`; the customers
//! grouped under it join it (PLANNING.md): their items are the account's, and
//! the contacts and colleagues are the leader's.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::{Params, StoreError, Tx, on_tx};

/// A customer of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFacts {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Language, if set.
    pub language: Option<String>,
    /// IANA timezone, if set.
    pub timezone: Option<String>,
    /// Explicit scenario, if set.
    pub scenario: Option<String>,
    /// The leader it is grouped under (members only).
    pub group_leader: Option<String>,
    /// Credit limit in minor units of its currency.
    pub credit_limit: Option<i64>,
    /// Currency, if set.
    pub currency: Option<String>,
    /// Custom fields, a JSON object.
    pub custom: String,
}

/// An open item (remaining above zero), debit or credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFacts {
    /// Its customer (the leader or a member).
    pub customer: String,
    /// Reference.
    pub reference: String,
    /// `invoice`, `credit_note`, `debit_note`, `payment`.
    pub kind: String,
    /// Issue date (ISO).
    pub issue_date: Option<String>,
    /// Due date (ISO).
    pub due_date: String,
    /// Amount in minor units.
    pub amount: i64,
    /// Remaining in minor units.
    pub remaining: i64,
    /// Currency.
    pub currency: String,
    /// Status, if any.
    pub status: Option<String>,
    /// Since when (ISO).
    pub status_since: Option<String>,
    /// Promised payment date (ISO).
    pub promise_date: Option<String>,
    /// Comment.
    pub comment: Option<String>,
    /// Custom fields, a JSON object.
    pub custom: String,
    /// Last step reached per scenario: `(scenario, step)`, sorted.
    pub steps: Vec<(String, String)>,
}

/// A contact of the account's leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFacts {
    /// Address.
    pub email: String,
    /// Name.
    pub name: Option<String>,
    /// Role (`billing`...).
    pub role: String,
    /// Language.
    pub language: Option<String>,
}

/// A colleague assigned to the account's leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColleagueFacts {
    /// Role in this assignment (`collector`, `sales`, `manager`).
    pub role: String,
    /// Address.
    pub email: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
}

/// A collection account and what belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFacts {
    /// The leader's code (the account's code).
    pub code: String,
    /// The leader first, then its members by code.
    pub customers: Vec<CustomerFacts>,
    /// Open items of all of them, by customer then reference.
    pub items: Vec<ItemFacts>,
    /// The leader's contacts, by email.
    pub contacts: Vec<ContactFacts>,
    /// The leader's colleagues, by role then email.
    pub colleagues: Vec<ColleagueFacts>,
    /// The last recorded action: `(run_date, step)`.
    pub last_action: Option<(String, String)>,
    /// Open alerts: `(alert, item)`, item `CUSTOMER/REFERENCE` or `""`.
    pub open_alerts: Vec<(String, String)>,
    /// Escalations that fired and still hold.
    pub escalations: Vec<String>,
    /// Scenario switches, oldest first: `(effective_on, scenario)`.
    pub switches: Vec<(String, String)>,
}

/// Runs `SELECT cols FROM rest` (ORDER BY included) with `codes` bound in
/// order and returns its rows, fetched as one JSON array: a single row
/// crosses from the database to us instead of thousands, which is what
/// reading costs with sqlx (a thread hand-off per row).
async fn json_rows<T: serde::de::DeserializeOwned>(
    tx: &mut Tx,
    cols: &[&str],
    rest: &str,
    codes: impl IntoIterator<Item = impl ToString>,
    what: &'static str,
) -> Result<Vec<T>, StoreError> {
    let aliased: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} AS c{i}"))
        .collect();
    let names: Vec<String> = (0..cols.len()).map(|i| format!("c{i}")).collect();
    let inner = format!("SELECT {} FROM {rest}", aliased.join(", "));
    let sql = match tx.backend() {
        super::Backend::Sqlite => format!(
            "SELECT json_group_array(json_array({})) FROM ({inner})",
            names.join(", ")
        ),
        super::Backend::Postgres => format!(
            "SELECT coalesce(json_agg(json_build_array({})), '[]')::text FROM ({inner}) t",
            names.join(", ")
        ),
    };
    let codes: Vec<String> = codes.into_iter().map(|c| c.to_string()).collect();
    let text: String = on_tx!(tx, c => {
        let mut q = sqlx::query_scalar(AssertSqlSafe(sql));
        for code in &codes {
            q = q.bind(code.clone());
        }
        q.fetch_one(&mut **c).await
    })
    .map_err(StoreError::query(what))?;
    serde_json::from_str(&text).map_err(|e| StoreError::Decode {
        what,
        reason: e.to_string(),
    })
}

/// A page of account codes in code order, after `after` (exclusive).
pub async fn account_codes(
    tx: &mut Tx,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let mut params = Params::new(tx);
    let mut sql = String::from("SELECT code FROM customers WHERE group_leader IS NULL AND code > ");
    params.push(&mut sql);
    sql.push_str(" ORDER BY code LIMIT ");
    sql.push_str(&limit.to_string());
    let after = after.unwrap_or("").to_string();
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).bind(after).fetch_all(&mut **c).await)
        .map_err(StoreError::query("listing accounts"))
}

/// Every account code, in code order.
pub async fn all_account_codes(tx: &mut Tx) -> Result<Vec<String>, StoreError> {
    let sql = "SELECT code FROM customers WHERE group_leader IS NULL ORDER BY code";
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_all(&mut **c).await)
        .map_err(StoreError::query("listing accounts"))
}

/// `template` with `{}` replaced by a list of `n` parameters.
fn with_list(tx: &Tx, template: &str, n: usize) -> String {
    let mut params = Params::new(tx);
    let (head, tail) = template.split_once("{}").unwrap_or((template, ""));
    let mut sql = String::from(head);
    params.list(&mut sql, n);
    sql.push_str(tail);
    sql
}

/// Item columns a caller may do without: the planner reads them only when
/// the configuration's expressions do. Left out, they read as empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemColumns {
    /// `issue_date`
    pub issue_date: bool,
    /// `comment`
    pub comment: bool,
    /// Custom fields.
    pub custom: bool,
}

impl ItemColumns {
    /// Every column.
    pub const ALL: ItemColumns = ItemColumns {
        issue_date: true,
        comment: true,
        custom: true,
    };
}

/// Loads the accounts with these codes (at most a few thousand per call).
/// Codes that are no account (unknown, or grouped under another) are skipped.
pub async fn accounts(tx: &mut Tx, codes: &[String]) -> Result<Vec<AccountFacts>, StoreError> {
    accounts_with(tx, codes, ItemColumns::ALL).await
}

/// [`accounts`], reading only the item columns asked for.
pub async fn accounts_with(
    tx: &mut Tx,
    codes: &[String],
    columns: ItemColumns,
) -> Result<Vec<AccountFacts>, StoreError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let n = codes.len();

    // Leaders and members.
    let sql = with_list(
        tx,
        "customers WHERE (code IN ({}) AND group_leader IS NULL) OR group_leader IN ({}) ORDER BY code",
        n,
    );
    // The list appears twice: bind it twice (numbered parameters continue).
    let sql = second_list(tx, &sql, n);
    type CustomerRow = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        String,
    );
    let rows: Vec<CustomerRow> = json_rows(
        tx,
        &[
            "code",
            "name",
            "language",
            "timezone",
            "scenario",
            "group_leader",
            "credit_limit",
            "currency",
            "custom",
        ],
        &sql,
        codes.iter().chain(codes),
        "reading customers",
    )
    .await?;
    let customers: Vec<CustomerFacts> = rows
        .into_iter()
        .map(
            |(
                code,
                name,
                language,
                timezone,
                scenario,
                group_leader,
                credit_limit,
                currency,
                custom,
            )| {
                CustomerFacts {
                    code,
                    name,
                    language,
                    timezone,
                    scenario,
                    group_leader,
                    credit_limit,
                    currency,
                    custom,
                }
            },
        )
        .collect();
    let all_codes: Vec<&str> = customers.iter().map(|c| c.code.as_str()).collect();
    if all_codes.is_empty() {
        return Ok(Vec::new());
    }

    // Open items and their steps.
    let sql = with_list(
        tx,
        "items WHERE remaining > 0 AND customer IN ({}) ORDER BY customer, reference",
        all_codes.len(),
    );
    type ItemRow = (
        String,
        String,
        String,
        Option<String>,
        String,
        i64,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<ItemRow> = json_rows(
        tx,
        &[
            "customer",
            "reference",
            "type",
            if columns.issue_date {
                "issue_date"
            } else {
                "NULL"
            },
            "due_date",
            "amount",
            "remaining",
            "currency",
            "status",
            "status_since",
            "promise_date",
            if columns.comment { "comment" } else { "NULL" },
            if columns.custom { "custom" } else { "'{}'" },
        ],
        &sql,
        &all_codes,
        "reading items",
    )
    .await?;
    let mut items: Vec<ItemFacts> = rows
        .into_iter()
        .map(|r| ItemFacts {
            customer: r.0,
            reference: r.1,
            kind: r.2,
            issue_date: r.3,
            due_date: r.4,
            amount: r.5,
            remaining: r.6,
            currency: r.7,
            status: r.8,
            status_since: r.9,
            promise_date: r.10,
            comment: r.11,
            custom: r.12,
            steps: Vec::new(),
        })
        .collect();
    let sql = with_list(
        tx,
        "item_steps WHERE customer IN ({}) ORDER BY customer, reference, scenario",
        all_codes.len(),
    );
    let steps: Vec<(String, String, String, String)> = json_rows(
        tx,
        &["customer", "reference", "scenario", "step"],
        &sql,
        &all_codes,
        "reading item steps",
    )
    .await?;
    let mut by_item: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
    for (customer, reference, scenario, step) in steps {
        by_item
            .entry((customer, reference))
            .or_default()
            .push((scenario, step));
    }
    for item in &mut items {
        if let Some(s) = by_item.remove(&(item.customer.clone(), item.reference.clone())) {
            item.steps = s;
        }
    }

    // The leaders' contacts and colleagues.
    let leaders: Vec<&str> = customers
        .iter()
        .filter(|c| c.group_leader.is_none())
        .map(|c| c.code.as_str())
        .collect();
    let sql = with_list(
        tx,
        "contacts WHERE customer IN ({}) ORDER BY customer, email",
        leaders.len(),
    );
    type ContactRow = (String, String, Option<String>, String, Option<String>);
    let rows: Vec<ContactRow> = json_rows(
        tx,
        &["customer", "email", "name", "role", "language"],
        &sql,
        &leaders,
        "reading contacts",
    )
    .await?;
    let contacts: Vec<(String, ContactFacts)> = rows
        .into_iter()
        .map(|(customer, email, name, role, language)| {
            (
                customer,
                ContactFacts {
                    email,
                    name,
                    role,
                    language,
                },
            )
        })
        .collect();
    let sql = with_list(
        tx,
        "assignments a JOIN colleagues g ON g.email = a.colleague WHERE a.customer IN ({}) \
         ORDER BY a.customer, a.role, g.email",
        leaders.len(),
    );
    type ColleagueRow = (String, String, String, String, Option<String>);
    let rows: Vec<ColleagueRow> = json_rows(
        tx,
        &["a.customer", "a.role", "g.email", "g.name", "g.phone"],
        &sql,
        &leaders,
        "reading colleagues",
    )
    .await?;
    let colleagues: Vec<(String, ColleagueFacts)> = rows
        .into_iter()
        .map(|(customer, role, email, name, phone)| {
            (
                customer,
                ColleagueFacts {
                    role,
                    email,
                    name,
                    phone,
                },
            )
        })
        .collect();

    // The last action of each account: its latest by run date, then id.
    let sql = with_list(
        tx,
        "actions a WHERE a.id IN (SELECT (SELECT b.id FROM actions b WHERE b.account = c.code \
         ORDER BY b.run_date DESC, b.id DESC LIMIT 1) FROM customers c WHERE c.code IN ({})) ORDER BY a.account",
        leaders.len(),
    );
    let actions: Vec<(String, String, String)> = json_rows(
        tx,
        &["a.account", "a.run_date", "a.step"],
        &sql,
        &leaders,
        "reading actions",
    )
    .await?;

    // What earlier runs left open.
    let sql = with_list(
        tx,
        "alerts WHERE resolved_on IS NULL AND account IN ({}) ORDER BY account, alert, item",
        leaders.len(),
    );
    let alerts: Vec<(String, String, String)> = json_rows(
        tx,
        &["account", "alert", "item"],
        &sql,
        &leaders,
        "reading alerts",
    )
    .await?;
    let sql = with_list(
        tx,
        "escalations WHERE ended_on IS NULL AND account IN ({}) ORDER BY account, escalation",
        leaders.len(),
    );
    let escalations: Vec<(String, String)> = json_rows(
        tx,
        &["account", "escalation"],
        &sql,
        &leaders,
        "reading escalations",
    )
    .await?;
    let sql = with_list(
        tx,
        "switches WHERE account IN ({}) ORDER BY account, effective_on, id",
        leaders.len(),
    );
    let switches: Vec<(String, String, String)> = json_rows(
        tx,
        &["account", "effective_on", "scenario"],
        &sql,
        &leaders,
        "reading switches",
    )
    .await?;

    // Assemble, leaders in code order.
    let mut accounts: Vec<AccountFacts> = leaders
        .iter()
        .map(|code| AccountFacts {
            code: (*code).to_string(),
            customers: Vec::new(),
            items: Vec::new(),
            contacts: Vec::new(),
            colleagues: Vec::new(),
            last_action: None,
            open_alerts: Vec::new(),
            escalations: Vec::new(),
            switches: Vec::new(),
        })
        .collect();
    let index: HashMap<String, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.code.clone(), i))
        .collect();
    let mut account_of: HashMap<String, usize> = HashMap::new();
    for customer in customers {
        let leader = customer
            .group_leader
            .clone()
            .unwrap_or_else(|| customer.code.clone());
        if let Some(&i) = index.get(&leader) {
            account_of.insert(customer.code.clone(), i);
            if customer.group_leader.is_none() {
                accounts[i].customers.insert(0, customer);
            } else {
                accounts[i].customers.push(customer);
            }
        }
    }
    for item in items {
        if let Some(&i) = account_of.get(&item.customer) {
            accounts[i].items.push(item);
        }
    }
    for (customer, contact) in contacts {
        if let Some(&i) = index.get(&customer) {
            accounts[i].contacts.push(contact);
        }
    }
    for (customer, colleague) in colleagues {
        if let Some(&i) = index.get(&customer) {
            accounts[i].colleagues.push(colleague);
        }
    }
    for (account, run_date, step) in actions {
        if let Some(&i) = index.get(&account) {
            accounts[i].last_action.get_or_insert((run_date, step));
        }
    }
    for (account, alert, item) in alerts {
        if let Some(&i) = index.get(&account) {
            accounts[i].open_alerts.push((alert, item));
        }
    }
    for (account, escalation) in escalations {
        if let Some(&i) = index.get(&account) {
            accounts[i].escalations.push(escalation);
        }
    }
    for (account, effective_on, scenario) in switches {
        if let Some(&i) = index.get(&account) {
            accounts[i].switches.push((effective_on, scenario));
        }
    }
    Ok(accounts)
}

/// The customers query lists the codes twice; with numbered parameters the
/// second list must continue the numbering.
fn second_list(tx: &Tx, sql: &str, n: usize) -> String {
    let Some(at) = sql.find("{}") else {
        return sql.to_string();
    };
    let mut params = Params::new(tx);
    params.skip(n);
    let mut list = String::new();
    params.list(&mut list, n);
    format!("{}{list}{}", &sql[..at], &sql[at + 2..])
}
