//! A rendering context for the tests: a customer, a contact, a collector
//! and the items given.

use relance_money::{Currency, Money};
use std::collections::BTreeMap;

use chrono::NaiveDate;
use relance_templates::context::{
    AccountInfo, Colleague, Contact, Context, Customer, Item, Links, Member, Penalties, Settings,
};

/// An amount in EUR, from a test's literal (through its text: exact).
pub fn eur(major: f64) -> Money {
    let exact = major.to_string().parse().expect("a decimal");
    Money::from_decimal(exact, Currency::new("EUR").expect("EUR"))
}

pub fn date(s: &str) -> NaiveDate {
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => d,
        Err(e) => panic!("{s}: {e}"),
    }
}

pub const TODAY: &str = "2026-11-20";

pub fn item(
    customer: &str,
    reference: &str,
    due: &str,
    remaining: f64,
    status: Option<&str>,
) -> Item {
    let due_date = date(due);
    let days = (date(TODAY) - due_date).num_days();
    Item {
        customer: customer.into(),
        reference: reference.into(),
        kind: "invoice".into(),
        debit: true,
        issue_date: Some(due_date - chrono::Duration::days(30)),
        due_date,
        days_overdue: days,
        overdue: days > 0,
        amount: eur(remaining + 100.0),
        remaining: eur(remaining),
        currency: "EUR".into(),
        converted: eur(remaining),
        status: status.map(str::to_string),
        status_label: status.map(|s| format!("{s} (label)")),
        status_labels: BTreeMap::new(),
        held: false,
        promise_date: None,
        comment: None,
        custom: BTreeMap::new(),
    }
}

pub fn credit(customer: &str, reference: &str, due: &str, remaining: f64) -> Item {
    Item {
        kind: "credit_note".into(),
        debit: false,
        overdue: false,
        ..item(customer, reference, due, remaining, None)
    }
}

pub fn context(customer_name: &str, language: Option<&str>, items: Vec<Item>) -> Context {
    let code = items
        .first()
        .map_or("C001".to_string(), |i| i.customer.clone());
    let sum = |amounts: &mut dyn Iterator<Item = Money>| amounts.fold(eur(0.0), |a, b| a + b);
    let total_due = sum(&mut items.iter().filter(|i| i.debit).map(|i| i.remaining));
    let total_overdue = sum(&mut items.iter().filter(|i| i.overdue).map(|i| i.remaining));
    let balance = sum(&mut items
        .iter()
        .map(|i| if i.debit { i.remaining } else { -i.remaining }));
    let mut members: Vec<Member> = Vec::new();
    for i in &items {
        match members.iter_mut().find(|m| m.code == i.customer) {
            Some(m) => {
                m.subtotal += if i.debit { i.remaining } else { -i.remaining };
                m.items.push(i.clone());
            }
            None => members.push(Member {
                code: i.customer.clone(),
                name: format!("{} member", i.customer),
                subtotal: if i.debit { i.remaining } else { -i.remaining },
                items: vec![i.clone()],
            }),
        }
    }
    Context {
        settings: Settings {
            company: "ACME Industries SAS".into(),
            currency: "EUR".into(),
            language: "en".into(),
        },
        customer: Customer {
            code: code.clone(),
            name: customer_name.into(),
            language: None,
            address: Some("12 rue de la Paix\nBâtiment B".into()),
            postcode: Some("75002".into()),
            city: Some("Paris".into()),
            country: Some("France".into()),
            custom: BTreeMap::from([("segment".to_string(), serde_json::json!("key"))]),
        },
        account: AccountInfo {
            code,
            currency: "EUR".into(),
            total_due,
            total_overdue,
            balance,
            total_covered: total_overdue,
            items_count: items.len(),
            overdue_items_count: items.iter().filter(|i| i.overdue).count(),
            held_items_count: 0,
            max_days_overdue: items.iter().map(|i| i.days_overdue).max().unwrap_or(0),
            grouped: members.len() > 1,
        },
        contact: Some(Contact {
            name: Some("Marie Curie".into()),
            email: "ap@client.example".into(),
            language: language.map(str::to_string),
        }),
        collector: Some(Colleague {
            name: "Julie Martin".into(),
            email: "julie@acme.example".into(),
            phone: Some("+33 1 23 45 67 89".into()),
        }),
        covered: items.iter().filter(|i| i.overdue).cloned().collect(),
        leader: items.iter().find(|i| i.overdue).cloned(),
        items,
        members,
        step: Some("reminder_1".into()),
        scenario: Some("standard".into()),
        today: date(TODAY),
        penalties: Penalties::none(Currency::new("EUR").expect("EUR")),
        links: Links::default(),
        previous: Vec::new(),
    }
}

pub fn simple(language: Option<&str>) -> Context {
    context(
        "Client SA",
        language,
        vec![
            item("C001", "INV-1001", "2026-10-01", 1234.56, None),
            item("C001", "INV-1007", "2026-11-02", 99_000.0, Some("promise")),
            item("C001", "INV-1010", "2026-12-15", 10.0, None),
            credit("C001", "CN-0003", "2026-10-15", 50.5),
        ],
    )
}
