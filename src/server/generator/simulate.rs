//! How a generated brand's members behave, from a seed and nothing else: who joins when,
//! through which channel and store, and when each one buys. Each member's purchases are a
//! Poisson process whose rate varies across members (gamma), with a chance to lapse after
//! each purchase (beta): the story BG/NBD tells, so a CLV fit on generated data finds these
//! parameters again. Spend per order follows Gamma-Gamma. Pure: no database.
//!
//! Every member draws from a random stream of its own (the seed and its number), so the
//! timeline can be laid out for a million members in a few hundred megabytes and each
//! order's details drawn again when it is booked, the same every time.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma};

use crate::model::rules::Channel;
use crate::model::time::SECONDS_PER_DAY;

const SECONDS_PER_WEEK: f64 = 7.0 * SECONDS_PER_DAY as f64;

/// The population's parameters. Rates are per week; spend is in major units.
#[derive(Debug, Clone, Copy)]
pub struct Behaviour {
    /// BG/NBD: purchase rates are Gamma(r, rate alpha) across members.
    pub r: f64,
    pub alpha: f64,
    /// BG/NBD: the chance to lapse after a purchase is Beta(a, b) across members.
    pub a: f64,
    pub b: f64,
    /// Gamma-Gamma: spend per order is Gamma(p, rate nu), nu is Gamma(q, rate gamma).
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
    /// Share of members who join online without buying (their first order comes later).
    pub join_without_order: f64,
    /// Share of members referred by a member who joined before them.
    pub referred: f64,
    /// Chance an order is placed in another channel than the member's own.
    pub other_channel: f64,
    /// Chance an order comes back (fully or in part).
    pub returned: f64,
}

impl Default for Behaviour {
    /// A grocery-and-household brand: about one order a fortnight while active (0.48 a
    /// week on average, widely spread), a 14 % chance on average to lapse after each repeat
    /// order, €45 an order.
    fn default() -> Self {
        Behaviour {
            r: 1.2,
            alpha: 2.5,
            a: 0.8,
            b: 4.8,
            p: 6.0,
            q: 4.0,
            gamma: 22.5,
            join_without_order: 0.2,
            referred: 0.06,
            other_channel: 0.2,
            returned: 0.04,
        }
    }
}

/// How busy a day of the year is, relative to an ordinary day: the run-up to Christmas and
/// the week of Black Friday sell more, January less; weekends a little more.
pub fn season(day_of_year: u32, weekday: u32) -> f64 {
    let month_factor = match day_of_year {
        0..=30 => 0.8,     // January
        31..=180 => 1.0,   // February to June
        181..=242 => 0.95, // July and August
        243..=325 => 1.0,  // September to late November
        326..=332 => 1.6,  // Black Friday week
        333..=358 => 1.45, // December before Christmas
        _ => 0.9,          // Christmas to New Year
    };
    let weekend = if weekday >= 5 { 1.15 } else { 0.94 };
    month_factor * weekend
}

/// The busiest a day can be (`season`'s maximum), for thinning.
const SEASON_MAX: f64 = 1.6 * 1.15;

/// Where a member joined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Joined {
    /// Seconds after the start of the generated period.
    pub at: i64,
    pub channel: Channel,
    /// The member's own store among the brand's shops (used for store orders).
    pub home_store: usize,
    /// Whether a member referred this one, as a uniform draw that picks the referrer among
    /// those who joined before (the replay knows who they are).
    pub referred: Option<f64>,
    /// Whether the first purchase is made on joining.
    pub buys_on_joining: bool,
}

/// One member's timeline: when they joined and when they bought (seconds after the start).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub joined: Joined,
    pub purchases: Vec<i64>,
}

/// The whole population's shape.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    pub seed: u64,
    pub members: u32,
    /// Length of the generated period in seconds.
    pub span: i64,
    /// Day of the year (0-based) and weekday (0 = Monday) of the period's first day, for
    /// the season.
    pub first_day_of_year: u32,
    pub first_weekday: u32,
    /// Physical shops to spread store members over.
    pub shops: usize,
    pub behaviour: Behaviour,
}

