//! Idempotency keys kept in the booking's own transaction: the key, the booking and the
//! stored answer commit together, so a keyed order costs one durable commit and a crash
//! can never leave a claimed key without its booking (or the reverse).

use sqlx::AnyConnection;

use crate::error::AppError;

/// A channel's Idempotency-Key, to be stored with its answer inside a booking's transaction.
#[derive(Debug, Clone)]
pub struct Slot {
    pub key_id: i64,
    pub key: String,
    /// SHA-256 of the route and body: the same key with another request is refused.
    pub fingerprint: String,
    pub at: i64,
}

/// The outcome of a keyed booking: done (answer stored with it), or the key was already
/// taken (committed by an earlier or concurrent request; the caller answers from it).
pub enum Keyed<T> {
    Done(T),
    Taken,
}

impl Slot {
    /// Stores the key with its answer in the booking's transaction, last: false when the
    /// key exists (stored by an earlier request, or by a concurrent one, which on
    /// PostgreSQL this waits for, at most the connection's lock_timeout). The caller then
    /// undoes its booking and answers from the stored key.
    pub async fn keep_in(&self, conn: &mut AnyConnection, status: u16, body: &str) -> Result<bool, AppError> {
        let inserted: Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(
            "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, created_at, status, response) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (api_key_id, key) DO NOTHING RETURNING api_key_id",
        )
        .bind(self.key_id)
        .bind(&self.key)
        .bind(&self.fingerprint)
        .bind(self.at)
        .bind(i64::from(status))
        .bind(body)
        .fetch_optional(&mut *conn)
        .await;
        match inserted {
            Ok(row) => Ok(row.is_some()),
            // PostgreSQL's lock_timeout (set on every connection, `Db::connect`): the first
            // request is still running.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => Err(AppError::conflict(
                "A request with this Idempotency-Key is still being processed. Retry shortly.",
            )),
            Err(e) => Err(e.into()),
        }
    }
}
