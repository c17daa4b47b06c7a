//! The seam between delivery and message content. Delivery re-reads an
//! action and its account just before sending and hands them over as an
//! [`Outgoing`]; a [`Compose`] turns that into an email and/or a printable
//! letter. [`PlainCompose`] writes a plain-text email naming the step and
//! the items; the templates' composer (tera, hashtags, multipart) replaces
//! it behind the same trait.

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder};

/// One recorded action, re-read just before sending.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The action id (the `X-Relance-Action` header).
    pub id: i64,
    /// Stable for the action (see [`message_id`]): the composer must use it,
    /// so that a message sent again after a crash is recognised as the same.
    pub message_id: &'a str,
    /// The run date of the action.
    pub run_date: chrono::NaiveDate,
    /// Its scenario.
    pub scenario: &'a str,
    /// Its step.
    pub step: &'a str,
    /// The step's actions in file order (`email`, `letter`, `task`...).
    pub kinds: &'a [String],
    /// The first email's or letter's template.
    pub template: Option<&'a str>,
    /// Main recipients, as planned.
    pub to: &'a [String],
    /// Copies, as planned.
    pub cc: &'a [String],
    /// The covered items still to chase: items paid or suspended since
    /// planning are dropped.
    pub items: &'a [relance_engine::planner::ItemKey],
    /// The account's facts, freshly loaded.
    pub account: &'a relance_engine::planner::Account,
    /// The files of the covered items shared with the customer, with
    /// their links and, for `attach invoices`, the contents that fit the
    /// budget (docs/reference/files.md "In emails").
    pub files: &'a [SharedFile],
    /// The signed link of the account's customer page (`#interactive_link`),
    /// when links are made.
    pub interactive: Option<&'a str>,
}

/// A file of a covered item shared with the customer, as an email carries
/// it: as a MIME part (`content`), through a signed link (`link`), or both.
#[derive(Debug, Clone)]
pub struct SharedFile {
    /// Its metadata.
    pub file: relance_engine::store::files::FileRow,
    /// Its signed download link and the last day it works (in the
    /// account's timezone), when links are made.
    pub link: Option<(String, chrono::NaiveDate)>,
    /// Its content, when the step attaches invoices and it fits the budget.
    pub content: Option<bytes::Bytes>,
}

impl Outgoing<'_> {
    /// Whether the action sends an email.
    pub fn has_email(&self) -> bool {
        self.kinds.iter().any(|k| k == "email") && !self.to.is_empty()
    }

    /// Whether the action prints a letter.
    pub fn has_letter(&self) -> bool {
        self.kinds.iter().any(|k| k == "letter")
    }
}

/// What a composer made of an action.
#[derive(Debug, Clone, Default)]
pub struct Composed {
    /// The email, when the action sends one.
    pub email: Option<Message>,
    /// The letter as printable HTML, when the action prints one.
    pub letter: Option<String>,
    /// The same letter as a PDF file, written beside the HTML.
    pub letter_pdf: Option<Vec<u8>>,
}

/// Why an action could not be composed. It fails that action (state
/// `failed`, alert `delivery_failed` on the account); it never fails the run.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// An address (sender or recipient) is not one.
    #[error("invalid address {address:?}: {reason}")]
    Address {
        /// The text.
        address: String,
        /// Why.
        reason: String,
    },
    /// The template is missing or fails to render.
    #[error("template {template}: {reason}")]
    Template {
        /// Its name.
        template: String,
        /// Why.
        reason: String,
    },
    /// The message cannot be built.
    #[error("cannot build the message: {0}")]
    Message(String),
}

/// An internal message (docs/reference/planning.md "Notifications"),
/// claimed just before sending: a colleague's digest or one alert.
#[derive(Debug, Clone)]
pub struct InternalOutgoing<'a> {
    /// The internal message's id (the `X-Relance-Internal` header).
    pub id: i64,
    /// Stable for the message ([`message_id`] of its id and key).
    pub message_id: &'a str,
    /// `digest` or `immediate`.
    pub kind: &'a str,
    /// The colleague's address.
    pub to: &'a str,
    /// The day it is about.
    pub day: chrono::NaiveDate,
    /// What it tells, oldest first.
    pub entries: Vec<relance_templates::internal::Entry>,
}

