//! Campaigns: saved as drafts, launched (their points are then given by earning rules they
//! own, one per variant that earns, through the one booking pipeline; their rewards are
//! claimed), stopped by hand or ended by their dates. Every change to a launched campaign is
//! recorded. A member's offers are the running campaigns whose segment holds them now and
//! whose hash puts them in a variant, not in the control group; the report compares the
//! variants with the control group.

use std::collections::HashMap;

use crate::domain::campaigns::{arm_of, configured_pcts, ranges};
use crate::domain::forms::campaign::{self as form, Known, ValidCampaign};
use crate::domain::lang::{current, Lang};
use crate::domain::uplift::{self, Moments};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::campaign::{
    ArmReport, Campaign, CampaignForm, CampaignMessage, CampaignOffer, CampaignReport, CampaignState,
    Incentive, Listed, Status, Uplift,
};
use crate::model::ids::{MemberId, ProgramId, UserId};
use crate::model::ledger::TxKind;
use crate::model::message::{Channel as MessageChannel, Topic};
use crate::model::reward::{IssuedReward, RewardKind};
use crate::model::rules::{Channel, EarningRule, RuleCaps, RuleConditions, RuleEffect, Stacking};
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::store::campaigns::{self as store, Fields};
use crate::server::store::{
    budgets, messages as message_store, programs, segments, templates as template_store,
};

use super::ledger::{self, Meta};
use super::{rewards, rules};

/// Bonus points run before every other rule (a rule that stops evaluation cannot hide them);
/// multipliers after every other rule, so they multiply all that was earned.
const BONUS_PRIORITY: i64 = 1_000_000_000;
const MULTIPLIER_PRIORITY: i64 = -1_000_000_000;

fn not_found() -> AppError {
    AppError::not_found(td_string!(current().locale, errors.what.campaign))
}

/// A campaign of the program, read in the caller's transaction.
async fn of_program(
    conn: &mut sqlx::AnyConnection,
    program_id: ProgramId,
    id: i64,
) -> Result<Campaign, AppError> {
    match store::get(conn, id).await? {
        Some(c) if c.program_id == program_id.0 => Ok(c),
        _ => Err(not_found()),
    }
}

/// A program's campaigns, newest first, each with where it stands now.
pub async fn list(db: &Db, program_id: ProgramId) -> Result<Vec<Listed>, AppError> {
    programs::get(db, program_id).await?;
    let now = db.now();
    Ok(store::list(&mut *db.pool.acquire().await?, program_id.0)
        .await?
        .into_iter()
        .map(|campaign| Listed {
            status: campaign.status(now),
            campaign,
        })
        .collect())
}

/// One campaign of the program.
pub async fn get(db: &Db, program_id: ProgramId, id: i64) -> Result<Campaign, AppError> {
    of_program(&mut *db.pool.acquire().await?, program_id, id).await
}

/// The form showing a saved campaign, or a new one's (None).
pub async fn form(db: &Db, program_id: ProgramId, id: Option<i64>) -> Result<CampaignForm, AppError> {
    let program = programs::get(db, program_id).await?;
    Ok(match id {
        Some(id) => form::form_of(&get(db, program_id, id).await?, &program.currency_code),
        None => form::blank(program_id.0, db.now().date()),
    })
}

/// Checks the form against the program's segments and active rewards.
async fn check(db: &Db, input: &CampaignForm) -> Result<ValidCampaign, AppError> {
    let program_id = ProgramId(input.program_id);
    let program = programs::get(db, program_id).await?;
    let mut conn = db.pool.acquire().await?;
    let segment_ids: Vec<i64> = segments::list(&mut conn, program_id.0)
        .await?
        .iter()
        .map(|s| s.id)
        .collect();
    drop(conn);
    let catalogue = rewards::list(db, program_id).await?;
    let reward_ids: Vec<i64> = catalogue.iter().filter(|r| r.active).map(|r| r.id).collect();
    let stamp_card_ids: Vec<i64> = super::stamps::list(db, program_id)
        .await?
        .iter()
        .filter(|c| c.active)
        .map(|c| c.id)
        .collect();
    let saved_templates = template_store::list(db, program_id).await?;
    let templates: Vec<(&str, MessageChannel)> = saved_templates
        .iter()
        .map(|t| (t.name.as_str(), t.channel))
        .collect();
    let known = Known {
        templates: &templates,
        currency: &program.currency_code,
        segment_ids: &segment_ids,
        reward_ids: &reward_ids,
        stamp_card_ids: &stamp_card_ids,
    };
    let valid = form::parse(input, &known)?;
    // The form's rows, empty ones left out as the parse did: errors name the row as typed.
    let rows = input
        .variants
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.kind.trim().is_empty());
    for ((i, _), v) in rows.zip(&valid.variants) {
        if let Incentive::Reward { reward_id } = v.incentive {
            let Some(reward) = catalogue.iter().find(|r| r.id == reward_id) else {
                continue;
            };
            let l = current().locale;
            if reward.kind == RewardKind::PointsPayment {
                return Err(AppError::field(
                    &format!("variants.{i}.value"),
                    td_string!(l, errors.campaigns.points_payment),
                ));
            }
            // Offered to another segment only, it would reach members the catalogue hides it from.
            if reward.segment_id.is_some_and(|s| s != valid.segment_id) {
                return Err(AppError::field(
                    &format!("variants.{i}.value"),
                    td_string!(l, errors.campaigns.reward_other_segment),
                ));
            }
        }
    }
    Ok(valid)
}

