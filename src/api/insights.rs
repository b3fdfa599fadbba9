//! KPI dashboards for analysts and admins, read from the rollups.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::insights::{FilterOptions, InsightsQuery, InsightsReport};

/// The Overview (and the daily series beside it) of what `q` asks for.
#[server(endpoint = "load_insights")]
pub async fn load_insights(q: InsightsQuery) -> Result<InsightsReport, AppError> {
    use crate::domain::dates;
    use crate::i18n::td_string;
    use crate::model::insights::Scope;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::service::rollups;
    use crate::server::{charts, query::insights};

    guard::require(Role::can_see_insights).await?;
    let db = guard::state()?.db;
    let InsightsQuery {
        from,
        to,
        program: program_id,
        channel,
        store,
        tier,
        compare,
        rate,
    } = q;
    let lang = crate::domain::lang::current();
    let l = lang.locale;
    let today = chrono::Utc::now().date_naive();
    let (from, to) =
        dates::parse_range(&from, &to, today).map_err(|(field, message)| AppError::field(field, message))?;
    let program = match program_id {
        0 => None,
        id => Some(
            insights::program_units(&db, id)
                .await?
                .ok_or_else(|| AppError::field("program", td_string!(l, insights.unknown_program)))?,
        ),
    };
    let channel = match channel.as_str() {
        "" => None,
        "store" | "web" | "app" => Some(channel),
        _ => {
            return Err(AppError::field(
                "channel",
                td_string!(l, insights.unknown_channel),
            ))
        }
    };
    let options = insights::filter_options(&db, program_id).await?;
    if store != 0 && !options.stores.iter().any(|(id, _)| *id == store) {
        return Err(AppError::field("store", td_string!(l, insights.unknown_store)));
    }
    if tier != 0 && !options.tiers.iter().any(|(id, _)| *id == tier) {
        return Err(AppError::field("tier", td_string!(l, insights.unknown_tier)));
    }
    let length = to - from;
    let compare = match compare.as_str() {
        "" | "none" => None,
        "previous" => Some((
            from - length - chrono::Duration::days(1),
            from - chrono::Duration::days(1),
        )),
        "year" => Some((
            from.checked_sub_months(chrono::Months::new(12)).unwrap_or(from),
            to.checked_sub_months(chrono::Months::new(12)).unwrap_or(to),
        )),
        _ => {
            return Err(AppError::field(
                "compare",
                td_string!(l, insights.unknown_compare),
            ))
        }
    };
    let rate = match crate::domain::validate::typed_number(&rate).trim() {
        "" => None,
        typed => match typed.parse::<f64>() {
            Ok(r) if (0.0..=100.0).contains(&r) => Some(r / 100.0),
            _ => return Err(AppError::field("rate", td_string!(l, insights.rate_range))),
        },
    };
    let scope = Scope {
        program_id,
        channel,
        store_id: (store != 0).then_some(store),
        tier_id: (tier != 0).then_some(tier),
    };
    let (mut overview, new_by_day, issued_by_day) =
        insights::overview(&db, &scope, program.clone(), (from, to), compare, rate).await?;
    overview.backlog = rollups::backlog(&db).await?;
    overview.active_svg = charts::active_members(lang, &overview.active)?;
    if let (Some(p), Some(sales)) = (&program, &overview.sales) {
        overview.sales_svg = Some(charts::net_sales(lang, &p.currency_code, sales)?);
    }
    let enrollments = insights::series(&new_by_day);
    let points_by_program = insights::points_by_program(&db, from, to, program_id).await?;
    let (points_issued, points_svg) = match &program {
        Some(p) => {
            let series = insights::series(&issued_by_day);
            let svg = charts::points_issued(lang, &p.unit, &series)?;
            (Some(series), Some(svg))
        }
        None => (None, None),
    };
    Ok(InsightsReport {
        from: from.to_string(),
        to: to.to_string(),
        program_id: program.as_ref().map(|p| p.id),
        enrollments_svg: charts::enrollments(lang, &enrollments)?,
        enrollments,
        points_issued,
        points_by_program,
        points_svg,
        overview,
    })
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
