//! Surveys and their answers: the SQL of `surveys` and `survey_answers`.

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::survey::{Frequency, Survey};
use crate::model::time::Timestamp;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    program_id: ProgramId,
    program_name: String,
    question: String,
    frequency: String,
    active: i64,
    created_at: i64,
    answers: i64,
}

impl From<Row> for Survey {
    fn from(r: Row) -> Self {
        Survey {
            id: r.id,
            program_id: r.program_id,
            program_name: r.program_name,
            question: r.question,
            frequency: Frequency::parse(&r.frequency).unwrap_or(Frequency::Once),
            active: r.active != 0,
            created_at: Timestamp(r.created_at),
            answers: r.answers,
        }
    }
}

const SELECT: &str = "SELECT s.id, s.program_id, p.name AS program_name, s.question, s.frequency, s.active, \
     s.created_at, CAST((SELECT COUNT(*) FROM survey_answers a WHERE a.survey_id = s.id) AS BIGINT) AS answers \
     FROM surveys s JOIN programs p ON p.id = s.program_id";

/// Every survey, open ones first, newest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Survey>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{SELECT} ORDER BY s.active DESC, s.id DESC"))
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.into_iter().map(Survey::from).collect())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Survey>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(Survey::from))
}

/// Closes the program's open survey, if any (inside the caller's transaction).
pub async fn close_open(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    now: Timestamp,
) -> Result<(), AppError> {
    sqlx::query("UPDATE surveys SET active = 0, closed_at = $2 WHERE program_id = $1 AND active = 1")
        .bind(program_id)
        .bind(now.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn insert(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    question: &str,
    frequency: Frequency,
    now: Timestamp,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO surveys (program_id, question, frequency, active, created_at) \
         VALUES ($1, $2, $3, 1, $4) RETURNING id",
    )
    .bind(program_id)
    .bind(question)
    .bind(frequency.as_str())
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await?)
}

/// Opens (`active`) or closes a survey; false when there is no such survey.
pub async fn set_active(
    conn: &mut AnyConnection,
    id: i64,
    active: bool,
    now: Timestamp,
) -> Result<bool, AppError> {
    let closed_at = (!active).then_some(now.0);
    Ok(
        sqlx::query("UPDATE surveys SET active = $2, closed_at = $3 WHERE id = $1")
            .bind(id)
            .bind(i64::from(active))
            .bind(closed_at)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            > 0,
    )
}

/// The program's open survey: (id, frequency, when it opened).
pub async fn open_in(
    conn: &mut AnyConnection,
    program_id: ProgramId,
) -> Result<Option<(i64, Frequency, Timestamp)>, AppError> {
    let row: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, frequency, created_at FROM surveys WHERE program_id = $1 AND active = 1 ORDER BY id DESC LIMIT 1",
    )
    .bind(program_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.and_then(|(id, f, at)| Frequency::parse(&f).map(|f| (id, f, Timestamp(at)))))
}

/// Locks the program's row on PostgreSQL (SQLite's writer is alone already), so two
/// managers opening surveys at once take turns and one survey stays open.
pub async fn lock_program(conn: &mut AnyConnection, program_id: ProgramId) -> Result<(), AppError> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM programs WHERE id = $1 FOR UPDATE")
            .bind(program_id)
            .fetch_optional(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The open surveys of a member's programs: (survey, program, program name, question,
/// frequency, membership).
#[allow(clippy::type_complexity)]
pub async fn open_for_member(
    conn: &mut AnyConnection,
    member_id: crate::model::ids::MemberId,
) -> Result<Vec<(i64, ProgramId, String, String, String, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.program_id, p.name, s.question, s.frequency, m.id FROM surveys s \
         JOIN programs p ON p.id = s.program_id \
         JOIN memberships m ON m.program_id = s.program_id AND m.member_id = $1 \
         WHERE s.active = 1 ORDER BY p.name",
    )
    .bind(member_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Whether the membership (or one merged into it) has answered the survey in the period.
pub async fn answered(
    conn: &mut AnyConnection,
    survey_id: i64,
    membership_id: i64,
    period: &str,
) -> Result<bool, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM survey_answers WHERE membership_id IN \
         (SELECT id FROM memberships WHERE id = $1 OR merged_into = $1) AND survey_id = $2 AND period = $3 LIMIT 1",
    )
    .bind(membership_id)
    .bind(survey_id)
    .bind(period)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// An answer to keep, with what the dashboard slices it by.
pub struct NewAnswer<'a> {
    pub survey_id: i64,
    pub program_id: ProgramId,
    pub membership_id: i64,
    pub period: &'a str,
    pub score: i64,
    pub comment: Option<&'a str>,
    pub channel: &'a str,
    pub store_id: Option<i64>,
    pub tier_id: Option<i64>,
    pub transaction_id: i64,
    pub answered_at: Timestamp,
}

