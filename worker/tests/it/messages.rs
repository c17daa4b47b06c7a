//! Every message is right to the cent and the word, checked the way a
//! reader sees it: each email and letter template of a configuration, in
//! every language it has, is rendered for a rich account (overdue, not yet
//! due, credit note, promised (suspended) and litigation (excluded) items,
//! a grouped member, penalties, an earlier reminder) and its HTML is read
//! back with an HTML parser.
//!
//! [`check_config_dir`] takes any configuration directory (the shipped
//! `config/` included) and returns the problems it finds, each naming the
//! template and the language.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use relance_dsl::model::{StatusDef, StatusEffect};
use relance_engine::money::{Currency, Money};
use relance_templates::Templates;
use relance_templates::context::{
    AccountInfo, Colleague, Contact, Context, Customer, Item, Links, Member, Penalties, Penalty,
    Previous, Settings, Totals,
};
use relance_templates::format::Lang;
use scraper::{ElementRef, Html, Selector};

/// A status as the rich account uses it: whether it holds its items, and
/// its label per language (the default under `""`).
#[derive(Debug, Clone)]
struct Status {
    name: String,
    held: bool,
    labels: BTreeMap<String, String>,
}

impl Status {
    /// From the configuration: every status that excludes or suspends
    /// (without an end date, or until a date the rich account's promise
    /// date passes).
    fn of(def: &StatusDef, languages: &BTreeSet<&str>) -> Status {
        let default = def.label.clone().unwrap_or_else(|| def.name.clone());
        let mut labels: BTreeMap<String, String> = def
            .labels
            .iter()
            .filter(|(l, _)| languages.contains(l.as_str()))
            .map(|(l, t)| (l.clone(), t.clone()))
            .collect();
        labels.insert(String::new(), default);
        Status {
            name: def.name.clone(),
            held: !matches!(def.effect, StatusEffect::None),
            labels,
        }
    }

    fn label(&self, lang: &str) -> String {
        self.labels
            .get(lang)
            .or_else(|| self.labels.get(""))
            .cloned()
            .unwrap_or_else(|| self.name.clone())
    }
}

/// The problems of every email and letter template of the configuration in
/// `dir`, in every language it has.
pub fn check_config_dir(dir: &Path) -> Vec<String> {
    let report = relance_engine::config::load(dir).expect("the configuration loads");
    assert!(
        !report.has_errors(),
        "{}: {:?}",
        dir.display(),
        report.checked.diagnostics
    );
    let config = &report.checked.config;
    let templates = relance_engine::config::templates(&report.sources, config)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let languages = templates.languages();
    let statuses: Vec<Status> = config
        .statuses
        .values()
        .map(|d| Status::of(d, &languages))
        .collect();
    check_templates(&templates, &statuses)
}

/// Renders every template of every language for the rich account and checks it.
fn check_templates(templates: &Templates, statuses: &[Status]) -> Vec<String> {
    let mut problems = Vec::new();
    for lang in templates.languages() {
        let ctx = rich_context(lang, statuses);
        for name in templates.names(lang) {
            let place = format!("{lang}/{name}");
            match templates.render(name, &ctx, Some(lang)) {
                Ok(r) => {
                    problems.extend(
                        check_html(&r.html, &ctx, lang, statuses)
                            .into_iter()
                            .map(|p| format!("{place}: {p}")),
                    );
                    // The text part (a `.txt` template is written apart).
                    if Lang::of(lang).code != "en" {
                        for phrase in ENGLISH_PHRASES {
                            if r.text.contains(phrase) && !r.html.contains(phrase) {
                                problems.push(format!(
                                    "{place}: English \"{}\" in the text part in {lang}",
                                    phrase.trim()
                                ));
                            }
                        }
                    }
                }
                Err(e) => problems.push(format!("{place}: {e}")),
            }
        }
    }
    problems
}

const TODAY: &str = "2026-11-20";

