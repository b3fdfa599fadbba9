//! Campaigns, the changes recorded once they are launched, and the rewards members claimed
//! from them.

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::campaign::{Campaign, CampaignEdit, CampaignMessage, CampaignState, Variant};
use crate::model::rules::Channel;
use crate::model::time::Timestamp;

/// A campaign's columns as written (what the form sets).
pub struct Fields<'a> {
    pub name: &'a str,
    pub segment_id: i64,
    pub channels: &'a [Channel],
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub holdout_pct: i64,
    pub variants: &'a [Variant],
    pub budget_points: Option<i64>,
    pub max_rewards: Option<i64>,
    pub message: Option<&'a CampaignMessage>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    program_id: i64,
    name: String,
    segment_id: i64,
    channels: String,
    starts_at: i64,
    ends_at: i64,
    holdout_pct: i64,
    variants: String,
    budget_points: Option<i64>,
    max_rewards: Option<i64>,
    rewards_given: i64,
    state: String,
    stopped_at: Option<i64>,
    updated_at: i64,
    points_given: i64,
    message: Option<String>,
}

/// Points given are what the campaign's rules awarded (`rule_awards`).
const COLUMNS: &str = "c.id, c.program_id, c.name, c.segment_id, c.channels, c.starts_at, c.ends_at, \
     c.holdout_pct, c.variants, c.budget_points, c.max_rewards, c.rewards_given, c.state, c.stopped_at, \
     c.updated_at, c.message, CAST((SELECT COALESCE(SUM(a.points), 0) FROM rule_awards a JOIN earning_rules r \
     ON r.id = a.rule_id WHERE r.campaign_id = c.id) AS BIGINT) AS points_given";

/// The same without the points given (0): for reads on every portal and Desk view.
const LIGHT_COLUMNS: &str = "c.id, c.program_id, c.name, c.segment_id, c.channels, c.starts_at, c.ends_at, \
     c.holdout_pct, c.variants, c.budget_points, c.max_rewards, c.rewards_given, c.state, c.stopped_at, \
     c.updated_at, c.message, CAST(0 AS BIGINT) AS points_given";

fn campaign(r: Row) -> Result<Campaign, AppError> {
    let variants: Vec<Variant> = serde_json::from_str(&r.variants).map_err(|e| {
        tracing::error!(campaign = r.id, error = %e, "unreadable campaign variants");
        AppError::Internal
    })?;
    let state = CampaignState::parse(&r.state).ok_or_else(|| {
        tracing::error!(campaign = r.id, state = r.state, "unknown campaign state");
        AppError::Internal
    })?;
    let message = match r.message.as_deref() {
        Some(json) => Some(serde_json::from_str(json).map_err(|e| {
            tracing::error!(campaign = r.id, error = %e, "unreadable campaign message");
            AppError::Internal
        })?),
        None => None,
    };
    Ok(Campaign {
        message,
        id: r.id,
        program_id: r.program_id,
        name: r.name,
        segment_id: r.segment_id,
        channels: r.channels.split_whitespace().filter_map(Channel::parse).collect(),
        starts_at: Timestamp(r.starts_at),
        ends_at: Timestamp(r.ends_at),
        holdout_pct: r.holdout_pct,
        variants,
        budget_points: r.budget_points,
        max_rewards: r.max_rewards,
        state,
        stopped_at: r.stopped_at.map(Timestamp),
        points_given: r.points_given,
        rewards_given: r.rewards_given,
        updated_at: Timestamp(r.updated_at),
    })
}

fn channels(list: &[Channel]) -> String {
    list.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" ")
}

fn variants_json(v: &[Variant]) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|_| AppError::Internal)
}

fn message_json(m: Option<&CampaignMessage>) -> Result<Option<String>, AppError> {
    m.map(|m| serde_json::to_string(m).map_err(|_| AppError::Internal))
        .transpose()
}

/// A program's campaigns, newest first.
pub async fn list(conn: &mut AnyConnection, program_id: i64) -> Result<Vec<Campaign>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM campaigns c WHERE c.program_id = $1 ORDER BY c.starts_at DESC, c.id DESC"
    ))
    .bind(program_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(campaign).collect()
}

/// A program's launched campaigns whose dates hold `at` and that were not stopped before it.
/// (Without their points given: read on every portal and Desk view.)
pub async fn live(
    conn: &mut AnyConnection,
    program_id: i64,
    at: Timestamp,
) -> Result<Vec<Campaign>, AppError> {
    let mut out = not_ended(conn, program_id, at).await?;
    out.retain(|c| c.starts_at <= at);
    Ok(out)
}

/// A program's launched campaigns that have not ended by `at` (scheduled ones too), without
/// their points given.
pub async fn not_ended(
    conn: &mut AnyConnection,
    program_id: i64,
    at: Timestamp,
) -> Result<Vec<Campaign>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {LIGHT_COLUMNS} FROM campaigns c WHERE c.program_id = $1 AND c.state = 'launched' \
         AND c.ends_at > $2 ORDER BY c.id"
    ))
    .bind(program_id)
    .bind(at.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(campaign).collect()
}

