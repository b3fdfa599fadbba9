//! The Retention page: monthly enrolment cohorts (the people who joined the scope's
//! programs in a month of the range, each counted in the month they first joined) and the
//! share of each active, bought or redeemed, in every month since; and churn, the members
//! active in the period before the range who were not active in it. Everything is unions and
//! intersections of the member-day bitmaps: a page reads a row per day and kind.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use roaring::RoaringBitmap;

use crate::domain::kpi::{retention_curve, slice_for, Activity};
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::model::insights::{Cohort, InsightsQuery, RetentionReport};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::charts;
use crate::server::db::Db;

use super::insights::{checked, day_sets, epoch_day, union, year_by_default, Checked, Merged};

fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The month (first day) of an epoch day.
fn month_of(day: i64) -> NaiveDate {
    let d = Timestamp(day * SECONDS_PER_DAY).date();
    d.with_day(1).unwrap_or(d)
}

/// The Retention page of `q`. Without a start, the range begins eleven months before the
/// end's month, so a year of cohorts shows.
pub async fn report(db: &Db, lang: Lang, mut q: InsightsQuery) -> Result<RetentionReport, AppError> {
    // Neither a comparison nor an IFRS 15 rate is asked for on this page.
    q.rate.clear();
    q.compare.clear();
    year_by_default(db, &mut q)?;
    let Checked { scope, from, to, .. } = checked(db, lang, q).await?;
    // Cohorts are whole months: a start inside a month is taken back to its first day.
    let from = from.with_day(1).unwrap_or(from);
    // A month not over yet (the range ends before its last day, or today) is shown, but the curve
    // leaves it out: a few days' activity is not a month's.
    let partial = to >= db.now().date() || to.succ_opt().is_some_and(|next| next.month() == to.month());
    let slice = slice_for(scope.channel.as_deref(), scope.store_id, scope.tier_id);
    let p = scope.program_id;
    let (first, last) = (epoch_day(from), epoch_day(to));
    let length = last - first + 1;
    let (before_first, before_last) = (first - length, first - 1);
    let mut conn = db.pool.acquire().await?;
    let merged = Merged::load(&mut conn).await?;

    // Who was active on each day, from the period before to the range's end.
    let mut active_days: BTreeMap<i64, RoaringBitmap> = BTreeMap::new();
    for kind in [Activity::Buy, Activity::Redeem] {
        for (day, set) in day_sets(&mut conn, &merged, p, kind.as_str(), &slice, before_first, last).await? {
            *active_days.entry(day).or_default() |= set;
        }
    }
    let mut by_month: BTreeMap<NaiveDate, RoaringBitmap> = BTreeMap::new();
    for (day, set) in active_days.range(first..=last) {
        *by_month.entry(month_of(*day)).or_default() |= set;
    }
    let active_before = union(active_days.range(before_first..=before_last).map(|(_, s)| s));
    let active_now = union(active_days.range(first..=last).map(|(_, s)| s));

    // Cohorts: people by the month they first joined (those who joined before are known).
    let joins = day_sets(
        &mut conn,
        &merged,
        p,
        Activity::Join.as_str(),
        "*|*",
        i64::MIN / 2,
        last,
    )
    .await?;
    let mut known = union(joins.range(..first).map(|(_, s)| s));
    let mut cohort_sets: BTreeMap<NaiveDate, RoaringBitmap> = BTreeMap::new();
    for (day, set) in joins.range(first..=last) {
        let new = set - &known;
        known |= set;
        *cohort_sets.entry(month_of(*day)).or_default() |= new;
    }
    let months: Vec<NaiveDate> = {
        let mut out = Vec::new();
        let mut m = month_of(first);
        while m <= to {
            out.push(m);
            m = match m.checked_add_months(chrono::Months::new(1)) {
                Some(next) => next,
                None => break,
            };
        }
        out
    };
    let empty = RoaringBitmap::new();
    let cohorts: Vec<Cohort> = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let members = cohort_sets.get(m).unwrap_or(&empty);
            Cohort {
                month: month_key(*m),
                size: members.len(),
                active: months[i..]
                    .iter()
                    .map(|later| by_month.get(later).map_or(0, |a| a.intersection_len(members)))
                    .collect(),
            }
        })
        .collect();
    let sized: Vec<(u64, Vec<u64>)> = cohorts
        .iter()
        .map(|c| {
            let whole = c.active.len() - usize::from(partial);
            (c.size, c.active[..whole].to_vec())
        })
        .collect();
    let curve = retention_curve(&sized);
    let day = |d: i64| Timestamp(d * SECONDS_PER_DAY).date().to_string();
    Ok(RetentionReport {
        from: from.to_string(),
        to: to.to_string(),
        curve_svg: charts::retention_curve(lang, &curve)?,
        curve,
        cohorts,
        partial,
        before_from: day(before_first),
        before_to: day(before_last),
        returning: active_before.intersection_len(&active_now),
        active_before: active_before.len(),
        active_now: active_now.len(),
    })
}
