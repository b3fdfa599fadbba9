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
    // The Gulf and the region (ISO 4217 minor units: three for the dinars and the rial of Oman).
    ("SAR", 2),
    ("AED", 2),
    ("QAR", 2),
    ("OMR", 3),
    ("BHD", 3),
    ("KWD", 3),
    ("JOD", 3),
    ("EGP", 2),
    ("MAD", 2),
];

/// Minor-unit exponent of a supported currency.
pub fn exponent(code: &str) -> Option<u32> {
    SUPPORTED.iter().find(|(c, _)| *c == code).map(|(_, e)| *e)
}

/// Minor units in one major unit: 100 for EUR, 1 for JPY.
pub fn minor_per_unit(code: &str) -> i64 {
    10_i64.pow(exponent(code).unwrap_or(2))
}

/// How amounts are written, the same on every page, receipt and explanation (English
/// conventions until the message catalogue brings the locale's): the symbol before the
/// amount where it is unambiguous ("€12.34", "£0.27", "¥500"), the code otherwise
/// ("CHF 1,234.50"); thousands grouped; the sign first ("-€2.50").
pub fn format_minor(amount: i64, code: &str) -> String {
    let exp = exponent(code).unwrap_or(2);
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let per = 10_u64.pow(exp);
    let major = grouped_digits(abs / per);
    let number = if exp == 0 {
        major
    } else {
        format!("{major}.{:0width$}", abs % per, width = exp as usize)
    };
    match symbol(code) {
        Some(s) => format!("{sign}{s}{number}"),
        None => format!("{sign}{code} {number}"),
    }
}

/// The amount as a form field holds it, without symbol or grouping: 2000 EUR -> "20.00".
pub fn plain_minor(amount: i64, code: &str) -> String {
    let exp = exponent(code).unwrap_or(2);
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let per = 10_u64.pow(exp);
    if exp == 0 {
        format!("{sign}{abs}")
    } else {
        format!("{sign}{}.{:0width$}", abs / per, abs % per, width = exp as usize)
    }
}

/// The symbol written for a currency where it names one currency only to an English reader.
fn symbol(code: &str) -> Option<&'static str> {
    Some(match code {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "JPY" => "¥",
        "KRW" => "₩",
        "CAD" => "CA$",
        "AUD" => "A$",
        _ => return None,
    })
}

/// "1234567" -> "1,234,567".
/// The sign an Arabic page writes after the number (CLDR's `ar` symbols, without the
/// right-to-left mark `Lang::money` adds). `None` means the ISO code is shown.
pub fn arabic_symbol(code: &str) -> Option<&'static str> {
    Some(match code {
        "SAR" => "ر.س.",
        "AED" => "د.إ.",
        "QAR" => "ر.ق.",
        "OMR" => "ر.ع.",
        "BHD" => "د.ب.",
        "KWD" => "د.ك.",
        "JOD" => "د.أ.",
        "EGP" => "ج.م.",
        "MAD" => "د.م.",
        "EUR" => "€",
        "USD" => "US$",
        "GBP" => "UK£",
        "JPY" => "JP¥",
        _ => return None,
    })
}

pub fn grouped_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_minor(1234, "EUR"), "€12.34");
        assert_eq!(format_minor(27, "EUR"), "€0.27");
        assert_eq!(format_minor(-250, "USD"), "-$2.50");
        assert_eq!(format_minor(500, "JPY"), "¥500");
        assert_eq!(format_minor(123_456_789, "CHF"), "CHF 1,234,567.89");
        assert_eq!(format_minor(1_000_000, "JPY"), "¥1,000,000");
        assert_eq!(plain_minor(2000, "EUR"), "20.00");
        assert_eq!(plain_minor(-5, "EUR"), "-0.05");
        assert_eq!(plain_minor(123_456, "JPY"), "123456");
        assert_eq!(format_minor(i64::MIN, "EUR"), "-€92,233,720,368,547,758.08");
        assert_eq!(minor_per_unit("JPY"), 1);
        assert_eq!(minor_per_unit("EUR"), 100);
        assert_eq!(exponent("XXX"), None);
    }
}
