//! Customer value: what members are worth and who may be slipping away, from the program's
//! last CLV fit (BG/NBD and Gamma-Gamma): KPIs, the models and their fit on a holdout, value
//! by tier, and the members at risk, each table with its CSV.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::insights::{insight_filters, load_value};
use crate::components::chart::{as_text, table_csv, CsvLink};
use crate::components::lang::use_lang;
use crate::components::states::{or_error, Loading};
use crate::components::table::DataTable;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::insights::{CustomerValue, ProgramUnits, ValueReport};
use crate::model::time::Timestamp;

use super::tabs;

/// Money for a CSV: whole units with the currency's decimals, "123.45", as spreadsheets read
/// it (the page shows it formatted).
pub(crate) fn major(minor: i64, code: &str) -> String {
    let exp = crate::domain::currency::exponent(code).unwrap_or(2);
    let sign = if minor < 0 { "-" } else { "" };
    let (per, abs) = (10_u64.pow(exp), minor.unsigned_abs());
    if exp == 0 {
        format!("{sign}{abs}")
    } else {
        format!("{sign}{}.{:0width$}", abs / per, abs % per, width = exp as usize)
    }
}

#[component]
pub fn ValuePage() -> impl IntoView {
    view! {
        <crate::components::access::Gate allow=crate::model::user::Role::can_see_insights>
            <ValueBody />
        </crate::components::access::Gate>
    }
}

#[component]
fn ValueBody() -> impl IntoView {
    let query = use_query_map();
    let typed = move || query.read().get("program").unwrap_or_default();
    let program = move || typed().parse::<i64>().unwrap_or(0);
    let report = Resource::new(typed, load_value);
    let options = Resource::new(|| 0, insight_filters);
    let lang = use_lang();
    let l = lang.locale;
    view! {
        <Title text=td_string!(l, insights.value_title) />
        <h1>{td!(l, insights.value_heading)}</h1>
        <Transition fallback=move || view! { <Loading what=td_string!(l, insights.loading_what) /> }>
            {move || {
                let (report, options) = (report.get()?, options.get()?);
                let chosen = report.as_ref().ok().and_then(|r| r.program.as_ref()).map_or(program(), |p| p.id.get());
                let error = report.as_ref().err().and_then(|e| e.field_message("program"));
                let invalid = error.is_some();
                let programs = options.map(|o| o.programs).unwrap_or_default();
                Some(view! {
                    {tabs(l, "value", chosen)}
                    <section class="card">
                        <Form method="GET" action="" attr:class="filters">
                            <div class="field" class:invalid=invalid>
                                <label for="program">{td!(l, insights.program)}</label>
                                <select
                                    id="program"
                                    name="program"
                                    aria-invalid=invalid.then_some("true")
                                    aria-describedby=invalid.then_some("program-error")
                                >
                                    {programs
                                        .into_iter()
                                        .map(|(id, name)| view! { <option value=id selected=id.get() == chosen>{name}</option> })
                                        .collect_view()}
                                </select>
                                {error.map(|e| view! { <p class="error" id="program-error" role="alert">{e}</p> })}
                            </div>
                            <button type="submit" class="button">{td!(l, insights.show)}</button>
                        </Form>
                    </section>
                    {or_error(report, value_view)}
                })
            }}
        </Transition>
    }
}

fn value_view(r: ValueReport) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let (Some(program), Some(value)) = (r.program.clone(), r.value.clone()) else {
        return view! { <p class="notice" data-testid="not-fitted">{td!(l, insights.not_fitted)}</p> }
            .into_any();
    };
    let code = program.currency_code.clone();
    let money = move |m: i64| lang.money(m, &code);
    let fitted = td_string!(
        l,
        insights.fitted_at,
        when = lang.date_time(Timestamp(value.fitted_at), None),
        seconds = lang.fixed(value.seconds, 1),
        customers = lang.number(value.customers as i64)
    )
    .to_string();
    let months = lang.number(i64::from(value.horizon_months));
    let card = |key: &'static str, label: &'static str, shown: String, definition: String| {
        view! {
            <div class="kpi card" data-testid=format!("kpi-{key}")>
                <p class="muted">{label}</p>
                <p class="kpi-value">{shown}</p>
                <p class="hint">{definition}</p>
            </div>
        }
    };
    let kpis = view! {
        <div class="kpis">
            {card("customers", td_string!(l, insights.kpi_customers), lang.number(value.customers as i64), td_string!(l, insights.def_customers).into())}
            {card("repeat", td_string!(l, insights.kpi_value_repeat), lang.percent(value.repeat_rate), td_string!(l, insights.def_value_repeat).into())}
            {card("frequency", td_string!(l, insights.kpi_orders_per_buyer), lang.fixed(value.orders_per_buyer, 2), td_string!(l, insights.def_orders_per_buyer).into())}
            {card("aov", td_string!(l, insights.kpi_value_aov), money(value.aov_minor), td_string!(l, insights.def_value_aov).into())}
            {card("historical", td_string!(l, insights.kpi_historical), money(value.avg_historical_minor), td_string!(l, insights.def_historical).into())}
            {card("predicted", td_string!(l, insights.kpi_predicted), money(value.avg_predicted_minor), td_string!(l, insights.def_predicted, months = months.clone()).to_string())}
        </div>
    };
    view! {
        <p class="muted" data-testid="fitted">{fitted}</p>
        {kpis}
        {model_view(lang, &value, &program.currency_code)}
        {holdout_view(lang, &value, r.holdout_svg.clone())}
        {tiers_view(lang, &value, &program)}
        {at_risk_view(lang, &r, &program)}
    }
    .into_any()
}