fn fields(v: &ValidCampaign) -> Fields<'_> {
    Fields {
        name: &v.name,
        segment_id: v.segment_id,
        channels: &v.channels,
        starts_at: v.starts_at,
        ends_at: v.ends_at,
        holdout_pct: v.holdout_pct,
        variants: &v.variants,
        budget_points: v.budget_points,
        max_rewards: v.max_rewards,
        message: v.message.as_ref(),
    }
}

/// What a launched campaign may not change: its segment, control group and its variants'
/// number, shares and kinds (the split members were given) and stamp cards (what was given
/// is on the first), whether it has a points budget (a budget added later would not count
/// what was given without one), and once begun its start.
fn fixed_changed(before: &Campaign, after: &ValidCampaign, now: Timestamp) -> bool {
    let shape = |v: &[crate::model::campaign::Variant]| -> Vec<(i64, &'static str, Option<i64>)> {
        v.iter()
            .map(|x| (x.share_pct, x.incentive.kind(), x.incentive.stamp_card()))
            .collect()
    };
    before.segment_id != after.segment_id
        || before.holdout_pct != after.holdout_pct
        || shape(&before.variants) != shape(&after.variants)
        || before.budget_points.is_some() != after.budget_points.is_some()
        || (now >= before.starts_at && before.starts_at != after.starts_at)
}

/// The dates and limits of a change to a launched campaign, checked against now and what it
/// has handed out: a start moved into the past, an end that is already past (stopping is the
/// way to end now), fewer rewards than were given.
fn check_launched(before: &Campaign, after: &ValidCampaign, now: Timestamp) -> Result<(), AppError> {
    let l = current().locale;
    let mut v = crate::error::Validator::new();
    let today = Timestamp::start_of(now.date());
    if now < before.starts_at && after.starts_at < today {
        v.add("starts_on", td_string!(l, errors.campaigns.start_past));
    }
    if after.ends_at <= now {
        v.add("ends_on", td_string!(l, errors.campaigns.end_past));
    }
    if after.max_rewards.is_some_and(|m| m < before.rewards_given) {
        let lang = current();
        v.add(
            "max_rewards",
            td_string!(
                lang.locale,
                errors.campaigns.below_given,
                n = crate::error::count(lang, before.rewards_given)
            )
            .to_string(),
        );
    }
    v.finish()
}

/// "field: before → after" for each change a manager made to a launched campaign.
fn changes(before: &Campaign, after: &ValidCampaign) -> Vec<String> {
    let mut out = Vec::new();
    let mut note = |field: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{field}: {a} → {b}"));
        }
    };
    note("name", before.name.clone(), after.name.clone());
    let ch = |c: &[Channel]| c.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ");
    note("channels", ch(&before.channels), ch(&after.channels));
    note("starts_at", before.starts_at.display(), after.starts_at.display());
    note("ends_at", before.ends_at.display(), after.ends_at.display());
    let opt = |o: Option<i64>| o.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
    note("budget", opt(before.budget_points), opt(after.budget_points));
    note("max_rewards", opt(before.max_rewards), opt(after.max_rewards));
    let message = |m: Option<&CampaignMessage>| match m {
        Some(m) => format!(
            "{} ({})",
            m.template,
            m.channels
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        None => "-".into(),
    };
    note(
        "message",
        message(before.message.as_ref()),
        message(after.message.as_ref()),
    );
    for (i, (a, b)) in before.variants.iter().zip(&after.variants).enumerate() {
        note(&format!("variants.{i}.name"), a.name.clone(), b.name.clone());
        let json = |x: &Incentive| serde_json::to_string(x).unwrap_or_default();
        note(
            &format!("variants.{i}.incentive"),
            json(&a.incentive),
            json(&b.incentive),
        );
    }
    out
}

