//! `omniloyal clv` on the CDNOW sample (2357 customers, the data of Fader, Hardie and Lee
//! 2005 and of Fader and Hardie 2013), against their published estimates: BG/NBD r = 0.243,
//! alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4; Gamma-Gamma p = 6.25,
//! q = 3.74, gamma = 15.44 over the 946 repeat customers. The file comes from the Lifetimes
//! wheel on PyPI (scripts/setup.sh puts it in target/tools/cdnow) and is not committed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The CDNOW sample: `OMNILOYAL_CDNOW` (scripts/test.sh sets it, and then it must exist),
/// else where scripts/setup.sh puts it. None: skipped with a note (a developer's `cargo
/// test` before running setup), unless `CI` is set.
fn cdnow() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OMNILOYAL_CDNOW") {
        let path = PathBuf::from(path);
        assert!(path.exists(), "OMNILOYAL_CDNOW={} does not exist", path.display());
        return Some(path);
    }
    let default = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools/cdnow/CDNOW_sample.txt");
    if default.exists() {
        return Some(default);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but the CDNOW sample is missing: run scripts/setup.sh"
    );
    eprintln!("note: the CLV test on CDNOW is skipped (the data is not there; scripts/setup.sh fetches it)");
    None
}

fn clv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omniloyal"))
        .arg("clv")
        .args(args)
        // A server setting that would stop the server: the command must not read them.
        .env("OMNILOYAL_SESSION_HOURS", "not a number")
        .output()
        .expect("the omniloyal binary runs")
}

fn cdnow_args(path: &Path) -> Vec<String> {
    [
        "--input",
        path.to_str().unwrap(),
        "--calibration-end",
        "1997-09-30",
        "--holdout-end",
        "1998-06-30",
        "--time-unit",
        "week",
    ]
    .map(String::from)
    .to_vec()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The `key=value` numbers of a result line that starts with `label`.
fn values(line: &str, label: &str) -> Vec<(String, f64)> {
    let rest = line
        .strip_prefix(label)
        .unwrap_or_else(|| panic!("{line:?} does not start with {label:?}"));
    rest.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_string(),
                v.parse().unwrap_or_else(|_| panic!("{k}={v} is not a number")),
            )
        })
        .collect()
}

fn value(values: &[(String, f64)], key: &str) -> f64 {
    values
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key} in {values:?}"))
        .1
}

fn near(got: f64, published: f64, name: &str) {
    assert!(
        (got / published - 1.0).abs() <= 0.005,
        "{name}: {got}, published {published} (0.5 % allowed)"
    );
}

const HEADER: &str = "id,x,t_x,T,m_x,p_alive,expected_purchases,expected_spend,clv";

#[test]
fn cdnow_fits_to_the_published_estimates() {
    let Some(path) = cdnow() else { return };
    let args = cdnow_args(&path);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = clv(&args);
    let (stdout, stderr) = (text(&run.stdout), text(&run.stderr));
    assert!(run.status.success(), "exit {:?}\n{stderr}", run.status);
    let lines: Vec<&str> = stdout.lines().collect();

    let bg = values(lines[0], "BG/NBD ");
    near(value(&bg, "r"), 0.243, "r");
    near(value(&bg, "alpha"), 4.414, "alpha");
    near(value(&bg, "a"), 0.793, "a");
    near(value(&bg, "b"), 2.426, "b");
    let ll = value(&bg, "log-likelihood");
    assert!(
        (ll - -9582.4).abs() <= 0.5,
        "BG/NBD log-likelihood {ll}, published -9582.4"
    );

    let gg = values(lines[1], "Gamma-Gamma ");
    near(value(&gg, "p"), 6.25, "p");
    near(value(&gg, "q"), 3.74, "q");
    near(value(&gg, "gamma"), 15.44, "gamma");
    assert!(stderr.contains("fitted to 946 repeat customers"), "{stderr}");

    // Holdout: the 1882 repeat purchase days of 1997-10-01..1998-06-30 (counted from the file
    // independently of this code), and a prediction in the range of BG/NBD's on this data.
    let holdout = values(lines[2], "Holdout ");
    assert_eq!(value(&holdout, "actual"), 1882.0);
    let predicted = value(&holdout, "predicted");
    assert!((1600.0..1700.0).contains(&predicted), "{predicted}");

    assert_eq!(lines[3], HEADER);
    let rows = &lines[4..];
    assert_eq!(rows.len(), 2357);
    for row in rows {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), 9, "{row}");
        let numbers: Vec<f64> = cells[1..].iter().map(|c| c.parse().unwrap()).collect();
        assert!(numbers.iter().all(|v| v.is_finite() && *v >= 0.0), "{row}");
        assert!((0.0..=1.0).contains(&numbers[4]), "p_alive out of [0, 1]: {row}");
    }
    // CDNOW's first customer (00004: bought 1997-01-01, 01-18, 08-02, and in the holdout).
    assert!(
        rows[0].starts_with("00004,2,30.428571,38.857143,22.345000,"),
        "{}",
        rows[0]
    );

    // The full-precision parameters on stderr reproduce every row without a fit.
    let given = stderr
        .lines()
        .find_map(|l| l.strip_prefix("parameters: --params "))
        .expect("the parameters on stderr");
    let mut again_args = args.clone();
    again_args.extend(["--params", given]);
    let again = clv(&again_args);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let again_out = text(&again.stdout);
    let again_lines: Vec<&str> = again_out.lines().collect();
    assert_eq!(again_lines[2..], lines[2..], "the same holdout line and rows");
    for (i, label) in [(0, "BG/NBD "), (1, "Gamma-Gamma ")] {
        let (before, after) = (values(lines[i], label), values(again_lines[i], label));
        for (key, v) in &before {
            let tolerance = if key == "log-likelihood" { 1e-3 } else { 0.0 };
            assert!(
                (value(&after, key) - v).abs() <= tolerance,
                "{key}: {v} then {}",
                value(&after, key)
            );
        }
    }
    assert!(!text(&again.stderr).contains("fitted"), "no fit with --params");
}

