//! A fixed-window rate limiter in memory, for the customer page: at most
//! `n` requests per key (a client address, an account link) in each
//! window. A process restart forgets the counts; several servers count
//! apart. Small on purpose: no kept crate fits (`governor` is not among
//! the workspace's pinned dependencies) and the page needs nothing more.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a window lasts.
pub const WINDOW: Duration = Duration::from_secs(600);
/// Page views per account link per window.
pub const GETS_PER_ACCOUNT: u32 = 60;
/// Page views per client address per window.
pub const GETS_PER_CLIENT: u32 = 300;
/// Answers (form posts) per account link per window.
pub const POSTS_PER_ACCOUNT: u32 = 10;
/// Answers per client address per window.
pub const POSTS_PER_CLIENT: u32 = 30;
/// Past this many keys, ended windows are dropped at the next request.
const SWEEP_AT: usize = 10_000;

/// Counts per key in the current window.
#[derive(Debug, Default)]
pub struct Limiter {
    /// Key → (window start, requests in it).
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    /// Counts a request under each `(key, limit)`; `false` when any key is
    /// past its limit (the request is refused, and counted all the same).
    pub fn allow(&self, keys: &[(String, u32)], now: Instant) -> bool {
        let Ok(mut windows) = self.windows.lock() else {
            // A panic while counting: refuse nothing rather than everything.
            return true;
        };
        if windows.len() > SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let mut allowed = true;
        for (key, limit) in keys {
            let entry = windows.entry(key.clone()).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 = entry.1.saturating_add(1);
            if entry.1 > *limit {
                allowed = false;
            }
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_past_its_limit_until_the_window_ends() {
        let l = Limiter::default();
        let t = Instant::now();
        let keys = [("a".to_string(), 2)];
        assert!(l.allow(&keys, t));
        assert!(l.allow(&keys, t));
        assert!(!l.allow(&keys, t));
        assert!(l.allow(&[("b".to_string(), 2)], t));
        assert!(l.allow(&keys, t + WINDOW));
    }
}
