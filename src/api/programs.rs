//! Program configuration: admins only.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::error::AppError;
use crate::model::program::{Program, ProgramDetail, ProgramInput, Tier, TierInput};

#[server(endpoint = "list_programs")]
pub async fn list_programs() -> Result<Vec<Program>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::store::programs::list(&guard::state()?.db).await
}

#[server(endpoint = "get_program")]
pub async fn get_program(id: ProgramId) -> Result<ProgramDetail, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::store::programs::detail(&guard::state()?.db, id).await
}

/// Creates (no id) or updates a program; redirects to its page after creation.
#[server(endpoint = "save_program")]
pub async fn save_program(input: ProgramInput) -> Result<Program, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    let program = crate::server::store::programs::save(&guard::state()?.db, &input).await?;
    if input.id.is_none() {
        leptos_axum::redirect(&format!("/manage/programs/{}", program.id));
    }
    Ok(program)
}

#[server(endpoint = "save_tier")]
pub async fn save_tier(input: TierInput) -> Result<Tier, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::tiers::save_tier(&guard::state()?.db, &input).await
}

#[server(endpoint = "delete_tier")]
pub async fn delete_tier(program_id: ProgramId, tier_id: i64) -> Result<(), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::tiers::delete_tier(&guard::state()?.db, program_id, tier_id).await
}
