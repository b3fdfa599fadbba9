//! The admin's rule form, checked field by field and turned into an `EarningRule`.

use crate::domain::lang::current;
use crate::i18n::td_string;
use chrono::NaiveDate;

use crate::error::{count, AppError, Validator};
use crate::model::rules::{Channel, EarningRule, RuleCaps, RuleConditions, RuleEffect, RuleForm, Stacking};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};

use crate::domain::validate;

/// Largest value an admin may give a rule's points, caps or budget.
pub const MAX_RULE_POINTS: i64 = 1_000_000_000;

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn optional(v: &mut Validator, field: &str, s: &str) -> Option<i64> {
    if s.trim().is_empty() {
        None
    } else {
        v.check(field, validate::integer(s, 0, MAX_RULE_POINTS))
    }
}

fn minutes(v: &mut Validator, field: &str, s: &str) -> Option<u16> {
    let typed = validate::typed_number(s);
    let s = typed.trim();
    if s.is_empty() {
        return None;
    }
    let parsed = s
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<u16>().ok()?, m.parse::<u16>().ok()?)))
        .filter(|(h, m)| *h < 24 && *m < 60);
    match parsed {
        Some((h, m)) => Some(h * 60 + m),
        None => {
            let lang = current();
            v.add(
                field,
                td_string!(
                    lang.locale,
                    errors.forms.time_like,
                    example = lang.digits_of("18:30")
                )
                .to_string(),
            );
            None
        }
    }
}

pub(crate) fn day(v: &mut Validator, field: &str, s: &str) -> Option<NaiveDate> {
    let typed = validate::typed_number(s);
    let s = typed.trim();
    if s.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            v.add(field, validate::date_like("2026-12-24"));
            None
        }
    }
}

/// Checks every field and reports all problems at once. `currency_code` reads the minimum
/// order; `tier_ids` are the program's tiers, `segment_ids` its segments.
pub fn parse(
    form: &RuleForm,
    currency_code: &str,
    tier_ids: &[i64],
    segment_ids: &[i64],
) -> Result<EarningRule, AppError> {
    let mut v = Validator::new();
    let name = v.check("name", validate::name(&form.name));
    let priority = v.check("priority", validate::integer(&form.priority, -1000, 1000));
    let stacking = Stacking::parse(form.stacking.trim());
    if stacking.is_none() {
        v.add("stacking", td_string!(current().locale, errors.forms.stacking));
    }
    let event_types = list(&form.event_types);
    if event_types.iter().any(|t| {
        t.len() > 40
            || !t
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }) {
        v.add(
            "event_types",
            td_string!(current().locale, errors.forms.event_types_eg),
        );
    }
    let mut channels = Vec::new();
    for c in &form.channels {
        match Channel::parse(c) {
            Some(ch) => channels.push(ch),
            None => v.add(
                "channels",
                td_string!(current().locale, errors.forms.unknown_channel),
            ),
        }
    }
    let min_order_minor = if form.min_order.trim().is_empty() {
        None
    } else {
        v.check("min_order", validate::amount(&form.min_order, currency_code))
    };
    let mut tiers = Vec::new();
    for t in &form.tier_ids {
        match t.parse::<i64>() {
            Ok(id) if tier_ids.contains(&id) => tiers.push(id),
            _ => v.add("tier_ids", td_string!(current().locale, errors.forms.own_tiers)),
        }
    }
    let mut segments = Vec::new();
    for t in &form.segment_ids {
        match t.parse::<i64>() {
            Ok(id) if segment_ids.contains(&id) => segments.push(id),
            _ => v.add(
                "segment_ids",
                td_string!(current().locale, errors.forms.own_segments),
            ),
        }
    }
    let mut weekdays = Vec::new();
    for d in &form.weekdays {
        match d.parse::<u8>() {
            Ok(n @ 1..=7) => weekdays.push(n),
            _ => {
                let lang = current();
                v.add(
                    "weekdays",
                    td_string!(
                        lang.locale,
                        errors.forms.weekdays,
                        first = count(lang, 1),
                        last = count(lang, 7)
                    )
                    .to_string(),
                )
            }
        }
    }
    let time_from_min = minutes(&mut v, "time_from", &form.time_from);
    let time_to_min = minutes(&mut v, "time_to", &form.time_to);
    let starts = day(&mut v, "starts_on", &form.starts_on);
    let ends = day(&mut v, "ends_on", &form.ends_on);
    if let (Some(s), Some(e)) = (starts, ends) {
        if e < s {
            v.add(
                "ends_on",
                td_string!(current().locale, errors.forms.end_before_start),
            );
        }
    }
    let effect = match form.effect_kind.as_str() {
        "points_per_unit" => v
            .check("effect_value", validate::integer(&form.effect_value, 1, 10_000))
            .map(|p| RuleEffect::PointsPerUnit { points_per_unit: p }),
        "fixed_points" => v
            .check(
                "effect_value",
                validate::integer(&form.effect_value, 1, MAX_RULE_POINTS),
            )
            .map(|p| RuleEffect::FixedPoints { points: p }),
        "per_item" => v
            .check(
                "effect_value",
                validate::integer(&form.effect_value, 1, 1_000_000),
            )
            .map(|p| RuleEffect::PerItem { points: p }),
        "multiplier" => match validate::multiplier(&form.effect_value) {
            Ok(pct) if pct > 100 => Some(RuleEffect::Multiplier { pct }),
            Ok(_) => {
                let lang = current();
                v.add(
                    "effect_value",
                    td_string!(
                        lang.locale,
                        errors.forms.multiplier_too_small,
                        one = count(lang, 1),
                        two = count(lang, 2)
                    )
                    .to_string(),
                );
                None
            }
            Err(m) => {
                v.add("effect_value", m);
                None
            }
        },
        _ => {
            v.add(
                "effect_kind",
                td_string!(current().locale, errors.forms.effect_kind),
            );
            None
        }
    };
    let caps = RuleCaps {
        per_member_awards: None,
        per_event: optional(&mut v, "cap_per_event", &form.cap_per_event),
        per_member_day: optional(&mut v, "cap_per_day", &form.cap_per_day),
        per_member_month: optional(&mut v, "cap_per_month", &form.cap_per_month),
    };
    let budget_points = optional(&mut v, "budget", &form.budget);
    let active = !matches!(form.active.trim(), "no" | "off" | "false");
    v.finish()?;
    let effect = effect.ok_or_else(|| {
        AppError::field(
            "effect_kind",
            td_string!(current().locale, errors.forms.effect_kind),
        )
    })?;
    Ok(EarningRule {
        budget_rule_id: None,
        id: form.id.unwrap_or(0),
        program_id: form.program_id,
        name: name.unwrap_or_default(),
        priority: priority.unwrap_or_default(),
        stacking: stacking.unwrap_or(Stacking::Stack),
        active,
        conditions: RuleConditions {
            campaign_arm: None,
            event_types,
            channels,
            stores: list(&form.stores),
            include_skus: list(&form.include_skus),
            exclude_skus: list(&form.exclude_skus),
            include_categories: list(&form.include_categories),
            exclude_categories: list(&form.exclude_categories),
            include_tags: list(&form.include_tags),
            exclude_tags: list(&form.exclude_tags),
            min_order_minor,
            tier_ids: tiers,
            segment_ids: segments,
            weekdays,
            time_from_min,
            time_to_min,
            starts_at: starts.map(Timestamp::start_of),
            // The end day is included: the rule ends at the next midnight (UTC).
            ends_at: ends.map(|d| Timestamp(Timestamp::start_of(d).0 + SECONDS_PER_DAY)),
        },
        effect,
        caps,
        budget_points,
        budget_used: 0,
    })
}

