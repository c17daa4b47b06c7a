//! CSRF protection: every session holds a random form token, written in a
//! hidden `csrf` field of every form and compared in constant time with the
//! field of every POST before any handler runs ([`super::session::require_session`]).
//! Sign-in forms, before any session, use a double-submit token: a cookie
//! and the same value in the form.

use base64::Engine as _;
use subtle::ConstantTimeEq as _;

/// The form field that carries the token.
pub const FIELD: &str = "csrf";

/// The largest form body the workspace reads (a note is at most 4 KB).
pub const MAX_FORM: usize = 64 * 1024;

/// A random 256-bit token, base64url: the session's form token, a sign-in
/// token, a session token.
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether a presented token equals the expected one, in constant time
/// (an empty expectation matches nothing).
pub fn matches(presented: &str, expected: &str) -> bool {
    !expected.is_empty()
        && presented.len() == expected.len()
        && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

/// A field of an `application/x-www-form-urlencoded` body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_themselves() {
        let a = random_token().expect("random");
        let b = random_token().expect("random");
        assert_eq!(a.len(), 43);
        assert!(matches(&a, &a));
        assert!(!matches(&a, &b));
        assert!(!matches("", ""));
        assert!(!matches(&a[..42], &a));
    }

    #[test]
    fn the_field_is_read_from_a_form() {
        assert_eq!(
            form_field(b"note=a%26b&csrf=x%2By", FIELD).as_deref(),
            Some("x+y")
        );
        assert_eq!(form_field(b"note=1", FIELD), None);
    }
}
