//! Memberships per tier over time, from the tier each holds now and its recorded changes:
//! every membership adds one to the tier it held right after joining, on the day it joined,
//! and every later change moves one from its old tier to its new one on the day it happened.
//! Tier 0 is "no tier".

use std::collections::{BTreeMap, HashMap};

/// A recorded change: when, from, to (0: no tier).
pub type Change = (i64, i64, i64);

/// What one membership with recorded changes brings: when it joined, its tier now, and its
/// changes in the order they happened.
pub struct History {
    pub joined_at: i64,
    pub current: i64,
    pub changes: Vec<Change>,
}

impl History {
    /// The tier right after joining, as the rollups file an enrolment: after any change
    /// recorded in the second it joined (a welcome bonus that lifts it), else before the
    /// first later change, else the tier it holds now.
    pub fn tier_after_joining(&self) -> i64 {
        match self.changes.iter().rev().find(|c| c.0 <= self.joined_at) {
            Some(c) => c.2,
            None => self.changes.first().map_or(self.current, |c| c.1),
        }
    }

    /// Changes after joining: those that move it between tiers.
    pub fn moves(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.0 > self.joined_at)
    }
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
    /// `n` memberships that joined on `day` and hold `tier` now.
    pub fn joined(&mut self, day: i64, tier: i64, n: i64) {
        *self.days.entry(day).or_default().entry(tier).or_default() += n;
    }

    /// A membership with changes (already counted by `joined` under its tier now): moved
    /// back to the tier it joined in, then along its changes.
    pub fn history(&mut self, h: &History) {
        let day = day_of(h.joined_at);
        self.joined(day, h.current, -1);
        let mut held = h.tier_after_joining();
        self.joined(day, held, 1);
        let mut last = h.joined_at;
        for &(at, _, to) in h.moves() {
            // Out of the tier the walk reached, not the one the change names: a change not
            // recorded (a tier deleted before deletions were recorded) leaves them apart,
            // and is taken as made with this one.
            self.joined(day_of(at), held, -1);
            self.joined(day_of(at), to, 1);
            held = to;
            last = at;
        }
        // And one after the last recorded change: the counts end at the tiers held now.
        if held != h.current {
            self.joined(day_of(last), held, -1);
            self.joined(day_of(last), h.current, 1);
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
    fn changes_move_a_membership_between_tiers_on_their_days() {
        // Joined on day 10 with no tier, up to 1 on day 12, up to 2 on day 15, now in 2.
        let h = History {
            joined_at: 10 * DAY + 5,
            current: 2,
            changes: vec![(12 * DAY, 0, 1), (15 * DAY + 100, 1, 2)],
        };
        assert_eq!(h.tier_after_joining(), 0);
        let mut d = TierDeltas::default();
        d.joined(10, 2, 1);
        d.history(&h);
        let at = d.at_ends(&[10, 12, 14, 15]);
        let tier = |m: &HashMap<i64, i64>, t: i64| m.get(&t).copied().unwrap_or(0);
        assert_eq!((tier(&at[0], 0), tier(&at[0], 1), tier(&at[0], 2)), (1, 0, 0));
        assert_eq!((tier(&at[1], 0), tier(&at[1], 1), tier(&at[1], 2)), (0, 1, 0));
        assert_eq!((tier(&at[2], 0), tier(&at[2], 1), tier(&at[2], 2)), (0, 1, 0));
        assert_eq!((tier(&at[3], 0), tier(&at[3], 1), tier(&at[3], 2)), (0, 0, 1));
    }

    #[test]
    fn a_change_in_the_second_of_joining_is_where_it_joined_not_a_move() {
        let h = History {
            joined_at: 100,
            current: 1,
            changes: vec![(100, 0, 1)],
        };
        assert_eq!(h.tier_after_joining(), 1);
        assert_eq!(h.moves().count(), 0);
        let mut d = TierDeltas::default();
        d.joined(0, 1, 1);
        d.history(&h);
        let at = d.at_ends(&[0]);
        assert_eq!(at[0].get(&0).copied().unwrap_or(0), 0);
        assert_eq!(at[0][&1], 1);
    }

    #[test]
    fn unrecorded_changes_still_end_at_the_tier_held_now() {
        // Up to 3 on day 2; 3 deleted unrecorded (none); up to 1 on day 5 recorded from none;
        // then 1 deleted unrecorded: holds none now.
        let h = History {
            joined_at: 0,
            current: 0,
            changes: vec![(2 * DAY, 0, 3), (5 * DAY, 0, 1)],
        };
        let mut d = TierDeltas::default();
        d.joined(0, 0, 1);
        d.history(&h);
        let at = d.at_ends(&[1, 3, 5, 9]);
        let tier = |m: &HashMap<i64, i64>, t: i64| m.get(&t).copied().unwrap_or(0);
        assert_eq!((tier(&at[0], 0), tier(&at[0], 3)), (1, 0));
        assert_eq!((tier(&at[1], 0), tier(&at[1], 3)), (0, 1));
        for m in &at[2..] {
            assert_eq!((tier(m, 0), tier(m, 1), tier(m, 3)), (1, 0, 0), "{m:?}");
        }
        assert!(at.iter().all(|m| m.values().all(|n| *n >= 0)));
    }

    #[test]
    fn the_last_end_is_the_tiers_held_now() {
        // Up and down again: the counts at the end are the tiers held now.
        let h = History {
            joined_at: 0,
            current: 1,
            changes: vec![(DAY, 1, 2), (3 * DAY, 2, 1)],
        };
        let mut d = TierDeltas::default();
        d.joined(0, 1, 5);
        d.history(&h);
        let at = d.at_ends(&[2, 30]);
        assert_eq!((at[0][&1], at[0][&2]), (4, 1));
        assert_eq!((at[1][&1], at[1][&2]), (5, 0));
    }
}
