//! How long telling a campaign's members of their offer takes (`omniloyal demo
//! bench-campaigns`): a fresh program with members enrolled in bulk, all taking offers in the
//! inbox, a segment of everyone, and a running campaign (10 % held out, two variants) whose
//! message is an inbox template. Timed apart: the first announcement pass (every member looked
//! at, the variants' messages rendered and written), and the next pass, when nobody is new
//! (what every 15 s costs once a campaign has told everyone). A benchmark, not a test: it
//! prints figures and checks nothing. Run it on a scratch database.

use std::time::Instant;

use crate::error::AppError;
use crate::model::campaign::{CampaignForm, VariantRow};
use crate::model::segment::{Condition, Definition, Join};
use crate::model::template::TemplateForm;
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::Db;
use crate::server::service::{campaigns, segments, templates};

/// What the bench measured.
#[derive(Debug)]
pub struct Figures {
    pub members: usize,
    pub enrol_s: f64,
    pub segment_s: f64,
    pub looked_at: u64,
    pub messages: u64,
    pub first_s: f64,
    pub next_s: f64,
    pub peak_mib: Option<f64>,
}

/// Enrols `members` members and times a campaign's announcement passes over them.
pub async fn run(db: &Db, members: usize) -> Result<Figures, AppError> {
    let program = super::messages_bench::bench_program(db, "Campaigns").await?;
    let now = db.now();
    let started = Instant::now();
    super::messages_bench::enrol_bench_members(
        db,
        program.id,
        members,
        Timestamp(now.0 - 30 * SECONDS_PER_DAY),
    )
    .await?;
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE members SET consents = 127 WHERE id IN (SELECT member_id FROM memberships WHERE program_id = $1)")
        .bind(program.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let enrol_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let everyone = Definition {
        join: Join::All,
        within: Join::All,
        groups: vec![vec![Condition::Inactive {
            min: None,
            max: Some(1000),
        }]],
    };
    let segment = segments::save_definition(db, program.id, None, "Everyone", &everyone).await?;
    let segment_s = started.elapsed().as_secs_f64();
    templates::save(
        db,
        &TemplateForm {
            program_id: program.id,
            id: 0,
            name: "offer".into(),
            channel: "in_app".into(),
            language: "en".into(),
            subject: "An offer for you, {{ first_name }}".into(),
            body: "{{ offer }} You have {{ balance }} {{ points_name }}.".into(),
        },
    )
    .await?;
    let today = now.date();
    let variant = |kind: &str, value: &str| VariantRow {
        share: "50".into(),
        kind: kind.into(),
        value: value.into(),
        ..VariantRow::default()
    };
    let campaign = campaigns::save(
        db,
        &CampaignForm {
            program_id: program.id.0,
            name: "Double or bonus".into(),
            segment_id: segment.id.to_string(),
            starts_on: today.to_string(),
            ends_on: (today + chrono::Duration::days(13)).to_string(),
            holdout: "10".into(),
            variants: vec![variant("bonus_points", "200"), variant("multiplier", "2")],
            message_template: "offer".into(),
            message_channels: vec!["in_app".into()],
            ..CampaignForm::default()
        },
        None,
    )
    .await?;
    campaigns::launch(db, program.id, campaign.id, None).await?;
    let started = Instant::now();
    let first = campaigns::announce(db, "http://bench.example", db.now()).await?;
    let first_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    campaigns::announce(db, "http://bench.example", db.now()).await?;
    let next_s = started.elapsed().as_secs_f64();
    Ok(Figures {
        members,
        enrol_s,
        segment_s,
        looked_at: first.members,
        messages: first.messages,
        first_s,
        next_s,
        peak_mib: super::messages_bench::peak_mib(),
    })
}
