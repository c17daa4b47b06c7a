//! Email addresses as validated values: [`EmailAddress`] for a plain
//! `local@domain.tld`, [`Mailbox`] for a sender written `Name <address>`.
//!
//! The rule is deliberately plain (it is not RFC 5322): exactly one `@`, with
//! something before it and a domain after it that has a dot inside (not at
//! either end), and no whitespace, `<`, `>` or `,` anywhere. It catches what
//! is clearly not an address; the mail server has the last word. The checker
//! validates the addresses a configuration writes through it, and the
//! engine's importer the addresses of the contacts file.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An email address written plainly, `local@domain.tld`, as written (case
/// kept). Only [`EmailAddress::parse`] (and deserializing, which calls it)
/// makes one, so holding one means the rule was checked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EmailAddress(String);

/// Why a text is not an email address (or not a mailbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// No `@` at all.
    #[error("an email address has an `@`")]
    NoAt,
    /// A second `@`.
    #[error("an email address has a single `@`")]
    SeveralAt,
    /// Nothing before the `@`.
    #[error("an email address has a mailbox name before its `@`")]
    NoLocalPart,
    /// A domain that is empty, has no dot, or starts or ends with one.
    #[error("an email address has a domain such as `example.com` after its `@`")]
    BadDomain,
    /// Whitespace, `<`, `>` or `,`: a list, a mailbox or a typo, not an address.
    #[error("an email address has no spaces, `<`, `>` or `,` (found {0:?})")]
    Forbidden(char),
    /// A mailbox with a `<` and no closing `>` at its end, or the reverse.
    #[error("a mailbox is written `Name <address>` or as a plain address")]
    Unbalanced,
}

impl EmailAddress {
    /// Checks `s` against the rule (see the module docs) and keeps it as written.
    pub fn parse(s: &str) -> Result<EmailAddress, EmailError> {
        let Some((local, domain)) = s.split_once('@') else {
            return Err(EmailError::NoAt);
        };
        if let Some(c) = s
            .chars()
            .find(|c| c.is_whitespace() || matches!(c, '<' | '>' | ','))
        {
            return Err(EmailError::Forbidden(c));
        }
        if domain.contains('@') {
            return Err(EmailError::SeveralAt);
        }
        if local.is_empty() {
            return Err(EmailError::NoLocalPart);
        }
        if domain.is_empty()
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(EmailError::BadDomain);
        }
        Ok(EmailAddress(s.to_string()))
    }

    /// The address as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EmailAddress {
    /// Deserializes a string and checks it: an invalid address is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        EmailAddress::parse(&s)
            .map_err(|e| serde::de::Error::custom(format!("\"{s}\" is not an email address: {e}")))
    }
}

/// A sender as `settings`' `from` writes it: `Name <address>`, or a plain
/// address (surrounding spaces allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name before `<`, trimmed; `None` when there is none.
    name: Option<String>,
    /// The address, between `<` and `>` or alone.
    address: EmailAddress,
}

impl Mailbox {
    /// Reads `Name <address>` (the address between the first `<` and a `>`
    /// ending the text) or a plain address.
    pub fn parse(s: &str) -> Result<Mailbox, EmailError> {
        match (s.find('<'), s.strip_suffix('>')) {
            (Some(open), Some(rest)) => {
                let name = s[..open].trim();
                Ok(Mailbox {
                    name: (!name.is_empty()).then(|| name.to_string()),
                    address: EmailAddress::parse(&rest[open + 1..])?,
                })
            }
            (None, None) => Ok(Mailbox {
                name: None,
                address: EmailAddress::parse(s.trim())?,
            }),
            _ => Err(EmailError::Unbalanced),
        }
    }

