//! The web workspace's tables: `logins` (who may sign in, with which access
//! role, password hash and language), `sessions` (signed-in browsers, by the
//! SHA-256 of their cookie's token) and `login_links` (one-time sign-in
//! links, by the SHA-256 of their token). Instants are RFC 3339 UTC text
//! of one shape, so they compare as text.

use sqlx::{AssertSqlSafe, Row as _};

use super::{StoreError, Tx, on_tx, statement};

/// A login and the colleague it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRow {
    /// The colleague's address (the key).
    pub email: String,
    /// The colleague's name.
    pub name: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    /// The argon2 PHC string; `None`: one-time links only.
    pub password_hash: Option<String>,
    /// The language of the pages; `None`: the browser's, else the settings'.
    pub language: Option<String>,
}

/// A colleague's name, `None` when no colleague has this address.
pub async fn colleague_name(tx: &mut Tx, email: &str) -> Result<Option<String>, StoreError> {
    let sql = statement(tx, "SELECT name FROM colleagues WHERE email = ?");
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql)).bind(email).fetch_optional(&mut **c).await)
        .map_err(StoreError::query("reading a colleague"))
}

/// Creates or replaces a login (`at`: now, RFC 3339).
pub async fn upsert_login(
    tx: &mut Tx,
    email: &str,
    role: &str,
    password_hash: Option<&str>,
    language: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    let sql = statement(
        tx,
        "INSERT INTO logins (email, role, password_hash, language, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET role = excluded.role, \
         password_hash = excluded.password_hash, language = excluded.language, \
         updated_at = excluded.updated_at",
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql))
        .bind(email)
        .bind(role)
        .bind(password_hash)
        .bind(language)
        .bind(at)
        .bind(at)
        .execute(&mut **c)
        .await
        .map(|_| ()))
    .map_err(StoreError::query("writing a login"))
}

const LOGIN_SELECT: &str = "SELECT l.email, COALESCE(c.name, l.email), l.role, l.password_hash, \
                            l.language FROM logins l LEFT JOIN colleagues c ON c.email = l.email";

macro_rules! login_row {
    ($r:expr) => {
        Ok::<_, sqlx::Error>(LoginRow {
            email: $r.try_get(0)?,
            name: $r.try_get(1)?,
            role: $r.try_get(2)?,
            password_hash: $r.try_get(3)?,
            language: $r.try_get(4)?,
        })
    };
}

/// One login, `None` when there is none for this address.
pub async fn login(tx: &mut Tx, email: &str) -> Result<Option<LoginRow>, StoreError> {
    let sql = statement(tx, &format!("{LOGIN_SELECT} WHERE l.email = ?"));
    on_tx!(tx, c => async {
        let row = sqlx::query(AssertSqlSafe(sql)).bind(email).fetch_optional(&mut **c).await?;
        row.as_ref().map(|r| login_row!(r)).transpose()
    }
    .await)
    .map_err(StoreError::query("reading a login"))
}

/// Every login, by address.
pub async fn list_logins(tx: &mut Tx) -> Result<Vec<LoginRow>, StoreError> {
    let sql = format!("{LOGIN_SELECT} ORDER BY l.email");
    on_tx!(tx, c => async {
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut **c).await?;
        rows.iter().map(|r| login_row!(r)).collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)
    .map_err(StoreError::query("reading logins"))
}

/// Removes a login with its sessions and links; returns whether there was one.
pub async fn remove_login(tx: &mut Tx, email: &str) -> Result<bool, StoreError> {
    end_sessions_of(tx, email).await?;
    for table in ["login_links", "logins"] {
        let sql = statement(tx, &format!("DELETE FROM {table} WHERE email = ?"));
        let removed =
            on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(email).execute(&mut **c).await
            .map(|done| done.rows_affected()))
            .map_err(StoreError::query("removing a login"))?;
        if table == "logins" {
            return Ok(removed > 0);
        }
    }
    Ok(false)
}

/// Ends every session of a login (its password or role changed, or it is removed).
pub async fn end_sessions_of(tx: &mut Tx, email: &str) -> Result<u64, StoreError> {
    let sql = statement(tx, "DELETE FROM sessions WHERE email = ?");
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(email).execute(&mut **c).await
        .map(|done| done.rows_affected()))
    .map_err(StoreError::query("ending sessions"))
}

