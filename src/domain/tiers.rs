//! Which tier a member holds and how far they are from the next one.

use crate::model::program::Tier;

/// The highest tier whose threshold `lifetime_points` reaches, and the next one up.
/// `tiers` may come in any order.
pub fn standing(tiers: &[Tier], lifetime_points: i64) -> (Option<Tier>, Option<Tier>, u8) {
    let mut sorted: Vec<&Tier> = tiers.iter().collect();
    sorted.sort_by_key(|t| t.threshold_points);
    let current = sorted
        .iter()
        .rev()
        .find(|t| t.threshold_points <= lifetime_points)
        .copied();
    let next = sorted
        .iter()
        .find(|t| t.threshold_points > lifetime_points)
        .copied();
    let progress = match next {
        None => 100,
        Some(n) => {
            let base = current.map(|c| c.threshold_points).unwrap_or(0);
            let span = (n.threshold_points - base).max(1);
            let done = (lifetime_points - base).clamp(0, span);
            ((done as i128 * 100) / span as i128) as u8
        }
    };
    (current.cloned(), next.cloned(), progress)
}

/// The earn multiplier in percent for a member at `lifetime_points`; x1 without a tier.
pub fn multiplier_pct(tiers: &[Tier], lifetime_points: i64) -> i64 {
    standing(tiers, lifetime_points)
        .0
        .map(|t| t.multiplier_pct)
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(name: &str, threshold: i64, mult: i64) -> Tier {
        Tier {
            id: threshold,
            program_id: 1,
            name: name.into(),
            threshold_points: threshold,
            multiplier_pct: mult,
        }
    }

    #[test]
    fn picks_highest_reached_tier_and_progress() {
        let tiers = vec![
            tier("Gold", 1000, 150),
            tier("Bronze", 0, 100),
            tier("Silver", 500, 125),
        ];
        let (cur, next, pct) = standing(&tiers, 750);
        assert_eq!(cur.unwrap().name, "Silver");
        assert_eq!(next.unwrap().name, "Gold");
        assert_eq!(pct, 50);
        assert_eq!(multiplier_pct(&tiers, 1000), 150);
        assert_eq!(standing(&tiers, 5000).2, 100);
    }

    #[test]
    fn no_tiers_or_below_first_threshold() {
        assert_eq!(standing(&[], 10), (None, None, 100));
        assert_eq!(multiplier_pct(&[], 10), 100);
        let tiers = vec![tier("Silver", 500, 125)];
        let (cur, next, pct) = standing(&tiers, 100);
        assert!(cur.is_none());
        assert_eq!(next.unwrap().name, "Silver");
        assert_eq!(pct, 20);
    }
}
