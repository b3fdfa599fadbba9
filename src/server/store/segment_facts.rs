//! What segments are evaluated from, read from the tables that keep it: each membership's
//! row (balance, tier, joining), profile (members), summary (member_stats) and prediction
//! (member_predictions), the buyers' RFM values, and orders over a window or by store or
//! product when a condition asks. Read only; rows of merged-away memberships are left out.

use std::collections::{HashMap, HashSet};

use futures::TryStreamExt;
use sqlx::{AnyConnection, Row};

use crate::domain::segments::{day_of, Facts};
use crate::error::AppError;
use crate::server::db::params;

/// The membership filter on `column`: the whole program, or only these memberships.
fn only_clause(column: &str, first: usize, only: Option<&[i64]>) -> String {
    match only {
        Some(ids) => format!(" AND {column} IN ({})", params(first, ids.len())),
        None => String::new(),
    }
}

/// Streams every (or each of `only`'s) live membership's facts of the program to `each`, in
/// membership id order. `with_predictions` joins the CLV predictions.
pub async fn each_member(
    conn: &mut AnyConnection,
    program_id: i64,
    only: Option<&[i64]>,
    with_predictions: bool,
    mut each: impl FnMut(Facts),
) -> Result<(), AppError> {
    let (predicted, join) = if with_predictions {
        (
            "q.p_alive_ppm, q.clv_minor",
            " LEFT JOIN member_predictions q ON q.membership_id = m.id",
        )
    } else {
        ("NULL AS p_alive_ppm, NULL AS clv_minor", "")
    };
    let sql = format!(
        "SELECT m.id, m.tier_id, m.balance, m.joined_at, m.last_activity_at, p.birth_date, \
         CASE WHEN p.email IS NULL THEN 0 ELSE 1 END AS has_email, \
         CASE WHEN p.phone IS NULL THEN 0 ELSE 1 END AS has_phone, \
         CASE WHEN p.user_id IS NULL THEN 0 ELSE 1 END AS has_account, \
         COALESCE(s.orders, 0) AS orders, COALESCE(s.sales_minor, 0) AS sales_minor, \
         s.last_buy_day, s.last_active_day, COALESCE(s.channels, 0) AS channels, {predicted}, p.consents \
         FROM memberships m JOIN members p ON p.id = m.member_id \
         LEFT JOIN member_stats s ON s.membership_id = m.id{join} \
         WHERE m.program_id = $1 AND m.merged_into IS NULL{} ORDER BY m.id",
        only_clause("m.id", 2, only)
    );
    let mut q = sqlx::query(&sql).bind(program_id);
    for id in only.unwrap_or_default() {
        q = q.bind(id);
    }
    let mut rows = q.fetch(&mut *conn);
    // Columns by position: looking each up by name was most of the read's time (the query
    // itself takes a fifth of it in the sqlite3 shell on 100,000 members).
    while let Some(r) = rows.try_next().await? {
        let birth: Option<String> = r.try_get(5)?;
        let last_activity: Option<i64> = r.try_get(4)?;
        let last_active_day: Option<i64> = r.try_get(12)?;
        each(Facts {
            membership_id: r.try_get(0)?,
            tier_id: r.try_get(1)?,
            balance: r.try_get(2)?,
            joined_day: day_of(r.try_get::<i64, _>(3)?),
            birth_month: birth
                .as_deref()
                .and_then(|b| b.get(5..7))
                .and_then(|m| m.parse().ok()),
            has_email: r.try_get::<i64, _>(6)? != 0,
            has_phone: r.try_get::<i64, _>(7)? != 0,
            has_birth_date: birth.is_some(),
            has_account: r.try_get::<i64, _>(8)? != 0,
            orders: r.try_get(9)?,
            spend_minor: r.try_get(10)?,
            last_buy_day: r.try_get(11)?,
            // The membership's own mark is written with each booking, the summary's when it
            // is folded: the later of the two.
            last_active_day: last_activity.map(day_of).max(last_active_day),
            channels: r.try_get(13)?,
            p_alive_ppm: r.try_get(14)?,
            clv_minor: r.try_get(15)?,
            consents: r.try_get(16)?,
        });
    }
    Ok(())
}

