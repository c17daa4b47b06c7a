//! `relance approve ACTION...` and `relance reject ACTION... --reason TEXT`:
//! decide on `review` actions (the same engine functions as `POST
//! /actions/{id}/approve` and `POST /actions/{id}/reject`).

use relance_engine::approve::{self, ApproveError};

use crate::Failure;
use crate::options::Global;

/// The arguments of `relance approve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Action ids (as printed by `relance run` and `GET /actions`).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    actions: Vec<i64>,
    /// Every action waiting for review (narrowed by `--step` and `--account`).
    #[arg(long)]
    all: bool,
    /// With `--all`: only the actions of this step.
    #[arg(long, requires = "all")]
    step: Option<String>,
    /// With `--all`: only the actions of this account.
    #[arg(long, requires = "all")]
    account: Option<String>,
}

/// The arguments of `relance reject`.
#[derive(Debug, clap::Args)]
pub struct RejectArgs {
    /// Action ids (as printed by `relance run` and `GET /actions`).
    #[arg(required = true)]
    actions: Vec<i64>,
    /// Why they are not sent (kept in the history).
    #[arg(long, required = true)]
    reason: String,
}

/// Runs `relance approve`: all the actions are approved, or none.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    if !args.all {
        return decide(cli, &args.actions, None);
    }
    let ids = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let ids = approve::waiting(&store, args.account.as_deref(), args.step.as_deref()).await;
        store.close().await;
        ids.map_err(|e| Failure::Other(anyhow::Error::new(e)))
    })?;
    if ids.is_empty() {
        if cli.json {
            outln!("[]");
        } else {
            outln!("no action is waiting for review");
        }
        return Ok(());
    }
    decide(cli, &ids, None)
}

/// Runs `relance reject`: all the actions are rejected, or none.
pub fn reject(cli: &Global, args: &RejectArgs) -> Result<(), Failure> {
    decide(cli, &args.actions, Some(&args.reason))
}

/// Approves (`reason` `None`) or rejects the actions, and says so.
fn decide(cli: &Global, ids: &[i64], reason: Option<&str>) -> Result<(), Failure> {
    let config = super::valid_config(&cli.config)?;
    let stamp = super::stamp(&config, None);
    let result = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = match reason {
            None => approve::approve(&store, ids, &stamp).await,
            Some(reason) => approve::reject(&store, ids, reason, &stamp).await,
        };
        store.close().await;
        Ok::<_, Failure>(result)
    })?;
    let (state, done, none) = match reason {
        None => (
            approve::QUEUED,
            "approved, now queued",
            "nothing was approved",
        ),
        Some(_) => (
            approve::REJECTED,
            "rejected, never sent",
            "nothing was rejected",
        ),
    };
    match result {
        Ok(decided) => {
            if cli.json {
                let list: Vec<_> = decided
                    .iter()
                    .map(|a| serde_json::json!({"id": a.id, "account": a.account, "step": a.step, "state": state}))
                    .collect();
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&list).map_err(anyhow::Error::from)?
                );
            } else {
                for a in &decided {
                    outln!("action {} ({} {}): {done}", a.id, a.account, a.step);
                }
            }
            Ok(())
        }
        Err(e @ ApproveError::Store(_)) => Err(Failure::Other(anyhow::Error::new(e))),
        Err(e) => {
            eprintln!("error: {e}; {none}");
            Err(Failure::Reported)
        }
    }
}
