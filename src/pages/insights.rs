//! Insights for executives: new members per day and points issued by program (per day for
//! one program), as server-drawn charts, for a chosen date range and program.

pub mod channels;
pub mod help;
pub mod retention;
pub mod rewards;
pub mod satisfaction;
pub mod tiers;
pub mod value;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::insights::{insight_filters, load_insights};
use crate::components::chart::{ChartData, ChartFrame};
use crate::components::lang::use_lang;
use crate::components::states::{or_error, Loading};
use crate::components::table::DataTable;
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::i18n::{td, td_string, Locale};
use crate::model::insights::{
    DailySeries, FilterOptions, InsightsQuery, InsightsReport, Kpi, Overview, ProgramUnits, Unit,
};

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
    let number = move |k: &str| param(k).parse::<i64>().unwrap_or(0);
    let report = Resource::new(move || query_of(param), load_insights);
    let programs = Resource::new(move || number("program"), insight_filters);
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
                let filters = Filters::from_query(param, programs.unwrap_or_default(), true);
                let program = filters.program;
                Some(view! {
                    {tabs(l, "overview", program)}
                    {filters.view(lang, &report)}
                    {or_error(report, report_view)}
                })
            }}
        </Transition>
    }
}

/// A report of a filtered Insights page: the range it used (the defaults filled in).
pub(crate) trait Ranged {
    fn range(&self) -> (String, String);
}

macro_rules! ranged {
    ($($t:ty),*) => {
        $(impl Ranged for $t {
            fn range(&self) -> (String, String) {
                (self.from.clone(), self.to.clone())
            }
        })*
    };
}
ranged!(
    crate::model::insights::RetentionReport,
    crate::model::insights::ChannelsReport,
    crate::model::insights::TiersReport,
    crate::model::insights::RewardsReport,
    crate::model::survey::SatisfactionReport
);

/// A catalogue entry in the page's language.
pub(crate) type Words = fn(Locale) -> &'static str;

/// Which of the filters a page offers (the date range and program always).
#[derive(Clone, Copy)]
pub(crate) struct Offers {
    pub compare: bool,
    pub place: bool,
    pub tier: bool,
}

/// A filtered Insights page, for the roles that see Insights: its title and heading, the tabs, the filter form
/// (kept whatever the report answers, with the field errors of a refused filter) and the
/// report as `show` draws it. One boundary for the filters and the report: the server
/// waits for both, and the page hydrates from the same markup.
pub(crate) fn filtered_page<R, Fut, V>(
    tab: &'static str,
    words: (Words, Words),
    load: fn(InsightsQuery) -> Fut,
    offers: Offers,
    show: fn(R) -> V,
) -> impl IntoView
where
    R: Ranged + Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Fut: std::future::Future<Output = Result<R, AppError>> + Send + 'static,
    V: IntoView + 'static,
{
    view! {
        <crate::components::access::Gate allow=crate::model::user::Role::can_see_insights>
            {move || filtered_body(tab, words, load, offers, show)}
        </crate::components::access::Gate>
    }
}

fn filtered_body<R, Fut, V>(
    tab: &'static str,
    (title, heading): (Words, Words),
    load: fn(InsightsQuery) -> Fut,
    offers: Offers,
    show: fn(R) -> V,
) -> impl IntoView
where
    R: Ranged + Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    Fut: std::future::Future<Output = Result<R, AppError>> + Send + 'static,
    V: IntoView + 'static,
{
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let number = move |k: &str| param(k).parse::<i64>().unwrap_or(0);
    let report = Resource::new(move || query_of(param), load);
    let options = Resource::new(move || number("program"), insight_filters);
    let lang = use_lang();
    let l = lang.locale;
    view! {
        <Title text=title(l) />
        <h1>{heading(l)}</h1>
        <Transition fallback=move || view! { <Loading what=td_string!(l, insights.loading_what) /> }>
            {move || {
                let (report, options) = (report.get()?, options.get()?);
                let mut filters = Filters::from_query(param, options.unwrap_or_default(), false);
                filters.show_compare = offers.compare;
                filters.show_where = offers.place;
                filters.show_tier = offers.tier;
                let program = filters.program;
                let used = report.as_ref().ok().map(Ranged::range);
                let refused = report.as_ref().err().cloned();
                Some(view! {
                    {tabs(l, tab, program)}
                    {filters.form(lang, used, refused)}
                    {or_error(report, show)}
                })
            }}
        </Transition>
    }
}

