//! The Rewards page: each reward's redemptions over a range (by whom, used or expired since),
//! the points spent and their worth at the program's point value, the money face value
//! handed out, and the stock and pool codes left; totals beside the comparison period's.
//! Read from the issued rewards (by reward and day, through `issued_rewards_created`).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::model::insights::{InsightsQuery, RewardRow, RewardTotals, RewardsReport, Scope};
use crate::model::time::Timestamp;
use crate::server::charts;
use crate::server::db::Db;

use super::insights::{checked, Checked};

/// Reward kinds whose value is money handed out (minor units); a percent discount's is a
/// percent, and the others' have none.
const MONEY_KINDS: &str = "'discount_fixed', 'gift_card', 'points_payment'";

/// The redemptions of `from..=to` in `scope`: per reward, then all together (members once).
async fn redeemed(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(HashMap<i64, RewardTotals>, RewardTotals), AppError> {
    let start = Timestamp::start_of(from).0;
    let end = Timestamp::start_of(to.succ_opt().unwrap_or(to)).0;
    // Where it was redeemed is its transaction's channel and store.
    let mut wheres = String::new();
    let mut next = 4;
    if scope.channel.is_some() {
        wheres.push_str(&format!(" AND t.channel = ${next}"));
        next += 1;
    }
    if scope.store_id.is_some() {
        wheres.push_str(&format!(" AND t.store_id = ${next}"));
    }
    // The transaction is read only when where it happened is asked for.
    let placed = if wheres.is_empty() {
        ""
    } else {
        "JOIN ledger_transactions t ON t.id = i.transaction_id "
    };
    // Each reward's redemptions in the range through issued_rewards_created: CROSS JOIN keeps
    // SQLite from reading every redemption by status whatever the range (a week's view read
    // the year's: 200 ms at 100k members, now 10 ms).
    let from_where = format!(
        "FROM rewards r CROSS JOIN issued_rewards i {placed}\
         JOIN memberships m ON m.id = i.membership_id LEFT JOIN memberships mt ON mt.id = m.merged_into \
         WHERE i.reward_id = r.id AND ($1 = 0 OR r.program_id = $1) AND i.created_at >= $2 AND i.created_at < $3 \
         AND i.status IN ('issued', 'used', 'expired'){wheres}"
    );
    let sums = format!(
        "CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT COALESCE(mt.member_id, m.member_id)) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN i.status = 'used' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN i.status = 'expired' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(i.points), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN r.kind IN ({MONEY_KINDS}) THEN i.value ELSE 0 END), 0) AS BIGINT)"
    );
    type Sums = (i64, i64, i64, i64, i64, i64);
    let totals = |s: Sums| RewardTotals {
        redemptions: s.0,
        redeemers: s.1,
        used: s.2,
        expired: s.3,
        points: s.4,
        points_value_minor: 0,
        face_value_minor: s.5,
    };
    let per_reward_sql = format!("SELECT r.id, {sums} {from_where} GROUP BY r.id");
    let all_sql = format!("SELECT CAST(0 AS BIGINT), {sums} {from_where}");
    let mut out = Vec::new();
    for sql in [&per_reward_sql, &all_sql] {
        let mut q = sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64, i64)>(sql)
            .bind(scope.program_id)
            .bind(start)
            .bind(end);
        if let Some(c) = &scope.channel {
            q = q.bind(c.clone());
        }
        if let Some(s) = scope.store_id {
            q = q.bind(s);
        }
        out.push(q.fetch_all(&mut *conn).await?);
    }
    let all = out
        .pop()
        .and_then(|rows| rows.into_iter().next())
        .map(|(_, a, b, c, d, e, f)| totals((a, b, c, d, e, f)))
        .unwrap_or_default();
    let per_reward: HashMap<i64, RewardTotals> = out
        .pop()
        .unwrap_or_default()
        .into_iter()
        .map(|(id, a, b, c, d, e, f)| (id, totals((a, b, c, d, e, f))))
        .collect();
    Ok((per_reward, all))
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
    let (per_reward, mut totals) = redeemed(&mut conn, &scope, from, to).await?;
    let mut previous = match compare {
        Some((a, b)) => Some(redeemed(&mut conn, &scope, a, b).await?.1),
        None => None,
    };
    type Listed = (i64, String, String, i64, Option<i64>, i64, i64, i64, i64);
    let listed: Vec<Listed> = sqlx::query_as(
        "SELECT r.id, r.name, r.kind, r.program_id, r.stock, r.issued, r.uses_pool, r.active, \
         p.point_value_minor FROM rewards r JOIN programs p ON p.id = r.program_id \
         WHERE ($1 = 0 OR r.program_id = $1)",
    )
    .bind(scope.program_id)
    .fetch_all(&mut *conn)
    .await?;
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
