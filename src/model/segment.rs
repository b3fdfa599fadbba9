//! Segments: named groups of a program's members, defined by conditions over what the
//! program knows of them (purchases, points, tier, profile, predictions) and kept up to date
//! as bookings are folded and by a scheduled refresh, with who entered and left when.

use serde::{Deserialize, Serialize};

use crate::model::rules::Channel;
use crate::model::time::Timestamp;

/// How conditions (or groups of them) combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Join {
    /// Every one must hold (AND).
    #[default]
    All,
    /// At least one must hold (OR).
    Any,
}

impl Join {
    pub const ALL: [Join; 2] = [Join::All, Join::Any];

    pub fn as_str(self) -> &'static str {
        match self {
            Join::All => "all",
            Join::Any => "any",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|j| j.as_str() == s)
    }
}

/// One of the three RFM dimensions, each scored 1 (worst) to 5 (best) in quintiles of the
/// program's buyers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RfmDimension {
    /// The day of the last purchase (later is better).
    Recency,
    /// Orders ever placed.
    Frequency,
    /// Net spend ever, in minor units.
    Monetary,
}

impl RfmDimension {
    pub const ALL: [RfmDimension; 3] = [Self::Recency, Self::Frequency, Self::Monetary];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Recency => "recency",
            Self::Frequency => "frequency",
            Self::Monetary => "monetary",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Facts of a member's profile a condition can ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProfileFact {
    HasEmail,
    HasPhone,
    HasBirthDate,
    /// Signed up for the portal (not only a card or a till's record).
    HasAccount,
    /// Opted in to a channel or a topic (model::consent): "present" = given now.
    ConsentEmail,
    ConsentSms,
    ConsentPush,
    ConsentInApp,
    ConsentOffers,
    ConsentReminders,
    ConsentSurveys,
}

impl ProfileFact {
    pub const ALL: [ProfileFact; 11] = [
        Self::HasEmail,
        Self::HasPhone,
        Self::HasBirthDate,
        Self::HasAccount,
        Self::ConsentEmail,
        Self::ConsentSms,
        Self::ConsentPush,
        Self::ConsentInApp,
        Self::ConsentOffers,
        Self::ConsentReminders,
        Self::ConsentSurveys,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HasEmail => "has_email",
            Self::HasPhone => "has_phone",
            Self::HasBirthDate => "has_birth_date",
            Self::HasAccount => "has_account",
            Self::ConsentEmail => "consent_email",
            Self::ConsentSms => "consent_sms",
            Self::ConsentPush => "consent_push",
            Self::ConsentInApp => "consent_in_app",
            Self::ConsentOffers => "consent_offers",
            Self::ConsentReminders => "consent_reminders",
            Self::ConsentSurveys => "consent_surveys",
        }
    }

    /// The consent it asks about, if it is one.
    pub fn consent(self) -> Option<crate::model::consent::ConsentName> {
        use crate::model::consent::ConsentName as N;
        Some(match self {
            Self::ConsentEmail => N::Email,
            Self::ConsentSms => N::Sms,
            Self::ConsentPush => N::Push,
            Self::ConsentInApp => N::InApp,
            Self::ConsentOffers => N::Offers,
            Self::ConsentReminders => N::Reminders,
            Self::ConsentSurveys => N::Surveys,
            Self::HasEmail | Self::HasPhone | Self::HasBirthDate | Self::HasAccount => return None,
        })
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// One condition on a member. Bounds are inclusive; a bound left out is open. A `days`
/// window of 0 means "ever"; otherwise the last `days` days up to now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// RFM score between `min` and `max` (1..=5). Members who never bought have no score and
    /// match no RFM condition.
    Rfm {
        dimension: RfmDimension,
        min: u8,
        max: u8,
    },
    /// Net spend (orders less returns) in the window, minor units.
    Spend {
        days: u32,
        min: Option<i64>,
        max: Option<i64>,
    },
    /// Orders placed in the window.
    Orders {
        days: u32,
        min: Option<i64>,
        max: Option<i64>,
    },
    /// Whole days since the member was last active (bought, redeemed, earned); a member
    /// never active counts from the day they joined.
    Inactive { min: Option<i64>, max: Option<i64> },
    /// In one of these tiers (0 stands for "no tier").
    Tier { tier_ids: Vec<i64> },
    /// Points balance.
    Balance { min: Option<i64>, max: Option<i64> },
    /// Bought in at least one of these channels, ever.
    Channels { channels: Vec<Channel> },
    /// Bought in at least one of these stores (ids), in the window.
    Stores { days: u32, store_ids: Vec<i64> },
    /// Bought at least one of these SKUs or a product of one of these categories, in the window.
    Products {
        days: u32,
        skus: Vec<String>,
        categories: Vec<String>,
    },
    /// Joined the program between these UTC days (YYYY-MM-DD), inclusive.
    Enrolled {
        #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
        from: Option<chrono::NaiveDate>,
        #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Date))]
        to: Option<chrono::NaiveDate>,
    },
    /// Born in one of these months (1..=12).
    BirthdayMonth { months: Vec<u8> },
    /// A profile fact holds (`present`) or does not.
    Profile { fact: ProfileFact, present: bool },
    /// Probability of still being active, in whole per cent (from the last CLV fit; members
    /// without a prediction match no such condition).
    PAlive { min: Option<u8>, max: Option<u8> },
    /// Predicted value over the next 12 months, minor units (same source as `PAlive`).
    Clv { min: Option<i64>, max: Option<i64> },
}

/// A segment's conditions: groups joined by `join`, the conditions inside each group by
/// `within` (one level of nesting: "all of these groups, each any of its conditions").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Definition {
    pub join: Join,
    pub within: Join,
    pub groups: Vec<Vec<Condition>>,
}

/// A saved segment, with its size at the last evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Segment {
    pub id: i64,
    pub program_id: i64,
    pub name: String,
    pub definition: Definition,
    /// Members in it now.
    pub members: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub refreshed_at: Option<Timestamp>,
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub updated_at: Timestamp,
}

/// One condition row of the Manage form, every value as typed. `group` numbers the group
/// (1..); `kind` is a `Condition` kind; `min`/`max` the bounds; `days` the window; `values` a
/// comma-separated list (tier ids, channels, store codes, SKUs, months) or the RFM dimension
/// or profile fact; `categories` the product categories.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConditionRow {
    pub group: String,
    pub kind: String,
    pub min: String,
    pub max: String,
    pub days: String,
    pub values: String,
    pub categories: String,
}

/// The Manage segment form: a new segment (`id` empty) or an existing one's new name and
/// conditions. Rows whose kind is empty are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SegmentForm {
    pub program_id: i64,
    pub id: String,
    pub name: String,
    pub join: String,
    pub within: String,
    pub rows: Vec<ConditionRow>,
}

/// A member in a segment's sample or export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleMember {
    pub member_id: i64,
    pub name: String,
    pub card_number: String,
    pub balance: i64,
    pub orders: i64,
    pub spend_minor: i64,
}

/// What the conditions match right now, without saving: the live count in the builder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub matching: i64,
    /// Members of the program, for "n of N".
    pub members: i64,
    pub sample: Vec<SampleMember>,
    /// The currency the program's spend is in.
    pub currency: String,
}

/// The live count without its sample: what a plain "Count" post (no JavaScript) carries back
/// to the page, with the form as it was typed so the page shows it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    pub matching: i64,
    pub members: i64,
    pub form: SegmentForm,
}
