//! Earning rules as stored: conditions, effect and caps are JSON of the shared model types,
//! so the engine, the API and the admin pages read one definition.

use crate::domain::lang::current;
pub use crate::domain::rules::CapPeriod;
use crate::i18n::td_string;
use crate::model::ids::{MembershipId, ProgramId};
use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::rules::{EarningRule, RuleUsage};
use crate::model::time::Timestamp;
use crate::server::db::{is_unique_violation, params, positional, values, Db};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    program_id: ProgramId,
    name: String,
    priority: i64,
    stacking: String,
    active: i64,
    conditions: String,
    effect: String,
    caps: String,
    budget_points: Option<i64>,
    budget_used: i64,
    budget_rule_id: Option<i64>,
}

/// What a budget has given is the sum of its slots' use (`budgets`).
/// A campaign's variant rules share the slots of its first rule (`budget_rule_id`).
const COLUMNS: &str =
    "id, program_id, name, priority, stacking, active, conditions, effect, caps, budget_points, \
     CAST((SELECT COALESCE(SUM(s.used), 0) FROM budget_slots s \
     WHERE s.rule_id = COALESCE(earning_rules.budget_rule_id, earning_rules.id)) AS BIGINT) AS budget_used, \
     budget_rule_id";

impl Row {
    fn into_rule(self) -> Result<EarningRule, AppError> {
        let parse = |what: &str, e: serde_json::Error| {
            tracing::error!(rule_id = self.id, what, error = %e, "stored rule does not parse");
            AppError::Internal
        };
        Ok(EarningRule {
            id: self.id,
            program_id: self.program_id,
            name: self.name.clone(),
            priority: self.priority,
            stacking: serde_json::from_value(serde_json::Value::String(self.stacking.clone()))
                .map_err(|e| parse("stacking", e))?,
            active: self.active != 0,
            conditions: serde_json::from_str(&self.conditions).map_err(|e| parse("conditions", e))?,
            effect: serde_json::from_str(&self.effect).map_err(|e| parse("effect", e))?,
            caps: serde_json::from_str(&self.caps).map_err(|e| parse("caps", e))?,
            budget_points: self.budget_points,
            budget_used: self.budget_used,
            budget_rule_id: self.budget_rule_id,
        })
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn stacking_str(rule: &EarningRule) -> String {
    serde_json::to_value(rule.stacking)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "stack".into())
}

/// Every rule of a program a manager edits (not campaigns' own), highest priority first.
pub async fn list(db: &Db, program_id: ProgramId) -> Result<Vec<EarningRule>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM earning_rules WHERE program_id = $1 AND campaign_id IS NULL ORDER BY priority DESC, id"
    ))
    .bind(program_id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter().map(Row::into_rule).collect()
}

/// The active rules of a program, as bookings keep them (`setup`). Budgets read here may
/// be stale: a booking whose budget charge fails locks the budgets its award draws on
/// (`budgets::lock_all`) and evaluates again.
pub async fn for_booking(
    conn: &mut AnyConnection,
    program_id: ProgramId,
) -> Result<Vec<EarningRule>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM earning_rules WHERE program_id = $1 AND active = 1 ORDER BY priority DESC, id"
    ))
    .bind(program_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(Row::into_rule).collect()
}

/// Points each rule with a per-member cap among `rules` gave this membership on the day
/// and in the month `period`. Only caps read usage (`engine::evaluate`), so rules without
/// one are not summed: a member's month of awards grows with every order.
pub async fn usage(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
    period: CapPeriod,
    rules: &[EarningRule],
) -> Result<Vec<RuleUsage>, AppError> {
    let mut all = usage_many(conn, &[membership_id], period, rules).await?;
    Ok(all.pop().map(|(_, u)| u).unwrap_or_default())
}

