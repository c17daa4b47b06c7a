//! [`AppState`], what every handler shares: the store, the configuration
//! in force (swapped whole by a reload), the tokens, the run queue and the
//! request metrics.
//!
//! This module composes the others: the middleware take only their part of
//! the state through axum's [`FromRef`] (the tokens for
//! [`crate::auth::require_token`], the metrics for [`crate::metrics::record`]),
//! and [`crate::runs`] gets the live configuration it plans with, so none of
//! them knows [`AppState`].

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::extract::FromRef;
use relance_engine::files::FileStore;
use relance_engine::links::Signer;
use relance_engine::planner::Planner;
use relance_engine::store::Store;
use relance_templates::Templates;

use crate::auth::Tokens;
use crate::metrics::Metrics;
use crate::runs::{InProcessQueue, LivePlanner, RunQueue};

/// What the server is started with.
#[derive(Debug)]
pub struct ApiSettings {
    /// The store.
    pub store: Store,
    /// The configuration, checked and compiled.
    pub planner: Planner,
    /// Its templates, compiled (statements).
    pub templates: Templates,
    /// Where `POST /config/reload` reads the configuration from.
    pub config_dir: PathBuf,
    /// The accepted tokens.
    pub tokens: Tokens,
    /// Attached files and their links; `None`: the file routes answer 503.
    pub files: Option<FileAccess>,
}

/// What the file routes need: where contents are, and how links are signed.
#[derive(Debug, Clone)]
pub struct FileAccess {
    /// Where file contents are kept.
    pub store: FileStore,
    /// Signs download links; `None`: no links are made and none open.
    pub signer: Option<Signer>,
    /// The public address links start with (`--public-url`, over the
    /// settings' `public_url`); `None`: the settings' in force, else
    /// relative links.
    pub public_url: Option<String>,
}

/// The clock signed links are checked and made against: the system's,
/// shifted by an offset that only tests move (to see a link expire without
/// waiting for it). Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Seconds added to the system clock.
    offset: Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// Now, by this clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let offset = self.offset.load(std::sync::atomic::Ordering::Relaxed);
        chrono::Utc::now() + chrono::TimeDelta::seconds(offset)
    }

    /// Moves this clock (and its clones) forward by `by`.
    pub fn advance(&self, by: chrono::TimeDelta) {
        self.offset
            .fetch_add(by.num_seconds(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Everything, behind one pointer.
    inner: Arc<Inner>,
}

struct Inner {
    /// The store.
    store: Store,
    /// The configuration in force.
    planner: LivePlanner,
    /// Its templates, swapped with it.
    templates: ArcSwap<Templates>,
    /// Where reloads read from.
    config_dir: PathBuf,
    /// Accepted tokens; shared with the middleware that checks them.
    tokens: Arc<Tokens>,
    /// Where `POST /runs` sends its runs.
    queue: Arc<dyn RunQueue>,
    /// Request counts and latencies; shared with the middleware that
    /// records them.
    metrics: Arc<Metrics>,
    /// Attached files and their links.
    files: Option<FileAccess>,
    /// Request counts of the customer page, for its rate limit.
    page_limits: crate::customer::limit::Limiter,
    /// What signed links are checked against.
    clock: Clock,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config_dir", &self.inner.config_dir)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// A state whose runs execute in this process ([`InProcessQueue`]).
    pub fn new(settings: ApiSettings) -> AppState {
        let planner: LivePlanner = Arc::new(ArcSwap::from_pointee(settings.planner));
        let queue = InProcessQueue::new(settings.store.clone(), planner.clone());
        AppState::build(
            settings.store,
            planner,
            settings.templates,
            settings.config_dir,
            settings.tokens,
            Arc::new(queue),
            settings.files,
        )
    }

    /// A state with another run queue; `queue` gets the live configuration
    /// to plan with.
    pub fn with_queue(
        settings: ApiSettings,
        queue: impl FnOnce(Store, LivePlanner) -> Arc<dyn RunQueue>,
    ) -> AppState {
        let planner: LivePlanner = Arc::new(ArcSwap::from_pointee(settings.planner));
        let queue = queue(settings.store.clone(), planner.clone());
        AppState::build(
            settings.store,
            planner,
            settings.templates,
            settings.config_dir,
            settings.tokens,
            queue,
            settings.files,
        )
    }

    fn build(
        store: Store,
        planner: LivePlanner,
        templates: Templates,
        config_dir: PathBuf,
        tokens: Tokens,
        queue: Arc<dyn RunQueue>,
        files: Option<FileAccess>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                store,
                planner,
                templates: ArcSwap::from_pointee(templates),
                config_dir,
                tokens: Arc::new(tokens),
                queue,
                metrics: Arc::default(),
                files,
                page_limits: crate::customer::limit::Limiter::default(),
                clock: Clock::default(),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The configuration in force now.
    pub fn planner(&self) -> Arc<Planner> {
        self.inner.planner.load_full()
    }

    /// The templates in force now.
    pub fn templates(&self) -> Arc<Templates> {
        self.inner.templates.load_full()
    }

    /// Installs a new configuration for every later request.
    pub fn install(&self, planner: Planner, templates: Templates) {
        self.inner.templates.store(Arc::new(templates));
        self.inner.planner.store(Arc::new(planner));
    }

    /// Where reloads read from.
    pub fn config_dir(&self) -> &std::path::Path {
        &self.inner.config_dir
    }

    /// Accepted tokens.
    pub fn tokens(&self) -> &Tokens {
        &self.inner.tokens
    }

    /// The run queue.
    pub fn queue(&self) -> &dyn RunQueue {
        &*self.inner.queue
    }

    /// Request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Attached files and their links, when the server has a file store.
    pub fn files(&self) -> Option<&FileAccess> {
        self.inner.files.as_ref()
    }

    /// The clock signed links are made and checked against.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The customer page's rate limiter.
    pub fn page_limits(&self) -> &crate::customer::limit::Limiter {
        &self.inner.page_limits
    }
}

/// The tokens, for [`crate::auth::require_token`].
impl FromRef<AppState> for Arc<Tokens> {
    fn from_ref(state: &AppState) -> Arc<Tokens> {
        state.inner.tokens.clone()
    }
}

/// The request metrics, for [`crate::metrics::record`].
impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Arc<Metrics> {
        state.inner.metrics.clone()
    }
}
