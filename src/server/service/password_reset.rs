//! Forgotten passwords: a one-time link by email. The token is random, kept only as its
//! hash, good for 30 minutes and for one use; asking answers the same whether or not the
//! address has an account. Setting the new password ends every session and sends a notice.

use rand::RngCore;

use crate::domain::lang::current;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::UserId;
use crate::server::auth::password;
use crate::server::db::Db;
use crate::server::outbox::messages::token_hash;
use crate::server::service::account_mail::{account_by_email, language, mail, password_changed};
use crate::server::store::{sessions, users};

/// How long a reset link works.
pub const LINK_MINUTES: i64 = 30;

/// Sends a reset link to `email` if an open account uses it; answers the same either way.
/// `public_url` is where the link points.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn request(db: &Db, email: &str, public_url: &str) -> Result<(), AppError> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || email.len() > 254 {
        return Ok(());
    }
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let Some(account) = account_by_email(&mut tx, &email).await? else {
        return Ok(());
    };
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = hex::encode(raw);
    sqlx::query(
        "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(account.id)
    .bind(token_hash(&token))
    .bind(now.0)
    .bind(now.0 + LINK_MINUTES * 60)
    .execute(&mut *tx)
    .await?;
    let l = language(&account).locale;
    let link = format!("{public_url}/reset-password?token={token}");
    let subject = td_string!(l, auth.mail.reset_subject).to_string();
    let body = td_string!(
        l,
        auth.mail.reset_body,
        link = link,
        minutes = LINK_MINUTES.to_string()
    )
    .to_string();
    mail(&mut tx, &account, "password_reset", subject, body, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %account.id, "password reset link sent");
    Ok(())
}

/// Sets a new password with a reset link's `token`: once, within its 30 minutes. Ends the
/// account's sessions and every other link it had, and sends a notice.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn reset(db: &Db, token: &str, new_password: &str) -> Result<UserId, AppError> {
    let l = current().locale;
    let checked =
        crate::domain::validate::password(new_password).map_err(|m| AppError::field("password", m))?;
    // Hashed before the transaction: hashing takes a while and holds no lock.
    let hash = password::hash(checked).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    // Taken with one conditional update, so two uses at once cannot both succeed.
    let user: Option<UserId> = sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id",
    )
    .bind(now.0)
    .bind(token_hash(token.trim()))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user) = user else {
        return Err(AppError::conflict(td_string!(l, errors.reset.link_spent)));
    };
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now.0)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    users::set_password_hash(&mut tx, user, &hash).await?;
    sessions::revoke_all(&mut tx, user, now).await?;
    password_changed(&mut tx, user, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user, "password reset");
    Ok(user)
}
