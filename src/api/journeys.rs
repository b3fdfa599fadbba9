//! Journeys in Manage: list, write (checked at save), start and pause, delete one nobody
//! entered, and each one's report.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::journey::{Journey, JourneyChoices, JourneyForm, JourneyListed, JourneyReport};

#[server(endpoint = "list_journeys")]
pub async fn list_journeys(program_id: ProgramId) -> Result<Vec<JourneyListed>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::journeys::list(&guard::state()?.db, program_id).await
}

/// The editor's form: the journey `id`, or an empty one.
#[server(endpoint = "load_journey_form")]
pub async fn load_journey_form(program_id: ProgramId, id: Option<i64>) -> Result<JourneyForm, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::journeys::form(&guard::state()?.db, program_id, id).await
}

#[server(endpoint = "save_journey")]
pub async fn save_journey(input: JourneyForm) -> Result<Journey, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::journeys::save(&guard::state()?.db, &input).await
}

/// Starts (`active`) or pauses (`paused`) a journey.
#[server(endpoint = "set_journey_status")]
pub async fn set_journey_status(program_id: ProgramId, id: i64, status: String) -> Result<Journey, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    let status = crate::model::journey::JourneyStatus::parse(&status).ok_or_else(|| {
        AppError::field(
            "status",
            crate::i18n::td_string!(crate::domain::lang::current().locale, errors.forms.choose_option),
        )
    })?;
    crate::server::service::journeys::set_status(&guard::state()?.db, program_id, id, status).await
}

#[server(endpoint = "delete_journey")]
pub async fn delete_journey(program_id: ProgramId, id: i64) -> Result<i64, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::journeys::delete(&guard::state()?.db, program_id, id).await?;
    Ok(id)
}

#[server(endpoint = "load_journey_report")]
pub async fn load_journey_report(program_id: ProgramId, id: i64) -> Result<JourneyReport, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    let mut report = crate::server::service::journeys::report(&guard::state()?.db, program_id, id).await?;
    report.chart_svg = crate::server::charts::journey_steps(crate::domain::lang::current(), &report)?;
    Ok(report)
}

/// The segments, tiers, rewards and templates the editor offers.
#[server(endpoint = "load_journey_choices")]
pub async fn load_journey_choices(program_id: ProgramId) -> Result<JourneyChoices, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::journeys::choices(&guard::state()?.db, program_id).await
}
