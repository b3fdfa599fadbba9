//! Sign-in, sign-out, member sign-up and "who am I".

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::user::{PendingSignup, SessionUser, SignupInput};

/// The signed-in user, or `None`. Open to everyone.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    crate::server::auth::guard::current_user().await
}

/// Checks the password, starts a session and sends the user to their surface.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<SessionUser, AppError> {
    use crate::domain::validate::MAX_PASSWORD_CHARS;
    use crate::server::auth::{guard, password as pw, ratelimit};
    use crate::server::store::users;
    use std::time::Instant;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let addr = guard::client_address(&parts, state.config.trust_proxy);
    let email = email.trim().to_lowercase();
    let limits = ratelimit::sign_in(&email, &addr);
    if let Err(secs) = state.throttle.check(&limits, Instant::now()) {
        tracing::warn!(%addr, "sign-in slowed down");
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    // One check per account at a time: a burst of parallel guesses waits its turn.
    let Some(_checking) = state.throttle.begin(&limits[1]) else {
        return Err(AppError::RateLimited { retry_after_secs: 1 });
    };
    let creds = if email.is_empty() {
        None
    } else {
        users::find_credentials(&state.db, &email).await?
    };
    // An absurdly long password cannot be right; skip hashing it but answer the same way.
    let ok = password.chars().count() <= MAX_PASSWORD_CHARS
        && pw::verify(password, creds.as_ref().map(|c| c.password_hash.clone())).await;
    match creds {
        Some(c) if ok && !c.disabled => {
            state.throttle.clear(&limits[0]);
            guard::start_session(&state, &parts, c.user.id).await?;
            // The language chosen on another device follows the person.
            let chosen = users::locale(&state.db, c.user.id).await?;
            if let Some(lang) = chosen.as_deref().and_then(crate::domain::lang::Lang::from_tag) {
                let secure = crate::server::auth::session::secure(&parts, &state.config);
                guard::append_header(
                    http::header::SET_COOKIE,
                    &crate::server::lang::cookie(lang, secure),
                )?;
            }
            tracing::info!(user_id = %c.user.id, "signed in");
            leptos_axum::redirect(c.user.role.home());
            Ok(c.user)
        }
        _ => {
            state.throttle.record_failure(&limits, Instant::now());
            tracing::info!(%addr, "failed sign-in");
            Err(AppError::InvalidCredentials)
        }
    }
}

/// Revokes the session and clears the cookie.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::auth::{guard, session};
    use crate::server::store::sessions;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    if let Some(token) = session::token_from(&parts) {
        sessions::revoke(&state.db, &session::hash_token(&token), state.db.now()).await?;
    }
    guard::append_header(
        http::header::SET_COOKIE,
        &session::clear_cookie(&parts, &state.config),
    )?;
    leptos_axum::redirect("/");
    Ok(())
}

/// A member asks to join: the form is checked, then a link to confirm the address is
/// emailed to it. The answer is the same whether or not the address has an account (its
/// owner learns the rest by email). Limited per address asked for and per client address.
#[server(endpoint = "signup")]
pub async fn signup(input: SignupInput) -> Result<(), AppError> {
    use crate::server::auth::{guard, ratelimit::Limit};
    use crate::server::service::signups;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let addr = guard::client_address(&parts, state.config.trust_proxy);
    let email = input.email.trim().to_lowercase();
    // Every request counts: three emails to one address in a window, and fifty sign-ups
    // from one client address (shops and phone carriers put many people behind one).
    guard::count_request(
        &state,
        &[
            Limit::new(format!("signup:{email}"), 3),
            Limit::new(format!("signup-address:{addr}"), 50),
        ],
    )?;
    let ready = signups::check(&state.db, &input).await?;
    // Written off the request, so the answer takes as long whether or not the address has
    // an account.
    let db = state.db.clone();
    tokio::spawn(async move {
        if let Err(e) = signups::request(&db, ready).await {
            tracing::error!(error = %e, "a sign-up could not be kept");
        }
    });
    leptos_axum::redirect("/signup?sent=1");
    Ok(())
}