/// `usage` of several memberships, in one statement: (membership id, its usage) for each
/// that has any.
pub async fn usage_many<'r>(
    conn: &mut AnyConnection,
    membership_ids: &[MembershipId],
    period: CapPeriod,
    rules: impl IntoIterator<Item = &'r EarningRule>,
) -> Result<Vec<(MembershipId, Vec<RuleUsage>)>, AppError> {
    let mut capped: Vec<&EarningRule> = rules
        .into_iter()
        .filter(|r| {
            r.caps.per_member_day.is_some()
                || r.caps.per_member_month.is_some()
                || r.caps.per_member_awards.is_some()
        })
        .collect();
    capped.sort_unstable_by_key(|r| r.id);
    capped.dedup_by_key(|r| r.id);
    if membership_ids.is_empty() || capped.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<(MembershipId, Vec<RuleUsage>)> = Vec::new();
    let mut add = |membership_id: MembershipId, rule_id: i64, f: &dyn Fn(&mut RuleUsage)| {
        let at = match out.iter().position(|(m, _)| *m == membership_id) {
            Some(i) => i,
            None => {
                out.push((membership_id, Vec::new()));
                out.len() - 1
            }
        };
        let list = &mut out[at].1;
        let i = match list.iter().position(|u| u.rule_id == rule_id) {
            Some(i) => i,
            None => {
                list.push(RuleUsage {
                    rule_id,
                    member_day: 0,
                    member_month: 0,
                    member_awards: 0,
                });
                list.len() - 1
            }
        };
        f(&mut list[i]);
    };
    let periodic: Vec<&&EarningRule> = capped
        .iter()
        .filter(|r| r.caps.per_member_day.is_some() || r.caps.per_member_month.is_some())
        .collect();
    // Awards ever, only for rules capped in awards per member (campaigns' once-only bonuses).
    let lifetime: Vec<&&EarningRule> = capped
        .iter()
        .filter(|r| r.caps.per_member_awards.is_some())
        .collect();
    // Both reads in one statement (a writer's round trip less): each row says which it is.
    let n = membership_ids.len();
    let mut parts: Vec<String> = Vec::with_capacity(2);
    let mut next = 1;
    // Day caps alone need only the day's awards; the month total is then unused.
    let days_only = periodic.iter().all(|r| r.caps.per_member_month.is_none());
    if !periodic.is_empty() {
        let day_filter = match days_only {
            true => format!(" AND day = ${}", next + 2 + n + periodic.len()),
            false => String::new(),
        };
        parts.push(format!(
            "SELECT CAST(0 AS BIGINT), membership_id, rule_id, \
             CAST(COALESCE(SUM(CASE WHEN day = ${} THEN points ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM rule_awards \
             WHERE month = ${} AND membership_id IN ({}) AND rule_id IN ({}){day_filter} GROUP BY membership_id, rule_id",
            next,
            next + 1,
            params(next + 2, n),
            params(next + 2 + n, periodic.len()),
        ));
        next += 2 + n + periodic.len() + usize::from(days_only);
    }
    if !lifetime.is_empty() {
        parts.push(format!(
            "SELECT CAST(1 AS BIGINT), membership_id, rule_id, CAST(COALESCE(SUM(awards), 0) AS BIGINT), \
             CAST(0 AS BIGINT) FROM rule_awards WHERE membership_id IN ({}) AND rule_id IN ({}) GROUP BY membership_id, rule_id",
            params(next, n),
            params(next + n, lifetime.len()),
        ));
    }
    let sql = positional(conn, parts.join(" UNION ALL "));
    let mut select = sqlx::query_as::<_, (i64, MembershipId, i64, i64, i64)>(&sql);
    let CapPeriod { day, month } = period;
    if !periodic.is_empty() {
        select = select.bind(day).bind(month);
        for id in membership_ids {
            select = select.bind(id);
        }
        for rule in &periodic {
            select = select.bind(rule.id);
        }
        if days_only {
            select = select.bind(day);
        }
    }
    if !lifetime.is_empty() {
        for id in membership_ids {
            select = select.bind(id);
        }
        for rule in &lifetime {
            select = select.bind(rule.id);
        }
    }
    for (kind, membership_id, rule_id, first, second) in select.fetch_all(&mut *conn).await? {
        match kind {
            0 => add(membership_id, rule_id, &|u| {
                u.member_day = first;
                u.member_month = second;
            }),
            _ => add(membership_id, rule_id, &|u| u.member_awards = first),
        }
    }
    Ok(out)
}

/// Whether what `rule` gives is read back from `rule_awards`: its per-member caps count it,
/// or it is a campaign's (the report sums what each arm was given). Only those are recorded,
/// so a cap counts what its rule gave from when it was set.
pub fn awards_read(rule: &EarningRule) -> bool {
    let c = &rule.caps;
    c.per_member_day.is_some()
        || c.per_member_month.is_some()
        || c.per_member_awards.is_some()
        || rule.conditions.campaign_arm.is_some()
}

