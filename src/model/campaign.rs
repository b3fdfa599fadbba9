//! Campaigns: an incentive offered to the members of a segment for a while, in chosen
//! channels, with a control group that gets nothing and up to four variants, so the report
//! can say what the incentive brought in beyond what the members would have done anyway.

use serde::{Deserialize, Serialize};

use crate::model::rules::Channel;
use crate::model::time::Timestamp;

/// The most variants a campaign may test against each other (besides its control group).
pub const MAX_VARIANTS: usize = 4;
/// The control group a new campaign proposes, in per cent of its members.
pub const DEFAULT_HOLDOUT_PCT: i64 = 10;
/// The largest control group allowed, in per cent.
pub const MAX_HOLDOUT_PCT: i64 = 50;

vocabulary! {
    /// Where a campaign stands as saved: a draft, launched (scheduled, running or ended by
    /// its dates, see `Status`), or stopped by hand.
    pub enum CampaignState {
        Draft = "draft",
        Launched = "launched",
        Stopped = "stopped",
    }
}

vocabulary! {
    /// Where a campaign stands now, from its state and its dates.
    pub enum Status {
        Draft = "draft",
        Scheduled = "scheduled",
        Running = "running",
        Ended = "ended",
    }
}

/// What a variant's members are offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Incentive {
    /// Points on the member's first purchase of at least `min_order_minor` in the campaign,
    /// once per member.
    BonusPoints { points: i64, min_order_minor: i64 },
    /// Every purchase in the campaign earns this per cent of its usual points (200 = double),
    /// the extra counted as the campaign's.
    Multiplier { pct: i64 },
    /// A reward of the catalogue (its own codes, or a partner's pool), free, once per member:
    /// claimed on the portal, at the Desk or through the channel API, then used like any code.
    Reward { reward_id: i64 },
    /// Extra stamps on one of the program's stamp cards, on the member's first purchase of at
    /// least `min_order_minor` in the campaign, once per member (a full card then gives its
    /// reward as usual).
    Stamps {
        stamp_card_id: i64,
        stamps: i64,
        min_order_minor: i64,
    },
}

impl Incentive {
    /// The wire name of its kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Incentive::BonusPoints { .. } => "bonus_points",
            Incentive::Multiplier { .. } => "multiplier",
            Incentive::Reward { .. } => "reward",
            Incentive::Stamps { .. } => "stamps",
        }
    }

    /// The stamp card it gives stamps on, if it gives stamps.
    pub fn stamp_card(&self) -> Option<i64> {
        match *self {
            Incentive::Stamps { stamp_card_id, .. } => Some(stamp_card_id),
            _ => None,
        }
    }
}

/// The kinds of incentive the form offers.
pub const INCENTIVE_KINDS: [&str; 4] = ["bonus_points", "multiplier", "reward", "stamps"];

/// One variant: a share of the members outside the control group, and what they get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Variant {
    pub name: String,
    /// Per cent of the members outside the control group; the variants add up to 100.
    pub share_pct: i64,
    pub incentive: Incentive,
}

/// How a campaign tells its members of their offer: a template (by name, in each member's
/// language) on each chosen channel. The template's `{{ offer }}` is the member's variant's
/// offer; the control group is told nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignMessage {
    pub template: String,
    pub channels: Vec<crate::model::message::Channel>,
}

/// A campaign as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: i64,
    pub program_id: i64,
    pub name: String,
    pub segment_id: i64,
    /// Where the incentive can be used; empty = every channel.
    pub channels: Vec<Channel>,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub starts_at: Timestamp,
    /// Exclusive.
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub ends_at: Timestamp,
    /// Per cent of the segment's members held out (0..=50): they get nothing.
    pub holdout_pct: i64,
    pub variants: Vec<Variant>,
    /// The most points the campaign may give; None = no limit.
    pub budget_points: Option<i64>,
    /// The most rewards it may hand out; None = as many as the reward's stock allows.
    pub max_rewards: Option<i64>,
    /// The message telling members of their offer, if any.
    #[serde(default)]
    pub message: Option<CampaignMessage>,
    pub state: CampaignState,
    /// When it was stopped by hand (it ends then).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub stopped_at: Option<Timestamp>,
    /// Points given so far (all variants).
    pub points_given: i64,
    /// Rewards handed out so far.
    pub rewards_given: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub updated_at: Timestamp,
}

impl Campaign {
    /// Where it stands at `now`.
    pub fn status(&self, now: Timestamp) -> Status {
        match self.state {
            CampaignState::Draft => Status::Draft,
            CampaignState::Stopped => Status::Ended,
            CampaignState::Launched if now < self.starts_at => Status::Scheduled,
            CampaignState::Launched if now < self.ends_at => Status::Running,
            CampaignState::Launched => Status::Ended,
        }
    }

    /// When it stops counting: its end, or when it was stopped if earlier.
    pub fn effective_end(&self) -> Timestamp {
        match self.stopped_at {
            Some(s) if s < self.ends_at => s,
            _ => self.ends_at,
        }
    }

