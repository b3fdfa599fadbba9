//! Scheduled work: expire lots, release pending points whose return window closed, free
//! checkout reservations that were never confirmed, re-evaluate tiers (downgrades) and award
//! birthdays. Every job is safe to run twice or on two
//! servers at once (each item is re-checked under its member's lock), so the in-process
//! ticker and `omniloyal run-jobs` from cron can coexist.

use std::time::Duration;

use crate::error::AppError;
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::repo::{birthdays, ledger, rewards, tiers};

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    pub expired_memberships: u64,
    pub expired_points: i64,
    pub released_holds: u64,
    pub released_points: i64,
    pub released_reservations: u64,
    pub tier_changes: u64,
    pub birthdays: u64,
}

/// Runs every job once, as of `now`.
pub async fn run_all(db: &Db, now: Timestamp) -> Result<JobReport, AppError> {
    // Stale reservations first: their points go back to the lots they came from, and a lot
    // past its date then expires in this same run.
    let released_reservations = rewards::release_stale_reservations(db, now).await?;
    let (released_holds, released_points) = ledger::release_due(db, now).await?;
    let (expired_memberships, expired_points) = ledger::expire_due(db, now).await?;
    let tier_changes = tiers::reevaluate_all(db, now).await?;
    let birthdays = birthdays::award_due(db, now).await?;
    Ok(JobReport {
        birthdays,
        expired_memberships,
        expired_points,
        released_holds,
        released_points,
        released_reservations,
        tier_changes,
    })
}

/// Runs the jobs every `every` until the process ends; failures are logged and retried on
/// the next tick.
pub fn spawn_ticker(db: Db, every: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match run_all(&db, Timestamp::now()).await {
                Ok(r) if r != JobReport::default() => tracing::info!(?r, "scheduled jobs ran"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "scheduled jobs failed"),
            }
        }
    });
}