/// Saves a draft, or changes a campaign not yet ended (a launched one within `fixed_changed`,
/// its rules following, the change recorded). Nothing is written unless all of it is.
#[tracing::instrument(skip(db, input), fields(program_id = input.program_id), err(level = "debug"))]
pub async fn save(db: &Db, input: &CampaignForm, user: Option<UserId>) -> Result<Campaign, AppError> {
    let mut valid = check(db, input).await?;
    let program_id = input.program_id;
    let now = db.now();
    let l = current().locale;
    let mut tx = db.begin_write().await?;
    if store::name_taken(&mut tx, program_id, &valid.name, valid.id).await? {
        return Err(AppError::field(
            "name",
            td_string!(l, errors.campaigns.name_taken),
        ));
    }
    let id = match valid.id {
        None => store::insert(&mut tx, program_id, &fields(&valid), now).await?,
        Some(id) => {
            let before = of_program(&mut tx, ProgramId(program_id), id).await?;
            let status = before.status(now);
            if status == Status::Ended {
                return Err(AppError::conflict(td_string!(l, errors.campaigns.ended)));
            }
            // The form shows days: the same first day keeps the start as launched (a draft
            // launched during its first day starts at the moment it was launched).
            if valid.starts_at.date() == before.starts_at.date() {
                valid.starts_at = before.starts_at;
            }
            if status != Status::Draft {
                if fixed_changed(&before, &valid, now) {
                    return Err(AppError::conflict(td_string!(l, errors.campaigns.started_fixed)));
                }
                check_launched(&before, &valid, now)?;
            }
            // As the form was drawn, when it says: a change made meanwhile is not overwritten.
            let seen = match input.updated_at.trim().parse::<i64>() {
                Ok(t) => Timestamp(t),
                Err(_) => before.updated_at,
            };
            if !store::update(&mut tx, id, &fields(&valid), seen, now).await? {
                return Err(AppError::conflict(td_string!(
                    l,
                    errors.campaigns.changed_meanwhile
                )));
            }
            if status != Status::Draft {
                let after = store::get(&mut tx, id).await?.ok_or_else(not_found)?;
                put_rules(&mut tx, &after, now).await?;
                let change = changes(&before, &valid);
                if !change.is_empty() {
                    store::record_edit(&mut tx, id, user.map(|u| u.get()), &change.join("\n"), now).await?;
                }
            }
            id
        }
    };
    tx.commit().await?;
    tracing::info!(campaign = id, "campaign saved");
    get(db, ProgramId(program_id), id).await
}

/// The earning rule that gives variant `i`'s points, if its incentive earns.
fn variant_rule(c: &Campaign, i: usize, existing: Option<i64>, owner: Option<i64>) -> Option<EarningRule> {
    let v = &c.variants[i];
    let arm = ranges(
        c.id,
        c.holdout_pct,
        &c.variants.iter().map(|v| v.share_pct).collect::<Vec<_>>(),
    )[i];
    let mut conditions = RuleConditions {
        channels: c.channels.clone(),
        segment_ids: vec![c.segment_id],
        starts_at: Some(c.starts_at),
        ends_at: Some(c.effective_end()),
        campaign_arm: Some(arm),
        ..RuleConditions::default()
    };
    let (priority, effect, caps) = match v.incentive {
        Incentive::BonusPoints {
            points,
            min_order_minor,
        } => {
            conditions.min_order_minor = (min_order_minor > 0).then_some(min_order_minor);
            let caps = RuleCaps {
                per_member_awards: Some(1),
                ..RuleCaps::default()
            };
            (BONUS_PRIORITY, RuleEffect::FixedPoints { points }, caps)
        }
        Incentive::Multiplier { pct } => (
            MULTIPLIER_PRIORITY,
            RuleEffect::Multiplier { pct },
            RuleCaps::default(),
        ),
        Incentive::Reward { .. } | Incentive::Stamps { .. } => return None,
    };
    Some(EarningRule {
        id: existing.unwrap_or(0),
        program_id: ProgramId(c.program_id),
        name: format!("{} · {}", c.name, v.name),
        priority,
        stacking: Stacking::Stack,
        active: c.state == CampaignState::Launched,
        conditions,
        effect,
        caps,
        budget_points: c.budget_points,
        budget_used: 0,
        budget_rule_id: owner,
    })
}

/// Writes a launched campaign's rules as the campaign now stands (created at launch, kept in
/// step with each change), and its budget in the first rule's slots.
async fn put_rules(conn: &mut sqlx::AnyConnection, c: &Campaign, now: Timestamp) -> Result<(), AppError> {
    let existing = store::rules_of(conn, c.id).await?;
    let mut owner: Option<i64> = None;
    for i in 0..c.variants.len() {
        let had = existing.iter().find(|(_, v)| *v == i as i64).map(|(id, _)| *id);
        let Some(rule) = variant_rule(c, i, had, owner) else {
            continue;
        };
        let id = rules::put_campaign_rule(conn, &rule, c.id, i, now).await?;
        if owner.is_none() {
            owner = Some(id);
            budgets::set(conn, id, c.budget_points).await.map_err(|e| {
                match e.field_message("budget_points") {
                    Some(m) => AppError::field("budget", m),
                    None => e,
                }
            })?;
        }
    }
    Ok(())
}