/// Who a sign-up link would make an account for, while it works (the page asks them to
/// confirm: a link opened by a mail scanner makes nothing). Open to everyone.
#[server(endpoint = "load_signup_link")]
pub async fn load_signup_link(token: String) -> Result<Option<PendingSignup>, AppError> {
    use crate::server::auth::guard;
    use crate::server::service::signups;

    let state = guard::state()?;
    Ok(signups::pending(&state.db, &token).await?.map(|p| PendingSignup {
        name: p.name,
        email: p.email,
    }))
}

/// Makes the account a sign-up link confirms, given the password chosen at sign-up, and
/// signs its owner in, in the language they signed up in. Wrong passwords and dead links are
/// limited per client address.
#[server(endpoint = "confirm_signup")]
pub async fn confirm_signup(token: String, password: String) -> Result<SessionUser, AppError> {
    use crate::server::auth::guard;
    use crate::server::service::signups;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let limits = guard::link_use(&state, &parts, "signup-token")?;
    let confirmed = match signups::confirm(&state.db, &token, &password).await {
        Ok(c) => c,
        Err(e) => {
            guard::link_failed(&state, &limits, &e);
            return Err(e);
        }
    };
    guard::start_session(&state, &parts, confirmed.user.id).await?;
    if let Some(lang) = confirmed.lang {
        let secure = crate::server::auth::session::secure(&parts, &state.config);
        guard::append_header(
            http::header::SET_COOKIE,
            &crate::server::lang::cookie(lang, secure),
        )?;
    }
    let welcome = match (confirmed.claimed, confirmed.phone_dropped) {
        (true, true) => "/portal?welcome=claimed&phone=taken",
        (true, false) => "/portal?welcome=claimed",
        (false, true) => "/portal?welcome=new&phone=taken",
        (false, false) => "/portal?welcome=new",
    };
    leptos_axum::redirect(welcome);
    Ok(confirmed.user)
}

/// Emails a one-time reset link if an open account uses `email`; answers the same either
/// way (whether an address has an account is not told). Limited per address and account.
#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::auth::{guard, ratelimit::Limit};
    use crate::server::service::password_reset;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let addr = guard::client_address(&parts, state.config.trust_proxy);
    let account = email.trim().to_lowercase();
    // Every request counts: three links an account and ten an address in a window, then
    // waits (a mailbox is not to be flooded through us).
    guard::count_request(
        &state,
        &[
            Limit::new(format!("reset:{account}"), 3),
            Limit::new(format!("reset-address:{addr}"), 10),
        ],
    )?;
    // Written off the request, so the answer takes as long whether or not the address has
    // an account.
    let db = state.db.clone();
    tokio::spawn(async move {
        if let Err(e) = password_reset::request(&db, &account).await {
            tracing::error!(error = %e, "a password reset email could not be written");
        }
    });
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Sets a new password with a reset link's token (once, within 30 minutes), ending every
/// session of the account; then sends the person to sign in.
#[server(endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::server::auth::guard;
    use crate::server::service::password_reset;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let limits = guard::link_use(&state, &parts, "reset-token")?;
    match password_reset::reset(&state.db, &token, &password).await {
        Ok(_) => {
            leptos_axum::redirect("/login?reset=1");
            Ok(())
        }
        Err(e) => {
            guard::link_failed(&state, &limits, &e);
            Err(e)
        }
    }
}

/// Counts a wrong current password on an account's own change (five in a window, then it
/// waits), or refuses while it waits.
#[cfg(feature = "ssr")]
fn own_change_limits(user: crate::model::ids::UserId) -> [crate::server::auth::ratelimit::Limit; 1] {
    [crate::server::auth::ratelimit::Limit::new(
        format!("own-password:{user}"),
        5,
    )]
}

