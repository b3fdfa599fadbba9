//! The ledger's vocabulary, shared by the server and the pages that show a history.

vocabulary! {
    /// What a ledger transaction records.
    pub enum TxKind {
        /// Points for an order.
        Earn = "earn",
        /// Held points reaching the wallet when the return window closes.
        Release = "release",
        /// Points for an action (sign-up, review, referral, birthday...).
        Event = "event",
        /// Points taken back for a returned order.
        Return = "return",
        /// A referral's points taken back when the qualifying order came back.
        ReferralReturn = "referral_return",
        /// Points spent on a reward.
        Redeem = "redeem",
        /// A reward's points given back (a code released or expired unused).
        ReleaseReward = "release_reward",
        /// Points given or taken by hand, with a reason.
        Adjust = "adjust",
        /// Points a full stamp card gave.
        Stamps = "stamps",
        /// Points that expired.
        Expire = "expire",
        /// Points moved by a merge of two members.
        Merge = "merge",
    }
}

impl TxKind {
    /// How a transaction of this kind moves lifetime points (tier qualification) for what
    /// reaches or leaves the wallet: earnings count, returns take their part off (so returns
    /// cannot buy a tier), the rest (spending, expiry, adjustments, merges) leaves them.
    pub fn lifetime_points(self, wallet_points: i64) -> i64 {
        match self {
            TxKind::Earn | TxKind::Release | TxKind::Event => wallet_points.max(0),
            TxKind::Return | TxKind::ReferralReturn => wallet_points.min(0),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_their_wire_names() {
        for k in TxKind::ALL {
            assert_eq!(TxKind::parse(k.as_str()), Some(*k));
            assert_eq!(serde_json::to_string(k).unwrap(), format!("\"{}\"", k.as_str()));
        }
        assert_eq!(
            TxKind::try_from("referral_return".to_string()),
            Ok(TxKind::ReferralReturn)
        );
        assert!(TxKind::try_from("refund".to_string()).is_err());
    }

    #[test]
    fn only_earnings_and_returns_move_lifetime_points() {
        assert_eq!(TxKind::Earn.lifetime_points(120), 120);
        assert_eq!(TxKind::Return.lifetime_points(-40), -40);
        assert_eq!(TxKind::Return.lifetime_points(40), 0);
        assert_eq!(TxKind::Redeem.lifetime_points(-300), 0);
        assert_eq!(TxKind::Adjust.lifetime_points(500), 0);
    }
}
