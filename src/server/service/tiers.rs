//! Tier standing kept on the membership: upgrades happen as soon as a booking reaches a
//! threshold; downgrades in the scheduled re-evaluation, as the program's review allows
//! (continuously, or on the 1st of each month or year), and when tiers are edited under a
//! continuous review. Every change is recorded with its reason (and announced by webhook).

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::{MembershipId, ProgramId};
use sqlx::AnyConnection;

use crate::domain::{currency, tiers};
use crate::error::AppError;
use crate::model::program::{Program, Tier, TierInput};
use crate::model::time::Timestamp;
use crate::server::db::{clashed, is_unique_violation, retried, Db};

use super::ledger::SAME_HISTORY;
use crate::server::store::programs;

/// What counts towards a tier between `start` and `end`: points earned (returns deducted),
/// or money spent in whole currency units. Memberships merged into this one count too, as
/// `ledger::SAME_HISTORY`'s list: written `membership_id = $1 OR membership_id IN (...)`,
/// PostgreSQL scanned the whole ledger on every booking (72 ms at 60,000 orders and
/// growing; 0.2-0.4 ms through the indexes like this).
pub async fn qualifying_between(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    start: Option<i64>,
    end: i64,
) -> Result<i64, AppError> {
    let sum: i64 = sqlx::query_scalar(&qualifying_sql(
        program,
        &format!("t.membership_id IN ({SAME_HISTORY})"),
        None,
    ))
    .bind(membership_id)
    .bind(start.unwrap_or(i64::MIN))
    .bind(end)
    .fetch_one(&mut *conn)
    .await?;
    Ok(qualifying_of(program, sum))
}

/// What the ledger transactions `whose` picks (a condition on `t`, with $1) created in
/// `[$2, $3)` add up to towards a tier, as `qualifying_of` takes it: money spent in minor
/// units (returns deducted), or points earned. Grouped by the column of `t` `by` names.
fn qualifying_sql(program: &Program, whose: &str, by: Option<&str>) -> String {
    let (sum, from, counted) = if program.tier_basis == "spend" {
        (
            "SUM(CASE WHEN t.kind = 'earn' THEN t.amount_minor ELSE -t.amount_minor END)",
            "ledger_transactions t",
            "t.kind IN ('earn', 'return') AND t.amount_minor IS NOT NULL",
        )
    } else {
        (
            "SUM(p.points)",
            "ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id",
            "t.kind IN ('earn', 'event', 'return') AND p.account IN ('wallet', 'pending')",
        )
    };
    let (column, group) = by.map_or((String::new(), String::new()), |by| {
        (format!("{by}, "), format!(" GROUP BY {by}"))
    });
    format!(
        "SELECT {column}CAST(COALESCE({sum}, 0) AS BIGINT) FROM {from} \
         WHERE {whose} AND {counted} AND t.created_at >= $2 AND t.created_at < $3{group}"
    )
}

/// A qualifying sum as a tier's threshold reads it: never below zero; spend in whole
/// currency units.
fn qualifying_of(program: &Program, sum: i64) -> i64 {
    if program.tier_basis == "spend" {
        sum.max(0) / currency::minor_per_unit(&program.currency_code)
    } else {
        sum.max(0)
    }
}

/// The qualifying total that decides the tier at `now`: the best of the program's windows
/// (for calendar years, this year's or last year's).
pub async fn qualifying(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    now: Timestamp,
) -> Result<i64, AppError> {
    let mut best = 0;
    for (start, end) in tiers::windows(&program.tier_window, now) {
        best = best.max(qualifying_between(conn, program, membership_id, start, end).await?);
    }
    Ok(best)
}

/// The total in the current window only (what the member is working on), for progress bars.
pub async fn current_window_total(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    now: Timestamp,
) -> Result<i64, AppError> {
    let (start, end) = tiers::windows(&program.tier_window, now)[0];
    qualifying_between(conn, program, membership_id, start, end).await
}

fn describe(program: &Program, qualifying: i64) -> String {
    let what = if program.tier_basis == "spend" {
        format!("{qualifying} {} spent", program.currency_code)
    } else {
        format!("{qualifying} {} earned", program.currency_name)
    };
    let when = match program.tier_window.as_str() {
        "calendar_year" => " this or last calendar year",
        "rolling_12m" => " in the last 12 months",
        _ => " in total",
    };
    format!("{what}{when}")
}

