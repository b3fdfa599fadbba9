//! How long a win-back journey's daily evaluation takes (`omniloyal demo bench-journeys`): a
//! fresh program with members enrolled in bulk a year ago, a share of them active since, and
//! a running win-back journey (60 days without activity: an inbox message, then a wait for a
//! purchase). Timed apart: the first day's evaluation, which lets in every lapsed member;
//! the first step for all of them (the message rendered for each and written to the outbox);
//! and the next day's evaluation, when nobody new has lapsed. A benchmark, not a test: it
//! prints figures and checks nothing. Run it on a scratch database.

use std::time::Instant;

use crate::error::AppError;
use crate::model::journey::{JourneyForm, JourneyStatus, StepRow};
use crate::model::template::TemplateForm;
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::Db;
use crate::server::service::{journeys, templates};

/// What the bench measured.
#[derive(Debug)]
pub struct Figures {
    pub members: usize,
    pub enrol_s: f64,
    pub lapsed: u64,
    pub evaluate_s: f64,
    pub steps: u64,
    pub steps_s: f64,
    pub next_day_s: f64,
    pub peak_mib: Option<f64>,
}

/// Enrols `members` members, `active_pct` per cent of them active in the last month, and
/// times the win-back journey over them.
pub async fn run(db: &Db, members: usize, active_pct: usize) -> Result<Figures, AppError> {
    let program = super::messages_bench::bench_program(db, "Journeys").await?;
    let now = db.now();
    let started = Instant::now();
    super::messages_bench::enrol_bench_members(
        db,
        program.id,
        members,
        Timestamp(now.0 - 365 * SECONDS_PER_DAY),
    )
    .await?;
    // A share were active lately (spread over the last month); every member takes the inbox
    // and offers.
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE memberships SET last_activity_at = $1 - (id % 30) * 86400 WHERE program_id = $2 AND id % 100 < $3",
    )
    .bind(now.0)
    .bind(program.id)
    .bind(active_pct as i64)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE members SET consents = 127 WHERE id IN (SELECT member_id FROM memberships WHERE program_id = $1)")
        .bind(program.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let enrol_s = started.elapsed().as_secs_f64();
    templates::save(
        db,
        &TemplateForm {
            program_id: program.id,
            id: 0,
            name: "winback".into(),
            channel: "in_app".into(),
            language: "en".into(),
            subject: "We miss you, {{ first_name }}".into(),
            body: "You have {{ balance }} {{ points_name }} waiting at {{ program }}.".into(),
        },
    )
    .await?;
    let step = |kind: &str| StepRow {
        kind: kind.into(),
        ..StepRow::default()
    };
    let journey = journeys::save(
        db,
        &JourneyForm {
            program_id: program.id.0,
            name: "Win-back".into(),
            trigger: "inactive".into(),
            trigger_days: "60".into(),
            goal: "purchase".into(),
            steps: vec![
                StepRow {
                    template: "winback".into(),
                    channel: "in_app".into(),
                    topic: "offers".into(),
                    ..step("message")
                },
                StepRow {
                    hours: "168".into(),
                    ..step("wait_for_purchase")
                },
                StepRow {
                    points: "100".into(),
                    ..step("points")
                },
            ],
            ..JourneyForm::default()
        },
    )
    .await?;
    journeys::set_status(db, program.id, journey.id, JourneyStatus::Active).await?;
    let started = Instant::now();
    let admitted = journeys::admit(db, db.now()).await?;
    let evaluate_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let moved = journeys::move_due(db, "http://bench.example", db.now()).await?;
    let steps_s = started.elapsed().as_secs_f64();
    db.clock().advance(SECONDS_PER_DAY);
    let started = Instant::now();
    journeys::admit(db, db.now()).await?;
    let next_day_s = started.elapsed().as_secs_f64();
    db.clock().advance(-SECONDS_PER_DAY);
    Ok(Figures {
        members,
        enrol_s,
        lapsed: admitted.entered,
        evaluate_s,
        steps: moved.steps,
        steps_s,
        next_day_s,
        peak_mib: super::messages_bench::peak_mib(),
    })
}
