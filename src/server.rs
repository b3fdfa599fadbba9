//! Everything that runs only on the server: configuration, storage, authentication,
//! stores, services and queries, charts, demo data and the HTTP stack.

pub mod auth;
pub mod campaigns_bench;
pub mod channel_api;
pub mod charts;
pub mod config;
pub mod db;
pub mod demo;
pub mod exports;
pub mod generator;
pub mod headers;
pub mod history;
pub mod insights_bench;
pub mod jobs;
pub mod journeys_bench;
pub mod lang;
pub mod messages_bench;
pub mod outbox;
pub mod outcome;
pub mod query;
pub mod segments_bench;
pub mod serve;
pub mod service;
pub mod state;
pub mod store;
pub mod text_guard;
pub mod unsubscribe;
pub mod webhooks;
