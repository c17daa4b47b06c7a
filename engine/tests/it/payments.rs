//! The payment history imports record, on both backends: a lowered
//! remaining, the `paid_on` column, clearing by `--full`, and what records
//! nothing (unchanged rows, raised remainings, new items, dry runs, bad rows).

use std::path::PathBuf;

use crate::support::{both, example_config, files, import_options as options};
use relance_engine::import::{self, DateFormat, Full, ImportError, Options, Report};
use relance_engine::on_tx;
use relance_engine::store::Store;
use relance_engine::store::payments::{PaymentRow, payments_between};

const CUSTOMERS: &[u8] = b"code,name,currency\nC001,Dupont SARL,EUR\nC002,Smith Ltd,USD\n";

/// INV-1 is imported already partly paid; nothing of it is a payment.
const ITEMS: &[u8] = b"customer,reference,type,due_date,amount,remaining\n\
C001,INV-1,invoice,2026-10-01,1234.50,1000\n\
C001,INV-2,invoice,2026-11-01,200,\n\
C002,INV-9,invoice,2026-09-15,99.99,\n";

async fn run(store: &Store, paths: &[PathBuf], opts: &Options) -> Result<Report, ImportError> {
    import::import(store, &example_config(), paths, opts).await
}

/// Every payment recorded, as reports read them.
async fn all_payments(store: &Store) -> Vec<PaymentRow> {
    let mut tx = store.begin().await.expect("a transaction");
    let rows = payments_between(&mut tx, "1900-01-01", "2200-12-31")
        .await
        .expect("payments");
    tx.rollback().await.expect("a rollback");
    rows
}

fn paid(reference: &str, paid_on: &str, amount: i64, source: &str) -> PaymentRow {
    PaymentRow {
        customer: "C001".into(),
        reference: reference.into(),
        paid_on: paid_on.into(),
        amount,
        currency: "EUR".into(),
        source: source.into(),
    }
}

/// The stored remaining and custom fields of an item.
async fn item(store: &Store, reference: &str) -> (i64, String) {
    let mut tx = store.begin().await.expect("a transaction");
    let sql = if tx.backend() == relance_engine::store::Backend::Postgres {
        "SELECT remaining, custom FROM items WHERE reference = $1"
    } else {
        "SELECT remaining, custom FROM items WHERE reference = ?"
    };
    on_tx!(&mut tx, c => sqlx::query_as(sql).bind(reference).fetch_one(&mut **c).await.expect("the item"))
}

#[tokio::test]
async fn a_lowered_remaining_records_one_payment_of_the_difference_dated_the_import_date() {
    let (_dir, first) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let (_dir2, lower) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining\n\
C001,INV-1,invoice,2026-10-01,1234.50,600\n\
C001,INV-2,invoice,2026-11-01,200,200\n",
    )]);
    for t in both().await {
        run(&t.store, &first, &options())
            .await
            .expect("valid files");
        assert_eq!(
            all_payments(&t.store).await,
            vec![],
            "{}: an item imported already partly paid records nothing",
            t.name
        );
        run(&t.store, &lower, &options()).await.expect("valid file");
        let expected = vec![paid("INV-1", "2026-11-20", 40_000, "import")];
        assert_eq!(all_payments(&t.store).await, expected, "{}", t.name);

        // The same file again: nothing changed, nothing more is recorded,
        // on the normal path and on the `--full` one.
        run(&t.store, &lower, &options()).await.expect("valid file");
        let full = Options {
            full: Full::Mentioned,
            ..options()
        };
        let report = run(&t.store, &lower, &full).await.expect("valid file");
        assert_eq!(report.files[0].cleared, 0, "{}", t.name);
        assert_eq!(all_payments(&t.store).await, expected, "{}", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn paid_on_dates_the_payment_and_is_not_stored_on_the_item() {
    let (_dir, first) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let (_dir2, iso) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining,paid_on\n\
C001,INV-1,invoice,2026-10-01,1234.50,600,2026-11-15\n\
C001,INV-2,invoice,2026-11-01,200,0,\n",
    )]);
    let (_dir3, dmy) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining,paid_on\n\
C001,INV-1,invoice,01/10/2026,1234.50,100,20/11/2026\n",
    )]);
    for t in both().await {
        run(&t.store, &first, &options())
            .await
            .expect("valid files");
        run(&t.store, &iso, &options()).await.expect("valid file");
        let day_month_year = Options {
            date_format: DateFormat::Dmy,
            ..options()
        };
        run(&t.store, &dmy, &day_month_year)
            .await
            .expect("valid file");
        assert_eq!(
            all_payments(&t.store).await,
            vec![
                paid("INV-1", "2026-11-15", 40_000, "import"),
                paid("INV-1", "2026-11-20", 50_000, "import"),
                paid("INV-2", "2026-11-20", 20_000, "import"),
            ],
            "{}: ordered by date, customer, reference",
            t.name
        );
        assert_eq!(
            item(&t.store, "INV-1").await,
            (10_000, "{}".to_string()),
            "{}: paid_on is no custom field",
            t.name
        );
        let mut tx = t.store.begin().await.expect("a transaction");
        let day = payments_between(&mut tx, "2026-11-15", "2026-11-15")
            .await
            .expect("payments");
        tx.rollback().await.expect("a rollback");
        assert_eq!(
            day,
            vec![paid("INV-1", "2026-11-15", 40_000, "import")],
            "{}: both ends included",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_item_a_full_import_clears_records_its_whole_remaining() {
    let (_dir, first) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let (_dir2, only_inv1) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining\n\
C001,INV-1,invoice,2026-10-01,1234.50,1000\n",
    )]);
    for t in both().await {
        run(&t.store, &first, &options())
            .await
            .expect("valid files");
        let full = Options {
            full: Full::Mentioned,
            ..options()
        };
        let report = run(&t.store, &only_inv1, &full).await.expect("valid file");
        assert_eq!(report.files[0].cleared, 1, "{}", t.name);
        assert_eq!(
            all_payments(&t.store).await,
            vec![paid("INV-2", "2026-11-20", 20_000, "cleared")],
            "{}: C002 is not mentioned, INV-9 stays open",
            t.name
        );
        let all = Options {
            full: Full::All,
            ..options()
        };
        run(&t.store, &only_inv1, &all).await.expect("valid file");
        // Again: the cleared items are no longer open, nothing is recorded twice.
        run(&t.store, &only_inv1, &all).await.expect("valid file");
        assert_eq!(
            all_payments(&t.store).await,
            vec![
                paid("INV-2", "2026-11-20", 20_000, "cleared"),
                PaymentRow {
                    customer: "C002".into(),
                    reference: "INV-9".into(),
                    paid_on: "2026-11-20".into(),
                    amount: 9_999,
                    currency: "USD".into(),
                    source: "cleared".into(),
                },
            ],
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_raised_remaining_a_changed_currency_and_a_dry_run_record_nothing() {
    let (_dir, first) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let (_dir2, lowered) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining\n\
C001,INV-1,invoice,2026-10-01,1234.50,500\n\
C001,INV-2,invoice,2026-11-01,200,100\n",
    )]);
    let (_dir3, raised) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining,currency\n\
