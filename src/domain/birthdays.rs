//! Birthdays: which dates of birth to celebrate on a given day. The award job looks back a
//! few days, so a day the server was down is caught up; the award itself books once per
//! UTC year. A 29 February birthday is celebrated on 28 February in other years.

use crate::domain::lang::current;
use crate::i18n::td_string;
use chrono::{Datelike, NaiveDate};

/// How many days back the job still awards a birthday it missed.
pub const CATCH_UP_DAYS: i64 = 7;

/// The birthday dates ("MM-DD" of the date of birth) that fall on `day`.
pub fn birthdays_on(day: NaiveDate) -> Vec<String> {
    let mut out = vec![format!("{:02}-{:02}", day.month(), day.day())];
    let leap = NaiveDate::from_ymd_opt(day.year(), 2, 29).is_some();
    if !leap && day.month() == 2 && day.day() == 28 {
        out.push("02-29".into());
    }
    out
}

/// The days whose birthdays are still due on `today`, newest first.
pub fn due_days(today: NaiveDate) -> Vec<NaiveDate> {
    (0..CATCH_UP_DAYS)
        .filter_map(|n| today.checked_sub_signed(chrono::Duration::days(n)))
        .collect()
}

/// A date of birth as typed ("YYYY-MM-DD", the date input's format); empty means none.
/// Refuses dates in the future and more than 120 years ago.
pub fn parse_birth_date(input: &str, today: NaiveDate) -> Result<Option<String>, String> {
    let typed = super::validate::typed_number(input);
    let t = typed.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let lang = current();
    let date = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
        td_string!(
            lang.locale,
            errors.birthdays.date_format,
            example = lang.digits_of("1990-04-21")
        )
        .to_string()
    })?;
    if date > today {
        return Err(td_string!(lang.locale, errors.birthdays.in_future).into());
    }
    if today.year() - date.year() > 120 {
        return Err(td_string!(lang.locale, errors.birthdays.check_year).into());
    }
    Ok(Some(date.format("%Y-%m-%d").to_string()))
}

/// How long before a birthday its date must be on file to be celebrated that year.
pub const LEAD_DAYS: i64 = 30;

/// The least time between two birthday awards of one membership: a year, less the catch-up
/// week and some slack. (Awards are also once per calendar year.)
pub const MIN_DAYS_BETWEEN: i64 = 300;

/// Whether a birthday on the day starting at `day_starts_at` is celebrated for a date of
/// birth given (or last changed) at `set_at`, the last birthday award having been booked at
/// `last_award`: only a date on file `LEAD_DAYS` before (a date typed, or changed, shortly
/// before or on the day waits for next year), and never twice within `MIN_DAYS_BETWEEN`
/// (a date moved past the new year cannot pay again five weeks later). Nobody collects the
/// award on demand. Dates given before this was recorded (`set_at` None) count.
pub fn celebrated(set_at: Option<i64>, day_starts_at: i64, last_award: Option<i64>) -> bool {
    set_at.is_none_or(|t| t <= day_starts_at - LEAD_DAYS * 86_400)
        && last_award.is_none_or(|t| t <= day_starts_at - MIN_DAYS_BETWEEN * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_birthdays_on_file_a_month_before_are_celebrated() {
        let day = 86_400;
        let starts = 1_767_225_600;
        assert!(celebrated(None, starts, None));
        assert!(celebrated(Some(starts - 30 * day), starts, None));
        assert!(!celebrated(Some(starts - 30 * day + 1), starts, None));
        assert!(
            !celebrated(Some(starts - day), starts, None),
            "typed the day before"
        );
        assert!(
            !celebrated(Some(starts + 3 * day), starts, None),
            "typed during the catch-up week"
        );
    }

    #[test]
    fn a_birthday_moved_past_new_year_does_not_pay_twice() {
        let day = 86_400;
        let jan_25 = 1_769_299_200; // 2026-01-25
        let dec_20 = jan_25 - 36 * day;
        // Awarded on 20 December, the date moved to 25 January 35 days ahead: not again.
        assert!(!celebrated(Some(dec_20 + day), jan_25, Some(dec_20)));
        // A year later (caught up a week late last time), it is.
        assert!(celebrated(None, jan_25 + 365 * day, Some(jan_25 + 7 * day)));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn leap_day_birthdays_fall_on_28_february_in_other_years() {
        assert_eq!(birthdays_on(d(2026, 2, 28)), vec!["02-28", "02-29"]);
        assert_eq!(birthdays_on(d(2028, 2, 28)), vec!["02-28"]);
        assert_eq!(birthdays_on(d(2028, 2, 29)), vec!["02-29"]);
        assert_eq!(birthdays_on(d(2026, 12, 5)), vec!["12-05"]);
    }

    #[test]
    fn due_days_look_back_a_week_across_new_year() {
        let days = due_days(d(2027, 1, 2));
        assert_eq!(days.len() as i64, CATCH_UP_DAYS);
        assert_eq!(days[0], d(2027, 1, 2));
        assert_eq!(*days.last().unwrap(), d(2026, 12, 27));
    }

    #[test]
    fn birth_dates_are_checked() {
        let today = d(2026, 11, 23);
        assert_eq!(parse_birth_date("", today), Ok(None));
        assert_eq!(
            parse_birth_date(" 1990-04-21 ", today),
            Ok(Some("1990-04-21".into()))
        );
        assert_eq!(
            parse_birth_date("١٩٩٠-٠٤-٢١", today),
            Ok(Some("1990-04-21".into()))
        );
        assert!(parse_birth_date("21/04/1990", today).is_err());
        assert!(parse_birth_date("2027-01-01", today).is_err());
        assert!(parse_birth_date("1890-01-01", today).is_err());
        assert!(parse_birth_date("1990-02-30", today).is_err());
    }
}
