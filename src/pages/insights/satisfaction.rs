//! Satisfaction: NPS from the members' survey answers, with the Insights filters, beside a
//! comparison period; per week or month as a chart, per channel and per tier, and the
//! comments, each table with its CSV.

use leptos::prelude::*;

use crate::api::insights::load_satisfaction;
use crate::components::chart::{as_text, table_csv, CsvLink};
use crate::components::lang::use_lang;
use crate::components::states::Empty;
use crate::components::table::DataTable;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::insights::{Kpi, Unit};
use crate::model::survey::{NpsCounts, NpsRow, SatisfactionReport};

use super::{day_text, filtered_page, kpi_cards, Offers};

#[component]
pub fn SatisfactionPage() -> impl IntoView {
    filtered_page(
        "satisfaction",
        (
            |l| td_string!(l, insights.satisfaction_title),
            |l| td_string!(l, insights.satisfaction_heading),
        ),
        load_satisfaction,
        Offers {
            compare: true,
            place: true,
            tier: true,
        },
        satisfaction_view,
    )
}

/// The KPI cards of a period's answers, the comparison's beside them.
fn kpis(now: &NpsCounts, before: Option<&NpsCounts>) -> Vec<Kpi> {
    type Of = fn(&NpsCounts) -> Option<f64>;
    let list: [(&str, Unit, Of); 5] = [
        ("nps", Unit::Score, NpsCounts::score),
        ("answers", Unit::Count, |c| Some(c.answers() as f64)),
        ("promoters", Unit::Share, |c| {
            crate::domain::kpi::ratio(c.promoters, c.answers())
        }),
        ("passives", Unit::Share, |c| {
            crate::domain::kpi::ratio(c.passives, c.answers())
        }),
        ("detractors", Unit::Share, |c| {
            crate::domain::kpi::ratio(c.detractors, c.answers())
        }),
    ];
    list.iter()
        .map(|(key, unit, of)| Kpi {
            key: (*key).into(),
            unit: *unit,
            value: of(now),
            previous: before.and_then(of),
        })
        .collect()
}

/// NPS as the page writes it: a whole number, or a dash without answers.
fn score_text(lang: Lang, c: &NpsCounts) -> String {
    match c.score() {
        Some(s) => lang.number(s.round() as i64),
        None => td_string!(lang.locale, insights.no_value).to_string(),
    }
}

