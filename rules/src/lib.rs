//! relance rules: what runs the configuration's logic. Expressions are
//! compiled once from the checked AST and evaluated over facts the engine
//! provides; hook files are rhai scripts run in a sandbox.
//!
//! # Layout
//! - [`value`]: run-time values and the [`Facts`] trait the engine implements.
//! - [`eval`]: compiled expressions and their evaluation.
//! - [`hooks`]: rhai hook files: checking, compilation, sandboxed calls.

pub mod eval;
pub mod hooks;
pub mod value;

pub use eval::Compiled;
pub use hooks::{HookError, Hooks};
pub use value::{Facts, Root, Value};
