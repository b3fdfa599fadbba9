//! Customer lifetime value: expected purchases month by month from BG/NBD, times the
//! expected spend per purchase from Gamma-Gamma, discounted monthly, as lifetimes'
//! `customer_lifetime_value` does.

use std::collections::HashMap;

use super::bgnbd::{BgNbdParams, Rfm};
use super::error::ClvError;
use super::parallel::map_chunks;

/// Days in a month: 365.25 / 12. A month is this many days, or this / 7 weeks (4.348); one
/// constant for both units, so a CLV in days and one in weeks agree. (lifetimes uses 30 days
/// and 4.345 weeks, which differ from each other and from this by up to 1.5 %.)
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// The CLV horizon and discounting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvSettings {
    pub horizon_months: u32,
    /// Discount rate per month: month i's purchases are divided by (1 + d)^i.
    pub monthly_discount: f64,
    /// Months in the model's time unit: DAYS_PER_MONTH / (days per unit).
    pub units_per_month: f64,
}

/// What BG/NBD says of one (x, t_x, T).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PurchaseOutlook {
    pub p_alive: f64,
    /// Expected repeat purchases in the next `window` time units.
    pub expected: f64,
    /// Sum over months i = 1..=horizon of the expected purchases in month i, divided by
    /// (1 + d)^i: multiplied by the expected spend per purchase, the CLV.
    pub discounted: f64,
}

/// The outlook of a customer with history `c`, over `window` time units (expected) and the
/// CLV horizon (discounted).
pub fn outlook(bg: &BgNbdParams, c: Rfm, window: f64, s: &ClvSettings) -> Result<PurchaseOutlook, ClvError> {
    let mut discounted = 0.0;
    let mut before = 0.0;
    for i in 1..=s.horizon_months {
        // Cumulative expectations differenced: the purchases in (i-1, i] months.
        let upto = bg.expected_purchases(f64::from(i) * s.units_per_month, c)?;
        discounted += (upto - before) / (1.0 + s.monthly_discount).powi(i as i32);
        before = upto;
    }
    Ok(PurchaseOutlook {
        p_alive: bg.p_alive(c),
        expected: bg.expected_purchases(window, c)?,
        discounted,
    })
}

/// The outlooks of many customers: one per distinct (x, t_x, T), on all cores. `unique[i]`
/// is the outlook of the customers whose `index` is i (in the order of `customers`).
pub struct Outlooks {
    pub unique: Vec<Result<PurchaseOutlook, ClvError>>,
    pub index: Vec<usize>,
}

impl Outlooks {
    /// The outlook of the `i`-th customer.
    pub fn of(&self, i: usize) -> &Result<PurchaseOutlook, ClvError> {
        &self.unique[self.index[i]]
    }
}

/// [`outlook`] of each customer, computed once per distinct history: a program's million
/// members have far fewer histories, and each costs thirteen 2F1 series.
pub fn outlooks(bg: &BgNbdParams, customers: &[Rfm], window: f64, s: &ClvSettings) -> Outlooks {
    let mut row_of: HashMap<(u32, u64, u64), usize> = HashMap::new();
    let mut distinct: Vec<Rfm> = Vec::new();
    let index = customers
        .iter()
        .map(|c| {
            *row_of
                .entry((c.x, c.t_x.to_bits(), c.t.to_bits()))
                .or_insert_with(|| {
                    distinct.push(*c);
                    distinct.len() - 1
                })
        })
        .collect();
    let unique = map_chunks(&distinct, |chunk| {
        chunk
            .iter()
            .map(|c| outlook(bg, *c, window, s))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    Outlooks { unique, index }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BG: BgNbdParams = BgNbdParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    #[test]
    fn undiscounted_value_is_the_horizons_expectation() {
        let c = Rfm {
            x: 2,
            t_x: 30.43,
            t: 38.86,
        };
        let weeks = ClvSettings {
            horizon_months: 12,
            monthly_discount: 0.0,
            units_per_month: DAYS_PER_MONTH / 7.0,
        };
        let o = outlook(&BG, c, 39.0, &weeks).unwrap();
        let year = BG.expected_purchases(12.0 * DAYS_PER_MONTH / 7.0, c).unwrap();
        assert!((o.discounted - year).abs() < 1e-12, "{} {year}", o.discounted);
        assert_eq!(o.expected, BG.expected_purchases(39.0, c).unwrap());
        assert_eq!(o.p_alive, BG.p_alive(c));
    }

    #[test]
    fn discounting_by_hand() {
        let c = Rfm {
            x: 0,
            t_x: 0.0,
            t: 20.0,
        };
        let s = ClvSettings {
            horizon_months: 3,
            monthly_discount: 0.01,
            units_per_month: DAYS_PER_MONTH / 7.0,
        };
        let e = |m: f64| BG.expected_purchases(m * DAYS_PER_MONTH / 7.0, c).unwrap();
        let want = e(1.0) / 1.01 + (e(2.0) - e(1.0)) / 1.01f64.powi(2) + (e(3.0) - e(2.0)) / 1.01f64.powi(3);
        let got = outlook(&BG, c, 1.0, &s).unwrap().discounted;
        assert!((got - want).abs() < 1e-14, "{got} {want}");
        // Days and weeks: the same months, the same value (alpha and times scaled by 7).
        let days = ClvSettings {
            units_per_month: DAYS_PER_MONTH,
            ..s
        };
        let bg_days = BgNbdParams {
            alpha: BG.alpha * 7.0,
            ..BG
        };
        let in_days = outlook(
            &bg_days,
            Rfm {
                x: 0,
                t_x: 0.0,
                t: 140.0,
            },
            7.0,
            &days,
        )
        .unwrap();
        assert!((in_days.discounted - got).abs() < 1e-12);
    }

    #[test]
    fn many_customers_share_the_outlook_of_their_history() {
        let s = ClvSettings {
            horizon_months: 12,
            monthly_discount: 0.01,
            units_per_month: DAYS_PER_MONTH / 7.0,
        };
        // 20,000 histories, each twice: more distinct ones than a chunk of work holds, so
        // they are shared out between threads.
        let customers: Vec<Rfm> = (0..40_000u32)
            .map(|i| {
                let h = i % 20_000;
                Rfm {
                    x: h % 7,
                    t_x: f64::from(h % 7) * 3.0,
                    t: 30.0 + f64::from(h) * 1e-3,
                }
            })
            .collect();
        let all = outlooks(&BG, &customers, 39.0, &s);
        assert_eq!(all.unique.len(), 20_000);
        assert!(all.unique.len() > crate::domain::clv::parallel::CHUNK);
        for (i, c) in customers.iter().enumerate().step_by(997) {
            assert_eq!(all.of(i), &outlook(&BG, *c, 39.0, &s));
        }
    }
}
