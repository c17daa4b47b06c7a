//! The facts expressions can read (docs/reference/data.md and docs/reference/planning.md), with their types.

use crate::model::{FieldDef, FieldTarget, Type};

/// Roots of paths: `customer.x`, `account.x`, ...
pub const ROOTS: &[&str] = &["customer", "account", "item", "contact", "settings"];

/// Bare names usable in expressions.
pub const VARIABLES: &[&str] = &["today"];

/// Built-in functions with their arities.
pub const FUNCTIONS: &[(&str, usize)] = &[
    ("days_since", 1),
    ("days_until", 1),
    ("min", 2),
    ("max", 2),
    ("lower", 1),
    ("contains", 2),
    ("is_null", 1),
];

const CUSTOMER: &[(&str, Type)] = &[
    ("code", Type::Text),
    ("name", Type::Text),
    ("language", Type::Text),
    ("timezone", Type::Text),
    ("scenario", Type::Text),
    ("group_leader", Type::Text),
    ("credit_limit", Type::Number),
    ("currency", Type::Text),
];

const ITEM: &[(&str, Type)] = &[
    ("reference", Type::Text),
    ("type", Type::Text),
    ("issue_date", Type::Date),
    ("due_date", Type::Date),
    ("amount", Type::Number),
    ("remaining", Type::Number),
    ("currency", Type::Text),
    ("status", Type::Text),
    ("status_since", Type::Date),
    ("promise_date", Type::Date),
    ("comment", Type::Text),
    ("days_overdue", Type::Number),
    ("last_step", Type::Text),
    ("cleared_on", Type::Date),
];

const CONTACT: &[(&str, Type)] = &[
    ("name", Type::Text),
    ("email", Type::Text),
    ("role", Type::Text),
    ("language", Type::Text),
];

const ACCOUNT: &[(&str, Type)] = &[
    ("code", Type::Text),
    ("scenario", Type::Text),
    ("total_due", Type::Number),
    ("overdue_amount", Type::Number),
    ("balance", Type::Number),
    ("max_days_overdue", Type::Number),
    ("oldest_due_date", Type::Date),
    ("open_items_count", Type::Number),
    ("overdue_items_count", Type::Number),
    ("disputed_amount", Type::Number),
    ("promised_amount", Type::Number),
    ("last_action_date", Type::Date),
    ("last_action_step", Type::Text),
    ("members_count", Type::Number),
];

const SETTINGS: &[(&str, Type)] = &[
    ("company", Type::Text),
    ("from", Type::Text),
    ("timezone", Type::Text),
    ("currency", Type::Text),
    ("language", Type::Text),
    ("calendar", Type::Text),
    ("default_scenario", Type::Text),
];

/// The built-in fields of a root.
pub fn builtin_fields(root: &str) -> &'static [(&'static str, Type)] {
    match root {
        "customer" => CUSTOMER,
        "item" => ITEM,
        "contact" => CONTACT,
        "account" => ACCOUNT,
        "settings" => SETTINGS,
        _ => &[],
    }
}

/// The type of `root.name`, built-in or declared.
pub fn field_type(root: &str, name: &str, custom: &[FieldDef]) -> Option<Type> {
    if let Some((_, ty)) = builtin_fields(root).iter().find(|(n, _)| *n == name) {
        return Some(ty.clone());
    }
    let target = match root {
        "customer" => FieldTarget::Customer,
        "item" => FieldTarget::Item,
        _ => return None,
    };
    custom
        .iter()
        .find(|f| f.target == target && f.name == name)
        .map(|f| f.ty.clone())
}

/// Every field name of a root, for suggestions.
pub fn field_names<'a>(root: &str, custom: &'a [FieldDef]) -> Vec<&'a str> {
    let target = match root {
        "customer" => Some(FieldTarget::Customer),
        "item" => Some(FieldTarget::Item),
        _ => None,
    };
    builtin_fields(root)
        .iter()
        .map(|(n, _)| *n)
        .chain(
            custom
                .iter()
                .filter(|f| Some(f.target) == target)
                .map(|f| f.name.as_str()),
        )
        .collect()
}