    /// The display name, if the mailbox has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The address.
    pub fn address(&self) -> &EmailAddress {
        &self.address
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} <{}>", self.address),
            None => write!(f, "{}", self.address),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as DeError, StrDeserializer};

    use super::*;

    /// The predicate `check::valid_address` was before this type replaced
    /// it, kept as the oracle: the type must accept exactly the same texts.
    fn old_valid_address(addr: &str) -> bool {
        let Some((local, domain)) = addr.split_once('@') else {
            return false;
        };
        !local.is_empty()
            && !domain.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !addr
                .chars()
                .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
            && !domain.contains('@')
    }

    /// `check::valid_mailbox` as it was, likewise.
    fn old_valid_mailbox(s: &str) -> bool {
        match (s.find('<'), s.strip_suffix('>')) {
            (Some(open), Some(rest)) => old_valid_address(&rest[open + 1..]),
            (None, None) => old_valid_address(s.trim()),
            _ => false,
        }
    }

    #[test]
    fn plain_addresses_are_accepted_as_written() {
        for ok in [
            "ar@example.com",
            "A.B+x@mail.example.co.uk",
            "x@y.z",
            "é@bücher.de",
        ] {
            let a = EmailAddress::parse(ok).expect(ok);
            assert_eq!(a.as_str(), ok);
            assert_eq!(a.to_string(), ok);
            assert_eq!(a.as_ref(), ok);
        }
    }

    #[test]
    fn each_broken_rule_has_its_reason() {
        let cases = [
            ("example.com", EmailError::NoAt),
            ("a@b@example.com", EmailError::SeveralAt),
            ("@example.com", EmailError::NoLocalPart),
            ("ar@", EmailError::BadDomain),
            ("ar@localhost", EmailError::BadDomain),
            ("ar@.example.com", EmailError::BadDomain),
            ("ar@example.com.", EmailError::BadDomain),
            ("ar @example.com", EmailError::Forbidden(' ')),
            ("a@x.com,b@y.com", EmailError::Forbidden(',')),
            ("<ar@example.com>", EmailError::Forbidden('<')),
        ];
        for (text, why) in cases {
            assert_eq!(EmailAddress::parse(text), Err(why), "{text}");
        }
    }

    #[test]
    fn a_mailbox_has_a_name_or_is_a_plain_address() {
        let m = Mailbox::parse("Credit team <ar@example.com>").unwrap();
        assert_eq!(m.name(), Some("Credit team"));
        assert_eq!(m.address().as_str(), "ar@example.com");
        assert_eq!(m.to_string(), "Credit team <ar@example.com>");
        let m = Mailbox::parse("  ar@example.com ").unwrap();
        assert_eq!(m.name(), None);
        assert_eq!(m.to_string(), "ar@example.com");
        assert_eq!(Mailbox::parse("<ar@example.com>").unwrap().name(), None);
        assert_eq!(
            Mailbox::parse("Credit team <ar@example.com"),
            Err(EmailError::Unbalanced)
        );
        assert_eq!(
            Mailbox::parse("Credit team < ar@example.com>"),
            Err(EmailError::Forbidden(' '))
        );
    }

    #[test]
    fn deserializing_checks_the_address() {
        let de: StrDeserializer<'_, DeError> = "ar@example.com".into_deserializer();
        assert_eq!(
            EmailAddress::deserialize(de).unwrap().as_str(),
            "ar@example.com"
        );
        let de: StrDeserializer<'_, DeError> = "ar@localhost".into_deserializer();
        let err = EmailAddress::deserialize(de).unwrap_err().to_string();
        assert!(
            err.contains("\"ar@localhost\" is not an email address"),
            "{err}"
        );
    }

    proptest! {
        #[test]
        fn the_type_accepts_what_the_old_predicate_accepted(s in "[ab@.<>, \t]{0,10}") {
            prop_assert_eq!(EmailAddress::parse(&s).is_ok(), old_valid_address(&s));
            prop_assert_eq!(Mailbox::parse(&s).is_ok(), old_valid_mailbox(&s));
        }

        #[test]
        fn on_any_text_too(s in any::<String>()) {
            prop_assert_eq!(EmailAddress::parse(&s).is_ok(), old_valid_address(&s));
            prop_assert_eq!(Mailbox::parse(&s).is_ok(), old_valid_mailbox(&s));
        }
    }
}
