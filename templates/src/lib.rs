//! relance templates: email and letter templates written with tera, their
//! front matter and `#hashtags` (spec/TEMPLATES.md). This crate takes text in
//! and gives text out; it knows no engine types. Today it checks templates for
//! `relance check`; rendering arrives with the templates issue.
//!
//! # Layout
//! - [`front_matter`]: the `---` block at the top of a template.
//! - [`hashtags`]: finding `#name` in template text.
//! - [`scan`]: checking a set of template files and indexing them by language.

#![forbid(unsafe_code)]

pub mod front_matter;
pub mod hashtags;
pub mod scan;