/// The Insights filters of the query string `param` reads.
pub(crate) fn query_of(param: impl Fn(&str) -> String) -> InsightsQuery {
    InsightsQuery {
        from: param("from"),
        to: param("to"),
        program: param("program"),
        channel: param("channel"),
        store: param("store"),
        tier: param("tier"),
        compare: param("compare"),
        rate: param("rate"),
    }
}

/// The Insights pages as tabs, the current one marked, keeping the chosen program.
pub(crate) fn tabs(l: Locale, current: &'static str, program: i64) -> impl IntoView {
    let query = if program == 0 {
        String::new()
    } else {
        format!("?program={program}")
    };
    let tab = |key: &'static str, path: &str, label: &'static str| {
        let here = key == current;
        view! {
            <a href=format!("{path}{query}") class="tab" aria-current=here.then_some("page")>{label}</a>
        }
    };
    view! {
        <nav class="tabs" aria-label=td_string!(l, insights.tabs)>
            {tab("overview", "/insights", td_string!(l, insights.tab_overview))}
            {tab("value", "/insights/value", td_string!(l, insights.tab_value))}
            {tab("retention", "/insights/retention", td_string!(l, insights.tab_retention))}
            {tab("channels", "/insights/channels", td_string!(l, insights.tab_channels))}
            {tab("tiers", "/insights/tiers", td_string!(l, insights.tab_tiers))}
            {tab("rewards", "/insights/rewards", td_string!(l, insights.tab_rewards))}
            {tab("satisfaction", "/insights/satisfaction", td_string!(l, insights.tab_satisfaction))}
            {tab("help", "/insights/help", td_string!(l, insights.tab_help))}
        </nav>
    }
}

/// The filter form, kept whatever the report answers: a range it refuses shows its field
/// error here, with what was typed, so it can be put right.
pub(crate) struct Filters {
    /// As typed (the query string).
    from: String,
    to: String,
    program: i64,
    channel: String,
    store: i64,
    tier: i64,
    compare: String,
    rate: String,
    options: FilterOptions,
    /// Whether the IFRS 15 rate is asked for (the Overview) or not.
    show_rate: bool,
    /// Whether a comparison period can be chosen (Retention compares with the period before
    /// by itself).
    show_compare: bool,
    /// Whether a channel and a store can be chosen (Channels and stores shows them all).
    show_where: bool,
    /// Whether a tier can be chosen (Tiers shows them all; a redemption has none).
    show_tier: bool,
}

impl Filters {
    /// The filters of the query string `param` reads, with the choices `options`.
    pub(crate) fn from_query(
        param: impl Fn(&str) -> String,
        options: FilterOptions,
        show_rate: bool,
    ) -> Self {
        let number = |k: &str| param(k).parse::<i64>().unwrap_or(0);
        Filters {
            from: param("from"),
            to: param("to"),
            program: number("program"),
            channel: param("channel"),
            store: number("store"),
            tier: number("tier"),
            compare: param("compare"),
            rate: param("rate"),
            options,
            show_rate,
            show_compare: true,
            show_where: true,
            show_tier: true,
        }
    }

    /// `used` is the range the report used (the defaults filled in), None when it refused
    /// the filters, whose field errors `error` gives.
    pub(crate) fn view(self, lang: Lang, report: &Result<InsightsReport, AppError>) -> impl IntoView {
        let used = report.as_ref().ok().map(|r| (r.from.clone(), r.to.clone()));
        let error = report.as_ref().err().cloned();
        self.form(lang, used, error)
    }

