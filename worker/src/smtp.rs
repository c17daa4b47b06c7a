//! SMTP connections relance opens itself for `smtp://` URLs (plain, or
//! STARTTLS with `?tls=required|opportunistic`), kept open between
//! messages, each with `TCP_NODELAY` set.
//!
//! Why not lettre's pooled transport: lettre writes a message's data and
//! then its final `.` line as two writes. Without `TCP_NODELAY` (lettre
//! never sets it), Nagle's algorithm holds the small second write until
//! the first is acknowledged, and the server, which answers only after the
//! `.` line, delays that acknowledgement (40 ms on Linux): every message
//! then costs about 40 ms per connection, whatever the server's speed.
//! lettre offers no hook on the sockets of its pool, but takes a connected
//! stream (`AsyncSmtpConnection::connect_with_transport`): relance connects,
//! sets the option, and lets lettre speak SMTP on it (greeting, EHLO,
//! STARTTLS, AUTH, the transaction).
//!
//! `smtps://` (TLS from the first byte) is still lettre's own transport:
//! lettre upgrades only its own streams to TLS before the greeting.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;

/// An idle connection older than this is checked (`NOOP`) before it is
/// used again: servers close idle connections after a while.
const CHECK_AFTER: Duration = Duration::from_secs(30);

/// What went wrong: lettre's SMTP error (a reply or a broken connection),
/// or connecting.
#[derive(Debug)]
pub enum Failure {
    /// From lettre: `is_permanent()` tells a 5xx reply.
    Smtp(lettre::transport::smtp::Error),
    /// Connecting, or a server without the STARTTLS it was required to offer.
    Connect(String),
}

/// STARTTLS after the greeting.
#[derive(Clone)]
struct StartTls {
    parameters: TlsParameters,
    /// `tls=required`: a server that does not offer it is refused.
    required: bool,
}

/// Where to connect and how, and the connections kept open.
pub struct Connections {
    host: String,
    port: u16,
    starttls: Option<StartTls>,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// Connections between two messages, with the time they were parked.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl Connections {
    /// The connections of an `smtp://` URL in lettre's form (`smtp://host`,
    /// port 25; `?tls=required` or `?tls=opportunistic`, port 587; user and
    /// password percent-encoded; a path names the EHLO domain); `None` for
    /// any other URL, which lettre's transport serves. The URL has been
    /// checked by lettre first.
    pub fn of_url(text: &str) -> Option<Connections> {
        let url = url::Url::parse(text).ok()?;
        if url.scheme() != "smtp" {
            return None;
        }
        let host = url.host_str()?.to_string();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let starttls = match tls.as_deref() {
            None => None,
            Some(mode @ ("required" | "opportunistic")) => Some(StartTls {
                parameters: TlsParameters::new(host.clone()).ok()?,
                required: mode == "required",
            }),
            Some(_) => return None,
        };
        let port = url
            .port()
            .unwrap_or(if starttls.is_some() { 587 } else { 25 });
        let hello = if url.path().len() > 1 {
            ClientId::Domain(url.path().trim_matches('/').to_string())
        } else {
            ClientId::default()
        };
        let credentials = match url.password() {
            Some(password) => {
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8()
                        .map(|s| s.into_owned())
                        .ok()
                };
                Some(Credentials::new(decode(url.username())?, decode(password)?))
            }
            None => None,
        };
        Some(Connections {
            host,
            port,
            starttls,
            credentials,
            hello,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends one message on a connection kept open (or a new one). A
    /// connection that failed is closed; one that answered is kept. A send
    /// cancelled mid-way (a timeout) drops its connection with it: it is
    /// never lent again.
    pub async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<Response, Failure> {
        let mut conn = self.take().await?;
        let sent = conn.send(envelope, bytes).await;
        if !conn.has_broken()
            && let Ok(mut idle) = self.idle.lock()
        {
            idle.push((conn, Instant::now()));
        }
        sent.map_err(Failure::Smtp)
    }

    /// An idle connection that still answers, else a new one.
    async fn take(&self) -> Result<AsyncSmtpConnection, Failure> {
        loop {
            let parked = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some((mut conn, since)) = parked else {
                return self.connect().await;
            };
            if since.elapsed() < CHECK_AFTER || conn.test_connected().await {
                return Ok(conn);
            }
        }
    }

    /// A new connection: TCP with `TCP_NODELAY`, the greeting and EHLO,
    /// STARTTLS when asked for, AUTH when credentials are given.
    async fn connect(&self) -> Result<AsyncSmtpConnection, Failure> {
        let connect = |e: std::io::Error| {
            Failure::Connect(format!("connecting to {}:{}: {e}", self.host, self.port))
        };
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(connect)?;
        tcp.set_nodelay(true).map_err(connect)?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
            .await
            .map_err(Failure::Smtp)?;
        if let Some(tls) = &self.starttls {
            if conn.can_starttls() {
                conn.starttls(tls.parameters.clone(), &self.hello)
                    .await
                    .map_err(Failure::Smtp)?;
            } else if tls.required {
                conn.quit().await.ok();
                return Err(Failure::Connect(format!(
                    "{}:{} does not offer STARTTLS (tls=required)",
                    self.host, self.port
                )));
            }
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(Failure::Smtp)?;
        }
        Ok(conn)
    }
}
