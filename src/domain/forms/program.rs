//! The program form: names, currencies, point value, earn rate, expiry, return window, tier
//! window, basis and review, and the adjustment limit.

use crate::domain::lang::current;
use crate::error::{AppError, Validator};
use crate::i18n::td_string;
use crate::model::program::ProgramInput;

use super::super::validate;

/// Largest earn rate and point value an admin may set; beyond this is a typo, not a program.
pub const MAX_POINTS_PER_UNIT: i64 = 1_000;
pub const MAX_POINT_VALUE_MINOR: i64 = 10_000;
pub const MAX_THRESHOLD: i64 = 1_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProgram {
    pub name: String,
    pub currency_name: String,
    pub currency_code: String,
    pub point_value_minor: i64,
    pub points_per_unit: i64,
    pub expiry_mode: String,
    pub expiry_months: i64,
    pub pending_days: i64,
    pub tier_window: String,
    pub tier_basis: String,
    pub tier_review: String,
    /// None: keep the current setting.
    pub allow_negative: Option<bool>,
    /// None: keep the current setting.
    pub active: Option<bool>,
    /// None: no limit.
    pub adjust_limit: Option<i64>,
}

/// A yes/no select: Some(true/false), None when absent, an error otherwise.
fn yes_no(v: &mut Validator, field: &str, input: &Option<String>) -> Option<bool> {
    match input.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("yes" | "on" | "true") => Some(true),
        Some("no" | "off" | "false") => Some(false),
        Some(_) => {
            v.add(field, td_string!(current().locale, errors.forms.yes_no));
            None
        }
    }
}

/// Longest expiry and return window an admin may set.
pub const MAX_EXPIRY_MONTHS: i64 = 120;
pub const MAX_PENDING_DAYS: i64 = 365;

pub fn program(input: &ProgramInput) -> Result<ValidProgram, AppError> {
    let mut v = Validator::new();
    let name = v.check("name", validate::name(&input.name));
    let currency_name = v.check("currency_name", validate::name(&input.currency_name));
    let currency_code = v.check("currency_code", validate::currency_code(&input.currency_code));
    let point_value_minor = v.check(
        "point_value_minor",
        validate::integer(&input.point_value_minor, 0, MAX_POINT_VALUE_MINOR),
    );
    let points_per_unit = v.check(
        "points_per_unit",
        validate::integer(&input.points_per_unit, 0, MAX_POINTS_PER_UNIT),
    );
    let expiry_mode = match input.expiry_mode.trim() {
        "" | "none" => Some("none".to_string()),
        m if crate::model::program::EXPIRY_MODES.iter().any(|(k, _)| *k == m) => Some(m.to_string()),
        _ => {
            v.add(
                "expiry_mode",
                td_string!(current().locale, errors.forms.expiry_policy),
            );
            None
        }
    };
    let expiry_months = if expiry_mode.as_deref().is_some_and(|m| m != "none") {
        v.check(
            "expiry_months",
            validate::integer(&input.expiry_months, 1, MAX_EXPIRY_MONTHS),
        )
    } else {
        Some(0)
    };
    let pending_days = if input.pending_days.trim().is_empty() {
        Some(0)
    } else {
        v.check(
            "pending_days",
            validate::integer(&input.pending_days, 0, MAX_PENDING_DAYS),
        )
    };
    let pick =
        |v: &mut Validator, field: &str, value: &str, options: &[(&str, &str)], default: &str| match value
            .trim()
        {
            "" => Some(default.to_string()),
            x if options.iter().any(|(k, _)| *k == x) => Some(x.to_string()),
            _ => {
                v.add(field, td_string!(current().locale, errors.forms.choose_option));
                None
            }
        };
    let tier_window = pick(
        &mut v,
        "tier_window",
        &input.tier_window,
        crate::domain::tiers::TIER_WINDOWS,
        "lifetime",
    );
    let tier_basis = pick(
        &mut v,
        "tier_basis",
        &input.tier_basis,
        crate::domain::tiers::TIER_BASES,
        "points",
    );
    let tier_review = pick(
        &mut v,
        "tier_review",
        &input.tier_review,
        crate::domain::tiers::TIER_REVIEWS,
        "continuous",
    );
    let allow_negative = yes_no(&mut v, "allow_negative", &input.allow_negative);
    let active = yes_no(&mut v, "active", &input.active);
    let adjust_limit = match input.adjust_limit.trim() {
        "" => None,
        typed => v.check(
            "adjust_limit",
            validate::integer(typed, 1, crate::domain::adjustments::MAX_POINTS),
        ),
    };
    v.finish()?;
    Ok(ValidProgram {
        expiry_mode: expiry_mode.unwrap_or_default(),
        expiry_months: expiry_months.unwrap_or_default(),
        pending_days: pending_days.unwrap_or_default(),
        tier_window: tier_window.unwrap_or_default(),
        tier_basis: tier_basis.unwrap_or_default(),
        tier_review: tier_review.unwrap_or_default(),
        allow_negative,
        active,
        adjust_limit,
        name: name.unwrap_or_default(),
        currency_name: currency_name.unwrap_or_default(),
        currency_code: currency_code.unwrap_or_default(),
        point_value_minor: point_value_minor.unwrap_or_default(),
        points_per_unit: points_per_unit.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_reports_every_bad_field() {
        let err = program(&ProgramInput {
            id: None,
            name: " ".into(),
            currency_name: "Stars".into(),
            currency_code: "ZZZ".into(),
            point_value_minor: "-1".into(),
            points_per_unit: "ten".into(),
            expiry_mode: "fixed".into(),
            expiry_months: "0".into(),
            pending_days: "-1".into(),
            adjust_limit: "0".into(),
            ..ProgramInput::default()
        })
        .unwrap_err();
        for f in [
            "name",
            "currency_code",
            "point_value_minor",
            "points_per_unit",
            "expiry_months",
            "pending_days",
            "adjust_limit",
        ] {
            assert!(err.field_message(f).is_some(), "{f}");
        }
        assert!(err.field_message("currency_name").is_none());
    }

    #[test]
    fn valid_program_is_cleaned() {
        let p = program(&ProgramInput {
            id: None,
            name: " Aurora Rewards ".into(),
            currency_name: "Stars".into(),
            currency_code: "eur".into(),
            point_value_minor: "1".into(),
            points_per_unit: "10".into(),
            ..ProgramInput::default()
        })
        .unwrap();
        assert_eq!(p.name, "Aurora Rewards");
        assert_eq!(
            (p.expiry_mode.as_str(), p.expiry_months, p.pending_days),
            ("none", 0, 0)
        );
        assert_eq!(
            (p.active, p.allow_negative),
            (None, None),
            "absent: keep (or default)"
        );
        assert_eq!(p.currency_code, "EUR");
        assert_eq!((p.point_value_minor, p.points_per_unit), (1, 10));
    }
}
