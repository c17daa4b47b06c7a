//! Putting the rows of [`read`](super::read) together into accounts: each
//! member's items join its leader's account, and the leader's contacts,
//! colleagues, last action, open alerts, escalations and switches are the
//! account's.

use foldhash::{HashMap, HashMapExt as _};

use super::super::StoreError;
use super::decode::DateText;
use super::queries::StepRow;
use super::{AccountFacts, ColleagueFacts, ContactFacts, CustomerFacts, Item};

/// The rows of a page of accounts, as the queries returned them.
pub(super) struct Rows {
    /// Leaders and members, in code order.
    pub(super) customers: Vec<CustomerFacts>,
    /// Open items, their steps attached.
    pub(super) items: Vec<Item>,
    /// Contacts by customer.
    pub(super) contacts: Vec<(String, ContactFacts)>,
    /// Colleagues by customer.
    pub(super) colleagues: Vec<(String, ColleagueFacts)>,
    /// The last action of each account.
    pub(super) actions: Vec<(String, DateText, String)>,
    /// Open alerts by account.
    pub(super) alerts: Vec<(String, String, String)>,
    /// Open escalations by account.
    pub(super) escalations: Vec<(String, String)>,
    /// Scenario switches by account.
    pub(super) switches: Vec<(String, DateText, String)>,
}

/// Gives each item the steps it reached, borrowing the steps: only items
/// that reached a step clone anything.
pub(super) fn attach_steps(items: &mut [Item], steps: &[StepRow]) {
    if steps.is_empty() {
        return;
    }
    let mut by_item: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (n, (customer, reference, ..)) in steps.iter().enumerate() {
        by_item
            .entry((customer.as_str(), reference.as_str()))
            .or_default()
            .push(n);
    }
    for item in items {
        if let Some(found) = by_item.get(&(item.customer.as_str(), item.reference.as_str())) {
            item.steps = found
                .iter()
                .map(|&n| (steps[n].2.clone(), steps[n].3.clone()))
                .collect();
        }
    }
}

/// The accounts of the leaders among `rows.customers`, in code order.
/// Rows of customers that belong to no leader read (members of a range
/// whose leader is elsewhere) are left out.
pub(super) fn accounts(rows: Rows) -> Result<Vec<AccountFacts>, StoreError> {
    let Rows {
        customers,
        items,
        contacts,
        colleagues,
        actions,
        alerts,
        escalations,
        switches,
    } = rows;
    let mut accounts: Vec<AccountFacts> = customers
        .iter()
        .filter(|c| c.group_leader.is_none())
        .map(|c| AccountFacts {
            code: c.code.as_str().into(),
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
        .map(|(i, a)| (a.code.to_string(), i))
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
        let run_date =
            run_date.date(|| format!("account {account}: the last action's run_date"))?;
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
        let effective_on =
            effective_on.date(|| format!("account {account}: a switch's effective_on"))?;
        if let Some(&i) = index.get(&account) {
            accounts[i].switches.push((effective_on, scenario));
        }
    }
    Ok(accounts)
}
