//! Forgotten passwords: a one-time link by email. The link's token is made when the email
//! is sent and kept only as its hash (`store::password_resets`), good for 30 minutes and for
//! one use; asking answers the same whether or not the address has an account. Setting the
//! new password ends every session and every other link, and sends a notice.

use crate::domain::lang::current;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::UserId;
use crate::server::auth::password;
use crate::server::db::Db;
use crate::server::service::account_mail::{account_by_email, language, mail, password_changed};
use crate::server::store::password_resets::{self, LINK_MARKER, LINK_MINUTES};
use crate::server::store::{sessions, users};

/// Writes a reset email to `email` if an open account uses it; answers the same either way.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn request(db: &Db, email: &str) -> Result<(), AppError> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || email.len() > 254 {
        return Ok(());
    }
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let Some(account) = account_by_email(&mut tx, &email).await? else {
        return Ok(());
    };
    let l = language(&account).locale;
    let subject = td_string!(l, auth.mail.reset_subject).to_string();
    let body = td_string!(
        l,
        auth.mail.reset_body,
        link = LINK_MARKER,
        minutes = LINK_MINUTES.to_string()
    )
    .to_string();
    mail(&mut tx, &account, "password_reset", subject, body, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %account.id, "password reset email written");
    Ok(())
}

/// Sets a new password with a reset link's `token`: once, within its 30 minutes, for an open
/// account. Ends the account's sessions and every other link it had, and sends a notice.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn reset(db: &Db, token: &str, new_password: &str) -> Result<UserId, AppError> {
    let l = current().locale;
    let spent = || AppError::conflict(td_string!(l, errors.reset.link_spent));
    let checked =
        crate::domain::validate::password(new_password).map_err(|m| AppError::field("password", m))?;
    // A dead token is told before the work of hashing (which holds no lock, so it is done
    // before the transaction; the token is taken for good inside it).
    if !password_resets::is_live(db, token.trim(), db.now()).await? {
        return Err(spent());
    }
    let hash = password::hash(checked).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let Some(user) = password_resets::take(&mut tx, token.trim(), now).await? else {
        return Err(spent());
    };
    password_resets::spend_all(&mut tx, user, now).await?;
    crate::server::service::account_changes::end_pending(&mut tx, user, now).await?;
    users::set_password_hash(&mut tx, user, &hash).await?;
    sessions::revoke_all(&mut tx, user, now).await?;
    password_changed(&mut tx, user, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user, "password reset");
    Ok(user)
}
