//! Member merges: staff combine two records of one person (or a card's holder and the member
//! who registers the card). Per program the source's wallet and pending points move by
//! ledger transfers, and its open lots, pending holds, orders, open rewards and stamps move
//! to the target; identifiers follow, and the source is marked merged. Everything moved is
//! recorded on the merge, so it can be reversed exactly, as far as the target still holds it.

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::{MemberId, MembershipId, ProgramId, UserId};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::error::{count, AppError};
use crate::model::card::MemberMerge;
use crate::model::ledger::TxKind;
use crate::model::member::MemberKind;
use crate::model::program::{Program, Tier};
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::service::ledger::{self, Account, Meta};

/// What a merge moved in one program.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ProgramMove {
    program_id: ProgramId,
    source: MembershipId,
    target: MembershipId,
    wallet: i64,
    pending: i64,
    lifetime: i64,
    lots: Vec<i64>,
    holds: Vec<i64>,
    orders: Vec<i64>,
    /// What returns had taken back from the moved orders at the merge (returns after it
    /// take from the target, and a reversal must not hand those points back).
    #[serde(default)]
    clawed_at_merge: i64,
    rewards: Vec<i64>,
    /// (stamp card, stamps)
    stamps: Vec<(i64, i64)>,
    /// Memberships merged into the source earlier, now pointing at the target.
    memberships: Vec<MembershipId>,
}

/// Everything a merge moved.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Moves {
    programs: Vec<ProgramMove>,
    identifiers: Vec<i64>,
    /// Members merged into the source earlier, now pointing at the target.
    members: Vec<MemberId>,
    /// The source's sign-in, disabled by the merge.
    user_disabled: Option<UserId>,
}

impl Moves {
    fn points(&self) -> i64 {
        self.programs.iter().map(|p| p.wallet + p.pending).sum()
    }

    fn stamps(&self) -> i64 {
        self.programs
            .iter()
            .flat_map(|p| p.stamps.iter().map(|(_, n)| n))
            .sum()
    }

    fn summary(&self) -> String {
        let orders: usize = self.programs.iter().map(|p| p.orders.len()).sum();
        let rewards: usize = self.programs.iter().map(|p| p.rewards.len()).sum();
        let lang = current();
        td_string!(
            lang.locale,
            errors.merges.summary,
            points = count(lang, self.points()),
            stamps = count(lang, self.stamps()),
            orders = count(lang, orders as i64),
            rewards = count(lang, rewards as i64),
            identifiers = count(lang, self.identifiers.len() as i64)
        )
        .to_string()
    }
}

/// The result of a merge: its id and what came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merged {
    pub id: i64,
    pub points: i64,
    pub stamps: i64,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: MemberId,
    name: String,
    #[sqlx(try_from = "String")]
    kind: MemberKind,
    merged_into: Option<MemberId>,
    user_id: Option<UserId>,
}

/// Reads a member row under its lock (a no-op update: on PostgreSQL concurrent merges,
/// reversals and card links of the same members queue here and then see each other's work).
async fn member_row(conn: &mut AnyConnection, id: MemberId) -> Result<MemberRow, AppError> {
    sqlx::query_as(
        "UPDATE members SET merged_into = merged_into WHERE id = $1 RETURNING id, name, kind, merged_into, user_id",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.member)))
}

/// Both members, locked in id order (two merges never wait on each other in reverse).
async fn member_pair(
    conn: &mut AnyConnection,
    source: MemberId,
    target: MemberId,
) -> Result<(MemberRow, MemberRow), AppError> {
    if source < target {
        let s = member_row(conn, source).await?;
        Ok((s, member_row(conn, target).await?))
    } else {
        let t = member_row(conn, target).await?;
        Ok((member_row(conn, source).await?, t))
    }
}

/// Integer ids as an SQL list; ids are ours (numbers), never user text.
fn id_list<T: std::fmt::Display>(ids: &[T]) -> String {
    if ids.is_empty() {
        return "NULL".into();
    }
    ids.iter().map(T::to_string).collect::<Vec<_>>().join(", ")
}

