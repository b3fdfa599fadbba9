//! A campaign's report: who it reached, the split it gave against the one configured, and for
//! each arm what its members bought and what the incentive cost; each variant against the
//! control group with 95 % intervals, "inconclusive" when the interval holds zero. A chart of
//! revenue per member, the table beside it and a CSV of the table; the changes on record.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::campaigns::load_campaign_report;
use crate::components::chart::{as_text, table_csv, CsvLink};
use crate::components::lang::use_lang;
use crate::components::states::Loaded;
use crate::components::table::DataTable;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::campaign::{ArmReport, CampaignReport};
use crate::model::time::Timestamp;

use super::campaigns::{split_label, status_label};
use super::messages::{channel_label, delivery_tables};

#[component]
pub fn CampaignReportPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let program = super::program_id_param();
    let params = use_params_map();
    let campaign = move || {
        params
            .read()
            .get("cid")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let report = Resource::new(
        move || (program(), campaign()),
        |(p, c)| load_campaign_report(p, c),
    );
    view! {
        <Title text=td_string!(l, manage.campaigns.report_title) />
        <p><A href=move || format!("/manage/programs/{}/campaigns", program())>{td!(l, manage.campaigns.back)}</A></p>
        <Loaded what=td_string!(l, manage.campaigns.loading) resource=report view=move |r| report_view(lang, r) />
    }
}

/// A per-member figure of an arm, minor units.
fn per_member(total: i64, members: i64) -> f64 {
    if members == 0 {
        0.0
    } else {
        total as f64 / members as f64
    }
}

/// A share as a percentage: 0.25 → "25.0%".
fn rate(lang: Lang, part: i64, whole: i64) -> String {
    if whole == 0 {
        "–".into()
    } else {
        lang.percent(part as f64 / whole as f64)
    }
}

/// Money from minor units that may be fractional (a mean), in `code`.
fn money(lang: Lang, minor: f64, code: &str) -> String {
    lang.money(minor.round() as i64, code)
}

/// The row of the table for one arm, as the page shows it and as the CSV has it.
fn row(lang: Lang, a: &ArmReport, code: &str) -> (Vec<String>, Vec<String>) {
    let l = lang.locale;
    let (shown_uplift, csv_uplift) = match &a.uplift {
        Some(u) => {
            let verdict = if u.inconclusive {
                td_string!(l, manage.campaigns.inconclusive)
            } else if u.revenue_per_member > 0.0 {
                td_string!(l, manage.campaigns.better)
            } else {
                td_string!(l, manage.campaigns.worse)
            };
            let roi = u.roi.map(|r| lang.percent(r)).unwrap_or_else(|| "–".into());
            (
                vec![
                    format!(
                        "{} [{} … {}]",
                        money(lang, u.revenue_per_member, code),
                        money(lang, u.revenue_low, code),
                        money(lang, u.revenue_high, code)
                    ),
                    format!(
                        "{} [{} … {}]",
                        lang.percent(u.conversion),
                        lang.percent(u.conversion_low),
                        lang.percent(u.conversion_high)
                    ),
                    lang.money(u.incremental_revenue_minor, code),
                    roi,
                    verdict.to_string(),
                ],
                vec![
                    format!("{:.2}", u.revenue_per_member),
                    format!("{:.2}", u.revenue_low),
                    format!("{:.2}", u.revenue_high),
                    format!("{:.4}", u.conversion),
                    format!("{:.4}", u.conversion_low),
                    format!("{:.4}", u.conversion_high),
                    u.incremental_revenue_minor.to_string(),
                    u.roi.map(|r| format!("{r:.4}")).unwrap_or_default(),
                    u.inconclusive.to_string(),
                ],
            )
        }
        None => (vec!["–".into(); 5], vec![String::new(); 9]),
    };
    let mut shown = vec![
        a.name.clone(),
        lang.number(a.members),
        format!(
            "{} / {}",
            lang.percent(a.configured_pct / 100.0),
            lang.percent(a.actual_pct / 100.0)
        ),
        format!(
            "{} ({})",
            lang.number(a.redeemed),
            rate(lang, a.redeemed, a.members)
        ),
        format!("{} ({})", lang.number(a.buyers), rate(lang, a.buyers, a.members)),
        lang.fixed(per_member(a.orders, a.members), 2),
        money(lang, per_member(a.revenue_minor, a.members), code),
        lang.money(a.cost_minor, code),
    ];
    shown.extend(shown_uplift);
    let mut csv = vec![
        as_text(&a.name),
        a.members.to_string(),
        format!("{:.1}", a.configured_pct),
        format!("{:.2}", a.actual_pct),
        a.redeemed.to_string(),
        a.buyers.to_string(),
        a.orders.to_string(),
        a.revenue_minor.to_string(),
        a.points_given.to_string(),
        a.cost_minor.to_string(),
    ];
    csv.extend(csv_uplift);
    (shown, csv)
}

