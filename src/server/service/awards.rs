//! Awards: an event evaluated under the membership lock and what it earns booked, the steps
//! that orders (`booking`) and actions (`orders::record_action`) share, with the receipt
//! they answer and the `points.earned` webhook they announce.

use crate::model::ids::{MemberId, MembershipId};
use sqlx::AnyConnection;

use crate::domain::lang::Lang;
use crate::domain::rules as engine;
use crate::error::AppError;
use crate::model::order::EarnReceipt;
use crate::model::program::Program;
use crate::model::rules::{Award, EarnEvent, EarningRule, MemberContext};
use crate::model::time::Timestamp;

use super::ledger::{self, Meta, Standing};
use super::rules;
use super::setup::Setup;
use crate::server::store::budgets;

/// The program's rules with their budgets as they stand under lock: every budget the rules
/// have is locked (in id order, in one go, so two careful bookings never wait on each other
/// in reverse). Only bookings whose optimistic charge failed come here, so this is rare.
pub(super) async fn locked_budgets(
    conn: &mut AnyConnection,
    rules: &[EarningRule],
) -> Result<Vec<EarningRule>, AppError> {
    let mut rules = rules.to_vec();
    let budgeted: Vec<i64> = rules
        .iter()
        .filter(|r| r.budget_points.is_some())
        .map(|r| r.budget_owner())
        .collect();
    if !budgeted.is_empty() {
        for (id, used, budget) in budgets::lock_all(conn, &budgeted).await? {
            // A campaign's variants share their first rule's budget.
            for r in rules.iter_mut().filter(|r| r.budget_owner() == id) {
                r.budget_used = used;
                r.budget_points = budget;
            }
        }
    }
    Ok(rules)
}

/// Everything an evaluation needs that is read under the membership lock.
pub(super) struct Evaluation {
    /// In English: the ledger's record.
    pub(super) award: Award,
    /// The same points told in the language of whoever booked it, for their receipt; `None`
    /// when that is English.
    pub(super) shown: Option<Award>,
    /// The budgets of the rules that gave (not the whole rule list: cloned per order, it was
    /// a good part of the booking's allocations).
    pub(super) budgets: Vec<RuleBudget>,
    /// The event's local day and month: what caps were counted for.
    pub(super) period: rules::CapPeriod,
}

/// Evaluates an event under the membership lock. Budgets are read, not locked: the booking
/// charges them last, with a conditional update (`charge_budgets`), so a campaign's row is
/// held only for the end of each transaction instead of serialising whole bookings. When
/// that charge finds the budget moved, the booking is redone with `exact`: the budgets it
/// could draw on are locked before evaluating.
pub(super) async fn evaluate_locked(
    conn: &mut AnyConnection,
    setup: &Setup,
    ctx: &MemberContext,
    membership_id: MembershipId,
    event: &EarnEvent,
    exact: bool,
    lang: Lang,
) -> Result<Evaluation, AppError> {
    let program = &setup.program;
    let locked;
    let rules: &[EarningRule] = match exact {
        true => {
            locked = locked_budgets(conn, &setup.rules).await?;
            &locked
        }
        false => &setup.rules,
    };
    let mut event = event.clone();
    setup.zones.localise(&mut event);
    let period = rules::CapPeriod::of(&event);
    let usage = rules::usage(conn, membership_id, period, rules).await?;
    let base = engine::base_rate(program);
    let award = engine::evaluate(&base, rules, &event, ctx, &usage);
    let shown = (lang != Lang::ENGLISH).then(|| engine::evaluate_in(lang, &base, rules, &event, ctx, &usage));
    Ok(Evaluation {
        budgets: RuleBudget::of_award(&award, rules),
        award,
        shown,
        period,
    })
}

impl Evaluation {
    /// Whether what rule `rule_id` gave here goes into `rule_awards`.
    pub(super) fn records(&self, rule_id: i64) -> bool {
        self.budgets.iter().any(|b| b.rule_id == rule_id && b.recorded)
    }

