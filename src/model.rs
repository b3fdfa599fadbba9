//! Wire types shared by server functions and the browser, one file per domain.
//! Rows read from the database derive `FromRow` on the server build only.

pub mod api_key;
pub mod card;
pub mod insights;
pub mod member;
pub mod order;
pub mod program;
pub mod reward;
pub mod rules;
pub mod time;
pub mod user;
pub mod webhook;
