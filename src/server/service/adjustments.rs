//! Balances adjusted by hand. Over a program's limit (`domain::adjustments::needs_approval`)
//! an adjustment is filed for an admin, who approves it (the points move then, in the
//! transaction that records the decision) or rejects it. Every adjustment passes here.

use crate::domain::adjustments;
use crate::domain::lang::current;
use crate::error::{count, AppError};
use crate::i18n::td_string;
use crate::model::ids::{MembershipId, ProgramId, UserId};
use crate::model::member::AdjustmentRequest;
use crate::server::db::Db;

use super::ledger::{self, Adjuster, Standing};
use crate::server::store::programs;

/// Who asks for an adjustment.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    /// Desk staff, or an admin (whom no limit stops).
    Staff { user_id: UserId, admin: bool },
    /// A channel's API key: over the limit it is refused (no person to ask an admin).
    Key { channel: &'a str, name: &'a str },
}

/// Manual adjustment by staff or an admin: a reason is required and kept with the entry,
/// with who made it. Credits open a lot; debits may not overdraw the wallet.
#[tracing::instrument(skip(db, reason), err(level = "debug"))]
pub async fn by_staff(
    db: &Db,
    recorded_by: Option<UserId>,
    membership_id: MembershipId,
    points: i64,
    reason: &str,
    request_id: &str,
) -> Result<(i64, Standing), AppError> {
    book(
        db,
        Adjuster::Staff(recorded_by),
        membership_id,
        points,
        reason,
        request_id,
    )
    .await
}

/// Books an adjustment by hand at once (no limit: the callers decided), saying who made it.
pub async fn book(
    db: &Db,
    by: Adjuster<'_>,
    membership_id: MembershipId,
    points: i64,
    reason: &str,
    request_id: &str,
) -> Result<(i64, Standing), AppError> {
    let reason = crate::domain::adjustments::validate(points, reason)?;
    let program_id: ProgramId = sqlx::query_scalar("SELECT program_id FROM memberships WHERE id = $1")
        .bind(membership_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.membership)))?;
    let program = programs::get(db, program_id).await?;
    let mut tx = db.begin_write().await?;
    let done = ledger::adjust_in(
        &mut tx,
        &program,
        by,
        membership_id,
        points,
        &reason,
        request_id,
        db.now(),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(%membership_id, points, ?by, "balance adjusted");
    Ok(done)
}

/// What became of an adjustment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjusted {
    Booked {
        transaction_id: i64,
        standing: Standing,
    },
    /// Filed for an admin as request `id`; nothing moved.
    AwaitingApproval {
        id: i64,
    },
}

/// Adjusts a balance by hand, or files the adjustment for an admin when it passes the
/// program's limit. The same `request_id` books (or files) once.
#[tracing::instrument(skip(db, reason), err(level = "debug"))]
pub async fn adjust(
    db: &Db,
    by: Requester<'_>,
    membership_id: MembershipId,
    points: i64,
    reason: &str,
    request_id: &str,
) -> Result<Adjusted, AppError> {
    let reason = adjustments::validate(points, reason)?;
    let program_id: ProgramId = sqlx::query_scalar("SELECT program_id FROM memberships WHERE id = $1")
        .bind(membership_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.membership)))?;
    let program = programs::get(db, program_id).await?;
    // A retry answers with what its request did, whatever the limit says now: filed (still
    // waiting, or decided), or booked.
    if let Some(earlier) = earlier(db, membership_id, request_id).await? {
        return Ok(earlier);
    }
    let admin = matches!(by, Requester::Staff { admin: true, .. });
    if adjustments::needs_approval(points, program.adjust_limit, admin) {
        let limit = program.adjust_limit.unwrap_or_default();
        return match by {
            Requester::Key { .. } => Err(AppError::field(
                "points",
                td_string!(
                    current().locale,
                    errors.adjust.over_limit,
                    limit = count(current(), limit),
                    unit = program.currency_name.clone()
                )
                .to_string(),
            )),
            Requester::Staff { user_id, .. } => {
                let id = file(
                    db,
                    program.id,
                    membership_id,
                    points,
                    &reason,
                    request_id,
                    user_id,
                )
                .await?;
                Ok(Adjusted::AwaitingApproval { id })
            }
        };
    }
    let adjuster = match by {
        Requester::Staff { user_id, .. } => Adjuster::Staff(Some(user_id)),
        Requester::Key { channel, name } => Adjuster::Key { channel, name },
    };
    let (transaction_id, standing) = book(db, adjuster, membership_id, points, &reason, request_id).await?;
    Ok(Adjusted::Booked {
        transaction_id,
        standing,
    })
}

/// What a request id did before on this membership, if anything.
async fn earlier(
    db: &Db,
    membership_id: MembershipId,
    request_id: &str,
) -> Result<Option<Adjusted>, AppError> {
    let filed: Option<(i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT id, status, transaction_id FROM adjustment_requests WHERE membership_id = $1 AND request_id = $2",
    )
    .bind(membership_id)
    .bind(request_id)
    .fetch_optional(&db.pool)
    .await?;
    let transaction_id = match filed {
        Some((_, status, _)) if status == "rejected" => {
            return Err(AppError::conflict(td_string!(
                current().locale,
                errors.adjust.rejected
            )));
        }
        Some((id, _, None)) => return Ok(Some(Adjusted::AwaitingApproval { id })),
        Some((_, _, Some(tx))) => tx,
        None => match ledger::booked(db, membership_id, request_id).await? {
            Some(tx) => tx,
            None => return Ok(None),
        },
    };
    let standing: Standing = sqlx::query_as(
        "SELECT m.balance, m.pending, m.lifetime_points FROM memberships m \
         WHERE m.id = (SELECT COALESCE(merged_into, id) FROM memberships WHERE id = $1)",
    )
    .bind(membership_id)
    .fetch_one(&db.pool)
    .await?;
    Ok(Some(Adjusted::Booked {
        transaction_id,
        standing,
    }))
}

