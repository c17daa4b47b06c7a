//! The admin API's integration tests, in one test binary: a real server on
//! port 0 over a fresh store on each backend (from `relance-test-support`),
//! reached over HTTP.
//!
//! # Layout
//! - `api`: the API as a client uses it.
//! - `files`: attached files: upload, refusals, hiding, signed downloads.
//! - `ui`: the web workspace over HTTP; `browser`: in headless chromium.
//! - `support`: the server, its fixture data and requests.

mod api;
mod browser;
mod files;
mod support;
mod ui;
