//! What reaches the customer with a reminder, through the real SMTP sink,
//! on both backends: `attach invoices` puts the covered items'
//! customer-shared files in the email as MIME parts up to
//! `attach_budget_mb` and links the rest; `#interactive_link` and
//! `#attachments` are signed links that verify; internal and hidden files
//! never leave; `attach statement` and `attach penalties` add the
//! statement and the penalties as PDF files.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use relance_engine::files::{self, FileStore, Upload};
use relance_engine::links::{self, Signer};
use relance_engine::planner::Planner;
use relance_engine::run::{self, Selection, When};
use relance_engine::store::Store;
use relance_test_support::pdf::pdftotext;
use relance_test_support::store as store_support;
use relance_test_support::{Data, Sink};
use relance_worker::deliver::{Delivery, Options, Retry, Shared};
use relance_worker::mailer::Mailer;
use relance_worker::render::Composer;

use crate::support::{self, at, run_date};

const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

const MAIN: &str = r#"settings {
  company          "ACME Industries SAS"
  timezone         "Europe/Paris"
  currency         "EUR"
  language         "en"
  default_scenario "standard"
  attach_budget_mb 1
  public_url       "https://relance.acme.example/"
}
scenario "standard" {
  step "reminder_1" at due + 7d  { email "reminder" to billing attach statement, invoices, penalties }
}
"#;

/// A template that shows the customer page's link but not `#attachments`:
/// what does not fit is then listed at the end of the email.
const PAGE_ONLY: &str = "---
subject: Reminder #customer_code
---
<p>#total_overdue is overdue. Answer here: #interactive_link</p>
#items_list_overdue
";

/// A template that lists the shared files itself.
const WITH_LIST: &str = "---
subject: Reminder #customer_code
---
<p>#total_overdue is overdue.</p>
<p>Your documents:</p>
#attachments
";

fn config(dir: &std::path::Path, template: &str) -> (Arc<Planner>, Composer) {
    std::fs::create_dir_all(dir.join("templates/en")).expect("mkdir");
    std::fs::write(dir.join("main.relance"), MAIN).expect("main.relance");
    std::fs::write(dir.join("templates/en/reminder.html"), template).expect("template");
    let report = relance_engine::config::load(dir).expect("the configuration loads");
    assert!(!report.has_errors(), "{:?}", report.checked.diagnostics);
    let planner =
        Arc::new(Planner::new(&report.checked.config, &report.sources).expect("a planner"));
    let templates = relance_engine::config::templates(&report.sources, &report.checked.config)
        .expect("the templates load");
    let composer = Composer::new(planner.clone(), templates).expect("a composer");
    (planner, composer)
}

/// The items of C0001: two invoices and a credit note.
async fn import(store: &Store, planner: &Planner) {
    let data = tempfile::tempdir().expect("a temp dir");
    let files = Data::default().write(data.path());
    let items = files
        .iter()
        .find(|p| p.ends_with("items.csv"))
        .expect("items");
    std::fs::write(
        items,
        "customer,reference,type,issue_date,due_date,amount\n\
         C0001,INV-1,invoice,2026-09-21,2026-10-21,1300.00\n\
         C0001,INV-2,invoice,2026-09-01,2026-10-01,500.25\n\
         C0001,CN-3,credit_note,2026-09-05,2026-10-05,70.00\n",
    )
    .expect("items");
    support::import(store, planner, &files, "2026-11-09T07:00:00Z").await;
}

/// The run of the run date, recorded at 07:30.
async fn run_day(store: &Store, planner: &Planner) -> run::RunOutcome {
    run::run(
        store,
        planner,
        When::Date(run_date()),
        &Selection::all(planner),
        at("07:30"),
        "test-run",
    )
    .await
    .expect("the run")
}

async fn attach(
    store: &Store,
    fs: &FileStore,
    reference: &str,
    name: &str,
    content: Vec<u8>,
    visibility: &str,
) -> i64 {
    files::attach(
        store,
        fs,
        Upload {
            customer: "C0001".into(),
            reference: Some(reference.into()),
            name: name.into(),
            content: Bytes::from(content),
            visibility: visibility.into(),
            description: None,
        },
        "2026-11-09T08:00:00Z",
        "cli",
    )
    .await
    .expect("attached")
    .id
}

