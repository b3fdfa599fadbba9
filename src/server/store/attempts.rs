//! Wrong guesses at short secrets (a reward code's PIN, a printed card's security code),
//! counted per secret in the database: every server sees them, and callers count them in
//! the transaction that holds the lock of what is guessed at (the member of a code, the
//! card), so a burst of parallel guesses is counted one by one. After `FREE` wrong guesses
//! in a row the secret is locked, 15 minutes the first time and twice as long each time
//! after (at most a day); a right guess starts the count again.

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::time::Timestamp;

/// Wrong guesses in a row before a lock.
pub const FREE: i64 = 5;
const FIRST_LOCK_SECS: i64 = 15 * 60;
const MAX_LOCK_SECS: i64 = 24 * 3600;

/// How long the `n`-th lock (1, 2, ...) lasts.
pub fn lock_secs(n: i64) -> i64 {
    let doublings = u32::try_from((n - 1).clamp(0, 16)).unwrap_or(16);
    FIRST_LOCK_SECS.saturating_mul(1 << doublings).min(MAX_LOCK_SECS)
}

/// Refuses with `rate_limited` while `subject` is locked.
pub async fn check(conn: &mut AnyConnection, subject: &str, now: Timestamp) -> Result<(), AppError> {
    let until: Option<Option<i64>> =
        sqlx::query_scalar("SELECT locked_until FROM guess_attempts WHERE subject = $1")
            .bind(subject)
            .fetch_optional(&mut *conn)
            .await?;
    match until.flatten() {
        Some(t) if t > now.0 => Err(AppError::RateLimited {
            retry_after_secs: u64::try_from(t - now.0).unwrap_or(1).max(1),
        }),
        _ => Ok(()),
    }
}

/// Counts a wrong guess, locking the subject after every `FREE` in a row. The caller
/// commits it (and only it) before answering with the refusal.
pub async fn failed(conn: &mut AnyConnection, subject: &str, now: Timestamp) -> Result<(), AppError> {
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO guess_attempts (subject, failures, updated_at) VALUES ($1, 1, $2) \
         ON CONFLICT (subject) DO UPDATE SET failures = guess_attempts.failures + 1, updated_at = $2 \
         RETURNING failures",
    )
    .bind(subject)
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await?;
    if failures % FREE == 0 {
        tracing::warn!(subject, failures, "secret locked after wrong guesses");
        sqlx::query("UPDATE guess_attempts SET locked_until = $1 WHERE subject = $2")
            .bind(now.0 + lock_secs(failures / FREE))
            .bind(subject)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A right guess: the count starts again.
pub async fn succeeded(conn: &mut AnyConnection, subject: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM guess_attempts WHERE subject = $1")
        .bind(subject)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_up_to_a_day() {
        assert_eq!(lock_secs(1), 900);
        assert_eq!(lock_secs(2), 1800);
        assert_eq!(lock_secs(3), 3600);
        assert_eq!(lock_secs(7), 16 * 3600);
        assert_eq!(lock_secs(8), 24 * 3600);
        assert_eq!(lock_secs(40), 24 * 3600);
        assert_eq!(lock_secs(0), 900);
    }
}
