//! Member sign-up on the portal, confirmed by email. Asking answers the same whether or not
//! the address has an account: nothing becomes an account until its owner opens the link
//! sent to it, and an address that already has an account is told so by email instead.
//!
//! - `check` validates the form (field errors only tell about what was typed);
//! - `request` keeps the sign-up and writes the email (off the request path, so the answer
//!   takes as long either way);
//! - `confirm` makes the account from the link, claiming the profile a store made for the
//!   address if there is one.

use crate::domain::forms;
use crate::domain::lang::{current, Lang};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::MemberId;
use crate::model::message::HoldReason;
use crate::model::time::Timestamp;
use crate::model::user::{Role, SessionUser, SignupInput};
use crate::server::auth::password;
use crate::server::db::Db;
use crate::server::service::account_mail::{self, account_by_email, language, AddressEmail, SITE_MARKER};
use crate::server::store::signup_requests::{self, Request, LINK_HOURS, LINK_MARKER};
use crate::server::store::{messages, users};

use super::members;

/// A sign-up that passed the form's checks, ready to be kept.
#[derive(Debug, Clone)]
pub struct Ready {
    pub email: String,
    pub name: String,
    /// As stored (international form).
    pub phone: Option<String>,
    pub birth_date: Option<String>,
    pub referrer: Option<MemberId>,
    pub password: String,
    pub lang: Lang,
}

/// Checks the form: each bad field named, an unknown referral code, a phone number that
/// cannot be read. Nothing here depends on who has an account.
pub async fn check(db: &Db, input: &SignupInput) -> Result<Ready, AppError> {
    let v = forms::signup(input)?;
    let referrer = members::referrer(db, v.referral_code.as_deref()).await?;
    let mut conn = db.pool.acquire().await?;
    // Signed up on the portal, in no program yet: the brand's country reads a national number.
    let phone = super::phones::to_store(&mut conn, v.phone.as_deref(), None, None).await?;
    Ok(Ready {
        email: v.email,
        name: v.name,
        phone,
        birth_date: v.birth_date,
        referrer,
        password: v.password,
        lang: current(),
    })
}

/// What a request did (the person asking is told the same in every case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// A new sign-up, `signup_requests.id`: the address gets a link to confirm it.
    Pending(i64),
    /// The address has an open account: its owner is told someone tried.
    Existing,
    /// The address has a closed account: its owner is told it is closed.
    Closed,
}

/// Keeps a checked sign-up and writes its email in one transaction. Earlier sign-ups for
/// the address stay open: each link makes the account only with the password chosen in its
/// own sign-up, so a link someone else asked for is of no use to the address's owner, and a
/// stranger's sign-up cannot cancel theirs. The first confirmed spends the rest.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn request(db: &Db, ready: Ready) -> Result<Requested, AppError> {
    // Hashed whether or not it is needed: the work is the same in every case.
    let hash = password::hash(ready.password.clone()).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let has_account: Option<Option<i64>> =
        sqlx::query_scalar("SELECT disabled_at FROM users WHERE email = $1")
            .bind(&ready.email)
            .fetch_optional(&mut *tx)
            .await?;
    let requested = match has_account {
        Some(Some(_)) => {
            let l = ready.lang.locale;
            AddressEmail {
                recipient: &ready.email,
                user: None,
                lang: ready.lang,
                kind: "signup_closed",
                subject: td_string!(l, auth.mail.closed_subject).to_string(),
                body: td_string!(l, auth.mail.closed_body).to_string(),
                key: None,
            }
            .write(&mut tx, now)
            .await?;
            Requested::Closed
        }
        Some(None) => {
            let Some(account) = account_by_email(&mut tx, &ready.email).await? else {
                return Err(AppError::Internal);
            };
            let l = language(&account).locale;
            let subject = td_string!(l, auth.mail.existing_subject).to_string();
            let body = td_string!(l, auth.mail.existing_body, site = SITE_MARKER).to_string();
            account_mail::mail(&mut tx, &account, "signup_existing", subject, body, now).await?;
            Requested::Existing
        }
        None => {
            let kept = Request {
                email: ready.email.clone(),
                name: ready.name.clone(),
                phone: ready.phone.clone(),
                birth_date: ready.birth_date.clone(),
                referrer: ready.referrer,
                password_hash: hash,
                locale: ready.lang.tag().to_string(),
            };
            let id = signup_requests::insert(&mut tx, &kept, now).await?;
            let l = ready.lang.locale;
            let body = td_string!(
                l,
                auth.mail.confirm_body,
                name = ready.name.as_str(),
                link = LINK_MARKER,
                hours = LINK_HOURS.to_string()
            )
            .to_string();
            let subject = td_string!(l, auth.mail.confirm_subject).to_string();
            AddressEmail {
                recipient: &ready.email,
                user: None,
                lang: ready.lang,
                kind: "verify_signup",
                subject,
                body,
                key: Some(signup_requests::dedupe_key(id)),
            }
            .write(&mut tx, now)
            .await?;
            Requested::Pending(id)
        }
    };
    tx.commit().await?;
    tracing::info!(?requested, "sign-up asked for");
    Ok(requested)
}

/// Spends the open sign-ups for `email` (and `taken`, the one being confirmed), and their
/// emails if they have not gone yet: one account per address, and a spent link need not be
/// sent.
async fn spend(
    conn: &mut sqlx::AnyConnection,
    email: &str,
    taken: Option<i64>,
    now: Timestamp,
) -> Result<(), AppError> {
    let spent = signup_requests::spend_for(conn, email, now).await?;
    let keys: Vec<String> = spent
        .into_iter()
        .chain(taken)
        .map(signup_requests::dedupe_key)
        .collect();
    messages::suppress_unsent(conn, &keys, HoldReason::Spent).await
}

