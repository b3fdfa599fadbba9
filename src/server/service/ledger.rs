//! The double-entry points ledger. Every movement is one `ledger_transactions` row with
//! postings that sum to zero. Member-side balances (wallet, pending) are kept on
//! `memberships` and move in the transaction that appends the postings; program-side
//! balances (issuance, redemption, ...) are derived from the postings when asked for, so no
//! single row is updated by every order of a program (such a row serialises all writers). Earned wallet points form lots that expire by program policy and
//! are spent earliest-expiring first. Callers hold the membership lock (`lock`) before they
//! read a balance they are about to change.

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::{MemberId, MembershipId, ProgramId, UserId};
use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::ledger::TxKind;
use crate::model::program::Program;
use crate::model::time::Timestamp;
use crate::server::db::{positional, values, Db};

pub use crate::domain::postings::{earn_postings, expiry_for, Account, Posting};

/// What a transaction is and where it came from.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    pub kind: TxKind,
    pub channel: &'a str,
    pub amount_minor: Option<i64>,
    pub reference: Option<&'a str>,
    pub description: &'a str,
    pub explanation: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub recorded_by: Option<UserId>,
    pub request_id: Option<&'a str>,
    /// The store it happened in, when one was named.
    pub store_id: Option<i64>,
    /// The order a return gives part of back.
    pub order_id: Option<i64>,
    /// The active webhook endpoints, when the caller has them at hand (a booking's setup);
    /// otherwise they are read when a balance moves, to announce it (`points.changed`).
    pub endpoints: Option<&'a [(i64, String)]>,
}

impl<'a> Meta<'a> {
    /// A transaction of `kind` from `channel`, described for people; the rest unset.
    pub fn new(kind: TxKind, channel: &'a str, description: &'a str) -> Self {
        Meta {
            kind,
            channel,
            amount_minor: None,
            reference: None,
            description,
            explanation: None,
            reason: None,
            recorded_by: None,
            request_id: None,
            store_id: None,
            order_id: None,
            endpoints: None,
        }
    }
}

/// A membership's balances, read under its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Standing {
    pub balance: i64,
    pub pending: i64,
    pub lifetime_points: i64,
}

/// Takes the membership's row lock and reads its balances. A no-op update locks the row on
/// PostgreSQL (concurrent writers queue here, so nobody spends a balance twice); SQLite
/// already holds the database write lock from `BEGIN IMMEDIATE`.
/// A membership merged into another one is frozen: a write that resolved the member just
/// before the merge committed is refused here (and a retry resolves to the new member).
pub async fn lock(conn: &mut AnyConnection, membership_id: MembershipId) -> Result<Standing, AppError> {
    let (standing, merged) = lock_any(conn, membership_id).await?;
    if merged {
        return Err(merged_away());
    }
    Ok(standing)
}

/// The refusal of a write to a membership merged into another one.
pub fn merged_away() -> AppError {
    AppError::try_again(td_string!(current().locale, errors.ledger.merged_away))
}

/// `lock` for merges and their reversal, which also lock merged memberships. Returns the
/// standing and whether the membership is merged into another one.
pub async fn lock_any(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
) -> Result<(Standing, bool), AppError> {
    let row: Option<(i64, i64, i64, Option<i64>)> = sqlx::query_as(
        "UPDATE memberships SET balance = balance WHERE id = $1 \
         RETURNING balance, pending, lifetime_points, merged_into",
    )
    .bind(membership_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (balance, pending, lifetime_points, merged_into) =
        row.ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.membership)))?;
    Ok((
        Standing {
            balance,
            pending,
            lifetime_points,
        },
        merged_into.is_some(),
    ))
}

/// Appends a balanced transaction and moves every balance it touches. Returns the
/// transaction id and the membership's standing after it.
pub async fn book(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    membership_id: Option<MembershipId>,
    meta: &Meta<'_>,
    postings: &[Posting],
    at: Timestamp,
) -> Result<(i64, Option<Standing>), AppError> {
    book_as(conn, program_id, membership_id, meta, postings, at, false).await
}

/// `book`, recording member activity too when `touch` (in the same membership update, which
/// then also happens when no member posting moved, and its standing is returned).
async fn book_as(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    membership_id: Option<MembershipId>,
    meta: &Meta<'_>,
    postings: &[Posting],
    at: Timestamp,
    touch: bool,
) -> Result<(i64, Option<Standing>), AppError> {
    let one = Booking {
        program_id,
        membership_id,
        meta,
        postings,
        at,
        touch,
    };
    let mut booked = book_many(conn, std::slice::from_ref(&one)).await?;
    booked.pop().ok_or(AppError::Internal)
}

