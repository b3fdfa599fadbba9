//! Everything that runs only on the server: configuration, storage, authentication,
//! repositories, charts, demo data and the HTTP stack.

pub mod auth;
pub mod charts;
pub mod config;
pub mod db;
pub mod demo;
pub mod repo;
pub mod serve;
pub mod state;
