//! The web workspace over real HTTP: sign-in, sessions, roles and CSRF, as
//! a browser without JavaScript uses them (cookies by hand, forms posted
//! urlencoded), and the store looked at behind the pages.

use relance_admin_api::auth::Role;
use relance_admin_api::ui::logins;
use relance_engine::store::Store;
use relance_engine::store::history;
use relance_engine::store::items;
use relance_engine::store::tasks::TaskFilter;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::support::{Api, DAY, import};

/// Julie, the collector (operator).
pub const JULIE: &str = "julie@acme.example";
/// Sam, sales (viewer).
pub const SAM: &str = "sam@acme.example";
/// Max, the manager (operator).
pub const MAX: &str = "max@acme.example";
/// Everyone's password in these tests.
pub const PASSWORD: &str = "a long enough password";

/// C5 in the standard scenario, assigned to Julie, with an invoice whose
/// call falls on [`DAY`] (due + 30 days).
const C5: &[(&str, &str)] = &[
    ("customers.csv", "code,name,currency\nC5,Client Five,EUR\n"),
    (
        "contacts.csv",
        "customer,email,name\nC5,ap@five.example,Fiona\n",
    ),
    (
        "assignments.csv",
        "customer,colleague\nC5,julie@acme.example\n",
    ),
    (
        "items.csv",
        "customer,reference,type,due_date,amount,currency\nC5,INV-7,invoice,2026-10-21,700.00,EUR\n",
    ),
];

/// A server with the fixture, C5 taken through its reminders to the day of
/// its call, and logins for Julie (operator), Sam (viewer), Max (operator).
pub async fn workspace() -> Api {
    workspace_on(Api::sqlite().await).await
}

/// [`workspace`] on the server given.
pub async fn workspace_on(api: Api) -> Api {
    import(&api.store, C5).await;
    for date in ["2026-10-28", "2026-11-11", DAY] {
        let run = api.run_to_end(serde_json::json!({ "date": date })).await;
        assert_eq!(run["state"], "done", "{run}");
    }
    logins::set(
        &api.store,
        JULIE,
        Role::Operator,
        Some("en"),
        Some(PASSWORD),
    )
    .await
    .expect("julie's login");
    logins::set(&api.store, SAM, Role::Viewer, None, Some(PASSWORD))
        .await
        .expect("sam's login");
    logins::set(&api.store, MAX, Role::Operator, Some("fr"), Some(PASSWORD))
        .await
        .expect("max's login");
    api
}

/// Julie's open call task on C5.
pub async fn call_task(store: &Store) -> relance_engine::store::tasks::TaskRow {
    let tasks = relance_engine::tasks::list(
        store,
        &TaskFilter {
            account: Some("C5".into()),
            ..TaskFilter::default()
        },
    )
    .await
    .expect("tasks");
    tasks
        .into_iter()
        .find(|t| t.kind == "call")
        .expect("the run opened C5's call task")
}

/// A client that follows no redirects and keeps no cookies.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// A cookie's value in a response.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            let (k, value) = pair.split_once('=')?;
            (k == name).then(|| value.to_string())
        })
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a csrf field");
    let rest = &html[at + 19..];
    rest[..rest.find('"').expect("the value ends")].to_string()
}

/// A signed-in browser: its session cookie and its pages' CSRF token.
#[derive(Debug, Clone)]
pub struct Signed {
    /// `relance_session=...`.
    cookie: String,
    /// The form token of its pages.
    csrf: String,
}