    /// Whether its incentive can be used in `channel`.
    pub fn in_channel(&self, channel: Channel) -> bool {
        self.channels.is_empty() || self.channels.contains(&channel)
    }
}

/// One variant row of the form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VariantRow {
    pub name: String,
    /// Per cent of the members outside the control group.
    pub share: String,
    /// One of `INCENTIVE_KINDS`.
    pub kind: String,
    /// Points for bonus points; the multiplier ("2", "1.5"); the reward id; the stamps.
    pub value: String,
    /// For bonus points and stamps: the least order that earns them, as money ("20.00");
    /// empty = any.
    pub min_order: String,
    /// For stamps: the stamp card's id.
    pub card: String,
}

/// The Manage campaign form, every value as typed. Rows whose kind is empty are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    pub program_id: i64,
    /// Empty for a new campaign.
    pub id: String,
    pub name: String,
    pub segment_id: String,
    pub channels: Vec<String>,
    /// First day, YYYY-MM-DD (UTC).
    pub starts_on: String,
    /// Last day, included, YYYY-MM-DD (UTC).
    pub ends_on: String,
    /// Per cent, 0..=50.
    pub holdout: String,
    pub variants: Vec<VariantRow>,
    /// Points; empty = no limit.
    pub budget: String,
    /// Rewards; empty = no limit but the reward's stock.
    pub max_rewards: String,
    /// The template telling members of their offer; empty = no message.
    pub message_template: String,
    /// The channels it goes by (`model::message::Channel` names).
    pub message_channels: Vec<String>,
    /// When the campaign being edited was last saved (epoch seconds), as the form was drawn:
    /// a save over someone else's change meanwhile is refused.
    pub updated_at: String,
}

/// A campaign in the Manage list, with where it stands (told by the server, whose clock it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub campaign: Campaign,
    pub status: Status,
}

/// A recorded change to a launched campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignEdit {
    #[serde(rename = "at")]
    pub at: Timestamp,
    /// Who made it (their email), if a person did.
    pub by: Option<String>,
    /// What changed, one "field: before → after" per line.
    pub change: String,
}

/// A campaign's offer to one member, as the portal, the Desk and the channel API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignOffer {
    pub program_id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    pub incentive: Incentive,
    /// For a reward: its name; for stamps: the stamp card's name; otherwise empty.
    pub reward_name: String,
    /// "Double points on every purchase", "200 bonus points on an order of €20.00 or more"...
    pub headline: String,
    /// Channels where it can be used; empty = every channel.
    pub channels: Vec<Channel>,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub ends_at: Timestamp,
    /// For a reward already claimed: its code.
    pub claimed_code: Option<String>,
    /// For bonus points or stamps already given, a reward already used: true.
    pub used: bool,
}

/// One arm of the report: the control group or a variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmReport {
    /// "Control" or the variant's name.
    pub name: String,
    pub control: bool,
    /// Configured share of all the campaign's members, per cent (one decimal).
    pub configured_pct: f64,
    /// Share actually assigned, per cent.
    pub actual_pct: f64,
    /// Members assigned (in the segment at some time during the campaign).
    pub members: i64,
    /// Members who used the incentive (earned its points or claimed its reward).
    pub redeemed: i64,
    /// Members who bought at least once during the campaign.
    pub buyers: i64,
    pub orders: i64,
    pub revenue_minor: i64,
    /// Points the incentive gave and their value, and rewards' value, minor units.
    pub cost_minor: i64,
    pub points_given: i64,
    /// Against the control: revenue per member difference and its 95 % interval (minor
    /// units, per member), None for the control or without one.
    pub uplift: Option<Uplift>,
}

/// A variant measured against the control group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uplift {
    /// Revenue per member, variant less control (minor units), with its Welch 95 % interval.
    pub revenue_per_member: f64,
    pub revenue_low: f64,
    pub revenue_high: f64,
    /// Share of members who bought, variant less control (0..1), with its 95 % interval.
    pub conversion: f64,
    pub conversion_low: f64,
    pub conversion_high: f64,
    /// Incremental revenue: the difference per member times the variant's members.
    pub incremental_revenue_minor: i64,
    /// (incremental revenue − cost) / cost; None without a cost.
    pub roi: Option<f64>,
    /// The revenue interval contains zero: no difference can be claimed.
    pub inconclusive: bool,
}

/// The campaign report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignReport {
    pub campaign: Campaign,
    pub status: Status,
    pub segment_name: String,
    pub currency: String,
    pub arms: Vec<ArmReport>,
    /// Members in the segment during the campaign.
    pub reach: i64,
    pub edits: Vec<CampaignEdit>,
    /// Revenue per member by arm, drawn on the server (SVG).
    #[serde(default)]
    pub chart_svg: String,
    /// What the campaign's messages did, by channel, state and reason (`kind` is "campaign").
    #[serde(default)]
    pub messages: Vec<crate::model::message::DeliveryCount>,
    /// Its newest messages that failed (every attempt), with the last error.
    #[serde(default)]
    pub failed_messages: Vec<crate::model::message::FailedMessage>,
    /// The program's time zone: the report's times are shown in it.
    #[serde(default)]
    pub time_zone: String,
}
