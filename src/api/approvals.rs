//! Adjustments over a program's limit, waiting for an admin: list, approve, reject.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::member::AdjustmentRequest;

/// Waiting requests first (oldest first), then the latest decided ones.
#[server(endpoint = "list_adjustment_requests")]
pub async fn list_adjustment_requests() -> Result<Vec<AdjustmentRequest>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::adjustments::list(&guard::state()?.db).await
}

/// Approves (the points move now) or rejects a waiting adjustment.
#[server(endpoint = "decide_adjustment")]
pub async fn decide_adjustment(id: i64, approve: bool) -> Result<AdjustmentRequest, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let admin = guard::require(Role::can_manage).await?;
    crate::server::service::adjustments::decide(
        &guard::state()?.db,
        id,
        approve,
        admin.id,
        &admin.display_name,
    )
    .await
}
