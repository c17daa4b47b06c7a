//! Validating rows of the files about people: colleagues, customers,
//! their contacts, and the colleagues assigned to them.

use relance_dsl::model::{COLLEAGUE_ROLES, Type};

use super::cells::{Cell, Reader};
use super::{Added, CustomerInfo, Indexes, suggest, text};
use crate::store::table::{Row, Val};

/// A row of `colleagues`, with the colleague it adds to the indexes.
pub(super) fn colleague(r: &mut Reader<'_, '_>, ix: &Indexes) -> (Row, Option<Added>) {
    let email = r.address("email");
    let name = r.required("name");
    // Unsaid, the role stays what is stored (or `collector`).
    let role = r
        .get("role")
        .map(str::to_string)
        .or_else(|| email.as_ref().and_then(|e| ix.colleagues.get(e)).cloned())
        .unwrap_or_else(|| "collector".to_string());
    if !COLLEAGUE_ROLES.contains(&role.as_str()) {
        r.fail(format!(
            "role \"{role}\" is not a colleague role (collector, sales, manager){}",
            suggest(&role, COLLEAGUE_ROLES.iter().copied())
        ));
    }
    let added = email
        .as_ref()
        .map(|email| Added::Colleague(email.clone(), role.clone()));
    let row = vec![
        text(email),
        text(name),
        Val::Text(Some(role)),
        r.opt("phone"),
    ];
    (row, added)
}

/// A row of `customers`, with the customer it adds to the indexes (a
/// grouped customer's leader is checked at the end of the file).
pub(super) fn customer(
    r: &mut Reader<'_, '_>,
    ix: &Indexes,
    custom: &[(usize, String, Option<Type>)],
) -> (Row, Option<Added>) {
    let code = r.code("code");
    let name = r.required("name");
    // What the store (or an earlier file of this call) holds:
    // an unsaid currency or group leader stays.
    let stored = code.as_ref().and_then(|c| ix.customers.get(c)).cloned();
    let language = r.language("language");
    let timezone = r.get("timezone").map(str::to_string);
    if let Some(tz) = &timezone
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        r.fail(format!(
            "timezone \"{tz}\" is unknown{}",
            suggest(tz, chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()))
        ));
    }
    let scenario = r.get("scenario").map(str::to_string);
    if let Some(s) = &scenario
        && !ix.scenarios.contains(s)
    {
        r.fail(format!(
            "scenario \"{s}\" is not in the configuration{}",
            suggest(s, ix.scenarios.iter().map(String::as_str))
        ));
    }
    let leader = match r.cell("group_leader") {
        Cell::Unsaid => stored.as_ref().and_then(|s| s.leader.clone()),
        _ => r.get("group_leader").map(str::to_string),
    };
    let currency = match r.cell("currency") {
        Cell::Unsaid => stored.as_ref().and_then(|s| s.currency.clone()),
        _ => r.currency("currency"),
    };
    let credit_currency = currency.clone().unwrap_or_else(|| ix.currency.clone());
    let credit_limit = r.amount("credit_limit", &credit_currency);
    let custom = r.custom(custom);
    let added = code.as_ref().map(|code| {
        Added::Customer(
            code.clone(),
            CustomerInfo {
                currency: currency.clone(),
                leader: leader.clone(),
            },
        )
    });
    let row = vec![
        text(code),
        text(name),
        r.keep("language", text(language)),
        r.keep("timezone", text(timezone)),
        r.keep("scenario", text(scenario)),
        text(leader),
        r.keep("credit_limit", Val::Int(credit_limit)),
        text(currency),
        Val::Text(Some(custom)),
        r.opt("address"),
        r.opt("postcode"),
        r.opt("city"),
        r.opt("country"),
    ];
    (row, added)
}

/// A row of `contacts`.
pub(super) fn contact(r: &mut Reader<'_, '_>, ix: &Indexes) -> Row {
    let customer = r.customer(ix);
    let email = r.address("email");
    let role = r.get("role").unwrap_or("billing").to_string();
    if !role
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        r.fail(format!(
            "role \"{role}\" must be a lower-case word such as billing"
        ));
    }
    let language = r.language("language");
    vec![
        text(customer),
        text(email),
        r.opt("name"),
        r.keep("role", Val::Text(Some(role))),
        r.keep("language", text(language)),
        r.opt("phone"),
    ]
}

/// A row of `assignments`.
pub(super) fn assignment(r: &mut Reader<'_, '_>, ix: &Indexes) -> Row {
    let customer = r.customer(ix);
    let colleague = r.required("colleague");
    let known_role = colleague
        .as_ref()
        .and_then(|c| ix.colleagues.get(c))
        .cloned();
    if let (Some(c), None) = (&colleague, &known_role) {
        r.fail(format!(
            "colleague \"{c}\" is unknown (import colleagues first, or in the same call)"
        ));
    }
    let role = r.get("role").map(str::to_string).or(known_role);
    if let Some(role) = &role
        && !COLLEAGUE_ROLES.contains(&role.as_str())
    {
        r.fail(format!(
            "role \"{role}\" is not a colleague role (collector, sales, manager){}",
            suggest(role, COLLEAGUE_ROLES.iter().copied())
        ));
    }
    vec![text(customer), text(role), text(colleague)]
}