impl Population {
    /// The random stream of member `n` (or of one of its orders, `k` > 0).
    pub fn stream(&self, n: u32, k: u32) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream((u64::from(n) << 24) | u64::from(k));
        rng
    }

    fn season_at(&self, secs: i64) -> f64 {
        let day = (secs / SECONDS_PER_DAY) as u32;
        season(
            (self.first_day_of_year + day) % 365,
            (self.first_weekday + day) % 7,
        )
    }

    /// When member `n` joins: enrolment grows over the period (the density rises linearly
    /// to twice its start), at a time of day when shops are open.
    fn join_time(&self, rng: &mut ChaCha8Rng) -> i64 {
        // Inverse of the CDF of a density proportional to 1 + x on [0, 1].
        let u: f64 = rng.gen();
        let x = (-1.0 + (1.0 + 3.0 * u).sqrt()).clamp(0.0, 1.0);
        let day = ((x * self.span as f64) as i64 / SECONDS_PER_DAY)
            .min(self.span / SECONDS_PER_DAY - 1)
            .max(0);
        day * SECONDS_PER_DAY + open_hours(rng)
    }

    /// Member `n`'s timeline.
    pub fn timeline(&self, n: u32) -> Timeline {
        let mut rng = self.stream(n, 0);
        let b = &self.behaviour;
        let at = self.join_time(&mut rng);
        let channel = match rng.gen::<f64>() {
            x if x < 0.6 => Channel::Store,
            x if x < 0.85 => Channel::Web,
            _ => Channel::App,
        };
        let home_store = rng.gen_range(0..self.shops.max(1));
        let referred = (rng.gen::<f64>() < b.referred).then(|| rng.gen::<f64>());
        let buys_on_joining = channel == Channel::Store || rng.gen::<f64>() >= b.join_without_order;
        let joined = Joined {
            at,
            channel,
            home_store,
            referred,
            buys_on_joining,
        };
        let lambda = Gamma::new(b.r, 1.0 / b.alpha).map_or(0.5, |g| g.sample(&mut rng)) / SECONDS_PER_WEEK;
        let lapse = Beta::new(b.a, b.b).map_or(0.2, |d| d.sample(&mut rng));
        let mut purchases = Vec::new();
        let mut t = at;
        if buys_on_joining {
            purchases.push(at);
        }
        let Ok(gap) = Exp::new(lambda * SEASON_MAX) else {
            return Timeline { joined, purchases };
        };
        loop {
            // A rate near zero draws a gap beyond the period (or beyond i64): no purchase.
            let wait = gap.sample(&mut rng).ceil();
            if wait >= (self.span - t) as f64 {
                break;
            }
            t += wait as i64;
            // Thinning: a candidate is a purchase with the day's share of the busiest rate.
            if rng.gen::<f64>() * SEASON_MAX > self.season_at(t) {
                continue;
            }
            // Purchases in opening hours: the candidate's day, at a time shops are open.
            let day_start = t - t.rem_euclid(SECONDS_PER_DAY);
            let when = day_start + open_hours(&mut rng);
            if when >= self.span {
                break;
            }
            // Not before joining or the last purchase (a second visit the same day is later).
            if when <= purchases.last().copied().unwrap_or(at) {
                continue;
            }
            purchases.push(when);
            t = when;
            // BG/NBD: a member may lapse after each repeat purchase (not after the first).
            if purchases.len() > 1 && rng.gen::<f64>() < lapse {
                break;
            }
        }
        Timeline { joined, purchases }
    }

    /// Member `n`'s mean spend per order, in major units (`nu` of Gamma-Gamma drawn from
    /// its own stream, so every order of the member sees the same).
    fn spend_rate(&self, n: u32) -> f64 {
        let mut rng = self.stream(n, u32::MAX >> 8);
        Gamma::new(self.behaviour.q, 1.0 / self.behaviour.gamma).map_or(1.0 / 45.0, |g| g.sample(&mut rng))
    }

    /// The details of member `n`'s purchase number `k` (0-based).
    pub fn order(&self, n: u32, k: u32, joined: &Joined, catalogue: &[Product]) -> Order {
        let nu = self.spend_rate(n);
        let mut rng = self.stream(n, k + 1);
        let b = &self.behaviour;
        let spend = Gamma::new(b.p, 1.0 / nu).map_or(45.0, |g| g.sample(&mut rng));
        // Whole cents, at least one euro, at most what an order may be.
        let amount_minor = ((spend * 100.0).round() as i64).clamp(100, 500_000);
        let channel = if rng.gen::<f64>() < b.other_channel {
            let others: Vec<Channel> = Channel::ALL
                .into_iter()
                .filter(|c| *c != joined.channel)
                .collect();
            others[rng.gen_range(0..others.len())]
        } else {
            joined.channel
        };
        let store = if channel == Channel::Store && rng.gen::<f64>() < 0.1 {
            rng.gen_range(0..self.shops.max(1))
        } else {
            joined.home_store
        };
        let lines = lines(&mut rng, amount_minor, catalogue);
        let returned = (rng.gen::<f64>() < b.returned).then(|| {
            let after = rng.gen_range(1..=25) * SECONDS_PER_DAY + rng.gen_range(0..3600);
            let share = if rng.gen::<bool>() {
                1.0
            } else {
                rng.gen_range(0.2..0.8)
            };
            let refund = ((amount_minor as f64 * share).round() as i64).clamp(1, amount_minor);
            (after, refund)
        });
        Order {
            amount_minor,
            channel,
            store,
            lines,
            returned,
            redeems: rng.gen::<f64>(),
        }
    }
}

