//! `Idempotency-Key` for channel writes. The first request with a key claims it, runs, and
//! stores its answer; a retry with the same key and the same body gets that answer back and
//! writes nothing; the same key with another body is refused. Concurrent retries wait for the
//! first to finish. Business writes are deduplicated again underneath (order ids, event ids,
//! request ids derived from the key), so even a crash between the write and the stored answer
//! cannot book twice.

use std::future::Future;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::server::db::Db;
use crate::server::service::api_keys::ApiKey;
use crate::server::store::idempotency::{Keyed, Slot};

use super::error::ApiError;

pub const HEADER: &str = "idempotency-key";
/// The header as the OpenAPI document describes it.
pub const DOC: &str = "1 to 255 visible ASCII characters; a retry with the same key and body gets \
    the first answer (`idempotent-replayed: true`) and writes nothing, the same key with another body is \
    refused (`idempotency_key_reused`).";
/// A claim older than this with no answer is taken to be from a crashed request.
const STALE_CLAIM_SECS: i64 = 60;
/// How long a concurrent retry waits for the first request's answer.
const WAIT: Duration = Duration::from_secs(10);

/// The key sent with the request, checked: 1 to 255 visible ASCII characters.
pub fn key_from(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(HEADER) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or_default().trim();
    if s.is_empty() || s.len() > 255 || !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters.",
        ));
    }
    Ok(Some(s.to_string()))
}

/// For writes that have no natural key of their own (redemptions, adjustments): refuses a
/// request without an Idempotency-Key, saying `why` it is needed.
pub fn require_key(headers: &HeaderMap, why: &str) -> Result<(), ApiError> {
    if headers.contains_key(HEADER) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "idempotency_key_required",
            why,
        ))
    }
}

/// 201 for a new booking, 200 when the channel's own id had been booked before.
pub fn created_unless(replayed: bool) -> StatusCode {
    if replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

fn fingerprint(route: &str, body: &Bytes) -> String {
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

fn stored(status: i64, body: String) -> Response {
    let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
    let mut r = (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    r.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}

/// Runs `work` at most once per (API key, Idempotency-Key). `work` receives a request id
/// derived from the key (None without one) for the ledger's own deduplication.
pub async fn run_once<F, Fut, T>(
    db: &Db,
    caller: &ApiKey,
    headers: &HeaderMap,
    route: &str,
    body: &Bytes,
    work: F,
) -> Response
where
    F: FnOnce(Option<String>) -> Fut,
    Fut: Future<Output = Result<(StatusCode, T), ApiError>>,
    T: Serialize,
{
    let key = match key_from(headers) {
        Ok(Some(k)) => k,
        Ok(None) => return answer(work(None).await),
        Err(e) => return e.into_response(),
    };
    let claimed_at = match claim(db, caller.id, &key, &fingerprint(route, body)).await {
        Ok(Claim::Mine(at)) => at,
        Ok(Claim::Done(response)) => return response,
        Err(e) => return e.into_response(),
    };
    let request_id = format!("idem:{}:{key}", caller.id);
    let held = Held::new(db, caller.id, &key, claimed_at);
    let result = work(Some(request_id)).await;
    held.answered();
    store_and_answer(db, caller.id, &key, claimed_at, result).await
}

/// A claimed key whose work is running. If the work never ends (it panicked, or the
/// client went away and the request was dropped), the claim is freed at once instead of
/// blocking retries until it goes stale: what the work wrote is deduplicated underneath
/// (request ids derived from the key), so a retry cannot book twice.
struct Held {
    claim: Option<(Db, i64, String, i64)>,
}

impl Held {
    /// `claimed_at`: the claim's time, so only this claim is freed (not one a retry made
    /// after taking over a stale claim).
    fn new(db: &Db, key_id: i64, key: &str, claimed_at: i64) -> Self {
        Self {
            claim: Some((db.clone(), key_id, key.to_string(), claimed_at)),
        }
    }

    /// The work ended with a result; `store_and_answer` settles the key.
    fn answered(mut self) {
        self.claim = None;
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some((db, key_id, key, claimed_at)) = self.claim.take() {
            tracing::warn!(
                key_id,
                "a keyed request ended without an answer; its key is freed"
            );
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    if let Err(e) = finish(&db, key_id, &key, claimed_at, None).await {
                        tracing::error!(error = %e, "could not free an unanswered Idempotency-Key");
                    }
                });
            }
        }
    }
}

