//! Loyalty card numbers: 12 digits, the last a Luhn check digit, so a mistyped digit at the
//! desk is caught before any lookup. Shown grouped as "6012 3456 7890".

/// Appends the Luhn check digit to `body` (digits only).
pub fn with_check_digit(body: &str) -> String {
    let sum: u32 = body
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// True when `digits` passes the Luhn check.
pub fn is_valid(digits: &str) -> bool {
    if digits.len() < 2 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    with_check_digit(&digits[..digits.len() - 1]) == digits
}

/// Card number from typed input: spaces and dashes removed; `None` if it is not a valid card.
pub fn normalize(input: &str) -> Option<String> {
    let digits: String = super::validate::typed_number(input)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    (digits.len() == 12 && is_valid(&digits)).then_some(digits)
}

/// A new card number from 11 random digits supplied by the caller.
pub fn from_random(eleven_digits: u64) -> String {
    with_check_digit(&format!("6{:010}", eleven_digits % 10_000_000_000))
}

pub fn grouped(card: &str) -> String {
    card.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known_values() {
        assert_eq!(with_check_digit("7992739871"), "79927398713");
        assert!(is_valid("79927398713"));
        assert!(!is_valid("79927398714"));
    }

    #[test]
    fn generated_cards_validate_and_normalize() {
        for seed in [0, 1, 42, 9_999_999_999, 123_456_789_012] {
            let card = from_random(seed);
            assert_eq!(card.len(), 12);
            assert_eq!(normalize(&grouped(&card)), Some(card.clone()));
        }
        assert_eq!(normalize("6000 0000 0001"), None, "bad check digit");
        assert_eq!(normalize("abc"), None);
    }
}
