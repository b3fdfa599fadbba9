//! Journeys: saved when sound (`domain::forms::journey`), started and paused, and run by a
//! worker. Each pass, for every active journey: members who reached the goal leave
//! converted, waits for a purchase that came end early, the trigger lets new members in
//! (events since the last pass; states once a local day), and due entries move through
//! their steps. A step's effects (a message in the outbox, points in the ledger, a reward)
//! and the entry's move commit in one transaction, with keys that make a second write
//! impossible, so a restart or a second server never runs a step twice.

use sqlx::AnyConnection;

use crate::domain::forms::journey::{parse, Known};
use crate::domain::lang::current;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::consent::Consents;
use crate::model::ids::{MemberId, MembershipId, ProgramId};
use crate::model::journey::{
    EntryState, Journey, JourneyForm, JourneyListed, JourneyReport, JourneyStatus, Step, StepKind,
    StepReport, Target, Test, TriggerKind,
};
use crate::model::ledger::TxKind;
use crate::model::message::Channel;
use crate::model::template::MessageTemplate;
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::Db;
use crate::server::store::journeys::{self as store, Due, Window};
use crate::server::store::{messages as message_store, programs, segments, templates as template_store};

use super::ledger::{self, Adjuster, Meta};
use super::{rewards, templates};

/// Entries moved in one transaction.
const BATCH: i64 = 200;
/// How long an entry whose step clashed with another transaction waits to run it again.
const RETRY_SECS: i64 = 30;

fn not_found() -> AppError {
    AppError::not_found(td_string!(current().locale, errors.what.journey))
}

/// A program's journeys with their counts.
pub async fn list(db: &Db, program_id: ProgramId) -> Result<Vec<JourneyListed>, AppError> {
    Ok(store::list(db, program_id)
        .await?
        .into_iter()
        .map(|(journey, entered, active, converted)| JourneyListed {
            journey,
            entered,
            active,
            converted,
        })
        .collect())
}

async fn get_with_last(db: &Db, program_id: ProgramId, id: i64) -> Result<(Journey, u32), AppError> {
    let mut conn = db.pool.acquire().await?;
    store::get(&mut conn, program_id, id).await?.ok_or_else(not_found)
}

pub async fn get(db: &Db, program_id: ProgramId, id: i64) -> Result<Journey, AppError> {
    Ok(get_with_last(db, program_id, id).await?.0)
}

/// The form for a journey, or an empty one.
pub async fn form(db: &Db, program_id: ProgramId, id: Option<i64>) -> Result<JourneyForm, AppError> {
    match id {
        Some(id) => Ok(JourneyForm::of(&get(db, program_id, id).await?)),
        None => Ok(JourneyForm {
            program_id: program_id.0,
            goal: "none".into(),
            ..JourneyForm::default()
        }),
    }
}

