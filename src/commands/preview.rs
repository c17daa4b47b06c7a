//! `relance preview --account A [--step S] [--date D] [--lang L] [--out FILE]`:
//! the email or letter a step would produce for an account, rendered with
//! the same composer the worker sends with.

use relance_engine::planner::ItemKey;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use relance_dsl::model::Action;
use relance_engine::planner::{Account, Planner};
use relance_engine::run::{self, Selection};
use relance_worker::render::{ActionRef, Composer};
use serde::Serialize;

use super::plan::{DateArgs, run_error};
use crate::Failure;
use crate::options::Global;

/// `relance preview` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The account (its leader's customer code).
    #[arg(long)]
    account: String,
    /// The step to render; default: the step planned for the account on the date.
    #[arg(long)]
    step: Option<String>,
    #[command(flatten)]
    when: DateArgs,
    /// Render in this language instead of the contact's, customer's or settings'.
    #[arg(long)]
    lang: Option<String>,
    /// Write the message to a file instead: `.eml` (the email as sent, its
    /// statement attached as a PDF), `.html` (the HTML part; for a letter,
    /// the printable page) or `.pdf` (a letter as the PDF the worker writes).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where attached files are kept: `.eml` carries the files `attach
    /// invoices` would attach.
    #[command(flatten)]
    files: super::files::FilesOption,
    /// With a link key, `#attachments` and `#interactive_link` show the
    /// links the email would carry (else they render empty, as they would).
    #[command(flatten)]
    links: super::files::LinkArgs,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct PreviewJson<'a> {
    account: &'a str,
    scenario: &'a str,
    step: &'a str,
    kind: &'a str,
    template: &'a str,
    language: &'a str,
    date: String,
    from: String,
    to: &'a [String],
    cc: &'a [String],
    reply_to: Option<&'a str>,
    subject: &'a str,
    items: Vec<String>,
    html: &'a str,
    text: &'a str,
    /// The files the email would carry (`attach ...`).
    attachments: Vec<String>,
    /// The shared files only linked (over `attach_budget_mb`, or not
    /// attached by the step).
    linked: Vec<String>,
}

