//! Definitions: every KPI of the Insights pages with its formula, in one place, from the same
//! catalogue entries the cards show (a definition is written once).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::lang::use_lang;
use crate::i18n::{td, td_string, Locale};

use super::{kpi_words, tabs};

/// The KPIs of each section, by key (as `kpi_words` names them).
const OVERVIEW_MEMBERS: [&str; 8] = [
    "members",
    "new_members",
    "active",
    "participation",
    "buyers",
    "repeat_rate",
    "redeemers",
    "redeemer_share",
];
const OVERVIEW_POINTS: [&str; 10] = [
    "issued",
    "returned",
    "net_issued",
    "redeemed",
    "expired",
    "adjusted",
    "redemption_rate",
    "outstanding",
    "liability",
    "breakage",
];
const OVERVIEW_MONEY: [&str; 6] = ["orders", "sales", "refunds", "net_sales", "aov", "frequency"];
const SATISFACTION: [&str; 5] = ["nps", "answers", "promoters", "passives", "detractors"];
const CHANNELS: [&str; 6] = [
    "channel_buyers",
    "multi_buyers",
    "multi_share",
    "multi_spend",
    "single_spend",
    "premium",
];
const RETENTION: [&str; 5] = [
    "cohort_members",
    "active_now",
    "active_before",
    "churned",
    "churn_rate",
];
const TIERS: [&str; 4] = ["tiered", "tiered_share", "upgrades", "downgrades"];
const REWARDS: [&str; 7] = [
    "redemptions",
    "reward_redeemers",
    "use_rate",
    "expired_unused",
    "reward_points",
    "reward_points_value",
    "face_value",
];

#[component]
pub fn HelpPage() -> impl IntoView {
    view! {
        <crate::components::access::Gate allow=crate::model::user::Role::can_see_insights>
            <HelpBody />
        </crate::components::access::Gate>
    }
}

fn terms(l: Locale, keys: &[&'static str]) -> impl IntoView {
    let pairs: Vec<(&'static str, String)> = keys
        .iter()
        .map(|k| {
            let (name, definition) = kpi_words(l, k);
            (name, definition.to_string())
        })
        .collect();
    definitions(pairs)
}

fn definitions(pairs: Vec<(&'static str, String)>) -> impl IntoView {
    view! {
        <dl class="definitions">
            {pairs
                .into_iter()
                .map(|(name, definition)| view! { <dt>{name}</dt><dd>{definition}</dd> })
                .collect_view()}
        </dl>
    }
}

#[component]
fn HelpBody() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    // The Customer value page's defaults, as the daily fit uses them.
    let months = lang.number(12);
    let value = vec![
        (
            td_string!(l, insights.kpi_customers),
            td_string!(l, insights.def_customers).to_string(),
        ),
        (
            td_string!(l, insights.kpi_value_repeat),
            td_string!(l, insights.def_value_repeat).to_string(),
        ),
        (
            td_string!(l, insights.kpi_orders_per_buyer),
            td_string!(l, insights.def_orders_per_buyer).to_string(),
        ),
        (
            td_string!(l, insights.kpi_value_aov),
            td_string!(l, insights.def_value_aov).to_string(),
        ),
        (
            td_string!(l, insights.kpi_historical),
            td_string!(l, insights.def_historical).to_string(),
        ),
        (
            td_string!(l, insights.kpi_predicted),
            td_string!(l, insights.def_predicted, months = months.clone()).to_string(),
        ),
        (
            td_string!(l, insights.model_heading),
            td_string!(
                l,
                insights.model_def,
                months = months,
                discount = lang.percent(0.01)
            )
            .to_string(),
        ),
        (
            td_string!(l, insights.at_risk_title),
            td_string!(l, insights.at_risk_def).to_string(),
        ),
    ];
    view! {
        <Title text=td_string!(l, insights.help_title) />
        <h1>{td!(l, insights.help_heading)}</h1>
        {tabs(l, "help", 0)}
        <section class="card" data-testid="help-overview">
            <h2>{td!(l, insights.tab_overview)}</h2>
            <p class="hint">{td!(l, insights.scope_note)}</p>
            <h3>{td!(l, insights.help_members)}</h3>
            {terms(l, &OVERVIEW_MEMBERS)}
            <h3>{td!(l, insights.help_points)}</h3>
            {terms(l, &OVERVIEW_POINTS)}
            <h3>{td!(l, insights.section_ifrs)}</h3>
            <p>{td!(l, insights.ifrs_def)}</p>
            <h3>{td!(l, insights.help_money)}</h3>
            {terms(l, &OVERVIEW_MONEY)}
            <p class="hint">{td!(l, insights.sales_share_note)}</p>
        </section>
        <section class="card" data-testid="help-value">
            <h2>{td!(l, insights.tab_value)}</h2>
            {definitions(value)}
        </section>
        <section class="card" data-testid="help-retention">
            <h2>{td!(l, insights.tab_retention)}</h2>
            <p>{td!(l, insights.cohorts_def)}</p>
            {terms(l, &RETENTION)}
        </section>
        <section class="card" data-testid="help-channels">
            <h2>{td!(l, insights.tab_channels)}</h2>
            <p>{td!(l, insights.premium_note)}</p>
            {terms(l, &CHANNELS)}
        </section>
        <section class="card" data-testid="help-tiers">
            <h2>{td!(l, insights.tab_tiers)}</h2>
            <p>{td!(l, insights.tiers_note)}</p>
            {terms(l, &TIERS)}
        </section>
        <section class="card" data-testid="help-rewards">
            <h2>{td!(l, insights.tab_rewards)}</h2>
            <p>{td!(l, insights.rewards_note)}</p>
            {terms(l, &REWARDS)}
        </section>
        <section class="card" data-testid="help-satisfaction">
            <h2>{td!(l, insights.tab_satisfaction)}</h2>
            {terms(l, &SATISFACTION)}
        </section>
        <p class="hint">{td!(l, insights.help_days)}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kpi_listed_has_a_name_and_a_definition_in_both_languages() {
        for l in [Locale::en, Locale::ar] {
            for key in OVERVIEW_MEMBERS
                .iter()
                .chain(&OVERVIEW_POINTS)
                .chain(&OVERVIEW_MONEY)
                .chain(&SATISFACTION)
                .chain(&RETENTION)
                .chain(&CHANNELS)
                .chain(&TIERS)
                .chain(&REWARDS)
            {
                let (name, definition) = kpi_words(l, key);
                assert!(!name.is_empty() && !definition.is_empty(), "{key} in {l:?}");
            }
        }
    }
}
