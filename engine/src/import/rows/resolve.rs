//! Resolving a validated row against the stored one: what the row leaves
//! unsaid, merged custom fields, and the columns an import derives for
//! items (status since, cleared on, seen by which import; status changes
//! and payments).

use super::FileKind;
use crate::store::payments::{self, PaymentRow};
use crate::store::table::{Row, Val, tables};

// Column positions in items rows.
const STATUS: usize = tables::ITEMS.position("status");
const REMAINING: usize = tables::ITEMS.position("remaining");
const CURRENCY: usize = tables::ITEMS.position("currency");
const STATUS_SINCE: usize = tables::ITEMS.position("status_since");
const CLEARED_ON: usize = tables::ITEMS.position("cleared_on");
const PROMISE_DATE: usize = tables::ITEMS.position("promise_date");
const COMMENT: usize = tables::ITEMS.position("comment");
const ITEMS_CUSTOM: usize = tables::ITEMS.position("custom");
const CUSTOMERS_CUSTOM: usize = tables::CUSTOMERS.position("custom");

/// Resolves what a row leaves unsaid against the stored row (`old`, when
/// there is one): a `Keep` takes the stored value (or, for a new row, its
/// default), and custom fields merge into the stored ones (a `-` cell
/// removes its field). Runs before the row is compared or written.
pub fn resolve(kind: FileKind, row: &mut Row, old: Option<&Row>) {
    for (i, v) in row.iter_mut().enumerate() {
        if let Val::Keep(default) = v {
            *v = match old.and_then(|o| o.get(i)) {
                Some(stored) => stored.clone(),
                None => std::mem::replace(default.as_mut(), Val::Text(None)),
            };
        }
    }
    let custom = match kind {
        FileKind::Items => ITEMS_CUSTOM,
        FileKind::Customers => CUSTOMERS_CUSTOM,
        _ => return,
    };
    let stored = old.and_then(|o| o[custom].as_text());
    if let Val::Text(Some(new)) = &mut row[custom] {
        *new = merge_custom(stored, new);
    }
}

/// What a row leaves unsaid, as a mask (bit `i`: column `i` of the row):
/// its `Keep` cells, and a custom column without any field (`{}`), which
/// keeps the stored fields. [`resolve`] makes a row that agrees with a
/// stored row on every other column equal to it, which is what the
/// database's comparison (`store::table::Table::prepare_probe`) relies on.
pub fn unsaid(kind: FileKind, row: &Row) -> u64 {
    let custom = match kind {
        FileKind::Items => Some(ITEMS_CUSTOM),
        FileKind::Customers => Some(CUSTOMERS_CUSTOM),
        _ => None,
    };
    let mut mask = 0;
    for (i, v) in row.iter().enumerate().take(64) {
        let kept = matches!(v, Val::Keep(_)) || (Some(i) == custom && v.as_text() == Some("{}"));
        if kept {
            mask |= 1 << i;
        }
    }
    mask
}

/// The stored custom fields (a JSON object) with the row's merged in:
/// a field set replaces, a `null` (the `-` cell) removes.
fn merge_custom(stored: Option<&str>, new: &str) -> String {
    if new == "{}" {
        return stored.unwrap_or("{}").to_string();
    }
    let mut merged: serde_json::Map<String, serde_json::Value> = stored
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(new).unwrap_or_default();
    for (name, value) in fields {
        if value.is_null() {
            merged.remove(&name);
        } else {
            merged.insert(name, value);
        }
    }
    serde_json::Value::Object(merged).to_string()
}

/// The derived columns of an items row: `status_since`, `cleared_on`, `seen_import`.
pub fn derive_item(row: &Row, old: Option<&Row>, today: &str, import_id: i64) -> [Val; 3] {
    let status = row[STATUS].as_text();
    let since = match (status, old) {
        (None, _) => None,
        (Some(s), Some(old)) if old[STATUS].as_text() == Some(s) => {
            old[STATUS_SINCE].as_text().map(str::to_string)
        }
        (Some(_), _) => Some(today.to_string()),
    };
    let cleared = if row[REMAINING].as_int().unwrap_or(0) > 0 {
        None
    } else {
        old.and_then(|o| o[CLEARED_ON].as_text().map(str::to_string))
            .or_else(|| Some(today.to_string()))
    };
    [
        Val::Text(since),
        Val::Text(cleared),
        Val::Int(Some(import_id)),
    ]
}

/// The payment an items row (resolved) records against the stored row
/// `old`: when its remaining is lower than the stored one, the difference,
/// dated `paid_on` (the row's cell) else `today`, source `import`.
///
/// None for a new item (imported already partly paid, we do not know
/// when), a remaining unchanged or higher (a reversed payment is not a
/// negative one: the history only records payments), and a changed
/// currency (the two remainings cannot be subtracted; the item is
/// re-stated, not paid).
pub fn payment(
    row: &Row,
    old: Option<&Row>,
    paid_on: Option<&str>,
    today: &str,
) -> Option<PaymentRow> {
    let old = old?;
    let before = old[REMAINING].as_int()?;
    let now = row[REMAINING].as_int()?;
    let currency = row[CURRENCY].as_text()?;
    if now >= before || old[CURRENCY].as_text() != Some(currency) {
        return None;
    }
    Some(PaymentRow {
        customer: row[0].as_text()?.to_string(),
        reference: row[1].as_text()?.to_string(),
        paid_on: paid_on.unwrap_or(today).to_string(),
        amount: before - now,
        currency: currency.to_string(),
        source: payments::SOURCE_IMPORT.to_string(),
    })
}

/// A JSON description of the status change an items row makes, if any:
/// the statuses before and after, the promise date and comment now, who
/// ran the import (`by`) under which id, and the import's date (`on`).
pub fn status_change(
    row: &Row,
    old: Option<&Row>,
    by: &str,
    import_id: i64,
    today: &str,
) -> Option<String> {
    let new = row[STATUS].as_text();
    let before = old.and_then(|o| o[STATUS].as_text());
    if new == before {
        return None;
    }
    Some(
        serde_json::json!({
            "from": before,
            "to": new,
            "promise_date": row[PROMISE_DATE].as_text(),
            "comment": row[COMMENT].as_text(),
            "by": by,
            "import": import_id,
            "on": today,
        })
        .to_string(),
    )
}
