//! SQL of the `messages` outbox beyond writing and claiming (`outbox::messages`): holding and
//! suppressing, the portal's inbox, the development mailbox, and each program's
//! `message_settings`.

use crate::error::AppError;
use crate::model::ids::{MemberId, ProgramId, UserId};
use crate::model::message::{
    Channel, DeliveryCount, FailedMessage, HoldReason, Inbox, InboxMessage, KeptEmail, MemberMessage,
    MessageSettings, MessageStatus,
};
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::outbox::Lease;
use sqlx::AnyConnection;

/// Whose messages a count or list reads: a program's, or one campaign's.
#[derive(Debug, Clone, Copy)]
pub enum Of {
    Program(ProgramId),
    Campaign(i64),
}

impl Of {
    fn column(self) -> &'static str {
        match self {
            Of::Program(_) => "program_id",
            Of::Campaign(_) => "campaign_id",
        }
    }

    fn id(self) -> i64 {
        match self {
            Of::Program(p) => p.0,
            Of::Campaign(c) => c,
        }
    }
}

/// Suppresses campaign messages not yet sent (nor being sent) whose campaign has ended or was
/// stopped by `now`: an offer told after it ended misleads. In the caller's transaction.
pub async fn suppress_ended_offers(conn: &mut AnyConnection, now: Timestamp) -> Result<u64, AppError> {
    Ok(sqlx::query(
        "UPDATE messages SET status = 'suppressed', reason = 'offer_ended' WHERE status = 'pending' \
         AND delivered_at IS NULL AND campaign_id IN (SELECT id FROM campaigns WHERE state = 'stopped' OR ends_at <= $1)",
    )
    .bind(now.0)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Whether a campaign's message comes too late: its campaign was stopped or has ended by
/// `now` (messages of no campaign never are).
pub async fn offer_ended(
    conn: &mut AnyConnection,
    campaign: Option<i64>,
    now: Timestamp,
) -> Result<bool, AppError> {
    let Some(campaign) = campaign else {
        return Ok(false);
    };
    let live: Option<i64> =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE id = $1 AND state = 'launched' AND ends_at > $2")
            .bind(campaign)
            .bind(now.0)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(live.is_none())
}

/// Reserves a claimed message for sending: its `delivered_at` counts towards caps while it
/// is sent (a failed attempt clears it). False when the lease was lost.
pub async fn reserve(conn: &mut AnyConnection, lease: Lease, now: Timestamp) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE messages SET delivered_at = $1, reason = NULL WHERE id = $2 AND status = 'pending' \
         AND next_attempt_at = $3",
    )
    .bind(now.0)
    .bind(lease.id)
    .bind(lease.until)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// Holds a claimed message back until `until`, saying why (caps, quiet hours).
pub async fn hold(
    conn: &mut AnyConnection,
    lease: Lease,
    until: Timestamp,
    why: HoldReason,
) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE messages SET next_attempt_at = $1, reason = $2, held = held + 1 WHERE id = $3 \
         AND status = 'pending' AND next_attempt_at = $4",
    )
    .bind(until.0)
    .bind(why.as_str())
    .bind(lease.id)
    .bind(lease.until)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// Marks a claimed message as never to be sent, and why.
pub async fn suppress(conn: &mut AnyConnection, lease: Lease, why: HoldReason) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE messages SET status = 'suppressed', reason = $1, next_attempt_at = $2 WHERE id = $3 \
         AND status = 'pending' AND next_attempt_at = $4",
    )
    .bind(why.as_str())
    .bind(lease.at.0)
    .bind(lease.id)
    .bind(lease.until)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// Suppresses the messages under `keys` not yet sent (an account email whose link is no