/// Who a working link would make an account for (shown before it is confirmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub name: String,
    pub email: String,
}

/// The sign-up a link is for, while the link works.
pub async fn pending(db: &Db, token: &str) -> Result<Option<Pending>, AppError> {
    Ok(signup_requests::live(db, token.trim(), db.now())
        .await?
        .map(|r| Pending {
            name: r.name,
            email: r.email,
        }))
}

/// An account made from a link.
#[derive(Debug, Clone)]
pub struct Confirmed {
    pub user: SessionUser,
    pub lang: Option<Lang>,
    /// The profile a store made for the address became this account's.
    pub claimed: bool,
    /// The phone number typed is another member's, so the account was made without it.
    pub phone_dropped: bool,
}

/// A profile with the address signing up: id, its account, whom it was merged into, phone.
type StoreProfile = (MemberId, Option<i64>, Option<i64>, Option<String>);

/// Makes the account a link confirms, given the password chosen in that sign-up (the link
/// proves the mailbox, the password proves the sign-up: someone who signed up with another's
/// address cannot hand them an account whose password they know). In one transaction: the
/// link and every other open sign-up for the address are spent, the account is made, and
/// the member profile is the one a store made for the address (which keeps its points) or a
/// new one. A phone number another member has is left out rather than refused. A wrong
/// password is a field error and spends nothing.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn confirm(db: &Db, token: &str, password: &str) -> Result<Confirmed, AppError> {
    let l = current().locale;
    let spent = || AppError::conflict(td_string!(l, errors.signup.link_spent));
    // Checked before the transaction: hashing takes a while and holds no lock.
    let Some(live) = signup_requests::live(db, token.trim(), db.now()).await? else {
        return Err(spent());
    };
    let long = password.chars().count() > crate::domain::validate::MAX_PASSWORD_CHARS;
    if long || !password::verify(password.to_string(), Some(live.password_hash.clone())).await {
        return Err(AppError::field(
            "password",
            td_string!(l, errors.signup.wrong_password),
        ));
    }
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let Some((id, r)) = signup_requests::take(&mut tx, token.trim(), now).await? else {
        return Err(spent());
    };
    if r.password_hash != live.password_hash {
        return Err(spent());
    }
    spend(&mut tx, &r.email, Some(id), now).await?;
    let has_account: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&r.email)
        .fetch_optional(&mut *tx)
        .await?;
    if has_account.is_some() {
        // Made since (by staff, say): the owner of the address signs in to it.
        return Err(AppError::conflict(td_string!(l, errors.signup.has_account)));
    }
    let user_id = users::insert(&mut tx, &r.email, &r.name, Role::Member, &r.password_hash, now).await?;
    sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
        .bind(&r.locale)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let made_at_store: Option<StoreProfile> =
        sqlx::query_as("SELECT id, user_id, merged_into, phone FROM members WHERE email = $1")
            .bind(&r.email)
            .fetch_optional(&mut *tx)
            .await?;
    let except = made_at_store.as_ref().map(|m| m.0);
    let phone = match &r.phone {
        Some(p)
            if members::taken_by_others(&mut tx, except, None, Some(p))
                .await?
                .is_empty() =>
        {
            Some(p.clone())
        }
        _ => None,
    };
    let phone_dropped = r.phone.is_some() && phone.is_none();
    let claimed = match made_at_store {
        Some((member, None, None, their_phone)) => {
            // Only while it is still nobody's and not merged away (a merge may have taken it
            // since it was read).
            let took = sqlx::query(
                "UPDATE members SET user_id = $1 WHERE id = $2 AND user_id IS NULL AND merged_into IS NULL",
            )
            .bind(user_id)
            .bind(member)
            .execute(&mut *tx)
            .await?;
            if took.rows_affected() != 1 {
                return Err(AppError::conflict(td_string!(l, errors.signup.profile_taken)));
            }
            // What the store did not record is filled in; what it did is kept.
            if their_phone.is_none() && phone.is_some() {
                sqlx::query("UPDATE members SET phone = $1 WHERE id = $2")
                    .bind(&phone)
                    .bind(member)
                    .execute(&mut *tx)
                    .await?;
            }
            members::fill_birth_date(&mut tx, member, r.birth_date.as_deref(), now).await?;
            true
        }
        // Merged into another, or already someone's: not for this address to take.
        Some(_) => return Err(AppError::conflict(td_string!(l, errors.signup.profile_taken))),
        None => {
            let member = members::insert_profile(
                &mut tx,
                Some(user_id),
                &r.name,
                Some(&r.email),
                phone.as_deref(),
                now,
            )
            .await?;
            members::complete_profile(&mut tx, member, r.birth_date.as_deref(), r.referrer, now).await?;
            members::announce_created(&mut tx, member, "registered", "web", now).await?;
            false
        }
    };
    tx.commit().await?;
    tracing::info!(user_id = %user_id, claimed, phone_dropped, "sign-up confirmed");
    Ok(Confirmed {
        user: SessionUser {
            id: user_id,
            email: r.email,
            display_name: r.name,
            role: Role::Member,
        },
        lang: Lang::from_tag(&r.locale),
        claimed,
        phone_dropped,
    })
}
