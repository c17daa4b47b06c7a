//! `relance tasks` (the colleagues' tasks) and `relance task done ID
//! --outcome WORD`: the same engine functions and the same JSON as `GET
//! /tasks` and `POST /tasks/{id}/done`.

use relance_admin_api::routes::tasks::{TaskQuery, TaskView};
use relance_engine::tasks::{self, Completion, TaskError};

use crate::Failure;
use crate::options::{Global, Stored};

/// The arguments of `relance tasks`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only the tasks of this colleague (`-`: the unassigned ones).
    #[arg(long, value_name = "EMAIL")]
    assignee: Option<String>,
    /// Only tasks in this state.
    #[arg(long, value_parser = ["open", "done", "cancelled"])]
    state: Option<String>,
    /// Only tasks due on this date.
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<chrono::NaiveDate>,
    /// Only the tasks of this collection account.
    #[arg(long)]
    account: Option<String>,
}

/// The subcommands of `relance task`.
#[derive(Debug, clap::Subcommand)]
pub enum TaskArgs {
    /// Complete a task with its outcome (promise and dispute set the items' status).
    Done(Stored<DoneArgs>),
}

/// The arguments of `relance task done`.
#[derive(Debug, clap::Args)]
pub struct DoneArgs {
    /// The task's id (as `relance tasks` prints it).
    id: i64,
    /// What came of it: reached, no_answer, promise, dispute, wrong_contact or any word.
    #[arg(long, value_name = "WORD")]
    outcome: String,
    /// Free text (a dispute's reason), kept with the task and in the history.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// With `--outcome promise`: the date the customer promised to pay.
    #[arg(long, value_name = "YYYY-MM-DD")]
    promise_date: Option<chrono::NaiveDate>,
}

/// Runs `relance tasks`.
pub fn list(cli: &Global, args: &ListArgs) -> Result<(), Failure> {
    let query = TaskQuery {
        assignee: args.assignee.clone(),
        state: args.state.clone(),
        date: args.date.map(|d| d.to_string()),
        account: args.account.clone(),
    };
    let filter = query.filter(0, 0).map_err(Failure::Usage)?;
    let rows = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let rows = tasks::list(&store, &filter).await;
        store.close().await;
        rows.map_err(|e| Failure::Other(anyhow::Error::new(e)))
    })?;
    let views: Vec<TaskView> = rows.into_iter().map(TaskView::from).collect();
    if cli.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&views).map_err(anyhow::Error::from)?
        );
        return Ok(());
    }
    if views.is_empty() {
        outln!("no task");
        return Ok(());
    }
    let width = |f: &dyn Fn(&TaskView) -> usize, min: usize| {
        views.iter().map(f).max().unwrap_or(0).max(min)
    };
    let w_id = width(&|t| t.id.to_string().len(), 2);
    let w_account = width(&|t| t.account.chars().count(), 7);
    let w_kind = width(&|t| t.kind.chars().count(), 4);
    let w_who = width(
        &|t| t.assignee.as_deref().map_or(10, |a| a.chars().count()),
        8,
    );
    outln!(
        "{:>w_id$}  {:<10}  {:<w_account$}  {:<w_kind$}  {:<w_who$}  {:<9}  ITEMS",
        "ID",
        "DUE",
        "ACCOUNT",
        "KIND",
        "ASSIGNEE",
        "STATE"
    );
    for t in &views {
        let items: Vec<&str> = t
            .items
            .iter()
            .map(|k| k.split_once('/').map_or(k.as_str(), |(_, r)| r))
            .collect();
        let mut line = format!(
            "{:>w_id$}  {:<10}  {:<w_account$}  {:<w_kind$}  {:<w_who$}  {:<9}  {}",
            t.id,
            t.due_on,
            t.account,
            t.kind,
            t.assignee.as_deref().unwrap_or("unassigned"),
            t.state,
            items.join(", ")
        );
        if let Some(note) = &t.note {
            line.push_str(&format!(" — {note}"));
        }
        if let Some(outcome) = &t.outcome {
            line.push_str(&format!(" → {outcome}"));
            if let Some(d) = &t.promise_date {
                line.push_str(&format!(" (pays on {d})"));
            }
            if let Some(n) = &t.outcome_note {
                line.push_str(&format!(": {n}"));
            }
        }
        outln!("{line}");
    }
    let open = views.iter().filter(|t| t.state == "open").count();
    outln!("{} task(s), {open} open", views.len());
    Ok(())
}

/// Runs `relance task done`.
pub fn done(cli: &Global, args: &DoneArgs) -> Result<(), Failure> {
    let config = super::valid_config(&cli.config)?;
    let stamp = super::stamp(&config, None);
    let completion = Completion {
        outcome: args.outcome.clone(),
        note: args.note.clone(),
        promise_date: args.promise_date,
    };
    let result = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let result = tasks::done(&store, &config, args.id, &completion, &stamp).await;
        store.close().await;
        Ok::<_, Failure>(result)
    })?;
    match result {
        Ok(task) => {
            let view = TaskView::from(task);
            if cli.json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&view).map_err(anyhow::Error::from)?
                );
                return Ok(());
            }
            let outcome = view.outcome.as_deref().unwrap_or_default();
            outln!(
                "task {} ({} {} on {}): done, {outcome}",
                view.id,
                view.kind,
                view.account,
                view.due_on
            );
            if config.statuses.contains_key(outcome) {
                let items: Vec<&str> = view.items.iter().map(String::as_str).collect();
                match &view.promise_date {
                    Some(d) => outln!("{}: {outcome} (pays on {d})", items.join(", ")),
                    None => outln!("{}: {outcome}", items.join(", ")),
                }
            }
            Ok(())
        }
        Err(e @ TaskError::Store(_)) => Err(Failure::Other(anyhow::Error::new(e))),
        Err(e) => {
            eprintln!("error: {e}");
            Err(Failure::Reported)
        }
    }
}
