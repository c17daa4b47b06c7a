//! relance admin API: an axum HTTP server for operators (runs, agenda,
//! alerts, statuses, imports, configuration reload) with bearer tokens and
//! roles (spec/API.md). Nothing is implemented yet: see the admin API issue.

#![forbid(unsafe_code)]