pub async fn insert_answer(conn: &mut AnyConnection, a: &NewAnswer<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO survey_answers (survey_id, program_id, membership_id, period, score, comment, channel, \
         store_id, tier_id, transaction_id, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(a.survey_id)
    .bind(a.program_id)
    .bind(a.membership_id)
    .bind(a.period)
    .bind(a.score)
    .bind(a.comment)
    .bind(a.channel)
    .bind(a.store_id)
    .bind(a.tier_id)
    .bind(a.transaction_id)
    .bind(a.answered_at.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO survey_days (program_id, day, channel, store_id, tier_id, score, answers, comments) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7) ON CONFLICT (program_id, day, channel, store_id, tier_id, score) \
         DO UPDATE SET answers = survey_days.answers + 1, comments = survey_days.comments + excluded.comments",
    )
    .bind(a.program_id)
    .bind(a.answered_at.0.div_euclid(86_400))
    .bind(a.channel)
    .bind(a.store_id.unwrap_or(0))
    .bind(a.tier_id.unwrap_or(0))
    .bind(a.score)
    .bind(i64::from(a.comment.is_some()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// survey_days' rows as the answers add up (what the rebuild compares and writes).
const ANSWER_COUNTS: &str =
    "SELECT program_id, CAST(answered_at / 86400 AS BIGINT), channel, COALESCE(store_id, 0), \
     COALESCE(tier_id, 0), score, CAST(COUNT(*) AS BIGINT), \
     CAST(SUM(CASE WHEN comment IS NULL THEN 0 ELSE 1 END) AS BIGINT) FROM survey_answers \
     GROUP BY program_id, CAST(answered_at / 86400 AS BIGINT), channel, COALESCE(store_id, 0), \
     COALESCE(tier_id, 0), score";

/// A survey_days row: (program, day, channel, store or 0, tier or 0, score) and its
/// (answers, comments).
pub type AnswerDay = ((i64, i64, String, i64, i64, i64), (i64, i64));

/// survey_days as stored (`recount`: as the answers add up), every row.
pub async fn answer_days(conn: &mut AnyConnection, recount: bool) -> Result<Vec<AnswerDay>, AppError> {
    let sql = if recount {
        ANSWER_COUNTS
    } else {
        "SELECT program_id, day, channel, store_id, tier_id, score, answers, comments FROM survey_days"
    };
    type Row = (i64, i64, String, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(sql).fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(p, d, c, s, t, score, n, comments)| ((p, d, c, s, t, score), (n, comments)))
        .collect())
}

/// Replaces survey_days with the answers' counts.
pub async fn recount_days(conn: &mut AnyConnection) -> Result<(), AppError> {
    sqlx::query("DELETE FROM survey_days").execute(&mut *conn).await?;
    sqlx::query(&format!(
        "INSERT INTO survey_days (program_id, day, channel, store_id, tier_id, score, answers, comments) \
         {ANSWER_COUNTS}"
    ))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The filters of a Satisfaction query, as SQL conditions on `survey_answers a` from
/// parameter `$3` on (`$1`, `$2`: the time range), and what they bind. Only the conditions
/// set are written, so each query can use the (program, time) index.
pub struct AnswerFilter {
    pub program_id: Option<i64>,
    pub channel: Option<String>,
    pub store_id: Option<i64>,
    pub tier_id: Option<i64>,
}

impl AnswerFilter {
    fn sql(&self) -> String {
        let mut n = 2;
        let mut next = || {
            n += 1;
            n
        };
        let mut out = String::new();
        if self.program_id.is_some() {
            out += &format!(" AND a.program_id = ${}", next());
        }
        if self.channel.is_some() {
            out += &format!(" AND a.channel = ${}", next());
        }
        if self.store_id.is_some() {
            out += &format!(" AND a.store_id = ${}", next());
        }
        if self.tier_id.is_some() {
            out += &format!(" AND a.tier_id = ${}", next());
        }
        out
    }

    fn bind<'q, O>(
        &'q self,
        mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        if let Some(p) = self.program_id {
            q = q.bind(p);
        }
        if let Some(c) = &self.channel {
            q = q.bind(c.as_str());
        }
        if let Some(s) = self.store_id {
            q = q.bind(s);
        }
        if let Some(t) = self.tier_id {
            q = q.bind(t);
        }
        q
    }
}

/// Answers of `from..to` (epoch seconds, whole UTC days) per UTC day, channel, tier and
/// score: (day, channel, tier id, score, count), from survey_days (a few rows a day,
/// however many members).
#[allow(clippy::type_complexity)]
pub async fn counts(
    conn: &mut AnyConnection,
    filter: &AnswerFilter,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(i64, String, Option<i64>, i64, i64)>, AppError> {
    let sql = format!(
        "SELECT a.day, a.channel, a.tier_id, a.score, CAST(SUM(a.answers) AS BIGINT) \
         FROM survey_days a WHERE a.day >= $1 AND a.day < $2{} \
         GROUP BY a.day, a.channel, a.tier_id, a.score",
        filter.sql()
    );
    let q = sqlx::query_as(&sql)
        .bind(from.0.div_euclid(86_400))
        .bind(to.0.div_euclid(86_400));
    let rows: Vec<(i64, String, i64, i64, i64)> = filter.bind(q).fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(day, channel, tier, score, n)| (day, channel, (tier != 0).then_some(tier), score, n))
        .collect())
}

/// Every tier's name, and its program's: (tier id, tier, program).
pub async fn tier_names(conn: &mut AnyConnection) -> Result<Vec<(i64, String, String)>, AppError> {
    Ok(
        sqlx::query_as("SELECT t.id, t.name, p.name FROM tiers t JOIN programs p ON p.id = t.program_id")
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// The newest answers of `from..to` with a comment (at most `limit`), and how many there are.
pub async fn comments(
    conn: &mut AnyConnection,
    filter: &AnswerFilter,
    from: Timestamp,
    to: Timestamp,
    limit: i64,
) -> Result<(Vec<crate::model::survey::SurveyComment>, i64), AppError> {
    let conditions = filter.sql();
    let sql = format!(
        "SELECT a.answered_at, p.name, a.score, a.channel, t.name, a.comment FROM survey_answers a \
         JOIN programs p ON p.id = a.program_id LEFT JOIN tiers t ON t.id = a.tier_id \
         WHERE a.answered_at >= $1 AND a.answered_at < $2 AND a.comment IS NOT NULL{conditions} \
         ORDER BY a.answered_at DESC, a.id DESC LIMIT {limit}"
    );
    let q = sqlx::query_as(&sql).bind(from.0).bind(to.0);
    let rows: Vec<(i64, String, i64, String, Option<String>, String)> =
        filter.bind(q).fetch_all(&mut *conn).await?;
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(a.comments), 0) AS BIGINT) FROM survey_days a \
         WHERE a.day >= $1 AND a.day < $2{conditions}"
    );
    let q = sqlx::query_as(&sql)
        .bind(from.0.div_euclid(86_400))
        .bind(to.0.div_euclid(86_400));
    let (total,): (i64,) = filter.bind(q).fetch_one(&mut *conn).await?;
    Ok((
        rows.into_iter()
            .map(
                |(at, program_name, score, channel, tier, comment)| crate::model::survey::SurveyComment {
                    answered_at: Timestamp(at),
                    program_name,
                    score,
                    channel,
                    tier,
                    comment,
                },
            )
            .collect(),
        total,
    ))
}
