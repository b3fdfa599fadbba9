//! Which tier a member holds and how far they are from the next one, and how a program's
//! tiers qualify, in words (`locales/<language>/wording.json`, `tiers`).

use crate::domain::lang::Lang;
use crate::i18n::td_string;
use crate::model::program::Tier;

/// The highest tier whose threshold `lifetime_points` reaches, and the next one up.
/// `tiers` may come in any order.
pub fn standing(tiers: &[Tier], lifetime_points: i64) -> (Option<Tier>, Option<Tier>, u8) {
    let mut sorted: Vec<&Tier> = tiers.iter().collect();
    sorted.sort_by_key(|t| t.threshold_points);
    let current = sorted
        .iter()
        .rev()
        .find(|t| t.threshold_points <= lifetime_points)
        .copied();
    let next = sorted
        .iter()
        .find(|t| t.threshold_points > lifetime_points)
        .copied();
    let base = current.map_or(0, |c| c.threshold_points);
    let progress = way_to(next, base, lifetime_points);
    (current.cloned(), next.cloned(), progress)
}

/// How far `points` has come from `base` to the `next` tier's threshold, in percent (0 to
/// 100; 100 when there is no next tier).
fn way_to(next: Option<&Tier>, base: i64, points: i64) -> u8 {
    match next {
        None => 100,
        Some(n) => {
            let span = (n.threshold_points - base).max(1);
            let done = (points - base).clamp(0, span);
            ((done as i128 * 100) / span as i128) as u8
        }
    }
}

/// The member's way to the next tier: the lowest tier above the one held, and how far
/// `working` (the total of the current qualification window) has come from the held tier's
/// threshold to it, in percent (100 when no tier is above). The tier held is kept on the
/// membership and may lie above what the window counts so far (tiers are reviewed, not lost
/// on the first day of a new window), so progress starts at its threshold, not at zero.
pub fn progress(tiers: &[Tier], held: Option<&Tier>, working: i64) -> (Option<Tier>, u8) {
    let floor = held.map_or(0, |t| t.threshold_points);
    let next = tiers
        .iter()
        .filter(|t| t.threshold_points > floor)
        .min_by_key(|t| t.threshold_points);
    (next.cloned(), way_to(next, floor, working))
}

/// The earn multiplier in percent for a member at `lifetime_points`; x1 without a tier.
pub fn multiplier_pct(tiers: &[Tier], lifetime_points: i64) -> i64 {
    standing(tiers, lifetime_points)
        .0
        .map(|t| t.multiplier_pct)
        .unwrap_or(100)
}

/// Over which period tier qualification is counted (the English labels; `window_label` says
/// them in a page's language).
pub const TIER_WINDOWS: &[(&str, &str)] = &[
    ("lifetime", "Lifetime (tiers are never lost)"),
    ("calendar_year", "Calendar year (kept through the next year)"),
    ("rolling_12m", "Rolling 12 months"),
];

/// What a program's tiers count, in words, so Manage says what the program really does:
/// points or spend, over a lifetime, a calendar year or twelve months.
pub struct Qualification<'a> {
    /// "points" or "spend" (thresholds in whole currency units).
    pub basis: &'a str,
    pub window: &'a str,
    pub currency_name: &'a str,
    pub currency_code: &'a str,
}

