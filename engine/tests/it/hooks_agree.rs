//! `check` compiles hooks exactly as the runtime does (issue 15): a hook file
//! the check accepts is one every command that compiles the configuration
//! (`Planner::new`: plan, run, simulate, preview, serve) accepts, and the
//! other way round.

use std::path::Path;

use relance_engine::config;
use relance_engine::planner::Planner;

#[test]
fn a_hook_file_passes_check_exactly_when_the_planner_compiles_it() {
    let long = "a".repeat(64 * 1024 + 1);
    let deep = format!("fn extra() {{ {}1{} }}", "(".repeat(80), ")".repeat(80));
    let cases: Vec<(&str, String, bool)> = vec![
        ("eval", "fn extra() { eval(\"1\") }".into(), false),
        (
            "a module import",
            "import \"m\" as m;\nfn extra() { 1 }".into(),
            false,
        ),
        (
            "print and debug",
            "fn extra() { print(\"x\"); debug(1); 1 }".into(),
            true,
        ),
        (
            "a literal over the string limit",
            format!("fn extra() {{ \"{long}\" }}"),
            false,
        ),
        ("an expression nested too deep", deep, false),
        ("a plain function", "fn extra(x) { x * 2 }".into(), true),
    ];
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    for (what, hook, accepted) in cases {
        let mut loaded = config::read_dir(&example).expect("the example configuration");
        config::add_file(
            &mut loaded,
            "extra.relance".into(),
            b"hook \"extra\" from \"hooks/extra.rhai\"\n".to_vec(),
        );
        config::add_file(&mut loaded, "hooks/extra.rhai".into(), hook.into_bytes());
        let report = config::check(loaded);
        assert_eq!(
            !report.has_errors(),
            accepted,
            "check on {what}: {:?}",
            report.checked.diagnostics
        );
        if accepted {
            let planner = Planner::new(&report.checked.config, &report.sources);
            assert!(
                planner.is_ok(),
                "the planner refuses {what}: {:?}",
                planner.err()
            );
        } else {
            assert!(
                report
                    .checked
                    .diagnostics
                    .iter()
                    .any(|d| d.code.as_str() == "E008"),
                "{what} is refused as a hook file that does not compile"
            );
            // What check refuses, the runtime would refuse too: the same
            // configuration without the check's verdict does not compile.
            let planner = Planner::new(&report.checked.config, &report.sources);
            assert!(planner.is_err(), "the planner accepts {what}");
        }
    }
}
