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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightsReport {
    pub from: String,
    pub to: String,
    pub program_id: Option<ProgramId>,
    pub enrollments: DailySeries,
    pub points_issued: DailySeries,
    /// Charts drawn on the server by charts-rs, as SVG markup.
    pub enrollments_svg: String,
    pub points_svg: String,
    /// (id, name) of every program, for the filter.
    pub programs: Vec<(ProgramId, String)>,
}
