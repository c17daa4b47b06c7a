//! How messages leave: an SMTP relay (lettre's async transport with a
//! connection pool), the outbox directory (one `.eml` per message, written
//! whole then renamed), or nowhere (`none`: actions stay queued).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    /// Record only: nothing is delivered, actions stay `queued`.
    None,
    /// One `.eml` per message into the outbox.
    File,
    /// An SMTP relay.
    Smtp {
        /// The transport and its pool.
        transport: AsyncSmtpTransport<Tokio1Executor>,
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

impl Mailer {
    /// An SMTP mailer from a URL in lettre's form
    /// (`smtp://user:pass@host:587?tls=required`, `smtp://127.0.0.1:2525`),
    /// with up to `connections` connections open at once.
    pub fn smtp(url: &str, connections: u32) -> Result<Mailer, UrlError> {
        let connections = connections.max(1);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(UrlError)?
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(connections))
            .build();
        let connections = connections as usize;
        Ok(Mailer::Smtp {
            transport,
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

/// Sends one message; returns the server's reply (or where it was written).
pub async fn send(
    mailer: &Mailer,
    outbox: &Path,
    name: &str,
    email: &Message,
) -> Result<String, SendError> {
    match mailer {
        Mailer::None => Ok(String::new()),
        Mailer::File => {
            let path = outbox.join(format!("{name}.eml"));
            write_whole(&path, &email.formatted())
                .map_err(|e| SendError::Transient(format!("writing {}: {e}", path.display())))?;
            Ok(format!("written to {}", path.display()))
        }
        Mailer::Smtp {
            transport, slots, ..
        } => {
            let _slot = slots
                .acquire()
                .await
                .map_err(|e| SendError::Transient(e.to_string()))?;
            smtp_send(transport, email).await
        }
    }
}

async fn smtp_send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    email: &Message,
) -> Result<String, SendError> {
    match transport.send(email.clone()).await {
        Ok(reply) => Ok(format!(
            "{} {}",
            reply.code(),
            reply.message().collect::<Vec<_>>().join(" ")
        )),
        Err(e) if e.is_permanent() => Err(SendError::Permanent(smtp_text(&e))),
        Err(e) => Err(SendError::Transient(smtp_text(&e))),
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
