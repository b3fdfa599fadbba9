//! Memberships per tier over time, from the enrolments (each membership counts in the tier
//! it joined in from the day it joined) and the recorded moves (each takes one from its old
//! tier to its new one on the day it happened). Every change of a membership's tier is
//! recorded with it (a deleted tier's members leave it as a recorded change), so the walk
//! ends at the tiers held now. Tier 0 is "no tier".

use std::collections::{BTreeMap, HashMap};

/// A recorded change: when, from, to (0: no tier).
pub type Change = (i64, i64, i64);

/// One membership's tier history: when it joined, its tier now, and its changes in the
/// order they happened (a merged membership's, taken out of the counts).
pub struct History {
    pub joined_at: i64,
    pub current: i64,
    pub changes: Vec<Change>,
}

impl History {
    /// The tier it joined in, as the rollups file an enrolment: before its first change
    /// (even one in the second it joined, such as a welcome bonus that lifts it: that is an
    /// upgrade like any other), else the tier it holds now. Filing by the first change's old
    /// tier does not depend on when the rollups fold the enrolment: before the change is
    /// recorded, the tier held is that old tier.
    pub fn tier_joined_in(&self) -> i64 {
        self.changes.first().map_or(self.current, |c| c.1)
    }

    /// Its moves between tiers: every change, each when it was made or (for one stamped
    /// before the joining second, by a server whose clock runs behind) when it joined.
    pub fn moves(&self) -> impl Iterator<Item = Change> + '_ {
        self.changes
            .iter()
            .map(|&(at, from, to)| (move_time(at, self.joined_at), from, to))
    }
}

/// When a change made at `at` moves a membership that joined at `joined_at`: never before it
/// joined.
pub fn move_time(at: i64, joined_at: i64) -> i64 {
    at.max(joined_at)
}

/// Net changes in memberships per epoch day and tier.
#[derive(Default)]
pub struct TierDeltas {
    days: BTreeMap<i64, HashMap<i64, i64>>,
}

fn day_of(at: i64) -> i64 {
    at.div_euclid(86_400)
}

impl TierDeltas {
    /// `n` memberships that joined on `day` in `tier`.
    pub fn joined(&mut self, day: i64, tier: i64, n: i64) {
        *self.days.entry(day).or_default().entry(tier).or_default() += n;
    }

    /// `n` memberships moved from tier `from` to `to` on `day`.
    pub fn moved(&mut self, day: i64, from: i64, to: i64, n: i64) {
        self.joined(day, from, -n);
        self.joined(day, to, n);
    }

    /// Takes out what a membership brought (its enrolment and its moves): a merged one, whose
    /// history went with the merge.
    pub fn remove(&mut self, h: &History) {
        self.joined(day_of(h.joined_at), h.tier_joined_in(), -1);
        for (at, from, to) in h.moves() {
            self.moved(day_of(at), from, to, -1);
        }
    }

    /// Memberships per tier at the end of each of `ends` (epoch days, ascending).
    pub fn at_ends(&self, ends: &[i64]) -> Vec<HashMap<i64, i64>> {
        let mut running: HashMap<i64, i64> = HashMap::new();
        let mut days = self.days.iter().peekable();
        let mut out = Vec::with_capacity(ends.len());
        for &end in ends {
            while let Some((_, deltas)) = days.next_if(|(d, _)| **d <= end) {
                for (tier, n) in deltas {
                    *running.entry(*tier).or_default() += n;
                }
            }
            out.push(running.clone());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn tier(m: &HashMap<i64, i64>, t: i64) -> i64 {
        m.get(&t).copied().unwrap_or(0)
    }

    #[test]
    fn a_membership_without_changes_counts_in_its_tier_from_the_day_it_joined() {
        let mut d = TierDeltas::default();
        d.joined(10, 1, 3);
        let at = d.at_ends(&[9, 10, 20]);
        assert_eq!(at[0].get(&1), None);
        assert_eq!(at[1][&1], 3);
        assert_eq!(at[2][&1], 3);
    }

    #[test]
    fn moves_take_memberships_between_tiers_on_their_days() {
        // Joined on day 10 with no tier, up to 1 on day 12, up to 2 on day 15.
        let mut d = TierDeltas::default();
        d.joined(10, 0, 1);
        d.moved(12, 0, 1, 1);
        d.moved(15, 1, 2, 1);
        let at = d.at_ends(&[10, 12, 14, 15]);
        assert_eq!((tier(&at[0], 0), tier(&at[0], 1), tier(&at[0], 2)), (1, 0, 0));
        assert_eq!((tier(&at[1], 0), tier(&at[1], 1), tier(&at[1], 2)), (0, 1, 0));
        assert_eq!((tier(&at[2], 0), tier(&at[2], 1), tier(&at[2], 2)), (0, 1, 0));
        assert_eq!((tier(&at[3], 0), tier(&at[3], 1), tier(&at[3], 2)), (0, 0, 1));
    }

    #[test]
    fn a_change_in_the_second_of_joining_is_a_move_from_the_tier_joined_in() {
        let h = History {
            joined_at: 100,
            current: 1,
            changes: vec![(100, 0, 1)],
        };
        assert_eq!(h.tier_joined_in(), 0);
        assert_eq!(h.moves().collect::<Vec<_>>(), vec![(100, 0, 1)]);
        // One stamped a second before it joined (another server's clock) moves it when it
        // joined.
        let early = History {
            joined_at: 100,
            current: 1,
            changes: vec![(99, 0, 1)],
        };
        assert_eq!(early.tier_joined_in(), 0);
        assert_eq!(early.moves().collect::<Vec<_>>(), vec![(100, 0, 1)]);
        // Before its first later change it was in that change's old tier; without changes,
        // in the tier it holds now.
        let later = History {
            joined_at: 100,
            current: 2,
            changes: vec![(5 * DAY, 1, 2)],
        };
        assert_eq!((later.tier_joined_in(), later.moves().count()), (1, 1));
        let none = History {
            joined_at: 100,
            current: 2,
            changes: vec![],
        };
        assert_eq!(none.tier_joined_in(), 2);
    }

    #[test]
    fn a_merged_membership_leaves_no_trace() {
        // Two memberships joined on day 0 in tier 1; the second went up to 2 on day 3 and
        // down again on day 6, then was merged into the first.
        let merged = History {
            joined_at: 60,
            current: 1,
            changes: vec![(3 * DAY, 1, 2), (6 * DAY + 5, 2, 1)],
        };
        let mut d = TierDeltas::default();
        d.joined(0, 1, 2);
        d.moved(3, 1, 2, 1);
        d.moved(6, 2, 1, 1);
        d.remove(&merged);
        for m in d.at_ends(&[0, 3, 5, 6, 30]) {
            assert_eq!((tier(&m, 1), tier(&m, 2)), (1, 0), "{m:?}");
        }
    }
}
