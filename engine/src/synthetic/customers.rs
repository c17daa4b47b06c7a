//! customers.csv, with each customer's contacts (contacts.csv) and the
//! colleagues assigned to it (assignments.csv), written as the customer is
//! drawn.

use std::path::Path;

use super::names::{ACTIVITIES, FIRST_NAMES, FORMS, LANGUAGES, LAST_NAMES, Postal, ascii};
use super::portfolio::{Customer, Habit, normal};
use super::writer::Writer;
use super::{GenError, GenOptions, GenSummary, KEY_ACCOUNT_EVERY};

/// Writes customers.csv, contacts.csv and assignments.csv and returns what
/// the items need of each customer.
pub(super) fn write(
    dir: &Path,
    opts: &GenOptions,
    rng: &mut fastrand::Rng,
    colleagues: &[(String, &'static str)],
    summary: &mut GenSummary,
) -> Result<Vec<Customer>, GenError> {
    let by_role = |role: &str| -> Vec<usize> {
        colleagues
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| *r == role)
            .map(|(i, _)| i)
            .collect()
    };
    let (collectors, sales, managers) =
        (by_role("collector"), by_role("sales"), by_role("manager"));

    // Customers; leaders are chosen among customers that are not grouped.
    let mut customers: Vec<Customer> = Vec::with_capacity(opts.customers);
    let mut w = Writer::create(dir, "customers.csv")?;
    let mut contacts = Writer::create(dir, "contacts.csv")?;
    let mut assignments = Writer::create(dir, "assignments.csv")?;
    w.row(&[
        "code",
        "name",
        "language",
        "timezone",
        "scenario",
        "group_leader",
        "credit_limit",
        "currency",
        "segment",
        "address",
        "postcode",
        "city",
        "country",
    ])?;
    contacts.row(&["customer", "email", "name", "role", "language", "phone"])?;
    assignments.row(&["customer", "colleague", "role"])?;
    let mut grouped = vec![false; opts.customers];
    for i in 0..opts.customers {
        let code = format!("C{:06}", i + 1);
        let name = match rng.u32(..100) {
            0 => format!(
                "{}, {} & Co",
                LAST_NAMES[rng.usize(..LAST_NAMES.len())],
                LAST_NAMES[rng.usize(..LAST_NAMES.len())]
            ),
            1 => format!(
                "L'Atelier {} {}",
                LAST_NAMES[rng.usize(..LAST_NAMES.len())],
                FORMS[rng.usize(..FORMS.len())]
            ),
            _ => format!(
                "{} {} {}",
                LAST_NAMES[rng.usize(..LAST_NAMES.len())],
                ACTIVITIES[rng.usize(..ACTIVITIES.len())],
                FORMS[rng.usize(..FORMS.len())]
            ),
        };
        let language = LANGUAGES[rng.usize(..LANGUAGES.len())];
        let timezone = match rng.u32(..100) {
            0 => "America/New_York",
            1 => "Asia/Tokyo",
            2 => "Europe/London",
            _ => "",
        };
        let currency = match rng.u32(..100) {
            0..=84 => "EUR",
            85..=96 => "USD",
            _ => "GBP",
        };
        // ~3% are grouped under an earlier customer that is not grouped itself.
        let leader = if i > 10 && rng.u32(..100) < 3 {
            let l = rng.usize(..i);
            if grouped[l] {
                String::new()
            } else {
                customers[l].code.clone()
            }
        } else {
            String::new()
        };
        grouped[i] = !leader.is_empty();
        let credit_limit = format!("{}.00", rng.u32(1..500) * 1000);
        // A handful per thousand, evenly spread, so that even a small
        // portfolio has one.
        let key = i % KEY_ACCOUNT_EVERY == KEY_ACCOUNT_EVERY / 5;
        let segment = if key { "key" } else { "standard" };
        let postal = Postal::draw(rng, language, currency);
        w.row(&[
            &code,
            &name,
            language,
            timezone,
            "",
            &leader,
            &credit_limit,
            currency,
            segment,
            &postal.address,
            &postal.postcode,
            postal.city,
            postal.country,
        ])?;
        summary.customers += 1;

        for c in 0..1 + rng.usize(..3) {
            let first = FIRST_NAMES[rng.usize(..FIRST_NAMES.len())];
            // The first contact bills; the others half the time.
            let role = if c == 0 || rng.bool() {
                "billing"
            } else {
                "contact"
            };
            let email = format!("{}{}@{}.example", ascii(first), c, code.to_lowercase());
            let phone = format!(
                "+33 6 {:02} {:02} {:02} {:02}",
                rng.u8(10..99),
                rng.u8(10..99),
                rng.u8(10..99),
                rng.u8(10..99)
            );
            contacts.row(&[
                &code,
                &email,
                &format!("{first} {}", LAST_NAMES[rng.usize(..LAST_NAMES.len())]),
                role,
                language,
                &phone,
            ])?;
            summary.contacts += 1;
        }
        let mut assign = |list: &[usize], role: &str, a: &mut Writer| -> Result<(), GenError> {
            if let Some(&k) = list.get(rng.usize(..list.len().max(1))) {
                a.row(&[&code, &colleagues[k].0, role])?;
                summary.assignments += 1;
            }
            Ok(())
        };
        assign(&collectors, "collector", &mut assignments)?;
        if i % 4 == 0 {
            assign(&sales, "sales", &mut assignments)?;
        }
        if i % 10 == 0 {
            assign(&managers, "manager", &mut assignments)?;
        }
        let terms = match rng.u32(..10) {
            0..=4 => 30,
            5..=7 => 45,
            _ => 60,
        };
        // A typical invoice of about 1,500 (lognormal over customers); key
        // accounts buy about five times more.
        let ln_median = (150_000.0f64).ln() + 0.9 * normal(rng) + if key { 1.6 } else { 0.0 };
        customers.push(Customer {
            code,
            currency,
            key,
            habit: Habit::draw(rng, key),
            terms,
            ln_median,
        });
    }
    w.finish()?;
    contacts.finish()?;
    assignments.finish()?;

    Ok(customers)
}
