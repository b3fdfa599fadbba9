//! Survey rules: which period an answer belongs to (one answer per member per survey per
//! period), what a score and a comment may be, and the dashboard's grain.

use chrono::{Datelike, NaiveDate};

use super::lang::current;
use super::validate::{at_most_chars, integer};
use crate::i18n::td_string;
use crate::model::survey::Frequency;

/// The longest comment kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;
/// The longest question a manager may write, in characters.
pub const MAX_QUESTION_CHARS: usize = 300;

/// The period a day belongs to under `frequency`: "once", "2026-12", "2026-Q4" or "2026".
pub fn period_of(frequency: Frequency, day: NaiveDate) -> String {
    match frequency {
        Frequency::Once => "once".into(),
        Frequency::Month => format!("{:04}-{:02}", day.year(), day.month()),
        Frequency::Quarter => format!("{:04}-Q{}", day.year(), day.month0() / 3 + 1),
        Frequency::Year => format!("{:04}", day.year()),
    }
}

/// A score as typed: a whole number from 0 to 10 (in any digits).
pub fn score(typed: &str) -> Result<i64, String> {
    integer(typed, 0, 10)
}

/// A comment: trimmed, empty is none, at most `MAX_COMMENT_CHARS` characters, no control
/// characters but line breaks and tabs.
pub fn comment(typed: &str) -> Result<Option<String>, String> {
    // A browser sends a text area's line breaks as CRLF, though its maxlength counted one.
    let typed = typed.replace("\r\n", "\n");
    let t = typed.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > MAX_COMMENT_CHARS {
        return Err(at_most_chars(MAX_COMMENT_CHARS));
    }
    if t.chars().any(super::text::refused) {
        return Err(td_string!(current().locale, errors.surveys.control_characters).to_string());
    }
    Ok(Some(t.to_string()))
}

/// A manager's question: trimmed, one line, at most `MAX_QUESTION_CHARS` characters; empty
/// asks the standard NPS question in each member's language.
pub fn question(typed: &str) -> Result<String, String> {
    let t = typed.trim();
    if t.chars().count() > MAX_QUESTION_CHARS {
        return Err(at_most_chars(MAX_QUESTION_CHARS));
    }
    if t.chars().any(char::is_control) {
        return Err(td_string!(current().locale, errors.surveys.one_line).to_string());
    }
    Ok(t.to_string())
}

/// How the Satisfaction chart groups answers: by ISO week up to 13 weeks, else by month.
pub fn grain(from: NaiveDate, to: NaiveDate) -> &'static str {
    if (to - from).num_days() < 92 {
        "week"
    } else {
        "month"
    }
}

/// The group of `day` at `grain`: "2026-W49" (ISO week) or "2026-12".
pub fn bucket(grain: &str, day: NaiveDate) -> String {
    if grain == "week" {
        let w = day.iso_week();
        format!("{:04}-W{:02}", w.year(), w.week())
    } else {
        format!("{:04}-{:02}", day.year(), day.month())
    }
}

/// Every group of `from..=to` at `grain`, in order (so empty weeks show as gaps, not as
/// nothing).
pub fn buckets(grain: &str, from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut day = from;
    while day <= to {
        let b = bucket(grain, day);
        if out.last() != Some(&b) {
            out.push(b);
        }
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::survey::NpsCounts;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_follow_the_calendar() {
        assert_eq!(period_of(Frequency::Once, d("2026-12-05")), "once");
        assert_eq!(period_of(Frequency::Month, d("2026-12-05")), "2026-12");
        assert_eq!(period_of(Frequency::Quarter, d("2026-12-31")), "2026-Q4");
        assert_eq!(period_of(Frequency::Quarter, d("2027-01-01")), "2027-Q1");
        assert_eq!(period_of(Frequency::Quarter, d("2026-06-30")), "2026-Q2");
        assert_eq!(period_of(Frequency::Quarter, d("2026-07-01")), "2026-Q3");
        assert_eq!(period_of(Frequency::Year, d("2026-01-01")), "2026");
    }

    #[test]
    fn scores_are_whole_numbers_from_0_to_10_in_any_digits() {
        assert_eq!(score("0"), Ok(0));
        assert_eq!(score(" 10 "), Ok(10));
        assert_eq!(score("٩"), Ok(9));
        for bad in ["", "11", "-1", "7.5", "seven"] {
            assert!(score(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn comments_are_trimmed_capped_and_plain() {
        assert_eq!(comment("  "), Ok(None));
        assert_eq!(
            comment(" Great staff\nthanks "),
            Ok(Some("Great staff\nthanks".into()))
        );
        assert!(comment(&"x".repeat(MAX_COMMENT_CHARS + 1)).is_err());
        assert!(comment(&"é".repeat(MAX_COMMENT_CHARS)).is_ok());
        let lines = format!("{}\r\n{}", "a".repeat(499), "b".repeat(500));
        assert_eq!(
            comment(&lines).unwrap().unwrap().chars().count(),
            MAX_COMMENT_CHARS
        );
        assert!(comment("bad\u{0}byte").is_err());
        assert!(question("How was it?\nReally").is_err());
        assert_eq!(question("  "), Ok(String::new()));
    }

    #[test]
    fn nps_counts_put_each_score_in_its_group() {
        let mut c = NpsCounts::default();
        for s in 0..=10 {
            c.add(s, 1);
        }
        // 0-6 detract (7), 7-8 are passive (2), 9-10 promote (2): (2 - 7) / 11.
        assert_eq!((c.detractors, c.passives, c.promoters), (7, 2, 2));
        assert_eq!(c.answers(), 11);
        let expected = 100.0 * (2.0 - 7.0) / 11.0;
        assert!((c.score().unwrap() - expected).abs() < 1e-9);
        assert_eq!(NpsCounts::default().score(), None);
    }

    #[test]
    fn the_chart_groups_by_week_then_by_month() {
        assert_eq!(grain(d("2026-11-01"), d("2026-12-31")), "week");
        assert_eq!(grain(d("2026-01-01"), d("2026-12-31")), "month");
        // 2026-12-28 is in ISO week 53 of 2026; 2027-01-04 starts week 1 of 2027.
        assert_eq!(bucket("week", d("2026-12-28")), "2026-W53");
        assert_eq!(bucket("week", d("2027-01-04")), "2027-W01");
        assert_eq!(
            buckets("week", d("2026-11-30"), d("2026-12-14")),
            vec!["2026-W49", "2026-W50", "2026-W51"]
        );
        assert_eq!(
            buckets("month", d("2026-10-31"), d("2026-12-01")),
            vec!["2026-10", "2026-11", "2026-12"]
        );
    }
}
