//! Words members read: a ledger line as a plain sentence (the engine's arithmetic is for staff
//! and the API), in the member's language (`locales/<language>/wording.json`), and numbers
//! with thousands separators for the callers that still write English digits.

use crate::domain::lang::Lang;
use crate::i18n::td_string;
use crate::model::ledger::TxKind;

/// What a member needs to know about one ledger line, without rule arithmetic or internal
/// references: "Purchase of €28.76 · Double weekend", "Redeemed Free pastry".
pub struct LineFacts<'a> {
    pub kind: TxKind,
    pub points: i64,
    pub amount_minor: Option<i64>,
    pub currency_code: &'a str,
    /// The line's stored description (kept for lines whose description is already plain).
    pub description: &'a str,
    /// The bonus rules that added points to this line, by name (marketers' words).
    pub bonuses: &'a [String],
}

/// The line in `lang`: "Purchase of €28.76 · Double weekend", "عملية شراء بقيمة ٢٨٫٧٦ ر.س.‏".
/// Names (bonus rules, rewards, stamp cards) are the brand's, kept as typed.
pub fn member_sentence(lang: Lang, f: &LineFacts) -> String {
    let l = lang.locale;
    let money = |m: Option<i64>| m.map(|m| lang.money(m, f.currency_code));
    let names = || f.bonuses.join(td_string!(l, wording.list_separator));
    let with_bonuses = |base: String| {
        if f.bonuses.is_empty() {
            base
        } else {
            format!("{base} · {}", names())
        }
    };
    match f.kind {
        TxKind::Earn => with_bonuses(match money(f.amount_minor) {
            Some(m) => td_string!(l, wording.purchase_of, money = m).to_string(),
            None => td_string!(l, wording.purchase).to_string(),
        }),
        TxKind::Release => td_string!(l, wording.released).to_string(),
        TxKind::Event => {
            if f.bonuses.is_empty() {
                td_string!(l, wording.bonus).to_string()
            } else {
                names()
            }
        }
        TxKind::Return => match money(f.amount_minor) {
            Some(m) => td_string!(l, wording.return_of, money = m).to_string(),
            None => td_string!(l, wording.returned).to_string(),
        },
        TxKind::ReferralReturn => td_string!(l, wording.referral_return).to_string(),
        // Stored as "Redeemed Free pastry (250 Stars)" or "Redeemed Free pastry (free)": the
        // reward's name is what the member needs; the cost is in the points column.
        TxKind::Redeem => match redeemed_reward(f.description) {
            Some(reward) => td_string!(l, wording.redeemed, reward = reward).to_string(),
            None => f
                .description
                .split(" (")
                .next()
                .unwrap_or(f.description)
                .to_string(),
        },
        TxKind::ReleaseReward => td_string!(l, wording.reward_released).to_string(),
        TxKind::Adjust if f.points >= 0 => td_string!(l, wording.added).to_string(),
        TxKind::Adjust => td_string!(l, wording.corrected).to_string(),
        // Stored as "Pastry card full: Free pastry".
        TxKind::Stamps => match f.description.split_once(" full: ") {
            Some((card, reward)) => {
                td_string!(l, wording.stamps_full, card = card, reward = reward).to_string()
            }
            None => f.description.to_string(),
        },
        TxKind::Expire => td_string!(l, wording.expired).to_string(),
        TxKind::Merge => td_string!(l, wording.merged).to_string(),
    }
}

/// The reward's name in a redemption's stored description ("Redeemed {name} ({cost})").
fn redeemed_reward(description: &str) -> Option<&str> {
    let rest = description.strip_prefix("Redeemed ")?.strip_suffix(')')?;
    let (name, _cost) = rest.rsplit_once(" (")?;
    (!name.is_empty()).then_some(name)
}

/// The bonus rules that added points to an earning, by name: what a member may be told
/// ("Double weekend"), leaving out the base rate and rules that did not apply.
pub fn bonuses(award: &crate::model::rules::Award) -> Vec<String> {
    award
        .lines
        .iter()
        .filter(|l| l.rule_id.is_some() && l.matched && l.points > 0)
        .map(|l| l.rule_name.clone())
        .collect()
}