/// The form filled from a stored rule, for editing.
pub fn to_form(r: &EarningRule, currency_code: &str) -> RuleForm {
    let c = &r.conditions;
    let hm = |m: Option<u16>| {
        m.map(|m| format!("{:02}:{:02}", m / 60, m % 60))
            .unwrap_or_default()
    };
    let (effect_kind, effect_value) = match r.effect {
        RuleEffect::PointsPerUnit { points_per_unit } => ("points_per_unit", points_per_unit.to_string()),
        RuleEffect::FixedPoints { points } => ("fixed_points", points.to_string()),
        RuleEffect::PerItem { points } => ("per_item", points.to_string()),
        RuleEffect::Multiplier { pct } => (
            "multiplier",
            crate::model::program::multiplier_label(pct)
                .trim_start_matches('x')
                .to_string(),
        ),
    };
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    RuleForm {
        id: Some(r.id),
        program_id: r.program_id,
        name: r.name.clone(),
        priority: r.priority.to_string(),
        stacking: r.stacking.as_str().into(),
        active: if r.active { "yes" } else { "no" }.into(),
        event_types: c.event_types.join(", "),
        channels: c.channels.iter().map(|ch| ch.as_str().to_string()).collect(),
        stores: c.stores.join(", "),
        include_skus: c.include_skus.join(", "),
        exclude_skus: c.exclude_skus.join(", "),
        include_categories: c.include_categories.join(", "),
        exclude_categories: c.exclude_categories.join(", "),
        include_tags: c.include_tags.join(", "),
        exclude_tags: c.exclude_tags.join(", "),
        min_order: c
            .min_order_minor
            .map(|m| crate::domain::currency::plain_minor(m, currency_code))
            .unwrap_or_default(),
        tier_ids: c.tier_ids.iter().map(|t| t.to_string()).collect(),
        segment_ids: c.segment_ids.iter().map(|t| t.to_string()).collect(),
        weekdays: c.weekdays.iter().map(|d| d.to_string()).collect(),
        time_from: hm(c.time_from_min),
        time_to: hm(c.time_to_min),
        starts_on: c.starts_at.map(|t| t.date().to_string()).unwrap_or_default(),
        ends_on: c
            .ends_at
            .map(|t| Timestamp(t.0 - SECONDS_PER_DAY).date().to_string())
            .unwrap_or_default(),
        effect_kind: effect_kind.into(),
        effect_value,
        cap_per_event: opt(r.caps.per_event),
        cap_per_day: opt(r.caps.per_member_day),
        cap_per_month: opt(r.caps.per_member_month),
        budget: opt(r.budget_points),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RuleForm {
        RuleForm {
            program_id: crate::model::ids::ProgramId(1),
            name: "Weekend double".into(),
            priority: "10".into(),
            stacking: "stack".into(),
            active: "yes".into(),
            channels: vec!["store".into(), "web".into()],
            weekdays: vec!["6".into(), "7".into()],
            min_order: "20.00".into(),
            time_from: "18:00".into(),
            starts_on: "2026-12-01".into(),
            ends_on: "2026-12-31".into(),
            include_categories: "coffee, pastry".into(),
            effect_kind: "multiplier".into(),
            effect_value: "2".into(),
            cap_per_day: "500".into(),
            budget: "100000".into(),
            ..RuleForm::default()
        }
    }

    #[test]
    fn a_full_form_becomes_a_rule_and_back() {
        let r = parse(&form(), "EUR", &[], &[]).unwrap();
        assert_eq!(r.effect, RuleEffect::Multiplier { pct: 200 });
        assert_eq!(r.conditions.channels, vec![Channel::Store, Channel::Web]);
        assert_eq!(r.conditions.min_order_minor, Some(2000));
        assert_eq!(r.conditions.time_from_min, Some(18 * 60));
        assert_eq!(r.conditions.include_categories, vec!["coffee", "pastry"]);
        assert_eq!(r.caps.per_member_day, Some(500));
        let end = r.conditions.ends_at.unwrap();
        assert_eq!(end.date().to_string(), "2027-01-01", "the end day is included");
        let back = to_form(&r, "EUR");
        assert_eq!(
            (
                back.ends_on.as_str(),
                back.min_order.as_str(),
                back.effect_value.as_str()
            ),
            ("2026-12-31", "20.00", "2")
        );
        assert_eq!(parse(&back, "EUR", &[], &[]).unwrap(), r);
    }

    #[test]
    fn times_dates_and_numbers_in_arabic_indic_digits() {
        let arabic = RuleForm {
            priority: "١٠".into(),
            time_from: "١٨:٣٠".into(),
            starts_on: "٢٠٢٦-١٢-٠١".into(),
            ends_on: "2026-12-٣١".into(),
            min_order: "٢٠٫٠٠".into(),
            effect_value: "٢".into(),
            cap_per_day: "٥٠٠".into(),
            ..form()
        };
        let a = parse(&arabic, "EUR", &[], &[]).unwrap();
        let mut western = form();
        western.time_from = "18:30".into();
        let w = parse(&western, "EUR", &[], &[]).unwrap();
        assert_eq!(a, w);
        let e = parse(
            &RuleForm {
                time_from: "١٨:٣x".into(),
                ..form()
            },
            "EUR",
            &[],
            &[],
        )
        .unwrap_err();
        assert_eq!(
            e.field_message("time_from").as_deref(),
            Some("Use a time like 18:30 (UTC).")
        );
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = RuleForm {
            name: " ".into(),
            priority: "x".into(),
            stacking: "sometimes".into(),
            event_types: "Review!".into(),
            channels: vec!["fax".into()],
            tier_ids: vec!["99".into()],
            segment_ids: vec!["4".into()],
            weekdays: vec!["8".into()],
            time_from: "25:00".into(),
            starts_on: "2026-12-31".into(),
            ends_on: "2026-12-01".into(),
            min_order: "abc".into(),
            effect_kind: "multiplier".into(),
            effect_value: "1".into(),
            cap_per_event: "-1".into(),
            ..form()
        };
        let e = parse(&bad, "EUR", &[1, 2], &[]).unwrap_err();
        for f in [
            "name",
            "priority",
            "stacking",
            "event_types",
            "channels",
            "tier_ids",
            "segment_ids",
            "weekdays",
            "time_from",
            "ends_on",
            "min_order",
            "effect_value",
            "cap_per_event",
        ] {
            assert!(e.field_message(f).is_some(), "{f}: {e:?}");
        }
    }
}
