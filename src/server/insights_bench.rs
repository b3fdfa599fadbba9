//! How fast Insights answers on a database of generated data (`omniloyal demo
//! bench-insights`): the Overview's server time over requests with varied filters (ranges
//! of a week to a year, channels, stores, tiers, comparison periods), as the page's server
//! function spends it (rollup reads, KPIs, charts), the CLV fit, and what folding the whole
//! ledger again costs. A
//! benchmark, not a test: it prints figures and checks nothing.

use std::time::{Duration, Instant};

use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::model::insights::InsightsQuery;
use crate::server::db::Db;
use crate::server::query::insights;
use crate::server::service::rollups;

/// What a run measured.
#[derive(Debug)]
pub struct Figures {
    pub requests: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// Median by range length in days.
    pub by_range: Vec<(i64, f64)>,
    pub rebuild_s: f64,
    /// Seconds to fit CLV for the program (both models, the holdout, every prediction).
    pub fit_s: f64,
    /// The same fit again on this server, its buyers kept in memory (none folded since).
    pub refit_s: f64,
    /// Transactions and memberships the rebuild folded.
    pub folded: u64,
    /// The other dashboard pages: (page, median ms, p95 ms) over the same varied filters.
    pub pages: Vec<(&'static str, f64, f64)>,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The request of number `i`: filters chosen by a fixed rule, so runs compare.
fn request(
    i: usize,
    program: i64,
    stores: &[i64],
    tiers: &[i64],
    today: chrono::NaiveDate,
) -> (i64, InsightsQuery) {
    let days = [7, 30, 90, 365][i % 4];
    let pick = |list: &[i64], k: usize| if list.is_empty() { 0 } else { list[k % list.len()] };
    let (channel, store) = match (i / 4) % 5 {
        0 => ("", 0),
        1 => ("store", 0),
        2 => ("web", 0),
        3 => ("app", 0),
        _ => ("", pick(stores, i / 20)),
    };
    let all_programs = i % 10 == 9;
    // Tiers belong to a program: none with all programs.
    let tier = if (i / 3) % 3 == 2 && !all_programs {
        pick(tiers, i / 9)
    } else {
        0
    };
    let compare = ["", "previous", "year"][(i / 2) % 3];
    let q = InsightsQuery {
        from: (today - chrono::Duration::days(days - 1)).to_string(),
        to: today.to_string(),
        program: if i % 10 == 9 {
            String::new()
        } else {
            program.to_string()
        },
        channel: channel.into(),
        store: if store == 0 {
            String::new()
        } else {
            store.to_string()
        },
        tier: if tier == 0 {
            String::new()
        } else {
            tier.to_string()
        },
        compare: compare.into(),
        rate: String::new(),
    };
    (days, q)
}

/// Folds what waits, rebuilds the rollups from the ledger (timed), then times `n` Overview
/// requests on the program with the most members.
pub async fn run(db: &Db, n: usize) -> Result<Figures, AppError> {
    rollups::catch_up(db).await?;
    let program: Option<i64> = sqlx::query_scalar(
        "SELECT program_id FROM memberships GROUP BY program_id ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    let program = program.unwrap_or(0);
    let stores: Vec<i64> = sqlx::query_scalar("SELECT id FROM stores ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    let tiers: Vec<i64> = sqlx::query_scalar("SELECT id FROM tiers WHERE program_id = $1 ORDER BY id")
        .bind(program)
        .fetch_all(&db.pool)
        .await?;
    let started = Instant::now();
    crate::server::service::customer_value::fit(db, crate::model::ids::ProgramId(program), db.now()).await?;
    let fit_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    crate::server::service::customer_value::fit(db, crate::model::ids::ProgramId(program), db.now()).await?;
    let refit_s = started.elapsed().as_secs_f64();
    let today = db.now().date();
    let lang = Lang::from_tag("en").unwrap_or_else(crate::domain::lang::current);
    // One request first, unmeasured: connections and caches warm, as on a running server.
    insights::report(db, lang, request(1, program, &stores, &tiers, today).1).await?;
    let mut times = Vec::with_capacity(n);
    let mut by_range: Vec<(i64, Vec<f64>)> = Vec::new();
    for i in 0..n {
        let (days, q) = request(i, program, &stores, &tiers, today);
        let started = Instant::now();
        insights::report(db, lang, q).await?;
        let t = ms(started.elapsed());
        times.push(t);
        match by_range.iter_mut().find(|(d, _)| *d == days) {
            Some((_, list)) => list.push(t),
            None => by_range.push((days, vec![t])),
        }
    }
    // The other pages, over the same filters (each page reads those it has).
    let mut pages = Vec::new();
    for page in [
        "value",
        "retention",
        "channels",
        "satisfaction",
        "tiers",
        "rewards",
    ] {
        let mut times = Vec::with_capacity(n);
        for i in 0..n {
            let (_, mut q) = request(i, program, &stores, &tiers, today);
            if page == "tiers" {
                // Tiers are a program's own: without one the page has nothing to count.
                q.program = program.to_string();
            }
            let started = Instant::now();
            match page {
                "value" => drop(insights::value_report(db, lang, &q.program).await?),
                "retention" => drop(crate::server::query::retention::report(db, lang, q).await?),
                "channels" => drop(crate::server::query::channels::report(db, lang, q).await?),
                "tiers" => drop(crate::server::query::tiers::report(db, lang, q).await?),
                "rewards" => drop(crate::server::query::redemptions::report(db, lang, q).await?),
                _ => drop(crate::server::query::satisfaction::report(db, lang, q).await?),
            }
            times.push(ms(started.elapsed()));
        }
        times.sort_by(f64::total_cmp);
        pages.push((page, quantile(&times, 0.5), quantile(&times, 0.95)));
    }
    // The rebuild last: a profile of the requests is then the start of the run.
    let started = Instant::now();
    let rebuilt = rollups::rebuild(db).await?;
    let rebuild_s = started.elapsed().as_secs_f64();
    if rebuilt.differs() {
        tracing::warn!(?rebuilt, "the rollups differed from the ledger");
    }
    times.sort_by(f64::total_cmp);
    by_range.sort_by_key(|(d, _)| *d);
    Ok(Figures {
        requests: n,
        median_ms: quantile(&times, 0.5),
        p95_ms: quantile(&times, 0.95),
        max_ms: times.last().copied().unwrap_or(f64::NAN),
        by_range: by_range
            .into_iter()
            .map(|(d, mut list)| {
                list.sort_by(f64::total_cmp);
                (d, quantile(&list, 0.5))
            })
            .collect(),
        rebuild_s,
        fit_s,
        refit_s,
        folded: rebuilt.transactions + rebuilt.memberships,
        pages,
    })
}
