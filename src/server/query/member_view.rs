//! A member's programs as the Portal, the Desk and the channel API show them: balances, tier
//! standing and progress, the history, and the programs they may still join.

use crate::domain::wording;
use crate::error::AppError;
use crate::model::ids::{MemberId, MembershipId, ProgramId};
use crate::model::member::{JoinableProgram, LedgerLine, MembershipView};
use crate::model::program::Tier;
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::service::tiers;
use crate::server::store::programs;

/// The member's programs with tier standing.
pub async fn memberships(db: &Db, member_id: MemberId) -> Result<Vec<MembershipView>, AppError> {
    let rows: Vec<MembershipRow> = sqlx::query_as(
        "SELECT m.id AS membership_id, p.id AS program_id, p.name AS program_name, p.currency_name, \
         p.currency_code, p.point_value_minor, m.balance, m.pending, m.lifetime_points, m.joined_at, m.tier_id \
         FROM memberships m JOIN programs p ON p.id = m.program_id WHERE m.member_id = $1 ORDER BY p.name",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let now = db.now();
    for r in rows {
        let program = programs::get(db, r.program_id).await?;
        let program_tiers: Vec<Tier> = programs::tiers(db, r.program_id).await?;
        // The tier held is kept on the membership; progress counts the current window.
        // (A connection is taken only for this query, never held across other pool reads.)
        let working = {
            let mut conn = db.pool.acquire().await?;
            tiers::current_window_total(&mut conn, &program, r.membership_id, now).await?
        };
        let tier = r
            .tier_id
            .and_then(|id| program_tiers.iter().find(|t| t.id == id).cloned());
        let (next_tier, progress_pct) =
            crate::domain::tiers::progress(&program_tiers, tier.as_ref(), working);
        out.push(MembershipView {
            membership_id: r.membership_id,
            program_id: r.program_id,
            program_name: r.program_name,
            currency_name: r.currency_name,
            currency_code: r.currency_code,
            point_value_minor: r.point_value_minor,
            balance: r.balance,
            pending: r.pending,
            lifetime_points: r.lifetime_points,
            qualifying: working,
            tier_basis: program.tier_basis.clone(),
            tier_window: program.tier_window.clone(),
            tier_review: program.tier_review.clone(),
            has_tiers: !program_tiers.is_empty(),
            earns_points: program.points_per_unit > 0
                || r.lifetime_points > 0
                || r.balance != 0
                || r.pending != 0,
            tier,
            next_tier,
            progress_pct,
            joined_at: Timestamp(r.joined_at),
        });
    }
    Ok(out)
}

/// The member's ledger, newest first, each line with its plain sentence for the member.
pub async fn history(db: &Db, member_id: MemberId, limit: i64) -> Result<Vec<LedgerLine>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        line: LedgerLine,
        explanation: Option<String>,
        currency_code: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.program_id, t.kind, p.account, p.points, p.balance_after, t.channel, t.amount_minor, \
         t.reference, t.description, t.created_at, t.explanation, g.currency_code \
         FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id \
         JOIN memberships m ON m.id = p.membership_id JOIN programs g ON g.id = p.program_id \
         WHERE (m.member_id = $1 OR (m.merged_into IN (SELECT id FROM memberships WHERE member_id = $1) \
         AND t.kind <> 'merge')) \
         ORDER BY p.id DESC LIMIT $2",
    )
    .bind(member_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let award: Option<crate::model::rules::Award> = r
                .explanation
                .as_deref()
                .and_then(|e| serde_json::from_str(e).ok());
            let bonuses = award.as_ref().map(wording::bonuses).unwrap_or_default();
            let sentence = wording::member_sentence(&wording::LineFacts {
                kind: r.line.kind,
                points: r.line.points,
                amount_minor: r.line.amount_minor,
                currency_code: &r.currency_code,
                description: &r.line.description,
                bonuses: &bonuses,
            });
            LedgerLine { sentence, ..r.line }
        })
        .collect())
}

/// Programs the member can still join.
pub async fn joinable(db: &Db, member_id: MemberId) -> Result<Vec<JoinableProgram>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: ProgramId,
        name: String,
        currency_name: String,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, currency_name FROM programs WHERE active = 1 AND id NOT IN \
         (SELECT program_id FROM memberships WHERE member_id = $1) ORDER BY name",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| JoinableProgram {
            id: r.id,
            name: r.name,
            currency_name: r.currency_name,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    membership_id: MembershipId,
    program_id: ProgramId,
    program_name: String,
    currency_name: String,
    currency_code: String,
    point_value_minor: i64,
    balance: i64,
    pending: i64,
    lifetime_points: i64,
    joined_at: i64,
    tier_id: Option<i64>,
}
