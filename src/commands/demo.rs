//! `relance demo`: from nothing to a running example in one command. Writes
//! the example configuration (embedded in the binary), generates a few
//! hundred customers, imports them into a SQLite store, runs today's
//! collection with the file mailer, and prints what happened.
//!
//! Everything lives in one directory (default `./relance-demo`), marked by a
//! `.relance-demo` file. Run again, the demo starts over in that directory
//! (configuration, data, store and outbox are rewritten); a directory that
//! exists without the mark and is not empty is refused, so the demo never
//! overwrites someone's files.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use include_dir::{Dir, include_dir};
use relance_engine::import::{self, DateFormat, Full};
use relance_engine::planner::Planner;
use relance_engine::run::{self, Selection, When};
use relance_engine::run::{Recorded, RunOutcome};
use relance_engine::store::Store;
use relance_engine::synthetic::{self, GenOptions};
use serde::Serialize;

use super::deliver::{self, MailArgs, MailerKind};
use super::plan;
use crate::Failure;
use crate::options::Global;

/// The example configuration (the repository's `config/`).
static CONFIG: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/config");

const MARK: &str = ".relance-demo";

/// The arguments of `relance demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the demo lives.
    #[arg(long, default_value = "relance-demo")]
    dir: PathBuf,
    /// How many customers to generate.
    #[arg(long, default_value_t = 300)]
    customers: usize,
}

/// Runs the demo.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let dir = &args.dir;
    prepare(dir, cli.quiet)?;
    let config_dir = dir.join("config");
    std::fs::create_dir_all(&config_dir)
        .with_context(|| format!("creating {}", config_dir.display()))?;
    CONFIG.extract(&config_dir).with_context(|| {
        format!(
            "writing the example configuration into {}",
            config_dir.display()
        )
    })?;
    let report = super::valid_report(&config_dir)?;
    let config = report.checked.config.clone();
    let (planner, templates) = super::compiled(&config_dir)?;
    let planner = Arc::new(planner);

    let now = Utc::now();
    let today = now.with_timezone(&config.settings.timezone).date_naive();
    let data = dir.join("data");
    let summary = synthetic::generate(
        &data,
        &GenOptions {
            customers: args.customers,
            items: args.customers * 5,
            seed: 1,
            today,
        },
    )
    .context("generating the demo data")?;
    let db = format!("sqlite://{}", dir.join("relance.db").display());
    let outbox = dir.join("outbox");
    let origin = format!("demo:{}", now.format("%Y%m%dT%H%M%SZ"));

    let (outcome, report, states, invoices) = super::runtime()?.block_on(async {
        let store = Store::open(&db)
            .await
            .map_err(|e| Failure::Other(e.into()))?;
        let result = async {
            let options = import::Options {
                kind: None,
                full: Full::No,
                dry_run: false,
                date_format: DateFormat::Iso,
                today,
                now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                origin: "demo".into(),
            };
            import::import(&store, &config, std::slice::from_ref(&data), &options)
                .await
                .map_err(|e| anyhow::anyhow!("importing the demo data: {e}"))?;
            let outcome = run::run(
                &store,
                &planner,
                When::Date(today),
                &Selection::all(&planner),
                now,
                &origin,
            )
            .await
            .context("running today's collection")?;
            // The customer's side: a link key for the emails' links, and a
            // PDF invoice on every item a step attaching invoices covers.
            let link_key = dir.join("link.key");
            let key = relance_admin_api::ui::csrf::random_token()
                .map_err(|e| anyhow::anyhow!("making a link key: {e}"))?;
            std::fs::write(&link_key, format!("{key}\n"))
                .with_context(|| format!("writing {}", link_key.display()))?;
            let file_store = relance_engine::files::FileStore::local(
                &relance_engine::files::FileStore::default_dir(&dir.join("relance.db")),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let invoices = attach_invoices(&store, &file_store, &planner, &outcome, &now).await?;
            let mail = MailArgs {
                smtp_url: None,
                outbox: outbox.clone(),
                tries: 1,
                retry_after: std::time::Duration::from_secs(60),
                lease: std::time::Duration::from_secs(600),
                smtp_connections: 1,
                smtp_timeout: relance_worker::mailer::DEFAULT_SMTP_TIMEOUT,
                batch: 256,
                files: super::files::FilesOption {
                    files_dir: None,
                    max_file_size: None,
                },
                links: super::files::LinkArgs {
                    link_key_file: Some(link_key.clone()),
                    link_key_previous_file: None,
                    public_url: Some(DEMO_URL.into()),
                },
            };
            let delivery = deliver::delivery(
                &store,
                planner.clone(),
                templates,
                MailerKind::File,
                &mail,
                &origin,
            )?;
            let report = delivery
                .deliver_due(now)
                .await
                .context("writing the emails")?;
            let ids: Vec<i64> = outcome.recorded.iter().map(|r| r.id).collect();
            let states = relance_engine::store::outbox::states(&store, &ids)
                .await
                .context("reading the actions' states")?;
            Ok::<_, Failure>((outcome, report, states, invoices))
        }
        .await;
        store.close().await;
        result
    })?;

    let here = Global {
        config: config_dir.clone(),
        db: db.clone(),
        ..cli.clone()
    };
    let story = Story::tell(
        &here,
        &planner,
        Place {
            dir,
            config: &config_dir,
            data: &data,
            outbox: &outbox,
            db: &db,
        },
        (today, summary.customers, summary.items),
        &outcome,
        &report,
        &states.into_iter().collect(),
    );
    let story = Story {
        customers_side: CustomersSide {
            invoices,
            link_key: dir.join("link.key").display().to_string(),
            serve: format!(
                "{} --link-key-file {}",
                super::command_line(&here, "serve --tokens TOKENS.toml"),
                dir.join("link.key").display()
            ),
        },
        ..story
    };
    if cli.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&story).context("writing JSON")?
        );
    } else if !cli.quiet {
        story.print();
    }
    Ok(())
}

