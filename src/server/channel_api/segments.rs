//! Segments over the channel API: a program's segments, and the segments a member is in now,
//! so a till or a web shop can tailor what it shows.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::ids::{MemberId, ProgramId};
use crate::model::segment::Segment;
use crate::server::service::identity::{self, Lookup};
use crate::server::service::{members, segments};
use crate::server::state::AppState;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::handlers::IDENTIFIER;

/// A segment a member is in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SegmentRef {
    pub id: i64,
    pub name: String,
}

/// The segments of a program a member is in now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberSegments {
    pub member_id: MemberId,
    pub program_id: ProgramId,
    pub segments: Vec<SegmentRef>,
}

/// The program's segments, with their conditions and how many members each has now.
#[utoipa::path(get, path = "/programs/{program_id}/segments", tag = "segments",
    params(("program_id" = i64, Path)),
    responses((status = 200, body = Vec<Segment>), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(program_id): Path<ProgramId>,
) -> Result<Json<Vec<Segment>>, ApiError> {
    caller.in_program("members:read", program_id)?;
    Ok(Json(segments::list(&state.db, program_id).await?))
}

/// The segments of the program the member is in now (none for a member who has not joined).
#[utoipa::path(get, path = "/programs/{program_id}/members/{identifier}/segments", tag = "segments",
    params(("program_id" = i64, Path), ("identifier" = String, Path, description = IDENTIFIER, pattern = r"^[!-~]{1,64}$")),
    responses((status = 200, body = MemberSegments), (status = 404, body = ErrorBody)),
    security(("api_key" = [])))]
pub async fn of_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((program_id, identifier)): Path<(ProgramId, String)>,
) -> Result<Json<MemberSegments>, ApiError> {
    caller.in_program("members:read", program_id)?;
    let all = segments::list(&state.db, program_id).await?;
    let (member, _) = identity::identify(&state.db, &identifier, caller.key.channel, Lookup::Read).await?;
    let ids = match members::membership_id(&state.db, member.id, program_id).await {
        Ok(m) => segments::now_in(&state.db, m.get()).await?,
        Err(crate::error::AppError::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(Json(MemberSegments {
        member_id: member.id,
        program_id,
        segments: all
            .into_iter()
            .filter(|s| ids.contains(&s.id))
            .map(|s| SegmentRef {
                id: s.id,
                name: s.name,
            })
            .collect(),
    }))
}