    /// The award for the receipt: in the booker's language.
    pub(super) fn shown(&self) -> &Award {
        self.shown.as_ref().unwrap_or(&self.award)
    }
}

/// A rule that gave in an award, as its budget sees it.
#[derive(Debug, Clone, Copy)]
pub(super) struct RuleBudget {
    pub(super) rule_id: i64,
    /// Whether what it gives is charged to a budget.
    pub(super) budgeted: bool,
    /// The rule that keeps the budget (a campaign's variants share one).
    pub(super) owner: i64,
    /// Whether what it gives is recorded in `rule_awards`: only what is read there is, a
    /// rule's per-member caps and a campaign's report. Most of a group's rows otherwise (ten
    /// segment rules giving a point each wrote ten rows an order that nothing reads).
    pub(super) recorded: bool,
}

impl RuleBudget {
    /// Those of `rules` with a line in `award` that gave points.
    pub(super) fn of_award(award: &Award, rules: &[EarningRule]) -> Vec<Self> {
        let mut out: Vec<Self> = Vec::new();
        for id in award
            .lines
            .iter()
            .filter(|l| l.matched && l.points > 0)
            .filter_map(|l| l.rule_id)
        {
            if let Some(r) = rules.iter().find(|r| r.id == id) {
                if !out.iter().any(|b| b.rule_id == id) {
                    out.push(Self {
                        rule_id: id,
                        budgeted: r.budget_points.is_some(),
                        owner: r.budget_owner(),
                        recorded: rules::awards_read(r),
                    });
                }
            }
        }
        out
    }
}

/// (rule id, budgeted, points) as `ledger::earn` takes them.
pub(super) type ByRule = (Option<i64>, bool, i64);

/// What an award gives, by rule: (rule id or None for the base rate, charged to a budget,
/// points) for the ledger, and the rules' part of it for their caps.
pub(super) fn award_parts(eval: &Evaluation) -> (Vec<ByRule>, Vec<(i64, i64)>) {
    let mut by_rule = Vec::new();
    let mut given = Vec::new();
    for l in eval.award.lines.iter().filter(|l| l.matched && l.points > 0) {
        match l.rule_id {
            None => by_rule.push((None, false, l.points)),
            Some(id) => {
                if eval.budgets.iter().any(|b| b.rule_id == id) {
                    given.push((id, l.points));
                }
            }
        }
    }
    for &(id, points) in &given {
        let budgeted = eval.budgets.iter().any(|b| b.rule_id == id && b.budgeted);
        by_rule.push((Some(id), budgeted, points));
    }
    (by_rule, given)
}

/// What an award charges to campaign budgets: (rule id, points) of each budgeted rule, the
/// id being that of the rule that keeps the budget (a campaign's variants share one).
pub(super) fn budget_charges(by_rule: &[ByRule], budgets: &[RuleBudget]) -> Vec<(i64, i64)> {
    by_rule
        .iter()
        .filter_map(|&(rule, budgeted, points)| rule.filter(|_| budgeted).map(|r| (r, points)))
        .map(|(id, points)| {
            let owner = budgets.iter().find(|b| b.rule_id == id).map_or(id, |b| b.owner);
            (owner, points)
        })
        .collect()
}

/// Books an award: the ledger transaction (held as pending when `hold_until` is set), the
/// per-rule usage and budget charges. Returns (transaction id, standing after).
#[allow(clippy::too_many_arguments)]
pub(super) async fn book_award(
    conn: &mut AnyConnection,
    program: &Program,
    membership_id: MembershipId,
    eval: &Evaluation,
    hold_until: Option<Timestamp>,
    meta: &Meta<'_>,
    at: Timestamp,
) -> Result<(i64, Standing), AppError> {
    let (by_rule, given) = award_parts(eval);
    let (tx_id, standing) =
        ledger::earn(conn, program, membership_id, &by_rule, hold_until, meta, at).await?;
    // Caps count by the event's day and month, as the usage was looked up for.
    let given: Vec<rules::Given> = given
        .into_iter()
        .filter(|&(rule_id, _)| eval.records(rule_id))
        .map(|(rule_id, points)| rules::Given {
            rule_id,
            membership_id,
            points,
            period: eval.period,
        })
        .collect();
    rules::record_awards(conn, &given).await?;
    Ok((tx_id, standing))
}