/// Saves a journey (new ones as drafts). An active journey is paused before it is edited:
/// its members would otherwise be moved by steps that change under them.
pub async fn save(db: &Db, form: &JourneyForm) -> Result<Journey, AppError> {
    let l = current().locale;
    let program_id = ProgramId(form.program_id);
    programs::get(db, program_id).await?;
    let before = match form.id.trim().parse::<i64>() {
        Ok(id) => Some(get_with_last(db, program_id, id).await?),
        Err(_) => None,
    };
    if let Some((j, _)) = &before {
        if j.status == JourneyStatus::Active {
            return Err(AppError::conflict(td_string!(l, errors.journeys.pause_to_edit)));
        }
    }
    // What the form may name: the same lists the editor offers.
    let offered = offered(db, program_id).await?;
    let ids = |list: &[(i64, String)]| list.iter().map(|(id, _)| *id).collect::<Vec<i64>>();
    let (segment_ids, tier_ids, reward_ids) =
        (ids(&offered.segments), ids(&offered.tiers), ids(&offered.rewards));
    let step_ids: Vec<u32> = before
        .as_ref()
        .map(|(j, _)| j.steps.iter().map(|s| s.id).collect())
        .unwrap_or_default();
    let known = Known {
        segment_ids: &segment_ids,
        tier_ids: &tier_ids,
        reward_ids: &reward_ids,
        templates: &offered.templates,
        last_step_id: before.as_ref().map_or(0, |(_, last)| *last),
        step_ids: &step_ids,
    };
    let valid = parse(form, &known)?;
    let last_step_id = valid
        .steps
        .iter()
        .map(|s| s.id)
        .fold(known.last_step_id, u32::max);
    let journey = Journey {
        id: valid.id.unwrap_or(0),
        program_id,
        name: valid.name,
        trigger: valid.trigger,
        trigger_days: valid.trigger_days,
        reentry: valid.reentry,
        goal: valid.goal,
        steps: valid.steps,
        status: before.as_ref().map_or(JourneyStatus::Draft, |(j, _)| j.status),
        updated_at: db.now(),
    };
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let id = match store::save(&mut tx, &journey, last_step_id, now).await? {
        Some(0) => return Err(AppError::field("name", td_string!(l, errors.journeys.name_taken))),
        Some(id) => id,
        None => return Err(not_found()),
    };
    // Members at a step that was removed leave: nothing says where they should go.
    if before.is_some() {
        let kept: Vec<String> = journey.steps.iter().map(|s| s.id.to_string()).collect();
        sqlx::query(&format!(
            "UPDATE journey_entries SET state = 'exited', step_id = NULL, due_at = NULL, left_at = $1, \
             note = 'step removed' WHERE journey_id = $2 AND state = 'active' AND step_id NOT IN ({})",
            if kept.is_empty() {
                "NULL".to_string()
            } else {
                kept.join(", ")
            }
        ))
        .bind(now.0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // The rest are looked at again at once: a wait that changed is timed anew from when
        // its step began.
        sqlx::query("UPDATE journey_entries SET due_at = $1 WHERE journey_id = $2 AND state = 'active'")
            .bind(now.0)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!(journey = id, "journey saved");
    get(db, program_id, id).await
}

/// Starts, pauses or (`Draft` is refused) a journey.
pub async fn set_status(
    db: &Db,
    program_id: ProgramId,
    id: i64,
    status: JourneyStatus,
) -> Result<Journey, AppError> {
    if status == JourneyStatus::Draft {
        return Err(AppError::field(
            "status",
            td_string!(current().locale, errors.forms.choose_option),
        ));
    }
    get(db, program_id, id).await?;
    let mut tx = db.begin_write().await?;
    if status == JourneyStatus::Active {
        // A template deleted while the journey was a draft or paused.
        let (journey, _) = store::get(&mut tx, program_id, id).await?.ok_or_else(not_found)?;
        let sends = journey.steps.iter().filter_map(|s| match &s.kind {
            StepKind::Message {
                template, channel, ..
            } => Some((template.as_str(), *channel)),
            _ => None,
        });
        let sends: Vec<(&str, Channel)> = sends.collect();
        if let Some((name, channel)) = templates::first_missing(&mut tx, program_id, &sends).await? {
            let l = current().locale;
            return Err(AppError::conflict(td_string!(
                l,
                errors.journeys.template_gone,
                name = current().isolate(name),
                channel = crate::model::message::channel_label(l, channel)
            )));
        }
    }
    store::set_status(&mut tx, id, status, db.now()).await?;
    tx.commit().await?;
    tracing::info!(journey = id, status = status.as_str(), "journey status set");
    get(db, program_id, id).await
}

/// Deletes a journey nobody has entered (one that has members is paused instead: its report
/// stays).
pub async fn delete(db: &Db, program_id: ProgramId, id: i64) -> Result<(), AppError> {
    get(db, program_id, id).await?;
    let mut tx = db.begin_write().await?;
    if !store::delete(&mut tx, id).await? {
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.journeys.has_members
        )));
    }
    tx.commit().await?;
    Ok(())
}