/// An amount in EUR, from a test's literal (through its text: exact).
fn eur(major: f64) -> Money {
    let exact = major.to_string().parse().expect("a decimal");
    Money::from_decimal(exact, Currency::new("EUR").expect("EUR"))
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// An item of the rich account, in EUR.
fn item(customer: &str, reference: &str, kind: &str, due: &str, amount: f64) -> Item {
    let due_date = date(due);
    let days = (date(TODAY) - due_date).num_days();
    let debit = kind != "credit_note";
    Item {
        customer: customer.into(),
        reference: reference.into(),
        kind: kind.into(),
        debit,
        issue_date: Some(due_date - chrono::Duration::days(30)),
        due_date,
        days_overdue: days,
        overdue: debit && days > 0,
        amount: eur(amount + 10.0),
        remaining: eur(amount),
        currency: "EUR".into(),
        converted: eur(amount),
        status: None,
        status_label: None,
        status_labels: BTreeMap::new(),
        held: false,
        promise_date: None,
        comment: None,
        custom: BTreeMap::new(),
    }
}

fn with_status(mut i: Item, s: &Status) -> Item {
    i.status = Some(s.name.clone());
    i.status_label = Some(s.label(""));
    i.status_labels = s
        .labels
        .iter()
        .filter(|(l, _)| !l.is_empty())
        .map(|(l, t)| (l.clone(), t.clone()))
        .collect();
    i.held = s.held;
    i.promise_date = Some(date("2026-11-30"));
    i
}

/// A grouped account in `lang`: the leader C001 with overdue, not yet due,
/// credit-note and two held items (one per holding status of the
/// configuration, up to two), and a member C002 with an overdue invoice. The
/// action covers two of the three overdue items to pay, so every total
/// differs from every other.
fn rich_context(lang: &str, statuses: &[Status]) -> Context {
    let mut items = vec![
        item("C001", "INV-1001", "invoice", "2026-10-01", 1234.56),
        item("C001", "INV-1002", "invoice", "2026-11-10", 250.00),
        item("C001", "INV-1010", "invoice", "2026-12-15", 800.00),
        item("C001", "CN-0003", "credit_note", "2026-10-15", 50.50),
        item("C002", "INV-2001", "invoice", "2026-10-20", 99.99),
    ];
    let held: Vec<&Status> = statuses.iter().filter(|s| s.held).take(2).collect();
    for (n, s) in held.iter().enumerate() {
        let reference = format!("INV-09{n}0");
        items.push(with_status(
            item(
                "C001",
                &reference,
                "invoice",
                "2026-09-15",
                4321.0 + n as f64,
            ),
            s,
        ));
    }
    items.sort_by(|a, b| (a.due_date, &a.reference).cmp(&(b.due_date, &b.reference)));
    let covered: Vec<Item> = items
        .iter()
        .filter(|i| i.reference == "INV-1001" || i.reference == "INV-2001")
        .cloned()
        .collect();
    let totals = Totals::of(&items, "EUR");
    let members: Vec<Member> = ["C001", "C002"]
        .iter()
        .map(|code| {
            let own: Vec<Item> = items
                .iter()
                .filter(|i| i.customer == *code)
                .cloned()
                .collect();
            Member {
                code: (*code).into(),
                name: format!("Client {code}"),
                subtotal: Totals::signed(&own, "EUR"),
                items: own,
            }
        })
        .collect();
    Context {
        settings: Settings {
            company: "ACME Industries SAS".into(),
            currency: "EUR".into(),
            language: "en".into(),
        },
        customer: Customer {
            code: "C001".into(),
            name: "Client SA".into(),
            language: Some(lang.into()),
            address: Some("12 rue de la Paix\nBâtiment B".into()),
            postcode: Some("75002".into()),
            city: Some("Paris".into()),
            country: Some("France".into()),
            custom: BTreeMap::new(),
        },
        account: AccountInfo {
            code: "C001".into(),
            currency: "EUR".into(),
            total_due: totals.due,
            total_overdue: totals.overdue,
            balance: totals.balance,
            total_covered: Totals::signed(&covered, "EUR"),
            items_count: totals.count,
            overdue_items_count: totals.overdue_count,
            held_items_count: totals.held_count,
            max_days_overdue: totals.max_days_overdue,
            grouped: true,
        },
        contact: Some(Contact {
            name: Some("Marie Curie".into()),
            email: "ap@client.example".into(),
            language: Some(lang.into()),
        }),
        collector: Some(Colleague {
            name: "Julie Martin".into(),
            email: "julie@acme.example".into(),
            phone: Some("+33 1 23 45 67 89".into()),
        }),
        leader: covered.first().cloned(),
        penalties: Penalties {
            items: vec![Penalty {
                customer: "C001".into(),
                reference: "INV-1001".into(),
                days_overdue: 50,
                remaining: eur(1234.56),
                currency: "EUR".into(),
                amount: eur(16.91),
            }],
            total: eur(16.91),
        },
        covered,
        items,
        members,
        step: Some("reminder_1".into()),
        scenario: Some("standard".into()),
        today: date(TODAY),
        links: Links::default(),
        previous: vec![Previous {
            step: "courtesy".into(),
            scenario: "standard".into(),
            date: date("2026-11-06"),
            kinds: vec!["email".into()],
        }],
    }
}

/// English table words and closing lines, none of which a message in
/// another language may show (but the words that language shares).
const ENGLISH: &[&str] = &[
    "Reference",
    "Issued",
    "Due",
    "Days overdue",
    "Amount",
    "Remaining",
    "Status",
    "Account",
    "Subtotal",
    "Total",
    "Penalty",
    "On hold (not requested now)",
    "No open items.",
];
const ENGLISH_PHRASES: &[&str] = &[
    "Best regards",
    "Kind regards",
    "Yours sincerely",
    "Yours faithfully",
    "Dear ",
    "Please ",
];

/// Words other languages write as English does.
fn shared_words(lang: &str) -> &'static [&'static str] {
    match lang {
        "fr" => &["Total"],
        "es" | "pt" => &["Total", "Subtotal"],
        "de" | "nl" => &["Status"],
        _ => &[],
    }
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn text(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An amount as the tables write it, in minor units: its digits, negative
/// with a minus sign (every amount of the rich account has two decimals).
fn minor(s: &str) -> Option<i64> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let n: i64 = digits.parse().ok()?;
    Some(if s.contains('-') { -n } else { n })
}

/// The cells of a table section, each row as (column index, colspan, text).
fn rows(table: ElementRef<'_>, section: &str) -> Vec<Vec<(usize, usize, String)>> {
    let tr = sel(&format!("{section} > tr"));
    let cell = sel("th, td");
    table
        .select(&tr)
        .map(|row| {
            let mut at = 0;
            row.select(&cell)
                .map(|c| {
                    let span: usize = c
                        .value()
                        .attr("colspan")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1);
                    let out = (at, span, text(c));
                    at += span;
                    out
                })
                .collect()
        })
        .collect()
}

