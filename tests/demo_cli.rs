//! `relance demo` as a newcomer runs it: from nothing, twice, from any
//! directory.

mod support;

use std::process::Command;

use support::text;

fn demo(cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_relance"))
        .current_dir(cwd)
        .env_remove("RELANCE_CONFIG")
        .env_remove("RELANCE_DB")
        .arg("demo")
        .args(args)
        .output()
        .expect("relance runs")
}

fn emails(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("relance-demo/outbox"))
        .expect("an outbox")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
        })
        .count()
}

#[test]
fn the_demo_runs_from_nothing_and_again_in_the_same_directory() {
    let cwd = tempfile::tempdir().expect("a temp dir");
    let out = demo(cwd.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("relance demo in relance-demo: 300 customers"),
        "{stdout}"
    );
    assert!(stdout.contains("open alerts"), "{stdout}");
    assert!(stdout.contains("relance-demo/outbox"), "{stdout}");
    assert!(cwd.path().join("relance-demo/config/main.relance").exists());
    let first = emails(cwd.path());
    assert!(first > 0, "{stdout}");

    let again = demo(cwd.path(), &[]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("starting over"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(emails(cwd.path()), first);
    assert_eq!(text(&again.stdout), stdout.replace('\r', ""));
}

#[test]
fn the_demo_refuses_a_directory_it_did_not_make() {
    let cwd = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir(cwd.path().join("mine")).expect("mkdir");
    std::fs::write(cwd.path().join("mine/notes.txt"), "keep me").expect("a file");
    let out = demo(cwd.path(), &["--dir", "mine"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not a relance demo"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(cwd.path().join("mine/notes.txt")).expect("kept"),
        "keep me"
    );
}
