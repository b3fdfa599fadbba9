//! Session rows: created at sign-in, looked up on each request, revoked at sign-out.

use crate::model::ids::UserId;
use std::time::Duration;

use crate::error::AppError;
use crate::model::time::Timestamp;
use crate::model::user::SessionUser;
use crate::server::db::Db;

use crate::server::db::role_of;

#[tracing::instrument(skip(db, token_hash), err(level = "debug"))]
pub async fn create(
    db: &Db,
    user_id: UserId,
    token_hash: &str,
    now: Timestamp,
    ttl: Duration,
) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    // Housekeeping in passing: expired sessions are of no further use.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now.0)
        .bind(now.0 + ttl.as_secs() as i64)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: UserId,
    email: String,
    display_name: String,
    role: String,
}

/// The user behind a live session: not expired, not revoked, account not disabled.
pub async fn user_for_token(
    db: &Db,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<SessionUser>, AppError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT u.id, u.email, u.display_name, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled_at IS NULL",
    )
    .bind(token_hash)
    .bind(now.0)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(SessionUser {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: role_of(&r.role)?,
        })
    })
    .transpose()
}

#[tracing::instrument(skip(db, token_hash), err(level = "debug"))]
pub async fn revoke(db: &Db, token_hash: &str, now: Timestamp) -> Result<(), AppError> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
        .bind(now.0)
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends every live session of a user (an account disabled or given a new password).
pub async fn revoke_all(
    conn: &mut sqlx::AnyConnection,
    user_id: UserId,
    now: Timestamp,
) -> Result<u64, AppError> {
    Ok(
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now.0)
            .bind(user_id)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}