/// Where the demo's links point: `relance serve`'s default address.
const DEMO_URL: &str = "http://127.0.0.1:8080";

/// Attaches a generated PDF invoice, shared with the customer, to every
/// item covered by an action of a step that attaches invoices (the
/// example's `reminder_2`); returns how many.
async fn attach_invoices(
    store: &Store,
    files: &relance_engine::files::FileStore,
    planner: &Planner,
    outcome: &RunOutcome,
    now: &chrono::DateTime<Utc>,
) -> Result<usize, Failure> {
    let company = planner.config.settings.company.clone().unwrap_or_default();
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut count = 0;
    for r in &outcome.recorded {
        let a = &r.action;
        if !relance_worker::render::step_attaches(&planner.config, &a.scenario, &a.step).invoices {
            continue;
        }
        for key in &a.items {
            let text = format!(
                "INVOICE {}\n\n{company}\n\nCustomer {}\nDue {}\n\n(generated by relance demo)",
                key.reference, key.customer, a.planned_for
            );
            let pdf = relance_templates::pdf::Document::from_text(
                &format!("Invoice {}", key.reference),
                "en",
                &text,
            )
            .to_pdf();
            let upload = relance_engine::files::Upload {
                customer: key.customer.clone(),
                reference: Some(key.reference.clone()),
                name: format!("{}.pdf", key.reference.replace(['/', '\\'], "_")),
                content: bytes::Bytes::from(pdf),
                visibility: "customer".into(),
                description: Some("invoice (demo)".into()),
            };
            relance_engine::files::attach(store, files, upload, &at, "demo")
                .await
                .map_err(|e| anyhow::anyhow!("attaching the demo invoice of {key}: {e}"))?;
            count += 1;
        }
    }
    Ok(count)
}

/// What the demo shows of the customer's side.
#[derive(Debug, Serialize)]
struct CustomersSide {
    /// Invoice PDFs attached to items and shared with customers: the
    /// emails of steps that `attach invoices` carry them.
    invoices: usize,
    /// The key signing the emails' links (files, the customer page).
    link_key: String,
    /// The command serving the links.
    serve: String,
}

/// Where the demo's files are.
struct Place<'a> {
    /// The demo's directory.
    dir: &'a Path,
    /// The configuration in it.
    config: &'a Path,
    /// The generated data.
    data: &'a Path,
    /// The file mailer's outbox.
    outbox: &'a Path,
    /// The store's URL.
    db: &'a str,
}

/// Examples shown per kind of work.
const EXAMPLES: usize = 3;