C001,INV-1,invoice,2026-10-01,1234.50,1100,\n\
C001,INV-2,invoice,2026-11-01,200,50,CHF\n",
    )]);
    for t in both().await {
        run(&t.store, &first, &options())
            .await
            .expect("valid files");
        let dry = Options {
            dry_run: true,
            ..options()
        };
        let report = run(&t.store, &lowered, &dry).await.expect("valid file");
        assert!(report.dry_run);
        assert_eq!(
            all_payments(&t.store).await,
            vec![],
            "{}: a dry run writes nothing",
            t.name
        );
        let full_dry = Options {
            full: Full::All,
            dry_run: true,
            ..options()
        };
        run(&t.store, &lowered, &full_dry)
            .await
            .expect("valid file");
        assert_eq!(
            all_payments(&t.store).await,
            vec![],
            "{}: nor a dry run that clears",
            t.name
        );
        run(&t.store, &raised, &options())
            .await
            .expect("valid file");
        assert_eq!(
            all_payments(&t.store).await,
            vec![],
            "{}: a reversed payment and a re-stated currency are no payment",
            t.name
        );
        assert_eq!(item(&t.store, "INV-1").await.0, 110_000, "{}", t.name);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_bad_or_future_paid_on_is_refused_with_its_line_and_nothing_is_written() {
    let (_dir, first) = files(&[("customers.csv", CUSTOMERS), ("items.csv", ITEMS)]);
    let (_dir2, bad) = files(&[(
        "items.csv",
        b"customer,reference,type,due_date,amount,remaining,paid_on\n\
C001,INV-1,invoice,2026-10-01,1234.50,600,2026-11-3x\n\
C001,INV-2,invoice,2026-11-01,200,0,2026-11-21\n\
C002,INV-9,invoice,2026-09-15,99.99,0,2026-11-20\n",
    )]);
    for t in both().await {
        run(&t.store, &first, &options())
            .await
            .expect("valid files");
        let errors = match run(&t.store, &bad, &options()).await {
            Err(ImportError::Invalid { errors, .. }) => errors,
            other => panic!("{}: the import should fail, got {other:?}", t.name),
        };
        let printed: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            printed,
            vec![
                "items.csv:2: paid_on \"2026-11-3x\" is not a date (dates are YYYY-MM-DD)",
                "items.csv:3: paid_on \"2026-11-21\" is after the import date 2026-11-20 \
                 (a payment cannot be in the future)",
            ],
            "{}",
            t.name
        );
        assert_eq!(all_payments(&t.store).await, vec![], "{}", t.name);
        assert_eq!(
            item(&t.store, "INV-9").await.0,
            9_999,
            "{}: the good row is not written either",
            t.name
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn thousands_of_lowered_items_record_one_payment_each_across_batches() {
    let mut first = String::from("customer,reference,type,due_date,amount\n");
    let mut lowered = String::from("customer,reference,type,due_date,amount,remaining\n");
    for i in 0..4500 {
        first.push_str(&format!("C001,INV-{i:05},invoice,2026-10-01,10\n"));
        let remaining = if i % 2 == 0 { "9" } else { "10" };
        lowered.push_str(&format!(
            "C001,INV-{i:05},invoice,2026-10-01,10,{remaining}\n"
        ));
    }
    let (_dir, seed) = files(&[
        ("customers.csv", CUSTOMERS),
        ("items.csv", first.as_bytes()),
    ]);
    let (_dir2, next) = files(&[("items.csv", lowered.as_bytes())]);
    for t in both().await {
        run(&t.store, &seed, &options()).await.expect("valid files");
        assert_eq!(all_payments(&t.store).await, vec![], "{}", t.name);
        run(&t.store, &next, &options()).await.expect("valid file");
        let recorded = all_payments(&t.store).await;
        assert_eq!(recorded.len(), 2250, "{}: only the lowered half", t.name);
        assert!(
            recorded
                .iter()
                .enumerate()
                .all(|(n, p)| *p == paid(&format!("INV-{:05}", 2 * n), "2026-11-20", 100, "import")),
            "{}",
            t.name
        );
        t.cleanup().await;
    }
}
