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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightsQuery {
    pub from: String,
    pub to: String,
    pub program: i64,
    pub channel: String,
    pub store: i64,
    pub tier: i64,
    pub compare: String,
    pub rate: String,
}
