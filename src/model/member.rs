//! Members, their program memberships and ledger history.

use crate::model::ids::{MemberId, MembershipId, ProgramId};
use serde::{Deserialize, Serialize};

use super::program::{Program, Tier};
use super::time::Timestamp;

vocabulary! {
    /// Who a member is.
    pub enum MemberKind {
        /// Someone who signed up (or was enrolled) with their details.
        Registered = "registered",
        /// The holder of a printed card nobody has registered yet.
        Card = "card",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub card_number: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub kind: MemberKind,
    /// "YYYY-MM-DD", if the member gave it.
    pub birth_date: Option<String>,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub created_at: Timestamp,
}

/// One row of the ledger as people read it (the Portal's history, the channel API's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
pub struct LedgerLine {
    /// The line's id; newer lines have larger ids (the history's cursor).
    pub id: i64,
    /// The program whose points these are: a member's lines are read per program, each with
    /// its own balance and currency.
    pub program_id: ProgramId,
    /// The program's unit of points ("Stars"): `points` and `balance_after` are in it.
    pub currency_name: String,
    /// The program's currency (ISO 4217): `amount_minor` is in its minor units.
    pub currency_code: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub kind: crate::model::ledger::TxKind,
    /// "wallet" (spendable) or "pending" (held for the return window).
    #[cfg_attr(feature = "ssr", schema(pattern = "^(wallet|pending)$"))]
    pub account: String,
    pub points: i64,
    /// The balance of `account` in this program after this line.
    pub balance_after: i64,
    /// Where it happened: "store", "web", "app", or who else booked it ("desk", "system", ...).
    pub channel: String,
    /// The code of the store an order was placed in, if one was named.
    pub store: Option<String>,
    /// The order's amount, in minor units of `currency_code`.
    pub amount_minor: Option<i64>,
    /// The channel's own id (order id, return id, event id) or a reward code.
    pub reference: Option<String>,
    /// The full account of the line, rule arithmetic included ("Purchase €12.50: 10 Stars per
    /// EUR"), for staff and the API.
    pub description: String,
    /// The same line in a plain sentence for the member ("Purchase of €12.50 · Double
    /// weekend"), with no arithmetic and no internal reference.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    #[serde(default)]
    pub sentence: String,
    /// Seconds since the epoch (UTC).
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"), schema(value_type = i64))]
    pub created_at: Timestamp,
}

/// A member's standing in one program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipView {
    pub membership_id: MembershipId,
    pub program_id: ProgramId,
    pub program_name: String,
    pub currency_name: String,
    pub currency_code: String,
    pub point_value_minor: i64,
    pub balance: i64,
    /// Points held for the return window, not yet spendable.
    pub pending: i64,
    pub lifetime_points: i64,
    /// What counts towards the next tier in the current window (points, or whole currency
    /// units spent when `tier_basis` is "spend").
    pub qualifying: i64,
    pub tier_basis: String,
    pub tier_window: String,
    /// When members move down a tier: "continuous", "monthly" or "yearly".
    pub tier_review: String,
    /// Whether the program has tiers at all (a stamp card or a flat program has none).
    pub has_tiers: bool,
    /// Whether the program gives points (a stamp-only program does not): its balance is shown
    /// only then.
    pub earns_points: bool,
    pub tier: Option<Tier>,
    pub next_tier: Option<Tier>,
    /// 0..=100, progress from the current tier's threshold to the next one.
    pub progress_pct: u8,
    pub joined_at: Timestamp,
}

/// Everything the portal shows a member: who they are, their programs, recent history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalOverview {
    pub member: Member,
    pub memberships: Vec<MembershipView>,
    /// What the member can redeem, across their programs.
    pub rewards: Vec<super::reward::Offer>,
    /// What running campaigns offer the member, across their programs.
    #[serde(default)]
    pub campaign_offers: Vec<super::campaign::CampaignOffer>,
    /// Rewards redeemed, newest first, with codes and PINs.
    pub issued: Vec<super::reward::IssuedReward>,
    /// The member's code for inviting friends.
    pub referral_code: String,
    /// Stamps on each active stamp card of the member's programs.
    pub stamps: Vec<super::card::StampBalance>,
    /// Newest first, across the member's programs.
    pub history: Vec<LedgerLine>,
}

/// A program a member has not joined yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinableProgram {
    pub id: ProgramId,
    pub name: String,
    pub currency_name: String,
}

/// What the desk sees after a search: the member and the programs they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskMember {
    pub member: Member,
    pub memberships: Vec<MembershipView>,
    /// The catalogues of the member's programs as this member sees them.
    pub rewards: Vec<super::reward::Offer>,
    /// What running campaigns offer the member in store, across their programs.
    #[serde(default)]
    pub campaign_offers: Vec<super::campaign::CampaignOffer>,
    /// Rewards the member holds that can still be used.
    pub open_rewards: Vec<super::reward::IssuedReward>,
    /// Stamps on each active stamp card of the member's programs.
    pub stamps: Vec<super::card::StampBalance>,
    /// Merges into or out of this member, newest first.
    pub merges: Vec<super::card::MemberMerge>,
}

