//! The Insights rollups' tables: the queue bookings append to, the daily facts, the
//! member-day bitmaps and the member summaries (`migrations/*/20261207000970_rollups.sql`).
//! SQL only; `service::rollups` folds and `query::insights` reads.

use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::AnyConnection;

use crate::domain::kpi::{Flows, MemberSummary};
use crate::error::AppError;
use crate::server::db::{params, values};

/// Rows per multi-row statement: well under SQLite's and PostgreSQL's parameter limits.
const ROWS: usize = 400;

/// Whether bookings queue their transactions for the rollups: always in a server; the
/// booking benchmark turns it off to measure what keeping Insights current costs.
static QUEUEING: AtomicBool = AtomicBool::new(true);

/// Turns queueing for the rollups on or off, for this process (the booking benchmark).
pub fn set_queueing(on: bool) {
    QUEUEING.store(on, Ordering::Relaxed);
}

/// Queues `ids` of `source` ('tx', 'join' or 'tier') for the rollups, in the caller's transaction.
/// On SQLite nothing is queued: its writers commit one at a time in id order, and the
/// worker folds what lies past its marks.
pub async fn enqueue(conn: &mut AnyConnection, source: &str, ids: &[i64]) -> Result<(), AppError> {
    if !QUEUEING.load(Ordering::Relaxed) || conn.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    for chunk in ids.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO rollup_queue (source, ref_id) VALUES {}",
            values(chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(source).bind(id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Takes the rollups' one lock (a row every folding transaction updates): a second worker,
/// or a rebuild, waits here until the first commits.
pub async fn lock(conn: &mut AnyConnection) -> Result<(), AppError> {
    sqlx::query("UPDATE rollup_state SET folded = folded WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many items have been folded (and rebuilt) so far: it changes with every fold.
pub async fn fold_count(conn: &mut AnyConnection) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT folded FROM rollup_state WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?)
}

/// Counts `n` more items folded, at `now`.
pub async fn folded(conn: &mut AnyConnection, n: i64, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE rollup_state SET folded = folded + $1, folded_at = $2 WHERE id = 1")
        .bind(n)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The oldest queued items: (queue id, source, ref id).
pub async fn queued(conn: &mut AnyConnection, limit: i64) -> Result<Vec<(i64, String, i64)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, source, ref_id FROM rollup_queue ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// How many items wait to be folded: queued (PostgreSQL) or past the marks (SQLite).
pub async fn backlog(conn: &mut AnyConnection) -> Result<i64, AppError> {
    // Issued rewards whose status moved since they were folded, through their partial index.
    let sql = if conn.backend_name() == "PostgreSQL" {
        "SELECT CAST((SELECT COUNT(*) FROM rollup_queue) \
         + (SELECT COUNT(*) FROM issued_rewards WHERE folded IS DISTINCT FROM status) AS BIGINT)"
    } else {
        "SELECT CAST((SELECT COUNT(*) FROM ledger_transactions WHERE id > s.tx_mark) \
         + (SELECT COUNT(*) FROM memberships WHERE id > s.join_mark) \
         + (SELECT COUNT(*) FROM tier_changes WHERE id > s.tier_mark) \
         + (SELECT COUNT(*) FROM issued_rewards WHERE folded IS DISTINCT FROM status) AS BIGINT) \
         FROM rollup_state s WHERE s.id = 1"
    };
    Ok(sqlx::query_scalar(sql).fetch_one(&mut *conn).await?)
}

/// How far the worker has folded on SQLite: the last ledger transaction, membership and
/// tier change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    pub tx: i64,
    pub join: i64,
    pub tier: i64,
}

/// The marks (SQLite).
pub async fn marks(conn: &mut AnyConnection) -> Result<Marks, AppError> {
    let (tx, join, tier) =
        sqlx::query_as("SELECT tx_mark, join_mark, tier_mark FROM rollup_state WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
    Ok(Marks { tx, join, tier })
}

/// Moves the marks on to what has been folded.
pub async fn set_marks(conn: &mut AnyConnection, m: Marks) -> Result<(), AppError> {
    sqlx::query("UPDATE rollup_state SET tx_mark = $1, join_mark = $2, tier_mark = $3 WHERE id = 1")
        .bind(m.tx)
        .bind(m.join)
        .bind(m.tier)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn dequeue(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), AppError> {
    crate::server::db::delete_in(conn, "rollup_queue", "id", ids).await
}

/// Everything the rollups need of a ledger transaction, with the order it books or returns
/// part of.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TxRow {
    pub id: i64,
    pub program_id: i64,
    pub membership_id: Option<i64>,
    pub member_id: Option<i64>,
    pub kind: String,
    pub channel: String,
    pub store_id: Option<i64>,
    pub amount_minor: Option<i64>,
    pub created_at: i64,
    /// The order: its amount, channel, store and time (an earning's own, a return's
    /// original).
    pub order_amount: Option<i64>,
    pub order_channel: Option<String>,
    pub order_store: Option<i64>,
    pub order_at: Option<i64>,
    /// The membership the order was booked to (a return after a merge is booked to the
    /// member it was merged into; its refund belongs with the purchase).
    pub order_membership: Option<i64>,
}

const TX_SELECT: &str =
    "SELECT t.id, t.program_id, t.membership_id, m.member_id, t.kind, t.channel, t.store_id, \
     t.amount_minor, t.created_at, COALESCE(o.amount_minor, r.amount_minor) AS order_amount, \
     COALESCE(o.channel, r.channel) AS order_channel, COALESCE(o.store_id, r.store_id) AS order_store, \
     COALESCE(o.created_at, r.created_at) AS order_at, e.membership_id AS order_membership \
     FROM ledger_transactions t LEFT JOIN memberships m ON m.id = t.membership_id \
     LEFT JOIN orders o ON t.kind = 'earn' AND o.transaction_id = t.id \
     LEFT JOIN orders r ON r.id = t.order_id LEFT JOIN ledger_transactions e ON e.id = r.transaction_id";

/// The transactions of `ids`.
pub async fn transactions(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<TxRow>, AppError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS) {
        let sql = format!(
            "{TX_SELECT} WHERE t.id IN ({}) ORDER BY t.id",
            params(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, TxRow>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Up to `limit` transactions after id `after`, in id order (a rebuild reads them all).
pub async fn transactions_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<TxRow>, AppError> {
    let sql = format!("{TX_SELECT} WHERE t.id > $1 ORDER BY t.id LIMIT $2");
    Ok(sqlx::query_as(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// The program-side postings of transactions `ids`: (transaction id, account, points).
pub async fn program_postings(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String, i64)>, AppError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ROWS) {
        // The membership index is partial (`membership_id IS NOT NULL`), so this filter is
        // answered from the transaction index: before it was, SQLite walked every
        // program-side posting of the ledger through the membership index for each batch.
        let sql = format!(
            "SELECT transaction_id, account, points FROM ledger_postings \
             WHERE transaction_id IN ({}) AND membership_id IS NULL",
            params(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64, String, i64)>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// A membership as it joined.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JoinRow {
    pub id: i64,
    pub program_id: i64,
    pub member_id: i64,
    pub joined_at: i64,
    pub joined_channel: Option<String>,
    pub joined_store_id: Option<i64>,
}

const JOIN_SELECT: &str =
    "SELECT id, program_id, member_id, joined_at, joined_channel, joined_store_id FROM memberships";

pub async fn joins(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<JoinRow>, AppError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS) {
        let sql = format!(
            "{JOIN_SELECT} WHERE id IN ({}) ORDER BY id",
            params(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, JoinRow>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

pub async fn joins_after(conn: &mut AnyConnection, after: i64, limit: i64) -> Result<Vec<JoinRow>, AppError> {
    let sql = format!("{JOIN_SELECT} WHERE id > $1 ORDER BY id LIMIT $2");
    Ok(sqlx::query_as(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// A tier change: (membership id, from tier, to tier, at).
pub type TierChange = (i64, Option<i64>, Option<i64>, i64);

/// The tier history of memberships `ids`: their current tier, and each change in order
/// as (membership id, from tier, to tier, at).
pub async fn tier_history(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<(Vec<(i64, Option<i64>)>, Vec<TierChange>), AppError> {
    let (mut current, mut changes) = (Vec::new(), Vec::new());
    for chunk in ids.chunks(ROWS) {
        let list = params(1, chunk.len());
        // The tiers held first, the changes second: a change recorded in between is among
        // the changes, so a membership's tier before its first change is that change's old
        // tier, never the new tier it holds by then.
        let sql = format!("SELECT id, tier_id FROM memberships WHERE id IN ({list})");
        let mut q = sqlx::query_as::<_, (i64, Option<i64>)>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        current.extend(q.fetch_all(&mut *conn).await?);
        let sql = format!(
            "SELECT membership_id, from_tier_id, to_tier_id, created_at FROM tier_changes \
             WHERE membership_id IN ({list}) ORDER BY membership_id, id"
        );
        let mut q = sqlx::query_as::<_, TierChange>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        changes.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok((current, changes))
}

/// A daily facts row's key: (program, UTC epoch day, channel, store or 0, tier or 0).
pub type FactKey = (i64, i64, String, i64, i64);

const FACT_COLUMNS: &str =
    "orders, sales_minor, returned_minor, redemptions, enrolments, issued, order_points, \
     returned, redeemed, unredeemed, expired, adjusted_in, adjusted_out";

fn flows_values(f: &Flows) -> [i64; 13] {
    [
        f.orders,
        f.sales_minor,
        f.returned_minor,
        f.redemptions,
        f.enrolments,
        f.issued,
        f.order_points,
        f.returned,
        f.redeemed,
        f.unredeemed,
        f.expired,
        f.adjusted_in,
        f.adjusted_out,
    ]
}

/// Adds `facts` to the daily facts, creating the rows that are new.
pub async fn add_facts(conn: &mut AnyConnection, facts: &[(FactKey, Flows)]) -> Result<(), AppError> {
    let names: Vec<&str> = FACT_COLUMNS.split(", ").collect();
    let set = names
        .iter()
        .map(|c| format!("{c} = daily_facts.{c} + excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    for chunk in facts.chunks(ROWS / 2) {
        let sql = format!(
            "INSERT INTO daily_facts (program_id, day, channel, store_id, tier_id, {FACT_COLUMNS}) VALUES {} \
             ON CONFLICT (program_id, day, channel, store_id, tier_id) DO UPDATE SET {set}",
            values(chunk.len(), 18)
        );
        let mut q = sqlx::query(&sql);
        for ((program, day, channel, store, tier), f) in chunk {
            q = q.bind(program).bind(day).bind(channel).bind(store).bind(tier);
            for v in flows_values(f) {
                q = q.bind(v);
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Every daily facts row (a rebuild compares them).
pub async fn all_facts(conn: &mut AnyConnection) -> Result<Vec<(FactKey, Flows)>, AppError> {
    let sql = format!("SELECT program_id, day, channel, store_id, tier_id, {FACT_COLUMNS} FROM daily_facts");
    let rows: Vec<sqlx::any::AnyRow> = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    rows.iter().map(fact_row).collect()
}

fn fact_row(r: &sqlx::any::AnyRow) -> Result<(FactKey, Flows), AppError> {
    use sqlx::Row;
    let v = |i: usize| r.try_get::<i64, _>(i);
    let key = (v(0)?, v(1)?, r.try_get::<String, _>(2)?, v(3)?, v(4)?);
    let f = Flows {
        orders: v(5)?,
        sales_minor: v(6)?,
        returned_minor: v(7)?,
        redemptions: v(8)?,
        enrolments: v(9)?,
        issued: v(10)?,
        order_points: v(11)?,
        returned: v(12)?,
        redeemed: v(13)?,
        unredeemed: v(14)?,
        expired: v(15)?,
        adjusted_in: v(16)?,
        adjusted_out: v(17)?,
    };
    Ok((key, f))
}

/// The programs a query reads: the one named, or every one (0). Each is then read by its
/// own primary-key range: a condition such as `($1 = 0 OR program_id = $1)` would have the
/// database scan every program's rows (every bitmap's pages, on SQLite) instead.
async fn programs_of(conn: &mut AnyConnection, program_id: i64) -> Result<Vec<i64>, AppError> {
    if program_id != 0 {
        return Ok(vec![program_id]);
    }
    Ok(sqlx::query_scalar("SELECT id FROM programs ORDER BY id")
        .fetch_all(&mut *conn)
        .await?)
}

/// Facts of one program (or all, 0) between epoch days `from..=to` matching the filter,
/// added up per day, channel and store: ((program, day, channel, store, 0), flows).
pub async fn facts_between(
    conn: &mut AnyConnection,
    program_id: i64,
    from: i64,
    to: i64,
    channel: Option<&str>,
    store_id: Option<i64>,
    tier_id: Option<i64>,
) -> Result<Vec<(FactKey, Flows)>, AppError> {
    let sums = FACT_COLUMNS
        .split(", ")
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    // Only the conditions asked for, each bound: the primary key's (program, day) prefix
    // is then what the database searches by.
    let mut conditions = vec!["program_id = $1", "day >= $2", "day <= $3"];
    let mut next = 4;
    let mut extra = Vec::new();
    for (column, on) in [
        ("channel", channel.is_some()),
        ("store_id", store_id.is_some()),
        ("tier_id", tier_id.is_some()),
    ] {
        if on {
            extra.push(format!("{column} = ${next}"));
            next += 1;
        }
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    conditions.extend(extra);
    let sql = format!(
        "SELECT program_id, day, channel, store_id, CAST(0 AS BIGINT), {sums} FROM daily_facts \
         WHERE {} GROUP BY program_id, day, channel, store_id",
        conditions.join(" AND ")
    );
    let mut out = Vec::new();
    for program in programs_of(conn, program_id).await? {
        let mut q = sqlx::query(&sql).bind(program).bind(from).bind(to);
        if let Some(c) = channel {
            q = q.bind(c);
        }
        if let Some(s) = store_id {
            q = q.bind(s);
        }
        if let Some(t) = tier_id {
            q = q.bind(t);
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.push(fact_row(&row)?);
        }
    }
    Ok(out)
}

/// One program's facts between epoch days `from..=to` added up per tier (0: none):
/// ((program, 0, "", 0, tier), flows).
pub async fn facts_by_tier(
    conn: &mut AnyConnection,
    program_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<(FactKey, Flows)>, AppError> {
    let sums = FACT_COLUMNS
        .split(", ")
        .map(|c| format!("CAST(SUM({c}) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT program_id, CAST(0 AS BIGINT), '', CAST(0 AS BIGINT), tier_id, {sums} FROM daily_facts \
         WHERE program_id = $1 AND day >= $2 AND day <= $3 GROUP BY program_id, tier_id"
    );
    let rows = sqlx::query(&sql)
        .bind(program_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(fact_row).collect()
}

/// A program's facts up to day `to` (all of them before), added up: one row read per
/// program, whatever the history's length.
pub async fn facts_until(conn: &mut AnyConnection, program_id: i64, to: i64) -> Result<Flows, AppError> {
    let sums = FACT_COLUMNS
        .split(", ")
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT CAST(0 AS BIGINT), CAST(0 AS BIGINT), '', CAST(0 AS BIGINT), CAST(0 AS BIGINT), {sums} \
         FROM daily_facts WHERE program_id = $1 AND day <= $2"
    );
    let row = sqlx::query(&sql)
        .bind(program_id)
        .bind(to)
        .fetch_one(&mut *conn)
        .await?;
    Ok(fact_row(&row)?.1)
}

/// A member-day bitmap's key: (program, activity, slice, UTC epoch day).
pub type DayKey = (i64, &'static str, String, i64);

/// The stored bitmaps of `keys` that exist.
pub async fn day_sets(conn: &mut AnyConnection, keys: &[DayKey]) -> Result<Vec<(DayKey, Vec<u8>)>, AppError> {
    let mut out = Vec::new();
    for chunk in keys.chunks(ROWS / 4) {
        let cond = (0..chunk.len())
            .map(|i| {
                let b = i * 4;
                format!(
                    "(program_id = ${} AND kind = ${} AND slice = ${} AND day = ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4
                )
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let sql = format!("SELECT program_id, kind, slice, day, members FROM member_days WHERE {cond}");
        let mut q = sqlx::query_as::<_, (i64, String, String, i64, Vec<u8>)>(&sql);
        for (p, k, s, d) in chunk {
            q = q.bind(p).bind(*k).bind(s).bind(d);
        }
        for (p, k, s, d, blob) in q.fetch_all(&mut *conn).await? {
            if let Some(kind) = chunk.iter().find(|key| key.1 == k).map(|key| key.1) {
                out.push(((p, kind, s, d), blob));
            }
        }
    }
    Ok(out)
}

/// Writes bitmaps whole (new or replacing the stored ones).
pub async fn put_day_sets(conn: &mut AnyConnection, sets: &[(DayKey, Vec<u8>)]) -> Result<(), AppError> {
    for chunk in sets.chunks(ROWS / 5) {
        let sql = format!(
            "INSERT INTO member_days (program_id, kind, slice, day, members) VALUES {} \
             ON CONFLICT (program_id, kind, slice, day) DO UPDATE SET members = excluded.members",
            values(chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for ((p, k, s, d), blob) in chunk {
            q = q.bind(p).bind(*k).bind(s).bind(d).bind(blob.as_slice());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The bitmaps of `kind` in `slice` of a program (or all, 0) between days `from..=to`:
/// (program, day, bitmap).
pub async fn day_sets_between(
    conn: &mut AnyConnection,
    program_id: i64,
    kind: &str,
    slice: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64, Vec<u8>)>, AppError> {
    let mut out = Vec::new();
    for program in programs_of(conn, program_id).await? {
        let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT program_id, day, members FROM member_days WHERE program_id = $1 AND kind = $2 \
             AND slice = $3 AND day >= $4 AND day <= $5",
        )
        .bind(program)
        .bind(kind)
        .bind(slice)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Every bitmap (a rebuild compares them).
pub async fn all_day_sets(
    conn: &mut AnyConnection,
) -> Result<Vec<(i64, String, String, i64, Vec<u8>)>, AppError> {
    Ok(
        sqlx::query_as("SELECT program_id, kind, slice, day, members FROM member_days")
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// A member summary row: (membership, program, member, summary).
pub type StatRow = (i64, i64, i64, MemberSummary);

/// A summary's purchase columns, in the order `purchases_at` reads them.
const PURCHASE_COLUMNS: &str = "orders, buy_days, first_buy_day, last_buy_day, sales_minor, first_day_minor";

const STAT_COLUMNS: &str =
    "membership_id, program_id, member_id, orders, buy_days, first_buy_day, last_buy_day, \
     sales_minor, first_day_minor, redemptions, last_active_day, channels";

/// The purchases of a summary whose `PURCHASE_COLUMNS` start at column `at` of `r`.
fn purchases_at(r: &sqlx::any::AnyRow, at: usize) -> Result<MemberSummary, AppError> {
    use sqlx::Row;
    Ok(MemberSummary {
        orders: r.try_get(at)?,
        buy_days: r.try_get(at + 1)?,
        first_buy_day: r.try_get(at + 2)?,
        last_buy_day: r.try_get(at + 3)?,
        sales_minor: r.try_get(at + 4)?,
        first_day_minor: r.try_get(at + 5)?,
        ..MemberSummary::default()
    })
}

fn stat_row(r: &sqlx::any::AnyRow) -> Result<StatRow, AppError> {
    use sqlx::Row;
    Ok((
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        MemberSummary {
            redemptions: r.try_get(9)?,
            last_active_day: r.try_get(10)?,
            channels: r.try_get(11)?,
            ..purchases_at(r, 3)?
        },
    ))
}

/// The summaries of memberships `ids` that have one.
pub async fn summaries(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<StatRow>, AppError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(ROWS) {
        let sql = format!(
            "SELECT {STAT_COLUMNS} FROM member_stats WHERE membership_id IN ({})",
            params(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push(stat_row(&r)?);
        }
    }
    Ok(out)
}

/// Every summary of a program (or all, 0).
pub async fn program_summaries(conn: &mut AnyConnection, program_id: i64) -> Result<Vec<StatRow>, AppError> {
    let sql = format!("SELECT {STAT_COLUMNS} FROM member_stats WHERE ($1 = 0 OR program_id = $1)");
    let rows = sqlx::query(&sql).bind(program_id).fetch_all(&mut *conn).await?;
    rows.iter().map(stat_row).collect()
}

/// Writes summaries whole.
pub async fn put_summaries(conn: &mut AnyConnection, rows: &[StatRow], seq: i64) -> Result<(), AppError> {
    let set = STAT_COLUMNS
        .split(", ")
        .skip(1)
        .chain(["fold_seq"])
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    for chunk in rows.chunks(ROWS / 13) {
        let sql = format!(
            "INSERT INTO member_stats ({STAT_COLUMNS}, fold_seq) VALUES {} ON CONFLICT (membership_id) DO UPDATE SET {set}",
            values(chunk.len(), 13)
        );
        let mut q = sqlx::query(&sql);
        for (membership, program, member, s) in chunk {
            q = q
                .bind(membership)
                .bind(program)
                .bind(member)
                .bind(s.orders)
                .bind(s.buy_days)
                .bind(s.first_buy_day)
                .bind(s.last_buy_day)
                .bind(s.sales_minor)
                .bind(s.first_day_minor)
                .bind(s.redemptions)
                .bind(s.last_active_day)
                .bind(s.channels)
                .bind(seq);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Empties every rollup table and the queue (a rebuild writes them again in the same
/// transaction).
pub async fn clear(conn: &mut AnyConnection) -> Result<(), AppError> {
    for table in [
        "daily_facts",
        "member_days",
        "member_stats",
        "reward_days",
        "tier_moves",
        "rollup_queue",
    ] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A program's member summaries written by folds after `seq` (`member_stats_folded`):
/// (membership, member, net spend, orders).
pub async fn summaries_folded_after(
    conn: &mut AnyConnection,
    program_id: i64,
    seq: i64,
) -> Result<Vec<(i64, i64, i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT membership_id, member_id, sales_minor, orders FROM member_stats \
         WHERE program_id = $1 AND fold_seq > $2",
    )
    .bind(program_id)
    .bind(seq)
    .fetch_all(&mut *conn)
    .await?)
}

/// What a customer value fit needs of the program's summaries written by folds after `seq`
/// (all of them for -1), each given to `each` (membership, summary with its purchases only)
/// as it is read, so that a million rows are never all in memory at once. Seven columns of
/// twelve: each costs its share of a million rows through the Any driver.
pub async fn purchase_summaries_folded_after(
    conn: &mut AnyConnection,
    program_id: i64,
    seq: i64,
    mut each: impl FnMut(i64, MemberSummary),
) -> Result<(), AppError> {
    use futures::TryStreamExt;
    use sqlx::Row;
    let sql = format!(
        "SELECT membership_id, {PURCHASE_COLUMNS} FROM member_stats WHERE program_id = $1 AND fold_seq > $2"
    );
    let mut rows = sqlx::query(&sql).bind(program_id).bind(seq).fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        each(r.try_get(0)?, purchases_at(&r, 1)?);
    }
    Ok(())
}

/// An issued reward as the rewards rollup folds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RewardRow {
    pub id: i64,
    pub program_id: i64,
    pub reward_id: i64,
    pub created_at: i64,
    pub status: String,
    /// The status last folded (None: never).
    pub folded: Option<String>,
    pub points: i64,
    /// Its value: money handed out (minor units) for the money kinds
    /// (`RewardKind::value_is_money`), a
    /// percent for a percent discount. Kept whatever the kind; the page shows it for the
    /// money kinds (the reward's kind now, as it can be edited).
    pub value_minor: i64,
    pub channel: String,
    pub store_id: i64,
    pub member_id: i64,
}

/// An issued reward's columns for `RewardRow`, from `i` (issued_rewards) and `r` (rewards).
/// The person is the one whose transaction redeemed it (a merge moves the code, never the
/// transaction; `Merged` maps merged people when the page reads); a reward that moved no
/// points is its membership's.
fn reward_select(from: &str, wheres: &str) -> String {
    format!(
        "SELECT i.id, r.program_id, i.reward_id, i.created_at, i.status, i.folded, i.points, \
         CAST(COALESCE(i.value, 0) AS BIGINT) AS value_minor, \
         COALESCE(t.channel, '') AS channel, COALESCE(t.store_id, 0) AS store_id, m.member_id \
         FROM {from} LEFT JOIN ledger_transactions t ON t.id = i.transaction_id \
         JOIN memberships m ON m.id = COALESCE(t.membership_id, i.membership_id) WHERE {wheres}"
    )
}

/// Issued rewards first, in id order, then their reward (CROSS JOIN keeps SQLite in that
/// order: from the few rewards it would read every issued reward of each).
const ISSUED_WITH_REWARD: &str = "issued_rewards i CROSS JOIN rewards r";

/// Issued rewards whose status changed since they were last folded, oldest first.
pub async fn unfolded_rewards(conn: &mut AnyConnection, limit: i64) -> Result<Vec<RewardRow>, AppError> {
    let sql = reward_select(
        ISSUED_WITH_REWARD,
        "i.folded IS DISTINCT FROM i.status ORDER BY i.id LIMIT $1",
    );
    Ok(sqlx::query_as(&sql).bind(limit).fetch_all(&mut *conn).await?)
}

/// Issued rewards after id `after`, in id order (a rebuild reads them all).
pub async fn rewards_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<RewardRow>, AppError> {
    let sql = reward_select(
        ISSUED_WITH_REWARD,
        "r.id = i.reward_id AND i.id > $1 ORDER BY i.id LIMIT $2",
    );
    Ok(sqlx::query_as(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// A program's issued rewards created in `[start, end)`, whatever their status.
pub async fn rewards_created(
    conn: &mut AnyConnection,
    program_id: i64,
    start: i64,
    end: i64,
) -> Result<Vec<RewardRow>, AppError> {
    // CROSS JOIN: each reward's range through issued_rewards_created on SQLite.
    let sql = reward_select(
        "rewards r CROSS JOIN issued_rewards i",
        "i.reward_id = r.id AND r.program_id = $1 AND i.created_at >= $2 AND i.created_at < $3",
    );
    Ok(sqlx::query_as(&sql)
        .bind(program_id)
        .bind(start)
        .bind(end)
        .fetch_all(&mut *conn)
        .await?)
}

/// Records that issued reward `id` was folded with `status`, when it still has that status
/// and was last folded with `was`: false when it changed meanwhile (it is folded again later).
pub async fn mark_reward_folded(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    was: Option<&str>,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE issued_rewards SET folded = $2 WHERE id = $1 AND status = $2 AND folded IS NOT DISTINCT FROM $3",
    )
    .bind(id)
    .bind(status)
    .bind(was)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every issued reward folded as it stands (a rebuild, which folded them all).
pub async fn mark_all_rewards_folded(conn: &mut AnyConnection) -> Result<(), AppError> {
    sqlx::query("UPDATE issued_rewards SET folded = status WHERE folded IS DISTINCT FROM status")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A reward_days row's key: (program, day, reward, channel, store).
pub type RewardKey = (i64, i64, i64, String, i64);

/// A reward_days row's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RewardCounts {
    pub redemptions: i64,
    pub used: i64,
    pub expired: i64,
    pub points: i64,
    pub value_minor: i64,
}

impl RewardCounts {
    pub fn add(&mut self, o: &RewardCounts, sign: i64) {
        self.redemptions += sign * o.redemptions;
        self.used += sign * o.used;
        self.expired += sign * o.expired;
        self.points += sign * o.points;
        self.value_minor += sign * o.value_minor;
    }

    pub fn is_zero(&self) -> bool {
        *self == RewardCounts::default()
    }
}

/// Adds `rows` to reward_days (creating rows as needed).
pub async fn add_reward_days(
    conn: &mut AnyConnection,
    rows: &[(RewardKey, RewardCounts)],
) -> Result<(), AppError> {
    for chunk in rows.chunks(ROWS / 10) {
        let sql = format!(
            "INSERT INTO reward_days (program_id, day, reward_id, channel, store_id, redemptions, used, expired, \
             points, value_minor) VALUES {} ON CONFLICT (program_id, day, reward_id, channel, store_id) \
             DO UPDATE SET redemptions = reward_days.redemptions + excluded.redemptions, \
             used = reward_days.used + excluded.used, expired = reward_days.expired + excluded.expired, \
             points = reward_days.points + excluded.points, \
             value_minor = reward_days.value_minor + excluded.value_minor",
            values(chunk.len(), 10)
        );
        let mut q = sqlx::query(&sql);
        for ((p, d, r, c, s), n) in chunk {
            q = q
                .bind(p)
                .bind(d)
                .bind(r)
                .bind(c.as_str())
                .bind(s)
                .bind(n.redemptions)
                .bind(n.used)
                .bind(n.expired)
                .bind(n.points)
                .bind(n.value_minor);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The counts of a row whose columns from `at` on are reward_days' counts.
fn reward_counts_at(r: &sqlx::any::AnyRow, at: usize) -> Result<RewardCounts, AppError> {
    use sqlx::Row;
    Ok(RewardCounts {
        redemptions: r.try_get(at)?,
        used: r.try_get(at + 1)?,
        expired: r.try_get(at + 2)?,
        points: r.try_get(at + 3)?,
        value_minor: r.try_get(at + 4)?,
    })
}

/// Every reward_days row (a rebuild compares them).
pub async fn all_reward_days(conn: &mut AnyConnection) -> Result<Vec<(RewardKey, RewardCounts)>, AppError> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT program_id, day, reward_id, channel, store_id, redemptions, used, expired, points, value_minor \
         FROM reward_days",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let key = (
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            );
            Ok((key, reward_counts_at(r, 5)?))
        })
        .collect()
}

/// A program's (or every program's, 0) redemptions per reward between epoch days
/// `from..=to`, in a channel or store when given.
pub async fn rewards_between(
    conn: &mut AnyConnection,
    program_id: i64,
    from: i64,
    to: i64,
    channel: Option<&str>,
    store_id: Option<i64>,
) -> Result<Vec<(i64, RewardCounts)>, AppError> {
    let mut wheres = String::new();
    if channel.is_some() {
        wheres.push_str(" AND channel = $4");
    }
    if store_id.is_some() {
        wheres.push_str(if channel.is_some() {
            " AND store_id = $5"
        } else {
            " AND store_id = $4"
        });
    }
    let sql = format!(
        "SELECT reward_id, CAST(SUM(redemptions) AS BIGINT), CAST(SUM(used) AS BIGINT), CAST(SUM(expired) AS BIGINT), \
         CAST(SUM(points) AS BIGINT), CAST(SUM(value_minor) AS BIGINT) FROM reward_days \
         WHERE program_id = $1 AND day >= $2 AND day <= $3{wheres} GROUP BY reward_id"
    );
    let mut out = Vec::new();
    for program in programs_of(conn, program_id).await? {
        let mut q = sqlx::query(&sql).bind(program).bind(from).bind(to);
        if let Some(c) = channel {
            q = q.bind(c.to_string());
        }
        if let Some(s) = store_id {
            q = q.bind(s);
        }
        for r in q.fetch_all(&mut *conn).await? {
            use sqlx::Row;
            out.push((r.try_get(0)?, reward_counts_at(&r, 1)?));
        }
    }
    Ok(out)
}

/// A tier change as the rollups fold it: its id, the membership's program and joining
/// second, when, from and to (0: no tier), upwards.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TierChangeRow {
    pub id: i64,
    pub program_id: i64,
    pub joined_at: i64,
    pub created_at: i64,
    pub from_tier_id: i64,
    pub to_tier_id: i64,
    pub direction: String,
}

const TIER_CHANGE_SELECT: &str = "SELECT c.id, m.program_id, m.joined_at, c.created_at, \
     COALESCE(c.from_tier_id, 0) AS from_tier_id, COALESCE(c.to_tier_id, 0) AS to_tier_id, c.direction \
     FROM tier_changes c JOIN memberships m ON m.id = c.membership_id";

/// The tier changes `ids` (queued on PostgreSQL).
pub async fn tier_changes(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<TierChangeRow>, AppError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS) {
        let sql = format!(
            "{TIER_CHANGE_SELECT} WHERE c.id IN ({}) ORDER BY c.id",
            params(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, TierChangeRow>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// The first `limit` tier changes after id `after` (SQLite's mark, and a rebuild).
pub async fn tier_changes_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<TierChangeRow>, AppError> {
    let sql = format!("{TIER_CHANGE_SELECT} WHERE c.id > $1 ORDER BY c.id LIMIT $2");
    Ok(sqlx::query_as(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?)
}

/// A tier_moves row's key: (program, UTC epoch day, from tier, to tier, upwards).
pub type TierMoveKey = (i64, i64, i64, i64, bool);

/// Adds `rows` to tier_moves (creating rows as needed).
pub async fn add_tier_moves(conn: &mut AnyConnection, rows: &[(TierMoveKey, i64)]) -> Result<(), AppError> {
    for chunk in rows.chunks(ROWS / 6) {
        let sql = format!(
            "INSERT INTO tier_moves (program_id, day, from_tier_id, to_tier_id, up, moves) VALUES {} \
             ON CONFLICT (program_id, day, from_tier_id, to_tier_id, up) \
             DO UPDATE SET moves = tier_moves.moves + excluded.moves",
            values(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for ((p, d, f, t, up), n) in chunk {
            q = q.bind(p).bind(d).bind(f).bind(t).bind(i64::from(*up)).bind(n);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Moves of tier_moves as stored, of one program (`Some`) or all.
async fn tier_moves_of(
    conn: &mut AnyConnection,
    program_id: Option<i64>,
) -> Result<Vec<(TierMoveKey, i64)>, AppError> {
    let rows: Vec<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT program_id, day, from_tier_id, to_tier_id, up, moves FROM tier_moves \
         WHERE ($1 IS NULL OR program_id = $1) AND moves <> 0",
    )
    .bind(program_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(p, d, f, t, up, n)| ((p, d, f, t, up != 0), n))
        .collect())
}

/// Every tier_moves row that moves anyone (a rebuild compares them).
pub async fn all_tier_moves(conn: &mut AnyConnection) -> Result<Vec<(TierMoveKey, i64)>, AppError> {
    tier_moves_of(conn, None).await
}

/// A program's moves between tiers, every day (a few rows a day: one per pair of tiers).
pub async fn program_tier_moves(
    conn: &mut AnyConnection,
    program_id: i64,
) -> Result<Vec<(TierMoveKey, i64)>, AppError> {
    tier_moves_of(conn, Some(program_id)).await
}

/// A program's enrolments per UTC epoch day and the tier joined in (0: none), every day.
pub async fn enrolments_by_tier(
    conn: &mut AnyConnection,
    program_id: i64,
) -> Result<Vec<(i64, i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT day, tier_id, CAST(SUM(enrolments) AS BIGINT) FROM daily_facts \
         WHERE program_id = $1 AND enrolments <> 0 GROUP BY day, tier_id",
    )
    .bind(program_id)
    .fetch_all(&mut *conn)
    .await?)
}
