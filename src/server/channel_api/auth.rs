//! Who is calling: the API key from `Authorization: Bearer ...` (or `X-Api-Key`), checked
//! against its hash, its scopes, its program and its request rate.

use crate::model::ids::ProgramId;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};

use crate::error::AppError;
use crate::server::auth::ratelimit::Limit;
use crate::server::service::api_keys::{self, ApiKey};
use crate::server::service::setup::Epoch;
use crate::server::state::AppState;

use super::error::ApiError;

/// Requests with a missing, unknown or revoked key an address may send in 15 minutes
/// before it is slowed down (a till misconfigured for a moment stays well inside).
const BAD_KEYS_FREE: u32 = 20;

/// The authenticated caller of a channel API endpoint, and the setup epoch read with its
/// key (bookings of this request load the setup at least that new).
pub struct Caller {
    pub key: ApiKey,
    pub epoch: Epoch,
}

impl Caller {
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.key.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("This API key lacks the {scope} scope."),
            ))
        }
    }

    /// `require` and `program` together: the scope, in this program.
    pub fn in_program(&self, scope: &str, program_id: ProgramId) -> Result<(), ApiError> {
        self.require(scope)?;
        self.program(program_id)
    }

    /// Keys bound to one program may not touch another.
    pub fn program(&self, program_id: ProgramId) -> Result<(), ApiError> {
        match self.key.program_id {
            Some(p) if p != program_id => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "This API key is for another program.",
            )),
            _ => Ok(()),
        }
    }
}

fn presented(parts: &Parts) -> Option<&str> {
    if let Some(v) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return v.strip_prefix("Bearer ").map(str::trim);
    }
    parts
        .headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthenticated = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Send a valid API key as Authorization: Bearer <key>.",
            )
        };
        let found = match presented(parts) {
            Some(secret) => api_keys::authenticate(&state.db, secret).await?,
            None => None,
        };
        let Some((key, epoch)) = found else {
            // Requests without a valid key are counted per client address; past a few, that
            // address is answered `rate_limited`. A valid key is never held up by them (a
            // till still sending a revoked key must not lock out the store's other tills).
            let addr = crate::server::auth::guard::client_address(parts, state.config.trust_proxy);
            let failures = [Limit::new(format!("bad-key:{addr}"), BAD_KEYS_FREE)];
            let now = std::time::Instant::now();
            if let Err(retry_after_secs) = state.throttle.check(&failures, now) {
                return Err(AppError::RateLimited { retry_after_secs }.into());
            }
            state.throttle.record_failure(&failures, now);
            return Err(unauthenticated());
        };
        state
            .api_limiter
            .check(key.id, key.rate_per_sec)
            .map_err(|retry_after_secs| ApiError::from(AppError::RateLimited { retry_after_secs }))?;
        Ok(Caller { key, epoch })
    }
}
