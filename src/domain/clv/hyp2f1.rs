//! The Gaussian hypergeometric function 2F1(a, b; c; z) for real z < 1, as the BG/NBD
//! conditional expectation needs it: 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t)).
//!
//! For a heavy buyer (large x) the value itself overflows an f64 long before its logarithm
//! does (x = 200 at z = 0.9 is about e^461), so the result is the logarithm, and the series
//! is summed from term ratios with a running scale rather than from gamma functions or raw
//! powers. When c - a - b < 0 (every BG/NBD customer once r + x > a - 1) Euler's
//! transformation 2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) is taken: its terms fall
//! like n^(c-a-b-1) z^n instead of n^(a+b-c-1) z^n, so it converges as z nears 1 and, for a
//! heavy buyer, the transformed series is close to 1 while the large factor is a logarithm.
//! A negative z goes through Pfaff's transformation to z/(z-1), which lies in (0, 1).
//!
//! The value is not always positive: for a one-time buyer c = a+b-1, which is negative when
//! the fitted a + b < 1, and then 2F1 can be negative (2F1(0.25, 0.5; -0.2; 0.8) = -1.95);
//! at a + b = 1 it has a pole. [`hyp2f1_signed`] gives the sign with the logarithm, and
//! [`c_times_hyp2f1_minus_one`] gives c·(2F1 - 1), which has no pole at c = 0 and, for
//! positive a, b and c > -1, is a sum of positive terms.

use super::error::ClvError;

/// A bound on the terms summed. Near z = 1 the terms decay like z^n, so this allows
/// 1 - z down to about 1e-5; the CLV uses z = t/(alpha+T+t), far from that for any horizon
/// of a few years.
const MAX_TERMS: usize = 5_000_000;

/// The running sum and term are divided by this when they grow past it (their logarithm
/// carried separately), so no intermediate overflows.
const RESCALE: f64 = 1e200;

/// Relative accuracy at which the series stops: the bounded remaining tail is this small.
const TOLERANCE: f64 = 1e-16;

/// ln 2F1(a, b; c; z) for z < 1 where 2F1 is positive (as it is for positive a, b, c and
/// 0 <= z < 1). Errors: z >= 1, c a non-positive integer, a value that is not positive (see
/// [`hyp2f1_signed`] for those), or a series that would not converge within [`MAX_TERMS`].
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<f64, ClvError> {
    match hyp2f1_signed(a, b, c, z)? {
        (sign, ln_abs) if sign > 0.0 => Ok(ln_abs),
        _ => Err(ClvError::Hyp2f1 {
            a,
            b,
            c,
            z,
            reason: "the value is not positive, so it has no logarithm",
        }),
    }
}

/// 2F1(a, b; c; z) for z < 1 as (sign, ln |2F1|): the value is sign · e^(ln |2F1|), with sign
/// 1.0 or -1.0, or 0.0 (and ln |2F1| = -inf) for a zero sum. Any real a, b and c except c a
/// non-positive integer; the magnitude in log space as in [`ln_hyp2f1`]. Errors: z >= 1, c a
/// non-positive integer, or a series that would not converge within [`MAX_TERMS`].
pub fn hyp2f1_signed(a: f64, b: f64, c: f64, z: f64) -> Result<(f64, f64), ClvError> {
    let err = |reason| ClvError::Hyp2f1 { a, b, c, z, reason };
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) {
        return Err(err("arguments must be finite"));
    }
    if z >= 1.0 {
        return Err(err("only z < 1 is implemented"));
    }
    if c <= 0.0 && c == c.floor() {
        return Err(err("c is a non-positive integer"));
    }
    if z < 0.0 {
        // Pfaff: 2F1(a,b;c;z) = (1-z)^(-a) 2F1(a, c-b; c; z/(z-1)), with z/(z-1) in (0, 1);
        // the factor is positive, so the sign is the transformed series'.
        let w = z / (z - 1.0);
        return signed_unit_interval(a, c - b, c, w)
            .map(|(sign, v)| (sign, v - a * (-z).ln_1p()))
            .map_err(|_| err("the series did not converge"));
    }
    signed_unit_interval(a, b, c, z).map_err(|_| err("the series did not converge"))
}

/// (sign, ln |2F1|) for 0 <= z < 1: Euler's transformation when it converges faster
/// (c - a - b < 0); its factor (1-z)^(c-a-b) is positive, so the sign is the series'.
fn signed_unit_interval(a: f64, b: f64, c: f64, z: f64) -> Result<(f64, f64), ()> {
    let excess = c - a - b;
    let (sum, ln_scale, ln_factor) = if excess < 0.0 {
        let (s, k) = series(c - a, c - b, c, z, 0, 1.0)?;
        (s, k, excess * (-z).ln_1p())
    } else {
        let (s, k) = series(a, b, c, z, 0, 1.0)?;
        (s, k, 0.0)
    };
    if !sum.is_finite() {
        return Err(());
    }
    if sum == 0.0 {
        return Ok((0.0, f64::NEG_INFINITY));
    }
    Ok((sum.signum(), sum.abs().ln() + ln_scale + ln_factor))
}

