//! Whether a message may go now under a program's caps and quiet hours, read in the
//! program's time zone: quiet hours are local wall-clock times, and a "day", "week" (Monday
//! to Sunday) and "month" begin at local midnight, so a daylight-saving change moves them
//! with the clock. Generic over the time zone, so this module needs no tz tables and tests
//! pass chrono-tz's.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};

use crate::model::message::{HoldReason, IfLimited, MessageSettings};
use crate::model::time::Timestamp;

/// What the outbox does with a message now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Send,
    /// Held until `until` (then checked again).
    Wait {
        until: Timestamp,
        why: HoldReason,
    },
    /// Never sent.
    Drop(HoldReason),
}

/// The first instant at or after local `at` in `zone`: a wall-clock time that a
/// daylight-saving jump skips is read as the first minute after the gap.
fn instant<Tz: TimeZone>(zone: &Tz, at: NaiveDateTime) -> DateTime<Utc> {
    let mut at = at;
    for _ in 0..4 * 60 {
        if let Some(t) = zone.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc);
        }
        at += Duration::minutes(1);
    }
    // No zone has a gap of four hours; read the time as UTC rather than loop.
    at.and_utc()
}

fn midnight<Tz: TimeZone>(zone: &Tz, day: NaiveDate) -> DateTime<Utc> {
    instant(zone, day.and_time(NaiveTime::MIN))
}

/// Whether `minute` (after midnight) is inside quiet hours `start`..`end`, which may span
/// midnight; start = end is no quiet hours.
fn is_quiet((start, end): (u16, u16), minute: u16) -> bool {
    if start <= end {
        start <= minute && minute < end
    } else {
        minute >= start || minute < end
    }
}