/// longer needed), in the caller's transaction.
pub async fn suppress_unsent(
    conn: &mut AnyConnection,
    keys: &[String],
    why: HoldReason,
) -> Result<(), AppError> {
    for key in keys {
        sqlx::query("UPDATE messages SET status = 'suppressed', reason = $1 WHERE dedupe_key = $2 AND status = 'pending'")
            .bind(why.as_str())
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Suppresses `user`'s messages of `kind` not yet sent (reset emails to an address the
/// account no longer signs in with), in the caller's transaction.
pub async fn suppress_unsent_of(
    conn: &mut AnyConnection,
    user: UserId,
    kind: &str,
    why: HoldReason,
) -> Result<(), AppError> {
    sqlx::query("UPDATE messages SET status = 'suppressed', reason = $1 WHERE user_id = $2 AND kind = $3 AND status = 'pending'")
        .bind(why.as_str())
        .bind(user)
        .bind(kind)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces a message's text (the development mailbox keeps the reset link it was sent with).
pub async fn set_body(db: &Db, id: i64, body: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE messages SET body = $1 WHERE id = $2")
        .bind(body)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn set_unsubscribe_hash(db: &Db, id: i64, hash: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE messages SET unsubscribe_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The member an unsubscribe token's message went to.
pub async fn unsubscriber(db: &Db, hash: &str) -> Result<Option<(MemberId, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT member_id, language FROM messages WHERE unsubscribe_hash = $1 AND member_id IS NOT NULL",
    )
    .bind(hash)
    .fetch_optional(&db.pool)
    .await?)
}

/// When messages that count towards caps were sent (or are being sent) to `member` on
/// `channel` since `since`: across the brand's programs, as caps are brand-wide.
pub async fn sent_times(
    conn: &mut AnyConnection,
    member: MemberId,
    channel: Channel,
    since: Timestamp,
) -> Result<Vec<Timestamp>, AppError> {
    let rows: Vec<i64> = sqlx::query_scalar(
        "SELECT delivered_at FROM messages WHERE member_id = $1 AND channel = $2 AND status IN ('sent', 'pending') \
         AND topic <> 'service' AND delivered_at >= $3",
    )
    .bind(member)
    .bind(channel.as_str())
    .bind(since.0)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(Timestamp).collect())
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    time_zone: String,
    quiet_start: Option<i64>,
    quiet_end: Option<i64>,
    cap_day: Option<i64>,
    cap_week: Option<i64>,
    cap_month: Option<i64>,
    min_gap_minutes: i64,
}

/// A program's messaging settings (the defaults until a manager saves some).
pub async fn settings(db: &Db, program: ProgramId) -> Result<MessageSettings, AppError> {
    let row: Option<SettingsRow> = sqlx::query_as(
        "SELECT time_zone, quiet_start, quiet_end, cap_day, cap_week, cap_month, min_gap_minutes \
         FROM message_settings WHERE program_id = $1",
    )
    .bind(program)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else {
        return Ok(MessageSettings::default());
    };
    let cap = |c: Option<i64>| c.map(|c| c.clamp(0, i64::from(u32::MAX)) as u32);
    Ok(MessageSettings {
        time_zone: r.time_zone,
        quiet_hours: match (r.quiet_start, r.quiet_end) {
            (Some(s), Some(e)) => Some((s.clamp(0, 1439) as u16, e.clamp(0, 1439) as u16)),
            _ => None,
        },
        cap_day: cap(r.cap_day),
        cap_week: cap(r.cap_week),
        cap_month: cap(r.cap_month),
        min_gap_minutes: r.min_gap_minutes.clamp(0, i64::from(u32::MAX)) as u32,
    })
}

/// Saves a program's messaging settings (validated by the caller).
pub async fn save_settings(db: &Db, program: ProgramId, s: &MessageSettings) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO message_settings (program_id, time_zone, quiet_start, quiet_end, cap_day, cap_week, cap_month, \
         min_gap_minutes, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (program_id) DO UPDATE SET time_zone = excluded.time_zone, quiet_start = excluded.quiet_start, \
         quiet_end = excluded.quiet_end, cap_day = excluded.cap_day, cap_week = excluded.cap_week, \
         cap_month = excluded.cap_month, min_gap_minutes = excluded.min_gap_minutes, updated_at = excluded.updated_at",
    )
    .bind(program)
    .bind(&s.time_zone)
    .bind(s.quiet_hours.map(|q| i64::from(q.0)))
    .bind(s.quiet_hours.map(|q| i64::from(q.1)))
    .bind(s.cap_day.map(i64::from))
    .bind(s.cap_week.map(i64::from))
    .bind(s.cap_month.map(i64::from))
    .bind(i64::from(s.min_gap_minutes))
    .bind(db.now().0)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A member's inbox: the newest `limit` messages sent to it, and how many are unread.
pub async fn inbox(db: &Db, member: MemberId, limit: i64) -> Result<Inbox, AppError> {
    let rows: Vec<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, subject, body, delivered_at, read_at FROM messages \
         WHERE member_id = $1 AND channel = 'in_app' AND status = 'sent' ORDER BY delivered_at DESC, id DESC LIMIT $2",
    )
    .bind(member)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let unread: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE member_id = $1 AND channel = 'in_app' AND status = 'sent' \
         AND read_at IS NULL",
    )
    .bind(member)
    .fetch_one(&db.pool)
    .await?;
    Ok(Inbox {
        messages: rows
            .into_iter()
            .map(|(id, subject, body, at, read_at)| InboxMessage {
                id,
                subject,
                body,
                at: Timestamp(at),
                read: read_at.is_some(),
            })
            .collect(),
        unread,
    })
}

