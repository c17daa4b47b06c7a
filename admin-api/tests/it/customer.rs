//! The customer page over real HTTP on both backends: a signed link opens
//! the statement and the shared files; tampered, foreign and expired links
//! get their pages (404, 410); answers without the form token are refused
//! (403) and write nothing; a promise too far ahead is shown back with its
//! error and writes nothing; a promise, a dispute with a file (an `.exe`
//! refused first) and a payment claim are recorded with origin `customer`
//! and reach the collector's digest; past the rate limit, 429.

use relance_engine::links::{Signer, page_path};
use relance_engine::store::files::{self as table, FileFilter};
use relance_engine::store::{Store, history, items, notices};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::support::{Api, LINK_KEY, OPERATOR, days_ahead};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

/// The path and query of a link to `account`'s page valid for an hour (or
/// expired a minute ago).
pub fn page_link(account: &str, expired: bool) -> String {
    let signer = Signer::new(LINK_KEY).expect("the key");
    let now = chrono::Utc::now();
    let (link, _) = if expired {
        signer.page_link(
            account,
            now - chrono::Duration::hours(2),
            chrono::Duration::hours(1),
            "",
        )
    } else {
        signer.page_link(account, now, chrono::Duration::hours(1), "")
    };
    link
}

/// A client that does not follow redirects.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// What a page answer holds.
struct Got {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

async fn get(api: &Api, path: &str) -> Got {
    let r = client()
        .get(format!("{}{path}", api.base))
        .send()
        .await
        .expect("an answer");
    Got {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.expect("a body"),
    }
}

/// The form token the page set, and the link's `exp` and `sig`.
struct Session {
    token: String,
    exp: String,
    sig: String,
}

async fn open(api: &Api, account: &str) -> (Session, Got) {
    let link = page_link(account, false);
    let got = get(api, &link).await;
    assert_eq!(got.status, 200, "{}", got.text);
    let cookie = got
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("relance_page="))
        .expect("the form cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/c/"), "{cookie}");
    let token = cookie["relance_page=".len()..]
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        got.text
            .contains(&format!("name=\"csrf\" value=\"{token}\"")),
        "the forms carry the cookie's token"
    );
    let query = link.split_once('?').expect("a query").1;
    let mut exp = String::new();
    let mut sig = String::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("exp", v)) => exp = v.to_string(),
            Some(("sig", v)) => sig = v.to_string(),
            _ => {}
        }
    }
    (Session { token, exp, sig }, got)
}

async fn post_form(
    api: &Api,
    account: &str,
    what: &str,
    s: &Session,
    fields: &[(&str, &str)],
    with_token: bool,
) -> Got {
    let mut pairs: Vec<(&str, &str)> = vec![("exp", &s.exp), ("sig", &s.sig)];
    if with_token {
        pairs.push(("csrf", &s.token));
    }
    pairs.extend_from_slice(fields);
    let mut request = client()
        .post(format!("{}{}/{what}", api.base, page_path(account)))
        .form(&pairs);
    if with_token {
        request = request.header("cookie", format!("relance_page={}", s.token));
    }
    let r = request.send().await.expect("an answer");
    Got {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.expect("a body"),
    }
}

