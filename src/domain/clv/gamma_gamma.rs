//! The Gamma-Gamma model of spend per purchase (Fader and Hardie 2013, "The Gamma-Gamma
//! model of monetary value"): a customer's purchase amounts are Gamma(p, nu), with their
//! scale nu ~ Gamma(q, gamma) across customers. It is fitted to the mean spend m_x of each
//! customer's x repeat purchases, which is sufficient for nu.

use std::collections::HashMap;

use statrs::function::gamma::ln_gamma;

use super::error::ClvError;
use super::parallel::sum_chunks;

/// The three Gamma-Gamma parameters, all positive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

impl GammaGammaParams {
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<Self, ClvError> {
        for (name, v) in [("p", p), ("q", q), ("gamma", gamma)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(ClvError::InvalidParams(format!(
                    "Gamma-Gamma {name} = {v} must be a positive number"
                )));
            }
        }
        Ok(Self { p, q, gamma })
    }

    /// ln f(m_x | x), the density of the mean of x purchases:
    /// Gamma(px+q)/(Gamma(px)Gamma(q)) gamma^q m^(px-1) x^(px) / (gamma + x m)^(px+q).
    /// Needs x >= 1 and m > 0.
    pub fn ln_likelihood(&self, x: u32, m: f64) -> f64 {
        let xf = f64::from(x);
        self.ln_x_term(xf) + (self.p * xf - 1.0) * m.ln()
            - (self.p * xf + self.q) * (self.gamma + xf * m).ln()
    }

    /// The part of ln f that depends on x alone.
    fn ln_x_term(&self, x: f64) -> f64 {
        let (p, q) = (self.p, self.q);
        ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q) + q * self.gamma.ln() + p * x * x.ln()
    }

    /// The mean spend per purchase across customers, p·gamma/(q-1); undefined for q <= 1.
    pub fn population_mean(&self) -> Result<f64, ClvError> {
        if self.q <= 1.0 {
            return Err(ClvError::SpendUndefined(self.q));
        }
        Ok(self.p * self.gamma / (self.q - 1.0))
    }

    /// E[spend per purchase | x, m_x] = p (gamma + x m_x) / (p x + q - 1): a weighted average
    /// of the population mean and the customer's own mean. For x = 0 (m_x ignored) it is the
    /// population mean. Errors when q <= 1, where the population mean does not exist.
    pub fn expected_spend(&self, x: u32, m: f64) -> Result<f64, ClvError> {
        let mean = self.population_mean()?;
        if x == 0 {
            return Ok(mean);
        }
        let xf = f64::from(x);
        Ok(self.p * (self.gamma + xf * m) / (self.p * xf + self.q - 1.0))
    }
}

/// Repeat customers grouped by (x, m_x) with counts: the likelihood depends on nothing else,
/// and exact equality of the mean (same bits) loses nothing, so the fit sums over unique
/// rows with weights, as for BG/NBD. Customers with no repeat purchase carry no information
/// on spend and are not here; those whose mean spend is zero or negative (returns, free
/// items) are outside the model's support and are counted in [`Self::excluded`].
#[derive(Debug, Clone)]
pub struct GammaGammaData {
    xs: Vec<u32>,
    rows: Vec<Row>,
    customers: u64,
    excluded: u64,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    x: u32,
    ln_m: f64,
    x_m: f64,
    weight: f64,
}

impl GammaGammaData {
    /// From (x, m_x) of every customer: those with x = 0 are skipped, those with m_x <= 0
    /// (or not a number) counted as excluded.
    pub fn new(customers: impl IntoIterator<Item = (u32, f64)>) -> Self {
        let mut xs = Vec::new();
        let mut x_index: HashMap<u32, u32> = HashMap::new();
        let mut row_index: HashMap<(u32, u64), usize> = HashMap::new();
        let mut rows: Vec<Row> = Vec::new();
        let (mut n, mut excluded) = (0u64, 0u64);
        for (x, m) in customers {
            if x == 0 {
                continue;
            }
            if !(m.is_finite() && m > 0.0) {
                excluded += 1;
                continue;
            }
            n += 1;
            let xi = *x_index.entry(x).or_insert_with(|| {
                xs.push(x);
                (xs.len() - 1) as u32
            });
            let i = *row_index.entry((xi, m.to_bits())).or_insert_with(|| {
                rows.push(Row {
                    x: xi,
                    ln_m: m.ln(),
                    x_m: f64::from(x) * m,
                    weight: 0.0,
                });
                rows.len() - 1
            });
            rows[i].weight += 1.0;
        }
        Self {
            xs,
            rows,
            customers: n,
            excluded,
        }
    }