/// One campaign.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Campaign>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM campaigns c WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(campaign).transpose()
}

/// Whether another campaign of the program has this name.
pub async fn name_taken(
    conn: &mut AnyConnection,
    program_id: i64,
    name: &str,
    except: Option<i64>,
) -> Result<bool, AppError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE program_id = $1 AND name = $2 AND id <> $3")
            .bind(program_id)
            .bind(name)
            .bind(except.unwrap_or(0))
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// Creates a draft; returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    program_id: i64,
    f: &Fields<'_>,
    now: Timestamp,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO campaigns (program_id, name, segment_id, channels, starts_at, ends_at, holdout_pct, variants, \
         budget_points, max_rewards, message, state, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, 'draft', $11, $11) RETURNING id",
    )
    .bind(program_id)
    .bind(f.name)
    .bind(f.segment_id)
    .bind(channels(f.channels))
    .bind(f.starts_at.0)
    .bind(f.ends_at.0)
    .bind(f.holdout_pct)
    .bind(variants_json(f.variants)?)
    .bind(f.budget_points)
    .bind(f.max_rewards)
    .bind(now.0)
    .bind(message_json(f.message)?)
    .fetch_one(&mut *conn)
    .await?)
}

/// Writes the form's columns; false when the campaign was changed since `seen` (its
/// `updated_at` as read), so two editors never overwrite each other unseen. `updated_at`
/// moves on every write, by a second at least, so two writes in one second differ too.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    f: &Fields<'_>,
    seen: Timestamp,
    now: Timestamp,
) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE campaigns SET name = $1, segment_id = $2, channels = $3, starts_at = $4, ends_at = $5, \
         holdout_pct = $6, variants = $7, budget_points = $8, max_rewards = $9, message = $13, \
         updated_at = CASE WHEN $10 > updated_at THEN $10 ELSE updated_at + 1 END \
         WHERE id = $11 AND updated_at = $12",
    )
    .bind(f.name)
    .bind(f.segment_id)
    .bind(channels(f.channels))
    .bind(f.starts_at.0)
    .bind(f.ends_at.0)
    .bind(f.holdout_pct)
    .bind(variants_json(f.variants)?)
    .bind(f.budget_points)
    .bind(f.max_rewards)
    .bind(now.0)
    .bind(id)
    .bind(seen.0)
    .bind(message_json(f.message)?)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// Moves a launched campaign's start (to `now`, when it is launched after its first day began).
