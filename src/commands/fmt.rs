//! `relance fmt [DIR] [--check]`: canonical layout of `.relance` files.
//!
//! Every file is formatted before any is written: when one has a syntax error,
//! nothing is written and the errors are reported (exit 1). `--check` writes
//! nothing and lists the files that would change (exit 1 when there are some).

use std::path::Path;

use anyhow::Context as _;
use relance_dsl::diagnostic::render;

use crate::{Cli, Failure};

/// Runs the command.
pub fn run(cli: &Cli, dir: &Path, check: bool) -> Result<(), Failure> {
    let loaded = super::read_config(dir)?;
    if !loaded.diagnostics.is_empty() {
        eprint!(
            "{}",
            render(&loaded.diagnostics, &loaded.sources, super::color_stderr())
        );
        return Err(Failure::Reported);
    }
    let mut changed = Vec::new();
    let mut errors = Vec::new();
    let mut count = 0;
    for (_, file) in loaded.sources.iter() {
        if !file.path.ends_with(".relance") || file.path.starts_with("templates/") {
            continue;
        }
        count += 1;
        // Each file is formatted on its own: diagnostics refer to file 0.
        let mut single = relance_dsl::Sources::new();
        single.add(relance_dsl::SourceFile::new(
            file.path.clone(),
            file.text.clone(),
        ));
        match relance_dsl::fmt::format_file(&file.text) {
            Ok(formatted) if formatted != file.text => changed.push((file.path.clone(), formatted)),
            Ok(_) => {}
            Err(diags) => errors.push(render(&diags, &single, super::color_stderr())),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            eprint!("{e}");
        }
        eprintln!("error: nothing was formatted: fix the syntax errors first");
        return Err(Failure::Reported);
    }
    if check {
        for (path, _) in &changed {
            outln!("{path}");
        }
        if changed.is_empty() {
            if !cli.quiet {
                eprintln!("{count} file(s) already formatted");
            }
            return Ok(());
        }
        eprintln!("{} file(s) would be reformatted", changed.len());
        return Err(Failure::Reported);
    }
    for (path, formatted) in &changed {
        let target = dir.join(path);
        let tmp = target.with_extension("relance.fmt-tmp");
        std::fs::write(&tmp, formatted).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &target)
            .with_context(|| format!("replacing {}", target.display()))?;
        if !cli.quiet {
            eprintln!("formatted {path}");
        }
    }
    if !cli.quiet {
        eprintln!("{} of {count} file(s) reformatted", changed.len());
    }
    Ok(())
}
