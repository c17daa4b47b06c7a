//! relance worker: the scheduled side of relance. It will run the daily
//! collection per timezone as apalis jobs (cron), deliver emails with lettre
//! (SMTP, file or none), retry transient failures and guarantee that each
//! action is sent at most once. Nothing is implemented yet: see the delivery
//! issue.

#![forbid(unsafe_code)]
