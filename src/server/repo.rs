//! Storage, one file per domain. Functions take `&Db` (or a transaction), validate what they
//! are given with `domain::forms`, and write each change in one transaction.

pub mod adjustments;
pub mod api_keys;
pub mod attempts;
pub mod awards;
pub mod birthdays;
pub mod booking;
pub mod budgets;
pub mod cards;
pub mod expiry;
pub mod idempotency;
pub mod identity;
pub mod insights;
pub mod ledger;
pub mod members;
pub mod merges;
pub mod orders;
pub mod programs;
pub mod referrals;
pub mod rewards;
pub mod rules;
pub mod sessions;
pub mod setup;
pub mod stamps;
pub mod stores;
pub mod tiers;
pub mod users;
