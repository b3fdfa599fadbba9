//! The `omniloyal clv` command: reads a transaction log, fits BG/NBD and Gamma-Gamma (or
//! takes their parameters), and writes each customer's outlook as CSV.
//!
//! stdout: `BG/NBD r=… alpha=… a=… b=… log-likelihood=…`, `Gamma-Gamma p=… q=… gamma=…
//! log-likelihood=…`, with a holdout a `Holdout …` line of predicted and actual repeat
//! purchases in total, then the CSV `id,x,t_x,T,m_x,p_alive,expected_purchases,
//! expected_spend,clv`, one row per customer in the order of their first line. Progress,
//! the full-precision parameters and warnings go to stderr.
//!
//! Exit codes: 0 done; 1 the data cannot be read or fitted (bad lines, too little data, a
//! fit that does not converge, q <= 1); 2 bad arguments.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;

use super::bgnbd::{BgNbdData, BgNbdParams, Rfm};
use super::fit::{fit_bgnbd, fit_gamma_gamma};
use super::gamma_gamma::{GammaGammaData, GammaGammaParams};
use super::transactions::{parse, parse_date_arg, summarize, TimeUnit};
use super::value::{outlooks, ClvSettings, PurchaseOutlook, DAYS_PER_MONTH};

/// Expected purchases are over this many time units when there is no holdout (39, the
/// length of the CDNOW calibration and holdout periods in weeks).
pub const DEFAULT_WINDOW: f64 = 39.0;

/// Bad lines listed before the rest are only counted.
const SHOWN_ERRORS: usize = 50;

/// Predictive customer lifetime value from a transaction log (BG/NBD + Gamma-Gamma).
#[derive(Debug, Clone, clap::Args)]
pub struct ClvArgs {
    /// Transaction log: `id,date,amount`, `id,date,quantity,amount` or CDNOW's `master_id
    /// sample_id YYYYMMDD cds dollars`; comma- or whitespace-separated, header optional.
    #[arg(long)]
    pub input: PathBuf,
    /// Last day of the calibration period (YYYY-MM-DD): the models see purchases up to it.
    #[arg(long, value_parser = parse_date_arg)]
    pub calibration_end: NaiveDate,
    /// Last day of a holdout period: its purchases are counted and compared with the
    /// prediction, whose window becomes its length.
    #[arg(long, value_parser = parse_date_arg)]
    pub holdout_end: Option<NaiveDate>,
    /// Unit of t_x, T and the expected purchases: week or day.
    #[arg(long, default_value = "week", value_parser = parse_time_unit)]
    pub time_unit: TimeUnit,
    /// CLV horizon in months.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1200))]
    pub horizon_months: u32,
    /// Discount rate per month.
    #[arg(long, default_value_t = 0.01, value_parser = parse_discount)]
    pub monthly_discount: f64,
    /// Skip the fit and predict at these parameters: r,alpha,a,b,p,q,gamma.
    #[arg(long, value_parser = parse_params)]
    pub params: Option<Params>,
}

/// Both models' parameters, as `--params` gives them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub bgnbd: BgNbdParams,
    pub gamma_gamma: GammaGammaParams,
}

fn parse_time_unit(s: &str) -> Result<TimeUnit, String> {
    s.parse()
}

fn parse_discount(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(d) if d.is_finite() && d >= 0.0 => Ok(d),
        _ => Err(format!("{s:?}: expected a rate of 0 or more, such as 0.01")),
    }
}

/// `r,alpha,a,b,p,q,gamma`: seven positive numbers.
pub fn parse_params(s: &str) -> Result<Params, String> {
    let values: Vec<f64> = s
        .split(',')
        .map(|v| v.trim().parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("{s:?}: every value must be a positive number"))?;
    let [r, alpha, a, b, p, q, gamma] = values[..] else {
        return Err(format!(
            "{s:?}: expected 7 values, r,alpha,a,b,p,q,gamma; found {}",
            values.len()
        ));
    };
    Ok(Params {
        bgnbd: BgNbdParams::new(r, alpha, a, b).map_err(|e| e.to_string())?,
        gamma_gamma: GammaGammaParams::new(p, q, gamma).map_err(|e| e.to_string())?,
    })
}

/// Why the command stopped, and with which exit code.
#[derive(Debug)]
pub enum Failure {
    /// Exit code 2.
    Usage(String),
    /// Exit code 1.
    Data(String),
}

