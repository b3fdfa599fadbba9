//! Tiers: memberships in each tier at the end of every week or month of the range (a chart
//! and its table), the moves between tiers, and what each tier's members bought; each table
//! with its CSV.

use leptos::prelude::*;

use crate::api::insights::load_tiers;
use crate::components::chart::{as_text, table_csv, CsvLink};
use crate::components::lang::use_lang;
use crate::components::states::Empty;
use crate::components::table::DataTable;
use crate::domain::kpi::ratio;
use crate::i18n::{td, td_string};
use crate::model::insights::{tier_label, Kpi, TiersReport, Unit};

use super::value::major;
use super::{day_text, filtered_page, kpi_cards, Offers};

#[component]
pub fn TiersPage() -> impl IntoView {
    filtered_page(
        "tiers",
        (
            |l| td_string!(l, insights.tiers_page_title),
            |l| td_string!(l, insights.tiers_heading),
        ),
        load_tiers,
        Offers {
            compare: false,
            place: false,
            tier: false,
        },
        tiers_view,
    )
}

fn tiers_view(r: TiersReport) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let Some(program) = r.program.clone() else {
        return view! { <Empty><p>{td!(l, insights.tiers_choose_program)}</p></Empty> }.into_any();
    };
    if r.tiers.iter().all(|t| t.tier_id == 0) {
        return view! { <Empty><p>{td!(l, insights.tiers_none)}</p></Empty> }.into_any();
    }
    let name = |id: i64, n: &str| tier_label(l, id, n);
    let names: Vec<String> = r.tiers.iter().map(|t| name(t.tier_id, &t.name)).collect();
    let tiered: i64 = r.tiers.iter().filter(|t| t.tier_id != 0).map(|t| t.members).sum();
    let all: i64 = r.tiers.iter().map(|t| t.members).sum();
    let kpis = vec![
        Kpi {
            key: "tiered".into(),
            unit: Unit::Count,
            value: Some(tiered as f64),
            previous: None,
        },
        Kpi {
            key: "tiered_share".into(),
            unit: Unit::Share,
            value: ratio(tiered, all),
            previous: None,
        },
        Kpi {
            key: "upgrades".into(),
            unit: Unit::Count,
            value: Some(r.upgrades as f64),
            previous: None,
        },
        Kpi {
            key: "downgrades".into(),
            unit: Unit::Count,
            value: Some(r.downgrades as f64),
            previous: None,
        },
    ];
    let title = td_string!(l, insights.tiers_chart_title);
    let caption = td_string!(
        l,
        insights.caption,
        chart = title,
        from = day_text(lang, &r.from),
        to = day_text(lang, &r.to)
    )
    .to_string();

    // Memberships per tier at each period's end.
    let period_word = td_string!(l, insights.column_period);
    let mut over_time_columns: Vec<String> = vec![period_word.to_string()];
    over_time_columns.extend(names.iter().cloned());
    let over_time_csv = table_csv(
        &over_time_columns.iter().map(String::as_str).collect::<Vec<_>>(),
        &r.periods
            .iter()
            .zip(&r.counts)
            .map(|(p, c)| {
                let mut row = vec![p.clone()];
                row.extend(c.iter().map(i64::to_string));
                row
            })
            .collect::<Vec<_>>(),
    );
    let over_time_rows = r
        .periods
        .iter()
        .zip(&r.counts)
        .map(|(p, c)| {
            view! {
                <tr>
                    <th scope="row">{lang.digits_of(p)}</th>
                    {c.iter().map(|n| view! { <td class="num">{lang.number(*n)}</td> }).collect_view()}
                </tr>
            }
        })
        .collect_view();

    // Each tier over the range.
    let code = program.currency_code.clone();
    let unit = program.unit.clone();
    let by_tier_columns = vec![
        td_string!(l, insights.column_tier),
        td_string!(l, insights.column_members_start),
        td_string!(l, insights.column_members_end),
        td_string!(l, insights.column_moved_in),
        td_string!(l, insights.column_moved_out),
        td_string!(l, insights.kpi_buyers),
        td_string!(l, insights.kpi_orders),
        td_string!(l, insights.kpi_net_sales),
        td_string!(l, insights.column_sales_per_buyer),
        td_string!(l, insights.kpi_issued),
        td_string!(l, insights.kpi_redeemed),
    ];
    let per_buyer = |net: i64, buyers: Option<u64>| match buyers {
        Some(b) if b > 0 => Some((net as f64 / b as f64).round() as i64),
        _ => None,
    };
    let by_tier_csv = table_csv(
        &by_tier_columns,
        &r.tiers
            .iter()
            .zip(&names)
            .map(|(t, n)| {
                vec![
                    as_text(n),
                    t.members_before.to_string(),
                    t.members.to_string(),
                    t.moved_in.to_string(),
                    t.moved_out.to_string(),
                    t.buyers.map(|b| b.to_string()).unwrap_or_default(),
                    t.orders.to_string(),
                    major(t.net_sales_minor, &code),
                    per_buyer(t.net_sales_minor, t.buyers)
                        .map(|m| major(m, &code))
                        .unwrap_or_default(),
                    t.issued.to_string(),
                    t.redeemed.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let none = td_string!(l, insights.no_value);
    let by_tier_rows = r
        .tiers
        .iter()
        .zip(&names)
        .map(|(t, n)| {
            view! {
                <tr>
                    <td><bdi>{n.clone()}</bdi></td>
                    <td class="num">{lang.number(t.members_before)}</td>
                    <td class="num">{lang.number(t.members)}</td>
                    <td class="num">{lang.number(t.moved_in)}</td>
                    <td class="num">{lang.number(t.moved_out)}</td>
                    <td class="num">{t.buyers.map(|b| lang.number(b as i64)).unwrap_or_else(|| none.to_string())}</td>
                    <td class="num">{lang.number(t.orders)}</td>
                    <td class="num">{lang.money(t.net_sales_minor, &code)}</td>
                    <td class="num">{per_buyer(t.net_sales_minor, t.buyers).map(|m| lang.money(m, &code)).unwrap_or_else(|| none.to_string())}</td>
                    <td class="num">{lang.points(t.issued, &unit)}</td>
                    <td class="num">{lang.points(t.redeemed, &unit)}</td>
                </tr>
            }
        })
        .collect_view();

    // Moves between tiers in the range.
    let label_of = |id: i64| {
        r.tiers
            .iter()
            .find(|t| t.tier_id == id)
            .map(|t| name(t.tier_id, &t.name))
            .unwrap_or_else(|| name(id, ""))
    };
    let direction = |up: bool| {
        if up {
            td_string!(l, insights.move_up)
        } else {
            td_string!(l, insights.move_down)
        }
    };
    let moves_columns = vec![
        td_string!(l, insights.column_from_tier),
        td_string!(l, insights.column_to_tier),
        td_string!(l, insights.column_direction),
        td_string!(l, insights.column_memberships),
    ];
    let moves_csv = table_csv(
        &moves_columns,
        &r.moves
            .iter()
            .map(|m| {
                vec![
                    as_text(&label_of(m.from_id)),
                    as_text(&label_of(m.to_id)),
                    direction(m.up).to_string(),
                    m.count.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let moves = if r.moves.is_empty() {
        view! { <Empty><p>{td!(l, insights.no_moves)}</p></Empty> }.into_any()
    } else {
        let rows = r
            .moves
            .iter()
            .map(|m| {
                view! {
                    <tr>
                        <td><bdi>{label_of(m.from_id)}</bdi></td>
                        <td><bdi>{label_of(m.to_id)}</bdi></td>
                        <td>{direction(m.up)}</td>
                        <td class="num">{lang.number(m.count)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <DataTable columns=moves_columns numeric=&[3] label=td_string!(l, insights.moves_title)>
                {rows}
            </DataTable>
            <CsvLink csv=moves_csv file="tier-moves.csv" />
        }
        .into_any()
    };
    view! {
        {kpi_cards(lang, kpis, Some(program.clone()), false)}
        <p class="hint">{td!(l, insights.tiers_note)}</p>
        <figure class="card chart" aria-label=title data-testid="chart-tiers">
            <div class="svg" dir="ltr" inner_html=r.svg.clone()></div>
            <figcaption>{caption}</figcaption>
        </figure>
        <section class="card" aria-labelledby="tiers-over-time-heading" data-testid="tiers-over-time">
            <h2 id="tiers-over-time-heading">{td!(l, insights.tiers_over_time_title)}</h2>
            <div class="table-scroll">
                <table class="history" aria-labelledby="tiers-over-time-heading">
                    <thead>
                        <tr>{over_time_columns.into_iter().enumerate().map(|(i, h)| {
                            let num = i > 0;
                            view! { <th scope="col" class:num=num><bdi>{h}</bdi></th> }
                        }).collect_view()}</tr>
                    </thead>
                    <tbody>{over_time_rows}</tbody>
                </table>
            </div>
            <CsvLink csv=over_time_csv file="tiers-over-time.csv" />
        </section>
        <section class="card" aria-labelledby="by-tier-heading" data-testid="by-tier">
            <h2 id="by-tier-heading">{td!(l, insights.by_tier_title)}</h2>
            <DataTable columns=by_tier_columns numeric=&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10] label=td_string!(l, insights.by_tier_title)>
                {by_tier_rows}
            </DataTable>
            <CsvLink csv=by_tier_csv file="tiers.csv" />
        </section>
        <section class="card" aria-labelledby="moves-heading" data-testid="tier-moves">
            <h2 id="moves-heading">{td!(l, insights.moves_title)}</h2>
            {moves}
        </section>
    }
    .into_any()
}
