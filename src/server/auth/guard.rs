//! The first lines of every server function: find the state and the caller, check the role.
//! A failure's HTTP status is set from its error once, for every server function
//! (`serve::server_fn_handler`); plain form posts keep their redirect so the page can show
//! the error without JavaScript.

use crate::model::ids::UserId;
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use http::request::Parts;
use leptos::prelude::{expect_context, use_context};
use leptos_axum::ResponseOptions;

use crate::error::AppError;
use crate::model::member::Member;
use crate::model::user::{Role, SessionUser};
use crate::server::db::Db;
use crate::server::service::members;
use crate::server::state::AppState;
use crate::server::store::sessions;

use super::session;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from server function context");
        AppError::Internal
    })
}

pub fn request_parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from server function context");
        AppError::Internal
    })
}

/// The signed-in user, or `None` for a visitor (or an expired or revoked session).
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    let state = state()?;
    let parts = request_parts()?;
    let Some(token) = session::token_from(&parts) else {
        return Ok(None);
    };
    sessions::user_for_token(&state.db, &session::hash_token(&token), state.db.now()).await
}

/// The caller if their role passes `allowed`; `unauthenticated` or `forbidden` otherwise.
pub async fn require(allowed: fn(Role) -> bool) -> Result<SessionUser, AppError> {
    let result = match current_user().await {
        Ok(Some(user)) if allowed(user.role) => Ok(user),
        Ok(Some(_)) => Err(AppError::Forbidden),
        Ok(None) => Err(AppError::Unauthenticated),
        Err(e) => Err(e),
    };
    result
}

/// The signed-in member's own profile and the database: what every portal function works on.
/// Found from the session, never from the request, so no member can name another.
pub async fn require_member() -> Result<(Db, Member), AppError> {
    let user = require(Role::is_member).await?;
    let db = state()?.db;
    let member = members::for_user(&db, user.id).await?;
    Ok((db, member))
}

/// Counts a request that sends an email (a reset link, a sign-up's link) under `limits`,
/// refusing it while one of them waits: a mailbox is not to be flooded through us.
pub fn count_request(
    state: &AppState,
    limits: &[crate::server::auth::ratelimit::Limit],
) -> Result<(), AppError> {
    let now = std::time::Instant::now();
    if let Err(secs) = state.throttle.check(limits, now) {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    state.throttle.record_failure(limits, now);
    Ok(())
}

/// Checks a use of an emailed link (a reset, a sign-up, an address change) against the
/// client address's wrong tries (twenty in a window): the limits, to count a wrong try with
/// `link_failed`.
pub fn link_use(
    state: &AppState,
    parts: &Parts,
    kind: &str,
) -> Result<[crate::server::auth::ratelimit::Limit; 1], AppError> {
    let addr = client_address(parts, state.config.trust_proxy);
    let limits = [crate::server::auth::ratelimit::Limit::new(
        format!("{kind}:{addr}"),
        20,
    )];
    if let Err(secs) = state.throttle.check(&limits, std::time::Instant::now()) {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    Ok(limits)
}

/// Counts `e` against `limits` when it is a wrong try: a dead link, or a wrong password.
pub fn link_failed(state: &AppState, limits: &[crate::server::auth::ratelimit::Limit], e: &AppError) {
    if matches!(e, AppError::Conflict { .. }) || e.field_message("password").is_some() {
        state.throttle.record_failure(limits, std::time::Instant::now());
    }
}

/// The client's address for rate limiting: the socket peer, or, when the operator says a
/// trusted proxy sits in front, the last `X-Forwarded-For` hop — the one that proxy appended.
/// Earlier hops are written by the client and could be anything.
pub fn client_address(parts: &Parts, trust_proxy: bool) -> String {
    if trust_proxy {
        if let Some(last) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
        {
            return last.to_string();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Adds a response header (used for Set-Cookie).
pub fn append_header(name: http::HeaderName, value: &str) -> Result<(), AppError> {
    let res = expect_context::<ResponseOptions>();
    let value = http::HeaderValue::from_str(value).map_err(|_| AppError::Internal)?;
    res.append_header(name, value);
    Ok(())
}

/// Starts a session for `user_id` and sets its cookie on the response.
pub async fn start_session(state: &AppState, parts: &Parts, user_id: UserId) -> Result<(), AppError> {
    let (token, hash) = session::new_token();
    sessions::create(
        &state.db,
        user_id,
        &hash,
        state.db.now(),
        state.config.session_ttl,
    )
    .await?;
    append_header(
        http::header::SET_COOKIE,
        &session::set_cookie(&token, parts, &state.config),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_address_trusts_only_the_proxys_hop() {
        let parts = |xff: &str| {
            http::Request::builder()
                .header("x-forwarded-for", xff)
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        assert_eq!(
            client_address(&parts("6.6.6.6, 203.0.113.7"), true),
            "203.0.113.7",
            "client-written hop ignored"
        );
        assert_eq!(client_address(&parts("203.0.113.7"), true), "203.0.113.7");
        assert_eq!(
            client_address(&parts("6.6.6.6"), false),
            "unknown",
            "header ignored without a trusted proxy"
        );
    }
}