/// Runs `relance preview`.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let (planner, templates) = super::compiled(&cli.config)?;
    let planner = Arc::new(planner);
    let composer = Composer::new(planner.clone(), templates)
        .map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))?;
    // Every item column (a message shows issue dates and comments that the
    // rules may not read), and what was sent before (`previous`), as the
    // worker reads them just before sending.
    let selection = Selection {
        account: Some(args.account.clone()),
        ..Selection::to_render(&planner)
    };
    let (accounts, mut sent) = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let read = async {
            let accounts = run::load(&store, &selection).await.map_err(run_error)?;
            let mut tx = store
                .begin()
                .await
                .map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))?;
            let sent =
                relance_engine::store::actions::sent(&mut tx, std::slice::from_ref(&args.account))
                    .await
                    .map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))?;
            Ok::<_, Failure>((accounts, sent))
        }
        .await;
        store.close().await;
        read
    })?;
    let Some(account) = accounts.into_iter().next() else {
        return Err(Failure::Usage(format!(
            "no account {} in the store",
            args.account
        )));
    };
    let date = args.when.when().date_for(&planner, &account);
    let target = target(&planner, &account, date, args.step.as_deref())?;
    // The shared files and links the email would carry, made now.
    let now = chrono::Utc::now();
    let shared_setup = relance_worker::deliver::Shared {
        files: None,
        signer: args.links.signer()?,
        public_url: args.links.public_url(),
    };
    let keys: Vec<(String, String)> = target
        .items
        .iter()
        .map(|k| (k.customer.clone(), k.reference.clone()))
        .collect();
    let (shared_setup, by_item) = super::runtime()?.block_on(async {
        let store = super::open_store(cli).await?;
        let read = async {
            let files = match (&args.files.files_dir, store.sqlite_file()) {
                (None, None) => None,
                _ => Some(args.files.open(&store)?),
            };
            let by_item = relance_worker::deliver::files_of_items(&store, &keys)
                .await
                .map_err(|e| Failure::Other(e.into()))?;
            Ok::<_, Failure>((
                relance_worker::deliver::Shared {
                    files,
                    ..shared_setup
                },
                by_item,
            ))
        }
        .await;
        store.close().await;
        read
    })?;
    let shared = super::runtime()?.block_on(relance_worker::deliver::shared_files(
        &shared_setup,
        &planner,
        (&target.scenario, &target.step),
        &account,
        &target.items,
        &by_item,
        now,
    ));
    let interactive = shared_setup.page_link(&planner.config.settings, &account.code, now);
    let links = relance_worker::render::links_of(&shared, interactive.as_deref());
    let action = ActionRef {
        scenario: &target.scenario,
        step: &target.step,
        template: Some(&target.template),
        leader: target.leader.as_ref(),
        items: &target.items,
        to: &target.to,
        cc: &target.cc,
        links: Some(&links),
    };
    let previous = relance_worker::render::previous(
        &sent.remove(account.code.as_str()).unwrap_or_default(),
        date,
    );
    let rendered = composer
        .render_after(&account, &action, &previous, date, args.lang.as_deref())
        .map_err(|e| {
            eprintln!("error: account {}: {e}", account.code);
            Failure::Reported
        })?;
    let message_id = format!(
        "<preview.{}.{}@relance>",
        account
            .code
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        target
            .step
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    let letter = target.kind == "letter";
    // What the email carries: the step's PDFs, then the shared files that fit.
    let mut attached: Vec<String> = if letter {
        Vec::new()
    } else {
        composer
            .attachments(&account, &action, date, &rendered.language)
            .into_iter()
            .map(|(name, _, _)| name)
            .collect()
    };
    let mut linked = Vec::new();
    for f in &shared {
        if f.content.is_some() && !letter {
            attached.push(f.file.name.clone());
        } else if f.link.is_some() {
            linked.push(f.file.name.clone());
        }
    }

    if let Some(out) = &args.out {
        let is = |ext: &str| out.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext));
        let bytes = if is("pdf") {
            if !letter {
                return Err(Failure::Usage(format!(
                    "step {} sends an email: write it to a .eml file (its statement is attached as a PDF) or a .html file",
                    target.step
                )));
            }
            rendered.letter_pdf()
        } else if is("eml") {
            if letter {
                return Err(Failure::Usage(format!(
                    "step {} is a letter: write it to a .html or .pdf file",
                    target.step
                )));
            }
            let files = composer.email_files(&account, &action, date, &rendered.language, &shared);
            let mut rendered = rendered.clone();
            composer.link_the_rest(&mut rendered, &shared);
            composer
                .email(&rendered, &action, &message_id, "preview", &files)
                .map_err(|e| {
                    eprintln!("error: account {}: {e}", account.code);
                    Failure::Reported
                })?
                .formatted()
        } else if letter {
            rendered.letter_page().into_bytes()
        } else {
            rendered.html_document().into_bytes()
        };
        std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
        if !cli.quiet {
            eprintln!(
                "{} {} of {} for {} ({}) written to {}",
                target.kind,
                target.template,
                target.step,
                account.code,
                rendered.language,
                out.display()
            );
        }
        return Ok(());
    }

    if cli.json {
        let doc = PreviewJson {
            account: &account.code,
            scenario: &target.scenario,
            step: &target.step,
            kind: target.kind,
            template: &target.template,
            language: &rendered.language,
            date: date.to_string(),
            from: composer.from().to_string(),
            to: &target.to,
            cc: &target.cc,
            reply_to: rendered.reply_to.as_deref(),
            subject: &rendered.subject,
            items: target.items.iter().map(ToString::to_string).collect(),
            html: &rendered.html,
            text: &rendered.text,
            attachments: attached.clone(),
            linked: linked.clone(),
        };
        let text = serde_json::to_string_pretty(&doc).context("writing JSON")?;
        outln!("{text}");
        return Ok(());
    }

    if letter {
        outln!("Letter: {}", target.template);
        outln!("Account: {}", account.code);
    } else {
        outln!("From: {}", composer.from());
        outln!("To: {}", target.to.join(", "));
        if !target.cc.is_empty() {
            outln!("Cc: {}", target.cc.join(", "));
        }
        if let Some(r) = &rendered.reply_to {
            outln!("Reply-To: {r}");
        }
    }
    outln!("Subject: {}", rendered.subject);
    outln!("Date: {date}");
    outln!("Language: {}", rendered.language);
    outln!("X-Relance-Step: {}/{}", target.scenario, target.step);
    if !attached.is_empty() {
        outln!("Attachments: {}", attached.join(", "));
    }
    if !linked.is_empty() {
        outln!("Linked: {}", linked.join(", "));
    }
    outln!("");
    outln!("{}", rendered.html);
    Ok(())
}

