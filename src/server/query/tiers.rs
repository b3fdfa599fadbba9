//! The Tiers page of a program: memberships per tier at the end of each week or month of the
//! range (from the enrolments of the daily facts and the moves of tier_moves, see
//! `domain::tier_counts`), the moves between tiers in the range, and what each tier's members
//! bought, from the daily facts and the member-day bitmaps (filed under the tier a member was
//! in when buying). Memberships merged into another are left out: their history went with
//! the merge.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::domain::kpi::{Activity, Flows};
use crate::domain::lang::Lang;
use crate::domain::surveys::{bucket, grain};
use crate::domain::tier_counts::{move_time, History, TierDeltas};
use crate::error::AppError;
use crate::model::insights::{InsightsQuery, TierMove, TierRow, TiersReport};
use crate::model::time::SECONDS_PER_DAY;
use crate::server::charts;
use crate::server::db::Db;
use crate::server::store::rollups;

use super::insights::{checked, day_sets, epoch_day, union, year_by_default, Checked, Merged};

/// The weeks or months of `from..=to` with the last day of each in the range.
fn periods(from: NaiveDate, to: NaiveDate) -> Vec<(String, i64)> {
    let g = grain(from, to);
    let mut out: Vec<(String, i64)> = Vec::new();
    for day in from.iter_days().take_while(|d| *d <= to) {
        let key = bucket(g, day);
        match out.last_mut() {
            Some((k, end)) if *k == key => *end = epoch_day(day),
            _ => out.push((key, epoch_day(day))),
        }
    }
    out
}

