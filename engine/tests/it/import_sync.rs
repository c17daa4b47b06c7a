//! The daily sync on both backends: a re-import compared with the stored
//! rows in the database writes exactly the rows that changed, and cells of
//! any content survive the way rows are written (PostgreSQL's `COPY`).

use std::path::PathBuf;

use crate::support::{both, example_config, files, import_options as options};
use relance_engine::import::{self, ImportError, Options, Report};
use relance_engine::on_tx;
use relance_engine::store::Store;
use relance_engine::store::history::history_of;
use relance_engine::store::payments::payments_between;
use sqlx::Row as _;

const CUSTOMERS: &[u8] = b"code,name,address\n\
C1,\"Caf\xc3\xa9 \"\"Chez L\xc3\xa9a\"\"\",\"1 rue d'en haut\nB\xc3\xa2timent \\\\ 2\"\n\
C2,Tab\tand backslash \\N,\n";

async fn run(store: &Store, paths: &[PathBuf], opts: &Options) -> Result<Report, ImportError> {
    import::import(store, &example_config(), paths, opts).await
}

/// (inserted, updated, unchanged) of the last file.
fn counts(report: &Report) -> (u64, u64, u64) {
    let f = report.files.last().expect("a file");
    (f.inserted, f.updated, f.unchanged)
}

/// Name and address of a customer.
async fn customer(store: &Store, code: &str) -> (String, Option<String>) {
    let mut tx = store.begin().await.expect("a transaction");
    let sql = if tx.backend() == relance_engine::store::Backend::Postgres {
        "SELECT name, address FROM customers WHERE code = $1"
    } else {
        "SELECT name, address FROM customers WHERE code = ?"
    };
    on_tx!(&mut tx, c => sqlx::query_as(sql).bind(code).fetch_one(&mut **c).await.expect("the customer"))
}

type Item = (i64, Option<String>, Option<String>, String);

/// Remaining, status, comment and custom fields of an item.
async fn item(store: &Store, reference: &str) -> Item {
    let mut tx = store.begin().await.expect("a transaction");
    let sql = if tx.backend() == relance_engine::store::Backend::Postgres {
        "SELECT remaining, status, comment, custom FROM items WHERE reference = $1"
    } else {
        "SELECT remaining, status, comment, custom FROM items WHERE reference = ?"
    };
    on_tx!(&mut tx, c => {
        let r = sqlx::query(sql).bind(reference).fetch_one(&mut **c).await.expect("the item");
        (r.get(0), r.get(1), r.get(2), r.get(3))
    })
}

