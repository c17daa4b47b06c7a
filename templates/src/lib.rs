//! relance templates: email and letter templates written with tera, their
//! front matter and `#hashtags` (spec/TEMPLATES.md). This crate takes a
//! typed [`Context`] in and gives text out; it knows no engine types.
//!
//! # Layout
//! - [`context`]: the rendering context, plain serde types.
//! - [`render`]: [`Templates`], compiled once per configuration; hashtag
//!   expansion, the language fallback, rendering to [`Rendered`].
//! - [`tables`]: statement tables, as HTML tables and as aligned text.
//! - [`format`]: money and dates per language.
//! - [`text`]: the text part derived from the HTML one.
//! - [`front_matter`]: the `---` block at the top of a template.
//! - [`limits`]: what one message may cost (range numbers, bytes, time).
//! - [`hashtags`]: finding `#name` in template text.
//! - [`scan`]: checking a set of template files and indexing them by language.
//! - [`variables`]: the context paths a template reads, checked against the
//!   context's shape (`{{ customer.nme }}` is found by `relance check`).

pub mod context;
pub mod format;
pub mod front_matter;
pub mod hashtags;
pub mod limits;
pub mod render;
pub mod scan;
pub mod tables;
pub mod text;
pub mod variables;

pub use context::Context;
pub use render::{CustomHashtag, LoadError, RenderError, Rendered, Templates};
