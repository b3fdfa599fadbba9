//! Insights for executives: new members per day and points issued by program (per day for
//! one program), as server-drawn charts, for a chosen date range and program.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::insights::{insight_programs, load_insights};
use crate::components::chart::{ChartData, ChartFrame};
use crate::components::lang::use_lang;
use crate::components::states::{or_error, Loading};
use crate::components::table::DataTable;
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::i18n::{td, td_string, Locale};
use crate::model::ids::ProgramId;
use crate::model::insights::{DailySeries, InsightsReport};

/// The page for its roles; anyone else gets a 401 or 403 page without its forms.
#[component]
pub fn InsightsPage() -> impl IntoView {
    view! {
        <crate::components::access::Gate allow=crate::model::user::Role::can_see_insights>
            <InsightsBody />
        </crate::components::access::Gate>
    }
}

#[component]
fn InsightsBody() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let report = Resource::new(
        move || {
            (
                param("from"),
                param("to"),
                param("program").parse::<i64>().unwrap_or(0),
            )
        },
        |(from, to, program)| load_insights(from, to, program),
    );
    let programs = Resource::new(|| (), |_| insight_programs());
    let lang = use_lang();
    let l = lang.locale;
    view! {
        <Title text=td_string!(l, insights.title) />
        <h1>{td!(l, insights.heading)}</h1>
        // One boundary for the filters and the report: the server waits for both, so a
        // refused range comes with its field errors and what was typed, and the page
        // hydrates from the same markup.
        <Transition fallback=move || view! { <Loading what=td_string!(l, insights.loading_what) /> }>
            {move || {
                let (report, programs) = (report.get()?, programs.get()?);
                let filters = Filters {
                    from: param("from"),
                    to: param("to"),
                    program: param("program").parse::<i64>().unwrap_or(0),
                    programs: programs.unwrap_or_default(),
                };
                Some(view! {
                    {filters.view(lang, &report)}
                    {or_error(report, report_view)}
                })
            }}
        </Transition>
    }
}

/// The filter form, kept whatever the report answers: a range it refuses shows its field
/// error here, with what was typed, so it can be put right.
struct Filters {
    /// As typed (the query string).
    from: String,
    to: String,
    program: i64,
    programs: Vec<(ProgramId, String)>,
}

impl Filters {
    fn view(self, lang: Lang, report: &Result<InsightsReport, AppError>) -> impl IntoView {
        let l = lang.locale;
        let error = |field: &str| report.as_ref().err().and_then(|e| e.field_message(field));
        let (from_error, to_error, program_error) = (error("from"), error("to"), error("program"));
        // The dates the report used (the defaults filled in), else those typed.
        let (from, to) = match report {
            Ok(r) => (r.from.clone(), r.to.clone()),
            Err(_) => (self.from, self.to),
        };
        let date = |id: &'static str, label: &'static str, value: String, error: Option<String>| {
            let invalid = error.is_some();
            let error_id = format!("{id}-error");
            view! {
                <div class="field" class:invalid=invalid>
                    <label for=id>{label}</label>
                    <input
                        id=id
                        name=id
                        type="date"
                        value=value
                        aria-invalid=invalid.then_some("true")
                        aria-describedby=invalid.then(|| error_id.clone())
                    />
                    {error.map(|e| view! { <p class="error" id=error_id role="alert">{e}</p> })}
                </div>
            }
        };
        let program_invalid = program_error.is_some();
        let selected = self.program;
        view! {
            <section class="card">
                <Form method="GET" action="" attr:class="filters">
                    {date("from", td_string!(l, insights.from), from, from_error)}
                    {date("to", td_string!(l, insights.to), to, to_error)}
                    <div class="field" class:invalid=program_invalid>
                        <label for="program">{td!(l, insights.program)}</label>
                        <select
                            id="program"
                            name="program"
                            aria-invalid=program_invalid.then_some("true")
                            aria-describedby=program_invalid.then_some("program-error")
                        >
                            <option value="0" selected=selected == 0>{td!(l, insights.all_programs)}</option>
                            {self
                                .programs
                                .into_iter()
                                .map(|(id, name)| view! { <option value=id selected=id.get() == selected>{name}</option> })
                                .collect_view()}
                        </select>
                        {program_error.map(|e| view! { <p class="error" id="program-error" role="alert">{e}</p> })}
                    </div>
                    <button type="submit" class="button">{td!(l, insights.show)}</button>
                </Form>
            </section>
        }
    }
}

/// A day as the page shows it: the ISO day in English (as the date inputs write it), the
/// language's own date in Arabic ("٣ ديسمبر ٢٠٢٦").
fn day_text(lang: Lang, iso: &str) -> String {
    match (lang.locale, chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")) {
        (Locale::ar, Ok(day)) => lang.date(day),
        _ => iso.to_string(),
    }
}

/// A chart's rows for its table and CSV: the days as data, and as the page shows them.
fn chart_data(lang: Lang, value_column: &'static str, series: &DailySeries) -> ChartData {
    ChartData {
        columns: [td_string!(lang.locale, insights.day), value_column],
        rows: series.rows(),
        labels: series.days.iter().map(|d| day_text(lang, d)).collect(),
    }
}

fn report_view(r: InsightsReport) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let (from, to) = (day_text(lang, &r.from), day_text(lang, &r.to));
    let caption =
        move |chart: &str| td_string!(l, insights.caption, chart = chart, from = &from, to = &to).to_string();
    let enrollments_title = td_string!(l, insights.enrollments_title);
    // One program: its points per day. All: each program's total in its own unit.
    let points = match (
        r.points_issued.clone(),
        r.points_svg.clone(),
        r.points_by_program.first(),
    ) {
        (Some(series), Some(svg), Some(p)) => {
            let title = td_string!(l, insights.points_title, unit = p.unit.clone()).to_string();
            view! {
                <ChartFrame
                    title=title.clone()
                    caption=caption(&title)
                    svg=svg
                    data=chart_data(lang, td_string!(l, insights.kpi_points), &series)
                    file="points-issued.csv"
                    testid="chart-points"
                />
            }
            .into_any()
        }
        _ => view! { <p class="notice">{td!(l, insights.choose_program)}</p> }.into_any(),
    };
    view! {
        <div class="kpis">
            <div class="kpi card">
                <p class="muted">{td!(l, insights.kpi_enrolled)}</p>
                <p class="kpi-value" data-testid="kpi-enrolled">{lang.number(r.enrollments.total())}</p>
                <p class="hint">{td!(l, insights.kpi_enrolled_def)}</p>
            </div>
            <div class="kpi card" data-testid="kpi-points">
                <p class="muted">{td!(l, insights.points_by_program)}</p>
                <DataTable
                    columns=vec![td_string!(l, insights.column_program), td_string!(l, insights.column_points)]
                    numeric=&[1]
                    label=td_string!(l, insights.points_by_program)
                >
                    {r.points_by_program
                        .iter()
                        .map(|p| {
                            let points = td_string!(l, insights.points_with_unit, points = lang.number(p.points), unit = p.unit.clone()).to_string();
                            view! { <tr><td><bdi>{p.name.clone()}</bdi></td><td class="num">{points}</td></tr> }
                        })
                        .collect_view()}
                </DataTable>
                <p class="hint">{td!(l, insights.kpi_points_def)}</p>
            </div>
        </div>
        <ChartFrame
            title=enrollments_title
            caption=caption(enrollments_title)
            svg=r.enrollments_svg.clone()
            data=chart_data(lang, td_string!(l, insights.kpi_enrolled), &r.enrollments)
            file="new-members.csv"
            testid="chart-enrollments"
        />
        {points}
    }
}