/// c · (2F1(a, b; c; z) - 1) for 0 <= z < 1, continuous through c = 0, where 2F1 itself has
/// a pole and this is a·b·z·2F1(a+1, b+1; 2; z). Since c/(c)_n = 1/(c+1)_(n-1), it is the
/// sum over n >= 1 of a b (a+1)_(n-1) (b+1)_(n-1) / ((c+1)_(n-1) n!) z^n: no 1 is subtracted
/// and no c divided by, and for positive a, b and c > -1 every term is positive. The BG/NBD expectation of a one-time buyer uses it with c = a+b-1 <= 0.
/// Errors: z outside [0, 1), c a negative integer (c + n = 0 for some n >= 1), or a series
/// that would not converge within [`MAX_TERMS`]. The value is returned as an f64, so it
/// must be representable: for the one-time buyer it is modest.
pub fn c_times_hyp2f1_minus_one(a: f64, b: f64, c: f64, z: f64) -> Result<f64, ClvError> {
    let err = |reason| ClvError::Hyp2f1 { a, b, c, z, reason };
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) {
        return Err(err("arguments must be finite"));
    }
    if !(0.0..1.0).contains(&z) {
        return Err(err("only 0 <= z < 1 is implemented"));
    }
    if c < 0.0 && c == c.floor() {
        return Err(err("c is a negative integer"));
    }
    let (sum, ln_scale) = series(a, b, c, z, 1, a * b * z).map_err(|_| err("the series did not converge"))?;
    let value = sum * ln_scale.exp();
    if value.is_finite() {
        Ok(value)
    } else {
        Err(err("the value is too large for an f64"))
    }
}

/// (2F1(a, b; c; z) - 1) / b, for 0 <= z < 1, continuous at b = 0 (where it is the
/// derivative of 2F1 in b). It is sum over n >= 1 of (a)_n (b+1)_(n-1) / ((c)_n n!) z^n, so
/// no 1 is ever subtracted: the BG/NBD expectation uses it in the limit a -> 1, where
/// 2F1(a+b-1-r, a-1; c; z) - 1 vanishes with a - 1.
pub fn hyp2f1_minus_one_over_b(a: f64, b: f64, c: f64, z: f64) -> Result<f64, ClvError> {
    let err = |reason| ClvError::Hyp2f1 { a, b, c, z, reason };
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) {
        return Err(err("arguments must be finite"));
    }
    if !(0.0..1.0).contains(&z) {
        return Err(err("only 0 <= z < 1 is implemented"));
    }
    if c <= 0.0 && c == c.floor() {
        return Err(err("c is a non-positive integer"));
    }
    let (sum, ln_scale) = series(a, b, c, z, 1, a * z / c).map_err(|_| err("the series did not converge"))?;
    Ok(sum * ln_scale.exp())
}

