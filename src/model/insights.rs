//! KPI series for the Insights surface.

use crate::model::ids::ProgramId;
use serde::{Deserialize, Serialize};

/// One value per UTC day, zero-filled over the chosen range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySeries {
    /// ISO dates, "2026-11-23".
    pub days: Vec<String>,
    pub values: Vec<i64>,
}

impl DailySeries {
    pub fn total(&self) -> i64 {
        self.values.iter().sum()
    }

    /// (day, value) pairs, for the table and CSV beside a chart.
    pub fn rows(&self) -> Vec<(String, i64)> {
        self.days
            .iter()
            .cloned()
            .zip(self.values.iter().copied())
            .collect()
    }
}

/// Points issued by one program in the range, in that program's unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramPoints {
    pub program_id: ProgramId,
    pub name: String,
    /// What the program calls its points ("Stars").
    pub unit: String,
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightsReport {
    pub from: String,
    pub to: String,
    pub program_id: Option<ProgramId>,
    /// People who first joined on each day (counted once however many programs they joined).
    pub enrollments: DailySeries,
    /// Points issued per day: only for one program (programs' points are different units).
    pub points_issued: Option<DailySeries>,
    /// Points issued in the range, by program, each in its own unit.
    pub points_by_program: Vec<ProgramPoints>,
    /// Charts drawn on the server by charts-rs, as SVG markup.
    pub enrollments_svg: String,
    pub points_svg: Option<String>,
    pub overview: Overview,
}

/// How a KPI's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// A whole count (members, orders).
    Count,
    /// Points in the program's unit.
    Points,
    /// Money in minor units of the program's currency.
    Money,
    /// A fraction shown as a percentage.
    Share,
    /// A plain number with one decimal (orders per buyer).
    Decimal,
    /// A score shown whole, possibly negative (NPS, -100 to 100).
    Score,
}

/// One KPI of a period, with the comparison period's value when one was chosen. `key`
/// names it in the catalogue (label and definition) and in tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    pub key: String,
    pub unit: Unit,
    /// None when it has no value (a rate of nothing).
    pub value: Option<f64>,
    pub previous: Option<f64>,
}

/// What is being looked at: a program (0: all), and optionally one channel, store or tier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub program_id: i64,
    pub channel: Option<String>,
    pub store_id: Option<i64>,
    pub tier_id: Option<i64>,
}

/// The program a report is about: its units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramUnits {
    pub id: ProgramId,
    pub name: String,
    pub unit: String,
    pub currency_code: String,
    pub point_value_minor: i64,
}

/// The points' share of revenue deferred under IFRS 15, at the end of the period, in
/// minor units of the program's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ifrs15 {
    /// The expected redemption rate used (as chosen, else as observed).
    pub rate: f64,
    /// Redeemed / (redeemed + expired) over the program's life.
    pub observed_rate: f64,
    pub allocated_minor: i64,
    pub recognised_minor: i64,
    pub deferred_minor: i64,
}

/// Filter choices: stores and (for one program) tiers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterOptions {
    pub programs: Vec<(ProgramId, String)>,
    pub stores: Vec<(i64, String)>,
    pub tiers: Vec<(i64, String)>,
}

/// The Overview dashboard: members, points and money in a period (and a comparison one),
/// from the rollups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub from: String,
    pub to: String,
    /// The comparison period, when one was chosen.
    pub compare_from: Option<String>,
    pub compare_to: Option<String>,
    pub scope: Scope,
    /// The program, when one was chosen (points and money only then: units differ).
    pub program: Option<ProgramUnits>,
    pub members: Vec<Kpi>,
    pub points: Vec<Kpi>,
    pub money: Vec<Kpi>,
    pub ifrs15: Option<Ifrs15>,
    /// Members active (bought or redeemed) per day.
    pub active: DailySeries,
    pub active_svg: String,
    /// Net sales per day, in minor units (one program).
    pub sales: Option<DailySeries>,
    pub sales_svg: Option<String>,
    /// Queued bookings not yet in the figures (a bulk import being folded).
    pub backlog: i64,
}

/// What an analyst asked Insights for, as the filter form sends it: ISO dates (empty: the
/// last 30 days), a program (0: all), a channel ('store', 'web', 'app'; empty: all), a store
/// and a tier (0: all), a comparison ('previous', 'year'; empty: none) and the IFRS 15
/// expected redemption rate in percent (empty: as observed).
/// Fields left out are empty, as an empty filter is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InsightsQuery {
    pub from: String,
    pub to: String,
    /// Ids as typed in the query string: empty for all, checked by the server.
    pub program: String,
    pub channel: String,
    pub store: String,
    pub tier: String,
    pub compare: String,
    pub rate: String,
}

