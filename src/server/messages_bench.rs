//! How fast messages go through the outbox (`omniloyal demo bench-messages`): a fresh program
//! with members enrolled in bulk, then batches of messages written in transactions of a
//! thousand and delivered by passes of the worker until none is due: service messages to the
//! inbox (the shortest path), offers to the inbox (consent, caps and quiet hours read for
//! each), and, given an SMTP server, emails. A benchmark, not a test: it prints figures and
//! checks nothing. Run it on a scratch database: it adds a program and members.

use std::time::Instant;

use rand::SeedableRng;

use crate::error::AppError;
use crate::model::ids::{MemberId, ProgramId};
use crate::model::message::{Channel, IfLimited, MessageSettings, Topic};
use crate::model::program::ProgramInput;
use crate::model::rules::Channel as Sales;
use crate::server::config::{Messaging, DEFAULT_MAIL_FROM};
use crate::server::db::Db;
use crate::server::outbox::adapters::Adapters;
use crate::server::outbox::messages::{deliver_due, enqueue, NewMessage};
use crate::server::service::enrolment::{enrol_many, NewMember};
use crate::server::store::{messages, programs};

/// One measured run: what, how many, seconds to write them, seconds to deliver them.
#[derive(Debug)]
pub struct Run {
    pub what: &'static str,
    pub messages: usize,
    pub sent: u64,
    pub write_s: f64,
    pub deliver_s: f64,
}

/// What a bench measured.
#[derive(Debug)]
pub struct Figures {
    pub members: usize,
    pub runs: Vec<Run>,
    /// The process's peak resident memory, in MiB (Linux), after the runs.
    pub peak_mib: Option<f64>,
}

/// The process's peak resident memory so far, in MiB (Linux).
pub fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Who the messages go to: a program and its members.
struct Audience<'a> {
    program: ProgramId,
    members: &'a [MemberId],
}

async fn measure(
    db: &Db,
    adapters: &Adapters,
    what: &'static str,
    to: &Audience<'_>,
    count: usize,
    channel: Channel,
    topic: Topic,
) -> Result<Run, AppError> {
    let started = Instant::now();
    for chunk in (0..count).collect::<Vec<_>>().chunks(1_000) {
        let now = db.now();
        let mut tx = db.begin_write().await?;
        for &i in chunk {
            let member = to.members[i % to.members.len()];
            let message = NewMessage {
                member_id: Some(member),
                user_id: None,
                program_id: Some(to.program),
                channel,
                topic,
                kind: what,
                if_limited: IfLimited::Defer,
                recipient: if channel == Channel::Email {
                    format!("bench-{}@bench.example", member.get())
                } else {
                    String::new()
                },
                language: "en".into(),
                subject: format!("Bench {i}"),
                body: "Hello from the benchmark.".into(),
                dedupe_key: None,
                not_before: now,
                journey_id: None,
                campaign_id: None,
            };
            enqueue(&mut tx, &message, now).await?;
        }
        tx.commit().await?;
    }
    let write_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let pass = deliver_due(db, adapters, db.now()).await?;
        sent += pass.sent;
        if pass.sent + pass.failed + pass.held + pass.suppressed == 0 {
            break;
        }
    }
    Ok(Run {
        what,
        messages: count,
        sent,
        write_s,
        deliver_s: started.elapsed().as_secs_f64(),
    })
}

/// A fresh program for a bench ("{label} bench {now}"): Stars worth a cent, ten per euro.
pub async fn bench_program(db: &Db, label: &str) -> Result<crate::model::program::Program, AppError> {
    programs::save(
        db,
        &ProgramInput {
            name: format!("{label} bench {}", db.now().0),
            currency_name: "Stars".into(),
            currency_code: "EUR".into(),
            point_value_minor: "1".into(),
            points_per_unit: "10".into(),
            ..ProgramInput::default()
        },
    )
    .await
}

/// Enrols `members` members ("Bench member N") in `program`, joined at `joined_at`, five
/// thousand to a transaction; their ids.
pub async fn enrol_bench_members(
    db: &Db,
    program: ProgramId,
    members: usize,
    joined_at: crate::model::time::Timestamp,
) -> Result<Vec<MemberId>, AppError> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(19);
    let mut ids = Vec::with_capacity(members);
    for start in (0..members).step_by(5_000) {
        let batch: Vec<NewMember> = (start..(start + 5_000).min(members))
            .map(|i| NewMember {
                name: format!("Bench member {i}"),
                email: None,
                referred_by: None,
                joined_at,
                channel: Sales::Web,
                store_id: None,
                birth_date: None,
            })
            .collect();
        let mut tx = db.begin_write().await?;
        ids.extend(
            enrol_many(&mut tx, program, &batch, &mut rng)
                .await?
                .into_iter()
                .map(|(m, _)| m),
        );
        tx.commit().await?;
    }
    Ok(ids)
}

/// Enrols `members` members in a new program and measures `count` messages of each kind;
/// emails too when `smtp_url` is given.
pub async fn run(
    db: &Db,
    members: usize,
    count: usize,
    smtp_url: Option<String>,
) -> Result<Figures, AppError> {
    let program = bench_program(db, "Messages").await?;
    // No quiet hours or caps: the bench measures the path, not the hour it runs at.
    let open = MessageSettings {
        quiet_hours: None,
        cap_day: None,
        cap_week: None,
        cap_month: None,
        ..MessageSettings::default()
    };
    messages::save_settings(db, program.id, &open).await?;
    let ids = enrol_bench_members(db, program.id, members, db.now()).await?;
    // Every member opts in to email and offers (the inbox is held from the start).
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE members SET consents = 127 WHERE id IN (SELECT member_id FROM memberships WHERE program_id = $1)")
        .bind(program.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let settings = Messaging {
        smtp_url: smtp_url.clone(),
        mail_from: DEFAULT_MAIL_FROM.into(),
        ..Messaging::default()
    };
    let adapters = Adapters::new(&settings, "http://bench.example".into()).map_err(|_| AppError::Internal)?;
    let to = Audience {
        program: program.id,
        members: &ids,
    };
    let mut runs = vec![
        measure(
            db,
            &adapters,
            "bench_inbox_service",
            &to,
            count,
            Channel::InApp,
            Topic::Service,
        )
        .await?,
        measure(
            db,
            &adapters,
            "bench_inbox_offers",
            &to,
            count,
            Channel::InApp,
            Topic::Offers,
        )
        .await?,
    ];
    if smtp_url.is_some() {
        runs.push(
            measure(
                db,
                &adapters,
                "bench_email_offers",
                &to,
                count / 5,
                Channel::Email,
                Topic::Offers,
            )
            .await?,
        );
    }
    Ok(Figures {
        members,
        runs,
        peak_mib: peak_mib(),
    })
}