/// A to-pay table's checks: every declared column filled, the footer total
/// the sum of the column it stands under, no held item. Returns its total.
fn check_table(
    table: ElementRef<'_>,
    held: &BTreeSet<&str>,
    problems: &mut Vec<String>,
) -> Option<i64> {
    let heads = rows(table, "thead");
    let body = rows(table, "tbody");
    let heads: Vec<String> = heads
        .first()
        .map(|r| r.iter().map(|(_, _, t)| t.clone()).collect())
        .unwrap_or_default();
    for (n, head) in heads.iter().enumerate() {
        if body
            .iter()
            .all(|r| r.iter().all(|(at, _, t)| *at != n || t.is_empty()))
        {
            problems.push(format!("column \"{head}\" is empty in every row"));
        }
    }
    for row in &body {
        for (_, _, t) in row {
            if held.contains(t.as_str()) {
                problems.push(format!("held item {t} is listed to pay"));
            }
        }
    }
    let foot = rows(table, "tfoot");
    let (column, value) = foot.first().and_then(|r| {
        r.iter()
            .find(|(_, _, t)| minor(t).is_some())
            .map(|(at, _, t)| (*at, t.clone()))
    })?;
    let sum: i64 = body
        .iter()
        .filter_map(|r| r.iter().find(|(at, _, _)| *at == column))
        .filter_map(|(_, _, t)| minor(t))
        .sum();
    let total = minor(&value)?;
    if sum != total {
        problems.push(format!(
            "the total {value} stands under \"{}\", whose rows add up to {sum}",
            heads.get(column).map_or("", String::as_str)
        ));
    }
    Some(total)
}

