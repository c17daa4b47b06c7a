//! The relance configuration language: grammar, syntax tree, checking,
//! diagnostics and formatting (docs/reference/language.md).
//!
//! Everything here works on text in memory ([`Sources`]): no IO, no async.
//!
//! # Layout
//! - [`source`]: files, spans, line/column look-ups.
//! - [`depth`]: the nesting bound, checked on the text before parsing.
//! - [`parse`]: the pest grammar and the conversion to the AST, with recovery;
//!   one file each for recovery, error wording, blocks, expressions, literals.
//! - [`ast`]: the syntax tree, a span on every node.
//! - [`diagnostic`]: `Diagnostic`, codes, rendering (terminal and JSON).
//! - [`check`]: name resolution, type checking, references → [`model::Config`];
//!   one `impl Checker` file per concern (names, settings, declarations,
//!   scenarios, alerts, recipients, templates and hooks, expressions).
//! - [`email`]: [`EmailAddress`] and [`Mailbox`], addresses valid by construction.
//! - [`model`]: the checked configuration the engine uses.
//! - [`fmt`]: the canonical layout (`relance fmt`): comment scan, printer, items,
//!   canonical expressions, and `meaning`, what formatting must keep.
//! - [`schema`]: the facts expressions read, with their types.

pub mod ast;
pub mod check;
pub mod depth;
pub mod diagnostic;
pub mod email;
pub mod fmt;
pub mod model;
pub mod parse;
pub mod schema;
pub mod source;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use email::{EmailAddress, EmailError, Mailbox};
pub use source::{FileId, SourceFile, Sources, Span, Spanned};
