//! The tier form: a name, a threshold in the program's tier unit, a multiplier.

use crate::error::{AppError, Validator};
use crate::model::program::TierInput;

use super::super::validate;
use super::program::MAX_THRESHOLD;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTier {
    pub name: String,
    pub threshold_points: i64,
    pub multiplier_pct: i64,
}

pub fn tier(input: &TierInput) -> Result<ValidTier, AppError> {
    let mut v = Validator::new();
    let name = v.check("name", validate::name(&input.name));
    let threshold_points = v.check(
        "threshold_points",
        validate::integer(&input.threshold_points, 0, MAX_THRESHOLD),
    );
    let multiplier_pct = v.check("multiplier", validate::multiplier(&input.multiplier));
    v.finish()?;
    Ok(ValidTier {
        name: name.unwrap_or_default(),
        threshold_points: threshold_points.unwrap_or_default(),
        multiplier_pct: multiplier_pct.unwrap_or(100),
    })
}
