//! Earning rules and the events they are evaluated against: shared by the engine, the
//! channel API and the admin pages. Stored as JSON (conditions, effect, caps) beside the
//! rule's columns.

use crate::domain::lang::Lang;
use crate::i18n::td_string;
use crate::model::ids::ProgramId;
use serde::{Deserialize, Serialize};

use super::time::Timestamp;

/// Where an event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Store,
    Web,
    App,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Store, Channel::Web, Channel::App];

    /// The wire name: "store", "web", "app".
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Store => "store",
            Channel::Web => "web",
            Channel::App => "app",
        }
    }

    /// Whether the member is there in person (a store's till): a code or card shown at the
    /// counter needs no PIN or security code; online, anyone could type a number.
    pub fn in_person(self) -> bool {
        self == Channel::Store
    }

    /// The channel with this wire name, if any (exact, lowercase).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Its name shown to people: "store", "web", "app" in English (the wire names).
    pub fn label(self, lang: Lang) -> &'static str {
        let l = lang.locale;
        match self {
            Channel::Store => td_string!(l, offers.channel.store),
            Channel::Web => td_string!(l, offers.channel.web),
            Channel::App => td_string!(l, offers.channel.app),
        }
    }
}

/// How a matching rule combines with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stacking {
    /// Adds to the others and evaluation goes on.
    Stack,
    /// Competes with the other best-only rules: only the largest award among them counts.
    BestOnly,
    /// Applies, and no lower-priority rule is evaluated.
    Stop,
}

impl Stacking {
    pub const ALL: [Stacking; 3] = [Stacking::Stack, Stacking::BestOnly, Stacking::Stop];

    pub fn as_str(self) -> &'static str {
        match self {
            Stacking::Stack => "stack",
            Stacking::BestOnly => "best_only",
            Stacking::Stop => "stop",
        }
    }

    /// Shown in the admin list and form (in English; `label_in` for the page's language).
    pub fn label(self) -> &'static str {
        self.label_in(Lang::ENGLISH)
    }

    /// Shown in the admin list and form.
    pub fn label_in(self, lang: Lang) -> &'static str {
        let l = lang.locale;
        match self {
            Stacking::Stack => td_string!(l, offers.rules.stacking.stack),
            Stacking::BestOnly => td_string!(l, offers.rules.stacking.best_only),
            Stacking::Stop => td_string!(l, offers.rules.stacking.stop),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// When a rule applies. Every list left empty means "no restriction".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RuleConditions {
    /// Event types ("purchase", "review", a custom type...); empty = purchases only.
    pub event_types: Vec<String>,
    pub channels: Vec<Channel>,
    pub stores: Vec<String>,
    pub include_skus: Vec<String>,
    pub exclude_skus: Vec<String>,
    pub include_categories: Vec<String>,
    pub exclude_categories: Vec<String>,
    pub include_tags: Vec<String>,
    pub exclude_tags: Vec<String>,
    /// Order total at least this, in minor units.
    pub min_order_minor: Option<i64>,
    pub tier_ids: Vec<i64>,
    pub segment_ids: Vec<i64>,
    /// 1 = Monday .. 7 = Sunday, local (the event's store's zone, else the program's).
    pub weekdays: Vec<u8>,
    /// Minutes of the local day; the window wraps midnight when from > to.
    pub time_from_min: Option<u16>,
    pub time_to_min: Option<u16>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub starts_at: Option<Timestamp>,
    /// Exclusive.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>))]
    pub ends_at: Option<Timestamp>,
    /// A campaign's rule: only the members its variant's buckets hold (`domain::campaigns`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_arm: Option<crate::domain::campaigns::ArmRange>,
}

/// What a matching rule gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleEffect {
    /// Points per whole currency unit of the eligible amount.
    PointsPerUnit {
        points_per_unit: i64,
    },
    FixedPoints {
        points: i64,
    },
    /// Multiplies what was earned before it (base and higher-priority rules): 200 = double.
    /// The rule's own points are the extra: 120 earned so far at 200 gives +120.
    Multiplier {
        pct: i64,
    },
    /// Points per unit of quantity of each eligible line.
    PerItem {
        points: i64,
    },
}

/// Limits on what one rule gives; `None` = no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RuleCaps {
    pub per_event: Option<i64>,
    /// Per member and local day: the event's store's zone, else the program's.
    pub per_member_day: Option<i64>,
    /// Per member and local calendar month.
    pub per_member_month: Option<i64>,
    /// How many times a member may have it, ever (a campaign's once-only bonus: 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_member_awards: Option<i64>,
}

