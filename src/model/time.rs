//! Instants on the wire and in the database: whole seconds since the Unix epoch, always UTC.
//! Stored as BIGINT so the same SQL works on SQLite and PostgreSQL.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Timestamp(pub i64);

pub const SECONDS_PER_DAY: i64 = 86_400;

impl Timestamp {
    pub fn now() -> Self {
        Self(Utc::now().timestamp())
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.0, 0).unwrap_or_default()
    }

    /// The UTC calendar day this instant falls on.
    pub fn date(self) -> NaiveDate {
        self.to_datetime().date_naive()
    }

    /// Start of a UTC day as a timestamp.
    pub fn start_of(day: NaiveDate) -> Self {
        Self(
            day.and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc().timestamp())
                .unwrap_or(0),
        )
    }

    /// "2026-11-23 14:05 UTC": explicit about the zone, since members and staff may be anywhere.
    pub fn display(self) -> String {
        self.to_datetime().format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

impl From<i64> for Timestamp {
    fn from(secs: i64) -> Self {
        Self(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_boundaries_are_utc() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let start = Timestamp::start_of(day);
        assert_eq!(start.0 % SECONDS_PER_DAY, 0);
        assert_eq!(start.date(), day);
        assert_eq!(Timestamp(start.0 - 1).date(), day.pred_opt().unwrap());
        assert_eq!(start.display(), "2026-11-23 00:00 UTC");
    }
}
