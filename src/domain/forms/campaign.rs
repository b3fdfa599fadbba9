//! The campaign form, checked field by field: name, segment, channels, dates (the end day
//! is included and may not be before the start), a control group of 0–50 %, one to four
//! variants whose shares add up to 100 %, each with a valid incentive, and the limits.
//! Every problem is reported against its field (`variants.2.share`); nothing is saved until
//! all are right.

use crate::domain::currency::plain_minor;
use crate::domain::lang::current;
use crate::domain::validate;
use crate::error::{count, AppError, Validator};
use crate::i18n::td_string;
use crate::model::campaign::{
    Campaign, CampaignForm, CampaignMessage, Incentive, Variant, VariantRow, DEFAULT_HOLDOUT_PCT,
    MAX_HOLDOUT_PCT, MAX_VARIANTS,
};
use crate::model::message::{channel_label, Channel as MessageChannel};
use crate::model::rules::Channel;
use crate::model::time::{Timestamp, SECONDS_PER_DAY};

use super::rule::day;

/// Most bonus points one variant may give a member.
pub const MAX_BONUS_POINTS: i64 = 1_000_000;
/// Most stamps one variant may give a member.
pub const MAX_BONUS_STAMPS: i64 = 100;
/// Longest campaign, in days.
pub const MAX_DAYS: i64 = 366;

/// What the form is checked against.
pub struct Known<'a> {
    pub currency: &'a str,
    /// The program's segments.
    pub segment_ids: &'a [i64],
    /// The program's active rewards.
    pub reward_ids: &'a [i64],
    /// The program's active stamp cards.
    pub stamp_card_ids: &'a [i64],
    /// The program's templates: name and channel.
    pub templates: &'a [(&'a str, MessageChannel)],
}

/// A checked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCampaign {
    pub id: Option<i64>,
    pub name: String,
    pub segment_id: i64,
    pub channels: Vec<Channel>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub holdout_pct: i64,
    pub variants: Vec<Variant>,
    pub budget_points: Option<i64>,
    pub max_rewards: Option<i64>,
    pub message: Option<CampaignMessage>,
}

/// The message telling members of their offer: none, or a template the program has on every
/// channel chosen.
fn message(v: &mut Validator, form: &CampaignForm, known: &Known) -> Option<CampaignMessage> {
    let l = current().locale;
    let mut channels = Vec::new();
    let mut unknown = false;
    for c in &form.message_channels {
        match MessageChannel::parse(c) {
            Some(ch) if !channels.contains(&ch) => channels.push(ch),
            Some(_) => {}
            None => unknown = true,
        }
    }
    if unknown {
        v.add("message_channels", td_string!(l, errors.forms.unknown_channel));
    }
    let template = form.message_template.trim();
    if template.is_empty() {
        if !channels.is_empty() {
            v.add(
                "message_template",
                td_string!(l, errors.campaigns.choose_template),
            );
        }
        return None;
    }
    if !known.templates.iter().any(|(name, _)| *name == template) {
        v.add(
            "message_template",
            td_string!(l, errors.campaigns.unknown_template),
        );
        return None;
    }
    if channels.is_empty() {
        if !unknown {
            v.add(
                "message_channels",
                td_string!(l, errors.campaigns.choose_message_channel),
            );
        }
        return None;
    }
    for &c in &channels {
        if !known
            .templates
            .iter()
            .any(|(name, ch)| *name == template && *ch == c)
        {
            v.add(
                "message_channels",
                td_string!(
                    l,
                    errors.campaigns.no_template_version,
                    name = current().isolate(template),
                    channel = channel_label(l, c)
                )
                .to_string(),
            );
        }
    }
    Some(CampaignMessage {
        template: template.to_string(),
        channels,
    })
}

fn optional_count(v: &mut Validator, field: &str, s: &str, max: i64) -> Option<i64> {
    if s.trim().is_empty() {
        return None;
    }
    v.check(field, validate::integer(s, 1, max))
}

/// The least order of a bonus (points or stamps): empty = any.
fn min_order(v: &mut Validator, i: usize, row: &VariantRow, known: &Known) -> Option<i64> {
    if row.min_order.trim().is_empty() {
        return Some(0);
    }
    v.check(
        &format!("variants.{i}.min_order"),
        validate::amount(&row.min_order, known.currency),
    )
}