/// The ids `sql` selects for the row `id` (of whichever table: both are plain keys here).
async fn ids<T>(conn: &mut AnyConnection, sql: &str, id: impl Into<i64>) -> Result<Vec<T>, AppError>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin,
{
    Ok(sqlx::query_scalar(sql)
        .bind(id.into())
        .fetch_all(&mut *conn)
        .await?)
}

/// Moves the rows `ids` of `table` from `from` to `to` in `column` (only rows still at
/// `from`: what changed hands since stays where it is). `extra` narrows further.
async fn repoint<T: std::fmt::Display>(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    ids: &[T],
    from: impl Into<i64>,
    to: impl Into<i64>,
    extra: &str,
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "UPDATE {table} SET {column} = $1 WHERE id IN ({}) AND {column} = $2 {extra}",
        id_list(ids)
    ))
    .bind(to.into())
    .bind(from.into())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn merge_meta<'a>(
    source_name: &'a str,
    description: &'a str,
    reason: &'a str,
    by: Option<UserId>,
) -> Meta<'a> {
    Meta {
        reference: Some(source_name),
        reason: Some(reason),
        recorded_by: by,
        ..Meta::new(TxKind::Merge, "desk", description)
    }
}

/// Locks two memberships in id order (PostgreSQL: concurrent merges never wait on each
/// other in reverse order).
async fn lock_pair(
    conn: &mut AnyConnection,
    a: MembershipId,
    b: MembershipId,
) -> Result<(ledger::Standing, ledger::Standing), AppError> {
    let (first, second) = if a < b { (a, b) } else { (b, a) };
    let (s1, _) = ledger::lock_any(conn, first).await?;
    let (s2, _) = ledger::lock_any(conn, second).await?;
    Ok(if a < b { (s1, s2) } else { (s2, s1) })
}

fn validate_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    let n = reason.chars().count();
    if !(3..=200).contains(&n) {
        let lang = current();
        return Err(AppError::field(
            "reason",
            td_string!(
                lang.locale,
                errors.merges.reason,
                min = count(lang, 3),
                max = count(lang, 200)
            )
            .to_string(),
        ));
    }
    Ok(reason.to_string())
}

/// Program settings and tiers read before the write transaction (no pool reads inside it).
async fn programs_of(db: &Db, member_ids: &[MemberId]) -> Result<Vec<(Program, Vec<Tier>)>, AppError> {
    let program_ids: Vec<ProgramId> = sqlx::query_scalar(&format!(
        "SELECT DISTINCT program_id FROM memberships WHERE member_id IN ({}) ORDER BY program_id",
        id_list(member_ids)
    ))
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(program_ids.len());
    for id in program_ids {
        out.push((
            crate::server::store::programs::get(db, id).await?,
            crate::server::store::programs::tiers(db, id).await?,
        ));
    }
    Ok(out)
}

/// Merges `source_id` into `target_id`. Merging a member already merged into the target
/// returns that merge (a retried request merges once).
pub async fn merge(
    db: &Db,
    source_id: MemberId,
    target_id: MemberId,
    reason: &str,
    by: Option<UserId>,
) -> Result<Merged, AppError> {
    merge_for(db, source_id, target_id, reason, by, None).await
}

