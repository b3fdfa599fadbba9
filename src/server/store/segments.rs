//! Segments, their members over time (spans) and each program's segment state (RFM cuts,
//! how far the summaries were looked at).

use sqlx::AnyConnection;

use crate::domain::segments::RfmCuts;
use crate::error::AppError;
use crate::model::segment::{Definition, Segment};
use crate::model::time::Timestamp;
use crate::server::db::{params, values};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    program_id: i64,
    name: String,
    definition: String,
    members: i64,
    refreshed_at: Option<i64>,
    updated_at: i64,
}

const COLUMNS: &str = "id, program_id, name, definition, members, refreshed_at, updated_at";

fn segment(r: Row) -> Result<Segment, AppError> {
    let definition: Definition = serde_json::from_str(&r.definition).map_err(|e| {
        tracing::error!(segment = r.id, error = %e, "unreadable segment definition");
        AppError::Internal
    })?;
    Ok(Segment {
        id: r.id,
        program_id: r.program_id,
        name: r.name,
        definition,
        members: r.members,
        refreshed_at: r.refreshed_at.map(Timestamp),
        updated_at: Timestamp(r.updated_at),
    })
}

fn json(d: &Definition) -> Result<String, AppError> {
    serde_json::to_string(d).map_err(|_| AppError::Internal)
}

/// A program's segments (not deleted), by name.
pub async fn list(conn: &mut AnyConnection, program_id: i64) -> Result<Vec<Segment>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM segments WHERE program_id = $1 AND deleted_at IS NULL ORDER BY name, id"
    ))
    .bind(program_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(segment).collect()
}

/// One segment (not deleted).
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Segment>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM segments WHERE id = $1 AND deleted_at IS NULL"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(segment).transpose()
}

/// Whether another live segment of the program has this name.
pub async fn name_taken(
    conn: &mut AnyConnection,
    program_id: i64,
    name: &str,
    except: Option<i64>,
) -> Result<bool, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM segments WHERE program_id = $1 AND name = $2 AND deleted_at IS NULL AND id <> $3",
    )
    .bind(program_id)
    .bind(name)
    .bind(except.unwrap_or(0))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// Adds a segment; its id.
pub async fn insert(
    conn: &mut AnyConnection,
    program_id: i64,
    name: &str,
    d: &Definition,
    now: i64,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO segments (program_id, name, definition, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(program_id)
    .bind(name)
    .bind(json(d)?)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?)
}

