//! Maximum-likelihood fits of BG/NBD and Gamma-Gamma: Nelder-Mead (argmin) on the
//! logarithms of the parameters, so every point it tries is a valid positive parameter set
//! and no constraint is needed. It minimises the mean negative log-likelihood per customer,
//! so the stopping tolerance means the same for a hundred customers as for a million.

use std::cell::Cell;

use argmin::core::{CostFunction, Error as ArgminError, Executor, State};
use argmin::solver::neldermead::NelderMead;

use super::bgnbd::{BgNbdData, BgNbdParams};
use super::error::ClvError;
use super::gamma_gamma::{GammaGammaData, GammaGammaParams};

/// Fewest customers (BG/NBD) or repeat customers with a positive spend (Gamma-Gamma) that a
/// fit is attempted with: below that the likelihood is too flat for parameters that mean
/// anything.
pub const MIN_CUSTOMERS: u64 = 10;

/// Nelder-Mead stops when the costs at its simplex's vertices have this standard deviation
/// (mean log-likelihood per customer, so about 1e-12 relative).
const SD_TOLERANCE: f64 = 1e-12;
const MAX_ITERS: u64 = 5_000;
/// Nelder-Mead can stall on a collapsed simplex; it is restarted from its best point with a
/// fresh simplex until a restart no longer improves the cost by more than this.
const RESTART_GAIN: f64 = 1e-11;
const MAX_RESTARTS: usize = 10;
/// |ln parameter| past this (e^25 ~ 7e10) means the optimum is at the edge of the parameter
/// space: the data does not pin the model down.
const LN_BOUND: f64 = 25.0;
/// The cost of a point where the likelihood is not a number (finite, so the simplex's
/// arithmetic stays finite).
const PENALTY: f64 = 1e100;

/// A fitted model: its parameters, the log-likelihood summed over customers there, and the
/// likelihood evaluations it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit<P> {
    pub params: P,
    pub log_likelihood: f64,
    pub evaluations: u64,
}

/// Fits BG/NBD to the grouped calibration summaries.
pub fn fit_bgnbd(data: &BgNbdData) -> Result<Fit<BgNbdParams>, ClvError> {
    let n = data.customers();
    if n < MIN_CUSTOMERS {
        return Err(ClvError::TooLittleData(format!(
            "{n} customers in the calibration period; BG/NBD needs at least {MIN_CUSTOMERS}"
        )));
    }
    if data.repeat_buyers() == 0 {
        return Err(ClvError::TooLittleData(
            "no customer bought again in the calibration period, so BG/NBD cannot tell purchase rates \
             from drop-out"
                .into(),
        ));
    }
    let params = |v: &[f64]| BgNbdParams {
        r: v[0].exp(),
        alpha: v[1].exp(),
        a: v[2].exp(),
        b: v[3].exp(),
    };
    // alpha is a time scale: starting it at the mean time between repeat purchases (with
    // r = 1) makes the search the same in days as in weeks.
    let start = [0.0, data.mean_interpurchase_time().ln(), 0.0, 0.0];
    maximise("BG/NBD", n, &start, params, |p| data.log_likelihood(p))
}

/// Fits Gamma-Gamma to the repeat customers' mean spends.
pub fn fit_gamma_gamma(data: &GammaGammaData) -> Result<Fit<GammaGammaParams>, ClvError> {
    let n = data.customers();
    if n < MIN_CUSTOMERS {
        return Err(ClvError::TooLittleData(format!(
            "{n} repeat customers with a positive mean spend ({} more excluded for a zero or negative \
             one); Gamma-Gamma needs at least {MIN_CUSTOMERS}",
            data.excluded()
        )));
    }
    let params = |v: &[f64]| GammaGammaParams {
        p: v[0].exp(),
        q: v[1].exp(),
        gamma: v[2].exp(),
    };
    // p = 1, q = 2 and gamma = the mean spend start the population mean p·gamma/(q-1) at
    // the observed one, whatever the currency.
    let start = [0.0, 2f64.ln(), data.mean_spend().ln()];
    maximise("Gamma-Gamma", n, &start, params, |p| data.log_likelihood(p))
}

/// Whether a Gamma-Gamma fit failed because q ran off to infinity (with gamma, as
/// p·gamma/(q-1) stays put) while p stayed in range: members' mean spends differ no more than
/// their purchases do, so the model's limit is one spend distribution shared by all, whose
/// mean is [`GammaGammaData::pooled_mean`]. (p running off instead means each member always
/// spends about the same, a different limit: each member's own mean.)
pub fn gamma_gamma_q_unbounded(e: &ClvError) -> bool {
    matches!(e, ClvError::NoConvergence { model: "Gamma-Gamma", to_infinity, .. }
        if to_infinity.contains(&1) && !to_infinity.contains(&0))
}

