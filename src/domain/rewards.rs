//! Rewards: whether a member can have one now (points aside), and what a redemption costs
//! and is worth. The catalogue's offers and every redemption ask the same questions here.

use crate::domain::lang::current;
use crate::error::{count, AppError};
use crate::i18n::td_string;
use crate::model::program::Program;
use crate::model::reward::{Reward, RewardKind};
use crate::model::rules::Channel;
use crate::model::time::Timestamp;

/// Where a member stands for one reward, points aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eligibility {
    /// They hold at least the reward's minimum tier (or it names none).
    pub tier_ok: bool,
    /// They are in the reward's segment (or it names none).
    pub in_segment: bool,
    /// Codes of it they hold or have had, towards its per-member limit.
    pub held: i64,
}

impl Eligibility {
    /// Nothing in the way but the reward's own terms (a campaign stands in for the rest).
    pub const ANYONE: Eligibility = Eligibility {
        tier_ok: true,
        in_segment: true,
        held: 0,
    };
}

/// Why this member cannot have this reward now, if they cannot (points aside).
pub fn unavailable(
    reward: &Reward,
    member: Eligibility,
    channel: Option<Channel>,
    now: Timestamp,
) -> Option<String> {
    let Eligibility {
        tier_ok: tier_threshold_ok,
        in_segment,
        held,
    } = member;
    let l = current().locale;
    if !reward.active {
        return Some(td_string!(l, errors.rewards.no_longer_offered).into());
    }
    if !for_the_catalogue(reward) {
        return Some(td_string!(l, errors.rewards.not_for_points).into());
    }
    if reward.valid_from.is_some_and(|t| now.0 < t) {
        return Some(td_string!(l, errors.rewards.not_yet).into());
    }
    if reward.valid_until.is_some_and(|t| now.0 >= t) {
        return Some(td_string!(l, errors.rewards.no_longer_available).into());
    }
    if reward.uses_pool && reward.pool_left == Some(0) {
        return Some(td_string!(l, errors.rewards.no_codes_left).into());
    }
    if reward.stock_left() == Some(0) {
        return Some(td_string!(l, errors.rewards.out_of_stock).into());
    }
    if !in_segment {
        return Some(td_string!(l, errors.rewards.not_for_you).into());
    }
    if !tier_threshold_ok {
        return Some(td_string!(l, errors.rewards.higher_tier).into());
    }
    if reward.per_member_limit.is_some_and(|limit| held >= limit) {
        return Some(td_string!(l, errors.rewards.limit_reached).into());
    }
    if let Some(c) = channel {
        if !reward.channels.is_empty() && !reward.channels.split_whitespace().any(|x| x == c.as_str()) {
            return Some(td_string!(l, errors.rewards.not_in_channel, channel = channel_name(c)).to_string());
        }
    }
    None
}

/// A channel's name inside a sentence ("the web channel"), in the person's language.
pub fn channel_name(c: Channel) -> &'static str {
    let l = current().locale;
    match c {
        Channel::Store => td_string!(l, errors.channel.store),
        Channel::Web => td_string!(l, errors.channel.web),
        Channel::App => td_string!(l, errors.channel.app),
    }
}

/// Whether members can take a reward from the catalogue. One costing 0 points is a perk of
/// the tier or segment it names; naming neither it is given only by a stamp card (or an
/// offer), never taken for free.
pub fn for_the_catalogue(reward: &Reward) -> bool {
    reward.cost_points > 0 || reward.min_tier_id.is_some() || reward.segment_id.is_some()
}

/// Whether a member holding a tier of `held` threshold (None: no tier) meets a reward's
/// minimum tier of `needed` threshold (None: the tier is gone, so no minimum).
pub fn meets_tier(needed: Option<i64>, held: Option<i64>) -> bool {
    match (needed, held) {
        (None, _) => true,
        (Some(n), Some(h)) => h >= n,
        (Some(_), None) => false,
    }
}