/// Charges the award to the budgets it drew on, each only if it still fits (the last
/// statements of a booking, so the budget slots are held briefly). False when a concurrent
/// booking used the budget since it was read: the caller rolls back and books `exact`.
pub(super) async fn charge_budgets(
    conn: &mut AnyConnection,
    eval: &Evaluation,
    membership_id: MembershipId,
    exact: bool,
) -> Result<bool, AppError> {
    let charges: Vec<(i64, MembershipId, i64)> = budget_charges(&award_parts(eval).0, &eval.budgets)
        .into_iter()
        .map(|(rule_id, points)| (rule_id, membership_id, points))
        .collect();
    budgets::charge_all(conn, &charges, exact).await
}

/// Puts a `points.earned` webhook into the outbox, in the booking's transaction.
#[allow(clippy::too_many_arguments)]
pub(super) async fn announce_earned(
    conn: &mut AnyConnection,
    setup: &Setup,
    member_id: MemberId,
    tx_id: i64,
    award: &Award,
    pending: bool,
    standing: &Standing,
    at: Timestamp,
) -> Result<(), AppError> {
    if award.total <= 0 {
        return Ok(());
    }
    let program = &setup.program;
    let data = serde_json::json!({
        "member_id": member_id,
        "program_id": program.id,
        "transaction_id": tx_id,
        "points": award.total,
        "pending": pending,
        "balance": standing.balance,
        "explanation": award.summary,
    });
    crate::server::webhooks::enqueue_to(conn, &setup.endpoints, "points.earned", data, at).await
}

/// The receipt of a transaction booked earlier, read back from the ledger.
pub(super) async fn earlier_receipt(
    conn: &mut AnyConnection,
    program: &Program,
    member_id: MemberId,
    membership_id: MembershipId,
    tx_id: i64,
) -> Result<EarnReceipt, AppError> {
    let (description, explanation): (String, Option<String>) =
        sqlx::query_as("SELECT description, explanation FROM ledger_transactions WHERE id = $1")
            .bind(tx_id)
            .fetch_one(&mut *conn)
            .await?;
    let (points, pending): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN account = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM ledger_postings WHERE transaction_id = $1 AND account IN ('wallet', 'pending')",
    )
    .bind(tx_id)
    .fetch_one(&mut *conn)
    .await?;
    let standing = ledger::lock(conn, membership_id).await?;
    let award = explanation
        .and_then(|e| serde_json::from_str(&e).ok())
        .unwrap_or_else(|| Award {
            total: points,
            lines: Vec::new(),
            summary: description.clone(),
        });
    Ok(EarnReceipt {
        transaction_id: tx_id,
        member_id,
        program_id: program.id,
        points,
        pending: pending > 0,
        balance: standing.balance,
        pending_balance: standing.pending,
        currency_name: program.currency_name.clone(),
        explanation: description,
        award,
        stamps: Vec::new(),
        replayed: true,
    })
}

pub(super) fn receipt(
    program: &Program,
    member_id: MemberId,
    tx_id: i64,
    award: Award,
    pending: bool,
    standing: Standing,
) -> EarnReceipt {
    EarnReceipt {
        transaction_id: tx_id,
        member_id,
        program_id: program.id,
        points: award.total,
        pending: pending && award.total > 0,
        balance: standing.balance,
        pending_balance: standing.pending,
        currency_name: program.currency_name.clone(),
        explanation: engine::explain(&award),
        award,
        stamps: Vec::new(),
        replayed: false,
    }
}

/// An award told in words and kept whole, as its transaction records it.
pub(super) struct Told {
    pub(super) description: String,
    pub(super) explanation: String,
}

impl Told {
    pub(super) fn of(award: &Award) -> Self {
        Told {
            description: engine::explain(award),
            explanation: serde_json::to_string(award).unwrap_or_default(),
        }
    }
}

pub(super) fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