/// What a journey did: entries by state, each step's members now and passes by outcome, and
/// its messages.
pub async fn report(db: &Db, program_id: ProgramId, id: i64) -> Result<JourneyReport, AppError> {
    let journey = get(db, program_id, id).await?;
    let states = store::states(db, id).await?;
    let state = |s: EntryState| {
        states
            .iter()
            .find(|(n, _)| n == s.as_str())
            .map_or(0, |(_, c)| *c)
    };
    let here = store::here(db, id).await?;
    let passes = store::passes(db, id).await?;
    let steps = journey
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepReport {
            number: i + 1,
            step: s.clone(),
            here: here
                .iter()
                .find(|(step, _)| *step == i64::from(s.id))
                .map_or(0, |(_, c)| *c),
            outcomes: passes
                .iter()
                .filter(|(step, ..)| *step == i64::from(s.id))
                .map(|(_, outcome, c)| (outcome.clone(), *c))
                .collect(),
        })
        .collect();
    let (messages, message_reasons) = store::messages(db, id).await?;
    Ok(JourneyReport {
        entered: states.iter().map(|(_, c)| c).sum(),
        members: store::members(db, id).await?,
        active: state(EntryState::Active),
        done: state(EntryState::Done),
        converted: state(EntryState::Converted),
        exited: state(EntryState::Exited),
        journey,
        steps,
        messages,
        message_reasons,
        chart_svg: String::new(),
    })
}

/// What the editor offers for the program.
pub async fn choices(
    db: &Db,
    program_id: ProgramId,
) -> Result<crate::model::journey::JourneyChoices, AppError> {
    programs::get(db, program_id).await?;
    offered(db, program_id).await
}

/// The program's segments, tiers, active rewards and template names by channel: what a
/// journey may name.
async fn offered(db: &Db, program_id: ProgramId) -> Result<crate::model::journey::JourneyChoices, AppError> {
    let mut conn = db.pool.acquire().await?;
    let segments = segments::list(&mut conn, program_id.0)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let tiers =
        sqlx::query_as("SELECT id, name FROM tiers WHERE program_id = $1 ORDER BY threshold_points, id")
            .bind(program_id)
            .fetch_all(&mut *conn)
            .await?;
    let rewards =
        sqlx::query_as("SELECT id, name FROM rewards WHERE program_id = $1 AND active = 1 ORDER BY name")
            .bind(program_id)
            .fetch_all(&mut *conn)
            .await?;
    drop(conn);
    let mut templates: Vec<(String, Channel)> = template_store::list(db, program_id)
        .await?
        .into_iter()
        .map(|t| (t.name, t.channel))
        .collect();
    templates.dedup();
    Ok(crate::model::journey::JourneyChoices {
        segments,
        tiers,
        rewards,
        templates,
    })
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub entered: u64,
    pub converted: u64,
    /// Steps run.
    pub steps: u64,
    /// Entries that left (done, converted at a step, or exited).
    pub left: u64,
}

/// The program's time zone and local today.
async fn local_day(
    db: &Db,
    program_id: ProgramId,
    now: Timestamp,
) -> Result<(String, chrono::NaiveDate), AppError> {
    let zone = message_store::settings(db, program_id).await?.time_zone;
    let day = crate::domain::local_time::wall_clock(now, &zone).map_or_else(|| now.date(), |(d, ..)| d);
    Ok((zone, day))
}

/// Events are looked at again this long after they happened: one stamped just before a pass
/// may commit just after it (re-entry keys make the second look harmless).
const EVENT_LAG: i64 = 60;
/// Memberships looked at per transaction in a daily evaluation, so a million members never
/// hold the write lock for long.
const DAILY_CHUNK: i64 = 20_000;

