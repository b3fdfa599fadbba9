//! Channel API keys: admins create (the secret is shown once), list and revoke them.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::api_key::{ApiKeyInput, ApiKeyView, CreatedApiKey};

#[server(endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::api_keys::list(&guard::state()?.db).await
}

#[server(endpoint = "create_api_key")]
pub async fn create_api_key(input: ApiKeyInput) -> Result<CreatedApiKey, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let admin = guard::require(Role::can_manage).await?;
    crate::server::service::api_keys::create(&guard::state()?.db, admin.id, &input).await
}

#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::api_keys::revoke(&guard::state()?.db, id).await
}