/// Runs the command on the process's stdout and stderr, returning the exit code.
pub fn run(args: &ClvArgs) -> i32 {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = std::io::stderr().lock();
    let result = execute(args, &mut out, &mut err);
    let flushed = out.flush();
    match result {
        Ok(()) if flushed.is_ok() => 0,
        Ok(()) => {
            let _ = writeln!(
                err,
                "omniloyal clv: cannot write the output: {}",
                flushed.unwrap_err()
            );
            1
        }
        Err(Failure::Usage(m)) => {
            let _ = writeln!(err, "omniloyal clv: {m}");
            2
        }
        Err(Failure::Data(m)) => {
            let _ = writeln!(err, "omniloyal clv: {m}");
            1
        }
    }
}

/// The command, writing results to `out` and progress to `err`.
pub fn execute(args: &ClvArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), Failure> {
    let io = |e: std::io::Error| Failure::Data(format!("cannot write the output: {e}"));
    let data_err = |e: super::error::ClvError| Failure::Data(e.to_string());
    if let Some(h) = args.holdout_end {
        if h <= args.calibration_end {
            return Err(Failure::Usage(format!(
                "--holdout-end {h} must be after --calibration-end {}",
                args.calibration_end
            )));
        }
    }
    let unit = args.time_unit;
    let text = std::fs::read_to_string(&args.input)
        .map_err(|e| Failure::Data(format!("cannot read {}: {e}", args.input.display())))?;
    let log = parse(&text).map_err(|errors| {
        let mut m = format!(
            "{}: {} bad line{}; nothing was fitted",
            args.input.display(),
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        );
        for e in errors.iter().take(SHOWN_ERRORS) {
            m.push_str(&format!("\n  {e}"));
        }
        if errors.len() > SHOWN_ERRORS {
            m.push_str(&format!("\n  … and {} more", errors.len() - SHOWN_ERRORS));
        }
        Failure::Data(m)
    })?;
    let summary = summarize(&log, args.calibration_end, args.holdout_end, unit);
    let days: usize = log.purchases.iter().map(Vec::len).sum();
    writeln!(
        err,
        "read {} purchases ({days} customer-days) of {} customers; {} in the calibration period",
        log.lines,
        log.ids.len(),
        summary.customers.len()
    )
    .map_err(io)?;
    if summary.left_out > 0 {
        writeln!(
            err,
            "left out: {} customers whose first purchase is after {} (no history to score)",
            summary.left_out, args.calibration_end
        )
        .map_err(io)?;
    }
    let bg_data = BgNbdData::new(summary.customers.iter().map(|c| c.rfm));
    let gg_data = GammaGammaData::new(summary.customers.iter().map(|c| (c.rfm.x, c.m_x)));
    if gg_data.excluded() > 0 {
        writeln!(
            err,
            "Gamma-Gamma: {} repeat customers excluded for a zero or negative mean spend (their expected \
             spend is the population mean)",
            gg_data.excluded()
        )
        .map_err(io)?;
    }

    let (bg, bg_ll, gg, gg_ll) = match args.params {
        Some(p) => (
            p.bgnbd,
            bg_data.log_likelihood(&p.bgnbd),
            p.gamma_gamma,
            gg_data.log_likelihood(&p.gamma_gamma),
        ),
        None => {
            let started = Instant::now();
            let bg_fit = fit_bgnbd(&bg_data).map_err(data_err)?;
            writeln!(
                err,
                "BG/NBD: fitted to {} customers ({} unique (x, t_x, T) rows) in {:.2} s, {} likelihood evaluations",
                bg_data.customers(),
                bg_data.unique_rows(),
                started.elapsed().as_secs_f64(),
                bg_fit.evaluations
            )
            .map_err(io)?;
            let started = Instant::now();
            let gg_fit = fit_gamma_gamma(&gg_data).map_err(data_err)?;
            writeln!(
                err,
                "Gamma-Gamma: fitted to {} repeat customers ({} unique (x, m_x) rows) in {:.2} s, {} likelihood \
                 evaluations",
                gg_data.customers(),
                gg_data.unique_rows(),
                started.elapsed().as_secs_f64(),
                gg_fit.evaluations
            )
            .map_err(io)?;
            (
                bg_fit.params,
                bg_fit.log_likelihood,
                gg_fit.params,
                gg_fit.log_likelihood,
            )
        }
    };
    writeln!(
        out,
        "BG/NBD r={:.4} alpha={:.4} a={:.4} b={:.4} log-likelihood={:.4}",
        bg.r, bg.alpha, bg.a, bg.b, bg_ll
    )
    .map_err(io)?;
    writeln!(
        out,
        "Gamma-Gamma p={:.4} q={:.4} gamma={:.4} log-likelihood={:.4}",
        gg.p, gg.q, gg.gamma, gg_ll
    )
    .map_err(io)?;
    // Shortest round-trip decimals: these reproduce the rows exactly.
    writeln!(
        err,
        "parameters: --params {},{},{},{},{},{},{}",
        bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.gamma
    )
    .map_err(io)?;
    let population_mean = gg.population_mean().map_err(data_err)?;

    let window = match args.holdout_end {
        Some(h) => (h - args.calibration_end).num_days() as f64 / unit.days(),
        None => DEFAULT_WINDOW,
    };
    let settings = ClvSettings {
        horizon_months: args.horizon_months,
        monthly_discount: args.monthly_discount,
        units_per_month: DAYS_PER_MONTH / unit.days(),
    };
    let started = Instant::now();
    let customers: Vec<Rfm> = summary.customers.iter().map(|c| c.rfm).collect();
    let outlooks = outlooks(&bg, &customers, window, &settings);
    // Every customer's outlook, or the first that cannot be computed.
    let predicted: Vec<PurchaseOutlook> = (0..customers.len())
        .map(|i| outlooks.of(i).clone())
        .collect::<Result<_, _>>()
        .map_err(data_err)?;
    writeln!(
        err,
        "predicted {} unique rows over {window:.4} {} and {} months in {:.2} s",
        outlooks.unique.len(),
        unit.plural(),
        args.horizon_months,
        started.elapsed().as_secs_f64()
    )
    .map_err(io)?;

    if args.holdout_end.is_some() {
        let expected: f64 = predicted.iter().map(|o| o.expected).sum();
        let actual: u64 = summary
            .customers
            .iter()
            .map(|c| u64::from(c.holdout_purchases))
            .sum();
        writeln!(
            out,
            "Holdout predicted={expected:.4} actual={actual} ({window:.4} {} after {}, {} customers)",
            unit.plural(),
            args.calibration_end,
            summary.customers.len()
        )
        .map_err(io)?;
    }

    let csv_err = |e: csv::Error| Failure::Data(format!("cannot write the output: {e}"));
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record([
        "id",
        "x",
        "t_x",
        "T",
        "m_x",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
    ])
    .map_err(csv_err)?;
    for (c, o) in summary.customers.iter().zip(&predicted) {
        let spend = if c.rfm.x > 0 && c.m_x > 0.0 {
            gg.expected_spend(c.rfm.x, c.m_x).map_err(data_err)?
        } else {
            population_mean
        };
        csv.write_record([
            safe_id(&log.ids[c.customer]),
            c.rfm.x.to_string(),
            format!("{:.6}", c.rfm.t_x),
            format!("{:.6}", c.rfm.t),
            format!("{:.6}", c.m_x),
            format!("{:.6}", o.p_alive),
            format!("{:.6}", o.expected),
            format!("{:.6}", spend),
            format!("{:.6}", spend * o.discounted),
        ])
        .map_err(csv_err)?;
    }
    csv.flush().map_err(io)?;
    Ok(())
}