/// Stores the result of a claimed key's work as its answer (or frees the key when the
/// result is no lasting answer, so a retry runs) and answers with it.
async fn store_and_answer<T: Serialize>(
    db: &Db,
    key_id: i64,
    key: &str,
    claimed_at: i64,
    result: Result<(StatusCode, T), ApiError>,
) -> Response {
    let (keep, status, body) = match &result {
        Ok((status, value)) => (true, *status, serde_json::to_string(value).unwrap_or_default()),
        Err(e) => (
            is_answer(e),
            e.status,
            serde_json::to_string(&e.body).unwrap_or_default(),
        ),
    };
    if let Err(e) = finish(
        db,
        key_id,
        key,
        claimed_at,
        keep.then_some((status, body.as_str())),
    )
    .await
    {
        tracing::error!(error = %e, "could not store the idempotent answer");
    }
    answer(result)
}

/// `run_once` for bookings that claim the key and store their answer inside their own
/// transaction (`store::idempotency::Slot`): one commit per request instead of three, and no
/// read before it. A key seen before (or taken by a concurrent request) undoes the booking;
/// the request is then answered as `run_once` answers it: the stored answer, or a refusal
/// for another body.
pub async fn run_keyed<F, Fut, T>(
    db: &Db,
    caller: &ApiKey,
    headers: &HeaderMap,
    route: &str,
    body: &Bytes,
    work: F,
) -> Response
where
    F: Fn(Option<Slot>) -> Fut,
    Fut: Future<Output = Result<Keyed<(StatusCode, T)>, ApiError>>,
    T: Serialize,
{
    let key = match key_from(headers) {
        Ok(Some(k)) => k,
        Ok(None) => return answer_keyed(work(None).await),
        Err(e) => return e.into_response(),
    };
    let print = fingerprint(route, body);
    let slot = Slot {
        key_id: caller.id,
        key: key.clone(),
        fingerprint: print.clone(),
        at: db.now().0,
    };
    match work(Some(slot.clone())).await {
        Ok(Keyed::Done((status, value))) => return (status, axum::Json(value)).into_response(),
        Ok(Keyed::Taken) => {} // stored before, or by a concurrent request
        // The booking rolled back, key and all. A refusal is still the answer to this key,
        // unless the key already had one (then it is answered below, as a retry); server
        // errors, rate limits and passing clashes are not: a retry runs. Either way a key
        // used before is answered from what it holds, so another body is refused as reused.
        Err(e) if !is_answer(&e) => {
            if !exists(db, caller.id, &key).await {
                return e.into_response();
            }
        }
        Err(e) => {
            let body = serde_json::to_string(&e.body).unwrap_or_default();
            match store_refusal(db, &slot, e.status, &body).await {
                Ok(false) => {}
                Ok(true) => return e.into_response(),
                Err(err) => {
                    tracing::error!(error = %err, "could not store the idempotent answer");
                    return e.into_response();
                }
            }
        }
    }
    // A retry (or the loser of a race): the stored answer, a refusal for another body, or,
    // for a claim left by a crashed request, the booking once more (it is deduplicated).
    match claim(db, caller.id, &key, &print).await {
        Ok(Claim::Done(response)) => response,
        Err(e) => e.into_response(),
        Ok(Claim::Mine(claimed_at)) => {
            let held = Held::new(db, caller.id, &key, claimed_at);
            let result = work(None).await.and_then(|k| match k {
                Keyed::Done(done) => Ok(done),
                Keyed::Taken => Err(crate::error::AppError::Internal.into()),
            });
            held.answered();
            store_and_answer(db, caller.id, &key, claimed_at, result).await
        }
    }
}

/// Codes of refusals that are no answer to the request, only to the moment it came: a
/// retry with the same key runs again.
const PASSING: [&str; 3] = ["try_again", "idempotency_in_progress", "rate_limited"];

/// Whether a refusal is the key's lasting answer. A business refusal is (not enough points,
/// an order id booked for another member, a bad field): the same key gets it again, even
/// after the member has earned enough. Server errors, rate limits and passing clashes
/// (`try_again`: a merge in progress, a lock held too long; the key still in progress)
/// are not.
fn is_answer(e: &ApiError) -> bool {
    !(e.status.is_server_error()
        || e.status == StatusCode::TOO_MANY_REQUESTS
        || PASSING.contains(&e.body.code.as_str()))
}

