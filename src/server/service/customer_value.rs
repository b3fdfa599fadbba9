//! Predictive customer value per program: BG/NBD and Gamma-Gamma (`domain::clv`) fitted on
//! the member summaries the rollups keep (in weeks, spend in minor units), each member's
//! P(alive) and CLV written where the page lists members at risk, and the fit checked on a
//! holdout: refitted on the history before the last weeks (twelve, or a third of a shorter
//! history; rebuilt from the member-day bitmaps), its predicted repeat purchases in those
//! weeks against what members did.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use roaring::RoaringBitmap;

use crate::domain::clv::bgnbd::{BgNbdData, BgNbdParams, Rfm};
use crate::domain::clv::error::ClvError;
use crate::domain::clv::fit::{fit_bgnbd, fit_gamma_gamma, gamma_gamma_q_unbounded};
use crate::domain::clv::gamma_gamma::{GammaGammaData, GammaGammaParams};
use crate::domain::clv::value::{outlooks, ClvSettings, DAYS_PER_MONTH};
use crate::domain::kpi::Activity;
use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::insights::{ClvModel, CustomerValue, HoldoutRow, TierValue};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::Db;
use crate::server::store::predictions::{self, Prediction};
use crate::server::store::rollups;

mod summaries;

/// A buyer of the program: (membership, purchases).
type Buyer = (i64, summaries::Purchases);

/// Weeks of history held out to check the fit: twelve, or a third of a shorter history.
pub const HOLDOUT_WEEKS: u32 = 12;

fn holdout_weeks(summaries: &[Buyer], today: i64) -> u32 {
    let first = summaries.iter().map(|(_, s)| s.first()).min();
    let weeks = first.map_or(0, |f| (today + 1 - f) / 7 / 3);
    (weeks.clamp(1, i64::from(HOLDOUT_WEEKS))) as u32
}
const HORIZON_MONTHS: u32 = 12;
const MONTHLY_DISCOUNT: f64 = 0.01;
/// Holdout rows: 0, 1, ... repeat purchases, the last "this many or more".
const HOLDOUT_GROUPS: u32 = 7;

/// The catalogue key that explains a model that could not be fitted.
fn problem_key(e: &ClvError) -> &'static str {
    match e {
        ClvError::TooLittleData(_) => "clv_too_little",
        ClvError::SpendUndefined(_) => "clv_spend_undefined",
        ClvError::NoConvergence { .. } => "clv_no_convergence",
        _ => "clv_failed",
    }
}

/// A summary's history in weeks as of `today` (epoch day, included).
fn rfm(first: i64, last: i64, days: i64, today: i64) -> Rfm {
    Rfm {
        x: (days - 1).max(0) as u32,
        t_x: (last - first) as f64 / 7.0,
        t: (today + 1 - first) as f64 / 7.0,
    }
}

/// The fits of both models, as far as they go.
struct Fitted {
    bg: Result<(BgNbdParams, f64), ClvError>,
    gg: Result<(GammaGammaParams, f64), ClvError>,
    /// When Gamma-Gamma did not converge because q ran off to infinity (members' mean spends
    /// differ no more than their purchases do): the average repeat purchase, every member's
    /// expected spend per purchase in that limit.
    pooled: Option<f64>,
}

fn fit_models(summaries: &[Buyer], today: i64) -> Fitted {
    let customers = summaries
        .iter()
        .map(|(_, s)| rfm(s.first(), s.last(), s.days(), today));
    let bg = fit_bgnbd(&BgNbdData::new(customers)).map(|f| (f.params, f.log_likelihood));
    let spends = summaries.iter().filter_map(|(_, s)| {
        let (x, _, m) = s.rfm();
        (x > 0).then_some((x as u32, m))
    });
    let data = GammaGammaData::new(spends);
    let gg = fit_gamma_gamma(&data).and_then(|f| {
        // q <= 1: the population's mean spend does not exist, nor a prediction from it.
        f.params.population_mean()?;
        Ok((f.params, f.log_likelihood))
    });
    let pooled = match &gg {
        Err(e) if gamma_gamma_q_unbounded(e) => data.pooled_mean(),
        _ => None,
    };
    Fitted { bg, gg, pooled }
}

