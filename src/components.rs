//! Reusable view pieces.

pub mod field;
pub mod nav;
pub mod states;