/// The stamps the program's launched campaigns give on orders, for the bookings' setup (read
/// again whenever a campaign's launch, dates or variants change: they move the setup epoch).
pub async fn stamp_bonuses(
    conn: &mut sqlx::AnyConnection,
    program_id: ProgramId,
    now: Timestamp,
) -> Result<Vec<super::stamps::StampBonus>, AppError> {
    let mut out = Vec::new();
    for c in store::not_ended(conn, program_id.0, now).await? {
        let arms = ranges(c.id, c.holdout_pct, &shares(&c));
        for (v, arm) in c.variants.iter().zip(arms) {
            if let Incentive::Stamps {
                stamp_card_id,
                stamps,
                min_order_minor,
            } = v.incentive
            {
                out.push(super::stamps::StampBonus {
                    campaign_id: c.id,
                    segment_id: c.segment_id,
                    channels: c.channels.clone(),
                    starts_at: c.starts_at,
                    ends_at: c.effective_end(),
                    arm,
                    stamp_card_id,
                    stamps,
                    min_order_minor,
                });
            }
        }
    }
    Ok(out)
}

/// Launches a draft: from its start its offers show and its rules give.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn launch(
    db: &Db,
    program_id: ProgramId,
    id: i64,
    user: Option<UserId>,
) -> Result<Campaign, AppError> {
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let c = of_program(&mut tx, program_id, id).await?;
    let l = current().locale;
    if c.state != CampaignState::Draft {
        return Err(AppError::conflict(td_string!(l, errors.campaigns.not_draft)));
    }
    if now >= c.ends_at {
        return Err(AppError::conflict(td_string!(l, errors.campaigns.launch_past)));
    }
    // The segment may have been deleted since the draft was saved, a stamp card retired.
    if segments::get(&mut tx, c.segment_id).await?.is_none() {
        return Err(AppError::conflict(td_string!(l, errors.campaigns.segment_gone)));
    }
    if let Some(m) = &c.message {
        let sends: Vec<(&str, MessageChannel)> =
            m.channels.iter().map(|ch| (m.template.as_str(), *ch)).collect();
        if let Some((name, channel)) = super::templates::first_missing(&mut tx, program_id, &sends).await? {
            return Err(AppError::conflict(td_string!(
                l,
                errors.campaigns.template_gone,
                name = current().isolate(name),
                channel = crate::model::message::channel_label(l, channel)
            )));
        }
    }
    let active_cards = super::stamps::active_cards(&mut tx, program_id).await?;
    for card in c.variants.iter().filter_map(|v| v.incentive.stamp_card()) {
        if !active_cards.iter().any(|k| k.id == card) {
            return Err(AppError::conflict(td_string!(l, errors.campaigns.card_retired)));
        }
    }
    if !store::set_state(&mut tx, id, CampaignState::Draft, CampaignState::Launched, now).await? {
        return Err(AppError::conflict(td_string!(
            l,
            errors.campaigns.changed_meanwhile
        )));
    }
    // Launched after its first day began, it starts now: what members did before launch is
    // no effect of it (and no order before now earns from it).
    let starts_at = if c.starts_at < now {
        store::set_start(&mut tx, id, now).await?;
        now
    } else {
        c.starts_at
    };
    let launched = Campaign {
        state: CampaignState::Launched,
        starts_at,
        ..c
    };
    put_rules(&mut tx, &launched, now).await?;
    store::record_edit(&mut tx, id, user.map(|u| u.get()), "launched", now).await?;
    tx.commit().await?;
    tracing::info!(campaign = id, "campaign launched");
    get(db, program_id, id).await
}

/// Stops a scheduled or running campaign now: its offers go, its rules give no more.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn stop(
    db: &Db,
    program_id: ProgramId,
    id: i64,
    user: Option<UserId>,
) -> Result<Campaign, AppError> {
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let c = of_program(&mut tx, program_id, id).await?;
    if !matches!(c.status(now), Status::Scheduled | Status::Running)
        || !store::set_state(&mut tx, id, CampaignState::Launched, CampaignState::Stopped, now).await?
    {
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.campaigns.not_live
        )));
    }
    rules::stop_campaign_rules(&mut tx, id, now).await?;
    message_store::suppress_ended_offers(&mut tx, now).await?;
    store::record_edit(&mut tx, id, user.map(|u| u.get()), "stopped", now).await?;
    tx.commit().await?;
    tracing::info!(campaign = id, "campaign stopped");
    get(db, program_id, id).await
}

/// Deletes a draft (a launched campaign is kept for its report).
pub async fn delete(db: &Db, program_id: ProgramId, id: i64) -> Result<(), AppError> {
    get(db, program_id, id).await?;
    let mut tx = db.begin_write().await?;
    if !store::delete_draft(&mut tx, id).await? {
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.campaigns.not_draft
        )));
    }
    tx.commit().await?;
    Ok(())
}

