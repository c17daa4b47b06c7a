//! `relance import` on both backends: upserts, clearing, validation,
//! atomicity, file formats, status changes.

use std::path::PathBuf;

use crate::support::{both, example_config, files, import_options as options};
use chrono::NaiveDate;
use relance_engine::import::{self, DateFormat, Full, ImportError, Options, Report, RowError};
use relance_engine::on_tx;
use relance_engine::store::Store;
use sqlx::Row as _;

/// The problems of an import that must fail, and how many more there were.
fn invalid(result: Result<Report, ImportError>, backend: &str) -> (Vec<RowError>, usize) {
    match result {
        Err(ImportError::Invalid { errors, more }) => (errors, more),
        other => panic!("{backend}: the import should fail, got {other:?}"),
    }
}

/// Problems as printed: `file:line: message`.
fn printed(errors: &[RowError]) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

const CUSTOMERS: &[u8] =
    b"code,name,language,timezone,group_leader,currency,credit_limit,segment\n\
C001,Dupont SARL,fr,,,EUR,10000,key\n\
C002,\"Smith, Jones & Co\",en,America/New_York,,USD,,standard\n\
C003,Member GmbH,de,,C001,EUR,,\n";

const ITEMS: &[u8] =
    b"customer,reference,type,due_date,amount,remaining,status,promise_date,comment\n\
C001,INV-1,invoice,2026-10-01,1234.50,1000,,,\n\
C001,INV-2,invoice,2026-11-01,200,,promise,2026-12-01,\n\
C002,INV-9,invoice,2026-09-15,99.99,,dispute,,wrong price\n\
C003,CN-3,credit_note,2026-09-15,10,,,,\n";

async fn run(store: &Store, paths: &[PathBuf], opts: &Options) -> Result<Report, ImportError> {
    import::import(store, &example_config(), paths, opts).await
}

/// (file, inserted, updated, unchanged, cleared) per file.
fn counts(report: &Report) -> Vec<(String, u64, u64, u64, u64)> {
    report
        .files
        .iter()
        .map(|f| {
            (
                f.file.clone(),
                f.inserted,
                f.updated,
                f.unchanged,
                f.cleared,
            )
        })
        .collect()
}

fn row(file: &str, i: u64, u: u64, n: u64, c: u64) -> (String, u64, u64, u64, u64) {
    (file.to_string(), i, u, n, c)
}

type ItemRow = (String, String, i64, i64, Option<String>, Option<String>);

async fn items(store: &Store) -> Vec<ItemRow> {
    let mut tx = store.begin().await.expect("a transaction");
    on_tx!(&mut tx, c => {
        sqlx::query("SELECT customer, reference, amount, remaining, status, cleared_on FROM items ORDER BY customer, reference")
            .fetch_all(&mut **c)
            .await
            .expect("items")
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
            .collect()
    })
}

async fn count(store: &Store, table: &str) -> i64 {
    let mut tx = store.begin().await.expect("a transaction");
    let sql = format!("SELECT COUNT(*) FROM {table}");
    on_tx!(&mut tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut **c).await.expect("a count"))
}