/// Signs in through the form; `None` when refused (with the status).
async fn try_sign_in(
    api: &Api,
    email: &str,
    password: &str,
) -> Result<Signed, (StatusCode, String)> {
    let http = client();
    let form = http
        .get(format!("{}/ui/login", api.base))
        .send()
        .await
        .expect("the login page");
    let token = set_cookie(&form, "relance_signin").expect("a sign-in cookie");
    let html = form.text().await.expect("a page");
    let response = http
        .post(format!("{}/ui/login", api.base))
        .header(COOKIE, format!("relance_signin={token}"))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf", &csrf_of(&html)),
            ("next", "/ui/"),
        ])
        .send()
        .await
        .expect("an answer");
    if response.status() != StatusCode::SEE_OTHER {
        let status = response.status();
        return Err((status, response.text().await.unwrap_or_default()));
    }
    let session = set_cookie(&response, "relance_session").expect("a session cookie");
    let header = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("relance_session="))
        .expect("the cookie header")
        .to_string();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/ui"] {
        assert!(header.contains(flag), "{header} lacks {flag}");
    }
    let cookie = format!("relance_session={session}");
    let today = http
        .get(format!("{}/ui/", api.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("today");
    assert_eq!(today.status(), StatusCode::OK);
    let csrf = csrf_of(&today.text().await.expect("a page"));
    Ok(Signed { cookie, csrf })
}

async fn sign_in(api: &Api, email: &str) -> Signed {
    try_sign_in(api, email, PASSWORD)
        .await
        .unwrap_or_else(|(s, body)| panic!("{email} cannot sign in: {s} {body}"))
}

/// Posts a form as `who`, with `csrf` (or none) as the token.
async fn post(
    api: &Api,
    who: &Signed,
    path: &str,
    csrf: Option<&str>,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    if let Some(c) = csrf {
        form.push(("csrf", c));
    }
    let response = client()
        .post(format!("{}{path}", api.base))
        .header(COOKIE, &who.cookie)
        .form(&form)
        .send()
        .await
        .expect("an answer");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn get(api: &Api, who: &Signed, path: &str) -> (StatusCode, String) {
    let response = client()
        .get(format!("{}{path}", api.base))
        .header(COOKIE, &who.cookie)
        .send()
        .await
        .expect("an answer");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn status_of(store: &Store, customer: &str, reference: &str) -> Option<String> {
    let mut tx = store.begin().await.expect("a tx");
    let s = items::item_status(&mut tx, customer, reference)
        .await
        .expect("a status")
        .expect("the item");
    tx.rollback().await.expect("rollback");
    s.status
}

async fn waiting_review(store: &Store) -> i64 {
    let waiting = relance_engine::approve::waiting(store, Some("C1"), None)
        .await
        .expect("waiting actions");
    *waiting.first().expect("C1 has a review action")
}

#[tokio::test]
async fn a_viewer_cannot_complete_approve_or_qualify() {
    let api = workspace().await;
    let sam = sign_in(&api, SAM).await;
    let task = call_task(&api.store).await;
    let review = waiting_review(&api.store).await;
    let (status, body) = post(
        &api,
        &sam,
        &format!("/ui/tasks/{}/done", task.id),
        Some(&sam.csrf),
        &[("outcome", "reached"), ("note", "x"), ("promise_date", "")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("Your role does not allow this."), "{body}");
    let (status, _) = post(
        &api,
        &sam,
        &format!("/ui/actions/{review}/approve"),
        Some(&sam.csrf),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &api,
        &sam,
        "/ui/items/C1/INV-2/status",
        Some(&sam.csrf),
        &[
            ("status", "dispute"),
            ("comment", "no"),
            ("promise_date", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &api,
        &sam,
        "/ui/accounts/C1/notes",
        Some(&sam.csrf),
        &[("note", "hi")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nothing changed.
    assert_eq!(call_task(&api.store).await.state, "open");
    assert_eq!(waiting_review(&api.store).await, review);
    assert_eq!(status_of(&api.store, "C1", "INV-2").await, None);
    // The viewer reads, and the page offers no forms that change anything.
    let (status, page) = get(&api, &sam, "/ui/accounts/C1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("/status\""), "{page}");
    assert!(page.contains("Your role reads only"));
    api.cleanup().await;
}

#[tokio::test]
async fn a_session_cannot_act_as_another_colleague() {
    let api = workspace().await;
    let julie = sign_in(&api, JULIE).await;
    let max = sign_in(&api, MAX).await;
    assert_ne!(julie.csrf, max.csrf);
    // Julie's cookie with Max's token: refused, nothing changes.
    let (status, body) = post(
        &api,
        &julie,
        "/ui/items/C1/INV-2/status",
        Some(&max.csrf),
        &[
            ("status", "dispute"),
            ("comment", "as max"),
            ("promise_date", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(status_of(&api.store, "C1", "INV-2").await, None);
    // With her own token it works, and the history names her.
    let (status, _) = post(
        &api,
        &julie,
        "/ui/items/C1/INV-2/status",
        Some(&julie.csrf),
        &[
            ("status", "dispute"),
            ("comment", "wrong quantity"),
            ("promise_date", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        status_of(&api.store, "C1", "INV-2").await.as_deref(),
        Some("dispute")
    );
    let (status, _) = post(
        &api,
        &max,
        "/ui/accounts/C1/notes",
        Some(&max.csrf),
        &[("note", "Called the CFO")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut tx = api.store.begin().await.expect("tx");
    let lines = history::history_of(&mut tx, "C1").await.expect("history");
    tx.rollback().await.expect("rollback");
    let set = lines
        .iter()
        .rev()
        .find(|l| l.kind == "status_set")
        .expect("a status line");
    assert_eq!(set.origin, format!("ui:{JULIE}"));
    let note = lines
        .iter()
        .rev()
        .find(|l| l.kind == "account_note")
        .expect("a note line");
    assert_eq!(note.origin, format!("ui:{MAX}"));
    assert!(note.data.contains("Called the CFO"));
    // Max reads in French.
    let (_, page) = get(&api, &max, "/ui/accounts/C1").await;
    assert!(page.contains("<html lang=\"fr\">") && page.contains("Historique"));
    api.cleanup().await;
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused() {
    let api = workspace().await;
    let julie = sign_in(&api, JULIE).await;
    let task = call_task(&api.store).await;
    let (status, body) = post(
        &api,
        &julie,
        &format!("/ui/tasks/{}/done", task.id),
        None,
        &[
            ("outcome", "promise"),
            ("promise_date", "2026-12-01"),
            ("note", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Reload the page"), "{body}");
    let (status, _) = post(
        &api,
        &julie,
        "/ui/items/C1/INV-2/status",
        Some("forged"),
        &[("status", "dispute")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(call_task(&api.store).await.state, "open");
    assert_eq!(status_of(&api.store, "C1", "INV-2").await, None);
    // A form from another site is refused even with the token.
    let response = client()
        .post(format!("{}/ui/accounts/C1/notes", api.base))
        .header(COOKIE, &julie.cookie)
        .header("Origin", "https://evil.example")
        .form(&[("note", "x"), ("csrf", &julie.csrf)])
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    api.cleanup().await;
}

#[tokio::test]
async fn a_wrong_password_fails_without_saying_whether_the_address_exists() {
    let api = workspace().await;
    let (wrong_password, a) = try_sign_in(&api, JULIE, "not her password at all")
        .await
        .expect_err("refused");
    let (unknown, b) = try_sign_in(&api, "nobody@acme.example", PASSWORD)
        .await
        .expect_err("refused");
    assert_eq!(wrong_password, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown, StatusCode::UNAUTHORIZED);
    let message = "The email address or the password is wrong.";
    assert!(a.contains(message) && b.contains(message));
    // The pages differ only by their fresh form token.
    assert_eq!(a.replace(&csrf_of(&a), ""), b.replace(&csrf_of(&b), ""));
    // No API token opens the workspace.
    let response = client()
        .get(format!("{}/ui/", api.base))
        .bearer_auth(crate::support::ADMIN)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    api.cleanup().await;
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let api = workspace().await;
    let julie = sign_in(&api, JULIE).await;
    let (status, _) = post(&api, &julie, "/ui/logout", Some(&julie.csrf), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let response = client()
        .get(format!("{}/ui/", api.base))
        .header(COOKIE, &julie.cookie)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(to.starts_with("/ui/login"), "{to}");
    let (status, _) = post(
        &api,
        &julie,
        "/ui/accounts/C1/notes",
        Some(&julie.csrf),
        &[("note", "late")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    api.cleanup().await;
}

#[tokio::test]
async fn a_one_time_link_signs_in_once() {
    let api = workspace().await;
    let url = logins::link(&api.store, JULIE, &api.base)
        .await
        .expect("a link");
    let http = client();
    let page = http.get(&url).send().await.expect("the link page");
    assert_eq!(page.status(), StatusCode::OK, "a GET never uses the link");
    let token = set_cookie(&page, "relance_signin").expect("a sign-in cookie");
    let csrf = csrf_of(&page.text().await.expect("a page"));
    let use_it = || {
        http.post(&url)
            .header(COOKIE, format!("relance_signin={token}"))
            .form(&[("csrf", csrf.as_str())])
            .send()
    };
    let first = use_it().await.expect("an answer");
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&first, "relance_session").is_some());
    let second = use_it().await.expect("an answer");
    assert_eq!(second.status(), StatusCode::GONE);
    api.cleanup().await;
}

#[tokio::test]
async fn today_lists_my_task_reviews_and_alerts_and_a_task_completes() {
    today_and_a_task(workspace().await).await;
}

#[tokio::test]
async fn on_postgres_the_pages_and_a_task_work_alike() {
    let Some(api) = Api::postgres().await else {
        return;
    };
    today_and_a_task(workspace_on(api).await).await;
}

async fn today_and_a_task(api: Api) {
    let (status, page) = {
        let julie = sign_in(&api, JULIE).await;
        get(&api, &julie, "/ui/accounts/C5").await
    };
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("INV-7"), "{page}");
    let julie = sign_in(&api, JULIE).await;
    let task = call_task(&api.store).await;
    let (status, page) = get(&api, &julie, "/ui/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("#task-{}", task.id)), "{page}");
    let (_, page) = get(&api, &julie, "/ui/accounts?q=five").await;
    assert!(page.contains("/ui/accounts/C5"), "{page}");
    let (_, page) = get(&api, &julie, "/ui/accounts?q=zzz").await;
    assert!(!page.contains("/ui/accounts/C5"));
    let (status, body) = post(
        &api,
        &julie,
        &format!("/ui/tasks/{}/done", task.id),
        Some(&julie.csrf),
        &[
            ("outcome", "promise"),
            ("promise_date", &crate::support::days_ahead(20).to_string()),
            ("note", "pays mid-December"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let done = call_task(&api.store).await;
    assert_eq!(done.state, "done");
    assert_eq!(done.outcome.as_deref(), Some("promise"));
    assert_eq!(done.closed_by.as_deref(), Some(&*format!("ui:{JULIE}")));
    assert_eq!(
        status_of(&api.store, "C5", "INV-7").await.as_deref(),
        Some("promise")
    );
    // The timeline says it in words, in the colleague's language.
    let (_, page) = get(&api, &julie, "/ui/accounts/C5").await;
    assert!(
        page.contains("Task done") && page.contains("promise · "),
        "{page}"
    );
    assert!(page.contains("Status set") && page.contains("pays mid-December"));
    let max = sign_in(&api, MAX).await;
    let (_, page) = get(&api, &max, "/ui/accounts/C5").await;
    assert!(page.contains("Tâche terminée"), "{page}");
    api.cleanup().await;
}

/// The aging table's totals row as the page writes it.
fn aging_total(page: &str) -> String {
    let section = &page[page.find("id=\"aging\"").expect("the aging section")..];
    let foot = &section[section.find("<tfoot>").expect("a totals row")..];
    let foot = &foot[..foot.find("</tfoot>").expect("its end")];
    foot.split("<td")
        .skip(1)
        .map(|cell| {
            let text = &cell[cell.find('>').expect("a cell") + 1..];
            text[..text.find("</td>").expect("a cell's end")].to_string()
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// C6, collected by Léa (a second collector, without a login), with an
/// invoice of 80.00 EUR 5 days overdue on [`DAY`].
const C6: &[(&str, &str)] = &[
    ("customers.csv", "code,name,currency\nC6,Client Six,EUR\n"),
    (
        "colleagues.csv",
        "email,name,role\nlea@acme.example,Léa <L>,collector\n",
    ),
    (
        "assignments.csv",
        "customer,colleague\nC6,lea@acme.example\n",
    ),
    (
        "items.csv",
        "customer,reference,type,due_date,amount,currency\nC6,INV-8,invoice,2026-11-15,80.00,EUR\n",
    ),
];

#[tokio::test]
async fn the_reports_page_shows_the_four_charts_with_their_tables() {
    four_charts_with_their_tables(workspace().await).await;
}

#[tokio::test]
async fn on_postgres_the_reports_page_shows_the_same_figures() {
    let Some(api) = Api::postgres().await else {
        return;
    };
    four_charts_with_their_tables(workspace_on(api).await).await;
}

async fn four_charts_with_their_tables(api: Api) {
    import(&api.store, C6).await;
    let julie = sign_in(&api, JULIE).await;
    let (status, page) = get(
        &api,
        &julie,
        &format!("/ui/reports?date={DAY}&collector=all"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // The charts, inlined, in Julie's language (English), then their tables.
    assert_eq!(page.matches("<svg").count(), 4, "{page}");
    // Markup only: nothing the workspace's CSP would have to allow.
    assert!(
        !page.contains("<script") && !page.contains(" style="),
        "{page}"
    );
    for title in [
        "Aging on 2026-11-20",
        "DSO over the last 12 months",
        "Cash forecast by week",
        "Cash receipts",
    ] {
        assert!(page.contains(title), "{title} is missing: {page}");
    }
    assert!(page.contains("<a href=\"/ui/reports\" aria-current=\"page\">Reports</a>"));
    assert!(page.contains("<option value=\"all\" selected>All accounts</option>"));
    // Every open debit item: C1's 100 + 200 + 400, C2's 300, C3's 500 USD
    // at 0.92 = 460, C4's 50, C5's 700 (Julie's) and C6's 80 (Léa's), in EUR.
    assert_eq!(aging_total(&page), "total|8|2290.00|100.00");
    // Julie's role is collector: by default the page shows her accounts only
    // (C1 with C2, C3, C4, C5), not Léa's C6.
    let (status, mine) = get(&api, &julie, &format!("/ui/reports?date={DAY}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        mine.contains(&format!("<option value=\"{JULIE}\" selected>")),
        "{mine}"
    );
    assert_eq!(aging_total(&mine), "total|7|2210.00|100.00");
    // The CSV of a table, under the session, with the page's choice.
    let response = client()
        .get(format!(
            "{}/ui/reports/aging.csv?date={DAY}&collector={JULIE}",
            api.base
        ))
        .header(COOKIE, &julie.cookie)
        .send()
        .await
        .expect("the csv");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let csv = response.text().await.expect("a body");
    assert!(csv.starts_with("bucket,"), "{csv}");
    assert!(csv.contains("\r\ntotal,7,2210.00,100.00\r\n"), "{csv}");
    let (status, _) = get(&api, &julie, "/ui/reports/nothing.csv").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&api, &julie, "/ui/reports?date=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    api.cleanup().await;
}

#[tokio::test]
async fn a_viewer_reads_the_reports_in_french_and_a_stranger_is_sent_to_sign_in() {
    let api = workspace().await;
    import(&api.store, C6).await;
    // Sam reads only, and is in sales: every account by default.
    let sam = sign_in(&api, SAM).await;
    let (status, page) = get(&api, &sam, &format!("/ui/reports?date={DAY}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page.matches("<svg").count(), 4);
    assert!(page.contains("<option value=\"all\" selected>"), "{page}");
    assert_eq!(aging_total(&page), "total|8|2290.00|100.00");
    // The collectors are offered, names escaped; sales and managers are not.
    assert!(
        page.contains("<option value=\"lea@acme.example\">Léa &lt;L&gt;</option>"),
        "{page}"
    );
    assert!(
        !page.contains("<option value=\"max@acme.example\""),
        "{page}"
    );
    // Léa's accounts, chosen: C6 alone, 5 days overdue.
    let (_, page) = get(
        &api,
        &sam,
        &format!("/ui/reports?date={DAY}&collector=lea%40acme.example"),
    )
    .await;
    assert_eq!(aging_total(&page), "total|1|80.00|100.00");
    assert!(
        page.contains("<td>1-30</td><td class=\"num\">1</td><td class=\"num\">80.00</td>"),
        "{page}"
    );
    // Max reads French.
    let max = sign_in(&api, MAX).await;
    let (status, page) = get(&api, &max, &format!("/ui/reports?date={DAY}&collector=all")).await;
    assert_eq!(status, StatusCode::OK);
    for words in [
        "Rapports",
        "Balance âgée au 2026-11-20",
        "DSO sur les 12 derniers mois",
        "Prévision de trésorerie par semaine",
        "Encaissements",
    ] {
        assert!(page.contains(words), "{words} is missing: {page}");
    }
    // Not signed in: to the sign-in page, coming back after.
    let response = client()
        .get(format!("{}/ui/reports?date={DAY}", api.base))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()[LOCATION].to_str().expect("a location");
    assert!(to.starts_with("/ui/login?next=%2Fui%2Freports"), "{to}");
    let response = client()
        .get(format!("{}/ui/reports/aging.csv", api.base))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    api.cleanup().await;
}
