//! `relance preview` as a user runs it: the example configuration, a real
//! SQLite store, the real binary.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::{copy_dir, text};

struct Case {
    dir: tempfile::TempDir,
}

const DATE: &str = "2026-11-20";

impl Case {
    /// The example configuration and three accounts: C1 (English, simple),
    /// G1 (French, grouping G2 and G3), X1 (a hostile name).
    fn new() -> Case {
        let dir = tempfile::tempdir().expect("a temp dir");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
            &dir.path().join("config"),
        );
        let files: &[(&str, &str)] = &[
            (
                "customers.csv",
                "code,name,language,group_leader,segment\n\
                 C1,Client One,,,\n\
                 G1,Groupe Martin,fr,,\n\
                 G2,Martin Est,fr,G1,\n\
                 G3,Martin Ouest,fr,G1,\n\
                 X1,<script>alert(1)</script> Smith & Sons,,,\n\
                 K1,Key Customer,,,key\n",
            ),
            (
                "contacts.csv",
                "customer,email,name,language\n\
                 C1,ap@client.example,Ada Payable,\n\
                 G1,compta@martin.example,Camille Compta,fr\n\
                 X1,ap@smith.example,Bob,\n\
                 K1,ap@key.example,Kim,\n",
            ),
            (
                "colleagues.csv",
                "email,name,role,phone\njulie@acme.example,Julie Martin,collector,+33 1 23 45 67 89\n\
                 sam@acme.example,Sam Sales,sales,\n",
            ),
            (
                "assignments.csv",
                "customer,colleague\nC1,julie@acme.example\nG1,julie@acme.example\nX1,julie@acme.example\n\
                 K1,julie@acme.example\nK1,sam@acme.example\n",
            ),
            (
                "items.csv",
                "customer,reference,type,due_date,amount,remaining\n\
                 C1,INV-1,invoice,2026-11-13,1234.56,1234.56\n\
                 C1,INV-2,invoice,2026-12-20,10,10\n\
                 G1,F-100,invoice,2026-11-13,1000,1000\n\
                 G2,F-200,invoice,2026-11-10,2500.5,2500.5\n\
                 G3,F-300,invoice,2026-11-01,99.99,99.99\n\
                 G3,AV-1,credit_note,2026-10-01,20,20\n\
                 X1,INV-<9>,invoice,2026-11-13,50,50\n\
                 K1,INV-K,invoice,2026-11-05,700,700\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("a data file");
        }
        let case = Case { dir };
        let out = case.relance(&["import", "--date", "2026-11-01", "."]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        case
    }

    fn relance(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_relance"))
            .current_dir(self.dir.path())
            .args(["--config", "config", "--db", "sqlite://relance.db"])
            .args(args)
            .env_remove("RELANCE_CONFIG")
            .env_remove("RELANCE_DB")
            .env("NO_COLOR", "1")
            .output()
            .expect("the relance binary runs")
    }

    fn preview(&self, args: &[&str]) -> String {
        let mut all = vec!["preview", "--date", DATE];
        all.extend_from_slice(args);
        let out = self.relance(&all);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    }
}

/// A `#name` left in the output is a hashtag that did not expand.
fn unexpanded(html: &str) -> Vec<&str> {
    html.match_indices('#')
        .filter(|(i, _)| {
            html[i + 1..].starts_with(|c: char| c.is_ascii_lowercase())
                && !html[..*i].ends_with("&")
                && !html[..*i].ends_with(':')
        })
        .map(|(i, _)| &html[i..(i + 20).min(html.len())])
        .collect()
}

#[test]
fn every_step_of_the_example_with_a_template_previews() {
    let case = Case::new();
    // (account, step): every step of config/ that emails or writes a letter.
    let steps = [
        ("C1", "courtesy", "Upcoming due date — Client One"),
        ("C1", "reminder_1", "Overdue invoices — Client One (C1)"),
        ("C1", "reminder_2", "Second reminder — €1,234.56 overdue"),
        ("C1", "notice", "Formal notice to pay"),
        ("C1", "final_notice", "Formal notice to pay"),
    ];
    for (account, step, subject) in steps {
        let out = case.preview(&["--account", account, "--step", step]);
        assert!(
            out.contains(&format!("Subject: {subject}\n")),
            "{step}: {out}"
        );
        let body = out.split_once("\n\n").map_or("", |(_, b)| b);
        assert!(body.contains("<p"), "{step}: {out}");
        assert!(
            unexpanded(body).is_empty(),
            "{step}: {:?}",
            unexpanded(body)
        );
    }
}

#[test]
fn the_planned_step_is_previewed_without_naming_it() {
    let case = Case::new();
    // INV-1 is due 2026-11-13: reminder_1 (due + 7d) is the step of 2026-11-20.
    let out = case.preview(&["--account", "C1"]);
    assert!(
        out.contains("X-Relance-Step: standard/reminder_1\n"),
        "{out}"
    );
    assert!(out.contains("To: ap@client.example\n"), "{out}");
    assert!(out.contains("Cc: julie@acme.example\n"), "{out}");
    assert!(out.contains("Reply-To: julie@acme.example\n"), "{out}");
    assert!(out.contains(">Dear Ada Payable,</p>"), "{out}");
    assert!(out.contains("€1,234.56"), "{out}");
}

#[test]
fn a_french_grouped_account_gets_a_french_split_statement() {
    let case = Case::new();
    let out = case.preview(&["--account", "G1", "--step", "reminder_1"]);
    assert!(out.contains("Language: fr\n"), "{out}");
    assert!(
        out.contains("Subject: Factures échues — Groupe Martin (G1)\n"),
        "{out}"
    );
    // One section per member, the leader first, then by code.
    let g1 = out.find("G1 — Groupe Martin").expect("G1 section");
    let g2 = out.find("G2 — Martin Est").expect("G2 section");
    let g3 = out.find("G3 — Martin Ouest").expect("G3 section");
    assert!(g1 < g2 && g2 < g3, "{out}");
    assert!(out.contains("Sous-total"), "{out}");
    // 1000 + 2500.50 + 99.99 - 20 = 3580.49; the credit note is negative.
    assert!(out.contains("Total 3 580,49 €"), "{out}");
    assert!(out.contains("-20,00 €"), "{out}");
    assert!(out.contains("10/11/2026"), "French dates: {out}");
}

#[test]
fn a_customer_without_a_translation_gets_the_settings_language_and_lang_forces_one() {
    let case = Case::new();
    // There is no Italian reminder_2: asked for Italian, G1 gets English.
    let out = case.preview(&["--account", "G1", "--step", "reminder_2", "--lang", "it"]);
    assert!(out.contains("Language: en\n"), "{out}");
    let forced = case.preview(&["--account", "C1", "--step", "reminder_1", "--lang", "fr"]);
    assert!(forced.contains("Language: fr\n"), "{forced}");
    assert!(forced.contains("1 234,56 €"), "{forced}");
}

#[test]
fn a_hostile_customer_name_is_escaped_in_html_and_plain_in_the_subject() {
    let case = Case::new();
    let out = case.preview(&["--account", "X1", "--step", "reminder_1"]);
    let (head, body) = out.split_once("\n\n").expect("headers, then the body");
    assert!(
        head.contains("Subject: Overdue invoices — <script>alert(1)</script> Smith & Sons (X1)"),
        "{head}"
    );
    assert!(body.contains("INV-&lt;9&gt;"), "{body}");
    // The formal notice prints the name in its body.
    let out = case.preview(&["--account", "X1", "--step", "notice"]);
    let (_, body) = out.split_once("\n\n").expect("headers, then the body");
    assert!(!body.contains("<script>"), "{body}");
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt; Smith &amp; Sons"),
        "{body}"
    );
}