/// The program's buyers' summaries for their RFM values, live memberships only, in id order:
/// (membership, last purchase day, orders, net spend).
pub async fn buyers(
    conn: &mut AnyConnection,
    program_id: i64,
) -> Result<Vec<(i64, i64, i64, i64)>, AppError> {
    let mut rows = sqlx::query_as::<_, (i64, i64, i64, i64)>(
        "SELECT s.membership_id, s.last_buy_day, s.orders, s.sales_minor FROM member_stats s \
         JOIN memberships m ON m.id = s.membership_id \
         WHERE s.program_id = $1 AND s.orders > 0 AND s.last_buy_day IS NOT NULL AND m.merged_into IS NULL \
         ORDER BY s.membership_id",
    )
    .bind(program_id)
    .fetch(&mut *conn);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await? {
        out.push(row);
    }
    Ok(out)
}

/// The summaries of memberships merged into others, added up per membership kept: a merge
/// moves the orders but leaves each summary where it was folded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Merged {
    pub orders: i64,
    pub spend_minor: i64,
    pub last_buy_day: Option<i64>,
    pub last_active_day: Option<i64>,
    pub channels: i64,
}

impl Merged {
    /// Adds these to a member's facts.
    pub fn add_to(&self, f: &mut Facts) {
        f.orders += self.orders;
        f.spend_minor += self.spend_minor;
        f.last_buy_day = f.last_buy_day.max(self.last_buy_day);
        f.last_active_day = f.last_active_day.max(self.last_active_day);
        f.channels |= self.channels;
    }
}

