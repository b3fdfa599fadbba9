//! Staff, analyst and admin accounts: admins only.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ids::UserId;
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

/// Disables an account (ending its sessions) or enables it again.
#[server(endpoint = "set_account_enabled")]
pub async fn set_account_enabled(id: UserId, enabled: bool) -> Result<UserSummary, AppError> {
    use crate::server::service::accounts;
    let (db, admin) = admin().await?;
    let change = if enabled {
        accounts::Change::Enable
    } else {
        accounts::Change::Disable
    };
    accounts::change(&db, &admin, id, change).await
}

/// Gives an account a new password and ends its sessions.
#[server(endpoint = "reset_account_password")]
pub async fn reset_account_password(id: UserId, password: String) -> Result<UserSummary, AppError> {
    use crate::server::service::accounts;
    let (db, admin) = admin().await?;
    accounts::change(&db, &admin, id, accounts::Change::Password(password)).await
}

#[server(endpoint = "change_account_role")]
pub async fn change_account_role(id: UserId, role: String) -> Result<UserSummary, AppError> {
    use crate::server::service::accounts;
    let (db, admin) = admin().await?;
    accounts::change(&db, &admin, id, accounts::Change::Role(role)).await
}

#[cfg(feature = "ssr")]
async fn admin() -> Result<(crate::server::db::Db, crate::model::user::SessionUser), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let admin = guard::require(Role::can_manage).await?;
    Ok((guard::state()?.db, admin))
}
