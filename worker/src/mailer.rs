//! How messages leave: an SMTP relay (`smtp://`: connections relance opens
//! with `TCP_NODELAY` and lettre speaks SMTP on, see [`crate::smtp`];
//! `smtps://`: lettre's async transport with its connection pool), the
//! outbox directory (one `.eml` per message, written
//! whole then renamed), or nowhere (`none`: actions stay queued).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::smtp::{Connections, Failure};

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    /// Record only: nothing is delivered, actions stay `queued`.
    None,
    /// One `.eml` per message into the outbox.
    File,
    /// An SMTP relay.
    Smtp {
        /// The transport and its pool, with a generation number: a send
        /// that times out replaces it (see [`Smtp::fresh`]).
        transport: Arc<Mutex<(u64, AsyncSmtpTransport<Tokio1Executor>)>>,
        /// Relance's own connections, for `smtp://` URLs: messages go
        /// through them rather than through `transport`.
        own: Option<Arc<Connections>>,
        /// How to build a transport again, and the send timeout.
        config: Arc<Smtp>,
        /// Permits that bound concurrent sends to the pool's size (lettre's
        /// pool caps idle connections, not open ones).
        slots: Arc<Semaphore>,
        /// The pool's size.
        connections: usize,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mailer::None => "Mailer::None",
            Mailer::File => "Mailer::File",
            Mailer::Smtp { .. } => "Mailer::Smtp",
        })
    }
}

/// The SMTP URL cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid SMTP URL (expected smtp://[user:pass@]host[:port][?tls=required]): {0}")]
pub struct UrlError(#[source] lettre::transport::smtp::Error);

/// The default of `--smtp-timeout`: the longest one SMTP send may take.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// What an SMTP transport is built from, kept to build a fresh one.
pub struct Smtp {
    /// The URL in lettre's form (it may hold credentials: never printed).
    url: String,
    /// The pool's size.
    connections: u32,
    /// The longest one send may take, from asking the pool for a connection
    /// (connect, greeting, EHLO, TLS, AUTH) to the server's reply to the
    /// data; lettre's own timeout only covers the TCP connect.
    pub timeout: Duration,
}

impl Smtp {
    /// A new transport (a new, empty pool).
    fn build(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, UrlError> {
        Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.url)
            .map_err(UrlError)?
            .timeout(Some(self.timeout))
            .pool_config(PoolConfig::new().max_size(self.connections))
            .build())
    }

    /// Replaces the transport of generation `generation` by a fresh one. A
    /// send cancelled by the timeout hands its connection back to lettre's
    /// pool in the middle of a command (lettre does not know it broke): the
    /// next send taking it would wait on the same silent server or read a
    /// late reply meant for the cancelled one. A fresh pool never lends it
    /// again; sends in flight on the old pool finish on it.
    fn fresh(&self, current: &Mutex<(u64, AsyncSmtpTransport<Tokio1Executor>)>, generation: u64) {
        let Ok(transport) = self.build() else {
            return;
        };
        if let Ok(mut current) = current.lock()
            && current.0 == generation
        {
            *current = (generation + 1, transport);
        }
    }
}

impl Mailer {
    /// An SMTP mailer from a URL in lettre's form
    /// (`smtp://user:pass@host:587?tls=required`, `smtp://127.0.0.1:2525`),
    /// with up to `connections` connections open at once and the default
    /// send timeout ([`DEFAULT_SMTP_TIMEOUT`]).
    pub fn smtp(url: &str, connections: u32) -> Result<Mailer, UrlError> {
        Mailer::smtp_with_timeout(url, connections, DEFAULT_SMTP_TIMEOUT)
    }

    /// An SMTP mailer whose every send (connect, greeting, each command,
    /// the data) is abandoned after `timeout` in all: a transient failure.
    pub fn smtp_with_timeout(
        url: &str,
        connections: u32,
        timeout: Duration,
    ) -> Result<Mailer, UrlError> {
        let connections = connections.max(1);
        let config = Smtp {
            url: url.to_string(),
            connections,
            timeout: timeout.max(Duration::from_millis(1)),
        };
        let transport = config.build()?;
        let connections = connections as usize;
        Ok(Mailer::Smtp {
            transport: Arc::new(Mutex::new((0, transport))),
            own: Connections::of_url(url).map(Arc::new),
            config: Arc::new(config),
            slots: Arc::new(Semaphore::new(connections)),
            connections,
        })
    }

    /// How many sends are worth having in flight at once: the SMTP pool's
    /// size, else one (files are written one after another anyway).
    pub fn concurrency(&self) -> usize {
        match self {
            Mailer::Smtp { connections, .. } => *connections,
            _ => 1,
        }
    }

