//! KPI charts drawn on the server with charts-rs, as SVG markup that the page embeds, so
//! charts show before (and without) any JavaScript. Their words are in the page's language;
//! on an Arabic page their numbers are too (Arabic-Indic digits where the region writes them).

use charts_rs::BarChart;
use serde_json::json;

use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::i18n::{td_string, Locale};
use crate::model::insights::{DailySeries, HoldoutRow};
use crate::model::survey::NpsRow;

/// The width of the drawing, in SVG units.
const WIDTH: u32 = 720;

/// Members enrolled per day, in `lang`.
pub fn enrollments(lang: Lang, series: &DailySeries) -> Result<String, AppError> {
    daily_bars(
        lang,
        td_string!(lang.locale, insights.enrollments_title),
        td_string!(lang.locale, insights.enrollments_series),
        series,
        "#2f6f5e",
    )
}

/// One program's points issued per day, in `lang`; the title names the program's unit.
pub fn points_issued(lang: Lang, unit: &str, series: &DailySeries) -> Result<String, AppError> {
    daily_bars(
        lang,
        &td_string!(lang.locale, insights.points_title, unit = unit).to_string(),
        td_string!(lang.locale, insights.points_series),
        series,
        "#c0803a",
    )
}

/// Members active (bought or redeemed) per day, in `lang`.
pub fn active_members(lang: Lang, series: &DailySeries) -> Result<String, AppError> {
    daily_bars(
        lang,
        td_string!(lang.locale, insights.active_title),
        td_string!(lang.locale, insights.active_series),
        series,
        "#3d5a99",
    )
}

/// One program's net sales per day in whole units of its currency, in `lang`.
pub fn net_sales(lang: Lang, currency: &str, series: &DailySeries) -> Result<String, AppError> {
    daily_bars(
        lang,
        &td_string!(lang.locale, insights.sales_title, currency = currency).to_string(),
        td_string!(lang.locale, insights.sales_series),
        series,
        "#7a4f9a",
    )
}

/// Fit quality: average repeat purchases in the holdout weeks, actual beside predicted, for
/// members grouped by their repeat purchases before.
pub fn holdout(lang: Lang, weeks: u32, rows: &[HoldoutRow]) -> Result<String, AppError> {
    let l = lang.locale;
    let last = rows.last().map(|r| r.x);
    let labels: Vec<String> = rows
        .iter()
        .map(|r| {
            let n = lang.number(i64::from(r.x));
            if Some(r.x) == last && rows.len() > 1 {
                format!("{n}+")
            } else {
                n
            }
        })
        .collect();
    let round = |v: f64| (v * 100.0).round() / 100.0;
    let title = td_string!(l, insights.holdout_title, weeks = lang.number(i64::from(weeks))).to_string();
    let spec = json!({
        "width": WIDTH,
        "height": 300,
        "title_text": title,
        "legend_show": true,
        "series_colors": ["#2f6f5e", "#c0803a"],
        "x_axis_data": labels,
        "y_axis_configs": [{ "axis_min": 0 }],
        "empty_text": td_string!(l, insights.no_data),
        "series_list": [
            { "name": td_string!(l, insights.holdout_actual), "data": rows.iter().map(|r| round(r.actual)).collect::<Vec<_>>() },
            { "name": td_string!(l, insights.holdout_predicted), "data": rows.iter().map(|r| round(r.predicted)).collect::<Vec<_>>() },
        ],
    });
    render(&spec, lang, &title)
}