/// The tier change due for a membership, if any: (current, target, qualifying total, up).
/// Reads only, so the scheduled pass can skip unchanged memberships without a write lock.
/// `known` is the membership's (tier id, lifetime points) when the caller has them.
async fn change_due<'t>(
    conn: &mut AnyConnection,
    program: &Program,
    program_tiers: &'t [Tier],
    membership_id: MembershipId,
    known: Option<(Option<i64>, i64)>,
    now: Timestamp,
    allow_downgrade: bool,
) -> Result<Option<(Option<&'t Tier>, Option<Tier>, i64, bool)>, AppError> {
    let (current_id, lifetime): (Option<i64>, i64) = match known {
        Some(k) => k,
        None => {
            sqlx::query_as("SELECT tier_id, lifetime_points FROM memberships WHERE id = $1")
                .bind(membership_id)
                .fetch_one(&mut *conn)
                .await?
        }
    };
    let current = current_id.and_then(|id| program_tiers.iter().find(|t| t.id == id));
    if !allow_downgrade && at_top(program_tiers, current) {
        return Ok(None); // already at the top: nothing to upgrade to
    }
    let qual = if lifetime_points(program) {
        lifetime
    } else {
        qualifying(conn, program, membership_id, now).await?
    };
    Ok(decide(program_tiers, current, qual, allow_downgrade))
}

/// Lifetime points are kept on the membership's row; only windows and spend need the
/// ledger summed.
fn lifetime_points(program: &Program) -> bool {
    program.tier_window == "lifetime" && program.tier_basis == "points"
}

fn at_top(program_tiers: &[Tier], current: Option<&Tier>) -> bool {
    let top = program_tiers.iter().map(|t| t.threshold_points).max();
    current.is_some_and(|t| Some(t.threshold_points) == top)
}

/// The change a qualifying total calls for: (current, target, qualifying total, up).
fn decide<'t>(
    program_tiers: &'t [Tier],
    current: Option<&'t Tier>,
    qual: i64,
    allow_downgrade: bool,
) -> Option<(Option<&'t Tier>, Option<Tier>, i64, bool)> {
    let target = tiers::reached(program_tiers, qual);
    match tiers::direction(current, target.as_ref()) {
        None => None,
        Some(false) if !allow_downgrade => None,
        Some(up) => Some((current, target, qual, up)),
    }
}

/// Re-evaluates one membership (the caller holds its lock): upgrades always, downgrades
/// only when `allow_downgrade`. Returns the new tier when it changed.
pub async fn reevaluate(
    conn: &mut AnyConnection,
    program: &Program,
    program_tiers: &[Tier],
    membership_id: MembershipId,
    now: Timestamp,
    allow_downgrade: bool,
) -> Result<Option<Option<Tier>>, AppError> {
    change(
        conn,
        program,
        program_tiers,
        membership_id,
        None,
        now,
        allow_downgrade,
    )
    .await
}

/// The upgrade check after a booking, which holds the membership's lock and knows its tier
/// id and lifetime points after the booking: (tier id, lifetime points).
pub async fn reevaluate_known(
    conn: &mut AnyConnection,
    program: &Program,
    program_tiers: &[Tier],
    membership_id: MembershipId,
    known: (Option<i64>, i64),
    now: Timestamp,
) -> Result<Option<Option<Tier>>, AppError> {
    change(
        conn,
        program,
        program_tiers,
        membership_id,
        Some(known),
        now,
        false,
    )
    .await
}

