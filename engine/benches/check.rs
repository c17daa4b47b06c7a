//! How long `relance check` takes on the shipped example: reading the
//! directory, parsing, compiling hooks, scanning templates and checking.
//! Target (foundation issue): well under 50 ms in release mode.
//!
//! `cargo bench -p relance-engine --bench check`

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use relance_engine::config;

fn check_example(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let loaded = config::read_dir(&dir).expect("config/ is readable");
    c.bench_function("check example (in memory)", |b| {
        b.iter(|| {
            let report = config::check(loaded.clone());
            assert!(!report.has_errors());
            report
        })
    });
    c.bench_function("load + check example (from disk)", |b| {
        b.iter(|| config::load(&dir).expect("loads"))
    });
}

criterion_group!(benches, check_example);
criterion_main!(benches);
