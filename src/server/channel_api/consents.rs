//! A member's consents over the channel API: a web shop's newsletter checkbox or an app's
//! notification switch lands here, with the key that made the change kept in the history.

use axum::extract::{Path, State};
use axum::Json;

use crate::model::consent::{ConsentSource, ConsentUpdate, ConsentView};
use crate::model::ids::{MemberId, ProgramId};
use crate::server::service::consents::{self, By};
use crate::server::service::identity::{self, Lookup};
use crate::server::service::members;
use crate::server::state::AppState;

use super::auth::Caller;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::handlers::IDENTIFIER;

/// The member, who must have joined the key's program (a key reads no one else).
pub(super) async fn member_in(
    state: &AppState,
    caller: &Caller,
    program_id: ProgramId,
    identifier: &str,
) -> Result<MemberId, ApiError> {
    let (member, _) = identity::identify(&state.db, identifier, caller.key.channel, Lookup::Read).await?;
    let mut conn = state
        .db
        .pool
        .acquire()
        .await
        .map_err(crate::error::AppError::from)?;
    members::find_membership(&mut conn, member.id, program_id)
        .await?
        .ok_or_else(|| {
            crate::error::AppError::not_found(crate::i18n::td_string!(
                crate::domain::lang::current().locale,
                errors.what.membership
            ))
        })?;
    Ok(member.id)
}

/// What the member has agreed to hear about and where, with when and how each consent was
/// given or withdrawn (newest first).
#[utoipa::path(get, path = "/programs/{program_id}/members/{identifier}/consents", tag = "members",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$")),
    responses((status = 200, body = ConsentView), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier)): Path<(ProgramId, String)>,
) -> Result<Json<ConsentView>, ApiError> {
    caller.in_program("members:read", program_id)?;
    let member = member_in(&state, &caller, program_id, &identifier).await?;
    Ok(Json(consents::view(&state.db, member).await?))
}

/// Gives (true) or withdraws (false) the consents named; those left out stay. Sending what
/// already stands changes and records nothing, so a retry is harmless.
#[utoipa::path(patch, path = "/programs/{program_id}/members/{identifier}/consents", tag = "members",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$")),
    request_body = ConsentUpdate,
    responses((status = 200, body = ConsentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier)): Path<(ProgramId, String)>,
    body: ApiJson<ConsentUpdate>,
) -> Result<Json<ConsentView>, ApiError> {
    caller.in_program("members:write", program_id)?;
    let member = member_in(&state, &caller, program_id, &identifier).await?;
    let by = By {
        source: ConsentSource::Api,
        user: None,
        api_key: Some(caller.key.id),
    };
    Ok(Json(
        consents::change(&state.db, member, &body.value.changes(), by).await?,
    ))
}