#[tokio::test]
async fn quotes_line_breaks_tabs_backslashes_and_unicode_are_stored_as_written() {
    let items: &[u8] = b"customer,reference,type,due_date,amount,comment,region\n\
C1,\xe2\x82\xac-1,invoice,2026-10-01,10,\"said \"\"no\"\"\nthen \\\\N\ttab \xf0\x9f\x99\x82\",nord\n\
C2,R-2,invoice,2026-10-01,20,,sud\n";
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", items)]);
    // The same items again: a comment changed, one unsaid (kept), one cleared.
    let again: &[u8] = b"customer,reference,type,due_date,amount,comment,region\n\
C1,\xe2\x82\xac-1,invoice,2026-10-01,10,,\n\
C2,R-2,invoice,2026-10-01,20,\"l\xc3\xa0 \\\\ \"\"ici\"\"\r\nfin\",-\n";
    let (_dir2, next) = files(&[("items.csv", again)]);
    for t in both().await {
        let report = run(&t.store, &paths, &options())
            .await
            .expect("valid files");
        assert_eq!(counts(&report), (2, 0, 0), "{}", t.name);
        assert_eq!(
            customer(&t.store, "C1").await,
            (
                "Café \"Chez Léa\"".to_string(),
                Some("1 rue d'en haut\nBâtiment \\\\ 2".to_string())
            ),
            "{}",
            t.name
        );
        assert_eq!(
            customer(&t.store, "C2").await,
            ("Tab\tand backslash \\N".to_string(), None),
            "{}: an empty cell of a new row is nothing, a literal \\N is text",
            t.name
        );
        let first = item(&t.store, "€-1").await;
        assert_eq!(
            first,
            (
                1000,
                None,
                Some("said \"no\"\nthen \\\\N\ttab 🙂".to_string()),
                r#"{"region":"nord"}"#.to_string()
            ),
            "{}",
            t.name
        );

        let report = run(&t.store, &next, &options()).await.expect("valid file");
        assert_eq!(counts(&report), (0, 1, 1), "{}", t.name);
        assert_eq!(
            item(&t.store, "€-1").await,
            first,
            "{}: unsaid cells keep",
            t.name
        );
        assert_eq!(
            item(&t.store, "R-2").await,
            (
                2000,
                None,
                Some("là \\\\ \"ici\"\r\nfin".to_string()),
                "{}".to_string()
            ),
            "{}: the comment as written, `-` removes the custom field",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_changed_file_writes_exactly_the_changed_rows_history_and_payments() {
    let header = "customer,reference,type,due_date,amount,remaining,status,comment,region\n";
    let mut first = String::from(header);
    let mut changed = String::from(header);
    for i in 0..3000 {
        let line = format!("C1,INV-{i},invoice,2026-10-01,100,100,,,east\n");
        first.push_str(&line);
        changed.push_str(&match i {
            // Paid in part: one payment of 40.
            7 => "C1,INV-7,invoice,2026-10-01,100,60,,,\n".to_string(),
            // A status: one history line.
            1500 => "C1,INV-1500,invoice,2026-10-01,100,100,dispute,wrong price,\n".to_string(),
            // A custom field added.
            2999 => "C1,INV-2999,invoice,2026-10-01,100,100,,,west\n".to_string(),
            // Unsaid status, comment and region: unchanged.
            _ => format!("C1,INV-{i},invoice,2026-10-01,100,100,,,\n"),
        });
    }
    let (_dir, paths) = files(&[
        ("customers.csv", CUSTOMERS),
        ("items.csv", first.as_bytes()),
    ]);
    let (_dir2, next) = files(&[("items.csv", changed.as_bytes())]);
    for t in both().await {
        run(&t.store, &paths, &options())
            .await
            .expect("valid files");
        let report = run(&t.store, &next, &options()).await.expect("valid file");
        assert_eq!(counts(&report), (0, 3, 2997), "{}", t.name);

        let mut tx = t.store.begin().await.expect("a transaction");
        let payments = payments_between(&mut tx, "1900-01-01", "2200-12-31")
            .await
            .expect("payments");
        let payments: Vec<(&str, i64)> = payments
            .iter()
            .map(|p| (p.reference.as_str(), p.amount))
            .collect();
        assert_eq!(payments, vec![("INV-7", 4000)], "{}", t.name);
        let history = history_of(&mut tx, "C1").await.expect("history");
        let changes: Vec<Option<&str>> = history
            .iter()
            .filter(|h| h.kind == "status_changed")
            .map(|h| h.reference.as_deref())
            .collect();
        assert_eq!(changes, vec![Some("INV-1500")], "{}", t.name);
        tx.rollback().await.expect("a rollback");

        assert_eq!(
            item(&t.store, "INV-1500").await,
            (
                10000,
                Some("dispute".to_string()),
                Some("wrong price".to_string()),
                r#"{"region":"east"}"#.to_string()
            ),
            "{}",
            t.name
        );
        assert_eq!(
            item(&t.store, "INV-2999").await.3,
            r#"{"region":"west"}"#,
            "{}",
            t.name
        );
        // The same file again changes nothing.
        let report = run(&t.store, &next, &options()).await.expect("valid file");
        assert_eq!(counts(&report), (0, 0, 3000), "{}", t.name);
        t.cleanup().await;
    }
}

/// PostgreSQL's own estimate of `items`' rows, as the planner sees it (-1
/// before any statistics).
async fn estimated_items(store: &Store) -> f32 {
    let mut tx = store.begin().await.expect("a transaction");
    on_tx!(&mut tx, c => sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'items'")
        .fetch_one(&mut **c)
        .await
        .expect("the estimate"))
}

/// `n` items of customer C1, references `R-{from}`…
fn items_csv(from: usize, n: usize) -> Vec<u8> {
    let mut csv = String::from("customer,reference,type,due_date,amount\n");
    for i in from..from + n {
        csv.push_str(&format!("C1,R-{i},invoice,2026-10-01,10\n"));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn an_import_that_changes_much_of_a_table_leaves_postgresql_its_statistics() {
    let Some(t) = relance_test_support::store::postgres().await else {
        return;
    };
    let first = items_csv(0, 300);
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", &first)]);
    run(&t.store, &paths, &options())
        .await
        .expect("valid files");
    // Planned on right after the import, not when autovacuum comes by.
    assert_eq!(estimated_items(&t.store).await, 300.0);

    // The daily sync: a few new rows (under 50 and a tenth) leave them.
    let few = items_csv(300, 20);
    let (_dir2, paths) = files(&[("items.csv", &few)]);
    run(&t.store, &paths, &options())
        .await
        .expect("valid files");
    assert_eq!(estimated_items(&t.store).await, 300.0);

    // Many new rows refresh them; a dry run does not.
    let many = items_csv(320, 100);
    let (_dir3, paths) = files(&[("items.csv", &many)]);
    let dry = Options {
        dry_run: true,
        ..options()
    };
    run(&t.store, &paths, &dry).await.expect("valid files");
    assert_eq!(estimated_items(&t.store).await, 300.0);
    run(&t.store, &paths, &options())
        .await
        .expect("valid files");
    assert_eq!(estimated_items(&t.store).await, 420.0);
    t.cleanup().await;
}

/// The indexes of `items` as PostgreSQL defines them, by name.
async fn items_indexes(store: &Store) -> Vec<(String, String)> {
    let mut tx = store.begin().await.expect("a transaction");
    on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes WHERE tablename = 'items' ORDER BY 1",
    )
    .fetch_all(&mut **c)
    .await
    .expect("the indexes"))
}

/// `n` items of C1 with a long comment each: several `COPY` statements.
fn large_items_csv(n: usize, duplicate_at: Option<usize>) -> Vec<u8> {
    let mut csv = String::from("customer,reference,type,due_date,amount,comment\n");
    for i in 0..n {
        let reference = match duplicate_at {
            Some(d) if i == d => 0,
            _ => i,
        };
        csv.push_str(&format!(
            "C1,R-{reference},invoice,2026-10-01,10,{}\n",
            "a comment long enough to fill several copies ".repeat(2)
        ));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn a_large_first_import_into_postgresql_keeps_its_keys_and_indexes() {
    let Some(t) = relance_test_support::store::postgres().await else {
        return;
    };
    let indexes = items_indexes(&t.store).await;
    assert_eq!(indexes.len(), 2, "{indexes:?}");
    const ROWS: usize = 80_000;

    // A duplicate key far into the file: refused, nothing written, the
    // table as it was.
    let bad = large_items_csv(ROWS, Some(ROWS - 10));
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", &bad)]);
    let Err(ImportError::Invalid { errors, .. }) = run(&t.store, &paths, &options()).await else {
        panic!("a duplicate key is refused");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, (ROWS - 10 + 2) as u64);
    assert!(
        errors[0].message.contains("duplicate key"),
        "{}",
        errors[0].message
    );
    assert_eq!(items_indexes(&t.store).await, indexes);

    // The same file without it: every row, the same indexes after.
    let good = large_items_csv(ROWS, None);
    let (_dir2, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", &good)]);
    let report = run(&t.store, &paths, &options())
        .await
        .expect("valid files");
    assert_eq!(counts(&report), (ROWS as u64, 0, 0));
    assert_eq!(items_indexes(&t.store).await, indexes);
    assert_eq!(estimated_items(&t.store).await, ROWS as f32);

    // The key holds: the same file again finds every row stored.
    let report = run(&t.store, &paths, &options())
        .await
        .expect("valid files");
    assert_eq!(counts(&report), (0, 0, ROWS as u64));
    t.cleanup().await;
}
