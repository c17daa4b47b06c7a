//! Attached files on both backends and the local file store: upload,
//! refusals with clear errors, hiding, links that expire and die when
//! hidden, and retention with a dry run first.

use bytes::Bytes;
use chrono::{Duration, NaiveDate, TimeZone as _, Utc};
use relance_engine::files::{self, FileError, FileStore, Upload};
use relance_engine::import;
use relance_engine::links::{LinkError, Signer};
use relance_engine::store::Store;
use relance_engine::store::files::{FileChange, FileFilter};
use relance_engine::store::history;

use crate::support::{both, files as csv_files, import_options, planner_of};

const CONFIG: &str = r#"
settings {
  currency "EUR"
  default_scenario "standard"
}
scenario "standard" {
  step "first" at due + 5d { task call }
}
"#;

pub(crate) const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

pub(crate) async fn seeded(store: &Store, items: &str) {
    let planner = planner_of(CONFIG);
    let (_dir, paths) = csv_files(&[
        ("customers.csv", b"code,name\nC1,One SA\n"),
        ("items.csv", items.as_bytes()),
    ]);
    import::import(store, &planner.config, &paths, &import_options())
        .await
        .expect("imported");
}

pub(crate) fn upload(reference: Option<&str>, name: &str, content: &[u8]) -> Upload {
    Upload {
        customer: "C1".into(),
        reference: reference.map(str::to_string),
        name: name.into(),
        content: Bytes::copy_from_slice(content),
        visibility: "customer".into(),
        description: Some("signed copy".into()),
    }
}

pub(crate) const NOW: &str = "2026-11-20T10:00:00Z";