/// "12345" -> "12,345"; "-1234567" -> "-1,234,567".
pub fn grouped(n: i64) -> String {
    let digits = crate::domain::currency::grouped_digits(n.unsigned_abs());
    if n < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// "2,356 Stars", "1 Star" is not attempted: currency names are the brand's, taken as typed.
/// In English digits: pages use `Lang::points`.
pub fn points(n: i64, currency_name: &str) -> String {
    format!("{} {currency_name}", grouped(n))
}

/// A reward's price as members and staff read it: "Free", or "100 Stars". In English: pages
/// use `Lang::price`.
pub fn price(cost_points: i64, currency_name: &str) -> String {
    if cost_points == 0 {
        "Free".to_string()
    } else {
        points(cost_points, currency_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: TxKind, points: i64, amount: Option<i64>, description: &str) -> String {
        sentence_in(Lang::ENGLISH, kind, points, amount, description)
    }

    fn sentence_in(lang: Lang, kind: TxKind, points: i64, amount: Option<i64>, description: &str) -> String {
        member_sentence(
            lang,
            &LineFacts {
                kind,
                points,
                amount_minor: amount,
                currency_code: "EUR",
                description,
                bonuses: &[],
            },
        )
    }

    #[test]
    fn wording_says_what_happened_without_arithmetic_or_references() {
        let s = facts(
            TxKind::Earn,
            37,
            Some(2876),
            "37 Stars: base 25 — Base: €28.76 x 1 x1.5 (Silver)",
        );
        assert_eq!(s, "Purchase of €28.76");
        let bonuses = vec!["Double weekend".to_string()];
        let s = member_sentence(
            Lang::ENGLISH,
            &LineFacts {
                kind: TxKind::Earn,
                points: 80,
                amount_minor: Some(400),
                currency_code: "EUR",
                description: "",
                bonuses: &bonuses,
            },
        );
        assert_eq!(s, "Purchase of €4.00 · Double weekend");
        assert_eq!(
            facts(TxKind::Redeem, -250, None, "Redeemed Free pastry (250 Stars)"),
            "Redeemed Free pastry"
        );
        assert_eq!(
            facts(TxKind::Adjust, 100, None, "Approved by Ada"),
            "Added by our team"
        );
        assert_eq!(facts(TxKind::Adjust, -5, None, "typo"), "Corrected by our team");
        assert_eq!(facts(TxKind::Return, -120, Some(1250), ""), "Return of €12.50");
        assert_eq!(
            facts(TxKind::Redeem, 0, None, "Redeemed Coffee (large) (free)"),
            "Redeemed Coffee (large)"
        );
        assert_eq!(
            facts(TxKind::Stamps, 0, None, "Pastry card full: Free pastry"),
            "Pastry card full: Free pastry"
        );
        for lang in [Lang::ENGLISH, Lang::ARABIC] {
            for kind in TxKind::ALL {
                let s = sentence_in(lang, *kind, 1, None, "internal ref desk-fad2997010f38e3a-62-1");
                assert!(!s.is_empty());
                if !matches!(kind, TxKind::Redeem | TxKind::Stamps) {
                    assert!(!s.contains("ref"), "{kind:?}: {s}");
                }
            }
        }
    }

    #[test]
    fn wording_in_arabic_with_arabic_digits_and_names_as_typed() {
        let ar =
            |kind, points, amount, description| sentence_in(Lang::ARABIC, kind, points, amount, description);
        let s = member_sentence(
            Lang::ARABIC,
            &LineFacts {
                kind: TxKind::Earn,
                points: 80,
                amount_minor: Some(2876),
                currency_code: "SAR",
                description: "",
                bonuses: &["Double weekend".to_string(), "Ramadan".to_string()],
            },
        );
        assert_eq!(
            s,
            "عملية شراء بقيمة ٢٨٫٧٦\u{a0}ر.س.\u{200f} · Double weekend، Ramadan"
        );
        assert_eq!(ar(TxKind::Earn, 5, None, ""), "عملية شراء");
        assert_eq!(
            ar(TxKind::Return, -120, Some(1250), ""),
            "إرجاع بقيمة ١٢٫٥٠\u{a0}€\u{200f}"
        );
        assert_eq!(
            ar(TxKind::Redeem, -250, None, "Redeemed Free pastry (250 Stars)"),
            "استبدال Free pastry"
        );
        assert_eq!(
            ar(TxKind::Stamps, 0, None, "Pastry card full: Free pastry"),
            "اكتملت بطاقة Pastry card: Free pastry"
        );
        assert_eq!(ar(TxKind::Adjust, 100, None, "Approved by Ada"), "أضافها فريقنا");
        assert_eq!(ar(TxKind::Adjust, -5, None, "typo"), "صحّحها فريقنا");
        assert_eq!(ar(TxKind::Expire, -5, None, ""), "انتهت صلاحية النقاط");
        // Nothing English is left in a sentence made of the catalogue's words.
        for kind in TxKind::ALL {
            if matches!(kind, TxKind::Redeem | TxKind::Stamps) {
                continue;
            }
            let s = ar(*kind, 1, Some(100), "");
            assert!(!s.chars().any(|c| c.is_ascii_alphabetic()), "{kind:?}: {s}");
        }
    }

    #[test]
    fn wording_groups_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(-1234567), "-1,234,567");
        assert_eq!(grouped(i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(points(2356, "Stars"), "2,356 Stars");
        assert_eq!(price(0, "Stars"), "Free");
        assert_eq!(price(1500, "Stars"), "1,500 Stars");
    }
}