#[test]
fn out_writes_a_multipart_email_or_a_printable_letter() {
    let case = Case::new();
    let eml = case.dir.path().join("r1.eml");
    let out = case.relance(&[
        "preview",
        "--date",
        DATE,
        "--account",
        "C1",
        "--step",
        "reminder_1",
        "--out",
        eml.to_str().expect("utf-8 path"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let message = std::fs::read_to_string(&eml).expect("the .eml");
    for header in [
        "From: \"ACME Credit Team\" <ar@acme.example>",
        "To: ap@client.example",
        "Cc: julie@acme.example",
        "Reply-To: julie@acme.example",
        "Message-ID: <preview.C1.reminder_1@relance>",
        "X-Relance-Action: preview",
        "multipart/alternative",
        "text/plain",
        "text/html",
    ] {
        assert!(message.contains(header), "{header}: {message}");
    }

    // reminder_2 attaches the statement.
    let eml = case.dir.path().join("r2.eml");
    let out = case.relance(&[
        "preview",
        "--date",
        DATE,
        "--account",
        "C1",
        "--step",
        "reminder_2",
        "--out",
        eml.to_str().expect("utf-8 path"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let message = std::fs::read_to_string(&eml).expect("the .eml");
    assert!(message.contains("multipart/mixed"), "{message}");
    assert!(
        message.contains("filename=\"statement-C1-2026-11-20.pdf\""),
        "{message}"
    );
    assert!(
        message.contains("Content-Type: application/pdf"),
        "{message}"
    );

    let letter = case.dir.path().join("notice.html");
    let out = case.relance(&[
        "preview",
        "--date",
        DATE,
        "--account",
        "C1",
        "--step",
        "notice",
        "--out",
        letter.to_str().expect("utf-8 path"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(&letter).expect("the letter");
    assert!(page.contains("@page { size: A4"), "{page}");
    assert!(page.contains("Formal notice"), "{page}");

    // The same letter as the PDF the worker writes beside the HTML.
    let pdf = case.dir.path().join("notice.pdf");
    let out = case.relance(&[
        "preview",
        "--date",
        DATE,
        "--account",
        "C1",
        "--step",
        "notice",
        "--out",
        pdf.to_str().expect("utf-8 path"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&pdf).expect("the letter PDF");
    assert!(bytes.starts_with(b"%PDF-"));
    if let Some(read) = relance_test_support::pdf::pdftotext(&bytes) {
        assert!(read.contains("C1"), "{read}");
    }
    // An email is no PDF: its statement is attached to the .eml.
    let out = case.relance(&[
        "preview",
        "--date",
        DATE,
        "--account",
        "C1",
        "--step",
        "reminder_1",
        "--out",
        pdf.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn json_output_carries_both_parts_and_the_recipients() {
    let case = Case::new();
    let out = case.preview(&["--json", "--account", "K1", "--step", "reminder_1"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["to"], serde_json::json!(["ap@key.example"]));
    // K1 is a key account (segment "key"): its reminder copies sales and the collector.
    assert_eq!(doc["scenario"], "key_accounts");
    assert_eq!(
        doc["cc"],
        serde_json::json!(["julie@acme.example", "sam@acme.example"])
    );
    assert_eq!(doc["language"], "en");
    assert!(
        doc["text"]
            .as_str()
            .is_some_and(|t| t.contains("INV-K") && !t.contains("<td")),
        "{doc}"
    );
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let case = Case::new();
    let out = case.relance(&[
        "preview",
        "--date",
        DATE,
        "--account",
        "C1",
        "--step",
        "reminder_3",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("did you mean \"reminder_1\""),
        "{}",
        text(&out.stderr)
    );

    let out = case.relance(&["preview", "--date", DATE, "--account", "NOPE"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let out = case.relance(&[
        "preview",
        "--date",
        DATE,
        "--account",
        "C1",
        "--step",
        "call",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("nothing to preview"),
        "{}",
        text(&out.stderr)
    );

    // Nothing is planned for C1 long before its due dates.
    let out = case.relance(&["preview", "--date", "2026-01-05", "--account", "C1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--step"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_formal_notice_lists_penalties_from_the_rhai_hook() {
    let case = Case::new();
    let out = case.preview(&["--account", "C1", "--step", "notice"]);
    // hooks/penalties.rhai: 1234.56 × 12.15% × 7 / 365 + 40 = 42.88 for INV-1,
    // 7 days overdue on 2026-11-20; INV-2 is not due yet.
    assert!(out.contains(">€42.88</td>"), "{out}");
    assert!(!out.contains(">INV-2</td>"), "{out}");
}

#[test]
fn the_second_reminder_mentions_the_first_only_once_it_was_sent() {
    let case = Case::new();
    let preview = |date: &str| {
        let out = case.relance(&[
            "preview",
            "--account",
            "C1",
            "--step",
            "reminder_2",
            "--date",
            date,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let before = preview(DATE);
    assert!(
        !before.contains("Despite our reminder"),
        "nothing was sent yet:\n{before}"
    );
    let out = case.relance(&[
        "run", "--date", DATE, "--mailer", "file", "--outbox", "outbox",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = preview("2026-12-04");
    assert!(
        after.contains("Despite our reminder of 20 November 2026"),
        "the first reminder went out on {DATE}:\n{after}"
    );
}

/// Amounts that binary floating point cannot add (nine times 0.10, three
/// times USD 1.00 at rate 0.3) are written exactly: the headline total of
/// the subject and the statement's total row.
#[test]
fn totals_of_small_amounts_are_exact_in_the_message() {
    let dir = tempfile::tempdir().expect("a temp dir");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &dir.path().join("config"),
    );
    let main = dir.path().join("config/main.relance");
    let settings = std::fs::read_to_string(&main).expect("main.relance");
    assert!(settings.contains("rate             USD 0.92"), "{settings}");
    std::fs::write(&main, settings.replace("USD 0.92", "USD 0.3")).expect("main.relance");
    let mut items = String::from("customer,reference,type,due_date,amount,currency\n");
    for n in 1..=9 {
        items.push_str(&format!("E1,E1-{n},invoice,2026-10-30,0.10,EUR\n"));
    }
    for n in 1..=3 {
        items.push_str(&format!("M1,M1-{n},invoice,2026-10-30,1.00,USD\n"));
    }
    items.push_str("M1,M1-4,invoice,2026-10-30,0.10,EUR\n");
    let files = [
        (
            "customers.csv",
            "code,name\nE1,Nine Tenths SARL\nM1,Mixed Inc\n".to_string(),
        ),
        (
            "contacts.csv",
            "customer,email,name\nE1,ap@e1.example,Ada\nM1,ap@m1.example,Bob\n".to_string(),
        ),
        ("items.csv", items),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).expect("a data file");
    }
    let case = Case { dir };
    let imported = case.relance(&["import", "--date", "2026-10-30", "."]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    for (account, total) in [("E1", "€0.90"), ("M1", "€1.00")] {
        let out = case.preview(&["--account", account, "--step", "reminder_2"]);
        assert!(
            out.contains(&format!("Subject: Second reminder — {total} overdue\n")),
            "{account}: {out}"
        );
        assert!(out.contains(&format!(">{total}<")), "{account}: {out}");
    }
}

#[test]
fn reminder_2_previews_the_invoices_it_attaches_and_the_signed_links() {
    let case = Case::new();
    let dir = case.dir.path();
    // A real PDF invoice shared with the customer, an internal note.
    let pdf = relance_templates::pdf::Document::from_text("Invoice INV-1", "en", "INVOICE INV-1")
        .to_pdf();
    std::fs::write(dir.join("INV-1.pdf"), pdf).expect("a PDF");
    std::fs::write(dir.join("note.txt"), "call on friday\n").expect("a note");
    for (file, share) in [("INV-1.pdf", "customer"), ("note.txt", "internal")] {
        let out = case.relance(&["attach", "C1/INV-1", file, "--share", share]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    std::fs::write(dir.join("link.key"), "0123456789abcdef0123456789abcdef\n").expect("a key");
    let keyed = [
        "--step",
        "reminder_2",
        "--account",
        "C1",
        "--link-key-file",
        "link.key",
        "--public-url",
        "https://relance.acme.example/",
    ];
    let out = case.preview(&keyed);
    assert!(
        out.contains("Attachments: statement-C1-2026-11-20.pdf, INV-1.pdf\n"),
        "{out}"
    );
    assert!(!out.contains("note.txt"), "{out}");
    assert!(
        out.contains("<a href=\"https://relance.acme.example/c/C1?exp="),
        "the customer page's link: {out}"
    );
    assert!(
        out.contains("https://relance.acme.example/files/1/download?exp="),
        "the invoice's link under #attachments: {out}"
    );

    // Without a key: the invoice is attached all the same, nothing is linked.
    let out = case.preview(&["--step", "reminder_2", "--account", "C1"]);
    assert!(out.contains("INV-1.pdf"), "{out}");
    assert!(!out.contains("/files/") && !out.contains("/c/C1"), "{out}");

    // The .eml carries the invoice as a PDF part.
    let mut args = keyed.to_vec();
    args.extend(["--out", "r2.eml"]);
    case.preview(&args);
    let eml = std::fs::read_to_string(dir.join("r2.eml")).expect("the .eml");
    assert!(eml.contains("filename=\"INV-1.pdf\""), "{eml}");
    assert!(!eml.contains("note.txt"), "{eml}");
}
