//! A fresh store on each backend. SQLite stores are files in a temporary
//! directory; PostgreSQL stores are databases of their own on the test server
//! ([`crate::pg`]), dropped by [`TestStore::cleanup`].

use relance_engine::store::Store;

use crate::pg::Database;

/// A store and what must be removed after it.
pub struct TestStore {
    /// The backend's name, for messages.
    pub name: &'static str,
    /// The store.
    pub store: Store,
    /// The temporary directory (SQLite) kept alive with the store.
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database to drop.
    pg_database: Option<Database>,
}

impl TestStore {
    /// Closes the store and drops its database.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(db) = self.pg_database {
            db.drop_database().await;
        }
    }
}

/// A new store in a SQLite file, and the directory that holds it.
pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}", dir.path().join("relance.db").display());
    let store = Store::open(&url).await.expect("a SQLite store");
    (store, dir)
}

/// A new store in a SQLite file.
pub async fn sqlite() -> TestStore {
    let (store, dir) = sqlite_store().await;
    TestStore {
        name: "sqlite",
        store,
        _dir: Some(dir),
        pg_database: None,
    }
}

/// A new store in its own PostgreSQL database (named after `prefix`), and the
/// database to drop after it; `None` (outside CI) when PostgreSQL cannot be
/// reached.
pub async fn postgres_store(prefix: &str) -> Option<(Store, Database)> {
    let db = Database::create(prefix).await?;
    let store = Store::open(&db.url).await.expect("a PostgreSQL store");
    Some((store, db))
}

/// A new store in its own PostgreSQL database, or `None` (outside CI) when
/// PostgreSQL cannot be reached.
pub async fn postgres() -> Option<TestStore> {
    let (store, db) = postgres_store("relance_test").await?;
    Some(TestStore {
        name: "postgres",
        store,
        _dir: None,
        pg_database: Some(db),
    })
}

/// Both backends (PostgreSQL when reachable).
pub async fn both() -> Vec<TestStore> {
    let mut stores = vec![sqlite().await];
    stores.extend(postgres().await);
    stores
}
