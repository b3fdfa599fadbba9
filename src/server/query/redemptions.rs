//! The Rewards page: each reward's redemptions over a range (by whom, used or expired since),
//! the points spent and their worth at the program's point value, the money face value
//! handed out, and the stock and pool codes left; totals beside the comparison period's.
//! Read from the rewards rollup: counts per day, reward and place in `reward_days`, the
//! people in the reward bitmaps.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::model::insights::{InsightsQuery, RewardRow, RewardTotals, RewardsReport, Scope};
use crate::model::reward::RewardKind;
use crate::server::charts;
use crate::server::db::Db;

use crate::domain::kpi::{slice_for, Activity};
use crate::server::store::rollups;

use super::insights::{checked, day_sets, epoch_day, union, Checked, Merged};

/// The redemptions of `from..=to` in `scope`: per reward, then all together (members once).
/// From the rewards rollup (`reward_days` and the reward bitmaps): at a million members a
/// year's view read about 700,000 redemptions twice.
/// People are counted per reward only with `per_reward` (the comparison period shows totals);
/// money handed out only for the rewards in `money` (their kind now, as edited).
async fn redeemed(
    conn: &mut sqlx::AnyConnection,
    merged: &Merged,
    scope: &Scope,
    money: &HashSet<i64>,
    (from, to): (NaiveDate, NaiveDate),
    per_reward: bool,
) -> Result<(HashMap<i64, RewardTotals>, RewardTotals), AppError> {
    let (first, last) = (epoch_day(from), epoch_day(to));
    let counts = rollups::rewards_between(
        conn,
        scope.program_id,
        first,
        last,
        scope.channel.as_deref(),
        scope.store_id,
    )
    .await?;
    let mut rewards: HashMap<i64, RewardTotals> = HashMap::new();
    let mut all = RewardTotals::default();
    for (reward_id, n) in counts {
        let face = if money.contains(&reward_id) {
            n.value_minor
        } else {
            0
        };
        for t in [rewards.entry(reward_id).or_default(), &mut all] {
            t.redemptions += n.redemptions;
            t.used += n.used;
            t.expired += n.expired;
            t.points += n.points;
            t.face_value_minor += face;
        }
    }
    // Where it was redeemed is its transaction's channel and store (a store names its channel).
    let kind = Activity::Reward.as_str();
    let people = |reward: Option<i64>| slice_for(scope.channel.as_deref(), scope.store_id, reward);
    for (reward_id, t) in rewards
        .iter_mut()
        .filter(|(_, t)| per_reward && t.redemptions > 0)
    {
        let sets = day_sets(
            conn,
            merged,
            scope.program_id,
            kind,
            &people(Some(*reward_id)),
            first,
            last,
        )
        .await?;
        t.redeemers = union(sets.values()).len() as i64;
    }
    if all.redemptions > 0 {
        let sets = day_sets(conn, merged, scope.program_id, kind, &people(None), first, last).await?;
        all.redeemers = union(sets.values()).len() as i64;
    }
    Ok((rewards, all))
}

/// The Rewards page of `q` (the tier filter does not apply: a redemption is not filed by
/// tier).
pub async fn report(db: &Db, lang: Lang, mut q: InsightsQuery) -> Result<RewardsReport, AppError> {
    q.tier.clear();
    q.rate.clear();
    let Checked {
        scope,
        program,
        from,
        to,
        compare,
        ..
    } = checked(db, lang, q).await?;
    let mut conn = db.pool.acquire().await?;
    type Listed = (i64, String, String, i64, Option<i64>, i64, i64, i64, i64);
    let listed: Vec<Listed> = sqlx::query_as(
        "SELECT r.id, r.name, r.kind, r.program_id, r.stock, r.issued, r.uses_pool, r.active, \
         p.point_value_minor FROM rewards r JOIN programs p ON p.id = r.program_id \
         WHERE ($1 = 0 OR r.program_id = $1)",
    )
    .bind(scope.program_id)
    .fetch_all(&mut *conn)
    .await?;
    let money: HashSet<i64> = listed
        .iter()
        .filter(|r| RewardKind::parse(&r.2).is_some_and(RewardKind::value_is_money))
        .map(|r| r.0)
        .collect();
    let merged = Merged::load(&mut conn).await?;
    let (per_reward, mut totals) = redeemed(&mut conn, &merged, &scope, &money, (from, to), true).await?;
    let mut previous = match compare {
        Some(range) => Some(
            redeemed(&mut conn, &merged, &scope, &money, range, false)
                .await?
                .1,
        ),
        None => None,
    };
    let pools: HashMap<i64, i64> = sqlx::query_as(
        "SELECT c.reward_id, CAST(COUNT(*) AS BIGINT) FROM reward_pool_codes c \
         JOIN rewards r ON r.id = c.reward_id \
         WHERE ($1 = 0 OR r.program_id = $1) AND c.issued_id IS NULL GROUP BY c.reward_id",
    )
    .bind(scope.program_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut rewards: Vec<RewardRow> = listed
        .into_iter()
        .filter_map(
            |(id, name, kind, program_id, stock, issued, uses_pool, active, point_value)| {
                let t = per_reward.get(&id).cloned().unwrap_or_default();
                // A reward withdrawn and not redeemed in the range has nothing to say.
                (active != 0 || t.redemptions > 0).then(|| RewardRow {
                    reward_id: id,
                    name,
                    kind,
                    program_id,
                    redeemed: RewardTotals {
                        points_value_minor: t.points.saturating_mul(point_value),
                        ..t
                    },
                    stock_left: stock.map(|s| (s - issued).max(0)),
                    pool_left: (uses_pool != 0).then(|| pools.get(&id).copied().unwrap_or(0)),
                })
            },
        )
        .collect();
    rewards.sort_by(|a, b| {
        (b.redeemed.redemptions)
            .cmp(&a.redeemed.redemptions)
            .then(a.name.cmp(&b.name))
    });
    // Money only for one program: currencies and point values differ between programs.
    match &program {
        Some(p) => {
            totals.points_value_minor = totals.points.saturating_mul(p.point_value_minor);
            if let Some(prev) = previous.as_mut() {
                prev.points_value_minor = prev.points.saturating_mul(p.point_value_minor);
            }
        }
        None => {
            for r in &mut rewards {
                r.redeemed.points_value_minor = 0;
                r.redeemed.face_value_minor = 0;
            }
            totals.points = 0;
            totals.face_value_minor = 0;
            if let Some(prev) = previous.as_mut() {
                prev.points = 0;
                prev.face_value_minor = 0;
            }
        }
    }
    let svg = charts::rewards(lang, &rewards)?;
    Ok(RewardsReport {
        from: from.to_string(),
        to: to.to_string(),
        compare_from: compare.map(|c| c.0.to_string()),
        compare_to: compare.map(|c| c.1.to_string()),
        program,
        rewards,
        totals,
        previous,
        svg,
    })
}