/// When a message to a member on one channel may go, given `sent`: the times of the
/// messages already sent to them on that channel that count towards caps (any order; a
/// month's is enough).
pub fn gate<Tz: TimeZone>(
    settings: &MessageSettings,
    zone: &Tz,
    now: Timestamp,
    sent: &[Timestamp],
    if_limited: IfLimited,
) -> Gate {
    let hold = |until: DateTime<Utc>, why| match if_limited {
        IfLimited::Defer => Gate::Wait {
            until: Timestamp(until.timestamp().max(now.0 + 1)),
            why,
        },
        IfLimited::Drop => Gate::Drop(why),
    };
    let utc = now.to_datetime();
    let local = utc.with_timezone(zone).naive_local();
    let today = local.date();
    if let Some((start, end)) = settings.quiet_hours.filter(|(s, e)| s != e) {
        let minute = (local.hour() * 60 + local.minute()) as u16;
        if is_quiet((start, end), minute) {
            let end_time = NaiveTime::from_hms_opt(u32::from(end / 60), u32::from(end % 60), 0)
                .unwrap_or(NaiveTime::MIN);
            let day = if minute < end {
                today
            } else {
                today + Duration::days(1)
            };
            let local_end = day.and_time(end_time);
            let mut until = instant(zone, local_end);
            // On the night clocks go back the end's wall time comes twice; once the first has
            // passed, the quiet hours end at the second.
            if until <= utc {
                if let Some(second) = zone.from_local_datetime(&local_end).latest() {
                    until = second.with_timezone(&Utc);
                }
            }
            return hold(until, HoldReason::QuietHours);
        }
    }
    if settings.min_gap_minutes > 0 {
        if let Some(last) = sent.iter().map(|t| t.0).max() {
            let next = last + i64::from(settings.min_gap_minutes) * 60;
            if next > now.0 {
                return hold(Timestamp(next).to_datetime(), HoldReason::MinimumGap);
            }
        }
    }
    let week_start = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let month_start = today.with_day(1).unwrap_or(today);
    let next_month = if month_start.month() == 12 {
        NaiveDate::from_ymd_opt(month_start.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(month_start.year(), month_start.month() + 1, 1)
    }
    .unwrap_or(today + Duration::days(31));
    let windows = [
        (
            settings.cap_day,
            today,
            today + Duration::days(1),
            HoldReason::DailyCap,
        ),
        (
            settings.cap_week,
            week_start,
            week_start + Duration::days(7),
            HoldReason::WeeklyCap,
        ),
        (
            settings.cap_month,
            month_start,
            next_month,
            HoldReason::MonthlyCap,
        ),
    ];
    for (cap, from, to, why) in windows {
        let Some(cap) = cap else { continue };
        let (from, to) = (midnight(zone, from).timestamp(), midnight(zone, to));
        let count = sent.iter().filter(|t| t.0 >= from && t.0 <= now.0).count();
        if count >= cap as usize {
            return hold(to, why);
        }
    }
    Gate::Send
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn at(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
        Timestamp(
            zone.with_ymd_and_hms(y, mo, d, h, mi, 0)
                .earliest()
                .unwrap()
                .timestamp(),
        )
    }

    fn open() -> MessageSettings {
        MessageSettings {
            time_zone: String::new(),
            quiet_hours: None,
            cap_day: None,
            cap_week: None,
            cap_month: None,
            min_gap_minutes: 0,
        }
    }

    #[test]
    fn quiet_hours_across_midnight_end_at_local_morning() {
        let dubai: Tz = "Asia/Dubai".parse().unwrap();
        let s = MessageSettings {
            quiet_hours: Some((21 * 60, 9 * 60)),
            ..open()
        };
        // 22:30 in Dubai is 18:30 UTC: quiet until 09:00 tomorrow local (05:00 UTC).
        let late = at(dubai, 2026, 6, 10, 22, 30);
        assert_eq!(
            gate(&s, &dubai, late, &[], IfLimited::Defer),
            Gate::Wait {
                until: at(dubai, 2026, 6, 11, 9, 0),
                why: HoldReason::QuietHours
            }
        );
        // 02:00 local: the same morning.
        let night = at(dubai, 2026, 6, 11, 2, 0);
        assert_eq!(
            gate(&s, &dubai, night, &[], IfLimited::Defer),
            Gate::Wait {
                until: at(dubai, 2026, 6, 11, 9, 0),
                why: HoldReason::QuietHours
            }
        );
        assert_eq!(
            gate(&s, &dubai, at(dubai, 2026, 6, 11, 9, 0), &[], IfLimited::Defer),
            Gate::Send
        );
        assert_eq!(
            gate(&s, &dubai, at(dubai, 2026, 6, 11, 20, 59), &[], IfLimited::Defer),
            Gate::Send
        );
        assert_eq!(
            gate(&s, &dubai, late, &[], IfLimited::Drop),
            Gate::Drop(HoldReason::QuietHours)
        );
        // The same UTC instant is not quiet in London (19:30 summer time).
        let london: Tz = "Europe/London".parse().unwrap();
        assert_eq!(gate(&s, &london, late, &[], IfLimited::Defer), Gate::Send);
    }

    #[test]
    fn quiet_hours_within_a_day() {
        let s = MessageSettings {
            quiet_hours: Some((12 * 60, 14 * 60)),
            ..open()
        };
        let utc: Tz = "UTC".parse().unwrap();
        assert!(
            matches!(gate(&s, &utc, at(utc, 2026, 1, 5, 13, 0), &[], IfLimited::Defer), Gate::Wait { until, .. } if until == at(utc, 2026, 1, 5, 14, 0))
        );
        assert_eq!(
            gate(&s, &utc, at(utc, 2026, 1, 5, 14, 0), &[], IfLimited::Defer),
            Gate::Send
        );
        assert_eq!(
            gate(&s, &utc, at(utc, 2026, 1, 5, 11, 59), &[], IfLimited::Defer),
            Gate::Send
        );
    }

    #[test]
    fn quiet_hours_end_on_the_right_instant_across_daylight_saving() {
        // New York springs forward on 2026-03-08 at 02:00 (to 03:00). Quiet 01:00-02:30 ends
        // at 02:30, which does not exist that night: the first instant after the gap, 03:00.
        let ny: Tz = "America/New_York".parse().unwrap();
        let s = MessageSettings {
            quiet_hours: Some((60, 150)),
            ..open()
        };
        let in_quiet = at(ny, 2026, 3, 8, 1, 30);
        assert_eq!(
            gate(&s, &ny, in_quiet, &[], IfLimited::Defer),
            Gate::Wait {
                until: at(ny, 2026, 3, 8, 3, 0),
                why: HoldReason::QuietHours
            }
        );
        // London falls back on 2026-10-25 at 02:00 BST: quiet 21:00-09:00 from the Saturday
        // evening lasts 13 hours of real time, ending 09:00 GMT (09:00 UTC).
        let london: Tz = "Europe/London".parse().unwrap();
        let s = MessageSettings {
            quiet_hours: Some((21 * 60, 9 * 60)),
            ..open()
        };
        let evening = at(london, 2026, 10, 24, 21, 0);
        let Gate::Wait { until, .. } = gate(&s, &london, evening, &[], IfLimited::Defer) else {
            panic!("held")
        };
        assert_eq!(until.0 - evening.0, 13 * 3600);
        assert_eq!(until.to_datetime().hour(), 9);
    }

    #[test]
    fn quiet_hours_ending_in_the_repeated_hour_end_at_its_second_pass() {
        // New York falls back on 2026-11-01 at 02:00 EDT to 01:00 EST. Quiet 00:00-01:30:
        // at 01:10 EST (the second 01:10) quiet hours end at 01:30 EST, not the 01:30 EDT
        // that has gone.
        let ny: Tz = "America/New_York".parse().unwrap();
        let s = MessageSettings {
            quiet_hours: Some((0, 90)),
            ..open()
        };
        let second_pass = Timestamp(
            ny.with_ymd_and_hms(2026, 11, 1, 1, 10, 0)
                .latest()
                .unwrap()
                .timestamp(),
        );
        let end = ny
            .with_ymd_and_hms(2026, 11, 1, 1, 30, 0)
            .latest()
            .unwrap()
            .timestamp();
        assert_eq!(
            gate(&s, &ny, second_pass, &[], IfLimited::Defer),
            Gate::Wait {
                until: Timestamp(end),
                why: HoldReason::QuietHours
            }
        );
        // At the first 01:10 (EDT) they end at the first 01:30.
        let first_pass = at(ny, 2026, 11, 1, 1, 10);
        assert_eq!(
            gate(&s, &ny, first_pass, &[], IfLimited::Defer),
            Gate::Wait {
                until: at(ny, 2026, 11, 1, 1, 30),
                why: HoldReason::QuietHours
            }
        );
    }

    #[test]
    fn a_daily_cap_counts_the_local_day() {
        let dubai: Tz = "Asia/Dubai".parse().unwrap();
        let s = MessageSettings {
            cap_day: Some(1),
            ..open()
        };
        // Sent at 23:30 UTC on the 9th, which is 03:30 on the 10th in Dubai.
        let sent = [Timestamp(at(dubai, 2026, 6, 10, 3, 30).0)];
        let noon = at(dubai, 2026, 6, 10, 12, 0);
        assert_eq!(
            gate(&s, &dubai, noon, &sent, IfLimited::Defer),
            Gate::Wait {
                until: at(dubai, 2026, 6, 11, 0, 0),
                why: HoldReason::DailyCap
            }
        );
        assert_eq!(
            gate(&s, &dubai, at(dubai, 2026, 6, 11, 0, 0), &sent, IfLimited::Defer),
            Gate::Send
        );
        // In UTC the same message was the day before: no cap reached.
        let utc: Tz = "UTC".parse().unwrap();
        assert_eq!(
            gate(&s, &utc, noon, &[Timestamp(noon.0 - 13 * 3600)], IfLimited::Defer),
            Gate::Send
        );
        assert_eq!(
            gate(&s, &dubai, noon, &sent, IfLimited::Drop),
            Gate::Drop(HoldReason::DailyCap)
        );
    }

    #[test]
    fn weekly_and_monthly_caps_run_monday_to_sunday_and_by_calendar_month() {
        let utc: Tz = "UTC".parse().unwrap();
        let s = MessageSettings {
            cap_week: Some(2),
            cap_month: Some(3),
            ..open()
        };
        // 2026-06-01 is a Monday.
        let sent = [at(utc, 2026, 6, 1, 10, 0), at(utc, 2026, 6, 3, 10, 0)];
        assert_eq!(
            gate(&s, &utc, at(utc, 2026, 6, 7, 23, 0), &sent, IfLimited::Defer),
            Gate::Wait {
                until: at(utc, 2026, 6, 8, 0, 0),
                why: HoldReason::WeeklyCap
            }
        );
        assert_eq!(
            gate(&s, &utc, at(utc, 2026, 6, 8, 0, 0), &sent, IfLimited::Defer),
            Gate::Send
        );
        let sent = [sent[0], sent[1], at(utc, 2026, 6, 9, 10, 0)];
        assert_eq!(
            gate(&s, &utc, at(utc, 2026, 6, 20, 10, 0), &sent, IfLimited::Defer),
            Gate::Wait {
                until: at(utc, 2026, 7, 1, 0, 0),
                why: HoldReason::MonthlyCap
            }
        );
        // December rolls into January.
        let dec = [
            at(utc, 2026, 12, 2, 0, 0),
            at(utc, 2026, 12, 9, 0, 0),
            at(utc, 2026, 12, 16, 0, 0),
        ];
        assert!(
            matches!(gate(&s, &utc, at(utc, 2026, 12, 30, 0, 0), &dec, IfLimited::Defer),
            Gate::Wait { until, why: HoldReason::MonthlyCap } if until == at(utc, 2027, 1, 1, 0, 0))
        );
    }

    #[test]
    fn a_minimum_gap_waits_from_the_last_message() {
        let utc: Tz = "UTC".parse().unwrap();
        let s = MessageSettings {
            min_gap_minutes: 90,
            ..open()
        };
        let last = at(utc, 2026, 6, 1, 10, 0);
        assert_eq!(
            gate(&s, &utc, at(utc, 2026, 6, 1, 11, 0), &[last], IfLimited::Defer),
            Gate::Wait {
                until: at(utc, 2026, 6, 1, 11, 30),
                why: HoldReason::MinimumGap
            }
        );
        assert_eq!(
            gate(&s, &utc, at(utc, 2026, 6, 1, 11, 30), &[last], IfLimited::Defer),
            Gate::Send
        );
        assert_eq!(gate(&s, &utc, last, &[], IfLimited::Defer), Gate::Send);
    }
}