/// Lets members in, ends waits early and converts, for every active journey as of `now`.
pub async fn admit(db: &Db, now: Timestamp) -> Result<Pass, AppError> {
    let mut pass = Pass::default();
    for running in store::active(db).await? {
        // One journey's failure (logged) does not keep the others' members out.
        match admit_one(db, &running, now).await {
            Ok(p) => {
                pass.entered += p.entered;
                pass.converted += p.converted;
            }
            Err(e) => tracing::error!(journey = running.journey.id, error = %e, "journey admission failed"),
        }
    }
    Ok(pass)
}

async fn admit_one(db: &Db, running: &store::Running, now: Timestamp) -> Result<Pass, AppError> {
    let mut pass = Pass::default();
    {
        let j = &running.journey;
        let (_, today) = local_day(db, j.program_id, now).await?;
        let today_n = today
            .signed_duration_since(chrono::NaiveDate::default())
            .num_days();
        let from = running.watermark;
        let window = Window {
            from,
            to: now.0,
            birthdays: &[],
            year: chrono::Datelike::year(&today),
        };
        let mut tx = db.begin_write().await?;
        pass.converted += store::convert(&mut tx, j, from, now).await?;
        for s in &j.steps {
            if matches!(s.kind, StepKind::WaitForPurchase { .. }) {
                store::wake(&mut tx, j, s.id, from, now).await?;
            }
        }
        let daily = j.trigger.daily();
        if !daily {
            pass.entered += store::enter(&mut tx, j, &window, (0, i64::MAX)).await?;
        }
        store::mark(&mut tx, j.id, (now.0 - EVENT_LAG).max(from), None).await?;
        tx.commit().await?;
        if daily && running.evaluated_day < today_n {
            let (lo, hi) = store::id_range(&mut *db.pool.acquire().await?, j.program_id).await?;
            // Birthdays of the days the worker missed (it was down) are caught up, a week at
            // most, each in its own year; a journey just started looks at today only.
            let days: Vec<chrono::NaiveDate> =
                if j.trigger == TriggerKind::Birthday && running.evaluated_day > 0 {
                    crate::domain::birthdays::due_days(today)
                        .into_iter()
                        .filter(|d| {
                            d.signed_duration_since(chrono::NaiveDate::default()).num_days()
                                > running.evaluated_day
                        })
                        .collect()
                } else {
                    vec![today]
                };
            for day in days {
                let birthdays = crate::domain::birthdays::birthdays_on(day);
                let window = Window {
                    birthdays: &birthdays,
                    year: chrono::Datelike::year(&day),
                    ..window
                };
                let mut after = lo - 1;
                while after < hi {
                    let upto = (after + DAILY_CHUNK).min(hi);
                    let mut tx = db.begin_write().await?;
                    pass.entered += store::enter(&mut tx, j, &window, (after, upto)).await?;
                    tx.commit().await?;
                    after = upto;
                }
            }
            let mut tx = db.begin_write().await?;
            store::mark(&mut tx, j.id, (now.0 - EVENT_LAG).max(from), Some(today_n)).await?;
            tx.commit().await?;
        }
    }
    Ok(pass)
}

/// What a program's steps need at hand during a pass.
struct Context {
    journey: Journey,
    zone: String,
    templates: Vec<MessageTemplate>,
}

/// Where an entry goes after a step.
enum Then {
    /// Waits at this step until `due_at`.
    Wait { due_at: i64 },
    /// Moves on (`target` from the step just passed).
    Go(Target),
}

/// The step after `from` for `target`: Some(step) or None (the end).
fn after(steps: &[Step], from: u32, target: Target) -> Option<&Step> {
    match target {
        Target::Exit => None,
        Target::Step(id) => steps.iter().find(|s| s.id == id),
        Target::Next => {
            let i = steps.iter().position(|s| s.id == from)?;
            steps.get(i + 1)
        }
    }
}

/// Whether the membership ordered after `since` (the order that let it in, stamped at or
/// before that moment, does not count) and up to `until`.
async fn purchased_since(
    conn: &mut AnyConnection,
    membership: i64,
    since: i64,
    until: Timestamp,
) -> Result<bool, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM orders WHERE membership_id = $1 AND created_at > $2 AND created_at <= $3 LIMIT 1",
    )
    .bind(membership)
    .bind(since)
    .bind(until.0)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