/// Records a session.
pub async fn insert_session(
    tx: &mut Tx,
    token_hash: &str,
    email: &str,
    csrf: &str,
    created_at: &str,
    expires_at: &str,
) -> Result<(), StoreError> {
    let sql = statement(
        tx,
        "INSERT INTO sessions (token_hash, email, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql))
        .bind(token_hash)
        .bind(email)
        .bind(csrf)
        .bind(created_at)
        .bind(expires_at)
        .execute(&mut **c)
        .await
        .map(|_| ()))
    .map_err(StoreError::query("recording a session"))
}

/// A live session: its login and its form token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The login.
    pub login: LoginRow,
    /// The session's CSRF token.
    pub csrf: String,
    /// When it expires unless used.
    pub expires_at: String,
}

/// The session of a token hash if it has not expired at `now` and its
/// login still exists.
pub async fn session(
    tx: &mut Tx,
    token_hash: &str,
    now: &str,
) -> Result<Option<SessionRow>, StoreError> {
    let sql = statement(
        tx,
        "SELECT l.email, COALESCE(c.name, l.email), l.role, l.password_hash, l.language, \
         s.csrf, s.expires_at FROM sessions s JOIN logins l ON l.email = s.email \
         LEFT JOIN colleagues c ON c.email = l.email WHERE s.token_hash = ? AND s.expires_at > ?",
    );
    on_tx!(tx, c => async {
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&mut **c)
            .await?;
        row.as_ref()
            .map(|r| {
                Ok::<_, sqlx::Error>(SessionRow {
                    login: login_row!(r)?,
                    csrf: r.try_get(5)?,
                    expires_at: r.try_get(6)?,
                })
            })
            .transpose()
    }
    .await)
    .map_err(StoreError::query("reading a session"))
}

/// Moves a session's expiry (it was used).
pub async fn extend_session(
    tx: &mut Tx,
    token_hash: &str,
    expires_at: &str,
) -> Result<(), StoreError> {
    let sql = statement(
        tx,
        "UPDATE sessions SET expires_at = ? WHERE token_hash = ?",
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(expires_at).bind(token_hash).execute(&mut **c).await
        .map(|_| ()))
    .map_err(StoreError::query("extending a session"))
}

/// Ends one session (signing out).
pub async fn end_session(tx: &mut Tx, token_hash: &str) -> Result<(), StoreError> {
    let sql = statement(tx, "DELETE FROM sessions WHERE token_hash = ?");
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(token_hash).execute(&mut **c).await
        .map(|_| ()))
    .map_err(StoreError::query("ending a session"))
}

/// Forgets sessions and links that expired before `now`; returns how many.
pub async fn purge_expired(tx: &mut Tx, now: &str) -> Result<u64, StoreError> {
    let mut purged = 0;
    for template in [
        "DELETE FROM sessions WHERE expires_at <= ?",
        "DELETE FROM login_links WHERE expires_at <= ?",
    ] {
        let sql = statement(tx, template);
        purged += on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql)).bind(now).execute(&mut **c).await
            .map(|done| done.rows_affected()))
        .map_err(StoreError::query("purging sessions"))?;
    }
    Ok(purged)
}

/// Records a one-time sign-in link.
pub async fn insert_link(
    tx: &mut Tx,
    token_hash: &str,
    email: &str,
    expires_at: &str,
) -> Result<(), StoreError> {
    let sql = statement(
        tx,
        "INSERT INTO login_links (token_hash, email, expires_at) VALUES (?, ?, ?)",
    );
    on_tx!(tx, c => sqlx::query(AssertSqlSafe(sql))
        .bind(token_hash)
        .bind(email)
        .bind(expires_at)
        .execute(&mut **c)
        .await
        .map(|_| ()))
    .map_err(StoreError::query("recording a sign-in link"))
}

/// Uses a link: marks it used if it is unused and unexpired at `now`, in one
/// statement (two uses at once succeed once); returns its login's address.
pub async fn use_link(
    tx: &mut Tx,
    token_hash: &str,
    now: &str,
) -> Result<Option<String>, StoreError> {
    let sql = statement(
        tx,
        "UPDATE login_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL \
         AND expires_at > ? RETURNING email",
    );
    on_tx!(tx, c => sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(now)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut **c)
        .await)
    .map_err(StoreError::query("using a sign-in link"))
}