impl Qualification<'_> {
    /// What is counted, in `lang`: "spend in EUR this calendar year", "Stars earned since joining".
    fn counted(&self, lang: Lang) -> String {
        let l = lang.locale;
        let (code, unit) = (self.currency_code, self.currency_name);
        match (self.basis == "spend", self.window) {
            (true, "calendar_year") => td_string!(l, wording.tiers.spend_year, code = code).to_string(),
            (true, "rolling_12m") => td_string!(l, wording.tiers.spend_12m, code = code).to_string(),
            (true, _) => td_string!(l, wording.tiers.spend_lifetime, code = code).to_string(),
            (false, "calendar_year") => td_string!(l, wording.tiers.points_year, unit = unit).to_string(),
            (false, "rolling_12m") => td_string!(l, wording.tiers.points_12m, unit = unit).to_string(),
            (false, _) => td_string!(l, wording.tiers.points_lifetime, unit = unit).to_string(),
        }
    }

    /// "Members reach a tier when their spend in EUR this calendar year reaches its
    /// threshold; ...", in the page's language (`sentence_in` for another).
    pub fn sentence(&self) -> String {
        self.sentence_in(crate::domain::lang::current())
    }

    pub fn sentence_in(&self, lang: Lang) -> String {
        td_string!(lang.locale, wording.tiers.sentence, counted = self.counted(lang)).to_string()
    }

    /// The threshold field's label: "Qualifying threshold (spend in EUR this calendar year)",
    /// in the page's language (`field_label_in` for another).
    pub fn field_label(&self) -> String {
        self.field_label_in(crate::domain::lang::current())
    }

    pub fn field_label_in(&self, lang: Lang) -> String {
        td_string!(
            lang.locale,
            wording.tiers.field_label,
            counted = self.counted(lang)
        )
        .to_string()
    }

    /// A threshold as members and managers read it: "€350 spent", "1,000 Stars", in the
    /// page's language (`threshold_in` for another).
    pub fn threshold(&self, threshold: i64) -> String {
        self.threshold_in(crate::domain::lang::current(), threshold)
    }

    pub fn threshold_in(&self, lang: Lang, threshold: i64) -> String {
        if self.basis == "spend" {
            let minor = threshold.saturating_mul(crate::domain::currency::minor_per_unit(self.currency_code));
            let money = lang.money(minor, self.currency_code);
            td_string!(lang.locale, wording.tiers.spent, money = money).to_string()
        } else {
            lang.points(threshold, self.currency_name)
        }
    }
}

/// The label of a `TIER_WINDOWS` choice in `lang` (the key itself when it is not one).
pub fn window_label(lang: Lang, key: &str) -> &str {
    let l = lang.locale;
    match key {
        "lifetime" => td_string!(l, wording.tiers.window.lifetime),
        "calendar_year" => td_string!(l, wording.tiers.window.calendar_year),
        "rolling_12m" => td_string!(l, wording.tiers.window.rolling_12m),
        other => other,
    }
}

/// The label of a `TIER_BASES` choice in `lang` (the key itself when it is not one).
pub fn basis_label(lang: Lang, key: &str) -> &str {
    let l = lang.locale;
    match key {
        "points" => td_string!(l, wording.tiers.basis.points),
        "spend" => td_string!(l, wording.tiers.basis.spend),
        other => other,
    }
}

/// The label of a `TIER_REVIEWS` choice in `lang` (the key itself when it is not one).
pub fn review_label(lang: Lang, key: &str) -> &str {
    let l = lang.locale;
    match key {
        "continuous" => td_string!(l, wording.tiers.review.continuous),
        "monthly" => td_string!(l, wording.tiers.review.monthly),
        "yearly" => td_string!(l, wording.tiers.review.yearly),
        other => other,
    }
}

/// When members are moved down a tier (upgrades are always immediate). English labels;
/// `review_label` says them in a page's language.
pub const TIER_REVIEWS: &[(&str, &str)] = &[
    ("continuous", "As soon as a member falls below their tier"),
    ("monthly", "At a review on the 1st of each month"),
    ("yearly", "At a review on 1 January"),
];

/// Whether a scheduled review of downgrades is due at `now`: the start of a month (or a
/// year) has passed since the last review, or before any review since `since` (when the
/// program was created). A review missed while the server was down is due at once. Programs
/// that review continuously are always due.
pub fn review_due(review: &str, last: Option<i64>, since: i64, now: crate::model::time::Timestamp) -> bool {
    use chrono::{Datelike, TimeZone, Utc};
    let d = now.to_datetime();
    let boundary = match review {
        "monthly" => Utc.with_ymd_and_hms(d.year(), d.month(), 1, 0, 0, 0),
        "yearly" => Utc.with_ymd_and_hms(d.year(), 1, 1, 0, 0, 0),
        _ => return true,
    };
    boundary
        .single()
        .is_some_and(|b| last.unwrap_or(since) < b.timestamp())
}

/// What counts towards a tier (English labels; `basis_label` in a page's language).
pub const TIER_BASES: &[(&str, &str)] = &[
    ("points", "Points earned"),
    ("spend", "Money spent (thresholds in whole currency units)"),
];

