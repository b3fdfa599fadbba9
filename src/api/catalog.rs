//! The rewards catalogue: admins define it; staff and members see it through the desk and
//! the portal.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::error::AppError;
use crate::model::reward::{Reward, RewardInput};

#[server(endpoint = "list_rewards")]
pub async fn list_rewards(program_id: ProgramId) -> Result<Vec<Reward>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::rewards::list(&guard::state()?.db, program_id).await
}

#[server(endpoint = "save_reward")]
pub async fn save_reward(input: RewardInput) -> Result<Reward, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::rewards::save(&guard::state()?.db, &input).await
}

/// Takes a reward out of the catalogue; codes already handed out stay valid.
#[server(endpoint = "deactivate_reward")]
pub async fn deactivate_reward(program_id: ProgramId, reward_id: i64) -> Result<(), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::rewards::deactivate(&guard::state()?.db, program_id, reward_id).await
}