/// A real PDF invoice.
fn invoice_pdf(reference: &str, amount: &str) -> Vec<u8> {
    relance_templates::pdf::Document::from_text(
        &format!("Invoice {reference}"),
        "en",
        &format!("INVOICE {reference}\n\nACME Industries SAS\n\nTotal due: {amount} EUR"),
    )
    .to_pdf()
}

/// A PDF over 1 MB: a real one padded with a comment.
fn big_pdf() -> Vec<u8> {
    let mut pdf = invoice_pdf("INV-2", "500.25");
    pdf.extend(b"\n%");
    pdf.extend(std::iter::repeat_n(b'x', 1_200_000));
    pdf.extend(b"\n");
    pdf
}

/// The parts of a raw MIME message: `(headers, decoded content)`, nested
/// multiparts flattened.
fn mime_parts(raw: &str) -> Vec<(String, Vec<u8>)> {
    let mut raw = raw.replace("\r\n", "\n");
    // Cut at the declared boundaries only: a text part may hold lines
    // starting with `--` (a table's rule).
    let boundaries: Vec<String> = raw
        .match_indices("boundary=")
        .map(|(at, _)| {
            raw[at + "boundary=".len()..]
                .trim_start_matches('"')
                .split(['"', '\n', ';'])
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    for b in &boundaries {
        raw = raw.replace(&format!("\n--{b}"), "\n\u{0}");
    }
    raw.split("\n\u{0}")
        .filter_map(|part| part.split_once("\n\n"))
        .filter(|(head, _)| head.to_ascii_lowercase().contains("content-type:"))
        .filter(|(head, _)| !head.to_ascii_lowercase().contains("multipart/"))
        .map(|(head, content)| {
            let lower = head.to_ascii_lowercase();
            let bytes = if lower.contains("content-transfer-encoding: base64") {
                let joined: String = content.split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .expect("base64")
            } else if lower.contains("content-transfer-encoding: quoted-printable") {
                unquote(content)
            } else {
                content.as_bytes().to_vec()
            };
            (head.to_string(), bytes)
        })
        .collect()
}

fn unquote(text: &str) -> Vec<u8> {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The file name of an attachment part.
fn file_name(head: &str) -> Option<String> {
    let after = head.split("filename=").nth(1)?;
    Some(
        after
            .trim_start_matches('"')
            .split(['"', '\n'])
            .next()?
            .trim()
            .to_string(),
    )
}

/// The single message the sink holds, raw.
fn the_message(sink: &Sink) -> String {
    let found: Vec<String> = std::fs::read_dir(sink.dir.path())
        .expect("the sink's directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .map(|p| std::fs::read_to_string(p).expect("the message"))
        .collect();
    assert_eq!(found.len(), 1, "one message expected");
    found.into_iter().next().unwrap_or_default()
}

/// The signed links of `text` starting with `prefix`, checked against the
/// signer at `now`: each must verify.
fn signed_links(text: &str, prefix: &str, signer: &Signer, now: i64) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        let link: String = text[at..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '<' | ')'))
            .collect();
        let link = link.replace("&amp;", "&");
        let (path, query) = link
            .trim_start_matches("https://relance.acme.example")
            .split_once('?')
            .expect("a query");
        let field = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .expect("the field")
                .to_string()
        };
        let exp: i64 = field("exp").parse().expect("exp");
        assert_eq!(
            signer.verify(path, exp, &field("sig"), now),
            Ok(()),
            "{link}"
        );
        out.push(link);
    }
    out.dedup();
    out
}