/// Files a request (once per membership and request id); its id.
async fn file(
    db: &Db,
    program_id: ProgramId,
    membership_id: MembershipId,
    points: i64,
    reason: &str,
    request_id: &str,
    by: UserId,
) -> Result<i64, AppError> {
    let mut tx = db.begin_write().await?;
    let filed: Option<i64> = sqlx::query_scalar(
        "INSERT INTO adjustment_requests (program_id, membership_id, points, reason, request_id, requested_by, \
         requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (membership_id, request_id) DO NOTHING RETURNING id",
    )
    .bind(program_id)
    .bind(membership_id)
    .bind(points)
    .bind(reason)
    .bind(request_id)
    .bind(by)
    .bind(db.now().0)
    .fetch_optional(&mut *tx)
    .await?;
    let id = match filed {
        Some(id) => id,
        None => {
            sqlx::query_scalar(
                "SELECT id FROM adjustment_requests WHERE membership_id = $1 AND request_id = $2",
            )
            .bind(membership_id)
            .bind(request_id)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    tracing::info!(id, %membership_id, points, "adjustment filed for approval");
    Ok(id)
}

const SELECT: &str = "SELECT r.id, p.name AS program_name, p.currency_name, mb.id AS member_id, \
     mb.name AS member_name, mb.card_number, r.points, r.reason, rq.display_name AS requested_by, \
     r.requested_at, r.status, dc.display_name AS decided_by, r.decided_at \
     FROM adjustment_requests r JOIN programs p ON p.id = r.program_id \
     JOIN memberships m ON m.id = r.membership_id JOIN members mb ON mb.id = m.member_id \
     LEFT JOIN users rq ON rq.id = r.requested_by LEFT JOIN users dc ON dc.id = r.decided_by";

/// Requests waiting for a decision (oldest first), then the last 50 decided (newest first).
pub async fn list(db: &Db) -> Result<Vec<AdjustmentRequest>, AppError> {
    let mut out: Vec<AdjustmentRequest> =
        sqlx::query_as(&format!("{SELECT} WHERE r.status = 'pending' ORDER BY r.id"))
            .fetch_all(&db.pool)
            .await?;
    let decided: Vec<AdjustmentRequest> = sqlx::query_as(&format!(
        "{SELECT} WHERE r.status <> 'pending' ORDER BY r.decided_at DESC, r.id DESC LIMIT 50"
    ))
    .fetch_all(&db.pool)
    .await?;
    out.extend(decided);
    Ok(out)
}

async fn get(db: &Db, id: i64) -> Result<AdjustmentRequest, AppError> {
    sqlx::query_as(&format!("{SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.adjustment_request)))
}

/// An admin approves (the points move now: a debit the balance no longer covers is refused
/// and the request stays open) or rejects a filed adjustment. Decided once.
#[tracing::instrument(skip(db, admin_name), err(level = "debug"))]
pub async fn decide(
    db: &Db,
    id: i64,
    approve: bool,
    admin_id: UserId,
    admin_name: &str,
) -> Result<AdjustmentRequest, AppError> {
    let now = db.now();
    let mut tx = db.begin_write().await?;
    type Claimed = (ProgramId, MembershipId, i64, String, String, Option<UserId>);
    let claimed: Option<Claimed> = sqlx::query_as(
        "UPDATE adjustment_requests SET status = $1, decided_by = $2, decided_at = $3 \
         WHERE id = $4 AND status = 'pending' \
         RETURNING program_id, membership_id, points, reason, request_id, requested_by",
    )
    .bind(if approve { "approved" } else { "rejected" })
    .bind(admin_id)
    .bind(now.0)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((program_id, membership_id, points, reason, request_id, requested_by)) = claimed else {
        get(db, id).await?;
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.adjust.already_decided
        )));
    };
    if approve {
        let program = programs::get_in(&mut tx, program_id).await?;
        let by = Adjuster::Approved {
            requested_by,
            approver: admin_name,
        };
        // The member may have been merged into another since it was filed: the points go
        // where the member is now. Booked under the request's own id, so it books once even
        // if a retry of the request was booked directly meanwhile (a limit raised since).
        let now_at: MembershipId =
            sqlx::query_scalar("SELECT COALESCE(merged_into, id) FROM memberships WHERE id = $1")
                .bind(membership_id)
                .fetch_one(&mut *tx)
                .await?;
        let (tx_id, _) =
            ledger::adjust_in(&mut tx, &program, by, now_at, points, &reason, &request_id, now).await?;
        sqlx::query("UPDATE adjustment_requests SET transaction_id = $1 WHERE id = $2")
            .bind(tx_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!(id, approve, %admin_id, "adjustment decided");
    get(db, id).await
}
