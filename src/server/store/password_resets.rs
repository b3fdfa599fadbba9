//! SQL of `password_resets`: one-time links, kept only as the SHA-256 of their token (made
//! and hashed as session tokens are, `auth::session`).

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::ids::UserId;
use crate::model::time::Timestamp;
use crate::server::auth::session::{hash_token as token_hash, new_token};
use crate::server::db::Db;

/// How long a reset link works.
pub const LINK_MINUTES: i64 = 30;

/// Where the reset link goes in the email's text until the outbox sends it
/// (`outbox::messages` makes the token then).
pub const LINK_MARKER: &str = "[reset-link]";

/// A fresh link's token for `user`, good for `LINK_MINUTES` from `now`. Made when the email
/// is sent, so the token itself is never stored.
pub async fn issue(db: &Db, user: UserId, now: Timestamp) -> Result<String, AppError> {
    let (token, hash) = new_token();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user)
    .bind(hash)
    .bind(now.0)
    .bind(now.0 + LINK_MINUTES * 60)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Whether a token is one of an open account's links, unused and unexpired (a read, before
/// the work of hashing a new password).
pub async fn is_live(db: &Db, token: &str, now: Timestamp) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM password_resets r JOIN users u ON u.id = r.user_id \
         WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND u.disabled_at IS NULL",
    )
    .bind(token_hash(token))
    .bind(now.0)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// Uses a live token (one conditional update, so two uses at once cannot both succeed): its
/// account, or None.
pub async fn take(conn: &mut AnyConnection, token: &str, now: Timestamp) -> Result<Option<UserId>, AppError> {
    Ok(sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         AND user_id IN (SELECT id FROM users WHERE disabled_at IS NULL) RETURNING user_id",
    )
    .bind(now.0)
    .bind(token_hash(token))
    .fetch_optional(&mut *conn)
    .await?)
}

/// Spends every unused link of `user` (its password changed, or the account closed).
pub async fn spend_all(conn: &mut AnyConnection, user: UserId, now: Timestamp) -> Result<(), AppError> {
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now.0)
        .bind(user)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
