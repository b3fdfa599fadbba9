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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}
