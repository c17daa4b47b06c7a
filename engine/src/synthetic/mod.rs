//! `relance gen`: realistic synthetic receivables data as the five CSV files
//! of docs/reference/data.md, deterministic for a seed, written row by row (100k customers
//! and 1M items take a few seconds and little memory).
//!
//! What it makes: colleagues (about one per 50 customers, every role present);
//! customers in several languages and currencies (mostly EUR, some USD, a few
//! GBP), a few in other timezones, ~3% grouped under a leader, a `segment`
//! custom column (one customer in 200 is a `key` account), a postal address
//! in the country of their currency or language; 1–3 contacts each,
//! with ASCII mailboxes; a collector per customer, some a sales person and a
//! manager; items spread unevenly over customers, mostly invoices with some
//! credit notes, debit notes and unallocated payments, partial payments,
//! promises (with a date), disputes (with a comment) and a few litigations.
//! Some names hold a comma, an `&`, an apostrophe or accents, as real data does.
//!
//! The portfolio is a normal B2B one, so that a day's run over it looks like a
//! normal day (mostly reminders, a few calls and reviews):
//! - each customer has a payment habit ([`Habit`]): most pay on time or a few
//!   weeks late, a long thin tail months late; about 60% of the open amounts
//!   are not yet due and a few percent are more than 90 days overdue;
//! - amounts are lognormal: each customer has its own typical invoice
//!   (median about 1,500), and its invoices vary around it; key accounts
//!   buy more.
//!
//! # Layout
//! - `portfolio`: each customer's payment habit and what its items need.
//! - `names`: names, words and postal addresses rows are made of.
//! - `colleagues`, `customers` (with contacts and assignments), `items`:
//!   one generator per file, in the order they are written.
//! - `writer`: writing one CSV file.

mod colleagues;
mod customers;
mod items;
mod names;
mod portfolio;
mod writer;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Number of customers.
    pub customers: usize,
    /// Number of items in all.
    pub items: usize,
    /// The same seed gives the same files.
    pub seed: u64,
    /// Dates are spread around this day.
    pub today: NaiveDate,
}

/// Rows written per file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenSummary {
    /// colleagues.csv
    pub colleagues: usize,
    /// customers.csv
    pub customers: usize,
    /// contacts.csv
    pub contacts: usize,
    /// assignments.csv
    pub assignments: usize,
    /// items.csv
    pub items: usize,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A file could not be created or written.
    #[error("cannot write {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Items were asked for without customers to hold them.
    #[error("items need customers: give --customers 1 or more")]
    NoCustomers,
    /// The CSV writer failed.
    #[error("cannot write {path}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: csv::Error,
    },
}

/// One customer in this many is a key account.
pub const KEY_ACCOUNT_EVERY: usize = 200;

/// Writes the five files into `dir` (created if needed).
pub fn generate(dir: &Path, opts: &GenOptions) -> Result<GenSummary, GenError> {
    if opts.customers == 0 && opts.items > 0 {
        return Err(GenError::NoCustomers);
    }
    std::fs::create_dir_all(dir).map_err(|source| GenError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut rng = fastrand::Rng::with_seed(opts.seed);
    let mut summary = GenSummary::default();

    let colleagues = colleagues::write(dir, opts, &mut rng, &mut summary)?;
    let customers = customers::write(dir, opts, &mut rng, &colleagues, &mut summary)?;
    items::write(dir, opts, &mut rng, &customers, &mut summary)?;
    Ok(summary)
}

#[cfg(test)]
mod tests;
