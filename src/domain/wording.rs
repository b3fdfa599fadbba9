//! Words members read: a ledger line as a plain sentence (the engine's arithmetic is for staff
//! and the API), and numbers with thousands separators. English until the message catalogue
//! arrives; one place to change then.

use crate::domain::currency::format_minor;
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

pub fn member_sentence(f: &LineFacts) -> String {
    let money = |m: Option<i64>| m.map(|m| format_minor(m, f.currency_code));
    let with_bonuses = |base: String| {
        if f.bonuses.is_empty() {
            base
        } else {
            format!("{base} · {}", f.bonuses.join(", "))
        }
    };
    match f.kind {
        TxKind::Earn => with_bonuses(match money(f.amount_minor) {
            Some(m) => format!("Purchase of {m}"),
            None => "Purchase".into(),
        }),
        TxKind::Release => "Points from a purchase, now yours to spend".into(),
        TxKind::Event => {
            if f.bonuses.is_empty() {
                "Bonus points".into()
            } else {
                f.bonuses.join(", ")
            }
        }
        TxKind::Return => match money(f.amount_minor) {
            Some(m) => format!("Return of {m}"),
            None => "Return".into(),
        },
        TxKind::ReferralReturn => "Referral bonus taken back: the friend's order was returned".into(),
        // "Redeemed Free pastry (250 Stars)": already plain; the cost is in the points column.
        TxKind::Redeem => f
            .description
            .split(" (")
            .next()
            .unwrap_or(f.description)
            .to_string(),
        TxKind::ReleaseReward => "Reward not used: points given back".into(),
        TxKind::Adjust if f.points >= 0 => "Added by our team".into(),
        TxKind::Adjust => "Corrected by our team".into(),
        // "Pastry card full: Free pastry".
        TxKind::Stamps => f.description.to_string(),
        TxKind::Expire => "Points expired".into(),
        TxKind::Merge => "Moved from another account of yours".into(),
    }
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
pub fn points(n: i64, currency_name: &str) -> String {
    format!("{} {currency_name}", grouped(n))
}

/// A reward's price as members and staff read it: "Free", or "100 Stars".
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
        member_sentence(&LineFacts {
            kind,
            points,
            amount_minor: amount,
            currency_code: "EUR",
            description,
            bonuses: &[],
        })
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
        let s = member_sentence(&LineFacts {
            kind: TxKind::Earn,
            points: 80,
            amount_minor: Some(400),
            currency_code: "EUR",
            description: "",
            bonuses: &bonuses,
        });
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
        for kind in TxKind::ALL {
            let s = facts(*kind, 1, None, "internal ref desk-fad2997010f38e3a-62-1");
            assert!(!s.is_empty());
            if !matches!(kind, TxKind::Redeem | TxKind::Stamps) {
                assert!(!s.contains("ref"), "{kind:?}: {s}");
            }
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