    /// Lettre's pooled transport for this URL (the benchmark compares it
    /// with the connections relance sends through).
    pub fn transport(&self) -> Option<AsyncSmtpTransport<Tokio1Executor>> {
        match self {
            Mailer::Smtp { transport, .. } => transport.lock().ok().map(|t| t.1.clone()),
            _ => None,
        }
    }

    /// Whether this mailer delivers at all.
    pub fn delivers(&self) -> bool {
        !matches!(self, Mailer::None)
    }
}

/// Why a message did not leave.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: a 4xx reply, a refused or lost connection,
    /// a timeout.
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help: a 5xx reply (an unknown mailbox...).
    #[error("{0}")]
    Permanent(String),
}

/// A message handed over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    /// The server's reply, or where the file went.
    pub reply: String,
    /// Recipients the server refused while it took the message for the
    /// others (`address: reply`).
    pub refused: Vec<String>,
}

/// Sends one message; returns the server's reply (or where it was written)
/// and the recipients refused while the others were served.
///
/// SMTP is one transaction per message: a `5xx` to one recipient fails it
/// for all. When a message with several recipients fails permanently, it is
/// sent again one recipient at a time (same bytes, same Message-ID): the
/// message is handed over when a main recipient (To) takes it, and those
/// refused are reported; when no main recipient takes it, it fails.
pub async fn send(
    mailer: &Mailer,
    outbox: &Path,
    name: &str,
    email: &Message,
) -> Result<Delivered, SendError> {
    match mailer {
        Mailer::None => Ok(Delivered::default()),
        Mailer::File => {
            let path = outbox.join(format!("{name}.eml"));
            write_whole(&path, &email.formatted())
                .map_err(|e| SendError::Transient(format!("writing {}: {e}", path.display())))?;
            Ok(Delivered {
                reply: format!("written to {}", path.display()),
                refused: Vec::new(),
            })
        }
        Mailer::Smtp {
            transport,
            own,
            config,
            slots,
            ..
        } => {
            let via = Via {
                transport,
                own: own.as_deref(),
                config,
            };
            let _slot = slots
                .acquire()
                .await
                .map_err(|e| SendError::Transient(e.to_string()))?;
            let bytes = email.formatted();
            let envelope = email.envelope();
            let whole = timed_send(&via, envelope, &bytes).await;
            let recipients = envelope.to();
            match whole {
                Err(SendError::Permanent(reply)) if recipients.len() > 1 => {
                    each_recipient(&via, email, &bytes, reply).await
                }
                other => other.map(|reply| Delivered {
                    reply,
                    refused: Vec::new(),
                }),
            }
        }
    }
}

/// What a send goes through: relance's own connections when the URL is
/// `smtp://`, else lettre's transport; and the timeout.
struct Via<'a> {
    transport: &'a Mutex<(u64, AsyncSmtpTransport<Tokio1Executor>)>,
    own: Option<&'a Connections>,
    config: &'a Smtp,
}

/// The per-recipient sends after a permanent failure of the whole message.
async fn each_recipient(
    via: &Via<'_>,
    email: &Message,
    bytes: &[u8],
    whole: String,
) -> Result<Delivered, SendError> {
    let envelope = email.envelope();
    let main: Vec<lettre::Address> = email
        .headers()
        .get::<lettre::message::header::To>()
        .map(|to| {
            let boxes: lettre::message::Mailboxes = to.into();
            boxes.into_iter().map(|m| m.email).collect()
        })
        .unwrap_or_default();
    // Main recipients first: when none takes it, no copy leaves either.
    let (first, copies): (Vec<&lettre::Address>, Vec<&lettre::Address>) =
        envelope.to().iter().partition(|a| main.contains(a));
    let (mut accepted, mut refused, mut transient) = (Vec::new(), Vec::new(), false);
    let mut last_reply = String::new();
    for (n, rcpt) in first.iter().chain(copies.iter()).enumerate() {
        if n == first.len() && accepted.is_empty() {
            break;
        }
        let one = lettre::address::Envelope::new(envelope.from().cloned(), vec![(*rcpt).clone()])
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        match timed_send(via, &one, bytes).await {
            Ok(reply) => {
                accepted.push(rcpt.to_string());
                last_reply = reply;
            }
            Err(SendError::Permanent(reply)) => refused.push(format!("{rcpt}: {reply}")),
            Err(SendError::Transient(reply)) => {
                transient = true;
                refused.push(format!("{rcpt}: {reply}"));
            }
        }
    }
    if !accepted.is_empty() {
        return Ok(Delivered {
            reply: format!("{last_reply} (accepted for {})", accepted.join(", ")),
            refused,
        });
    }
    let reply = format!("{whole}; one recipient at a time: {}", refused.join("; "));
    if transient {
        Err(SendError::Transient(reply))
    } else {
        Err(SendError::Permanent(reply))
    }
}

