//! The earning rule of the foundation: N points per currency unit, times the tier multiplier.
//! Integer arithmetic only; fractions of a point are rounded down, never up, so a program
//! never issues a point that was not earned.

/// The largest purchase the desk accepts, in minor units (1,000,000.00 of a 2-decimal currency).
/// Bigger amounts are almost certainly typos (a receipt number typed into the amount field).
pub const MAX_PURCHASE_MINOR: i64 = 100_000_000;

/// Points for a purchase of `amount_minor` minor units.
///
/// `minor_per_unit` is 100 for EUR, 1 for JPY; `multiplier_pct` is 100 for x1, 150 for x1.5.
/// Computed in 128 bits (every admissible input fits), then floored; inputs beyond any valid
/// program saturate at `i64::MAX` instead of wrapping or panicking.
pub fn points_for_purchase(
    amount_minor: i64,
    minor_per_unit: i64,
    points_per_unit: i64,
    multiplier_pct: i64,
) -> i64 {
    if amount_minor <= 0 || minor_per_unit <= 0 || points_per_unit <= 0 || multiplier_pct <= 0 {
        return 0;
    }
    let numerator = (amount_minor as i128)
        .checked_mul(points_per_unit as i128)
        .and_then(|n| n.checked_mul(multiplier_pct as i128));
    let denominator = minor_per_unit as i128 * 100;
    numerator.map_or(i64::MAX, |n| i64::try_from(n / denominator).unwrap_or(i64::MAX))
}

/// "€12.50 x 10 Stars per EUR x1.5 (Gold) = 187 Stars": shown to staff and members.
pub fn explain(
    amount_label: &str,
    points_per_unit: i64,
    currency_code: &str,
    multiplier_label: &str,
    tier_name: Option<&str>,
    points: i64,
    currency_name: &str,
) -> String {
    let tier = tier_name.map(|t| format!(" ({t})")).unwrap_or_default();
    format!(
        "{amount_label} x {points_per_unit} {currency_name} per {currency_code} {multiplier_label}{tier} = {points} {currency_name}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_units_times_rate() {
        // €12.00 at 10 points per EUR, no tier bonus.
        assert_eq!(points_for_purchase(1200, 100, 10, 100), 120);
    }

    #[test]
    fn fractions_are_floored() {
        // €12.99 at 1 point per EUR is 12 points, not 13.
        assert_eq!(points_for_purchase(1299, 100, 1, 100), 12);
        // €12.50 at 10 per EUR x1.5 = 187.5 -> 187.
        assert_eq!(points_for_purchase(1250, 100, 10, 150), 187);
    }

    #[test]
    fn zero_decimal_currencies() {
        assert_eq!(points_for_purchase(500, 1, 1, 100), 500);
        assert_eq!(points_for_purchase(500, 1, 1, 125), 625);
    }

    #[test]
    fn nothing_for_non_positive_inputs() {
        assert_eq!(points_for_purchase(0, 100, 10, 100), 0);
        assert_eq!(points_for_purchase(-500, 100, 10, 100), 0);
        assert_eq!(points_for_purchase(500, 100, 0, 100), 0);
        assert_eq!(points_for_purchase(500, 100, 10, 0), 0);
    }

    #[test]
    fn largest_purchase_does_not_overflow() {
        let p = points_for_purchase(MAX_PURCHASE_MINOR, 100, 1_000, 1_000);
        assert_eq!(p, 10_000_000_000);
        assert_eq!(points_for_purchase(i64::MAX, 1, i64::MAX, i64::MAX), i64::MAX);
    }

    #[test]
    fn explanation_names_the_parts() {
        let s = explain("€12.50", 10, "EUR", "x1.5", Some("Gold"), 187, "Stars");
        assert_eq!(s, "€12.50 x 10 Stars per EUR x1.5 (Gold) = 187 Stars");
    }
}
