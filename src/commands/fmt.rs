//! `relance fmt [DIR] [--check]`: canonical layout of `.relance` files.
//!
//! Every file is formatted before any is written: when one has a syntax error,
//! nothing is written and the errors are reported (exit 1). `--check` writes
//! nothing and lists the files that would change (exit 1 when there are some).

use std::path::PathBuf;

use anyhow::Context as _;
use relance_dsl::diagnostic::render;

use crate::Failure;
use crate::options::Global;

/// The arguments of `relance fmt`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory (default: --config).
    dir: Option<PathBuf>,
    /// Change nothing; exit 1 when a file is not formatted.
    #[arg(long)]
    check: bool,
}

/// Runs the command: prints the files it rewrote (or, with `--check`, the
/// files not formatted), one a line; `--json` prints `{files, formatted,
/// changed}`.
pub fn run(cli: &Global, args: &Args) -> Result<(), Failure> {
    let dir = args.dir.as_deref().unwrap_or(&cli.config);
    let check = args.check;
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
    if !check {
        for (path, formatted) in &changed {
            let target = dir.join(path);
            let tmp = target.with_extension("relance.fmt-tmp");
            std::fs::write(&tmp, formatted)
                .with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, &target)
                .with_context(|| format!("replacing {}", target.display()))?;
        }
    }
    let paths: Vec<&str> = changed.iter().map(|(p, _)| p.as_str()).collect();
    if cli.json {
        // `changed`: the files rewritten, or with --check the files that
        // would be; `formatted`: whether they were written.
        let doc = serde_json::json!({
            "files": count,
            "changed": paths,
            "formatted": !check,
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(anyhow::Error::from)?
        );
    } else if check {
        for path in &paths {
            outln!("not formatted: {path}");
        }
        if changed.is_empty() && !cli.quiet {
            outln!("{count} file(s) already formatted");
        }
    } else {
        for path in &paths {
            outln!("formatted {path}");
        }
        if !cli.quiet {
            outln!("{} of {count} file(s) reformatted", changed.len());
        }
    }
    if check && !changed.is_empty() {
        eprintln!(
            "error: {} file(s) not formatted: run `relance fmt {}`",
            changed.len(),
            dir.display()
        );
        return Err(Failure::Reported);
    }
    Ok(())
}
