//! Validating rows of items files.

use super::cells::{Cell, Reader};
use relance_dsl::model::Type;

use super::{Indexes, suggest, text};
use crate::money::Minor;
use crate::store::table::{Row, Val};

/// The `paid_on` cell of an items row (`YYYY-MM-DD`): a date not after the
/// import's `today` (`YYYY-MM-DD`). It dates the payment the row records, if it lowers the
/// item's remaining; `-` is no date (nothing stored to clear).
pub(super) fn paid_on(r: &mut Reader<'_, '_>, today: &str) -> Option<String> {
    let date = r.date("paid_on")?;
    // Both canonical: the text orders as the dates.
    if date.as_str() > today {
        let written = r.get("paid_on").unwrap_or_default().to_string();
        r.fail(format!(
            "paid_on \"{written}\" is after the import date {today} (a payment cannot be in the future)"
        ));
        return None;
    }
    Some(date)
}

/// A row of `items`.
pub(super) fn item(
    r: &mut Reader<'_, '_>,
    ix: &Indexes,
    custom: &[(usize, String, Option<Type>)],
) -> Row {
    let customer = r.customer(ix);
    let reference = r.required("reference");
    let kind = r.required("type");
    if let Some(k) = &kind {
        const TYPES: &[&str] = &["invoice", "credit_note", "debit_note", "payment"];
        if !TYPES.contains(&k.as_str()) {
            r.fail(format!(
                "type \"{k}\" is not one of invoice, credit_note, debit_note, payment{}",
                suggest(k, TYPES.iter().copied())
            ));
        }
    }
    let issue_date = r.date("issue_date");
    let due_date = r.date("due_date");
    if r.get("due_date").is_none() {
        r.fail("due_date is missing".into());
    }
    let currency = r
        .currency("currency")
        .or_else(|| {
            customer
                .as_ref()
                .and_then(|c| ix.customers.get(c))
                .and_then(|c| c.currency.clone())
        })
        .unwrap_or_else(|| ix.currency.clone());
    let amount = r.amount("amount", &currency);
    if r.get("amount").is_none() {
        r.fail("amount is missing".into());
    }
    let remaining_cell = r.get("remaining");
    // Unsaid, or written as the amount (an open item): the amount, read once.
    let as_amount =
        remaining_cell.is_none() || (amount.is_some() && remaining_cell == r.get("amount"));
    let remaining = if as_amount {
        amount
    } else {
        r.amount("remaining", &currency)
    };
    if let (Some(a), Some(rem)) = (amount, remaining)
        && rem > a
    {
        r.fail(format!(
            "remaining {} is more than amount {}",
            Minor {
                amount: rem,
                currency: &currency
            },
            Minor {
                amount: a,
                currency: &currency
            }
        ));
    }
    let status = r.get("status").map(str::to_string);
    if let Some(s) = &status
        && !ix.statuses.contains(s)
    {
        let hint = if ix.statuses.is_empty() {
            " (the configuration declares no status)".to_string()
        } else {
            suggest(s, ix.statuses.iter().map(String::as_str))
        };
        r.fail(format!(
            "status \"{s}\" is not a status of the configuration{hint}"
        ));
    }
    let promise_date = r.date("promise_date");
    let custom = r.custom(custom);
    let status_cell = r.cell("status");
    let mut status = r.keep("status", text(status));
    let mut promise_date = r.keep("promise_date", text(promise_date));
    let mut comment = r.opt("comment");
    if status_cell == Cell::Clear {
        // Clearing a status clears its qualification, as
        // `relance status clear` does, unless the row says more.
        status = Val::Text(None);
        for v in [&mut promise_date, &mut comment] {
            if matches!(v, Val::Keep(_)) {
                *v = Val::Text(None);
            }
        }
    }
    vec![
        text(customer),
        text(reference),
        text(kind),
        r.keep("issue_date", text(issue_date)),
        text(due_date),
        Val::Int(amount),
        Val::Int(remaining),
        Val::Text(Some(currency)),
        status,
        promise_date,
        comment,
        Val::Text(Some(custom)),
        Val::Text(None),
        Val::Text(None),
        Val::Int(None),
    ]
}