/// The offer's headline in the reader's language; `name` is the reward's or stamp card's.
fn headline(lang: Lang, incentive: &Incentive, name: &str, unit: &str, currency: &str) -> String {
    let l = lang.locale;
    match *incentive {
        Incentive::Stamps {
            stamps,
            min_order_minor,
            ..
        } => {
            let (count, n, card) = (stamps.unsigned_abs(), lang.number(stamps), lang.isolate(name));
            if min_order_minor > 0 {
                let amount = lang.money(min_order_minor, currency);
                td_string!(
                    l,
                    portal.offers.stamps_min,
                    count = count,
                    n = n,
                    card = card,
                    amount = amount
                )
                .to_string()
            } else {
                td_string!(l, portal.offers.stamps, count = count, n = n, card = card).to_string()
            }
        }
        Incentive::BonusPoints {
            points,
            min_order_minor,
        } if min_order_minor > 0 => td_string!(
            l,
            portal.offers.bonus_min,
            points = lang.number(points),
            unit = unit.to_string(),
            amount = lang.money(min_order_minor, currency)
        )
        .to_string(),
        Incentive::BonusPoints { points, .. } => td_string!(
            l,
            portal.offers.bonus,
            points = lang.number(points),
            unit = unit.to_string()
        )
        .to_string(),
        Incentive::Multiplier { pct } => td_string!(
            l,
            portal.offers.multiplier,
            times = crate::domain::rules::times_label(lang, pct),
            unit = unit.to_string()
        )
        .to_string(),
        Incentive::Reward { .. } => {
            td_string!(l, portal.offers.reward, reward = name.to_string()).to_string()
        }
    }
}

fn shares(c: &Campaign) -> Vec<i64> {
    c.variants.iter().map(|v| v.share_pct).collect()
}

/// The campaigns offering something to the member now, in `channel` when one is named: a
/// running campaign whose segment holds them and whose split puts them in a variant. Control
/// members, and members who have not joined the program, see none.
pub async fn offers(
    db: &Db,
    program_id: ProgramId,
    member_id: MemberId,
    channel: Option<Channel>,
) -> Result<Vec<CampaignOffer>, AppError> {
    let program = programs::get(db, program_id).await?;
    let now = db.now();
    let mut conn = db.pool.acquire().await?;
    let membership = super::members::find_membership(&mut conn, member_id, program_id)
        .await?
        .map(|m| m.get());
    let Some(membership_id) = membership else {
        return Ok(Vec::new());
    };
    let live = store::live(&mut conn, program_id.0, now).await?;
    if live.is_empty() {
        return Ok(Vec::new());
    }
    let in_segments = segments::of_membership(&mut conn, membership_id).await?;
    let lang = current();
    let mut out = Vec::new();
    for c in live {
        if !in_segments.contains(&c.segment_id) || channel.is_some_and(|ch| !c.in_channel(ch)) {
            continue;
        }
        let Some(i) = arm_of(c.id, membership_id, c.holdout_pct, &shares(&c)) else {
            continue;
        };
        let incentive = c.variants[i].incentive.clone();
        let (mut reward_name, mut claimed_code, mut used) = (String::new(), None, false);
        match incentive {
            Incentive::Reward { reward_id } => {
                reward_name = rewards::get(&mut conn, reward_id).await?.name;
                if let Some(issued) = store::claim_of(&mut conn, c.id, membership_id).await? {
                    let issued = rewards::issued_by_id(&mut conn, issued).await?;
                    claimed_code = Some(issued.code);
                    used = issued.status == crate::model::reward::RewardStatus::Used;
                }
            }
            Incentive::BonusPoints { .. } => {
                used = store::given_to(&mut conn, c.id, i, membership_id).await?;
            }
            Incentive::Stamps { stamp_card_id, .. } => {
                reward_name = super::stamps::name_of(&mut conn, stamp_card_id).await?;
                used = super::stamps::campaign_gave(&mut conn, c.id, membership_id).await?;
            }
            Incentive::Multiplier { .. } => {}
        }
        out.push(CampaignOffer {
            program_id: c.program_id,
            campaign_id: c.id,
            campaign_name: c.name.clone(),
            headline: headline(
                lang,
                &incentive,
                &reward_name,
                &program.currency_name,
                &program.currency_code,
            ),
            incentive,
            reward_name,
            channels: c.channels.clone(),
            ends_at: c.effective_end(),
            claimed_code,
            used,
        });
    }
    Ok(out)
}

