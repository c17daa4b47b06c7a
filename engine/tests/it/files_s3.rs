//! The file store on a real S3-compatible server (moto, started per test on
//! a free port): the same checks as the local directory — round trip,
//! content addressing, deletion, missing content — then attaching, the
//! customer's files and retention through an `s3://` store on both
//! backends. Without moto the tests are skipped outside CI and fail under
//! CI.

use bytes::Bytes;
use chrono::{Duration, NaiveDate};
use relance_engine::files::{self, FileError, FileStore, sha256_hex};
use relance_test_support::S3Server;

use crate::files::{NOW, PDF, seeded, upload};
use crate::support::both;

/// What every file store does, whatever its backend.
async fn keeps_content_by_its_sha256(fs: &FileStore, name: &str) {
    let content = Bytes::from_static(b"%PDF-1.7\nsigned delivery note\n%%EOF\n");
    let sha = fs.put(content.clone()).await.expect("stored");
    assert_eq!(sha, sha256_hex(&content), "{name}");
    assert_eq!(fs.get(&sha).await.expect("read back"), content, "{name}");
    // The same content again: the same name, nothing else.
    assert_eq!(fs.put(content.clone()).await.expect("stored again"), sha);

    let unknown = sha256_hex(b"never stored");
    let err = fs.get(&unknown).await.expect_err("nothing under that name");
    assert!(
        matches!(
            err,
            FileError::Blob {
                what: "reading a file",
                ..
            }
        ),
        "{name}: {err}"
    );
    assert!(
        !err.is_refusal(),
        "{name}: a missing content is the store's fault"
    );

    fs.delete(&sha).await.expect("deleted");
    assert!(fs.get(&sha).await.is_err(), "{name}: the content is gone");
    fs.delete(&sha)
        .await
        .expect("deleting what is gone is fine");
}

#[tokio::test]
async fn the_local_and_the_s3_store_keep_content_by_its_sha256() {
    let dir = tempfile::tempdir().expect("a dir");
    let local = FileStore::local(dir.path()).expect("a local store");
    keeps_content_by_its_sha256(&local, "local").await;

    let Some(s3) = S3Server::start("relance-files") else {
        return;
    };
    let fs =
        FileStore::s3_with_env("s3://relance-files/acme/files", s3.env()).expect("an S3 store");
    keeps_content_by_its_sha256(&fs, "s3").await;

    // Under the prefix, at `sha256/ab/cd/<hex>`, once however often stored.
    let content = Bytes::from_static(b"x,y\n1,2\n");
    let sha = fs.put(content.clone()).await.expect("stored");
    fs.put(content).await.expect("stored again");
    let key = format!("acme/files/sha256/{}/{}/{sha}", &sha[0..2], &sha[2..4]);
    assert_eq!(s3.keys(), vec![key]);
    fs.delete(&sha).await.expect("deleted");
    assert!(s3.keys().is_empty(), "{:?}", s3.keys());
}

#[tokio::test]
async fn files_in_an_s3_store_are_attached_offered_and_purged_on_both_backends() {
    let Some(s3) = S3Server::start("relance") else {
        return;
    };
    for t in both().await {
        let store = &t.store;
        seeded(
            store,
            "customer,reference,type,due_date,amount,remaining\n\
             C1,INV-1,invoice,2026-01-01,100.00,0\n\
             C1,INV-2,invoice,2026-01-01,100.00,100.00\n",
        )
        .await;
        let prefix = t.name.to_lowercase();
        let fs = FileStore::s3_with_env(&format!("s3://relance/{prefix}"), s3.env())
            .expect("an S3 store");
        let paid = files::attach(store, &fs, upload(Some("INV-1"), "a.pdf", PDF), NOW, "cli")
            .await
            .expect("attached");
        let open = files::attach(
            store,
            &fs,
            upload(Some("INV-2"), "b.csv", b"x,y\n"),
            NOW,
            "cli",
        )
        .await
        .expect("attached");
        // The same PDF on the open item too: stored once.
        let again = files::attach(store, &fs, upload(Some("INV-2"), "c.pdf", PDF), NOW, "cli")
            .await
            .expect("attached");
        assert_eq!(again.sha256, paid.sha256);
        let ours = |keys: Vec<String>| -> usize {
            keys.iter()
                .filter(|k| k.starts_with(&format!("{prefix}/sha256/")))
                .count()
        };
        assert_eq!(ours(s3.keys()), 2, "{}", t.name);

        let offered = files::customer_files_of(
            store,
            &[
                ("C1".to_string(), "INV-1".to_string()),
                ("C1".to_string(), "INV-2".to_string()),
            ],
        )
        .await
        .expect("files of items");
        assert_eq!(offered.len(), 3, "{}", t.name);
        for f in &offered {
            let content = fs.get(&f.sha256).await.expect("content");
            assert_eq!(content.len() as i64, f.size, "{}: {}", t.name, f.name);
        }

        let mut tx = store.begin().await.expect("tx");
        let cleared_on: NaiveDate =
            relance_engine::store::files::cleared_on(&mut tx, "C1", "INV-1")
                .await
                .expect("cleared on")
                .expect("INV-1 is cleared")
                .parse()
                .expect("a date");
        tx.rollback().await.expect("rollback");
        let due = cleared_on + Duration::days(180);
        let done = files::purge(store, &fs, due, 180, false, NOW, "cli")
            .await
            .expect("purged");
        assert_eq!(done.iter().map(|f| f.id).collect::<Vec<_>>(), vec![paid.id]);
        // INV-2 still names the PDF: it stays, as does the CSV.
        assert_eq!(ours(s3.keys()), 2, "{}", t.name);
        assert!(fs.get(&paid.sha256).await.is_ok());
        assert!(fs.get(&open.sha256).await.is_ok());
        t.cleanup().await;
    }
}

#[tokio::test]
async fn s3_locations_are_checked_before_anything_is_sent() {
    let err = FileStore::open("s3://").expect_err("no bucket");
    assert_eq!(
        err.to_string(),
        "file store s3://: no bucket: an S3 store is named s3://BUCKET[/PREFIX]"
    );
    let err = FileStore::open("ftp://files.example/relance").expect_err("not a store");
    assert!(err.to_string().contains("s3://BUCKET[/PREFIX]"), "{err}");
    let env = vec![(
        "AWS_ENDPOINT_URL".to_string(),
        "http://127.0.0.1:9000".to_string(),
    )];
    let err = FileStore::s3_with_env("s3://b", env).expect_err("plain http");
    assert_eq!(
        err.to_string(),
        "file store s3://b: AWS_ENDPOINT_URL `http://127.0.0.1:9000` is plain http://: \
         set AWS_ALLOW_HTTP=true to allow it"
    );
}

#[tokio::test]
async fn a_missing_bucket_is_an_error_of_the_store() {
    let Some(s3) = S3Server::start("present") else {
        return;
    };
    let fs = FileStore::s3_with_env("s3://absent", s3.env()).expect("an S3 store");
    let err = fs
        .put(Bytes::from_static(b"content"))
        .await
        .expect_err("no such bucket");
    assert!(
        matches!(
            err,
            FileError::Blob {
                what: "writing a file",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_refusal());
    // S3's answer is in the message, once.
    let message = err.to_string();
    assert_eq!(message.matches("NoSuchBucket").count(), 1, "{message}");
    assert!(std::error::Error::source(&err).is_none(), "{message}");
}
