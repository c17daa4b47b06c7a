//! `relance status set/clear CUSTOMER/REFERENCE`: qualify items by hand.

use relance_engine::status::{self, NewStatus, StatusError};

use crate::{Cli, Failure};

/// The subcommands of `relance status`.
#[derive(Debug, clap::Subcommand)]
pub enum Args {
    /// Give an item a status (promise, dispute...).
    Set {
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
    },
    /// Remove an item's status.
    Clear {
        /// The item: CUSTOMER/REFERENCE.
        item: String,
        /// Why, kept in the history.
        #[arg(long)]
        comment: Option<String>,
    },
}

fn split(item: &str) -> Result<(&str, &str), Failure> {
    item.split_once('/')
        .filter(|(c, r)| !c.is_empty() && !r.is_empty())
        .ok_or_else(|| Failure::Usage(format!("`{item}` is not CUSTOMER/REFERENCE")))
}

/// Runs the command.
pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let config = super::valid_config(&cli.config)?;
    let stamp = super::stamp(&config, None);
    let result = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = match args {
            Args::Set {
                item,
                status,
                date,
                comment,
            } => {
                let new = NewStatus {
                    status: status.clone(),
                    promise_date: *date,
                    comment: comment.clone(),
                };
                status::set(&store, &config, split(item)?, &new, &stamp).await
            }
            Args::Clear { item, comment } => {
                status::clear(&store, split(item)?, comment.as_deref(), &stamp).await
            }
        };
        store.close().await;
        Ok::<_, Failure>(result)
    })?;
    match (result, args) {
        (Ok(previous), Args::Set { item, status, .. }) => {
            let was = previous
                .status
                .map_or_else(|| "no status".to_string(), |s| format!("was {s}"));
            outln!("{item}: {status} ({was})");
            Ok(())
        }
        (Ok(previous), Args::Clear { item, .. }) => {
            let was = previous
                .status
                .map_or_else(|| "had no status".to_string(), |s| format!("was {s}"));
            outln!("{item}: status cleared ({was})");
            Ok(())
        }
        (Err(e @ StatusError::Store(_)), _) => Err(Failure::Other(anyhow::Error::new(e))),
        (Err(e), _) => {
            eprintln!("error: {e}");
            Err(Failure::Reported)
        }
    }
}
