//! `push_devices`: the push tokens apps register for their members.

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::ids::MemberId;
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

/// Registers `token` for `member` (again: it is seen now; another member's: it moves to this
/// one, as a phone that changes hands), then forgets the member's devices beyond the newest
/// `MAX_PUSH_DEVICES`. In the caller's transaction.
pub async fn register(
    conn: &mut AnyConnection,
    member: MemberId,
    token: &str,
    platform: Platform,
    now: Timestamp,
) -> Result<PushDevice, AppError> {
    let row: Row = sqlx::query_as(
        "INSERT INTO push_devices (member_id, token, platform, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (token) DO UPDATE SET member_id = excluded.member_id, platform = excluded.platform, \
         last_seen_at = excluded.last_seen_at, \
         created_at = CASE WHEN push_devices.member_id = excluded.member_id THEN push_devices.created_at ELSE excluded.created_at END \
         RETURNING id, platform, token, created_at, last_seen_at",
    )
    .bind(member)
    .bind(token)
    .bind(platform.as_str())
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM push_devices WHERE member_id = $1 AND id NOT IN (SELECT id FROM push_devices \
         WHERE member_id = $1 ORDER BY last_seen_at DESC, id DESC LIMIT $2)",
    )
    .bind(member)
    .bind(MAX_PUSH_DEVICES)
    .execute(&mut *conn)
    .await?;
    Ok(device(row))
}

/// The member's devices, most recently seen first.
pub async fn of_member(conn: &mut AnyConnection, member: MemberId) -> Result<Vec<PushDevice>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, platform, token, created_at, last_seen_at FROM push_devices WHERE member_id = $1 \
         ORDER BY last_seen_at DESC, id DESC",
    )
    .bind(member)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(device).collect())
}

/// Forgets one of the member's devices; false when the member has no such device.
pub async fn remove(conn: &mut AnyConnection, member: MemberId, id: i64) -> Result<bool, AppError> {
    Ok(
        sqlx::query("DELETE FROM push_devices WHERE id = $1 AND member_id = $2")
            .bind(id)
            .bind(member)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1,
    )
}