fn model_view(lang: Lang, v: &CustomerValue, currency: &str) -> impl IntoView {
    let l = lang.locale;
    let problem = v.problem.as_deref().map(|key| match key {
        "clv_too_little" => td_string!(l, insights.clv_too_little),
        "clv_spend_undefined" => td_string!(l, insights.clv_spend_undefined),
        "clv_no_convergence" => td_string!(l, insights.clv_no_convergence),
        "clv_spend_pooled" => td_string!(l, insights.clv_spend_pooled),
        _ => td_string!(l, insights.clv_failed),
    });
    let num = move |x: f64| lang.fixed(x, 3);
    let params = v.model.clone().map(|m| {
        let spend = match (m.p, m.q, m.gamma, m.gg_log_likelihood) {
            (Some(p), Some(q), Some(g), Some(ll)) => Some(
                view! {
                    <h3>{td!(l, insights.gg_heading)}</h3>
                    <dl class="facts" data-testid="gg-params">
                        <dt>"p"</dt><dd>{num(p)}</dd>
                        <dt>"q"</dt><dd>{num(q)}</dd>
                        <dt>"γ"</dt><dd>{num(g)}</dd>
                        <dt>{td!(l, insights.log_likelihood)}</dt><dd>{lang.fixed(ll, 1)}</dd>
                    </dl>
                }
                .into_any(),
            ),
            _ => m.pooled_spend_minor.map(|pooled| {
                view! {
                    <h3>{td!(l, insights.gg_pooled_heading)}</h3>
                    <dl class="facts" data-testid="gg-pooled">
                        <dt>{td!(l, insights.pooled_spend)}</dt>
                        <dd>{lang.money(pooled.round() as i64, currency)}</dd>
                    </dl>
                }
                .into_any()
            }),
        };
        view! {
            <h3>{td!(l, insights.bg_heading)}</h3>
            <dl class="facts" data-testid="bg-params">
                <dt>"r"</dt><dd>{num(m.r)}</dd>
                <dt>"α"</dt><dd>{num(m.alpha)}</dd>
                <dt>"a"</dt><dd>{num(m.a)}</dd>
                <dt>"b"</dt><dd>{num(m.b)}</dd>
                <dt>{td!(l, insights.log_likelihood)}</dt><dd>{lang.fixed(m.bg_log_likelihood, 1)}</dd>
            </dl>
            {spend}
        }
    });
    let definition = td_string!(
        l,
        insights.model_def,
        months = lang.number(i64::from(v.horizon_months)),
        discount = lang.percent(v.monthly_discount)
    )
    .to_string();
    view! {
        <section class="card" aria-labelledby="model-heading">
            <h2 id="model-heading">{td!(l, insights.model_heading)}</h2>
            {problem.map(|p| view! { <p class="notice" data-testid="clv-problem">{p}</p> })}
            {params}
            <p class="hint">{definition}</p>
        </section>
    }
}