/// Gives a segment a new name and definition; false when there is no such live segment
/// in the program.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    program_id: i64,
    name: &str,
    d: &Definition,
    now: i64,
) -> Result<bool, AppError> {
    let n = sqlx::query(
        "UPDATE segments SET name = $1, definition = $2, updated_at = $3 \
         WHERE id = $4 AND program_id = $5 AND deleted_at IS NULL",
    )
    .bind(name)
    .bind(json(d)?)
    .bind(now)
    .bind(id)
    .bind(program_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Marks a segment deleted and closes its open spans; false when there was none.
pub async fn delete(conn: &mut AnyConnection, id: i64, now: i64) -> Result<bool, AppError> {
    let n =
        sqlx::query("UPDATE segments SET deleted_at = $1, members = 0 WHERE id = $2 AND deleted_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    sqlx::query("UPDATE segment_spans SET left_at = $1 WHERE segment_id = $2 AND left_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(n == 1)
}

/// Locks a live segment for its refresh (on PostgreSQL the row stays locked until the
/// transaction ends, so two refreshes of one segment take turns); its `updated_at`, or None
/// when it is gone.
pub async fn claim(conn: &mut AnyConnection, id: i64) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "UPDATE segments SET members = members WHERE id = $1 AND deleted_at IS NULL RETURNING updated_at",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Adds `delta` (entered less left) to the segment's size.
pub async fn grow(conn: &mut AnyConnection, id: i64, delta: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE segments SET members = members + $1 WHERE id = $2")
        .bind(delta)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The open spans of the memberships (of all segments), for the booking pipeline: pairs of
/// (membership, segment).
pub async fn of_memberships(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(i64, i64)>, AppError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(400) {
        let sql = format!(
            "SELECT membership_id, segment_id FROM segment_spans WHERE left_at IS NULL AND membership_id IN ({})",
            params(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
        for m in chunk {
            q = q.bind(m);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// The segment's members now (open spans), in id order.
pub async fn current(conn: &mut AnyConnection, id: i64) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT membership_id FROM segment_spans WHERE segment_id = $1 AND left_at IS NULL ORDER BY membership_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Which of `ids` are in the segment now.
pub async fn current_of(conn: &mut AnyConnection, id: i64, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(400) {
        let sql = format!(
            "SELECT membership_id FROM segment_spans WHERE segment_id = $1 AND left_at IS NULL \
             AND membership_id IN ({})",
            params(2, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(id);
        for m in chunk {
            q = q.bind(m);
        }
        found.extend(q.fetch_all(&mut *conn).await?);
    }
    found.sort_unstable();
    Ok(found)
}

/// Opens a span for each of `ids` at `now` (a member who left in this same second is back in
/// the span they left).
pub async fn enter(conn: &mut AnyConnection, id: i64, ids: &[i64], now: i64) -> Result<(), AppError> {
    for chunk in ids.chunks(300) {
        let sql = format!(
            "INSERT INTO segment_spans (segment_id, membership_id, entered_at) VALUES {} \
             ON CONFLICT (segment_id, membership_id, entered_at) DO UPDATE SET left_at = NULL",
            values(chunk.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for m in chunk {
            q = q.bind(id).bind(m).bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Closes the open spans of `ids` at `now`.
pub async fn leave(conn: &mut AnyConnection, id: i64, ids: &[i64], now: i64) -> Result<(), AppError> {
    for chunk in ids.chunks(400) {
        let sql = format!(
            "UPDATE segment_spans SET left_at = $1 WHERE segment_id = $2 AND left_at IS NULL \
             AND membership_id IN ({})",
            params(3, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(now).bind(id);
        for m in chunk {
            q = q.bind(m);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Sets the segment's size and when it was last evaluated in full.
pub async fn set_size(
    conn: &mut AnyConnection,
    id: i64,
    members: i64,
    refreshed_at: Option<i64>,
) -> Result<(), AppError> {
    sqlx::query("UPDATE segments SET members = $1, refreshed_at = COALESCE($2, refreshed_at) WHERE id = $3")
        .bind(members)
        .bind(refreshed_at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The live segments a membership is in now (the booking pipeline's read).
pub async fn of_membership(conn: &mut AnyConnection, membership_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT segment_id FROM segment_spans WHERE membership_id = $1 AND left_at IS NULL ORDER BY segment_id",
    )
    .bind(membership_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// The segments a membership was in at `at` (deleted ones too: they were real then).
pub async fn of_membership_at(
    conn: &mut AnyConnection,
    membership_id: i64,
    at: i64,
) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT segment_id FROM segment_spans WHERE membership_id = $1 AND entered_at <= $2 \
         AND (left_at IS NULL OR left_at > $2) ORDER BY segment_id",
    )
    .bind(membership_id)
    .bind(at)
    .fetch_all(&mut *conn)
    .await?)
}

/// The segment's members at `at`, in id order.
pub async fn members_at(conn: &mut AnyConnection, id: i64, at: i64) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT membership_id FROM segment_spans WHERE segment_id = $1 AND entered_at <= $2 \
         AND (left_at IS NULL OR left_at > $2) ORDER BY membership_id",
    )
    .bind(id)
    .bind(at)
    .fetch_all(&mut *conn)
    .await?)
}

/// A program's segment state: the RFM cuts, the fold count looked at, the last full refresh.
pub struct State {
    pub cuts: RfmCuts,
    pub fold_seq: i64,
    pub refreshed_at: i64,
}

pub async fn state(conn: &mut AnyConnection, program_id: i64) -> Result<Option<State>, AppError> {
    let row: Option<(String, i64, i64)> =
        sqlx::query_as("SELECT cuts, fold_seq, refreshed_at FROM segment_state WHERE program_id = $1")
            .bind(program_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.and_then(|(cuts, fold_seq, refreshed_at)| {
        Some(State {
            cuts: serde_json::from_str(&cuts).ok()?,
            fold_seq,
            refreshed_at,
        })
    }))
}

pub async fn set_state(conn: &mut AnyConnection, program_id: i64, s: &State) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO segment_state (program_id, cuts, fold_seq, refreshed_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (program_id) DO UPDATE SET cuts = excluded.cuts, fold_seq = excluded.fold_seq, \
         refreshed_at = excluded.refreshed_at",
    )
    .bind(program_id)
    .bind(serde_json::to_string(&s.cuts).map_err(|_| AppError::Internal)?)
    .bind(s.fold_seq)
    .bind(s.refreshed_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves the fold count looked at forward (never back).
pub async fn set_fold_seq(conn: &mut AnyConnection, program_id: i64, fold_seq: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE segment_state SET fold_seq = $1 WHERE program_id = $2 AND fold_seq < $1")
        .bind(fold_seq)
        .bind(program_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Programs with live segments, with their last full refresh (None: never).
pub async fn programs(conn: &mut AnyConnection) -> Result<Vec<(i64, Option<i64>)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT s.program_id, MAX(t.refreshed_at) FROM segments s \
         LEFT JOIN segment_state t ON t.program_id = s.program_id \
         WHERE s.deleted_at IS NULL GROUP BY s.program_id ORDER BY s.program_id",
    )
    .fetch_all(&mut *conn)
    .await?)
}