/// A merged membership and one of its changes (none: all `None`): membership, joined at,
/// tier now, when, from, to, direction.
type ChangeRow = (
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

/// The Tiers page of `q` (a year by default; channel, store and tier are what the page
/// breaks down, so they are not applied).
pub async fn report(db: &Db, lang: Lang, mut q: InsightsQuery) -> Result<TiersReport, AppError> {
    q.channel.clear();
    q.store.clear();
    q.tier.clear();
    q.compare.clear();
    q.rate.clear();
    year_by_default(db, &mut q)?;
    let Checked {
        program, from, to, ..
    } = checked(db, lang, q).await?;
    let Some(program) = program else {
        return Ok(TiersReport {
            from: from.to_string(),
            to: to.to_string(),
            ..TiersReport::default()
        });
    };
    let p = program.id.get();
    let (first, last) = (epoch_day(from), epoch_day(to));
    let mut conn = db.pool.acquire().await?;
    let merged = Merged::load(&mut conn).await?;

    // Enrolments per day and tier joined in (the daily facts), the moves between tiers
    // (tier_moves): a few rows a day, whatever the number of members.
    let mut deltas = TierDeltas::default();
    for (day, tier, n) in rollups::enrolments_by_tier(&mut conn, p).await? {
        deltas.joined(day, tier, n);
    }
    let mut moves: BTreeMap<(i64, i64, bool), i64> = BTreeMap::new();
    for ((_, day, from_id, to_id, up), n) in rollups::program_tier_moves(&mut conn, p).await? {
        deltas.moved(day, from_id, to_id, n);
        if (first..=last).contains(&day) {
            *moves.entry((from_id, to_id, up)).or_default() += n;
        }
    }
    // Merged memberships are taken out: their history went with the merge (and comes back
    // with its reversal). From the changes to their memberships, as the rollups filed them.
    let merged_changes: Vec<ChangeRow> = sqlx::query_as(
        "SELECT m.id, m.joined_at, COALESCE(m.tier_id, 0), c.created_at, \
         COALESCE(c.from_tier_id, 0), COALESCE(c.to_tier_id, 0), c.direction \
         FROM memberships m LEFT JOIN tier_changes c ON c.membership_id = m.id \
         WHERE m.program_id = $1 AND m.merged_into > 0 ORDER BY m.id, c.id",
    )
    .bind(p)
    .fetch_all(&mut *conn)
    .await?;
    for group in merged_changes.chunk_by(|a, b| a.0 == b.0) {
        let h = History {
            joined_at: group[0].1,
            current: group[0].2,
            changes: group.iter().filter_map(|c| Some((c.3?, c.4?, c.5?))).collect(),
        };
        deltas.remove(&h);
        for c in group {
            let (Some(at), Some(from_id), Some(to_id)) = (c.3, c.4, c.5) else {
                continue;
            };
            // On the day `h.moves()` gives it.
            let day = move_time(at, h.joined_at).div_euclid(SECONDS_PER_DAY);
            if (first..=last).contains(&day) {
                *moves
                    .entry((from_id, to_id, c.6.as_deref() == Some("up")))
                    .or_default() -= 1;
            }
        }
    }
    moves.retain(|_, n| *n != 0);

    let periods = periods(from, to);
    let mut ends: Vec<i64> = vec![first - 1];
    ends.extend(periods.iter().map(|(_, end)| *end));
    let at = deltas.at_ends(&ends);

    let facts = rollups::facts_by_tier(&mut conn, p, first, last).await?;
    let mut by_tier: BTreeMap<i64, Flows> = BTreeMap::new();
    for ((.., tier), f) in &facts {
        by_tier.entry(*tier).or_default().add(f);
    }

    // Every tier: the program's (lowest first), then any seen in history since deleted.
    let named: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM tiers WHERE program_id = $1 ORDER BY threshold_points")
            .bind(p)
            .fetch_all(&mut *conn)
            .await?;
    let mut ids: Vec<(i64, String)> = vec![(0, String::new())];
    ids.extend(named);
    let seen = at
        .iter()
        .flat_map(|m| m.iter().filter(|(_, n)| **n != 0).map(|(t, _)| *t))
        .chain(by_tier.keys().copied())
        .chain(moves.keys().flat_map(|(a, b, _)| [*a, *b]));
    let mut deleted: Vec<i64> = seen.filter(|t| !ids.iter().any(|(id, _)| id == t)).collect();
    deleted.sort_unstable();
    deleted.dedup();
    ids.extend(deleted.into_iter().map(|t| (t, String::new())));

    let count = |m: &HashMap<i64, i64>, t: i64| m.get(&t).copied().unwrap_or(0);
    let mut tiers = Vec::new();
    for (id, name) in ids {
        let flows = by_tier.get(&id).copied().unwrap_or_default();
        let buyers = if id == 0 {
            None
        } else {
            let sets = day_sets(
                &mut conn,
                &merged,
                p,
                Activity::Buy.as_str(),
                &format!("*|{id}"),
                first,
                last,
            )
            .await?;
            Some(union(sets.values()).len())
        };
        let moved_in = moves
            .iter()
            .filter(|((_, t, _), _)| *t == id)
            .map(|(_, n)| n)
            .sum();
        let moved_out = moves
            .iter()
            .filter(|((f, _, _), _)| *f == id)
            .map(|(_, n)| n)
            .sum();
        let row = TierRow {
            tier_id: id,
            name,
            members_before: count(&at[0], id),
            members: at.last().map_or(0, |m| count(m, id)),
            moved_in,
            moved_out,
            buyers,
            orders: flows.orders,
            net_sales_minor: flows.net_sales_minor(),
            issued: flows.issued,
            redeemed: flows.net_redeemed(),
        };
        // "No tier" only where someone is, was or bought there.
        let empty = row.members == 0 && row.members_before == 0 && row.orders == 0 && moved_out == 0;
        if id != 0 || !empty {
            tiers.push(row);
        }
    }
    let counts: Vec<Vec<i64>> = at[1..]
        .iter()
        .map(|m| tiers.iter().map(|t| count(m, t.tier_id)).collect())
        .collect();
    let labels: Vec<String> = periods.into_iter().map(|(k, _)| k).collect();
    let svg = charts::tiers(lang, &labels, &tiers, &counts)?;
    Ok(TiersReport {
        from: from.to_string(),
        to: to.to_string(),
        program: Some(program),
        upgrades: moves.iter().filter(|((.., up), _)| *up).map(|(_, n)| n).sum(),
        downgrades: moves.iter().filter(|((.., up), _)| !*up).map(|(_, n)| n).sum(),
        moves: moves
            .into_iter()
            .map(|((from_id, to_id, up), count)| TierMove {
                from_id,
                to_id,
                up,
                count,
            })
            .collect(),
        tiers,
        periods: labels,
        counts,
        svg,
    })
}
