//! Segments: managers build them with a live count, save, refresh, delete and export them.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::segment::{Counted, Preview, SampleMember, Segment, SegmentForm};

#[server(endpoint = "list_segments")]
pub async fn list_segments(program_id: ProgramId) -> Result<Vec<Segment>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::segments::list(&guard::state()?.db, program_id).await
}

/// Who the builder's conditions match now, with a sample; nothing saved.
#[server(endpoint = "preview_segment")]
pub async fn preview_segment(input: SegmentForm) -> Result<Preview, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::segments::preview(&guard::state()?.db, &input).await
}

/// The count alone, for the builder's plain "Count" post (the page holds a small answer).
#[server(endpoint = "count_segment")]
pub async fn count_segment(input: SegmentForm) -> Result<Counted, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    let p = crate::server::service::segments::preview(&guard::state()?.db, &input).await?;
    Ok(Counted {
        matching: p.matching,
        members: p.members,
        form: input,
    })
}

#[server(endpoint = "save_segment")]
pub async fn save_segment(input: SegmentForm) -> Result<Segment, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::segments::save(&guard::state()?.db, &input).await
}

/// The builder's form of a saved segment, to edit it.
#[server(endpoint = "load_segment_form")]
pub async fn load_segment_form(program_id: ProgramId, id: i64) -> Result<SegmentForm, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::segments::form(&guard::state()?.db, program_id, id).await
}

#[server(endpoint = "segment_sample")]
pub async fn segment_sample(program_id: ProgramId, id: i64) -> Result<Vec<SampleMember>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::segments::sample(&guard::state()?.db, program_id, id).await
}

/// Deletes a segment no active earning rule uses (its history stays).
#[server(endpoint = "delete_segment")]
pub async fn delete_segment(program_id: ProgramId, id: i64) -> Result<i64, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::segments::delete(&guard::state()?.db, program_id, id).await?;
    Ok(id)
}

/// Evaluates every segment of the program again now; answers how many segments.
#[server(endpoint = "refresh_segments")]
pub async fn refresh_segments(program_id: ProgramId) -> Result<i64, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    let db = guard::state()?.db;
    crate::server::store::programs::get(&db, program_id).await?;
    let (n, _) = crate::server::service::segments::refresh_program(&db, program_id).await?;
    Ok(n as i64)
}
