//! A signed-in person changes their own password or sign-in email. Both need the current
//! password (the caller limits wrong guesses). A new password ends every session and reset
//! link and sends a notice; a new address works only once a link sent to it is opened, then
//! the old address is told.

use crate::domain::lang::current;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::UserId;
use crate::model::message::{Channel, HoldReason, IfLimited, Topic};
use crate::model::time::Timestamp;
use crate::server::auth::password;
use crate::server::db::Db;
use crate::server::outbox::messages::{enqueue, NewMessage};
use crate::server::service::account_mail::{self, account_by_id, language, password_changed};
use crate::server::store::email_changes::{self, LINK_HOURS, LINK_MARKER};
use crate::server::store::{messages, password_resets, sessions, users};

/// Whether `typed` is the account's password (an unknown or closed account is never right).
pub async fn password_is(db: &Db, user: UserId, typed: &str) -> Result<bool, AppError> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND disabled_at IS NULL")
            .bind(user)
            .fetch_optional(&db.pool)
            .await?;
    let long = typed.chars().count() > crate::domain::validate::MAX_PASSWORD_CHARS;
    Ok(!long && password::verify(typed.to_string(), stored).await)
}

fn wrong_password() -> AppError {
    AppError::field(
        "current_password",
        td_string!(current().locale, errors.account.wrong_password),
    )
}

/// Sets a new password for `user` after checking the current one; ends every session and
/// reset link of the account and sends the notice, in one transaction.
#[tracing::instrument(skip(db, current_password, new_password), err(level = "debug"))]
pub async fn change_password(
    db: &Db,
    user: UserId,
    current_password: &str,
    new_password: &str,
) -> Result<(), AppError> {
    let checked =
        crate::domain::validate::password(new_password).map_err(|m| AppError::field("new_password", m))?;
    if !password_is(db, user, current_password).await? {
        return Err(wrong_password());
    }
    let hash = password::hash(checked).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    users::set_password_hash(&mut tx, user, &hash).await?;
    password_resets::spend_all(&mut tx, user, now).await?;
    sessions::revoke_all(&mut tx, user, now).await?;
    password_changed(&mut tx, user, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user, "password changed by its owner");
    Ok(())
}

/// Sends a link to `new_email` that makes it `user`'s sign-in address, after checking the
/// password. Whether the new address is free is told only to whoever opens the link.
#[tracing::instrument(skip(db, password, new_email), err(level = "debug"))]
pub async fn request_email_change(
    db: &Db,
    user: UserId,
    password: &str,
    new_email: &str,
) -> Result<(), AppError> {
    let l = current().locale;
    let new_email = crate::domain::validate::email(new_email).map_err(|m| AppError::field("new_email", m))?;
    if !password_is(db, user, password).await? {
        return Err(wrong_password());
    }
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let Some(account) = account_by_id(&mut tx, user).await? else {
        return Err(AppError::not_found(td_string!(l, errors.what.account)));
    };
    if account.email == new_email {
        return Err(AppError::field(
            "new_email",
            td_string!(l, errors.account.same_email),
        ));
    }
    let (id, spent) = email_changes::insert(&mut tx, user, &new_email, now).await?;
    let keys: Vec<String> = spent.into_iter().map(email_changes::dedupe_key).collect();
    messages::suppress_unsent(&mut tx, &keys, HoldReason::Spent).await?;
    let ml = language(&account).locale;
    let message = NewMessage {
        member_id: None,
        user_id: Some(user),
        program_id: None,
        channel: Channel::Email,
        topic: Topic::Service,
        kind: "verify_email_change",
        if_limited: IfLimited::Defer,
        recipient: new_email.clone(),
        language: language(&account).tag().to_string(),
        subject: td_string!(ml, auth.mail.new_email_subject).to_string(),
        body: td_string!(
            ml,
            auth.mail.new_email_body,
            link = LINK_MARKER,
            hours = LINK_HOURS.to_string()
        )
        .to_string(),
        dedupe_key: Some(email_changes::dedupe_key(id)),
        not_before: now,
        journey_id: None,
    };
    enqueue(&mut tx, &message, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user, "email change asked for");
    Ok(())
}

/// The address a working link would set.
pub async fn pending_email(db: &Db, token: &str) -> Result<Option<String>, AppError> {
    email_changes::live(db, token.trim(), db.now()).await
}

/// Makes the address a link confirms the account's sign-in email (and its member profile's),
/// in one transaction, and tells the old address. An address another account or member has
/// by now is refused, with nothing changed.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn confirm_email_change(db: &Db, token: &str) -> Result<UserId, AppError> {
    let l = current().locale;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let Some((id, user, new_email)) = email_changes::take(&mut tx, token.trim(), now).await? else {
        return Err(AppError::conflict(td_string!(l, errors.account.link_spent)));
    };
    let taken: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM users WHERE email = $1) \
         + (SELECT COUNT(*) FROM members WHERE email = $1 AND (user_id IS NULL OR user_id <> $2))",
    )
    .bind(&new_email)
    .bind(user)
    .fetch_one(&mut *tx)
    .await?;
    if taken > 0 {
        return Err(AppError::conflict(td_string!(l, errors.account.email_taken)));
    }
    let Some(old) = account_by_id(&mut tx, user).await? else {
        return Err(AppError::conflict(td_string!(l, errors.account.link_spent)));
    };
    let spent = email_changes::spend_for(&mut tx, user, now).await?;
    let keys: Vec<String> = spent
        .into_iter()
        .chain([id])
        .map(email_changes::dedupe_key)
        .collect();
    messages::suppress_unsent(&mut tx, &keys, HoldReason::Spent).await?;
    sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
        .bind(&new_email)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE members SET email = $1 WHERE user_id = $2")
        .bind(&new_email)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    email_changed(&mut tx, &old, &new_email, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user, "sign-in email changed");
    Ok(user)
}

/// Tells the old address (by email, and a member in the inbox too) that the sign-in email
/// changed: if it was not them, they know at once.
async fn email_changed(
    conn: &mut sqlx::AnyConnection,
    old: &account_mail::Account,
    new_email: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    let l = language(old).locale;
    let subject = td_string!(l, auth.mail.email_changed_subject).to_string();
    let body = td_string!(l, auth.mail.email_changed_body, email = new_email).to_string();
    account_mail::notice(conn, old, "email_changed", subject, body, now).await
}