#[tokio::test]
async fn importing_the_same_files_twice_changes_nothing_the_second_time() {
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    for t in both().await {
        let first = run(&t.store, &paths, &options())
            .await
            .expect("valid files");
        assert_eq!(
            counts(&first),
            vec![
                row("customers.csv", 3, 0, 0, 0),
                row("items.csv", 4, 0, 0, 0)
            ],
            "{}",
            t.name
        );
        let before = items(&t.store).await;
        let second = run(&t.store, &paths, &options())
            .await
            .expect("valid files");
        assert_eq!(
            counts(&second),
            vec![
                row("customers.csv", 0, 0, 3, 0),
                row("items.csv", 0, 0, 4, 0)
            ],
            "{}",
            t.name
        );
        assert_eq!(items(&t.store).await, before, "{}", t.name);
        assert_eq!(
            before[0],
            ("C001".into(), "INV-1".into(), 123_450, 100_000, None, None),
            "{}: amounts in cents",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_changed_row_is_updated_and_a_new_one_inserted() {
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let (_dir2, next) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining\nC001,INV-1,invoice,2026-10-01,1234.50,500\nC001,INV-4,invoice,2026-11-10,50,\n",
    )]);
    for t in both().await {
        run(&t.store, &paths, &options())
            .await
            .expect("valid files");
        let report = run(&t.store, &next, &options()).await.expect("valid file");
        assert_eq!(
            counts(&report),
            vec![row("items.csv", 1, 1, 0, 0)],
            "{}",
            t.name
        );
        assert_eq!(
            count(&t.store, "items").await,
            5,
            "{}: without --full nothing is cleared",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn full_clears_the_missing_open_items_of_the_customers_it_mentions() {
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let (_dir2, next) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining\nC001,INV-1,invoice,2026-10-01,1234.50,1000\n",
    )]);
    for t in both().await {
        run(&t.store, &paths, &options())
            .await
            .expect("valid files");
        let full = Options {
            full: Full::Mentioned,
            ..options()
        };
        let report = run(&t.store, &next, &full).await.expect("valid file");
        assert_eq!(
            counts(&report),
            vec![row("items.csv", 0, 0, 1, 1)],
            "{}",
            t.name
        );
        let after = items(&t.store).await;
        let inv2 = after.iter().find(|i| i.1 == "INV-2").expect("INV-2 kept");
        assert_eq!(
            (inv2.3, inv2.5.as_deref()),
            (0, Some("2026-11-20")),
            "{}: INV-2 paid",
            t.name
        );
        let inv9 = after.iter().find(|i| i.1 == "INV-9").expect("INV-9 kept");
        assert_eq!(
            inv9.3, 9999,
            "{}: C002 is not in the file, its items stay open",
            t.name
        );

        let all = Options {
            full: Full::All,
            ..options()
        };
        let report = run(&t.store, &next, &all).await.expect("valid file");
        assert_eq!(
            report.files[0].cleared, 2,
            "{}: INV-9 and CN-3 cleared",
            t.name
        );
        let open: Vec<_> = items(&t.store)
            .await
            .into_iter()
            .filter(|i| i.3 > 0)
            .map(|i| i.1)
            .collect();
        assert_eq!(open, vec!["INV-1".to_string()], "{}", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn full_without_an_items_file_is_refused_before_anything_is_cleared() {
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let (_dir2, customers_only) = files(&[("customers.csv", CUSTOMERS)]);
    for t in both().await {
        run(&t.store, &paths, &options())
            .await
            .expect("valid files");
        let all = Options {
            full: Full::All,
            ..options()
        };
        let err = run(&t.store, &customers_only, &all)
            .await
            .expect_err("refused");
        assert!(matches!(err, ImportError::Usage(_)), "{}: {err}", t.name);
        let open = items(&t.store)
            .await
            .into_iter()
            .filter(|i| i.3 > 0)
            .count();
        assert_eq!(open, 4, "{}: nothing cleared", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn every_bad_row_is_reported_with_its_line_and_nothing_is_written() {
    let bad = b"customer,reference,type,due_date,amount,remaining,currency,status,issue_date\n\
C001,INV-10,invoice,2026-13-01,100,,,,\n\
C999,INV-11,invoice,2026-11-01,100,,,,\n\
C001,INV-12,bill,2026-11-01,abc,,,promis,\n\
C001,INV-13,invoice,2026-11-01,100,150,,,\n\
C001,INV-10,invoice,2026-11-01,-5,,EUX,,22/11/2026\n\
C001,INV-14,invoice,2026-11-01,12.345,,,,\n\
C001,INV-15,invoice,2026-11-01,100,,,\n\
C001,,invoice,,,,,,\n";
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", bad)]);
    for t in both().await {
        let (errors, more) = invalid(run(&t.store, &paths, &options()).await, t.name);
        let lines = printed(&errors);
        assert_eq!(
            lines,
            vec![
                "items.csv:2: due_date \"2026-13-01\" is not a date (dates are YYYY-MM-DD)",
                "items.csv:3: customer \"C999\" is unknown (not in the store nor in this import)",
                "items.csv:4: type \"bill\" is not one of invoice, credit_note, debit_note, payment",
                "items.csv:4: amount \"abc\" is not an amount",
                "items.csv:4: status \"promis\" is not a status of the configuration (did you mean \"promise\"?)",
                "items.csv:5: remaining 150.00 EUR is more than amount 100.00 EUR",
                "items.csv:6: issue_date \"22/11/2026\" is not a date (for DD/MM/YYYY dates, use --date-format dmy)",
                "items.csv:6: currency \"EUX\" is not an ISO 4217 currency",
                "items.csv:6: amount \"-5\" is negative",
                "items.csv:6: duplicate key C001/INV-10 (first on line 2)",
                "items.csv:7: amount \"12.345\" has more decimals than EUR allows (2)",
                "items.csv:8: 8 fields, but the header has 9",
                "items.csv:9: reference is missing",
                "items.csv:9: due_date is missing",
                "items.csv:9: amount is missing",
            ],
            "{}",
            t.name
        );
        assert_eq!(more, 0);
        assert_eq!(
            count(&t.store, "customers").await,
            0,
            "{}: the good customers file is not written either",
            t.name
        );
        assert_eq!(count(&t.store, "items").await, 0, "{}", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_bad_row_after_thousands_of_good_ones_leaves_the_store_untouched() {
    let mut big = String::from("customer,reference,type,due_date,amount\n");
    for i in 0..6000 {
        if i == 4500 {
            big.push_str("C001,BAD,invoice,2026-02-30,10\n");
        } else {
            big.push_str(&format!("C001,INV-{i},invoice,2026-10-01,10\n"));
        }
    }
    let (_dir, seed) = files(&[("customers.csv", CUSTOMERS)]);
    let (_dir2, paths) = files(&[("items.csv", big.as_bytes())]);
    for t in both().await {
        run(&t.store, &seed, &options()).await.expect("customers");
        let (errors, _) = invalid(run(&t.store, &paths, &options()).await, t.name);
        assert_eq!(errors.len(), 1, "{}", t.name);
        assert_eq!(errors[0].line, 4502, "{}", t.name);
        assert_eq!(
            count(&t.store, "items").await,
            0,
            "{}: batches written before the bad row are rolled back",
            t.name
        );
        assert_eq!(
            count(&t.store, "imports").await,
            1,
            "{}: only the customers import is recorded",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn problems_far_apart_in_a_large_file_are_reported_in_line_order() {
    // Records are checked a few thousand at a time, on several threads:
    // the problems still come in the order of the file, and a key is a
    // duplicate of the first row with it, however far before.
    let mut big = String::from("customer,reference,type,due_date,amount\n");
    for i in 0..9000 {
        match i {
            2999 => big.push_str("C001,INV-7,invoice,2026-10-01,10\n"),
            4000 => big.push_str("C009,INV-4000,invoice,2026-10-01,10\n"),
            4001 => big.push_str("C001,INV-4001,invoice\n"),
            6500 => big.push_str("C001,INV-6500,bill,2026-10-01,ten\n"),
            8999 => big.push_str("C001,INV-3,invoice,2026-10-01,10\n"),
            _ => big.push_str(&format!("C001,INV-{i},invoice,2026-10-01,10\n")),
        }
    }
    let (_dir, seed) = files(&[("customers.csv", CUSTOMERS)]);
    let (_dir2, paths) = files(&[("items.csv", big.as_bytes())]);
    for t in both().await {
        run(&t.store, &seed, &options()).await.expect("customers");
        let (errors, more) = invalid(run(&t.store, &paths, &options()).await, t.name);
        assert_eq!(
            printed(&errors),
            [
                "items.csv:3001: duplicate key C001/INV-7 (first on line 9)",
                "items.csv:4002: customer \"C009\" is unknown (not in the store nor in this import)",
                "items.csv:4003: 3 fields, but the header has 5",
                "items.csv:6502: type \"bill\" is not one of invoice, credit_note, debit_note, payment",
                "items.csv:6502: amount \"ten\" is not an amount",
                "items.csv:9001: duplicate key C001/INV-3 (first on line 5)",
            ],
            "{}",
            t.name
        );
        assert_eq!(more, 0, "{}", t.name);
        assert_eq!(count(&t.store, "items").await, 0, "{}", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn bom_semicolons_decimal_commas_and_day_month_year_dates_are_read() {
    let items = "\u{feff}Customer;Reference;Type;Due_Date;Amount;Remaining\n\
C001;INV-1;invoice;05/11/2026;1 234,56;1234,56\n\
C001;INV-2;invoice;31/12/2026;1.000,00;999,5\n";
    let (_dir, paths) = files(&[
        ("customers.csv", CUSTOMERS),
        ("items.csv", items.as_bytes()),
    ]);
    for t in both().await {
        let dmy = Options {
            date_format: DateFormat::Dmy,
            ..options()
        };
        run(&t.store, &paths, &dmy).await.expect("valid files");
        let mut tx = t.store.begin().await.expect("a transaction");
        let rows: Vec<(String, String, i64, i64)> = on_tx!(&mut tx, c => {
            sqlx::query("SELECT reference, due_date, amount, remaining FROM items ORDER BY reference")
                .fetch_all(&mut **c)
                .await
                .expect("items")
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect()
        });
        drop(tx);
        assert_eq!(
            rows,
            vec![
                ("INV-1".into(), "2026-11-05".into(), 123_456, 123_456),
                ("INV-2".into(), "2026-12-31".into(), 100_000, 99_950)
            ],
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn bad_files_get_one_clear_message_each() {
    let mut latin1 = b"code,name\nC1,Caf".to_vec();
    latin1.extend([0xe9, b'\n']);
    let mut binary = vec![0u8, 1, 2, 3, 0xff];
    binary.extend(std::iter::repeat_n(0u8, 5000));
    let mut long = b"code,name\nC1,".to_vec();
    long.extend(std::iter::repeat_n(b'x', 64 * 1024 * 1024));
    long.push(b'\n');
    let (_dir, paths) = files(&[
        ("customers_1_empty.csv", b""),
        ("customers_2_header_only.csv", b"code,name\n"),
        ("customers_3_missing.csv", b"code,nom\nC1,x\n"),
        ("customers_4_binary.csv", &binary),
        ("customers_5_latin1.csv", &latin1),
        ("customers_6_long_line.csv", &long),
        (
            "customers_7_quote.csv",
            b"code,name\nC1,\"Dupont, \"\"the\"\" SARL\"\nC2,\"Smith\nC3,Jones\nC4,Brown\n",
        ),
        (
            "customers_8_huge.csv",
            b"code,name,currency,credit_limit\nC1,A,EUR,92233720368547758.07\nC2,B,EUR,10000000000.01\nC3,C,EUR,10000000000.00\n",
        ),
    ]);
    for t in both().await {
        let (errors, _) = invalid(run(&t.store, &paths, &options()).await, t.name);
        let lines = printed(&errors);
        assert_eq!(
            lines,
            vec![
                "customers_1_empty.csv: the file is empty",
                "customers_2_header_only.csv: no rows after the header",
                "customers_3_missing.csv:1: missing required column `name` (the header has: code, nom)",
                "customers_4_binary.csv: this is a binary file, not CSV",
                "customers_5_latin1.csv:2: not UTF-8 text (save the file as UTF-8)",
                "customers_6_long_line.csv:2: the line is longer than 1 MiB",
                "customers_7_quote.csv:3: unterminated quote starting on line 3 (a field opened with \" is never closed)",
                "customers_8_huge.csv:2: credit_limit \"92233720368547758.07\" is too large: at most 10000000000.00 EUR a single amount, so that totals stay exact",
                "customers_8_huge.csv:3: credit_limit \"10000000000.01\" is too large: at most 10000000000.00 EUR a single amount, so that totals stay exact",
            ],
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn group_leaders_must_exist_and_groups_have_one_level() {
    let customers = b"code,name,group_leader\nA,a,B\nB,b,C\nC,c,\nD,d,Z\nE,e,E\n";
    let (_dir, paths) = files(&[("customers.csv", customers)]);
    for t in both().await {
        let (errors, _) = invalid(run(&t.store, &paths, &options()).await, t.name);
        let lines = printed(&errors);
        assert_eq!(
            lines,
            vec![
                "customers.csv:2: group_leader \"B\" is itself grouped under \"C\" (groups have one level)",
                "customers.csv:5: group_leader \"Z\" is not a known customer",
                "customers.csv:6: group_leader of E is itself",
            ],
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_dry_run_counts_but_writes_nothing() {
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    for t in both().await {
        let dry = Options {
            dry_run: true,
            ..options()
        };
        let report = run(&t.store, &paths, &dry).await.expect("valid files");
        assert_eq!(
            counts(&report),
            vec![
                row("customers.csv", 3, 0, 0, 0),
                row("items.csv", 4, 0, 0, 0)
            ],
            "{}",
            t.name
        );
        assert_eq!(
            count(&t.store, "customers").await + count(&t.store, "items").await,
            0,
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn custom_columns_are_kept_and_declared_ones_checked() {
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS)]);
    for t in both().await {
        run(&t.store, &paths, &options()).await.expect("valid");
        let mut tx = t.store.begin().await.expect("a transaction");
        let custom: String = on_tx!(&mut tx, c => {
            sqlx::query_scalar("SELECT custom FROM customers WHERE code = 'C001'")
                .fetch_one(&mut **c)
                .await
                .expect("a row")
        });
        drop(tx);
        assert_eq!(custom, r#"{"segment":"key"}"#, "{}", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn status_changes_are_validated_and_recorded_in_the_history() {
    use relance_engine::status::{self, ChangeStamp, NewStatus, StatusError};
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let config = example_config();
    let stamp = ChangeStamp {
        today: NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date"),
        now: "2026-11-21T09:00:00Z".into(),
        origin: "cli".into(),
    };
    for t in both().await {
        run(&t.store, &paths, &options())
            .await
            .expect("valid files");
        let promise = NewStatus {
            status: "promise".into(),
            promise_date: None,
            comment: None,
        };
        let err = status::set(&t.store, &config, ("C001", "INV-1"), &promise, &stamp)
            .await
            .expect_err("no date");
        assert!(
            matches!(err, StatusError::NeedsDate(_)),
            "{}: {err}",
            t.name
        );
        let promise = NewStatus {
            promise_date: NaiveDate::from_ymd_opt(2026, 12, 15),
            ..promise
        };
        status::set(&t.store, &config, ("C001", "INV-1"), &promise, &stamp)
            .await
            .expect("set");
        let unknown = NewStatus {
            status: "promis".into(),
            promise_date: None,
            comment: None,
        };
        let err = status::set(&t.store, &config, ("C001", "INV-1"), &unknown, &stamp)
            .await
            .expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "status \"promis\" is not a status of the configuration (did you mean \"promise\"?)"
        );
        let err = status::clear(&t.store, ("C001", "NOPE"), None, &stamp)
            .await
            .expect_err("no item");
        assert_eq!(err.to_string(), "no item C001/NOPE in the store");
        status::clear(&t.store, ("C001", "INV-1"), Some("paid after all"), &stamp)
            .await
            .expect("clear");

        let mut tx = t.store.begin().await.expect("tx");
        let history = relance_engine::store::history::history_of(&mut tx, "C001")
            .await
            .expect("history");
        let kinds: Vec<(&str, Option<&str>)> = history
            .iter()
            .map(|h| (h.kind.as_str(), h.reference.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("status_changed", Some("INV-2")),
                ("status_set", Some("INV-1")),
                ("status_cleared", Some("INV-1"))
            ],
            "{}",
            t.name
        );
        assert!(
            history[1].data.contains("\"promise_date\":\"2026-12-15\""),
            "{}",
            history[1].data
        );
        assert!(
            history[2].data.contains("paid after all"),
            "{}",
            history[2].data
        );
        drop(tx);
        t.cleanup().await;
    }
}

/// Status, promise date, comment and status_since of an item.
type Qualification = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn qualification(store: &Store, customer: &str, reference: &str) -> Qualification {
    let mut tx = store.begin().await.expect("a transaction");
    on_tx!(&mut tx, c => {
        let r = sqlx::query("SELECT status, promise_date, comment, status_since FROM items WHERE customer = $1 AND reference = $2")
            .bind(customer)
            .bind(reference)
            .fetch_one(&mut **c)
            .await
            .expect("the item");
        (r.get(0), r.get(1), r.get(2), r.get(3))
    })
}

fn q(status: &str, promise: Option<&str>, comment: Option<&str>, since: &str) -> Qualification {
    (
        Some(status.into()),
        promise.map(Into::into),
        comment.map(Into::into),
        Some(since.into()),
    )
}

#[tokio::test]
async fn statuses_people_recorded_survive_imports_that_do_not_mention_them() {
    use relance_engine::status::{self, ChangeStamp, NewStatus};
    let (_dir, first) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    // The nightly ERP sync: no status columns at all.
    let (_d1, without_columns) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining\n\
C001,INV-1,invoice,2026-10-01,1234.50,1000\n\
C001,INV-2,invoice,2026-11-01,200,\n\
C002,INV-9,invoice,2026-09-15,99.99,\n",
    )]);
    // The same with the columns present and empty.
    let (_d2, empty_cells) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining,status,promise_date,comment\n\
C001,INV-1,invoice,2026-10-01,1234.50,1000,,,\n\
C001,INV-2,invoice,2026-11-01,200,,,,\n\
C002,INV-9,invoice,2026-09-15,99.99,,,,\n",
    )]);
    // A file that says something: a new status replaces the person's.
    let (_d3, replacing) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining,status,comment\n\
C001,INV-1,invoice,2026-10-01,1234.50,1000,,\n\
C002,INV-9,invoice,2026-09-15,99.99,,litigation,sent to the lawyers\n",
    )]);
    let config = example_config();
    let by_cli = ChangeStamp {
        today: NaiveDate::from_ymd_opt(2026, 11, 20).expect("a date"),
        now: "2026-11-20T09:00:00Z".into(),
        origin: "cli".into(),
    };
    let by_api = ChangeStamp {
        origin: "api:ops".into(),
        ..by_cli.clone()
    };
    for t in both().await {
        run(&t.store, &first, &options())
            .await
            .expect("valid files");
        let promise = NewStatus {
            status: "promise".into(),
            promise_date: NaiveDate::from_ymd_opt(2026, 12, 15),
            comment: Some("CFO phoned".into()),
        };
        status::set(&t.store, &config, ("C001", "INV-1"), &promise, &by_cli)
            .await
            .expect("set by the CLI");
        let dispute = NewStatus {
            status: "dispute".into(),
            promise_date: None,
            comment: Some("price disagreement".into()),
        };
        status::set(&t.store, &config, ("C002", "INV-9"), &dispute, &by_api)
            .await
            .expect("set through the API");
        let recorded = (
            q(
                "promise",
                Some("2026-12-15"),
                Some("CFO phoned"),
                "2026-11-20",
            ),
            q("dispute", None, Some("price disagreement"), "2026-11-20"),
        );

        let later = Options {
            today: NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date"),
            now: "2026-11-21T02:00:00Z".into(),
            ..options()
        };
        let full = Options {
            full: Full::Mentioned,
            ..later.clone()
        };
        for (what, paths, opts) in [
            ("no status columns", &without_columns, &later),
            ("empty cells", &empty_cells, &later),
            ("no status columns, --full", &without_columns, &full),
            ("empty cells, --full", &empty_cells, &full),
        ] {
            run(&t.store, paths, opts).await.expect("valid file");
            let now = (
                qualification(&t.store, "C001", "INV-1").await,
                qualification(&t.store, "C002", "INV-9").await,
            );
            assert_eq!(now, recorded, "{}: {what}", t.name);
        }

        run(&t.store, &replacing, &later).await.expect("valid file");
        assert_eq!(
            qualification(&t.store, "C002", "INV-9").await,
            q(
                "litigation",
                None,
                Some("sent to the lawyers"),
                "2026-11-21"
            ),
            "{}: a non-empty cell replaces",
            t.name
        );
        assert_eq!(
            qualification(&t.store, "C001", "INV-1").await,
            recorded.0,
            "{}: an empty cell beside it still keeps",
            t.name
        );

        let mut tx = t.store.begin().await.expect("tx");
        let history = relance_engine::store::history::history_of(&mut tx, "C002")
            .await
            .expect("history");
        drop(tx);
        let changes: Vec<(&str, &str)> = history
            .iter()
            .filter(|h| h.reference.as_deref() == Some("INV-9") && h.kind != "import")
            .map(|h| (h.kind.as_str(), h.origin.as_str()))
            .collect();
        assert_eq!(
            changes,
            vec![
                ("status_changed", "import:items.csv"),
                ("status_set", "api:ops"),
                ("status_changed", "import:items.csv"),
            ],
            "{}: the first import's dispute, the API's, the file's litigation",
            t.name
        );
        let last = history
            .iter()
            .rfind(|h| h.reference.as_deref() == Some("INV-9"))
            .expect("a change");
        assert!(
            last.data.contains(r#""from":"dispute""#)
                && last.data.contains(r#""to":"litigation""#)
                && last.data.contains(r#""by":"test""#),
            "{}: {}",
            t.name,
            last.data
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_dash_clears_a_status_with_its_promise_and_comment() {
    let (_dir, first) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let (_d1, clearing) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,status,comment\n\
C001,INV-2,invoice,2026-11-01,200,-,\n\
C002,INV-9,invoice,2026-09-15,99.99,,-\n",
    )]);
    for t in both().await {
        run(&t.store, &first, &options())
            .await
            .expect("valid files");
        run(&t.store, &clearing, &options())
            .await
            .expect("valid file");
        assert_eq!(
            qualification(&t.store, "C001", "INV-2").await,
            (None, None, None, None),
            "{}: `-` in status clears the promise date too",
            t.name
        );
        assert_eq!(
            qualification(&t.store, "C002", "INV-9").await,
            q("dispute", None, None, "2026-11-20"),
            "{}: `-` in comment clears the comment only",
            t.name
        );
        t.cleanup().await;
    }
}

/// name, language, timezone, currency, credit_limit, custom, address,
/// postcode, city, country.
type StoredCustomer = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[tokio::test]
async fn optional_columns_of_every_kind_are_kept_when_absent_or_empty() {
    let (_dir, first) = files(&[
        (
            "colleagues.csv",
            b"email,name,role,phone\njulie@acme.example,Julie,sales,+33 1 23 45 67 89\n",
        ),
        (
            "customers.csv",
            b"code,name,language,timezone,currency,credit_limit,segment,address,postcode,city,country\n\
C001,Dupont SARL,fr,Europe/Paris,EUR,10000,key,12 rue de la Paix,75002,Paris,France\n",
        ),
        (
            "contacts.csv",
            b"customer,email,name,role,language,phone\nC001,ap@dupont.example,Marie Curie,accounting,fr,+33 6 00 00 00 00\n",
        ),
    ]);
    let (_d1, sparse) = files(&[
        (
            "colleagues.csv",
            b"email,name,phone\njulie@acme.example,Julie Martin,\n",
        ),
        (
            "customers.csv",
            b"code,name,language,segment,city\nC001,Dupont SA,,,\n",
        ),
        ("contacts.csv", b"customer,email\nC001,ap@dupont.example\n"),
    ]);
    let (_d2, clearing) = files(&[(
        "customers.csv",
        b"code,name,segment,address,country\nC001,Dupont SA,-,-,\n",
    )]);
    for t in both().await {
        run(&t.store, &first, &options())
            .await
            .expect("valid files");
        run(&t.store, &sparse, &options())
            .await
            .expect("valid files");
        let mut tx = t.store.begin().await.expect("tx");
        let (customer, contact, colleague) = on_tx!(&mut tx, c => {
            let r = sqlx::query("SELECT name, language, timezone, currency, credit_limit, custom, address, postcode, city, country FROM customers WHERE code = 'C001'")
                .fetch_one(&mut **c).await.expect("customer");
            let customer: StoredCustomer =
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7), r.get(8), r.get(9));
            let r = sqlx::query("SELECT name, role, language, phone FROM contacts WHERE customer = 'C001'")
                .fetch_one(&mut **c).await.expect("contact");
            let contact: (Option<String>, String, Option<String>, Option<String>) = (r.get(0), r.get(1), r.get(2), r.get(3));
            let r = sqlx::query("SELECT name, role, phone FROM colleagues")
                .fetch_one(&mut **c).await.expect("colleague");
            let colleague: (String, String, Option<String>) = (r.get(0), r.get(1), r.get(2));
            (customer, contact, colleague)
        });
        drop(tx);
        assert_eq!(
            customer,
            (
                "Dupont SA".to_string(),
                Some("fr".into()),
                Some("Europe/Paris".into()),
                Some("EUR".into()),
                Some(1_000_000),
                r#"{"segment":"key"}"#.to_string(),
                Some("12 rue de la Paix".into()),
                Some("75002".into()),
                Some("Paris".into()),
                Some("France".into()),
            ),
            "{}: a name given replaces, the rest is kept",
            t.name
        );
        assert_eq!(
            contact,
            (
                Some("Marie Curie".into()),
                "accounting".to_string(),
                Some("fr".into()),
                Some("+33 6 00 00 00 00".into())
            ),
            "{}",
            t.name
        );
        assert_eq!(
            colleague,
            (
                "Julie Martin".to_string(),
                "sales".to_string(),
                Some("+33 1 23 45 67 89".into())
            ),
            "{}",
            t.name
        );

        run(&t.store, &clearing, &options())
            .await
            .expect("valid file");
        let mut tx = t.store.begin().await.expect("tx");
        let cleared: (String, Option<String>, Option<String>) = on_tx!(&mut tx, c => {
            let r = sqlx::query("SELECT custom, address, country FROM customers WHERE code = 'C001'")
                .fetch_one(&mut **c).await.expect("customer");
            (r.get(0), r.get(1), r.get(2))
        });
        drop(tx);
        assert_eq!(
            cleared,
            ("{}".to_string(), None, Some("France".into())),
            "{}: `-` clears a field and a column, an empty cell keeps",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn amounts_beyond_what_totals_hold_are_refused_with_their_line_and_field() {
    let items = b"customer,reference,type,due_date,amount,remaining\n\
C001,INV-1,invoice,2026-10-01,92233720368547758.07,\n\
C001,INV-2,invoice,2026-10-01,10000000000.00,10000000000.00\n\
C001,INV-3,invoice,2026-10-01,10000000001,1\n\
C002,INV-4,invoice,2026-10-01,1,99999999999999999999\n";
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS), ("items.csv", items)]);
    for t in both().await {
        let (errors, _) = invalid(run(&t.store, &paths, &options()).await, t.name);
        assert_eq!(
            printed(&errors),
            vec![
                "items.csv:2: amount \"92233720368547758.07\" is too large: at most 10000000000.00 EUR a single amount, so that totals stay exact",
                "items.csv:4: amount \"10000000001\" is too large: at most 10000000000.00 EUR a single amount, so that totals stay exact",
                "items.csv:5: remaining \"99999999999999999999\" is too large: at most 10000000000.00 USD a single amount, so that totals stay exact",
            ],
            "{}",
            t.name
        );
        assert_eq!(count(&t.store, "items").await, 0, "{}", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_second_import_waits_for_the_first_then_says_the_store_is_busy() {
    let (_dir, paths) = files(&[("customers.csv", CUSTOMERS)]);
    for t in both().await {
        // Another import holds the store for a second: this one waits.
        let holder = t.store.begin_import().await.expect("the lock");
        let release = tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            holder.rollback().await.expect("a rollback");
        });
        let report = run(&t.store, &paths, &options()).await;
        assert!(report.is_ok(), "{}: {report:?}", t.name);
        release.await.expect("released");

        // Held past the wait: a clear refusal before the files are read.
        let holder = t.store.begin_import().await.expect("the lock");
        let started = std::time::Instant::now();
        let err = run(&t.store, &paths, &options())
            .await
            .expect_err("the store is busy");
        let waited = started.elapsed();
        let message = err.to_string();
        assert!(
            message.starts_with("the store is busy: another import"),
            "{}: {message}",
            t.name
        );
        assert!(message.contains("(waited 10 s)"), "{}: {message}", t.name);
        assert!(
            (9..20).contains(&waited.as_secs()),
            "{}: waited {waited:?}",
            t.name
        );
        holder.rollback().await.expect("a rollback");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn addresses_that_cannot_be_sent_are_refused_with_file_line_and_field() {
    let contacts = "customer,email\n\
C001,inês0@dupont.example\n\
C001,ap@café.example\n\
C001,ap@bad\u{FFFD}.example\n\
C001,not-an-address\n";
    let (_dir, paths) = files(&[
        ("customers.csv", CUSTOMERS),
        ("contacts.csv", contacts.as_bytes()),
    ]);
    for t in both().await {
        let (errors, _) = invalid(run(&t.store, &paths, &options()).await, t.name);
        assert_eq!(
            printed(&errors),
            vec![
                "contacts.csv:2: email \"inês0@dupont.example\": the mailbox name before @ must be ASCII (a non-ASCII one needs SMTPUTF8, which relance does not use)",
                "contacts.csv:4: email \"ap@bad\u{FFFD}.example\": the domain is not a valid internationalised domain name",
                "contacts.csv:5: email \"not-an-address\" is not an email address",
            ],
            "{}",
            t.name
        );
        t.cleanup().await;
    }
    // A non-ASCII domain alone is accepted (sent in IDNA).
    let (_dir, paths) = files(&[
        ("customers.csv", CUSTOMERS),
        (
            "contacts.csv",
            "customer,email\nC001,ap@café.example\n".as_bytes(),
        ),
    ]);
    for t in both().await {
        run(&t.store, &paths, &options())
            .await
            .expect("an IDNA domain is accepted");
        t.cleanup().await;
    }
}
