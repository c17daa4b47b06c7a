//! The templates' integration tests, in one test binary.
//!
//! # Layout
//! - `charts`: report charts as SVG, read back with an XML parser.
//! - `fuzz`: random tera-ish text through the scanner and the renderer.
//! - `golden`: rendered emails against `test_data/golden/` (`UPDATE_EXPECT=1`
//!   refreshes).
//! - `pdf`: statements and letters as PDF, read back with `pdftotext`.
//! - `support`: a rendering context for the tests.

mod charts;
mod fuzz;
mod golden;
mod pdf;
mod support;