/// The step to render, with its recipients and covered items.
struct Target {
    scenario: String,
    step: String,
    kind: &'static str,
    template: String,
    leader: Option<ItemKey>,
    items: Vec<ItemKey>,
    to: Vec<String>,
    cc: Vec<String>,
}

/// Without `--step`: the action planned on the date. With it: that step of
/// the account's scenario (else of the first scenario, by name, that has
/// it), covering the items the planned action covers when it is that step,
/// else every overdue item.
fn target(
    planner: &Planner,
    account: &Account,
    date: chrono::NaiveDate,
    step: Option<&str>,
) -> Result<Target, Failure> {
    let plan = planner.plan_account(account, date);
    let config = &planner.config;
    let (scenario_name, step_name) = match (step, &plan.action) {
        (None, Some(a)) => (a.scenario.clone(), a.step.clone()),
        (None, None) => {
            return Err(Failure::Other(anyhow::anyhow!(
                "nothing is planned for account {} on {date}: name a step with --step",
                account.code
            )));
        }
        (Some(s), _) => {
            let current = plan.scenario.clone().filter(|name| {
                config
                    .scenarios
                    .get(name)
                    .is_some_and(|sc| sc.steps.iter().any(|st| st.name == s))
            });
            let any = || {
                config
                    .scenarios
                    .iter()
                    .find(|(_, sc)| sc.steps.iter().any(|st| st.name == s))
                    .map(|(name, _)| name.clone())
            };
            match current.or_else(any) {
                Some(name) => (name, s.to_string()),
                None => {
                    let names: Vec<&str> = config
                        .scenarios
                        .values()
                        .flat_map(|sc| sc.steps.iter().map(|st| st.name.as_str()))
                        .collect();
                    let help = relance_dsl::diagnostic::closest(s, names.iter().copied())
                        .map(|c| format!(" (did you mean \"{c}\"?)"))
                        .unwrap_or_default();
                    return Err(Failure::Usage(format!(
                        "no scenario has a step \"{s}\"{help}"
                    )));
                }
            }
        }
    };
    let scenario = &config.scenarios[&scenario_name];
    let Some(step) = scenario.steps.iter().find(|s| s.name == step_name) else {
        return Err(Failure::Usage(format!(
            "scenario {scenario_name} has no step \"{step_name}\""
        )));
    };
    let (kind, template) = step
        .actions
        .iter()
        .find_map(|a| match a {
            Action::Email { template, .. } => Some(("email", template.clone())),
            Action::Letter { template } => Some(("letter", template.clone())),
            _ => None,
        })
        .ok_or_else(|| {
            Failure::Usage(format!(
                "step {step_name} of {scenario_name} sends no email or letter: there is nothing to preview"
            ))
        })?;
    let planned = plan
        .action
        .as_ref()
        .filter(|a| a.scenario == scenario_name && a.step == step_name);
    let (leader, items, to, cc) = match planned {
        Some(a) => (
            Some(a.leader.clone()),
            a.items.clone(),
            a.to.clone(),
            a.cc.clone(),
        ),
        None => {
            let mut overdue: Vec<&relance_engine::planner::Item> = account
                .items
                .iter()
                .filter(|i| i.kind.is_debit() && i.due_date < date)
                .collect();
            overdue.sort_by(|a, b| {
                (a.due_date, &a.customer, &a.reference).cmp(&(
                    b.due_date,
                    &b.customer,
                    &b.reference,
                ))
            });
            let items: Vec<ItemKey> = overdue.iter().map(|i| i.key()).collect();
            let (to, cc) = planner.recipients(account, step);
            (items.first().cloned(), items, to, cc)
        }
    };
    if kind == "email" && to.is_empty() {
        return Err(Failure::Other(anyhow::anyhow!(
            "account {} has no recipient for step {step_name} (missing_contact)",
            account.code
        )));
    }
    Ok(Target {
        scenario: scenario_name,
        step: step_name,
        kind,
        template,
        leader,
        items,
        to,
        cc,
    })
}
