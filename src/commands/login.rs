//! `relance login set/list/remove/link`: who may sign in to the web
//! workspace (`/ui/`), with which access role and language.

use std::io::Read as _;

use relance_admin_api::auth::Role;
use relance_admin_api::ui::logins::{self, LoginError};

use crate::Failure;
use crate::options::{Global, Stored};

/// The subcommands of `relance login`.
#[derive(Debug, clap::Subcommand)]
pub enum Args {
    /// Create or replace a colleague's login (its sessions end).
    Set(Stored<SetArgs>),
    /// List the logins.
    List(Stored<ListArgs>),
    /// Remove a login, its sessions and links.
    Remove(Stored<RemoveArgs>),
    /// Print a one-time sign-in link (15 minutes, used once).
    Link(Stored<LinkArgs>),
}

/// The arguments of `relance login set`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The colleague's email (a row of colleagues.csv).
    email: String,
    /// The access role: viewer reads, operator also acts, admin too.
    #[arg(long, value_parser = ["viewer", "operator", "admin"])]
    role: String,
    /// The language of the pages (en, fr); default: the browser's, else the settings'.
    #[arg(long)]
    language: Option<String>,
    /// Read the password from standard input (first line) instead of generating one.
    #[arg(long, conflicts_with = "no_password")]
    password_stdin: bool,
    /// No password: sign-in by one-time link only.
    #[arg(long)]
    no_password: bool,
}

/// The arguments of `relance login list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {}

/// The arguments of `relance login remove`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The colleague's email.
    email: String,
}

/// The arguments of `relance login link`.
#[derive(Debug, clap::Args)]
pub struct LinkArgs {
    /// The colleague's email (a login).
    email: String,
    /// The workspace's public address, as colleagues reach `relance serve`.
    #[arg(long, env = "RELANCE_PUBLIC_URL")]
    url: String,
}

fn failure(e: LoginError) -> Failure {
    match e {
        LoginError::Store(_) | LoginError::Crypto(_) => Failure::Other(anyhow::Error::new(e)),
        other => {
            eprintln!("error: {other}");
            Failure::Reported
        }
    }
}

/// Runs the command.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let password = match args {
        Args::Set(c) if c.args.password_stdin => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| {
                Failure::Other(anyhow::Error::new(e).context("reading the password"))
            })?;
            Some((text.lines().next().unwrap_or("").to_string(), false))
        }
        Args::Set(c) if !c.args.no_password => {
            Some((logins::generate_password().map_err(failure)?, true))
        }
        _ => None,
    };
    super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = match args {
            Args::Set(c) => {
                let a = &c.args;
                let role = Role::parse(&a.role)
                    .ok_or_else(|| Failure::Usage(format!("unknown role {}", a.role)))?;
                logins::set(
                    &store,
                    &a.email,
                    role,
                    a.language.as_deref(),
                    password.as_ref().map(|(p, _)| p.as_str()),
                )
                .await
                .map(|()| match &password {
                    Some((p, true)) => {
                        outln!("{p}");
                        eprintln!(
                            "login {} set ({}); the password above is shown only once",
                            a.email, a.role
                        );
                    }
                    _ => eprintln!("login {} set ({})", a.email, a.role),
                })
            }
            Args::List(_) => logins::list(&store).await.map(|all| {
                if cli.json {
                    let doc: Vec<serde_json::Value> = all
                        .iter()
                        .map(|l| {
                            serde_json::json!({
                                "email": l.email, "name": l.name, "role": l.role.as_str(),
                                "password": l.has_password, "language": l.language,
                            })
                        })
                        .collect();
                    outln!("{}", serde_json::Value::Array(doc));
                } else {
                    for l in &all {
                        outln!(
                            "{:<32} {:<8} {:<4} {:<8} {}",
                            l.email,
                            l.role.as_str(),
                            l.language.as_deref().unwrap_or("-"),
                            if l.has_password { "password" } else { "link" },
                            l.name
                        );
                    }
                }
            }),
            Args::Remove(c) => logins::remove(&store, &c.args.email).await.map(|()| {
                eprintln!("login {} removed", c.args.email);
            }),
            Args::Link(c) => logins::link(&store, &c.args.email, &c.args.url)
                .await
                .map(|url| outln!("{url}")),
        };
        store.close().await;
        result.map_err(failure)
    })
}
