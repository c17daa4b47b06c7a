//! Golden tests of rendered emails: subject, reply-to, HTML and text parts,
//! compared with `test_data/golden/<case>.txt` (`UPDATE_EXPECT=1` refreshes).

use std::collections::BTreeMap;

use expect_test::expect_file;
use relance_templates::context::{Context, Penalties, Penalty};
use relance_templates::{CustomHashtag, RenderError, Templates};

use crate::support::{context, credit, date, eur, item, simple};

const REMINDER_EN: &str = "---
subject: Overdue invoices — #customer_name (#customer_code)
reply_to: #collector_email
---
<p>Dear #contact_name,</p>
<p>On #today, #total_overdue of #total_due remains unpaid on your account {{ customer.name }}:</p>
#items_list_overdue
<p>Ref ##{{ account.code }}: {% if account.overdue_items_count > 1 %}several invoices{% else %}one invoice{% endif %}, {{ account.balance | money }}.</p>
<p>#bank_details</p>
{% include \"partials/signature.html\" %}
";

const REMINDER_FR: &str = "---
subject: Factures échues — #customer_name
reply_to: #collector_email
---
<p>Bonjour #contact_name,</p>
<p>Au #today, #total_overdue restent impayés :</p>
#items_list_overdue
<p>#bank_details</p>
{% include \"partials/signature.html\" %}
";

const STATEMENT_EN: &str = "---
subject: Statement of account #customer_code
---
<p>Dear #contact_name, here is the consolidated statement of your group:</p>
#items_list_collection_grouped_splitted
<p>The same, in one table:</p>
#items_list_collection_grouped
";

const NOTICE_EN: &str = "---
subject: Formal notice
---
<p>#customer_name<br>#today</p>
<p>Late-payment penalties:</p>
#late_penalties
<p>Promised on #promise_date: #dispute_comment</p>
";

const NOTICE_TXT: &str = "Formal notice to #customer_name ({{ customer.code }}) & co.
Covered:
#items_list_covered
Penalties:
#late_penalties
";

const SIGNATURE: &str =
    "<p>Best regards,<br>#collector_name — #company_name<br>#collector_phone #vip_note</p>";
const VIP: &str =
    "{% if customer.segment == \"key\" %}<em>Key account of {{ customer.name }}</em>{% endif %}";

fn templates() -> Templates {
    let files = [
        ("en/reminder.html", REMINDER_EN),
        ("fr/reminder.html", REMINDER_FR),
        ("en/statement.html", STATEMENT_EN),
        ("en/notice.html", NOTICE_EN),
        ("en/notice.txt", NOTICE_TXT),
        ("partials/signature.html", SIGNATURE),
        ("partials/vip.html", VIP),
    ];
    let custom = BTreeMap::from([
        (
            "bank_details".to_string(),
            CustomHashtag::Text("IBAN FR76 3000 6000 0112 — BIC AGRIFRPP <Crédit & Co>".into()),
        ),
        (
            "vip_note".to_string(),
            CustomHashtag::Template("partials/vip.html".into()),
        ),
    ]);
    match Templates::load(files, &custom, "en") {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

fn render(template: &str, ctx: &Context, forced: Option<&str>) -> String {
    let r = match templates().render(template, ctx, forced) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    format!(
        "Language: {}\nSubject: {}\nReply-To: {}\n\n=== HTML\n{}\n=== TEXT\n{}",
        r.language,
        r.subject,
        r.reply_to.as_deref().unwrap_or("-"),
        r.html,
        r.text
    )
}

#[test]
fn a_simple_account_in_english() {
    expect_file!["../../test_data/golden/simple_en.txt"].assert_eq(&render(
        "reminder",
        &simple(None),
        None,
    ));
}

#[test]
fn a_french_contact_gets_french_amounts_dates_and_template() {
    expect_file!["../../test_data/golden/simple_fr.txt"].assert_eq(&render(
        "reminder",
        &simple(Some("fr")),
        None,
    ));
}

#[test]
fn a_language_without_the_template_falls_back_to_the_settings_language() {
    let german = render("reminder", &simple(Some("de")), None);
    assert!(german.starts_with("Language: en\n"), "{german}");
    assert_eq!(german, render("reminder", &simple(None), None));
}

#[test]
fn a_forced_language_wins_over_the_contact() {
    let forced = render("reminder", &simple(Some("en")), Some("fr"));
    assert_eq!(forced, render("reminder", &simple(Some("fr")), None));
}

#[test]
fn a_grouped_account_of_three_members_gets_a_split_statement() {
    let ctx = context(
        "Groupe Martin",
        None,
        vec![
            item("G001", "INV-1", "2026-09-01", 1000.0, None),
            item("G001", "INV-2", "2026-10-01", 234.56, None),
            item("G003", "INV-7", "2026-10-10", 5000.0, None),
            credit("G003", "CN-1", "2026-10-12", 100.0),
            item("G002", "INV-9", "2026-11-01", 42.0, Some("dispute")),
        ],
    );
    // Members as the composer gives them: the leader first, then by code.
    let mut ctx = ctx;
    ctx.members
        .sort_by_key(|m| (m.code != "G001", m.code.clone()));
    expect_file!["../../test_data/golden/grouped_split.txt"].assert_eq(&render(
        "statement",
        &ctx,
        None,
    ));
}

#[test]
fn a_single_account_renders_the_grouped_hashtags_as_its_own_items() {
    let out = render("statement", &simple(None), None);
    assert!(!out.contains("C001 member"), "no member heading: {out}");
    assert_eq!(out.matches("<table").count(), 2, "{out}");
}

#[test]
fn customer_data_is_escaped_in_html_and_kept_as_is_in_text() {
    let ctx = context(
        "<script>alert('x')</script> Smith & Sons",
        None,
        vec![item("C666", "INV-<b>1</b>", "2026-10-01", 10.0, None)],
    );
    let out = render("reminder", &ctx, None);
    expect_file!["../../test_data/golden/escaped.txt"].assert_eq(&out);
    let (head, rest) = out.split_once("=== HTML").unwrap_or_default();
    let (html, text) = rest.split_once("=== TEXT").unwrap_or_default();
    assert!(
        head.contains("Subject: Overdue invoices — <script>"),
        "{head}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        text.contains("<script>alert('x')</script> Smith & Sons"),
        "{text}"
    );
}

#[test]
fn a_text_template_penalties_and_leader_hashtags() {
    let mut ctx = simple(None);
    ctx.leader = ctx.leader.map(|mut l| {
        l.promise_date = Some(date("2026-12-01"));
        l.comment = Some("Goods <damaged>".into());
        l
    });
    ctx.penalties = Penalties {
        items: vec![
            Penalty {
                customer: "C001".into(),
                reference: "INV-1001".into(),
                days_overdue: 50,
                remaining: eur(1234.56),
                currency: "EUR".into(),
                amount: eur(60.73),
            },
            Penalty {
                customer: "C001".into(),
                reference: "INV-1007".into(),
                days_overdue: 18,
                remaining: eur(99_000.0),
                currency: "EUR".into(),
                amount: eur(630.41),
            },
        ],
        total: eur(691.14),
    };
    expect_file!["../../test_data/golden/notice.txt"].assert_eq(&render("notice", &ctx, None));
}

#[test]
fn a_missing_template_is_an_error_not_a_panic() {
    match templates().render("nope", &simple(None), None) {
        Err(RenderError::Missing { template, .. }) => assert_eq!(template, "nope"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_tera_error_names_the_file() {
    let files = [("en/bad.html", "<p>{{ contact.nickname }}</p>")];
    let t = match Templates::load(files, &BTreeMap::new(), "en") {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    match t.render("bad", &simple(None), None) {
        Err(e @ RenderError::Tera { .. }) => {
            let message = e.to_string();
            assert!(message.contains("en/bad.html"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_template_cannot_include_a_file_outside_the_configuration() {
    let files = [("en/x.html", "{% include \"/etc/passwd\" %}")];
    assert!(Templates::load(files, &BTreeMap::new(), "en").is_err());
}

/// The column of `heading` in an aligned text table: the end of its text.
fn column_end(text: &str, heading: &str) -> usize {
    let line = text
        .lines()
        .find(|l| l.contains(heading))
        .unwrap_or_else(|| panic!("no {heading} in {text}"));
    line[..line.find(heading).unwrap_or(0)].chars().count() + heading.chars().count()
}

#[test]
fn the_total_stands_under_the_remaining_column() {
    let out = render("reminder", &simple(None), None);
    let (_, text) = out.split_once("=== TEXT").unwrap_or_default();
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Total"))
        .unwrap_or_else(|| panic!("no total in {text}"));
    assert_eq!(
        total.chars().count(),
        column_end(text, "Remaining"),
        "{text}"
    );
    // In HTML: the label spans the columns before Remaining, then the amount.
    let (_, html) = out.split_once("=== HTML").unwrap_or_default();
    assert!(html.contains("<th colspan=\"5\""), "{html}");
}

#[test]
fn held_items_are_listed_apart_and_in_no_total() {
    let mut ctx = simple(None);
    for i in ctx.items.iter_mut().filter(|i| i.reference == "INV-1007") {
        i.held = true;
    }
    let out = render("reminder", &ctx, None);
    let (html, text) = out.split_once("=== TEXT").unwrap_or_default();
    // The headline and the table leave the held promise out: 1,234.56 only.
    assert!(
        html.contains("€1,234.56 of €1,244.56 remains unpaid"),
        "{html}"
    );
    let (to_pay, held) = html
        .split_once("On hold (not requested now)")
        .unwrap_or_else(|| panic!("no held items: {html}"));
    assert!(!to_pay.contains("INV-1007"), "{to_pay}");
    assert!(to_pay.contains(">€1,234.56</th>"), "{to_pay}");
    assert!(
        held.contains("INV-1007") && held.contains("promise (label)"),
        "{held}"
    );
    assert!(!held.contains("<tfoot>"), "no total for held items: {held}");
    assert!(text.contains("On hold (not requested now)"), "{text}");
}

#[test]
fn status_labels_and_the_held_heading_follow_the_message_language() {
    let mut ctx = simple(Some("fr"));
    for i in ctx.items.iter_mut().filter(|i| i.status.is_some()) {
        i.held = true;
        i.status_labels = BTreeMap::from([("fr".into(), "Promesse de paiement".into())]);
    }
    let out = render("reminder", &ctx, None);
    assert!(out.contains("En attente (non réclamé à ce jour)"), "{out}");
    assert!(out.contains("Promesse de paiement"), "{out}");
    assert!(!out.contains("promise (label)"), "{out}");
    // The default label where the language has none.
    let out = render("reminder", &ctx, Some("en"));
    assert!(out.contains("promise (label)"), "{out}");
}

#[test]
fn a_partial_of_the_message_language_stands_in_for_the_shared_one() {
    let files = [
        ("en/r.html", "{% include \"partials/sign.html\" %}|#vip"),
        ("fr/r.html", "{% include \"partials/sign.html\" %}|#vip"),
        ("de/r.html", "{%- include 'partials/sign.html' -%}|#vip"),
        (
            "partials/sign.html",
            "Best regards {% include \"partials/name.html\" %}",
        ),
        ("partials/name.html", "Julie"),
        ("partials/fr/name.html", "Julie (service clients)"),
        ("partials/de/sign.html", "Mit freundlichen Grüßen"),
        ("partials/vip.html", "VIP"),
        ("partials/de/vip.html", "Schlüsselkunde"),
    ];
    let custom = BTreeMap::from([(
        "vip".to_string(),
        CustomHashtag::Template("partials/vip.html".into()),
    )]);
    let t = Templates::load(files, &custom, "en").unwrap_or_else(|e| panic!("{e}"));
    let html = |lang: &str| {
        t.render("r", &simple(Some(lang)), None)
            .unwrap_or_else(|e| panic!("{e}"))
            .html
    };
    assert_eq!(html("en"), "Best regards Julie|VIP");
    // A shared partial including one that French has: French all the way down.
    assert_eq!(html("fr"), "Best regards Julie (service clients)|VIP");
    assert_eq!(html("de"), "Mit freundlichen Grüßen|Schlüsselkunde");
}

#[test]
fn a_language_without_its_partial_or_a_shared_one_does_not_load() {
    let files = [
        ("en/r.html", "{% include \"partials/sign.html\" %}"),
        ("fr/r.html", "{% include \"partials/sign.html\" %}"),
        ("partials/fr/sign.html", "Cordialement"),
    ];
    match Templates::load(files, &BTreeMap::new(), "en") {
        Err(e) => assert!(e.to_string().contains("partials/sign.html"), "{e}"),
        Ok(_) => panic!("English has no signature"),
    }
}

#[test]
fn previous_date_is_the_latest_earlier_message_and_empty_without_one() {
    let files = [(
        "en/r.html",
        "{% if previous %}Despite our reminder of #previous_date{% else %}First{% endif %}",
    )];
    let t = Templates::load(files, &BTreeMap::new(), "en").unwrap_or_else(|e| panic!("{e}"));
    let mut ctx = simple(None);
    let html = |ctx: &Context| {
        t.render("r", ctx, None)
            .unwrap_or_else(|e| panic!("{e}"))
            .html
    };
    assert_eq!(html(&ctx), "First");
    for (step, day) in [("courtesy", "2026-10-27"), ("reminder_1", "2026-11-08")] {
        ctx.previous.push(relance_templates::context::Previous {
            step: step.into(),
            scenario: "standard".into(),
            date: date(day),
            kinds: vec!["email".into()],
        });
    }
    assert_eq!(html(&ctx), "Despite our reminder of 8 November 2026");
}

#[test]
fn a_letter_writes_the_customer_postal_address_on_several_lines_escaped() {
    let files = [(
        "en/letter.html",
        "<p>{{ customer.name }}<br>{{ customer.address | escape | newlines_to_br | safe }}<br>\
         {{ customer.postcode }} {{ customer.city }}<br>{{ customer.country }}</p>",
    )];
    let t = Templates::load(files, &BTreeMap::new(), "en").unwrap_or_else(|e| panic!("{e}"));
    let mut ctx = simple(None);
    let html = |ctx: &Context| {
        t.render("letter", ctx, None)
            .unwrap_or_else(|e| panic!("{e}"))
            .html
    };
    assert_eq!(
        html(&ctx),
        "<p>Client SA<br>12 rue de la Paix<br>Bâtiment B<br>75002 Paris<br>France</p>"
    );
    ctx.customer.address = Some("<b>Rue</b> & Co\nBP 1".into());
    assert!(
        html(&ctx).contains("&lt;b&gt;Rue&lt;&#x2F;b&gt; &amp; Co<br>BP 1")
            || html(&ctx).contains("&lt;b&gt;Rue&lt;/b&gt; &amp; Co<br>BP 1"),
        "{}",
        html(&ctx)
    );
}

fn one_template(text: &str) -> Templates {
    match Templates::load([("en/t.html", text)], &BTreeMap::new(), "en") {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

fn many_items(n: usize) -> Context {
    let items = (0..n)
        .map(|i| {
            item(
                "C001",
                &format!("INV-{i:05}"),
                "2026-10-01",
                100.0 + i as f64,
                None,
            )
        })
        .collect();
    context("Client SA", None, items)
}

fn render_error(t: &Templates, ctx: &Context) -> String {
    match t.render("t", ctx, None) {
        Err(e @ RenderError::Bounded { .. }) => e.to_string(),
        other => panic!("expected a bound to stop rendering, got {other:?}"),
    }
}

#[test]
fn two_nested_ranges_fail_fast_with_a_clear_message() {
    let t = one_template(
        "{% for i in range(end=10000) %}{% for j in range(end=10000) %}{{ i }}-{{ j }} {% endfor %}{% endfor %}",
    );
    let started = std::time::Instant::now();
    let message = render_error(&t, &simple(None));
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    assert!(message.contains("en/t.html"), "{message}");
    assert!(message.contains("100000 numbers in all"), "{message}");
    // The next message has a budget of its own.
    assert_eq!(t.trial().len(), 1, "the check finds it too");
    let ok = one_template("{% for i in range(end=3) %}{{ i }}{% endfor %}");
    assert!(ok.trial().is_empty());
    assert_eq!(
        ok.render("t", &simple(None), None)
            .map(|r| r.html)
            .ok()
            .as_deref(),
        Some("012")
    );
}

#[test]
fn one_range_over_its_limit_is_refused() {
    let t = one_template("{% for i in range(end=1000000000) %}x{% endfor %}");
    let message = render_error(&t, &simple(None));
    assert!(message.contains("at most 10000 a call"), "{message}");
}

#[test]
fn a_loop_writing_past_the_size_limit_fails_that_message() {
    // 2,000 items looped over 2,000 times: 4 million rows of text.
    let t = one_template(
        "{% for a in items %}{% for b in items %}<p>{{ a.reference }} {{ b.reference }}</p>{% endfor %}{% endfor %}",
    );
    let started = std::time::Instant::now();
    let message = render_error(&t, &many_items(2000));
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert!(message.contains("passed 8 MiB"), "{message}");
}

#[test]
fn a_statement_of_5000_items_still_renders() {
    let t = one_template("---\nsubject: Statement\n---\n<p>#balance</p>\n#items_list\n");
    let r = match t.render("t", &many_items(5000), None) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    assert!(r.html.contains("INV-00000") && r.html.contains("INV-04999"));
    assert!(r.text.contains("INV-04999"));
}
