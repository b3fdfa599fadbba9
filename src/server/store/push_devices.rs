//! `push_devices`: the push tokens a program's app registers for its members (each program's
//! devices are its own).

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::ids::{MemberId, ProgramId};
use crate::model::message::{Platform, PushDevice, MAX_PUSH_DEVICES};
use crate::model::time::Timestamp;

type Row = (i64, String, String, i64, i64);

fn device((id, platform, token, created_at, last_seen_at): Row) -> PushDevice {
    PushDevice {
        id,
        // The column's CHECK holds it to the three names.
        platform: Platform::parse(&platform).unwrap_or(Platform::Web),
        token,
        registered_at: Timestamp(created_at),
        last_seen_at: Timestamp(last_seen_at),
    }
}

/// Registers `token` for `member` in `program` (again: it is seen now; another member's: it
/// moves to this one, as a phone that changes hands), then forgets the member's devices
/// beyond the newest `MAX_PUSH_DEVICES`. In the caller's transaction.
pub async fn register(
    conn: &mut AnyConnection,
    program: ProgramId,
    member: MemberId,
    token: &str,
    platform: Platform,
    now: Timestamp,
) -> Result<PushDevice, AppError> {
    let row: Row = sqlx::query_as(
        "INSERT INTO push_devices (program_id, member_id, token, platform, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (program_id, token) DO UPDATE SET member_id = excluded.member_id, \
         platform = excluded.platform, last_seen_at = excluded.last_seen_at, \
         created_at = CASE WHEN push_devices.member_id = excluded.member_id THEN push_devices.created_at ELSE excluded.created_at END \
         RETURNING id, platform, token, created_at, last_seen_at",
    )
    .bind(program)
    .bind(member)
    .bind(token)
    .bind(platform.as_str())
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM push_devices WHERE program_id = $1 AND member_id = $2 AND id NOT IN (SELECT id FROM push_devices \
         WHERE program_id = $1 AND member_id = $2 ORDER BY last_seen_at DESC, id DESC LIMIT $3)",
    )
    .bind(program)
    .bind(member)
    .bind(MAX_PUSH_DEVICES)
    .execute(&mut *conn)
    .await?;
    Ok(device(row))
}

/// The member's devices in `program`, most recently seen first.
pub async fn of_member(
    conn: &mut AnyConnection,
    program: ProgramId,
    member: MemberId,
) -> Result<Vec<PushDevice>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, platform, token, created_at, last_seen_at FROM push_devices WHERE program_id = $1 \
         AND member_id = $2 ORDER BY last_seen_at DESC, id DESC",
    )
    .bind(program)
    .bind(member)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(device).collect())
}

/// Forgets one of the member's devices in `program`; false when they have no such device.
pub async fn remove(
    conn: &mut AnyConnection,
    program: ProgramId,
    member: MemberId,
    id: i64,
) -> Result<bool, AppError> {
    Ok(
        sqlx::query("DELETE FROM push_devices WHERE id = $1 AND program_id = $2 AND member_id = $3")
            .bind(id)
            .bind(program)
            .bind(member)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Forgets the member's `tokens` in `program` (a provider said they reach no device): how
/// many there were. A token that moved to another member since it was sent stays theirs.
pub async fn forget_tokens(
    conn: &mut AnyConnection,
    program: ProgramId,
    member: MemberId,
    tokens: &[String],
) -> Result<u64, AppError> {
    let mut gone = 0;
    for token in tokens {
        gone +=
            sqlx::query("DELETE FROM push_devices WHERE program_id = $1 AND member_id = $2 AND token = $3")
                .bind(program)
                .bind(member)
                .bind(token)
                .execute(&mut *conn)
                .await?
                .rows_affected();
    }
    Ok(gone)
}

/// Moves every device of `from` to `to` (a merge: the surviving profile gets the pushes).
pub async fn move_all(conn: &mut AnyConnection, from: MemberId, to: MemberId) -> Result<(), AppError> {
    sqlx::query("UPDATE push_devices SET member_id = $1 WHERE member_id = $2")
        .bind(to)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
