//! The outbox: effects written in the transaction that causes them, then delivered by a
//! worker. Webhook deliveries and messages share this machinery: a conditional update claims
//! an item (a lease, so two workers never send one attempt), each attempt's outcome is
//! recorded, and failures are retried with backoff until they are given up.

use std::future::Future;
use std::time::Duration;

use crate::error::AppError;
use crate::model::time::Timestamp;
use crate::server::db::Db;

pub mod adapters;
pub mod email;
pub mod messages;

/// Waits before each retry; after the last one the item is marked failed.
pub const BACKOFF_SECS: [i64; 8] = [5, 30, 120, 600, 1_800, 3_600, 3 * 3_600, 6 * 3_600];
/// A claimed item is invisible to other workers this long (one attempt's time limit).
pub const LEASE_SECS: i64 = 60;

/// A table of outbox items, each with `status` ('pending', then 'delivered' or 'sent', or
/// 'failed'), `attempts`, `next_attempt_at`, `last_status_code`, `last_error` and
/// `delivered_at`.
#[derive(Debug, Clone, Copy)]
pub struct Queue {
    table: &'static str,
    /// The status a delivered item takes.
    done: &'static str,
}

impl Queue {
    pub const WEBHOOKS: Queue = Queue {
        table: "webhook_deliveries",
        done: "delivered",
    };
    pub const MESSAGES: Queue = Queue {
        table: "messages",
        done: "sent",
    };

    /// Claims item `id` as read with `attempts`, if it is still pending, due and unclaimed:
    /// the lease (the time it is held until), which every later write of the attempt names,
    /// so a worker whose lease ran out and was taken over writes nothing.
    /// `pass` is the time the pass runs as (a test may run one in the future).
    pub async fn claim(
        &self,
        db: &Db,
        id: i64,
        attempts: i64,
        pass: Timestamp,
    ) -> Result<Option<Lease>, AppError> {
        // The clock now if it is later than the pass's start: a long pass must not claim with
        // a lease that has already run out.
        let now = Timestamp(pass.0.max(db.now().0));
        let until = now.0 + LEASE_SECS;
        let sql = format!(
            "UPDATE {} SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' AND attempts = $3 \
             AND next_attempt_at <= $4",
            self.table
        );
        let claimed = sqlx::query(&sql)
            .bind(until)
            .bind(id)
            .bind(attempts)
            .bind(now.0)
            .execute(&db.pool)
            .await?
            .rows_affected()
            == 1;
        Ok(claimed.then_some(Lease {
            id,
            attempts,
            at: now,
            until,
        }))
    }

    /// Records one attempt's outcome: delivered (`error` None), or failed and retried later
    /// (or given up after the last wait). True when delivered.
    pub async fn record(
        &self,
        db: &Db,
        lease: Lease,
        code: Option<i64>,
        error: Option<String>,
    ) -> Result<bool, AppError> {
        let now = lease.at;
        let attempts = lease.attempts + 1;
        let sql = if error.is_none() {
            format!(
                "UPDATE {} SET status = '{}', attempts = $1, last_status_code = $2, last_error = NULL, \
                 delivered_at = $3 WHERE id = $4 AND status = 'pending' AND next_attempt_at = $5",
                self.table, self.done
            )
        } else {
            format!(
                "UPDATE {} SET status = $6, attempts = $1, last_status_code = $2, last_error = $7, \
                 delivered_at = NULL, next_attempt_at = $3 WHERE id = $4 AND status = 'pending' AND next_attempt_at = $5",
                self.table
            )
        };
        let delivered = error.is_none();
        let next = BACKOFF_SECS.get(attempts as usize - 1).map(|wait| now.0 + wait);
        let mut query = sqlx::query(&sql)
            .bind(attempts)
            .bind(code)
            .bind(if delivered { now.0 } else { next.unwrap_or(now.0) })
            .bind(lease.id)
            .bind(lease.until);
        if !delivered {
            query = query
                .bind(if next.is_some() { "pending" } else { "failed" })
                .bind(error.map(|e| e.chars().take(300).collect::<String>()));
        }
        if query.execute(&db.pool).await?.rows_affected() == 0 {
            tracing::warn!(
                table = self.table,
                id = lease.id,
                "an attempt outlived its lease; its outcome is not recorded"
            );
        }
        Ok(delivered)
    }

    /// Gives an item up without sending it (its address is refused, say): failed at once,
    /// its attempts as they were, the reason kept.
    pub async fn give_up(&self, db: &Db, lease: Lease, error: &str) -> Result<(), AppError> {
        let sql = format!(
            "UPDATE {} SET status = 'failed', last_status_code = NULL, last_error = $1, next_attempt_at = $2 \
             WHERE id = $3 AND status = 'pending' AND next_attempt_at = $4",
            self.table
        );
        sqlx::query(&sql)
            .bind(error)
            .bind(lease.at.0)
            .bind(lease.id)
            .bind(lease.until)
            .execute(&db.pool)
            .await?;
        Ok(())
    }
}

/// A claimed item: its id, its attempts when claimed, and the time it is held until.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub id: i64,
    pub attempts: i64,
    /// When it was claimed.
    pub at: Timestamp,
    pub until: i64,
}

/// An error with its causes ("error sending request: … resolves to a private address").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Runs `pass` every `every` until the process ends; a failed pass is logged and the next
/// tick tries again.
pub fn spawn_every<F, Fut>(what: &'static str, every: Duration, mut pass: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), AppError>> + Send,
{
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = pass().await {
                tracing::error!(error = %e, "{what} pass failed");
            }
        }
    });
}