/// `merge` for a caller bound to one program (`only_program`, a channel key of that
/// program): refused (`Forbidden`) when the source has a membership in any other program,
/// decided under the source's lock, so an order booked for it elsewhere meanwhile cannot
/// slip in (a first membership takes the same lock).
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn merge_for(
    db: &Db,
    source_id: MemberId,
    target_id: MemberId,
    reason: &str,
    by: Option<UserId>,
    only_program: Option<ProgramId>,
) -> Result<Merged, AppError> {
    let reason = validate_reason(reason)?;
    if source_id == target_id {
        return Err(AppError::field(
            "source",
            td_string!(current().locale, errors.merges.same_member),
        ));
    }
    let now = db.now();
    let programs = programs_of(db, &[source_id, target_id]).await?;
    let mut tx = db.begin_write().await?;
    let (source, target) = member_pair(&mut tx, source_id, target_id).await?;
    match source.merged_into {
        Some(into) if into == target.id => {
            let found: Option<(i64, String)> = sqlx::query_as(
                "SELECT id, moves FROM member_merges WHERE source_member_id = $1 AND target_member_id = $2 \
                 AND reversed_at IS NULL ORDER BY id DESC LIMIT 1",
            )
            .bind(source.id)
            .bind(target.id)
            .fetch_optional(&mut *tx)
            .await?;
            // Merged there through a chain (A into B, then B into C): no merge of its own.
            let Some((id, moves)) = found else {
                return Err(AppError::conflict(td_string!(
                    current().locale,
                    errors.merges.already_part
                )));
            };
            let moves: Moves = serde_json::from_str(&moves).unwrap_or_default();
            return Ok(Merged {
                id,
                points: moves.points(),
                stamps: moves.stamps(),
            });
        }
        Some(_) => {
            return Err(AppError::conflict(td_string!(
                current().locale,
                errors.merges.already_merged
            )))
        }
        None => {}
    }
    if target.merged_into.is_some() {
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.merges.target_merged
        )));
    }
    if let Some(program_id) = only_program {
        let elsewhere: Option<ProgramId> = sqlx::query_scalar(
            "SELECT program_id FROM memberships WHERE member_id = $1 AND program_id <> $2 LIMIT 1",
        )
        .bind(source.id)
        .bind(program_id)
        .fetch_optional(&mut *tx)
        .await?;
        if elsewhere.is_some() {
            return Err(AppError::Forbidden);
        }
    }
    if target.kind != MemberKind::Registered {
        return Err(AppError::field(
            "source",
            td_string!(current().locale, errors.merges.into_registered),
        ));
    }

    let mut moves = Moves::default();
    let memberships: Vec<(MembershipId, ProgramId)> = sqlx::query_as(
        "SELECT id, program_id FROM memberships WHERE member_id = $1 AND merged_into IS NULL ORDER BY program_id",
    )
    .bind(source.id)
    .fetch_all(&mut *tx)
    .await?;
    let description = format!("Merged {} into {}", source.name, target.name);
    for (s, program_id) in memberships {
        let Some((program, tiers)) = programs.iter().find(|(p, _)| p.id == program_id) else {
            return Err(AppError::try_again(td_string!(
                current().locale,
                errors.merges.programs_changed
            )));
        };
        // Before the memberships are locked: the journeys' worker locks entries, then their
        // membership, so this order takes no lock the worker could be waiting on.
        crate::server::store::journeys::leave_all(&mut tx, s, "merged", now).await?;
        let t = super::members::join_in(&mut tx, target.id, program_id, now).await?;
        let (from, _) = lock_pair(&mut tx, s, t).await?;
        let mut mv = ProgramMove {
            program_id,
            source: s,
            target: t,
            wallet: from.balance,
            pending: from.pending,
            lifetime: from.lifetime_points,
            ..ProgramMove::default()
        };
        mv.lots = ids(
            &mut tx,
            "SELECT id FROM point_lots WHERE membership_id = $1 AND remaining > 0",
            s,
        )
        .await?;
        mv.holds = ids(
            &mut tx,
            "SELECT id FROM pending_points WHERE membership_id = $1 AND released_at IS NULL",
            s,
        )
        .await?;
        mv.orders = ids(&mut tx, "SELECT id FROM orders WHERE membership_id = $1", s).await?;
        mv.clawed_at_merge = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(clawed_back), 0) AS BIGINT) FROM orders WHERE membership_id = $1",
        )
        .bind(s)
        .fetch_one(&mut *tx)
        .await?;
        // A reward whose request id the target already used stays (request ids are unique per membership).
        mv.rewards = sqlx::query_scalar(
            "SELECT r.id FROM issued_rewards r WHERE r.membership_id = $1 AND r.status IN ('issued', 'reserved') \
             AND NOT EXISTS (SELECT 1 FROM issued_rewards o WHERE o.membership_id = $2 AND o.request_id = r.request_id)",
        )
        .bind(s)
        .bind(t)
        .fetch_all(&mut *tx)
        .await?;
        mv.memberships = ids(&mut tx, "SELECT id FROM memberships WHERE merged_into = $1", s).await?;

        let meta = merge_meta(&source.name, &description, &reason, by);
        repoint(&mut tx, "point_lots", "membership_id", &mv.lots, s, t, "").await?;
        repoint(&mut tx, "pending_points", "membership_id", &mv.holds, s, t, "").await?;
        let wallet_tx =
            ledger::transfer(&mut tx, program_id, Account::Wallet, s, t, mv.wallet, &meta, now).await?;
        let pending_tx = ledger::transfer(
            &mut tx,
            program_id,
            Account::Pending,
            s,
            t,
            mv.pending,
            &meta,
            now,
        )
        .await?;
        move_lifetime(&mut tx, s, t, mv.lifetime).await?;
        ledger::settle_lots(&mut tx, program, t, wallet_tx.or(pending_tx), now).await?;
        repoint(&mut tx, "orders", "membership_id", &mv.orders, s, t, "").await?;
        repoint(&mut tx, "issued_rewards", "membership_id", &mv.rewards, s, t, "").await?;
        let stamps: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT stamp_card_id, stamps FROM stamp_balances WHERE membership_id = $1 AND stamps > 0 ORDER BY stamp_card_id",
        )
        .bind(s)
        .fetch_all(&mut *tx)
        .await?;
        for &(card, n) in &stamps {
            super::stamps::move_stamps(&mut tx, card, s, t, n, &description, by, now).await?;
        }
        mv.stamps = stamps;
        repoint(&mut tx, "memberships", "merged_into", &mv.memberships, s, t, "").await?;
        sqlx::query("UPDATE memberships SET merged_into = $1 WHERE id = $2")
            .bind(t)
            .bind(s)
            .execute(&mut *tx)
            .await?;
        // The combined history may reach a higher tier now (upgrades only, as for an order).
        super::tiers::reevaluate(&mut tx, program, tiers, t, now, false).await?;
        moves.programs.push(mv);
    }
    moves.identifiers = ids(
        &mut tx,
        "SELECT id FROM member_identifiers WHERE member_id = $1",
        source.id,
    )
    .await?;
    moves.members = ids(
        &mut tx,
        "SELECT id FROM members WHERE merged_into = $1",
        source.id,
    )
    .await?;
    sqlx::query("UPDATE member_identifiers SET member_id = $1 WHERE member_id = $2")
        .bind(target.id)
        .bind(source.id)
        .execute(&mut *tx)
        .await?;
    // Push goes to the surviving profile's devices (not moved back by a reversal: apps
    // register again on their next start, which moves a token to whoever signs in).
    crate::server::store::push_devices::move_all(&mut tx, source.id, target.id).await?;
    sqlx::query("UPDATE members SET merged_into = $1 WHERE merged_into = $2")
        .bind(target.id)
        .bind(source.id)
        .execute(&mut *tx)
        .await?;
    if let Some(user_id) = source.user_id {
        // The source's sign-in would show an emptied account: it is closed until a reversal.
        let closed = sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
            .bind(now.0)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if closed > 0 {
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now.0)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            moves.user_disabled = Some(user_id);
        }
    }
    sqlx::query("UPDATE members SET merged_into = $1 WHERE id = $2")
        .bind(target.id)
        .bind(source.id)
        .execute(&mut *tx)
        .await?;
    let moves_json = serde_json::to_string(&moves).map_err(|_| AppError::Internal)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO member_merges (source_member_id, target_member_id, reason, moves, merged_by, merged_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(source.id)
    .bind(target.id)
    .bind(&reason)
    .bind(&moves_json)
    .bind(by)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await?;
    crate::server::webhooks::enqueue(
        &mut tx,
        "member.merged",
        event_data(id, &source, &target, &reason, &moves),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        merge_id = id,
        source = %source.id,
        target = %target.id,
        "members merged"
    );
    Ok(Merged {
        id,
        points: moves.points(),
        stamps: moves.stamps(),
    })
}

