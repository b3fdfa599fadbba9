//! Webhook endpoints and the delivery log: admins only.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::webhook::{CreatedWebhook, WebhookDelivery, WebhookEndpoint, WebhookInput};

/// How many deliveries the log shows.
pub const LOG_LINES: i64 = 50;

#[server(endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<(Vec<WebhookEndpoint>, Vec<WebhookDelivery>), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::webhooks;
    guard::require(Role::can_manage).await?;
    let db = guard::state()?.db;
    Ok((
        webhooks::list(&db).await?,
        webhooks::deliveries(&db, LOG_LINES).await?,
    ))
}

#[server(endpoint = "create_webhook")]
pub async fn create_webhook(input: WebhookInput) -> Result<CreatedWebhook, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    let state = guard::state()?;
    crate::server::webhooks::create(&state.db, &input, state.config.webhooks_allow_private).await
}

#[server(endpoint = "disable_webhook")]
pub async fn disable_webhook(id: i64) -> Result<(), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::webhooks::disable(&guard::state()?.db, id).await
}