/// The signed-in person about to change their own account, unless wrong current passwords
/// have them waiting.
#[cfg(feature = "ssr")]
async fn own_change() -> Result<(crate::server::state::AppState, SessionUser), AppError> {
    use crate::server::auth::guard;
    let user = guard::require(|_| true).await?;
    let state = guard::state()?;
    if let Err(secs) = state
        .throttle
        .check(&own_change_limits(user.id), std::time::Instant::now())
    {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    Ok((state, user))
}

/// Answers `result`, counting a wrong current password against the account.
#[cfg(feature = "ssr")]
fn count_wrong_password<T>(
    state: &crate::server::state::AppState,
    user: crate::model::ids::UserId,
    result: Result<T, AppError>,
) -> Result<T, AppError> {
    if let Err(e) = &result {
        if e.field_message("current_password").is_some() {
            state
                .throttle
                .record_failure(&own_change_limits(user), std::time::Instant::now());
        }
    }
    result
}

/// The signed-in person sets a new password, giving the current one. Every session of the
/// account ends (this one too) and a notice is sent; they sign in again with the new one.
#[server(endpoint = "change_my_password")]
pub async fn change_my_password(current_password: String, new_password: String) -> Result<(), AppError> {
    use crate::server::auth::guard;
    use crate::server::service::account_changes;

    let (state, user) = own_change().await?;
    let done = account_changes::change_password(&state.db, user.id, &current_password, &new_password).await;
    count_wrong_password(&state, user.id, done)?;
    let parts = guard::request_parts()?;
    guard::append_header(
        http::header::SET_COOKIE,
        &crate::server::auth::session::clear_cookie(&parts, &state.config),
    )?;
    leptos_axum::redirect("/login?reset=1");
    Ok(())
}

/// The signed-in person asks to sign in with another address, giving their password: a link
/// goes to the new address, and nothing changes until it is opened.
#[server(endpoint = "change_my_email")]
pub async fn change_my_email(new_email: String, current_password: String) -> Result<(), AppError> {
    use crate::server::auth::guard;
    use crate::server::service::account_changes;

    let (state, user) = own_change().await?;
    // A mailbox is not to be flooded through us either.
    guard::count_request(
        &state,
        &[crate::server::auth::ratelimit::Limit::new(
            format!("new-email:{}", user.id),
            5,
        )],
    )?;
    let done = account_changes::request_email_change(&state.db, user.id, &current_password, &new_email).await;
    count_wrong_password(&state, user.id, done)
}

/// The address a new-email link would set, while the link works. Open to everyone: the link
/// is what proves the right.
#[server(endpoint = "load_email_change")]
pub async fn load_email_change(token: String) -> Result<Option<String>, AppError> {
    use crate::server::auth::guard;
    let state = guard::state()?;
    crate::server::service::account_changes::pending_email(&state.db, &token).await
}

/// Makes the address a new-email link confirms the account's sign-in email, given the
/// account's password; then sends the person to sign in with it.
#[server(endpoint = "confirm_email_change")]
pub async fn confirm_email_change(token: String, password: String) -> Result<(), AppError> {
    use crate::server::auth::guard;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let limits = guard::link_use(&state, &parts, "email-token")?;
    match crate::server::service::account_changes::confirm_email_change(&state.db, &token, &password).await {
        Ok(_) => {
            leptos_axum::redirect("/login?email=changed");
            Ok(())
        }
        Err(e) => {
            guard::link_failed(&state, &limits, &e);
            Err(e)
        }
    }
}

/// The (old address, address now) an undo link would swap back, while it works. Open to
/// everyone: the link, sent to the old address, is what proves the right.
#[server(endpoint = "load_email_undo")]
pub async fn load_email_undo(token: String) -> Result<Option<(String, String)>, AppError> {
    use crate::server::auth::guard;
    let state = guard::state()?;
    crate::server::service::account_changes::pending_undo(&state.db, &token).await
}

/// Gives an account its old sign-in email back from the link sent to that address, signing
/// everyone out; then sends the person to ask for a new password.
#[server(endpoint = "undo_email_change")]
pub async fn undo_email_change(token: String) -> Result<(), AppError> {
    use crate::server::auth::guard;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let limits = guard::link_use(&state, &parts, "email-token")?;
    match crate::server::service::account_changes::undo_email_change(&state.db, &token).await {
        Ok(_) => {
            guard::append_header(
                http::header::SET_COOKIE,
                &crate::server::auth::session::clear_cookie(&parts, &state.config),
            )?;
            leptos_axum::redirect("/forgot-password?undone=1");
            Ok(())
        }
        Err(e) => {
            guard::link_failed(&state, &limits, &e);
            Err(e)
        }
    }
}
