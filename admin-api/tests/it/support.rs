//! A real server for each test: the router bound to port 0 on a fresh store
//! (a SQLite file, or a PostgreSQL database of its own, both from
//! `relance-test-support`), reached over HTTP with reqwest.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use relance_admin_api::auth::{Role, Tokens};
use relance_admin_api::runs::RunQueue;
use relance_admin_api::{ApiSettings, AppState, FileAccess};
use relance_engine::files::FileStore;
use relance_engine::links::Signer;
use relance_engine::planner::Planner;
use relance_engine::store::Store;
use relance_test_support::pg::Database;
use relance_test_support::store::{postgres_store, sqlite_store};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub use relance_test_support::copy_dir;

/// A viewer's token.
pub const VIEWER: &str = "viewer-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// An operator's token.
pub const OPERATOR: &str = "operator-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
/// An admin's token.
pub const ADMIN: &str = "admin-token-cccccccccccccccccccccccccccccccccc";

/// The key download links are signed with.
pub const LINK_KEY: &[u8] = b"test-link-key-0123456789abcdef0123456789";

/// The run date of the fixtures.
pub const DAY: &str = "2026-11-20";

/// The example configuration shipped in `config/`.
pub fn example_dir() -> PathBuf {
    relance_test_support::example_config_dir()
}

/// The planner of a configuration directory that must be valid.
pub fn planner(dir: &Path) -> Planner {
    let report = relance_engine::config::load(dir).expect("the configuration loads");
    assert!(
        !report.has_errors(),
        "the test configuration is valid: {:?}",
        report.checked.diagnostics
    );
    Planner::new(&report.checked.config, &report.sources).expect("compiles")
}

pub fn templates(dir: &Path) -> relance_templates::Templates {
    let report = relance_engine::config::load(dir).expect("the configuration loads");
    relance_engine::config::templates(&report.sources, &report.checked.config).expect("templates")
}

/// The small receivables of most tests, dated around 2026-11-20:
/// - C1 "Client <One> & Co" (segment key: key_accounts, review mode), with
///   C2 grouped under it; items not due, 10, 45 and 80 days overdue and a
///   credit note;
/// - C3 in USD, one item 100 days overdue (standard, auto);
/// - C4 without contact, one item 19 days overdue.
pub const FIXTURE: &[(&str, &str)] = &[
    (
        "customers.csv",
        "code,name,currency,group_leader,segment\n\
         C1,Client <One> & Co,EUR,,key\n\
         C2,Member Two,EUR,C1,\n\
         C3,Client Three,USD,,\n\
         C4,Client Four,EUR,,\n",
    ),
    (
        "contacts.csv",
        "customer,email,name\nC1,ap@one.example,Ann\nC3,ap@three.example,Tom\n",
    ),
    (
        "colleagues.csv",
        "email,name,role\njulie@acme.example,Julie,collector\nsam@acme.example,Sam,sales\nmax@acme.example,Max,manager\n",
    ),
    (
        "assignments.csv",
        "customer,colleague\nC1,julie@acme.example\nC1,sam@acme.example\nC1,max@acme.example\nC3,julie@acme.example\nC4,julie@acme.example\n",
    ),
    (
        "items.csv",
        "customer,reference,type,due_date,amount,currency\n\
         C1,INV-1,invoice,2026-11-25,100.00,EUR\n\
         C1,INV-2,invoice,2026-11-10,200.00,EUR\n\
         C2,INV-3,invoice,2026-10-06,300.00,EUR\n\
         C1,INV-4,invoice,2026-09-01,400.00,EUR\n\
         C1,CN-1,credit_note,2026-10-01,50.00,EUR\n\
         C3,INV-5,invoice,2026-08-12,500.00,USD\n\
         C4,INV-6,invoice,2026-11-01,50.00,EUR\n",
    ),
];

/// Imports CSV files given as `(name, text)` into a store.
pub async fn import(store: &Store, files: &[(&str, &str)]) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(name, text)| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).expect("writing a fixture");
            p
        })
        .collect();
    let config = planner(&example_dir()).config;
    relance_engine::import::import(
        store,
        &config,
        &paths,
        &relance_engine::import::Options {
            kind: None,
            full: relance_engine::import::Full::No,
            dry_run: false,
            date_format: relance_engine::import::DateFormat::Iso,
            today: DAY.parse().expect("a date"),
            now: "2026-11-20T08:00:00Z".into(),
            origin: "test".into(),
        },
    )
    .await
    .expect("the fixture imports");
}

/// A running server and what it needs kept alive.
pub struct Api {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The HTTP client.
    pub client: reqwest::Client,
    /// The store, to look behind the API.
    pub store: Store,
    /// The server's configuration directory (a copy of the example).
    pub config_dir: PathBuf,
    /// The server's file store.
    pub files: FileStore,
    /// The server's clock for signed links (tests move it forward).
    pub clock: relance_admin_api::Clock,
    /// Temporary directories.
    _dirs: Vec<tempfile::TempDir>,
    /// The PostgreSQL database to drop.
    pg_database: Option<Database>,
}

/// The answer to a request: status, headers and body as JSON (`Null` when
/// it is not JSON), and the raw text.
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// `Content-Type`.
    pub content_type: String,
    /// The body as JSON.
    pub json: Value,
    /// The body as text.
    pub text: String,
}

