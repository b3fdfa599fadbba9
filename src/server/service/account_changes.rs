//! A signed-in person changes their own password or sign-in email. Both need the current
//! password (the caller limits wrong guesses). A new password ends every session and reset
//! link and sends a notice; a new address works only once a link sent to it is opened, then
//! the old address is told.

use crate::domain::lang::current;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::UserId;
use crate::model::message::HoldReason;
use crate::model::time::Timestamp;
use crate::server::auth::password;
use crate::server::db::Db;
use crate::server::service::account_mail::{self, account_by_id, language, password_changed, AddressEmail};
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
    end_pending(&mut tx, user, now).await?;
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
    AddressEmail {
        recipient: &new_email,
        user: Some(user),
        lang: language(&account),
        kind: "verify_email_change",
        subject: td_string!(ml, auth.mail.new_email_subject).to_string(),
        body: td_string!(
            ml,
            auth.mail.new_email_body,
            link = LINK_MARKER,
            hours = LINK_HOURS.to_string()
        )
        .to_string(),
        key: Some(email_changes::dedupe_key(id)),
    }
    .write(&mut tx, now)
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = %user, "email change asked for");
    Ok(())
}

/// Ends `user`'s address changes not yet confirmed, and their emails if not sent: a new
/// password (by its owner, a reset or an admin) or a closed account leaves no link that an
/// intruder asked for working.
pub async fn end_pending(
    conn: &mut sqlx::AnyConnection,
    user: UserId,
    now: Timestamp,
) -> Result<(), AppError> {
    let spent = email_changes::spend_for(conn, user, now).await?;
    let keys: Vec<String> = spent.into_iter().map(email_changes::dedupe_key).collect();
    messages::suppress_unsent(conn, &keys, HoldReason::Spent).await
}

/// The address a working link would set.
pub async fn pending_email(db: &Db, token: &str) -> Result<Option<String>, AppError> {
    Ok(email_changes::live(db, token.trim(), db.now())
        .await?
        .map(|(_, email)| email))
}

/// Makes the address a link confirms the account's sign-in email (and its member profile's),
/// given the account's password (the link proves the new mailbox; the password, that the
/// account is theirs: nobody can hand another person's address an account they control).
/// In one transaction: reset links to the old address are spent, and the old address is told
/// with a link that undoes the change. An address another account or member has by now is
/// refused, with nothing changed.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn confirm_email_change(db: &Db, token: &str, password: &str) -> Result<UserId, AppError> {
    let l = current().locale;
    let spent = || AppError::conflict(td_string!(l, errors.account.link_spent));
    let Some((owner, _)) = email_changes::live(db, token.trim(), db.now()).await? else {
        return Err(spent());
    };
    if !password_is(db, owner, password).await? {
        return Err(AppError::field(
            "password",
            td_string!(l, errors.account.wrong_password),
        ));
    }
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let Some((id, user, new_email)) = email_changes::take(&mut tx, token.trim(), now).await? else {
        return Err(spent());
    };
    let Some(old) = account_by_id(&mut tx, user).await? else {
        return Err(spent());
    };
    let spent = email_changes::spend_for(&mut tx, user, now).await?;
    let keys: Vec<String> = spent
        .into_iter()
        .chain([id])
        .map(email_changes::dedupe_key)
        .collect();
    messages::suppress_unsent(&mut tx, &keys, HoldReason::Spent).await?;
    if !set_email(&mut tx, user, &new_email).await? {
        return Err(AppError::conflict(td_string!(l, errors.account.email_taken)));
    }
    // Reset links go to the address: those sent to the old one must not work any more.
    password_resets::spend_all(&mut tx, user, now).await?;
    messages::suppress_unsent_of(&mut tx, user, "password_reset", HoldReason::Spent).await?;
    email_changes::set_old_email(&mut tx, id, &old.email).await?;
    email_changed(&mut tx, &old, &new_email, id, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user, "sign-in email changed");
    Ok(user)
}

/// Sets the account's sign-in email and its member profile's; false when another account or
/// member has the address (checked first; a unique index catches one taken since).
async fn set_email(conn: &mut sqlx::AnyConnection, user: UserId, email: &str) -> Result<bool, AppError> {
    let taken: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM users WHERE email = $1 AND id <> $2) \
         + (SELECT COUNT(*) FROM members WHERE email = $1 AND (user_id IS NULL OR user_id <> $2))",
    )
    .bind(email)
    .bind(user)
    .fetch_one(&mut *conn)
    .await?;
    if taken > 0 {
        return Ok(false);
    }
    for sql in [
        "UPDATE users SET email = $1 WHERE id = $2",
        "UPDATE members SET email = $1 WHERE user_id = $2",
    ] {
        let done = sqlx::query(sql).bind(email).bind(user).execute(&mut *conn).await;
        match done {
            Ok(_) => {}
            // Taken by a transaction that committed after the check (PostgreSQL): the caller's
            // transaction is rolled back by the error it answers.
            Err(e)
                if crate::server::db::is_unique_violation(&e, "users_email_key", "users.email")
                    || crate::server::db::is_unique_violation(&e, "members_email_key", "members.email") =>
            {
                return Ok(false)
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}

/// Tells the old address that the sign-in email changed, with a link that undoes it for a
/// week (the token made when the email is sent); a member's inbox is told too, without the
/// link (the inbox is the account's, whoever holds it now).
async fn email_changed(
    conn: &mut sqlx::AnyConnection,
    old: &account_mail::Account,
    new_email: &str,
    change: i64,
    now: Timestamp,
) -> Result<(), AppError> {
    let l = language(old).locale;
    let subject = td_string!(l, auth.mail.email_changed_subject).to_string();
    let inbox = td_string!(l, auth.mail.email_changed_inbox, email = new_email).to_string();
    account_mail::inbox(conn, old, "email_changed", subject.clone(), inbox, now).await?;
    let body = td_string!(
        l,
        auth.mail.email_changed_body,
        email = new_email,
        link = email_changes::UNDO_MARKER,
        days = email_changes::UNDO_DAYS.to_string()
    )
    .to_string();
    AddressEmail {
        recipient: &old.email,
        user: None,
        lang: language(old),
        kind: "email_changed",
        subject,
        body,
        key: Some(email_changes::undo_key(change)),
    }
    .write(conn, now)
    .await
}

/// The (old address, address now) an undo link would swap back, while it works.
pub async fn pending_undo(db: &Db, token: &str) -> Result<Option<(String, String)>, AppError> {
    email_changes::live_undo(db, token.trim(), db.now()).await
}

/// Gives the account its old sign-in email back from the link sent to that address, in one
/// transaction: every session, reset link and pending change ends, so whoever changed it is
/// out; the owner then chooses a new password by a reset link to their address.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn undo_email_change(db: &Db, token: &str) -> Result<UserId, AppError> {
    let l = current().locale;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let Some((user, old_email)) = email_changes::take_undo(&mut tx, token.trim(), now).await? else {
        return Err(AppError::conflict(td_string!(l, errors.account.link_spent)));
    };
    if !set_email(&mut tx, user, &old_email).await? {
        return Err(AppError::conflict(td_string!(l, errors.account.email_taken)));
    }
    sessions::revoke_all(&mut tx, user, now).await?;
    password_resets::spend_all(&mut tx, user, now).await?;
    messages::suppress_unsent_of(&mut tx, user, "password_reset", HoldReason::Spent).await?;
    end_pending(&mut tx, user, now).await?;
    tx.commit().await?;
    tracing::warn!(user_id = %user, "sign-in email change undone from the old address");
    Ok(user)
}