/// BG/NBD and Gamma-Gamma as fitted, in weeks and minor units of the program's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClvModel {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    pub bg_log_likelihood: f64,
    /// None when Gamma-Gamma could not be fitted (spend is then not predicted).
    pub p: Option<f64>,
    pub q: Option<f64>,
    pub gamma: Option<f64>,
    pub gg_log_likelihood: Option<f64>,
    /// When Gamma-Gamma did not converge: the average spend of all repeat purchases, in minor
    /// units, which stands in for every member's expected spend per purchase (the model's
    /// limit as q grows without bound, where members' spend differs too little to tell them
    /// apart). None when Gamma-Gamma was fitted.
    #[serde(default)]
    pub pooled_spend_minor: Option<f64>,
}

/// Fit quality: members grouped by repeat purchases in the calibration period, with their
/// average repeat purchases in the holdout weeks after it, actual and predicted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutRow {
    /// Repeat purchases in calibration; the last row is "this many or more".
    pub x: u32,
    pub members: u64,
    pub actual: f64,
    pub predicted: f64,
}

/// Value by current tier (the entry tier, or none, for members without one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierValue {
    pub tier: String,
    pub members: u64,
    /// Averages per member, in minor units.
    pub historical_minor: i64,
    pub predicted_minor: i64,
}

/// A program's customer value as of its last fit (fitted once a day by the jobs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerValue {
    pub program_id: ProgramId,
    pub fitted_at: i64,
    /// Members who bought at least once (the models' customers), and those who bought on
    /// more than one day.
    pub customers: u64,
    pub repeat_buyers: u64,
    pub model: Option<ClvModel>,
    /// Why there is no model (or no spend model): a catalogue key, "clv_too_little" ...
    pub problem: Option<String>,
    pub horizon_months: u32,
    pub monthly_discount: f64,
    pub holdout_weeks: u32,
    pub holdout: Vec<HoldoutRow>,
    pub tiers: Vec<TierValue>,
    /// Per member who bought: net spend so far and predicted value over the horizon.
    pub avg_historical_minor: i64,
    pub avg_predicted_minor: i64,
    /// Orders / buyers and net sales / orders over the members' whole history.
    pub orders_per_buyer: f64,
    pub aov_minor: i64,
    /// Members who bought on more than one day / members who bought.
    pub repeat_rate: f64,
    /// Seconds the fit took.
    pub seconds: f64,
}

/// A valuable member who may be slipping away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtRisk {
    pub member_id: i64,
    pub name: String,
    pub p_alive: f64,
    pub historical_minor: i64,
    pub clv_minor: i64,
    /// ISO day of the last purchase.
    pub last_purchase: String,
}

/// The Customer value page: the last fit, the members at risk, charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueReport {
    pub program: Option<ProgramUnits>,
    pub value: Option<CustomerValue>,
    pub at_risk: Vec<AtRisk>,
    pub holdout_svg: Option<String>,
}

/// One enrolment cohort: the people who joined in a month, and how many of them were active
/// (bought or redeemed) in each month since, the month they joined first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cohort {
    /// "2026-06".
    pub month: String,
    pub size: u64,
    /// Active members of the cohort in its month 0, 1, 2, ... (up to the range's last month).
    pub active: Vec<u64>,
}

/// The Retention page: monthly enrolment cohorts and churn in the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionReport {
    pub from: String,
    pub to: String,
    pub cohorts: Vec<Cohort>,
    /// The range ends inside a month: its cells count the days so far, and the curve leaves
    /// it out.
    pub partial: bool,
    /// Average share of a cohort active in its month k, weighted by cohort size, k = 0, 1, ...
    pub curve: Vec<Option<f64>>,
    pub curve_svg: String,
    /// The period just before the range, of the same length.
    pub before_from: String,
    pub before_to: String,
    /// Members active in the period before.
    pub active_before: u64,
    /// Of those, active again in the range.
    pub returning: u64,
    /// Members active in the range.
    pub active_now: u64,
}

/// What happened in one channel or store over a range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRow {
    /// A channel's wire name, or a store's id ("" for orders without a store).
    pub key: String,
    /// The store's name (channels are named by the page).
    pub name: String,
    /// Members who bought there.
    pub buyers: u64,
    pub orders: i64,
    pub sales_minor: i64,
    pub refunds_minor: i64,
    pub net_sales_minor: i64,
    /// Points members earned there, and redeemed there (gross: what a released reward gives
    /// back is booked by the system, in no channel).
    pub issued: i64,
    pub redeemed: i64,
}