/// The purchase form at the desk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseInput {
    pub member_id: MemberId,
    pub program_id: ProgramId,
    /// As typed, in major units: "12.50".
    pub amount: String,
    /// Receipt number, optional.
    #[serde(default)]
    pub reference: String,
    /// The store's code; empty: none named.
    #[serde(default)]
    pub store: String,
    /// What was bought, as typed; blank rows are ignored.
    #[serde(default)]
    pub lines: Vec<PurchaseLineInput>,
    /// Generated when the form is drawn, so a double submit or a retry records once.
    pub request_id: String,
}

/// One line of the desk's purchase form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseLineInput {
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub category: String,
    /// Empty: one.
    #[serde(default)]
    pub quantity: String,
    /// The line's total, in major units: "4.50".
    #[serde(default)]
    pub amount: String,
}

impl PurchaseLineInput {
    pub fn is_blank(&self) -> bool {
        [&self.sku, &self.category, &self.quantity, &self.amount]
            .iter()
            .all(|f| f.trim().is_empty())
    }
}

/// The answer after a purchase: what was earned and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseReceipt {
    pub transaction_id: i64,
    pub member_name: String,
    /// The program the purchase was booked in.
    pub program_name: String,
    /// The receipt number, the purchase's order id (none: the desk made one).
    pub reference: Option<String>,
    pub points: i64,
    /// True when the points are held for the program's return window.
    pub pending: bool,
    pub balance: i64,
    pub currency_name: String,
    pub explanation: String,
    /// True when this request id had been recorded before and nothing new was written.
    pub replayed: bool,
    /// Whether the program gives points (a stamp-only program does not: its receipt tells
    /// the stamps, not "+0 points").
    #[serde(default)]
    pub earns_points: bool,
    /// Stamp cards the purchase added stamps to.
    #[serde(default)]
    pub stamps: Vec<super::card::StampReceipt>,
}

/// Members a name search at the Desk lists at once.
pub const NAME_PAGE_SIZE: usize = 20;

/// What a Desk search looked for, as it read the query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Searched {
    Email(String),
    /// The number as people read it: "+33 6 12 34 56 78".
    Phone(String),
    /// The card number, digits only.
    Card(String),
    /// The start of a first or last name, as typed.
    Name(String),
}

impl Searched {
    /// What to say when nobody matched: "No member with the phone +33 6 12 34 56 78."
    pub fn not_found(&self) -> String {
        match self {
            Searched::Email(e) => format!("No member with the email {e}."),
            Searched::Phone(p) => format!("No member with the phone {p}."),
            Searched::Card(c) => format!("No member with the card {}.", crate::domain::card::grouped(c)),
            Searched::Name(n) => format!("No member named “{n}…”."),
        }
    }
}

/// What the desk page needs after a search: the members matching the query (exact email,
/// phone or card; or a name's start, one member or a page of them), the programs a purchase
/// can be booked in, and a fresh nonce from which the purchase forms derive their request
/// ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskResults {
    /// What the query was read as (None: an empty query).
    pub searched: Option<Searched>,
    /// The members found, in full, with their forms (an identifier, or the one member of a
    /// name).
    pub members: Vec<DeskMember>,
    /// A name's members, a page at a time, to open one (empty when `members` is not).
    pub matches: Vec<Member>,
    /// The page of `matches`, from 0.
    pub page: u32,
    /// More members have this name than this page shows.
    pub more: bool,
    pub programs: Vec<Program>,
    /// The open stores, offered for purchases.
    pub stores: Vec<crate::model::store::Store>,
    pub nonce: String,
    /// The program this desk user last booked in: the purchase form starts there.
    pub last_program_id: Option<ProgramId>,
    /// The store this desk user last booked in, likewise.
    pub last_store_id: Option<i64>,
    /// A printed card nobody has used yet matched the search: (card number, program name).
    pub unused_card: Option<(String, String)>,
}

/// The desk's manual adjustment form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustInput {
    pub member_id: MemberId,
    pub program_id: ProgramId,
    /// As typed: "250" to give, "-250" to take.
    pub points: String,
    pub reason: String,
    pub request_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustReceipt {
    pub points: i64,
    pub balance: i64,
    /// Over the program's limit: nothing moved yet, an admin decides (Manage → Approvals).
    pub awaiting_approval: bool,
}

vocabulary! {
    /// Where an adjustment over its program's limit stands.
    pub enum AdjustmentStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

/// An adjustment over its program's limit, waiting for an admin or decided by one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AdjustmentRequest {
    pub id: i64,
    pub program_name: String,
    pub currency_name: String,
    pub member_id: MemberId,
    pub member_name: String,
    pub card_number: String,
    pub points: i64,
    pub reason: String,
    pub requested_by: Option<String>,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub requested_at: Timestamp,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub status: AdjustmentStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}
