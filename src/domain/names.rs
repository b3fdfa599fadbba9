//! Names as a search reads them: folded ("Léa  Martin-Dupont" is "lea martin dupont"), and
//! the tails a prefix search looks in, one from each word on, so "lea mart", "martin" and
//! "dupont" all find her.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The fewest characters a name search takes (a letter alone would list half the members).
pub const MIN_QUERY_CHARS: usize = 2;
/// The longest name query; longer ones are cut (no name is longer).
pub const MAX_QUERY_CHARS: usize = 100;
/// The most words of a name indexed (a name of more words is found by its first ones).
const MAX_WORDS: usize = 6;

/// Lower case, accents dropped (compatibility decomposition, combining marks removed),
/// anything but letters and digits a single space: "Zoë O'Brien-Ünal" is "zoe o brien unal".
pub fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = false;
    for c in name.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    out
}

/// The tails of a folded name from each word on: "lea martin" -> ["lea martin", "martin"].
pub fn tails(name: &str) -> Vec<String> {
    let folded = fold(name);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut out: Vec<String> = (0..words.len().min(MAX_WORDS))
        .map(|i| words[i..].join(" "))
        .collect();
    out.dedup();
    out
}

/// The range of tails that start with `prefix` (folded): `from <= tail < to`, the last
/// character of `from` raised by one in `to` ("lea mart" -> "lea maru"). None when the
/// folded prefix is empty.
pub fn prefix_range(prefix: &str) -> Option<(String, String)> {
    let from = fold(prefix);
    let last = from.chars().last()?;
    let mut to: String = from.chars().take(from.chars().count() - 1).collect();
    let mut next = u32::from(last) + 1;
    if (0xD800..0xE000).contains(&next) {
        next = 0xE000;
    }
    to.push(char::from_u32(next)?);
    Some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_to_plain_lower_case_words() {
        assert_eq!(fold("Léa  Martin"), "lea martin");
        assert_eq!(fold("  LÉA MARTIN-DUPONT "), "lea martin dupont");
        assert_eq!(fold("Zoë O'Brien"), "zoe o brien");
        assert_eq!(fold("Ｍｉａ"), "mia", "full-width letters");
        assert_eq!(fold("--"), "");
    }

    #[test]
    fn every_word_starts_a_tail() {
        assert_eq!(tails("Léa Martin"), vec!["lea martin", "martin"]);
        assert_eq!(tails("Mia"), vec!["mia"]);
        assert!(tails("").is_empty());
        assert_eq!(tails("a b c d e f g h").len(), MAX_WORDS);
    }

    #[test]
    fn a_prefix_is_a_range() {
        assert_eq!(
            prefix_range("Léa Mart"),
            Some(("lea mart".into(), "lea maru".into()))
        );
        assert_eq!(prefix_range("martin"), Some(("martin".into(), "martio".into())));
        assert_eq!(prefix_range("  "), None);
        let (from, to) = prefix_range("lea").unwrap();
        for tail in ["lea", "lea martin", "leah"] {
            assert!(from.as_str() <= tail && tail < to.as_str(), "{tail}");
        }
        for tail in ["le", "leb", "martin lea"] {
            assert!(!(from.as_str() <= tail && tail < to.as_str()), "{tail}");
        }
    }
}