    /// Repeat customers with a positive mean spend: those the model is fitted to.
    pub fn customers(&self) -> u64 {
        self.customers
    }

    /// Repeat customers left out for a zero or negative mean spend.
    pub fn excluded(&self) -> u64 {
        self.excluded
    }

    /// The mean of the customers' mean spends (1 when there are none): a scale for gamma to
    /// start from.
    pub fn mean_spend(&self) -> f64 {
        let (mut sum, mut n) = (0.0, 0.0);
        for row in &self.rows {
            sum += row.weight * row.x_m / f64::from(self.xs[row.x as usize]);
            n += row.weight;
        }
        if n > 0.0 {
            sum / n
        } else {
            1.0
        }
    }

    /// The average spend of all repeat purchases, sum(x·m_x) / sum(x) (None without any):
    /// what Gamma-Gamma predicts for everyone in its limit q → ∞ with p·gamma/(q-1) fixed,
    /// where each customer's scale nu is the same, and the maximum-likelihood mean of a Gamma
    /// distribution of purchase amounts shared by all.
    pub fn pooled_mean(&self) -> Option<f64> {
        let (mut spend, mut purchases) = (0.0, 0.0);
        for row in &self.rows {
            spend += row.weight * row.x_m;
            purchases += row.weight * f64::from(self.xs[row.x as usize]);
        }
        (purchases > 0.0).then(|| spend / purchases)
    }

    pub fn unique_rows(&self) -> usize {
        self.rows.len()
    }

