//! SQL of `email_changes`: a new sign-in address waiting to be confirmed from that address.
//! The link's token is made when the email is sent and kept only as its SHA-256, as sign-up
//! and reset links are.

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::ids::UserId;
use crate::model::time::Timestamp;
use crate::server::auth::session::{hash_token as token_hash, new_token};
use crate::server::db::Db;

/// How long a confirmation link works.
pub const LINK_HOURS: i64 = 24;

/// Where the link goes in the email's text until the outbox sends it.
pub const LINK_MARKER: &str = "[email-link]";

/// The outbox message that carries change `id`'s link is found by this key.
pub fn dedupe_key(id: i64) -> String {
    format!("verify-email-change:{id}")
}

/// The change a confirmation email's dedupe key names.
pub fn of_dedupe_key(key: &str) -> Option<i64> {
    key.strip_prefix("verify-email-change:")?.parse().ok()
}

/// Keeps a change of `user`'s address to `new_email`, spending the ones before it; its id
/// and the ids spent.
pub async fn insert(
    conn: &mut AnyConnection,
    user: UserId,
    new_email: &str,
    now: Timestamp,
) -> Result<(i64, Vec<i64>), AppError> {
    let spent = spend_for(conn, user, now).await?;
    let id = sqlx::query_scalar(
        "INSERT INTO email_changes (user_id, new_email, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(user)
    .bind(new_email)
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, spent))
}

/// Spends every open change of `user` (a newer one, or one confirmed, ends the others); the
/// ids spent.
pub async fn spend_for(conn: &mut AnyConnection, user: UserId, now: Timestamp) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "UPDATE email_changes SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL RETURNING id",
    )
    .bind(now.0)
    .bind(user)
    .fetch_all(&mut *conn)
    .await?)
}

/// A fresh token for change `id`'s link, good for `LINK_HOURS` from `now`.
pub async fn issue(db: &Db, id: i64, now: Timestamp) -> Result<String, AppError> {
    let (token, hash) = new_token();
    sqlx::query("UPDATE email_changes SET token_hash = $1, expires_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now.0 + LINK_HOURS * 3600)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(token)
}

/// Whether change `id` is spent (its email, if not sent yet, need not go).
pub async fn is_spent(db: &Db, id: i64) -> Result<bool, AppError> {
    let used: Option<Option<i64>> = sqlx::query_scalar("SELECT used_at FROM email_changes WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(used.is_none_or(|u| u.is_some()))
}

/// The account and new address a live token would set, for an open account (a read, for
/// the page that asks to confirm).
pub async fn live(db: &Db, token: &str, now: Timestamp) -> Result<Option<(UserId, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT c.user_id, c.new_email FROM email_changes c JOIN users u ON u.id = c.user_id \
         WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > $2 AND u.disabled_at IS NULL",
    )
    .bind(token_hash(token))
    .bind(now.0)
    .fetch_optional(&db.pool)
    .await?)
}

/// Uses a live token of an open account (one conditional update, so two uses at once cannot
/// both succeed): the change's id, account and new address, or None.
pub async fn take(
    conn: &mut AnyConnection,
    token: &str,
    now: Timestamp,
) -> Result<Option<(i64, UserId, String)>, AppError> {
    Ok(sqlx::query_as(
        "UPDATE email_changes SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         AND user_id IN (SELECT id FROM users WHERE disabled_at IS NULL) RETURNING id, user_id, new_email",
    )
    .bind(now.0)
    .bind(token_hash(token))
    .fetch_optional(&mut *conn)
    .await?)
}

/// How long the old address can undo a change.
pub const UNDO_DAYS: i64 = 7;

/// Where the undo link goes in the old address's notice until the outbox sends it.
pub const UNDO_MARKER: &str = "[undo-link]";

/// The notice to the old address of change `id` is found by this key.
pub fn undo_key(id: i64) -> String {
    format!("undo-email-change:{id}")
}

/// The change an old address's notice names.
pub fn of_undo_key(key: &str) -> Option<i64> {
    key.strip_prefix("undo-email-change:")?.parse().ok()
}

/// Keeps the address change `id` replaced, for its undo link.
pub async fn set_old_email(conn: &mut AnyConnection, id: i64, old_email: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE email_changes SET old_email = $1 WHERE id = $2")
        .bind(old_email)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A fresh token for change `id`'s undo link, good for `UNDO_DAYS` from the change.
pub async fn issue_undo(db: &Db, id: i64) -> Result<String, AppError> {
    let (token, hash) = new_token();
    sqlx::query("UPDATE email_changes SET undo_hash = $1, undo_until = used_at + $2 WHERE id = $3")
        .bind(hash)
        .bind(UNDO_DAYS * 24 * 3600)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(token)
}

/// The (old address, address now) a live undo token would swap back.
pub async fn live_undo(db: &Db, token: &str, now: Timestamp) -> Result<Option<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT c.old_email, u.email FROM email_changes c JOIN users u ON u.id = c.user_id \
         WHERE c.undo_hash = $1 AND c.undone_at IS NULL AND c.undo_until > $2 AND c.old_email IS NOT NULL",
    )
    .bind(token_hash(token))
    .bind(now.0)
    .fetch_optional(&db.pool)
    .await?)
}

/// Uses a live undo token (one conditional update): the account and the address to give
/// back, or None.
pub async fn take_undo(
    conn: &mut AnyConnection,
    token: &str,
    now: Timestamp,
) -> Result<Option<(UserId, String)>, AppError> {
    Ok(sqlx::query_as(
        "UPDATE email_changes SET undone_at = $1 WHERE undo_hash = $2 AND undone_at IS NULL AND undo_until > $1 \
         AND old_email IS NOT NULL RETURNING user_id, old_email",
    )
    .bind(now.0)
    .bind(token_hash(token))
    .fetch_optional(&mut *conn)
    .await?)
}