/// The periods whose qualifying totals decide the tier at `now`: the current one and, for
/// calendar years, the previous year (a tier earned last year is kept this year). Each is
/// (start, end) in epoch seconds; `None` start means since the beginning.
pub fn windows(window: &str, now: crate::model::time::Timestamp) -> Vec<(Option<i64>, i64)> {
    use chrono::{Datelike, TimeZone, Utc};
    let end = now.0 + 1;
    match window {
        "calendar_year" => {
            let year = now.to_datetime().year();
            let start = |y: i32| {
                Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0)
                    .single()
                    .map(|d| d.timestamp())
            };
            let this = start(year).unwrap_or(0);
            vec![(Some(this), end), (start(year - 1), this)]
        }
        "rolling_12m" => vec![(Some(now.0 - 365 * crate::model::time::SECONDS_PER_DAY), end)],
        _ => vec![(None, end)],
    }
}

/// The tier `qualifying` (the best of the windows' totals) reaches.
pub fn reached(tiers: &[Tier], qualifying: i64) -> Option<Tier> {
    standing(tiers, qualifying).0
}

/// Whether moving from `current` to `target` is an upgrade (Some(true)), a downgrade
/// (Some(false)) or no change (None). Tiers compare by threshold.
pub fn direction(current: Option<&Tier>, target: Option<&Tier>) -> Option<bool> {
    let rank = |t: Option<&Tier>| t.map(|t| t.threshold_points);
    match (rank(current), rank(target)) {
        (a, b) if a == b && current.map(|t| t.id) == target.map(|t| t.id) => None,
        (a, b) => Some(b > a),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tiers_qualification_in_the_programs_terms() {
        let spend = super::Qualification {
            basis: "spend",
            window: "calendar_year",
            currency_name: "Beauty Points",
            currency_code: "EUR",
        };
        assert_eq!(spend.threshold(350), "€350.00 spent");
        assert_eq!(
            spend.field_label(),
            "Qualifying threshold (spend in EUR this calendar year)"
        );
        assert!(spend
            .sentence()
            .contains("spend in EUR this calendar year reaches"));
        let points = super::Qualification {
            basis: "points",
            window: "lifetime",
            currency_name: "Stars",
            currency_code: "EUR",
        };
        assert_eq!(points.threshold(5000), "5,000 Stars");
        assert!(points.sentence().contains("Stars earned since joining"));

        // In Arabic, with Arabic-Indic digits; the unit and the currency code as typed.
        let ar = crate::domain::lang::Lang::ARABIC;
        assert_eq!(spend.threshold_in(ar, 350), "إنفاق ٣٥٠٫٠٠\u{a0}€\u{200f}");
        assert_eq!(
            spend.field_label_in(ar),
            "حدّ التأهل (الإنفاق بعملة EUR خلال السنة الميلادية الحالية)"
        );
        assert_eq!(points.threshold_in(ar, 5000), "٥٬٠٠٠ Stars");
        assert!(points.sentence_in(ar).contains("Stars المكتسبة منذ الانضمام"));
        assert_eq!(
            super::window_label(ar, "rolling_12m"),
            "آخر اثني عشر شهرًا بشكل متجدد"
        );
        for (key, label) in super::TIER_WINDOWS {
            assert_eq!(
                super::window_label(crate::domain::lang::Lang::ENGLISH, key),
                *label
            );
        }
        for (key, label) in super::TIER_BASES {
            assert_eq!(
                super::basis_label(crate::domain::lang::Lang::ENGLISH, key),
                *label
            );
        }
        for (key, label) in super::TIER_REVIEWS {
            assert_eq!(
                super::review_label(crate::domain::lang::Lang::ENGLISH, key),
                *label
            );
        }
    }

    use super::*;

    #[test]
    fn reviews_fall_due_at_the_start_of_each_month_or_year() {
        use crate::model::time::Timestamp;
        use chrono::{TimeZone, Utc};
        let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().timestamp();
        let now = |y, m, d, h| Timestamp(at(y, m, d, h));
        let created = at(2026, 11, 14, 9);
        assert!(review_due("continuous", None, created, now(2026, 11, 14, 10)));
        // Monthly: none before the first 1st after creation; due from then until reviewed.
        assert!(!review_due("monthly", None, created, now(2026, 11, 30, 23)));
        assert!(review_due("monthly", None, created, now(2026, 12, 1, 0)));
        assert!(
            review_due("monthly", None, created, now(2026, 12, 9, 5)),
            "missed, so due at once"
        );
        let reviewed = Some(at(2026, 12, 1, 0));
        assert!(!review_due("monthly", reviewed, created, now(2026, 12, 31, 23)));
        assert!(review_due("monthly", reviewed, created, now(2027, 1, 1, 0)));
        // Yearly: on 1 January only.
        assert!(!review_due("yearly", None, created, now(2026, 12, 31, 23)));
        assert!(review_due("yearly", None, created, now(2027, 1, 1, 0)));
        assert!(!review_due(
            "yearly",
            Some(at(2027, 1, 1, 0)),
            created,
            now(2027, 12, 1, 0)
        ));
    }

    fn tier(name: &str, threshold: i64, mult: i64) -> Tier {
        Tier {
            id: threshold,
            program_id: crate::model::ids::ProgramId(1),
            name: name.into(),
            threshold_points: threshold,
            multiplier_pct: mult,
        }
    }

    /// Gold, Bronze and Silver, out of threshold order on purpose.
    fn three_tiers() -> Vec<Tier> {
        vec![
            tier("Gold", 1000, 150),
            tier("Bronze", 0, 100),
            tier("Silver", 500, 125),
        ]
    }

    #[test]
    fn picks_highest_reached_tier_and_progress() {
        let tiers = three_tiers();
        let (cur, next, pct) = standing(&tiers, 750);
        assert_eq!(cur.unwrap().name, "Silver");
        assert_eq!(next.unwrap().name, "Gold");
        assert_eq!(pct, 50);
        assert_eq!(multiplier_pct(&tiers, 1000), 150);
        assert_eq!(standing(&tiers, 5000).2, 100);
    }

    #[test]
    fn progress_runs_from_the_held_tier_to_the_next() {
        let tiers = three_tiers();
        // Holding Silver with 750 in the window: half way from 500 to Gold's 1000.
        let (next, pct) = progress(&tiers, Some(&tiers[2]), 750);
        assert_eq!(next.unwrap().name, "Gold");
        assert_eq!(pct, 50);
        // Silver kept from last year, the new window only at 100: no progress yet, not negative.
        assert_eq!(progress(&tiers, Some(&tiers[2]), 100).1, 0);
        // No tier held: from zero to the lowest tier above zero.
        let (next, pct) = progress(&tiers, None, 250);
        assert_eq!(next.unwrap().name, "Silver");
        assert_eq!(pct, 50);
        // Top tier, or no tiers at all: nothing above, shown as full.
        assert_eq!(progress(&tiers, Some(&tiers[0]), 5), (None, 100));
        assert_eq!(progress(&[], None, 5), (None, 100));
    }

    #[test]
    fn no_tiers_or_below_first_threshold() {
        assert_eq!(standing(&[], 10), (None, None, 100));
        assert_eq!(multiplier_pct(&[], 10), 100);
        let tiers = vec![tier("Silver", 500, 125)];
        let (cur, next, pct) = standing(&tiers, 100);
        assert!(cur.is_none());
        assert_eq!(next.unwrap().name, "Silver");
        assert_eq!(pct, 20);
    }

    #[test]
    fn windows_cover_the_right_periods() {
        use crate::model::time::Timestamp;
        let now = Timestamp(1_795_262_400); // 2026-11-21 12:00 UTC
        let w = windows("calendar_year", now);
        assert_eq!(Timestamp(w[0].0.unwrap()).display(), "2026-01-01 00:00 UTC");
        assert_eq!(Timestamp(w[1].0.unwrap()).display(), "2025-01-01 00:00 UTC");
        assert_eq!(w[1].1, w[0].0.unwrap());
        let r = windows("rolling_12m", now);
        assert_eq!(Timestamp(r[0].0.unwrap()).display(), "2025-11-21 12:00 UTC");
        assert_eq!(windows("lifetime", now), vec![(None, now.0 + 1)]);
    }

    #[test]
    fn directions() {
        let (green, gold) = (tier("Green", 0, 100), tier("Gold", 1000, 150));
        assert_eq!(direction(Some(&green), Some(&gold)), Some(true));
        assert_eq!(direction(Some(&gold), Some(&green)), Some(false));
        assert_eq!(direction(None, Some(&green)), Some(true));
        assert_eq!(direction(Some(&gold), None), Some(false));
        assert_eq!(direction(Some(&gold), Some(&gold)), None);
        assert_eq!(direction(None, None), None);
    }
}