/// What the demo did and what waits for a person, printed for people or as
/// the `--json` document.
#[derive(Debug, Serialize)]
struct Story {
    /// The demo's directory.
    dir: String,
    /// The run date.
    today: NaiveDate,
    /// Customers generated.
    customers: usize,
    /// Items generated.
    items: usize,
    /// Actions recorded today by scenario, step and state.
    actions: Vec<StepCount>,
    /// Emails written to the outbox.
    emails: Sent,
    /// Letters written to the outbox.
    letters: Sent,
    /// Actions of `review` steps: nothing is sent until a person approves.
    review: Waiting,
    /// Tasks (calls, handovers) for the team.
    tasks: Waiting,
    /// Alerts raised today.
    alerts: Alerts,
    /// Escalations fired today.
    escalations: Vec<Escalated>,
    /// Internal emails to the team: digests and high alerts.
    notifications: Notifications,
    /// Where the files are.
    files: Files,
    /// Attached invoices and the links of the emails.
    customers_side: CustomersSide,
    /// Commands to look further.
    next: Vec<String>,
}

/// The internal emails of the day (docs/reference/planning.md "Notifications").
#[derive(Debug, Serialize)]
struct Notifications {
    /// Notices recorded for colleagues (tasks, reviews, alerts, escalations).
    notices: usize,
    /// Daily digests opened, one per colleague.
    digests: usize,
    /// High alerts emailed at once.
    immediate: usize,
    /// Internal emails written to the outbox (`internal-*.eml`).
    written: usize,
}

/// How many actions of one step ended in one state.
#[derive(Debug, Serialize)]
struct StepCount {
    /// The scenario.
    scenario: String,
    /// The step.
    step: String,
    /// The state after delivery (`sent`, `waiting_review`...).
    state: String,
    /// How many.
    actions: usize,
}

/// Messages of one kind handed over.
#[derive(Debug, Serialize)]
struct Sent {
    /// How many.
    count: usize,
    /// To how many accounts.
    accounts: usize,
    /// By step.
    by_step: BTreeMap<String, usize>,
    /// A few of them.
    examples: Vec<Example>,
}

/// Actions that wait for a person.
#[derive(Debug, Serialize)]
struct Waiting {
    /// Their ids (the tasks' for tasks, the actions' otherwise).
    ids: Vec<i64>,
    /// How many by step.
    by_step: BTreeMap<String, usize>,
    /// A few of them.
    examples: Vec<Example>,
    /// The command that acts on them, when there is one.
    command: Option<String>,
}

/// One action, as shown.
#[derive(Debug, Serialize)]
struct Example {
    /// Its id, for `relance approve`.
    id: i64,
    /// The account's code.
    account: String,
    /// The leader customer's name, so people see who it is.
    name: String,
    /// The scenario.
    scenario: String,
    /// The step.
    step: String,
    /// The step's actions (email, letter, task...).
    kinds: Vec<&'static str>,
    /// Main recipients.
    to: Vec<String>,
    /// Copies.
    cc: Vec<String>,
    /// How many items it covers.
    items: usize,
    /// The message in the outbox, when one was written.
    file: Option<String>,
}

/// The alerts raised today.
#[derive(Debug, Serialize)]
struct Alerts {
    /// Raised today, by alert.
    raised: BTreeMap<String, usize>,
    /// A few of them, with a command to act on each.
    examples: Vec<AlertExample>,
}

/// One alert raised today, as shown.
#[derive(Debug, Serialize)]
struct AlertExample {
    /// The alert's name.
    alert: String,
    /// What it means (the configuration's label, or the built-in one's).
    label: Option<String>,
    /// `low`, `medium`, `high`.
    level: String,
    /// The account's code.
    account: String,
    /// The leader customer's name.
    name: String,
    /// `CUSTOMER/REFERENCE` for item alerts, as `relance status` takes it.
    item: Option<String>,
    /// Why it was raised.
    why: String,
    /// What a person would run about it.
    command: String,
}

/// An escalation fired today.
#[derive(Debug, Serialize)]
struct Escalated {
    /// The escalation's name.
    escalation: String,
    /// The account's code.
    account: String,
    /// The leader customer's name.
    name: String,
    /// The scenario the account switched to, if it did.
    switch: Option<String>,
}

/// Where the demo's files are, to open or reuse them.
#[derive(Debug, Serialize)]
struct Files {
    /// The example configuration.
    config: String,
    /// The generated CSV files.
    data: String,
    /// The store's URL, as `--db` takes it.
    store: String,
    /// The emails (`.eml`) and letters (`.html` and `.pdf`).
    outbox: String,
}