/// One SMTP transaction under the send timeout. On relance's own
/// connections a timed-out send drops its connection; on lettre's pool it
/// replaces the pool (see [`Smtp::fresh`]).
async fn timed_send(
    via: &Via<'_>,
    envelope: &lettre::address::Envelope,
    bytes: &[u8],
) -> Result<String, SendError> {
    let config = via.config;
    let timed_out = || {
        SendError::Transient(format!(
            "timed out: no answer from the SMTP server within {} (--smtp-timeout)",
            seconds(config.timeout)
        ))
    };
    if let Some(own) = via.own {
        return match tokio::time::timeout(config.timeout, own.send(envelope, bytes)).await {
            Ok(Ok(reply)) => Ok(reply_text(&reply)),
            Ok(Err(Failure::Smtp(e))) => Err(smtp_error(&e)),
            Ok(Err(Failure::Connect(e))) => Err(SendError::Transient(e)),
            Err(_) => Err(timed_out()),
        };
    }
    let (generation, current) = match via.transport.lock() {
        Ok(t) => (t.0, t.1.clone()),
        Err(_) => return Err(SendError::Transient("the SMTP pool is unusable".into())),
    };
    match tokio::time::timeout(config.timeout, smtp_send(&current, envelope, bytes)).await {
        Ok(result) => result,
        Err(_) => {
            config.fresh(via.transport, generation);
            Err(timed_out())
        }
    }
}

/// `30 s`, `1.5 s`.
fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{} s", ms as f64 / 1000.0)
    }
}

async fn smtp_send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    envelope: &lettre::address::Envelope,
    bytes: &[u8],
) -> Result<String, SendError> {
    match transport.send_raw(envelope, bytes).await {
        Ok(reply) => Ok(reply_text(&reply)),
        Err(e) => Err(smtp_error(&e)),
    }
}

/// `250 2.0.0 Ok: queued as …`.
fn reply_text(reply: &lettre::transport::smtp::response::Response) -> String {
    format!(
        "{} {}",
        reply.code(),
        reply.message().collect::<Vec<_>>().join(" ")
    )
}

/// A 5xx reply is permanent; anything else is worth trying again.
fn smtp_error(e: &lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::Permanent(smtp_text(e))
    } else {
        SendError::Transient(smtp_text(e))
    }
}

/// An SMTP error with its causes, on one line.
fn smtp_text(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Writes a file whole: into a temporary name beside it, then renamed, so a
/// crash never leaves half a message.
pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = PathBuf::from(path);
    tmp.as_mut_os_string().push(".tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// The longest outbox file name relance makes, before `.eml`/`.html` and
/// the `.tmp` of a write in progress: well under the 255 bytes file systems
/// allow, whatever the customer code or step name.
pub const MAX_FILE_NAME: usize = 120;

/// The outbox file name of an action, `ID-ACCOUNT-STEP` with every part
/// [`sanitize`]d; a name over [`MAX_FILE_NAME`] is cut and ends with `~`
/// and 16 hex digits of a hash of the whole, so two long codes that start
/// alike still get two files.
pub fn file_name(id: i64, account: &str, step: &str) -> String {
    let name = format!("{id:06}-{}-{}", sanitize(account), sanitize(step));
    if name.len() <= MAX_FILE_NAME {
        return name;
    }
    // FNV-1a of the unsanitized parts: stable across versions.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{id}\0{account}\0{step}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // Sanitized names are ASCII: any byte index is a char boundary.
    format!("{}~{h:016x}", &name[..MAX_FILE_NAME - 17])
}

/// A file name part: letters, digits, `-` and `_` kept, anything else `_`.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_to_the_bound_and_stay_distinct() {
        assert_eq!(
            file_name(7, "C0001", "reminder_1"),
            "000007-C0001-reminder_1"
        );
        let a = file_name(7, &format!("{}A", "x".repeat(300)), "reminder_1");
        let b = file_name(7, &format!("{}B", "x".repeat(300)), "reminder_1");
        assert_eq!(a.len(), MAX_FILE_NAME);
        assert!(a.starts_with("000007-xxx"), "{a}");
        assert_ne!(a, b);
        let accents = file_name(8, &"é".repeat(200), "step");
        assert!(
            accents.len() <= MAX_FILE_NAME && accents.is_ascii(),
            "{accents}"
        );
    }
}
