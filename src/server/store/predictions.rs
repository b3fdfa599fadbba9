//! Predictive CLV's tables: each program's fits (`clv_fits`, the report as JSON) and each
//! member's prediction (`member_predictions`).

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::insights::{AtRisk, CustomerValue};

/// A member's prediction: (membership, p_alive, expected purchases in a year, CLV in minor
/// units, net spend so far in minor units).
pub type Prediction = (i64, f64, f64, i64, i64);

/// Claims the program's next fit, unless another is running (claimed less than an hour ago,
/// `wall` being this server's wall clock in seconds): the fit's number, or None.
pub async fn claim_run(
    conn: &mut AnyConnection,
    program_id: i64,
    wall: i64,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO clv_runs (program_id, run, claimed_at) VALUES ($1, 1, $2) \
         ON CONFLICT (program_id) DO UPDATE SET run = clv_runs.run + 1, claimed_at = excluded.claimed_at \
         WHERE clv_runs.claimed_at < $3 RETURNING run",
    )
    .bind(program_id)
    .bind(wall)
    .bind(wall - CLAIM_SECONDS)
    .fetch_optional(&mut *conn)
    .await?)
}

/// How long a claimed fit keeps others off: far longer than a fit takes, so an older claim is
/// one whose server died mid-fit.
pub const CLAIM_SECONDS: i64 = 3_600;

