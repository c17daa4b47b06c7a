//! Signed, expiring links (docs/reference/files.md "Links").
//!
//! A link is a path plus `exp` (its expiry, Unix seconds) and `sig`, the
//! HMAC-SHA256 of `path \n exp` under the link key, URL-safe base64. Anyone
//! with the link can open it until it expires; nobody can make or extend one
//! without the key. Keys are rotated by moving the current key to
//! `RELANCE_LINK_KEY_PREVIOUS` (or `--link-key-previous-file`): links signed
//! with either verify until they expire, new links use the current one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use crate::store::files::FileRow;

/// The environment variable holding the link key.
pub const KEY_ENV: &str = "RELANCE_LINK_KEY";
/// The environment variable holding the previous link key, during rotation.
pub const PREVIOUS_KEY_ENV: &str = "RELANCE_LINK_KEY_PREVIOUS";
/// Keys shorter than this are refused: 32 bytes.
pub const MIN_KEY_LEN: usize = 32;

/// Why a link does not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The signature does not match (tampered with, or made with another key).
    #[error("this link is not valid")]
    Invalid,
    /// Past its expiry.
    #[error("this link has expired")]
    Expired,
}

/// What went wrong reading a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Too short to be a secret.
    #[error("the link key from {from} is {len} bytes; it must be at least {MIN_KEY_LEN}")]
    TooShort {
        /// Where it came from.
        from: String,
        /// Its length.
        len: usize,
    },
    /// The key file could not be read.
    #[error("cannot read the link key file {path}")]
    File {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Signs and verifies links with the current key (and the previous one,
/// during a rotation).
#[derive(Clone)]
pub struct Signer {
    /// The current key first, then the previous one if any, each as an
    /// HMAC keyed once (cloned for each signature).
    keys: Vec<Hmac<Sha256>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({} keys)", self.keys.len())
    }
}

/// A key as written in a file or variable: surrounding whitespace dropped.
fn key(text: &[u8], from: &str) -> Result<Hmac<Sha256>, KeyError> {
    let key = text.trim_ascii();
    let too_short = || KeyError::TooShort {
        from: from.to_string(),
        len: key.len(),
    };
    if key.len() < MIN_KEY_LEN {
        return Err(too_short());
    }
    <Hmac<Sha256>>::new_from_slice(key).map_err(|_| too_short())
}

fn read(path: &std::path::Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::File {
        path: path.display().to_string(),
        source,
    })
}

impl Signer {
    /// A signer with one key (at least [`MIN_KEY_LEN`] bytes).
    pub fn new(current: &[u8]) -> Result<Signer, KeyError> {
        Ok(Signer {
            keys: vec![key(current, "the given key")?],
        })
    }

    /// Also accepts links signed with `previous` (a rotation).
    pub fn with_previous(mut self, previous: &[u8]) -> Result<Signer, KeyError> {
        self.keys.truncate(1);
        self.keys.push(key(previous, "the previous key")?);
        Ok(self)
    }

    /// The key from `file` or else [`KEY_ENV`], the previous one from
    /// `previous_file` or else [`PREVIOUS_KEY_ENV`]; `None` without a key.
    pub fn from_config(
        file: Option<&std::path::Path>,
        previous_file: Option<&std::path::Path>,
    ) -> Result<Option<Signer>, KeyError> {
        let current = match file {
            Some(path) => Some((read(path)?, path.display().to_string())),
            None => std::env::var(KEY_ENV)
                .ok()
                .map(|v| (v.into_bytes(), KEY_ENV.to_string())),
        };
        let Some((current, from)) = current else {
            return Ok(None);
        };
        let mut signer = Signer {
            keys: vec![key(&current, &from)?],
        };
        let previous = match previous_file {
            Some(path) => Some((read(path)?, path.display().to_string())),
            None => std::env::var(PREVIOUS_KEY_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| (v.into_bytes(), PREVIOUS_KEY_ENV.to_string())),
        };
        if let Some((previous, from)) = previous {
            signer.keys.push(key(&previous, &from)?);
        }
        Ok(Some(signer))
    }

