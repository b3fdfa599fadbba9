//! KPI charts for analysts and admins.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::insights::InsightsReport;

/// Enrollments and points issued per UTC day between `from` and `to` (inclusive, ISO dates;
/// empty means the last 30 days), for one program or all (`program_id` 0).
#[server(endpoint = "load_insights")]
pub async fn load_insights(from: String, to: String, program_id: i64) -> Result<InsightsReport, AppError> {
    use crate::domain::dates;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::{charts, query::insights};

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    let (from, to) = dates::parse_range(&from, &to, chrono::Utc::now().date_naive())
        .map_err(|(field, message)| AppError::field(field, message))?;
    let enrollments = insights::enrollments(&db, from, to, program_id).await?;
    let points_issued = insights::points_issued(&db, from, to, program_id).await?;
    Ok(InsightsReport {
        from: from.to_string(),
        to: to.to_string(),
        program_id: (program_id != 0).then_some(crate::model::ids::ProgramId(program_id)),
        enrollments_svg: charts::enrollments(crate::domain::lang::current(), &enrollments)?,
        points_svg: charts::points_issued(crate::domain::lang::current(), &points_issued)?,
        enrollments,
        points_issued,
        programs: insights::program_names(&db).await?,
    })
}
