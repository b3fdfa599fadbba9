//! Rewards: redemptions per reward over the range (by how many members, used or expired
//! since), the points they cost and those points' worth, the money face value handed out,
//! and the stock and pool codes left; totals beside a comparison period, a chart of the most
//! redeemed, and the table with its CSV.

use leptos::prelude::*;

use crate::api::insights::load_rewards;
use crate::components::chart::{as_text, table_csv, CsvLink};
use crate::components::lang::use_lang;
use crate::components::states::Empty;
use crate::components::table::DataTable;
use crate::domain::kpi::ratio;
use crate::i18n::{td, td_string};
use crate::model::insights::{Kpi, RewardTotals, RewardsReport, Unit};

use super::value::major;
use super::{day_text, filtered_page, kpi_cards, Offers};

#[component]
pub fn RewardsPage() -> impl IntoView {
    filtered_page(
        "rewards",
        (
            |l| td_string!(l, insights.rewards_page_title),
            |l| td_string!(l, insights.rewards_heading),
        ),
        load_rewards,
        Offers {
            compare: true,
            place: true,
            tier: false,
        },
        rewards_view,
    )
}

/// The KPI cards of a period's totals (money ones only for one program).
fn kpis(now: &RewardTotals, before: Option<&RewardTotals>, money: bool) -> Vec<Kpi> {
    type Of = fn(&RewardTotals) -> Option<f64>;
    let mut list: Vec<(&str, Unit, Of)> = vec![
        ("redemptions", Unit::Count, |t| Some(t.redemptions as f64)),
        ("reward_redeemers", Unit::Count, |t| Some(t.redeemers as f64)),
        ("use_rate", Unit::Share, |t| ratio(t.used, t.redemptions)),
        ("expired_unused", Unit::Count, |t| Some(t.expired as f64)),
    ];
    if money {
        list.extend([
            ("reward_points", Unit::Points, (|t| Some(t.points as f64)) as Of),
            ("reward_points_value", Unit::Money, |t| {
                Some(t.points_value_minor as f64)
            }),
            ("face_value", Unit::Money, |t| Some(t.face_value_minor as f64)),
        ]);
    }
    list.into_iter()
        .map(|(key, unit, of)| Kpi {
            key: key.into(),
            unit,
            value: of(now),
            previous: before.and_then(of),
        })
        .collect()
}

fn rewards_view(r: RewardsReport) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let program = r.program.clone();
    let compared = match (&r.compare_from, &r.compare_to) {
        (Some(a), Some(b)) => Some(
            td_string!(
                l,
                insights.compared,
                from = day_text(lang, a),
                to = day_text(lang, b)
            )
            .to_string(),
        ),
        _ => None,
    };
    let cards = kpis(&r.totals, r.previous.as_ref(), program.is_some());
    let title = td_string!(l, insights.rewards_chart_title);
    let caption = td_string!(
        l,
        insights.caption,
        chart = title,
        from = day_text(lang, &r.from),
        to = day_text(lang, &r.to)
    )
    .to_string();
    let mut columns = vec![
        td_string!(l, insights.column_reward),
        td_string!(l, insights.kpi_redemptions),
        td_string!(l, insights.kpi_reward_redeemers),
        td_string!(l, insights.column_used),
        td_string!(l, insights.kpi_expired_unused),
    ];
    if program.is_some() {
        columns.extend([
            td_string!(l, insights.kpi_reward_points),
            td_string!(l, insights.kpi_reward_points_value),
            td_string!(l, insights.kpi_face_value),
        ]);
    }
    columns.extend([
        td_string!(l, insights.column_stock_left),
        td_string!(l, insights.column_pool_left),
    ]);
    let numeric: &'static [usize] = if program.is_some() {
        &[1, 2, 3, 4, 5, 6, 7, 8, 9]
    } else {
        &[1, 2, 3, 4, 5, 6]
    };
    let unlimited = td_string!(l, insights.unlimited);
    let none = td_string!(l, insights.no_value);
    let csv_rows: Vec<Vec<String>> = r
        .rewards
        .iter()
        .map(|w| {
            let mut row = vec![
                as_text(&w.name),
                w.redeemed.redemptions.to_string(),
                w.redeemed.redeemers.to_string(),
                w.redeemed.used.to_string(),
                w.redeemed.expired.to_string(),
            ];
            if let Some(p) = &program {
                row.extend([
                    w.redeemed.points.to_string(),
                    major(w.redeemed.points_value_minor, &p.currency_code),
                    major(w.redeemed.face_value_minor, &p.currency_code),
                ]);
            }
            row.extend([
                w.stock_left.map(|s| s.to_string()).unwrap_or_default(),
                w.pool_left.map(|s| s.to_string()).unwrap_or_default(),
            ]);
            row
        })
        .collect();
    let csv = table_csv(&columns, &csv_rows);
    let table = if r.rewards.is_empty() {
        view! { <Empty><p>{td!(l, insights.no_rewards)}</p></Empty> }.into_any()
    } else {
        let rows = r
            .rewards
            .iter()
            .map(|w| {
                let money = program.as_ref().map(|p| {
                    view! {
                        <td class="num">{lang.points(w.redeemed.points, &p.unit)}</td>
                        <td class="num">{lang.money(w.redeemed.points_value_minor, &p.currency_code)}</td>
                        <td class="num">{lang.money(w.redeemed.face_value_minor, &p.currency_code)}</td>
                    }
                });
                view! {
                    <tr>
                        <td><bdi>{w.name.clone()}</bdi></td>
                        <td class="num">{lang.number(w.redeemed.redemptions)}</td>
                        <td class="num">{lang.number(w.redeemed.redeemers)}</td>
                        <td class="num">{lang.number(w.redeemed.used)}</td>
                        <td class="num">{lang.number(w.redeemed.expired)}</td>
                        {money}
                        <td class="num">{w.stock_left.map(|s| lang.number(s)).unwrap_or_else(|| unlimited.to_string())}</td>
                        <td class="num">{w.pool_left.map(|s| lang.number(s)).unwrap_or_else(|| none.to_string())}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <DataTable columns=columns numeric=numeric label=td_string!(l, insights.rewards_table_title)>
                {rows}
            </DataTable>
            <CsvLink csv=csv file="rewards.csv" />
        }
        .into_any()
    };
    view! {
        {compared.map(|c| view! { <p class="muted" data-testid="compared">{c}</p> })}
        {kpi_cards(lang, cards, program.clone(), r.previous.is_some())}
        <p class="hint">{td!(l, insights.rewards_note)}</p>
        <figure class="card chart" aria-label=title data-testid="chart-rewards">
            <div class="svg" dir="ltr" inner_html=r.svg.clone()></div>
            <figcaption>{caption}</figcaption>
        </figure>
        <section class="card" aria-labelledby="rewards-heading" data-testid="rewards">
            <h2 id="rewards-heading">{td!(l, insights.rewards_table_title)}</h2>
            {table}
        </section>
    }
}
