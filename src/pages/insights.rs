//! Insights for executives: enrollments and points issued per day, as server-drawn charts,
//! for a chosen date range and program.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::insights::load_insights;
use crate::components::chart::{ChartData, ChartFrame};
use crate::components::states::Loaded;
use crate::model::insights::InsightsReport;

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
    view! {
        <Title text="Insights" />
        <h1>"Insights"</h1>
        <Loaded what="charts" resource=report view=report_view />
    }
}

fn report_view(r: InsightsReport) -> impl IntoView {
    let selected = r.program_id.map_or(0, crate::model::ids::ProgramId::get);
    let range = format!("{} to {} (UTC)", r.from, r.to);
    view! {
        <section class="card">
            <Form method="GET" action="" attr:class="filters">
                <div class="field">
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" value=r.from.clone() />
                </div>
                <div class="field">
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" value=r.to.clone() />
                </div>
                <div class="field">
                    <label for="program">"Program"</label>
                    <select id="program" name="program">
                        <option value="0" selected=selected == 0>"All programs"</option>
                        {r.programs
                            .iter()
                            .map(|(id, name)| view! { <option value=*id selected=id.get() == selected>{name.clone()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" class="button">"Show"</button>
            </Form>
        </section>
        <div class="kpis">
            <div class="kpi card">
                <p class="muted">"Members enrolled"</p>
                <p class="kpi-value" data-testid="kpi-enrolled">{r.enrollments.total()}</p>
            </div>
            <div class="kpi card">
                <p class="muted">"Points issued"</p>
                <p class="kpi-value" data-testid="kpi-points">{r.points_issued.total()}</p>
            </div>
        </div>
        <ChartFrame
            title="Members enrolled per day"
            caption=format!("Members enrolled per day, {range}")
            svg=r.enrollments_svg.clone()
            data=ChartData { columns: ["Day", "Members enrolled"], rows: r.enrollments.rows() }
            file="enrollments.csv"
            testid="chart-enrollments"
        />
        <ChartFrame
            title="Points issued per day"
            caption=format!("Points issued per day, {range}")
            svg=r.points_svg.clone()
            data=ChartData { columns: ["Day", "Points issued"], rows: r.points_issued.rows() }
            file="points-issued.csv"
            testid="chart-points"
        />
    }
}
