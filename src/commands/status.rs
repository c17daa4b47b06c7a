//! `relance status set/clear CUSTOMER/REFERENCE`: qualify items by hand.

use relance_engine::status::{self, NewStatus, StatusError};

use crate::Failure;
use crate::options::{Global, Stored};

/// The subcommands of `relance status`.
#[derive(Debug, clap::Subcommand)]
pub enum Args {
    /// Give an item a status (promise, dispute...).
    Set(Stored<SetArgs>),
    /// Remove an item's status.
    Clear(Stored<ClearArgs>),
}

/// The arguments of `relance status set`.
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The item: CUSTOMER/REFERENCE.
    item: String,
    /// A status of the configuration.
    status: String,
    /// The promised payment date (statuses that suspend until it need it).
    #[arg(long)]
    date: Option<chrono::NaiveDate>,
    /// A comment (a dispute's reason).
    #[arg(long)]
    comment: Option<String>,
}

/// The arguments of `relance status clear`.
#[derive(Debug, clap::Args)]
pub struct ClearArgs {
    /// The item: CUSTOMER/REFERENCE.
    item: String,
    /// Why, kept in the history.
    #[arg(long)]
    comment: Option<String>,
}

fn split(item: &str) -> Result<(&str, &str), Failure> {
    item.split_once('/')
        .filter(|(c, r)| !c.is_empty() && !r.is_empty())
        .ok_or_else(|| Failure::Usage(format!("`{item}` is not CUSTOMER/REFERENCE")))
}

/// Runs the command.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let config = super::valid_config(&cli.config)?;
    let stamp = super::stamp(&config, None);
    let result = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = match args {
            Args::Set(c) => {
                let a = &c.args;
                let new = NewStatus {
                    status: a.status.clone(),
                    promise_date: a.date,
                    comment: a.comment.clone(),
                };
                status::set(&store, &config, split(&a.item)?, &new, &stamp).await
            }
            Args::Clear(c) => {
                let a = &c.args;
                status::clear(&store, split(&a.item)?, a.comment.as_deref(), &stamp).await
            }
        };
        store.close().await;
        Ok::<_, Failure>(result)
    })?;
    let previous = match result {
        Ok(previous) => previous,
        Err(e @ StatusError::Store(_)) => return Err(Failure::Other(anyhow::Error::new(e))),
        Err(e) => {
            eprintln!("error: {e}");
            return Err(Failure::Reported);
        }
    };
    let (item, now) = match args {
        Args::Set(c) => (&c.args.item, Some(&c.args)),
        Args::Clear(c) => (&c.args.item, None),
    };
    if cli.json {
        // The item's status now and the one it replaced.
        let doc = serde_json::json!({
            "item": item,
            "status": now.map(|a| &a.status),
            "promise_date": now.and_then(|a| a.date),
            "comment": now.and_then(|a| a.comment.as_ref()),
            "previous": {
                "status": previous.status,
                "since": previous.status_since,
                "promise_date": previous.promise_date,
                "comment": previous.comment,
            },
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    match now {
        Some(a) => {
            let was = previous
                .status
                .map_or_else(|| "no status".to_string(), |s| format!("was {s}"));
            outln!("{item}: {} ({was})", a.status);
        }
        None => {
            let was = previous
                .status
                .map_or_else(|| "had no status".to_string(), |s| format!("was {s}"));
            outln!("{item}: status cleared ({was})");
        }
    }
    Ok(())
}
