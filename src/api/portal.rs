//! The member portal. Every function works on the caller's own member profile, found from
//! the session; no function takes a member id, so no member can ask for another's data.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::member::{JoinableProgram, PortalOverview};

/// How many ledger lines the portal shows.
pub const HISTORY_LINES: i64 = 50;

#[server(endpoint = "my_portal")]
pub async fn my_portal() -> Result<PortalOverview, AppError> {
    use crate::server::auth::guard;
    use crate::server::repo::members;
    let (db, member) = guard::require_member().await?;
    let memberships = members::memberships(&db, member.id).await?;
    let history = members::history(&db, member.id, HISTORY_LINES).await?;
    Ok(PortalOverview {
        member,
        memberships,
        history,
    })
}

#[server(endpoint = "joinable_programs")]
pub async fn joinable_programs() -> Result<Vec<JoinableProgram>, AppError> {
    use crate::server::auth::guard;
    use crate::server::repo::members;
    let (db, member) = guard::require_member().await?;
    members::joinable(&db, member.id).await
}

#[server(endpoint = "join_program")]
pub async fn join_program(program_id: i64) -> Result<(), AppError> {
    use crate::server::auth::guard;
    use crate::server::repo::members;
    let (db, member) = guard::require_member().await?;
    members::join(&db, member.id, program_id)
        .await
        .map_err(guard::reject)
}
