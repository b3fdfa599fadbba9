//! Reusable view pieces.

pub mod chart;
pub mod field;
pub mod fresh;
pub mod nav;
pub mod outcome;
pub mod states;
pub mod table;
