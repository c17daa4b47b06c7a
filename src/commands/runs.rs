//! `relance runs [ID]`: the runs in the store (the API's and the workers'
//! daily runs) and, for one, its shards: the same JSON as `GET /runs/{id}`.

use relance_admin_api::routes::runs::{self, RunView};

use crate::Failure;
use crate::options::Global;

/// The arguments of `relance runs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One run, with its shards.
    id: Option<i64>,
    /// How many of the latest runs to list.
    #[arg(long, default_value_t = 20)]
    limit: i64,
}

/// Runs `relance runs`.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let views = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let views = match args.id {
            Some(id) => runs::view(&store, id)
                .await
                .map(|v| v.into_iter().collect()),
            None => runs::recent(&store, args.limit.max(1)).await,
        };
        store.close().await;
        views.map_err(|e| Failure::Other(anyhow::Error::new(e)))
    })?;
    if let Some(id) = args.id
        && views.is_empty()
    {
        return Err(Failure::Usage(format!("no run {id}")));
    }
    if cli.json {
        let text = match (args.id, views.first()) {
            (Some(_), Some(one)) => serde_json::to_string_pretty(one),
            _ => serde_json::to_string_pretty(&views),
        };
        outln!("{}", text.map_err(anyhow::Error::from)?);
        return Ok(());
    }
    if views.is_empty() {
        outln!("no run");
        return Ok(());
    }
    outln!(
        "{:>5}  {:<7}  {:<20}  {:<20}  {:<20}  {:>7}  {:>7}  {:>7}  SHARDS",
        "ID",
        "STATE",
        "BY",
        "STARTED",
        "FINISHED",
        "ACTIONS",
        "SENT",
        "WAITING"
    );
    for v in &views {
        outln!(
            "{:>5}  {:<7}  {:<20}  {:<20}  {:<20}  {:>7}  {:>7}  {:>7}  {}",
            v.id,
            v.state,
            v.requested_by,
            v.started_at.as_deref().unwrap_or("-"),
            v.finished_at.as_deref().unwrap_or("-"),
            v.counts.planned,
            v.counts.sent,
            v.counts.waiting + v.counts.queued,
            shards_summary(v)
        );
    }
    if let (Some(_), Some(one)) = (args.id, views.first()) {
        print_shards(one);
    }
    Ok(())
}

/// `3/4 done` for a sharded run, `-` for another.
fn shards_summary(v: &RunView) -> String {
    if v.shards.is_empty() {
        return "-".into();
    }
    let done = v.shards.iter().filter(|s| s.state == "done").count();
    format!("{done}/{} done", v.shards.len())
}

fn print_shards(v: &RunView) {
    if v.shards.is_empty() {
        return;
    }
    outln!("");
    outln!(
        "{:>5}  {:<12}  {:<12}  {:>8}  {:>8}  {:<7}  {:>8}  {:>8}  WORKER",
        "SHARD",
        "AFTER",
        "UP TO",
        "ACCOUNTS",
        "ITEMS",
        "STATE",
        "ATTEMPTS",
        "RECORDED"
    );
    for s in &v.shards {
        outln!(
            "{:>5}  {:<12}  {:<12}  {:>8}  {:>8}  {:<7}  {:>8}  {:>8}  {}",
            s.shard,
            s.after.as_deref().unwrap_or("(first)"),
            s.upto.as_deref().unwrap_or("(last)"),
            s.accounts,
            s.items,
            s.state,
            s.attempts,
            s.recorded,
            s.worker.as_deref().unwrap_or("-")
        );
    }
}
