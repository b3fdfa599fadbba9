//! Campaign budgets, kept in slots (migration 11). A budgeted rule's budget is split into
//! `SLOTS` allowances that add up to it; a booking charges its membership's slot with a
//! conditional update, so bookings of different members rarely wait on the same row (one
//! budget row held until each booking committed made every budgeted booking of a program
//! wait for the one before). When a slot cannot take an award, the booking goes the exact
//! way: every slot of the rule is locked and what is left of the budget is shared out again.
//! No slot uses more than its allowance (a CHECK backs this), so a rule never gives more
//! than its budget; what it gave is the sum of its slots' use.

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::MembershipId;
use sqlx::AnyConnection;

use crate::error::AppError;
use crate::server::db::{positional, values};

pub const SLOTS: i64 = 8;

/// The slot a membership's bookings charge.
pub fn slot_of(membership_id: MembershipId) -> i64 {
    membership_id.get().rem_euclid(SLOTS)
}

/// Allowances for slots that have used `used` of a budget with `spare` points left: each
/// keeps its use plus an even share of the spare (the remainder, and `need`, to `favour`).
fn allowances(used: &[(i64, i64)], spare: i64, favour: i64, need: i64) -> Vec<(i64, i64)> {
    let share = (spare - need) / SLOTS;
    let rest = (spare - need) - share * SLOTS;
    used.iter()
        .map(|&(slot, u)| {
            let extra = if slot == favour { rest + need } else { 0 };
            (slot, u + share + extra)
        })
        .collect()
}

/// Locks every slot of a rule and reads (slot, allowance, used). One slot at a time, in slot
/// order: one UPDATE of them all locks rows in the order it finds them, which on PostgreSQL
/// moves as rows are rewritten, and two exact bookings could then deadlock.
async fn lock(conn: &mut AnyConnection, rule_id: i64) -> Result<Vec<(i64, i64, i64)>, AppError> {
    let mut slots = Vec::with_capacity(SLOTS as usize);
    for slot in 0..SLOTS {
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "UPDATE budget_slots SET used = used WHERE rule_id = $1 AND slot = $2 \
             RETURNING slot, allowance, used",
        )
        .bind(rule_id)
        .bind(slot)
        .fetch_optional(&mut *conn)
        .await?;
        slots.extend(row);
    }
    Ok(slots)
}

async fn budget_of(conn: &mut AnyConnection, rule_id: i64) -> Result<Option<i64>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT budget_points FROM earning_rules WHERE id = $1")
            .bind(rule_id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten(),
    )
}

/// Writes new allowances (only those that change).
async fn reallot(
    conn: &mut AnyConnection,
    rule_id: i64,
    slots: &[(i64, i64, i64)],
    to: &[(i64, i64)],
) -> Result<(), AppError> {
    for (&(slot, allowance, _), &(_, new)) in slots.iter().zip(to) {
        if new != allowance {
            sqlx::query("UPDATE budget_slots SET allowance = $1 WHERE rule_id = $2 AND slot = $3")
                .bind(new)
                .bind(rule_id)
                .bind(slot)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Sets a rule's budget in its slots, in the transaction that saves the rule: creates them
/// on the first budget, shares the new budget out otherwise. A budget below what the rule
/// has given is refused. No budget leaves the slots as they are (what was given is kept).
pub async fn set(conn: &mut AnyConnection, rule_id: i64, budget: Option<i64>) -> Result<(), AppError> {
    let Some(budget) = budget else {
        return Ok(());
    };
    let slots = lock(conn, rule_id).await?;
    let used: i64 = slots.iter().map(|s| s.2).sum();
    if budget < used {
        return Err(AppError::field(
            "budget_points",
            td_string!(current().locale, errors.budgets.below_given),
        ));
    }
    if slots.is_empty() {
        let fresh: Vec<(i64, i64)> = (0..SLOTS).map(|s| (s, 0)).collect();
        let mut sql = String::from("INSERT INTO budget_slots (rule_id, slot, allowance, used) VALUES ");
        let rows = allowances(&fresh, budget, 0, 0);
        for i in 0..rows.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, ${}, ${}, 0)", 2 * i + 2, 2 * i + 3));
        }
        let mut insert = sqlx::query(&sql).bind(rule_id);
        for (slot, allowance) in rows {
            insert = insert.bind(slot).bind(allowance);
        }
        insert.execute(&mut *conn).await?;
        return Ok(());
    }
    let by_slot: Vec<(i64, i64)> = slots.iter().map(|s| (s.0, s.2)).collect();
    reallot(conn, rule_id, &slots, &allowances(&by_slot, budget - used, 0, 0)).await
}

/// Locks the slots of the given rules (rules in id order, so two bookings never wait on each
/// other in reverse) and returns (rule id, used, budget) of each, read under the lock.
pub async fn lock_all(
    conn: &mut AnyConnection,
    rule_ids: &[i64],
) -> Result<Vec<(i64, i64, Option<i64>)>, AppError> {
    let mut ids = rule_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let used = lock(conn, id).await?.iter().map(|s| s.2).sum();
        out.push((id, used, budget_of(conn, id).await?));
    }
    Ok(out)
}

