//! SQL of `signup_requests`: sign-ups waiting for their address to be confirmed. A request
//! keeps what was typed (the password as its hash); its link's token is made when the email
//! is sent and kept only as its SHA-256, as reset links are (`password_resets`).

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::ids::MemberId;
use crate::model::time::Timestamp;
use crate::server::auth::session::{hash_token as token_hash, new_token};
use crate::server::db::Db;

/// How long a confirmation link works.
pub const LINK_HOURS: i64 = 24;

/// Where the confirmation link goes in the email's text until the outbox sends it.
pub const LINK_MARKER: &str = "[confirm-link]";

/// The outbox message that carries request `id`'s link is found by this key.
pub fn dedupe_key(id: i64) -> String {
    format!("verify-signup:{id}")
}

/// The request a confirmation email's dedupe key names.
pub fn of_dedupe_key(key: &str) -> Option<i64> {
    key.strip_prefix("verify-signup:")?.parse().ok()
}

/// What a sign-up asked for, as it is kept until confirmed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Request {
    pub email: String,
    pub name: String,
    pub phone: Option<String>,
    pub birth_date: Option<String>,
    pub referrer: Option<MemberId>,
    pub password_hash: String,
    pub locale: String,
}

const COLUMNS: &str = "email, name, phone, birth_date, referrer, password_hash, locale";

/// Keeps a request; its id.
pub async fn insert(conn: &mut AnyConnection, r: &Request, now: Timestamp) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "INSERT INTO signup_requests ({COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    ))
    .bind(&r.email)
    .bind(&r.name)
    .bind(&r.phone)
    .bind(&r.birth_date)
    .bind(r.referrer)
    .bind(&r.password_hash)
    .bind(&r.locale)
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await?)
}

/// Spends every open request for `email`: a newer sign-up, or one confirmed, ends the
/// others, so only the newest link can ever make the account. The requests spent.
pub async fn spend_for(conn: &mut AnyConnection, email: &str, now: Timestamp) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "UPDATE signup_requests SET used_at = $1 WHERE email = $2 AND used_at IS NULL RETURNING id",
    )
    .bind(now.0)
    .bind(email)
    .fetch_all(&mut *conn)
    .await?)
}

/// A fresh token for request `id`'s link, good for `LINK_HOURS` from `now` (a resent email
/// replaces the link before it). Made when the email is sent, so the token is never stored.
pub async fn issue(db: &Db, id: i64, now: Timestamp) -> Result<String, AppError> {
    let (token, hash) = new_token();
    sqlx::query("UPDATE signup_requests SET token_hash = $1, expires_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now.0 + LINK_HOURS * 3600)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(token)
}

/// Whether request `id` is spent (confirmed, or replaced by a newer sign-up): its email,
/// if not sent yet, need not go.
pub async fn is_spent(db: &Db, id: i64) -> Result<bool, AppError> {
    let used: Option<Option<i64>> = sqlx::query_scalar("SELECT used_at FROM signup_requests WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(used.is_none_or(|u| u.is_some()))
}

/// The open request a token belongs to, if the link still works (a read, for the page that
/// asks to confirm).
pub async fn live(db: &Db, token: &str, now: Timestamp) -> Result<Option<Request>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM signup_requests WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2"
    ))
    .bind(token_hash(token))
    .bind(now.0)
    .fetch_optional(&db.pool)
    .await?)
}

/// Uses a live token (one conditional update, so two uses at once cannot both succeed):
/// the request's id and what it asked for, or None.
pub async fn take(
    conn: &mut AnyConnection,
    token: &str,
    now: Timestamp,
) -> Result<Option<(i64, Request)>, AppError> {
    let id: Option<i64> = sqlx::query_scalar(
        "UPDATE signup_requests SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING id",
    )
    .bind(now.0)
    .bind(token_hash(token))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    let request = sqlx::query_as(&format!("SELECT {COLUMNS} FROM signup_requests WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some((id, request)))
}
