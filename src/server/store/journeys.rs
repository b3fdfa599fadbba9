//! SQL of `journeys`, `journey_entries` and `journey_passes`: journeys saved and listed, the
//! members each trigger lets in (one statement per journey, so a million members are looked
//! at in the database, not here), entries claimed, moved and counted.

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::ids::{MembershipId, ProgramId};
use crate::model::journey::{EntryState, Goal, Journey, JourneyStatus, Step, TriggerKind};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::{is_unique_violation, Backend, Db};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    program_id: ProgramId,
    name: String,
    trigger_kind: String,
    trigger_days: Option<i64>,
    reentry: i64,
    goal: String,
    steps: String,
    status: String,
    updated_at: i64,
}

impl Row {
    fn journey(self) -> Result<Journey, AppError> {
        let id = self.id;
        let bad = |what: &str| {
            tracing::error!(journey = id, what, "journey row unreadable");
            AppError::Internal
        };
        Ok(Journey {
            id: self.id,
            program_id: self.program_id,
            trigger: TriggerKind::parse(&self.trigger_kind).ok_or_else(|| bad("trigger"))?,
            trigger_days: self.trigger_days,
            reentry: self.reentry != 0,
            goal: Goal::parse(&self.goal).ok_or_else(|| bad("goal"))?,
            steps: serde_json::from_str::<Vec<Step>>(&self.steps).map_err(|_| bad("steps"))?,
            status: JourneyStatus::parse(&self.status).ok_or_else(|| bad("status"))?,
            updated_at: Timestamp(self.updated_at),
            name: self.name,
        })
    }
}

const COLUMNS: &str =
    "id, program_id, name, trigger_kind, trigger_days, reentry, goal, steps, status, updated_at";

/// A program's journeys by name.
pub async fn of_program(conn: &mut AnyConnection, program: ProgramId) -> Result<Vec<Journey>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM journeys WHERE program_id = $1 ORDER BY name"
    ))
    .bind(program)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(Row::journey).collect()
}

/// A program's journeys by name, with their entries counted.
pub async fn list(db: &Db, program: ProgramId) -> Result<Vec<(Journey, i64, i64, i64)>, AppError> {
    let journeys = of_program(&mut *db.pool.acquire().await?, program).await?;
    let mut out = Vec::with_capacity(journeys.len());
    for j in journeys {
        let (entered, active, converted): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'active' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN state = 'converted' THEN 1 ELSE 0 END), 0) \
             FROM journey_entries WHERE journey_id = $1",
        )
        .bind(j.id)
        .fetch_one(&db.pool)
        .await?;
        out.push((j, entered, active, converted));
    }
    Ok(out)
}

/// A journey of the program, with the highest step id it ever gave.
pub async fn get(
    conn: &mut AnyConnection,
    program: ProgramId,
    id: i64,
) -> Result<Option<(Journey, u32)>, AppError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT last_step_id FROM journeys WHERE program_id = $1 AND id = $2")
            .bind(program)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((last,)) = row else { return Ok(None) };
    let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM journeys WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some((row.journey()?, last.clamp(0, i64::from(u32::MAX)) as u32)))
}

/// An active journey with where its triggers were last looked at.
pub struct Running {
    pub journey: Journey,
    pub watermark: i64,
    pub evaluated_day: i64,
}

/// Every active journey.
pub async fn active(db: &Db) -> Result<Vec<Running>, AppError> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT id, watermark, evaluated_day FROM journeys WHERE status = 'active' ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, watermark, evaluated_day) in rows {
        let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM journeys WHERE id = $1"))
            .bind(id)
            .fetch_one(&db.pool)
            .await?;
        out.push(Running {
            journey: row.journey()?,
            watermark,
            evaluated_day,
        });
    }
    Ok(out)
}

