//! RFM scores: recency, frequency and monetary value, each 1 (worst) to 5 (best) by
//! quintile of the program's buyers.
//!
//! Tie rule: a member scores `1 + floor(5 × w / n)`, where `n` is the number of buyers and
//! `w` the number of buyers with a strictly worse value. Equal values always share a score
//! (the score the first of them in order would get), so a quintile can hold more or fewer
//! than a fifth of the buyers when many share a value, and the scores never depend on the
//! order rows were read in.
//!
//! The scores are kept as four cut values per dimension, so scoring one member is four
//! comparisons: a value scores at least `k` exactly when it is greater than `cuts[k − 2]`,
//! the `m`-th smallest value with `m = ceil((k − 1) n / 5)`.

use serde::{Deserialize, Serialize};

use crate::model::segment::RfmDimension;

/// The cut values of the three dimensions, computed from one population of buyers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmCuts {
    /// Buyers scored; with none, nobody has a score.
    pub buyers: i64,
    pub recency: [i64; 4],
    pub frequency: [i64; 4],
    pub monetary: [i64; 4],
}

/// The four cuts of one dimension from its values (any order; sorted here).
pub fn cuts_of(values: &mut [i64]) -> [i64; 4] {
    values.sort_unstable();
    let n = values.len();
    let mut cuts = [i64::MAX; 4];
    if n == 0 {
        return cuts;
    }
    for (i, cut) in cuts.iter_mut().enumerate() {
        let k = i + 2;
        let m = ((k - 1) * n).div_ceil(5);
        *cut = values[m - 1];
    }
    cuts
}

/// The score (1..=5) of a value against its dimension's cuts.
pub fn score_against(cuts: &[i64; 4], value: i64) -> u8 {
    1 + cuts.iter().filter(|c| value > **c).count() as u8
}

impl RfmCuts {
    /// Cuts from the buyers' (last purchase day, orders, net spend).
    pub fn from_buyers(recency: &mut [i64], frequency: &mut [i64], monetary: &mut [i64]) -> Self {
        Self {
            buyers: recency.len() as i64,
            recency: cuts_of(recency),
            frequency: cuts_of(frequency),
            monetary: cuts_of(monetary),
        }
    }

    /// A buyer's score on one dimension; `None` when there are no buyers to compare with.
    pub fn score(&self, dimension: RfmDimension, value: i64) -> Option<u8> {
        if self.buyers == 0 {
            return None;
        }
        let cuts = match dimension {
            RfmDimension::Recency => &self.recency,
            RfmDimension::Frequency => &self.frequency,
            RfmDimension::Monetary => &self.monetary,
        };
        Some(score_against(cuts, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rule as stated, counted directly.
    fn by_definition(values: &[i64], v: i64) -> u8 {
        let n = values.len() as i64;
        let worse = values.iter().filter(|x| **x < v).count() as i64;
        (1 + 5 * worse / n) as u8
    }

    #[test]
    fn ten_distinct_values_make_five_pairs() {
        let mut values: Vec<i64> = (1..=10).collect();
        let cuts = cuts_of(&mut values);
        let scores: Vec<u8> = (1..=10).map(|v| score_against(&cuts, v)).collect();
        assert_eq!(scores, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn ties_share_the_score_of_the_first_of_them() {
        // Half the buyers placed one order: all score 1, none is pushed into quintile 2
        // or 3 by the order they were read in; the next value jumps to 3.
        let mut values = vec![1, 1, 1, 1, 1, 2, 3, 4, 5, 6];
        let cuts = cuts_of(&mut values);
        let scores: Vec<u8> = [1, 2, 3, 4, 5, 6]
            .iter()
            .map(|v| score_against(&cuts, *v))
            .collect();
        assert_eq!(scores, vec![1, 3, 4, 4, 5, 5]);
        // Everyone equal: everyone scores 1.
        let mut same = vec![7; 9];
        let cuts = cuts_of(&mut same);
        assert_eq!(score_against(&cuts, 7), 1);
    }

    #[test]
    fn a_single_buyer_scores_one_and_no_buyers_no_score() {
        let mut one = vec![42];
        assert_eq!(score_against(&cuts_of(&mut one), 42), 1);
        let none = RfmCuts::default();
        assert_eq!(none.score(RfmDimension::Recency, 1), None);
    }

    proptest! {
        #[test]
        fn cuts_score_as_the_rule_states(values in prop::collection::vec(0i64..20, 1..200)) {
            let mut sorted = values.clone();
            let cuts = cuts_of(&mut sorted);
            for v in &values {
                prop_assert_eq!(score_against(&cuts, *v), by_definition(&values, *v));
            }
            // Each quintile holds at most its fifth unless ties force more into it.
            let distinct = {
                let mut d = values.clone();
                d.sort_unstable();
                d.dedup();
                d.len()
            };
            if distinct == values.len() {
                for k in 1..=5u8 {
                    let in_k = values.iter().filter(|v| score_against(&cuts, **v) == k).count();
                    prop_assert!(in_k <= values.len().div_ceil(5));
                }
            }
        }
    }
}
