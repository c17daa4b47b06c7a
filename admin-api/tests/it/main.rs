//! The admin API's integration tests, in one test binary: a real server on
//! port 0 over a fresh store on each backend (from `relance-test-support`),
//! reached over HTTP.
//!
//! # Layout
//! - `api`: the API as a client uses it.
//! - `support`: the server, its fixture data and requests.

mod api;
mod ui;
mod support;
