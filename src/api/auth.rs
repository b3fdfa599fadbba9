//! Sign-in, sign-out, member sign-up and "who am I".

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::user::{SessionUser, SignupInput};

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

/// A member creates an account on the portal and is signed in.
#[server(endpoint = "signup")]
pub async fn signup(input: SignupInput) -> Result<SessionUser, AppError> {
    use crate::server::auth::guard;
    use crate::server::service::members;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let user = members::signup(&state.db, &input).await?;
    guard::start_session(&state, &parts, user.id).await?;
    // The language the account was made in is the one it keeps until changed.
    let lang = crate::domain::lang::of_request();
    crate::server::store::users::set_locale(&state.db, user.id, lang.tag()).await?;
    leptos_axum::redirect("/portal");
    Ok(user)
}

/// Emails a one-time reset link if an open account uses `email`; answers the same either
/// way (whether an address has an account is not told). Limited per address and account.
#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::auth::{guard, ratelimit::Limit};
    use crate::server::service::password_reset;
    use std::time::Instant;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let addr = guard::client_address(&parts, state.config.trust_proxy);
    let account = email.trim().to_lowercase();
    // Every request counts: three links an account and ten an address in a window, then
    // waits (a mailbox is not to be flooded through us).
    let limits = [
        Limit::new(format!("reset:{account}"), 3),
        Limit::new(format!("reset-address:{addr}"), 10),
    ];
    if let Err(secs) = state.throttle.check(&limits, Instant::now()) {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    state.throttle.record_failure(&limits, Instant::now());
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
    use crate::server::auth::{guard, ratelimit::Limit};
    use crate::server::service::password_reset;
    use std::time::Instant;

    let state = guard::state()?;
    let parts = guard::request_parts()?;
    let addr = guard::client_address(&parts, state.config.trust_proxy);
    let limits = [Limit::new(format!("reset-token:{addr}"), 20)];
    if let Err(secs) = state.throttle.check(&limits, Instant::now()) {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    match password_reset::reset(&state.db, &token, &password).await {
        Ok(_) => {
            leptos_axum::redirect("/login?reset=1");
            Ok(())
        }
        Err(e) => {
            if matches!(e, AppError::Conflict { .. }) {
                state.throttle.record_failure(&limits, Instant::now());
            }
            Err(e)
        }
    }
}
