//! Webhooks: admins register endpoints; changes write deliveries into an outbox in the same
//! transaction as the change (so an event is announced if and only if it happened); a worker
//! sends them signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), retrying with
//! backoff, and every attempt's outcome is kept for the delivery log.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use sqlx::AnyConnection;

use crate::error::{AppError, Validator};
use crate::model::time::Timestamp;
use crate::model::webhook::{CreatedWebhook, WebhookDelivery, WebhookEndpoint, WebhookInput, WEBHOOK_EVENTS};
use crate::server::db::Db;
use crate::server::outbox::{error_chain, Queue};

pub mod destination;

/// `v1,<signature>` for a message, per the Standard Webhooks specification.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<String, AppError> {
    let key = B64
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|_| AppError::Internal)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| AppError::Internal)?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// Writes one delivery per active endpoint subscribed to `event_type`, inside the caller's
/// transaction. The payload is `{"type": ..., "timestamp": ..., "data": ...}`.
pub async fn enqueue(
    conn: &mut AnyConnection,
    event_type: &str,
    data: serde_json::Value,
    at: Timestamp,
) -> Result<(), AppError> {
    let endpoints = active_endpoints(conn).await?;
    enqueue_to(conn, &endpoints, event_type, data, at).await
}

/// The active endpoints: (id, space-separated event types).
pub async fn active_endpoints(conn: &mut AnyConnection) -> Result<Vec<(i64, String)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, events FROM webhook_endpoints WHERE active = 1")
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// Whether any of `endpoints` subscribes to `event_type`.
pub fn subscribed(endpoints: &[(i64, String)], event_type: &str) -> bool {
    endpoints
        .iter()
        .any(|(_, events)| events.split_whitespace().any(|e| e == event_type))
}

/// `enqueue` to endpoints the caller has already read (see `service::setup`).
pub async fn enqueue_to(
    conn: &mut AnyConnection,
    endpoints: &[(i64, String)],
    event_type: &str,
    data: serde_json::Value,
    at: Timestamp,
) -> Result<(), AppError> {
    let subscribed: Vec<i64> = endpoints
        .iter()
        .filter(|(_, events)| events.split_whitespace().any(|e| e == event_type))
        .map(|(id, _)| *id)
        .collect();
    if subscribed.is_empty() {
        return Ok(());
    }
    let payload = serde_json::json!({
        "type": event_type,
        "timestamp": at.to_datetime().to_rfc3339(),
        "data": data,
    })
    .to_string();
    for id in subscribed {
        sqlx::query(
            "INSERT INTO webhook_deliveries (endpoint_id, event_type, payload, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(id)
        .bind(event_type)
        .bind(&payload)
        .bind(at.0)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn validate(input: &WebhookInput) -> Result<(String, Vec<String>), AppError> {
    let mut v = Validator::new();
    let url = input.url.trim().to_string();
    match reqwest::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() && url.len() <= 500 => {}
        _ => v.add(
            "url",
            "Enter the endpoint's full address, e.g. https://shop.example/hooks/loyalty.",
        ),
    }
    if input.description.chars().count() > 200 {
        v.add("description", "Keep the description under 200 characters.");
    }
    let mut events = Vec::new();
    for e in &input.events {
        if WEBHOOK_EVENTS.iter().any(|(k, _)| k == e) {
            if !events.contains(e) {
                events.push(e.clone());
            }
        } else {
            v.add("events", format!("Unknown event {e:?}."));
        }
    }
    if input.events.is_empty() {
        v.add("events", "Choose at least one event.");
    }
    v.finish()?;
    Ok((url, events))
}

/// Registers an endpoint with a fresh signing secret, shown once. Only `https` to a public
/// address, unless `allow_private` (tests, development: `destination`).
pub async fn create(db: &Db, input: &WebhookInput, allow_private: bool) -> Result<CreatedWebhook, AppError> {
    let (url, events) = validate(input)?;
    let parsed = reqwest::Url::parse(&url)
        .map_err(|_| AppError::field("url", "Enter the endpoint's full address."))?;
    destination::check(&parsed, allow_private)
        .await
        .map_err(|m| AppError::field("url", m))?;
    let mut raw = [0u8; 24];
    rand::thread_rng().fill(&mut raw);
    let secret = format!("whsec_{}", B64.encode(raw));
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO webhook_endpoints (url, description, events, secret, created_at) VALUES ($1, $2, $3, $4, $5) \
         RETURNING id",
    )
    .bind(&url)
    .bind(input.description.trim())
    .bind(events.join(" "))
    .bind(&secret)
    .bind(db.now().0)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let endpoint = list(db)
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or(AppError::Internal)?;
    Ok(CreatedWebhook { endpoint, secret })
}

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: i64,
    url: String,
    description: String,
    events: String,
    active: i64,
    created_at: i64,
    pending: i64,
    failed: i64,
}

pub async fn list(db: &Db) -> Result<Vec<WebhookEndpoint>, AppError> {
    let rows: Vec<EndpointRow> = sqlx::query_as(
        "SELECT e.id, e.url, e.description, e.events, e.active, e.created_at, \
         CAST(COALESCE(SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending, \
         CAST(COALESCE(SUM(CASE WHEN d.status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed \
         FROM webhook_endpoints e LEFT JOIN webhook_deliveries d ON d.endpoint_id = e.id \
         GROUP BY e.id, e.url, e.description, e.events, e.active, e.created_at ORDER BY e.id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WebhookEndpoint {
            id: r.id,
            url: r.url,
            description: r.description,
            events: r.events.split_whitespace().map(str::to_string).collect(),
            active: r.active != 0,
            created_at: Timestamp(r.created_at),
            pending: r.pending,
            failed: r.failed,
        })
        .collect())
}

