//! Earning rules as stored: conditions, effect and caps are JSON of the shared model types,
//! so the engine, the API and the admin pages read one definition.

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::{MembershipId, ProgramId};
use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::rules::{EarningRule, RuleUsage};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::{is_unique_violation, params, values, Db};

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
}

/// What a budget has given is the sum of its slots' use (`budgets`).
const COLUMNS: &str =
    "id, program_id, name, priority, stacking, active, conditions, effect, caps, budget_points, \
     CAST((SELECT COALESCE(SUM(s.used), 0) FROM budget_slots s WHERE s.rule_id = earning_rules.id) AS BIGINT) \
     AS budget_used";

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

/// Every rule of a program, highest priority first.
pub async fn list(db: &Db, program_id: ProgramId) -> Result<Vec<EarningRule>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM earning_rules WHERE program_id = $1 ORDER BY priority DESC, id"
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

/// UTC day number and month number (year * 12 + month - 1) of an instant, for caps.
pub fn day_and_month(at: Timestamp) -> (i64, i64) {
    use chrono::Datelike;
    let d = at.to_datetime();
    (
        at.0.div_euclid(SECONDS_PER_DAY),
        d.year() as i64 * 12 + d.month0() as i64,
    )
}

/// Points each rule with a per-member cap among `rules` gave this membership on the day
/// and in the month of `at`. Only caps read usage (`engine::evaluate`), so rules without
/// one are not summed: a member's month of awards grows with every order.
pub async fn usage(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
    at: Timestamp,
    rules: &[EarningRule],
) -> Result<Vec<RuleUsage>, AppError> {
    let mut all = usage_many(conn, &[membership_id], at, rules).await?;
    Ok(all.pop().map(|(_, u)| u).unwrap_or_default())
}

/// `usage` of several memberships, in one statement: (membership id, its usage) for each
/// that has any.
pub async fn usage_many<'r>(
    conn: &mut AnyConnection,
    membership_ids: &[MembershipId],
    at: Timestamp,
    rules: impl IntoIterator<Item = &'r EarningRule>,
) -> Result<Vec<(MembershipId, Vec<RuleUsage>)>, AppError> {
    let mut capped: Vec<&EarningRule> = rules
        .into_iter()
        .filter(|r| r.caps.per_member_day.is_some() || r.caps.per_member_month.is_some())
        .collect();
    capped.sort_unstable_by_key(|r| r.id);
    capped.dedup_by_key(|r| r.id);
    if membership_ids.is_empty() || capped.is_empty() {
        return Ok(Vec::new());
    }
    // Day caps alone need only the day's awards; the month total is then unused.
    let days_only = capped.iter().all(|r| r.caps.per_member_month.is_none());
    let (day, month) = day_and_month(at);
    let sql = format!(
        "SELECT membership_id, rule_id, CAST(COALESCE(SUM(CASE WHEN day = $1 THEN points ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM rule_awards \
         WHERE month = $2 AND membership_id IN ({}) AND rule_id IN ({}){} GROUP BY membership_id, rule_id",
        params(3, membership_ids.len()),
        params(3 + membership_ids.len(), capped.len()),
        if days_only { " AND day = $1" } else { "" },
    );
    let mut select = sqlx::query_as::<_, (MembershipId, i64, i64, i64)>(&sql)
        .bind(day)
        .bind(month);
    for id in membership_ids {
        select = select.bind(id);
    }
    for rule in &capped {
        select = select.bind(rule.id);
    }
    let mut out: Vec<(MembershipId, Vec<RuleUsage>)> = Vec::new();
    for (membership_id, rule_id, member_day, member_month) in select.fetch_all(&mut *conn).await? {
        let usage = RuleUsage {
            rule_id,
            member_day,
            member_month,
        };
        match out.iter_mut().find(|(m, _)| *m == membership_id) {
            Some((_, u)) => u.push(usage),
            None => out.push((membership_id, vec![usage])),
        }
    }
    Ok(out)
}

/// What one rule gave one membership in one transaction, for its caps.
pub struct Given {
    pub rule_id: i64,
    pub membership_id: MembershipId,
    pub transaction_id: i64,
    pub points: i64,
    /// The event's time: the day and month the caps count it in.
    pub at: Timestamp,
}

/// Records what each rule gave (for caps), in one statement. Budgets are charged
/// separately, last in the booking (`budgets::charge`).
pub async fn record_awards(conn: &mut AnyConnection, given: &[Given]) -> Result<(), AppError> {
    if given.is_empty() {
        return Ok(());
    }
    let rows = values(given.len(), 6);
    let sql = format!(
        "INSERT INTO rule_awards (rule_id, membership_id, transaction_id, points, day, month) VALUES {}",
        rows
    );
    let mut insert = sqlx::query(&sql);
    for g in given {
        let (day, month) = day_and_month(g.at);
        insert = insert
            .bind(g.rule_id)
            .bind(g.membership_id)
            .bind(g.transaction_id)
            .bind(g.points)
            .bind(day)
            .bind(month);
    }
    insert.execute(&mut *conn).await?;
    Ok(())
}

/// Creates (id 0) or updates a rule. The caller has validated it.
#[tracing::instrument(skip(db, rule), fields(program_id = %rule.program_id, id = rule.id), err(level = "debug"))]
pub async fn save(db: &Db, rule: &EarningRule) -> Result<EarningRule, AppError> {
    crate::server::store::programs::get(db, rule.program_id).await?;
    let now = db.now();
    let taken = |e: sqlx::Error| {
        if is_unique_violation(
            &e,
            "earning_rules_program_name",
            "earning_rules.program_id, earning_rules.name",
        ) {
            AppError::field("name", td_string!(current().locale, errors.rules.name_taken))
        } else {
            e.into()
        }
    };
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
             effect = $6, caps = $7, budget_points = $8, updated_at = $9 WHERE id = $10 AND program_id = $11 RETURNING id",
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
    let mut tx = db.begin_write().await?;
    let used: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM rule_awards WHERE rule_id = $1")
        .bind(rule_id)
        .fetch_one(&mut *tx)
        .await?;
    let affected = if used > 0 {
        sqlx::query("UPDATE earning_rules SET active = 0 WHERE id = $1 AND program_id = $2")
    } else {
        sqlx::query("DELETE FROM earning_rules WHERE id = $1 AND program_id = $2")
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