async fn change(
    conn: &mut AnyConnection,
    program: &Program,
    program_tiers: &[Tier],
    membership_id: MembershipId,
    known: Option<(Option<i64>, i64)>,
    now: Timestamp,
    allow_downgrade: bool,
) -> Result<Option<Option<Tier>>, AppError> {
    if program_tiers.is_empty() {
        return Ok(None);
    }
    let Some((current, target, qual, up)) = change_due(
        conn,
        program,
        program_tiers,
        membership_id,
        known,
        now,
        allow_downgrade,
    )
    .await?
    else {
        return Ok(None);
    };
    sqlx::query("UPDATE memberships SET tier_id = $1 WHERE id = $2")
        .bind(target.as_ref().map(|t| t.id))
        .bind(membership_id)
        .execute(&mut *conn)
        .await?;
    let reason = describe(program, qual);
    let change_id: i64 = sqlx::query_scalar(
        "INSERT INTO tier_changes (membership_id, from_tier, to_tier, from_tier_id, to_tier_id, direction, \
         reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(membership_id)
    .bind(current.map(|t| t.name.clone()))
    .bind(target.as_ref().map(|t| t.name.clone()))
    .bind(current.map(|t| t.id))
    .bind(target.as_ref().map(|t| t.id))
    .bind(if up { "up" } else { "down" })
    .bind(&reason)
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await?;
    crate::server::store::rollups::enqueue(conn, "tier", &[change_id]).await?;
    let member_id = super::ledger::member_of(conn, membership_id).await?;
    let data = serde_json::json!({
        "member_id": member_id,
        "program_id": program.id,
        "from": current.map(|t| t.name.clone()),
        "to": target.as_ref().map(|t| t.name.clone()),
        "direction": if up { "up" } else { "down" },
        "reason": reason,
    });
    crate::server::webhooks::enqueue(conn, "tier.changed", data, now).await?;
    Ok(Some(target))
}

/// The scheduled re-evaluation of every membership: upgrades missed, and downgrades due (a
/// window that moved on, a threshold that was raised, a tier that was deleted) when the
/// program's review is due (`tiers::review_due`: continuously, or on the 1st of each month
/// or year). Safe to run twice: an unchanged standing writes nothing, and a review is
/// recorded once done. Returns how many tiers changed.
pub async fn reevaluate_all(db: &Db, now: Timestamp) -> Result<u64, AppError> {
    let mut changed = 0;
    for program in crate::server::store::programs::list(db).await? {
        changed += review(db, &program, now, false).await?;
    }
    Ok(changed)
}

/// One program's part of `reevaluate_all`; with `only_when_due`, nothing happens between
/// reviews (the demo generator's days: upgrades happen as orders book).
pub async fn review(
    db: &Db,
    program: &Program,
    now: Timestamp,
    only_when_due: bool,
) -> Result<u64, AppError> {
    let kind = &program.tier_review;
    let due = tiers::review_due(kind, program.tiers_reviewed_at, program.created_at.0, now);
    if only_when_due && !due {
        return Ok(0);
    }
    let changed = reevaluate_program(db, program, now, due).await?;
    if due && kind != "continuous" {
        sqlx::query("UPDATE programs SET tiers_reviewed_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(program.id)
            .execute(&db.pool)
            .await?;
    }
    Ok(changed)
}

/// Re-evaluates every membership of one program: after its tiers were edited, or on
/// schedule. Downgrades only with `allow_downgrade`.
pub async fn reevaluate_program(
    db: &Db,
    program: &Program,
    now: Timestamp,
    allow_downgrade: bool,
) -> Result<u64, AppError> {
    let program_tiers = crate::server::store::programs::tiers(db, program.id).await?;
    if program_tiers.is_empty() {
        return Ok(0);
    }
    // Most memberships keep their tier: find that out with reads of the whole program, and
    // take the write lock only for those that change (reevaluate checks again under it).
    let due: Vec<MembershipId> = standings(db, program, now)
        .await?
        .into_iter()
        .filter(|&(_, current_id, qual)| {
            let current = current_id.and_then(|id| program_tiers.iter().find(|t| t.id == id));
            decide(&program_tiers, current, qual, allow_downgrade).is_some()
        })
        .map(|(id, _, _)| id)
        .collect();
    let mut changed = 0;
    // Several memberships a transaction, locked in id order (as every job locks them); one
    // that clashed with another transaction is tried again.
    for chunk in due.chunks(super::expiry::PER_TRANSACTION) {
        changed += retried(clashed, || {
            review_chunk(db, program, &program_tiers, chunk, now, allow_downgrade)
        })
        .await?;
    }
    Ok(changed)
}

/// One transaction of `reevaluate_program`: how many tiers changed.
async fn review_chunk(
    db: &Db,
    program: &Program,
    program_tiers: &[Tier],
    chunk: &[MembershipId],
    now: Timestamp,
    allow_downgrade: bool,
) -> Result<u64, AppError> {
    let mut changed = 0;
    let mut tx = db.begin_write().await?;
    for &id in chunk {
        if super::ledger::lock_any(&mut tx, id).await?.1 {
            continue; // merged since the list was read
        }
        if reevaluate(&mut tx, program, program_tiers, id, now, allow_downgrade)
            .await?
            .is_some()
        {
            changed += 1;
        }
    }
    tx.commit().await?;
    Ok(changed)
}

/// Every unmerged membership of the program, in id order, with its tier id and the
/// qualifying total that decides its tier at `now` (as `qualifying` finds it one at a time):
/// one grouped read of the ledger per window instead of one per membership, which at
/// 100,000 members made the monthly review the slowest part of a generated year.
async fn standings(
    db: &Db,
    program: &Program,
    now: Timestamp,
) -> Result<Vec<(MembershipId, Option<i64>, i64)>, AppError> {
    // Merged memberships are frozen: their history counts for the membership they merged into.
    let rows: Vec<(MembershipId, Option<i64>, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, tier_id, lifetime_points, merged_into FROM memberships WHERE program_id = $1 ORDER BY id",
    )
    .bind(program.id)
    .fetch_all(&db.pool)
    .await?;
    let live = rows.iter().filter(|r| r.3.is_none());
    if lifetime_points(program) {
        return Ok(live.map(|r| (r.0, r.1, r.2)).collect());
    }
    let survivor: std::collections::HashMap<i64, i64> = rows
        .iter()
        .filter_map(|r| r.3.map(|into| (r.0.get(), into)))
        .collect();
    let mut best: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for (start, end) in tiers::windows(&program.tier_window, now) {
        let sql = qualifying_sql(
            program,
            "t.program_id = $1 AND t.membership_id IS NOT NULL",
            Some("t.membership_id"),
        );
        let sums: Vec<(i64, i64)> = sqlx::query_as(&sql)
            .bind(program.id)
            .bind(start.unwrap_or(i64::MIN))
            .bind(end)
            .fetch_all(&db.pool)
            .await?;
        let mut window: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
        for (membership, sum) in sums {
            let into = survivor.get(&membership).copied().unwrap_or(membership);
            *window.entry(into).or_default() += sum;
        }
        for (membership, sum) in window {
            let b = best.entry(membership).or_default();
            *b = (*b).max(qualifying_of(program, sum));
        }
    }
    Ok(live
        .map(|r| (r.0, r.1, best.get(&r.0.get()).copied().unwrap_or(0)))
        .collect())
}

fn tier_conflict(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "tiers_program_name", "tiers.program_id, tiers.name") {
        AppError::field("name", td_string!(current().locale, errors.tiers.name_taken))
    } else if is_unique_violation(
        &e,
        "tiers_program_threshold",
        "tiers.program_id, tiers.threshold_points",
    ) {
        AppError::field(
            "threshold_points",
            td_string!(current().locale, errors.tiers.threshold_taken),
        )
    } else {
        e.into()
    }
}

/// Creates or updates a tier of `input.program_id`.
#[tracing::instrument(skip(db, input), fields(program_id = %input.program_id, id = ?input.id), err(level = "debug"))]
pub async fn save_tier(db: &Db, input: &TierInput) -> Result<Tier, AppError> {
    let v = crate::domain::forms::tier(input)?;
    programs::get(db, input.program_id).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let id: i64 = match input.id {
        None => sqlx::query_scalar(
            "INSERT INTO tiers (program_id, name, threshold_points, multiplier_pct, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(input.program_id)
        .bind(&v.name)
        .bind(v.threshold_points)
        .bind(v.multiplier_pct)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(tier_conflict)?,
        Some(id) => sqlx::query_scalar(
            "UPDATE tiers SET name = $1, threshold_points = $2, multiplier_pct = $3, updated_at = $4 \
             WHERE id = $5 AND program_id = $6 RETURNING id",
        )
        .bind(&v.name)
        .bind(v.threshold_points)
        .bind(v.multiplier_pct)
        .bind(now.0)
        .bind(id)
        .bind(input.program_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(tier_conflict)?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.tier)))?,
    };
    tx.commit().await?;
    reevaluate_after_edit(db, input.program_id).await?;
    Ok(Tier {
        id,
        program_id: input.program_id,
        name: v.name,
        threshold_points: v.threshold_points,
        multiplier_pct: v.multiplier_pct,
    })
}