/// Claims a campaign's reward for a member (on the portal, at the Desk or through the channel
/// API): free, once per member (a second claim answers the first's code), within the
/// campaign's and the reward's limits, in one transaction under the membership's lock.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn claim(
    db: &Db,
    program_id: ProgramId,
    member_id: MemberId,
    campaign_id: i64,
    channel: Channel,
    recorded_by: Option<UserId>,
) -> Result<IssuedReward, AppError> {
    let l = current().locale;
    let refused = || AppError::conflict(td_string!(l, errors.campaigns.not_for_member));
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let membership = super::members::find_membership(&mut tx, member_id, program_id).await?;
    let membership_id = membership.ok_or_else(refused)?;
    ledger::lock(&mut tx, membership_id).await?;
    let c = of_program(&mut tx, program_id, campaign_id).await?;
    // Claimed before: the same code, whatever has changed since (a retry after the end, a
    // member who left the segment).
    if let Some(issued) = store::claim_of(&mut tx, c.id, membership_id.get()).await? {
        return rewards::issued_by_id(&mut tx, issued).await;
    }
    let program = programs::get_in(&mut tx, program_id).await?;
    if !program.active {
        return Err(AppError::ProgramInactive);
    }
    let in_segment = segments::of_membership(&mut tx, membership_id.get())
        .await?
        .contains(&c.segment_id);
    if c.status(now) != Status::Running || !in_segment {
        return Err(refused());
    }
    if !c.in_channel(channel) {
        return Err(AppError::conflict(td_string!(l, errors.campaigns.wrong_channel)));
    }
    let Some(variant) = arm_of(c.id, membership_id.get(), c.holdout_pct, &shares(&c)) else {
        return Err(refused());
    };
    let Incentive::Reward { reward_id } = c.variants[variant].incentive else {
        return Err(refused());
    };
    let reward = rewards::get(&mut tx, reward_id).await?;
    // The catalogue's own terms still hold (offered, dates, codes, stock, channel); the
    // campaign stands in for points, tier and the per-member limit.
    if let Some(message) = crate::domain::rewards::unavailable(
        &reward,
        crate::domain::rewards::Eligibility::ANYONE,
        Some(channel),
        now,
    ) {
        return Err(AppError::RewardUnavailable { message });
    }
    if !store::take_reward(&mut tx, c.id, now).await? {
        return Err(AppError::RewardUnavailable {
            message: td_string!(l, errors.campaigns.none_left).into(),
        });
    }
    if !rewards::take_stock(&mut tx, reward.id).await? {
        return Err(AppError::RewardUnavailable {
            message: td_string!(l, errors.rewards.out_of_stock).into(),
        });
    }
    let description = format!("{}: {} (free)", c.name, reward.name);
    let meta = Meta {
        reference: Some(&c.name),
        recorded_by,
        ..Meta::new(TxKind::Redeem, channel.as_str(), &description)
    };
    let issued = rewards::issue_free(&mut tx, program_id, membership_id, &reward, &meta, now).await?;
    let money = if reward.kind.value_is_money() {
        reward.value
    } else {
        0
    };
    store::insert_claim(&mut tx, c.id, membership_id.get(), variant, issued.id, money, now).await?;
    rewards::announce_issued(&mut tx, member_id, program_id, &reward, &issued, now).await?;
    tx.commit().await?;
    tracing::info!(campaign = c.id, issued = issued.id, "campaign reward claimed");
    Ok(issued)
}

