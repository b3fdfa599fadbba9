//! Stores: SQL over the tables each file owns, and nothing else. A store names no other store
//! and no service (`tests/integration/layers.rs` checks it); what needs several stores at once
//! is a service.

pub mod attempts;
pub mod budgets;
pub mod campaigns;
pub mod email_changes;
pub mod idempotency;
pub mod journeys;
pub mod messages;
pub mod password_resets;
pub mod predictions;
pub mod programs;
pub mod push_devices;
pub mod rollups;
pub mod segment_facts;
pub mod segments;
pub mod sessions;
pub mod signup_requests;
pub mod stores;
pub mod surveys;
pub mod templates;
pub mod users;
