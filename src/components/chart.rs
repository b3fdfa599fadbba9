//! A chart as people read it: the server-drawn SVG, a caption, and the same numbers as a
//! table and as a CSV download beside it (for those who would rather read, cannot see the
//! drawing, or want to work on the figures).

use leptos::prelude::*;

use crate::components::lang::use_lang;
use crate::components::table::DataTable;
use crate::i18n::{td, td_string};

/// A series of (label, value) rows behind a chart, e.g. one row per day.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    /// The headings of the two columns ("Day", "Members enrolled"), in the page's language.
    pub columns: [&'static str; 2],
    /// The rows as data: the CSV has them as they are (ISO days, ASCII digits), whatever the
    /// page's language, so spreadsheets read them.
    pub rows: Vec<(String, i64)>,
    /// The row labels as the page's table shows them (a day in the page's language), by
    /// position; a row without one shows its label from `rows`.
    pub labels: Vec<String>,
}

/// Byte order mark: Excel reads a CSV as UTF-8 only when it starts with one.
const BOM: char = '\u{FEFF}';

impl ChartData {
    /// The rows as CSV (RFC 4180: a heading line, CRLF line ends, quoted where needed). A
    /// label that a spreadsheet would take for a formula (=, +, -, @ first) is prefixed with
    /// an apostrophe; the values are numbers and written as they are. A CSV with other than
    /// ASCII in it (Arabic headings) starts with a byte order mark, so that Excel does not
    /// read it as Latin-1.
    pub fn csv(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|(label, value)| vec![as_text(label), value.to_string()])
            .collect();
        table_csv(&self.columns, &rows)
    }
}

/// A table as CSV: the headings (guarded like labels), then `rows` as they are (callers
/// guard text cells with `as_text`; numbers are written in ASCII).
pub fn table_csv(columns: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // The writer writes to memory, which cannot fail, and every field is UTF-8 already.
    let _ = out.write_record(columns.iter().map(|c| as_text(c)));
    for row in rows {
        let _ = out.write_record(row);
    }
    let csv = String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default();
    if csv.is_ascii() {
        csv
    } else {
        format!("{BOM}{csv}")
    }
}

/// A text cell, guarded against being read as a formula by a spreadsheet.
pub fn as_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Everything but the unreserved characters of RFC 3986, percent-encoded.
const DATA_URL: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The CSV as a `data:` address, for a download link that works without JavaScript.
fn data_url(csv: &str) -> String {
    format!(
        "data:text/csv;charset=utf-8,{}",
        percent_encoding::utf8_percent_encode(csv, DATA_URL)
    )
}

/// A link that downloads `csv` as `file`, with or without JavaScript.
#[component]
pub fn CsvLink(csv: String, file: &'static str) -> impl IntoView {
    let lang = use_lang();
    view! {
        <a class="button ghost" href=data_url(&csv) download=file>
            {td_string!(lang.locale, common.chart.download, file = file)}
        </a>
    }
}

#[component]
pub fn ChartFrame(
    /// What the chart shows, as its accessible name ("Members enrolled per day"), in the
    /// page's language.
    #[prop(into)]
    title: String,
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
    let lang = use_lang();
    let csv = data.csv();
    let mut labels = data.labels.into_iter();
    view! {
        <figure class="card chart" aria-label=title data-testid=testid>
            // The drawing is laid out left to right (its axes and their labels are placed
            // by coordinates); the Arabic words in it still read right to left.
            <div class="svg" dir="ltr" inner_html=svg></div>
            <figcaption>{caption}</figcaption>
            <details>
                <summary>{td!(lang.locale, common.chart.numbers)}</summary>
                <DataTable columns=data.columns numeric=&[1]>
                    {data
                        .rows
                        .into_iter()
                        .map(|(label, value)| {
                            let label = labels.next().unwrap_or(label);
                            view! { <tr><td>{label}</td><td class="num">{lang.number(value)}</td></tr> }
                        })
                        .collect_view()}
                </DataTable>
                <CsvLink csv=csv file=file />
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
            labels: vec![],
        };
        assert_eq!(
            data.csv(),
            "Day,\"Points, issued\"\r\n2026-12-01,5\r\n\"a \"\"b\"\"\",-3\r\n"
        );
        assert_eq!(data_url("a,b\r\n"), "data:text/csv;charset=utf-8,a%2Cb%0D%0A");
        assert_eq!(data_url("Café ~x"), "data:text/csv;charset=utf-8,Caf%C3%A9%20~x");
        let formula = ChartData {
            columns: ["Store", "Orders"],
            rows: vec![("=HYPERLINK(1)".into(), -2)],
            labels: vec!["x".into()],
        };
        assert_eq!(formula.csv(), "Store,Orders\r\n'=HYPERLINK(1),-2\r\n");
        // Arabic headings: a byte order mark for Excel; the data stays ISO and ASCII.
        let arabic = ChartData {
            columns: ["اليوم", "النقاط"],
            rows: vec![("2026-12-01".into(), 1200)],
            labels: vec!["١ ديسمبر ٢٠٢٦".into()],
        };
        assert_eq!(arabic.csv(), "\u{FEFF}اليوم,النقاط\r\n2026-12-01,1200\r\n");
    }
}