/// Builds an internal email with the internal templates: `digest`, or
/// `alert` for an immediate message; From the sender, To the colleague,
/// the stable Message-ID and `X-Relance-Internal`; text and HTML parts.
pub fn internal_email(
    internal: &relance_templates::internal::Internal,
    from: &Mailbox,
    company: &str,
    language: &str,
    out: &InternalOutgoing<'_>,
) -> Result<Message, ComposeError> {
    use relance_templates::internal::{InternalContext, Recipient};
    let name = if out.kind == "immediate" {
        "alert"
    } else {
        "digest"
    };
    let colleague = Recipient {
        email: out.to.to_string(),
        name: out
            .entries
            .iter()
            .find_map(|e| e.colleague_name.clone())
            .unwrap_or_else(|| out.to.to_string()),
    };
    let ctx = InternalContext::new(company, colleague, out.day, language, out.entries.clone());
    let rendered = internal
        .render(name, &ctx)
        .map_err(|e| ComposeError::Template {
            template: format!("internal/{name}"),
            reason: e.to_string(),
        })?;
    let to = mailbox(&sendable(out.to).map_err(|reason| ComposeError::Address {
        address: out.to.to_string(),
        reason,
    })?)?;
    let builder = mailbox_header(Message::builder(), "From", from)
        .message_id(Some(out.message_id.to_string()))
        .to(to)
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Relance-Internal"),
            out.id.to_string(),
        ));
    subject(builder, &rendered.subject)
        .multipart(lettre::message::MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html_document(),
        ))
        .map_err(|e| ComposeError::Message(e.to_string()))
}

