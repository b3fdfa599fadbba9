//! Daily KPI series. Days are UTC; grouping is integer division of epoch seconds, which reads
//! the same in SQLite and PostgreSQL.

use chrono::NaiveDate;

use crate::error::AppError;
use crate::model::insights::DailySeries;
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::Db;

/// Zero-fills `rows` of (epoch day, value) over `from..=to`.
fn fill(from: NaiveDate, to: NaiveDate, rows: Vec<(i64, i64)>) -> DailySeries {
    let first = Timestamp::start_of(from).0 / SECONDS_PER_DAY;
    let n = (to - from).num_days() + 1;
    let mut values = vec![0; n as usize];
    for (day, v) in rows {
        if let Some(slot) = usize::try_from(day - first).ok().and_then(|i| values.get_mut(i)) {
            *slot += v;
        }
    }
    let days = (0..n)
        .map(|i| (from + chrono::Duration::days(i)).format("%Y-%m-%d").to_string())
        .collect();
    DailySeries { days, values }
}

fn bounds(from: NaiveDate, to: NaiveDate) -> (i64, i64) {
    (
        Timestamp::start_of(from).0,
        Timestamp::start_of(to).0 + SECONDS_PER_DAY,
    )
}

/// Runs a query of (epoch day, value) rows bound to ($1 start, $2 end, $3 program id) and
/// zero-fills the result over the range.
async fn daily(
    db: &Db,
    sql: &str,
    from: NaiveDate,
    to: NaiveDate,
    program_id: i64,
) -> Result<DailySeries, AppError> {
    let (start, end) = bounds(from, to);
    let rows: Vec<(i64, i64)> = sqlx::query_as(sql)
        .bind(start)
        .bind(end)
        .bind(program_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(fill(from, to, rows))
}

/// Members enrolled per day; `program_id` 0 means every program.
pub async fn enrollments(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    program_id: i64,
) -> Result<DailySeries, AppError> {
    let sql = "SELECT CAST(joined_at / 86400 AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM memberships \
               WHERE joined_at >= $1 AND joined_at < $2 AND ($3 = 0 OR program_id = $3) AND merged_into IS NULL \
               GROUP BY joined_at / 86400";
    daily(db, sql, from, to, program_id).await
}

/// Points issued (earned) per day; `program_id` 0 means every program.
pub async fn points_issued(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    program_id: i64,
) -> Result<DailySeries, AppError> {
    // Issuance postings are negative (points leave the program's issuance accounts).
    let sql = "SELECT CAST(created_at / 86400 AS BIGINT), CAST(-SUM(points) AS BIGINT) FROM ledger_postings \
               WHERE account IN ('issuance', 'campaign') AND points < 0 AND created_at >= $1 AND created_at < $2 \
               AND ($3 = 0 OR program_id = $3) GROUP BY created_at / 86400";
    daily(db, sql, from, to, program_id).await
}

/// (id, name) of every program, for the Insights filter.
pub async fn program_names(db: &Db) -> Result<Vec<(crate::model::ids::ProgramId, String)>, AppError> {
    Ok(sqlx::query_as("SELECT id, name FROM programs ORDER BY name")
        .fetch_all(&db.pool)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_places_values_on_their_days_and_ignores_outsiders() {
        let from = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 11, 3).unwrap();
        let d0 = Timestamp::start_of(from).0 / SECONDS_PER_DAY;
        let s = fill(from, to, vec![(d0, 2), (d0 + 2, 5), (d0 + 3, 9), (d0 - 1, 7)]);
        assert_eq!(s.days, vec!["2026-11-01", "2026-11-02", "2026-11-03"]);
        assert_eq!(s.values, vec![2, 0, 5]);
        assert_eq!(s.total(), 7);
    }
}
