//! Bearer tokens and roles (docs/reference/api.md "Authentication").
//!
//! A token file lists `[[token]]` entries with a name, a role and the
//! SHA-256 of the token, never the token itself. A presented token is hashed
//! and compared with every entry in constant time. Roles are ordered:
//! `viewer` reads (GET), `operator` also starts runs, qualifies items,
//! approves actions and imports, `admin` also reloads the configuration.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::AppError;

/// What a token may do, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads only.
    Viewer,
    /// Reads, runs, statuses, approvals, imports.
    Operator,
    /// Everything, configuration reload included.
    Admin,
}

impl Role {
    /// As written in the token file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// From `--role`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who is calling: the name of their token and its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name (`ci`), used as `api:<name>` in the history.
    pub name: String,
    /// Its role.
    pub role: Role,
}

impl Caller {
    /// The origin written in the history: `api:<token name>`.
    pub fn origin(&self) -> String {
        format!("api:{}", self.name)
    }
}

/// Why the token file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    /// It cannot be read.
    #[error("cannot read the token file {path}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It is not the TOML we expect.
    #[error("the token file {path} is invalid: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    #[serde(default)]
    token: Vec<TokenEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    name: String,
    role: Role,
    sha256: String,
}

/// One known token.
#[derive(Debug, Clone)]
struct Known {
    /// Its name.
    name: String,
    /// Its role.
    role: Role,
    /// SHA-256 of the token.
    hash: [u8; 32],
}

/// The tokens the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// Every entry of the file.
    known: Vec<Known>,
}

impl Tokens {
    /// Reads a token file.
    pub fn load(path: &Path) -> Result<Tokens, TokenFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokenFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Tokens::parse(&text).map_err(|message| TokenFileError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    /// Reads the text of a token file.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let file: TokenFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut known = Vec::new();
        for entry in file.token {
            let hash = decode_hex(&entry.sha256).ok_or_else(|| {
                format!(
                    "token \"{}\": sha256 must be 64 hexadecimal characters",
                    entry.name
                )
            })?;
            if known.iter().any(|k: &Known| k.name == entry.name) {
                return Err(format!("token \"{}\" is listed twice", entry.name));
            }
            known.push(Known {
                name: entry.name,
                role: entry.role,
                hash,
            });
        }
        if known.is_empty() {
            return Err(
                "it lists no [[token]] (create one with `relance token NAME --role ROLE`)".into(),
            );
        }
        Ok(Tokens { known })
    }

    /// Tokens from `(name, role, token)`, for tests and embedding.
    pub fn from_plain(entries: &[(&str, Role, &str)]) -> Tokens {
        Tokens {
            known: entries
                .iter()
                .map(|(name, role, token)| Known {
                    name: name.to_string(),
                    role: *role,
                    hash: sha256(token),
                })
                .collect(),
        }
    }

    /// The caller owning `token`, if any. Every entry is compared, in
    /// constant time, whatever matches.
    pub fn verify(&self, token: &str) -> Option<Caller> {
        let presented = sha256(token);
        let mut found = None;
        for k in &self.known {
            if bool::from(k.hash.ct_eq(&presented)) && found.is_none() {
                found = Some(Caller {
                    name: k.name.clone(),
                    role: k.role,
                });
            }
        }
        found
    }
}

fn sha256(token: &str) -> [u8; 32] {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest);
    out
}

fn decode_hex(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh token and the `[[token]]` entry that admits it.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The token (43 URL-safe characters: 32 random bytes in base64url).
    pub token: String,
    /// The TOML entry to add to the token file.
    pub entry: String,
}

/// Why no token was made.
#[derive(Debug, thiserror::Error)]
pub enum NewTokenError {
    /// The name cannot be written as is.
    #[error(
        "token name \"{0}\" must be 1 to 64 letters, digits, `-`, `_` or `.` (it is written in the history as api:NAME)"
    )]
    Name(String),
    /// The system's random source failed.
    #[error("no random bytes from the system: {0}")]
    Random(String),
}

/// Makes a token for `name` with `role`.
pub fn new_token(name: &str, role: Role) -> Result<NewToken, NewTokenError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(NewTokenError::Name(name.to_string()));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| NewTokenError::Random(e.to_string()))?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let entry = format!(
        "[[token]]\nname = \"{name}\"\nrole = \"{}\"\nsha256 = \"{}\"\n",
        role.as_str(),
        hex(&sha256(&token))
    );
    Ok(NewToken { token, entry })
}

/// The role a request needs: reading needs `viewer`, reloading the
/// configuration `admin`, any other change `operator`.
pub fn needed_role(method: &Method, path: &str) -> Role {
    if method == Method::GET || method == Method::HEAD {
        Role::Viewer
    } else if path == "/config/reload" {
        Role::Admin
    } else {
        Role::Operator
    }
}

/// The middleware in front of every route but `/health`: a known bearer
/// token (401 otherwise) whose role allows the request (403 otherwise). The
/// [`Caller`] goes into the request's extensions. It takes only the tokens
/// from the application's state (`FromRef`).
pub async fn require_token(
    State(tokens): State<Arc<Tokens>>,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(value) = header else {
        return Err(AppError::Unauthorized(
            "missing token: send `Authorization: Bearer <token>`".into(),
        ));
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })?;
    let caller = tokens
        .verify(token)
        .ok_or_else(|| AppError::Unauthorized("unknown token".into()))?;
    let needed = needed_role(request.method(), request.uri().path());
    if caller.role < needed {
        return Err(AppError::Forbidden(format!(
            "token \"{}\" has the role {}; {} {} needs {}",
            caller.name,
            caller.role.as_str(),
            request.method(),
            request.uri().path(),
            needed.as_str()
        )));
    }
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_is_admitted_by_its_own_entry_only() {
        let made = new_token("ci", Role::Operator).expect("a token");
        assert!(made.token.len() >= 32);
        assert!(
            made.token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let tokens = Tokens::parse(&made.entry).expect("the entry parses");
        assert_eq!(
            tokens.verify(&made.token),
            Some(Caller {
                name: "ci".into(),
                role: Role::Operator
            })
        );
        assert_eq!(tokens.verify("something else"), None);
        assert!(!made.entry.contains(&made.token));
    }

    #[test]
    fn two_tokens_differ() {
        let a = new_token("a", Role::Viewer).expect("a token");
        let b = new_token("a", Role::Viewer).expect("a token");
        assert_ne!(a.token, b.token);
    }

    #[test]
    fn token_names_that_would_break_the_file_are_refused() {
        for bad in ["", "a b", "x\"y", "é", &"n".repeat(65)] {
            assert!(new_token(bad, Role::Admin).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn token_files_with_bad_hashes_or_roles_are_refused() {
        assert!(
            Tokens::parse("[[token]]\nname = \"a\"\nrole = \"root\"\nsha256 = \"00\"\n").is_err()
        );
        assert!(
            Tokens::parse("[[token]]\nname = \"a\"\nrole = \"admin\"\nsha256 = \"zz\"\n").is_err()
        );
        assert!(Tokens::parse("").is_err());
    }

    #[test]
    fn reading_needs_viewer_changes_operator_and_reload_admin() {
        assert_eq!(needed_role(&Method::GET, "/actions"), Role::Viewer);
        assert_eq!(needed_role(&Method::POST, "/runs"), Role::Operator);
        assert_eq!(
            needed_role(&Method::DELETE, "/items/a/b/status"),
            Role::Operator
        );
        assert_eq!(needed_role(&Method::POST, "/config/reload"), Role::Admin);
    }
}
