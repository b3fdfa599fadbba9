//! Everything that runs only on the server: configuration, storage, authentication,
//! repositories, charts, demo data and the HTTP stack.

pub mod auth;
pub mod channel_api;
pub mod charts;
pub mod config;
pub mod db;
pub mod demo;
pub mod headers;
pub mod jobs;
pub mod repo;
pub mod serve;
pub mod state;
pub mod text_guard;
pub mod webhooks;