/// Turns an action into messages.
pub trait Compose: Send + Sync {
    /// Composes an internal message (a digest, an immediate alert).
    fn compose_internal(&self, out: &InternalOutgoing<'_>) -> Result<Message, ComposeError>;

    /// Composes the email and/or letter of an action.
    fn compose(&self, out: &Outgoing<'_>) -> Result<Composed, ComposeError>;

    /// Composes them knowing the account's earlier emails and letters,
    /// oldest first (delivery reads them per batch); a composer that does
    /// not tell the customer about them composes as [`Compose::compose`].
    fn compose_after(
        &self,
        out: &Outgoing<'_>,
        previous: &[relance_templates::context::Previous],
    ) -> Result<Composed, ComposeError> {
        let _ = previous;
        self.compose(out)
    }
}

/// The longest word (octets between spaces) left to lettre in a header:
/// lettre folds header lines only at spaces and writes an ASCII word whole,
/// so a 1,000-letter name made a 1,000-octet line, which servers refuse
/// (RFC 5322: at most 998, should be 78).
const LONG_WORD: usize = 60;

/// Octets of text per encoded-word: `=?utf-8?b?` + base64 of 39 octets (52)
/// + `?=` is 64, so `Reply-To: ` and the first word stay within 78.
const WORD_OCTETS: usize = 39;

/// Whether lettre would write `text` with a line over 78 octets.
fn has_long_word(text: &str) -> bool {
    text.split([' ', '\t']).any(|w| w.len() > LONG_WORD)
}

/// `text` as RFC 2047 encoded-words (UTF-8, base64), each within 64
/// octets, cut only between characters, one per line (`CRLF SP` between
/// them: folding white space between encoded-words is not part of the text).
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > WORD_OCTETS {
            words.push(format!("=?utf-8?b?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?utf-8?b?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Sets the Subject, folded whatever it holds: as lettre writes it, unless
/// a word is too long to fit a line, then as RFC 2047 encoded-words.
pub fn subject(builder: MessageBuilder, text: &str) -> MessageBuilder {
    if !has_long_word(text) {
        return builder.subject(text);
    }
    builder.raw_header(HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str("Subject"),
        text.to_string(),
        encoded_words(text),
    ))
}

/// Sets a mailbox header (`From`, `Reply-To`), folded whatever its display
/// name: as lettre writes it, unless a word of the name is too long to fit
/// a line, then the name as RFC 2047 encoded-words.
pub fn mailbox_header(
    builder: MessageBuilder,
    name: &'static str,
    mailbox: &Mailbox,
) -> MessageBuilder {
    let long = mailbox.name.as_deref().filter(|n| has_long_word(n));
    let Some(display) = long else {
        return match name {
            "From" => builder.from(mailbox.clone()),
            _ => builder.reply_to(mailbox.clone()),
        };
    };
    builder.raw_header(HeaderValue::dangerous_new_pre_encoded(
        HeaderName::new_from_ascii_str(name),
        mailbox.to_string(),
        format!("{}\r\n <{}>", encoded_words(display), mailbox.email),
    ))
}

/// An address as it can leave over SMTP without extensions, or why it
/// cannot. A non-ASCII domain is written in IDNA (`café.example` becomes
/// `xn--caf-dma.example`), which every server takes; a non-ASCII local part
/// (`inês@…`) would need SMTPUTF8, which relance does not use (a server
/// without it refuses the whole message, and most relays lack it): that
/// recipient is refused, permanently, and the others are still served.
/// `Name <address>` keeps its name.
///
/// The address is first read as the importer and the checker read it
/// ([`relance_dsl::Mailbox`]): one rule for what an email address is.
pub fn sendable(text: &str) -> Result<String, String> {
    let text = text.trim();
    let mailbox = relance_dsl::Mailbox::parse(text)
        .map_err(|e| format!("\"{text}\" is not an email address: {e}"))?;
    let name = mailbox.name();
    let address = mailbox.address().as_str();
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(format!("\"{address}\" is not an email address"));
    };
    if !local.is_ascii() {
        return Err(format!(
            "the mailbox name of \"{address}\" is not ASCII: it needs SMTPUTF8, which relance does not use"
        ));
    }
    let domain = if domain.is_ascii() {
        domain.to_string()
    } else {
        idna::domain_to_ascii(domain)
            .map_err(|_| format!("the domain of \"{address}\" is not a valid domain name"))?
    };
    let address = format!("{local}@{domain}");
    address
        .parse::<lettre::Address>()
        .map_err(|e| format!("\"{address}\" is not an email address: {e}"))?;
    Ok(match name {
        Some(name) => format!("{name} <{address}>"),
        None => address,
    })
}

/// A Message-ID stable for an action: its id and a hash of its unique key,
/// at the sender's domain. The same action always gets the same one (a
/// resend after a crash is the same message to every MTA and mail client);
/// two stores' actions with the same id differ by their keys.
pub fn message_id(id: i64, key: &str, from: &str) -> String {
    // FNV-1a, 64 bits: stable across versions and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("relance.invalid");
    format!("<relance.{id}.{h:016x}@{domain}>")
}

/// A plain-text email (and a minimal letter): From from the settings, To
/// and Cc as planned, a subject naming the step and the account, the stable
/// Message-ID and `X-Relance-Action`.
#[derive(Debug, Clone)]
pub struct PlainCompose {
    /// The sender, `Name <address>`.
    pub from: String,
    /// The company, for the text.
    pub company: String,
    /// The settings language: internal messages are written in it.
    pub language: String,
    /// The built-in internal templates (`None`: they failed to load, and
    /// every internal message fails to compose, saying so).
    pub internal: Option<std::sync::Arc<relance_templates::internal::Internal>>,
}

impl PlainCompose {
    /// From the configuration's settings (`from`, else `company` at a
    /// placeholder address).
    pub fn new(settings: &relance_dsl::model::Settings) -> PlainCompose {
        let company = settings.company.clone().unwrap_or_else(|| "relance".into());
        PlainCompose {
            from: settings
                .from
                .clone()
                .unwrap_or_else(|| format!("{company} <noreply@relance.invalid>")),
            company,
            language: settings.language.clone(),
            internal: relance_templates::internal::Internal::load([])
                .ok()
                .map(std::sync::Arc::new),
        }
    }
}

fn mailbox(address: &str) -> Result<Mailbox, ComposeError> {
    address
        .parse()
        .map_err(|e: lettre::address::AddressError| ComposeError::Address {
            address: address.to_string(),
            reason: e.to_string(),
        })
}

/// The headers every composer sets: From, To, Cc, Message-ID and
/// `X-Relance-Action`. The subject and body are the composer's.
pub fn headers(out: &Outgoing<'_>, from: &str) -> Result<MessageBuilder, ComposeError> {
    let mut b = mailbox_header(Message::builder(), "From", &mailbox(from)?)
        .message_id(Some(out.message_id.to_string()));
    for to in out.to {
        b = b.to(mailbox(to)?);
    }
    for cc in out.cc {
        b = b.cc(mailbox(cc)?);
    }
    Ok(b.raw_header(HeaderValue::new(
        HeaderName::new_from_ascii_str("X-Relance-Action"),
        out.id.to_string(),
    )))
}

impl Compose for PlainCompose {
    fn compose_internal(&self, out: &InternalOutgoing<'_>) -> Result<Message, ComposeError> {
        let internal = self
            .internal
            .as_deref()
            .ok_or_else(|| ComposeError::Template {
                template: "internal".into(),
                reason: "the built-in internal templates did not load".into(),
            })?;
        internal_email(
            internal,
            &mailbox(&self.from)?,
            &self.company,
            &self.language,
            out,
        )
    }

    fn compose(&self, out: &Outgoing<'_>) -> Result<Composed, ComposeError> {
        let items: Vec<&str> = out.items.iter().map(|k| k.reference.as_str()).collect();
        let name = out
            .account
            .leader()
            .map(|c| c.facts.name.as_str())
            .unwrap_or(out.account.code.as_str());
        let mut composed = Composed::default();
        if out.has_email() {
            let body = format!(
                "Dear customer,\n\nAccount {} ({name}): step {} of scenario {} (template {}).\n\
                 Items: {}\n\n{}\n",
                out.account.code,
                out.step,
                out.scenario,
                out.template.unwrap_or("none"),
                items.join(", "),
                self.company,
            );
            let email = subject(
                headers(out, &self.from)?,
                &format!("{} for account {}", out.step, out.account.code),
            )
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| ComposeError::Message(e.to_string()))?;
            composed.email = Some(email);
        }
        if out.has_letter() {
            let esc = |s: &str| {
                s.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            };
            composed.letter = Some(format!(
                "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head><body>\n\
                 <p>{}</p>\n<p>{} — {}</p>\n<p>Step {} of scenario {}, {}.</p>\n<p>Items: {}</p>\n</body></html>\n",
                esc(out.step),
                esc(&self.company),
                esc(&out.account.code),
                esc(name),
                esc(out.step),
                esc(out.scenario),
                out.run_date,
                esc(&items.join(", ")),
            ));
            let text = format!(
                "{}\n\n{} — {}\n\nStep {} of scenario {}, {}.\n\nItems: {}",
                self.company,
                out.account.code,
                name,
                out.step,
                out.scenario,
                out.run_date,
                items.join(", ")
            );
            composed.letter_pdf =
                Some(relance_templates::pdf::Document::from_text(out.step, "", &text).to_pdf());
        }
        Ok(composed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unbase64(text: &str) -> Vec<u8> {
        let value = |c: u8| {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                .iter()
                .position(|x| *x == c)
                .expect("a base64 digit") as u32
        };
        let mut out = Vec::new();
        for group in text.as_bytes().chunks(4) {
            let digits: Vec<u8> = group.iter().copied().filter(|c| *c != b'=').collect();
            let n = digits
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, c)| n | value(*c) << (18 - 6 * i));
            for i in 0..digits.len().saturating_sub(1) {
                out.push((n >> (16 - 8 * i) & 255) as u8);
            }
        }
        out
    }

    #[test]
    fn long_words_become_encoded_words_that_decode_to_the_text() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        for text in [
            "x".repeat(1000),
            format!("Relance — {}", "é".repeat(500)),
            "a".to_string(),
        ] {
            let encoded = encoded_words(&text);
            let mut decoded = Vec::new();
            for line in encoded.split("\r\n ") {
                assert!(line.len() <= 64, "{line}");
                let b64 = line
                    .strip_prefix("=?utf-8?b?")
                    .and_then(|l| l.strip_suffix("?="))
                    .expect("an encoded-word");
                decoded.extend(unbase64(b64));
            }
            assert_eq!(String::from_utf8(decoded).expect("UTF-8"), text);
        }
        assert!(has_long_word(&"x".repeat(61)));
        assert!(!has_long_word("Overdue invoices — Dupont SA (C1)"));
    }

    #[test]
    fn addresses_leave_in_ascii_or_are_refused() {
        assert_eq!(sendable(" ap@c1.example "), Ok("ap@c1.example".into()));
        assert_eq!(
            sendable("ap@café.example"),
            Ok("ap@xn--caf-dma.example".into())
        );
        assert_eq!(
            sendable("Ap Team <ap@café.example>"),
            Ok("Ap Team <ap@xn--caf-dma.example>".into())
        );
        let refused = sendable("inês0@c1.example").expect_err("SMTPUTF8 needed");
        assert!(
            refused.contains("SMTPUTF8") && refused.contains("inês0@c1.example"),
            "{refused}"
        );
        assert!(sendable("no-at-sign").is_err());
        assert!(sendable("a b@c1.example").is_err());
    }

    #[test]
    fn the_message_id_is_stable_for_an_action_and_at_the_sender_domain() {
        let a = message_id(
            42,
            "C1/standard/reminder_1/C1/INV-1",
            "ACME <ar@acme.example>",
        );
        assert_eq!(
            a,
            message_id(
                42,
                "C1/standard/reminder_1/C1/INV-1",
                "ACME <ar@acme.example>"
            )
        );
        assert!(a.starts_with("<relance.42."), "{a}");
        assert!(a.ends_with("@acme.example>"), "{a}");
        assert_ne!(
            a,
            message_id(42, "C2/standard/reminder_1/C2/INV-1", "ar@acme.example")
        );
        assert!(message_id(1, "k", "").ends_with("@relance.invalid>"));
    }
}
