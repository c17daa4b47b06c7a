//! Statements and letters as PDF, read back with poppler's `pdftotext`
//! (a missing `pdftotext` skips these tests, and fails them under `CI`).

use std::io::Write as _;
use std::process::{Command, Stdio};

use relance_money::Money;
use relance_templates::Templates;
use relance_templates::context::Context;
use relance_templates::format::Lang;

use crate::support::{TODAY, context, credit, date, eur, item};

/// The text of a PDF, laid out (`pdftotext -layout`); `None` when
/// `pdftotext` is missing outside CI.
pub fn pdftotext(pdf: &[u8]) -> Option<String> {
    let child = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: pdftotext is missing ({e}); apt-get install poppler-utils");
            return None;
        }
        Err(e) => panic!("pdftotext is missing ({e}): apt-get install poppler-utils"),
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(pdf).expect("writing to pdftotext");
    }
    let out = child.wait_with_output().expect("pdftotext");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("UTF-8 from pdftotext"))
}

/// Writes `pdf` to `$RELANCE_KEEP_PDF/name` when that is set (to look at it).
fn keep(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("RELANCE_KEEP_PDF") {
        std::fs::write(std::path::Path::new(&dir).join(name), pdf).expect("keeping the PDF");
    }
}

fn templates() -> Templates {
    let files = [
        (
            "en/letter.html",
            "---\nsubject: Formal notice\n---\n<p>#customer_name<br>12 rue de la Paix</p>\n<p>Dear #contact_name, #total_overdue is overdue on your account:</p>\n#items_list_overdue\n<p>Best regards,<br>#company_name</p>",
        ),
        ("fr/letter.html", "<p>Bonjour #contact_name</p>"),
    ];
    Templates::load(files, &std::collections::BTreeMap::new(), "en")
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A grouped account of two members, one item held, accents in its name.
fn grouped() -> Context {
    let mut held = item("G002", "INV-HELD", "2026-10-20", 77.0, Some("promise"));
    held.held = true;
    let mut ctx = context(
        "Électronique Lefèvre & Fils",
        None,
        vec![
            item("G001", "INV-1", "2026-09-01", 1000.0, None),
            item("G001", "INV-2", "2026-10-01", 234.56, None),
            item("G002", "INV-7", "2026-10-10", 5000.0, Some("dispute")),
            credit("G002", "CN-1", "2026-10-12", 100.0),
            held,
        ],
    );
    ctx.members[1].name = "Lefèvre Süd GmbH".into();
    ctx
}

fn money(lang: &str, m: Money) -> String {
    Lang::of(lang).money(m.minor, m.currency.as_str())
}

#[test]
fn a_grouped_statement_pdf_holds_every_item_subtotal_and_the_total_in_en_and_fr() {
    let ctx = grouped();
    for lang in ["en", "fr"] {
        let pdf = templates().statement_pdf(&ctx, Some(lang));
        assert!(pdf.starts_with(b"%PDF-"), "{lang}: not a PDF");
        keep(&format!("statement-{lang}.pdf"), &pdf);
        let Some(text) = pdftotext(&pdf) else { return };
        let has = |s: &str| assert!(text.contains(s), "{lang}: {s:?} missing from\n{text}");
        has("ACME Industries SAS — Électronique Lefèvre & Fils (G001)");
        has("G002 — Lefèvre Süd GmbH");
        for reference in ["INV-1", "INV-2", "INV-7", "CN-1", "INV-HELD"] {
            has(reference);
        }
        for amount in [1000.0, 234.56, 5000.0, 77.0] {
            has(&money(lang, eur(amount)));
        }
        has(&money(lang, -eur(100.0)));
        let (subtotal, total, held) = if lang == "fr" {
            ("Sous-total", "Total", "En attente")
        } else {
            ("Subtotal", "Total", "On hold")
        };
        has(&Lang::of(lang).long_date(date(TODAY)));
        has(held);
        // G001: 1,234.56; G002: 5,000 − 100 = 4,900; the held item in none.
        for (label, amount) in [(subtotal, 1234.56), (subtotal, 4900.0), (total, 6134.56)] {
            let line = text
                .lines()
                .find(|l| l.contains(label) && l.contains(&money(lang, eur(amount))));
            assert!(line.is_some(), "{lang}: no {label} of {amount} in\n{text}");
        }
        // The held item is after the total, apart.
        let total_at = text.find(&money(lang, eur(6134.56))).unwrap_or(usize::MAX);
        let held_at = text.find("INV-HELD").unwrap_or(0);
        assert!(held_at > total_at, "{lang}: held item not apart\n{text}");
    }
}

#[test]
fn a_letter_pdf_holds_its_text_and_its_table() {
    let ctx = grouped();
    let rendered = templates()
        .render("letter", &ctx, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let pdf = rendered.letter_pdf();
    keep("letter-en.pdf", &pdf);
    let Some(text) = pdftotext(&pdf) else { return };
    for s in [
        "Électronique Lefèvre & Fils",
        "Dear Marie Curie,",
        "INV-1",
        "INV-7",
        "Best regards,",
        "ACME Industries SAS",
        &money("en", eur(1000.0)),
    ] {
        assert!(text.contains(s), "{s:?} missing from\n{text}");
    }
}

#[test]
fn a_long_statement_runs_onto_several_pages() {
    let items = (0..300)
        .map(|i| item("C001", &format!("INV-{i:04}"), "2026-10-01", 10.0, None))
        .collect();
    let ctx = context("Client SA", None, items);
    let pdf = templates().statement_pdf(&ctx, None);
    let Some(text) = pdftotext(&pdf) else { return };
    assert!(text.matches('\u{c}').count() >= 4, "few pages");
    assert!(text.contains("INV-0000") && text.contains("INV-0299"));
    assert!(text.contains(&money("en", eur(3000.0))));
}