/// The sum over n >= n0 of terms t_n with t_(n+1) = t_n (a+n)(b+n) / ((c+n)(n+1)) z,
/// starting from t_(n0) = `first`, as (mantissa, ln scale): sum = mantissa · e^(ln scale).
fn series(a: f64, b: f64, c: f64, z: f64, n0: usize, first: f64) -> Result<(f64, f64), ()> {
    let mut term = first;
    let mut sum = first;
    let mut ln_scale = 0.0;
    let mut n = n0 as f64;
    if term == 0.0 {
        return Ok((0.0, 0.0));
    }
    for _ in 0..MAX_TERMS {
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        n += 1.0;
        sum += term;
        if term == 0.0 {
            // A non-positive integer a or b: the series ends.
            return Ok((sum, ln_scale));
        }
        if sum.abs() > RESCALE || term.abs() > RESCALE {
            sum /= RESCALE;
            term /= RESCALE;
            ln_scale += RESCALE.ln();
        }
        // The ratios tend to z, from above or below; once the next one is below 1, the tail
        // is at most a geometric series of ratio max(next ratio, z).
        let next = ((a + n) * (b + n) / ((c + n) * (n + 1.0)) * z).abs();
        let rho = next.max(z.abs());
        if rho < 1.0 && term.abs() * rho / (1.0 - rho) <= TOLERANCE * sum.abs() {
            return Ok((sum, ln_scale));
        }
    }
    Err(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64, rel: f64) {
        assert!(
            (got - want).abs() <= rel * want.abs().max(1e-300),
            "got {got}, want {want} (relative error {:e})",
            ((got - want) / want).abs()
        );
    }

    #[test]
    fn closed_forms_hold() {
        // 2F1(1, 1; 2; z) = -ln(1-z)/z, positive and negative z, and near 1.
        for z in [1e-6f64, 0.1, 0.5, 0.9, 0.999, -0.5, -3.0, -100.0] {
            let want = -(-z).ln_1p() / z;
            close(ln_hyp2f1(1.0, 1.0, 2.0, z).unwrap().exp(), want, 1e-12);
        }
        // 2F1(a, b; b; z) = (1-z)^(-a): both branches (c - a - b = -a < 0 takes Euler's).
        for (a, b, z) in [(0.7, 2.3, 0.4f64), (3.5, 1.2, 0.95), (0.25, 7.0, -2.0)] {
            close(ln_hyp2f1(a, b, b, z).unwrap(), -a * (-z).ln_1p(), 1e-12);
        }
        // 2F1(1/2, 1/2; 3/2; z^2) = asin(z)/z.
        for z in [0.3f64, 0.8, 0.99] {
            close(
                ln_hyp2f1(0.5, 0.5, 1.5, z * z).unwrap().exp(),
                z.asin() / z,
                1e-12,
            );
        }
        // A terminating series: 2F1(-3, 2; 1.5; 0.5) = -1/35 is negative, so it has no
        // logarithm here; the polynomial itself is checked through the series sum.
        assert!(ln_hyp2f1(-3.0, 2.0, 1.5, 0.5).is_err());
        let (s, k) = series(-3.0, 2.0, 1.5, 0.5, 0, 1.0).unwrap();
        close(s * k.exp(), -1.0 / 35.0, 1e-14);
    }

    /// Reference values from mpmath's hyp2f1 at 50 digits.
    #[test]
    fn matches_high_precision_values() {
        close(
            ln_hyp2f1(0.5, 1.5, 2.5, -3.0).unwrap().exp(),
            0.619_827_001_849_526_8,
            1e-13,
        );
        close(
            ln_hyp2f1(3.0, 4.0, 5.0, -0.99).unwrap().exp(),
            0.184_543_066_097_342_48,
            1e-13,
        );
        close(
            ln_hyp2f1(1.7, 2.9, 0.6, 0.95).unwrap().exp(),
            824_762.594_455_725,
            1e-12,
        );
        // c - a - b = 0.2 > 0 near z = 1: the direct series, about a million terms.
        close(
            ln_hyp2f1(0.3, 0.4, 0.9, 0.9999).unwrap().exp(),
            1.710_082_839_702_667,
            1e-9,
        );
    }

    /// A heavy buyer: 2F1(r+x, b+x; a+b+x-1; z) at the published CDNOW parameters. The value
    /// is past f64's range for x = 200 at z = 0.9; its logarithm is exact (mpmath).
    #[test]
    fn heavy_buyers_stay_finite() {
        let (r, a, b) = (0.243, 0.793, 2.426);
        let cases = [
            (200.0, 0.474_025_816_175_219_4, 128.788_794_005_634_88),
            (200.0, 0.9, 461.551_350_153_401_1),
            (200.0, 0.999, 1_384.657_511_048_324_7),
            (5000.0, 0.9, 11_513.961_554_650_64),
        ];
        for (x, z, want) in cases {
            let got = ln_hyp2f1(r + x, b + x, a + b + x - 1.0, z).unwrap();
            assert!(got.is_finite());
            close(got, want, 1e-12);
        }
    }

    /// Values that are not positive (mpmath's hyp2f1 at 50 digits): the BG/NBD one-time buyer
    /// with a + b < 1 (r = 0.25, a = 0.3, b = 0.5: c = a+b-1 = -0.2), other negative c, both
    /// sides of z = 0, and a negative value with positive c through Pfaff's transformation.
    #[test]
    fn signed_values_keep_their_sign() {
        let cases = [
            (0.25, 0.5, -0.2, 0.8, -1.953_504_218_145_434_5f64),
            (0.25, 0.5, -0.2, 0.1, 0.929_326_687_251_762_6),
            (0.25, 0.5, -0.2, -0.5, 1.192_563_970_789_804_4),
            (3.0, 2.0, -0.5, 0.3, -74.310_249_936_779_39),
            (2.0, 3.0, -0.3, -3.0, -0.188_273_408_875_215_68),
            (2.0, 3.0, 1.5, -3.0, -0.005_415_731_385_708_608),
            (-3.0, 2.0, 1.5, 0.5, -1.0 / 35.0),
        ];
        for (a, b, c, z, want) in cases {
            let (sign, ln_abs) = hyp2f1_signed(a, b, c, z).unwrap();
            assert_eq!(sign, want.signum(), "2F1({a}, {b}; {c}; {z})");
            close(sign * ln_abs.exp(), want, 1e-13);
            // The logarithm exists exactly where the value is positive.
            assert_eq!(ln_hyp2f1(a, b, c, z).is_ok(), want > 0.0);
        }
        // Where both exist they are the same number.
        let (sign, ln_abs) = hyp2f1_signed(1.7, 2.9, 0.6, 0.95).unwrap();
        assert_eq!((sign, ln_abs), (1.0, ln_hyp2f1(1.7, 2.9, 0.6, 0.95).unwrap()));
        // A terminating series that sums to exactly zero: 2F1(-1, b; c; z) = 1 - b z / c.
        assert_eq!(
            hyp2f1_signed(-1.0, 2.0, 1.0, 0.5).unwrap(),
            (0.0, f64::NEG_INFINITY)
        );
        assert!(hyp2f1_signed(0.25, 0.5, 0.0, 0.8).is_err());
        assert!(hyp2f1_signed(0.25, 0.5, -2.0, 0.8).is_err());
    }

    /// c·(2F1 - 1) against mpmath's c·(hyp2f1 - 1), and at c = 0 against the closed form
    /// a·b·z·2F1(a+1, b+1; 2; z) (also mpmath).
    #[test]
    fn c_times_the_minus_one_form_has_no_pole() {
        let cases = [
            (0.25, 0.5, -0.2, 0.8, 0.590_700_843_629_086_9),
            (0.25, 0.75, 0.0, 0.8, 0.837_281_129_707_273_3),
            (0.243, 0.01, -0.98, 0.474, 0.044_554_332_071_438_82),
            (2.1, 0.7, 5.3, 0.7, 1.514_253_523_343_259_5),
            (0.243, 0.0003, -0.0002, 0.9, 0.000_225_117_152_430_756_08),
        ];
        for (a, b, c, z, want) in cases {
            close(c_times_hyp2f1_minus_one(a, b, c, z).unwrap(), want, 1e-13);
        }
        // Away from c = 0 it is c·(2F1 - 1) from the signed value.
        for (a, b, c, z) in [
            (0.25, 0.5, -0.2, 0.8),
            (2.1, 0.7, 5.3, 0.7),
            (3.0, 2.0, -0.5, 0.3),
        ] {
            let (sign, ln_abs) = hyp2f1_signed(a, b, c, z).unwrap();
            close(
                c_times_hyp2f1_minus_one(a, b, c, z).unwrap(),
                c * (sign * ln_abs.exp() - 1.0),
                1e-12,
            );
        }
        // Continuous through c = 0: the neighbours are within O(c) of the value there.
        let at0 = c_times_hyp2f1_minus_one(0.25, 0.75, 0.0, 0.8).unwrap();
        for c in [-1e-9, 1e-9] {
            close(c_times_hyp2f1_minus_one(0.25, 0.75, c, 0.8).unwrap(), at0, 1e-8);
        }
        assert_eq!(c_times_hyp2f1_minus_one(0.25, 0.75, 0.3, 0.0).unwrap(), 0.0);
        assert!(c_times_hyp2f1_minus_one(0.25, 0.75, -1.0, 0.5).is_err());
        assert!(c_times_hyp2f1_minus_one(0.25, 0.75, 0.3, -0.5).is_err());
        assert!(c_times_hyp2f1_minus_one(0.25, 0.75, 0.3, 1.0).is_err());
    }

    #[test]
    fn the_minus_one_form_is_continuous_in_b() {
        // Away from b = 0 it is (2F1 - 1)/b; at b = 0 the limit, between its neighbours.
        let (a, c, z) = (2.1, 5.3, 0.7);
        for b in [0.5, -0.3, 1e-3] {
            let want = (ln_hyp2f1(a, b, c, z).unwrap().exp() - 1.0) / b;
            close(hyp2f1_minus_one_over_b(a, b, c, z).unwrap(), want, 1e-9);
        }
        let at0 = hyp2f1_minus_one_over_b(a, 0.0, c, z).unwrap();
        let lo = hyp2f1_minus_one_over_b(a, -1e-6, c, z).unwrap();
        let hi = hyp2f1_minus_one_over_b(a, 1e-6, c, z).unwrap();
        assert!((lo.min(hi)..=lo.max(hi)).contains(&at0), "{lo} {at0} {hi}");
    }

    #[test]
    fn outside_the_domain_is_an_error() {
        assert!(ln_hyp2f1(1.0, 1.0, 2.0, 1.0).is_err());
        assert!(ln_hyp2f1(1.0, 1.0, -2.0, 0.5).is_err());
        assert!(ln_hyp2f1(f64::NAN, 1.0, 2.0, 0.5).is_err());
        assert!(hyp2f1_minus_one_over_b(1.0, 1.0, 2.0, -0.5).is_err());
        // 1 - z = 1e-9: would need billions of terms.
        assert!(ln_hyp2f1(0.3, 0.4, 0.9, 1.0 - 1e-9).is_err());
    }
}
