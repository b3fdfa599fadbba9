//! What each member of a program is worth so far (net spend and orders, from the member
//! summaries), kept in memory per database and program and brought up to date from the
//! summaries folded since it last looked (`member_stats.fold_seq`, the fold count when each
//! was written): the Channels page's omnichannel premium adds up every buyer of its range,
//! which read from the table was every active member's row on each view (decoding them was
//! most of the page's time at 100k members).

use std::collections::HashMap;

use roaring::RoaringBitmap;
use tokio::sync::Mutex;

use crate::error::AppError;
use crate::model::insights::GroupValue;
use crate::server::db::Db;
use crate::server::store::rollups;

use super::insights::Merged;

/// Every program's values read so far (`Db::cached`).
#[derive(Default)]
pub(crate) struct MemberValues(Mutex<HashMap<i64, Values>>);

/// One program's: each membership's (member, net spend, orders), as of fold `seq`.
struct Values {
    seq: i64,
    of: HashMap<i64, (u32, i64, i64)>,
}

/// Members, net spend and orders of a group, added up.
#[derive(Default)]
struct Sum(i64, i64, i64);

impl Sum {
    fn add(&mut self, spend: i64, orders: i64) {
        self.0 += 1;
        self.1 += spend;
        self.2 += orders;
    }

    /// The group's averages.
    fn value(&self) -> GroupValue {
        let n = self.0;
        GroupValue {
            members: n as u64,
            spend_minor: if n > 0 {
                (self.1 as f64 / n as f64).round() as i64
            } else {
                0
            },
            orders: if n > 0 { self.2 as f64 / n as f64 } else { 0.0 },
        }
    }
}

/// The average lifetime value of the people in `multi` and of those in `all` but not in
/// it (people as `merged` makes them: a person merged into another is one person, their
/// summaries added up).
pub(crate) async fn premium(
    db: &Db,
    program_id: i64,
    merged: &Merged,
    multi: &RoaringBitmap,
    all: &RoaringBitmap,
) -> Result<(GroupValue, GroupValue), AppError> {
    let cache = db.cached::<MemberValues>();
    let mut programs = cache.0.lock().await;
    let values = programs.entry(program_id).or_insert_with(|| Values {
        seq: -1,
        of: HashMap::new(),
    });
    let mut conn = db.pool.acquire().await?;
    // Read the count first: every summary written by a fold up to it is committed, and one
    // written later is read again next time (the rows read are replaced, not added).
    let seq = rollups::fold_count(&mut conn).await?;
    if seq != values.seq {
        for (membership, member, spend, orders) in
            rollups::summaries_folded_after(&mut conn, program_id, values.seq).await?
        {
            let Ok(member) = u32::try_from(member) else {
                continue;
            };
            values.of.insert(membership, (member, spend, orders));
        }
        values.seq = seq;
    }
    drop(conn);
    // A person has one membership in a program unless others were merged into theirs: those
    // are added up first; everyone else goes straight to their group.
    let survivors = merged.survivors();
    let (mut several, mut one) = (Sum::default(), Sum::default());
    let mut joined: HashMap<u32, (i64, i64)> = HashMap::new();
    let mut file = |person: u32, spend: i64, orders: i64| {
        if multi.contains(person) {
            several.add(spend, orders);
        } else {
            one.add(spend, orders);
        }
    };
    for &(member, spend, orders) in values.of.values() {
        let person = merged.person(member);
        if !all.contains(person) {
            continue;
        }
        if survivors.contains(person) {
            let sum = joined.entry(person).or_default();
            sum.0 += spend;
            sum.1 += orders;
        } else {
            file(person, spend, orders);
        }
    }
    for (person, (spend, orders)) in joined {
        file(person, spend, orders);
    }
    Ok((several.value(), one.value()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_groups_value_is_its_average() {
        let mut s = Sum::default();
        assert_eq!(s.value().members, 0);
        s.add(1_000, 2);
        s.add(2_001, 3);
        let v = s.value();
        assert_eq!((v.members, v.spend_minor, v.orders), (2, 1_501, 2.5));
    }
}
