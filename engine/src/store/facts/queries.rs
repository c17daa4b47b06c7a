//! One function per table [`read`](super::read) selects from, each a single
//! statement per scope, its rows decoded into the planner's types where
//! they need no other table.

use super::super::StoreError;
use super::decode::{DateText, ItemRow};
use super::source::{Source, select, select_sorted};
use super::{ColleagueFacts, ContactFacts, CustomerFacts, Item, ItemColumns, Scope};

/// A step an item reached: customer, reference, scenario, step.
pub(super) type StepRow = (String, String, String, String);

/// The customers of `scope`: its leaders and the members grouped under them.
pub(super) async fn customers(
    src: &mut Source<'_>,
    scope: Scope<'_>,
) -> Result<Vec<CustomerFacts>, StoreError> {
    // Two searches of an index each: written with OR, PostgreSQL filtered
    // every customer for each page.
    let cols = [
        "code",
        "name",
        "language",
        "timezone",
        "scenario",
        "group_leader",
        "credit_limit",
        "currency",
        "custom",
        "address",
        "postcode",
        "city",
        "country",
    ];
    let sql = format!(
        "customers WHERE code IN ({{}}) AND group_leader IS NULL \
         UNION ALL SELECT {} FROM customers WHERE group_leader IN ({{}})",
        cols.join(", ")
    );
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
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<CustomerRow> = select_sorted(
        src,
        &cols,
        (&sql, "1"),
        scope,
        "reading customers",
        |rows: &mut [CustomerRow]| rows.sort_unstable_by(|a, b| a.0.cmp(&b.0)),
    )
    .await?;
    Ok(rows
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
                address,
                postcode,
                city,
                country,
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
                    address,
                    postcode,
                    city,
                    country,
                }
            },
        )
        .collect())
}

/// The open items of the customers of `scopes` (one statement each), with
/// only the columns asked for, in customer and reference order.
pub(super) async fn items(
    src: &mut Source<'_>,
    scopes: &[Scope<'_>],
    columns: ItemColumns,
) -> Result<Vec<Item>, StoreError> {
    let template = (
        "items WHERE remaining > 0 AND customer IN ({})",
        "customer, reference",
    );
    let mut rows: Vec<ItemRow> = Vec::new();
    for &items_scope in scopes {
        rows.extend(
            select_sorted::<ItemRow>(
                src,
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
                template,
                items_scope,
                "reading items",
                |rows| {
                    rows.sort_unstable_by(|a, b| {
                        (&a.customer, &a.reference).cmp(&(&b.customer, &b.reference))
                    });
                },
            )
            .await?,
        );
    }
    if scopes.len() > 1 {
        // As one list query would have given them (SQLite's text order is byte order).
        rows.sort_by(|a, b| (&a.customer, &a.reference).cmp(&(&b.customer, &b.reference)));
    }
    rows.into_iter().map(ItemRow::into_item).collect()
}

/// The steps the items of the customers of `scopes` reached.
pub(super) async fn item_steps(
    src: &mut Source<'_>,
    scopes: &[Scope<'_>],
) -> Result<Vec<StepRow>, StoreError> {
    let mut steps: Vec<StepRow> = Vec::new();
    for &items_scope in scopes {
        let sql = (
            "item_steps WHERE customer IN ({})",
            "customer, reference, scenario",
        );
        steps.extend(
            select_sorted::<StepRow>(
                src,
                &["customer", "reference", "scenario", "step"],
                sql,
                items_scope,
                "reading item steps",
                |rows| rows.sort_unstable_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2))),
            )
            .await?,
        );
    }
    Ok(steps)
}

/// The contacts of the leaders of `scope`, by customer.
pub(super) async fn contacts(
    src: &mut Source<'_>,
    scope: Scope<'_>,
) -> Result<Vec<(String, ContactFacts)>, StoreError> {
    let sql = ("contacts WHERE customer IN ({})", "customer, email");
    type ContactRow = (String, String, Option<String>, String, Option<String>);
    let rows: Vec<ContactRow> = select_sorted(
        src,
        &["customer", "email", "name", "role", "language"],
        sql,
        scope,
        "reading contacts",
        |rows: &mut [ContactRow]| rows.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1))),
    )
    .await?;
    Ok(rows
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
        .collect())
}

/// The colleagues assigned to the leaders of `scope`, by customer.
pub(super) async fn colleagues(
    src: &mut Source<'_>,
    scope: Scope<'_>,
) -> Result<Vec<(String, ColleagueFacts)>, StoreError> {
    let sql = (
        "assignments a JOIN colleagues g ON g.email = a.colleague WHERE a.customer IN ({})",
        "a.customer, a.role, g.email",
    );
    type ColleagueRow = (String, String, String, String, Option<String>);
    let rows: Vec<ColleagueRow> = select_sorted(
        src,
        &["a.customer", "a.role", "g.email", "g.name", "g.phone"],
        sql,
        scope,
        "reading colleagues",
        |rows: &mut [ColleagueRow]| {
            rows.sort_unstable_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)))
        },
    )
    .await?;
    Ok(rows
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
        .collect())
}

/// The last action of each account of `scope`: its latest by run date,
/// then id (account, run date, step).
pub(super) async fn last_actions(
    src: &mut Source<'_>,
    scope: Scope<'_>,
) -> Result<Vec<(String, DateText, String)>, StoreError> {
    let sql = "actions a WHERE a.id IN (SELECT (SELECT b.id FROM actions b WHERE b.account = c.code \
         ORDER BY b.run_date DESC, b.id DESC LIMIT 1) FROM customers c WHERE c.code IN ({})) ORDER BY a.account";
    select(
        src,
        &["a.account", "a.run_date", "a.step"],
        sql,
        scope,
        "reading actions",
    )
    .await
}

/// The alerts earlier runs left open (account, alert, item).
pub(super) async fn open_alerts(
    src: &mut Source<'_>,
    scope: Scope<'_>,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let sql = "alerts WHERE resolved_on IS NULL AND account IN ({}) ORDER BY account, alert, item";
    select(
        src,
        &["account", "alert", "item"],
        sql,
        scope,
        "reading alerts",
    )
    .await
}

/// The escalations earlier runs left open (account, escalation).
pub(super) async fn escalations(
    src: &mut Source<'_>,
    scope: Scope<'_>,
) -> Result<Vec<(String, String)>, StoreError> {
    let sql = "escalations WHERE ended_on IS NULL AND account IN ({}) ORDER BY account, escalation";
    select(
        src,
        &["account", "escalation"],
        sql,
        scope,
        "reading escalations",
    )
    .await
}

/// The scenario switches of the accounts of `scope` (account, effective
/// date, scenario), in the order they take effect.
pub(super) async fn switches(
    src: &mut Source<'_>,
    scope: Scope<'_>,
) -> Result<Vec<(String, DateText, String)>, StoreError> {
    let sql = "switches WHERE account IN ({}) ORDER BY account, effective_on, id";
    select(
        src,
        &["account", "effective_on", "scenario"],
        sql,
        scope,
        "reading switches",
    )
    .await
}
