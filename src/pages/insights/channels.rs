//! Channels and stores: buyers, orders, sales and points in each channel and store, and the
//! omnichannel premium (members who buy in several channels against those who buy in one),
//! each table with its CSV.

use leptos::prelude::*;

use crate::api::insights::load_channels;
use crate::components::chart::{as_text, table_csv, CsvLink};
use crate::components::lang::use_lang;
use crate::components::states::Empty;
use crate::components::table::DataTable;
use crate::domain::kpi::ratio;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::insights::{ChannelRow, ChannelsReport, Kpi, ProgramUnits, Unit};

use super::value::major;
use super::{day_text, filtered_page, kpi_cards, Offers};

#[component]
pub fn ChannelsPage() -> impl IntoView {
    filtered_page(
        "channels",
        (
            |l| td_string!(l, insights.channels_title),
            |l| td_string!(l, insights.channels_heading),
        ),
        load_channels,
        Offers {
            compare: false,
            place: false,
            tier: true,
        },
        channels_view,
    )
}

/// A table of channels or stores with its CSV: buyers and orders, and for one program its
/// sales and points.
fn breakdown(
    lang: Lang,
    first: &'static str,
    rows: &[ChannelRow],
    name: impl Fn(&ChannelRow) -> String,
    program: Option<&ProgramUnits>,
    file: &'static str,
    label: &'static str,
) -> impl IntoView {
    let l = lang.locale;
    let mut columns = vec![
        first,
        td_string!(l, insights.kpi_buyers),
        td_string!(l, insights.kpi_orders),
    ];
    if program.is_some() {
        columns.extend([
            td_string!(l, insights.kpi_sales),
            td_string!(l, insights.kpi_refunds),
            td_string!(l, insights.kpi_net_sales),
            td_string!(l, insights.kpi_issued),
            td_string!(l, insights.kpi_redeemed_gross),
        ]);
    }
    let csv_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![as_text(&name(r)), r.buyers.to_string(), r.orders.to_string()];
            if let Some(p) = program {
                let code = &p.currency_code;
                row.extend([
                    major(r.sales_minor, code),
                    major(r.refunds_minor, code),
                    major(r.net_sales_minor, code),
                    r.issued.to_string(),
                    r.redeemed.to_string(),
                ]);
            }
            row
        })
        .collect();
    let csv = table_csv(&columns, &csv_rows);
    let numeric: &'static [usize] = if program.is_some() {
        &[1, 2, 3, 4, 5, 6, 7]
    } else {
        &[1, 2]
    };
    let body = rows
        .iter()
        .map(|r| {
            let money = program.map(|p| {
                let code = p.currency_code.clone();
                let unit = p.unit.clone();
                view! {
                    <td class="num">{lang.money(r.sales_minor, &code)}</td>
                    <td class="num">{lang.money(r.refunds_minor, &code)}</td>
                    <td class="num">{lang.money(r.net_sales_minor, &code)}</td>
                    <td class="num">{lang.points(r.issued, &unit)}</td>
                    <td class="num">{lang.points(r.redeemed, &unit)}</td>
                }
            });
            view! {
                <tr>
                    <td><bdi>{name(r)}</bdi></td>
                    <td class="num">{lang.number(r.buyers as i64)}</td>
                    <td class="num">{lang.number(r.orders)}</td>
                    {money}
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable columns=columns numeric=numeric label=label>
            {body}
        </DataTable>
        <CsvLink csv=csv file=file />
    }
}

fn channels_view(r: ChannelsReport) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let mut kpis = vec![
        Kpi {
            key: "channel_buyers".into(),
            unit: Unit::Count,
            value: Some(r.buyers as f64),
            previous: None,
        },
        Kpi {
            key: "multi_buyers".into(),
            unit: Unit::Count,
            value: Some(r.multi as f64),
            previous: None,
        },
        Kpi {
            key: "multi_share".into(),
            unit: Unit::Share,
            value: ratio(r.multi as i64, r.buyers as i64),
            previous: None,
        },
    ];
    if let (Some(multi), Some(single)) = (&r.multi_value, &r.single_value) {
        kpis.extend([
            Kpi {
                key: "multi_spend".into(),
                unit: Unit::Money,
                value: (multi.members > 0).then_some(multi.spend_minor as f64),
                previous: None,
            },
            Kpi {
                key: "single_spend".into(),
                unit: Unit::Money,
                value: (single.members > 0).then_some(single.spend_minor as f64),
                previous: None,
            },
            Kpi {
                key: "premium".into(),
                unit: Unit::Decimal,
                value: (multi.members > 0 && single.members > 0)
                    .then(|| ratio(multi.spend_minor, single.spend_minor))
                    .flatten(),
                previous: None,
            },
        ]);
    }
    let program = r.program.clone();
    let title = match &program {
        Some(p) => td_string!(
            l,
            insights.channels_sales_title,
            currency = p.currency_code.clone()
        )
        .to_string(),
        None => td_string!(l, insights.channels_orders_title).to_string(),
    };
    let caption = td_string!(
        l,
        insights.caption,
        chart = title.clone(),
        from = day_text(lang, &r.from),
        to = day_text(lang, &r.to)
    )
    .to_string();
    let channel_name = move |row: &ChannelRow| crate::model::insights::channel_label(l, &row.key);
    let store_name = move |row: &ChannelRow| {
        if row.name.is_empty() {
            row.key.clone()
        } else {
            row.name.clone()
        }
    };
    let stores = if r.stores.is_empty() {
        view! { <Empty><p>{td!(l, insights.no_store_sales)}</p></Empty> }.into_any()
    } else {
        breakdown(
            lang,
            td_string!(l, insights.store),
            &r.stores,
            store_name,
            program.as_ref(),
            "stores.csv",
            td_string!(l, insights.stores_title),
        )
        .into_any()
    };
    let channels = if r.channels.is_empty() {
        view! { <Empty><p>{td!(l, insights.no_channel_sales)}</p></Empty> }.into_any()
    } else {
        breakdown(
            lang,
            td_string!(l, insights.channel),
            &r.channels,
            channel_name,
            program.as_ref(),
            "channels.csv",
            td_string!(l, insights.channels_table_title),
        )
        .into_any()
    };
    view! {
        {kpi_cards(lang, kpis, program.clone(), false)}
        <p class="hint">{td!(l, insights.premium_note)}</p>
        <figure class="card chart" aria-label=title.clone() data-testid="chart-channels">
            <div class="svg" dir="ltr" inner_html=r.svg.clone()></div>
            <figcaption>{caption}</figcaption>
        </figure>
        <section class="card" aria-labelledby="channels-heading" data-testid="channels">
            <h2 id="channels-heading">{td!(l, insights.channels_table_title)}</h2>
            {channels}
        </section>
        <section class="card" aria-labelledby="stores-heading" data-testid="stores">
            <h2 id="stores-heading">{td!(l, insights.stores_title)}</h2>
            {stores}
        </section>
    }
}
