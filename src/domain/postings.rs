//! The postings of the double-entry ledger: which accounts a movement touches and by how
//! much. Every transaction's postings sum to zero; the member side is the wallet and the
//! points pending release. Pure, so the shapes of earning, returning and expiry are tested
//! here and the SQL only stores them.

use chrono::Months;

use crate::model::program::Program;
use crate::model::time::Timestamp;

/// Accounts postings move points between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    /// The member's spendable points.
    Wallet,
    /// The member's points held for the return window.
    Pending,
    /// Where earned points come from.
    Issuance,
    /// Issuance charged to a rule's campaign budget.
    Campaign,
    /// Where spent points go.
    Redemption,
    Expiry,
    Adjustment,
}

impl Account {
    pub fn as_str(self) -> &'static str {
        match self {
            Account::Wallet => "wallet",
            Account::Pending => "pending",
            Account::Issuance => "issuance",
            Account::Campaign => "campaign",
            Account::Redemption => "redemption",
            Account::Expiry => "expiry",
            Account::Adjustment => "adjustment",
        }
    }

    pub fn is_member_side(self) -> bool {
        matches!(self, Account::Wallet | Account::Pending)
    }
}

/// One leg of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    pub points: i64,
    pub rule_id: Option<i64>,
}

impl Posting {
    pub fn new(account: Account, points: i64) -> Self {
        Self {
            account,
            points,
            rule_id: None,
        }
    }
}

/// The postings of an award: each rule's points from issuance (or its campaign budget when
/// budgeted) to the wallet, or to pending points when held. Returns (total, postings).
pub fn earn_postings(by_rule: &[(Option<i64>, bool, i64)], held: bool) -> (i64, Vec<Posting>) {
    let total: i64 = by_rule.iter().map(|(_, _, p)| (*p).max(0)).sum();
    let mut postings: Vec<Posting> = by_rule
        .iter()
        .filter(|(_, _, p)| *p > 0)
        .map(|&(rule_id, budgeted, points)| Posting {
            account: if budgeted {
                Account::Campaign
            } else {
                Account::Issuance
            },
            points: -points,
            rule_id,
        })
        .collect();
    let member_account = if held { Account::Pending } else { Account::Wallet };
    postings.push(Posting::new(member_account, total));
    if total == 0 {
        // Nothing earned still leaves a record of the event (with its explanation).
        postings = vec![
            Posting::new(member_account, 0),
            Posting::new(Account::Issuance, 0),
        ];
    }
    (total, postings)
}

/// Where a return's clawback comes from: points still held for the order first (they are
/// simply not released), then the wallet, which never goes below zero unless the program
/// allows it. Returns (from pending, from wallet); their sum may be less than `due` when the
/// member has already spent the points.
pub fn return_sources(due: i64, held_for_order: i64, balance: i64, allow_negative: bool) -> (i64, i64) {
    let from_pending = held_for_order.clamp(0, due.max(0));
    let rest = due - from_pending;
    let from_wallet = if rest <= 0 {
        0
    } else if allow_negative {
        rest
    } else {
        rest.min(balance.max(0))
    };
    (from_pending, from_wallet)
}

/// The postings of a return that takes back `from_pending` held and `from_wallet` spendable
/// points into issuance; a return that takes nothing still leaves a zero record.
pub fn return_postings(from_pending: i64, from_wallet: i64) -> Vec<Posting> {
    let mut postings = Vec::new();
    if from_pending > 0 {
        postings.push(Posting::new(Account::Pending, -from_pending));
    }
    if from_wallet > 0 {
        postings.push(Posting::new(Account::Wallet, -from_wallet));
    }
    let taken = from_pending.max(0) + from_wallet.max(0);
    if taken == 0 {
        return vec![
            Posting::new(Account::Wallet, 0),
            Posting::new(Account::Issuance, 0),
        ];
    }
    postings.push(Posting::new(Account::Issuance, taken));
    postings
}

/// When points earned at `at` expire under the program's policy (None = never).
pub fn expiry_for(program: &Program, at: Timestamp) -> Option<Timestamp> {
    expires_after(&program.expiry_mode, program.expiry_months, at)
}