/// Charges `points` to the rule's budget through the membership's slot, if they fit. With
/// `exact` (the caller holds every slot, `lock_all`), the spare is first shared out again
/// so that this slot can take them. False when they do not fit: the caller rolls back and
/// books `exact`.
pub async fn charge(
    conn: &mut AnyConnection,
    rule_id: i64,
    membership_id: MembershipId,
    points: i64,
    exact: bool,
) -> Result<bool, AppError> {
    let slot = slot_of(membership_id);
    if exact {
        let slots = lock(conn, rule_id).await?;
        let Some(budget) = budget_of(conn, rule_id).await? else {
            return Ok(false);
        };
        if slots.is_empty() {
            set(conn, rule_id, Some(budget)).await?;
            return Box::pin(charge(conn, rule_id, membership_id, points, true)).await;
        }
        let used: i64 = slots.iter().map(|s| s.2).sum();
        if used + points > budget {
            return Ok(false);
        }
        let mine = slots.iter().find(|s| s.0 == slot);
        if mine.is_none_or(|s| s.2 + points > s.1) {
            let by_slot: Vec<(i64, i64)> = slots.iter().map(|s| (s.0, s.2)).collect();
            reallot(
                conn,
                rule_id,
                &slots,
                &allowances(&by_slot, budget - used, slot, points),
            )
            .await?;
        }
    }
    Ok(sqlx::query(
        "UPDATE budget_slots SET used = used + $1 \
         WHERE rule_id = $2 AND slot = $3 AND used + $1 <= allowance",
    )
    .bind(points)
    .bind(rule_id)
    .bind(slot)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1)
}

/// Charges several awards (rule id, membership id, points) through their slots in one
/// statement: each slot takes what its memberships drew, if it fits. False when one does
/// not fit: the caller rolls back (what did fit was charged) and books them one by one.
pub async fn charge_many(
    conn: &mut AnyConnection,
    charges: &[(i64, MembershipId, i64)],
) -> Result<bool, AppError> {
    let mut by_slot: Vec<(i64, i64, i64)> = Vec::new();
    for &(rule_id, membership_id, points) in charges {
        let slot = slot_of(membership_id);
        match by_slot.iter_mut().find(|c| c.0 == rule_id && c.1 == slot) {
            Some(c) => c.2 += points,
            None => by_slot.push((rule_id, slot, points)),
        }
    }
    if by_slot.is_empty() {
        return Ok(true);
    }
    by_slot.sort_unstable(); // rule and slot order, as one by one
    let rows = values(by_slot.len(), 3);
    let sql = format!(
        "UPDATE budget_slots SET used = used + v.column3 FROM (VALUES {}) AS v \
         WHERE budget_slots.rule_id = v.column1 AND budget_slots.slot = v.column2 \
         AND budget_slots.used + v.column3 <= budget_slots.allowance",
        rows
    );
    let sql = positional(conn, sql);
    let mut update = sqlx::query(&sql);
    for (rule_id, slot, points) in &by_slot {
        update = update.bind(rule_id).bind(slot).bind(points);
    }
    let charged = update.execute(&mut *conn).await?.rows_affected();
    Ok(charged == by_slot.len() as u64)
}

/// Charges one booking's awards (rule id, membership id, points) to their budgets one by one
/// in rule order (`charge`; with `exact`, the caller holds every slot). Bookings that run side
/// by side (actions on PostgreSQL) then take the slots' row locks in one order: a multi-row
/// UPDATE (`charge_many`, for the writer's groups, which run one at a time) gives none.
pub async fn charge_all(
    conn: &mut AnyConnection,
    charges: &[(i64, MembershipId, i64)],
    exact: bool,
) -> Result<bool, AppError> {
    let mut charges = charges.to_vec();
    charges.sort_unstable(); // id order: two bookings never wait on each other in reverse
    for (rule_id, membership_id, points) in charges {
        if !charge(conn, rule_id, membership_id, points, exact).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowances_add_up_to_the_budget_and_keep_each_slots_use() {
        let used: Vec<(i64, i64)> = (0..SLOTS).map(|s| (s, s * 10)).collect();
        let given: i64 = used.iter().map(|u| u.1).sum();
        for (spare, favour, need) in [(0, 0, 0), (7, 3, 0), (1_003, 5, 200), (50, 2, 50)] {
            let a = allowances(&used, spare, favour, need);
            assert_eq!(a.iter().map(|x| x.1).sum::<i64>(), given + spare);
            for ((slot, u), (s2, allowance)) in used.iter().zip(&a) {
                assert_eq!(slot, s2);
                assert!(allowance >= u);
                if *slot == favour {
                    assert!(allowance - u >= need, "the favoured slot has room for its award");
                }
            }
        }
    }

    #[test]
    fn memberships_spread_over_the_slots() {
        let mut seen = [0; SLOTS as usize];
        for m in 1..=800 {
            seen[slot_of(MembershipId(m)) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n == 100));
        assert!((0..SLOTS).contains(&slot_of(MembershipId(-3))));
    }
}
