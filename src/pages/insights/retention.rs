//! Retention: monthly enrolment cohorts as a heatmap (the share of each cohort active in
//! each month since it joined), the average curve as a chart, and churn in the range against
//! the period before it; each with its numbers and CSV.

use leptos::prelude::*;

use crate::api::insights::load_retention;
use crate::components::chart::{table_csv, CsvLink};
use crate::components::lang::use_lang;
use crate::components::states::Empty;
use crate::domain::kpi::{churn_rate, ratio};
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::insights::{Kpi, RetentionReport, Unit};

use super::{day_text, filtered_page, kpi_cards, Offers};

#[component]
pub fn RetentionPage() -> impl IntoView {
    filtered_page(
        "retention",
        (
            |l| td_string!(l, insights.retention_title),
            |l| td_string!(l, insights.retention_heading),
        ),
        load_retention,
        Offers {
            compare: false,
            place: true,
            tier: true,
        },
        retention_view,
    )
}

/// A share as a heatmap cell: the percentage, shaded by its size (a CSS custom property
/// the stylesheet turns into the background), light text on the darker half.
fn cell(lang: Lang, share: Option<f64>) -> impl IntoView {
    match share {
        Some(s) => {
            let style = format!("--share: {:.3}", s.clamp(0.0, 1.0));
            let dark = s > 0.5;
            view! { <td class="num heat" class:dark=dark style=style>{lang.percent(s)}</td> }.into_any()
        }
        None => view! { <td class="num heat none"></td> }.into_any(),
    }
}

fn retention_view(r: RetentionReport) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let joined: u64 = r.cohorts.iter().map(|c| c.size).sum();
    let kpis = vec![
        Kpi {
            key: "cohort_members".into(),
            unit: Unit::Count,
            value: Some(joined as f64),
            previous: None,
        },
        Kpi {
            key: "active_now".into(),
            unit: Unit::Count,
            value: Some(r.active_now as f64),
            previous: None,
        },
        Kpi {
            key: "active_before".into(),
            unit: Unit::Count,
            value: Some(r.active_before as f64),
            previous: None,
        },
        Kpi {
            key: "churned".into(),
            unit: Unit::Count,
            value: Some(r.active_before.saturating_sub(r.returning) as f64),
            previous: None,
        },
        Kpi {
            key: "churn_rate".into(),
            unit: Unit::Share,
            value: churn_rate(r.active_before, r.returning),
            previous: None,
        },
    ];
    let before = td_string!(
        l,
        insights.churn_period,
        from = day_text(lang, &r.before_from),
        to = day_text(lang, &r.before_to)
    )
    .to_string();
    let width = r.cohorts.first().map_or(0, |c| c.active.len());
    let month_label = |k: usize| td_string!(l, insights.month_n, n = lang.number(k as i64)).to_string();
    let mut columns: Vec<String> = vec![
        td_string!(l, insights.column_cohort).to_string(),
        td_string!(l, insights.column_joined).to_string(),
    ];
    columns.extend((0..width).map(month_label));
    let csv_columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    let csv_rows: Vec<Vec<String>> = r
        .cohorts
        .iter()
        .map(|c| {
            let mut row = vec![c.month.clone(), c.size.to_string()];
            row.extend((0..width).map(|k| c.active.get(k).map(|a| a.to_string()).unwrap_or_default()));
            row
        })
        .collect();
    let csv = table_csv(&csv_columns, &csv_rows);
    let curve_csv = table_csv(
        &[
            td_string!(l, insights.months_since),
            td_string!(l, insights.retention_series),
        ],
        &r.curve
            .iter()
            .enumerate()
            .map(|(k, v)| vec![k.to_string(), v.map(|v| format!("{:.4}", v)).unwrap_or_default()])
            .collect::<Vec<_>>(),
    );
    let header = columns.clone();
    let rows = r
        .cohorts
        .iter()
        .map(|c| {
            let size = c.size;
            view! {
                <tr>
                    <th scope="row">{lang.digits_of(&c.month)}</th>
                    <td class="num">{lang.number(size as i64)}</td>
                    {(0..width)
                        .map(|k| match c.active.get(k) {
                            Some(a) => cell(lang, ratio(*a as i64, size as i64)).into_any(),
                            None => view! { <td class="num heat none"></td> }.into_any(),
                        })
                        .collect_view()}
                </tr>
            }
        })
        .collect_view();
    let partial = r.partial.then(|| {
        let month = r
            .cohorts
            .last()
            .map(|c| lang.digits_of(&c.month))
            .unwrap_or_default();
        td_string!(l, insights.partial_month, month = month).to_string()
    });
    let cohorts = if joined == 0 {
        view! { <Empty><p>{td!(l, insights.no_cohorts)}</p></Empty> }.into_any()
    } else {
        view! {
            <div class="table-scroll">
                <table class="history heatmap" aria-labelledby="cohorts-heading">
                    <thead>
                        <tr>{header.into_iter().enumerate().map(|(i, h)| {
                            let num = i > 0;
                            view! { <th scope="col" class:num=num>{h}</th> }
                        }).collect_view()}</tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <CsvLink csv=csv file="cohorts.csv" />
        }
        .into_any()
    };
    let title = td_string!(l, insights.retention_curve_title);
    let caption = td_string!(
        l,
        insights.caption,
        chart = title,
        from = day_text(lang, &r.from),
        to = day_text(lang, &r.to)
    )
    .to_string();
    let curve_rows = r
        .curve
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let shown = v
                .map(|v| lang.percent(v))
                .unwrap_or_else(|| td_string!(l, insights.no_value).to_string());
            view! { <tr><td>{month_label(k)}</td><td class="num">{shown}</td></tr> }
        })
        .collect_view();
    view! {
        <p class="muted" data-testid="churn-period">{before}</p>
        {kpi_cards(lang, kpis, None, false)}
        <section class="card" aria-labelledby="cohorts-heading" data-testid="cohorts">
            <h2 id="cohorts-heading">{td!(l, insights.cohorts_title)}</h2>
            <p class="hint">{td!(l, insights.cohorts_def)}</p>
            {partial.map(|p| view! { <p class="hint" data-testid="partial-month">{p}</p> })}
            {cohorts}
        </section>
        <figure class="card chart" aria-label=title data-testid="chart-retention">
            <div class="svg" dir="ltr" inner_html=r.curve_svg.clone()></div>
            <figcaption>{caption}</figcaption>
            <details>
                <summary>{td!(l, common.chart.numbers)}</summary>
                <table class="history">
                    <thead><tr><th scope="col">{td!(l, insights.months_since)}</th><th scope="col" class="num">{td!(l, insights.retention_series)}</th></tr></thead>
                    <tbody>{curve_rows}</tbody>
                </table>
                <CsvLink csv=curve_csv file="retention-curve.csv" />
            </details>
        </figure>
    }
}
