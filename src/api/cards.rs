//! Printed card batches and stamp cards: admins set them up under Manage.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::error::AppError;
use crate::model::card::{BatchInput, BatchPrint, CardBatch, StampCard, StampCardInput};

#[server(endpoint = "list_card_batches")]
pub async fn list_card_batches() -> Result<Vec<CardBatch>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::cards::batches(&guard::state()?.db).await
}

/// Makes a batch of cards with fresh numbers and security codes, ready to print.
#[server(endpoint = "create_card_batch")]
pub async fn create_card_batch(input: BatchInput) -> Result<CardBatch, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let admin = guard::require(Role::can_manage).await?;
    crate::server::service::cards::create_batch(&guard::state()?.db, &input, Some(admin.id)).await
}

/// The batch's numbers and security codes, for the printer.
#[server(endpoint = "card_batch_print")]
pub async fn card_batch_print(batch_id: i64) -> Result<BatchPrint, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::cards::print(&guard::state()?.db, batch_id).await
}

#[server(endpoint = "list_stamp_cards")]
pub async fn list_stamp_cards(program_id: ProgramId) -> Result<Vec<StampCard>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::stamps::list(&guard::state()?.db, program_id).await
}

#[server(endpoint = "save_stamp_card")]
pub async fn save_stamp_card(input: StampCardInput) -> Result<StampCard, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::stamps::save(&guard::state()?.db, &input).await
}

/// Stops a stamp card collecting; stamps already collected stay visible.
#[server(endpoint = "deactivate_stamp_card")]
pub async fn deactivate_stamp_card(program_id: ProgramId, stamp_card_id: i64) -> Result<(), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::stamps::deactivate(&guard::state()?.db, program_id, stamp_card_id).await
}