#[tokio::test]
async fn files_are_attached_checked_hidden_and_linked() {
    for t in both().await {
        let store = &t.store;
        seeded(
            store,
            "customer,reference,type,due_date,amount\nC1,INV-1,invoice,2026-11-01,100.00\n",
        )
        .await;
        let dir = tempfile::tempdir().expect("a dir");
        let fs = FileStore::local(dir.path()).expect("a file store");

        let row = files::attach(
            store,
            &fs,
            upload(Some("INV-1"), "inv.pdf", PDF),
            NOW,
            "cli",
        )
        .await
        .expect("attached");
        assert_eq!(row.content_type, "application/pdf", "{}", t.name);
        assert_eq!(row.size, PDF.len() as i64);
        assert_eq!(fs.get(&row.sha256).await.expect("content"), PDF);
        // Content-addressed: the blob is under sha256/ab/cd/<hex>.
        let blob = dir
            .path()
            .join("sha256")
            .join(&row.sha256[0..2])
            .join(&row.sha256[2..4])
            .join(&row.sha256);
        assert!(blob.is_file(), "{}", blob.display());

        // Refusals say what is wrong, and record nothing.
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";
        let err = files::attach(store, &fs, upload(Some("INV-1"), "x.pdf", exe), NOW, "cli")
            .await
            .expect_err("an executable is no pdf");
        assert!(err.to_string().contains("is not a pdf file"), "{err}");
        let err = files::attach(
            store,
            &fs,
            upload(Some("INV-1"), "x.exe", b"MZ"),
            NOW,
            "cli",
        )
        .await
        .expect_err("exe refused");
        assert!(matches!(err, FileError::TypeNotAllowed { .. }), "{err}");
        let small = fs.clone().with_max_size(10);
        let err = files::attach(
            store,
            &small,
            upload(Some("INV-1"), "a.pdf", PDF),
            NOW,
            "cli",
        )
        .await
        .expect_err("too large");
        assert!(
            err.to_string().contains("more than the limit of 10 bytes"),
            "{err}"
        );
        let err = files::attach(store, &fs, upload(Some("NOPE"), "a.pdf", PDF), NOW, "cli")
            .await
            .expect_err("no such item");
        assert_eq!(err.to_string(), "no item C1/NOPE in the store");
        // The whole account can have files too.
        let account = files::attach(
            store,
            &fs,
            upload(None, "terms.txt", b"Terms\n"),
            NOW,
            "cli",
        )
        .await
        .expect("attached to the account");
        assert_eq!(account.reference, "");

        let mut tx = store.begin().await.expect("tx");
        let listed = relance_engine::store::files::list(&mut tx, &FileFilter::default())
            .await
            .expect("list");
        tx.rollback().await.expect("rollback");
        assert_eq!(listed.len(), 2, "{}", t.name);

        // The customer's files of an item, for emails.
        let of = files::customer_files_of(store, &[("C1".into(), "INV-1".into())])
            .await
            .expect("files of items");
        assert_eq!(of.iter().map(|f| f.id).collect::<Vec<_>>(), vec![row.id]);

        // A signed link opens until it expires; changed, it does not.
        let signer = Signer::new(b"0123456789abcdef0123456789abcdef").expect("a key");
        let now = Utc
            .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
            .single()
            .expect("a time");
        let (url, expires) = signer.file_link(
            &row,
            now,
            Duration::days(30),
            "https://relance.acme.example/",
        );
        assert!(
            url.starts_with(&format!(
                "https://relance.acme.example/files/{}/download?exp=",
                row.id
            )),
            "{url}"
        );
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let (exp, sig) = query.split_once("&sig=").expect("sig");
        let exp: i64 = exp.trim_start_matches("exp=").parse().expect("exp");
        assert_eq!(exp, expires.timestamp());
        let path = relance_engine::links::file_path(row.id);
        assert_eq!(signer.verify(&path, exp, sig, now.timestamp()), Ok(()));
        assert_eq!(
            signer.verify(&path, exp, sig, exp + 1),
            Err(LinkError::Expired)
        );

        // Hiding takes it out of lists and emails (links check `hidden`).
        let hidden = files::change(
            store,
            row.id,
            &FileChange {
                hidden: Some(true),
                ..FileChange::default()
            },
            NOW,
            "cli",
        )
        .await
        .expect("hidden");
        assert!(hidden.hidden);
        let of = files::customer_files_of(store, &[("C1".into(), "INV-1".into())])
            .await
            .expect("files of items");
        assert!(of.is_empty());
        let err = files::change(
            store,
            row.id,
            &FileChange {
                visibility: Some("public".into()),
                ..FileChange::default()
            },
            NOW,
            "cli",
        )
        .await
        .expect_err("bad visibility");
        assert!(
            err.to_string()
                .contains("neither `internal` nor `customer`")
        );

        let mut tx = store.begin().await.expect("tx");
        let kinds: Vec<String> = history::history_of(&mut tx, "C1")
            .await
            .expect("history")
            .into_iter()
            .map(|e| e.kind)
            .filter(|k| k.starts_with("file_"))
            .collect();
        tx.rollback().await.expect("rollback");
        assert_eq!(kinds, ["file_attached", "file_attached", "file_hidden"]);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn files_of_cleared_items_are_purged_after_retention_with_a_dry_run_first() {
    for t in both().await {
        let store = &t.store;
        seeded(
            store,
            "customer,reference,type,due_date,amount,remaining\n\
             C1,INV-1,invoice,2026-01-01,100.00,0\n\
             C1,INV-2,invoice,2026-01-01,100.00,100.00\n",
        )
        .await;
        let dir = tempfile::tempdir().expect("a dir");
        let fs = FileStore::local(dir.path()).expect("a file store");
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
        let mut tx = store.begin().await.expect("tx");
        let cleared_on: Option<String> =
            relance_engine::store::files::cleared_on(&mut tx, "C1", "INV-1")
                .await
                .expect("cleared on");
        tx.rollback().await.expect("rollback");
        let cleared_on: NaiveDate = cleared_on
            .expect("INV-1 is cleared")
            .parse()
            .expect("a date");

        // Not yet: kept 180 days after clearing.
        let early = cleared_on + Duration::days(179);
        let none = files::purge(store, &fs, early, 180, false, NOW, "cli")
            .await
            .expect("purge");
        assert!(none.is_empty(), "{}", t.name);

        let due = cleared_on + Duration::days(180);
        let dry = files::purge(store, &fs, due, 180, true, NOW, "cli")
            .await
            .expect("dry run");
        assert_eq!(dry.iter().map(|f| f.id).collect::<Vec<_>>(), vec![paid.id]);
        assert!(
            fs.get(&paid.sha256).await.is_ok(),
            "a dry run deletes nothing"
        );

        let done = files::purge(store, &fs, due, 180, false, NOW, "cli")
            .await
            .expect("purge");
        assert_eq!(done.iter().map(|f| f.id).collect::<Vec<_>>(), vec![paid.id]);
        assert!(fs.get(&paid.sha256).await.is_err(), "the content is gone");
        assert!(fs.get(&open.sha256).await.is_ok());
        let again = files::purge(store, &fs, due, 180, false, NOW, "cli")
            .await
            .expect("purge");
        assert!(again.is_empty());

        let mut tx = store.begin().await.expect("tx");
        let purged = history::history_of(&mut tx, "C1")
            .await
            .expect("history")
            .into_iter()
            .filter(|e| e.kind == "file_purged")
            .count();
        tx.rollback().await.expect("rollback");
        assert_eq!(purged, 1);
        t.cleanup().await;
    }
}
