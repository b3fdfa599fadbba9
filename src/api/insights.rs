//! KPI dashboards for analysts and admins, read from the rollups.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::insights::{FilterOptions, InsightsQuery, InsightsReport};

/// The Overview (and the daily series beside it) of what `q` asks for.
#[server(endpoint = "load_insights")]
pub async fn load_insights(q: InsightsQuery) -> Result<InsightsReport, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    crate::server::query::insights::report(&db, crate::domain::lang::current(), q).await
}

/// The filters' choices: programs, stores, and the chosen program's tiers. Apart from the
/// report, so the filter form stays on the page when the report refuses what it was given.
#[server(endpoint = "insight_filters")]
pub async fn insight_filters(program_id: i64) -> Result<FilterOptions, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::query::insights;

    guard::require(Role::can_see_insights).await?;
    insights::filter_options(&guard::state()?.db, program_id).await
}

/// The Customer value page of a program (as typed; empty: the first one): its last fit, the members at
/// risk, and the holdout chart.
#[server(endpoint = "load_value")]
pub async fn load_value(program: String) -> Result<crate::model::insights::ValueReport, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    crate::server::query::insights::value_report(&db, crate::domain::lang::current(), &program).await
}

/// The Satisfaction page of what `q` asks for: NPS from the survey answers.
#[server(endpoint = "load_satisfaction")]
pub async fn load_satisfaction(
    q: InsightsQuery,
) -> Result<crate::model::survey::SatisfactionReport, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    crate::server::query::satisfaction::report(&db, crate::domain::lang::current(), q).await
}

/// The Retention page of what `q` asks for: enrolment cohorts and churn.
#[server(endpoint = "load_retention")]
pub async fn load_retention(q: InsightsQuery) -> Result<crate::model::insights::RetentionReport, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    crate::server::query::retention::report(&db, crate::domain::lang::current(), q).await
}

/// The Channels and stores page of what `q` asks for, with the omnichannel premium.
#[server(endpoint = "load_channels")]
pub async fn load_channels(q: InsightsQuery) -> Result<crate::model::insights::ChannelsReport, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    crate::server::query::channels::report(&db, crate::domain::lang::current(), q).await
}

/// The Tiers page of what `q` asks for: memberships per tier over time, moves, spend by tier.
#[server(endpoint = "load_tiers")]
pub async fn load_tiers(q: InsightsQuery) -> Result<crate::model::insights::TiersReport, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    crate::server::query::tiers::report(&db, crate::domain::lang::current(), q).await
}

/// The Rewards page of what `q` asks for: redemptions, cost and stock per reward.
#[server(endpoint = "load_rewards")]
pub async fn load_rewards(q: InsightsQuery) -> Result<crate::model::insights::RewardsReport, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    crate::server::query::redemptions::report(&db, crate::domain::lang::current(), q).await
}
