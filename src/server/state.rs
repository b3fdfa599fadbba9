//! Shared server state, handed to server functions through Leptos context and to axum
//! handlers as router state. The pool lives here, never in a global.

use std::sync::Arc;

use leptos::prelude::LeptosOptions;

use super::auth::ratelimit::{KeyLimiter, Throttle};
use super::config::Config;
use super::db::Db;

#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    /// Failed sign-ins, security codes and API keys (`auth::ratelimit`).
    pub throttle: Arc<Throttle>,
    pub api_limiter: Arc<KeyLimiter>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Db, config: Config) -> Self {
        Self {
            leptos_options,
            db,
            config: Arc::new(config),
            throttle: Arc::new(Throttle::default()),
            api_limiter: Arc::new(KeyLimiter::default()),
        }
    }
}
