//! Who may sign in to the workspace: `relance login set/list/remove/link`
//! and the password check of the sign-in form. A login belongs to a known
//! colleague (the `colleagues` table); its access role is one of the API's
//! [`Role`]s. Passwords are kept only as argon2id PHC strings.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use relance_engine::store::{Store, StoreError, logins};
use sha2::{Digest as _, Sha256};

use super::csrf::random_token;
use super::i18n::Lang;
use crate::auth::Role;

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// How long a one-time sign-in link lives.
pub const LINK_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// Why a login could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The address is no imported colleague.
    #[error("{0} is not a colleague: import it in colleagues.csv first")]
    NotColleague(String),
    /// No login for this address.
    #[error("no login for {0}")]
    Unknown(String),
    /// Too short a password.
    #[error("a password has at least {MIN_PASSWORD} characters")]
    WeakPassword,
    /// A language the workspace does not speak.
    #[error("language \"{0}\" is not one of the workspace's (en, fr)")]
    Language(String),
    /// The base URL of a link is not http(s).
    #[error("the workspace's URL must start with http:// or https://, not \"{0}\"")]
    BaseUrl(String),
    /// Hashing or randomness failed.
    #[error("cannot hash the password or draw random bytes: {0}")]
    Crypto(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A login as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The colleague's address.
    pub email: String,
    /// The colleague's name.
    pub name: String,
    /// Access role.
    pub role: Role,
    /// Whether a password is set (else: links only).
    pub has_password: bool,
    /// Language of the pages.
    pub language: Option<String>,
}

impl From<logins::LoginRow> for Login {
    fn from(r: logins::LoginRow) -> Self {
        Login {
            role: Role::parse(&r.role).unwrap_or(Role::Viewer),
            has_password: r.password_hash.is_some(),
            email: r.email,
            name: r.name,
            language: r.language,
        }
    }
}

/// Now, RFC 3339 UTC to the second (text that sorts as time).
pub fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The SHA-256 of a token, hex: what the store keeps of session and link tokens.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An argon2id PHC string of a password, with a fresh 16-byte salt.
pub fn hash_password(password: &str) -> Result<String, LoginError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| LoginError::Crypto(e.to_string()))?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| LoginError::Crypto(e.to_string()))
}

/// Whether a password matches a PHC string.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash of a random password nobody knows, verified when the address
/// has no login so that a wrong address costs the same time as a wrong
/// password (made once per process).
fn decoy() -> String {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY
        .get_or_init(|| {
            random_token()
                .ok()
                .and_then(|p| hash_password(&p).ok())
                .unwrap_or_default()
        })
        .clone()
}

/// The login of `email` if `password` is its password; every failure looks
/// the same to the caller.
pub async fn check_password(
    store: &Store,
    email: &str,
    password: &str,
) -> Result<Option<logins::LoginRow>, StoreError> {
    let mut tx = store.begin().await?;
    let login = logins::login(&mut tx, &email.trim().to_ascii_lowercase()).await?;
    tx.rollback().await?;
    let known = login.as_ref().and_then(|l| l.password_hash.clone());
    let password = password.to_string();
    let good = tokio::task::spawn_blocking(move || {
        let hash = known.unwrap_or_else(decoy);
        verify_password(&password, &hash)
    })
    .await
    .unwrap_or(false);
    Ok(login.filter(|l| good && l.password_hash.is_some()))
}

/// A random password for `relance login set` without `--password-stdin`
/// (24 base64url characters, 144 bits).
pub fn generate_password() -> Result<String, LoginError> {
    let token = random_token().map_err(|e| LoginError::Crypto(e.to_string()))?;
    Ok(token.chars().take(24).collect())
}

/// Creates or replaces the login of a colleague; its sessions end (its
/// role or password may have changed). `password`: `None` leaves none
/// (one-time links only).
pub async fn set(
    store: &Store,
    email: &str,
    role: Role,
    language: Option<&str>,
    password: Option<&str>,
) -> Result<(), LoginError> {
    let email = email.trim().to_ascii_lowercase();
    if let Some(l) = language
        && Lang::parse(l).is_none()
    {
        return Err(LoginError::Language(l.to_string()));
    }
    let hash = match password {
        Some(p) if p.chars().count() < MIN_PASSWORD => return Err(LoginError::WeakPassword),
        Some(p) => {
            let p = p.to_string();
            Some(
                tokio::task::spawn_blocking(move || hash_password(&p))
                    .await
                    .map_err(|e| LoginError::Crypto(e.to_string()))??,
            )
        }
        None => None,
    };
    let mut tx = store.begin_write().await?;
    if logins::colleague_name(&mut tx, &email).await?.is_none() {
        return Err(LoginError::NotColleague(email));
    }
    logins::upsert_login(
        &mut tx,
        &email,
        role.as_str(),
        hash.as_deref(),
        language,
        &stamp(chrono::Utc::now()),
    )
    .await?;
    logins::end_sessions_of(&mut tx, &email).await?;
    tx.commit().await?;
    Ok(())
}

/// Every login.
pub async fn list(store: &Store) -> Result<Vec<Login>, LoginError> {
    let mut tx = store.begin().await?;
    let rows = logins::list_logins(&mut tx).await?;
    tx.rollback().await?;
    Ok(rows.into_iter().map(Login::from).collect())
}

/// Removes a login, its sessions and links.
pub async fn remove(store: &Store, email: &str) -> Result<(), LoginError> {
    let email = email.trim().to_ascii_lowercase();
    let mut tx = store.begin_write().await?;
    if !logins::remove_login(&mut tx, &email).await? {
        return Err(LoginError::Unknown(email));
    }
    tx.commit().await?;
    Ok(())
}

/// A one-time sign-in link for a login: `<base>/ui/link/<token>`, valid
/// [`LINK_LIFETIME`], usable once. The store keeps only the token's SHA-256.
pub async fn link(store: &Store, email: &str, base: &str) -> Result<String, LoginError> {
    let email = email.trim().to_ascii_lowercase();
    let base = base.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(LoginError::BaseUrl(base.to_string()));
    }
    let token = random_token().map_err(|e| LoginError::Crypto(e.to_string()))?;
    let mut tx = store.begin_write().await?;
    if logins::login(&mut tx, &email).await?.is_none() {
        return Err(LoginError::Unknown(email));
    }
    let expires = stamp(chrono::Utc::now() + LINK_LIFETIME);
    logins::insert_link(&mut tx, &token_hash(&token), &email, &expires).await?;
    tx.commit().await?;
    Ok(format!("{base}/ui/link/{token}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = hash_password("correct horse battery").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterz", &hash));
        assert!(!verify_password("anything", &decoy()));
    }
}