/// A table of NPS per group (period, channel or tier) with its CSV.
fn nps_table(
    lang: Lang,
    first: &'static str,
    rows: &[NpsRow],
    name: impl Fn(&str) -> String,
    file: &'static str,
    label: &'static str,
) -> impl IntoView {
    let l = lang.locale;
    let columns = [
        first,
        td_string!(l, insights.column_answers),
        td_string!(l, insights.kpi_promoters),
        td_string!(l, insights.kpi_passives),
        td_string!(l, insights.kpi_detractors),
        td_string!(l, insights.kpi_nps),
    ];
    let csv_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let c = r.counts;
            vec![
                as_text(&name(&r.key)),
                c.answers().to_string(),
                c.promoters.to_string(),
                c.passives.to_string(),
                c.detractors.to_string(),
                c.score().map(|s| format!("{s:.1}")).unwrap_or_default(),
            ]
        })
        .collect();
    let csv = table_csv(&columns, &csv_rows);
    let body = rows
        .iter()
        .map(|r| {
            let c = r.counts;
            view! {
                <tr>
                    <td><bdi>{name(&r.key)}</bdi></td>
                    <td class="num">{lang.number(c.answers())}</td>
                    <td class="num">{lang.number(c.promoters)}</td>
                    <td class="num">{lang.number(c.passives)}</td>
                    <td class="num">{lang.number(c.detractors)}</td>
                    <td class="num">{score_text(lang, &c)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable columns=columns.to_vec() numeric=&[1, 2, 3, 4, 5] label=label>
            {body}
        </DataTable>
        <CsvLink csv=csv file=file />
    }
}

fn satisfaction_view(r: SatisfactionReport) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
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
    let cards = kpi_cards(
        lang,
        kpis(&r.counts, r.previous.as_ref()),
        None,
        compared.is_some(),
    );
    if r.counts.answers() == 0 {
        return view! {
            {compared.map(|c| view! { <p class="muted" data-testid="compared">{c}</p> })}
            {cards}
            <section class="card">
                <Empty><p data-testid="no-answers">{td!(l, insights.no_answers)}</p></Empty>
            </section>
        }
        .into_any();
    }
    let title = td_string!(l, insights.nps_title);
    let caption = td_string!(
        l,
        insights.caption,
        chart = title,
        from = day_text(lang, &r.from),
        to = day_text(lang, &r.to)
    )
    .to_string();
    let period_column = if r.grain == "week" {
        td_string!(l, insights.column_week)
    } else {
        td_string!(l, insights.column_month)
    };
    let channel_name = move |c: &str| crate::model::insights::channel_label(l, c);
    let tier_name = move |t: &str| {
        if t.is_empty() {
            td_string!(l, insights.no_tier).to_string()
        } else {
            t.to_string()
        }
    };
    let plain = |k: &str| lang.digits_of(k);
    view! {
        {compared.map(|c| view! { <p class="muted" data-testid="compared">{c}</p> })}
        {cards}
        <p class="hint">{td!(l, insights.nps_note)}</p>
        <figure class="card chart" aria-label=title data-testid="chart-nps">
            <div class="svg" dir="ltr" inner_html=r.series_svg.clone()></div>
            <figcaption>{caption}</figcaption>
            <details>
                <summary>{td!(l, common.chart.numbers)}</summary>
                {nps_table(lang, period_column, &r.series, plain, "nps-by-period.csv", title)}
            </details>
        </figure>
        <div class="columns">
            <section class="card" aria-labelledby="nps-channel-heading" data-testid="nps-channels">
                <h2 id="nps-channel-heading">{td!(l, insights.nps_by_channel)}</h2>
                {nps_table(lang, td_string!(l, insights.channel), &r.by_channel, channel_name, "nps-by-channel.csv", td_string!(l, insights.nps_by_channel))}
            </section>
            <section class="card" aria-labelledby="nps-tier-heading" data-testid="nps-tiers">
                <h2 id="nps-tier-heading">{td!(l, insights.nps_by_tier)}</h2>
                {nps_table(lang, td_string!(l, insights.column_tier), &r.by_tier, tier_name, "nps-by-tier.csv", td_string!(l, insights.nps_by_tier))}
            </section>
        </div>
        {comments_view(lang, &r, channel_name, tier_name)}
    }
    .into_any()
}

fn comments_view(
    lang: Lang,
    r: &SatisfactionReport,
    channel_name: impl Fn(&str) -> String + Copy + 'static,
    tier_name: impl Fn(&str) -> String + Copy + 'static,
) -> impl IntoView {
    let l = lang.locale;
    let columns = [
        td_string!(l, insights.column_answered),
        td_string!(l, insights.column_program),
        td_string!(l, insights.column_score),
        td_string!(l, insights.channel),
        td_string!(l, insights.column_tier),
        td_string!(l, insights.column_comment),
    ];
    let csv_rows: Vec<Vec<String>> = r
        .comments
        .iter()
        .map(|c| {
            vec![
                c.answered_at
                    .to_datetime()
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
                as_text(&c.program_name),
                c.score.to_string(),
                c.channel.clone(),
                as_text(&tier_name(c.tier.as_deref().unwrap_or_default())),
                as_text(&c.comment),
            ]
        })
        .collect();
    let csv = table_csv(&columns, &csv_rows);
    let shown = td_string!(
        l,
        insights.comments_shown,
        shown = lang.number(r.comments.len() as i64),
        total = lang.number(r.comments_total)
    )
    .to_string();
    let body = r
        .comments
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <td>{lang.date_time(c.answered_at, None)}</td>
                    <td><bdi>{c.program_name.clone()}</bdi></td>
                    <td class="num">{lang.number(c.score)}</td>
                    <td>{channel_name(&c.channel)}</td>
                    <td><bdi>{tier_name(c.tier.as_deref().unwrap_or_default())}</bdi></td>
                    <td class="comment"><bdi>{c.comment.clone()}</bdi></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="comments-heading" data-testid="nps-comments">
            <h2 id="comments-heading">{td!(l, insights.comments_title)}</h2>
            {if r.comments.is_empty() {
                view! { <Empty><p>{td!(l, insights.no_comments)}</p></Empty> }.into_any()
            } else {
                view! {
                    <p class="muted">{shown}</p>
                    <DataTable columns=columns.to_vec() numeric=&[2] label=td_string!(l, insights.comments_title)>
                        {body}
                    </DataTable>
                    <CsvLink csv=csv file="nps-comments.csv" />
                }
                .into_any()
            }}
        </section>
    }
}
