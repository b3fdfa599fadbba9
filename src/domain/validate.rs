//! Parsers for what people type into forms. Each returns the clean value or a message
//! meant for the person, shown next to the field.

use super::currency;
use super::earning::MAX_PURCHASE_MINOR;
use super::lang::{ascii_digits, current};
use crate::error::count;
use crate::i18n::td_string;

pub const MAX_NAME_CHARS: usize = 80;
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Argon2 hashes whatever it is given; a cap keeps a huge "password" from costing CPU.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// "Required.", in the person's language.
pub fn required() -> String {
    td_string!(current().locale, errors.field.required).into()
}

/// "Use at most {n} characters.", in the person's language.
pub fn at_most_chars(n: usize) -> String {
    let lang = current();
    td_string!(lang.locale, errors.field.at_most_chars, n = count(lang, n as i64)).to_string()
}

/// "Use a date like {example}.", the example in the person's digits.
pub fn date_like(example: &str) -> String {
    let lang = current();
    td_string!(
        lang.locale,
        errors.field.date_like,
        example = lang.digits_of(example)
    )
    .to_string()
}

/// What was typed for a number, read whatever digits the keyboard wrote: Arabic-Indic and
/// Eastern Arabic-Indic digits and the Arabic decimal and group separators become ASCII
/// (`lang::ascii_digits`, digit by digit, so mixed digits are read too), and the direction
/// marks a right-to-left keyboard or a paste may leave are dropped.
pub fn typed_number(input: &str) -> String {
    ascii_digits(input)
        .chars()
        .filter(|c| !matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}'))
        .collect()
}

/// A display or program name: trimmed, 1..=80 characters, no control characters.
pub fn name(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err(required());
    }
    if s.chars().count() > MAX_NAME_CHARS {
        return Err(at_most_chars(MAX_NAME_CHARS));
    }
    if s.chars().any(char::is_control) {
        return Err(td_string!(current().locale, errors.field.no_control_chars).into());
    }
    Ok(s.to_string())
}

/// An email address, lower-cased. Deliberately simple: one `@`, a dotted domain, no spaces.
pub fn email(input: &str) -> Result<String, String> {
    let s = input.trim().to_lowercase();
    if s.is_empty() {
        return Err(required());
    }
    let valid = s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(s)
    } else {
        Err(td_string!(current().locale, errors.field.email).into())
    }
}

/// A phone number kept as "+" and digits; spaces, dashes, dots and brackets are dropped.
/// Empty input means "no phone".
pub fn phone(input: &str) -> Result<Option<String>, String> {
    let typed = typed_number(input);
    let s = typed.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push(c),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(td_string!(current().locale, errors.field.phone_chars).into()),
        }
    }
    let digits = out.trim_start_matches('+').len();
    if !(7..=15).contains(&digits) {
        let lang = current();
        return Err(td_string!(
            lang.locale,
            errors.field.phone_length,
            min = count(lang, 7),
            max = count(lang, 15)
        )
        .to_string());
    }
    Ok(Some(out))
}

pub fn password(input: &str) -> Result<String, String> {
    let n = input.chars().count();
    if n < MIN_PASSWORD_CHARS {
        let lang = current();
        return Err(td_string!(
            lang.locale,
            errors.field.at_least_chars,
            n = count(lang, MIN_PASSWORD_CHARS as i64)
        )
        .to_string());
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(at_most_chars(MAX_PASSWORD_CHARS));
    }
    Ok(input.to_string())
}

/// A whole number within `min..=max`, e.g. a threshold or a rate.
pub fn integer(input: &str, min: i64, max: i64) -> Result<i64, String> {
    let s: String = typed_number(input)
        .trim()
        .chars()
        .filter(|c| *c != ' ' && *c != '_')
        .collect();
    if s.is_empty() {
        return Err(required());
    }
    let n: i64 = s
        .parse()
        .map_err(|_| td_string!(current().locale, errors.field.whole_number).to_string())?;
    if n < min || n > max {
        let lang = current();
        return Err(td_string!(
            lang.locale,
            errors.field.number_range,
            min = count(lang, min),
            max = count(lang, max)
        )
        .to_string());
    }
    Ok(n)
}

