//! Scheduled work: expire lots, release pending points whose return window closed, free
//! checkout reservations that were never confirmed, mark reward codes past their days
//! expired, re-evaluate tiers (downgrades), award
//! birthdays, and forget old Idempotency-Keys, webhook deliveries and spent password reset links. Every job is safe to run twice or on two
//! servers at once (each item is re-checked under its member's lock), so the in-process
//! ticker and `omniloyal run-jobs` from cron can coexist.

use std::time::Duration;

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::service::{birthdays, expiry, rewards, tiers};

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    pub expired_memberships: u64,
    pub expired_points: i64,
    pub released_holds: u64,
    pub released_points: i64,
    pub released_reservations: u64,
    pub expired_rewards: u64,
    pub tier_changes: u64,
    pub birthdays: u64,
    pub purged_keys: u64,
    pub purged_deliveries: u64,
    /// Password reset links a day past their expiry (used or not), sign-ups a week old, and
    /// address changes past their undo week.
    pub purged_resets: u64,
}

// Kept with the rest of the configuration (the configuration names no job).
pub use crate::server::config::Retention;

/// Runs every job once, as of `now`, with the default retention.
pub async fn run_all(db: &Db, now: Timestamp) -> Result<JobReport, AppError> {
    run_all_keeping(db, now, Retention::default()).await
}

/// Deletes at most a thousand rows at a time (`sql` binds the cutoff as `$1`), so a large
/// backlog never holds the write lock for long. How many were deleted.
async fn purge(db: &Db, sql: &str, cutoff: i64) -> Result<u64, AppError> {
    let mut total = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let n = sqlx::query(sql)
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        total += n;
        if n < 1000 {
            return Ok(total);
        }
    }
}

/// Runs every job once, as of `now`.
pub async fn run_all_keeping(db: &Db, now: Timestamp, keep: Retention) -> Result<JobReport, AppError> {
    // Stale reservations first: their points go back to the lots they came from, and a lot
    // past its date then expires in this same run.
    let released_reservations = rewards::release_stale_reservations(db, now).await?;
    let (released_holds, released_points) = expiry::release_due(db, now).await?;
    let (expired_memberships, expired_points) = expiry::expire_due(db, now).await?;
    let expired_rewards = rewards::expire_unused(db, now, None).await?;
    let tier_changes = tiers::reevaluate_all(db, now).await?;
    let birthdays = birthdays::award_due(db, now).await?;
    let day = crate::model::time::SECONDS_PER_DAY;
    let purged_keys = purge(
        db,
        "DELETE FROM idempotency_keys WHERE (api_key_id, key) IN \
         (SELECT api_key_id, key FROM idempotency_keys WHERE created_at < $1 LIMIT 1000)",
        now.0 - keep.idempotency_days * day,
    )
    .await?;
    let purged_deliveries = purge(
        db,
        // Pending deliveries of a disabled endpoint go too: nothing sends them, and a month-old
        // event sent when the endpoint is enabled again would only mislead its receiver.
        "DELETE FROM webhook_deliveries WHERE id IN (SELECT d.id FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE (d.status <> 'pending' OR e.active = 0) AND d.created_at < $1 LIMIT 1000)",
        now.0 - keep.deliveries_days * day,
    )
    .await?;
    let purged_resets = purge(
        db,
        "DELETE FROM password_resets WHERE id IN (SELECT id FROM password_resets WHERE expires_at < $1 LIMIT 1000)",
        now.0 - day,
    )
    .await?;
    // A sign-up never confirmed keeps a name, an address and a password hash: a week, then
    // it goes (its link died after a day).
    let purged_resets = purged_resets
        + purge(
            db,
            "DELETE FROM signup_requests WHERE id IN (SELECT id FROM signup_requests WHERE created_at < $1 LIMIT 1000)",
            now.0 - 7 * day,
        )
        .await?;
    // An address change keeps both addresses: kept while its undo link may work, then it goes.
    let purged_resets = purged_resets
        + purge(
            db,
            "DELETE FROM email_changes WHERE id IN (SELECT id FROM email_changes WHERE created_at < $1 LIMIT 1000)",
            now.0 - 9 * day,
        )
        .await?;
    Ok(JobReport {
        purged_keys,
        purged_deliveries,
        purged_resets,
        birthdays,
        expired_memberships,
        expired_points,
        released_holds,
        released_points,
        released_reservations,
        expired_rewards,
        tier_changes,
    })
}

/// The jobs of one program as of `now` (the demo generator's midnights, which must not
/// move other programs to a past date): held points released, lots and reward codes
/// expired, and the tier review when one is due.
pub async fn run_for_program(db: &Db, program_id: ProgramId, now: Timestamp) -> Result<JobReport, AppError> {
    let (released_holds, released_points) = expiry::release_due_in(db, now, Some(program_id)).await?;
    let (expired_memberships, expired_points) = expiry::expire_due_in(db, now, Some(program_id)).await?;
    let expired_rewards = rewards::expire_unused(db, now, Some(program_id)).await?;
    let program = crate::server::store::programs::get(db, program_id).await?;
    let tier_changes = tiers::review(db, &program, now, true).await?;
    Ok(JobReport {
        expired_memberships,
        expired_points,
        released_holds,
        released_points,
        expired_rewards,
        tier_changes,
        ..JobReport::default()
    })
}

/// Runs the jobs every `every` until the process ends; failures are logged and retried on
/// the next tick.
pub fn spawn_ticker(db: Db, every: Duration, keep: Retention) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match run_all_keeping(&db, db.now(), keep).await {
                Ok(r) if r != JobReport::default() => tracing::info!(?r, "scheduled jobs ran"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "scheduled jobs failed"),
            }
        }
    });
}