impl Answer {
    /// Asserts an error of the contract's shape with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) -> &str {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status} {code}, got {}: {}",
            self.status,
            self.text
        );
        assert_eq!(
            self.json["error"]["code"], code,
            "error code of {}",
            self.text
        );
        let message = self.json["error"]["message"]
            .as_str()
            .expect("an error message");
        assert!(!message.is_empty());
        message
    }

    /// Asserts success with this status and returns the JSON.
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {}: {}",
            self.status,
            self.text
        );
        &self.json
    }
}

impl Api {
    async fn start_with(
        store: Store,
        pg_database: Option<Database>,
        dirs: Vec<tempfile::TempDir>,
    ) -> Api {
        Api::start_queue(store, pg_database, dirs, None, true).await
    }

    /// A server on a new SQLite file holding [`FIXTURE`], without a link
    /// key: no signed link opens.
    pub async fn sqlite_without_link_key() -> Api {
        let (store, dir) = sqlite_store().await;
        import(&store, FIXTURE).await;
        Api::start_queue(store, None, vec![dir], None, false).await
    }

    /// A server on a new SQLite file holding [`FIXTURE`], whose runs go to `queue`.
    pub async fn sqlite_with_queue(queue: Arc<dyn RunQueue>) -> Api {
        let (store, dir) = sqlite_store().await;
        import(&store, FIXTURE).await;
        Api::start_queue(store, None, vec![dir], Some(queue), true).await
    }

    async fn start_queue(
        store: Store,
        pg_database: Option<Database>,
        mut dirs: Vec<tempfile::TempDir>,
        queue: Option<Arc<dyn RunQueue>>,
        link_key: bool,
    ) -> Api {
        let config = tempfile::tempdir().expect("a temp dir");
        let config_dir = config.path().join("config");
        copy_dir(&example_dir(), &config_dir);
        dirs.push(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let files_dir = tempfile::tempdir().expect("a temp dir");
        let files = FileAccess {
            store: FileStore::local(files_dir.path()).expect("a file store"),
            signer: link_key.then(|| Signer::new(LINK_KEY).expect("a link key")),
            public_url: Some(base.clone()),
        };
        dirs.push(files_dir);
        let settings = ApiSettings {
            store: store.clone(),
            planner: planner(&config_dir),
            templates: templates(&config_dir),
            config_dir: config_dir.clone(),
            tokens: Tokens::from_plain(&[
                ("viewer", Role::Viewer, VIEWER),
                ("ci", Role::Operator, OPERATOR),
                ("boss", Role::Admin, ADMIN),
            ]),
            files: Some(files),
        };
        let file_store = settings
            .files
            .as_ref()
            .map(|f| f.store.clone())
            .expect("a file store");
        let state = match queue {
            None => AppState::new(settings),
            Some(q) => AppState::with_queue(settings, |_, _| q),
        };
        let clock = state.clock().clone();
        tokio::spawn(relance_admin_api::serve(
            listener,
            state,
            std::future::pending(),
        ));
        Api {
            base,
            client: reqwest::Client::new(),
            store,
            config_dir,
            files: file_store,
            clock,
            _dirs: dirs,
            pg_database,
        }
    }

    /// A server on a new SQLite file holding [`FIXTURE`].
    pub async fn sqlite() -> Api {
        let (store, dir) = sqlite_store().await;
        import(&store, FIXTURE).await;
        Api::start_with(store, None, vec![dir]).await
    }

    /// A server on a new PostgreSQL database holding [`FIXTURE`], or `None`
    /// (outside CI) when PostgreSQL cannot be reached.
    pub async fn postgres() -> Option<Api> {
        let (store, db) = postgres_store("relance_api_test").await?;
        import(&store, FIXTURE).await;
        Some(Api::start_with(store, Some(db), Vec::new()).await)
    }

    /// Drops the PostgreSQL database, if any.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(db) = self.pg_database {
            db.drop_database().await;
        }
    }

    /// A request with an optional token.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut r = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    }

    /// Attaches `content` as `name` to `customer/reference`, shared with the
    /// customer, as an operator would (`POST /items/{c}/{r}/files`): 201.
    pub async fn share_file(&self, item: &str, name: &str, content: &[u8]) -> Answer {
        let form = reqwest::multipart::Form::new()
            .text("share", "customer")
            .part(
                "file",
                reqwest::multipart::Part::bytes(content.to_vec()).file_name(name.to_string()),
            );
        let answer = self
            .send(
                self.request(
                    Method::POST,
                    &format!("/items/{item}/files"),
                    Some(OPERATOR),
                )
                .multipart(form),
            )
            .await;
        answer.ok(201);
        answer
    }

    /// Sends a request and reads the answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response.text().await.expect("a body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            json,
            text,
        }
    }

    /// `GET path` with a token.
    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(self.request(Method::GET, path, Some(token)))
            .await
    }

    /// `POST path` with a JSON body and a token.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(self.request(Method::POST, path, Some(token)).json(&body))
            .await
    }

    /// Queues a run for `body` and waits (bounded) until it is done or failed.
    pub async fn run_to_end(&self, body: Value) -> Value {
        let queued = self.post("/runs", OPERATOR, body).await;
        let id = queued.ok(202)["id"].as_i64().expect("a run id");
        for _ in 0..600 {
            let run = self.get(&format!("/runs/{id}"), VIEWER).await;
            let state = run.ok(200)["state"].as_str().unwrap_or("").to_string();
            if state == "done" || state == "failed" {
                return run.json;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("run {id} did not end within 12 s");
    }
}

/// The date `days` after the real today (a promised payment date must not
/// be in the past, whenever the tests run).
pub fn days_ahead(days: u64) -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Days::new(days)
}
