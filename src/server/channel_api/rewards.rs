//! Rewards over the channel API: what a member can redeem, redeem or reserve at a checkout,
//! confirm (use) a code, release a reservation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::reward::{IssuedReward, Offer};
use crate::server::query::reward_view;
use crate::server::service::identity::{self, Lookup};
use crate::server::service::members;
use crate::server::service::rewards;
use crate::server::state::AppState;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::write::{OptionalWrite, Write};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    #[schema(pattern = r"^[!-~]{1,64}$")]
    pub member: String,
    pub reward_id: i64,
    /// Hold the reward for a checkout (15 minutes) until it is confirmed or released.
    #[serde(default)]
    pub reserve: bool,
    /// For a pay-with-points reward: the points to pay with. The code is worth points x the
    /// program's point value (its `value`, in minor units), to take off the order total.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub points: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// The PIN printed with the code; required from web and app keys (the member is not
    /// there to show the code), optional from store keys.
    #[serde(default)]
    pub pin: Option<String>,
}

/// Rewards of a program as one member sees them: affordable or not, and why not.
#[utoipa::path(get, path = "/programs/{program_id}/members/{identifier}/rewards", tag = "rewards",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = super::handlers::IDENTIFIER, pattern = r"^[!-~]{1,64}$")),
    responses((status = 200, body = Vec<Offer>), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn offers(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier)): Path<(ProgramId, String)>,
) -> Result<Json<Vec<Offer>>, ApiError> {
    caller.in_program("members:read", program_id)?;
    let (member, _) = identity::identify(&state.db, &identifier, caller.key.channel, Lookup::Read).await?;
    let membership_id = members::membership_id(&state.db, member.id, program_id).await?;
    Ok(Json(
        reward_view::offers(&state.db, membership_id, Some(caller.key.channel)).await?,
    ))
}

/// Redeem (or reserve) a reward; the answer carries the code and PIN. Requires an
/// Idempotency-Key, so a retried redemption never spends twice.
#[utoipa::path(post, path = "/programs/{program_id}/redemptions", tag = "rewards",
    params(("program_id" = i64, Path), ("Idempotency-Key" = String, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = RedeemRequest,
    responses((status = 201, body = IssuedReward), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn redeem(
    State(state): State<AppState>,
    caller: Caller,
    Path(program_id): Path<ProgramId>,
    write: Write<RedeemRequest>,
) -> Response {
    let write =
        match write.needs_key("Redemptions need an Idempotency-Key header, so a retry cannot spend twice.") {
            Ok(w) => w,
            Err(e) => return e.into_response(),
        };
    let (state, caller) = (&state, &caller);
    write
        .once(&state.db, caller, |r, request_id| async move {
            caller.in_program("rewards:write", program_id)?;
            let (member, _) =
                identity::identify(&state.db, &r.member, caller.key.channel, Lookup::Read).await?;
            let reward_program: Option<ProgramId> =
                sqlx::query_scalar("SELECT program_id FROM rewards WHERE id = $1")
                    .bind(r.reward_id)
                    .fetch_optional(&state.db.pool)
                    .await
                    .map_err(AppError::from)?;
            if reward_program != Some(program_id) {
                return Err(AppError::not_found("Reward").into());
            }
            let request_id = request_id.unwrap_or_default();
            let issued = rewards::redeem_with(
                &state.db,
                member.id,
                r.reward_id,
                r.points,
                caller.key.channel,
                &request_id,
                r.reserve,
                None,
            )
            .await?;
            Ok((StatusCode::CREATED, issued))
        })
        .await
}

/// Use a code at the till or confirm a reserved one at checkout. A code is used once. Keys
/// of the web and app channels must send the PIN (the member is not there to show the
/// code); a store key may leave it out when the member shows the code at the till. With an
/// Idempotency-Key, a retried confirmation gets the first answer.
#[utoipa::path(post, path = "/codes/{code}/confirm", tag = "rewards",
    params(("code" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = CodeRequest,
    responses((status = 200, body = IssuedReward), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    write: Write<CodeRequest>,
) -> Response {
    let (state, caller, code) = (&state, &caller, &code);
    write
        .once(&state.db, caller, |r, request_id| async move {
            caller.require("rewards:write")?;
            check_program(state, caller, code).await?;
            let pin = pin_for(caller, &r)?;
            let (channel, request_id) = (caller.key.channel, request_id.as_deref());
            let used = rewards::use_code_once(&state.db, code, pin, channel, request_id).await?;
            Ok((StatusCode::OK, used))
        })
        .await
}

/// Release a reserved (or unused) reward: the points go back to the member. Keys of the web
/// and app channels must send the PIN, as for a confirmation (the body may be left out by a
/// store key). With an Idempotency-Key, a retried release gets the first answer.
#[utoipa::path(post, path = "/codes/{code}/release", tag = "rewards",
    params(("code" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = super::idempotency::DOC, pattern = "^[!-~]{1,255}$")),
    request_body = Option<CodeRequest>,
    responses((status = 200, body = IssuedReward), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    OptionalWrite(write): OptionalWrite<CodeRequest>,
) -> Response {
    let (state, caller, code) = (&state, &caller, &code);
    write
        .once(&state.db, caller, |r, request_id| async move {
            caller.require("rewards:write")?;
            check_program(state, caller, code).await?;
            let pin = pin_for(caller, &r)?;
            let released =
                rewards::release_checked(&state.db, code, pin, request_id.as_deref(), None).await?;
            Ok((StatusCode::OK, released))
        })
        .await
}

/// The PIN sent with a code; web and app keys must send one (the member is not there to
/// show the code), store keys may leave it out.
fn pin_for<'r>(caller: &Caller, r: &'r CodeRequest) -> Result<Option<&'r str>, ApiError> {
    let pin = r.pin.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if pin.is_none() && !caller.key.channel.in_person() {
        return Err(AppError::field("pin", "Send the PIN that came with the code.").into());
    }
    Ok(pin)
}

/// A key bound to one program may only handle that program's codes.
async fn check_program(state: &AppState, caller: &Caller, code: &str) -> Result<(), ApiError> {
    let program: Option<ProgramId> = sqlx::query_scalar(
        "SELECT m.program_id FROM issued_rewards i JOIN memberships m ON m.id = i.membership_id WHERE i.code = $1",
    )
    .bind(code.trim().to_ascii_uppercase())
    .fetch_optional(&state.db.pool)
    .await
    .map_err(AppError::from)?;
    match program {
        Some(p) => caller.program(p),
        None => Err(AppError::not_found("Reward code").into()),
    }
}