/// NPS per week or month (-100 to 100), one bar each; a period without answers has none.
pub fn nps(lang: Lang, rows: &[NpsRow]) -> Result<String, AppError> {
    let l = lang.locale;
    let title = td_string!(l, insights.nps_title);
    let labels: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
    // A period without answers is a gap (null), not an NPS of 0.
    let values: Vec<Option<f64>> = rows.iter().map(|r| r.counts.score().map(f64::round)).collect();
    let spec = json!({
        "width": WIDTH,
        "height": 300,
        "title_text": title,
        "legend_show": false,
        "series_colors": ["#2f6f5e"],
        "x_axis_data": labels,
        "x_axis_name_rotate": if labels.len() > 8 { 0.785 } else { 0.0 },
        "x_axis_height": if labels.len() > 8 { 60 } else { 30 },
        "y_axis_configs": [{ "axis_min": -100, "axis_max": 100, "axis_split_number": 4, "axis_formatter": "{t}" }],
        "empty_text": td_string!(l, insights.no_data),
        "series_list": [{ "name": td_string!(l, insights.nps_series), "data": values }],
    });
    render(&spec, lang, title)
}

/// The retention curve: the share of a cohort active in its month k since joining, in
/// percent, k = 0, 1, ... (a month no cohort has reached yet is left out).
pub fn retention_curve(lang: Lang, curve: &[Option<f64>]) -> Result<String, AppError> {
    let l = lang.locale;
    let title = td_string!(l, insights.retention_curve_title);
    let known: Vec<(usize, f64)> = curve
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.map(|v| (k, (v * 1000.0).round() / 10.0)))
        .collect();
    let spec = json!({
        "width": WIDTH,
        "height": 300,
        "title_text": title,
        "legend_show": false,
        "series_colors": ["#3d5a99"],
        "x_axis_data": known.iter().map(|(k, _)| lang.number(*k as i64)).collect::<Vec<_>>(),
        "y_axis_configs": [{ "axis_min": 0, "axis_max": 100, "axis_split_number": 4, "axis_formatter": "{t}%" }],
        "empty_text": td_string!(l, insights.no_data),
        "series_list": [{ "name": td_string!(l, insights.retention_series), "data": known.iter().map(|(_, v)| *v).collect::<Vec<_>>() }],
    });
    render(&spec, lang, title)
}

/// Net sales per channel in whole units of the program's currency; without a program
/// (currencies differ), orders per channel.
pub fn by_channel(
    lang: Lang,
    program: Option<&crate::model::insights::ProgramUnits>,
    rows: &[crate::model::insights::ChannelRow],
) -> Result<String, AppError> {
    let l = lang.locale;
    let (title, values): (String, Vec<i64>) = match program {
        Some(p) => {
            let per = 10_i64.pow(crate::domain::currency::exponent(&p.currency_code).unwrap_or(2));
            (
                td_string!(
                    l,
                    insights.channels_sales_title,
                    currency = p.currency_code.clone()
                )
                .to_string(),
                rows.iter().map(|r| r.net_sales_minor / per).collect(),
            )
        }
        None => (
            td_string!(l, insights.channels_orders_title).to_string(),
            rows.iter().map(|r| r.orders).collect(),
        ),
    };
    let y_axis = count_axis(l);
    let spec = json!({
        "width": WIDTH,
        "height": 300,
        "title_text": title,
        "legend_show": false,
        "series_colors": ["#7a4f9a"],
        "x_axis_data": rows.iter().map(|r| crate::model::insights::channel_label(l, &r.key)).collect::<Vec<_>>(),
        "y_axis_configs": [y_axis],
        "empty_text": td_string!(l, insights.no_data),
        "series_list": [{ "name": title, "data": values }],
    });
    render(&spec, lang, &title)
}

