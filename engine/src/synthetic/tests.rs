//! Tests of the generated files.

use std::collections::{HashMap, HashSet};

use chrono::Duration;

use super::names::ascii;
use super::*;

fn options(seed: u64) -> GenOptions {
    GenOptions {
        customers: 300,
        items: 4000,
        seed,
        today: NaiveDate::from_ymd_opt(2026, 11, 20).expect("a date"),
    }
}

fn read(dir: &Path, name: &str) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join(name)).expect("readable");
    let headers = r.headers().expect("a header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("a record");
            headers
                .iter()
                .map(String::from)
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn files(dir: &Path) -> Vec<Vec<u8>> {
    [
        "colleagues.csv",
        "customers.csv",
        "contacts.csv",
        "assignments.csv",
        "items.csv",
    ]
    .iter()
    .map(|f| std::fs::read(dir.join(f)).expect("written"))
    .collect()
}

#[test]
fn the_same_seed_gives_identical_files_and_another_seed_other_data() {
    let (a, b, c) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    generate(a.path(), &options(7)).expect("generated");
    generate(b.path(), &options(7)).expect("generated");
    generate(c.path(), &options(8)).expect("generated");
    assert_eq!(files(a.path()), files(b.path()));
    assert_ne!(files(a.path())[4], files(c.path())[4]);
}

#[test]
fn row_counts_match_the_request_and_the_summary() {
    let dir = tempfile::tempdir().expect("dir");
    let s = generate(dir.path(), &options(1)).expect("generated");
    assert_eq!((s.customers, s.items), (300, 4000));
    assert_eq!(read(dir.path(), "customers.csv").len(), 300);
    assert_eq!(read(dir.path(), "items.csv").len(), 4000);
    assert_eq!(read(dir.path(), "contacts.csv").len(), s.contacts);
    assert_eq!(read(dir.path(), "assignments.csv").len(), s.assignments);
    let roles: HashSet<String> = read(dir.path(), "colleagues.csv")
        .into_iter()
        .map(|r| r["role"].clone())
        .collect();
    assert_eq!(
        roles.len(),
        3,
        "collector, sales and manager all present: {roles:?}"
    );
}

#[test]
fn items_are_consistent() {
    let dir = tempfile::tempdir().expect("dir");
    let today = options(1).today;
    generate(dir.path(), &options(1)).expect("generated");
    let mut keys = HashSet::new();
    let (mut promises, mut disputes, mut partial) = (0, 0, 0);
    let (mut earliest, mut latest) = (today, today);
    for item in read(dir.path(), "items.csv") {
        assert!(
            keys.insert((item["customer"].clone(), item["reference"].clone())),
            "unique references per customer"
        );
        let amount: f64 = item["amount"].parse().expect("an amount");
        let remaining: f64 = item["remaining"].parse().expect("an amount");
        assert!(remaining <= amount, "{item:?}");
        partial += usize::from(remaining > 0.0 && remaining < amount);
        let due = NaiveDate::parse_from_str(&item["due_date"], "%Y-%m-%d").expect("a date");
        earliest = earliest.min(due);
        latest = latest.max(due);
        match item["status"].as_str() {
            "promise" => {
                promises += 1;
                assert!(
                    NaiveDate::parse_from_str(&item["promise_date"], "%Y-%m-%d").is_ok(),
                    "{item:?}"
                );
            }
            "dispute" => {
                disputes += 1;
                assert!(!item["comment"].is_empty(), "{item:?}");
            }
            _ => {}
        }
    }
    assert!(
        promises > 0 && disputes > 0 && partial > 0,
        "{promises} {disputes} {partial}"
    );
    assert!(
        earliest < today - Duration::days(180) && latest > today + Duration::days(30),
        "{earliest} {latest}"
    );
}

/// Open debit amounts (invoices and debit notes) by days past due, in
/// units (currencies mixed: the shares are what matters).
fn open_amounts(dir: &Path, today: NaiveDate) -> Vec<(i64, f64)> {
    read(dir, "items.csv")
        .into_iter()
        .filter(|i| i["type"] == "invoice" || i["type"] == "debit_note")
        .map(|i| {
            let due = NaiveDate::parse_from_str(&i["due_date"], "%Y-%m-%d").expect("a date");
            let remaining: f64 = i["remaining"].parse().expect("an amount");
            ((today - due).num_days(), remaining)
        })
        .filter(|(_, r)| *r > 0.0)
        .collect()
}

fn portfolio(dir: &Path) -> GenOptions {
    let opts = GenOptions {
        customers: 2000,
        items: 20_000,
        ..options(5)
    };
    generate(dir, &opts).expect("generated");
    opts
}

#[test]
fn about_sixty_percent_of_open_amounts_are_not_yet_due_and_a_thin_tail_is_past_ninety_days() {
    let dir = tempfile::tempdir().expect("dir");
    let today = portfolio(dir.path()).today;
    let open = open_amounts(dir.path(), today);
    let total: f64 = open.iter().map(|(_, r)| r).sum();
    let share = |keep: &dyn Fn(i64) -> bool| {
        open.iter()
            .filter(|(d, _)| keep(*d))
            .map(|(_, r)| r)
            .sum::<f64>()
            / total
    };
    let not_due = share(&|d| d < 0);
    assert!((0.5..0.7).contains(&not_due), "not yet due: {not_due:.3}");
    let past_90 = share(&|d| d > 90);
    assert!(
        (0.005..0.08).contains(&past_90),
        "past 90 days: {past_90:.4}"
    );
    let past_180 = open.iter().filter(|(d, _)| *d > 180).count();
    let past_365 = open.iter().filter(|(d, _)| *d > 365).count();
    assert!(
        past_180 > 0 && past_365 < past_180,
        "the tail thins out: {past_180} items past 180 days, {past_365} past 365"
    );
}

#[test]
fn key_accounts_are_a_handful_per_thousand_and_even_a_small_portfolio_has_one() {
    let dir = tempfile::tempdir().expect("dir");
    portfolio(dir.path());
    let key = read(dir.path(), "customers.csv")
        .iter()
        .filter(|c| c["segment"] == "key")
        .count();
    assert!((4..=20).contains(&key), "{key} key accounts in 2000");
    let small = tempfile::tempdir().expect("dir");
    generate(small.path(), &options(1)).expect("generated");
    let key = read(small.path(), "customers.csv")
        .iter()
        .filter(|c| c["segment"] == "key")
        .count();
    assert!((1..=3).contains(&key), "{key} key accounts in 300");
}

#[test]
fn invoice_amounts_are_lognormal_most_modest_a_few_large() {
    let dir = tempfile::tempdir().expect("dir");
    portfolio(dir.path());
    let mut amounts: Vec<f64> = read(dir.path(), "items.csv")
        .iter()
        .filter(|i| i["type"] == "invoice")
        .map(|i| i["amount"].parse().expect("an amount"))
        .collect();
    amounts.sort_by(f64::total_cmp);
    let median = amounts[amounts.len() / 2];
    let p99 = amounts[amounts.len() * 99 / 100];
    let mean = amounts.iter().sum::<f64>() / amounts.len() as f64;
    assert!((800.0..3000.0).contains(&median), "median {median}");
    assert!(
        mean > median * 1.3,
        "skewed right: mean {mean}, median {median}"
    );
    assert!(
        p99 > median * 10.0,
        "a few large: p99 {p99}, median {median}"
    );
}

#[test]
fn every_customer_has_a_postal_address_some_on_two_lines() {
    let dir = tempfile::tempdir().expect("dir");
    generate(dir.path(), &options(1)).expect("generated");
    let customers = read(dir.path(), "customers.csv");
    for c in &customers {
        for column in ["address", "postcode", "city", "country"] {
            assert!(!c[column].trim().is_empty(), "{column} of {c:?}");
        }
    }
    let two_lines = customers
        .iter()
        .filter(|c| c["address"].contains('\n'))
        .count();
    assert!(
        (10..150).contains(&two_lines),
        "{two_lines} of 300 addresses on two lines"
    );
    let french: Vec<_> = customers
        .iter()
        .filter(|c| c["language"] == "fr" && c["currency"] == "EUR")
        .collect();
    assert!(!french.is_empty());
    for c in french {
        assert_eq!(c["country"], "France");
        assert!(
            c["postcode"].len() == 5 && c["postcode"].chars().all(|d| d.is_ascii_digit()),
            "{c:?}"
        );
    }
}

#[test]
fn mailboxes_are_ascii() {
    let dir = tempfile::tempdir().expect("dir");
    portfolio(dir.path());
    for (file, column) in [("contacts.csv", "email"), ("colleagues.csv", "email")] {
        for row in read(dir.path(), file) {
            assert!(row[column].is_ascii(), "{file}: {}", row[column]);
        }
    }
    assert_eq!(ascii("Lefèvre"), "lefevre");
    assert_eq!(ascii("O'Brien"), "obrien");
    assert_eq!(ascii("Inês"), "ines");
}

#[test]
fn group_leaders_exist_and_are_not_grouped_themselves() {
    let dir = tempfile::tempdir().expect("dir");
    generate(
        dir.path(),
        &GenOptions {
            customers: 2000,
            ..options(3)
        },
    )
    .expect("generated");
    let customers = read(dir.path(), "customers.csv");
    let leaders: HashMap<String, String> = customers
        .iter()
        .map(|c| (c["code"].clone(), c["group_leader"].clone()))
        .collect();
    let grouped: Vec<&String> = leaders.values().filter(|l| !l.is_empty()).collect();
    assert!(!grouped.is_empty(), "some customers are grouped");
    for leader in grouped {
        assert_eq!(
            leaders.get(leader).map(String::as_str),
            Some(""),
            "{leader} exists and is not grouped"
        );
    }
    assert!(
        customers.iter().any(|c| c["name"].contains(',')),
        "a name with a comma round-trips"
    );
}

#[test]
fn every_role_exists_even_for_a_few_customers() {
    let dir = tempfile::tempdir().expect("dir");
    generate(
        dir.path(),
        &GenOptions {
            customers: 5,
            items: 20,
            ..options(2)
        },
    )
    .expect("generated");
    let roles: HashSet<String> = read(dir.path(), "colleagues.csv")
        .into_iter()
        .map(|r| r["role"].clone())
        .collect();
    assert_eq!(roles.len(), 3, "{roles:?}");
    let assigned: HashSet<String> = read(dir.path(), "assignments.csv")
        .into_iter()
        .map(|r| r["customer"].clone())
        .collect();
    assert_eq!(assigned.len(), 5, "every customer has a collector");
}

#[test]
fn items_spread_over_customers_some_with_none_none_with_a_glut() {
    let dir = tempfile::tempdir().expect("dir");
    generate(
        dir.path(),
        &GenOptions {
            customers: 1000,
            items: 20_000,
            ..options(4)
        },
    )
    .expect("generated");
    let mut per_customer: HashMap<String, usize> = HashMap::new();
    for item in read(dir.path(), "items.csv") {
        *per_customer.entry(item["customer"].clone()).or_default() += 1;
    }
    assert_eq!(per_customer.values().sum::<usize>(), 20_000);
    assert!(per_customer.len() < 1000, "some customers have no item");
    let max = per_customer.values().max().copied().unwrap_or(0);
    assert!(max < 200, "no customer takes the rounding leftovers: {max}");
}

#[test]
fn items_without_customers_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let err = generate(
        dir.path(),
        &GenOptions {
            customers: 0,
            items: 10,
            ..options(1)
        },
    )
    .expect_err("refused");
    assert!(matches!(err, GenError::NoCustomers));
}
