//! Pure rules, compiled for the server and the browser alike, each with unit tests beside it.

pub mod adjustments;
pub mod birthdays;
pub mod card;
#[cfg(feature = "ssr")]
pub mod clv;
pub mod currency;
pub mod dates;
pub mod earning;
pub mod format;
pub mod forms;
pub mod identifier;
pub mod lang;
#[cfg(feature = "ssr")]
pub mod names;
#[cfg(feature = "ssr")]
pub mod phone;
pub mod postings;
pub mod returns;
pub mod rewards;
pub mod rules;
pub mod text;
pub mod tiers;
pub mod validate;
pub mod wording;
#[cfg(feature = "ssr")]
pub mod zones;