/// What one rule gave one membership in one booking, for its caps and its campaign's report.
pub struct Given {
    pub rule_id: i64,
    pub membership_id: MembershipId,
    pub points: i64,
    /// The event's local day and month, which the caps count it in.
    pub period: CapPeriod,
}

/// Adds what each rule gave to its membership's row of the day (`rule_awards` keeps totals by
/// membership, month, rule and day: points, and awards for once-only bonuses). Budgets are
/// charged separately, last in the booking (`budgets::charge`).
pub async fn record_awards(conn: &mut AnyConnection, given: &[Given]) -> Result<(), AppError> {
    // One row per key in a statement: PostgreSQL refuses to update a row twice in one upsert.
    let mut rows: Vec<(i64, MembershipId, CapPeriod, i64, i64)> = Vec::with_capacity(given.len());
    for g in given {
        match rows
            .iter_mut()
            .find(|r| r.0 == g.rule_id && r.1 == g.membership_id && r.2 == g.period)
        {
            Some(row) => {
                row.3 += g.points;
                row.4 += 1;
            }
            None => rows.push((g.rule_id, g.membership_id, g.period, g.points, 1)),
        }
    }
    // Parameters are plain on SQLite (`positional`), so a chunk's size costs nothing per row;
    // PostgreSQL takes a group's awards in one round trip.
    let chunk = match conn.backend_name() {
        "SQLite" => AWARD_ROWS,
        _ => rows.len().max(1),
    };
    for part in rows.chunks(chunk) {
        let sql = format!(
            "INSERT INTO rule_awards (rule_id, membership_id, month, day, points, awards) VALUES {} \
             ON CONFLICT (membership_id, month, rule_id, day) DO UPDATE \
             SET points = rule_awards.points + excluded.points, awards = rule_awards.awards + excluded.awards",
            values(part.len(), 6)
        );
        let sql = positional(conn, sql);
        let mut insert = sqlx::query(&sql);
        for &(rule_id, membership_id, CapPeriod { day, month }, points, awards) in part {
            insert = insert
                .bind(rule_id)
                .bind(membership_id)
                .bind(month)
                .bind(day)
                .bind(points)
                .bind(awards);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rule awards a statement inserts at most on SQLite: a fixed size, so the full chunks' text is one
/// prepared statement in sqlx's cache (a single statement per group had a new text, parsed
/// again, for nearly every group size).
const AWARD_ROWS: usize = 32;

/// A rule name another rule of the program has, as a field error.
fn taken(e: sqlx::Error) -> AppError {
    if is_unique_violation(
        &e,
        "earning_rules_program_name",
        "earning_rules.program_id, earning_rules.name",
    ) {
        AppError::field("name", td_string!(current().locale, errors.rules.name_taken))
    } else {
        e.into()
    }
}

/// Creates (id 0) or updates a rule. The caller has validated it.
#[tracing::instrument(skip(db, rule), fields(program_id = %rule.program_id, id = rule.id), err(level = "debug"))]
pub async fn save(db: &Db, rule: &EarningRule) -> Result<EarningRule, AppError> {
    crate::server::store::programs::get(db, rule.program_id).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let id: i64 = if rule.id == 0 {
        sqlx::query_scalar(
            "INSERT INTO earning_rules (program_id, name, priority, stacking, active, conditions, effect, caps, \
             budget_points, budget_used, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10) \
             RETURNING id",
        )
        .bind(rule.program_id)
        .bind(&rule.name)
        .bind(rule.priority)
        .bind(stacking_str(rule))
        .bind(rule.active as i64)
        .bind(to_json(&rule.conditions))
        .bind(to_json(&rule.effect))
        .bind(to_json(&rule.caps))
        .bind(rule.budget_points)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(taken)?
    } else {
        sqlx::query_scalar(
            "UPDATE earning_rules SET name = $1, priority = $2, stacking = $3, active = $4, conditions = $5, \
             effect = $6, caps = $7, budget_points = $8, updated_at = $9 WHERE id = $10 AND program_id = $11 \
             AND campaign_id IS NULL RETURNING id",
        )
        .bind(&rule.name)
        .bind(rule.priority)
        .bind(stacking_str(rule))
        .bind(rule.active as i64)
        .bind(to_json(&rule.conditions))
        .bind(to_json(&rule.effect))
        .bind(to_json(&rule.caps))
        .bind(rule.budget_points)
        .bind(now.0)
        .bind(rule.id)
        .bind(rule.program_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(taken)?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.rule)))?
    };
    crate::server::store::budgets::set(&mut tx, id, rule.budget_points).await?;
    tx.commit().await?;
    let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM earning_rules WHERE id = $1"))
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
    row.into_rule()
}

/// Rules are never deleted once they have awarded points (caps and budgets refer to them);
/// they are switched off instead. A rule that never awarded anything is removed.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn delete(db: &Db, program_id: ProgramId, rule_id: i64) -> Result<(), AppError> {
    // What a rule gave is in the ledger's postings (`rule_awards` keeps only what caps and
    // campaign reports read). Postings have no index by rule (one more index entry per rule
    // an order earns under, for a rare delete): the ledger is read before the write lock,
    // and under it only what was posted since.
    let (seen, posted_before) = {
        let mut conn = db.pool.acquire().await?;
        let seen: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM ledger_postings")
                .fetch_one(&mut *conn)
                .await?;
        (seen, gave_points(&mut conn, rule_id, 0, seen).await?)
    };
    let mut tx = db.begin_write().await?;
    let used = posted_before || gave_points(&mut tx, rule_id, seen, i64::MAX).await?;
    let affected = if used {
        sqlx::query(
            "UPDATE earning_rules SET active = 0 WHERE id = $1 AND program_id = $2 AND campaign_id IS NULL",
        )
    } else {
        sqlx::query("DELETE FROM earning_rules WHERE id = $1 AND program_id = $2 AND campaign_id IS NULL")
    }
    .bind(rule_id)
    .bind(program_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if affected == 0 {
        return Err(AppError::not_found(td_string!(
            current().locale,
            errors.what.rule
        )));
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the ledger has a posting of `rule_id` among postings `after < id <= upto`.
async fn gave_points(
    conn: &mut AnyConnection,
    rule_id: i64,
    after: i64,
    upto: i64,
) -> Result<bool, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM ledger_postings WHERE rule_id = $1 AND id > $2 AND id <= $3 LIMIT 1",
    )
    .bind(rule_id)
    .bind(after)
    .bind(upto)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// Writes the rule of one variant of a campaign in the caller's transaction: a new rule
/// (`rule.id` 0) or the variant's own. Campaign rules are hidden from the rules page and
/// changed only through their campaign. Returns the rule's id.
pub async fn put_campaign_rule(
    conn: &mut AnyConnection,
    rule: &EarningRule,
    campaign_id: i64,
    variant: usize,
    now: Timestamp,
) -> Result<i64, AppError> {
    if rule.id == 0 {
        return sqlx::query_scalar(
            "INSERT INTO earning_rules (program_id, name, priority, stacking, active, conditions, effect, caps, \
             budget_points, budget_used, budget_rule_id, campaign_id, campaign_variant, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(rule.program_id)
        .bind(&rule.name)
        .bind(rule.priority)
        .bind(stacking_str(rule))
        .bind(rule.active as i64)
        .bind(to_json(&rule.conditions))
        .bind(to_json(&rule.effect))
        .bind(to_json(&rule.caps))
        .bind(rule.budget_points)
        .bind(rule.budget_rule_id)
        .bind(campaign_id)
        .bind(variant as i64)
        .bind(now.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(taken);
    }
    sqlx::query(
        "UPDATE earning_rules SET name = $1, priority = $2, active = $3, conditions = $4, effect = $5, caps = $6, \
         budget_points = $7, updated_at = $8 WHERE id = $9 AND campaign_id = $10",
    )
    .bind(&rule.name)
    .bind(rule.priority)
    .bind(rule.active as i64)
    .bind(to_json(&rule.conditions))
    .bind(to_json(&rule.effect))
    .bind(to_json(&rule.caps))
    .bind(rule.budget_points)
    .bind(now.0)
    .bind(rule.id)
    .bind(campaign_id)
    .execute(&mut *conn)
    .await
    .map_err(taken)?;
    Ok(rule.id)
}

/// Switches a campaign's rules off (it was stopped).
pub async fn stop_campaign_rules(
    conn: &mut AnyConnection,
    campaign_id: i64,
    now: Timestamp,
) -> Result<(), AppError> {
    sqlx::query("UPDATE earning_rules SET active = 0, updated_at = $1 WHERE campaign_id = $2")
        .bind(now.0)
        .bind(campaign_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
