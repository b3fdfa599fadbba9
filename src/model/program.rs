//! Programs and tiers: what an admin configures and everyone else reads.

use crate::model::ids::ProgramId;
use serde::{Deserialize, Serialize};

use super::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Program {
    pub id: ProgramId,
    pub name: String,
    /// What the points are called, e.g. "Stars".
    pub currency_name: String,
    /// ISO 4217 code of the money purchases are made in, e.g. "EUR".
    pub currency_code: String,
    /// Value of one point in minor units of `currency_code` (1 = one cent per point).
    pub point_value_minor: i64,
    /// Points earned per whole currency unit spent, before the tier multiplier.
    pub points_per_unit: i64,
    /// Inactive programs accept no new earnings or redemptions.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "DbFlag"))]
    pub active: bool,
    /// "none", "fixed" (points expire `expiry_months` after earning) or "inactivity" (all
    /// points expire `expiry_months` after the member's last earn or spend).
    pub expiry_mode: String,
    pub expiry_months: i64,
    /// Purchase points are held this many days (the return window) before they can be spent.
    pub pending_days: i64,
    /// Whether a return may take a balance below zero.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "DbFlag"))]
    pub allow_negative: bool,
    /// "lifetime", "calendar_year" or "rolling_12m": over which period tiers qualify.
    pub tier_window: String,
    /// "points" or "spend": what counts towards a tier.
    pub tier_basis: String,
    /// When downgrades happen: "continuous", "monthly" or "yearly" (`TIER_REVIEWS`).
    pub tier_review: String,
    /// The last scheduled review of the tiers (epoch seconds), if any.
    pub tiers_reviewed_at: Option<i64>,
    /// The most points staff or a channel may adjust by hand at once; above it an admin
    /// approves. None: no limit below the absolute 10,000,000.
    pub adjust_limit: Option<i64>,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "i64"))]
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Tier {
    pub id: i64,
    pub program_id: ProgramId,
    pub name: String,
    /// Lifetime points needed to reach this tier.
    pub threshold_points: i64,
    /// Earn multiplier in percent: 100 = x1, 150 = x1.5.
    pub multiplier_pct: i64,
}

/// Expiry policies a program can choose, with their labels.
pub const EXPIRY_MODES: &[(&str, &str)] = &[
    ("none", "Points never expire"),
    ("fixed", "Months after earning"),
    ("inactivity", "Months without activity"),
];

/// A 0/1 column read as a bool (SQLite has no boolean type; both backends store BIGINT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
pub struct DbFlag(pub i64);

impl From<DbFlag> for bool {
    fn from(f: DbFlag) -> bool {
        f.0 != 0
    }
}

/// A program with its tiers in ascending threshold order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramDetail {
    pub program: Program,
    pub tiers: Vec<Tier>,
}

/// The program form as typed: strings, so the server can say exactly what is wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramInput {
    /// Absent when creating.
    #[serde(default)]
    pub id: Option<ProgramId>,
    pub name: String,
    pub currency_name: String,
    pub currency_code: String,
    pub point_value_minor: String,
    pub points_per_unit: String,
    #[serde(default)]
    pub expiry_mode: String,
    #[serde(default)]
    pub expiry_months: String,
    #[serde(default)]
    pub pending_days: String,
    #[serde(default)]
    pub tier_window: String,
    #[serde(default)]
    pub tier_basis: String,
    #[serde(default)]
    pub tier_review: String,
    /// "yes" or "no"; absent keeps the current setting ("no" for a new program).
    #[serde(default)]
    pub allow_negative: Option<String>,
    /// "yes" (active) or "no" (paused); absent keeps the current setting (new programs start active).
    #[serde(default)]
    pub active: Option<String>,
    /// Largest adjustment without an admin's approval, in points; empty for no limit.
    #[serde(default)]
    pub adjust_limit: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierInput {
    #[serde(default)]
    pub id: Option<i64>,
    pub program_id: ProgramId,
    pub name: String,
    pub threshold_points: String,
    /// As typed: "1.5" or "1,5" or "150%".
    pub multiplier: String,
}

/// Formats a percent multiplier as people say it: 150 -> "x1.5".
pub fn multiplier_label(pct: i64) -> String {
    let whole = pct / 100;
    let frac = pct % 100;
    if frac == 0 {
        format!("x{whole}")
    } else if frac % 10 == 0 {
        format!("x{whole}.{}", frac / 10)
    } else {
        format!("x{whole}.{frac:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplier_labels() {
        assert_eq!(multiplier_label(100), "x1");
        assert_eq!(multiplier_label(150), "x1.5");
        assert_eq!(multiplier_label(125), "x1.25");
        assert_eq!(multiplier_label(205), "x2.05");
    }
}
