//! Balances adjusted by hand: what an adjustment may be, and when an admin must approve it.

use crate::domain::lang::current;
use crate::error::{count, AppError, Validator};
use crate::i18n::td_string;

/// The most points one adjustment may move, whoever makes it.
pub const MAX_POINTS: i64 = 10_000_000;

/// Checks an adjustment: a non-zero number of points within `MAX_POINTS` either way, and a
/// reason of 3 to 200 characters. Returns the trimmed reason.
pub fn validate(points: i64, reason: &str) -> Result<String, AppError> {
    let mut v = Validator::new();
    let reason = reason.trim();
    let n = reason.chars().count();
    if n < 3 {
        v.add(
            "reason",
            td_string!(current().locale, errors.adjust.reason_required),
        );
    } else if n > 200 {
        let lang = current();
        v.add(
            "reason",
            td_string!(lang.locale, errors.adjust.reason_too_long, n = count(lang, 200)).to_string(),
        );
    }
    // unsigned_abs: i64::MIN has no positive counterpart.
    if points == 0 || points.unsigned_abs() > MAX_POINTS as u64 {
        let lang = current();
        v.add(
            "points",
            td_string!(lang.locale, errors.adjust.points, max = lang.number(MAX_POINTS)).to_string(),
        );
    }
    v.finish()?;
    Ok(reason.to_string())
}

/// Whether an adjustment of `points` waits for an admin: the program's limit (`None`: no
/// limit) is passed either way, and the person asking is not an admin.
pub fn needs_approval(points: i64, limit: Option<i64>, by_admin: bool) -> bool {
    !by_admin && limit.is_some_and(|l| points.unsigned_abs() > l.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustments_are_bounded_and_explained() {
        assert_eq!(validate(250, "  Missing stamp ").unwrap(), "Missing stamp");
        assert!(validate(0, "Missing stamp")
            .unwrap_err()
            .field_message("points")
            .is_some());
        let both = validate(i64::MIN, "x").unwrap_err();
        assert!(both.field_message("points").is_some() && both.field_message("reason").is_some());
        assert!(validate(-MAX_POINTS, "Correction").is_ok());
        assert!(validate(MAX_POINTS + 1, "Correction").is_err());
    }

    #[test]
    fn over_the_limit_an_admin_approves() {
        assert!(!needs_approval(5_000, None, false), "no limit set");
        assert!(!needs_approval(500, Some(500), false), "at the limit");
        assert!(needs_approval(501, Some(500), false));
        assert!(needs_approval(-501, Some(500), false), "either way");
        assert!(!needs_approval(50_000, Some(500), true), "admins are not limited");
    }
}
