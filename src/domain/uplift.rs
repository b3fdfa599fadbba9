//! What a campaign's variant did against its control group, with 95 % intervals: Welch's
//! interval for a difference of means (revenue per member; the arms' variances differ, so
//! the pooled Student interval would be wrong) and the Wald interval for a difference of
//! proportions (members who bought). An interval that contains zero is "inconclusive".

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Count, mean and (sample, n − 1) variance of one arm's per-member values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    pub var: f64,
}

impl Moments {
    /// Welford's one-pass update: stable where sums of squares of money would lose digits.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let (mut n, mut mean, mut m2) = (0_u64, 0.0_f64, 0.0_f64);
        for x in values {
            n += 1;
            let d = x - mean;
            mean += d / n as f64;
            m2 += d * (x - mean);
        }
        let var = if n > 1 { m2 / (n - 1) as f64 } else { 0.0 };
        Moments { n, mean, var }
    }
}

/// A difference with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub diff: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// The interval contains zero: the data cannot tell the arms apart.
    pub fn inconclusive(&self) -> bool {
        self.low <= 0.0 && self.high >= 0.0
    }
}

/// Welch's 95 % interval for mean(a) − mean(b), with the Welch–Satterthwaite degrees of
/// freedom. None when either arm has fewer than two members (no variance to speak of).
pub fn welch(a: Moments, b: Moments) -> Option<Interval> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (a.var / a.n as f64, b.var / b.n as f64);
    let diff = a.mean - b.mean;
    let se2 = va + vb;
    if se2 == 0.0 {
        // Every member of both arms alike: the difference is exact.
        return Some(Interval {
            diff,
            low: diff,
            high: diff,
        });
    }
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let t = StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(0.975);
    let half = t * se2.sqrt();
    Some(Interval {
        diff,
        low: diff - half,
        high: diff + half,
    })
}

/// The Wald 95 % interval for the difference of two proportions, `xa/na − xb/nb`. None when
/// an arm is empty.
pub fn proportions(xa: u64, na: u64, xb: u64, nb: u64) -> Option<Interval> {
    if na == 0 || nb == 0 {
        return None;
    }
    let (pa, pb) = (xa as f64 / na as f64, xb as f64 / nb as f64);
    let se = (pa * (1.0 - pa) / na as f64 + pb * (1.0 - pb) / nb as f64).sqrt();
    let z = Normal::new(0.0, 1.0).ok()?.inverse_cdf(0.975);
    let diff = pa - pb;
    Some(Interval {
        diff,
        low: diff - z * se,
        high: diff + z * se,
    })
}

/// Return on the incentive: what it brought in beyond the control, less what it cost, per
/// unit of cost. None without a cost.
pub fn roi(incremental_minor: f64, cost_minor: i64) -> Option<f64> {
    (cost_minor > 0).then(|| (incremental_minor - cost_minor as f64) / cost_minor as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-4
    }

    #[test]
    fn welch_matches_a_worked_example() {
        // Wikipedia, "Welch's t-test", example 1; checked with SciPy 1.x
        // (`ttest_ind(a1, a2, equal_var=False).confidence_interval(0.95)`): difference
        // −2.16667, df 24.9885, interval (−3.98410, −0.34924).
        let a1 = [
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4,
        ];
        let a2 = [
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4,
        ];
        let i = welch(Moments::of(a1), Moments::of(a2)).unwrap();
        assert!(close(i.diff, -2.166_667), "{i:?}");
        assert!(close(i.low, -3.984_096), "{i:?}");
        assert!(close(i.high, -0.349_237), "{i:?}");
        assert!(!i.inconclusive());
        // The same arms the other way round: the interval mirrors.
        let j = welch(Moments::of(a2), Moments::of(a1)).unwrap();
        assert!(close(j.low, 0.349_237) && close(j.high, 3.984_096));
    }

    #[test]
    fn welch_needs_two_members_per_arm_and_sees_overlap() {
        assert!(welch(Moments::of([1.0]), Moments::of([1.0, 2.0])).is_none());
        let i = welch(Moments::of([1.0, 3.0, 2.0]), Moments::of([2.0, 1.0, 3.0])).unwrap();
        assert!(i.inconclusive() && close(i.diff, 0.0));
        let exact = welch(Moments::of([5.0, 5.0]), Moments::of([2.0, 2.0])).unwrap();
        assert_eq!((exact.low, exact.high), (3.0, 3.0));
    }

    #[test]
    fn moments_are_the_textbook_ones() {
        let m = Moments::of([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(m.n, 8);
        assert!(close(m.mean, 5.0));
        assert!(close(m.var, 32.0 / 7.0));
    }

    #[test]
    fn proportions_match_the_wald_interval() {
        // 56 of 70 against 48 of 80: 0.2 ± 1.959964 · √(0.8·0.2/70 + 0.6·0.4/80), computed
        // with SciPy's normal quantile: (0.0575049, 0.3424951).
        let i = proportions(56, 70, 48, 80).unwrap();
        assert!(close(i.diff, 0.2));
        assert!(close(i.low, 0.057_505) && close(i.high, 0.342_495), "{i:?}");
        assert!(proportions(1, 0, 1, 2).is_none());
        assert!(proportions(10, 100, 11, 100).unwrap().inconclusive());
    }

    #[test]
    fn roi_is_net_return_per_unit_of_cost() {
        assert_eq!(roi(3_000.0, 1_000), Some(2.0));
        assert_eq!(roi(500.0, 1_000), Some(-0.5));
        assert_eq!(roi(500.0, 0), None);
    }
}