    pub(crate) fn form(
        self,
        lang: Lang,
        used: Option<(String, String)>,
        refused: Option<AppError>,
    ) -> impl IntoView {
        let l = lang.locale;
        let error = |field: &str| refused.as_ref().and_then(|e| e.field_message(field));
        let (from_error, to_error, program_error) = (error("from"), error("to"), error("program"));
        let select = |id: &'static str,
                      label: &'static str,
                      all: &'static str,
                      chosen: String,
                      choices: Vec<(String, String)>| {
            let message = error(id);
            let invalid = message.is_some();
            let error_id = format!("{id}-error");
            view! {
                <div class="field" class:invalid=invalid>
                    <label for=id>{label}</label>
                    <select
                        id=id
                        name=id
                        aria-invalid=invalid.then_some("true")
                        aria-describedby=invalid.then(|| error_id.clone())
                    >
                        <option value="" selected=chosen.is_empty()>{all}</option>
                        {choices
                            .into_iter()
                            .map(|(value, name)| {
                                let selected = value == chosen;
                                view! { <option value=value selected=selected><bdi>{name}</bdi></option> }
                            })
                            .collect_view()}
                    </select>
                    {message.map(|e| view! { <p class="error" id=error_id role="alert">{e}</p> })}
                </div>
            }
        };
        let channels = vec![
            (
                "store".to_string(),
                td_string!(l, insights.channel_store).to_string(),
            ),
            ("web".to_string(), td_string!(l, insights.channel_web).to_string()),
            ("app".to_string(), td_string!(l, insights.channel_app).to_string()),
        ];
        let stores: Vec<(String, String)> = self
            .options
            .stores
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect();
        let tiers: Vec<(String, String)> = self
            .options
            .tiers
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect();
        let compares = vec![
            (
                "previous".to_string(),
                td_string!(l, insights.compare_previous).to_string(),
            ),
            (
                "year".to_string(),
                td_string!(l, insights.compare_year).to_string(),
            ),
        ];
        let id_text = |n: i64| if n == 0 { String::new() } else { n.to_string() };
        let narrowing = view! {
            {self.show_where.then(|| select("channel", td_string!(l, insights.channel), td_string!(l, insights.all_channels), self.channel.clone(), channels))}
            {self.show_where.then(|| select("store", td_string!(l, insights.store), td_string!(l, insights.all_stores), id_text(self.store), stores))}
            {self.show_tier.then(|| select("tier", td_string!(l, insights.tier), td_string!(l, insights.all_tiers), id_text(self.tier), tiers))}
            {self.show_compare.then(|| select("compare", td_string!(l, insights.compare), td_string!(l, insights.compare_none), self.compare.clone(), compares))}
        };
        let rate_error = error("rate");
        let rate_invalid = rate_error.is_some();
        let rate = self.show_rate.then(|| {
            view! {
                <div class="field" class:invalid=rate_invalid>
                    <label for="rate">{td!(l, insights.rate)}</label>
                    <input
                        id="rate"
                        name="rate"
                        inputmode="decimal"
                        value=self.rate.clone()
                        aria-invalid=rate_invalid.then_some("true")
                        aria-describedby=if rate_invalid { "rate-error rate-hint" } else { "rate-hint" }
                    />
                    <p class="hint" id="rate-hint">{td!(l, insights.rate_hint)}</p>
                    {rate_error.map(|e| view! { <p class="error" id="rate-error" role="alert">{e}</p> })}
                </div>
            }
        });
        // The dates the report used (the defaults filled in), else those typed.
        let (from, to) = used.unwrap_or((self.from, self.to));
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
                                .options
                                .programs
                                .into_iter()
                                .map(|(id, name)| view! { <option value=id selected=id.get() == selected>{name}</option> })
                                .collect_view()}
                        </select>
                        {program_error.map(|e| view! { <p class="error" id="program-error" role="alert">{e}</p> })}
                    </div>
                    {narrowing}
                    {rate}
                    <button type="submit" class="button">{td!(l, insights.show)}</button>
                </Form>
            </section>
        }
    }
}