/// Ends fit `run`'s claim.
pub async fn release_run(conn: &mut AnyConnection, program_id: i64, run: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE clv_runs SET claimed_at = 0 WHERE program_id = $1 AND run = $2")
        .bind(program_id)
        .bind(run)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether fit `run` still holds the program's claim (another takes it over after an hour);
/// on PostgreSQL the claim's row stays locked until the transaction ends, so no other fit
/// takes it over while this one writes.
pub async fn still_claimed(conn: &mut AnyConnection, program_id: i64, run: i64) -> Result<bool, AppError> {
    let held =
        sqlx::query("UPDATE clv_runs SET run = run WHERE program_id = $1 AND run = $2 AND claimed_at <> 0")
            .bind(program_id)
            .bind(run)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    Ok(held == 1)
}

/// Removes the program's predictions of memberships after `after` up to `upto` that fit
/// `run` did not write (merged away or no longer scored since the last fit).
pub async fn delete_other_runs(
    conn: &mut AnyConnection,
    program_id: i64,
    run: i64,
    after: i64,
    upto: i64,
) -> Result<u64, AppError> {
    Ok(sqlx::query(
        "DELETE FROM member_predictions WHERE membership_id > $3 AND membership_id <= $4 \
         AND program_id = $1 AND fit_run <> $2",
    )
    .bind(program_id)
    .bind(run)
    .bind(after)
    .bind(upto)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// What an upsert sets on a membership already predicted.
const UPSERT_SET: &str = " ON CONFLICT (membership_id) DO UPDATE SET program_id = excluded.program_id, \
     p_alive_ppm = excluded.p_alive_ppm, expected_milli = excluded.expected_milli, \
     clv_minor = excluded.clv_minor, historical_minor = excluded.historical_minor, \
     fit_run = excluded.fit_run";

/// A prediction's stored integers: (membership, P(alive) in millionths, expected purchases in
/// thousandths, CLV, net spend so far).
fn stored(p: &Prediction) -> (i64, i64, i64, i64, i64) {
    let &(membership, p_alive, expected, clv, historical) = p;
    (
        membership,
        (p_alive * 1e6).round() as i64,
        (expected * 1e3).round() as i64,
        clv,
        historical,
    )
}

/// Writes these members' predictions over their last ones, as fit `run`'s. Binding six
/// parameters a row through the Any driver cost 29.5 s for a million rows where SQLite's own
/// work is 3.6 s, so SQLite is given the values as integer literals (each an i64 formatted
/// here, nothing from outside), 1,000 rows to a statement; PostgreSQL, which spends as long
/// parsing and planning such a statement as running it, one prepared statement that splits a
/// single text parameter of the batch's integers (46 ms for 5,000 rows, against 20-30 ms per
/// 1,000 as literals).
pub async fn upsert(
    conn: &mut AnyConnection,
    program_id: i64,
    run: i64,
    predictions: &[Prediction],
) -> Result<(), AppError> {
    use std::fmt::Write;
    if predictions.is_empty() {
        return Ok(());
    }
    if conn.backend_name() == "PostgreSQL" {
        let mut rows = String::with_capacity(predictions.len() * 32);
        for (i, p) in predictions.iter().enumerate() {
            let (membership, ppm, milli, clv, historical) = stored(p);
            let sep = if i == 0 { "" } else { ";" };
            // Writing to a String cannot fail.
            let _ = write!(rows, "{sep}{membership} {ppm} {milli} {clv} {historical}");
        }
        let sql = format!(
            "INSERT INTO member_predictions (membership_id, program_id, p_alive_ppm, expected_milli, clv_minor, \
             historical_minor, fit_run) SELECT a[1], $2, a[2], a[3], a[4], a[5], $3 FROM \
             (SELECT CAST(string_to_array(r, ' ') AS BIGINT[]) AS a FROM unnest(string_to_array($1, ';')) AS r) x{UPSERT_SET}"
        );
        sqlx::query(&sql)
            .bind(rows)
            .bind(program_id)
            .bind(run)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    for chunk in predictions.chunks(1_000) {
        let mut sql = String::with_capacity(64 + chunk.len() * 48);
        sql.push_str(
            "INSERT INTO member_predictions (membership_id, program_id, p_alive_ppm, expected_milli, clv_minor, \
             historical_minor, fit_run) VALUES ",
        );
        for (i, p) in chunk.iter().enumerate() {
            let (membership, ppm, milli, clv, historical) = stored(p);
            let sep = if i == 0 { "" } else { ", " };
            // Writing to a String cannot fail.
            let _ = write!(
                sql,
                "{sep}({membership}, {program_id}, {ppm}, {milli}, {clv}, {historical}, {run})"
            );
        }
        sql.push_str(UPSERT_SET);
        // Not kept prepared: each statement's text is used once.
        sqlx::query(&sql).persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records a fit's report.
pub async fn record_fit(
    conn: &mut AnyConnection,
    program_id: i64,
    fitted_at: i64,
    report: &CustomerValue,
) -> Result<(), AppError> {
    let json = serde_json::to_string(report).map_err(|_| AppError::Internal)?;
    sqlx::query("INSERT INTO clv_fits (program_id, fitted_at, report) VALUES ($1, $2, $3)")
        .bind(program_id)
        .bind(fitted_at)
        .bind(json)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The program's last fit.
pub async fn last_fit(conn: &mut AnyConnection, program_id: i64) -> Result<Option<CustomerValue>, AppError> {
    let json: Option<String> = sqlx::query_scalar(
        "SELECT report FROM clv_fits WHERE program_id = $1 ORDER BY fitted_at DESC, id DESC LIMIT 1",
    )
    .bind(program_id)
    .fetch_optional(&mut *conn)
    .await?;
    match json {
        Some(j) => Ok(Some(serde_json::from_str(&j).map_err(|e| {
            tracing::error!(error = %e, program_id, "unreadable CLV fit");
            AppError::Internal
        })?)),
        None => Ok(None),
    }
}

/// When the program was last fitted.
pub async fn last_fitted_at(conn: &mut AnyConnection, program_id: i64) -> Result<Option<i64>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT MAX(fitted_at) FROM clv_fits WHERE program_id = $1")
            .bind(program_id)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// Members unlikely to be active (P(alive) under 50 %, the partial index's condition), the
/// most valuable first.
pub async fn at_risk(conn: &mut AnyConnection, program_id: i64, limit: i64) -> Result<Vec<AtRisk>, AppError> {
    let rows: Vec<(i64, String, i64, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT mb.id, mb.name, p.p_alive_ppm, p.historical_minor, p.clv_minor, s.last_buy_day \
         FROM member_predictions p JOIN memberships m ON m.id = p.membership_id \
         JOIN members mb ON mb.id = m.member_id LEFT JOIN member_stats s ON s.membership_id = p.membership_id \
         WHERE p.program_id = $1 AND p.p_alive_ppm < 500000 ORDER BY p.historical_minor DESC LIMIT $2",
    )
    .bind(program_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(member_id, name, ppm, historical_minor, clv_minor, last)| AtRisk {
                member_id,
                name,
                p_alive: ppm as f64 / 1e6,
                historical_minor,
                clv_minor,
                last_purchase: last
                    .and_then(|d| chrono::DateTime::from_timestamp(d * 86_400, 0))
                    .map(|t| t.date_naive().to_string())
                    .unwrap_or_default(),
            },
        )
        .collect())
}

/// The program's memberships that hold a tier, and its id: two integers a row, as a million
/// rows of names cost seconds through the Any driver.
pub async fn tier_ids(conn: &mut AnyConnection, program_id: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, tier_id FROM memberships WHERE program_id = $1 AND tier_id IS NOT NULL")
            .bind(program_id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// The program's tiers' names by id.
pub async fn tier_names(conn: &mut AnyConnection, program_id: i64) -> Result<Vec<(i64, String)>, AppError> {
    Ok(sqlx::query_as("SELECT id, name FROM tiers WHERE program_id = $1")
        .bind(program_id)
        .fetch_all(&mut *conn)
        .await?)
}

/// The program's memberships merged into others: (membership id, member id).
pub async fn merged_away(conn: &mut AnyConnection, program_id: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, member_id FROM memberships WHERE program_id = $1 AND merged_into IS NOT NULL",
    )
    .bind(program_id)
    .fetch_all(&mut *conn)
    .await?)
}
