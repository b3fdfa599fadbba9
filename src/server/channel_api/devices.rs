//! A member's push devices over the channel API: the program's app registers its push token
//! on every start and removes it on sign-out; the program's push messages go to the devices
//! the member has for it when they are sent. A key sees only its program's devices.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use crate::model::ids::ProgramId;
use crate::model::message::{DeviceInput, PushDevice};
use crate::server::service::devices;
use crate::server::state::AppState;

use super::auth::Caller;
use super::consents::member_in;
use super::error::{ApiError, ApiJson, ErrorBody};
use super::handlers::IDENTIFIER;

/// The member's push devices, most recently seen first.
#[utoipa::path(get, path = "/programs/{program_id}/members/{identifier}/devices", tag = "members",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$")),
    responses((status = 200, body = Vec<PushDevice>), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier)): Path<(ProgramId, String)>,
) -> Result<Json<Vec<PushDevice>>, ApiError> {
    caller.in_program("members:read", program_id)?;
    let member = member_in(&state, &caller, program_id, &identifier).await?;
    Ok(Json(devices::list(&state.db, program_id, member).await?))
}

/// Registers a device's push token for the member. Sending it again (apps do on every start)
/// only notes that it was seen; a token registered to another member moves to this one. A
/// member keeps their 20 most recently seen devices.
#[utoipa::path(put, path = "/programs/{program_id}/members/{identifier}/devices", tag = "members",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$")),
    request_body = DeviceInput,
    responses((status = 200, body = PushDevice), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier)): Path<(ProgramId, String)>,
    body: ApiJson<DeviceInput>,
) -> Result<Json<PushDevice>, ApiError> {
    caller.in_program("members:write", program_id)?;
    let member = member_in(&state, &caller, program_id, &identifier).await?;
    Ok(Json(
        devices::register(&state.db, program_id, member, &body.value).await?,
    ))
}

/// Forgets one of the member's devices (the member signed out of the app). A device already
/// forgotten answers the same, so a retry is harmless.
#[utoipa::path(delete, path = "/programs/{program_id}/members/{identifier}/devices/{device_id}", tag = "members",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$"),
        ("device_id" = i64, Path)),
    responses((status = 204, description = "Forgotten (or already gone)."), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier, device_id)): Path<(ProgramId, String, i64)>,
) -> Result<StatusCode, ApiError> {
    caller.in_program("members:write", program_id)?;
    let member = member_in(&state, &caller, program_id, &identifier).await?;
    devices::remove(&state.db, program_id, member, device_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
