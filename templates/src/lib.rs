//! relance templates: email and letter templates written with tera, their
//! front matter and `#hashtags` (docs/reference/templates.md). This crate takes a
//! typed [`Context`] in and gives text out; it knows no engine types.
//!
//! # Layout
//! - [`context`]: the rendering context, plain serde types.
//! - [`load`]: [`Templates`], compiled once per configuration from the
//!   files handed in: front matter, hashtags rewritten into tera,
//!   per-language partials.
//! - [`render`]: the language fallback and rendering a template to
//!   [`Rendered`]; the account statement.
//! - [`builtins`]: the built-in hashtags and their values for a context.
//! - [`charts`]: report charts (aging, DSO, forecast, receipts) as SVG.
//! - [`filters`]: the tera instance with the `money` and `date` filters.
//! - [`tables`]: statement tables, as HTML tables and as aligned text.
//! - [`format`](mod@format): money and dates per language.
//! - [`pdf`]: statements and letters as PDF files, from a structured
//!   [`pdf::Document`] (standard fonts, text extractable).
//! - [`text`]: the text part derived from the HTML one.
//! - [`front_matter`]: the `---` block at the top of a template.
//! - [`limits`]: what one message may cost (range numbers, bytes, time).
//! - [`hashtags`]: finding `#name` in template text.
//! - [`internal`]: the internal notifications' templates (`digest`,
//!   `alert`), built in and overridable per language, and their context.
//! - [`scan`]: checking a set of template files and indexing them by language.
//! - [`variables`]: the context paths a template reads, checked against the
//!   context's shape (`{{ customer.nme }}` is found by `relance check`).
//!
//! Dependencies between the modules point one way: [`render`] and [`scan`]
//! use [`load`] and [`filters`]; neither [`load`] nor [`filters`] knows them.

pub mod builtins;
pub mod charts;
pub mod context;
pub mod filters;
pub mod format;
pub mod front_matter;
pub mod hashtags;
pub mod internal;
pub mod limits;
pub mod load;
pub mod pdf;
mod pdf_metrics;
pub mod render;
pub mod scan;
pub mod tables;
pub mod text;
pub mod variables;

pub use context::Context;
pub use load::{CustomHashtag, LoadError, Templates};
pub use render::{RenderError, Rendered};
