//! Campaign offers over the channel API: what running campaigns offer a member in the key's
//! channel (so a till or a web shop shows the same offer as the portal and the Desk), and
//! claiming a campaign's reward for the member.

use axum::extract::{Path, State};
use axum::Json;

use crate::model::campaign::CampaignOffer;
use crate::model::ids::ProgramId;
use crate::model::reward::IssuedReward;
use crate::server::service::campaigns;
use crate::server::service::identity::{self, Lookup};
use crate::server::state::AppState;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::handlers::IDENTIFIER;

/// The offers of the program's running campaigns for this member in the key's channel. A
/// member in a campaign's control group, outside its segment, or not in the program gets none.
#[utoipa::path(get, path = "/programs/{program_id}/members/{identifier}/offers", tag = "campaigns",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$")),
    responses((status = 200, body = Vec<CampaignOffer>), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn offers(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier)): Path<(ProgramId, String)>,
) -> Result<Json<Vec<CampaignOffer>>, ApiError> {
    caller.in_program("members:read", program_id)?;
    let (member, _) = identity::identify(&state.db, &identifier, caller.key.channel, Lookup::Read).await?;
    Ok(Json(
        campaigns::offers(&state.db, program_id, member.id, Some(caller.key.channel)).await?,
    ))
}

/// Claims a campaign's reward for the member, free: once per member, so a retry answers the
/// same code. Refused (409) for a member the campaign offers nothing, or in another channel.
#[utoipa::path(post, path = "/programs/{program_id}/members/{identifier}/offers/{campaign_id}/claim", tag = "campaigns",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$"), ("campaign_id" = i64, Path)),
    responses((status = 200, body = IssuedReward), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn claim(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier, campaign_id)): Path<(ProgramId, String, i64)>,
) -> Result<Json<IssuedReward>, ApiError> {
    caller.in_program("rewards:write", program_id)?;
    let (member, _) = identity::identify(&state.db, &identifier, caller.key.channel, Lookup::Read).await?;
    Ok(Json(
        campaigns::claim(
            &state.db,
            program_id,
            member.id,
            campaign_id,
            caller.key.channel,
            None,
        )
        .await?,
    ))
}
