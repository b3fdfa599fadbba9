//! The rewards catalogue and rewards in members' hands.

use crate::model::ids::{MemberId, ProgramId};
use serde::{Deserialize, Serialize};

use super::time::Timestamp;

vocabulary! {
    /// What a reward gives.
    pub enum RewardKind {
        DiscountFixed = "discount_fixed",
        DiscountPercent = "discount_percent",
        Voucher = "voucher",
        FreeProduct = "free_product",
        GiftCard = "gift_card",
        Entitlement = "entitlement",
        /// Points turned into money off an order at checkout, at the program's point value.
        PointsPayment = "points_payment",
    }
}

impl RewardKind {
    /// Whether its value is money handed out (minor units); a percent discount's is a
    /// percent, and the others' have none.
    pub fn value_is_money(self) -> bool {
        matches!(
            self,
            RewardKind::DiscountFixed | RewardKind::GiftCard | RewardKind::PointsPayment
        )
    }

    /// Its name on the admin form.
    pub fn label(self) -> &'static str {
        match self {
            RewardKind::DiscountFixed => "Fixed discount",
            RewardKind::DiscountPercent => "Percent discount",
            RewardKind::Voucher => "Voucher code",
            RewardKind::FreeProduct => "Free product",
            RewardKind::GiftCard => "Gift card value",
            RewardKind::Entitlement => "VIP event / early access",
            RewardKind::PointsPayment => "Pay with points (points to money at checkout)",
        }
    }
}

vocabulary! {
    /// Where a reward in a member's hands stands.
    pub enum RewardStatus {
        /// Held for a checkout that has not confirmed yet.
        Reserved = "reserved",
        /// Handed out, usable until it expires.
        Issued = "issued",
        Used = "used",
        /// Given back (its points returned).
        Released = "released",
        Expired = "expired",
    }
}

impl RewardStatus {
    /// Whether the member still holds it (shown at the desk, moved by a merge).
    pub fn is_open(self) -> bool {
        matches!(self, RewardStatus::Issued | RewardStatus::Reserved)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
pub struct Reward {
    pub id: i64,
    pub program_id: ProgramId,
    pub name: String,
    pub description: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub kind: RewardKind,
    pub cost_points: i64,
    /// Minor units for fixed discounts and gift cards, percent for percent discounts; for
    /// paying with points, the most one payment may cover (0: no limit).
    pub value: i64,
    pub sku: Option<String>,
    /// None: unlimited.
    pub stock: Option<i64>,
    pub issued: i64,
    pub per_member_limit: Option<i64>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub valid_from: Option<i64>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub valid_until: Option<i64>,
    pub min_tier_id: Option<i64>,
    /// Offered only to the members of this segment (others do not see it); None: everyone.
    #[serde(default)]
    pub segment_id: Option<i64>,
    /// Space-separated channels where it can be used; empty = everywhere.
    pub channels: String,
    pub code_valid_days: i64,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::model::program::DbFlag"))]
    pub uses_pool: bool,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::model::program::DbFlag"))]
    pub active: bool,
    /// For a reward handed out from a partner's codes: how many codes are left to hand out.
    #[serde(default)]
    pub pool_left: Option<i64>,
}

impl Reward {
    /// "€5.00 off", "10% off", "Free FLAT-WHITE"...
    pub fn value_label(&self, currency_code: &str) -> String {
        match self.kind {
            RewardKind::DiscountFixed => format!(
                "{} off",
                crate::domain::currency::format_minor(self.value, currency_code)
            ),
            RewardKind::DiscountPercent => format!("{}% off", self.value),
            RewardKind::GiftCard => format!(
                "{} gift card",
                crate::domain::currency::format_minor(self.value, currency_code)
            ),
            RewardKind::FreeProduct => format!("Free {}", self.sku.as_deref().unwrap_or("product")),
            RewardKind::Voucher => "Partner voucher".into(),
            RewardKind::PointsPayment => "Pay with points".into(),
            RewardKind::Entitlement => "Entitlement".into(),
        }
    }

    /// How many can still be handed out (None: no limit): what the stock allows, and for a
    /// reward from a partner's codes no more than the codes left.
    pub fn stock_left(&self) -> Option<i64> {
        let stock = self.stock.map(|s| (s - self.issued).max(0));
        match (stock, self.pool_left) {
            (Some(s), Some(p)) => Some(s.min(p.max(0))),
            (s, p) => s.or(p.map(|p| p.max(0))),
        }
    }
}

/// A reward offered to a member: the catalogue item and whether they can have it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Offer {
    pub reward: Reward,
    pub affordable: bool,
    /// Why not, when the member cannot redeem it (points aside).
    pub unavailable: Option<String>,
}

impl Offer {
    /// Why the member cannot redeem it now, if they cannot: the catalogue's reason, else too
    /// few points. The Portal and the Desk say the same.
    pub fn blocked(&self) -> Option<String> {
        self.unavailable.clone().or_else(|| {
            (!self.affordable).then(|| {
                crate::i18n::td_string!(
                    crate::domain::lang::current().locale,
                    errors.rewards.not_enough_points_yet
                )
                .to_string()
            })
        })
    }
}

/// The catalogue form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardInput {
    #[serde(default)]
    pub id: Option<i64>,
    pub program_id: ProgramId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub kind: String,
    pub cost_points: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub stock: String,
    #[serde(default)]
    pub per_member_limit: String,
    /// First day it is offered (YYYY-MM-DD, UTC); empty = from now.
    #[serde(default)]
    pub valid_from: String,
    /// Last day it is offered (YYYY-MM-DD, UTC); empty = no end.
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub min_tier_id: String,
    /// A segment's id; empty: everyone.
    #[serde(default)]
    pub segment_id: String,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub code_valid_days: String,
    #[serde(default)]
    pub pool_codes: String,
}

/// A reward in a member's hands, with the code and PIN to use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
pub struct IssuedReward {
    pub id: i64,
    pub reward_id: i64,
    pub program_id: ProgramId,
    pub reward_name: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub kind: RewardKind,
    pub code: String,
    pub pin: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: RewardStatus,
    pub points: i64,
    pub value: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub reserved_until: Option<i64>,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub expires_at: Timestamp,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub used_at: Option<i64>,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub created_at: Timestamp,
}

/// The desk's redeem form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedeemInput {
    pub member_id: MemberId,
    pub reward_id: i64,
    pub request_id: String,
    /// For paying with points: how many points, as typed.
    #[serde(default)]
    pub points: String,
}

/// The desk's "use a code" form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseCodeInput {
    pub code: String,
    pub pin: String,
}