/// An id as a CSV cell that a spreadsheet will not run as a formula: one starting with
/// = + - @ (or a tab or carriage return) gets a leading single quote.
pub fn safe_id(id: &str) -> String {
    if id.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{id}")
    } else {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(input: PathBuf) -> ClvArgs {
        ClvArgs {
            input,
            calibration_end: parse_date_arg("2020-06-30").unwrap(),
            holdout_end: None,
            time_unit: TimeUnit::Week,
            horizon_months: 12,
            monthly_discount: 0.01,
            params: None,
        }
    }

    fn temp_file(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("omniloyal-clv-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn execute_to_strings(a: &ClvArgs) -> (Result<(), Failure>, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let r = execute(a, &mut out, &mut err);
        (
            r,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn params_are_seven_positive_numbers() {
        let p = parse_params("0.243,4.414,0.793,2.426,6.25,3.74,15.44").unwrap();
        assert_eq!(
            p.bgnbd,
            BgNbdParams {
                r: 0.243,
                alpha: 4.414,
                a: 0.793,
                b: 2.426
            }
        );
        assert_eq!(
            p.gamma_gamma,
            GammaGammaParams {
                p: 6.25,
                q: 3.74,
                gamma: 15.44
            }
        );
        assert!(parse_params("1,2,3,4,5,6")
            .unwrap_err()
            .contains("expected 7 values"));
        assert!(parse_params("1,2,3,4,5,6,7,8").is_err());
        assert!(parse_params("1,2,3,0,5,6,7").unwrap_err().contains("positive"));
        assert!(parse_params("1,2,3,-4,5,6,7").is_err());
        assert!(parse_params("1,2,x,4,5,6,7").is_err());
        assert!(parse_params("1,2,3,4,5,6,inf").is_err());
        assert!(parse_discount("-0.1").is_err() && parse_discount("0").is_ok());
    }

    #[test]
    fn formula_like_ids_are_quoted() {
        assert_eq!(safe_id("=1+1"), "'=1+1");
        assert_eq!(safe_id("-5"), "'-5");
        assert_eq!(safe_id("@x"), "'@x");
        assert_eq!(safe_id("+44"), "'+44");
        assert_eq!(safe_id("00004"), "00004");
    }

    #[test]
    fn predicts_at_given_parameters() {
        // Three customers, weekly: one bought twice, one once, one's id looks like a formula.
        let text = "id,date,amount\nA,2020-01-01,10\nA,2020-02-01,20\nA,2020-03-01,30\nB,2020-05-01,8\n=C,2020-01-10,5\n=C,2020-06-01,7\n";
        let path = temp_file("given.csv", text);
        let mut a = args(path.clone());
        a.params = Some(parse_params("0.243,4.414,0.793,2.426,6.25,3.74,15.44").unwrap());
        let (r, out, _) = execute_to_strings(&a);
        r.unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("BG/NBD r=0.2430 alpha=4.4140 a=0.7930 b=2.4260 log-likelihood=-"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("Gamma-Gamma p=6.2500 q=3.7400 gamma=15.4400 log-likelihood="),
            "{}",
            lines[1]
        );
        assert_eq!(
            lines[2],
            "id,x,t_x,T,m_x,p_alive,expected_purchases,expected_spend,clv"
        );
        assert_eq!(lines.len(), 6);
        assert!(
            lines[3].starts_with("A,2,8.571429,25.857143,25.000000,"),
            "{}",
            lines[3]
        );
        assert!(lines[5].starts_with("'=C,1,"), "{}", lines[5]);
        // B: no repeat purchase, so the population mean spend p·gamma/(q-1).
        let b: Vec<&str> = lines[4].split(',').collect();
        assert_eq!(b[5], "1.000000");
        assert_eq!(b[7], format!("{:.6}", 6.25 * 15.44 / 2.74));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn failures_have_their_exit_kind() {
        let path = temp_file("bad.csv", "A,2020-01-01,10\nB,2020-01-02\n");
        let (r, out, _) = execute_to_strings(&args(path.clone()));
        match r {
            Err(Failure::Data(m)) => {
                assert!(m.contains("1 bad line") && m.contains("line 2: 2 fields"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        assert!(out.is_empty(), "nothing fitted, nothing printed");
        let mut a = args(path.clone());
        a.holdout_end = Some(a.calibration_end);
        assert!(matches!(execute_to_strings(&a).0, Err(Failure::Usage(_))));
        let (r, _, _) = execute_to_strings(&args(PathBuf::from("/nonexistent/clv.csv")));
        assert!(matches!(r, Err(Failure::Data(m)) if m.contains("cannot read")));
        // Too little data to fit: said, exit 1.
        let tiny = temp_file("tiny.csv", "A,2020-01-01,10\nA,2020-02-01,20\n");
        let (r, _, _) = execute_to_strings(&args(tiny.clone()));
        assert!(matches!(r, Err(Failure::Data(m)) if m.contains("too little data")));
        // q <= 1: the parameter lines, then the reason.
        let mut a = args(tiny.clone());
        a.params = Some(parse_params("0.243,4.414,0.793,2.426,6.25,0.9,15.44").unwrap());
        let (r, out, _) = execute_to_strings(&a);
        assert!(matches!(r, Err(Failure::Data(m)) if m.contains("q = 0.9 is not above 1")));
        assert_eq!(out.lines().count(), 2);
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(tiny);
    }
}