fn event_data(
    id: i64,
    source: &MemberRow,
    target: &MemberRow,
    reason: &str,
    moves: &Moves,
) -> serde_json::Value {
    serde_json::json!({
        "merge_id": id,
        "source_member_id": source.id,
        "target_member_id": target.id,
        "reason": reason,
        "programs": moves.programs.iter().map(|p| serde_json::json!({
            "program_id": p.program_id,
            "points": p.wallet,
            "pending": p.pending,
            "stamps": p.stamps.iter().map(|(_, n)| n).sum::<i64>(),
            "orders": p.orders.len(),
        })).collect::<Vec<_>>(),
    })
}

/// Moves lifetime points (tier history) with the balances; never below zero.
async fn move_lifetime(
    conn: &mut AnyConnection,
    from: MembershipId,
    to: MembershipId,
    points: i64,
) -> Result<(), AppError> {
    if points == 0 {
        return Ok(());
    }
    for (id, delta) in [(from, -points), (to, points)] {
        sqlx::query(
            "UPDATE memberships SET lifetime_points = CASE WHEN lifetime_points + $1 < 0 THEN 0 \
             ELSE lifetime_points + $1 END WHERE id = $2",
        )
        .bind(delta)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Reverses a merge: what the target still holds of what came over goes back, the
/// identifiers and sign-in return, and the source stands on its own again. Refused when the
/// target has since spent points that came with the merge, or was itself merged again.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn reverse(db: &Db, merge_id: i64, by: Option<UserId>) -> Result<MemberMerge, AppError> {
    let now = db.now();
    let (source_id, target_id): (MemberId, MemberId) =
        sqlx::query_as("SELECT source_member_id, target_member_id FROM member_merges WHERE id = $1")
            .bind(merge_id)
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.merge)))?;
    let programs = programs_of(db, &[source_id, target_id]).await?;
    let mut tx = db.begin_write().await?;
    // Claim the reversal first: a second click (or a second desk) finds it taken.
    let claimed = sqlx::query(
        "UPDATE member_merges SET reversed_by = $1, reversed_at = $2 WHERE id = $3 AND reversed_at IS NULL",
    )
    .bind(by)
    .bind(now.0)
    .bind(merge_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.merges.already_reversed
        )));
    }
    let (reason, moves, merged_at): (String, String, i64) =
        sqlx::query_as("SELECT reason, moves, merged_at FROM member_merges WHERE id = $1")
            .bind(merge_id)
            .fetch_one(&mut *tx)
            .await?;
    let moves: Moves = serde_json::from_str(&moves).map_err(|e| {
        tracing::error!(error = %e, merge_id, "unreadable merge record");
        AppError::Internal
    })?;
    let (source, target) = member_pair(&mut tx, source_id, target_id).await?;
    if source.merged_into != Some(target.id) {
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.merges.changed_since
        )));
    }
    if target.merged_into.is_some() {
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.merges.merged_later
        )));
    }
    let description = format!("Merge of {} into {} reversed", source.name, target.name);
    for mv in &moves.programs {
        let Some((program, tiers)) = programs.iter().find(|(p, _)| p.id == mv.program_id) else {
            return Err(AppError::try_again(td_string!(
                current().locale,
                errors.merges.programs_changed_reversing
            )));
        };
        let (s, t) = (mv.source, mv.target);
        let (_, to) = lock_pair(&mut tx, s, t).await?;
        // Holds still pending go back as they are; holds released since are in the wallet.
        let held: (i64, i64) = sqlx::query_as(&format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN released_at IS NULL THEN remaining ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN released_at IS NULL THEN 0 ELSE remaining END), 0) AS BIGINT) \
             FROM pending_points WHERE id IN ({}) AND membership_id = $1",
            id_list(&mv.holds)
        ))
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        let (back_pending, released) = held;
        // Returns of moved orders since the merge took points from the target: from the
        // moved holds first (they hold less now), the rest from its wallet. Those points
        // are gone, so they do not go back.
        let clawed_now: i64 = sqlx::query_scalar(&format!(
            "SELECT CAST(COALESCE(SUM(clawed_back), 0) AS BIGINT) FROM orders WHERE id IN ({})",
            id_list(&mv.orders)
        ))
        .fetch_one(&mut *tx)
        .await?;
        let returned = (clawed_now - mv.clawed_at_merge).max(0);
        let from_holds = (mv.pending - back_pending - released).max(0);
        let from_wallet = (returned - from_holds).max(0);
        let mut back_wallet = mv.wallet + released - from_wallet;
        if !program.allow_negative {
            // On its own the duplicate would have had the shortfall forgiven, not owed.
            back_wallet = back_wallet.max(0);
        }
        let back_lifetime = (mv.lifetime + released - from_wallet).max(0);
        if back_wallet > 0 && to.balance < back_wallet {
            return Err(AppError::InsufficientPoints {
                balance: to.balance,
                needed: back_wallet,
            });
        }
        let meta = merge_meta(&source.name, &description, &reason, by);
        repoint(
            &mut tx,
            "pending_points",
            "membership_id",
            &mv.holds,
            t,
            s,
            "AND released_at IS NULL",
        )
        .await?;
        let wallet_tx = ledger::transfer(
            &mut tx,
            mv.program_id,
            Account::Wallet,
            t,
            s,
            back_wallet,
            &meta,
            now,
        )
        .await?;
        let pending_tx = ledger::transfer(
            &mut tx,
            mv.program_id,
            Account::Pending,
            t,
            s,
            back_pending,
            &meta,
            now,
        )
        .await?;
        repoint(
            &mut tx,
            "point_lots",
            "membership_id",
            &mv.lots,
            t,
            s,
            "AND remaining > 0",
        )
        .await?;
        let any_tx = wallet_tx.or(pending_tx);
        ledger::settle_lots(&mut tx, program, s, any_tx, now).await?;
        ledger::settle_lots(&mut tx, program, t, any_tx, now).await?;
        move_lifetime(&mut tx, t, s, back_lifetime).await?;
        repoint(&mut tx, "orders", "membership_id", &mv.orders, t, s, "").await?;
        // Codes still open go back, and those that ran out while merged (never used: still
        // the duplicate's, and counted towards its per-member limits); used ones stay where
        // they were used.
        let open = "AND status IN ('issued', 'reserved', 'expired')";
        repoint(
            &mut tx,
            "issued_rewards",
            "membership_id",
            &mv.rewards,
            t,
            s,
            open,
        )
        .await?;
        for &(card, n) in &mv.stamps {
            // Stamps that returns of the moved orders took since the merge are gone.
            let mut returned = 0;
            for order in &mv.orders {
                let (from, to) = super::stamps::key_range(&format!("return:{order}:{card}:"));
                let taken: i64 = sqlx::query_scalar(
                    "SELECT CAST(COALESCE(-SUM(stamps), 0) AS BIGINT) FROM stamp_movements \
                     WHERE dedup_key >= $1 AND dedup_key < $2 AND created_at >= $3",
                )
                .bind(from)
                .bind(to)
                .bind(merged_at)
                .fetch_one(&mut *tx)
                .await?;
                returned += taken;
            }
            let n = (n - returned).max(0);
            let have: Option<i64> = sqlx::query_scalar(
                "SELECT stamps FROM stamp_balances WHERE membership_id = $1 AND stamp_card_id = $2",
            )
            .bind(t)
            .bind(card)
            .fetch_optional(&mut *tx)
            .await?;
            let back = n.min(have.unwrap_or(0));
            super::stamps::move_stamps(&mut tx, card, t, s, back, &description, by, now).await?;
        }
        repoint(&mut tx, "memberships", "merged_into", &mv.memberships, t, s, "").await?;
        sqlx::query("UPDATE memberships SET merged_into = NULL WHERE id = $1")
            .bind(s)
            .execute(&mut *tx)
            .await?;
        // A correction, like editing tiers: both standings are recomputed now, down as well as up.
        super::tiers::reevaluate(&mut tx, program, tiers, t, now, true).await?;
        super::tiers::reevaluate(&mut tx, program, tiers, s, now, true).await?;
    }
    repoint(
        &mut tx,
        "member_identifiers",
        "member_id",
        &moves.identifiers,
        target.id,
        source.id,
        "",
    )
    .await?;
    repoint(
        &mut tx,
        "members",
        "merged_into",
        &moves.members,
        target.id,
        source.id,
        "",
    )
    .await?;
    if let Some(user_id) = moves.user_disabled {
        // Only the closing the merge did: an admin who disabled the account since decides.
        sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at = $2")
            .bind(user_id)
            .bind(merged_at)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE members SET merged_into = NULL WHERE id = $1")
        .bind(source.id)
        .execute(&mut *tx)
        .await?;
    // A card's holder that stands alone again is an unlinked card.
    sqlx::query("UPDATE cards SET linked_at = NULL WHERE member_id = $1")
        .bind(source.id)
        .execute(&mut *tx)
        .await?;
    let mut data = event_data(merge_id, &source, &target, &reason, &moves);
    data["reversed"] = serde_json::Value::Bool(true);
    crate::server::webhooks::enqueue(&mut tx, "member.unmerged", data, now).await?;
    tx.commit().await?;
    tracing::info!(merge_id, "merge reversed");
    get(db, merge_id).await
}