    /// The sum of ln f(m_x | x) over the customers.
    pub fn log_likelihood(&self, g: &GammaGammaParams) -> f64 {
        let per_x: Vec<(f64, f64)> = self
            .xs
            .iter()
            .map(|&x| (g.ln_x_term(f64::from(x)), g.p * f64::from(x)))
            .collect();
        let q = g.q;
        sum_chunks(&self.rows, |rows: &[Row]| {
            rows.iter()
                .map(|row| {
                    let (k, px) = per_x[row.x as usize];
                    row.weight * (k + (px - 1.0) * row.ln_m - (px + q) * (g.gamma + row.x_m).ln())
                })
                .sum()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statrs::function::gamma::gamma;

    const PUBLISHED: GammaGammaParams = GammaGammaParams {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    };

    fn close(got: f64, want: f64, rel: f64) {
        assert!(
            (got - want).abs() <= rel * want.abs(),
            "got {got}, want {want} (relative error {:e})",
            ((got - want) / want).abs()
        );
    }

    #[test]
    fn the_pooled_mean_is_the_average_repeat_purchase() {
        // Two customers with the same (x, m) are one weighted row; x = 0 and m <= 0 are out.
        let data = GammaGammaData::new([(2, 10.0), (1, 40.0), (3, 10.0), (3, 10.0), (0, 99.0), (2, -5.0)]);
        // (20 + 40 + 30 + 30) / (2 + 1 + 3 + 3)
        close(data.pooled_mean().unwrap(), 120.0 / 9.0, 1e-12);
        assert_eq!(GammaGammaData::new([(0, 5.0)]).pooled_mean(), None);
    }

    #[test]
    fn with_q_unbounded_every_member_is_expected_to_spend_the_population_mean() {
        // The limit the pooled mean stands in for: p·gamma/(q-1) held at 45 as q grows.
        let (p, mean) = (4.0, 45.0);
        for q in [1e6, 1e9, 1e12] {
            let g = GammaGammaParams::new(p, q, mean * (q - 1.0) / p).unwrap();
            for (x, m) in [(1, 5.0), (4, 200.0), (30, 45.0)] {
                // Off the mean by p·x·(m - mean)/(p·x + q - 1) at most: a shrinking bound.
                let bound = 2.0 * p * f64::from(x) * (m + mean) / (q * mean);
                close(g.expected_spend(x, m).unwrap(), mean, bound);
            }
        }
    }

    /// Simpson's rule for the integral over nu in (0, upper] of `f`.
    fn integrate(f: impl Fn(f64) -> f64, upper: f64) -> f64 {
        let n = 20_000;
        let h = upper / f64::from(n);
        let mut s = f(1e-300) + f(upper);
        for i in 1..n {
            s += f(f64::from(i) * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0
    }

    /// The density of the mean, from the model itself: the mean of x Gamma(p, nu) amounts is
    /// Gamma(px, x nu), mixed over nu ~ Gamma(q, gamma) by numerical integration.
    fn mixture_density(g: GammaGammaParams, x: u32, m: f64) -> f64 {
        let (p, q, gm) = (g.p, g.q, g.gamma);
        let px = p * f64::from(x);
        let rate = |nu: f64| nu * f64::from(x);
        integrate(
            |nu| {
                rate(nu).powf(px) * m.powf(px - 1.0) * (-rate(nu) * m).exp() / gamma(px)
                    * gm.powf(q)
                    * nu.powf(q - 1.0)
                    * (-gm * nu).exp()
                    / gamma(q)
            },
            8.0,
        )
    }

    #[test]
    fn the_likelihood_is_the_mixture() {
        for (x, m) in [(1u32, 11.77), (2, 22.35), (3, 73.74), (7, 35.0)] {
            close(
                PUBLISHED.ln_likelihood(x, m).exp(),
                mixture_density(PUBLISHED, x, m),
                1e-9,
            );
        }
        // Grouped: duplicates weigh, x = 0 is skipped, zero and negative spend excluded.
        let data = GammaGammaData::new([(2, 22.35), (2, 22.35), (1, 11.77), (0, 0.0), (3, 0.0), (4, -5.0)]);
        assert_eq!((data.customers(), data.excluded(), data.unique_rows()), (3, 2, 2));
        let want = 2.0 * PUBLISHED.ln_likelihood(2, 22.35) + PUBLISHED.ln_likelihood(1, 11.77);
        close(data.log_likelihood(&PUBLISHED), want, 1e-13);
    }

    #[test]
    fn expected_spend_is_the_posterior_mean() {
        // E[p/nu | m_x] under nu | m_x ~ Gamma(px+q, gamma + x m_x), by integration.
        for (x, m) in [(1u32, 11.77), (5, 40.0)] {
            let (p, q, gm) = (PUBLISHED.p, PUBLISHED.q, PUBLISHED.gamma);
            let (shape, rate) = (p * f64::from(x) + q, gm + f64::from(x) * m);
            let posterior =
                |nu: f64| rate.powf(shape) * nu.powf(shape - 1.0) * (-rate * nu).exp() / gamma(shape);
            let want = integrate(|nu| if nu > 1e-6 { p / nu * posterior(nu) } else { 0.0 }, 4.0);
            close(PUBLISHED.expected_spend(x, m).unwrap(), want, 1e-6);
        }
        // Without repeat purchases: the population mean p gamma / (q - 1).
        close(
            PUBLISHED.expected_spend(0, 0.0).unwrap(),
            6.25 * 15.44 / 2.74,
            1e-14,
        );
    }

    #[test]
    fn q_at_most_one_has_no_expected_spend() {
        for q in [1.0, 0.5] {
            let g = GammaGammaParams { q, ..PUBLISHED };
            assert_eq!(g.expected_spend(0, 0.0), Err(ClvError::SpendUndefined(q)));
            assert_eq!(g.expected_spend(3, 20.0), Err(ClvError::SpendUndefined(q)));
            assert!(g.population_mean().unwrap_err().to_string().contains("undefined"));
        }
        assert!(GammaGammaParams::new(6.25, 0.0, 15.44).is_err());
        assert!(GammaGammaParams::new(6.25, 3.74, f64::INFINITY).is_err());
    }
}
