//! Campaign arms: which members are held out and which variant the others get. A member's
//! arm comes from a stable hash of the campaign and the membership, so it is the same on
//! every server, in every booking and in the report, and can be recomputed by anyone who
//! knows the two ids (the report checks the split it gives against the configured one).

use serde::{Deserialize, Serialize};

/// Members are spread over this many buckets; shares are set in hundredths of a per cent.
pub const BUCKETS: u32 = 10_000;

/// SplitMix64's finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", 2014): a fixed, well-mixed bijection of 64-bit integers, the same on every
/// platform and in every version of this program (a library hasher promises neither).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The bucket (0..BUCKETS) of a membership in a campaign.
pub fn bucket(campaign_id: i64, membership_id: i64) -> u32 {
    (mix(mix(campaign_id as u64) ^ membership_id as u64) % BUCKETS as u64) as u32
}

/// A variant's buckets, `from..to`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ArmRange {
    pub campaign_id: i64,
    pub from: u32,
    pub to: u32,
}

impl ArmRange {
    /// Whether the membership falls in it (no membership, as in a dry run for nobody: never).
    pub fn holds(&self, membership_id: i64) -> bool {
        membership_id > 0 && (self.from..self.to).contains(&bucket(self.campaign_id, membership_id))
    }
}

/// The buckets of each variant: the control group takes the first `holdout_pct` per cent, the
/// variants share the rest in their order, each its `share` per cent of it (shares add up to
/// 100; the last variant takes what rounding leaves).
pub fn ranges(campaign_id: i64, holdout_pct: i64, shares: &[i64]) -> Vec<ArmRange> {
    let held = (holdout_pct.clamp(0, 100) as u32) * (BUCKETS / 100);
    let rest = BUCKETS - held;
    let mut out = Vec::with_capacity(shares.len());
    let mut before = 0_i64;
    for (i, &share) in shares.iter().enumerate() {
        let from = held + (rest as i64 * before / 100) as u32;
        before += share.max(0);
        let to = if i + 1 == shares.len() {
            BUCKETS
        } else {
            held + (rest as i64 * before.min(100) / 100) as u32
        };
        out.push(ArmRange {
            campaign_id,
            from,
            to,
        });
    }
    out
}

/// The variant a membership gets (its position), or None for the control group.
pub fn arm_of(campaign_id: i64, membership_id: i64, holdout_pct: i64, shares: &[i64]) -> Option<usize> {
    ranges(campaign_id, holdout_pct, shares)
        .iter()
        .position(|r| r.holds(membership_id))
}

/// The configured share of all members for each arm, control first, in per cent.
pub fn configured_pcts(holdout_pct: i64, shares: &[i64]) -> Vec<f64> {
    let held = holdout_pct as f64;
    let mut out = vec![held];
    out.extend(shares.iter().map(|&s| (100.0 - held) * s as f64 / 100.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_its_reference_output() {
        // The first outputs of SplitMix64 seeded with 0 (the generator adds the golden gamma
        // before mixing, as `mix` does), from the reference implementation.
        assert_eq!(mix(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(mix(0x9E37_79B9_7F4A_7C15), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn arms_are_sticky_and_differ_between_campaigns() {
        for m in 1..200 {
            assert_eq!(arm_of(7, m, 10, &[50, 50]), arm_of(7, m, 10, &[50, 50]));
        }
        let same = (1..2_000).filter(|&m| bucket(1, m) == bucket(2, m)).count();
        assert!(same < 10, "two campaigns share {same} of 2,000 buckets");
    }

    #[test]
    fn ranges_cover_every_bucket_once() {
        for (holdout, shares) in [
            (10, vec![100]),
            (0, vec![50, 50]),
            (50, vec![33, 33, 34]),
            (25, vec![10, 20, 30, 40]),
        ] {
            let r = ranges(3, holdout, &shares);
            assert_eq!(r[0].from, holdout as u32 * 100);
            assert_eq!(r.last().unwrap().to, BUCKETS);
            for w in r.windows(2) {
                assert_eq!(w[0].to, w[1].from);
            }
        }
        // 10 % held out, then 30/70 of the remaining 90 %: 27 % and 63 % of everyone.
        let r = ranges(3, 10, &[30, 70]);
        assert_eq!((r[0].from, r[0].to, r[1].to), (1_000, 3_700, 10_000));
        assert_eq!(configured_pcts(10, &[30, 70]), vec![10.0, 27.0, 63.0]);
    }

    #[test]
    fn the_split_follows_the_configuration() {
        // 100,000 members, 10 % held out, the rest 50/50: each arm within 1 % (absolute) of
        // its share; a binomial's standard deviation here is under 0.16 %.
        let n = 100_000;
        let mut counts = [0_i64; 3];
        for m in 1..=n {
            match arm_of(42, m, 10, &[50, 50]) {
                None => counts[0] += 1,
                Some(i) => counts[i + 1] += 1,
            }
        }
        for (got, want) in counts.iter().zip([10.0, 45.0, 45.0]) {
            let pct = *got as f64 * 100.0 / n as f64;
            assert!((pct - want).abs() < 1.0, "{pct} vs {want}");
        }
        // Pearson's chi-squared against the configured split, two degrees of freedom: under
        // 13.8 (p = 0.001) for a hash that spreads evenly.
        let chi: f64 = counts
            .iter()
            .zip([0.10, 0.45, 0.45])
            .map(|(&o, p)| {
                let e = p * n as f64;
                (o as f64 - e).powi(2) / e
            })
            .sum();
        assert!(chi < 13.8, "chi-squared {chi}");
    }
}