fn delivery(
    store: &Store,
    planner: &Arc<Planner>,
    composer: Composer,
    mailer: Mailer,
    shared: Shared,
) -> Delivery {
    Delivery {
        store: store.clone(),
        planner: planner.clone(),
        composer: Arc::new(composer),
        mailer,
        options: Options {
            outbox: std::env::temp_dir().join("relance-attachments-outbox"),
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
        shared,
    }
}

#[tokio::test]
async fn attach_invoices_carries_the_invoice_pdf_links_the_rest_and_the_customer_page() {
    for ts in store_support::both().await {
        let Some(sink) = Sink::start() else { return };
        let cfg = tempfile::tempdir().expect("a temp dir");
        let (planner, composer) = config(cfg.path(), PAGE_ONLY);
        import(&ts.store, &planner).await;
        let dir = tempfile::tempdir().expect("a temp dir");
        let fs = FileStore::local(&dir.path().join("files")).expect("a file store");
        attach(
            &ts.store,
            &fs,
            "INV-1",
            "INV-1.pdf",
            invoice_pdf("INV-1", "1,300.00"),
            "customer",
        )
        .await;
        let big = attach(
            &ts.store,
            &fs,
            "INV-2",
            "INV-2-scan.pdf",
            big_pdf(),
            "customer",
        )
        .await;
        attach(
            &ts.store,
            &fs,
            "INV-1",
            "notes.txt",
            b"call them friday\n".to_vec(),
            "internal",
        )
        .await;
        let hidden = attach(
            &ts.store,
            &fs,
            "INV-2",
            "old.pdf",
            invoice_pdf("OLD", "1.00"),
            "customer",
        )
        .await;
        files::change(
            &ts.store,
            hidden,
            &relance_engine::store::files::FileChange {
                hidden: Some(true),
                ..Default::default()
            },
            "2026-11-09T08:01:00Z",
            "cli",
        )
        .await
        .expect("hidden");
        let ids = run_day(&ts.store, &planner).await;
        assert_eq!(ids.recorded.len(), 1);

        let signer = Signer::new(KEY).expect("a key");
        let shared = Shared {
            files: Some(fs.clone()),
            signer: Some(signer.clone()),
            public_url: None,
        };
        let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
        let d = delivery(&ts.store, &planner, composer, mailer, shared);
        let report = d.deliver_due(at("09:00")).await.expect("delivery");
        assert_eq!(report.sent, 1, "{} {report:?}", ts.name);

        let raw = the_message(&sink);
        let parts = mime_parts(&raw);
        let attached: Vec<(String, &Vec<u8>)> = parts
            .iter()
            .filter_map(|(head, bytes)| Some((file_name(head)?, bytes)))
            .collect();
        let names: Vec<&str> = attached.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "statement-C0001-2026-11-09.pdf",
                "penalties-C0001-2026-11-09.pdf",
                "INV-1.pdf"
            ],
            "{}: the statement and the invoice within the budget; the 1.2 MB scan is over it, \
             the internal note and the hidden file never leave",
            ts.name
        );
        let invoice = attached[2].1;
        if let Some(text) = pdftotext(attached[1].1) {
            for s in ["Penalty", "INV-1", "INV-2", "ACME Industries SAS"] {
                assert!(text.contains(s), "{s:?} missing from the penalties\n{text}");
            }
        }
        assert!(invoice.starts_with(b"%PDF-"));
        let statement = attached[0].1;
        if let Some(text) = pdftotext(invoice) {
            assert!(text.contains("INVOICE INV-1"), "{text}");
            assert!(text.contains("1,300.00"), "{text}");
        }
        if let Some(text) = pdftotext(statement) {
            for s in [
                "INV-1",
                "INV-2",
                "CN-3",
                "€1,300.00",
                "€500.25",
                "-€70.00",
                "€1,730.25",
            ] {
                assert!(text.contains(s), "{s:?} missing from the statement\n{text}");
            }
        }

        let text = parts
            .iter()
            .find(|(head, _)| head.to_ascii_lowercase().contains("text/plain"))
            .map(|(_, b)| String::from_utf8_lossy(b).to_string())
            .expect("a text part");
        let html = parts
            .iter()
            .find(|(head, _)| head.to_ascii_lowercase().contains("text/html"))
            .map(|(_, b)| String::from_utf8_lossy(b).to_string())
            .expect("an HTML part");
        let now = at("09:00").timestamp();
        for body in [&text, &html] {
            let page = signed_links(body, "https://relance.acme.example/c/", &signer, now);
            assert_eq!(
                page.len(),
                1,
                "{}: the customer page's link in\n{body}",
                ts.name
            );
            assert!(page[0].contains(&links::page_path("C0001")), "{}", page[0]);
            // The scan over the budget is linked at the end, since the
            // template has no #attachments; nothing else is.
            let linked = signed_links(body, "https://relance.acme.example/files/", &signer, now);
            assert_eq!(linked.len(), 1, "{}: one file link in\n{body}", ts.name);
            assert!(linked[0].contains(&links::file_path(big)), "{}", linked[0]);
        }
        assert!(
            html.contains("<a href=\"https://relance.acme.example/c/C0001?exp="),
            "the customer page is a link in HTML:\n{html}"
        );
        assert!(text.contains("INV-2-scan.pdf"), "{text}");
        // Links expire after `link_expiry` (30 days): 9 Dec 2026.
        assert!(text.contains("9 Dec 2026"), "{text}");
        assert!(
            !text.contains("old.pdf") && !text.contains("notes.txt"),
            "{text}"
        );
        ts.cleanup().await;
    }
}