/// A money amount typed in major units ("12.5", "12,50") to minor units of `code`.
/// Refuses more decimals than the currency has, zero, negatives and absurd amounts.
pub fn amount(input: &str, code: &str) -> Result<i64, String> {
    let lang = current();
    let l = lang.locale;
    let exp = currency::exponent(code).unwrap_or(2) as usize;
    let s = typed_number(input).trim().replace(',', ".");
    if s.is_empty() {
        return Err(required());
    }
    if s.starts_with('-') {
        return Err(td_string!(l, errors.field.amount_positive).into());
    }
    let like = || td_string!(l, errors.field.amount_like, example = lang.digits_of("12.50")).to_string();
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits_only = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !digits_only(whole) || !digits_only(frac) {
        return Err(like());
    }
    if frac.len() > exp {
        return Err(if exp == 0 {
            td_string!(l, errors.field.no_decimals, code = code).to_string()
        } else {
            td_string!(l, errors.field.at_most_decimals, n = count(lang, exp as i64)).to_string()
        });
    }
    if whole.len() > 12 {
        return Err(td_string!(l, errors.field.amount_too_large).into());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| like())?
    };
    let frac_val: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<exp$}").parse().unwrap_or(0)
    };
    let minor = whole * 10_i64.pow(exp as u32) + frac_val;
    if minor <= 0 {
        return Err(td_string!(l, errors.field.amount_positive).into());
    }
    if minor > MAX_PURCHASE_MINOR {
        return Err(td_string!(
            l,
            errors.field.at_most_per_purchase,
            amount = lang.money(MAX_PURCHASE_MINOR, code)
        )
        .to_string());
    }
    Ok(minor)
}

/// A multiplier typed as "1.5", "1,5", "x2" or "150%", to percent (150). Range x0.1..x10.
pub fn multiplier(input: &str) -> Result<i64, String> {
    let lang = current();
    let s = typed_number(input)
        .trim()
        .trim_start_matches(['x', 'X', '×'])
        .replace(',', ".")
        .replace('٪', "%");
    let bad = || {
        td_string!(
            lang.locale,
            errors.field.multiplier_like,
            decimal = lang.digits_of("1.5"),
            percent = lang.digits_of("150")
        )
        .to_string()
    };
    let pct = if let Some(p) = s.strip_suffix('%') {
        p.trim().parse::<i64>().map_err(|_| bad())?
    } else {
        let (w, f) = s.split_once('.').unwrap_or((&s, ""));
        if w.is_empty() || f.len() > 2 || !w.chars().chain(f.chars()).all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let w: i64 = w.parse().map_err(|_| bad())?;
        let f: i64 = if f.is_empty() {
            0
        } else {
            format!("{f:0<2}").parse().map_err(|_| bad())?
        };
        w.checked_mul(100)
            .and_then(|x| x.checked_add(f))
            .ok_or_else(bad)?
    };
    if !(10..=1000).contains(&pct) {
        return Err(td_string!(
            lang.locale,
            errors.field.multiplier_range,
            min = lang.digits_of("0.1"),
            max = lang.digits_of("10")
        )
        .to_string());
    }
    Ok(pct)
}

/// A free-text reference such as a receipt number: optional, at most 64 characters.
pub fn reference(input: &str) -> Result<Option<String>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > 64 || s.chars().any(char::is_control) {
        let lang = current();
        return Err(td_string!(lang.locale, errors.field.reference, n = count(lang, 64)).to_string());
    }
    Ok(Some(s.to_string()))
}

/// A receipt number typed at the desk, which is the purchase's order id: empty means none;
/// otherwise 1 to 64 letters, digits or punctuation, as a till's order ids are.
pub fn receipt_number(input: &str) -> Result<Option<String>, String> {
    let typed = typed_number(input);
    let s = typed.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > 64 || !s.chars().all(|c| c.is_ascii_graphic()) {
        let lang = current();
        return Err(td_string!(lang.locale, errors.field.receipt_number, n = count(lang, 64)).to_string());
    }
    Ok(Some(s.to_string()))
}

