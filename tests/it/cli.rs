//! `relance check` and `relance fmt` as a user runs them: the real binary,
//! real directories, exit codes and output.

use crate::support::{copy_dir, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn relance(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relance"))
        .args(args)
        .env_remove("RELANCE_CONFIG")
        .env("NO_COLOR", "1")
        .output()
        .expect("the relance binary runs")
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

/// A copy of the example configuration in a temporary directory.
fn copy_of_example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    copy_dir(&example(), dir.path());
    dir
}

fn assert_no_panic(out: &Output) {
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
}

#[test]
fn the_example_configuration_checks_ok_with_a_summary() {
    let out = relance(&["check", example().to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("ok"));
    let summary = lines.next().expect("a summary line");
    assert!(
        summary.starts_with("3 scenarios, 11 steps, 3 alerts, 1 escalation"),
        "{summary}"
    );
    // Every template in the four languages its customers write in.
    assert!(
        summary.contains("(de: 4, en: 4, es: 4, fr: 4)"),
        "{summary}"
    );
    assert_eq!(text(&out.stderr), "", "no warning");
}

#[test]
fn the_config_option_and_its_environment_variable_name_the_directory() {
    let dir = example();
    let out = relance(&["check", "--config", dir.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_relance"))
        .arg("check")
        .env("RELANCE_CONFIG", &dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn an_invalid_configuration_exits_1_with_every_error_rendered() {
    let dir = copy_of_example();
    let standard = dir.path().join("scenarios/standard.relance");
    let source = std::fs::read_to_string(&standard).expect("readable");
    let broken = source
        .replace("email \"reminder_2\"", "email \"reminder_3\"")
        .replace("at due + 30d", "at due + 3d");
    std::fs::write(&standard, broken).expect("write");
    let out = relance(&["check", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error[E012]: unknown template \"reminder_3\" for language \"en\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("--> scenarios/standard.relance:13:42"),
        "{stderr}"
    );
    assert!(
        stderr.contains("= help: did you mean \"reminder_1\"?"),
        "{stderr}"
    );
    assert!(stderr.contains("error[E010]"), "{stderr}");
    assert!(stderr.contains("is invalid: 2 errors"), "{stderr}");
}

#[test]
fn json_diagnostics_carry_code_severity_file_line_column_message_and_help() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        dir.path().join("main.relance"),
        "settings {\n  timezone \"Europe/Pari\"\n}\n",
    )
    .expect("write");
    let out = relance(&["check", "--json", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["errors"], 1);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "E015");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "main.relance");
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 12);
    assert_eq!(d["message"], "unknown timezone \"Europe/Pari\"");
    assert_eq!(d["help"], "did you mean \"Europe/Paris\"?");
}

#[test]
fn json_of_a_valid_configuration_has_its_summary_and_warnings() {
    let out = relance(&["check", "--json", example().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["warnings"], 0);
    assert_eq!(doc["summary"]["scenarios"], 3);
    assert_eq!(doc["summary"]["templates"]["en"], 4);
    assert_eq!(doc["summary"]["templates"]["de"], 4);
    assert_eq!(doc["diagnostics"], serde_json::json!([]));
}

#[test]
fn a_directory_that_does_not_exist_is_a_usage_error() {
    let out = relance(&["check", "/nonexistent/relance/config"]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_panic(&out);
    assert_eq!(
        text(&out.stderr).trim(),
        "error: configuration directory `/nonexistent/relance/config` does not exist"
    );
}

#[test]
fn a_file_instead_of_a_directory_is_a_usage_error() {
    let out = relance(&[
        "check",
        example().join("main.relance").to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not a directory"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_empty_directory_is_invalid_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = relance(&["check", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert_no_panic(&out);
    assert!(
        text(&out.stderr).contains("no `.relance` file in the configuration directory"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_binary_file_named_relance_is_reported_not_parsed() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut bytes = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    bytes.extend((0u8..=255).cycle().take(4096));
    std::fs::write(dir.path().join("x.relance"), bytes).expect("write");
    let out = relance(&["check", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert_no_panic(&out);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("x.relance: this is a binary file, not text"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("error[").count(),
        1,
        "one error, not a syntax error per byte: {stderr}"
    );
}

#[test]
fn a_5_mb_file_is_refused_with_its_size() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let line = "field customer.segment text\n";
    std::fs::write(
        dir.path().join("huge.relance"),
        line.repeat(5_000_000 / line.len() + 1),
    )
    .expect("write");
    let out = relance(&["check", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    assert_no_panic(&out);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("huge.relance: file is too large (5.0 MB"),
        "{stderr}"
    );
}

#[test]
fn wrong_arguments_are_usage_errors() {
    for args in [
        &["check", "a", "b"][..],
        &["frobnicate"],
        &["fmt", "--nope"],
        &[],
    ] {
        let out = relance(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn fmt_check_lists_unformatted_files_and_fmt_rewrites_them() {
    let dir = copy_of_example();
    let path = dir.path().to_str().expect("utf-8");
    let main = dir.path().join("main.relance");
    let original = std::fs::read_to_string(&main).expect("readable");
    std::fs::write(
        &main,
        original.replace("  company          \"ACME", "company \"ACME"),
    )
    .expect("write");

    let out = relance(&["fmt", "--check", path]);
    assert_eq!(out.status.code(), Some(1));
    let listed = text(&out.stdout);
    assert!(
        listed.lines().any(|l| l == "not formatted: main.relance"),
        "{listed}"
    );
    assert!(
        text(&out.stderr).contains(" file(s) not formatted: run `relance fmt"),
        "{}",
        text(&out.stderr)
    );
    let out = relance(&["fmt", "--check", "--json", path]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert!(
        doc["changed"]
            .as_array()
            .is_some_and(|c| c.contains(&serde_json::json!("main.relance"))),
        "{doc}"
    );
    assert_eq!(doc["formatted"], false);
    assert!(doc["files"].as_u64().is_some_and(|n| n >= 4), "{doc}");
    assert_eq!(
        std::fs::read_to_string(&main)
            .expect("readable")
            .lines()
            .nth(5),
        Some("company \"ACME Industries SAS\""),
        "--check writes nothing"
    );

    let out = relance(&["fmt", path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("formatted main.relance\n"), "{said}");
    assert!(said.contains(" file(s) reformatted"), "{said}");
    let formatted = std::fs::read_to_string(&main).expect("readable");
    assert!(
        formatted.contains("\n  company          \"ACME Industries SAS\"\n"),
        "{formatted}"
    );

    let out = relance(&["fmt", "--check", path]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "formatted files stay formatted: {}",
        text(&out.stdout)
    );
    let out = relance(&["check", path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = relance(&["fmt", "--json", path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["changed"], serde_json::json!([]));
    assert_eq!(doc["formatted"], true);
}

/// The options of `--help` for a command.
fn help(command: &[&str]) -> String {
    let mut args = command.to_vec();
    args.push("--help");
    let out = relance(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn the_shared_options_are_listed_only_by_the_commands_that_use_them() {
    for command in [&["token"][..], &["gen"], &["demo"]] {
        let help = help(command);
        assert!(
            !help.contains("--db") && !help.contains("--config"),
            "{command:?} uses no store and no configuration:\n{help}"
        );
        assert!(
            help.contains("--json") && help.contains("--quiet"),
            "{help}"
        );
    }
    for command in [&["check"][..], &["fmt"]] {
        let help = help(command);
        assert!(!help.contains("--db"), "{command:?}:\n{help}");
        assert!(
            help.contains("--config <CONFIG>") && help.contains("[env: RELANCE_CONFIG"),
            "{help}"
        );
    }
    for command in [
        &["plan"][..],
        &["run"],
        &["import"],
        &["status", "set"],
        &["status", "clear"],
        &["approve"],
        &["preview"],
        &["simulate"],
        &["diff"],
    ] {
        let help = help(command);
        for option in [
            "--config <CONFIG>",
            "--db <DB>",
            "[default: sqlite://relance.db]",
            "[env: RELANCE_DB",
            "--json",
            "--verbose",
        ] {
            assert!(help.contains(option), "{command:?} lists {option}:\n{help}");
        }
    }
    for command in [&["serve"][..], &["worker"]] {
        let help = help(command);
        assert!(help.contains("--db <DB>"), "{command:?}:\n{help}");
    }
    let top = help(&[]);
    assert!(!top.contains("--db <DB>"), "{top}");
}

#[test]
fn the_shared_options_still_work_before_the_subcommand_and_a_later_one_wins() {
    let example = example();
    let example = example.to_str().expect("utf-8");
    let out = relance(&["--config", example, "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = relance(&["--config", "no-such-dir", "check", "--config", example]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A flag before the subcommand is still a flag: it beats the environment.
    let out = Command::new(env!("CARGO_BIN_EXE_relance"))
        .args(["--config", example, "check", "--json"])
        .env("RELANCE_CONFIG", "no-such-dir")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["ok"], true);
    // A command that uses no store ignores one given before it.
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = relance(&[
        "--db",
        "sqlite://x.db",
        "--json",
        "gen",
        "--customers",
        "3",
        "--items",
        "5",
        "--out",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["rows"]["customers"], 3);
    assert_eq!(doc["rows"]["items"], 5);
    assert!(
        doc["rows"]["contacts"].as_u64().is_some_and(|n| n >= 3),
        "{doc}"
    );
}

#[test]
fn fmt_writes_nothing_when_a_file_has_a_syntax_error() {
    let dir = copy_of_example();
    let main = dir.path().join("main.relance");
    let messy = std::fs::read_to_string(&main)
        .expect("readable")
        .replace("  currency", "currency");
    std::fs::write(&main, &messy).expect("write");
    let alerts = dir.path().join("alerts.relance");
    let broken = std::fs::read_to_string(&alerts)
        .expect("readable")
        .replace("level  high", "level = high");
    std::fs::write(&alerts, &broken).expect("write");

    let out = relance(&["fmt", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("alerts.relance:5:9"), "{stderr}");
    assert!(stderr.contains("nothing was formatted"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&main).expect("readable"),
        messy,
        "main.relance untouched"
    );
    assert_eq!(std::fs::read_to_string(&alerts).expect("readable"), broken);
}

#[test]
fn the_spec_example_still_checks_and_the_shipped_example_checks_clean_and_formatted() {
    // spec/example is the small contract example: it must keep passing `check`
    // (its warnings, such as missing translations, are allowed). It lives beside
    // the repository, not in it: a lone clone skips this half.
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/example");
    if spec.exists() {
        let out = relance(&["check", spec.to_str().expect("utf-8")]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    } else {
        eprintln!("skipped: {} is not here", spec.display());
    }

    // config/ is the product's own example, what `relance demo` ships: valid
    // with no warning at all, and already in `relance fmt`'s layout.
    let dir = example();
    let dir = dir.to_str().expect("utf-8");
    let out = relance(&["check", dir]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("warning"),
        "config/ has warnings:\n{}",
        text(&out.stderr)
    );
    let out = relance(&["fmt", "--check", dir]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "config/ is not formatted: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The crashing inputs of issue 15, one statement a line, each 10,000 to
/// 20,000 levels deep.
fn deep_statements() -> String {
    let n = 10_000;
    [
        format!("{}true{}", "(".repeat(n), ")".repeat(n)),
        vec!["true"; 2 * n].join(" and "),
        format!("1 in {}1{}", "[".repeat(n), "]".repeat(n)),
        format!("{}true", "not ".repeat(n)),
        format!("{}1 < 0", "- ".repeat(n)),
    ]
    .iter()
    .map(|e| format!("assign \"standard\" when {e}\n"))
    .collect()
}

#[test]
fn deeply_nested_expressions_are_diagnostics_with_file_and_line_not_crashes() {
    let dir = copy_of_example();
    let path = dir.path().to_str().expect("utf-8");
    std::fs::write(dir.path().join("deep.relance"), deep_statements()).expect("write");

    let out = relance(&["check", path]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    for line in 1..=5 {
        assert!(
            stderr.contains(&format!("--> deep.relance:{line}:")),
            "line {line}: {}",
            &stderr[..stderr.len().min(3000)]
        );
    }
    assert_eq!(
        stderr
            .matches("error[E024]: this expression nests deeper than 128 levels")
            .count(),
        5
    );

    let out = relance(&["check", "--json", path]);
    assert_no_panic(&out);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let deep: Vec<&serde_json::Value> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "E024")
        .collect();
    assert_eq!(deep.len(), 5, "{doc}");
    assert!(deep.iter().all(|d| d["file"] == "deep.relance"), "{doc}");

    for args in [vec!["fmt", path], vec!["fmt", "--check", path]] {
        let out = relance(&args);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("error[E024]") && stderr.contains("--> deep.relance:1:"),
            "{args:?}: {}",
            &stderr[..stderr.len().min(3000)]
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("deep.relance")).expect("readable"),
        deep_statements(),
        "fmt leaves a file it cannot read alone"
    );
}