    fn mac(key: &Hmac<Sha256>, path: &str, expires: i64) -> Hmac<Sha256> {
        let mut mac = key.clone();
        mac.update(path.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The signature of `path` valid until `expires` (Unix seconds).
    pub fn sign(&self, path: &str, expires: i64) -> String {
        let mac = Signer::mac(&self.keys[0], path, expires);
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The query string (`exp=…&sig=…`) of a link to `path` until `expires`.
    pub fn query(&self, path: &str, expires: i64) -> String {
        format!("exp={expires}&sig={}", self.sign(path, expires))
    }

    /// Checks a link: the signature first (under any key), then the expiry.
    pub fn verify(&self, path: &str, expires: i64, sig: &str, now: i64) -> Result<(), LinkError> {
        let sig = URL_SAFE_NO_PAD
            .decode(sig.as_bytes())
            .map_err(|_| LinkError::Invalid)?;
        let valid = self
            .keys
            .iter()
            .any(|key| Signer::mac(key, path, expires).verify_slice(&sig).is_ok());
        if !valid {
            return Err(LinkError::Invalid);
        }
        if now >= expires {
            return Err(LinkError::Expired);
        }
        Ok(())
    }

    /// The absolute link to `path` (a path this server answers), valid for
    /// `expiry` from `now`, and when it expires:
    /// `{public_url}{path}?exp=…&sig=…`.
    pub fn link(
        &self,
        path: &str,
        now: DateTime<Utc>,
        expiry: Duration,
        public_url: &str,
    ) -> (String, DateTime<Utc>) {
        let expires = now + expiry;
        let url = format!(
            "{}{path}?{}",
            public_url.trim_end_matches('/'),
            self.query(path, expires.timestamp())
        );
        (url, expires)
    }

    /// The absolute download link of a file, valid for `expiry` from `now`,
    /// and when it expires: `{public_url}/files/{id}/download?exp=…&sig=…`.
    pub fn file_link(
        &self,
        file: &FileRow,
        now: DateTime<Utc>,
        expiry: Duration,
        public_url: &str,
    ) -> (String, DateTime<Utc>) {
        self.link(&file_path(file.id), now, expiry, public_url)
    }

    /// The absolute link of an account's customer page (`#interactive_link`),
    /// valid for `expiry` from `now`: `{public_url}/c/{account}?exp=…&sig=…`.
    pub fn page_link(
        &self,
        account: &str,
        now: DateTime<Utc>,
        expiry: Duration,
        public_url: &str,
    ) -> (String, DateTime<Utc>) {
        self.link(&page_path(account), now, expiry, public_url)
    }
}

/// The path a customer page link signs: `/c/{account}`, the code
/// percent-encoded as one path segment.
pub fn page_path(account: &str) -> String {
    format!("/c/{}", relance_dsl::model::path_segment(account))
}

/// The path a file's download link signs: `/files/{id}/download`.
pub fn file_path(id: i64) -> String {
    format!("/files/{id}/download")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const OLD: &[u8] = b"fedcba9876543210fedcba9876543210";

    #[test]
    fn a_link_verifies_until_it_expires_and_not_once_changed() {
        let s = Signer::new(KEY).expect("a key");
        let sig = s.sign("/files/1/download", 1000);
        assert_eq!(s.verify("/files/1/download", 1000, &sig, 999), Ok(()));
        assert_eq!(
            s.verify("/files/1/download", 1000, &sig, 1000),
            Err(LinkError::Expired)
        );
        assert_eq!(
            s.verify("/files/2/download", 1000, &sig, 10),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            s.verify("/files/1/download", 2000, &sig, 10),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            s.verify("/files/1/download", 1000, "garbage!", 10),
            Err(LinkError::Invalid)
        );
    }

    #[test]
    fn links_of_the_previous_key_verify_during_a_rotation() {
        let old = Signer::new(OLD).expect("a key");
        let sig = old.sign("/p", 100);
        let rotated = Signer::new(KEY)
            .and_then(|s| s.with_previous(OLD))
            .expect("keys");
        assert_eq!(rotated.verify("/p", 100, &sig, 1), Ok(()));
        let new_only = Signer::new(KEY).expect("a key");
        assert_eq!(new_only.verify("/p", 100, &sig, 1), Err(LinkError::Invalid));
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(Signer::new(b"short").is_err());
    }
}