/// At the published parameters, the conditional expectation of customer 00004 (x = 2,
/// t_x = 213/7, T = 272/7) over the 39 holdout weeks is 1.2261158061493217 (the paper's
/// equation (10) by mpmath at 50 digits),
/// and the holdout total 1653.9413 (lifetimes 0.11.3's conditional_expected_number_of_
/// purchases_up_to_time summed over the 2357 customers).
#[test]
fn cdnow_at_the_published_parameters() {
    let Some(path) = cdnow() else { return };
    let args = cdnow_args(&path);
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.extend(["--params", "0.243,4.414,0.793,2.426,6.25,3.74,15.44"]);
    let run = clv(&args);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let ll = value(&values(lines[0], "BG/NBD "), "log-likelihood");
    assert!((ll - -9582.4).abs() <= 0.5, "{ll}");
    let predicted = value(&values(lines[2], "Holdout "), "predicted");
    assert!((predicted - 1653.9413).abs() < 1e-3, "{predicted}");
    let first: Vec<&str> = lines[4].split(',').collect();
    assert_eq!(first[0], "00004");
    assert_eq!(first[6], "1.226116");
}

#[test]
fn a_bad_file_is_refused_with_its_line() {
    let dir = std::env::temp_dir().join(format!("omniloyal-clv-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.csv");
    std::fs::write(
        &file,
        "id,date,amount\nA,2020-01-01,10\nB,2020-02-31,5\nC,2020-01-03,x\n",
    )
    .unwrap();
    let run = clv(&[
        "--input",
        file.to_str().unwrap(),
        "--calibration-end",
        "2020-06-30",
    ]);
    let stderr = text(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("line 3: \"2020-02-31\" is not a date"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 4: amount \"x\" is not a number"),
        "{stderr}"
    );
    assert!(run.stdout.is_empty(), "nothing fitted, nothing printed");

    // Bad arguments: exit code 2, with the reason.
    for bad in [
        vec!["--calibration-end", "2020-06-30"],
        vec![
            "--input",
            file.to_str().unwrap(),
            "--calibration-end",
            "30/06/2020",
        ],
        vec![
            "--input",
            file.to_str().unwrap(),
            "--calibration-end",
            "2020-06-30",
            "--time-unit",
            "month",
        ],
        vec![
            "--input",
            file.to_str().unwrap(),
            "--calibration-end",
            "2020-06-30",
            "--params",
            "1,2,3",
        ],
        vec![
            "--input",
            file.to_str().unwrap(),
            "--calibration-end",
            "2020-06-30",
            "--params",
            "1,2,3,4,5,-6,7",
        ],
        vec![
            "--input",
            file.to_str().unwrap(),
            "--calibration-end",
            "2020-06-30",
            "--holdout-end",
            "2020-01-01",
        ],
    ] {
        let run = clv(&bad);
        assert_eq!(run.status.code(), Some(2), "{bad:?}: {}", text(&run.stderr));
        assert!(!run.stderr.is_empty());
    }
    let _ = std::fs::remove_dir_all(dir);
}