fn holdout_view(lang: Lang, v: &CustomerValue, svg: Option<String>) -> impl IntoView {
    let l = lang.locale;
    let weeks = lang.number(i64::from(v.holdout_weeks));
    let title = td_string!(l, insights.holdout_title, weeks = weeks.clone()).to_string();
    let columns = [
        td_string!(l, insights.holdout_x),
        td_string!(l, insights.holdout_members),
        td_string!(l, insights.holdout_actual),
        td_string!(l, insights.holdout_predicted),
    ];
    let last = v.holdout.last().map(|r| r.x);
    let label = move |x: u32| {
        if Some(x) == last && x > 0 {
            format!("{x}+")
        } else {
            x.to_string()
        }
    };
    let rows: Vec<Vec<String>> = v
        .holdout
        .iter()
        .map(|r| {
            vec![
                label(r.x),
                r.members.to_string(),
                format!("{:.3}", r.actual),
                format!("{:.3}", r.predicted),
            ]
        })
        .collect();
    let csv = table_csv(&columns, &rows);
    let holdout = v.holdout.clone();
    let Some(svg) = svg else {
        return view! { <p class="notice" data-testid="holdout-none">{td!(l, insights.holdout_none)}</p> }
            .into_any();
    };
    view! {
            <figure class="card chart" aria-label=title.clone() data-testid="chart-holdout">
                <div class="svg" dir="ltr" inner_html=svg></div>
                <figcaption>{td_string!(l, insights.holdout_def, weeks = weeks.clone()).to_string()}</figcaption>
                <details>
                    <summary>{td!(l, common.chart.numbers)}</summary>
                    <DataTable columns=columns.to_vec() numeric=&[1, 2, 3] label=td_string!(l, insights.holdout_table)>
                        {holdout
                            .iter()
                            .map(|r| {
                                let x = lang.digits_of(&label(r.x));
                                view! {
                                    <tr>
                                        <td>{x}</td>
                                        <td class="num">{lang.number(r.members as i64)}</td>
                                        <td class="num">{lang.fixed(r.actual, 3)}</td>
                                        <td class="num">{lang.fixed(r.predicted, 3)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </DataTable>
                    <CsvLink csv=csv file="holdout.csv" />
                </details>
            </figure>
    }
    .into_any()
}

fn tiers_view(lang: Lang, v: &CustomerValue, program: &ProgramUnits) -> impl IntoView {
    let l = lang.locale;
    let columns = [
        td_string!(l, insights.column_tier),
        td_string!(l, insights.column_members),
        td_string!(l, insights.column_historical),
        td_string!(l, insights.column_predicted),
    ];
    let name = move |t: &str| {
        if t.is_empty() {
            td_string!(l, insights.no_tier).to_string()
        } else {
            t.to_string()
        }
    };
    let rows: Vec<Vec<String>> = v
        .tiers
        .iter()
        .map(|t| {
            vec![
                as_text(&name(&t.tier)),
                t.members.to_string(),
                t.historical_minor.to_string(),
                t.predicted_minor.to_string(),
            ]
        })
        .collect();
    let csv = table_csv(&columns, &rows);
    let code = program.currency_code.clone();
    let tier_rows = v
        .tiers
        .clone()
        .into_iter()
        .map(|t| {
            view! {
                <tr>
                    <td><bdi>{name(&t.tier)}</bdi></td>
                    <td class="num">{lang.number(t.members as i64)}</td>
                    <td class="num">{lang.money(t.historical_minor, &code)}</td>
                    <td class="num">{lang.money(t.predicted_minor, &code)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="tiers-heading" data-testid="value-tiers">
            <h2 id="tiers-heading">{td!(l, insights.tiers_title)}</h2>
            <DataTable columns=columns.to_vec() numeric=&[1, 2, 3] label=td_string!(l, insights.tiers_title)>
                {tier_rows}
            </DataTable>
            <CsvLink csv=csv file="value-by-tier.csv" />
        </section>
    }
}

fn at_risk_view(lang: Lang, r: &ValueReport, program: &ProgramUnits) -> impl IntoView {
    let l = lang.locale;
    let columns = [
        td_string!(l, insights.column_member),
        td_string!(l, insights.column_p_alive),
        td_string!(l, insights.column_spent),
        td_string!(l, insights.column_clv),
        td_string!(l, insights.column_last_purchase),
    ];
    let code = program.currency_code.clone();
    let rows: Vec<Vec<String>> = r
        .at_risk
        .iter()
        .map(|m| {
            vec![
                as_text(&m.name),
                format!("{:.4}", m.p_alive),
                major(m.historical_minor, &code),
                major(m.clv_minor, &code),
                m.last_purchase.clone(),
            ]
        })
        .collect();
    let csv = table_csv(&columns, &rows);
    let risk_rows = r
        .at_risk
        .clone()
        .into_iter()
        .map(|m| {
            let last = chrono::NaiveDate::parse_from_str(&m.last_purchase, "%Y-%m-%d")
                .map(|d| lang.date(d))
                .unwrap_or_default();
            view! {
                <tr>
                    <td><bdi>{m.name}</bdi></td>
                    <td class="num">{lang.percent(m.p_alive)}</td>
                    <td class="num">{lang.money(m.historical_minor, &code)}</td>
                    <td class="num">{lang.money(m.clv_minor, &code)}</td>
                    <td>{last}</td>
                </tr>
            }
        })
        .collect_view();
    let list = if r.at_risk.is_empty() {
        view! { <p class="empty">{td!(l, insights.at_risk_none)}</p> }.into_any()
    } else {
        view! {
            <DataTable columns=columns.to_vec() numeric=&[1, 2, 3] label=td_string!(l, insights.at_risk_title)>
                {risk_rows}
            </DataTable>
            <CsvLink csv=csv file="members-at-risk.csv" />
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="risk-heading" data-testid="at-risk">
            <h2 id="risk-heading">{td!(l, insights.at_risk_title)}</h2>
            <p class="hint">{td!(l, insights.at_risk_def)}</p>
            {list}
        </section>
    }
}