/// The program's buyers per day, from its member-day bitmaps.
async fn buy_days(db: &Db, program_id: i64, today: i64) -> Result<BTreeMap<i64, RoaringBitmap>, AppError> {
    let mut conn = db.pool.acquire().await?;
    let rows = rollups::day_sets_between(
        &mut conn,
        program_id,
        Activity::Buy.as_str(),
        "*|*",
        i64::MIN / 2,
        today,
    )
    .await?;
    let mut days: BTreeMap<i64, RoaringBitmap> = BTreeMap::new();
    for (_, day, blob) in rows {
        let set = RoaringBitmap::deserialize_from(blob.as_slice()).map_err(|_| AppError::Internal)?;
        days.insert(day, set);
    }
    Ok(days)
}

/// Each buyer's (first day, last day, days bought) before `end`, and days bought from `end`
/// on, leaving out `gone` (members merged into others).
fn history_split(
    days: &BTreeMap<i64, RoaringBitmap>,
    end: i64,
    gone: &RoaringBitmap,
) -> HashMap<u32, (i64, i64, i64, i64)> {
    let mut members: HashMap<u32, (i64, i64, i64, i64)> = HashMap::new();
    for (&day, set) in days {
        for m in set.iter().filter(|m| !gone.contains(*m)) {
            let e = members.entry(m).or_insert((day, day, 0, 0));
            if day < end {
                e.1 = day;
                e.2 += 1;
            } else if e.0 < end {
                e.3 += 1;
            }
        }
    }
    members
}

/// Predicted against actual repeat purchases in the `weeks` up to `today`, by repeat
/// purchases before, from a BG/NBD fit on the history before them.
fn holdout(
    days: &BTreeMap<i64, RoaringBitmap>,
    gone: &RoaringBitmap,
    today: i64,
    weeks: u32,
) -> Vec<HoldoutRow> {
    let end = today + 1 - i64::from(weeks) * 7;
    let split = history_split(days, end, gone);
    let calibration: Vec<(Rfm, i64)> = split
        .values()
        .filter(|(first, ..)| *first < end)
        .map(|(first, last, n, after)| (rfm(*first, *last, *n, end - 1), *after))
        .collect();
    let Ok(fit) = fit_bgnbd(&BgNbdData::new(calibration.iter().map(|(c, _)| *c))) else {
        return Vec::new();
    };
    let mut groups: BTreeMap<u32, (u64, f64, f64)> = BTreeMap::new();
    for (c, actual) in &calibration {
        // A prediction that cannot be made (2F1 out of its domain) leaves the member out
        // of the comparison rather than making its group's average not a number.
        let Ok(predicted) = fit.params.expected_purchases(f64::from(weeks), *c) else {
            continue;
        };
        if !predicted.is_finite() {
            continue;
        }
        let g = groups.entry(c.x.min(HOLDOUT_GROUPS)).or_default();
        g.0 += 1;
        g.1 += *actual as f64;
        g.2 += predicted;
    }
    groups
        .into_iter()
        .map(|(x, (n, actual, predicted))| HoldoutRow {
            x,
            members: n,
            actual: actual / n as f64,
            predicted: predicted / n as f64,
        })
        .collect()
}

/// What one fit read from the database.
struct Inputs {
    summaries: Vec<Buyer>,
    /// Each membership's tier (those without one are not there) and the tiers' names.
    tier_of: HashMap<i64, i64>,
    tier_names: HashMap<i64, String>,
    days: BTreeMap<i64, RoaringBitmap>,
    /// Member ids of memberships merged into others.
    gone: RoaringBitmap,
    today: i64,
}

fn avg(total: i64, n: u64) -> i64 {
    if n == 0 {
        0
    } else {
        (total as f64 / n as f64).round() as i64
    }
}