fn answer_keyed<T: Serialize>(result: Result<Keyed<(StatusCode, T)>, ApiError>) -> Response {
    match result {
        Ok(Keyed::Done((status, value))) => (status, axum::Json(value)).into_response(),
        Ok(Keyed::Taken) => ApiError::from(crate::error::AppError::Internal).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Whether a key has been stored or claimed (false when that cannot be read: the caller
/// then gives its own error).
async fn exists(db: &Db, key_id: i64, key: &str) -> bool {
    sqlx::query_scalar::<_, i64>("SELECT api_key_id FROM idempotency_keys WHERE api_key_id = $1 AND key = $2")
        .bind(key_id)
        .bind(key)
        .fetch_optional(&db.pool)
        .await
        .is_ok_and(|found| found.is_some())
}

/// Stores a refusal as the key's answer: false when the key already had one (or a claim),
/// which is kept as it is.
async fn store_refusal(
    db: &Db,
    slot: &Slot,
    status: StatusCode,
    body: &str,
) -> Result<bool, crate::error::AppError> {
    let mut tx = db.begin_write().await?;
    let kept = slot.keep_in(&mut tx, status.as_u16(), body).await?;
    tx.commit().await?;
    Ok(kept)
}

/// Stores the answer (or frees the key: only the claim made at `claimed_at`) in a write
/// transaction of its own: on SQLite that queues it with the other writers instead of in
/// SQLite's sleeping busy handler.
async fn finish(
    db: &Db,
    key_id: i64,
    key: &str,
    claimed_at: i64,
    answer: Option<(StatusCode, &str)>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    match answer {
        Some((status, body)) => {
            sqlx::query(
                "UPDATE idempotency_keys SET status = $1, response = $2 WHERE api_key_id = $3 AND key = $4",
            )
            .bind(status.as_u16() as i64)
            .bind(body)
            .bind(key_id)
            .bind(key)
            .execute(&mut *tx)
            .await?
        }
        None => {
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND status IS NULL \
                 AND created_at = $3",
            )
            .bind(key_id)
            .bind(key)
            .bind(claimed_at)
            .execute(&mut *tx)
            .await?
        }
    };
    tx.commit().await
}

fn answer<T: Serialize>(result: Result<(StatusCode, T), ApiError>) -> Response {
    match result {
        Ok((status, value)) => (status, axum::Json(value)).into_response(),
        Err(e) => e.into_response(),
    }
}

enum Claim {
    /// Claimed, at this time (the claim's `created_at`).
    Mine(i64),
    Done(Response),
}

async fn claim(db: &Db, key_id: i64, key: &str, fingerprint: &str) -> Result<Claim, ApiError> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = db.now();
        let mut tx = db.begin_write().await.map_err(crate::error::AppError::from)?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (api_key_id, key) DO NOTHING RETURNING api_key_id",
        )
        .bind(key_id)
        .bind(key)
        .bind(fingerprint)
        .bind(now.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(crate::error::AppError::from)?;
        tx.commit().await.map_err(crate::error::AppError::from)?;
        if inserted.is_some() {
            return Ok(Claim::Mine(now.0));
        }
        let row: Option<(String, Option<i64>, Option<String>, i64)> = sqlx::query_as(
            "SELECT fingerprint, status, response, created_at FROM idempotency_keys WHERE api_key_id = $1 AND key = $2",
        )
        .bind(key_id)
        .bind(key)
        .fetch_optional(&db.pool)
        .await
        .map_err(crate::error::AppError::from)?;
        let Some((theirs, status, response, created_at)) = row else {
            continue; // freed between our insert and our read: try to claim again
        };
        if theirs != fingerprint {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request. Use a new key for a new request.",
            ));
        }
        if let (Some(status), Some(response)) = (status, response) {
            return Ok(Claim::Done(stored(status, response)));
        }
        if now.0 - created_at > STALE_CLAIM_SECS {
            let taken = sqlx::query(
                "UPDATE idempotency_keys SET created_at = $1 WHERE api_key_id = $2 AND key = $3 \
                 AND status IS NULL AND created_at = $4",
            )
            .bind(now.0)
            .bind(key_id)
            .bind(key)
            .bind(created_at)
            .execute(&db.pool)
            .await
            .map_err(crate::error::AppError::from)?
            .rows_affected();
            if taken == 1 {
                return Ok(Claim::Mine(now.0));
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed. Retry shortly.",
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;

    #[test]
    fn business_refusals_are_answers_and_passing_clashes_are_not() {
        let answer = |e: AppError| is_answer(&ApiError::from(e));
        assert!(answer(AppError::InsufficientPoints {
            balance: 0,
            needed: 5
        }));
        assert!(answer(AppError::conflict(
            "This order id was already recorded for another member."
        )));
        assert!(answer(AppError::field("points", "Too many.")));
        assert!(answer(AppError::RewardUnavailable {
            message: "Out of stock.".into()
        }));
        assert!(!answer(AppError::try_again("A merge is in progress.")));
        assert!(!answer(AppError::RateLimited { retry_after_secs: 1 }));
        assert!(!answer(AppError::Internal));
        let in_progress = ApiError::new(StatusCode::CONFLICT, "idempotency_in_progress", "Retry shortly.");
        assert!(!is_answer(&in_progress));
    }
}
