//! Server functions, one file per domain. Each is thin: check the caller's role, call the
//! server code, return `AppError` on failure. Endpoints are named so URLs stay stable.

pub mod approvals;
pub mod auth;
pub mod campaigns;
pub mod cards;
pub mod catalog;
pub mod desk;
pub mod hooks;
pub mod insights;
pub mod journeys;
pub mod keys;
pub mod messages;
pub mod portal;
pub mod programs;
pub mod rules;
pub mod segments;
pub mod stores;
pub mod surveys;
pub mod templates;
pub mod users;