/// Checks one rendered HTML part against the context it was rendered from.
fn check_html(html: &str, ctx: &Context, lang: &str, statuses: &[Status]) -> Vec<String> {
    let mut problems = Vec::new();
    let doc = Html::parse_fragment(html);
    let held: BTreeSet<&str> = ctx
        .items
        .iter()
        .filter(|i| i.held)
        .map(|i| i.reference.as_str())
        .collect();

    // Tables of items to pay, and the totals a headline may repeat.
    let mut totals = Vec::new();
    for table in doc.select(&sel("table.relance-items")) {
        totals.extend(check_table(table, &held, &mut problems));
    }
    for p in doc.select(&sel("p.relance-total")) {
        totals.extend(minor(&text(p)));
    }
    // Held and penalty tables: filled columns too.
    for table in doc.select(&sel("table.relance-held, table.relance-penalties")) {
        check_table(table, &BTreeSet::new(), &mut problems);
    }

    // Headline amounts: an account total written outside the tables must
    // be the total of a table of the message.
    let lang_fmt = Lang::of(lang);
    let money = |m: Money| lang_fmt.money(m.minor, "EUR");
    let a = &ctx.account;
    let named = [
        ("total_due", a.total_due),
        ("total_overdue", a.total_overdue),
        ("balance", a.balance),
        ("total_covered", a.total_covered),
    ];
    let mut outside = String::new();
    for node in doc.root_element().descendants() {
        if let Some(t) = node.value().as_text() {
            // Layout tables (a table-based email) do not count: only the
            // statement tables relance writes hold amounts that are theirs.
            let in_table = node.ancestors().any(|n| {
                n.value().as_element().is_some_and(|e| {
                    e.name() == "table" && e.classes().any(|c| c.starts_with("relance-"))
                })
            });
            let in_total = node.ancestors().any(|n| {
                n.value()
                    .as_element()
                    .is_some_and(|e| e.classes().any(|c| c == "relance-total"))
            });
            if !in_table && !in_total {
                outside.push_str(t);
                outside.push(' ');
            }
        }
    }
    for (name, value) in named {
        let written = money(value);
        if outside.contains(&written) {
            let m = i64::try_from(value.minor).expect("a test amount");
            if !totals.contains(&m) {
                problems.push(format!(
                    "the headline {written} ({name}) is the total of no table of the message"
                ));
            }
        }
    }

    // Every word in the message's language.
    if Lang::of(lang).code != "en" {
        let shared = shared_words(lang);
        let mut english: Vec<String> = ENGLISH
            .iter()
            .filter(|w| !shared.contains(w))
            .map(|w| w.to_string())
            .collect();
        // A status label shown in English: the language has none of its own.
        english.extend(
            statuses
                .iter()
                .filter(|s| !s.labels.contains_key(lang) && s.label(lang) == s.label("en"))
                .map(|s| s.label("en")),
        );
        for cell in doc.select(&sel("th, td, p.relance-held-heading, p")) {
            let t = text(cell);
            if english.contains(&t) {
                problems.push(format!("English \"{t}\" in a message in {lang}"));
            }
        }
        let all = text(doc.root_element());
        for phrase in ENGLISH_PHRASES {
            if all.contains(phrase) {
                problems.push(format!(
                    "English \"{}\" in a message in {lang}",
                    phrase.trim()
                ));
            }
        }
    }
    problems
}

// ---------------------------------------------------------------------------
// A configuration written the way the contract asks: headline amounts beside
// their tables, held items apart, per-language partials and status labels.

const MAIN: &str = r#"settings {
  company          "ACME Industries SAS"
  currency         "EUR"
  language         "en"
  default_scenario "standard"
}
status "promise" {
  label "Promise to pay" fr "Promesse de paiement" de "Zahlungszusage" es "Promesa de pago"
  suspends until item.promise_date + 3d
}
status "litigation" {
  label "In litigation" fr "Contentieux" de "Rechtsstreit" es "En litigio"
  excludes
}
scenario "standard" {
  step "reminder_1" at due + 7d  { email "reminder_1" to billing }
  step "reminder_2" at due + 21d { email "reminder_2" to billing }
  step "notice"     at due + 45d {
    letter "formal_notice"
    penalties
  }
}
"#;