async fn test(conn: &mut AnyConnection, e: &Due, test: &Test, now: Timestamp) -> Result<bool, AppError> {
    Ok(match test {
        Test::InSegment { segment_id } => segments::of_membership(conn, e.membership_id)
            .await?
            .contains(segment_id),
        Test::Tier { tier_id } => {
            let tier: Option<i64> = sqlx::query_scalar("SELECT tier_id FROM memberships WHERE id = $1")
                .bind(e.membership_id)
                .fetch_one(&mut *conn)
                .await?;
            tier == Some(*tier_id)
        }
        Test::OptedIn { channel } => {
            let bits: i64 = sqlx::query_scalar("SELECT consents FROM members WHERE id = $1")
                .bind(e.member_id)
                .fetch_one(&mut *conn)
                .await?;
            Consents(bits).has(channel.consent())
        }
        Test::ActiveWithin { days } => {
            let last: Option<i64> =
                sqlx::query_scalar("SELECT last_activity_at FROM memberships WHERE id = $1")
                    .bind(e.membership_id)
                    .fetch_one(&mut *conn)
                    .await?;
            last.is_some_and(|t| t > now.0 - days * SECONDS_PER_DAY)
        }
        Test::PurchasedSinceEntry => purchased_since(conn, e.membership_id, e.entered_at, now).await?,
    })
}

/// The key a step's effect is written under, once per entry.
fn key(e: &Due, step: u32) -> String {
    format!("journey:{}:{}", e.id, step)
}

/// Sends the step's template in the member's language (else English, else any), filled for
/// them. "skipped" when the template went or does not render.
#[allow(clippy::too_many_arguments)]
async fn message(
    conn: &mut AnyConnection,
    ctx: &Context,
    e: &Due,
    step: u32,
    (name, channel, topic): (&str, Channel, crate::model::message::Topic),
    offer: &str,
    portal_url: &str,
    now: Timestamp,
) -> Result<&'static str, AppError> {
    let to = templates::ToMember {
        program: ctx.journey.program_id,
        member: MemberId(e.member_id),
        template: name,
        channel,
        topic,
        kind: "journey",
        dedupe_key: key(e, step),
        journey_id: Some(ctx.journey.id),
        campaign_id: None,
    };
    let sent = templates::enqueue_for(
        conn,
        &ctx.templates,
        &to,
        |_| offer.to_string(),
        (portal_url, &ctx.zone),
        now,
    )
    .await?;
    // Written before (a step run again after a crash) is done as well.
    Ok(if sent.is_some() { "done" } else { "skipped" })
}

/// Gives the step's reward free, as a campaign's is: "skipped" when the catalogue has none to
/// give now (out of stock, ended). The reward's name is the offer later messages name.
async fn reward(
    conn: &mut AnyConnection,
    ctx: &Context,
    e: &Due,
    step: u32,
    reward_id: i64,
    now: Timestamp,
) -> Result<Option<String>, AppError> {
    let membership = MembershipId(e.membership_id);
    ledger::lock(conn, membership).await?;
    let reward = rewards::get(conn, reward_id).await?;
    let eligibility = crate::domain::rewards::Eligibility::ANYONE;
    if crate::domain::rewards::unavailable(&reward, eligibility, None, now).is_some()
        || !rewards::take_stock(conn, reward.id).await?
    {
        return Ok(None);
    }
    let description = format!("{}: {} (free)", ctx.journey.name, reward.name);
    let request = key(e, step);
    let meta = Meta {
        reference: Some(&ctx.journey.name),
        request_id: Some(&request),
        ..Meta::new(TxKind::Redeem, "web", &description)
    };
    let program = ctx.journey.program_id;
    let issued = rewards::issue_free(conn, program, membership, &reward, &meta, now).await?;
    rewards::announce_issued(conn, MemberId(e.member_id), program, &reward, &issued, now).await?;
    Ok(Some(reward.name))
}

