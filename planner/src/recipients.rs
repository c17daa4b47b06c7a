//! Who a step writes to: the configuration's recipients resolved against
//! the account's contacts and colleagues.

use std::collections::BTreeSet;

use relance_dsl::model::{Action, Recipient};

use crate::Planner;
use crate::account::Account;
use crate::plan::PlannedTask;

impl Planner {
    /// The addresses a step's emails go to: `to` and `cc`, each sorted and
    /// without duplicates, and no address of `to` repeated in `cc`.
    pub fn recipients(
        &self,
        account: &Account,
        step: &relance_dsl::model::Step,
    ) -> (Vec<String>, Vec<String>) {
        let mut to = BTreeSet::new();
        let mut cc = BTreeSet::new();
        for action in &step.actions {
            if let Action::Email { to: t, cc: c, .. } = action {
                for r in t {
                    to.extend(self.resolve(account, r));
                }
                for r in c {
                    cc.extend(self.resolve(account, r));
                }
            }
        }
        let cc = cc.into_iter().filter(|a| !to.contains(a)).collect();
        (to.into_iter().collect(), cc)
    }

    /// A step's tasks with their assignees: the first colleague the `assign`
    /// recipient resolves to (the account's `collector` when the task names
    /// none), or nobody.
    pub fn tasks(&self, account: &Account, step: &relance_dsl::model::Step) -> Vec<PlannedTask> {
        let collector = Recipient::Colleague("collector".into());
        step.actions
            .iter()
            .filter_map(|a| match a {
                Action::Task { kind, assign, note } => Some(PlannedTask {
                    kind: kind.clone(),
                    assignee: self
                        .resolve(account, assign.as_ref().unwrap_or(&collector))
                        .into_iter()
                        .next(),
                    note: note.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Addresses a recipient resolves to.
    pub fn resolve(&self, account: &Account, r: &Recipient) -> Vec<String> {
        match r {
            Recipient::Contact(role) => account
                .contacts
                .iter()
                .filter(|c| &c.role == role)
                .map(|c| c.email.clone())
                .collect(),
            Recipient::Colleague(role) => account
                .colleagues
                .iter()
                .filter(|c| &c.role == role)
                .map(|c| c.email.clone())
                .collect(),
            Recipient::Address(a) => vec![a.clone()],
        }
    }
}