/// Removes a tier. Its members (left without a tier) are re-evaluated at once and go to the
/// highest remaining tier they qualify for; others move down only as the program's review
/// allows.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn delete_tier(db: &Db, program_id: ProgramId, tier_id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    // Its members leave it now: recorded as a change, so the tier history (Insights' Tiers
    // page walks it) knows when; the review below moves them to the tier they qualify for.
    let changes: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO tier_changes (membership_id, from_tier, to_tier, from_tier_id, to_tier_id, direction, \
         reason, created_at) SELECT m.id, t.name, NULL, t.id, NULL, 'down', 'tier deleted', $3 \
         FROM memberships m JOIN tiers t ON t.id = m.tier_id WHERE t.id = $1 AND t.program_id = $2 RETURNING id",
    )
    .bind(tier_id)
    .bind(program_id)
    .bind(db.now().0)
    .fetch_all(&mut *tx)
    .await?;
    crate::server::store::rollups::enqueue(&mut tx, "tier", &changes).await?;
    let deleted = sqlx::query("DELETE FROM tiers WHERE id = $1 AND program_id = $2")
        .bind(tier_id)
        .bind(program_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(AppError::not_found(td_string!(
            current().locale,
            errors.what.tier
        )));
    }
    tx.commit().await?;
    reevaluate_after_edit(db, program_id).await
}

/// After its tiers changed, standings follow the new thresholds at once: up always, down as
/// the program's review allows (a monthly review keeps members in their tier until the 1st;
/// members of a deleted tier have none, so they go up to the tier they qualify for).
async fn reevaluate_after_edit(db: &Db, program_id: ProgramId) -> Result<(), AppError> {
    let program = programs::get(db, program_id).await?;
    let down = program.tier_review == "continuous";
    reevaluate_program(db, &program, db.now(), down).await?;
    Ok(())
}