/// ISO code from the supported list.
pub fn currency_code(input: &str) -> Result<String, String> {
    let s = input.trim().to_uppercase();
    if currency::exponent(&s).is_some() {
        Ok(s)
    } else {
        Err(td_string!(current().locale, errors.field.currency).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name("  Café Aurora "), Ok("Café Aurora".into()));
        assert!(name("   ").is_err());
        assert!(name(&"x".repeat(81)).is_err());
        assert!(name("two\nlines").is_err());
        assert_eq!(
            name("<script>"),
            Ok("<script>".into()),
            "escaping happens when rendering"
        );
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Ada@Example.COM "), Ok("ada@example.com".into()));
        for bad in [
            "", "ada", "ada@", "@x.io", "a@b", "a b@x.io", "a@x.io.", "a@@x.io",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(phone("+49 (30) 123-4567"), Ok(Some("+49301234567".into())));
        assert_eq!(phone(""), Ok(None));
        assert!(phone("12345").is_err());
        assert!(phone("call me").is_err());
        assert!(phone("12+34567890").is_err());
    }

    #[test]
    fn passwords() {
        assert!(password("short").is_err());
        assert!(password("long enough pass").is_ok());
        assert!(password(&"x".repeat(300)).is_err());
    }

    #[test]
    fn integers() {
        assert_eq!(integer(" 1 000 ", 0, 10_000), Ok(1000));
        assert!(integer("", 0, 10).is_err());
        assert!(integer("1.5", 0, 10).is_err());
        assert!(integer("-1", 0, 10).is_err());
        assert!(integer("99999999999999999999", 0, 10).is_err());
    }

    #[test]
    fn amounts() {
        assert_eq!(amount("12.50", "EUR"), Ok(1250));
        assert_eq!(amount("12,5", "EUR"), Ok(1250));
        // As an Arabic page writes a dinar amount: the thousands separator is not a decimal point.
        assert_eq!(amount("١٬٢٣٤٫٥٠٠", "KWD"), Ok(1_234_500));
        assert_eq!(amount("١٬٢٣٤", "KWD"), Ok(1_234_000));
        assert_eq!(amount("12", "EUR"), Ok(1200));
        assert_eq!(amount(".5", "EUR"), Ok(50));
        assert_eq!(amount("500", "JPY"), Ok(500));
        assert!(amount("5.5", "JPY").is_err());
        assert!(amount("1.234", "EUR").is_err());
        assert!(amount("0", "EUR").is_err());
        assert!(amount("-3", "EUR").is_err());
        assert!(amount("12abc", "EUR").is_err());
        assert!(amount(".", "EUR").is_err());
        assert!(amount("1000000.01", "EUR").is_err());
        assert_eq!(amount("1000000", "EUR"), Ok(MAX_PURCHASE_MINOR));
    }

    #[test]
    fn multipliers() {
        assert_eq!(multiplier("1.5"), Ok(150));
        assert_eq!(multiplier("x2"), Ok(200));
        assert_eq!(multiplier("1,25"), Ok(125));
        assert_eq!(multiplier("150%"), Ok(150));
        assert_eq!(multiplier("1"), Ok(100));
        assert!(multiplier("0").is_err());
        assert!(multiplier("11").is_err());
        assert!(multiplier("1.234").is_err());
        assert!(multiplier("abc").is_err());
    }

    #[test]
    fn numbers_typed_in_arabic_indic_digits() {
        assert_eq!(amount("١٢٫٥٠", "EUR"), amount("12.50", "EUR"));
        assert_eq!(amount("١٢٫٥٠", "EUR"), Ok(1250));
        assert_eq!(amount("۱۲٫۵", "EUR"), Ok(1250), "Eastern Arabic-Indic digits");
        assert_eq!(
            amount("١2٫5", "EUR"),
            Ok(1250),
            "mixed digits, read digit by digit"
        );
        assert_eq!(
            amount("١٢،٥٠", "EUR"),
            Ok(1250),
            "the Arabic comma as a decimal comma"
        );
        assert_eq!(amount("١٫٢٣٤", "KWD"), Ok(1234));
        assert!(amount("١٢ب", "EUR").is_err());
        assert!(amount("١٫٢٣٤", "EUR").is_err());
        assert_eq!(integer("٢٥٠", 0, 1000), Ok(250));
        assert_eq!(
            integer("\u{200F}٢٥٠", 0, 1000),
            Ok(250),
            "a direction mark is dropped"
        );
        assert_eq!(integer("-٥", -10, 10), Ok(-5));
        assert!(integer("٢٥x", 0, 1000).is_err());
        assert!(integer("٢٥٠٠", 0, 1000).is_err());
        assert_eq!(multiplier("١٫٥"), Ok(150));
        assert_eq!(multiplier("١٥٠٪"), Ok(150));
        assert_eq!(multiplier("×٢"), Ok(200));
        assert!(multiplier("١٫٥أ").is_err());
        assert_eq!(phone("+٤٩ (٣٠) ١٢٣-٤٥٦٧"), Ok(Some("+49301234567".into())));
        assert_eq!(phone("٠٥٥١٢٣٤٥٦٧"), Ok(Some("0551234567".into())));
        assert!(phone("٠٥٥١٢٣٤٥٦٧ب").is_err());
        assert!(receipt_number("ر-١").is_err());
        assert_eq!(receipt_number("R-١٢"), Ok(Some("R-12".into())));
    }

    #[test]
    fn messages_outside_a_request_are_english() {
        assert_eq!(name(" "), Err("Required.".into()));
        assert_eq!(integer("9", 0, 5), Err("Enter a number from 0 to 5.".into()));
        assert_eq!(
            integer("5", 10, 1_000_000_000),
            Err("Enter a number from 10 to 1000000000.".into())
        );
        assert_eq!(amount("abc", "EUR"), Err("Enter an amount like 12.50.".into()));
        assert_eq!(amount("5.5", "JPY"), Err("JPY has no decimals.".into()));
        assert_eq!(amount("1.234", "EUR"), Err("Use at most 2 decimals.".into()));
        assert_eq!(
            amount("1000001", "EUR"),
            Err("At most €1,000,000.00 per purchase.".into())
        );
        assert_eq!(
            multiplier("abc"),
            Err("Enter a multiplier like 1.5 or 150%.".into())
        );
        assert_eq!(multiplier("11"), Err("Use a multiplier from x0.1 to x10.".into()));
        assert_eq!(phone("12"), Err("A phone number has 7 to 15 digits.".into()));
        assert_eq!(password("short"), Err("Use at least 10 characters.".into()));
        assert_eq!(
            password(&"x".repeat(300)),
            Err("Use at most 256 characters.".into())
        );
    }

    #[test]
    fn messages_in_arabic() {
        let owner = leptos::prelude::Owner::new();
        owner.with(|| {
            leptos::prelude::provide_context(crate::domain::lang::Lang::ARABIC);
            assert_eq!(name(" "), Err("مطلوب.".into()));
            assert_eq!(integer("9999", 0, 1000), Err("أدخل عددًا من ٠ إلى ١٬٠٠٠.".into()));
            assert_eq!(amount("abc", "EUR"), Err("أدخل مبلغًا مثل ١٢٫٥٠.".into()));
            assert_eq!(amount("١٢٫٥٠", "EUR"), Ok(1250));
        });
    }

    #[test]
    fn references_and_currencies() {
        assert_eq!(reference("  R-1 "), Ok(Some("R-1".into())));
        assert_eq!(reference(""), Ok(None));
        assert!(reference(&"r".repeat(65)).is_err());
        assert_eq!(currency_code("eur"), Ok("EUR".into()));
        assert!(currency_code("XYZ").is_err());
    }
}