/// Maximises a log-likelihood summed over `customers`: the optimiser minimises its negative
/// mean per customer (the same tolerances whatever the data's size), and the fit reports the
/// sum again.
fn maximise<P>(
    model: &'static str,
    customers: u64,
    start: &[f64],
    params: impl Fn(&[f64]) -> P,
    log_likelihood: impl Fn(&P) -> f64,
) -> Result<Fit<P>, ClvError> {
    let per_customer = customers as f64;
    let (v, cost, evaluations) = minimize(model, |v| -log_likelihood(&params(v)) / per_customer, start)?;
    Ok(Fit {
        params: params(&v),
        log_likelihood: -cost * per_customer,
        evaluations,
    })
}

struct Objective<'a> {
    f: &'a dyn Fn(&[f64]) -> f64,
}

impl CostFunction for Objective<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, v: &Vec<f64>) -> Result<f64, ArgminError> {
        Ok((self.f)(v))
    }
}

/// Minimises `f` from `start` (log-parameters): (best point, its cost, evaluations).
fn minimize(
    model: &'static str,
    f: impl Fn(&[f64]) -> f64,
    start: &[f64],
) -> Result<(Vec<f64>, f64, u64), ClvError> {
    let fail = |reason: String| ClvError::NoConvergence {
        model,
        reason,
        to_infinity: Vec::new(),
    };
    let evaluations = Cell::new(0u64);
    let guarded = |v: &[f64]| {
        evaluations.set(evaluations.get() + 1);
        // Far outside any sensible range the likelihood's terms overflow; keep out of there.
        if v.iter().any(|p| !p.is_finite() || p.abs() > 2.0 * LN_BOUND) {
            return PENALTY;
        }
        let c = f(v);
        if c.is_finite() {
            c
        } else {
            PENALTY
        }
    };
    let mut best = start.to_vec();
    let mut best_cost = guarded(&best);
    if best_cost >= PENALTY {
        return Err(fail(
            "the likelihood is not a number at the starting point".into(),
        ));
    }
    for restart in 0..MAX_RESTARTS {
        // The first simplex spans a factor e in each parameter; restarts a smaller one.
        let step = if restart == 0 { 1.0 } else { 0.1 };
        let simplex: Vec<Vec<f64>> = std::iter::once(best.clone())
            .chain((0..best.len()).map(|i| {
                let mut v = best.clone();
                v[i] += step;
                v
            }))
            .collect();
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(SD_TOLERANCE)
            .map_err(|e| fail(e.to_string()))?;
        let result = Executor::new(Objective { f: &guarded }, solver)
            .configure(|state| state.max_iters(MAX_ITERS))
            .run()
            .map_err(|e| fail(e.to_string()))?;
        let state = result.state();
        let cost = state.get_best_cost();
        let Some(point) = state.get_best_param().cloned() else {
            return Err(fail("no best point".into()));
        };
        let gain = best_cost - cost;
        if cost < best_cost {
            best = point;
            best_cost = cost;
        }
        if restart > 0 && gain <= RESTART_GAIN {
            break;
        }
    }
    if best_cost >= PENALTY {
        return Err(fail(
            "the likelihood is not a number anywhere the search went".into(),
        ));
    }
    if let Some(v) = best.iter().find(|v| v.abs() > LN_BOUND) {
        return Err(ClvError::NoConvergence {
            model,
            reason: format!(
                "a parameter ran off to {:e}, the edge of the parameter space: the data does not determine \
                 the model (too little data, or no variation in it?)",
                v.exp()
            ),
            to_infinity: (0..best.len()).filter(|&i| best[i] > LN_BOUND).collect(),
        });
    }
    Ok((best, best_cost, evaluations.get()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clv::bgnbd::Rfm;

    /// Synthetic customers drawn from known BG/NBD parameters by a fixed, seeded generator,
    /// with every draw's own uniform so the test needs no random-number crate.
    fn simulate(params: BgNbdParams, n: usize, t_max: f64) -> Vec<Rfm> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut uniform = move || {
            // xorshift64*: plenty for a test.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        // Gamma(shape, 1) by Marsaglia and Tsang (with the shape < 1 boost).
        fn gamma_draw(shape: f64, u: &mut dyn FnMut() -> f64) -> f64 {
            if shape < 1.0 {
                return gamma_draw(shape + 1.0, u) * u().powf(1.0 / shape);
            }
            let d = shape - 1.0 / 3.0;
            let c = 1.0 / (9.0 * d).sqrt();
            loop {
                // A standard normal by Box-Muller.
                let z = (-2.0 * u().ln()).sqrt() * (2.0 * std::f64::consts::PI * u()).cos();
                let v = (1.0 + c * z).powi(3);
                if v > 0.0 && u().ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                    return d * v;
                }
            }
        }
        (0..n)
            .map(|i| {
                let lambda = gamma_draw(params.r, &mut uniform) / params.alpha;
                let ga = gamma_draw(params.a, &mut uniform);
                let p = ga / (ga + gamma_draw(params.b, &mut uniform));
                // First purchases spread over the calibration period's first part.
                let t = t_max * (1.0 - 0.5 * (i as f64 / n as f64));
                let (mut now, mut x, mut t_x) = (0.0, 0u32, 0.0);
                loop {
                    now += -uniform().ln() / lambda;
                    if now > t {
                        break;
                    }
                    x += 1;
                    t_x = now;
                    if uniform() < p {
                        break;
                    }
                }
                Rfm { x, t_x, t }
            })
            .collect()
    }

    #[test]
    fn recovers_the_parameters_it_simulated() {
        let truth = BgNbdParams {
            r: 0.8,
            alpha: 6.0,
            a: 0.6,
            b: 3.0,
        };
        let data = BgNbdData::new(simulate(truth, 6_000, 52.0));
        let fit = fit_bgnbd(&data).unwrap();
        let got = fit.params;
        // Sampling error at 6000 customers: a few tens of percent on a and b at most.
        for (name, g, t, tol) in [
            ("r", got.r, truth.r, 0.2),
            ("alpha", got.alpha, truth.alpha, 0.25),
            ("a", got.a, truth.a, 0.5),
            ("b", got.b, truth.b, 0.6),
        ] {
            assert!((g / t - 1.0).abs() < tol, "{name}: fitted {g}, simulated {t}");
        }
        // The optimum: no coordinate step improves the likelihood.
        for i in 0..4 {
            for h in [1e-4, -1e-4] {
                let mut v = [got.r.ln(), got.alpha.ln(), got.a.ln(), got.b.ln()];
                v[i] += h;
                let moved = BgNbdParams {
                    r: v[0].exp(),
                    alpha: v[1].exp(),
                    a: v[2].exp(),
                    b: v[3].exp(),
                };
                assert!(data.log_likelihood(&moved) <= fit.log_likelihood + 1e-7);
            }
        }
        assert!((fit.log_likelihood - data.log_likelihood(&got)).abs() < 1e-6);
    }

    #[test]
    fn the_fit_does_not_depend_on_the_time_unit() {
        let truth = BgNbdParams {
            r: 0.5,
            alpha: 3.0,
            a: 0.9,
            b: 2.0,
        };
        let weeks = simulate(truth, 2_000, 39.0);
        let days: Vec<Rfm> = weeks
            .iter()
            .map(|c| Rfm {
                x: c.x,
                t_x: c.t_x * 7.0,
                t: c.t * 7.0,
            })
            .collect();
        let w = fit_bgnbd(&BgNbdData::new(weeks)).unwrap().params;
        let d = fit_bgnbd(&BgNbdData::new(days)).unwrap().params;
        for (a, b) in [(w.r, d.r), (w.alpha * 7.0, d.alpha), (w.a, d.a), (w.b, d.b)] {
            assert!((a / b - 1.0).abs() < 1e-4, "{a} {b}");
        }
    }

    #[test]
    fn too_little_data_says_so() {
        let few = BgNbdData::new((0..5).map(|i| Rfm {
            x: i,
            t_x: f64::from(i),
            t: 10.0,
        }));
        let e = fit_bgnbd(&few).unwrap_err();
        assert!(
            matches!(e, ClvError::TooLittleData(_)) && e.to_string().contains("5 customers"),
            "{e}"
        );
        let none_again = BgNbdData::new((0..100).map(|i| Rfm {
            x: 0,
            t_x: 0.0,
            t: f64::from(i) + 1.0,
        }));
        let e = fit_bgnbd(&none_again).unwrap_err();
        assert!(e.to_string().contains("no customer bought again"), "{e}");
        // Gamma-Gamma: the zero and negative spenders are counted out, and named.
        let spend =
            GammaGammaData::new((0..30).map(|i| (1 + i % 3, if i < 25 { 0.0 } else { 10.0 + f64::from(i) })));
        let e = fit_gamma_gamma(&spend).unwrap_err();
        assert!(
            e.to_string().contains("5 repeat customers") && e.to_string().contains("25 more excluded"),
            "{e}"
        );
    }

    #[test]
    fn gamma_gamma_recovers_a_known_mean() {
        // Means of x purchases that scatter around 30: the fitted population mean is near it.
        let customers = (0..400u32).map(|i| {
            let x = 1 + i % 5;
            let wobble =
                1.0 + 0.3 * (f64::from(i) * 0.7).sin() + 0.2 * (f64::from(i) * 1.3).cos() / f64::from(x);
            (x, 30.0 * wobble)
        });
        let data = GammaGammaData::new(customers);
        let fit = fit_gamma_gamma(&data).unwrap();
        let mean = fit.params.population_mean().unwrap();
        assert!((mean / 30.0 - 1.0).abs() < 0.1, "{:?} mean {mean}", fit.params);
        assert!((fit.log_likelihood - data.log_likelihood(&fit.params)).abs() < 1e-6);
    }
}