/// Stops sending to an endpoint; deliveries already in the outbox are kept, not sent.
pub async fn disable(db: &Db, id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let n = sqlx::query("UPDATE webhook_endpoints SET active = 0 WHERE id = $1 AND active = 1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::not_found(crate::i18n::td_string!(
            crate::domain::lang::current().locale,
            errors.what.active_webhook_endpoint
        )));
    }
    tx.commit().await?;
    Ok(())
}

/// The newest deliveries, for the log.
pub async fn deliveries(db: &Db, limit: i64) -> Result<Vec<WebhookDelivery>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, endpoint_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error, \
         created_at, delivered_at FROM webhook_deliveries ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// What deliveries go out with: the HTTP client, and whether private destinations are
/// allowed (`destination`).
pub struct Sender {
    http: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    pub fn new(allow_private: bool) -> Self {
        Self {
            http: destination::client(allow_private),
            allow_private,
        }
    }
}

/// Posts `payload` to `url` signed with `secret` per Standard Webhooks: the status code
/// answered, and the error when it was not a success.
pub async fn post_signed(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    msg_id: &str,
    payload: String,
) -> Result<(Option<i64>, Option<String>), AppError> {
    let (code, error, _) = post(http, url, secret, msg_id, payload, false).await?;
    Ok((code, error))
}

/// The most of a receiver's answer `post_signed_reading` keeps.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// `post_signed`, also returning the start of a successful answer's body (up to 64 KiB; empty
/// when it failed or could not be read), for providers that answer with what they found.
pub async fn post_signed_reading(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    msg_id: &str,
    payload: String,
) -> Result<(Option<i64>, Option<String>, Vec<u8>), AppError> {
    post(http, url, secret, msg_id, payload, true).await
}

/// Posts a signed payload; with `read`, keeps the start of a successful answer.
async fn post(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    msg_id: &str,
    payload: String,
    read: bool,
) -> Result<(Option<i64>, Option<String>, Vec<u8>), AppError> {
    // The protocol's timestamp is checked against the receiver's own clock: wall time.
    let ts = Timestamp::now().0;
    let signature = sign(secret, msg_id, ts, &payload)?;
    let result = http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(payload)
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    Ok(match result {
        Ok(mut r) if r.status().is_success() => {
            let mut body = Vec::new();
            while read && body.len() < MAX_ANSWER_BYTES {
                match r.chunk().await {
                    Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            body.truncate(MAX_ANSWER_BYTES);
            (Some(r.status().as_u16() as i64), None, body)
        }
        Ok(r) => (
            Some(r.status().as_u16() as i64),
            Some(format!("answered {}", r.status())),
            Vec::new(),
        ),
        Err(e) => (None, Some(error_chain(&e)), Vec::new()),
    })
}

/// Sends every delivery due at `now` once. Each is claimed with a conditional update (a
/// lease), so two workers never send the same attempt. Returns (delivered, failed attempts).
pub async fn deliver_due(db: &Db, sender: &Sender, now: Timestamp) -> Result<(u64, u64), AppError> {
    let due: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT d.id, d.attempts FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.active = 1 ORDER BY d.id LIMIT 100",
    )
    .bind(now.0)
    .fetch_all(&db.pool)
    .await?;
    let (mut ok, mut failed) = (0, 0);
    for (id, attempts) in due {
        let Some(lease) = Queue::WEBHOOKS.claim(db, id, attempts, now).await? else {
            continue;
        };
        let (url, secret, payload): (String, String, String) = sqlx::query_as(
            "SELECT e.url, e.secret, d.payload FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.id = $1",
        )
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
        if !destination::literal_allowed(&url, sender.allow_private) {
            // An address does not change: given up at once, not retried.
            Queue::WEBHOOKS
                .give_up(db, lease, "refused: not a public https address")
                .await?;
            failed += 1;
            continue;
        }
        let (code, error) = post_signed(&sender.http, &url, &secret, &format!("msg_{id}"), payload).await?;
        if Queue::WEBHOOKS.record(db, lease, code, error).await? {
            ok += 1;
        } else {
            failed += 1;
        }
    }
    Ok((ok, failed))
}

/// Sends due deliveries every `every` until the process ends.
pub fn spawn_worker(db: Db, every: Duration, allow_private: bool) {
    let sender = std::sync::Arc::new(Sender::new(allow_private));
    crate::server::outbox::spawn_every("webhook delivery", every, move || {
        let (db, sender) = (db.clone(), sender.clone());
        async move { deliver_due(&db, &sender, db.now()).await.map(|_| ()) }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example from the Standard Webhooks specification.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn endpoints_are_validated() {
        let e = validate(&WebhookInput {
            url: "ftp://x".into(),
            description: String::new(),
            events: vec!["points.stolen".into()],
        })
        .unwrap_err();
        assert!(e.field_message("url").is_some());
        assert!(e.field_message("events").is_some());
        let (url, events) = validate(&WebhookInput {
            url: " https://shop.example/hooks ".into(),
            description: String::new(),
            events: vec!["points.earned".into(), "points.earned".into()],
        })
        .unwrap();
        assert_eq!(
            (url.as_str(), events),
            ("https://shop.example/hooks", vec!["points.earned".to_string()])
        );
    }
}