/// `Merged` for every membership of the program that others were merged into.
pub async fn merged(conn: &mut AnyConnection, program_id: i64) -> Result<HashMap<i64, Merged>, AppError> {
    let rows = sqlx::query_as::<_, (i64, i64, i64, Option<i64>, Option<i64>, i64)>(
        "SELECT m.merged_into, s.orders, s.sales_minor, s.last_buy_day, s.last_active_day, s.channels \
         FROM memberships m JOIN member_stats s ON s.membership_id = m.id \
         WHERE m.program_id = $1 AND m.merged_into IS NOT NULL",
    )
    .bind(program_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<i64, Merged> = HashMap::new();
    for (owner, orders, spend, last_buy, last_active, channels) in rows {
        let m = out.entry(owner).or_default();
        m.orders += orders;
        m.spend_minor += spend;
        m.last_buy_day = m.last_buy_day.max(last_buy);
        m.last_active_day = m.last_active_day.max(last_active);
        m.channels |= channels;
    }
    Ok(out)
}

/// Orders and net spend per membership since each of `sinces` (timestamps), one map each,
/// in one pass over the orders of the widest: windows of 90 and 365 days read the recent
/// orders once. A membership without orders in a window has no entry in its map.
pub async fn windows(
    conn: &mut AnyConnection,
    program_id: i64,
    sinces: &[i64],
    only: Option<&[i64]>,
) -> Result<Vec<HashMap<i64, (i64, i64)>>, AppError> {
    let Some(&widest) = sinces.iter().min() else {
        return Ok(Vec::new());
    };
    let sums: Vec<String> = (0..sinces.len())
        .map(|i| {
            let p = i + 3;
            format!(
                "CAST(SUM(CASE WHEN o.created_at >= ${p} THEN 1 ELSE 0 END) AS BIGINT), \
                 CAST(SUM(CASE WHEN o.created_at >= ${p} THEN o.amount_minor - o.returned_minor ELSE 0 END) AS BIGINT)"
            )
        })
        .collect();
    // A merge moves the orders to the member kept: each order is its live membership's.
    let sql = format!(
        "SELECT o.membership_id, {} FROM orders o WHERE o.program_id = $1 AND o.created_at >= $2{} \
         GROUP BY o.membership_id",
        sums.join(", "),
        only_clause("o.membership_id", 3 + sinces.len(), only)
    );
    let mut q = sqlx::query(&sql).bind(program_id).bind(widest);
    for since in sinces {
        q = q.bind(since);
    }
    for id in only.unwrap_or_default() {
        q = q.bind(id);
    }
    let mut rows = q.fetch(&mut *conn);
    let mut out = vec![HashMap::new(); sinces.len()];
    while let Some(row) = rows.try_next().await? {
        let id: i64 = row.try_get(0)?;
        for (i, window) in out.iter_mut().enumerate() {
            let n: i64 = row.try_get(1 + 2 * i)?;
            if n > 0 {
                window.insert(id, (n, row.try_get(2 + 2 * i)?));
            }
        }
    }
    Ok(out)
}

/// Memberships with an order since `since` in one of `store_ids`.
pub async fn bought_in_stores(
    conn: &mut AnyConnection,
    program_id: i64,
    since: i64,
    store_ids: &[i64],
    only: Option<&[i64]>,
) -> Result<HashSet<i64>, AppError> {
    let sql = format!(
        "SELECT DISTINCT o.membership_id FROM orders o \
         WHERE o.program_id = $1 AND o.created_at >= $2 AND o.store_id IN ({}){}",
        params(3, store_ids.len()),
        only_clause("o.membership_id", 3 + store_ids.len(), only)
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(program_id).bind(since);
    for s in store_ids {
        q = q.bind(s);
    }
    for id in only.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(&mut *conn).await?.into_iter().collect())
}

/// Memberships with an order since `since` with a line of one of `skus` or `categories`.
pub async fn bought_products(
    conn: &mut AnyConnection,
    program_id: i64,
    since: i64,
    skus: &[String],
    categories: &[String],
    only: Option<&[i64]>,
) -> Result<HashSet<i64>, AppError> {
    let mut any = Vec::new();
    let mut next = 3;
    if !skus.is_empty() {
        any.push(format!("l.sku IN ({})", params(next, skus.len())));
        next += skus.len();
    }
    if !categories.is_empty() {
        any.push(format!("l.category IN ({})", params(next, categories.len())));
        next += categories.len();
    }
    let sql = format!(
        "SELECT DISTINCT o.membership_id FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE o.program_id = $1 AND o.created_at >= $2 AND ({}){}",
        any.join(" OR "),
        only_clause("o.membership_id", next, only)
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(program_id).bind(since);
    for s in skus.iter().chain(categories) {
        q = q.bind(s);
    }
    for id in only.unwrap_or_default() {
        q = q.bind(id);
    }
    Ok(q.fetch_all(&mut *conn).await?.into_iter().collect())
}

/// Live memberships of the program.
pub async fn program_members(conn: &mut AnyConnection, program_id: i64) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE program_id = $1 AND merged_into IS NULL")
            .bind(program_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Memberships whose summary was folded after fold count `after`.
pub async fn folded_since(
    conn: &mut AnyConnection,
    program_id: i64,
    after: i64,
) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT membership_id FROM member_stats WHERE program_id = $1 AND fold_seq > $2 ORDER BY membership_id",
    )
    .bind(program_id)
    .bind(after)
    .fetch_all(&mut *conn)
    .await?)
}

/// (member id, name, card number, balance, orders, net spend) of each membership, in the
/// order given.
pub async fn people(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String, String, i64, i64, i64)>, AppError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(400) {
        let sql = format!(
            "SELECT m.id, p.id, p.name, p.card_number, m.balance, COALESCE(s.orders, 0), COALESCE(s.sales_minor, 0) \
             FROM memberships m JOIN members p ON p.id = m.member_id \
             LEFT JOIN member_stats s ON s.membership_id = m.id WHERE m.id IN ({})",
            params(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64, String, String, i64, i64, i64)>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        let mut rows = q.fetch_all(&mut *conn).await?;
        let at: HashMap<i64, usize> = chunk.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        rows.sort_by_key(|r| at.get(&r.0).copied());
        out.extend(rows.into_iter().map(|r| (r.1, r.2, r.3, r.4, r.5, r.6)));
    }
    Ok(out)
}