#[tokio::test]
async fn attachments_lists_every_shared_file_and_without_a_key_nothing_is_linked() {
    let ts = store_support::sqlite().await;
    let Some(sink) = Sink::start() else { return };
    let cfg = tempfile::tempdir().expect("a temp dir");
    let (planner, composer) = config(cfg.path(), WITH_LIST);
    import(&ts.store, &planner).await;
    let dir = tempfile::tempdir().expect("a temp dir");
    let fs = FileStore::local(&dir.path().join("files")).expect("a file store");
    let one = attach(
        &ts.store,
        &fs,
        "INV-1",
        "INV-1.pdf",
        invoice_pdf("INV-1", "1,300.00"),
        "customer",
    )
    .await;
    let two = attach(
        &ts.store,
        &fs,
        "INV-2",
        "INV-2.pdf",
        invoice_pdf("INV-2", "500.25"),
        "customer",
    )
    .await;
    run_day(&ts.store, &planner).await;
    let signer = Signer::new(KEY).expect("a key");
    let shared = Shared {
        files: Some(fs.clone()),
        signer: Some(signer.clone()),
        public_url: Some("https://relance.acme.example".into()),
    };
    let mailer = Mailer::smtp(&sink.url(), 2).expect("a mailer");
    let d = delivery(&ts.store, &planner, composer, mailer, shared);
    assert_eq!(d.deliver_due(at("09:00")).await.expect("delivery").sent, 1);
    let raw = the_message(&sink);
    let parts = mime_parts(&raw);
    let text = parts
        .iter()
        .find(|(head, _)| head.to_ascii_lowercase().contains("text/plain"))
        .map(|(_, b)| String::from_utf8_lossy(b).to_string())
        .expect("a text part");
    // Both files fit and are attached; #attachments still links both, in
    // the items' order (INV-2 is due first).
    let linked = signed_links(
        &text,
        "https://relance.acme.example/files/",
        &signer,
        at("09:00").timestamp(),
    );
    assert_eq!(linked.len(), 2, "{text}");
    assert!(linked[0].contains(&links::file_path(two)), "{text}");
    assert!(linked[1].contains(&links::file_path(one)), "{text}");
    let (list, _) = text.split_once("INV-1.pdf").expect("INV-1.pdf listed");
    assert!(list.contains("Your documents:"), "{text}");
    assert!(
        !text.contains("/c/C0001"),
        "no #interactive_link in this template"
    );
    let attached = parts.iter().filter_map(|(h, _)| file_name(h)).count();
    assert_eq!(
        attached, 4,
        "the statement, the penalties and both invoices"
    );

    // The same step without a link key: the files are attached, nothing is
    // linked, and #attachments renders empty.
    let sink2 = Sink::start().expect("a second sink");
    let cfg2 = tempfile::tempdir().expect("a temp dir");
    let (planner2, composer2) = config(cfg2.path(), WITH_LIST);
    let ts2 = store_support::sqlite().await;
    import(&ts2.store, &planner2).await;
    attach(
        &ts2.store,
        &fs,
        "INV-1",
        "INV-1.pdf",
        invoice_pdf("INV-1", "1,300.00"),
        "customer",
    )
    .await;
    run_day(&ts2.store, &planner2).await;
    let shared = Shared {
        files: Some(fs.clone()),
        signer: None,
        public_url: None,
    };
    let mailer = Mailer::smtp(&sink2.url(), 2).expect("a mailer");
    let d = delivery(&ts2.store, &planner2, composer2, mailer, shared);
    assert_eq!(d.deliver_due(at("09:00")).await.expect("delivery").sent, 1);
    let raw = the_message(&sink2);
    assert!(!raw.contains("/files/"), "no link without a key");
    let names: Vec<String> = mime_parts(&raw)
        .iter()
        .filter_map(|(h, _)| file_name(h))
        .collect();
    assert_eq!(
        names,
        [
            "statement-C0001-2026-11-09.pdf",
            "penalties-C0001-2026-11-09.pdf",
            "INV-1.pdf"
        ]
    );
    ts.cleanup().await;
    ts2.cleanup().await;
}