/// The campaign's report: every member who was in its segment while it ran, in the arm the
/// hash gives them; what each arm bought over the campaign's dates (up to now), what the
/// incentives cost at the point value, and each variant against the control group.
pub async fn report(db: &Db, program_id: ProgramId, id: i64) -> Result<CampaignReport, AppError> {
    let program = programs::get(db, program_id).await?;
    let c = get(db, program_id, id).await?;
    let now = db.now();
    let status = c.status(now);
    // Read before `conn` is taken: a single-connection pool would wait for it.
    let messages = message_store::counts(db, message_store::Of::Campaign(id)).await?;
    let failed_messages = message_store::failed(db, message_store::Of::Campaign(id), 50).await?;
    let time_zone = message_store::settings(db, program_id).await?.time_zone;
    let mut conn = db.pool.acquire().await?;
    let segment_name: String = sqlx::query_scalar("SELECT name FROM segments WHERE id = $1")
        .bind(c.segment_id)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_default();
    let edits = store::edits(&mut conn, id).await?;
    let shares = shares(&c);
    let arms = c.variants.len() + 1;
    let mut report = CampaignReport {
        status,
        segment_name,
        currency: program.currency_code.clone(),
        arms: Vec::new(),
        reach: 0,
        edits,
        chart_svg: String::new(),
        messages,
        failed_messages,
        time_zone,
        campaign: c.clone(),
    };
    // Up to its end, or while it runs up to this second (included).
    let to = if c.effective_end() <= now {
        c.effective_end()
    } else {
        Timestamp(now.0 + 1)
    };
    let pcts = configured_pcts(c.holdout_pct, &shares);
    let names: Vec<(String, bool)> = std::iter::once((
        td_string!(current().locale, manage.campaigns.control).to_string(),
        true,
    ))
    .chain(c.variants.iter().map(|v| (v.name.clone(), false)))
    .collect();
    let members: Vec<i64> = if status == Status::Draft || to <= c.starts_at {
        Vec::new()
    } else {
        store::reached(&mut conn, c.segment_id, c.starts_at, to).await?
    };
    let orders: HashMap<i64, (i64, i64)> = if members.is_empty() {
        HashMap::new()
    } else {
        store::orders_by_member(&mut conn, program_id.0, c.starts_at, to)
            .await?
            .into_iter()
            .map(|(m, n, s)| (m, (n, s)))
            .collect()
    };
    let mut points_by_arm = vec![0_i64; arms];
    let mut redeemed_by_arm = vec![0_i64; arms];
    let mut money_by_arm = vec![0_i64; arms];
    // One row per member and variant: each is a member who had the variant's points.
    for (_, v, p) in store::awards(&mut conn, id).await? {
        let arm = v as usize + 1;
        if arm < arms {
            redeemed_by_arm[arm] += 1;
            points_by_arm[arm] += p;
        }
    }
    for (_, v, money) in store::claims(&mut conn, id).await? {
        let arm = v as usize + 1;
        if arm < arms {
            redeemed_by_arm[arm] += 1;
            money_by_arm[arm] += money;
        }
    }
    // Stamps: one row per member given them; each stamp costs its share of what the card's
    // reward is worth in money (nothing for a reward without a money value).
    let given = super::stamps::campaign_given(&mut conn, id).await?;
    if !given.is_empty() {
        let mut stamps_by_arm = vec![0_i64; arms];
        for (m, stamps) in given {
            if let Some(i) = arm_of(c.id, m, c.holdout_pct, &shares) {
                redeemed_by_arm[i + 1] += 1;
                stamps_by_arm[i + 1] += stamps;
            }
        }
        for (i, v) in c.variants.iter().enumerate() {
            if let Some(card) = v.incentive.stamp_card() {
                let (value, required) = super::stamps::stamp_value(&mut conn, card).await?;
                money_by_arm[i + 1] +=
                    (stamps_by_arm[i + 1] as i128 * value as i128 / required.max(1) as i128) as i64;
            }
        }
    }
    // Per member revenue of each arm, zeros included (a member who bought nothing counts).
    let mut revenue: Vec<Vec<f64>> = vec![Vec::new(); arms];
    let mut buyers = vec![0_i64; arms];
    let mut order_count = vec![0_i64; arms];
    let mut revenue_sum = vec![0_i64; arms];
    for &m in &members {
        let arm = arm_of(c.id, m, c.holdout_pct, &shares).map_or(0, |i| i + 1);
        let (n, spend) = orders.get(&m).copied().unwrap_or((0, 0));
        revenue[arm].push(spend as f64);
        if n > 0 {
            buyers[arm] += 1;
        }
        order_count[arm] += n;
        revenue_sum[arm] += spend;
    }
    report.reach = members.len() as i64;
    let control = Moments::of(revenue[0].iter().copied());
    for arm in 0..arms {
        let n = revenue[arm].len() as i64;
        let cost = points_by_arm[arm] * program.point_value_minor + money_by_arm[arm];
        let uplift = (arm > 0)
            .then(|| {
                let mine = Moments::of(revenue[arm].iter().copied());
                let welch = uplift::welch(mine, control)?;
                let conv = uplift::proportions(buyers[arm] as u64, n as u64, buyers[0] as u64, control.n)?;
                let incremental = welch.diff * n as f64;
                Some(Uplift {
                    revenue_per_member: welch.diff,
                    revenue_low: welch.low,
                    revenue_high: welch.high,
                    conversion: conv.diff,
                    conversion_low: conv.low,
                    conversion_high: conv.high,
                    incremental_revenue_minor: incremental.round() as i64,
                    roi: uplift::roi(incremental, cost),
                    inconclusive: welch.inconclusive(),
                })
            })
            .flatten();
        report.arms.push(ArmReport {
            name: names[arm].0.clone(),
            control: names[arm].1,
            configured_pct: pcts[arm],
            actual_pct: if members.is_empty() {
                0.0
            } else {
                n as f64 * 100.0 / members.len() as f64
            },
            members: n,
            redeemed: redeemed_by_arm[arm],
            buyers: buyers[arm],
            orders: order_count[arm],
            revenue_minor: revenue_sum[arm],
            cost_minor: cost,
            points_given: points_by_arm[arm],
            uplift,
        });
    }
    Ok(report)
}

/// What one announcement pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Announced {
    /// Segment members looked at for the first time (control members included).
    pub members: u64,
    /// Messages written to the outbox.
    pub messages: u64,
    /// Messages of ended or stopped campaigns suppressed before they went.
    pub suppressed: u64,
}

/// Members looked at per transaction (each is a few reads and a write per channel).
const ANNOUNCE_BATCH: i64 = 200;

