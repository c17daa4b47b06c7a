//! The admin API's integration tests, in one test binary: a real server on
//! port 0 over a fresh store on each backend (from `relance-test-support`),
//! reached over HTTP.
//!
//! # Layout
//! - `api`: the API as a client uses it.
//! - `files`: attached files: upload, refusals, hiding, signed downloads.
//! - `customer`: the customer page opened from a signed link, and its answers.
//! - `ui`: the web workspace over HTTP; `browser`: in headless chromium.
//! - `support`: the server, its fixture data and requests.

mod api;
mod browser;
mod customer;
mod files;
mod support;
mod ui;
