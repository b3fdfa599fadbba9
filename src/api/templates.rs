//! Message templates in Manage: list, write (checked at save), delete, preview against a
//! member, and send a test to oneself.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::template::{MessageTemplate, TemplateForm, TemplatePreview};

#[server(endpoint = "list_templates")]
pub async fn list_templates(program_id: ProgramId) -> Result<Vec<MessageTemplate>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::store::templates::list(&guard::state()?.db, program_id).await
}

#[server(endpoint = "save_template")]
pub async fn save_template(input: TemplateForm) -> Result<MessageTemplate, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::templates::save(&guard::state()?.db, &input).await
}

#[server(endpoint = "delete_template")]
pub async fn delete_template(program_id: ProgramId, id: i64) -> Result<i64, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::templates::delete(&guard::state()?.db, program_id, id).await?;
    Ok(id)
}

/// A saved template and the public address links in it start with.
#[cfg(feature = "ssr")]
async fn saved(program_id: ProgramId, id: i64) -> Result<(TemplateForm, String), AppError> {
    use crate::server::auth::guard;
    let state = guard::state()?;
    let mut conn = state.db.pool.acquire().await?;
    let template = crate::server::store::templates::get(&mut conn, program_id, id)
        .await?
        .ok_or_else(|| {
            AppError::not_found(crate::i18n::td_string!(
                crate::domain::lang::current().locale,
                errors.what.template
            ))
        })?;
    let url = state.config.public_url(&state.leptos_options.site_addr);
    Ok((TemplateForm::of(&template), url))
}

/// A saved template as the member `member` (card, email or phone) would get it.
#[server(endpoint = "preview_template")]
pub async fn preview_template(
    program_id: ProgramId,
    id: i64,
    member: String,
) -> Result<TemplatePreview, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    let (form, url) = saved(program_id, id).await?;
    crate::server::service::templates::preview(&guard::state()?.db, &form, &member, &url).await
}

/// Emails the preview to the signed-in manager.
#[server(endpoint = "send_test_template")]
pub async fn send_test_template(
    program_id: ProgramId,
    id: i64,
    member: String,
) -> Result<TemplatePreview, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let me = guard::require(Role::can_manage).await?;
    let (form, url) = saved(program_id, id).await?;
    crate::server::service::templates::send_test(&guard::state()?.db, &form, &member, me.id, &url).await
}