fn incentive(v: &mut Validator, i: usize, row: &VariantRow, known: &Known) -> Option<Incentive> {
    let l = current().locale;
    let field = format!("variants.{i}.value");
    match row.kind.as_str() {
        "bonus_points" => {
            let points = v.check(&field, validate::integer(&row.value, 1, MAX_BONUS_POINTS));
            let min_order_minor = min_order(v, i, row, known);
            Some(Incentive::BonusPoints {
                points: points?,
                min_order_minor: min_order_minor?,
            })
        }
        "stamps" => {
            let stamps = v.check(&field, validate::integer(&row.value, 1, MAX_BONUS_STAMPS));
            let card = match validate::typed_number(&row.card).trim().parse::<i64>() {
                Ok(id) if known.stamp_card_ids.contains(&id) => Some(id),
                _ => {
                    v.add(
                        &format!("variants.{i}.card"),
                        td_string!(l, errors.campaigns.unknown_stamp_card),
                    );
                    None
                }
            };
            let min_order_minor = min_order(v, i, row, known);
            Some(Incentive::Stamps {
                stamp_card_id: card?,
                stamps: stamps?,
                min_order_minor: min_order_minor?,
            })
        }
        "multiplier" => match validate::multiplier(&row.value) {
            Ok(pct) if pct > 100 => Some(Incentive::Multiplier { pct }),
            Ok(_) => {
                let lang = current();
                let m = td_string!(
                    lang.locale,
                    errors.forms.multiplier_too_small,
                    one = count(lang, 1),
                    two = count(lang, 2)
                );
                v.add(&field, m.to_string());
                None
            }
            Err(m) => {
                v.add(&field, m);
                None
            }
        },
        "reward" => match validate::typed_number(&row.value).trim().parse::<i64>() {
            Ok(id) if known.reward_ids.contains(&id) => Some(Incentive::Reward { reward_id: id }),
            _ => {
                v.add(&field, td_string!(l, errors.campaigns.unknown_reward));
                None
            }
        },
        _ => {
            v.add(
                &format!("variants.{i}.kind"),
                td_string!(l, errors.forms.choose_option),
            );
            None
        }
    }
}

