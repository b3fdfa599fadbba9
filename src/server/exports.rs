//! Downloads that are files rather than pages: a segment's members as CSV, for managers.
//! A plain GET (a link works without JavaScript); the viewer is the page viewer found from
//! the session cookie (`auth::page_user`), checked like a server function's caller.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::components::chart::{as_text, table_csv};
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::ProgramId;
use crate::model::user::{PageUser, Role};
use crate::server::service::segments;
use crate::server::state::AppState;

fn refused(e: AppError, lang: Lang) -> Response {
    let status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, e.message(lang)).into_response()
}

/// `GET /manage/programs/{program}/segments/{segment}/members.csv`: the segment's members
/// now (member id, name, card, balance, orders, net spend).
pub async fn segment_members(
    State(state): State<AppState>,
    Extension(PageUser(user)): Extension<PageUser>,
    Extension(lang): Extension<Lang>,
    Path((program_id, id)): Path<(i64, i64)>,
) -> Response {
    match user {
        Some(u) if Role::can_manage(u.role) => {}
        Some(_) => return refused(AppError::Forbidden, lang),
        None => return refused(AppError::Unauthenticated, lang),
    }
    let (segment, people) = match segments::export(&state.db, ProgramId(program_id), id).await {
        Ok(found) => found,
        Err(e) => return refused(e, lang),
    };
    let l = lang.locale;
    let columns = [
        td_string!(l, manage.segments.col_member_id),
        td_string!(l, manage.segments.col_member),
        td_string!(l, manage.segments.col_card),
        td_string!(l, manage.segments.col_balance),
        td_string!(l, manage.segments.col_orders),
        td_string!(l, manage.segments.col_spend_minor),
    ];
    let rows: Vec<Vec<String>> = people
        .into_iter()
        .map(|m| {
            vec![
                m.member_id.to_string(),
                as_text(&m.name),
                as_text(&m.card_number),
                m.balance.to_string(),
                m.orders.to_string(),
                m.spend_minor.to_string(),
            ]
        })
        .collect();
    let file: String = segment
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"segment-{}-{}.csv\"",
                    segment.id,
                    file.trim_matches('-')
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        table_csv(&columns, &rows),
    )
        .into_response()
}