impl Story {
    fn tell(
        here: &Global,
        planner: &Planner,
        place: Place<'_>,
        (today, customers, items): (NaiveDate, usize, usize),
        outcome: &RunOutcome,
        report: &relance_worker::deliver::Report,
        states: &HashMap<i64, String>,
    ) -> Story {
        let name_of = |code: &str| {
            outcome
                .plans
                .iter()
                .find(|p| p.account == code)
                .map(|p| p.name.clone())
                .unwrap_or_default()
        };
        let state = |r: &Recorded| {
            states
                .get(&r.id)
                .cloned()
                .unwrap_or_else(|| r.state.clone())
        };
        let example = |r: &Recorded, ext: &str| {
            let a = &r.action;
            let file = place
                .outbox
                .join(format!("{:06}-{}-{}.{ext}", r.id, a.account, a.step));
            Example {
                id: r.id,
                account: a.account.to_string(),
                name: name_of(&a.account),
                scenario: a.scenario.clone(),
                step: a.step.clone(),
                kinds: a.kinds.clone(),
                to: a.to.clone(),
                cc: a.cc.clone(),
                items: a.items.len(),
                file: file.exists().then(|| file.display().to_string()),
            }
        };

        let mut counts: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for r in &outcome.recorded {
            *counts
                .entry((r.action.scenario.clone(), r.action.step.clone(), state(r)))
                .or_default() += 1;
        }
        let sent = |kind: &str, ext: &str| {
            let list: Vec<&Recorded> = outcome
                .recorded
                .iter()
                .filter(|r| r.action.kinds.contains(&kind) && state(r) == "sent")
                .collect();
            let by_step = count_steps(&list);
            let accounts: BTreeSet<&str> = list.iter().map(|r| r.action.account.as_str()).collect();
            Sent {
                count: list.len(),
                accounts: accounts.len(),
                by_step,
                examples: spread(&list).map(|r| example(r, ext)).collect(),
            }
        };
        let mut emails = sent("email", "eml");
        // The report counts what the delivery handed over, retries included.
        emails.count = emails.count.max(report.sent);
        let letters = sent("letter", "html");

        let review: Vec<&Recorded> = outcome
            .recorded
            .iter()
            .filter(|r| state(r) == "waiting_review")
            .collect();
        let review_ids: Vec<i64> = review.iter().map(|r| r.id).collect();
        let tasks: Vec<&Recorded> = outcome
            .recorded
            .iter()
            .filter(|r| r.action.kinds.contains(&"task") && state(r) != "waiting_review")
            .collect();

        let mut raised = BTreeMap::new();
        for a in &outcome.raised_alerts {
            *raised.entry(a.alert.clone()).or_default() += 1;
        }
        // One example per alert, so each kind shows what to do about it.
        let mut seen = BTreeSet::new();
        let alert_examples = outcome
            .raised_alerts
            .iter()
            .filter(|a| seen.insert(a.alert.clone()))
            .map(|a| AlertExample {
                alert: a.alert.clone(),
                label: plan::alert_label(planner, &a.alert),
                level: a.level.clone(),
                account: a.account.clone(),
                name: name_of(&a.account),
                item: (!a.item.is_empty()).then(|| a.item.clone()),
                why: a.detail.clone(),
                command: alert_command(here, planner, &a.alert, &a.account, &a.item, today),
            })
            .collect();

        let escalations = outcome
            .fired
            .iter()
            .map(|e| Escalated {
                escalation: e.escalation.clone(),
                account: e.account.clone(),
                name: name_of(&e.account),
                switch: e.switch.clone(),
            })
            .collect();
        let first = outcome
            .recorded
            .iter()
            .find(|r| r.action.kinds.contains(&"email"))
            .map(|r| r.action.account.clone());
        let mut next = vec![super::command_line(here, "plan --explain")];
        if let Some(code) = &first {
            next.push(super::command_line(
                here,
                &format!("plan --account {code} --explain"),
            ));
            next.push(super::command_line(
                here,
                &format!("preview --account {code}"),
            ));
        }
        Story {
            dir: place.dir.display().to_string(),
            today,
            customers,
            items,
            actions: counts
                .into_iter()
                .map(|((scenario, step, state), actions)| StepCount {
                    scenario,
                    step,
                    state,
                    actions,
                })
                .collect(),
            emails,
            letters,
            review: Waiting {
                by_step: count_steps(&review),
                command: (!review_ids.is_empty()).then(|| plan::approve_command(here, &review_ids)),
                examples: spread(&review).map(|r| example(r, "eml")).collect(),
                ids: review_ids,
            },
            tasks: Waiting {
                by_step: count_steps(&tasks),
                ids: outcome.tasks_opened.clone(),
                examples: spread(&tasks)
                    .map(|r| Example {
                        to: r
                            .action
                            .tasks
                            .iter()
                            .map(|t| t.assignee.clone().unwrap_or_else(|| "nobody".into()))
                            .collect(),
                        ..example(r, "eml")
                    })
                    .collect(),
                command: (!outcome.tasks_opened.is_empty())
                    .then(|| super::command_line(here, "tasks --state open")),
            },
            alerts: Alerts {
                raised,
                examples: alert_examples,
            },
            escalations,
            notifications: Notifications {
                notices: outcome.notices,
                digests: outcome.digests,
                immediate: outcome.immediate,
                written: report.internal,
            },
            files: Files {
                config: place.config.display().to_string(),
                data: place.data.display().to_string(),
                store: place.db.to_string(),
                outbox: place.outbox.display().to_string(),
            },
            next,
            customers_side: CustomersSide {
                invoices: 0,
                link_key: String::new(),
                serve: String::new(),
            },
        }
    }

