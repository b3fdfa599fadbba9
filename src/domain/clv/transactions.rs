//! Transaction logs in, one calibration summary per customer out.
//!
//! The file: one purchase a line, comma-separated (quoted fields allowed) or separated by
//! spaces and tabs, which the first non-blank line decides for the whole file. Its number of
//! fields decides the layout, again for the whole file:
//!
//! - 3: `id, date, amount`
//! - 4: `id, date, quantity, amount`
//! - 5: `id, (ignored), date, quantity, amount`, CDNOW's `master_id sample_id YYYYMMDD cds
//!   dollars`
//!
//! Dates are YYYYMMDD or YYYY-MM-DD, one of the two throughout. The first line is a header
//! when neither its date nor its amount reads as one. Amounts may be zero or negative
//! (returns); the quantity must be a number and is otherwise unused. Blank lines are
//! skipped. Any other deviation (a line with another number of fields, a comma in a
//! whitespace-separated file, the other date format, a field that does not read) is reported
//! with its line number, and nothing is summarised.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use super::bgnbd::Rfm;

/// The unit of t_x, T and the expectations' horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Week,
    Day,
}

impl TimeUnit {
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Week => 7.0,
            TimeUnit::Day => 1.0,
        }
    }

    /// Plural, for messages ("39.0 weeks").
    pub fn plural(self) -> &'static str {
        match self {
            TimeUnit::Week => "weeks",
            TimeUnit::Day => "days",
        }
    }
}

impl FromStr for TimeUnit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "week" => Ok(TimeUnit::Week),
            "day" => Ok(TimeUnit::Day),
            _ => Err(format!("time unit {s:?}: expected week or day")),
        }
    }
}

/// A line that cannot be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// The purchases of each customer, same-day purchases merged (amounts summed), by date.
#[derive(Debug, Clone, Default)]
pub struct TransactionLog {
    /// Customer ids in the order of their first line.
    pub ids: Vec<String>,
    /// Per customer (same index as `ids`): (day, total spent that day), sorted by day.
    pub purchases: Vec<Vec<(NaiveDate, f64)>>,
    /// Purchase lines read (before merging same-day ones).
    pub lines: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Separator {
    Comma,
    Whitespace,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum DateFormat {
    Compact,
    Dashed,
}

impl DateFormat {
    fn name(self) -> &'static str {
        match self {
            DateFormat::Compact => "YYYYMMDD",
            DateFormat::Dashed => "YYYY-MM-DD",
        }
    }
}

/// Reads a date in either accepted format, saying which.
fn read_date(s: &str) -> Option<(NaiveDate, DateFormat)> {
    let b = s.as_bytes();
    if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
        return NaiveDate::parse_from_str(s, "%Y%m%d")
            .ok()
            .map(|d| (d, DateFormat::Compact));
    }
    let dashed = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if dashed {
        return NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(|d| (d, DateFormat::Dashed));
    }
    None
}

/// A date as a command-line argument: YYYY-MM-DD or YYYYMMDD.
pub fn parse_date_arg(s: &str) -> Result<NaiveDate, String> {
    read_date(s.trim())
        .map(|(d, _)| d)
        .ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

fn read_number(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The (line number, fields) of every non-blank line.
fn records(text: &str, sep: Separator) -> impl Iterator<Item = (usize, Result<Vec<String>, String>)> + '_ {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(move |(i, l)| {
            let fields = match sep {
                Separator::Comma => split_csv_line(l),
                Separator::Whitespace if l.contains(',') => {
                    Err("a comma in a whitespace-separated file (mixed formats)".to_string())
                }
                Separator::Whitespace => Ok(l.split_whitespace().map(str::to_string).collect()),
            };
            (i + 1, fields)
        })
}

/// One CSV line's fields, trimmed: a field may be quoted ("Smith, J"), a quote inside it
/// doubled. A record is one line (line numbers stay the file's), so a quoted field cannot
/// hold a line break.
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.trim_start().strip_prefix('"') {
            let mut field = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    Some((i, '"')) if quoted[i + 1..].starts_with('"') => {
                        field.push('"');
                        chars.next();
                    }
                    Some((i, '"')) => break quoted[i + 1..].trim_start(),
                    Some((_, c)) => field.push(c),
                    None => return Err("a quoted field is not closed on its line".into()),
                }
            };
            fields.push(field);
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => return Err("text after a quoted field's closing quote".into()),
            }
        } else {
            match rest.split_once(',') {
                Some((field, next)) => {
                    fields.push(field.trim().to_string());
                    rest = next;
                }
                None => {
                    fields.push(rest.trim().to_string());
                    return Ok(fields);
                }
            }
        }
    }
}