/// One earning rule of a program, as the admin configured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EarningRule {
    pub id: i64,
    pub program_id: ProgramId,
    pub name: String,
    /// Higher runs first; ties by id.
    pub priority: i64,
    pub stacking: Stacking,
    pub active: bool,
    pub conditions: RuleConditions,
    pub effect: RuleEffect,
    pub caps: RuleCaps,
    /// Campaign budget in points; never exceeded.
    pub budget_points: Option<i64>,
    pub budget_used: i64,
    /// A campaign's variant rule: the rule whose budget it shares (the campaign's first rule
    /// keeps the budget in its slots). None: its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_rule_id: Option<i64>,
}

impl EarningRule {
    /// The rule whose budget slots this one charges.
    pub fn budget_owner(&self) -> i64 {
        self.budget_rule_id.unwrap_or(self.id)
    }
}

impl EarningRule {
    /// A new active rule that stacks with the others, without a budget (set up in code: the
    /// demo brands and the generated one).
    pub fn stacking(
        program_id: ProgramId,
        name: &str,
        priority: i64,
        effect: RuleEffect,
        conditions: RuleConditions,
        caps: RuleCaps,
    ) -> Self {
        EarningRule {
            budget_rule_id: None,
            id: 0,
            program_id,
            name: name.into(),
            priority,
            stacking: Stacking::Stack,
            active: true,
            conditions,
            effect,
            caps,
            budget_points: None,
            budget_used: 0,
        }
    }
}

/// One line of an order; rules filter lines by SKU, category and tag. Unknown fields are
/// refused: a misspelt "categories" would otherwise make category rules silently miss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// 1 to 64 characters, not only spaces.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 64, pattern = r"\S"))]
    pub sku: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 64))]
    pub category: Option<String>,
    /// Up to 20 tags of up to 64 characters each.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_items = 20))]
    pub tags: Vec<String>,
    /// 1 to 100,000.
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 100_000))]
    pub quantity: i64,
    /// Line total in minor units, up to 1,000,000.00.
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 100_000_000))]
    pub amount_minor: i64,
}

/// An event as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarnEvent {
    pub event_type: String,
    pub channel: Channel,
    #[serde(default)]
    pub store: Option<String>,
    /// 0 for non-purchase events.
    pub amount_minor: i64,
    #[serde(default)]
    pub lines: Vec<OrderLine>,
    pub occurred_at: Timestamp,
    /// Local time minus UTC at `occurred_at`, in seconds, in the zone of the event's store,
    /// else the program's: rules' days and hours are local. Set by the booking from the
    /// program's setup.
    #[serde(default)]
    pub utc_offset_secs: i32,
}

/// The member as the engine sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberContext {
    pub tier_id: Option<i64>,
    pub tier_name: Option<String>,
    /// 100 = no bonus, 150 = x1.5.
    pub tier_multiplier_pct: i64,
    pub segment_ids: Vec<i64>,
    /// The membership, for campaign arms (0 when none is known, e.g. a dry run).
    #[serde(default)]
    pub membership_id: i64,
}

/// A member without tier or segments. Written by hand because a derived default would set the
/// multiplier to 0 and earn nothing.
impl Default for MemberContext {
    fn default() -> Self {
        Self {
            tier_id: None,
            tier_name: None,
            tier_multiplier_pct: 100,
            segment_ids: Vec::new(),
            membership_id: 0,
        }
    }
}

/// The program's base earn rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramEarning {
    pub points_per_unit: i64,
    pub minor_per_unit: i64,
    pub currency_code: String,
    pub currency_name: String,
}

/// Points a member already got from a rule in the event's local day and month (`CapPeriod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleUsage {
    pub rule_id: i64,
    pub member_day: i64,
    pub member_month: i64,
    /// Awards ever (read only for rules capped in awards per member).
    #[serde(default)]
    pub member_awards: i64,
}

/// One rule's part in an award, matched or not, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AwardLine {
    /// None for the program's base rate.
    pub rule_id: Option<i64>,
    pub rule_name: String,
    pub matched: bool,
    pub points: i64,
    pub explanation: String,
}

