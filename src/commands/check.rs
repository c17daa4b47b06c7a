//! `relance check [DIR]`: validate a configuration.

use std::path::PathBuf;

use relance_dsl::Severity;
use relance_dsl::diagnostic::render;

use crate::Failure;
use crate::options::Global;

/// Diagnostics printed at the most in human mode (JSON has them all).
const MAX_PRINTED: usize = 200;

/// The arguments of `relance check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory (default: --config).
    dir: Option<PathBuf>,
}

/// Runs the command.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let dir = args.dir.as_deref().unwrap_or(&cli.config);
    let loaded = super::read_config(dir)?;
    let report = relance_engine::config::check(loaded);
    let diags = &report.checked.diagnostics;
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    if cli.json {
        let doc = relance_admin_api::routes::config::check_document(&report);
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(anyhow::Error::from)?
        );
    } else {
        let shown: Vec<_> = diags
            .iter()
            .filter(|d| !cli.quiet || d.severity == Severity::Error)
            .take(MAX_PRINTED)
            .cloned()
            .collect();
        eprint!("{}", render(&shown, &report.sources, super::color_stderr()));
        if diags.len() > MAX_PRINTED {
            eprintln!(
                "... and {} more (use --json to see them all)",
                diags.len() - MAX_PRINTED
            );
        }
        if errors == 0 {
            outln!("ok");
            outln!("{}", report.checked.summary);
        } else {
            eprintln!(
                "error: {} is invalid: {errors} error{}, {warnings} warning{}",
                dir.display(),
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            );
        }
    }
    if errors == 0 {
        Ok(())
    } else {
        Err(Failure::Reported)
    }
}
