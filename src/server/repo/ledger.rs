//! The points ledger. Each entry is appended in the same transaction that moves the
//! membership's balance, and carries the balance it leaves behind; the schema refuses
//! updates and deletes of entries.

use crate::domain::{currency, earning, forms, tiers, validate};
use crate::error::AppError;
use crate::model::member::PurchaseInput;
use crate::model::member::PurchaseReceipt;
use crate::model::program::multiplier_label;
use crate::model::time::Timestamp;
use crate::server::db::{is_unique_violation, Db};

use super::{members, programs};

/// (entry id, points, balance after, explanation) of an entry already booked.
type Booked = (i64, i64, i64, String);

/// The entry a purchase request booked before, if any: how a retry finds its first answer.
async fn booked_for_request(
    conn: &mut sqlx::AnyConnection,
    membership_id: i64,
    request_id: &str,
) -> Result<Option<Booked>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, points, balance_after, description FROM ledger_entries \
         WHERE membership_id = $1 AND request_id = $2",
    )
    .bind(membership_id)
    .bind(request_id)
    .fetch_optional(&mut *conn)
    .await
}

/// One ledger movement to book.
pub struct NewEntry<'a> {
    pub membership_id: i64,
    pub kind: &'a str,
    pub points: i64,
    pub channel: &'a str,
    pub amount_minor: Option<i64>,
    pub reference: Option<&'a str>,
    pub description: &'a str,
    pub recorded_by: Option<i64>,
    pub request_id: Option<&'a str>,
    pub at: Timestamp,
}

/// Moves the membership's balance (and lifetime points for earnings) and appends the entry
/// with the balance it leaves, inside the caller's transaction. Returns (entry id, balance).
pub async fn append(conn: &mut sqlx::AnyConnection, e: &NewEntry<'_>) -> Result<(i64, i64), sqlx::Error> {
    let earned = if e.points > 0 && e.kind == "earn" {
        e.points
    } else {
        0
    };
    let balance: i64 = sqlx::query_scalar(
        "UPDATE memberships SET balance = balance + $1, lifetime_points = lifetime_points + $2 WHERE id = $3 RETURNING balance",
    )
    .bind(e.points)
    .bind(earned)
    .bind(e.membership_id)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_entries (membership_id, kind, points, balance_after, channel, amount_minor, reference, \
         description, recorded_by, request_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(e.membership_id)
    .bind(e.kind)
    .bind(e.points)
    .bind(balance)
    .bind(e.channel)
    .bind(e.amount_minor)
    .bind(e.reference)
    .bind(e.description)
    .bind(e.recorded_by)
    .bind(e.request_id)
    .bind(e.at.0)
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, balance))
}

/// Channel of purchases recorded at the staff desk.
pub const CHANNEL_STORE: &str = "store";

/// Records an in-store purchase and awards its points: "N points per currency unit x tier
/// multiplier". Joins the member to the program if needed. Retrying with the same
/// `request_id` returns the first receipt and writes nothing.
#[tracing::instrument(skip(db, input), fields(member_id = input.member_id, program_id = input.program_id), err(level = "debug"))]
pub async fn record_purchase(
    db: &Db,
    recorded_by: i64,
    input: &PurchaseInput,
) -> Result<PurchaseReceipt, AppError> {
    let request_id = forms::request_id(&input.request_id)?;
    let program = programs::get(db, input.program_id)
        .await
        .map_err(|_| AppError::field("program_id", "Choose a program."))?;
    let amount_minor =
        validate::amount(&input.amount, &program.currency_code).map_err(|m| AppError::field("amount", m))?;
    let reference = validate::reference(&input.reference).map_err(|m| AppError::field("reference", m))?;
    let member = members::get(db, input.member_id).await?;
    let program_tiers = programs::tiers(db, program.id).await?;
    let now = Timestamp::now();

    let mut tx = db.begin_write().await?;
    let membership_id = members::join_in(&mut tx, member.id, program.id, now).await?;

    let replay = |(entry_id, points, balance, explanation): Booked| PurchaseReceipt {
        entry_id,
        member_name: member.name.clone(),
        points,
        balance,
        currency_name: program.currency_name.clone(),
        explanation,
        replayed: true,
    };
    if let Some(earlier) = booked_for_request(&mut tx, membership_id, &request_id).await? {
        return Ok(replay(earlier));
    }

    // A no-op update takes the row lock (PostgreSQL) before reading the standing, so the tier
    // used for this purchase is the one in force when it is booked. SQLite already holds the
    // write lock from BEGIN IMMEDIATE.
    let (_, lifetime): (i64, i64) = sqlx::query_as(
        "UPDATE memberships SET balance = balance WHERE id = $1 RETURNING balance, lifetime_points",
    )
    .bind(membership_id)
    .fetch_one(&mut *tx)
    .await?;
    let (tier, _, _) = tiers::standing(&program_tiers, lifetime);
    let multiplier = tier.as_ref().map(|t| t.multiplier_pct).unwrap_or(100);
    let points = earning::points_for_purchase(
        amount_minor,
        currency::minor_per_unit(&program.currency_code),
        program.points_per_unit,
        multiplier,
    );
    let explanation = earning::explain(
        &currency::format_minor(amount_minor, &program.currency_code),
        program.points_per_unit,
        &program.currency_code,
        &multiplier_label(multiplier),
        tier.as_ref().map(|t| t.name.as_str()),
        points,
        &program.currency_name,
    );

    let inserted = append(
        &mut tx,
        &NewEntry {
            membership_id,
            kind: "earn",
            points,
            channel: CHANNEL_STORE,
            amount_minor: Some(amount_minor),
            reference: reference.as_deref(),
            description: &explanation,
            recorded_by: Some(recorded_by),
            request_id: Some(&request_id),
            at: now,
        },
    )
    .await;
    let (entry_id, balance) = match inserted {
        Ok(booked) => booked,
        // The same request committed concurrently (PostgreSQL): drop ours, answer with theirs.
        Err(e)
            if is_unique_violation(
                &e,
                "ledger_entries_request",
                "ledger_entries.membership_id, ledger_entries.request_id",
            ) =>
        {
            tx.rollback().await?;
            let mut conn = db.pool.acquire().await?;
            let theirs = booked_for_request(&mut conn, membership_id, &request_id).await?;
            return theirs.map(replay).ok_or(AppError::Internal);
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    tracing::info!(entry_id, points, balance, "purchase recorded");
    Ok(PurchaseReceipt {
        entry_id,
        member_name: member.name,
        points,
        balance,
        currency_name: program.currency_name,
        explanation,
        replayed: false,
    })
}
