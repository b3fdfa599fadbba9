//! Daily KPI series. Days are UTC; grouping is integer division of epoch seconds, which reads
//! the same in SQLite and PostgreSQL.

use chrono::NaiveDate;

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::insights::{DailySeries, ProgramPoints};
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

/// New members per day: people on the day they first joined (a program, or with `program_id`
/// 0 any program), so someone in two programs counts once. A membership merged into another
/// counts through the one it was merged into, with the earlier of their dates: linking an old
/// card later neither makes its holder new again nor takes them off the day they joined.
/// (Merges point `merged_into` at the final membership, so one level is all there is.)
pub async fn enrollments(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    program_id: i64,
) -> Result<DailySeries, AppError> {
    let sql = "SELECT CAST(first_joined / 86400 AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM \
               (SELECT m.member_id, MIN(o.joined_at) AS first_joined FROM memberships m \
                JOIN memberships o ON o.id = m.id OR o.merged_into = m.id \
                WHERE m.merged_into IS NULL AND ($3 = 0 OR m.program_id = $3) GROUP BY m.member_id) firsts \
               WHERE first_joined >= $1 AND first_joined < $2 GROUP BY first_joined / 86400";
    daily(db, sql, from, to, program_id).await
}

/// Points issued (earned) per day in one program: points of different programs are different
/// units and are never added together.
pub async fn points_issued(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    program_id: ProgramId,
) -> Result<DailySeries, AppError> {
    // Issuance postings are negative (points leave the program's issuance accounts).
    let sql = "SELECT CAST(created_at / 86400 AS BIGINT), CAST(-SUM(points) AS BIGINT) FROM ledger_postings \
               WHERE account IN ('issuance', 'campaign') AND points < 0 AND created_at >= $1 AND created_at < $2 \
               AND program_id = $3 GROUP BY created_at / 86400";
    daily(db, sql, from, to, program_id.get()).await
}

/// Points issued in the range by each program (or the one chosen), each in its own unit.
pub async fn points_by_program(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    program_id: i64,
) -> Result<Vec<ProgramPoints>, AppError> {
    let (start, end) = bounds(from, to);
    let rows: Vec<(ProgramId, String, String, i64)> = sqlx::query_as(
        "SELECT p.id, p.name, p.currency_name, CAST(COALESCE(-SUM(l.points), 0) AS BIGINT) FROM programs p \
         LEFT JOIN ledger_postings l ON l.program_id = p.id AND l.account IN ('issuance', 'campaign') \
         AND l.points < 0 AND l.created_at >= $1 AND l.created_at < $2 \
         WHERE ($3 = 0 OR p.id = $3) GROUP BY p.id, p.name, p.currency_name ORDER BY p.name",
    )
    .bind(start)
    .bind(end)
    .bind(program_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(program_id, name, unit, points)| ProgramPoints {
            program_id,
            name,
            unit,
            points,
        })
        .collect())
}

/// (id, name) of every program, for the Insights filter.
pub async fn program_names(db: &Db) -> Result<Vec<(ProgramId, String)>, AppError> {
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