/// Inserts (`j.id` 0) or updates a journey's definition; None when its name is taken.
pub async fn save(
    conn: &mut AnyConnection,
    j: &Journey,
    last_step_id: u32,
    now: Timestamp,
) -> Result<Option<i64>, AppError> {
    let steps = serde_json::to_string(&j.steps).map_err(|_| AppError::Internal)?;
    let result = if j.id == 0 {
        sqlx::query_scalar(
            "INSERT INTO journeys (program_id, name, trigger_kind, trigger_days, reentry, goal, steps, last_step_id, \
             status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $9) RETURNING id",
        )
        .bind(j.program_id)
        .bind(&j.name)
        .bind(j.trigger.as_str())
        .bind(j.trigger_days)
        .bind(i64::from(j.reentry))
        .bind(j.goal.as_str())
        .bind(&steps)
        .bind(i64::from(last_step_id))
        .bind(now.0)
        .fetch_optional(&mut *conn)
        .await
    } else {
        sqlx::query_scalar(
            "UPDATE journeys SET name = $1, trigger_kind = $2, trigger_days = $3, reentry = $4, goal = $5, steps = $6, \
             last_step_id = $7, updated_at = $8 WHERE id = $9 AND program_id = $10 RETURNING id",
        )
        .bind(&j.name)
        .bind(j.trigger.as_str())
        .bind(j.trigger_days)
        .bind(i64::from(j.reentry))
        .bind(j.goal.as_str())
        .bind(&steps)
        .bind(i64::from(last_step_id))
        .bind(now.0)
        .bind(j.id)
        .bind(j.program_id)
        .fetch_optional(&mut *conn)
        .await
    };
    match result {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e, "journeys_name", "journeys.program_id") => Ok(Some(0)),
        Err(e) => Err(e.into()),
    }
}

