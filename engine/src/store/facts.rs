//! What the planner reads: collection accounts and everything that belongs
//! to them, loaded for a page of accounts at a time (a few statements per
//! page, whatever its size), never all rows at once.
//!
//! A collection account is a customer without a `group_leader`; the customers
//! grouped under it join it (PLANNING.md): their items are the account's, and
//! the contacts and colleagues are the leader's.

use std::collections::HashMap;

use sqlx::{AssertSqlSafe, Row as _};

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

/// Runs `sql` with `codes` bound in order and maps each row with `map`
/// (`?` on `try_get` works inside it).
macro_rules! rows_for {
    ($tx:expr, $sql:expr, $codes:expr, |$r:ident| $map:expr) => {
        on_tx!($tx, c => async {
            let mut q = sqlx::query(AssertSqlSafe($sql));
            for code in $codes {
                q = q.bind(code.to_string());
            }
            let rows = q.fetch_all(&mut **c).await?;
            rows.iter().map(|$r| Ok($map)).collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)
    };
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

/// `template` with `{}` replaced by a list of `n` parameters.
fn with_list(tx: &Tx, template: &str, n: usize) -> String {
    let mut params = Params::new(tx);
    let (head, tail) = template.split_once("{}").unwrap_or((template, ""));
    let mut sql = String::from(head);
    params.list(&mut sql, n);
    sql.push_str(tail);
    sql
}

/// Loads the accounts with these codes (at most a few thousand per call).
/// Codes that are no account (unknown, or grouped under another) are skipped.
pub async fn accounts(tx: &mut Tx, codes: &[String]) -> Result<Vec<AccountFacts>, StoreError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let n = codes.len();

    // Leaders and members.
    let sql = with_list(
        tx,
        "SELECT code, name, language, timezone, scenario, group_leader, credit_limit, currency, custom \
         FROM customers WHERE (code IN ({}) AND group_leader IS NULL) OR group_leader IN ({}) ORDER BY code",
        n,
    );
    // The list appears twice: bind it twice (numbered parameters continue).
    let sql = second_list(tx, &sql, n);
    let customers: Vec<CustomerFacts> =
        rows_for!(tx, sql, codes.iter().chain(codes), |r| CustomerFacts {
            code: r.try_get(0)?,
            name: r.try_get(1)?,
            language: r.try_get(2)?,
            timezone: r.try_get(3)?,
            scenario: r.try_get(4)?,
            group_leader: r.try_get(5)?,
            credit_limit: r.try_get(6)?,
            currency: r.try_get(7)?,
            custom: r.try_get(8)?,
        })
        .map_err(StoreError::query("reading customers"))?;
    let all_codes: Vec<&str> = customers.iter().map(|c| c.code.as_str()).collect();
    if all_codes.is_empty() {
        return Ok(Vec::new());
    }

    // Open items and their steps.
    let sql = with_list(
        tx,
        "SELECT customer, reference, type, issue_date, due_date, amount, remaining, currency, status, \
         status_since, promise_date, comment, custom FROM items WHERE remaining > 0 AND customer IN ({}) \
         ORDER BY customer, reference",
        all_codes.len(),
    );
    let mut items: Vec<ItemFacts> = rows_for!(tx, sql, &all_codes, |r| ItemFacts {
        customer: r.try_get(0)?,
        reference: r.try_get(1)?,
        kind: r.try_get(2)?,
        issue_date: r.try_get(3)?,
        due_date: r.try_get(4)?,
        amount: r.try_get(5)?,
        remaining: r.try_get(6)?,
        currency: r.try_get(7)?,
        status: r.try_get(8)?,
        status_since: r.try_get(9)?,
        promise_date: r.try_get(10)?,
        comment: r.try_get(11)?,
        custom: r.try_get(12)?,
        steps: Vec::new(),
    })
    .map_err(StoreError::query("reading items"))?;
    let sql = with_list(
        tx,
        "SELECT customer, reference, scenario, step FROM item_steps WHERE customer IN ({}) \
         ORDER BY customer, reference, scenario",
        all_codes.len(),
    );
    let steps: Vec<(String, String, String, String)> = rows_for!(tx, sql, &all_codes, |r| (
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?
    ))
    .map_err(StoreError::query("reading item steps"))?;
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
        "SELECT customer, email, name, role, language FROM contacts WHERE customer IN ({}) ORDER BY customer, email",
        leaders.len(),
    );
    let contacts: Vec<(String, ContactFacts)> = rows_for!(tx, sql, &leaders, |r| (
        r.try_get(0)?,
        ContactFacts {
            email: r.try_get(1)?,
            name: r.try_get(2)?,
            role: r.try_get(3)?,
            language: r.try_get(4)?
        },
    ))
    .map_err(StoreError::query("reading contacts"))?;
    let sql = with_list(
        tx,
        "SELECT a.customer, a.role, g.email, g.name, g.phone FROM assignments a \
         JOIN colleagues g ON g.email = a.colleague WHERE a.customer IN ({}) ORDER BY a.customer, a.role, g.email",
        leaders.len(),
    );
    let colleagues: Vec<(String, ColleagueFacts)> = rows_for!(tx, sql, &leaders, |r| (
        r.try_get(0)?,
        ColleagueFacts {
            role: r.try_get(1)?,
            email: r.try_get(2)?,
            name: r.try_get(3)?,
            phone: r.try_get(4)?
        },
    ))
    .map_err(StoreError::query("reading colleagues"))?;

    // The last action of each account.
    let sql = with_list(
        tx,
        "SELECT account, run_date, step FROM actions WHERE account IN ({}) ORDER BY account, run_date DESC, id DESC",
        leaders.len(),
    );
    let actions: Vec<(String, String, String)> = rows_for!(tx, sql, &leaders, |r| (
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?
    ))
    .map_err(StoreError::query("reading actions"))?;

    // What earlier runs left open.
    let sql = with_list(
        tx,
        "SELECT account, alert, item FROM alerts WHERE resolved_on IS NULL AND account IN ({}) ORDER BY account, alert, item",
        leaders.len(),
    );
    let alerts: Vec<(String, String, String)> = rows_for!(tx, sql, &leaders, |r| (
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?
    ))
    .map_err(StoreError::query("reading alerts"))?;
    let sql = with_list(
        tx,
        "SELECT account, escalation FROM escalations WHERE ended_on IS NULL AND account IN ({}) ORDER BY account, escalation",
        leaders.len(),
    );
    let escalations: Vec<(String, String)> =
        rows_for!(tx, sql, &leaders, |r| (r.try_get(0)?, r.try_get(1)?))
            .map_err(StoreError::query("reading escalations"))?;
    let sql = with_list(
        tx,
        "SELECT account, effective_on, scenario FROM switches WHERE account IN ({}) ORDER BY account, effective_on, id",
        leaders.len(),
    );
    let switches: Vec<(String, String, String)> = rows_for!(tx, sql, &leaders, |r| (
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?
    ))
    .map_err(StoreError::query("reading switches"))?;

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