/// Reads a transaction log (see the module's description for the format). All bad lines
/// are returned, in order.
pub fn parse(text: &str) -> Result<TransactionLog, Vec<LineError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        return Err(vec![LineError {
            line: 1,
            reason: "the file has no transactions".into(),
        }]);
    };
    let sep = if first.contains(',') {
        Separator::Comma
    } else {
        Separator::Whitespace
    };
    let mut recs = records(text, sep).peekable();
    // The first non-blank line is a record, and decides the layout: positions of (id, date,
    // quantity, amount).
    let first_line = recs.peek().map_or(1, |(line, _)| *line);
    let width = match recs.peek().map(|(_, fields)| fields) {
        Some(Ok(f)) => f.len(),
        Some(Err(reason)) => {
            return Err(vec![LineError {
                line: first_line,
                reason: reason.clone(),
            }]);
        }
        None => 0,
    };
    let mut errors = Vec::new();
    let (date_at, quantity_at, amount_at) = match width {
        3 => (1, None, 2),
        4 => (1, Some(2), 3),
        5 => (2, Some(3), 4),
        n => {
            return Err(vec![LineError {
                line: first_line,
                reason: format!(
                    "{n} field{}; expected 3 (id, date, amount), 4 (id, date, quantity, amount) or 5 \
                     (id, ignored, date, quantity, amount)",
                    if n == 1 { "" } else { "s" }
                ),
            }]);
        }
    };
    let sep_name = match sep {
        Separator::Comma => "comma-separated",
        Separator::Whitespace => "whitespace-separated",
    };
    let mut log = TransactionLog::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut format: Option<DateFormat> = None;
    for (k, (line, fields)) in recs.enumerate() {
        let fields = match fields {
            Ok(f) => f,
            Err(reason) => {
                errors.push(LineError { line, reason });
                continue;
            }
        };
        let bad = |reason: String| LineError { line, reason };
        if fields.len() != width {
            errors.push(bad(format!(
                "{} field{}, but the file's first line has {width} ({sep_name}; mixed formats?)",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            )));
            continue;
        }
        let date = read_date(&fields[date_at]);
        let amount = read_number(&fields[amount_at]);
        if k == 0 && date.is_none() && amount.is_none() {
            continue; // a header
        }
        let mut reasons = Vec::new();
        let id = fields[0].as_str();
        if id.is_empty() {
            reasons.push("the customer id is empty".to_string());
        }
        match date {
            None => reasons.push(format!(
                "{:?} is not a date (YYYYMMDD or YYYY-MM-DD)",
                fields[date_at]
            )),
            Some((_, f)) if format.is_some_and(|g| g != f) => reasons.push(format!(
                "date {:?} is not in the {} format of the file's first dates (mixed formats)",
                fields[date_at],
                format.map_or("", DateFormat::name)
            )),
            Some((_, f)) => format = Some(f),
        }
        if let Some(q) = quantity_at {
            if read_number(&fields[q]).is_none() {
                reasons.push(format!("quantity {:?} is not a number", fields[q]));
            }
        }
        if amount.is_none() {
            reasons.push(format!("amount {:?} is not a number", fields[amount_at]));
        }
        if !reasons.is_empty() {
            errors.push(bad(reasons.join("; ")));
            continue;
        }
        let (Some((day, _)), Some(amount)) = (date, amount) else {
            continue;
        };
        let i = *index.entry(id.to_string()).or_insert_with(|| {
            log.ids.push(id.to_string());
            log.purchases.push(Vec::new());
            log.ids.len() - 1
        });
        log.purchases[i].push((day, amount));
        log.lines += 1;
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if log.lines == 0 {
        return Err(vec![LineError {
            line: 1,
            reason: "the file has a header but no transactions".into(),
        }]);
    }
    for days in &mut log.purchases {
        days.sort_by_key(|(d, _)| *d);
        days.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                earlier.1 += later.1;
            }
            same
        });
    }
    Ok(log)
}

/// One customer's calibration summary and holdout count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CustomerSummary {
    /// Index into [`TransactionLog::ids`].
    pub customer: usize,
    pub rfm: Rfm,
    /// Mean spend of the repeat purchases in the calibration period (0 when x = 0).
    pub m_x: f64,
    /// Purchase days in (calibration end, holdout end]; 0 without a holdout.
    pub holdout_purchases: u32,
}

