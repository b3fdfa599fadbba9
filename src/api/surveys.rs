//! Surveys: managers open and close them; members answer on the portal.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::order::EarnReceipt;
use crate::model::survey::{Survey, SurveyInput, SurveyOffer};

#[server(endpoint = "list_surveys")]
pub async fn list_surveys() -> Result<Vec<Survey>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::surveys::list(&guard::state()?.db).await
}

/// Opens a survey in a program (closing the one it had open).
#[server(endpoint = "open_survey")]
pub async fn open_survey(input: SurveyInput) -> Result<Survey, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::surveys::open(&guard::state()?.db, &input).await
}

/// Closes a survey (`active` false) or opens it again.
#[server(endpoint = "set_survey_active")]
pub async fn set_survey_active(id: i64, active: bool) -> Result<(), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::surveys::set_active(&guard::state()?.db, id, active).await
}

/// The surveys the signed-in member can answer now.
#[server(endpoint = "my_surveys")]
pub async fn my_surveys() -> Result<Vec<SurveyOffer>, AppError> {
    use crate::server::auth::guard;
    let (db, member) = guard::require_member().await?;
    crate::server::service::surveys::offers(&db, member.id).await
}

/// The signed-in member answers a survey of one of their programs. The score is optional
/// on the wire so that a form sent without one gets a field error, not a decoding error.
#[server(endpoint = "answer_my_survey")]
pub async fn answer_my_survey(
    survey_id: i64,
    score: Option<String>,
    comment: Option<String>,
) -> Result<EarnReceipt, AppError> {
    use crate::server::auth::guard;
    let (db, member) = guard::require_member().await?;
    let (score, comment) = (score.unwrap_or_default(), comment.unwrap_or_default());
    crate::server::service::surveys::answer_on_portal(&db, member.id, survey_id, &score, &comment).await
}