/// One transaction for `book_many`.
pub struct Booking<'a> {
    pub program_id: ProgramId,
    pub membership_id: Option<MembershipId>,
    pub meta: &'a Meta<'a>,
    pub postings: &'a [Posting],
    pub at: Timestamp,
    /// Record member activity (the membership is updated, and its standing returned, even
    /// when no member posting moves).
    pub touch: bool,
}

/// What one booking moves on its membership: (wallet, pending, lifetime points).
fn member_moves(b: &Booking<'_>) -> (i64, i64, i64) {
    let moving = b.postings.iter().filter(|p| p.points != 0);
    let (mut wallet, mut pending, mut earned) = (0, 0, 0);
    for p in moving {
        match p.account {
            Account::Wallet => {
                wallet += p.points;
                earned += b.meta.kind.lifetime_points(p.points);
            }
            Account::Pending => pending += p.points,
            _ => {}
        }
    }
    (wallet, pending, earned)
}

/// Appends balanced transactions, in order, and moves every balance they touch. Returns each
/// one's id and its membership's standing right after it (None when nothing of that
/// membership was updated). Three statements however many there are: the transactions, one
/// update of their memberships, and one insert of every posting.
pub async fn book_many(
    conn: &mut AnyConnection,
    items: &[Booking<'_>],
) -> Result<Vec<(i64, Option<Standing>)>, AppError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    for b in items {
        let sum: i128 = b.postings.iter().map(|p| p.points as i128).sum();
        if sum != 0 || b.postings.is_empty() {
            tracing::error!(postings = ?b.postings, "unbalanced transaction refused");
            return Err(AppError::Internal);
        }
        if b.membership_id.is_none() && b.postings.iter().any(|p| p.account.is_member_side()) {
            tracing::error!(postings = ?b.postings, "member posting without a membership");
            return Err(AppError::Internal);
        }
    }
    let tx_ids = insert_transactions(conn, items).await?;
    crate::server::store::rollups::enqueue(conn, "tx", &tx_ids).await?;

    // Each membership's moves added up, and updated once (its last touch is its activity).
    let moves: Vec<(i64, i64, i64)> = items.iter().map(member_moves).collect();
    let mut updates: Vec<(MembershipId, [i64; 3], Option<i64>)> = Vec::new();
    for (b, m) in items.iter().zip(&moves) {
        let Some(id) = b.membership_id else { continue };
        let moved = b
            .postings
            .iter()
            .any(|p| p.points != 0 && p.account.is_member_side());
        if !moved && !b.touch {
            continue;
        }
        let i = match updates.iter().position(|u| u.0 == id) {
            Some(i) => i,
            None => {
                updates.push((id, [0; 3], None));
                updates.len() - 1
            }
        };
        let u = &mut updates[i];
        u.1 = [u.1[0] + m.0, u.1[1] + m.1, u.1[2] + m.2];
        if b.touch {
            u.2 = Some(b.at.0);
        }
    }
    let after = update_memberships(conn, &updates).await?;
    // Each booking's standing: its membership's final standing less what later ones moved.
    let mut standings: Vec<Option<Standing>> = vec![None; items.len()];
    let members: Vec<(MembershipId, MemberId)> = after.iter().map(|(id, member, _)| (*id, *member)).collect();
    for (id, _, fin) in after {
        let mut s = fin;
        for (i, b) in items.iter().enumerate().rev() {
            if b.membership_id == Some(id) {
                standings[i] = Some(s);
                s.balance -= moves[i].0;
                s.pending -= moves[i].1;
                s.lifetime_points -= moves[i].2;
            }
        }
    }
    insert_postings(conn, items, &tx_ids, &standings, &moves).await?;
    announce_changes(conn, items, &tx_ids, &standings, &moves, &members).await?;
    Ok(tx_ids.into_iter().zip(standings).collect())
}

