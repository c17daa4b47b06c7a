//! The templates' integration tests, in one test binary.
//!
//! # Layout
//! - `fuzz`: random tera-ish text through the scanner and the renderer.
//! - `golden`: rendered emails against `test_data/golden/` (`UPDATE_EXPECT=1`
//!   refreshes).
//! - `pdf`: statements and letters as PDF, read back with `pdftotext`.
//! - `support`: a rendering context for the tests.

mod fuzz;
mod golden;
mod pdf;
mod support;