/// Checks every field and reports all problems at once.
pub fn parse(form: &CampaignForm, known: &Known) -> Result<ValidCampaign, AppError> {
    let l = current().locale;
    let mut v = Validator::new();
    let id = match form.id.trim() {
        "" => None,
        s => v.check("id", validate::integer(s, 1, i64::MAX)),
    };
    let name = match validate::name(&form.name) {
        Ok(n) if n.chars().count() > 80 => {
            v.add("name", validate::at_most_chars(80));
            None
        }
        r => v.check("name", r),
    };
    let segment_id = match form.segment_id.trim().parse::<i64>() {
        Ok(s) if known.segment_ids.contains(&s) => Some(s),
        _ => {
            v.add("segment_id", td_string!(l, errors.campaigns.choose_segment));
            None
        }
    };
    let mut channels = Vec::new();
    for c in &form.channels {
        match Channel::parse(c) {
            Some(ch) if !channels.contains(&ch) => channels.push(ch),
            Some(_) => {}
            None => v.add("channels", td_string!(l, errors.forms.unknown_channel)),
        }
    }
    let starts = day(&mut v, "starts_on", &form.starts_on);
    let ends = day(&mut v, "ends_on", &form.ends_on);
    if form.starts_on.trim().is_empty() {
        v.add("starts_on", validate::required());
    }
    if form.ends_on.trim().is_empty() {
        v.add("ends_on", validate::required());
    }
    if let (Some(s), Some(e)) = (starts, ends) {
        if e < s {
            v.add("ends_on", td_string!(l, errors.forms.end_before_start));
        } else if (e - s).num_days() + 1 > MAX_DAYS {
            let lang = current();
            v.add(
                "ends_on",
                td_string!(lang.locale, errors.dates.at_most_days, n = count(lang, MAX_DAYS)).to_string(),
            );
        }
    }
    let holdout_pct = if form.holdout.trim().is_empty() {
        Some(DEFAULT_HOLDOUT_PCT)
    } else {
        v.check("holdout", validate::integer(&form.holdout, 0, MAX_HOLDOUT_PCT))
    };
    let rows: Vec<(usize, &VariantRow)> = form
        .variants
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.kind.trim().is_empty())
        .collect();
    let mut variants = Vec::new();
    if rows.is_empty() {
        v.add("variants", td_string!(l, errors.campaigns.no_variants));
    }
    if rows.len() > MAX_VARIANTS {
        let lang = current();
        v.add(
            "variants",
            td_string!(
                lang.locale,
                errors.campaigns.too_many_variants,
                n = count(lang, MAX_VARIANTS as i64)
            )
            .to_string(),
        );
    }
    let mut sum = 0_i64;
    let mut shares_ok = true;
    let mut names: Vec<String> = Vec::new();
    for (n, &(i, row)) in rows.iter().enumerate() {
        let name = if row.name.trim().is_empty() {
            // Unnamed variants are lettered by position: A, B, C, D.
            Some(char::from(b'A' + n.min(25) as u8).to_string())
        } else {
            v.check(&format!("variants.{i}.name"), validate::name(&row.name))
        };
        if let Some(n) = &name {
            if names.iter().any(|x| x.eq_ignore_ascii_case(n)) {
                v.add(
                    &format!("variants.{i}.name"),
                    td_string!(l, errors.campaigns.variant_name_taken),
                );
            }
            names.push(n.clone());
        }
        // One variant takes everyone outside the control group: its share may be left empty.
        let share = if row.share.trim().is_empty() && rows.len() == 1 {
            Some(100)
        } else {
            v.check(
                &format!("variants.{i}.share"),
                validate::integer(&row.share, 1, 100),
            )
        };
        match share {
            Some(s) => sum += s,
            None => shares_ok = false,
        }
        let incentive = incentive(&mut v, i, row, known);
        if let (Some(name), Some(share_pct), Some(incentive)) = (name, share, incentive) {
            variants.push(Variant {
                name,
                share_pct,
                incentive,
            });
        }
    }
    if shares_ok && !rows.is_empty() && sum != 100 {
        let lang = current();
        let last = rows[rows.len() - 1].0;
        v.add(
            &format!("variants.{last}.share"),
            td_string!(lang.locale, errors.campaigns.shares_sum, sum = count(lang, sum)).to_string(),
        );
    }
    let budget_points = optional_count(&mut v, "budget", &form.budget, 1_000_000_000_000);
    let max_rewards = optional_count(&mut v, "max_rewards", &form.max_rewards, 100_000_000);
    let message = message(&mut v, form, known);
    v.finish()?;
    let (Some(name), Some(segment_id), Some(starts), Some(ends), Some(holdout_pct)) =
        (name, segment_id, starts, ends, holdout_pct)
    else {
        return Err(AppError::Internal);
    };
    let starts_at = Timestamp::start_of(starts);
    Ok(ValidCampaign {
        id,
        name,
        segment_id,
        channels,
        starts_at,
        ends_at: Timestamp(Timestamp::start_of(ends).0 + SECONDS_PER_DAY),
        holdout_pct,
        variants,
        budget_points,
        max_rewards,
        message,
    })
}

/// The form showing a saved campaign, for editing.
pub fn form_of(c: &Campaign, currency: &str) -> CampaignForm {
    CampaignForm {
        program_id: c.program_id,
        id: c.id.to_string(),
        name: c.name.clone(),
        segment_id: c.segment_id.to_string(),
        channels: c.channels.iter().map(|ch| ch.as_str().to_string()).collect(),
        starts_on: c.starts_at.date().to_string(),
        ends_on: Timestamp(c.ends_at.0 - 1).date().to_string(),
        holdout: c.holdout_pct.to_string(),
        variants: c
            .variants
            .iter()
            .map(|v| {
                let least = |m: i64| {
                    if m > 0 {
                        plain_minor(m, currency)
                    } else {
                        String::new()
                    }
                };
                let (value, min_order, card) = match &v.incentive {
                    Incentive::BonusPoints {
                        points,
                        min_order_minor,
                    } => (points.to_string(), least(*min_order_minor), String::new()),
                    Incentive::Multiplier { pct } => (format!("{pct}%"), String::new(), String::new()),
                    Incentive::Reward { reward_id } => (reward_id.to_string(), String::new(), String::new()),
                    Incentive::Stamps {
                        stamp_card_id,
                        stamps,
                        min_order_minor,
                    } => (
                        stamps.to_string(),
                        least(*min_order_minor),
                        stamp_card_id.to_string(),
                    ),
                };
                VariantRow {
                    name: v.name.clone(),
                    share: v.share_pct.to_string(),
                    kind: v.incentive.kind().to_string(),
                    value,
                    min_order,
                    card,
                }
            })
            .collect(),
        budget: c.budget_points.map(|b| b.to_string()).unwrap_or_default(),
        max_rewards: c.max_rewards.map(|b| b.to_string()).unwrap_or_default(),
        message_template: c.message.as_ref().map(|m| m.template.clone()).unwrap_or_default(),
        message_channels: c
            .message
            .iter()
            .flat_map(|m| m.channels.iter().map(|ch| ch.as_str().to_string()))
            .collect(),
        updated_at: c.updated_at.0.to_string(),
    }
}

