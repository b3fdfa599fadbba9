//! Campaigns: managers draft, launch, change, stop and delete them and read their reports;
//! members claim a campaign's reward on the portal, staff give it at the Desk.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::campaign::{Campaign, CampaignForm, CampaignReport, Listed};
use crate::model::ids::{MemberId, ProgramId};
use crate::model::reward::IssuedReward;

#[server(endpoint = "list_campaigns")]
pub async fn list_campaigns(program_id: ProgramId) -> Result<Vec<Listed>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::campaigns::list(&guard::state()?.db, program_id).await
}

/// The form of a saved campaign, to edit it, or a new one's (no id).
#[server(endpoint = "load_campaign_form")]
pub async fn load_campaign_form(
    program_id: ProgramId,
    #[server(default)] id: Option<i64>,
) -> Result<CampaignForm, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::campaigns::form(&guard::state()?.db, program_id, id).await
}

/// Saves a draft, or a change to a campaign that has not ended (recorded once launched).
#[server(endpoint = "save_campaign")]
pub async fn save_campaign(input: CampaignForm) -> Result<Campaign, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let user = guard::require(Role::can_manage).await?;
    crate::server::service::campaigns::save(&guard::state()?.db, &input, Some(user.id)).await
}

#[server(endpoint = "launch_campaign")]
pub async fn launch_campaign(program_id: ProgramId, id: i64) -> Result<Campaign, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let user = guard::require(Role::can_manage).await?;
    crate::server::service::campaigns::launch(&guard::state()?.db, program_id, id, Some(user.id)).await
}

#[server(endpoint = "stop_campaign")]
pub async fn stop_campaign(program_id: ProgramId, id: i64) -> Result<Campaign, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let user = guard::require(Role::can_manage).await?;
    crate::server::service::campaigns::stop(&guard::state()?.db, program_id, id, Some(user.id)).await
}

/// Deletes a draft.
#[server(endpoint = "delete_campaign")]
pub async fn delete_campaign(program_id: ProgramId, id: i64) -> Result<i64, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::campaigns::delete(&guard::state()?.db, program_id, id).await?;
    Ok(id)
}

#[server(endpoint = "load_campaign_report")]
pub async fn load_campaign_report(program_id: ProgramId, id: i64) -> Result<CampaignReport, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    let mut report = crate::server::service::campaigns::report(&guard::state()?.db, program_id, id).await?;
    report.chart_svg = crate::server::charts::campaign_revenue(
        crate::domain::lang::current(),
        &report.currency,
        &report.arms,
    )?;
    Ok(report)
}

/// The member claims a campaign's reward on the portal (for themselves only: the member
/// comes from the session).
#[server(endpoint = "claim_offer")]
pub async fn claim_offer(program_id: ProgramId, campaign_id: i64) -> Result<IssuedReward, AppError> {
    use crate::model::rules::Channel;
    use crate::server::auth::guard;
    let (db, member) = guard::require_member().await?;
    crate::server::service::campaigns::claim(&db, program_id, member.id, campaign_id, Channel::Web, None)
        .await
}

/// Staff give a campaign's reward to the member at the counter.
#[server(endpoint = "give_offer")]
pub async fn give_offer(
    member_id: MemberId,
    program_id: ProgramId,
    campaign_id: i64,
) -> Result<IssuedReward, AppError> {
    use crate::model::rules::Channel;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let staff = guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    let issued = crate::server::service::campaigns::claim(
        &db,
        program_id,
        member_id,
        campaign_id,
        Channel::Store,
        Some(staff.id),
    )
    .await?;
    // The PIN proves the member is present: the desk never receives it.
    Ok(IssuedReward {
        pin: String::new(),
        ..issued
    })
}
