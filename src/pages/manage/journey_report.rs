//! A journey's report: members who entered, are in it, finished, converted or left early;
//! each step with the members at it now and those who passed it by outcome (a chart, the
//! table beside it and its CSV); the journey's messages by status and why some waited or
//! were not sent.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::journeys::{load_journey_choices, load_journey_report};
use crate::components::chart::{as_text, table_csv, CsvLink};
use crate::components::lang::use_lang;
use crate::components::states::Loaded;
use crate::components::table::DataTable;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::journey::{JourneyChoices, JourneyReport};

use super::journeys::{describe, status_label, trigger_label};

#[component]
pub fn JourneyReportPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let program = super::program_id_param();
    let params = use_params_map();
    let journey = move || {
        params
            .read()
            .get("jid")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let report = Resource::new(move || (program(), journey()), |(p, j)| load_journey_report(p, j));
    let choices = Resource::new(program, load_journey_choices);
    view! {
        <Title text=td_string!(l, manage.journeys.report_title) />
        <p><A href=move || format!("/manage/programs/{}/journeys", program())>{td!(l, manage.journeys.back)}</A></p>
        <Loaded what=td_string!(l, manage.journeys.loading) resource=choices view={move |c: JourneyChoices| {
            view! {
                <Loaded what=td_string!(l, manage.journeys.loading) resource=report
                    view={move |r: JourneyReport| report_view(lang, r, &c)} />
            }
        }} />
    }
}

/// An outcome's name.
fn outcome_label(lang: Lang, outcome: &str) -> String {
    let l = lang.locale;
    match outcome {
        "done" => td_string!(l, manage.journeys.outcome.done),
        "yes" => td_string!(l, manage.journeys.outcome.yes),
        "no" => td_string!(l, manage.journeys.outcome.no),
        "purchase" => td_string!(l, manage.journeys.outcome.purchase),
        "timeout" => td_string!(l, manage.journeys.outcome.timeout),
        "skipped" => td_string!(l, manage.journeys.outcome.skipped),
        other => return other.to_string(),
    }
    .to_string()
}

fn message_status_label(lang: Lang, status: &str) -> String {
    let l = lang.locale;
    match status {
        "sent" => td_string!(l, manage.journeys.message_status.sent),
        "pending" => td_string!(l, manage.journeys.message_status.pending),
        "suppressed" => td_string!(l, manage.journeys.message_status.suppressed),
        "failed" => td_string!(l, manage.journeys.message_status.failed),
        other => return other.to_string(),
    }
    .to_string()
}

fn report_view(lang: Lang, r: JourneyReport, choices: &JourneyChoices) -> impl IntoView {
    let l = lang.locale;
    let j = r.journey.clone();
    let steps: Vec<(usize, String, i64, i64, String)> = r
        .steps
        .iter()
        .map(|s| {
            let passed: i64 = s.outcomes.iter().map(|(_, n)| n).sum();
            let outcomes = s
                .outcomes
                .iter()
                .map(|(o, n)| format!("{} {}", outcome_label(lang, o), lang.number(*n)))
                .collect::<Vec<_>>()
                .join(" · ");
            (
                s.number,
                describe(lang, &j.steps, &s.step, choices),
                s.here,
                passed,
                outcomes,
            )
        })
        .collect();
    let columns = [
        td_string!(l, manage.journeys.col_step),
        td_string!(l, manage.journeys.col_what),
        td_string!(l, manage.journeys.here),
        td_string!(l, manage.journeys.passed),
        td_string!(l, manage.journeys.col_outcomes),
    ];
    let csv = table_csv(
        &columns,
        &steps
            .iter()
            .map(|(n, what, here, passed, outcomes)| {
                vec![
                    n.to_string(),
                    as_text(what),
                    here.to_string(),
                    passed.to_string(),
                    as_text(outcomes),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let summary = [
        (td_string!(l, manage.journeys.col_entered), r.entered),
        (td_string!(l, manage.journeys.members_entered), r.members),
        (td_string!(l, manage.journeys.col_active), r.active),
        (td_string!(l, manage.journeys.finished), r.done),
        (td_string!(l, manage.journeys.col_converted), r.converted),
        (td_string!(l, manage.journeys.left_early), r.exited),
    ];
    let messages = r.messages.clone();
    let reasons = r.message_reasons.clone();
    view! {
        <h1><bdi>{j.name.clone()}</bdi></h1>
        <p>
            <span class=format!("badge {}", j.status.as_str())>{status_label(lang, j.status)}</span>
            " "
            {trigger_label(lang, j.trigger)}
        </p>
        <dl class="kpis" data-testid="journey-summary">
            {summary.into_iter().map(|(label, n)| view! {
                <div class="kpi"><dt>{label}</dt><dd>{lang.number(n)}</dd></div>
            }).collect_view()}
        </dl>
        <div class="columns">
            <figure class="card chart" aria-label=td_string!(l, manage.journeys.chart_title)>
                <div class="svg" dir="ltr" inner_html=r.chart_svg.clone()></div>
                <figcaption>{td!(l, manage.journeys.chart_caption)}</figcaption>
            </figure>
            <section class="card">
                <h2>{td!(l, manage.journeys.steps)}</h2>
                <DataTable columns=columns.to_vec() numeric=&[0, 2, 3]>
                    {steps.into_iter().map(|(n, what, here, passed, outcomes)| view! {
                        <tr>
                            <td class="num">{lang.number(n as i64)}</td>
                            <td>{what}</td>
                            <td class="num">{lang.number(here)}</td>
                            <td class="num">{lang.number(passed)}</td>
                            <td>{outcomes}</td>
                        </tr>
                    }).collect_view()}
                </DataTable>
                <p><CsvLink csv file="journey-report.csv" /></p>
            </section>
        </div>
        <section class="card">
            <h2>{td!(l, manage.journeys.messages)}</h2>
            {if messages.is_empty() {
                view! { <p class="muted">{td!(l, manage.journeys.no_messages)}</p> }.into_any()
            } else {
                view! {
                    <DataTable columns=vec![td_string!(l, manage.journeys.col_status), td_string!(l, manage.journeys.col_count)] numeric=&[1]>
                        {messages.into_iter().map(|(s, n)| view! {
                            <tr><td>{message_status_label(lang, &s)}</td><td class="num">{lang.number(n)}</td></tr>
                        }).collect_view()}
                    </DataTable>
                    {(!reasons.is_empty()).then(|| view! {
                        <h3>{td!(l, manage.journeys.why)}</h3>
                        <DataTable columns=vec![td_string!(l, manage.journeys.col_reason), td_string!(l, manage.journeys.col_count)] numeric=&[1]>
                            {reasons.clone().into_iter().map(|(reason, n)| {
                                let label = crate::model::message::HoldReason::parse(&reason)
                                    .map_or(reason.clone(), |h| super::messages::reason_label(lang, h).to_string());
                                view! { <tr><td>{label}</td><td class="num">{lang.number(n)}</td></tr> }
                            }).collect_view()}
                        </DataTable>
                    })}
                }.into_any()
            }}
        </section>
    }
}
