//! Parsers for what people type into forms. Each returns the clean value or a message
//! meant for the person, shown next to the field.

use super::currency;
use super::earning::MAX_PURCHASE_MINOR;

pub const MAX_NAME_CHARS: usize = 80;
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Argon2 hashes whatever it is given; a cap keeps a huge "password" from costing CPU.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A display or program name: trimmed, 1..=80 characters, no control characters.
pub fn name(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Required.".into());
    }
    if s.chars().count() > MAX_NAME_CHARS {
        return Err(format!("Use at most {MAX_NAME_CHARS} characters."));
    }
    if s.chars().any(char::is_control) {
        return Err("Remove line breaks and control characters.".into());
    }
    Ok(s.to_string())
}

/// An email address, lower-cased. Deliberately simple: one `@`, a dotted domain, no spaces.
pub fn email(input: &str) -> Result<String, String> {
    let s = input.trim().to_lowercase();
    if s.is_empty() {
        return Err("Required.".into());
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
        Err("Enter an email address like name@example.com.".into())
    }
}

/// A phone number kept as "+" and digits; spaces, dashes, dots and brackets are dropped.
/// Empty input means "no phone".
pub fn phone(input: &str) -> Result<Option<String>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push(c),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err("Use digits, spaces and an optional leading +.".into()),
        }
    }
    let digits = out.trim_start_matches('+').len();
    if !(7..=15).contains(&digits) {
        return Err("A phone number has 7 to 15 digits.".into());
    }
    Ok(Some(out))
}

pub fn password(input: &str) -> Result<String, String> {
    let n = input.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!("Use at least {MIN_PASSWORD_CHARS} characters."));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!("Use at most {MAX_PASSWORD_CHARS} characters."));
    }
    Ok(input.to_string())
}

/// A whole number within `min..=max`, e.g. a threshold or a rate.
pub fn integer(input: &str, min: i64, max: i64) -> Result<i64, String> {
    let s: String = input.trim().chars().filter(|c| *c != ' ' && *c != '_').collect();
    if s.is_empty() {
        return Err("Required.".into());
    }
    let n: i64 = s.parse().map_err(|_| "Enter a whole number.".to_string())?;
    if n < min || n > max {
        return Err(format!("Enter a number from {min} to {max}."));
    }
    Ok(n)
}

/// A money amount typed in major units ("12.5", "12,50") to minor units of `code`.
/// Refuses more decimals than the currency has, zero, negatives and absurd amounts.
pub fn amount(input: &str, code: &str) -> Result<i64, String> {
    let exp = currency::exponent(code).unwrap_or(2) as usize;
    let s = input.trim().replace(',', ".");
    if s.is_empty() {
        return Err("Required.".into());
    }
    if s.starts_with('-') {
        return Err("Enter an amount above zero.".into());
    }
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits_only = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && frac.is_empty() || !digits_only(whole) || !digits_only(frac) {
        return Err("Enter an amount like 12.50.".into());
    }
    if frac.len() > exp {
        return Err(if exp == 0 {
            format!("{code} has no decimals.")
        } else {
            format!("Use at most {exp} decimals.")
        });
    }
    if whole.len() > 12 {
        return Err("That amount is too large.".into());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "Enter an amount like 12.50.")?
    };
    let frac_val: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<exp$}").parse().unwrap_or(0)
    };
    let minor = whole * 10_i64.pow(exp as u32) + frac_val;
    if minor <= 0 {
        return Err("Enter an amount above zero.".into());
    }
    if minor > MAX_PURCHASE_MINOR {
        return Err(format!(
            "At most {} per purchase.",
            currency::format_minor(MAX_PURCHASE_MINOR, code)
        ));
    }
    Ok(minor)
}

/// A multiplier typed as "1.5", "1,5", "x2" or "150%", to percent (150). Range x0.1..x10.
pub fn multiplier(input: &str) -> Result<i64, String> {
    let s = input.trim().trim_start_matches(['x', 'X']).replace(',', ".");
    let bad = || "Enter a multiplier like 1.5 or 150%.".to_string();
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
        return Err("Use a multiplier from x0.1 to x10.".into());
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
        return Err("Use at most 64 characters on one line.".into());
    }
    Ok(Some(s.to_string()))
}

/// A receipt number typed at the desk, which is the purchase's order id: empty means none;
/// otherwise 1 to 64 letters, digits or punctuation, as a till's order ids are.
pub fn receipt_number(input: &str) -> Result<Option<String>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > 64 || !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(
            "Type the receipt number as printed: up to 64 letters, digits or dashes, no spaces.".into(),
        );
    }
    Ok(Some(s.to_string()))
}

/// ISO code from the supported list.
pub fn currency_code(input: &str) -> Result<String, String> {
    let s = input.trim().to_uppercase();
    if currency::exponent(&s).is_some() {
        Ok(s)
    } else {
        Err("Choose a currency from the list.".into())
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
    fn references_and_currencies() {
        assert_eq!(reference("  R-1 "), Ok(Some("R-1".into())));
        assert_eq!(reference(""), Ok(None));
        assert!(reference(&"r".repeat(65)).is_err());
        assert_eq!(currency_code("eur"), Ok("EUR".into()));
        assert!(currency_code("XYZ").is_err());
    }
}