pub async fn set_start(conn: &mut AnyConnection, id: i64, starts_at: Timestamp) -> Result<(), AppError> {
    sqlx::query("UPDATE campaigns SET starts_at = $1 WHERE id = $2")
        .bind(starts_at.0)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves a campaign from one state to another; false when it was not in `from`.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    from: CampaignState,
    to: CampaignState,
    now: Timestamp,
) -> Result<bool, AppError> {
    let stopped = (to == CampaignState::Stopped).then_some(now.0);
    Ok(sqlx::query(
        "UPDATE campaigns SET state = $1, stopped_at = COALESCE($2, stopped_at), \
         updated_at = CASE WHEN $3 > updated_at THEN $3 ELSE updated_at + 1 END WHERE id = $4 AND state = $5",
    )
    .bind(to.as_str())
    .bind(stopped)
    .bind(now.0)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// Deletes a draft (nothing refers to one); false when it is not a draft.
pub async fn delete_draft(conn: &mut AnyConnection, id: i64) -> Result<bool, AppError> {
    Ok(
        sqlx::query("DELETE FROM campaigns WHERE id = $1 AND state = 'draft'")
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Records a change to a launched campaign.
pub async fn record_edit(
    conn: &mut AnyConnection,
    id: i64,
    user_id: Option<i64>,
    change: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO campaign_edits (campaign_id, user_id, change, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(user_id)
    .bind(change)
    .bind(now.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A campaign's recorded changes, oldest first.
pub async fn edits(conn: &mut AnyConnection, id: i64) -> Result<Vec<CampaignEdit>, AppError> {
    let rows: Vec<(i64, Option<String>, String)> = sqlx::query_as(
        "SELECT e.created_at, u.email, e.change FROM campaign_edits e LEFT JOIN users u ON u.id = e.user_id \
         WHERE e.campaign_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, by, change)| CampaignEdit {
            at: Timestamp(at),
            by,
            change,
        })
        .collect())
}

/// The name of a campaign that has not ended (a draft, or launched and not past its end)
/// and targets the segment, if any.
pub async fn open_for_segment(
    conn: &mut AnyConnection,
    segment_id: i64,
    now: Timestamp,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT name FROM campaigns WHERE segment_id = $1 \
         AND (state = 'draft' OR (state = 'launched' AND ends_at > $2)) ORDER BY id LIMIT 1",
    )
    .bind(segment_id)
    .bind(now.0)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Takes one of the campaign's rewards while it runs at `now`; false when it has handed out
/// all it may, or was stopped or ended meanwhile.
pub async fn take_reward(conn: &mut AnyConnection, id: i64, now: Timestamp) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE campaigns SET rewards_given = rewards_given + 1 \
         WHERE id = $1 AND state = 'launched' AND starts_at <= $2 AND ends_at > $2 \
         AND (max_rewards IS NULL OR rewards_given < max_rewards)",
    )
    .bind(id)
    .bind(now.0)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// The reward a member claimed from a campaign: (issued reward id).
pub async fn claim_of(
    conn: &mut AnyConnection,
    id: i64,
    membership_id: i64,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT issued_id FROM campaign_claims WHERE campaign_id = $1 AND membership_id = $2",
    )
    .bind(id)
    .bind(membership_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Records a claim: the member, their variant, the reward issued and its money value.
pub async fn insert_claim(
    conn: &mut AnyConnection,
    id: i64,
    membership_id: i64,
    variant: usize,
    issued_id: i64,
    value: i64,
    now: Timestamp,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO campaign_claims (campaign_id, membership_id, variant, issued_id, value, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(membership_id)
    .bind(variant as i64)
    .bind(issued_id)
    .bind(value)
    .bind(now.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every claim of a campaign: (membership, variant, money value).
pub async fn claims(conn: &mut AnyConnection, id: i64) -> Result<Vec<(i64, i64, i64)>, AppError> {
    Ok(
        sqlx::query_as("SELECT membership_id, variant, value FROM campaign_claims WHERE campaign_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?,
    )
}

/// What the campaign's rules gave: (membership, variant, points), one row per member and rule.
pub async fn awards(conn: &mut AnyConnection, id: i64) -> Result<Vec<(i64, i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT a.membership_id, r.campaign_variant, CAST(SUM(a.points) AS BIGINT) FROM rule_awards a \
         JOIN earning_rules r ON r.id = a.rule_id WHERE r.campaign_id = $1 \
         GROUP BY a.membership_id, r.campaign_variant",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Whether the campaign's rule for a variant gave the membership anything.
pub async fn given_to(
    conn: &mut AnyConnection,
    id: i64,
    variant: usize,
    membership_id: i64,
) -> Result<bool, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT a.rule_id FROM rule_awards a JOIN earning_rules r ON r.id = a.rule_id \
         WHERE r.campaign_id = $1 AND r.campaign_variant = $2 AND a.membership_id = $3 AND a.points > 0 LIMIT 1",
    )
    .bind(id)
    .bind(variant as i64)
    .bind(membership_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// Memberships in a segment at any moment of `[from, to)`.
pub async fn reached(
    conn: &mut AnyConnection,
    segment_id: i64,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT membership_id FROM segment_spans WHERE segment_id = $1 AND entered_at < $3 \
         AND (left_at IS NULL OR left_at > $2)",
    )
    .bind(segment_id)
    .bind(from.0)
    .bind(to.0)
    .fetch_all(&mut *conn)
    .await?)
}

/// Orders of a program in `[from, to)` by membership: (membership, orders, net spend).
pub async fn orders_by_member(
    conn: &mut AnyConnection,
    program_id: i64,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(i64, i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT membership_id, CAST(COUNT(*) AS BIGINT), CAST(SUM(amount_minor - returned_minor) AS BIGINT) \
         FROM orders WHERE program_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY membership_id",
    )
    .bind(program_id)
    .bind(from.0)
    .bind(to.0)
    .fetch_all(&mut *conn)
    .await?)
}

/// The campaign's rules: (rule id, variant).
pub async fn rules_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, campaign_variant FROM earning_rules WHERE campaign_id = $1 ORDER BY campaign_variant",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Launched campaigns of every program running at `at` that tell their members by message.
pub async fn announcing(conn: &mut AnyConnection, at: Timestamp) -> Result<Vec<Campaign>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {LIGHT_COLUMNS} FROM campaigns c WHERE c.state = 'launched' AND c.message IS NOT NULL \
         AND c.starts_at <= $1 AND c.ends_at > $1 ORDER BY c.id"
    ))
    .bind(at.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(campaign).collect()
}

/// Up to `limit` of the segment's members now that the campaign's announcement has not looked
/// at yet: (membership, member).
pub async fn unannounced(
    conn: &mut AnyConnection,
    campaign_id: i64,
    segment_id: i64,
    limit: i64,
) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT s.membership_id, ms.member_id FROM segment_spans s JOIN memberships ms ON ms.id = s.membership_id \
         WHERE s.segment_id = $1 AND s.left_at IS NULL AND NOT EXISTS (SELECT 1 FROM campaign_announced a \
         WHERE a.campaign_id = $2 AND a.membership_id = s.membership_id) ORDER BY s.membership_id LIMIT $3",
    )
    .bind(segment_id)
    .bind(campaign_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Notes that the announcement looked at a membership (its arm, None for control); false when
/// another pass did first.
pub async fn mark_announced(
    conn: &mut AnyConnection,
    campaign_id: i64,
    membership_id: i64,
    arm: Option<usize>,
    now: Timestamp,
) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "INSERT INTO campaign_announced (campaign_id, membership_id, arm, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (campaign_id, membership_id) DO NOTHING",
    )
    .bind(campaign_id)
    .bind(membership_id)
    .bind(arm.map(|a| a as i64))
    .bind(now.0)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}