/// A new campaign's form: four weeks from `today`, the default control group, one variant.
pub fn blank(program_id: i64, today: chrono::NaiveDate) -> CampaignForm {
    CampaignForm {
        program_id,
        starts_on: today.to_string(),
        ends_on: (today + chrono::Duration::days(27)).to_string(),
        holdout: DEFAULT_HOLDOUT_PCT.to_string(),
        variants: vec![VariantRow {
            name: "A".into(),
            share: "100".into(),
            kind: "bonus_points".into(),
            ..VariantRow::default()
        }],
        ..CampaignForm::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::campaign::CampaignState;

    const KNOWN: Known = Known {
        currency: "EUR",
        segment_ids: &[3, 4],
        reward_ids: &[9],
        stamp_card_ids: &[5],
        templates: &[
            ("offer", MessageChannel::Email),
            ("offer", MessageChannel::InApp),
            ("news", MessageChannel::Sms),
        ],
    };

    fn row(share: &str, kind: &str, value: &str) -> VariantRow {
        VariantRow {
            name: String::new(),
            share: share.into(),
            kind: kind.into(),
            value: value.into(),
            min_order: String::new(),
            card: String::new(),
        }
    }

    fn good() -> CampaignForm {
        CampaignForm {
            program_id: 1,
            name: "Winter win-back".into(),
            segment_id: "3".into(),
            channels: vec!["store".into(), "web".into()],
            starts_on: "2026-12-01".into(),
            ends_on: "2026-12-31".into(),
            holdout: String::new(),
            variants: vec![row("50", "bonus_points", "200"), row("50", "multiplier", "2")],
            ..CampaignForm::default()
        }
    }

    fn fields(f: &CampaignForm) -> Vec<String> {
        match parse(f, &KNOWN) {
            Err(AppError::Validation { fields, .. }) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_good_form_parses_with_the_default_holdout() {
        let c = parse(&good(), &KNOWN).unwrap();
        assert_eq!(c.holdout_pct, 10);
        assert_eq!(c.starts_at.date().to_string(), "2026-12-01");
        // The end day is included: the campaign ends at the start of the next.
        assert_eq!(c.ends_at.date().to_string(), "2027-01-01");
        assert_eq!(c.variants[0].name, "A");
        assert_eq!(c.variants[1].name, "B");
        assert_eq!(
            c.variants[0].incentive,
            Incentive::BonusPoints {
                points: 200,
                min_order_minor: 0
            }
        );
        assert_eq!(c.variants[1].incentive, Incentive::Multiplier { pct: 200 });
    }

    #[test]
    fn bad_input_is_named_field_by_field() {
        let mut f = good();
        f.holdout = "60".into();
        assert_eq!(fields(&f), vec!["holdout"]);
        f.holdout = "-1".into();
        assert_eq!(fields(&f), vec!["holdout"]);
        let mut f = good();
        f.variants[1].share = "40".into();
        assert_eq!(fields(&f), vec!["variants.1.share"], "90 % is not 100 %");
        let mut f = good();
        f.ends_on = "2026-11-30".into();
        assert_eq!(fields(&f), vec!["ends_on"]);
        let mut f = good();
        f.segment_id = "5".into();
        f.variants[0] = row("50", "reward", "8");
        f.variants[1].value = "1".into();
        assert_eq!(
            fields(&f),
            vec!["segment_id", "variants.0.value", "variants.1.value"]
        );
        let mut f = good();
        f.variants.clear();
        assert_eq!(fields(&f), vec!["variants"]);
        let mut f = good();
        f.variants = (0..5).map(|_| row("20", "bonus_points", "5")).collect();
        assert_eq!(fields(&f), vec!["variants"]);
        let mut f = good();
        f.variants[0].name = "Gold".into();
        f.variants[1].name = "gold".into();
        assert_eq!(fields(&f), vec!["variants.1.name"]);
        let mut f = good();
        f.variants[1] = row("50", "stamps", "0");
        f.variants[1].card = "6".into();
        f.variants[1].min_order = "x".into();
        assert_eq!(
            fields(&f),
            vec!["variants.1.value", "variants.1.card", "variants.1.min_order"],
            "no stamps, a card of no program's, no amount"
        );
        f.variants[1].value = "101".into();
        f.variants[1].card = "5".into();
        f.variants[1].min_order = String::new();
        assert_eq!(fields(&f), vec!["variants.1.value"], "at most 100 stamps");
        let mut f = good();
        f.channels = vec!["fax".into()];
        f.budget = "0".into();
        assert_eq!(fields(&f), vec!["channels", "budget"]);
    }

    #[test]
    fn a_message_needs_a_template_on_every_channel_chosen() {
        let mut f = good();
        f.message_template = "offer".into();
        f.message_channels = vec!["email".into(), "in_app".into(), "email".into()];
        let c = parse(&f, &KNOWN).unwrap();
        assert_eq!(
            c.message,
            Some(CampaignMessage {
                template: "offer".into(),
                channels: vec![MessageChannel::Email, MessageChannel::InApp]
            })
        );
        f.message_channels = vec!["sms".into()];
        assert_eq!(
            fields(&f),
            vec!["message_channels"],
            "no SMS version of \"offer\""
        );
        f.message_channels.clear();
        assert_eq!(
            fields(&f),
            vec!["message_channels"],
            "a template without a channel"
        );
        f.message_channels = vec!["pigeon".into()];
        assert_eq!(fields(&f), vec!["message_channels"]);
        f.message_template = "nothing".into();
        f.message_channels = vec!["email".into()];
        assert_eq!(fields(&f), vec!["message_template"], "an unknown template");
        f.message_template = "  ".into();
        assert_eq!(
            fields(&f),
            vec!["message_template"],
            "channels without a template"
        );
        f.message_channels.clear();
        assert_eq!(parse(&f, &KNOWN).unwrap().message, None);
    }

    #[test]
    fn one_variant_takes_everyone_outside_the_control_group() {
        let mut f = good();
        f.variants = vec![row("", "reward", "9")];
        f.holdout = "0".into();
        let c = parse(&f, &KNOWN).unwrap();
        assert_eq!(c.variants[0].share_pct, 100);
        assert_eq!(c.holdout_pct, 0);
    }

    #[test]
    fn a_saved_campaign_shows_as_it_was_typed() {
        let mut f = good();
        f.variants[0].min_order = "20".into();
        f.variants.push(row("0", "stamps", "2"));
        f.variants[1].share = "25".into();
        f.variants[2].share = "25".into();
        f.variants[2].card = "5".into();
        f.variants[2].min_order = "4.50".into();
        f.message_template = "offer".into();
        f.message_channels = vec!["in_app".into()];
        let v = parse(&f, &KNOWN).unwrap();
        assert_eq!(
            v.variants[2].incentive,
            Incentive::Stamps {
                stamp_card_id: 5,
                stamps: 2,
                min_order_minor: 450
            }
        );
        let c = Campaign {
            id: 7,
            program_id: 1,
            name: v.name.clone(),
            segment_id: v.segment_id,
            channels: v.channels.clone(),
            starts_at: v.starts_at,
            ends_at: v.ends_at,
            holdout_pct: v.holdout_pct,
            variants: v.variants.clone(),
            budget_points: None,
            max_rewards: None,
            message: v.message.clone(),
            state: CampaignState::Draft,
            stopped_at: None,
            points_given: 0,
            rewards_given: 0,
            updated_at: Timestamp(0),
        };
        let back = form_of(&c, "EUR");
        assert_eq!(back.ends_on, "2026-12-31");
        assert_eq!(back.variants[0].min_order, "20.00");
        let again = parse(
            &CampaignForm {
                id: String::new(),
                ..back
            },
            &KNOWN,
        )
        .unwrap();
        assert_eq!(again.variants, v.variants);
        assert_eq!(again.message, v.message);
        assert_eq!((again.starts_at, again.ends_at), (v.starts_at, v.ends_at));
    }
}
