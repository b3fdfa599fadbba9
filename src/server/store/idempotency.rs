//! Idempotency keys kept in the booking's own transaction: the key, the booking and the
//! stored answer commit together, so a keyed order costs one durable commit and a crash
//! can never leave a claimed key without its booking (or the reverse).

use crate::domain::lang::current;
use crate::i18n::td_string;
use sqlx::AnyConnection;

use crate::error::AppError;
use crate::server::db::{positional, values};

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
        Ok(Self::keep_many(conn, &[(self, status, body)]).await?[0])
    }

    /// `keep_in` for several keys in one statement: whether each was stored (false for
    /// those taken). A key named twice in `keys` (concurrent requests with one key, queued
    /// to the same group) is stored for its first only: the others are taken, as they would
    /// be one after another.
    pub async fn keep_many(
        conn: &mut AnyConnection,
        keys: &[(&Slot, u16, &str)],
    ) -> Result<Vec<bool>, AppError> {
        let first: Vec<bool> = keys
            .iter()
            .enumerate()
            .map(|(i, (slot, _, _))| !keys[..i].iter().any(|(s, _, _)| s.same_key(slot)))
            .collect();
        let unique: Vec<&(&Slot, u16, &str)> = keys
            .iter()
            .zip(&first)
            .filter(|(_, f)| **f)
            .map(|(k, _)| k)
            .collect();
        let stored = Self::insert_keys(conn, &unique).await?;
        // Each key's row came back at most once: it is its first naming's.
        Ok(keys
            .iter()
            .zip(first)
            .map(|((slot, _, _), first)| {
                first
                    && stored
                        .iter()
                        .any(|(id, key)| *id == slot.key_id && *key == slot.key)
            })
            .collect())
    }

    fn same_key(&self, other: &Slot) -> bool {
        self.key_id == other.key_id && self.key == other.key
    }

    /// Inserts keys named once each; the (key id, key) of those stored.
    async fn insert_keys(
        conn: &mut AnyConnection,
        keys: &[&(&Slot, u16, &str)],
    ) -> Result<Vec<(i64, String)>, AppError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = values(keys.len(), 6);
        let sql = format!(
            "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, created_at, status, response) \
             VALUES {} ON CONFLICT (api_key_id, key) DO NOTHING RETURNING api_key_id, key",
            rows
        );
        let sql = positional(conn, sql);
        let mut insert = sqlx::query_as::<_, (i64, String)>(&sql);
        for (slot, status, body) in keys {
            insert = insert
                .bind(slot.key_id)
                .bind(&slot.key)
                .bind(&slot.fingerprint)
                .bind(slot.at)
                .bind(i64::from(*status))
                .bind(*body);
        }
        match insert.fetch_all(&mut *conn).await {
            Ok(stored) => Ok(stored),
            // PostgreSQL's lock_timeout (set on every connection, `Db::connect`): the first
            // request is still running.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => Err(
                AppError::try_again(td_string!(current().locale, errors.idempotency.in_progress)),
            ),
            Err(e) => Err(e.into()),
        }
    }
}