/// `months` after `at` under the "fixed" and "inactivity" modes (counted from the earning or
/// from the last activity, which the caller passes as `at`); None under "none" or 0 months.
pub fn expires_after(mode: &str, months: i64, at: Timestamp) -> Option<Timestamp> {
    if mode == "none" || months <= 0 {
        return None;
    }
    let months = Months::new(u32::try_from(months).unwrap_or(u32::MAX));
    Some(
        at.to_datetime()
            .checked_add_months(months)
            .map(|d| Timestamp(d.timestamp()))
            .unwrap_or(Timestamp(i64::MAX)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(postings: &[Posting]) -> i64 {
        postings.iter().map(|p| p.points).sum()
    }

    #[test]
    fn an_award_moves_each_rules_points_from_its_source_to_the_member() {
        let (total, postings) = earn_postings(
            &[(Some(1), false, 30), (Some(2), true, 12), (Some(3), false, 0)],
            false,
        );
        assert_eq!(total, 42);
        assert_eq!(sum(&postings), 0);
        assert_eq!(
            postings,
            vec![
                Posting {
                    account: Account::Issuance,
                    points: -30,
                    rule_id: Some(1)
                },
                Posting {
                    account: Account::Campaign,
                    points: -12,
                    rule_id: Some(2)
                },
                Posting::new(Account::Wallet, 42),
            ]
        );
        let (_, held) = earn_postings(&[(None, false, 5)], true);
        assert_eq!(held.last(), Some(&Posting::new(Account::Pending, 5)));
    }

    #[test]
    fn nothing_earned_still_leaves_a_balanced_record() {
        let (total, postings) = earn_postings(&[(Some(1), false, 0)], false);
        assert_eq!(total, 0);
        assert_eq!(
            postings,
            vec![
                Posting::new(Account::Wallet, 0),
                Posting::new(Account::Issuance, 0)
            ]
        );
        // A negative rule result is never posted.
        let (total, postings) = earn_postings(&[(Some(1), false, -5), (Some(2), false, 7)], false);
        assert_eq!(total, 7);
        assert_eq!(sum(&postings), 0);
    }

    #[test]
    fn a_return_takes_pending_first_then_the_wallet_down_to_zero() {
        // 40 due: 25 still held, 100 spendable.
        assert_eq!(return_sources(40, 25, 100, false), (25, 15));
        // Held covers it all.
        assert_eq!(return_sources(10, 25, 100, false), (10, 0));
        // Points already spent: the wallet stops at zero ...
        assert_eq!(return_sources(40, 0, 12, false), (0, 12));
        assert_eq!(return_sources(40, 0, -3, false), (0, 0));
        // ... unless the program lets balances go negative.
        assert_eq!(return_sources(40, 0, 12, true), (0, 40));
        assert_eq!(return_sources(0, 5, 5, false), (0, 0));
    }

    #[test]
    fn return_postings_balance_and_name_their_sources() {
        let p = return_postings(25, 15);
        assert_eq!(sum(&p), 0);
        assert_eq!(
            p,
            vec![
                Posting::new(Account::Pending, -25),
                Posting::new(Account::Wallet, -15),
                Posting::new(Account::Issuance, 40),
            ]
        );
        assert_eq!(
            return_postings(0, 0),
            vec![
                Posting::new(Account::Wallet, 0),
                Posting::new(Account::Issuance, 0)
            ]
        );
        assert!(Account::Pending.is_member_side() && !Account::Issuance.is_member_side());
    }

    #[test]
    fn points_expire_after_the_policys_months_or_never() {
        let jan31 = Timestamp(1_738_281_600); // 2025-01-31T00:00:00Z
        assert_eq!(expires_after("none", 12, jan31), None);
        assert_eq!(expires_after("fixed", 0, jan31), None);
        // Month arithmetic clamps to the month's end: 31 January + 1 month = 28 February.
        assert_eq!(expires_after("fixed", 1, jan31), Some(Timestamp(1_740_700_800)));
        assert_eq!(
            expires_after("inactivity", 1, jan31),
            Some(Timestamp(1_740_700_800))
        );
        // A policy too long for the calendar never expires in practice.
        assert_eq!(expires_after("fixed", i64::MAX, jan31), Some(Timestamp(i64::MAX)));
    }
}
