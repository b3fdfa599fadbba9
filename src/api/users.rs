//! Staff, analyst and admin accounts: admins only.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::user::{NewUserInput, UserSummary};

#[server(endpoint = "list_staff_users")]
pub async fn list_staff_users() -> Result<Vec<UserSummary>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::store::users::list_staff(&guard::state()?.db).await
}

#[server(endpoint = "create_user")]
pub async fn create_user(input: NewUserInput) -> Result<UserSummary, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let admin = guard::require(Role::can_manage).await?;
    let user = crate::server::store::users::create(&guard::state()?.db, &input).await?;
    tracing::info!(by = %admin.id, user_id = %user.id, role = %user.role, "account created");
    Ok(user)
}