async fn post_multipart(
    api: &Api,
    account: &str,
    what: &str,
    s: &Session,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Got {
    let mut form = Form::new()
        .text("exp", s.exp.clone())
        .text("sig", s.sig.clone())
        .text("csrf", s.token.clone());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    form = match file {
        Some((name, content)) => form.part(
            "file",
            Part::bytes(content.to_vec()).file_name(name.to_string()),
        ),
        None => form.part("file", Part::bytes(Vec::new()).file_name("")),
    };
    let r = client()
        .post(format!("{}{}/{what}", api.base, page_path(account)))
        .header("cookie", format!("relance_page={}", s.token))
        .multipart(form)
        .send()
        .await
        .expect("an answer");
    Got {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.expect("a body"),
    }
}

async fn status_of(store: &Store, customer: &str, reference: &str) -> items::ItemStatus {
    let mut tx = store.begin().await.expect("tx");
    let s = items::item_status(&mut tx, customer, reference)
        .await
        .expect("status")
        .expect("the item");
    tx.rollback().await.expect("rollback");
    s
}

async fn history_kinds(store: &Store, customer: &str) -> Vec<(String, String, String)> {
    let mut tx = store.begin().await.expect("tx");
    let lines = history::history_of(&mut tx, customer)
        .await
        .expect("history");
    tx.rollback().await.expect("rollback");
    lines
        .into_iter()
        .map(|l| (l.kind, l.origin, l.data))
        .collect()
}

/// The notices the colleagues' digests carry: `(colleague, kind, entry)`.
async fn digest_notices(store: &Store) -> Vec<(String, String, String)> {
    let day = chrono::Utc::now().date_naive().to_string();
    notices::open_digests(store, &day, "2026-01-01T00:00:00Z", "test")
        .await
        .expect("digests");
    let claimed = notices::claim(
        store,
        "test",
        "9999-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        100,
    )
    .await
    .expect("claimed");
    claimed
        .into_iter()
        .flat_map(|m| {
            m.notices
                .into_iter()
                .map(move |n| (m.colleague.clone(), n.kind, n.entry))
        })
        .collect()
}

async fn the_customer_page_shows_the_account_and_records_answers(api: Api) {
    // A file shared with the customer, and one kept internal.
    for (share, name) in [("customer", "copy.pdf"), ("internal", "secret.pdf")] {
        let form = Form::new().text("share", share).part(
            "file",
            Part::bytes(PDF.to_vec()).file_name(name.to_string()),
        );
        let created = api
            .send(
                api.request(
                    reqwest::Method::POST,
                    "/items/C1/INV-2/files",
                    Some(OPERATOR),
                )
                .multipart(form),
            )
            .await;
        created.ok(201);
    }

    // The page: statement split by member, the shared file only, headers.
    let (s, page) = open(&api, "C1").await;
    assert!(page.text.contains("INV-2") && page.text.contains("INV-4"));
    assert!(page.text.contains("Member Two"), "the member's group");
    assert!(page.text.contains("Client &lt;One&gt; &amp; Co"), "escaped");
    assert!(page.text.contains("copy.pdf"));
    assert!(!page.text.contains("secret.pdf"));
    assert!(!page.text.contains("<script"));
    assert!(page.text.contains("name=\"viewport\""));
    let h = |name: &str| {
        page.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(h("cache-control"), "no-store");
    assert_eq!(h("referrer-policy"), "no-referrer");
    assert_eq!(h("x-frame-options"), "DENY");
    assert!(!h("content-security-policy").contains("script-src"));
    assert!(h("content-security-policy").contains("default-src 'none'"));
    // The shared file downloads from its signed link.
    let href = page
        .text
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|h| h.contains("/download?"))
        .expect("a download link")
        .replace("&amp;", "&");
    assert!(
        href.starts_with(&api.base),
        "absolute, at the public address: {href}"
    );
    let file = client().get(&href).send().await.expect("the file");
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.expect("bytes").as_ref(), PDF);

    // Links that do not open.
    let link = page_link("C1", false);
    let tampered = link.replace("sig=", "sig=A");
    let got = get(&api, &tampered).await;
    assert_eq!(got.status, 404);
    assert!(got.text.contains("Link not valid"));
    let c3 = page_link("C3", false).replace("/c/C3", "/c/C1");
    assert_eq!(get(&api, &c3).await.status, 404);
    assert_eq!(get(&api, &page_link("NOPE", false)).await.status, 404);
    assert_eq!(get(&api, "/c/C1").await.status, 404);
    let expired = get(&api, &page_link("C1", true)).await;
    assert_eq!(expired.status, 410, "{}", expired.text);
    assert!(expired.text.contains("This link has expired"));
    assert!(expired.text.contains("ask the sender"));

    let promised = days_ahead(10).to_string();
    // No form token: refused, nothing written.
    let before = history_kinds(&api.store, "C1").await.len();
    let got = post_form(
        &api,
        "C1",
        "promise",
        &s,
        &[("date", &promised), ("items", "C1/INV-2")],
        false,
    )
    .await;
    assert_eq!(got.status, 403, "{}", got.text);
    assert_eq!(status_of(&api.store, "C1", "INV-2").await.status, None);
    // A date past the limit (30 days by default): shown back, nothing written.
    let far = days_ahead(45).to_string();
    let got = post_form(
        &api,
        "C1",
        "promise",
        &s,
        &[("date", &far), ("items", "C1/INV-2")],
        true,
    )
    .await;
    assert_eq!(got.status, 422, "{}", got.text);
    assert!(got.text.contains("at most 30 days"), "{}", got.text);
    assert!(got.text.contains(&format!("value=\"{far}\"")), "kept");
    assert_eq!(status_of(&api.store, "C1", "INV-2").await.status, None);
    assert_eq!(history_kinds(&api.store, "C1").await.len(), before);

    // A promise: the status, the history, the confirmation.
    let got = post_form(
        &api,
        "C1",
        "promise",
        &s,
        &[
            ("date", &promised),
            ("amount", "150"),
            ("items", "C1/INV-2"),
        ],
        true,
    )
    .await;
    assert_eq!(got.status, 303, "{}", got.text);
    let to = got
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a location")
        .to_string();
    assert!(to.ends_with("&done=promise"), "{to}");
    let done = get(&api, &to).await;
    assert_eq!(done.status, 200);
    assert!(done.text.contains("Your promise to pay has been recorded"));
    let st = status_of(&api.store, "C1", "INV-2").await;
    assert_eq!(st.status.as_deref(), Some("promise"));
    assert_eq!(st.promise_date.as_deref(), Some(promised.as_str()));
    assert_eq!(st.comment.as_deref(), Some("Promised amount: 150.00 EUR"));
    let lines = history_kinds(&api.store, "C1").await;
    assert!(
        lines
            .iter()
            .any(|(k, o, _)| k == "status_set" && o == "customer"),
        "{lines:?}"
    );

    // A dispute: an .exe is refused (nothing written), then a PDF goes in.
    let got = post_multipart(
        &api,
        "C1",
        "dispute",
        &s,
        &[
            ("item", "C1/INV-4"),
            ("reason", "wrong_amount"),
            ("comment", "We ordered 3, not 4"),
        ],
        Some(("virus.exe", b"MZ\x90\x00")),
    )
    .await;
    assert_eq!(got.status, 422, "{}", got.text);
    assert!(got.text.contains("This file cannot be attached"));
    assert_eq!(status_of(&api.store, "C1", "INV-4").await.status, None);
    let got = post_multipart(
        &api,
        "C1",
        "dispute",
        &s,
        &[
            ("item", "C1/INV-4"),
            ("reason", "wrong_amount"),
            ("comment", "We ordered 3, not 4"),
        ],
        Some(("credit-request.pdf", PDF)),
    )
    .await;
    assert_eq!(got.status, 303, "{}", got.text);
    let st = status_of(&api.store, "C1", "INV-4").await;
    assert_eq!(st.status.as_deref(), Some("dispute"));
    assert_eq!(
        st.comment.as_deref(),
        Some("Wrong amount: We ordered 3, not 4")
    );
    let mut tx = api.store.begin().await.expect("tx");
    let attached = table::list(
        &mut tx,
        &FileFilter {
            customer: Some("C1".into()),
            reference: Some("INV-4".into()),
            hidden: false,
        },
    )
    .await
    .expect("files");
    tx.rollback().await.expect("rollback");
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].name, "credit-request.pdf");
    assert_eq!(attached[0].visibility, "internal");
    assert_eq!(attached[0].uploaded_by, "customer");

    // "I already paid" on the member's item: a claim, no status.
    let paid_on = chrono::Utc::now().date_naive().to_string();
    let got = post_multipart(
        &api,
        "C1",
        "paid",
        &s,
        &[
            ("date", &paid_on),
            ("reference", "VIR-2026-118"),
            ("items", "C2/INV-3"),
        ],
        None,
    )
    .await;
    assert_eq!(got.status, 303, "{}", got.text);
    assert_eq!(status_of(&api.store, "C2", "INV-3").await.status, None);
    let lines = history_kinds(&api.store, "C2").await;
    let claim = lines
        .iter()
        .find(|(k, _, _)| k == "payment_claimed")
        .expect("a payment claim");
    assert_eq!(claim.1, "customer");
    assert!(claim.2.contains("VIR-2026-118"), "{}", claim.2);

    // The collector (not the manager or sales) hears of the three answers.
    let told = digest_notices(&api.store).await;
    let answers: Vec<&(String, String, String)> = told
        .iter()
        .filter(|(_, k, _)| k == "customer_answer")
        .collect();
    assert_eq!(answers.len(), 3, "{told:?}");
    assert!(answers.iter().all(|(c, _, _)| c == "julie@acme.example"));
    assert!(
        answers
            .iter()
            .any(|(_, _, e)| e.contains(&format!("Promise to pay by {promised}")))
    );
    assert!(
        answers
            .iter()
            .any(|(_, _, e)| e.contains("Dispute: Wrong amount"))
    );
    assert!(answers.iter().any(|(_, _, e)| e.contains("VIR-2026-118")));

    // A customer whose language is French reads the page, the statement
    // and the expiry page in French.
    crate::support::import(
        &api.store,
        &[(
            "customers.csv",
            "code,name,currency,language\nC3,Client Three,USD,fr\n",
        )],
    )
    .await;
    let (_, fr) = open(&api, "C3").await;
    assert!(fr.text.contains("<html lang=\"fr\""));
    assert!(fr.text.contains("Votre compte"), "{}", fr.text);
    assert!(fr.text.contains("Promesse de paiement"));
    assert!(
        fr.text.contains("Jours de retard"),
        "the statement in French"
    );
    let expired = get(&api, &page_link("C3", true)).await;
    assert_eq!(expired.status, 410);
    assert!(
        expired.text.contains("Ce lien a expiré"),
        "{}",
        expired.text
    );

    // Past the rate limit of answers on one account: 429.
    let (s3, _) = open(&api, "C3").await;
    for _ in 0..relance_admin_api::customer::limit::POSTS_PER_ACCOUNT {
        let got = post_form(&api, "C3", "promise", &s3, &[], false).await;
        assert_eq!(got.status, 403);
    }
    let got = post_form(&api, "C3", "promise", &s3, &[], false).await;
    assert_eq!(got.status, 429, "{}", got.text);
    assert!(got.headers.contains_key("retry-after"));
    api.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_page_over_http_on_sqlite() {
    the_customer_page_shows_the_account_and_records_answers(Api::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_page_over_http_on_postgres() {
    if let Some(api) = Api::postgres().await {
        the_customer_page_shows_the_account_and_records_answers(api).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_link_key_no_customer_page_opens() {
    let api = Api::sqlite_without_link_key().await;
    let got = get(&api, &page_link("C1", false)).await;
    assert_eq!(got.status, 404, "{}", got.text);
    assert!(got.text.contains("Link not valid"));
    api.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_over_the_upload_limit_gets_a_page_and_nothing_is_written() {
    let api = Api::sqlite().await;
    let link = page_link("C1", false);
    let (path, query) = link.split_once('?').expect("a query");
    let mut big = PDF.to_vec();
    big.resize(relance_admin_api::routes::files::UPLOAD_LIMIT + 1024, b' ');
    let form = Form::new()
        .text("item", "C1/INV-2")
        .text("reason", "wrong_amount")
        .text("comment", "too big")
        .part("file", Part::bytes(big).file_name("scan.pdf"));
    let r = client()
        .post(format!("{}{path}/dispute?{query}", api.base))
        .multipart(form)
        .send()
        .await
        .expect("an answer");
    assert_eq!(r.status(), 413);
    assert!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        r.headers()
    );
    let text = r.text().await.expect("a page");
    assert!(text.contains("This file is too large"), "{text}");
    let mut tx = api.store.begin().await.expect("tx");
    let status = items::item_status(&mut tx, "C1", "INV-2")
        .await
        .expect("status")
        .expect("the item");
    tx.rollback().await.expect("rollback");
    assert_eq!(status.status, None, "nothing recorded");
    api.cleanup().await;
}