/// Memberships per tier at the end of each period: a group of bars per period, a bar per
/// tier (lowest first), with a legend.
pub fn tiers(
    lang: Lang,
    periods: &[String],
    tiers: &[crate::model::insights::TierRow],
    counts: &[Vec<i64>],
) -> Result<String, AppError> {
    const COLORS: [&str; 8] = [
        "#9aa5b1", "#b08d57", "#7d8c99", "#d4af37", "#3d5a99", "#7a4f9a", "#2f6f5e", "#c0504d",
    ];
    let l = lang.locale;
    let title = td_string!(l, insights.tiers_chart_title);
    let series: Vec<serde_json::Value> = tiers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            json!({
                "name": crate::model::insights::tier_label(l, t.tier_id, &t.name),
                "data": counts.iter().map(|c| c.get(i).copied().unwrap_or(0)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let y_axis = count_axis(l);
    let spec = json!({
        "width": WIDTH,
        "height": 320,
        "title_text": title,
        "legend_show": true,
        "series_colors": COLORS.iter().cycle().take(tiers.len().max(1)).collect::<Vec<_>>(),
        "x_axis_data": periods,
        "x_axis_name_rotate": if periods.len() > 8 { 0.785 } else { 0.0 },
        "x_axis_height": if periods.len() > 8 { 60 } else { 30 },
        "y_axis_configs": [y_axis],
        "empty_text": td_string!(l, insights.no_data),
        "series_list": series,
    });
    render(&spec, lang, title)
}

/// Redemptions of the most redeemed rewards (at most twelve), one bar each.
pub fn rewards(lang: Lang, rows: &[crate::model::insights::RewardRow]) -> Result<String, AppError> {
    let l = lang.locale;
    let title = td_string!(l, insights.rewards_chart_title);
    let top: Vec<&crate::model::insights::RewardRow> = rows
        .iter()
        .filter(|r| r.redeemed.redemptions > 0)
        .take(12)
        .collect();
    let y_axis = count_axis(l);
    let spec = json!({
        "width": WIDTH,
        "height": 320,
        "title_text": title,
        "legend_show": false,
        "series_colors": ["#b08d57"],
        "x_axis_data": top.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        "x_axis_name_rotate": if top.len() > 4 { 0.6 } else { 0.0 },
        "x_axis_height": if top.len() > 4 { 90 } else { 30 },
        "y_axis_configs": [y_axis],
        "empty_text": td_string!(l, insights.no_data),
        "series_list": [{ "name": td_string!(l, insights.kpi_redemptions), "data": top.iter().map(|r| r.redeemed.redemptions).collect::<Vec<_>>() }],
    });
    render(&spec, lang, title)
}

/// A y axis of counts or whole units from 0. English keeps charts-rs' short ticks ("1.4k");
/// Arabic has whole numbers ("1,400"), which `localize_texts` then writes as the language
/// does ("١٬٤٠٠"): a Latin "k" has no place in Arabic.
fn count_axis(l: Locale) -> serde_json::Value {
    let mut axis = json!({ "axis_min": 0 });
    if l != Locale::en {
        axis["axis_formatter"] = json!("{t}");
    }
    axis
}

/// A bar chart from its charts-rs JSON spec, its texts written in `lang` (see
/// `localize_texts`); `title` is the spec's title, which is centred.
fn render(spec: &serde_json::Value, lang: Lang, title: &str) -> Result<String, AppError> {
    BarChart::from_json(&spec.to_string())
        .and_then(|chart| chart.svg())
        .map(|svg| localize_texts(&svg, lang, title))
        .map_err(|e| {
            tracing::error!(error = %e, "chart rendering failed");
            AppError::Internal
        })
}

/// A day on the axis, short enough for thirty of them: "11-23" in English (the ISO day
/// without its year), "٢٣‏/١١" in Arabic (day, then month, as CLDR writes Arabic's short
/// dates, with the right-to-left mark that keeps that order).
fn axis_day(lang: Lang, iso: &str) -> String {
    match lang.locale {
        Locale::en => iso.get(5..).unwrap_or(iso).to_string(),
        Locale::ar => match chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
            Ok(day) => {
                use chrono::Datelike;
                lang.digits_of(&format!("{}\u{200F}/{}", day.day(), day.month()))
            }
            Err(_) => lang.digits_of(iso),
        },
    }
}

/// A bar chart of one value per day.
pub fn daily_bars(
    lang: Lang,
    title: &str,
    series_name: &str,
    series: &DailySeries,
    color: &str,
) -> Result<String, AppError> {
    let labels: Vec<String> = series.days.iter().map(|d| axis_day(lang, d)).collect();
    let rotate = labels.len() > 14;
    // Counts are whole: with a small maximum, one tick per unit instead of "0.5 members".
    let max = series.values.iter().copied().max().unwrap_or(0);
    let mut y_axis = count_axis(lang.locale);
    if max < 6 {
        y_axis["axis_max"] = json!(max.max(1));
        y_axis["axis_split_number"] = json!(max.max(1));
    }
    let spec = json!({
        "width": WIDTH,
        "height": 300,
        "title_text": title,
        "legend_show": false,
        "series_colors": [color],
        "x_axis_data": labels,
        "x_axis_name_rotate": if rotate { 0.785 } else { 0.0 },
        "x_axis_height": if rotate { 52 } else { 30 },
        "y_axis_configs": [y_axis],
        "empty_text": td_string!(lang.locale, insights.no_data),
        "series_list": [{ "name": series_name, "data": series.values }],
    });
    render(&spec, lang, title)
}

/// Goes over the `<text>` elements of charts-rs' SVG: centres the title on the drawing (charts-rs
/// centres it by its own font's measure, which knows no Arabic letters, and the browser draws
/// it in another font anyway), and writes the numbers of the axes in `lang`'s digits.
fn localize_texts(svg: &str, lang: Lang, title: &str) -> String {
    let mut out = String::with_capacity(svg.len() + 64);
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let (Some(open_end), Some(close)) = (rest.find('>'), rest.find("</text>")) else {
            break;
        };
        if close < open_end {
            break;
        }
        let (tag, content) = (&rest[..open_end], &rest[open_end + 1..close]);
        let text = content.trim();
        if text == title {
            out.push_str(&centred(tag));
            out.push('>');
            out.push_str(content);
        } else {
            out.push_str(tag);
            out.push('>');
            out.push_str(&content.replace(text, &number_text(lang, text)));
        }
        out.push_str("</text>");
        rest = &rest[close + "</text>".len()..];
    }
    out.push_str(rest);
    out
}

/// A `<text` start tag (without its `>`) placed at the middle of the drawing, anchored there.
fn centred(tag: &str) -> String {
    let Some(x) = tag.find(" x=\"") else {
        return tag.to_string();
    };
    let value_start = x + " x=\"".len();
    let Some(len) = tag[value_start..].find('"') else {
        return tag.to_string();
    };
    format!(
        "{} x=\"{}\" text-anchor=\"middle\"{}",
        &tag[..x],
        WIDTH / 2,
        &tag[value_start + len + 1..]
    )
}

/// A label of the drawing in `lang`: a whole number ("1,380") as `lang.number` writes it,
/// anything else with its digits in the language's.
fn number_text(lang: Lang, text: &str) -> String {
    if lang.locale == Locale::en || text.is_empty() {
        return text.to_string();
    }
    let plain = text.replace(',', "");
    match plain.parse::<i64>() {
        Ok(n) if plain.bytes().all(|b| b.is_ascii_digit() || b == b'-') => lang.number(n),
        _ => lang.digits_of(text),
    }
}

/// A campaign's revenue per member in each arm (control first), in `currency`'s units.
pub fn campaign_revenue(
    lang: Lang,
    currency: &str,
    arms: &[crate::model::campaign::ArmReport],
) -> Result<String, AppError> {
    let l = lang.locale;
    let title = td_string!(l, manage.campaigns.chart_title, code = currency.to_string()).to_string();
    let per_unit = crate::domain::currency::minor_per_unit(currency) as f64;
    let values: Vec<f64> = arms
        .iter()
        .map(|a| match a.members {
            0 => 0.0,
            n => (a.revenue_minor as f64 / n as f64 / per_unit * 100.0).round() / 100.0,
        })
        .collect();
    let spec = json!({
        "width": WIDTH,
        "height": 300,
        "title_text": title,
        "legend_show": false,
        "series_colors": ["#b08d57"],
        "x_axis_data": arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        "y_axis_configs": [{ "axis_min": 0 }],
        "empty_text": td_string!(l, insights.no_data),
        "series_list": [{ "name": title, "data": values, "label_show": true }],
    });
    render(&spec, lang, &title)
}

/// A journey's funnel: members who passed each step (by its number) and members at it now.
pub fn journey_steps(lang: Lang, report: &crate::model::journey::JourneyReport) -> Result<String, AppError> {
    let l = lang.locale;
    let title = td_string!(l, manage.journeys.chart_title);
    let passed: Vec<i64> = report
        .steps
        .iter()
        .map(|s| s.outcomes.iter().map(|(_, n)| n).sum())
        .collect();
    let here: Vec<i64> = report.steps.iter().map(|s| s.here).collect();
    let spec = json!({
        "width": WIDTH,
        "height": 300,
        "title_text": title,
        "legend_show": true,
        "series_colors": ["#2f6f5e", "#b08d57"],
        "x_axis_data": report.steps.iter().map(|s| lang.number(s.number as i64)).collect::<Vec<_>>(),
        "y_axis_configs": [count_axis(l)],
        "empty_text": td_string!(l, insights.no_data),
        "series_list": [
            { "name": td_string!(l, manage.journeys.passed), "data": passed },
            { "name": td_string!(l, manage.journeys.here), "data": here },
        ],
    });
    render(&spec, lang, title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series() -> DailySeries {
        DailySeries {
            days: vec!["2026-11-22".into(), "2026-11-23".into()],
            values: vec![3, 1_380],
        }
    }

    #[test]
    fn renders_svg_with_title_and_labels() {
        let svg = daily_bars(
            Lang::ENGLISH,
            "Members enrolled per day",
            "Enrolled",
            &series(),
            "#2f6f5e",
        )
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Members enrolled per day"));
        assert!(svg.contains("11-23"));
        assert!(svg.contains("1.4k"), "{svg}");
        // The title is centred on the drawing.
        assert!(svg.contains("x=\"360\" text-anchor=\"middle\""), "{svg}");
    }

    #[test]
    fn arabic_charts_have_arabic_words_and_digits() {
        let svg = enrollments(Lang::ARABIC, &series()).unwrap();
        assert!(svg.contains("الأعضاء الجدد يوميًا"), "{svg}");
        assert!(svg.contains("x=\"360\" text-anchor=\"middle\""), "{svg}");
        // Days as "23/11", the Arabic way, and whole ticks in Arabic-Indic digits.
        assert!(svg.contains("\n٢٣\u{200F}/١١\n"), "{svg}");
        assert!(svg.contains("\n٠\n"), "{svg}");
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")))
            .map(|(content, _)| content.trim())
            .collect();
        assert!(texts.len() > 4);
        for text in texts {
            assert!(
                !text.bytes().any(|b| b.is_ascii_alphanumeric()),
                "{text:?} in {svg}"
            );
        }
        // Morocco's Arabic keeps Western digits, with its own separators.
        let ma = Lang::from_tag("ar-MA").unwrap();
        let svg = points_issued(ma, "نقطة", &series()).unwrap();
        assert!(svg.contains("النقاط الممنوحة يوميًا (نقطة)"), "{svg}");
        assert!(svg.contains("\n23\u{200F}/11\n"), "{svg}");
    }

    #[test]
    fn an_empty_range_says_so_in_the_language() {
        let empty = DailySeries {
            days: vec![],
            values: vec![],
        };
        let svg = enrollments(Lang::ARABIC, &empty).unwrap();
        assert!(svg.contains("لا توجد بيانات لهذه الأيام"), "{svg}");
    }
}