/// Tells each running campaign's members of their offer, once each: every member its segment
/// holds now and the pass has not looked at yet (so members who join the segment later are
/// told too). Control members are noted and told nothing. Messages go through the outbox as
/// offers (consent, caps and quiet hours apply there); those still waiting when their
/// campaign ends or is stopped are not sent. Safe on two servers at once: a member is looked
/// at under a unique key, and each message has its own. One campaign's failure is logged and
/// the others go on.
pub async fn announce(db: &Db, portal_url: &str, now: Timestamp) -> Result<Announced, AppError> {
    let mut out = Announced::default();
    let mut tx = db.begin_write().await?;
    out.suppressed = message_store::suppress_ended_offers(&mut tx, now).await?;
    tx.commit().await?;
    let running = store::announcing(&mut *db.pool.acquire().await?, now).await?;
    for c in running {
        if let Err(e) = announce_one(db, &c, portal_url, now, &mut out).await {
            tracing::error!(campaign = c.id, error = %e, "campaign messages not written this pass");
        }
    }
    Ok(out)
}

/// `announce` for one running campaign.
async fn announce_one(
    db: &Db,
    c: &Campaign,
    portal_url: &str,
    now: Timestamp,
    out: &mut Announced,
) -> Result<(), AppError> {
    let Some(message) = c.message.clone() else {
        return Ok(());
    };
    let program_id = ProgramId(c.program_id);
    let program = programs::get(db, program_id).await?;
    let zone = message_store::settings(db, program_id).await?.time_zone;
    let templates = template_store::list(db, program_id).await?;
    // Members are noted once, by whichever channels can tell them then: a channel whose
    // template was deleted meanwhile (or one added after launch) reaches only members noted
    // later. With no channel ready nobody is noted, so they are told once one is.
    let channels: Vec<MessageChannel> = message
        .channels
        .iter()
        .copied()
        .filter(|ch| {
            templates
                .iter()
                .any(|t| t.name == message.template && t.channel == *ch)
        })
        .collect();
    if channels.is_empty() {
        tracing::warn!(
            campaign = c.id,
            template = message.template,
            "campaign message has no template; nobody is told"
        );
        return Ok(());
    }
    let mut names = Vec::with_capacity(c.variants.len());
    {
        let mut conn = db.pool.acquire().await?;
        for v in &c.variants {
            names.push(match v.incentive {
                Incentive::Reward { reward_id } => rewards::get(&mut conn, reward_id).await?.name,
                Incentive::Stamps { stamp_card_id, .. } => {
                    super::stamps::name_of(&mut conn, stamp_card_id).await?
                }
                _ => String::new(),
            });
        }
    }
    let shares = shares(c);
    loop {
        // Read before the write lock is taken: once everyone is noted, a pass only reads.
        let batch =
            store::unannounced(&mut *db.pool.acquire().await?, c.id, c.segment_id, ANNOUNCE_BATCH).await?;
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = db.begin_write().await?;
        // Stopped (or ended) since the pass began: nothing more is written for it.
        if store::get(&mut tx, c.id)
            .await?
            .is_none_or(|now_c| now_c.status(now) != Status::Running)
        {
            tx.commit().await?;
            return Ok(());
        }
        for (membership, member) in batch {
            let arm = arm_of(c.id, membership, c.holdout_pct, &shares);
            if !store::mark_announced(&mut tx, c.id, membership, arm, now).await? {
                continue;
            }
            out.members += 1;
            let Some(i) = arm else {
                continue;
            };
            let incentive = &c.variants[i].incentive;
            let offer = |lang: Lang| {
                headline(
                    lang,
                    incentive,
                    &names[i],
                    &program.currency_name,
                    &program.currency_code,
                )
            };
            for &channel in &channels {
                let to = super::templates::ToMember {
                    program: program_id,
                    member: MemberId(member),
                    template: &message.template,
                    channel,
                    topic: Topic::Offers,
                    kind: "campaign",
                    dedupe_key: format!("campaign:{}:{membership}:{}", c.id, channel.as_str()),
                    journey_id: None,
                    campaign_id: Some(c.id),
                };
                // One member's failure (a profile gone meanwhile) costs only their message.
                sqlx::query("SAVEPOINT campaign_message")
                    .execute(&mut *tx)
                    .await?;
                let sent =
                    super::templates::enqueue_for(&mut tx, &templates, &to, offer, (portal_url, &zone), now)
                        .await;
                if sent.is_err() {
                    sqlx::query("ROLLBACK TO SAVEPOINT campaign_message")
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("RELEASE SAVEPOINT campaign_message")
                    .execute(&mut *tx)
                    .await?;
                match sent {
                    Ok(Some(true)) => out.messages += 1,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(campaign = c.id, membership, error = %e, "campaign message not written")
                    }
                }
            }
        }
        tx.commit().await?;
    }
}

/// Runs an announcement pass every `every` until the process ends.
pub fn spawn_announcer(db: Db, every: std::time::Duration, portal_url: String) {
    crate::server::outbox::spawn_every("campaign messages", every, move || {
        let (db, portal_url) = (db.clone(), portal_url.clone());
        async move {
            let pass = announce(&db, &portal_url, db.now()).await?;
            if pass != Announced::default() {
                tracing::info!(?pass, "campaign messages written");
            }
            Ok(())
        }
    });
}