/// A moment in opening hours (08:00 to 21:00, busier in the evening), in seconds of a day.
fn open_hours(rng: &mut ChaCha8Rng) -> i64 {
    let evening = rng.gen::<f64>() < 0.4;
    let (from, to) = if evening {
        (16 * 3600, 21 * 3600)
    } else {
        (8 * 3600, 16 * 3600)
    };
    rng.gen_range(from..to)
}

/// A product of the brand's catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub sku: &'static str,
    pub category: &'static str,
}

/// One generated purchase.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub amount_minor: i64,
    pub channel: Channel,
    /// Index of the shop, for store orders.
    pub store: usize,
    /// (product, quantity, line amount); they add up to `amount_minor`.
    pub lines: Vec<(usize, i64, i64)>,
    /// Returned this long after the purchase (seconds), for this refund (minor units).
    pub returned: Option<(i64, i64)>,
    /// A uniform draw for whether the member spends points after this order.
    pub redeems: f64,
}

/// One to five lines from the catalogue whose amounts add up to the order's.
fn lines(rng: &mut ChaCha8Rng, amount_minor: i64, catalogue: &[Product]) -> Vec<(usize, i64, i64)> {
    if catalogue.is_empty() {
        return Vec::new();
    }
    let count = (rng.gen_range(1..=5) as i64).min(amount_minor).max(1) as usize;
    let weights: Vec<f64> = (0..count).map(|_| rng.gen_range(0.2..1.0)).collect();
    let total: f64 = weights.iter().sum();
    let mut left = amount_minor;
    let mut out = Vec::with_capacity(count);
    for (i, w) in weights.iter().enumerate() {
        let still = (count - i - 1) as i64;
        let amount = if still == 0 {
            left
        } else {
            ((amount_minor as f64 * w / total).round() as i64).clamp(1, left - still)
        };
        left -= amount;
        out.push((rng.gen_range(0..catalogue.len()), rng.gen_range(1..=3), amount));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn population(members: u32) -> Population {
        Population {
            seed: 7,
            members,
            span: 365 * SECONDS_PER_DAY,
            first_day_of_year: 0,
            first_weekday: 0,
            shops: 4,
            behaviour: Behaviour::default(),
        }
    }

    fn catalogue() -> Vec<Product> {
        vec![
            Product {
                sku: "A",
                category: "fresh",
            },
            Product {
                sku: "B",
                category: "household",
            },
        ]
    }

    #[test]
    fn the_same_seed_gives_the_same_members_and_orders() {
        let p = population(50);
        for n in 0..50 {
            assert_eq!(p.timeline(n), p.timeline(n));
            let t = p.timeline(n);
            for k in 0..t.purchases.len() as u32 {
                assert_eq!(
                    p.order(n, k, &t.joined, &catalogue()),
                    p.order(n, k, &t.joined, &catalogue())
                );
            }
        }
        let other = Population { seed: 8, ..p };
        assert_ne!(
            (0..50).map(|n| p.timeline(n)).collect::<Vec<_>>(),
            (0..50).map(|n| other.timeline(n)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn timelines_stay_in_the_period_in_order_and_in_opening_hours() {
        let p = population(2_000);
        for n in 0..2_000 {
            let t = p.timeline(n);
            assert!((0..p.span).contains(&t.joined.at));
            assert!(t.purchases.windows(2).all(|w| w[0] < w[1]), "{t:?}");
            assert!(t.purchases.iter().all(|&at| at >= t.joined.at && at < p.span));
            for at in std::iter::once(t.joined.at).chain(t.purchases.iter().copied()) {
                let hour = at.rem_euclid(SECONDS_PER_DAY) / 3600;
                assert!((8..21).contains(&hour), "{at} at hour {hour}");
            }
            assert!(t.joined.referred.is_none_or(|u| (0.0..1.0).contains(&u)));
            assert_eq!(
                t.joined.buys_on_joining,
                t.purchases.first() == Some(&t.joined.at)
            );
        }
    }

    #[test]
    fn the_population_buys_as_its_parameters_say() {
        // Over a year, members who joined early and stayed buy about r/alpha a week.
        let p = population(20_000);
        let timelines: Vec<Timeline> = (0..20_000).map(|n| p.timeline(n)).collect();
        // Repeat purchases per member: between none and the active-for-ever bound.
        let orders: usize = timelines.iter().map(|t| t.purchases.len()).sum();
        let per_member = orders as f64 / timelines.len() as f64;
        assert!((1.5..8.0).contains(&per_member), "{per_member}");
        // Enrolment grows: the second half of the period takes more joiners than the first.
        let late = timelines.iter().filter(|t| t.joined.at > p.span / 2).count();
        assert!(late as f64 > 0.55 * timelines.len() as f64, "{late}");
        // Channels: most join in store.
        let store = timelines
            .iter()
            .filter(|t| t.joined.channel == Channel::Store)
            .count();
        assert!((0.55..0.65).contains(&(store as f64 / timelines.len() as f64)));
    }

    #[test]
    fn bg_nbd_fitted_on_the_members_finds_their_parameters() {
        // Members who bought on joining, observed from then to the end of the period, in
        // weeks: the fit should find the population's r, alpha, a and b again, within
        // what seasons and opening hours bend (purchases are not exactly Poisson).
        use crate::domain::clv::bgnbd::{BgNbdData, Rfm};
        let p = population(20_000);
        let week = SECONDS_PER_WEEK;
        let rfm: Vec<Rfm> = (0..20_000)
            .map(|n| p.timeline(n))
            .filter(|t| t.joined.buys_on_joining)
            .map(|t| {
                let first = t.purchases[0];
                let last = *t.purchases.last().unwrap_or(&first);
                Rfm {
                    x: t.purchases.len() as u32 - 1,
                    t_x: ((last - first) as f64 / week).round(),
                    t: ((p.span - first) as f64 / week).round(),
                }
            })
            .collect();
        let fit = crate::domain::clv::fit::fit_bgnbd(&BgNbdData::new(rfm))
            .unwrap()
            .params;
        let b = p.behaviour;
        let near = |got: f64, want: f64, tol: f64| (got / want - 1.0).abs() < tol;
        assert!(near(fit.r / fit.alpha, b.r / b.alpha, 0.15), "{fit:?}");
        assert!(near(fit.a / (fit.a + fit.b), b.a / (b.a + b.b), 0.25), "{fit:?}");
        assert!(near(fit.r, b.r, 0.3) && near(fit.a, b.a, 0.4), "{fit:?}");
    }

    #[test]
    fn spend_follows_gamma_gamma() {
        // E[z] = p * gamma / (q - 1) = 45 euros.
        let p = population(4_000);
        let mut sum = 0i64;
        let mut count = 0i64;
        for n in 0..4_000 {
            let t = p.timeline(n);
            for k in 0..t.purchases.len() as u32 {
                let o = p.order(n, k, &t.joined, &catalogue());
                assert_eq!(o.lines.iter().map(|l| l.2).sum::<i64>(), o.amount_minor);
                assert!(o.lines.iter().all(|l| l.2 >= 1 && (1..=3).contains(&l.1)));
                if let Some((after, refund)) = o.returned {
                    assert!(after >= SECONDS_PER_DAY && refund >= 1 && refund <= o.amount_minor);
                }
                sum += o.amount_minor;
                count += 1;
            }
        }
        let mean = sum as f64 / count as f64 / 100.0;
        assert!((38.0..52.0).contains(&mean), "mean order {mean}");
    }

    #[test]
    fn seasons_make_december_busier_than_january() {
        assert!(season(340, 2) > season(10, 2));
        assert!(season(100, 5) > season(100, 1));
        assert!((0..365).all(|d| (0..7).all(|w| season(d, w) <= SEASON_MAX)));
    }
}
