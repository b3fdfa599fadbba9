//! KPI charts drawn on the server with charts-rs, as SVG markup that the page embeds, so
//! charts show before (and without) any JavaScript.

use charts_rs::BarChart;
use serde_json::json;

use crate::error::AppError;
use crate::model::insights::DailySeries;

/// A bar chart of one value per day. Day labels drop the year ("11-23") to stay readable.
pub fn daily_bars(
    title: &str,
    series_name: &str,
    series: &DailySeries,
    color: &str,
) -> Result<String, AppError> {
    let labels: Vec<String> = series
        .days
        .iter()
        .map(|d| d.get(5..).unwrap_or(d).to_string())
        .collect();
    let rotate = labels.len() > 14;
    // Counts are whole: with a small maximum, one tick per unit instead of "0.5 members".
    let max = series.values.iter().copied().max().unwrap_or(0);
    let y_axis = if max < 6 {
        json!([{ "axis_min": 0, "axis_max": max.max(1), "axis_split_number": max.max(1) }])
    } else {
        json!([{ "axis_min": 0 }])
    };
    let spec = json!({
        "width": 720,
        "height": 300,
        "title_text": title,
        "legend_show": false,
        "series_colors": [color],
        "x_axis_data": labels,
        "x_axis_name_rotate": if rotate { 0.785 } else { 0.0 },
        "x_axis_height": if rotate { 52 } else { 30 },
        "y_axis_configs": y_axis,
        "empty_text": "No data for these days",
        "series_list": [{ "name": series_name, "data": series.values }],
    });
    BarChart::from_json(&spec.to_string())
        .and_then(|chart| chart.svg())
        .map_err(|e| {
            tracing::error!(error = %e, "chart rendering failed");
            AppError::Internal
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_svg_with_title_and_labels() {
        let s = DailySeries {
            days: vec!["2026-11-22".into(), "2026-11-23".into()],
            values: vec![3, 7],
        };
        let svg = daily_bars("Members enrolled per day", "Enrolled", &s, "#2f6f5e").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Members enrolled per day"));
        assert!(svg.contains("11-23"));
    }
}