/// Marks a member's inbox messages read: one (`id`), or all. Another member's message is
/// not touched. How many were marked.
pub async fn mark_read(db: &Db, member: MemberId, id: Option<i64>, now: Timestamp) -> Result<u64, AppError> {
    let mut tx = db.begin_write().await?;
    let n = sqlx::query(
        "UPDATE messages SET read_at = $1 WHERE member_id = $2 AND channel = 'in_app' AND status = 'sent' \
         AND read_at IS NULL AND ($3 = 0 OR id = $3)",
    )
    .bind(now.0)
    .bind(member)
    .bind(id.unwrap_or(0))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// The newest emails sent (in development, where they stay in the mailbox).
pub async fn mailbox(db: &Db, limit: i64) -> Result<Vec<KeptEmail>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, recipient, subject, body, delivered_at FROM messages WHERE channel = 'email' AND status = 'sent' \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// What a program's messages did: counts by kind, channel, state and reason.
pub async fn counts(db: &Db, of: Of) -> Result<Vec<DeliveryCount>, AppError> {
    let rows: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(&format!(
        "SELECT kind, channel, status, reason, COUNT(*) FROM messages WHERE {} = $1 \
         GROUP BY kind, channel, status, reason ORDER BY kind, channel, status, reason",
        of.column()
    ))
    .bind(of.id())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, channel, status, reason, count)| {
            Some(DeliveryCount {
                kind,
                channel: Channel::parse(&channel)?,
                status: MessageStatus::parse(&status)?,
                reason: reason.as_deref().and_then(HoldReason::parse),
                count,
            })
        })
        .collect())
}

/// A program's newest failed messages, with the last error.
/// The newest `limit` messages of `member` in `program`.
pub async fn of_member(
    db: &Db,
    program: ProgramId,
    member: MemberId,
    limit: i64,
) -> Result<Vec<MemberMessage>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        created_at: i64,
        kind: String,
        channel: String,
        subject: String,
        status: String,
        reason: Option<String>,
        attempts: i64,
        last_error: Option<String>,
        delivered_at: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, created_at, kind, channel, subject, status, reason, attempts, last_error, delivered_at \
         FROM messages WHERE member_id = $1 AND program_id = $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(member)
    .bind(program)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let status = MessageStatus::parse(&r.status)?;
            Some(MemberMessage {
                id: r.id,
                created_at: Timestamp(r.created_at),
                kind: r.kind,
                channel: Channel::parse(&r.channel)?,
                subject: r.subject,
                status,
                // A reason stays once a message went; only one still waiting or suppressed has it.
                reason: r
                    .reason
                    .as_deref()
                    .and_then(HoldReason::parse)
                    .filter(|_| matches!(status, MessageStatus::Pending | MessageStatus::Suppressed)),
                attempts: r.attempts,
                error: r.last_error,
                // Sent: when; pending with a reservation is not yet delivered.
                delivered_at: r
                    .delivered_at
                    .filter(|_| status == MessageStatus::Sent)
                    .map(Timestamp),
            })
        })
        .collect())
}

pub async fn failed(db: &Db, of: Of, limit: i64) -> Result<Vec<FailedMessage>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        member_id: Option<i64>,
        recipient: String,
        channel: String,
        kind: String,
        attempts: i64,
        last_error: Option<String>,
        next_attempt_at: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT id, member_id, recipient, channel, kind, attempts, last_error, next_attempt_at FROM messages \
         WHERE {} = $1 AND status = 'failed' ORDER BY id DESC LIMIT $2",
        of.column()
    ))
    .bind(of.id())
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(FailedMessage {
                id: r.id,
                member_id: r.member_id,
                recipient: r.recipient,
                channel: Channel::parse(&r.channel)?,
                kind: r.kind,
                attempts: r.attempts,
                error: r.last_error.unwrap_or_default(),
                at: Timestamp(r.next_attempt_at),
            })
        })
        .collect())
}
