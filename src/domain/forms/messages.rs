//! The Manage form for a program's messaging settings: its time zone, quiet hours and caps.

use crate::domain::lang::current;
use crate::error::{AppError, Validator};
use crate::i18n::td_string;
use crate::model::message::{MessageSettings, MessageSettingsForm};

/// The most messages a cap may allow (a typo of 10000 a day is not a cap).
pub const MAX_CAP: u32 = 1_000;
/// The longest gap between two messages, in minutes (a week).
pub const MAX_GAP_MINUTES: u32 = 7 * 24 * 60;

/// "21:00" (or "9:05") as minutes after midnight.
fn clock(input: &str) -> Result<Option<u16>, String> {
    let s = crate::domain::lang::ascii_digits(input.trim());
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || td_string!(current().locale, errors.messages.clock).to_string();
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(Some(h * 60 + m))
}

fn cap(input: &str) -> Result<Option<u32>, String> {
    let s = crate::domain::lang::ascii_digits(input.trim());
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<u32>() {
        Ok(n) if (1..=MAX_CAP).contains(&n) => Ok(Some(n)),
        _ => Err(td_string!(current().locale, errors.messages.cap, max = MAX_CAP.to_string()).to_string()),
    }
}

/// The settings a form gives, or each field's error.
pub fn settings(form: &MessageSettingsForm) -> Result<MessageSettings, AppError> {
    let l = current().locale;
    let mut v = Validator::new();
    let time_zone = v.check("time_zone", super::store::time_zone(&form.time_zone));
    let start = v.check("quiet_start", clock(&form.quiet_start));
    let end = v.check("quiet_end", clock(&form.quiet_end));
    let quiet_hours = match (start.flatten(), end.flatten()) {
        (Some(s), Some(e)) if s == e => {
            v.add("quiet_end", td_string!(l, errors.messages.quiet_same));
            None
        }
        (Some(s), Some(e)) => Some((s, e)),
        (None, None) => None,
        (Some(_), None) => {
            v.add("quiet_end", td_string!(l, errors.messages.quiet_both));
            None
        }
        (None, Some(_)) => {
            v.add("quiet_start", td_string!(l, errors.messages.quiet_both));
            None
        }
    };
    let day = v.check("cap_day", cap(&form.cap_day)).flatten();
    let week = v.check("cap_week", cap(&form.cap_week)).flatten();
    let month = v.check("cap_month", cap(&form.cap_month)).flatten();
    // A longer period allowing fewer than a shorter one contradicts it.
    if let (Some(d), Some(w)) = (day, week) {
        if w < d {
            v.add("cap_week", td_string!(l, errors.messages.week_below_day));
        }
    }
    if let (Some(w), Some(m)) = (week.or(day), month) {
        if m < w {
            v.add("cap_month", td_string!(l, errors.messages.month_below_week));
        }
    }
    let gap_text = crate::domain::lang::ascii_digits(form.min_gap_minutes.trim());
    let gap = v.check(
        "min_gap_minutes",
        match gap_text.as_str() {
            "" => Ok(0),
            s => s
                .parse::<u32>()
                .ok()
                .filter(|g| *g <= MAX_GAP_MINUTES)
                .ok_or_else(|| {
                    td_string!(l, errors.messages.gap, max = MAX_GAP_MINUTES.to_string()).to_string()
                }),
        },
    );
    v.finish()?;
    Ok(MessageSettings {
        time_zone: time_zone.unwrap_or_default(),
        quiet_hours,
        cap_day: day,
        cap_week: week,
        cap_month: month,
        min_gap_minutes: gap.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> MessageSettingsForm {
        MessageSettingsForm {
            time_zone: "Asia/Dubai".into(),
            quiet_start: "21:00".into(),
            quiet_end: "9:00".into(),
            cap_day: "1".into(),
            cap_week: "3".into(),
            cap_month: "8".into(),
            min_gap_minutes: "".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_form_reads_and_round_trips() {
        let s = settings(&form()).unwrap();
        assert_eq!(s.quiet_hours, Some((21 * 60, 9 * 60)));
        assert_eq!(
            (s.cap_day, s.cap_week, s.cap_month, s.min_gap_minutes),
            (Some(1), Some(3), Some(8), 0)
        );
        let again = MessageSettingsForm::of(Default::default(), &s);
        assert_eq!(again.quiet_end, "09:00");
        assert_eq!(settings(&again).unwrap(), s);
        // Arabic-Indic digits are read too; empty caps and hours are none.
        let s = settings(&MessageSettingsForm {
            quiet_start: "٢١:٣٠".into(),
            quiet_end: "٠٨:٠٠".into(),
            cap_day: "".into(),
            cap_week: "".into(),
            cap_month: "".into(),
            ..form()
        })
        .unwrap();
        assert_eq!(
            (s.quiet_hours, s.cap_day, s.cap_month),
            (Some((21 * 60 + 30, 8 * 60)), None, None)
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let e = settings(&MessageSettingsForm {
            time_zone: "Mars/Olympus".into(),
            quiet_start: "25:00".into(),
            cap_day: "0".into(),
            cap_week: "many".into(),
            min_gap_minutes: "-5".into(),
            ..form()
        })
        .unwrap_err();
        for f in [
            "time_zone",
            "quiet_start",
            "cap_day",
            "cap_week",
            "min_gap_minutes",
        ] {
            assert!(e.field_message(f).is_some(), "{f}");
        }
        let e = settings(&MessageSettingsForm {
            quiet_end: "".into(),
            ..form()
        })
        .unwrap_err();
        assert!(e.field_message("quiet_end").is_some(), "both ends or neither");
        let e = settings(&MessageSettingsForm {
            quiet_end: "21:00".into(),
            ..form()
        })
        .unwrap_err();
        assert!(e.field_message("quiet_end").is_some(), "start and end differ");
        let e = settings(&MessageSettingsForm {
            cap_day: "5".into(),
            cap_week: "3".into(),
            cap_month: "2".into(),
            ..form()
        })
        .unwrap_err();
        assert!(e.field_message("cap_week").is_some());
        assert!(e.field_message("cap_month").is_some());
    }
}