/// Runs the entry's steps from the one it is at until it waits or leaves. Effects are
/// written on `conn` (the caller's transaction) under keys of the entry and step.
async fn advance(
    conn: &mut AnyConnection,
    ctx: &Context,
    e: &Due,
    portal_url: &str,
    now: Timestamp,
) -> Result<(u64, bool), AppError> {
    let steps = &ctx.journey.steps;
    let mut at = e
        .step_id
        .and_then(|id| steps.iter().find(|s| i64::from(s.id) == id));
    if at.is_none() {
        // Its step was removed meanwhile: nothing says where it should go.
        store::leave(conn, e.id, EntryState::Exited, Some("step removed"), now).await?;
        return Ok((0, true));
    }
    let mut step_at = e.step_at;
    let mut ran = 0;
    // The reward given earlier (this pass or one before a wait), for `{{ offer }}`.
    let mut offer = e.offer.clone().unwrap_or_default();
    if ctx.journey.goal == crate::model::journey::Goal::Purchase
        && purchased_since(conn, e.membership_id, e.entered_at, now).await?
    {
        store::leave(conn, e.id, EntryState::Converted, None, now).await?;
        return Ok((0, true));
    }
    // Forward-only steps: at most one pass through each.
    for _ in 0..=steps.len() {
        let Some(step) = at else {
            store::leave(conn, e.id, EntryState::Done, None, now).await?;
            return Ok((ran, true));
        };
        let then = match &step.kind {
            StepKind::Wait { hours } => {
                let end = step_at + hours * 3600;
                if now.0 < end {
                    Then::Wait { due_at: end }
                } else {
                    store::pass(conn, e, step.id, "done", now).await?;
                    Then::Go(Target::Next)
                }
            }
            StepKind::WaitForPurchase { hours, if_not } => {
                let end = step_at + hours * 3600;
                // Only purchases within the window count (a late pass must not read one made
                // after it closed as an answer).
                if purchased_since(conn, e.membership_id, step_at, Timestamp(now.0.min(end))).await? {
                    store::pass(conn, e, step.id, "purchase", now).await?;
                    Then::Go(Target::Next)
                } else if now.0 < end {
                    Then::Wait { due_at: end }
                } else {
                    store::pass(conn, e, step.id, "timeout", now).await?;
                    Then::Go(*if_not)
                }
            }
            StepKind::Condition { test: t, if_not } => {
                let yes = test(conn, e, t, now).await?;
                store::pass(conn, e, step.id, if yes { "yes" } else { "no" }, now).await?;
                Then::Go(if yes { Target::Next } else { *if_not })
            }
            StepKind::Points { points } => {
                let program = programs::get_in(conn, ctx.journey.program_id).await?;
                let by = Adjuster::Journey {
                    name: &ctx.journey.name,
                };
                let reason = format!("Journey: {}", ctx.journey.name);
                let request = key(e, step.id);
                ledger::adjust_in(
                    conn,
                    &program,
                    by,
                    MembershipId(e.membership_id),
                    *points,
                    &reason,
                    &request,
                    now,
                )
                .await?;
                store::pass(conn, e, step.id, "done", now).await?;
                Then::Go(Target::Next)
            }
            StepKind::Reward { reward_id } => {
                let outcome = match reward(conn, ctx, e, step.id, *reward_id, now).await? {
                    Some(name) => {
                        store::set_offer(conn, e.id, &name).await?;
                        offer = name;
                        "done"
                    }
                    None => "skipped",
                };
                store::pass(conn, e, step.id, outcome, now).await?;
                Then::Go(Target::Next)
            }
            StepKind::Message {
                template,
                channel,
                topic,
            } => {
                let what = (template.as_str(), *channel, *topic);
                let outcome = message(conn, ctx, e, step.id, what, &offer, portal_url, now).await?;
                store::pass(conn, e, step.id, outcome, now).await?;
                Then::Go(Target::Next)
            }
            StepKind::Exit => {
                store::pass(conn, e, step.id, "done", now).await?;
                Then::Go(Target::Exit)
            }
        };
        match then {
            Then::Wait { due_at } => {
                store::move_to(conn, e.id, step.id, step_at, due_at).await?;
                return Ok((ran, false));
            }
            Then::Go(target) => {
                ran += 1;
                // Only where it stops is written: a failure rolls the whole pass of this
                // entry back (its savepoint), effects and moves alike.
                at = after(steps, step.id, target);
                step_at = now.0;
            }
        }
    }
    Err(AppError::Internal)
}