/// Fits, checks and scores (CPU only: run off the async workers). The predictions are
/// empty when BG/NBD could not be fitted.
fn evaluate(inputs: &Inputs, program_id: ProgramId, now: Timestamp) -> (CustomerValue, Vec<Prediction>) {
    let (summaries, today) = (&inputs.summaries, inputs.today);
    let fitted = fit_models(summaries, today);
    // The holdout ends with the last whole day: today's purchases are still coming in, and
    // its predictions cover whole days.
    let weeks = holdout_weeks(summaries, today - 1);
    let holdout = holdout(&inputs.days, &inputs.gone, today - 1, weeks);
    let settings = ClvSettings {
        horizon_months: HORIZON_MONTHS,
        monthly_discount: MONTHLY_DISCOUNT,
        units_per_month: DAYS_PER_MONTH / 7.0,
    };
    // The buyers, their histories, and (when BG/NBD was fitted) their outlooks.
    let (buyers, histories): (Vec<&Buyer>, Vec<Rfm>) = summaries
        .iter()
        .map(|row| {
            let s = &row.1;
            (row, rfm(s.first(), s.last(), s.days(), today))
        })
        .unzip();
    let outlooks = fitted
        .bg
        .as_ref()
        .ok()
        .map(|(bg, _)| outlooks(bg, &histories, 52.0, &settings));
    let mut predictions: Vec<Prediction> = Vec::new();
    let (mut repeat, mut orders, mut sales) = (0u64, 0i64, 0i64);
    // Per tier: buyers, their net spend, and the predicted value of those scored.
    let mut by_tier: BTreeMap<String, (u64, i64, i64)> = BTreeMap::new();
    for (i, (membership, s)) in buyers.iter().enumerate() {
        repeat += u64::from(s.days() > 1);
        orders += s.orders();
        sales += s.sales();
        let tier = inputs
            .tier_of
            .get(membership)
            .and_then(|t| inputs.tier_names.get(t))
            .cloned()
            .unwrap_or_default();
        let t = by_tier.entry(tier).or_default();
        t.0 += 1;
        t.1 += s.sales();
        let Some(Ok(o)) = outlooks.as_ref().map(|all| all.of(i)) else {
            continue;
        };
        // Members whose repeat spend nets to nothing or less (refunds) were left out of the
        // spend fit; they are expected to spend as the population does.
        let spend = match (&fitted.gg, s.rfm()) {
            (Ok((gg, _)), (x, _, m)) if x > 0 && m > 0.0 => gg.expected_spend(x as u32, m).unwrap_or(0.0),
            (Ok((gg, _)), _) => gg.population_mean().unwrap_or(0.0),
            (Err(_), _) => fitted.pooled.unwrap_or(0.0),
        };
        let clv = o.discounted * spend;
        if !(o.p_alive.is_finite() && o.expected.is_finite() && clv.is_finite()) {
            continue;
        }
        t.2 += clv.round() as i64;
        predictions.push((*membership, o.p_alive, o.expected, clv.round() as i64, s.sales()));
    }
    let customers = buyers.len() as u64;
    // Written in membership order: two fits at once (two servers) lock rows in one order.
    predictions.sort_unstable_by_key(|p| p.0);
    let problem = match (&fitted.bg, &fitted.gg) {
        (Err(e), _) => Some(problem_key(e).to_string()),
        (Ok(_), Err(_)) if fitted.pooled.is_some() => Some("clv_spend_pooled".to_string()),
        (Ok(_), Err(e)) => Some(problem_key(e).to_string()),
        _ => None,
    };
    let model = fitted.bg.as_ref().ok().map(|(bg, ll)| ClvModel {
        r: bg.r,
        alpha: bg.alpha,
        a: bg.a,
        b: bg.b,
        bg_log_likelihood: *ll,
        p: fitted.gg.as_ref().ok().map(|(g, _)| g.p),
        q: fitted.gg.as_ref().ok().map(|(g, _)| g.q),
        gamma: fitted.gg.as_ref().ok().map(|(g, _)| g.gamma),
        gg_log_likelihood: fitted.gg.as_ref().ok().map(|(_, ll)| *ll),
        pooled_spend_minor: fitted.pooled,
    });
    let scored = predictions.len() as u64;
    let report = CustomerValue {
        program_id,
        fitted_at: now.0,
        customers,
        repeat_buyers: repeat,
        model,
        problem,
        horizon_months: HORIZON_MONTHS,
        monthly_discount: MONTHLY_DISCOUNT,
        holdout_weeks: weeks,
        holdout,
        tiers: by_tier
            .into_iter()
            .map(|(tier, (members, historical, clv))| TierValue {
                tier,
                members,
                historical_minor: avg(historical, members),
                predicted_minor: avg(clv, members),
            })
            .collect(),
        avg_historical_minor: avg(sales, customers),
        avg_predicted_minor: avg(predictions.iter().map(|p| p.3).sum(), scored),
        orders_per_buyer: if customers == 0 {
            0.0
        } else {
            orders as f64 / customers as f64
        },
        aov_minor: if orders == 0 {
            0
        } else {
            (sales as f64 / orders as f64).round() as i64
        },
        repeat_rate: if customers == 0 {
            0.0
        } else {
            repeat as f64 / customers as f64
        },
        seconds: 0.0,
    };
    (report, predictions)
}

