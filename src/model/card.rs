//! Physical cards issued in batches, cards linked to members, member merges and stamp cards.

use crate::model::ids::{MemberId, ProgramId};
use serde::{Deserialize, Serialize};

use super::time::Timestamp;

/// A batch of printed cards for one program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CardBatch {
    pub id: i64,
    pub program_id: ProgramId,
    pub program_name: String,
    pub label: String,
    pub size: i64,
    /// Cards used (points collected on them) or linked to a registered member.
    pub in_use: i64,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub created_at: Timestamp,
}

/// The batch form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchInput {
    pub program_id: ProgramId,
    pub label: String,
    pub size: String,
}

/// One printed card, for the printer's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct PrintedCard {
    pub number: String,
    pub security_code: String,
}

/// A batch with its cards (numbers and security codes), for admins sending it to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchPrint {
    pub batch: CardBatch,
    pub cards: Vec<PrintedCard>,
}

/// Staff link a card to the member in front of them (the card is in their hand).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCardInput {
    pub member_id: MemberId,
    pub card_number: String,
}

/// A member registers a card online: the number and the code under the scratch panel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkMyCardInput {
    pub card_number: String,
    pub security_code: String,
}

/// What linking a card brought into the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedCard {
    pub card_number: String,
    /// Points (all programs) collected on the card before it was linked.
    pub points: i64,
    pub stamps: i64,
    pub merge_id: Option<i64>,
}

/// The desk's merge form: merge the member found by `source` into `target_member_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeInput {
    pub target_member_id: MemberId,
    /// Email, phone or card number of the member to merge in.
    pub source: String,
    pub reason: String,
}

/// An audited merge, as listed on the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct MemberMerge {
    pub id: i64,
    pub source_member_id: MemberId,
    pub source_name: String,
    pub target_member_id: MemberId,
    pub target_name: String,
    pub reason: String,
    /// "1,200 Stars, 3 stamps, 2 identifiers" and so on.
    pub summary: String,
    pub merged_by: Option<String>,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub merged_at: Timestamp,
    pub reversed_by: Option<String>,
    pub reversed_at: Option<i64>,
}

/// A stamp card definition: `stamps_required` stamps give the reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
pub struct StampCard {
    pub id: i64,
    pub program_id: ProgramId,
    pub name: String,
    pub stamps_required: i64,
    pub reward_id: i64,
    pub reward_name: String,
    pub sku: Option<String>,
    pub category: Option<String>,
    pub min_amount_minor: i64,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::model::program::DbFlag"))]
    pub active: bool,
}

impl StampCard {
    /// "1 stamp per FLAT-WHITE", "1 stamp per order of €5.00 or more"...
    pub fn earns(&self, currency_code: &str) -> String {
        match (&self.sku, &self.category) {
            (Some(sku), _) => format!("1 stamp per {sku}"),
            (None, Some(cat)) => format!("1 stamp per item in {cat}"),
            (None, None) if self.min_amount_minor > 0 => format!(
                "1 stamp per order of {} or more",
                crate::domain::currency::format_minor(self.min_amount_minor, currency_code)
            ),
            (None, None) => "1 stamp per order".into(),
        }
    }
}

/// The stamp card form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampCardInput {
    pub program_id: ProgramId,
    pub name: String,
    pub stamps_required: String,
    pub reward_id: String,
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub min_amount: String,
}

/// A member's stamps on one card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
pub struct StampBalance {
    pub stamp_card_id: i64,
    pub program_id: ProgramId,
    pub name: String,
    pub stamps: i64,
    pub stamps_required: i64,
    pub reward_name: String,
}

/// Stamps from a paper card, typed in at the desk. The paper card's serial (or the date
/// and receipt written on it) keeps it from being counted twice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperStampsInput {
    pub member_id: MemberId,
    pub stamp_card_id: i64,
    pub stamps: String,
    pub paper_serial: String,
}

/// What adding stamps did: stamps now, and rewards issued for full cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StampReceipt {
    pub stamp_card_id: i64,
    /// The stamp card's name ("Pastry card").
    #[serde(default)]
    pub name: String,
    pub added: i64,
    /// Stamps on the card now (after any full card turned into its reward).
    pub stamps: i64,
    /// Stamps that fill the card.
    #[serde(default)]
    pub stamps_required: i64,
    /// Codes of the rewards issued because a card filled up.
    pub rewards: Vec<String>,
}

impl StampReceipt {
    /// Folds in what a later movement on the same card did (a campaign's bonus after the
    /// order's own stamps): one receipt per card.
    pub fn then(&mut self, later: StampReceipt) {
        self.added += later.added;
        self.stamps = later.stamps;
        self.rewards.extend(later.rewards);
    }
}
