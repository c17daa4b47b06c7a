//! `PurgeFiles` on both backends: the files of an item cleared
//! `files_kept_after_clearing` ago are deleted with a history line, once;
//! an open item's stay.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use relance_engine::files::{self, FileStore, Upload};
use relance_engine::store::history;
use relance_test_support::store as store_support;
use relance_worker::compose::PlainCompose;
use relance_worker::deliver::{Delivery, Options, Retry};
use relance_worker::jobs::purge_files;
use relance_worker::mailer::Mailer;

use crate::support;

#[tokio::test]
async fn purge_files_deletes_the_files_of_items_cleared_long_enough_ago() {
    let (_cfg, planner) = support::config(|t| {
        t.replacen(
            "settings {",
            "settings {\n  files_kept_after_clearing 10d",
            1,
        )
    });
    assert_eq!(planner.config.settings.files_kept_days, 10);
    for ts in store_support::both().await {
        let dir = tempfile::tempdir().expect("a temp dir");
        let customers = dir.path().join("customers.csv");
        let items = dir.path().join("items.csv");
        std::fs::write(&customers, "code,name\nC1,One\n").expect("customers");
        std::fs::write(
            &items,
            "customer,reference,type,due_date,amount,remaining\n\
             C1,PAID,invoice,2026-10-01,10.00,0\n\
             C1,OPEN,invoice,2026-10-01,10.00,10.00\n",
        )
        .expect("items");
        support::import(
            &ts.store,
            &planner,
            &[customers, items],
            "2026-11-09T07:00:00Z",
        )
        .await;
        let fs = FileStore::local(&dir.path().join("files")).expect("a file store");
        for (reference, content) in [("PAID", &b"paid\n"[..]), ("OPEN", &b"open\n"[..])] {
            files::attach(
                &ts.store,
                &fs,
                Upload {
                    customer: "C1".into(),
                    reference: Some(reference.into()),
                    name: format!("{reference}.txt"),
                    content: Bytes::copy_from_slice(content),
                    visibility: "internal".into(),
                    description: None,
                },
                "2026-11-09T08:00:00Z",
                "cli",
            )
            .await
            .expect("attached");
        }
        let d = Delivery {
            shared: relance_worker::deliver::Shared::default(),
            store: ts.store.clone(),
            planner: Arc::clone(&planner),
            composer: Arc::new(PlainCompose::new(&planner.config.settings)),
            mailer: Mailer::None,
            options: Options {
                outbox: dir.path().join("outbox"),
                retry: Retry {
                    tries: 1,
                    first: Duration::from_secs(1),
                },
                lease: Duration::from_secs(60),
                batch: 16,
                windows: true,
                worker: "test".into(),
                origin: "test".into(),
            },
        };
        let soon = "2026-11-18T12:00:00Z".parse().expect("an instant");
        assert_eq!(
            purge_files(&d, &fs, soon).await.expect("purge"),
            0,
            "{}",
            ts.name
        );
        let later = "2026-11-19T12:00:00Z".parse().expect("an instant");
        assert_eq!(purge_files(&d, &fs, later).await.expect("purge"), 1);
        assert_eq!(purge_files(&d, &fs, later).await.expect("purge"), 0);
        assert!(fs.get(&files::sha256_hex(b"paid\n")).await.is_err());
        assert!(fs.get(&files::sha256_hex(b"open\n")).await.is_ok());
        let mut tx = ts.store.begin().await.expect("tx");
        let purged: Vec<_> = history::history_of(&mut tx, "C1")
            .await
            .expect("history")
            .into_iter()
            .filter(|e| e.kind == "file_purged")
            .collect();
        tx.rollback().await.expect("rollback");
        assert_eq!(purged.len(), 1);
        assert_eq!(purged[0].reference.as_deref(), Some("PAID"));
        assert_eq!(purged[0].origin, "worker:purge_files");
        ts.cleanup().await;
    }
}
