//! Storage, one file per domain. Functions take `&Db` (or a transaction), validate what they
//! are given with `domain::forms`, and write each change in one transaction.

pub mod insights;
pub mod ledger;
pub mod members;
pub mod programs;
pub mod sessions;
pub mod users;
