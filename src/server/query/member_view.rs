//! A member's programs as the Portal, the Desk and the channel API show them: balances, tier
//! standing and progress, the history, and the programs they may still join.

use crate::domain::wording;
use crate::error::AppError;
use crate::model::ids::{MemberId, MembershipId, ProgramId};
use crate::model::ledger::TxKind;
use crate::model::member::{JoinableProgram, LedgerLine, MembershipView};
use crate::model::program::Tier;
use crate::model::rules::Channel;
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

/// The member's ledger, newest first (the Portal's recent activity).
pub async fn history(db: &Db, member_id: MemberId, limit: i64) -> Result<Vec<LedgerLine>, AppError> {
    let filter = HistoryFilter {
        limit,
        ..HistoryFilter::default()
    };
    history_page(db, member_id, &filter).await
}

/// Which lines of a member's history to read: newest first, at most `limit`, older than
/// the line `before` (the cursor: the last line's id of the page before), of one program,
/// kind or channel when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub limit: i64,
    pub before: Option<i64>,
    pub program_id: Option<ProgramId>,
    pub kind: Option<TxKind>,
    pub channel: Option<Channel>,
}

/// A page of the member's ledger (their own lines, and those of memberships merged into
/// theirs, but for the merges' own transfers), with each line's program unit and store, and
/// its plain sentence for the member.
pub async fn history_page(
    db: &Db,
    member_id: MemberId,
    filter: &HistoryFilter,
) -> Result<Vec<LedgerLine>, AppError> {
    // Optional filters as `($n IS NULL OR column = $n)`, so one statement serves every
    // combination (and is prepared once). An order's store is found by the order's own key
    // (program, channel, order id: its unique index), the transaction id confirming it.
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        line: LedgerLine,
        explanation: Option<String>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.program_id, pr.currency_name, pr.currency_code, t.kind, p.account, p.points, \
         p.balance_after, t.channel, s.code AS store, t.amount_minor, t.reference, t.description, t.created_at, \
         t.explanation \
         FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id \
         JOIN memberships m ON m.id = p.membership_id JOIN programs pr ON pr.id = p.program_id \
         LEFT JOIN orders o ON o.program_id = t.program_id AND o.channel = t.channel \
         AND o.channel_order_id = t.reference AND o.transaction_id = t.id \
         LEFT JOIN stores s ON s.id = o.store_id \
         WHERE (m.member_id = $1 OR (m.merged_into IN (SELECT id FROM memberships WHERE member_id = $1) \
         AND t.kind <> 'merge')) \
         AND ($2 IS NULL OR p.id < $2) AND ($3 IS NULL OR p.program_id = $3) \
         AND ($4 IS NULL OR t.kind = $4) AND ($5 IS NULL OR t.channel = $5) \
         ORDER BY p.id DESC LIMIT $6",
    )
    .bind(member_id)
    .bind(filter.before)
    .bind(filter.program_id)
    .bind(filter.kind.map(TxKind::as_str))
    .bind(filter.channel.map(Channel::as_str))
    .bind(filter.limit)
    .fetch_all(&db.pool)
    .await?;
    // The member's sentences in the language of the page or request asking (English for the
    // channel API).
    let lang = crate::domain::lang::current();
    Ok(rows
        .into_iter()
        .map(|r| {
            let award: Option<crate::model::rules::Award> = r
                .explanation
                .as_deref()
                .and_then(|e| serde_json::from_str(e).ok());
            let bonuses = award.as_ref().map(wording::bonuses).unwrap_or_default();
            let sentence = wording::member_sentence(
                lang,
                &wording::LineFacts {
                    kind: r.line.kind,
                    points: r.line.points,
                    amount_minor: r.line.amount_minor,
                    currency_code: &r.line.currency_code,
                    description: &r.line.description,
                    bonuses: &bonuses,
                },
            );
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
