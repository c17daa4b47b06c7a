//! `relance approve ACTION...`: approve `review` actions (the same engine
//! function as `POST /actions/{id}/approve`).

use relance_engine::approve::{self, ApproveError};

use crate::Failure;
use crate::options::Global;

/// The arguments of `relance approve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Action ids (as printed by `relance run` and `GET /actions`).
    #[arg(required = true)]
    actions: Vec<i64>,
}

/// Runs the command: all the actions are approved, or none.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let config = super::valid_config(&cli.config)?;
    let stamp = super::stamp(&config, None);
    let result = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = approve::approve(&store, &args.actions, &stamp).await;
        store.close().await;
        Ok::<_, Failure>(result)
    })?;
    match result {
        Ok(approved) => {
            if cli.json {
                let list: Vec<_> = approved
                    .iter()
                    .map(|a| serde_json::json!({"id": a.id, "account": a.account, "step": a.step, "state": approve::QUEUED}))
                    .collect();
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&list).map_err(anyhow::Error::from)?
                );
            } else {
                for a in &approved {
                    outln!(
                        "action {} ({} {}): approved, now queued",
                        a.id,
                        a.account,
                        a.step
                    );
                }
            }
            Ok(())
        }
        Err(e @ ApproveError::Store(_)) => Err(Failure::Other(anyhow::Error::new(e))),
        Err(e) => {
            eprintln!("error: {e}; nothing was approved");
            Err(Failure::Reported)
        }
    }
}
