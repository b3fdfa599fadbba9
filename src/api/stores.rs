//! Stores: managers set them up; the Desk offers the open ones.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::store::{Store, StoreInput};

#[server(endpoint = "list_stores")]
pub async fn list_stores() -> Result<Vec<Store>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::store::stores::list(&guard::state()?.db).await
}

#[server(endpoint = "save_store")]
pub async fn save_store(input: StoreInput) -> Result<Store, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::store::stores::save(&guard::state()?.db, &input).await
}

/// Closes a store (`active` false) or opens it again.
#[server(endpoint = "set_store_active")]
pub async fn set_store_active(id: i64, active: bool) -> Result<(), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::store::stores::set_active(&guard::state()?.db, id, active).await
}
