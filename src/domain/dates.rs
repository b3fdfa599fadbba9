//! Date ranges chosen on the Insights page.

use crate::domain::lang::current;
use crate::i18n::td_string;
use chrono::NaiveDate;

use crate::error::count;

/// The longest range a chart shows, in days; longer ranges would be unreadable as daily bars.
pub const MAX_RANGE_DAYS: i64 = 366;

/// Parses "YYYY-MM-DD" bounds (inclusive). Empty bounds default to the 30 days ending `today`.
pub fn parse_range(
    from: &str,
    to: &str,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), (&'static str, String)> {
    let parse = |field: &'static str, s: &str| {
        NaiveDate::parse_from_str(super::validate::typed_number(s).trim(), "%Y-%m-%d")
            .map_err(|_| (field, super::validate::date_like("2026-11-23")))
    };
    let to = if to.trim().is_empty() {
        today
    } else {
        parse("to", to)?
    };
    let from = if from.trim().is_empty() {
        to - chrono::Duration::days(29)
    } else {
        parse("from", from)?
    };
    if from > to {
        return Err((
            "from",
            td_string!(current().locale, errors.dates.start_after_end).into(),
        ));
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        let lang = current();
        return Err((
            "from",
            td_string!(
                lang.locale,
                errors.dates.at_most_days,
                n = count(lang, MAX_RANGE_DAYS)
            )
            .to_string(),
        ));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn defaults_to_last_thirty_days() {
        assert_eq!(
            parse_range("", "", d("2026-11-23")),
            Ok((d("2026-10-25"), d("2026-11-23")))
        );
    }

    #[test]
    fn rejects_bad_ranges() {
        let today = d("2026-11-23");
        assert_eq!(parse_range("2026-13-01", "", today).unwrap_err().0, "from");
        assert_eq!(
            parse_range("2026-11-20", "2026-11-01", today).unwrap_err().0,
            "from"
        );
        assert!(parse_range("2020-01-01", "2026-01-01", today).is_err());
        assert_eq!(
            parse_range("2026-11-01", "2026-11-01", today),
            Ok((d("2026-11-01"), d("2026-11-01")))
        );
    }
}
