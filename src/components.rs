//! Reusable view pieces.

pub mod access;
pub mod campaign_offer;
pub mod chart;
pub mod copy;
pub mod field;
pub mod fresh;
pub mod lang;
pub mod nav;
pub mod outcome;
pub mod scroll;
pub mod states;
pub mod table;