/// Moves every due entry, `BATCH` to a transaction. A step that fails (a member merged away
/// meanwhile) takes only its own entry out, with the error noted; the rest of the batch goes on.
pub async fn move_due(db: &Db, portal_url: &str, now: Timestamp) -> Result<Pass, AppError> {
    let mut pass = Pass::default();
    loop {
        // The running journeys as they are now, read before the write transaction (nothing
        // else is read on another connection while it is open): an edit between batches is
        // seen by the next one.
        let mut contexts = Vec::new();
        for running in store::active(db).await? {
            let (zone, _) = local_day(db, running.journey.program_id, now).await?;
            let templates = template_store::list(db, running.journey.program_id).await?;
            contexts.push(Context {
                journey: running.journey,
                zone,
                templates,
            });
        }
        let mut tx = db.begin_write().await?;
        let due = store::due(&mut tx, db.backend, now, BATCH).await?;
        if due.is_empty() {
            tx.commit().await?;
            return Ok(pass);
        }
        for e in &due {
            let Some(ctx) = contexts.iter().find(|c| c.journey.id == e.journey_id) else {
                // Started after the contexts were read: the next pass takes it.
                store::defer(&mut tx, e.id, now.0 + RETRY_SECS).await?;
                continue;
            };
            sqlx::query("SAVEPOINT journey_step").execute(&mut *tx).await?;
            let result = advance(&mut tx, ctx, e, portal_url, now).await;
            if result.is_err() {
                sqlx::query("ROLLBACK TO SAVEPOINT journey_step")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("RELEASE SAVEPOINT journey_step")
                .execute(&mut *tx)
                .await?;
            match result {
                Ok((ran, left)) => {
                    pass.steps += ran;
                    pass.left += u64::from(left);
                }
                // A passing clash (a lock timeout, a deadlock): the step runs again shortly.
                Err(err) if crate::server::db::clashed(&err) => {
                    tracing::info!(entry = e.id, "journey step clashed; it runs again shortly");
                    store::defer(&mut tx, e.id, now.0 + RETRY_SECS).await?;
                }
                Err(err) => {
                    tracing::warn!(entry = e.id, error = %err, "journey step failed; the member leaves the journey");
                    let note = format!("step failed: {}", err.code());
                    store::leave(&mut tx, e.id, EntryState::Exited, Some(&note), now).await?;
                    pass.left += 1;
                }
            }
        }
        tx.commit().await?;
    }
}

/// One pass of every active journey as of `now`: admissions, then due steps. Safe on two
/// servers at once.
pub async fn run(db: &Db, portal_url: &str, now: Timestamp) -> Result<Pass, AppError> {
    let admitted = admit(db, now).await?;
    let moved = move_due(db, portal_url, now).await?;
    Ok(Pass {
        entered: admitted.entered,
        converted: admitted.converted,
        ..moved
    })
}

/// Runs a pass every `every` until the process ends; failures are logged and the next pass
/// tries again.
pub fn spawn_worker(db: Db, every: std::time::Duration, portal_url: String) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match run(&db, &portal_url, db.now()).await {
                Ok(p) if p != Pass::default() => tracing::info!(?p, "journeys moved"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "journeys pass failed"),
            }
        }
    });
}