    fn print(&self) {
        outln!(
            "relance demo in {}: {} customers, {} items, today {}",
            self.dir,
            self.customers,
            self.items,
            self.today
        );
        outln!("");
        outln!(
            "{} email{} to {} customer{} (by step: {})",
            self.emails.count,
            plural(self.emails.count),
            self.emails.accounts,
            plural(self.emails.accounts),
            by_step(&self.emails.by_step)
        );
        for e in &self.emails.examples {
            outln!(
                "  {}/{} to {} {}: {}{}",
                e.scenario,
                e.step,
                e.account,
                e.name,
                e.to.join(", "),
                if e.cc.is_empty() {
                    String::new()
                } else {
                    format!(" (cc {})", e.cc.join(", "))
                }
            );
        }
        outln!(
            "{} letter{} written (by step: {}), to print and post",
            self.letters.count,
            plural(self.letters.count),
            by_step(&self.letters.by_step)
        );
        for e in &self.letters.examples {
            outln!(
                "  {}/{} for {} {}{}",
                e.scenario,
                e.step,
                e.account,
                e.name,
                e.file
                    .as_ref()
                    .map(|f| format!(": {f}"))
                    .unwrap_or_default()
            );
        }
        outln!("");
        outln!("waiting for a person:");
        if self.review.ids.is_empty() {
            outln!("  no action waits for review");
        } else {
            outln!(
                "  {} action{} of review steps, sent only once approved:",
                self.review.ids.len(),
                plural(self.review.ids.len())
            );
            for e in &self.review.examples {
                outln!(
                    "    action {}: {}/{} [{}] for {} {}",
                    e.id,
                    e.scenario,
                    e.step,
                    e.kinds.join(", "),
                    e.account,
                    e.name
                );
            }
            if let Some(command) = &self.review.command {
                outln!("    approve: {command}");
            }
        }
        if !self.tasks.ids.is_empty() {
            outln!(
                "  {} task{} for the team (by step: {}):",
                self.tasks.ids.len(),
                plural(self.tasks.ids.len()),
                by_step(&self.tasks.by_step)
            );
            for e in &self.tasks.examples {
                outln!(
                    "    {}/{} for {} {}{}",
                    e.scenario,
                    e.step,
                    e.account,
                    e.name,
                    if e.to.is_empty() {
                        String::new()
                    } else {
                        format!(", assigned to {}", e.to.join(", "))
                    }
                );
            }
            if let Some(command) = &self.tasks.command {
                outln!("    list them: {command}");
                if let Some(first) = self.tasks.ids.first() {
                    // The same command line, `--config` and `--db` included.
                    let done = command.replacen(
                        "tasks --state open",
                        &format!("task done {first} --outcome reached"),
                        1,
                    );
                    outln!("    complete one: {done} (or --outcome promise --promise-date D)");
                }
            }
        }
        let raised: usize = self.alerts.raised.values().sum();
        if raised > 0 {
            outln!(
                "  {raised} alert{} raised ({}):",
                plural(raised),
                by_step(&self.alerts.raised)
            );
            for a in &self.alerts.examples {
                outln!(
                    "    {}{} ({}): {} {}{}",
                    a.alert,
                    a.label
                        .as_ref()
                        .map(|l| format!(" \"{l}\""))
                        .unwrap_or_default(),
                    a.level,
                    a.account,
                    a.name,
                    a.item
                        .as_ref()
                        .map(|i| format!(", item {i}"))
                        .unwrap_or_default()
                );
                outln!("      why: {}", a.why);
                outln!("      {}", a.command);
            }
        }
        for e in &self.escalations {
            outln!(
                "  escalation {}: {} {}{}",
                e.escalation,
                e.account,
                e.name,
                e.switch
                    .as_ref()
                    .map(|s| format!(", now in scenario {s}"))
                    .unwrap_or_default()
            );
        }
        let n = &self.notifications;
        outln!(
            "the team: {} daily digest{} (one per colleague: tasks, reviews, alerts) and {} high alert{} emailed at once, {} internal email{} in the outbox (internal-*.eml)",
            n.digests,
            plural(n.digests),
            n.immediate,
            plural(n.immediate),
            n.written,
            plural(n.written)
        );
        outln!("");
        outln!("actions recorded today:");
        outln!(
            "  {:<14} {:<14} {:<16} {:>7}",
            "scenario",
            "step",
            "state",
            "actions"
        );
        let mut total = 0;
        for c in &self.actions {
            outln!(
                "  {:<14} {:<14} {:<16} {:>7}",
                c.scenario,
                c.step,
                c.state,
                c.actions
            );
            total += c.actions;
        }
        outln!("  {:<14} {:<14} {:<16} {total:>7}", "total", "", "");
        outln!("");
        outln!("the customer's side:");
        outln!(
            "  {} invoice PDFs attached to items and shared with their customers; the emails of steps with `attach invoices` carry them",
            self.customers_side.invoices
        );
        outln!(
            "  links in the emails (files, the customer page at {DEMO_URL}/c/...) are signed with {}",
            self.customers_side.link_key
        );
        outln!("  serve them: {}", self.customers_side.serve);
        outln!("");
        outln!("files:");
        outln!("  configuration  {}", self.files.config);
        outln!("  data (CSV)     {}", self.files.data);
        outln!("  store          {}", self.files.store);
        outln!(
            "  emails/letters {} (.eml, letters .html and .pdf)",
            self.files.outbox
        );
        outln!("look further:");
        for n in &self.next {
            outln!("  {n}");
        }
    }
}