/// What an event earns and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Award {
    pub total: i64,
    pub lines: Vec<AwardLine>,
    /// "340 Stars: base 120, Double weekend +120, Coffee bonus +100".
    pub summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_wire_format() {
        let effect: RuleEffect =
            serde_json::from_str(r#"{"kind":"points_per_unit","points_per_unit":2}"#).unwrap();
        assert_eq!(effect, RuleEffect::PointsPerUnit { points_per_unit: 2 });
        assert_eq!(
            serde_json::to_string(&RuleEffect::Multiplier { pct: 200 }).unwrap(),
            r#"{"kind":"multiplier","pct":200}"#
        );
        assert_eq!(
            serde_json::to_string(&Stacking::BestOnly).unwrap(),
            r#""best_only""#
        );
        assert_eq!(serde_json::to_string(&Channel::Web).unwrap(), r#""web""#);
        let c: RuleConditions = serde_json::from_str(r#"{"channels":["store"],"weekdays":[6,7]}"#).unwrap();
        assert_eq!(c.channels, vec![Channel::Store]);
        assert!(c.event_types.is_empty() && c.min_order_minor.is_none());
        let caps: RuleCaps = serde_json::from_str("{}").unwrap();
        assert_eq!(caps, RuleCaps::default());
    }

    #[test]
    fn rules_names_parse_back() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for s in Stacking::ALL {
            assert_eq!(Stacking::parse(s.as_str()), Some(s));
        }
        assert_eq!(Channel::parse("Store"), None);
        assert_eq!(MemberContext::default().tier_multiplier_pct, 100);
    }

    #[test]
    fn rules_labels_in_both_languages() {
        for c in Channel::ALL {
            assert_eq!(c.label(Lang::ENGLISH), c.as_str());
            assert_ne!(c.label(Lang::ARABIC), c.as_str());
        }
        assert_eq!(Stacking::BestOnly.label(), "Best of its kind only");
        for (kind, label) in EFFECT_KINDS {
            assert_eq!(effect_kind_label(kind, Lang::ENGLISH), *label);
            assert_ne!(effect_kind_label(kind, Lang::ARABIC), *label);
        }
    }
}

/// The rule form as typed: every value a string (or ticked boxes), so the server can say
/// exactly which field is wrong. Lists are comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    pub id: Option<i64>,
    pub program_id: ProgramId,
    pub name: String,
    pub priority: String,
    pub stacking: String,
    /// "yes" or "no".
    #[serde(default)]
    pub active: String,
    #[serde(default)]
    pub event_types: String,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub stores: String,
    #[serde(default)]
    pub include_skus: String,
    #[serde(default)]
    pub exclude_skus: String,
    #[serde(default)]
    pub include_categories: String,
    #[serde(default)]
    pub exclude_categories: String,
    #[serde(default)]
    pub include_tags: String,
    #[serde(default)]
    pub exclude_tags: String,
    #[serde(default)]
    pub min_order: String,
    #[serde(default)]
    pub tier_ids: Vec<String>,
    #[serde(default)]
    pub segment_ids: Vec<String>,
    #[serde(default)]
    pub weekdays: Vec<String>,
    /// "HH:MM", local.
    #[serde(default)]
    pub time_from: String,
    #[serde(default)]
    pub time_to: String,
    /// "YYYY-MM-DD", UTC days; the end day is included.
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    /// points_per_unit | fixed_points | multiplier | per_item
    pub effect_kind: String,
    /// Points, or the multiplier as "2" / "1.5" for multipliers.
    pub effect_value: String,
    #[serde(default)]
    pub cap_per_event: String,
    #[serde(default)]
    pub cap_per_day: String,
    #[serde(default)]
    pub cap_per_month: String,
    #[serde(default)]
    pub budget: String,
}

/// Effects the form offers, with labels (in English; `effect_kind_label` for the page's
/// language).
pub const EFFECT_KINDS: &[(&str, &str)] = &[
    ("points_per_unit", "Points per currency unit"),
    ("fixed_points", "Fixed points"),
    ("multiplier", "Multiplier of what was earned"),
    ("per_item", "Points per item"),
];

/// The label of one of `EFFECT_KINDS` in `lang`; an unknown kind is shown as it is.
pub fn effect_kind_label(kind: &str, lang: Lang) -> &str {
    let l = lang.locale;
    match kind {
        "points_per_unit" => td_string!(l, offers.rules.effect.points_per_unit),
        "fixed_points" => td_string!(l, offers.rules.effect.fixed_points),
        "multiplier" => td_string!(l, offers.rules.effect.multiplier),
        "per_item" => td_string!(l, offers.rules.effect.per_item),
        other => other,
    }
}

/// A dry run asked for on the admin page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewInput {
    pub program_id: ProgramId,
    pub event_type: String,
    pub channel: String,
    /// As typed, e.g. "12.50".
    #[serde(default)]
    pub amount: String,
}
