//! The jobs that move points with time: lots expiring, and pending points released into
//! the wallet once their return window closed. Each membership is handled under its lock
//! and re-checked there, so a run twice or on two servers at once books once.

use crate::error::AppError;
use crate::model::ids::{MembershipId, ProgramId};
use crate::model::ledger::TxKind;
use crate::model::program::Program;
use crate::model::time::Timestamp;
use crate::server::db::{clashed, retried, Db};

use super::ledger;
use crate::server::store::programs;

/// The filter on the program `m.program_id`, bound as $2 when there is one.
fn in_program(program: Option<ProgramId>) -> &'static str {
    match program {
        Some(_) => " AND m.program_id = $2",
        None => "",
    }
}

/// Expires every lot due at `now`, up to `PER_TRANSACTION` memberships a transaction. Safe to run twice or in
/// parallel: each membership's due lots are re-read under its lock and zeroed in the same
/// transaction as the expiry entry. Returns (memberships touched, points expired).
pub async fn expire_due(db: &Db, now: Timestamp) -> Result<(u64, i64), AppError> {
    expire_due_in(db, now, None).await
}

/// `expire_due` for one program's memberships, or every program's with None.
pub async fn expire_due_in(
    db: &Db,
    now: Timestamp,
    program: Option<ProgramId>,
) -> Result<(u64, i64), AppError> {
    let sql = format!(
        // CROSS JOIN keeps SQLite on point_lots_due first (PostgreSQL plans it as a join).
        "SELECT DISTINCT l.membership_id, m.program_id FROM point_lots l CROSS JOIN memberships m \
         WHERE m.id = l.membership_id AND l.remaining > 0 AND l.expires_at IS NOT NULL AND l.expires_at <= $1{}",
        in_program(program)
    );
    let mut due = sqlx::query_as(&sql).bind(now.0);
    if let Some(p) = program {
        due = due.bind(p);
    }
    let mut due: Vec<(MembershipId, ProgramId)> = due.fetch_all(&db.pool).await?;
    // Locks taken in one order by every run, so two runs at once cannot deadlock.
    due.sort_unstable();
    let programs = Programs::read(db, due.iter().map(|d| d.1)).await?;
    let (mut touched, mut expired) = (0, 0);
    for chunk in due.chunks(PER_TRANSACTION) {
        let (n, points) = retried(clashed, || expire_chunk(db, &programs, chunk, now)).await?;
        touched += n;
        expired += points;
    }
    Ok((touched, expired))
}

