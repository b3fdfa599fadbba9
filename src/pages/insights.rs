//! Insights for executives: enrollments and points issued per day, as server-drawn charts,
//! for a chosen date range and program.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::insights::load_insights;
use crate::components::chart::{ChartData, ChartFrame};
use crate::components::lang::use_lang;
use crate::components::states::Loaded;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string, Locale};
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
    let l = use_lang().locale;
    view! {
        <Title text=td_string!(l, insights.title) />
        <h1>{td!(l, insights.heading)}</h1>
        <Loaded what=td_string!(l, insights.loading_what) resource=report view=report_view />
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
    let selected = r.program_id.map_or(0, crate::model::ids::ProgramId::get);
    let (from, to) = (day_text(lang, &r.from), day_text(lang, &r.to));
    let caption =
        move |chart: &str| td_string!(l, insights.caption, chart = chart, from = &from, to = &to).to_string();
    let (enrollments_title, points_title) = (
        td_string!(l, insights.enrollments_title),
        td_string!(l, insights.points_title),
    );
    view! {
        <section class="card">
            <Form method="GET" action="" attr:class="filters">
                <div class="field">
                    <label for="from">{td!(l, insights.from)}</label>
                    <input id="from" name="from" type="date" value=r.from.clone() />
                </div>
                <div class="field">
                    <label for="to">{td!(l, insights.to)}</label>
                    <input id="to" name="to" type="date" value=r.to.clone() />
                </div>
                <div class="field">
                    <label for="program">{td!(l, insights.program)}</label>
                    <select id="program" name="program">
                        <option value="0" selected=selected == 0>{td!(l, insights.all_programs)}</option>
                        {r.programs
                            .iter()
                            .map(|(id, name)| view! { <option value=*id selected=id.get() == selected>{name.clone()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" class="button">{td!(l, insights.show)}</button>
            </Form>
        </section>
        <div class="kpis">
            <div class="kpi card">
                <p class="muted">{td!(l, insights.kpi_enrolled)}</p>
                <p class="kpi-value" data-testid="kpi-enrolled">{lang.number(r.enrollments.total())}</p>
            </div>
            <div class="kpi card">
                <p class="muted">{td!(l, insights.kpi_points)}</p>
                <p class="kpi-value" data-testid="kpi-points">{lang.number(r.points_issued.total())}</p>
            </div>
        </div>
        <ChartFrame
            title=enrollments_title
            caption=caption(enrollments_title)
            svg=r.enrollments_svg.clone()
            data=chart_data(lang, td_string!(l, insights.kpi_enrolled), &r.enrollments)
            file="enrollments.csv"
            testid="chart-enrollments"
        />
        <ChartFrame
            title=points_title
            caption=caption(points_title)
            svg=r.points_svg.clone()
            data=chart_data(lang, td_string!(l, insights.kpi_points), &r.points_issued)
            file="points-issued.csv"
            testid="chart-points"
        />
    }
}