/// Members of one kind (buying in one channel, or in several) and what they are worth so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupValue {
    pub members: u64,
    /// Average net spend per member over their whole history with the program.
    pub spend_minor: i64,
    /// Average orders per member over their whole history.
    pub orders: f64,
}

/// The Channels and stores page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelsReport {
    pub from: String,
    pub to: String,
    pub program: Option<ProgramUnits>,
    pub channels: Vec<ChannelRow>,
    pub stores: Vec<ChannelRow>,
    /// Members who bought in the range, anywhere; of them, those who bought in two or more
    /// channels in the range.
    pub buyers: u64,
    pub multi: u64,
    /// For one program: the range's multi-channel and single-channel buyers' value so far.
    pub multi_value: Option<GroupValue>,
    pub single_value: Option<GroupValue>,
    pub svg: String,
}

/// A channel's name as the Insights pages write it ("Stores", "Web shop", "App").
pub fn channel_label(l: crate::i18n::Locale, channel: &str) -> String {
    use crate::i18n::td_string;
    match channel {
        "store" => td_string!(l, insights.channel_store).to_string(),
        "web" => td_string!(l, insights.channel_web).to_string(),
        "app" => td_string!(l, insights.channel_app).to_string(),
        other => other.to_string(),
    }
}

/// A tier of the Tiers page (0: members without a tier), with what its members did in the
/// range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRow {
    pub tier_id: i64,
    /// Its name; empty for a tier since deleted (the page says so).
    pub name: String,
    /// Memberships in the tier at the end of the day before the range, and at its end.
    pub members_before: i64,
    pub members: i64,
    /// Memberships that moved into it in the range, and out of it.
    pub moved_in: i64,
    pub moved_out: i64,
    /// What its members did in the range, filed under the tier they were in when they did it
    /// (buyers are not kept for "no tier").
    pub buyers: Option<u64>,
    pub orders: i64,
    pub net_sales_minor: i64,
    pub issued: i64,
    pub redeemed: i64,
}

/// Memberships that moved from one tier to another in the range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierMove {
    pub from_id: i64,
    pub to_id: i64,
    pub up: bool,
    pub count: i64,
}

/// The Tiers page of one program.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TiersReport {
    pub from: String,
    pub to: String,
    /// None when no program was chosen (tiers are a program's own).
    pub program: Option<ProgramUnits>,
    /// Lowest tier first, "no tier" before them, deleted tiers after.
    pub tiers: Vec<TierRow>,
    /// ISO weeks or months of the range, and the memberships in each tier (as `tiers`) at
    /// the end of each.
    pub periods: Vec<String>,
    pub counts: Vec<Vec<i64>>,
    pub moves: Vec<TierMove>,
    pub upgrades: i64,
    pub downgrades: i64,
    pub svg: String,
}

/// One reward's redemptions over a range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardRow {
    pub reward_id: i64,
    pub name: String,
    /// The reward's kind (wire name) and program (its points are in that program's unit).
    pub kind: String,
    pub program_id: i64,
    pub redeemed: RewardTotals,
    /// Stock left now (None: unlimited), and pool codes left for a reward that uses a pool.
    pub stock_left: Option<i64>,
    pub pool_left: Option<i64>,
}

/// Redemptions over a range (of a reward, or all): reserved and given-back ones are not
/// counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardTotals {
    /// Rewards redeemed, by how many people; of those, used and expired unused so far.
    pub redemptions: i64,
    pub redeemers: i64,
    pub used: i64,
    pub expired: i64,
    /// Points spent on them, and those points at the program's point value (minor units).
    pub points: i64,
    pub points_value_minor: i64,
    /// Money face value handed out (fixed discounts, gift cards, points payments), minor units.
    pub face_value_minor: i64,
}

/// The Rewards page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RewardsReport {
    pub from: String,
    pub to: String,
    pub compare_from: Option<String>,
    pub compare_to: Option<String>,
    pub program: Option<ProgramUnits>,
    pub rewards: Vec<RewardRow>,
    pub totals: RewardTotals,
    pub previous: Option<RewardTotals>,
    pub svg: String,
}

/// A tier's name as the Insights pages write it: "No tier" for 0, "Deleted tier 7" for a
/// tier since deleted.
pub fn tier_label(l: crate::i18n::Locale, tier_id: i64, name: &str) -> String {
    use crate::i18n::td_string;
    match (tier_id, name) {
        (0, _) => td_string!(l, insights.no_tier).to_string(),
        (id, "") => td_string!(l, insights.deleted_tier, id = id.to_string()).to_string(),
        (_, name) => name.to_string(),
    }
}