/// One transaction of `expire_due_in`: (memberships touched, points expired).
async fn expire_chunk(
    db: &Db,
    programs: &Programs,
    chunk: &[(MembershipId, ProgramId)],
    now: Timestamp,
) -> Result<(u64, i64), AppError> {
    let (mut touched, mut expired) = (0, 0);
    let mut tx = db.begin_write().await?;
    for &(membership_id, program_id) in chunk {
        let program = programs.get(program_id)?;
        let (standing, merged) = ledger::lock_any(&mut tx, membership_id).await?;
        if merged {
            continue; // merged meanwhile: the merge moved its lots
        }
        let lots: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, remaining FROM point_lots WHERE membership_id = $1 AND remaining > 0 \
             AND expires_at IS NOT NULL AND expires_at <= $2",
        )
        .bind(membership_id)
        .bind(now.0)
        .fetch_all(&mut *tx)
        .await?;
        let points: i64 = lots.iter().map(|(_, r)| r).sum();
        // Lots never exceed a non-negative wallet; the min guards the invariant regardless.
        let points = points.min(standing.balance.max(0));
        if points > 0 {
            for (id, _) in &lots {
                sqlx::query("UPDATE point_lots SET remaining = 0 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            let description = format!("{points} {} expired", program.currency_name);
            let meta = ledger::Meta::new(TxKind::Expire, "system", &description);
            let postings = [
                ledger::Posting::new(ledger::Account::Wallet, -points),
                ledger::Posting::new(ledger::Account::Expiry, points),
            ];
            ledger::book(&mut tx, program.id, Some(membership_id), &meta, &postings, now).await?;
            touched += 1;
            expired += points;
        }
    }
    tx.commit().await?;
    Ok((touched, expired))
}

/// Releases pending points whose return window has closed into the wallet. Each hold is
/// claimed with a conditional update, so a second run (or a concurrent one) skips it.
/// Returns (holds released, points released).
pub async fn release_due(db: &Db, now: Timestamp) -> Result<(u64, i64), AppError> {
    release_due_in(db, now, None).await
}

/// `release_due` for one program's memberships, or every program's with None.
pub async fn release_due_in(
    db: &Db,
    now: Timestamp,
    program: Option<ProgramId>,
) -> Result<(u64, i64), AppError> {
    let sql = format!(
        "SELECT h.id, h.membership_id, m.program_id FROM pending_points h JOIN memberships m ON m.id = h.membership_id \
         WHERE h.released_at IS NULL AND h.release_at <= $1{} ORDER BY h.id",
        in_program(program)
    );
    let mut due = sqlx::query_as(&sql).bind(now.0);
    if let Some(p) = program {
        due = due.bind(p);
    }
    let mut due: Vec<(i64, MembershipId, ProgramId)> = due.fetch_all(&db.pool).await?;
    // Locks taken in one order by every run, so two runs at once cannot deadlock.
    due.sort_unstable_by_key(|&(hold_id, membership_id, _)| (membership_id, hold_id));
    let programs = Programs::read(db, due.iter().map(|d| d.2)).await?;
    let (mut released, mut total) = (0, 0);
    for chunk in due.chunks(PER_TRANSACTION) {
        let (n, points) = retried(clashed, || release_chunk(db, &programs, chunk, now)).await?;
        released += n;
        total += points;
    }
    Ok((released, total))
}

/// One transaction of `release_due_in`: (holds released, points released).
async fn release_chunk(
    db: &Db,
    programs: &Programs,
    chunk: &[(i64, MembershipId, ProgramId)],
    now: Timestamp,
) -> Result<(u64, i64), AppError> {
    let (mut released, mut total) = (0, 0);
    let mut tx = db.begin_write().await?;
    for &(hold_id, membership_id, program_id) in chunk {
        let program = programs.get(program_id)?;
        if ledger::lock_any(&mut tx, membership_id).await?.1 {
            continue; // merged meanwhile: the merge moved its holds
        }
        // Only a hold still on the membership we locked (a merge may have moved it since).
        let claimed: Option<i64> = sqlx::query_scalar(
            "UPDATE pending_points SET released_at = $1 WHERE id = $2 AND membership_id = $3 \
             AND released_at IS NULL RETURNING remaining",
        )
        .bind(now.0)
        .bind(hold_id)
        .bind(membership_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(points) = claimed.filter(|p| *p > 0) {
            let description = format!(
                "{points} {} released after the return window",
                program.currency_name
            );
            let meta = ledger::Meta::new(TxKind::Release, "system", &description);
            let postings = [
                ledger::Posting::new(ledger::Account::Pending, -points),
                ledger::Posting::new(ledger::Account::Wallet, points),
            ];
            let (tx_id, standing) =
                ledger::book_nonzero(&mut tx, program.id, membership_id, &meta, &postings, now, true).await?;
            ledger::open_lot(
                &mut tx,
                program,
                membership_id,
                tx_id,
                points,
                standing.balance,
                now,
            )
            .await?;
            ledger::move_deadlines(&mut tx, program, membership_id, now).await?;
            released += 1;
            total += points;
        }
    }
    tx.commit().await?;
    Ok((released, total))
}

/// Memberships handled in one transaction: a commit per membership made the jobs the
/// largest part of a generated year (0.7 of 1.9 ks at 100k members); more per transaction
/// keeps their locks longer from the bookings that wait on them. A transaction that clashed
/// with another (a deadlock with a return, which locks the referrer after the member) is
/// tried again. The tier review takes them as many at a time.
pub(super) const PER_TRANSACTION: usize = 128;

/// The programs of a run's memberships, read before its transactions take the write lock.
struct Programs(std::collections::HashMap<ProgramId, Program>);

impl Programs {
    async fn read(db: &Db, ids: impl Iterator<Item = ProgramId>) -> Result<Self, AppError> {
        let mut map = std::collections::HashMap::new();
        for id in ids {
            if let std::collections::hash_map::Entry::Vacant(e) = map.entry(id) {
                e.insert(programs::get(db, id).await?);
            }
        }
        Ok(Programs(map))
    }

    fn get(&self, id: ProgramId) -> Result<&Program, AppError> {
        self.0.get(&id).ok_or(AppError::Internal)
    }
}
