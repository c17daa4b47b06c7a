//! The configuration language's integration tests, in one test binary. The
//! walks that must not overflow the stack run on threads of their own with
//! the default 2 MiB stack (`depth`, `fuzz`), whatever the test harness's.
//!
//! # Layout
//! - `depth`: nesting is bounded before any recursive walk.
//! - `fmt`: `relance fmt` is canonical, idempotent and meaning-preserving.
//! - `fuzz`: parse, check and fmt on random and mutated files.

mod depth;
mod fmt;
mod fuzz;
