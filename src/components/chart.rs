//! A chart as people read it: the server-drawn SVG, a caption, and the same numbers as a
//! table and as a CSV download beside it (for those who would rather read, cannot see the
//! drawing, or want to work on the figures).

use leptos::prelude::*;

use crate::components::table::DataTable;

/// A series of (label, value) rows behind a chart, e.g. one row per day.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// The headings of the two columns ("Day", "Members enrolled").
    pub columns: [&'static str; 2],
    pub rows: Vec<(String, i64)>,
}

impl ChartData {
    /// The rows as CSV (RFC 4180: a heading line, CRLF line ends, quoted where needed).
    pub fn csv(&self) -> String {
        let mut out = format!(
            "{},{}\r\n",
            csv_field(self.columns[0]),
            csv_field(self.columns[1])
        );
        for (label, value) in &self.rows {
            out.push_str(&format!("{},{value}\r\n", csv_field(label)));
        }
        out
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Percent-encodes text for a `data:` address (everything but unreserved characters).
fn data_url(csv: &str) -> String {
    let mut out = String::from("data:text/csv;charset=utf-8,");
    for b in csv.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[component]
pub fn ChartFrame(
    /// What the chart shows, as its accessible name ("Members enrolled per day").
    title: &'static str,
    /// The caption under it, which may add the period shown.
    caption: String,
    /// The SVG drawn on the server (charts-rs).
    svg: String,
    data: ChartData,
    /// The name of the CSV file offered ("enrollments.csv").
    file: &'static str,
    /// For end-to-end tests and styling.
    #[prop(optional)]
    testid: Option<&'static str>,
) -> impl IntoView {
    let href = data_url(&data.csv());
    view! {
        <figure class="card chart" aria-label=title data-testid=testid>
            <div class="svg" inner_html=svg></div>
            <figcaption>{caption}</figcaption>
            <details>
                <summary>"Numbers"</summary>
                <DataTable columns=data.columns numeric=&[1]>
                    {data
                        .rows
                        .into_iter()
                        .map(|(label, value)| view! { <tr><td>{label}</td><td class="num">{value}</td></tr> })
                        .collect_view()}
                </DataTable>
                <a class="button ghost" href=href download=file>{format!("Download {file}")}</a>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_ends_lines_with_crlf() {
        let data = ChartData {
            columns: ["Day", "Points, issued"],
            rows: vec![("2026-12-01".into(), 5), ("a \"b\"".into(), -3)],
        };
        assert_eq!(
            data.csv(),
            "Day,\"Points, issued\"\r\n2026-12-01,5\r\n\"a \"\"b\"\"\",-3\r\n"
        );
        assert_eq!(data_url("a,b\r\n"), "data:text/csv;charset=utf-8,a%2Cb%0D%0A");
    }
}