/// Per language: the greeting, "overdue", "balance", "notice", the
/// signature's closing line.
const WORDS: &[(&str, [&str; 5])] = &[
    (
        "en",
        [
            "Dear",
            "is overdue",
            "Your balance is",
            "Formal notice: pay",
            "Best regards",
        ],
    ),
    (
        "fr",
        [
            "Bonjour",
            "sont échus",
            "Votre solde est de",
            "Mise en demeure de payer",
            "Cordialement",
        ],
    ),
    (
        "de",
        [
            "Guten Tag",
            "sind überfällig",
            "Ihr Saldo beträgt",
            "Mahnung: zahlen Sie",
            "Mit freundlichen Grüßen",
        ],
    ),
    (
        "es",
        [
            "Estimado cliente",
            "están vencidos",
            "Su saldo es de",
            "Requerimiento de pago:",
            "Atentamente",
        ],
    ),
];

/// Writes the configuration into `dir`.
fn write_config(dir: &Path) {
    let write = |path: &str, text: &str| {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&p, text).expect("a file");
    };
    write("main.relance", MAIN);
    write(
        "templates/partials/signature.html",
        "<p>Best regards,<br>#collector_name — #company_name</p>",
    );
    for (lang, [hello, overdue, balance, notice, regards]) in WORDS {
        write(
            &format!("templates/{lang}/reminder_1.html"),
            &format!(
                "---\nsubject: #customer_name\n---\n<p>{hello} #contact_name,</p>\n\
                 <p>{{% if previous %}}#previous_date: {{% endif %}}#total_overdue {overdue}.</p>\n\
                 #items_list_overdue\n{{% include \"partials/signature.html\" %}}\n"
            ),
        );
        write(
            &format!("templates/{lang}/reminder_2.html"),
            &format!(
                "---\nsubject: #customer_code\n---\n<p>{balance} #balance.</p>\n\
                 #items_list_collection_grouped_splitted\n<p>#balance</p>\n#items_list\n\
                 {{% include \"partials/signature.html\" %}}\n"
            ),
        );
        write(
            &format!("templates/{lang}/formal_notice.html"),
            &format!(
                "<p>{notice} #total_covered.</p>\n#items_list_covered\n#late_penalties\n\
                 {{% include \"partials/signature.html\" %}}\n"
            ),
        );
        if *lang != "en" {
            write(
                &format!("templates/partials/{lang}/signature.html"),
                &format!("<p>{regards},<br>#collector_name — #company_name</p>"),
            );
        }
    }
}

fn loaded(dir: &Path) -> (Templates, Vec<Status>) {
    let report = relance_engine::config::load(dir).expect("the configuration loads");
    assert!(!report.has_errors(), "{:?}", report.checked.diagnostics);
    let templates = relance_engine::config::templates(&report.sources, &report.checked.config)
        .expect("the templates load");
    let languages = templates.languages();
    let statuses = report
        .checked
        .config
        .statuses
        .values()
        .map(|d| Status::of(d, &languages))
        .collect();
    (templates, statuses)
}

