//! items.csv: each customer's share of the items (uneven: a few hold
//! many), each drawn from the customer's habit and typical invoice.

use std::path::Path;

use chrono::{Duration, NaiveDate};

use super::names::DISPUTES;
use super::portfolio::{Customer, normal};
use super::writer::Writer;
use super::{GenError, GenOptions, GenSummary};

/// Writes items.csv for `customers`.
pub(super) fn write(
    dir: &Path,
    opts: &GenOptions,
    rng: &mut fastrand::Rng,
    customers: &[Customer],
    summary: &mut GenSummary,
) -> Result<(), GenError> {
    // Items: uneven shares (a few customers hold many items).
    let mut w = Writer::create(dir, "items.csv")?;
    w.row(&[
        "customer",
        "reference",
        "type",
        "issue_date",
        "due_date",
        "amount",
        "remaining",
        "currency",
        "status",
        "promise_date",
        "comment",
    ])?;
    // Weights: 1 customer in 10 has no open item, 1 in 10 has many, and so
    // do key accounts (they buy more).
    let weights: Vec<u64> = customers
        .iter()
        .map(|c| match rng.u32(..10) {
            _ if c.key => 8,
            0 => 0,
            1 => 8,
            _ => 1 + rng.u64(..3),
        })
        .collect();
    let total: u64 = weights.iter().sum::<u64>().max(1);
    let mut written = 0usize;
    // Shares are the running totals' differences, so rounding spreads evenly
    // and the shares add up to exactly `items`.
    let mut cumulative: u64 = 0;
    let mut buf = ItemBuf::default();
    for (i, c) in customers.iter().enumerate() {
        cumulative += weights[i];
        let target = if i + 1 == customers.len() {
            opts.items
        } else {
            ((opts.items as u128 * u128::from(cumulative)) / u128::from(total)) as usize
        };
        let share = target.saturating_sub(written);
        for n in 0..share {
            buf.fill(rng, c, n, opts.today);
            w.row(&buf.fields())?;
            written += 1;
        }
    }
    summary.items = written;
    w.finish()
}

/// The fields of one item, in reused strings.
#[derive(Default)]
struct ItemBuf {
    customer: String,
    reference: String,
    kind: &'static str,
    issue: String,
    due: String,
    amount: String,
    remaining: String,
    currency: &'static str,
    status: &'static str,
    promise: String,
    comment: &'static str,
}

impl ItemBuf {
    fn fill(&mut self, rng: &mut fastrand::Rng, c: &Customer, n: usize, today: NaiveDate) {
        use std::fmt::Write as _;
        self.customer.clear();
        self.customer.push_str(&c.code);
        let (kind, prefix) = match rng.u32(..100) {
            0..=84 => ("invoice", "INV"),
            85..=91 => ("credit_note", "CN"),
            92..=95 => ("debit_note", "DN"),
            _ => ("payment", "PAY"),
        };
        self.kind = kind;
        self.reference.clear();
        let _ = write!(self.reference, "{prefix}-{:06}", n + 1);
        // Not yet due (issued within the terms), or late by up to the
        // customer's habit.
        let offset = if rng.u32(..1000) < c.habit.not_due {
            rng.i32(1..=c.terms)
        } else {
            -rng.i32(0..=c.habit.max_late)
        };
        let due = today + Duration::days(i64::from(offset));
        let issue = due - Duration::days(i64::from(c.terms));
        self.due.clear();
        let _ = write!(self.due, "{}", due.format("%Y-%m-%d"));
        self.issue.clear();
        let _ = write!(self.issue, "{}", issue.format("%Y-%m-%d"));
        // Lognormal around the customer's typical invoice; credit notes,
        // debit notes and payments are smaller.
        let ln = c.ln_median + 0.8 * normal(rng) - if kind == "invoice" { 0.0 } else { 1.5 };
        let cents = ln.exp().clamp(1_000.0, 200_000_000.0).round() as u64;
        let remaining = match rng.u32(..100) {
            0..=79 => cents,
            80..=94 => cents * u64::from(rng.u32(10..90)) / 100,
            _ => 0,
        };
        self.amount.clear();
        let _ = write!(self.amount, "{}.{:02}", cents / 100, cents % 100);
        self.remaining.clear();
        let _ = write!(self.remaining, "{}.{:02}", remaining / 100, remaining % 100);
        self.currency = c.currency;
        self.status = "";
        self.promise.clear();
        self.comment = "";
        // Promises and disputes follow reminders, so only overdue invoices
        // have them; litigation is for the long overdue.
        if kind == "invoice" && remaining > 0 && offset < 0 {
            match rng.u32(..100) {
                0..=5 => {
                    self.status = "promise";
                    let p = today + Duration::days(i64::from(rng.i32(-10..=30)));
                    let _ = write!(self.promise, "{}", p.format("%Y-%m-%d"));
                }
                6..=8 => {
                    self.status = "dispute";
                    self.comment = DISPUTES[rng.usize(..DISPUTES.len())];
                }
                9..=23 if offset < -90 => self.status = "litigation",
                _ => {}
            }
        }
    }

    fn fields(&self) -> [&str; 11] {
        [
            &self.customer,
            &self.reference,
            self.kind,
            &self.issue,
            &self.due,
            &self.amount,
            &self.remaining,
            self.currency,
            self.status,
            &self.promise,
            self.comment,
        ]
    }
}