/// What a redemption costs and is worth: the catalogue price, or for paying with points the
/// points the member chose, worth the program's point value each (integers, no rounding).
pub fn price(reward: &Reward, program: &Program, points: Option<i64>) -> Result<(i64, i64), AppError> {
    if reward.kind != RewardKind::PointsPayment {
        return Ok((reward.cost_points, reward.value));
    }
    let Some(points) = points else {
        return Err(AppError::field(
            "points",
            td_string!(current().locale, errors.rewards.points_to_pay),
        ));
    };
    let lang = current();
    if points < reward.cost_points || points > 100_000_000 {
        return Err(AppError::field(
            "points",
            td_string!(
                lang.locale,
                errors.rewards.pay_at_least,
                n = count(lang, reward.cost_points)
            )
            .to_string(),
        ));
    }
    let money = points.saturating_mul(program.point_value_minor);
    if reward.value > 0 && money > reward.value {
        return Err(AppError::field(
            "points",
            td_string!(
                lang.locale,
                errors.rewards.payment_covers_at_most,
                amount = lang.money(reward.value, &program.currency_code),
                n = count(lang, reward.value / program.point_value_minor.max(1))
            )
            .to_string(),
        ));
    }
    Ok((points, money))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reward(kind: RewardKind, cost_points: i64, value: i64) -> Reward {
        Reward {
            id: 1,
            program_id: crate::model::ids::ProgramId(1),
            name: "R".into(),
            description: String::new(),
            kind,
            cost_points,
            value,
            sku: None,
            stock: None,
            issued: 0,
            per_member_limit: None,
            valid_from: None,
            valid_until: None,
            min_tier_id: None,
            segment_id: None,
            channels: String::new(),
            code_valid_days: 30,
            uses_pool: false,
            active: true,
            pool_left: None,
        }
    }

    fn program(point_value_minor: i64) -> Program {
        Program {
            id: crate::model::ids::ProgramId(1),
            name: "P".into(),
            currency_name: "Stars".into(),
            currency_code: "EUR".into(),
            point_value_minor,
            points_per_unit: 1,
            active: true,
            expiry_mode: "none".into(),
            expiry_months: 0,
            pending_days: 0,
            allow_negative: false,
            tier_window: "lifetime".into(),
            tier_basis: "points".into(),
            tier_review: "continuous".into(),
            tiers_reviewed_at: None,
            adjust_limit: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    fn who(tier_ok: bool, held: i64) -> Eligibility {
        Eligibility {
            tier_ok,
            held,
            ..Eligibility::ANYONE
        }
    }

    #[test]
    fn why_a_reward_is_not_offered_comes_in_order() {
        let now = Timestamp(1_000);
        let mut r = reward(RewardKind::DiscountFixed, 100, 500);
        assert_eq!(unavailable(&r, who(true, 0), Some(Channel::Web), now), None);
        // Free: a tier's perk is offered to that tier; a free reward naming no tier is a
        // stamp card's, never taken from the catalogue.
        let perk = Reward {
            cost_points: 0,
            min_tier_id: Some(3),
            ..r.clone()
        };
        assert_eq!(unavailable(&perk, who(true, 0), Some(Channel::Web), now), None);
        assert!(unavailable(&perk, who(false, 0), Some(Channel::Web), now)
            .is_some_and(|m| m.contains("higher tier")));
        // A segment's reward: for its members only (its name is not told).
        let targeted = Reward {
            segment_id: Some(4),
            cost_points: 0,
            ..r.clone()
        };
        let outside = Eligibility {
            in_segment: false,
            ..Eligibility::ANYONE
        };
        assert!(for_the_catalogue(&targeted), "a segment's free perk");
        assert_eq!(
            unavailable(&targeted, Eligibility::ANYONE, Some(Channel::Web), now),
            None
        );
        assert_eq!(
            unavailable(&targeted, outside, Some(Channel::Web), now).as_deref(),
            Some("This reward is offered to other members.")
        );
        let stamp_only = Reward {
            cost_points: 0,
            min_tier_id: None,
            ..r.clone()
        };
        assert!(unavailable(&stamp_only, who(true, 0), Some(Channel::Web), now)
            .is_some_and(|m| m.contains("stamp card")));
        r.channels = "store app".into();
        assert_eq!(
            unavailable(&r, who(true, 0), Some(Channel::Web), now).as_deref(),
            Some("This reward cannot be redeemed in the web channel.")
        );
        assert_eq!(
            unavailable(&r, who(true, 0), None, now),
            None,
            "no channel: the catalogue"
        );
        r.per_member_limit = Some(1);
        assert!(unavailable(&r, who(true, 1), Some(Channel::Store), now)
            .unwrap()
            .contains("as often as allowed"));
        assert!(unavailable(&r, who(false, 1), Some(Channel::Store), now)
            .unwrap()
            .contains("higher tier"));
        r.stock = Some(3);
        r.issued = 3;
        assert!(unavailable(&r, who(false, 1), None, now)
            .unwrap()
            .contains("out of stock"));
        r.valid_until = Some(1_000);
        assert!(unavailable(&r, who(true, 0), None, now)
            .unwrap()
            .contains("no longer available"));
        r.valid_from = Some(1_001);
        assert!(unavailable(&r, who(true, 0), None, now)
            .unwrap()
            .contains("not available yet"));
        r.active = false;
        assert!(unavailable(&r, who(true, 0), None, now)
            .unwrap()
            .contains("no longer offered"));
    }

    #[test]
    fn tiers_are_met_by_threshold() {
        assert!(meets_tier(None, None));
        assert!(meets_tier(Some(500), Some(500)));
        assert!(!meets_tier(Some(500), Some(499)));
        assert!(!meets_tier(Some(0), None), "no tier held meets no minimum");
    }

    #[test]
    fn paying_with_points_is_priced_at_the_point_value() {
        let p = program(5); // one point is worth 0.05
        let fixed = reward(RewardKind::GiftCard, 400, 2_000);
        assert_eq!(
            price(&fixed, &p, Some(999)).unwrap(),
            (400, 2_000),
            "the catalogue price"
        );
        let pay = reward(RewardKind::PointsPayment, 100, 1_000); // at most 10.00 a payment
        assert_eq!(price(&pay, &p, Some(150)).unwrap(), (150, 750));
        assert_eq!(price(&pay, &p, Some(200)).unwrap(), (200, 1_000));
        let e = price(&pay, &p, Some(201)).unwrap_err();
        assert!(
            e.field_message("points").unwrap().contains("at most €10.00"),
            "{e:?}"
        );
        assert!(price(&pay, &p, Some(99))
            .unwrap_err()
            .field_message("points")
            .unwrap()
            .contains("at least 100"));
        assert!(price(&pay, &p, None).is_err());
    }
}
