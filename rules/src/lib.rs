//! relance rules: what runs the configuration's logic. Today: compiling the
//! rhai hook files and listing the functions they define, for `relance check`.
//! Expression evaluation, alerts and escalations arrive with the planner.
//!
//! # Layout
//! - [`hooks`]: rhai hook files: compilation and their function table.

#![forbid(unsafe_code)]

pub mod hooks;