fn report_view(lang: Lang, r: CampaignReport) -> impl IntoView {
    let l = lang.locale;
    let c = &r.campaign;
    let code = r.currency.clone();
    let columns = vec![
        td_string!(l, manage.campaigns.col_arm),
        td_string!(l, manage.campaigns.col_members),
        td_string!(l, manage.campaigns.col_split_actual),
        td_string!(l, manage.campaigns.col_redeemed),
        td_string!(l, manage.campaigns.col_buyers),
        td_string!(l, manage.campaigns.col_orders),
        td_string!(l, manage.campaigns.col_revenue),
        td_string!(l, manage.campaigns.col_cost),
        td_string!(l, manage.campaigns.col_uplift),
        td_string!(l, manage.campaigns.col_conversion),
        td_string!(l, manage.campaigns.col_incremental),
        td_string!(l, manage.campaigns.col_roi),
        td_string!(l, manage.campaigns.col_verdict),
    ];
    let rows: Vec<(Vec<String>, Vec<String>)> = r.arms.iter().map(|a| row(lang, a, &code)).collect();
    // The CSV keeps the figures as data (minor units, fractions, ASCII digits).
    let csv_columns = [
        "arm",
        "members",
        "configured_pct",
        "actual_pct",
        "redeemed",
        "buyers",
        "orders",
        "revenue_minor",
        "points_given",
        "cost_minor",
        "revenue_per_member_diff_minor",
        "revenue_diff_low",
        "revenue_diff_high",
        "conversion_diff",
        "conversion_diff_low",
        "conversion_diff_high",
        "incremental_revenue_minor",
        "roi",
        "inconclusive",
    ];
    let csv = table_csv(
        &csv_columns,
        &rows.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
    );
    let last = lang.date(Timestamp(c.effective_end().0 - 1).date());
    let zone = r.time_zone.clone();
    let edit_time = move |t: Timestamp| lang.date_time(t, Some(&zone));
    view! {
        <section class="card">
            <h2>
                <bdi>{c.name.clone()}</bdi> " "
                <span class="badge" data-status=r.status.as_str()>{status_label(lang, r.status)}</span>
            </h2>
            <p class="muted">
                {td_string!(
                    l,
                    manage.campaigns.summary,
                    segment = r.segment_name.clone(),
                    from = lang.date(c.starts_at.date()),
                    to = last,
                    split = split_label(lang, c),
                )
                    .to_string()}
            </p>
            <p data-testid="campaign-reach">
                {td_string!(l, manage.campaigns.reach, n = lang.number(r.reach)).to_string()}
            </p>
            <p class="muted">{td!(l, manage.campaigns.method)}</p>
        </section>
        <figure class="card chart" aria-label=td_string!(l, manage.campaigns.chart_label)>
            <div class="svg" dir="ltr" inner_html=r.chart_svg.clone()></div>
            <figcaption>{td!(l, manage.campaigns.chart_caption)}</figcaption>
        </figure>
        <section class="card">
            <h3>{td!(l, manage.campaigns.arms)}</h3>
            <div class="table-scroll">
                <DataTable columns numeric=&[1, 5, 6, 7, 10]>
                    {rows
                        .into_iter()
                        .map(|(shown, _)| {
                            view! {
                                <tr data-testid="campaign-arm">
                                    {shown.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
            </div>
            <p><CsvLink csv file="campaign-report.csv" /></p>
        </section>
        <section class="card" data-testid="campaign-messages">
            <h3>{td!(l, manage.campaigns.messages)}</h3>
            <p class="muted">{match &c.message {
                Some(m) => td_string!(
                    l,
                    manage.campaigns.message_summary,
                    template = lang.isolate(&m.template),
                    channels = m.channels.iter().map(|ch| channel_label(lang, *ch)).collect::<Vec<_>>().join(if lang == Lang::ARABIC { "، " } else { ", " })
                )
                    .to_string(),
                None => td_string!(l, manage.campaigns.no_message).to_string(),
            }}</p>
            {(c.message.is_some() || !r.messages.is_empty())
                .then(|| delivery_tables(lang, &r.messages, r.failed_messages.clone(), Some(r.time_zone.clone())))}
        </section>
        <section class="card">
            <h3>{td!(l, manage.campaigns.edits)}</h3>
            {if r.edits.is_empty() {
                view! { <p class="muted">{td!(l, manage.campaigns.no_edits)}</p> }.into_any()
            } else {
                view! {
                    <ul class="list" data-testid="campaign-edits">
                        {r.edits
                            .iter()
                            .map(|e| {
                                let by = e.by.clone().unwrap_or_default();
                                view! {
                                    <li>
                                        <span class="muted">{edit_time(e.at)} " " <bdi dir="ltr">{by}</bdi></span>
                                        <pre class="change" dir="ltr">{e.change.clone()}</pre>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}