/// The customers summarised, and how many were left out.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub customers: Vec<CustomerSummary>,
    /// Customers whose first purchase is after the calibration end: they have no history to
    /// fit or score.
    pub left_out: usize,
}

/// The standard RFM summary (lifetimes' `summary_data_from_transaction_data`): the first
/// purchase is the customer's birth and not counted; x is the number of later purchase days
/// up to the calibration end, t_x the time from the first purchase to the last of them, T the
/// time from the first purchase to the calibration end, in `unit` (fractional weeks for
/// weeks), and m_x the mean of those repeat days' amounts.
pub fn summarize(
    log: &TransactionLog,
    calibration_end: NaiveDate,
    holdout_end: Option<NaiveDate>,
    unit: TimeUnit,
) -> Summary {
    let mut out = Summary::default();
    let span = |from: NaiveDate, to: NaiveDate| (to - from).num_days() as f64 / unit.days();
    for (customer, days) in log.purchases.iter().enumerate() {
        let Some(&(first, _)) = days.first() else { continue };
        if first > calibration_end {
            out.left_out += 1;
            continue;
        }
        let repeat: Vec<&(NaiveDate, f64)> = days[1..]
            .iter()
            .take_while(|(d, _)| *d <= calibration_end)
            .collect();
        let x = repeat.len() as u32;
        let t_x = repeat.last().map_or(0.0, |(d, _)| span(first, *d));
        let m_x = if x == 0 {
            0.0
        } else {
            repeat.iter().map(|(_, a)| a).sum::<f64>() / f64::from(x)
        };
        let holdout_purchases = holdout_end.map_or(0, |end| {
            days.iter()
                .filter(|(d, _)| *d > calibration_end && *d <= end)
                .count() as u32
        });
        out.customers.push(CustomerSummary {
            customer,
            rfm: Rfm {
                x,
                t_x,
                t: span(first, calibration_end),
            },
            m_x,
            holdout_purchases,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        parse_date_arg(s).unwrap()
    }

    fn lines_of(errors: &[LineError]) -> Vec<usize> {
        errors.iter().map(|e| e.line).collect()
    }

    #[test]
    fn reads_the_three_layouts_with_and_without_header() {
        let three = "id,date,amount\nA,2020-01-01,10\nB,2020-01-02,5.5\nA,2020-01-05,-2\n";
        let log = parse(three).unwrap();
        assert_eq!(log.ids, ["A", "B"]);
        assert_eq!(
            log.purchases[0],
            [(date("2020-01-01"), 10.0), (date("2020-01-05"), -2.0)]
        );
        assert_eq!(log.lines, 3);
        // Same data, no header, four columns.
        let four = "A,20200101,1,10\nB,20200102,2,5.5\nA,20200105,1,-2\n";
        let log4 = parse(four).unwrap();
        assert_eq!(
            (log4.ids.clone(), log4.purchases.clone()),
            (log.ids.clone(), log.purchases.clone())
        );
        // CDNOW: five whitespace-separated columns, leading spaces, no header.
        let cdnow = " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n\n 00021 0002 19970101  3   63.34\n";
        let log5 = parse(cdnow).unwrap();
        assert_eq!(log5.ids, ["00004", "00021"]);
        assert_eq!(log5.purchases[0][1], (date("1997-01-18"), 29.73));
        // A whitespace-separated header, tabs, and a quoted CSV id with a comma.
        let tabbed = "customer\tday\tqty\tspend\nX\t2021-03-01\t1\t4\n";
        assert_eq!(parse(tabbed).unwrap().ids, ["X"]);
        let quoted = "\"Smith, J\",2021-03-01,4\n";
        assert_eq!(parse(quoted).unwrap().ids, ["Smith, J"]);
    }

    #[test]
    fn splits_csv_lines() {
        let split = |l: &str| split_csv_line(l).unwrap();
        assert_eq!(split("a, b ,c"), ["a", "b", "c"]);
        assert_eq!(
            split("\"Smith, J\", 2020-01-01 ,\"say \"\"hi\"\"\""),
            ["Smith, J", "2020-01-01", "say \"hi\""]
        );
        assert_eq!(split("a,,"), ["a", "", ""]);
        assert!(split_csv_line("\"open,1,2").is_err());
        assert!(split_csv_line("\"a\"b,1,2").is_err());
    }

    #[test]
    fn merges_purchases_of_one_day() {
        let log = parse("A 20200101 1 10\nA 20200101 2 5\nA 20200103 1 1\nA 20200101 1 2.5\n").unwrap();
        assert_eq!(
            log.purchases[0],
            [(date("2020-01-01"), 17.5), (date("2020-01-03"), 1.0)]
        );
        assert_eq!(log.lines, 4);
    }

    #[test]
    fn reports_bad_lines_with_their_numbers() {
        let text = "id,date,amount\nA,2020-01-01,10\nB,2020-13-01,5\n\nC,2020-01-02,ten\n,2020-01-02,1\nD,2020-01-02\n";
        let errors = parse(text).unwrap_err();
        assert_eq!(lines_of(&errors), [3, 5, 6, 7]);
        assert!(errors[0].reason.contains("not a date"), "{}", errors[0]);
        assert!(errors[1].reason.contains("amount \"ten\""), "{}", errors[1]);
        assert!(errors[2].reason.contains("id is empty"), "{}", errors[2]);
        assert!(errors[3].reason.contains("2 fields"), "{}", errors[3]);
        assert_eq!(
            errors[0].to_string(),
            "line 3: \"2020-13-01\" is not a date (YYYYMMDD or YYYY-MM-DD)"
        );
    }

    #[test]
    fn refuses_mixed_formats() {
        // A whitespace-separated line in a CSV file.
        let errors = parse("A,2020-01-01,10\nB 2020-01-02 5\n").unwrap_err();
        assert_eq!(lines_of(&errors), [2]);
        // A comma line in a whitespace-separated file.
        let errors = parse("A 2020-01-01 10\nB,2020-01-02,5\nC 2020-01-03 1\n").unwrap_err();
        assert_eq!(lines_of(&errors), [2]);
        assert!(errors[0].reason.contains("mixed formats"));
        // The other date format.
        let errors = parse("A,20200101,10\nB,2020-01-02,5\n").unwrap_err();
        assert_eq!(lines_of(&errors), [2]);
        assert!(errors[0].reason.contains("YYYYMMDD format"), "{}", errors[0]);
        // Another layout halfway.
        let errors = parse("A,2020-01-01,10\nB,2020-01-02,1,5\n").unwrap_err();
        assert_eq!(lines_of(&errors), [2]);
        // Not a layout at all.
        let errors = parse("A;2020-01-01;10\n").unwrap_err();
        assert!(errors[0].reason.contains("1 field; expected 3"), "{}", errors[0]);
        assert!(parse("\n \n").is_err());
        assert!(parse("id,date,amount\n").is_err());
    }

    #[test]
    fn a_first_line_with_a_bad_date_but_an_amount_is_no_header() {
        let errors = parse("A,2020-02-30,10\nB,2020-01-02,5\n").unwrap_err();
        assert_eq!(lines_of(&errors), [1]);
    }

    #[test]
    fn summarises_like_lifetimes() {
        // CDNOW customer 00004: bought on 01-01, 01-18, 08-02 and 12-12 of 1997.
        let log = parse(
            " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n 00004 0001 19970802  1   14.96\n \
             00004 0001 19971212  2   26.48\n 00099 0099 19971001 1 5\n 00007 0007 19970930 1 3\n",
        )
        .unwrap();
        let s = summarize(&log, date("1997-09-30"), Some(date("1998-06-30")), TimeUnit::Week);
        assert_eq!(s.left_out, 1, "00099 starts after the calibration end");
        let c = s.customers[0];
        assert_eq!(c.rfm.x, 2);
        assert!((c.rfm.t_x - 213.0 / 7.0).abs() < 1e-12 && (c.rfm.t - 272.0 / 7.0).abs() < 1e-12);
        assert!(
            (c.m_x - (29.73 + 14.96) / 2.0).abs() < 1e-12,
            "repeat purchases only"
        );
        assert_eq!(c.holdout_purchases, 1);
        // Bought on the calibration end: T = 0.
        assert_eq!(
            s.customers[1].rfm,
            Rfm {
                x: 0,
                t_x: 0.0,
                t: 0.0
            }
        );
        assert_eq!(s.customers[1].m_x, 0.0);
        let d = summarize(&log, date("1997-09-30"), None, TimeUnit::Day);
        assert_eq!(
            d.customers[0].rfm,
            Rfm {
                x: 2,
                t_x: 213.0,
                t: 272.0
            }
        );
        assert_eq!(d.customers[0].holdout_purchases, 0);
    }

    #[test]
    fn arguments_read() {
        assert_eq!(parse_date_arg("1997-09-30"), Ok(date("19970930")));
        assert!(parse_date_arg("30/09/1997").is_err());
        assert_eq!("week".parse(), Ok(TimeUnit::Week));
        assert!("month".parse::<TimeUnit>().is_err());
    }
}