/// A day as the page shows it: the ISO day in English (as the date inputs write it), the
/// language's own date in Arabic ("٣ ديسمبر ٢٠٢٦").
pub(crate) fn day_text(lang: Lang, iso: &str) -> String {
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

/// A KPI's name and one-line definition, from the catalogue.
pub(crate) fn kpi_words(l: Locale, key: &str) -> (&'static str, &'static str) {
    match key {
        "members" => (
            td_string!(l, insights.kpi_members),
            td_string!(l, insights.def_members),
        ),
        "new_members" => (
            td_string!(l, insights.kpi_new_members),
            td_string!(l, insights.def_new_members),
        ),
        "active" => (
            td_string!(l, insights.kpi_active),
            td_string!(l, insights.def_active),
        ),
        "participation" => (
            td_string!(l, insights.kpi_participation),
            td_string!(l, insights.def_participation),
        ),
        "buyers" => (
            td_string!(l, insights.kpi_buyers),
            td_string!(l, insights.def_buyers),
        ),
        "repeat_rate" => (
            td_string!(l, insights.kpi_repeat_rate),
            td_string!(l, insights.def_repeat_rate),
        ),
        "redeemers" => (
            td_string!(l, insights.kpi_redeemers),
            td_string!(l, insights.def_redeemers),
        ),
        "redeemer_share" => (
            td_string!(l, insights.kpi_redeemer_share),
            td_string!(l, insights.def_redeemer_share),
        ),
        "issued" => (
            td_string!(l, insights.kpi_issued),
            td_string!(l, insights.def_issued),
        ),
        "returned" => (
            td_string!(l, insights.kpi_returned),
            td_string!(l, insights.def_returned),
        ),
        "net_issued" => (
            td_string!(l, insights.kpi_net_issued),
            td_string!(l, insights.def_net_issued),
        ),
        "redeemed" => (
            td_string!(l, insights.kpi_redeemed),
            td_string!(l, insights.def_redeemed),
        ),
        "expired" => (
            td_string!(l, insights.kpi_expired),
            td_string!(l, insights.def_expired),
        ),
        "adjusted" => (
            td_string!(l, insights.kpi_adjusted),
            td_string!(l, insights.def_adjusted),
        ),
        "redemption_rate" => (
            td_string!(l, insights.kpi_redemption_rate),
            td_string!(l, insights.def_redemption_rate),
        ),
        "outstanding" => (
            td_string!(l, insights.kpi_outstanding),
            td_string!(l, insights.def_outstanding),
        ),
        "liability" => (
            td_string!(l, insights.kpi_liability),
            td_string!(l, insights.def_liability),
        ),
        "breakage" => (
            td_string!(l, insights.kpi_breakage),
            td_string!(l, insights.def_breakage),
        ),
        "orders" => (
            td_string!(l, insights.kpi_orders),
            td_string!(l, insights.def_orders),
        ),
        "sales" => (
            td_string!(l, insights.kpi_sales),
            td_string!(l, insights.def_sales),
        ),
        "refunds" => (
            td_string!(l, insights.kpi_refunds),
            td_string!(l, insights.def_refunds),
        ),
        "net_sales" => (
            td_string!(l, insights.kpi_net_sales),
            td_string!(l, insights.def_net_sales),
        ),
        "aov" => (td_string!(l, insights.kpi_aov), td_string!(l, insights.def_aov)),
        "frequency" => (
            td_string!(l, insights.kpi_frequency),
            td_string!(l, insights.def_frequency),
        ),
        "nps" => (td_string!(l, insights.kpi_nps), td_string!(l, insights.def_nps)),
        "channel_buyers" => (
            td_string!(l, insights.kpi_channel_buyers),
            td_string!(l, insights.def_channel_buyers),
        ),
        "multi_buyers" => (
            td_string!(l, insights.kpi_multi_buyers),
            td_string!(l, insights.def_multi_buyers),
        ),
        "multi_share" => (
            td_string!(l, insights.kpi_multi_share),
            td_string!(l, insights.def_multi_share),
        ),
        "multi_spend" => (
            td_string!(l, insights.kpi_multi_spend),
            td_string!(l, insights.def_multi_spend),
        ),
        "single_spend" => (
            td_string!(l, insights.kpi_single_spend),
            td_string!(l, insights.def_single_spend),
        ),
        "premium" => (
            td_string!(l, insights.kpi_premium),
            td_string!(l, insights.def_premium),
        ),
        "cohort_members" => (
            td_string!(l, insights.kpi_cohort_members),
            td_string!(l, insights.def_cohort_members),
        ),
        "active_now" => (
            td_string!(l, insights.kpi_active_now),
            td_string!(l, insights.def_active_now),
        ),
        "active_before" => (
            td_string!(l, insights.kpi_active_before),
            td_string!(l, insights.def_active_before),
        ),
        "churned" => (
            td_string!(l, insights.kpi_churned),
            td_string!(l, insights.def_churned),
        ),
        "churn_rate" => (
            td_string!(l, insights.kpi_churn_rate),
            td_string!(l, insights.def_churn_rate),
        ),
        "answers" => (
            td_string!(l, insights.kpi_answers),
            td_string!(l, insights.def_answers),
        ),
        "promoters" => (
            td_string!(l, insights.kpi_promoters),
            td_string!(l, insights.def_promoters),
        ),
        "passives" => (
            td_string!(l, insights.kpi_passives),
            td_string!(l, insights.def_passives),
        ),
        "detractors" => (
            td_string!(l, insights.kpi_detractors),
            td_string!(l, insights.def_detractors),
        ),
        "tiered" => (
            td_string!(l, insights.kpi_tiered),
            td_string!(l, insights.def_tiered),
        ),
        "tiered_share" => (
            td_string!(l, insights.kpi_tiered_share),
            td_string!(l, insights.def_tiered_share),
        ),
        "upgrades" => (
            td_string!(l, insights.kpi_upgrades),
            td_string!(l, insights.def_upgrades),
        ),
        "downgrades" => (
            td_string!(l, insights.kpi_downgrades),
            td_string!(l, insights.def_downgrades),
        ),
        "redemptions" => (
            td_string!(l, insights.kpi_redemptions),
            td_string!(l, insights.def_redemptions),
        ),
        "reward_redeemers" => (
            td_string!(l, insights.kpi_reward_redeemers),
            td_string!(l, insights.def_reward_redeemers),
        ),
        "use_rate" => (
            td_string!(l, insights.kpi_use_rate),
            td_string!(l, insights.def_use_rate),
        ),
        "expired_unused" => (
            td_string!(l, insights.kpi_expired_unused),
            td_string!(l, insights.def_expired_unused),
        ),
        "reward_points" => (
            td_string!(l, insights.kpi_reward_points),
            td_string!(l, insights.def_reward_points),
        ),
        "reward_points_value" => (
            td_string!(l, insights.kpi_reward_points_value),
            td_string!(l, insights.def_reward_points_value),
        ),
        "face_value" => (
            td_string!(l, insights.kpi_face_value),
            td_string!(l, insights.def_face_value),
        ),
        _ => ("", ""),
    }
}

/// A KPI value as the page writes it, in the program's units.
fn shown(lang: Lang, unit: Unit, value: Option<f64>, program: Option<&ProgramUnits>) -> String {
    let Some(v) = value else {
        return td_string!(lang.locale, insights.no_value).to_string();
    };
    match (unit, program) {
        (Unit::Count, _) => lang.number(v.round() as i64),
        (Unit::Score, _) => lang.number(v.round() as i64),
        (Unit::Points, Some(p)) => lang.points(v.round() as i64, &p.unit),
        (Unit::Money, Some(p)) => lang.money(v.round() as i64, &p.currency_code),
        (Unit::Share, _) => lang.percent(v),
        (Unit::Decimal, _) | (Unit::Points, None) | (Unit::Money, None) => lang.fixed(v, 2),
    }
}

/// A row of KPI cards: name, value, the comparison period's value, and the definition.
pub(crate) fn kpi_cards(
    lang: Lang,
    kpis: Vec<Kpi>,
    program: Option<ProgramUnits>,
    compared: bool,
) -> impl IntoView {
    let l = lang.locale;
    view! {
        <div class="kpis">
            {kpis
                .into_iter()
                .map(|k| {
                    let (label, definition) = kpi_words(l, &k.key);
                    let value = shown(lang, k.unit, k.value, program.as_ref());
                    let before = compared.then(|| {
                        let was = shown(lang, k.unit, k.previous, program.as_ref());
                        td_string!(l, insights.previous_value, value = was).to_string()
                    });
                    view! {
                        <div class="kpi card" data-testid=format!("kpi-{}", k.key)>
                            <p class="muted">{label}</p>
                            <p class="kpi-value">{value}</p>
                            {before.map(|b| view! { <p class="kpi-before">{b}</p> })}
                            <p class="hint">{definition}</p>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// The Overview: members, then (for one program) points, sales and the IFRS 15 deferral.
fn overview_view(lang: Lang, o: Overview) -> impl IntoView {
    let l = lang.locale;
    let compared = match (&o.compare_from, &o.compare_to) {
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
    let is_compared = compared.is_some();
    let backlog =
        (o.backlog > 0).then(|| td_string!(l, insights.backlog, count = lang.number(o.backlog)).to_string());
    let program = o.program.clone();
    let program_part = match program.clone() {
        Some(p) => {
            let ifrs = o.ifrs15.clone().map(|i| {
                let money = |m: i64| lang.money(m, &p.currency_code);
                let observed = td_string!(l, insights.ifrs_observed, rate = lang.percent(i.observed_rate)).to_string();
                view! {
                    <section class="card" data-testid="ifrs15" aria-labelledby="ifrs-heading">
                        <h2 id="ifrs-heading">{td!(l, insights.section_ifrs)}</h2>
                        <dl class="facts">
                            <dt>{td!(l, insights.ifrs_rate)}</dt>
                            <dd data-testid="ifrs-rate">{lang.percent(i.rate)}" "<span class="muted">{observed}</span></dd>
                            <dt>{td!(l, insights.ifrs_allocated)}</dt>
                            <dd>{money(i.allocated_minor)}</dd>
                            <dt>{td!(l, insights.ifrs_recognised)}</dt>
                            <dd>{money(i.recognised_minor)}</dd>
                            <dt>{td!(l, insights.ifrs_deferred)}</dt>
                            <dd data-testid="ifrs-deferred">{money(i.deferred_minor)}</dd>
                        </dl>
                        <p class="hint">{td!(l, insights.ifrs_def)}</p>
                    </section>
                }
            });
            let points_heading = td_string!(l, insights.section_points, unit = p.unit.clone()).to_string();
            let money_heading =
                td_string!(l, insights.section_money, currency = p.currency_code.clone()).to_string();
            view! {
                <h2>{points_heading}</h2>
                {kpi_cards(lang, o.points.clone(), Some(p.clone()), is_compared)}
                <h2>{money_heading}</h2>
                {kpi_cards(lang, o.money.clone(), Some(p.clone()), is_compared)}
                <p class="hint">{td!(l, insights.sales_share_note)}</p>
                {ifrs}
            }
            .into_any()
        }
        None => view! { <p class="notice">{td!(l, insights.choose_program_kpis)}</p> }.into_any(),
    };
    let (from, to) = (day_text(lang, &o.from), day_text(lang, &o.to));
    let caption =
        move |chart: &str| td_string!(l, insights.caption, chart = chart, from = &from, to = &to).to_string();
    let active_title = td_string!(l, insights.active_title);
    let sales = match (o.sales.clone(), o.sales_svg.clone(), &program) {
        (Some(series), Some(svg), Some(p)) => {
            let title = td_string!(l, insights.sales_title, currency = p.currency_code.clone()).to_string();
            Some(view! {
                <ChartFrame
                    title=title.clone()
                    caption=caption(&title)
                    svg=svg
                    data=chart_data(lang, td_string!(l, insights.sales_series), &series)
                    file="net-sales.csv"
                    testid="chart-sales"
                />
            })
        }
        _ => None,
    };
    view! {
        {backlog.map(|b| view! { <p class="notice" role="status">{b}</p> })}
        {compared.map(|c| view! { <p class="muted" data-testid="compared">{c}</p> })}
        <h2>{td!(l, insights.section_members)}</h2>
        {kpi_cards(lang, o.members.clone(), program.clone(), is_compared)}
        <p class="hint">{td!(l, insights.scope_note)}</p>
        {program_part}
        <ChartFrame
            title=active_title
            caption=caption(active_title)
            svg=o.active_svg.clone()
            data=chart_data(lang, td_string!(l, insights.active_series), &o.active)
            file="active-members.csv"
            testid="chart-active"
        />
        {sales}
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
        {overview_view(lang, r.overview.clone())}
        <div class="kpis">
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