#[test]
fn every_template_in_every_language_adds_up_and_speaks_its_language() {
    let dir = tempfile::tempdir().expect("a temp dir");
    write_config(dir.path());
    let (templates, statuses) = loaded(dir.path());
    assert_eq!(
        templates.languages().into_iter().collect::<Vec<_>>(),
        ["de", "en", "es", "fr"]
    );
    let problems = check_templates(&templates, &statuses);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_rich_account_shows_what_each_check_looks_at() {
    let dir = tempfile::tempdir().expect("a temp dir");
    write_config(dir.path());
    let (templates, statuses) = loaded(dir.path());
    let ctx = rich_context("fr", &statuses);
    let r = templates
        .render("reminder_1", &ctx, Some("fr"))
        .expect("renders");
    let doc = Html::parse_fragment(&r.html);
    // Issue dates, the overdue total under "Reste dû", the held items apart.
    let heads: Vec<String> = doc
        .select(&sel("table.relance-items th"))
        .map(text)
        .collect();
    assert!(heads.contains(&"Date".to_string()), "{heads:?}");
    let table = doc
        .select(&sel("table.relance-items"))
        .next()
        .expect("a table to pay");
    let mut problems = Vec::new();
    let total = check_table(table, &BTreeSet::new(), &mut problems);
    assert_eq!(total, Some(123_456 + 25_000 + 9_999), "{problems:?}");
    assert!(problems.is_empty(), "{problems:?}");
    assert!(
        r.html.contains("6 novembre 2026: 1 584,55 € sont échus."),
        "{}",
        r.html
    );
    let held: Vec<String> = doc
        .select(&sel("table.relance-held td"))
        .map(text)
        .collect();
    assert!(held.contains(&"Contentieux".to_string()), "{held:?}");
    assert!(
        held.contains(&"Promesse de paiement".to_string()),
        "{held:?}"
    );
    assert!(r.html.contains("Cordialement"), "{}", r.html);
    assert!(!r.html.contains("Best regards"), "{}", r.html);
}

#[test]
fn the_checks_catch_what_users_saw() {
    let dir = tempfile::tempdir().expect("a temp dir");
    write_config(dir.path());
    // A headline over the wrong table, English closing lines and labels in
    // French, a letter demanding an amount no table adds up.
    std::fs::write(
        dir.path().join("templates/en/reminder_1.html"),
        "---\nsubject: x\n---\n<p>#total_overdue remains unpaid</p>\n#items_list\n",
    )
    .expect("a template");
    std::fs::remove_file(dir.path().join("templates/partials/fr/signature.html")).expect("rm");
    let main = std::fs::read_to_string(dir.path().join("main.relance")).expect("main.relance");
    std::fs::write(
        dir.path().join("main.relance"),
        main.replace(r#" fr "Contentieux""#, ""),
    )
    .expect("main.relance");
    std::fs::write(
        dir.path().join("templates/fr/formal_notice.html"),
        "<p>Mise en demeure : #total_overdue.</p>\n#late_penalties\n",
    )
    .expect("a template");
    std::fs::write(
        dir.path().join("templates/fr/reminder_2.txt"),
        "#balance\n#items_list\nKind regards\n",
    )
    .expect("a template");
    let (templates, statuses) = loaded(dir.path());
    let problems = check_templates(&templates, &statuses).join("\n");
    for expected in [
        "en/reminder_1: the headline €1,584.55 (total_overdue) is the total of no table",
        "fr/reminder_1: English \"Best regards\" in a message in fr",
        "fr/reminder_1: English \"In litigation\" in a message in fr",
        "fr/formal_notice: the headline 1 584,55 € (total_overdue) is the total of no table",
        "fr/reminder_2: English \"Kind regards\" in the text part in fr",
    ] {
        assert!(problems.contains(expected), "{expected}\nin:\n{problems}");
    }

    // A table whose total sits under Status, with an empty column, listing
    // a held item.
    let html = "<table class=\"relance-items\"><thead><tr><th>Reference</th><th>Remaining</th>\
        <th>Status</th><th>Note</th></tr></thead><tbody>\
        <tr><td>INV-1</td><td>€10.00</td><td></td><td></td></tr>\
        <tr><td>INV-0900</td><td>€5.00</td><td>In litigation</td><td></td></tr></tbody>\
        <tfoot><tr><th colspan=\"2\">Total</th><th>€15.00</th><td></td></tr></tfoot></table>";
    let doc = Html::parse_fragment(html);
    let table = doc.select(&sel("table")).next().expect("a table");
    let mut problems = Vec::new();
    check_table(table, &BTreeSet::from(["INV-0900"]), &mut problems);
    assert_eq!(
        problems,
        [
            "column \"Note\" is empty in every row",
            "held item INV-0900 is listed to pay",
            "the total €15.00 stands under \"Status\", whose rows add up to 0",
        ]
    );
}

#[test]
fn the_shipped_configuration_adds_up_and_speaks_its_languages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let problems = check_config_dir(&dir);
    assert!(problems.is_empty(), "{problems:#?}");
}
