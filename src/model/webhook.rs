//! Webhook endpoints and their delivery log, as admins see them.

use serde::{Deserialize, Serialize};

use super::time::Timestamp;

/// Events an endpoint can subscribe to.
pub const WEBHOOK_EVENTS: &[(&str, &str)] = &[
    (
        "points.changed",
        "Any change of a member's balance, with the change and the balance after (earnings, returns, \
         redemptions, releases, adjustments, expiries, merges)",
    ),
    ("points.earned", "Points earned (orders, actions, adjustments)"),
    ("points.redeemed", "Points spent on a reward"),
    ("reward.issued", "Reward code issued"),
    ("tier.changed", "Tier upgraded or downgraded"),
    ("reward.used", "Reward code used at a till or checkout"),
    (
        "reward.released",
        "Reserved or unused reward released, its points given back",
    ),
    ("reward.expired", "Reward code not used before its last day"),
    (
        "member.created",
        "Member joined (sign-up, or a printed card's first use)",
    ),
    ("member.merged", "Two members merged (or a card linked)"),
    ("member.unmerged", "A merge reversed"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: Timestamp,
    /// Deliveries waiting or retrying, and given up, for the list.
    pub pending: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInput {
    pub url: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub events: Vec<String>,
}

/// The answer to registering an endpoint: the only time its signing secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWebhook {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

vocabulary! {
    /// Where a webhook delivery stands.
    pub enum DeliveryStatus {
        /// Waiting for its first attempt or for a retry.
        Pending = "pending",
        Delivered = "delivered",
        /// Given up after its last retry (or refused at once: a forbidden address).
        Failed = "failed",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct WebhookDelivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_type: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: DeliveryStatus,
    pub attempts: i64,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub next_attempt_at: Timestamp,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub created_at: Timestamp,
    pub delivered_at: Option<i64>,
}
