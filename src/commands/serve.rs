//! `relance serve` (the admin API) and `relance token` (a new API token).

use std::path::PathBuf;

use anyhow::Context as _;
use relance_admin_api::auth::{self, Role, Tokens};
use relance_admin_api::{ApiSettings, AppState, FileAccess};

use crate::Failure;
use crate::options::Global;

/// The arguments of `relance serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// The token file (`[[token]]` entries with SHA-256 hashes).
    #[arg(long, env = "RELANCE_TOKENS")]
    tokens: Option<PathBuf>,
    #[command(flatten)]
    files: super::files::FilesOption,
    #[command(flatten)]
    links: super::files::LinkArgs,
}

/// The arguments of `relance token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The token's name, written in the history as `api:NAME`.
    name: String,
    /// What the token may do.
    #[arg(long, value_parser = ["viewer", "operator", "admin"])]
    role: String,
}

/// Runs `relance token`: the token alone on the first line, then the entry.
pub fn token(cli: &Global, args: &TokenArgs) -> Result<(), Failure> {
    let role = Role::parse(&args.role)
        .ok_or_else(|| Failure::Usage(format!("unknown role {}", args.role)))?;
    let made = auth::new_token(&args.name, role).map_err(|e| match e {
        auth::NewTokenError::Name(_) => Failure::Usage(e.to_string()),
        other => Failure::Other(other.into()),
    })?;
    if cli.json {
        // The token (shown once) and the entry to add to the token file.
        let doc = serde_json::json!({
            "name": args.name,
            "role": args.role,
            "token": made.token,
            "entry": made.entry,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    outln!("{}", made.token);
    outln!("");
    outln!("# add to the token file (the token above is shown only once):");
    outln!("{}", made.entry.trim_end());
    Ok(())
}

fn init_tracing(cli: &Global) {
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RELANCE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(super::color_stderr())
        .try_init();
}

/// Runs `relance serve` until Ctrl-C or SIGTERM.
pub fn serve(cli: &Global, args: &ServeArgs) -> Result<(), Failure> {
    let Some(token_file) = &args.tokens else {
        return Err(Failure::Usage(
            "no token file: give --tokens FILE or RELANCE_TOKENS (create entries with `relance token NAME --role ROLE`)".into(),
        ));
    };
    let tokens = Tokens::load(token_file).map_err(|e| Failure::Usage(e.to_string()))?;
    let (planner, templates) = super::compiled(&cli.config)?;
    init_tracing(cli);
    super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let listener = tokio::net::TcpListener::bind(&args.bind)
            .await
            .with_context(|| format!("listening on {}", args.bind))?;
        let address = listener.local_addr().context("reading the bound address")?;
        let signer = args.links.signer()?;
        if signer.is_none() {
            tracing::warn!(
                "no link key (--link-key-file or RELANCE_LINK_KEY): file download links are off"
            );
        }
        let files = FileAccess {
            store: args.files.open(&store)?,
            signer,
            public_url: args.links.public_url(),
        };
        let state = AppState::new(ApiSettings {
            store: store.clone(),
            planner,
            templates,
            config_dir: cli.config.clone(),
            tokens,
            files: Some(files),
        });
        tracing::info!(%address, store = %relance_engine::store::redact(&cli.db), "admin API listening");
        eprintln!("relance admin API listening on http://{address}");
        relance_admin_api::serve(listener, state, shutdown())
            .await
            .context("serving the admin API")?;
        store.close().await;
        Ok::<_, Failure>(())
    })
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