/// Fits the program's models as of `now` (the holdout up to the last whole day), writes every buyer's
/// prediction (kept as they were when BG/NBD cannot be fitted) and the report, and returns
/// the report. One fit of a program runs at a time: while another server's (or task's) runs,
/// this one answers "try again" and changes nothing.
pub async fn fit(db: &Db, program_id: ProgramId, now: Timestamp) -> Result<CustomerValue, AppError> {
    try_fit(db, program_id, now, false).await?.ok_or_else(|| {
        AppError::try_again(format!(
            "a customer value fit of program {program_id} is under way"
        ))
    })
}

/// `fit`, or None without fitting while another fit of the program runs (or, `only_if_due`,
/// when one fitted it in the last day, found once the claim is held: two servers whose jobs
/// tick together fit a program once).
async fn try_fit(
    db: &Db,
    program_id: ProgramId,
    now: Timestamp,
    only_if_due: bool,
) -> Result<Option<CustomerValue>, AppError> {
    let p = program_id.get();
    // The claim's age is real time (a server that died mid-fit), not the program's clock.
    let wall = chrono::Utc::now().timestamp();
    let mut tx = db.begin_write().await?;
    let run = predictions::claim_run(&mut tx, p, wall).await?;
    tx.commit().await?;
    let Some(run) = run else {
        return Ok(None);
    };
    let fitted = if only_if_due && !due(db, p, now).await? {
        Ok(None)
    } else {
        fit_run(db, program_id, now, run).await.map(Some)
    };
    // A fit that failed gives the claim back too, so the next one need not wait an hour.
    let released = async {
        let mut tx = db.begin_write().await?;
        predictions::release_run(&mut tx, p, run).await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = released {
        tracing::error!(error = %e, program_id = p, run, "customer value fit's claim not given back: the next fit waits up to an hour");
    }
    fitted
}

/// Whether the program was not fitted in the day before `now`.
async fn due(db: &Db, program_id: i64, now: Timestamp) -> Result<bool, AppError> {
    let last = predictions::last_fitted_at(&mut *db.pool.acquire().await?, program_id).await?;
    Ok(last.is_none_or(|at| now.0 - at >= SECONDS_PER_DAY))
}

/// Fit number `run` of `fit`, claimed.
async fn fit_run(
    db: &Db,
    program_id: ProgramId,
    now: Timestamp,
    run: i64,
) -> Result<CustomerValue, AppError> {
    let started = Instant::now();
    let p = program_id.get();
    let today = now.0.div_euclid(SECONDS_PER_DAY);
    let mut conn = db.pool.acquire().await?;
    // Memberships merged into others are history: their members go on under the one kept.
    let merged = predictions::merged_away(&mut conn, p).await?;
    let merged_ids: std::collections::HashSet<i64> = merged.iter().map(|(id, _)| *id).collect();
    let gone: RoaringBitmap = merged
        .iter()
        .filter_map(|(_, m)| u32::try_from(*m).ok())
        .collect();
    drop(conn);
    // The buyers before their tiers: one who joined since is in both.
    let mut summaries = summaries::buyers(db, p).await?;
    summaries.retain(|(id, _)| !merged_ids.contains(id));
    let mut conn = db.pool.acquire().await?;
    let tier_of = predictions::tier_ids(&mut conn, p).await?.into_iter().collect();
    let tier_names = predictions::tier_names(&mut conn, p).await?.into_iter().collect();
    drop(conn);
    let inputs = Inputs {
        summaries,
        tier_of,
        tier_names,
        days: buy_days(db, p, today - 1).await?,
        gone,
        today,
    };
    let read = started.elapsed();
    let (mut report, predictions) = tokio::task::spawn_blocking(move || evaluate(&inputs, program_id, now))
        .await
        .map_err(|_| AppError::Internal)?;
    let evaluated = started.elapsed();
    report.seconds = evaluated.as_secs_f64();
    if report.model.is_some() {
        write_predictions(db, p, run, &predictions).await?;
    }
    let mut tx = db.begin_write().await?;
    predictions::record_fit(&mut tx, p, now.0, &report).await?;
    tx.commit().await?;
    tracing::info!(
        program_id = p,
        run,
        members = predictions.len(),
        read_s = read.as_secs_f64(),
        evaluate_s = (evaluated - read).as_secs_f64(),
        write_s = (started.elapsed() - evaluated).as_secs_f64(),
        "customer value fitted"
    );
    Ok(report)
}

/// Members' predictions written per transaction: short enough that bookings (one writer at a
/// time on SQLite) wait milliseconds, not the seconds a million rows take.
const WRITE_BATCH: usize = 5_000;

/// Writes fit `run`'s predictions over the last fit's, batch by batch, each batch with the
/// removal of those in its range of memberships that this fit did not write (merged away
/// since), by the primary key: one removal over the whole table held SQLite's writer for a
/// scan of every program's predictions. The page may show old and new predictions side by
/// side for the seconds this takes, never a member twice. Stops, changing nothing more, when
/// another fit has taken the claim over (this one ran past the claim's hour).
async fn write_predictions(
    db: &Db,
    program_id: i64,
    run: i64,
    scored: &[Prediction],
) -> Result<(), AppError> {
    let mut after = i64::MIN;
    for batch in scored.chunks(WRITE_BATCH).map(Some).chain([None]) {
        let mut tx = db.begin_write().await?;
        if !predictions::still_claimed(&mut tx, program_id, run).await? {
            return Err(AppError::try_again(format!(
                "customer value fit {run} of program {program_id} was taken over"
            )));
        }
        let upto = match batch {
            Some(batch) => {
                predictions::upsert(&mut tx, program_id, run, batch).await?;
                batch.last().map_or(after, |p| p.0)
            }
            None => i64::MAX,
        };
        predictions::delete_other_runs(&mut tx, program_id, run, after, upto).await?;
        tx.commit().await?;
        after = upto;
    }
    Ok(())
}

/// Fits every program not fitted in the last day (the jobs run this).
pub async fn fit_due(db: &Db, now: Timestamp) -> Result<u64, AppError> {
    let programs: Vec<ProgramId> = sqlx::query_scalar("SELECT id FROM programs WHERE active = 1 ORDER BY id")
        .fetch_all(&db.pool)
        .await?;
    let mut fitted = 0;
    for program in programs {
        if !due(db, program.get(), now).await? {
            continue;
        }
        // One program's failure is logged and tried again next time; the others go on.
        match try_fit(db, program, now, true).await {
            Ok(Some(_)) => fitted += 1,
            Ok(None) => tracing::info!(%program, "customer value fit left to the server running one"),
            Err(e) => tracing::error!(error = %e, %program, "customer value not fitted"),
        }
    }
    Ok(fitted)
}

/// Every hour: folds what the rollups have queued, then fits the programs due (the first
/// tick at once, so a fresh server shows customer value within a minute).
pub fn spawn_daily(db: Db) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(3_600));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            // Fits go on from what is folded even when folding failed.
            if let Err(e) = crate::server::service::rollups::catch_up(&db).await {
                tracing::error!(error = %e, "rollups not folded before fitting");
            }
            match fit_due(&db, db.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(programs = n, "customer value fitted"),
                Err(e) => tracing::error!(error = %e, "customer value not fitted"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kpi::MemberSummary;
    use statrs::distribution::{ContinuousCDF, Gamma};

    /// Members with `repeat(i)` repeat purchase days after a first one, member `i`'s `k`-th
    /// day for `spend(i, k)`.
    fn buyers(n: i64, repeat: impl Fn(i64) -> i64, spend: impl Fn(i64, i64) -> i64) -> Vec<Buyer> {
        (0..n)
            .map(|i| {
                let mut s = MemberSummary::default();
                let first = i % 30;
                for k in 0..=repeat(i) {
                    s.buy(first + k * 9, spend(i, k), "store", true);
                }
                (i, summaries::Purchases::of(&s).expect("bought"))
            })
            .collect()
    }

    #[test]
    fn spend_alike_across_members_is_predicted_as_the_average_repeat_purchase() {
        // Every member's purchases drawn from one Gamma(p = 4) of mean 25.00, no member
        // different from another: the mean of x purchases at the quantiles of Gamma(4x,
        // rate 4x/2500), 50 members for each x from 1 to 4. q runs off, p stays.
        let mean_of = |i: i64| {
            let x = 1 + i / 50;
            let g = Gamma::new(4.0 * x as f64, 4.0 * x as f64 / 2_500.0).unwrap();
            g.inverse_cdf(((i % 50) as f64 + 0.5) / 50.0).round() as i64
        };
        let summaries = buyers(
            200,
            |i| 1 + i / 50,
            |i, k| if k == 0 { 1_000 } else { mean_of(i) },
        );
        let fitted = fit_models(&summaries, 400);
        let Err(e) = &fitted.gg else {
            panic!("fitted: {:?}", fitted.gg)
        };
        assert!(gamma_gamma_q_unbounded(e), "{e:?}");
        let (spend, purchases) = (0..200).fold((0, 0), |(s, n), i| {
            let x = 1 + i / 50;
            (s + x * mean_of(i), n + x)
        });
        let pooled = fitted.pooled.unwrap();
        assert!(
            (pooled - spend as f64 / purchases as f64).abs() < 1e-9,
            "{pooled}"
        );
    }

    #[test]
    fn members_who_each_always_spend_the_same_get_no_pooled_stand_in() {
        // Members differ, but each spends the same every time: p runs off (the limit there
        // is each member's own mean, not the average), so nothing stands in.
        let fitted = fit_models(
            &buyers(60, |i| 1 + i % 4, |i, _| 500 + 9_500 * ((i * 37) % 60) / 60),
            200,
        );
        let Err(e) = &fitted.gg else {
            panic!("fitted: {:?}", fitted.gg)
        };
        assert!(!gamma_gamma_q_unbounded(e), "{e:?}");
        assert_eq!(fitted.pooled, None);
    }

    #[test]
    fn a_spend_model_that_converges_has_no_stand_in() {
        // Members' typical spend spread over a factor of twenty, and each member's purchases
        // varying around it: Gamma-Gamma is fitted.
        let fitted = fit_models(
            &buyers(
                60,
                |i| 1 + i % 4,
                |i, k| (500 + 9_500 * ((i * 37) % 60) / 60) * (7 + 3 * ((i + k) % 3)) / 10,
            ),
            200,
        );
        assert!(fitted.gg.is_ok(), "{:?}", fitted.gg);
        assert_eq!(fitted.pooled, None);
    }
}