/// Announces every booking that moved a member's balance (`points.changed`), in its
/// transaction: what moved (wallet and pending) and what stands after. Added up, a
/// subscriber's events equal the ledger.
async fn announce_changes(
    conn: &mut AnyConnection,
    items: &[Booking<'_>],
    tx_ids: &[i64],
    standings: &[Option<Standing>],
    moves: &[(i64, i64, i64)],
    members: &[(MembershipId, MemberId)],
) -> Result<(), AppError> {
    let moved = |i: usize| moves[i].0 != 0 || moves[i].1 != 0;
    if !(0..items.len()).any(moved) {
        return Ok(());
    }
    let read;
    let endpoints = match items[0].meta.endpoints {
        Some(e) => e,
        None => {
            read = crate::server::webhooks::active_endpoints(conn).await?;
            &read[..]
        }
    };
    if !crate::server::webhooks::subscribed(endpoints, "points.changed") {
        return Ok(());
    }
    for (i, b) in items.iter().enumerate().filter(|(i, _)| moved(*i)) {
        let (Some(membership_id), Some(after)) = (b.membership_id, standings[i]) else {
            continue;
        };
        let member_id = members
            .iter()
            .find(|(id, _)| *id == membership_id)
            .map(|(_, m)| *m);
        let change = Change {
            member_id,
            membership_id,
            program_id: b.program_id,
            transaction_id: tx_ids[i],
            points: moves[i].0,
            pending_points: moves[i].1,
            after,
        };
        crate::server::webhooks::enqueue_to(conn, endpoints, "points.changed", change.data(b.meta), b.at)
            .await?;
    }
    Ok(())
}

/// One membership's balance change, as `points.changed` tells it.
struct Change {
    member_id: Option<MemberId>,
    membership_id: MembershipId,
    program_id: ProgramId,
    transaction_id: i64,
    /// What moved in the wallet and in pending points.
    points: i64,
    pending_points: i64,
    after: Standing,
}

impl Change {
    fn data(&self, meta: &Meta<'_>) -> serde_json::Value {
        serde_json::json!({
            "member_id": self.member_id,
            "membership_id": self.membership_id,
            "program_id": self.program_id,
            "transaction_id": self.transaction_id,
            "kind": meta.kind.as_str(),
            "channel": meta.channel,
            "points": self.points,
            "balance": self.after.balance,
            "pending_points": self.pending_points,
            "pending": self.after.pending,
            "description": meta.description,
        })
    }
}

/// Inserts the transactions of `book_many` in one statement; their ids, in the same order.
async fn insert_transactions(conn: &mut AnyConnection, items: &[Booking<'_>]) -> Result<Vec<i64>, AppError> {
    let rows = values(items.len(), 14);
    let sql = format!(
        "INSERT INTO ledger_transactions (program_id, membership_id, kind, channel, amount_minor, reference, \
         description, explanation, reason, recorded_by, request_id, store_id, order_id, created_at) VALUES {} \
         RETURNING id, membership_id",
        rows
    );
    let sql = positional(conn, sql);
    let mut insert = sqlx::query_as::<_, (i64, Option<MembershipId>)>(&sql);
    for b in items {
        let meta = b.meta;
        insert = insert
            .bind(b.program_id)
            .bind(b.membership_id)
            .bind(meta.kind.as_str())
            .bind(meta.channel)
            .bind(meta.amount_minor)
            .bind(meta.reference)
            .bind(meta.description)
            .bind(meta.explanation)
            .bind(meta.reason)
            .bind(meta.recorded_by)
            .bind(meta.request_id)
            .bind(meta.store_id)
            .bind(meta.order_id)
            .bind(b.at.0);
    }
    let mut rows = insert.fetch_all(&mut *conn).await?;
    // Ids are handed out in the order of the rows inserted; the order of RETURNING is not
    // promised, so they are sorted, and checked against the memberships they belong to.
    rows.sort_unstable_by_key(|r| r.0);
    let same = rows.len() == items.len() && rows.iter().zip(items).all(|(r, b)| r.1 == b.membership_id);
    if !same {
        tracing::error!("inserted transactions do not line up with their bookings");
        return Err(AppError::Internal);
    }
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Moves (wallet, pending, lifetime) of each membership, with its last activity when set.
/// Returns each one's (id, member id, standing after).
async fn update_memberships(
    conn: &mut AnyConnection,
    updates: &[(MembershipId, [i64; 3], Option<i64>)],
) -> Result<Vec<(MembershipId, MemberId, Standing)>, AppError> {
    let mut out = Vec::with_capacity(updates.len());
    if updates.is_empty() {
        return Ok(out);
    }
    // One update joined to each membership's moves, however many there are.
    let rows = values(updates.len(), 5);
    let sql = format!(
        "UPDATE memberships SET balance = balance + v.column2, pending = pending + v.column3, \
         lifetime_points = lifetime_points + v.column4, last_activity_at = COALESCE(v.column5, last_activity_at) \
         FROM (VALUES {}) AS v WHERE memberships.id = v.column1 \
         RETURNING memberships.id, memberships.member_id, memberships.balance, memberships.pending, \
         memberships.lifetime_points",
        rows
    );
    let sql = positional(conn, sql);
    let mut update = sqlx::query_as::<_, (MembershipId, MemberId, i64, i64, i64)>(&sql);
    for (id, [wallet, pending, earned], touched) in updates {
        update = update
            .bind(id)
            .bind(wallet)
            .bind(pending)
            .bind(earned)
            .bind(touched);
    }
    let rows = update.fetch_all(&mut *conn).await?;
    if rows.len() != updates.len() {
        tracing::error!("a membership to update is missing");
        return Err(AppError::Internal);
    }
    for (id, member_id, balance, pending, lifetime_points) in rows {
        out.push((
            id,
            member_id,
            Standing {
                balance,
                pending,
                lifetime_points,
            },
        ));
    }
    Ok(out)
}

/// Inserts every moving posting of `book_many` in one statement. Each member posting records
/// the balance it leaves, as if applied one after another.
async fn insert_postings(
    conn: &mut AnyConnection,
    items: &[Booking<'_>],
    tx_ids: &[i64],
    standings: &[Option<Standing>],
    moves: &[(i64, i64, i64)],
) -> Result<(), AppError> {
    let mut rows: Vec<PostingRow> = Vec::new();
    for (i, b) in items.iter().enumerate() {
        let (mut wallet_run, mut pending_run) = standings[i]
            .map(|s| (s.balance - moves[i].0, s.pending - moves[i].1))
            .unwrap_or_default();
        for p in b.postings.iter().filter(|p| p.points != 0) {
            let balance_after = match p.account {
                Account::Wallet => {
                    wallet_run += p.points;
                    Some(wallet_run)
                }
                Account::Pending => {
                    pending_run += p.points;
                    Some(pending_run)
                }
                _ => None,
            };
            rows.push(PostingRow {
                transaction_id: tx_ids[i],
                program_id: b.program_id.0,
                account: p.account,
                membership_id: p.account.is_member_side().then_some(b.membership_id).flatten(),
                rule_id: p.rule_id,
                points: p.points,
                balance_after,
                at: b.at.0,
            });
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    if conn.backend_name() == "PostgreSQL" {
        return insert_postings_unnested(conn, &rows).await;
    }
    let sql = format!(
        "INSERT INTO ledger_postings (transaction_id, program_id, account, membership_id, rule_id, points, \
         balance_after, created_at) VALUES {}",
        values(rows.len(), 8)
    );
    let sql = positional(conn, sql);
    let mut insert = sqlx::query(&sql);
    for r in &rows {
        insert = insert
            .bind(r.transaction_id)
            .bind(r.program_id)
            .bind(r.account.as_str())
            .bind(r.membership_id.map(|m| m.get()))
            .bind(r.rule_id)
            .bind(r.points)
            .bind(r.balance_after)
            .bind(r.at);
    }
    insert.execute(&mut *conn).await?;
    Ok(())
}

/// A posting as `insert_postings` writes it.
struct PostingRow {
    transaction_id: i64,
    program_id: i64,
    account: Account,
    membership_id: Option<MembershipId>,
    rule_id: Option<i64>,
    points: i64,
    balance_after: Option<i64>,
    at: i64,
}

/// PostgreSQL takes the postings as one array a column (eight parameters, one statement text
/// for any number of rows, so it stays prepared): an order that ten segment rules and
/// campaigns earn under has a posting a rule, and a group's hundreds of rows bound one by one
/// came with a new statement text, parsed and planned again, for nearly every group.
async fn insert_postings_unnested(conn: &mut AnyConnection, rows: &[PostingRow]) -> Result<(), AppError> {
    // Array literals of integers and of the accounts' fixed names: nothing to quote.
    // Written into one string: a group has hundreds of cells a column.
    fn array<T>(rows: &[PostingRow], cell: impl Fn(&PostingRow) -> Option<T>) -> String
    where
        T: std::fmt::Display,
    {
        use std::fmt::Write;
        let mut out = String::with_capacity(2 + rows.len() * 12);
        out.push('{');
        for (i, r) in rows.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            // Writing to a String cannot fail.
            let _ = match cell(r) {
                Some(v) => write!(out, "{sep}{v}"),
                None => write!(out, "{sep}NULL"),
            };
        }
        out.push('}');
        out
    }
    sqlx::query(
        "INSERT INTO ledger_postings (transaction_id, program_id, account, membership_id, rule_id, points, \
         balance_after, created_at) SELECT t, p, a, m, rl, pts, b, c FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS BIGINT[]), \
         CAST($3 AS TEXT[]), CAST($4 AS BIGINT[]), CAST($5 AS BIGINT[]), CAST($6 AS BIGINT[]), \
         CAST($7 AS BIGINT[]), CAST($8 AS BIGINT[])) WITH ORDINALITY AS r(t, p, a, m, rl, pts, b, c, n) ORDER BY n",
    )
    .bind(array(rows, |r| Some(r.transaction_id)))
    .bind(array(rows, |r| Some(r.program_id)))
    .bind(array(rows, |r| Some(r.account.as_str())))
    .bind(array(rows, |r| r.membership_id.map(|m| m.get())))
    .bind(array(rows, |r| r.rule_id))
    .bind(array(rows, |r| Some(r.points)))
    .bind(array(rows, |r| r.balance_after))
    .bind(array(rows, |r| Some(r.at)))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves `points` of a member-side account (wallet or pending) from one membership to
/// another of the same program (a merge or its reversal): one transaction, two postings, no
/// program account involved. Negative `points` move the other way. Both memberships must be
/// locked by the caller. Returns the transaction id, or None when there was nothing to move.
#[allow(clippy::too_many_arguments)]
pub async fn transfer(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    account: Account,
    from: MembershipId,
    to: MembershipId,
    points: i64,
    meta: &Meta<'_>,
    at: Timestamp,
) -> Result<Option<i64>, AppError> {
    if points == 0 {
        return Ok(None);
    }
    if !account.is_member_side() {
        tracing::error!(?account, "transfer between program accounts refused");
        return Err(AppError::Internal);
    }
    let tx_id: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_transactions (program_id, membership_id, kind, channel, reference, description, \
         reason, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(program_id)
    .bind(to)
    .bind(meta.kind.as_str())
    .bind(meta.channel)
    .bind(meta.reference)
    .bind(meta.description)
    .bind(meta.reason)
    .bind(meta.recorded_by)
    .bind(at.0)
    .fetch_one(&mut *conn)
    .await?;
    // Member-side only, so nothing the rollups count moves; queued all the same, so they
    // see every transaction there is.
    crate::server::store::rollups::enqueue(conn, "tx", &[tx_id]).await?;
    let column = if account == Account::Wallet {
        "balance"
    } else {
        "pending"
    };
    for (membership_id, delta) in [(from, -points), (to, points)] {
        let after: i64 = sqlx::query_scalar(&format!(
            "UPDATE memberships SET {column} = {column} + $1 WHERE id = $2 RETURNING {column}"
        ))
        .bind(delta)
        .bind(membership_id)
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO ledger_postings (transaction_id, program_id, account, membership_id, points, \
             balance_after, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tx_id)
        .bind(program_id)
        .bind(account.as_str())
        .bind(membership_id)
        .bind(delta)
        .bind(after)
        .bind(at.0)
        .execute(&mut *conn)
        .await?;
        let (member_id, after): (MemberId, Standing) = {
            let (member_id, balance, pending, lifetime_points): (MemberId, i64, i64, i64) = sqlx::query_as(
                "SELECT member_id, balance, pending, lifetime_points FROM memberships WHERE id = $1",
            )
            .bind(membership_id)
            .fetch_one(&mut *conn)
            .await?;
            (
                member_id,
                Standing {
                    balance,
                    pending,
                    lifetime_points,
                },
            )
        };
        let (points, pending_points) = if account == Account::Wallet {
            (delta, 0)
        } else {
            (0, delta)
        };
        let change = Change {
            member_id: Some(member_id),
            membership_id,
            program_id,
            transaction_id: tx_id,
            points,
            pending_points,
            after,
        };
        crate::server::webhooks::enqueue(conn, "points.changed", change.data(meta), at).await?;
    }
    Ok(Some(tx_id))
}

/// Brings a membership's open lots back in line with its wallet after lots or points moved
/// (merges): lots beyond the wallet are consumed earliest-expiring first, and a wallet
/// beyond its lots gets a new lot under the program's expiry policy.
pub async fn settle_lots(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    tx_id: Option<i64>,
    at: Timestamp,
) -> Result<(), AppError> {
    let (balance, lots): (i64, i64) = sqlx::query_as(
        "SELECT m.balance, CAST(COALESCE((SELECT SUM(l.remaining) FROM point_lots l \
         WHERE l.membership_id = m.id AND l.remaining > 0), 0) AS BIGINT) FROM memberships m WHERE m.id = $1",
    )
    .bind(membership_id)
    .fetch_one(&mut *conn)
    .await?;
    let want = balance.max(0);
    if lots > want {
        consume_lots(conn, membership_id, lots - want).await?;
    } else if let (true, Some(tx_id)) = (lots < want, tx_id) {
        open_lot(conn, program, membership_id, tx_id, want - lots, balance, at).await?;
    }
    Ok(())
}

/// Member activity, for the lots: under the inactivity policy every open lot's deadline
/// moves out (`last_activity_at` is set by the booking's membership update).
pub async fn move_deadlines(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    at: Timestamp,
) -> Result<(), AppError> {
    if program.expiry_mode == "inactivity" {
        sqlx::query("UPDATE point_lots SET expires_at = $1 WHERE membership_id = $2 AND remaining > 0")
            .bind(expiry_for(program, at).map(|t| t.0))
            .bind(membership_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Opens a lot for points that just reached the wallet. A negative wallet is repaid first,
/// so the open lots always add up to the wallet when it is not negative.
pub async fn open_lot(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    tx_id: i64,
    points: i64,
    balance_after: i64,
    at: Timestamp,
) -> Result<(), AppError> {
    let lot = NewLot {
        program,
        membership_id,
        tx_id,
        points,
        balance_after,
        at,
    };
    open_lots(conn, &[lot]).await
}

/// A lot to open with `open_lots`.
pub struct NewLot<'a> {
    pub program: &'a Program,
    pub membership_id: MembershipId,
    pub tx_id: i64,
    pub points: i64,
    /// The wallet right after the points reached it.
    pub balance_after: i64,
    pub at: Timestamp,
}

/// `open_lot` for several, in one statement.
pub async fn open_lots(conn: &mut AnyConnection, lots: &[NewLot<'_>]) -> Result<(), AppError> {
    let lots: Vec<&NewLot> = lots.iter().filter(|l| l.points > 0).collect();
    if lots.is_empty() {
        return Ok(());
    }
    let rows = values(lots.len(), 6);
    let sql = format!(
        "INSERT INTO point_lots (membership_id, transaction_id, points, remaining, earned_at, expires_at) VALUES {}",
        rows
    );
    let sql = positional(conn, sql);
    let mut insert = sqlx::query(&sql);
    for l in lots {
        insert = insert
            .bind(l.membership_id)
            .bind(l.tx_id)
            .bind(l.points)
            .bind(l.points.min(l.balance_after.max(0)))
            .bind(l.at.0)
            .bind(expiry_for(l.program, l.at).map(|t| t.0));
    }
    insert.execute(&mut *conn).await?;
    Ok(())
}

/// Takes up to `points` from the open lots, earliest expiry first (lots that never expire
/// last, then oldest first). Returns what each lot gave: (lot id, points).
pub async fn consume_lots(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
    points: i64,
) -> Result<Vec<(i64, i64)>, AppError> {
    let mut draws = Vec::new();
    if points <= 0 {
        return Ok(draws);
    }
    let lots: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, remaining FROM point_lots WHERE membership_id = $1 AND remaining > 0 \
         ORDER BY CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END, expires_at, earned_at, id",
    )
    .bind(membership_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut left = points;
    for (id, remaining) in lots {
        if left == 0 {
            break;
        }
        let take = remaining.min(left);
        sqlx::query("UPDATE point_lots SET remaining = remaining - $1 WHERE id = $2")
            .bind(take)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        draws.push((id, take));
        left -= take;
    }
    Ok(draws)
}

/// Gives `points` that the spend `spent_tx` took back to the lots it took them from (most
/// recently expiring first), as the release `tx_id`; a lot past its expiry then expires
/// with the next expiry run, as it would have. Only the part of the points that lifts the
/// wallet above zero goes to lots (`balance_after`, as `open_lots` does); what the lots
/// cannot take back (they moved in a merge) opens a new lot.
#[allow(clippy::too_many_arguments)]
pub async fn give_back(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    spent_tx: i64,
    tx_id: i64,
    points: i64,
    balance_after: i64,
    at: Timestamp,
) -> Result<(), AppError> {
    let mut left = points.min(balance_after.max(0));
    let draws: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT d.lot_id, d.points FROM lot_draws d JOIN point_lots l ON l.id = d.lot_id \
         WHERE d.transaction_id = $1 AND l.membership_id = $2 \
         ORDER BY CASE WHEN l.expires_at IS NULL THEN 0 ELSE 1 END, l.expires_at DESC, l.id DESC",
    )
    .bind(spent_tx)
    .bind(membership_id)
    .fetch_all(&mut *conn)
    .await?;
    for (lot_id, took) in draws {
        if left == 0 {
            break;
        }
        let give = took.min(left);
        let n = sqlx::query(
            "UPDATE point_lots SET remaining = remaining + $1 WHERE id = $2 AND remaining + $1 <= points",
        )
        .bind(give)
        .bind(lot_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if n == 1 {
            left -= give;
        }
    }
    open_lot(conn, program, membership_id, tx_id, left, left, at).await?;
    // Under the inactivity policy a lot emptied by the spend kept its old deadline; the
    // points given back count from now, like the member's other open lots.
    move_deadlines(conn, program, membership_id, at).await
}

/// Records what the spend `tx_id` took from each lot, for `give_back`.
async fn record_draws(conn: &mut AnyConnection, tx_id: i64, draws: &[(i64, i64)]) -> Result<(), AppError> {
    if draws.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO lot_draws (transaction_id, lot_id, points) VALUES {}",
        values(draws.len(), 3)
    );
    let sql = positional(conn, sql);
    let mut insert = sqlx::query(&sql);
    for (lot_id, points) in draws {
        insert = insert.bind(tx_id).bind(lot_id).bind(points);
    }
    insert.execute(&mut *conn).await?;
    Ok(())
}

/// Credits earned points to the wallet (or to pending when `hold_until` is set), charged to
/// issuance, or to a rule's campaign account for the part a budgeted rule gave.
/// `by_rule` is (rule id, charged to its campaign budget, points).
#[allow(clippy::too_many_arguments)]
pub async fn earn(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    by_rule: &[(Option<i64>, bool, i64)],
    hold_until: Option<Timestamp>,
    meta: &Meta<'_>,
    at: Timestamp,
) -> Result<(i64, Standing), AppError> {
    let (total, postings) = earn_postings(by_rule, hold_until.is_some());
    // Points that reach the wallet are member activity, recorded by the same update.
    let touch = hold_until.is_none();
    let (tx_id, standing) = book_nonzero(conn, program.id, membership_id, meta, &postings, at, touch).await?;
    match hold_until {
        Some(release_at) if total > 0 => {
            hold_many(conn, &[(membership_id, tx_id, total, release_at, None)]).await?;
        }
        _ => {
            open_lot(conn, program, membership_id, tx_id, total, standing.balance, at).await?;
            move_deadlines(conn, program, membership_id, at).await?;
        }
    }
    Ok((tx_id, standing))
}

/// Holds earned points as pending until their release: (membership, transaction, points,
/// release at, order), in one statement.
pub async fn hold_many(
    conn: &mut AnyConnection,
    holds: &[(MembershipId, i64, i64, Timestamp, Option<i64>)],
) -> Result<(), AppError> {
    if holds.is_empty() {
        return Ok(());
    }
    let rows = values(holds.len(), 6);
    let sql = format!(
        "INSERT INTO pending_points (membership_id, transaction_id, points, remaining, release_at, order_id) \
         VALUES {}",
        rows
    );
    let sql = positional(conn, sql);
    let mut insert = sqlx::query(&sql);
    for &(membership_id, tx_id, points, release_at, order_id) in holds {
        insert = insert
            .bind(membership_id)
            .bind(tx_id)
            .bind(points)
            .bind(points)
            .bind(release_at.0)
            .bind(order_id);
    }
    insert.execute(&mut *conn).await?;
    Ok(())
}

/// `book` for member transactions whose postings may all be zero (a zero-point event is still
/// recorded); returns the standing read under the caller's lock when nothing moved.
pub async fn book_nonzero(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    membership_id: MembershipId,
    meta: &Meta<'_>,
    postings: &[Posting],
    at: Timestamp,
    touch: bool,
) -> Result<(i64, Standing), AppError> {
    let (tx_id, standing) = book_as(conn, program_id, Some(membership_id), meta, postings, at, touch).await?;
    let standing = match standing {
        Some(s) => s,
        None => lock(conn, membership_id).await?,
    };
    Ok((tx_id, standing))
}

/// Spends `points` from the wallet into `to` (redemption, or adjustment for a manual debit).
/// Refuses to overdraw: the caller holds the membership lock, so the check and the debit
/// cannot be split by a concurrent spend.
pub async fn spend(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    points: i64,
    to: Account,
    meta: &Meta<'_>,
    at: Timestamp,
) -> Result<(i64, Standing), AppError> {
    let before = lock(conn, membership_id).await?;
    if points <= 0 {
        return Err(AppError::field(
            "points",
            td_string!(current().locale, errors.ledger.positive_points),
        ));
    }
    if before.balance < points {
        return Err(AppError::InsufficientPoints {
            balance: before.balance,
            needed: points,
        });
    }
    let draws = consume_lots(conn, membership_id, points).await?;
    let postings = [Posting::new(Account::Wallet, -points), Posting::new(to, points)];
    let (tx_id, standing) = book_nonzero(conn, program.id, membership_id, meta, &postings, at, true).await?;
    record_draws(conn, tx_id, &draws).await?;
    move_deadlines(conn, program, membership_id, at).await?;
    Ok((tx_id, standing))
}

/// Who adjusts a balance, for the audit trail: staff at the desk, a channel's API key, or
/// staff whose request an admin approved.
#[derive(Debug, Clone, Copy)]
pub enum Adjuster<'a> {
    Staff(Option<UserId>),
    Key {
        channel: &'a str,
        name: &'a str,
    },
    Approved {
        requested_by: Option<UserId>,
        approver: &'a str,
    },
    /// A journey's incentive step (no person: the journey's name is the reference).
    Journey {
        name: &'a str,
    },
}

/// Books a checked adjustment (`domain::adjustments::validate`) inside the caller's
/// transaction at `now`, once per request id (a retry answers with the first booking).
#[allow(clippy::too_many_arguments)]
pub async fn adjust_in(
    tx: &mut AnyConnection,
    program: &Program,
    by: Adjuster<'_>,
    membership_id: MembershipId,
    points: i64,
    reason: &str,
    request_id: &str,
    now: Timestamp,
) -> Result<(i64, Standing), AppError> {
    lock(tx, membership_id).await?;
    if let Some(done) = replay(tx, membership_id, request_id).await? {
        return Ok(done);
    }
    let description = format!("Adjustment: {reason}");
    let (channel, recorded_by, reference) = match by {
        Adjuster::Staff(user) => ("desk", user, None),
        Adjuster::Key { channel, name } => (channel, None, Some(format!("API key: {name}"))),
        Adjuster::Approved {
            requested_by,
            approver,
        } => ("desk", requested_by, Some(format!("Approved by {approver}"))),
        Adjuster::Journey { name } => ("web", None, Some(format!("Journey: {name}"))),
    };
    let meta = Meta {
        reference: reference.as_deref(),
        reason: Some(reason),
        recorded_by,
        request_id: Some(request_id),
        ..Meta::new(TxKind::Adjust, channel, &description)
    };
    if points < 0 {
        return spend(
            tx,
            program,
            membership_id,
            -points,
            Account::Adjustment,
            &meta,
            now,
        )
        .await;
    }
    let postings = [
        Posting::new(Account::Adjustment, -points),
        Posting::new(Account::Wallet, points),
    ];
    // A journey's bonus is not something the member did: it leaves their last activity (and
    // so inactivity triggers and expiry deadlines) where it was.
    let by_member = !matches!(by, Adjuster::Journey { .. });
    let (tx_id, standing) =
        book_nonzero(tx, program.id, membership_id, &meta, &postings, now, by_member).await?;
    open_lot(tx, program, membership_id, tx_id, points, standing.balance, now).await?;
    if by_member {
        move_deadlines(tx, program, membership_id, now).await?;
    }
    let member_id = member_of(tx, membership_id).await?;
    let data = serde_json::json!({
        "member_id": member_id,
        "membership_id": membership_id,
        "program_id": program.id,
        "transaction_id": tx_id,
        "points": points,
        "balance": standing.balance,
        "explanation": description,
    });
    crate::server::webhooks::enqueue(tx, "points.earned", data, now).await?;
    Ok((tx_id, standing))
}

/// The memberships whose history is this one's: itself and those merged into it (merges
/// re-point earlier merges, so one level holds them all). As SQL, for `IN (...)` with the
/// membership id bound as `$1`.
pub const SAME_HISTORY: &str = "SELECT id FROM memberships WHERE id = $1 OR merged_into = $1";

/// The transaction a request id booked for this membership (or one merged into it), read
/// without a lock: for a caller deciding what to do with a retry before it writes.
pub async fn booked(db: &Db, membership_id: MembershipId, request_id: &str) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM ledger_transactions WHERE request_id = $2 AND membership_id IN ({SAME_HISTORY}) \
         ORDER BY id LIMIT 1"
    ))
    .bind(membership_id)
    .bind(request_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// The transaction a request id booked for this membership before, with the standing now.
/// A request booked on a membership merged into this one since (a printed card's holder,
/// a duplicate) counts: its retry must not book again on the merged member.
pub async fn replay(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
    request_id: &str,
) -> Result<Option<(i64, Standing)>, AppError> {
    let id: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM ledger_transactions WHERE request_id = $2 AND membership_id IN ({SAME_HISTORY}) \
         ORDER BY id LIMIT 1"
    ))
    .bind(membership_id)
    .bind(request_id)
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => Ok(Some((id, lock(conn, membership_id).await?))),
        None => Ok(None),
    }
}

/// The member a membership belongs to.
pub async fn member_of(conn: &mut AnyConnection, membership_id: MembershipId) -> Result<MemberId, AppError> {
    Ok(
        sqlx::query_scalar("SELECT member_id FROM memberships WHERE id = $1")
            .bind(membership_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Sum of every posting of a program per account, and the member balances: what the
/// reconciliation checks (member wallets + pending = minus the program-side accounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub wallets: i64,
    pub pending: i64,
    pub program_side: i64,
    pub postings_sum: i64,
    pub open_lots: i64,
    pub positive_wallets: i64,
}

pub async fn reconcile(db: &Db, program_id: ProgramId) -> Result<Reconciliation, AppError> {
    let (wallets, pending, positive_wallets): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT), CAST(COALESCE(SUM(pending), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN balance > 0 THEN balance ELSE 0 END), 0) AS BIGINT) \
         FROM memberships WHERE program_id = $1",
    )
    .bind(program_id)
    .fetch_one(&db.pool)
    .await?;
    let program_side: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM ledger_postings \
         WHERE program_id = $1 AND membership_id IS NULL",
    )
    .bind(program_id)
    .fetch_one(&db.pool)
    .await?;
    let postings_sum: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM ledger_postings WHERE program_id = $1",
    )
    .bind(program_id)
    .fetch_one(&db.pool)
    .await?;
    let open_lots: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(l.remaining), 0) AS BIGINT) FROM point_lots l \
         JOIN memberships m ON m.id = l.membership_id WHERE m.program_id = $1",
    )
    .bind(program_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(Reconciliation {
        wallets,
        pending,
        program_side,
        postings_sum,
        open_lots,
        positive_wallets,
    })
}