/// Sets a journey's status. Started, its triggers look only at what happens from `now`
/// (members who qualified before, or while it was paused, do not flood in) and its daily
/// triggers run at once.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: JourneyStatus,
    now: Timestamp,
) -> Result<(), AppError> {
    let sql = if status == JourneyStatus::Active {
        // Only a journey that was not running starts afresh (a second "Start" loses nothing).
        "UPDATE journeys SET status = $1, watermark = $2, evaluated_day = 0, updated_at = $2 WHERE id = $3 \
         AND status <> 'active'"
    } else {
        "UPDATE journeys SET status = $1, updated_at = $2 WHERE id = $3"
    };
    sqlx::query(sql)
        .bind(status.as_str())
        .bind(now.0)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes a journey nobody has entered; false when someone has.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool, AppError> {
    let entered: Option<i64> =
        sqlx::query_scalar("SELECT id FROM journey_entries WHERE journey_id = $1 LIMIT 1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    if entered.is_some() {
        return Ok(false);
    }
    sqlx::query("DELETE FROM journeys WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Records that events up to `to` were looked at, and (`day`) the daily triggers ran that day.
pub async fn mark(conn: &mut AnyConnection, id: i64, to: i64, day: Option<i64>) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE journeys SET watermark = $1, evaluated_day = COALESCE($2, evaluated_day) WHERE id = $3",
    )
    .bind(to)
    .bind(day)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What the trigger looks at, in one pass.
#[derive(Clone, Copy)]
pub struct Window<'a> {
    /// Events after this time...
    pub from: i64,
    /// ...up to and including this one (now).
    pub to: i64,
    /// Birthdays: the member's month and day ("03-14"), in the program's local today (two on
    /// 28 February of a year without a 29th).
    pub birthdays: &'a [String],
    /// The local year, for birthdays.
    pub year: i32,
}

/// The SELECT of (membership, occasion) that `j`'s trigger lets in now. Binds: $1 program,
/// $2 window start, $3 now, $4 the trigger's days in seconds, $5 and $6 the memberships'
/// id range (exclusive, inclusive); birthdays from $7.
fn candidates(j: &Journey, w: &Window) -> String {
    let open = "ms.merged_into IS NULL AND ms.program_id = $1 AND ms.id > $5 AND ms.id <= $6";
    match j.trigger {
        TriggerKind::Enrolled => format!(
            "SELECT ms.id AS membership_id, 'joined' AS occasion FROM memberships ms WHERE {open} AND ms.joined_at > $2 AND ms.joined_at <= $3"
        ),
        // The first order: one with no earlier order of the membership (same-second twins
        // enter once, by the occasion).
        TriggerKind::FirstPurchase => format!(
            "SELECT DISTINCT ms.id AS membership_id, 'first_order' AS occasion FROM orders o JOIN memberships ms ON ms.id = o.membership_id \
             WHERE {open} AND o.program_id = $1 AND o.created_at > $2 AND o.created_at <= $3 \
             AND NOT EXISTS (SELECT 1 FROM orders e WHERE e.membership_id = o.membership_id AND e.created_at < o.created_at)"
        ),
        // Once per lapse: the occasion is the last activity (or joining) they lapsed from.
        TriggerKind::Inactive => format!(
            "SELECT ms.id AS membership_id, 'lapsed:' || CAST(COALESCE(ms.last_activity_at, ms.joined_at) AS TEXT) AS occasion FROM memberships ms \
             WHERE {open} AND COALESCE(ms.last_activity_at, ms.joined_at) <= $3 - $4"
        ),
        TriggerKind::TierUp => format!(
            "SELECT ms.id AS membership_id, 'tier:' || CAST(c.id AS TEXT) AS occasion FROM tier_changes c JOIN memberships ms ON ms.id = c.membership_id \
             WHERE {open} AND c.direction = 'up' AND c.created_at > $2 AND c.created_at <= $3"
        ),
        // Once per expiry day (UTC), the first one due within the days.
        TriggerKind::PointsExpiring => format!(
            "SELECT ms.id AS membership_id, 'expiring:' || CAST(MIN(l.expires_at) / {SECONDS_PER_DAY} AS TEXT) AS occasion FROM point_lots l \
             JOIN memberships ms ON ms.id = l.membership_id \
             WHERE {open} AND l.remaining > 0 AND l.expires_at > $3 AND l.expires_at <= $3 + $4 GROUP BY ms.id"
        ),
        TriggerKind::Birthday => {
            let days: Vec<String> = (0..w.birthdays.len()).map(|i| format!("${}", i + 7)).collect();
            let days = if days.is_empty() { "NULL".to_string() } else { days.join(", ") };
            format!(
                "SELECT ms.id AS membership_id, 'birthday:{year}' AS occasion FROM members m JOIN memberships ms ON ms.member_id = m.id \
                 WHERE {open} AND m.merged_into IS NULL AND m.birth_date IS NOT NULL \
                 AND substr(m.birth_date, 6, 5) IN ({days})",
                year = w.year
            )
        }
        TriggerKind::Detractor => format!(
            "SELECT ms.id AS membership_id, 'answer:' || CAST(a.id AS TEXT) AS occasion FROM survey_answers a JOIN memberships ms ON ms.id = a.membership_id \
             WHERE {open} AND a.program_id = $1 AND a.score <= 6 AND a.answered_at > $2 AND a.answered_at <= $3"
        ),
        TriggerKind::Return => format!(
            "SELECT ms.id AS membership_id, 'return:' || CAST(t.id AS TEXT) AS occasion FROM ledger_transactions t JOIN memberships ms ON ms.id = t.membership_id \
             WHERE {open} AND t.program_id = $1 AND t.kind = 'return' AND t.created_at > $2 AND t.created_at <= $3"
        ),
        TriggerKind::RewardUnused => format!(
            "SELECT ms.id AS membership_id, 'reward:' || CAST(i.id AS TEXT) AS occasion FROM issued_rewards i JOIN memberships ms ON ms.id = i.membership_id \
             WHERE {open} AND i.status = 'issued' AND i.expires_at > $3 AND i.expires_at <= $3 + $4"
        ),
    }
}

/// Lets in the members `j`'s trigger names in `w` among memberships `ids` (after the first,
/// up to the second), each at the first step, due now. Without re-entry a member enters once
/// ever; with it, once per occasion and never while still in. How many entered.
pub async fn enter(
    conn: &mut AnyConnection,
    j: &Journey,
    w: &Window<'_>,
    ids: (i64, i64),
) -> Result<u64, AppError> {
    let Some(first) = j.steps.first() else {
        return Ok(0);
    };
    let pick = candidates(j, w);
    let occasion = if j.reentry { "c.occasion" } else { "'once'" };
    let n = w.birthdays.len();
    let sql = format!(
        "INSERT INTO journey_entries (journey_id, membership_id, occasion, state, step_id, due_at, step_at, entered_at) \
         SELECT ${j_}, c.membership_id, {occasion}, 'active', ${step}, $3, $3, $3 \
         FROM ({pick}) AS c \
         WHERE (SELECT status FROM journeys WHERE id = ${j_}) = 'active' AND NOT EXISTS (SELECT 1 FROM journey_entries e WHERE e.journey_id = ${j_} AND e.membership_id = c.membership_id \
         AND (e.state = 'active' OR e.occasion = {occasion})) \
         ON CONFLICT DO NOTHING",
        j_ = n + 7,
        step = n + 8,
    );
    let mut q = sqlx::query(&sql)
        .bind(j.program_id)
        .bind(w.from)
        .bind(w.to)
        .bind(j.trigger_days.unwrap_or(0) * SECONDS_PER_DAY)
        .bind(ids.0)
        .bind(ids.1);
    for d in w.birthdays {
        q = q.bind(d);
    }
    let done = q.bind(j.id).bind(i64::from(first.id)).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}

/// Members of the program who ordered after `from` (up to now, $1): only their entries are
/// looked at, however many wait. Binds $3 program, $4 from.
const ORDERED: &str = "membership_id IN (SELECT o.membership_id FROM orders o WHERE o.program_id = $3 \
     AND o.created_at > $4 AND o.created_at <= $1)";

/// Entries that reached the journey's purchase goal with an order after `from` leave,
/// converted. How many.
pub async fn convert(
    conn: &mut AnyConnection,
    j: &Journey,
    from: i64,
    now: Timestamp,
) -> Result<u64, AppError> {
    if j.goal != Goal::Purchase {
        return Ok(0);
    }
    let done = sqlx::query(&format!(
        "UPDATE journey_entries SET state = 'converted', step_id = NULL, due_at = NULL, left_at = $1 \
         WHERE journey_id = $2 AND state = 'active' AND {ORDERED} AND EXISTS (SELECT 1 FROM orders o \
         WHERE o.membership_id = journey_entries.membership_id AND o.created_at > journey_entries.entered_at \
         AND o.created_at <= $1)"
    ))
    .bind(now.0)
    .bind(j.id)
    .bind(j.program_id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Wakes the entries waiting at `step` for a purchase that came (after `from`).
pub async fn wake(
    conn: &mut AnyConnection,
    j: &Journey,
    step: u32,
    from: i64,
    now: Timestamp,
) -> Result<u64, AppError> {
    let done = sqlx::query(&format!(
        "UPDATE journey_entries SET due_at = $1 WHERE journey_id = $2 AND state = 'active' AND step_id = $5 \
         AND due_at > $1 AND {ORDERED} AND EXISTS (SELECT 1 FROM orders o WHERE o.membership_id = journey_entries.membership_id \
         AND o.created_at > journey_entries.step_at AND o.created_at <= $1)"
    ))
    .bind(now.0)
    .bind(j.id)
    .bind(j.program_id)
    .bind(from)
    .bind(i64::from(step))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// The program's lowest and highest membership ids (chunks of a daily evaluation).
pub async fn id_range(conn: &mut AnyConnection, program: ProgramId) -> Result<(i64, i64), AppError> {
    let (lo, hi): (Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT MIN(id), MAX(id) FROM memberships WHERE program_id = $1")
            .bind(program)
            .fetch_one(&mut *conn)
            .await?;
    Ok((lo.unwrap_or(0), hi.unwrap_or(0)))
}

/// An entry due to move.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub journey_id: i64,
    pub membership_id: i64,
    pub member_id: i64,
    pub step_id: Option<i64>,
    pub step_at: i64,
    pub entered_at: i64,
    /// The reward a step gave (for `{{ offer }}`).
    pub offer: Option<String>,
}

/// Up to `limit` entries of active journeys due at `now`, in membership order (two workers
/// then take members' locks in one order). On PostgreSQL they are locked, skipping any
/// another worker holds; on SQLite the write transaction already excludes other writers.
pub async fn due(
    conn: &mut AnyConnection,
    backend: Backend,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<Due>, AppError> {
    let lock = if backend == Backend::Postgres {
        " FOR UPDATE OF e SKIP LOCKED"
    } else {
        ""
    };
    let mut rows: Vec<Due> = sqlx::query_as(&format!(
        "SELECT e.id, e.journey_id, e.membership_id, ms.member_id, e.step_id, e.step_at, e.entered_at, e.offer \
         FROM journey_entries e JOIN journeys j ON j.id = e.journey_id JOIN memberships ms ON ms.id = e.membership_id \
         WHERE e.state = 'active' AND e.due_at <= $1 AND j.status = 'active' ORDER BY e.due_at, e.id LIMIT $2{lock}"
    ))
    .bind(now.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.sort_by_key(|r| (r.membership_id, r.id));
    Ok(rows)
}

/// Records that the entry passed `step` with `outcome` (once per step: journeys do not loop).
pub async fn pass(
    conn: &mut AnyConnection,
    entry: &Due,
    step: u32,
    outcome: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO journey_passes (entry_id, step_id, journey_id, outcome, at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(entry.id)
    .bind(i64::from(step))
    .bind(entry.journey_id)
    .bind(outcome)
    .bind(now.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Puts the entry at `step` (begun at `step_at`), looked at again at `due_at`.
pub async fn move_to(
    conn: &mut AnyConnection,
    entry: i64,
    step: u32,
    step_at: i64,
    due_at: i64,
) -> Result<(), AppError> {
    sqlx::query("UPDATE journey_entries SET step_id = $1, step_at = $2, due_at = $3 WHERE id = $4 AND state = 'active'")
        .bind(i64::from(step))
        .bind(step_at)
        .bind(due_at)
        .bind(entry)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Keeps the reward a step gave the entry, for the messages after it.
pub async fn set_offer(conn: &mut AnyConnection, entry: i64, offer: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE journey_entries SET offer = $1 WHERE id = $2")
        .bind(offer)
        .bind(entry)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Looks at the entry again at `at` (its step clashed, or its journey's steps are not at hand).
pub async fn defer(conn: &mut AnyConnection, entry: i64, at: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE journey_entries SET due_at = $1 WHERE id = $2 AND state = 'active'")
        .bind(at)
        .bind(entry)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The entry leaves the journey as `state`, with why when it left early.
pub async fn leave(
    conn: &mut AnyConnection,
    entry: i64,
    state: EntryState,
    note: Option<&str>,
    now: Timestamp,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE journey_entries SET state = $1, step_id = NULL, due_at = NULL, left_at = $2, note = $3 \
         WHERE id = $4 AND state = 'active'",
    )
    .bind(state.as_str())
    .bind(now.0)
    .bind(note)
    .bind(entry)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Entries by state.
pub async fn states(db: &Db, journey: i64) -> Result<Vec<(String, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT state, COUNT(*) FROM journey_entries WHERE journey_id = $1 GROUP BY state ORDER BY state",
    )
    .bind(journey)
    .fetch_all(&db.pool)
    .await?)
}

/// Memberships that entered the journey, each once however often it came back.
pub async fn members(db: &Db, journey: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(DISTINCT membership_id) AS BIGINT) FROM journey_entries WHERE journey_id = $1",
    )
    .bind(journey)
    .fetch_one(&db.pool)
    .await?)
}

/// A membership merged into another leaves the journeys it is in, with `note`: nothing more
/// is sent to or given the profile that is gone (the surviving one keeps its own places,
/// and a reversal does not bring these back).
pub async fn leave_all(
    conn: &mut AnyConnection,
    membership: MembershipId,
    note: &str,
    now: Timestamp,
) -> Result<u64, AppError> {
    Ok(sqlx::query(
        "UPDATE journey_entries SET state = 'exited', step_id = NULL, due_at = NULL, left_at = $1, note = $2 \
         WHERE membership_id = $3 AND state = 'active'",
    )
    .bind(now.0)
    .bind(note)
    .bind(membership)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Active entries by the step they are at.
pub async fn here(db: &Db, journey: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT step_id, COUNT(*) FROM journey_entries WHERE journey_id = $1 AND state = 'active' \
         GROUP BY step_id ORDER BY step_id",
    )
    .bind(journey)
    .fetch_all(&db.pool)
    .await?)
}

/// Passes by step and outcome.
pub async fn passes(db: &Db, journey: i64) -> Result<Vec<(i64, String, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT step_id, outcome, COUNT(*) FROM journey_passes WHERE journey_id = $1 \
         GROUP BY step_id, outcome ORDER BY step_id, outcome",
    )
    .bind(journey)
    .fetch_all(&db.pool)
    .await?)
}

/// The journey's messages by status, and the reasons they were held or suppressed.
pub async fn messages(db: &Db, journey: i64) -> Result<(Vec<(String, i64)>, Vec<(String, i64)>), AppError> {
    let statuses = sqlx::query_as(
        "SELECT status, COUNT(*) FROM messages WHERE journey_id = $1 GROUP BY status ORDER BY status",
    )
    .bind(journey)
    .fetch_all(&db.pool)
    .await?;
    let reasons = sqlx::query_as(
        "SELECT reason, COUNT(*) FROM messages WHERE journey_id = $1 AND reason IS NOT NULL \
         AND status IN ('pending', 'suppressed') GROUP BY reason ORDER BY reason",
    )
    .bind(journey)
    .fetch_all(&db.pool)
    .await?;
    Ok((statuses, reasons))
}