/// Up to [`EXAMPLES`] entries spread over the list (its first, middle and
/// last), so the examples show different steps.
fn spread<'a, T>(list: &'a [&'a T]) -> impl Iterator<Item = &'a T> + 'a {
    let n = list.len();
    let picks: BTreeSet<usize> = if n <= EXAMPLES {
        (0..n).collect()
    } else {
        (0..EXAMPLES)
            .map(|k| k * (n - 1) / (EXAMPLES - 1))
            .collect()
    };
    picks.into_iter().map(move |i| list[i])
}

fn count_steps(list: &[&Recorded]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in list {
        *counts.entry(r.action.step.clone()).or_default() += 1;
    }
    counts
}

fn by_step(counts: &BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What a person runs about an alert: a promise not kept gets a new date or
/// is cleared (`relance status`); anything else is looked into with `plan
/// --account ... --explain`.
fn alert_command(
    here: &Global,
    planner: &Planner,
    alert: &str,
    account: &str,
    item: &str,
    today: NaiveDate,
) -> String {
    let promise = planner.config.statuses.contains_key("promise");
    if alert == "broken_promise" && promise && !item.is_empty() {
        let later = today + chrono::Duration::days(14);
        format!(
            "new promise: {}; or no promise: {}",
            super::command_line(here, &format!("status set {item} promise --date {later}")),
            super::command_line(here, &format!("status clear {item}"))
        )
    } else {
        super::command_line(here, &format!("plan --account {account} --explain"))
    }
}

/// Makes `dir` ready: created and marked, or started over when it holds an
/// earlier demo; refused when it holds anything else.
fn prepare(dir: &Path, quiet: bool) -> Result<(), Failure> {
    if dir.exists() {
        let marked = dir.join(MARK).exists();
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !marked && !empty {
            return Err(Failure::Usage(format!(
                "{} exists and is not a relance demo: choose another --dir",
                dir.display()
            )));
        }
        if marked {
            if !quiet {
                eprintln!("{} holds an earlier demo: starting over", dir.display());
            }
            for name in ["config", "data", "outbox"] {
                let path = dir.join(name);
                if path.exists() {
                    std::fs::remove_dir_all(&path)
                        .with_context(|| format!("removing {}", path.display()))?;
                }
            }
            for name in ["relance.db", "relance.db-wal", "relance.db-shm"] {
                let path = dir.join(name);
                if path.exists() {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("removing {}", path.display()))?;
                }
            }
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(
        dir.join(MARK),
        "This directory was made by `relance demo`; running it again starts over here.\n",
    )
    .with_context(|| format!("writing {}", dir.join(MARK).display()))?;
    Ok(())
}