#[derive(sqlx::FromRow)]
struct MergeRow {
    id: i64,
    source_member_id: MemberId,
    source_name: String,
    target_member_id: MemberId,
    target_name: String,
    reason: String,
    moves: String,
    merged_by: Option<String>,
    merged_at: i64,
    reversed_by: Option<String>,
    reversed_at: Option<i64>,
}

impl From<MergeRow> for MemberMerge {
    fn from(r: MergeRow) -> Self {
        let moves: Moves = serde_json::from_str(&r.moves).unwrap_or_default();
        MemberMerge {
            id: r.id,
            source_member_id: r.source_member_id,
            source_name: r.source_name,
            target_member_id: r.target_member_id,
            target_name: r.target_name,
            reason: r.reason,
            summary: moves.summary(),
            merged_by: r.merged_by,
            merged_at: Timestamp(r.merged_at),
            reversed_by: r.reversed_by,
            reversed_at: r.reversed_at,
        }
    }
}

const MERGE_SELECT: &str = "SELECT g.id, g.source_member_id, s.name AS source_name, g.target_member_id, \
     t.name AS target_name, g.reason, g.moves, mb.display_name AS merged_by, g.merged_at, \
     rb.display_name AS reversed_by, g.reversed_at FROM member_merges g \
     JOIN members s ON s.id = g.source_member_id JOIN members t ON t.id = g.target_member_id \
     LEFT JOIN users mb ON mb.id = g.merged_by LEFT JOIN users rb ON rb.id = g.reversed_by";

pub async fn get(db: &Db, id: i64) -> Result<MemberMerge, AppError> {
    let row: MergeRow = sqlx::query_as(&format!("{MERGE_SELECT} WHERE g.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.merge)))?;
    Ok(row.into())
}

/// Merges into or out of a member, newest first (the audit trail staff see on the desk).
pub async fn for_member(db: &Db, member_id: MemberId) -> Result<Vec<MemberMerge>, AppError> {
    let rows: Vec<MergeRow> = sqlx::query_as(&format!(
        "{MERGE_SELECT} WHERE g.source_member_id = $1 OR g.target_member_id = $1 ORDER BY g.id DESC"
    ))
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
