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

    /// Claims item `id` as read with `attempts`, if it is still pending, due and unclaimed.
    pub async fn claim(&self, db: &Db, id: i64, attempts: i64, now: Timestamp) -> Result<bool, AppError> {
        let sql = format!(
            "UPDATE {} SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' AND attempts = $3 \
             AND next_attempt_at <= $4",
            self.table
        );
        Ok(sqlx::query(&sql)
            .bind(now.0 + LEASE_SECS)
            .bind(id)
            .bind(attempts)
            .bind(now.0)
            .execute(&db.pool)
            .await?
            .rows_affected()
            == 1)
    }

    /// Records one attempt's outcome: delivered (`error` None), or failed and retried later
    /// (or given up after the last wait). True when delivered.
    pub async fn record(
        &self,
        db: &Db,
        id: i64,
        attempts: i64,
        now: Timestamp,
        code: Option<i64>,
        error: Option<String>,
    ) -> Result<bool, AppError> {
        let attempts = attempts + 1;
        if error.is_none() {
            let sql = format!(
                "UPDATE {} SET status = '{}', attempts = $1, last_status_code = $2, last_error = NULL, \
                 delivered_at = $3 WHERE id = $4",
                self.table, self.done
            );
            sqlx::query(&sql)
                .bind(attempts)
                .bind(code)
                .bind(now.0)
                .bind(id)
                .execute(&db.pool)
                .await?;
            return Ok(true);
        }
        let next = BACKOFF_SECS.get(attempts as usize - 1).map(|wait| now.0 + wait);
        let sql = format!(
            "UPDATE {} SET status = $1, attempts = $2, last_status_code = $3, last_error = $4, \
             next_attempt_at = $5 WHERE id = $6",
            self.table
        );
        sqlx::query(&sql)
            .bind(if next.is_some() { "pending" } else { "failed" })
            .bind(attempts)
            .bind(code)
            .bind(error.map(|e| e.chars().take(300).collect::<String>()))
            .bind(next.unwrap_or(now.0))
            .bind(id)
            .execute(&db.pool)
            .await?;
        Ok(false)
    }

    /// Gives an item up without sending it (its address is refused, say): failed at once,
    /// its attempts as they were, the reason kept.
    pub async fn give_up(&self, db: &Db, id: i64, now: Timestamp, error: &str) -> Result<(), AppError> {
        let sql = format!(
            "UPDATE {} SET status = 'failed', last_status_code = NULL, last_error = $1, next_attempt_at = $2 \
             WHERE id = $3",
            self.table
        );
        sqlx::query(&sql)
            .bind(error)
            .bind(now.0)
            .bind(id)
            .execute(&db.pool)
            .await?;
        Ok(())
    }
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
