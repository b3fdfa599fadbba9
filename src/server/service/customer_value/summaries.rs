//! The purchases a customer value fit reads, kept in memory per database and program between
//! fits and brought up to date from the member summaries folded since (`member_stats.fold_seq`),
//! as `query::member_values` does for Channels: at a million members, reading every summary
//! took 10 s of a 54 s fit, nearly all of it the Any driver decoding rows.

use std::collections::HashMap;

use tokio::sync::Mutex;

use crate::domain::kpi::MemberSummary;
use crate::error::AppError;
use crate::server::db::Db;
use crate::server::store::rollups;

/// Every program's buyers read so far (`Db::cached`).
#[derive(Default)]
pub(crate) struct FitSummaries(Mutex<HashMap<i64, Buyers>>);

/// One program's buyers by membership, as of fold `seq`.
struct Buyers {
    seq: i64,
    of: HashMap<i64, Purchases>,
}

/// A buyer's purchases as the fit needs them, in 32 bytes: a million buyers take about 90 MB
/// kept (the map's buckets included), and 40 MB more for the copy each fit works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Purchases {
    first: i32,
    last: i32,
    days: u32,
    orders: u32,
    sales: i64,
    first_day: i64,
}

impl Purchases {
    /// None for a member who has not bought (or whose numbers do not fit, which no real
    /// summary reaches: such a member is left out, as one who never bought).
    pub(super) fn of(s: &MemberSummary) -> Option<Purchases> {
        Some(Purchases {
            first: i32::try_from(s.first_buy_day?).ok()?,
            last: i32::try_from(s.last_buy_day?).ok()?,
            days: u32::try_from(s.buy_days).ok()?,
            orders: u32::try_from(s.orders).ok()?,
            sales: s.sales_minor,
            first_day: s.first_day_minor,
        })
    }

    fn summary(self) -> MemberSummary {
        MemberSummary {
            orders: i64::from(self.orders),
            buy_days: i64::from(self.days),
            first_buy_day: Some(i64::from(self.first)),
            last_buy_day: Some(i64::from(self.last)),
            sales_minor: self.sales,
            first_day_minor: self.first_day,
            ..MemberSummary::default()
        }
    }

    /// First and last day bought (epoch days).
    pub(super) fn first(self) -> i64 {
        i64::from(self.first)
    }

    pub(super) fn last(self) -> i64 {
        i64::from(self.last)
    }

    /// Days bought on.
    pub(super) fn days(self) -> i64 {
        i64::from(self.days)
    }

    pub(super) fn orders(self) -> i64 {
        i64::from(self.orders)
    }

    /// Net spend so far, in minor units.
    pub(super) fn sales(self) -> i64 {
        self.sales
    }

    /// (repeat purchase days, days from the first to the last, mean repeat spend), as the
    /// member summary has them.
    pub(super) fn rfm(self) -> (i64, i64, f64) {
        self.summary().rfm().unwrap_or_default()
    }
}

/// The program's buyers (membership, purchases), in membership order, as of the last fold.
pub(super) async fn buyers(db: &Db, program_id: i64) -> Result<Vec<(i64, Purchases)>, AppError> {
    let cache = db.cached::<FitSummaries>();
    let mut programs = cache.0.lock().await;
    let buyers = programs.entry(program_id).or_insert_with(|| Buyers {
        seq: -1,
        of: HashMap::new(),
    });
    let mut conn = db.pool.acquire().await?;
    // The count first: every summary written by a fold up to it is committed, and one written
    // by a later fold is read again next time (rows read replace what was kept).
    let seq = rollups::fold_count(&mut conn).await?;
    if seq < buyers.seq {
        // Counted back (a database restored under this server): read everything again.
        buyers.of.clear();
        buyers.seq = -1;
    }
    if seq != buyers.seq {
        let of = &mut buyers.of;
        rollups::purchase_summaries_folded_after(&mut conn, program_id, buyers.seq, |membership, s| {
            apply(of, membership, &s)
        })
        .await?;
        buyers.seq = seq;
    }
    drop(conn);
    let mut out: Vec<(i64, Purchases)> = buyers.of.iter().map(|(id, p)| (*id, *p)).collect();
    drop(programs);
    out.sort_unstable_by_key(|b| b.0);
    Ok(out)
}

/// Replaces the kept purchases of `membership` by those of its summary `s` folded again; one
/// that no longer has a purchase (a rebuild found none) goes.
fn apply(of: &mut HashMap<i64, Purchases>, membership: i64, s: &MemberSummary) {
    match Purchases::of(s) {
        Some(p) => {
            of.insert(membership, p);
        }
        None => {
            of.remove(&membership);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bought(day: i64, amount: i64) -> MemberSummary {
        let mut s = MemberSummary::default();
        s.buy(day, amount, "store", true);
        s
    }

    #[test]
    fn kept_purchases_are_the_summaries_purchases() {
        let mut s = bought(20_000, 1_250);
        s.buy(20_000, 750, "web", false);
        s.buy(20_030, -300, "app", true);
        let p = Purchases::of(&s).unwrap();
        let back = p.summary();
        assert_eq!(
            (back.orders, back.buy_days, back.first_buy_day, back.last_buy_day),
            (3, 2, Some(20_000), Some(20_030))
        );
        assert_eq!((back.sales_minor, back.first_day_minor), (1_700, 2_000));
        assert_eq!(Some(p.rfm()), s.rfm());
        assert_eq!(
            (p.first(), p.last(), p.days(), p.orders(), p.sales()),
            (20_000, 20_030, 2, 3, 1_700)
        );
        assert_eq!(std::mem::size_of::<Purchases>(), 32);
    }

    #[test]
    fn a_summary_folded_again_replaces_the_kept_one_and_one_without_purchases_leaves() {
        let mut of = HashMap::new();
        for (m, s) in [
            (1, bought(100, 500)),
            (2, bought(101, 700)),
            (3, MemberSummary::default()),
        ] {
            apply(&mut of, m, &s);
        }
        assert_eq!(of.len(), 2);
        apply(&mut of, 1, &bought(102, 900));
        apply(&mut of, 2, &MemberSummary::default());
        assert_eq!(of.len(), 1);
        assert_eq!((of[&1].first(), of[&1].sales()), (102, 900));
    }
}
