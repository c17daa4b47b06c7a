//! What `run`, `worker` and `demo` share to deliver: the mailer options
//! (`--mailer`, `--smtp-url`/`RELANCE_SMTP_URL`, `--outbox`, retries) and the
//! [`Delivery`] built from them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use relance_engine::planner::Planner;
use relance_engine::store::Store;
use relance_worker::deliver::{Delivery, Options, Report, Retry, Shared};
use relance_worker::mailer::Mailer;
use relance_worker::render::Composer;

use crate::Failure;

/// How messages leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MailerKind {
    /// Record only; a worker sends later.
    None,
    /// Write one `.eml` per email (and `.html` and `.pdf` per letter) into --outbox.
    File,
    /// Send over SMTP (--smtp-url).
    Smtp,
}

/// Delivery options.
#[derive(Debug, Clone, clap::Args)]
pub struct MailArgs {
    /// The SMTP server, in lettre's URL form (`smtp://user:pass@host:587?tls=required`).
    #[arg(long, env = "RELANCE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Where the file mailer writes emails, and every mailer but `none` letters.
    #[arg(long, default_value = "outbox")]
    pub outbox: PathBuf,
    /// Attempts of a transiently failing send before it is `failed`.
    #[arg(long, default_value_t = 5)]
    pub tries: u32,
    /// Wait after the first failed attempt; it doubles at each retry (`4m`, `30s`, `250ms`).
    #[arg(long, default_value = "4m", value_parser = parse_duration)]
    pub retry_after: Duration,
    /// A `sending` action older than this belongs to a dead worker and is sent again.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub lease: Duration,
    /// SMTP connections in the pool.
    #[arg(long, default_value_t = 8)]
    pub smtp_connections: u32,
    /// The longest one SMTP send may take, from connecting to the server's
    /// reply to the data (`30s`, `2m`); past it the send is a transient
    /// failure, retried like any other.
    #[arg(long, env = "RELANCE_SMTP_TIMEOUT", default_value = "30s", value_parser = parse_timeout)]
    pub smtp_timeout: Duration,
    /// Actions claimed per batch.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Where attached files are kept (`attach invoices`).
    #[command(flatten)]
    pub files: super::files::FilesOption,
    /// How links to customers are signed (`#attachments`, `#interactive_link`).
    #[command(flatten)]
    pub links: super::files::LinkArgs,
}

/// `30s`, `4m`, `1h`, `250ms`, `2d`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (30s, 4m, 1h, 250ms)"))?;
    let ms = match unit {
        "ms" => n,
        "" | "s" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        "d" => n * 86_400_000,
        _ => return Err(format!("{text:?} is not a duration (30s, 4m, 1h, 250ms)")),
    };
    Ok(Duration::from_millis(ms))
}

/// A duration above zero.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        return Err("the SMTP timeout must be above zero (30s, 2m)".into());
    }
    Ok(d)
}

/// Builds the delivery of `kind` over `store`.
pub fn delivery(
    store: &Store,
    planner: Arc<Planner>,
    templates: relance_templates::Templates,
    kind: MailerKind,
    args: &MailArgs,
    origin: &str,
) -> Result<Delivery, Failure> {
    let mailer = match kind {
        MailerKind::None => Mailer::None,
        MailerKind::File => Mailer::File,
        MailerKind::Smtp => {
            let Some(url) = args.smtp_url.as_deref() else {
                return Err(Failure::Usage(
                    "`--mailer smtp` needs --smtp-url or RELANCE_SMTP_URL (e.g. smtp://127.0.0.1:2525)"
                        .into(),
                ));
            };
            Mailer::smtp_with_timeout(url, args.smtp_connections, args.smtp_timeout)
                .map_err(|e| Failure::Usage(e.to_string()))?
        }
    };
    let composer = Arc::new(
        Composer::new(planner.clone(), templates)
            .map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))?,
    );
    // Without a file store (PostgreSQL and no --files), shared files are
    // linked, not attached.
    let files = match (&args.files.files_dir, store.sqlite_file()) {
        (None, None) => None,
        _ => Some(args.files.open(store)?),
    };
    let shared = Shared {
        files,
        signer: args.links.signer()?,
        public_url: args.links.public_url(),
    };
    Ok(Delivery {
        shared,
        store: store.clone(),
        composer,
        mailer,
        options: Options {
            outbox: args.outbox.clone(),
            retry: Retry {
                tries: args.tries.max(1),
                first: args.retry_after,
            },
            lease: args.lease,
            batch: args.batch.max(1),
            windows: kind == MailerKind::Smtp,
            worker: format!("{origin}:{}", std::process::id()),
            origin: origin.to_string(),
        },
        planner,
    })
}

/// One line about a delivery pass, for stderr.
pub fn describe(report: &Report, outbox: &std::path::Path, kind: MailerKind) -> String {
    let mut parts = Vec::new();
    if report.sent > 0 {
        parts.push(match kind {
            MailerKind::File => format!("{} emails written into {}", report.sent, outbox.display()),
            _ => format!("{} emails sent", report.sent),
        });
    }
    if report.letters > 0 {
        parts.push(format!(
            "{} letters written into {}",
            report.letters,
            outbox.display()
        ));
    }
    for (n, what) in [
        (report.done, "done (nothing to send)"),
        (report.cancelled, "cancelled (items paid or suspended)"),
        (report.waiting, "waiting for the send window"),
        (report.retried, "to retry (transient failure)"),
        (report.failed, "failed"),
        (
            report.refused,
            "recipients refused (an address no server can take; the others were served)",
        ),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if report.internal > 0 {
        parts.push(match kind {
            MailerKind::File => format!(
                "{} internal emails (digests, alerts) written into {}",
                report.internal,
                outbox.display()
            ),
            _ => format!("{} internal emails (digests, alerts) sent", report.internal),
        });
    }
    for (n, what) in [
        (report.internal_retried, "internal emails to retry"),
        (report.internal_failed, "internal emails failed"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if let Some(why) = &report.held {
        parts.push(why.clone());
    }
    parts.join("; ")
}
