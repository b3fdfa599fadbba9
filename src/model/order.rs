//! Orders, returns and action events as channels send them, and what they earned.

use crate::model::ids::{MemberId, ProgramId};
use serde::{Deserialize, Serialize};

use super::rules::{Award, Channel, OrderLine};
use super::time::Timestamp;

/// A purchase in any channel. `channel_order_id` is the channel's own order number: the same
/// order sent twice is booked once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub channel: Channel,
    pub channel_order_id: String,
    /// Order total in minor units of the program's currency.
    pub amount_minor: i64,
    /// Optional lines; when present they must add up to `amount_minor`.
    #[serde(default)]
    pub lines: Vec<OrderLine>,
    #[serde(default)]
    pub store: Option<String>,
    /// The receipt number people see, when it is not the order id (desk purchases).
    #[serde(default)]
    pub receipt: Option<String>,
    /// When the purchase happened (UTC); defaults to now. Used for time-window rules.
    #[serde(default)]
    pub occurred_at: Option<Timestamp>,
}

/// A return of part or all of an order; `return_id` makes a retried return book once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// The channel the order was placed in.
    pub channel: Channel,
    /// Where the goods came back, when not in the order's channel (bought online, returned
    /// in store); None: the order's channel.
    #[serde(default)]
    pub returned_in: Option<Channel>,
    pub channel_order_id: String,
    pub return_id: String,
    /// Amount refunded, in minor units; the points taken back are proportional.
    pub amount_minor: i64,
}

/// A non-purchase action: sign-up, review, survey, check-in, referral, or a custom type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub event_type: String,
    pub channel: Channel,
    /// The channel's id for this action; the same id is booked once per member.
    pub event_id: String,
    #[serde(default)]
    pub store: Option<String>,
    #[serde(default)]
    pub occurred_at: Option<Timestamp>,
}

/// What an order or action earned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EarnReceipt {
    pub transaction_id: i64,
    pub member_id: MemberId,
    pub program_id: ProgramId,
    pub points: i64,
    /// True when the points are held for the program's return window.
    pub pending: bool,
    pub balance: i64,
    pub pending_balance: i64,
    pub currency_name: String,
    /// "340 Stars: base 120, Double weekend +120, ..."
    pub explanation: String,
    pub award: Award,
    /// Stamp cards the order added stamps to (and reward codes for cards that filled up).
    #[serde(default)]
    pub stamps: Vec<super::card::StampReceipt>,
    /// True when this order/action had been booked before and nothing new was written.
    pub replayed: bool,
}

/// What a return took back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnReceipt {
    pub member_id: MemberId,
    pub program_id: ProgramId,
    pub returned_minor: i64,
    /// Points taken back by this return (from pending first, then the wallet).
    pub points_clawed_back: i64,
    /// Points the return should have taken but the wallet did not hold (programs that do
    /// not allow negative balances).
    pub shortfall: i64,
    pub balance: i64,
    pub pending_balance: i64,
    pub replayed: bool,
}

/// Built-in action types; programs may define more by naming them in a rule.
pub const BUILT_IN_EVENTS: &[(&str, &str)] = &[
    ("purchase", "Purchase"),
    ("signup", "Sign-up"),
    ("profile_completed", "Profile completed"),
    ("referral", "Referred a friend (to the referrer)"),
    ("referred", "Joined through a referral (to the friend)"),
    ("review", "Review"),
    ("survey", "Survey answered"),
    ("social_share", "Social share"),
    ("checkin", "Store check-in"),
    ("birthday", "Birthday"),
];

/// Actions that may earn only once per member (or once per year for birthdays): the key
/// under which a second one is recognised.
pub fn once_key(event_type: &str, at: Timestamp) -> Option<String> {
    match event_type {
        "signup" | "profile_completed" | "referred" => Some(event_type.to_string()),
        "birthday" => Some(format!("birthday:{}", at.to_datetime().format("%Y"))),
        _ => None,
    }
}
