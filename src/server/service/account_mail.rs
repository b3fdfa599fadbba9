//! Emails about a person's account (a reset link, a password changed): service messages
//! through the outbox, in the account's language, written in the caller's transaction.

use sqlx::AnyConnection;

use crate::domain::lang::{current, Lang};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::{MemberId, UserId};
use crate::model::message::{Channel, IfLimited, Topic};
use crate::model::time::Timestamp;
pub use crate::server::outbox::messages::SITE_MARKER;
use crate::server::outbox::messages::{enqueue, NewMessage};

/// The account an email is sent to, with the member it is (if any) and its language.
#[derive(sqlx::FromRow)]
pub struct Account {
    pub id: UserId,
    pub email: String,
    pub member_id: Option<MemberId>,
    pub locale: Option<String>,
}

pub async fn account_by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<Account>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.email, m.id AS member_id, u.locale FROM users u LEFT JOIN members m ON m.user_id = u.id \
         WHERE u.email = $1 AND u.disabled_at IS NULL",
    )
    .bind(email)
    .fetch_optional(&mut *conn)
    .await?)
}

pub async fn account_by_id(conn: &mut AnyConnection, id: UserId) -> Result<Option<Account>, AppError> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.email, m.id AS member_id, u.locale FROM users u LEFT JOIN members m ON m.user_id = u.id \
         WHERE u.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The account's language, or the one the request came in.
pub fn language(account: &Account) -> Lang {
    account
        .locale
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or_else(current)
}

/// A service email to an account, in the caller's transaction.
pub async fn mail(
    conn: &mut AnyConnection,
    account: &Account,
    kind: &'static str,
    subject: String,
    body: String,
    now: Timestamp,
) -> Result<(), AppError> {
    send(conn, account, Channel::Email, kind, subject, body, now).await
}

/// A service email to an address that is not (yet, or any more) an account's sign-in one: a
/// sign-up's, a new address to confirm, an old one told of a change. `key` finds the email
/// again (the outbox puts its link in when it sends); `user`, when given, is the account it
/// is about (a closed account's emails are not sent).
pub struct AddressEmail<'a> {
    pub recipient: &'a str,
    pub user: Option<UserId>,
    pub lang: Lang,
    pub kind: &'static str,
    pub subject: String,
    pub body: String,
    pub key: Option<String>,
}

impl AddressEmail<'_> {
    /// Writes it to the outbox in the caller's transaction. An email whose key was already
    /// used is an error, not silence: its link would never go.
    pub async fn write(self, conn: &mut AnyConnection, now: Timestamp) -> Result<(), AppError> {
        let message = NewMessage {
            member_id: None,
            user_id: self.user,
            program_id: None,
            channel: Channel::Email,
            topic: Topic::Service,
            kind: self.kind,
            if_limited: IfLimited::Defer,
            recipient: self.recipient.to_string(),
            language: self.lang.tag().to_string(),
            subject: self.subject,
            body: self.body,
            dedupe_key: self.key,
            not_before: now,
            journey_id: None,
            campaign_id: None,
        };
        if enqueue(conn, &message, now).await? {
            Ok(())
        } else {
            tracing::error!(kind = message.kind, "an account email's key was already used");
            Err(AppError::Internal)
        }
    }
}

/// A service message to an account on `channel`, in the caller's transaction.
async fn send(
    conn: &mut AnyConnection,
    account: &Account,
    channel: Channel,
    kind: &'static str,
    subject: String,
    body: String,
    now: Timestamp,
) -> Result<(), AppError> {
    let message = NewMessage {
        member_id: account.member_id,
        user_id: Some(account.id),
        program_id: None,
        channel,
        topic: Topic::Service,
        kind,
        if_limited: IfLimited::Defer,
        recipient: if channel == Channel::Email {
            account.email.clone()
        } else {
            String::new()
        },
        language: language(account).tag().to_string(),
        subject,
        body,
        dedupe_key: None,
        not_before: now,
        journey_id: None,
        campaign_id: None,
    };
    enqueue(conn, &message, now).await?;
    Ok(())
}

/// Tells the account's owner by email (and a member in the portal's inbox too) that its
/// password changed, in the caller's transaction: if it was not them, they know at once.
pub async fn password_changed(
    conn: &mut AnyConnection,
    user: UserId,
    now: Timestamp,
) -> Result<(), AppError> {
    let Some(account) = account_by_id(conn, user).await? else {
        return Ok(());
    };
    let l = language(&account).locale;
    let subject = td_string!(l, auth.mail.changed_subject).to_string();
    let body = td_string!(l, auth.mail.changed_body).to_string();
    notice(conn, &account, "password_changed", subject, body, now).await
}

/// A notice to a member account's inbox (nothing for an account that is no member).
pub async fn inbox(
    conn: &mut AnyConnection,
    account: &Account,
    kind: &'static str,
    subject: String,
    body: String,
    now: Timestamp,
) -> Result<(), AppError> {
    if account.member_id.is_none() {
        return Ok(());
    }
    send(conn, account, Channel::InApp, kind, subject, body, now).await
}

/// A notice about the account: by email to its address, and to a member's inbox too.
pub async fn notice(
    conn: &mut AnyConnection,
    account: &Account,
    kind: &'static str,
    subject: String,
    body: String,
    now: Timestamp,
) -> Result<(), AppError> {
    inbox(conn, account, kind, subject.clone(), body.clone(), now).await?;
    mail(conn, account, kind, subject, body, now).await
}
