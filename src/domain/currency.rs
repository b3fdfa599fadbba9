//! Currencies purchases can be made in, and how many minor units make one major unit.

/// ISO 4217 codes offered in the program form, with their minor-unit exponent.
pub const SUPPORTED: &[(&str, u32)] = &[
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("JPY", 0),
    ("KRW", 0),
];

/// Minor-unit exponent of a supported currency.
pub fn exponent(code: &str) -> Option<u32> {
    SUPPORTED.iter().find(|(c, _)| *c == code).map(|(_, e)| *e)
}

/// Minor units in one major unit: 100 for EUR, 1 for JPY.
pub fn minor_per_unit(code: &str) -> i64 {
    10_i64.pow(exponent(code).unwrap_or(2))
}

/// "1234" EUR -> "12.34 EUR"; negative amounts keep their sign.
pub fn format_minor(amount: i64, code: &str) -> String {
    let exp = exponent(code).unwrap_or(2);
    if exp == 0 {
        return format!("{amount} {code}");
    }
    let per = 10_i64.pow(exp);
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let per_u = per as u64;
    format!(
        "{sign}{}.{:0width$} {code}",
        abs / per_u,
        abs % per_u,
        width = exp as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_minor(1234, "EUR"), "12.34 EUR");
        assert_eq!(format_minor(5, "EUR"), "0.05 EUR");
        assert_eq!(format_minor(-250, "USD"), "-2.50 USD");
        assert_eq!(format_minor(500, "JPY"), "500 JPY");
        assert_eq!(minor_per_unit("JPY"), 1);
        assert_eq!(minor_per_unit("EUR"), 100);
        assert_eq!(exponent("XXX"), None);
    }
}
