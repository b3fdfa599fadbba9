//! SQL of `message_templates`.

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::message::Channel;
use crate::model::template::MessageTemplate;
use crate::model::time::Timestamp;
use crate::server::db::{is_unique_violation, Db};
use sqlx::AnyConnection;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    program_id: ProgramId,
    name: String,
    channel: String,
    language: String,
    subject: String,
    body: String,
    updated_at: i64,
}

impl Row {
    fn template(self) -> Option<MessageTemplate> {
        Some(MessageTemplate {
            id: self.id,
            program_id: self.program_id,
            name: self.name,
            channel: Channel::parse(&self.channel)?,
            language: self.language,
            subject: self.subject,
            body: self.body,
            updated_at: Timestamp(self.updated_at),
        })
    }
}

const COLUMNS: &str = "id, program_id, name, channel, language, subject, body, updated_at";

/// A program's templates by name, channel and language.
pub async fn list(db: &Db, program: ProgramId) -> Result<Vec<MessageTemplate>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM message_templates WHERE program_id = $1 ORDER BY name, channel, language"
    ))
    .bind(program)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().filter_map(Row::template).collect())
}

pub async fn get(
    conn: &mut AnyConnection,
    program: ProgramId,
    id: i64,
) -> Result<Option<MessageTemplate>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM message_templates WHERE program_id = $1 AND id = $2"
    ))
    .bind(program)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.and_then(Row::template))
}

/// The versions of template `name` on `channel`, in every language written.
pub async fn versions(
    db: &Db,
    program: ProgramId,
    name: &str,
    channel: Channel,
) -> Result<Vec<MessageTemplate>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM message_templates WHERE program_id = $1 AND name = $2 AND channel = $3"
    ))
    .bind(program)
    .bind(name)
    .bind(channel.as_str())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().filter_map(Row::template).collect())
}

/// PostgreSQL's advisory lock space for templates: this, shifted, plus the program id.
const TEMPLATE_LOCK: i64 = 0x544D_504C; // "TMPL"

/// Takes the program's template lock until the caller's transaction ends, so a delete and
/// an activation checking the same template cannot both pass. SQLite's write transaction
/// already keeps every other writer out.
pub async fn lock(conn: &mut AnyConnection, program: ProgramId) -> Result<(), AppError> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind((TEMPLATE_LOCK << 32) | program.0)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// How many versions (languages) of template `name` on `channel` the program has besides
/// the one with id `except` (0: all of them).
pub async fn other_versions(
    conn: &mut AnyConnection,
    program: ProgramId,
    name: &str,
    channel: Channel,
    except: i64,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM message_templates \
         WHERE program_id = $1 AND name = $2 AND channel = $3 AND id <> $4",
    )
    .bind(program)
    .bind(name)
    .bind(channel.as_str())
    .bind(except)
    .fetch_one(&mut *conn)
    .await?)
}

/// Inserts (`t.id` 0) or updates a template on `conn` (the caller's transaction); None when
/// the name, channel and language are taken by another. The id saved.
pub async fn save(
    conn: &mut AnyConnection,
    t: &MessageTemplate,
    now: Timestamp,
) -> Result<Option<i64>, AppError> {
    let result = if t.id == 0 {
        sqlx::query_scalar(
            "INSERT INTO message_templates (program_id, name, channel, language, subject, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(t.program_id)
        .bind(&t.name)
        .bind(t.channel.as_str())
        .bind(&t.language)
        .bind(&t.subject)
        .bind(&t.body)
        .bind(now.0)
        .fetch_optional(&mut *conn)
        .await
    } else {
        sqlx::query_scalar(
            "UPDATE message_templates SET name = $1, channel = $2, language = $3, subject = $4, body = $5, \
             updated_at = $6 WHERE id = $7 AND program_id = $8 RETURNING id",
        )
        .bind(&t.name)
        .bind(t.channel.as_str())
        .bind(&t.language)
        .bind(&t.subject)
        .bind(&t.body)
        .bind(now.0)
        .bind(t.id)
        .bind(t.program_id)
        .fetch_optional(&mut *conn)
        .await
    };
    match result {
        Ok(Some(id)) => Ok(Some(id)),
        Ok(None) => Err(AppError::not_found(crate::i18n::td_string!(
            crate::domain::lang::current().locale,
            errors.what.template
        ))),
        Err(e) if is_unique_violation(&e, "message_templates_name", "message_templates.program_id") => {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(conn: &mut AnyConnection, program: ProgramId, id: i64) -> Result<bool, AppError> {
    let n = sqlx::query("DELETE FROM message_templates WHERE program_id = $1 AND id = $2")
        .bind(program)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}
