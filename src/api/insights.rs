//! KPI charts for analysts and admins.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::insights::InsightsReport;

/// New members per UTC day between `from` and `to` (inclusive, ISO dates; empty means the
/// last 30 days), for one program or all (`program_id` 0); points issued by program, and per
/// day for one program.
#[server(endpoint = "load_insights")]
pub async fn load_insights(from: String, to: String, program_id: i64) -> Result<InsightsReport, AppError> {
    use crate::domain::dates;
    use crate::model::ids::ProgramId;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::{charts, query::insights};

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    let lang = crate::domain::lang::current();
    let (from, to) = dates::parse_range(&from, &to, chrono::Utc::now().date_naive())
        .map_err(|(field, message)| AppError::field(field, message))?;
    let points_by_program = insights::points_by_program(&db, from, to, program_id).await?;
    // An unknown program is a field error, not an empty page that looks like no activity.
    if program_id != 0 && points_by_program.is_empty() {
        return Err(AppError::field(
            "program",
            crate::i18n::td_string!(lang.locale, insights.unknown_program),
        ));
    }
    let enrollments = insights::enrollments(&db, from, to, program_id).await?;
    let chosen = points_by_program.first().filter(|_| program_id != 0);
    let (points_issued, points_svg) = match chosen {
        Some(p) => {
            let series = insights::points_issued(&db, from, to, ProgramId(program_id)).await?;
            let svg = charts::points_issued(lang, &p.unit, &series)?;
            (Some(series), Some(svg))
        }
        None => (None, None),
    };
    Ok(InsightsReport {
        from: from.to_string(),
        to: to.to_string(),
        program_id: (program_id != 0).then_some(ProgramId(program_id)),
        enrollments_svg: charts::enrollments(lang, &enrollments)?,
        enrollments,
        points_issued,
        points_by_program,
        points_svg,
    })
}

/// (id, name) of every program, for the filter: apart from the report, so the filter form
/// stays on the page when the report refuses what it was given.
#[server(endpoint = "insight_programs")]
pub async fn insight_programs() -> Result<Vec<(crate::model::ids::ProgramId, String)>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::query::insights;

    guard::require(Role::can_see_insights).await?;
    insights::program_names(&guard::state()?.db).await
}
