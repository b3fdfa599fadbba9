//! Surveys: the NPS question a program asks its members, their answers, and what the
//! Satisfaction dashboard shows of them.

use serde::{Deserialize, Serialize};

use super::ids::ProgramId;
use super::time::Timestamp;

vocabulary! {
    /// How often a member may answer a survey: each answer belongs to a period (UTC).
    pub enum Frequency {
        Once = "once",
        Month = "month",
        Quarter = "quarter",
        Year = "year",
    }
}

/// A survey as Manage lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    pub id: i64,
    pub program_id: ProgramId,
    pub program_name: String,
    /// As the manager wrote it; empty: the standard NPS question, in the member's language.
    pub question: String,
    pub frequency: Frequency,
    pub active: bool,
    pub created_at: Timestamp,
    pub answers: i64,
}

/// A survey to open, as typed in Manage (a field left out is empty, and refused as such).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SurveyInput {
    pub program_id: String,
    #[serde(default)]
    pub question: String,
    pub frequency: String,
}

/// A survey a member can answer now (open, in one of their programs, not yet answered in
/// this period).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyOffer {
    pub survey_id: i64,
    pub program_id: ProgramId,
    pub program_name: String,
    pub question: String,
}

/// Answers counted as NPS counts them: promoters 9-10, passives 7-8, detractors 0-6.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpsCounts {
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
}

impl NpsCounts {
    /// Counts one answer of `score` (0-10).
    pub fn add(&mut self, score: i64, count: i64) {
        match score {
            9.. => self.promoters += count,
            7..=8 => self.passives += count,
            _ => self.detractors += count,
        }
    }

    pub fn answers(&self) -> i64 {
        self.promoters + self.passives + self.detractors
    }

    /// Promoters less detractors, in percent of the answers; None without answers.
    pub fn score(&self) -> Option<f64> {
        crate::domain::kpi::nps(self.promoters, self.passives, self.detractors)
    }
}

/// The answers of one group: a period, a channel or a tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpsRow {
    /// A period ("2026-12", "2026-W49"), a channel's wire name or a tier's name.
    pub key: String,
    pub counts: NpsCounts,
}

/// An answer with a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyComment {
    pub answered_at: Timestamp,
    pub program_name: String,
    pub score: i64,
    pub channel: String,
    pub tier: Option<String>,
    pub comment: String,
}

/// The Satisfaction dashboard of a range and filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionReport {
    pub from: String,
    pub to: String,
    pub compare_from: Option<String>,
    pub compare_to: Option<String>,
    pub counts: NpsCounts,
    pub previous: Option<NpsCounts>,
    /// "month" or "week": what each row of `series` is.
    pub grain: String,
    pub series: Vec<NpsRow>,
    pub series_svg: String,
    pub by_channel: Vec<NpsRow>,
    pub by_tier: Vec<NpsRow>,
    /// The newest comments of the range (at most `COMMENTS_SHOWN`).
    pub comments: Vec<SurveyComment>,
    /// All answers of the range with a comment.
    pub comments_total: i64,
}

/// How many comments the dashboard lists.
pub const COMMENTS_SHOWN: i64 = 100;
