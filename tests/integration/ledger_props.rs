//! Property tests of the ledger invariants on real databases: for any sequence of orders,
//! returns, redemptions, rewards reserved, used and released, adjustments, expiries and
//! releases, every transaction balances, member balances equal minus the program accounts,
//! each posting's running balance chains, open lots equal the positive wallets after every
//! step, no lot past its expiry keeps points after the jobs ran, no wallet goes below zero
//! unless the program allows it, and no daily cap or campaign budget is exceeded.

use omniloyal::model::order::ReturnInput;
use omniloyal::model::rules::{Channel, RuleEffect};
use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
use omniloyal::server::db::Db;
use omniloyal::server::jobs;
use omniloyal::server::service::{adjustments, ledger, orders, rewards, rules};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::fixtures::{assert_reconciles, balance, membership, order, reward_input, rule, world};

#[derive(Debug, Clone)]
enum Op {
    Order(i64),
    /// Return this percent of the n-th order so far (if any).
    Return(usize, u8),
    Redeem(i64),
    /// Redeem a reward (the dearer one if true), reserved for a checkout or issued.
    Reward(bool, bool),
    /// Release the n-th reward code so far (if any), or use it.
    Release(usize),
    Use(usize),
    Adjust(i64),
    /// Run the jobs this many days further on.
    Jobs(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0i64..20_000).prop_map(Op::Order),
        2 => (0usize..8, 1u8..=100).prop_map(|(i, p)| Op::Return(i, p)),
        2 => (1i64..400).prop_map(Op::Redeem),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(big, reserve)| Op::Reward(big, reserve)),
        2 => (0usize..6).prop_map(Op::Release),
        1 => (0usize..6).prop_map(Op::Use),
        1 => (-300i64..300).prop_map(Op::Adjust),
        1 => (1i64..60).prop_map(Op::Jobs),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    allow_negative: bool,
    pending_days: i64,
    expiry_months: i64,
    budget: i64,
    ops: Vec<Op>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        prop_oneof![Just(0i64), Just(7)],
        prop_oneof![Just(0i64), Just(1)],
        0i64..2_000,
        proptest::collection::vec(op(), 1..25),
    )
        .prop_map(
            |(allow_negative, pending_days, expiry_months, budget, ops)| Case {
                allow_negative,
                pending_days,
                expiry_months,
                budget,
                ops,
            },
        )
}

async fn run(db: Db, c: Case) {
    let w = world(&db, |p| {
        p.allow_negative = Some(if c.allow_negative { "yes" } else { "no" }.into());
        p.pending_days = c.pending_days.to_string();
        if c.expiry_months > 0 {
            p.expiry_mode = "fixed".into();
            p.expiry_months = c.expiry_months.to_string();
        }
    })
    .await;
    let mut bonus = rule(
        w.program.id,
        "Campaign",
        1,
        RuleEffect::FixedPoints { points: 75 },
    );
    bonus.budget_points = Some(c.budget);
    rules::save(&db, &bonus).await.unwrap();
    let mut daily = rule(w.program.id, "Daily", 2, RuleEffect::FixedPoints { points: 30 });
    daily.caps.per_member_day = Some(100);
    let daily = rules::save(&db, &daily).await.unwrap();
    let small = rewards::save(&db, &reward_input(w.program.id, "Small", "50"))
        .await
        .unwrap();
    let big = rewards::save(&db, &reward_input(w.program.id, "Big", "150"))
        .await
        .unwrap();
    let mut codes: Vec<(String, String)> = Vec::new();
    let ms = membership(&db, &w).await;
    let mut clock = Timestamp::now();
    let mut placed = 0usize;
    for (i, o) in c.ops.iter().enumerate() {
        match o {
            Op::Order(amount) => {
                orders::record_order(
                    &db,
                    w.program.id,
                    w.member_id,
                    &order(&format!("o{i}"), *amount),
                    None,
                )
                .await
                .unwrap();
                placed = i + 1;
            }
            Op::Return(n, pct) => {
                // Return part of an earlier op, if that op was an order of some amount.
                let target = n % placed.max(1);
                let Some(Op::Order(amount)) = c.ops.get(target).filter(|_| target < placed) else {
                    continue;
                };
                if *amount == 0 {
                    continue;
                }
                let input = ReturnInput {
                    channel: Channel::Web,
                    returned_in: None,
                    channel_order_id: format!("o{target}"),
                    return_id: format!("r{i}"),
                    amount_minor: (amount * *pct as i64 / 100).max(1),
                };
                match orders::record_return(&db, w.program.id, &input, None).await {
                    Ok(_) => {}
                    Err(e) => assert_eq!(e.code(), "validation", "only over-returns are refused: {e:?}"),
                }
            }
            Op::Redeem(points) => {
                let mut tx = db.begin_write().await.unwrap();
                let meta = ledger::Meta::new(omniloyal::model::ledger::TxKind::Redeem, "web", "prop");
                match ledger::spend(
                    &mut tx,
                    &w.program,
                    ms,
                    *points,
                    ledger::Account::Redemption,
                    &meta,
                    Timestamp::now(),
                )
                .await
                {
                    Ok(_) => tx.commit().await.unwrap(),
                    Err(e) => assert_eq!(e.code(), "insufficient_points", "{e:?}"),
                }
            }
            Op::Reward(dear, reserve) => {
                let reward = if *dear { big.id } else { small.id };
                let request = format!("rw{i}");
                match rewards::redeem(&db, w.member_id, reward, Channel::Web, &request, *reserve, None).await
                {
                    Ok(issued) => codes.push((issued.code, issued.pin)),
                    Err(e) => assert_eq!(e.code(), "insufficient_points", "{e:?}"),
                }
            }
            Op::Release(n) | Op::Use(n) => {
                let Some((code, pin)) = codes.get(n % codes.len().max(1)) else {
                    continue;
                };
                let done = if matches!(o, Op::Release(_)) {
                    rewards::release(&db, code, None).await.map(|_| ())
                } else {
                    rewards::use_code(&db, code, Some(pin), Channel::Web)
                        .await
                        .map(|_| ())
                };
                if let Err(e) = done {
                    assert!(matches!(e.code(), "reward_used" | "reward_expired"), "{e:?}");
                }
            }
            Op::Adjust(points) => {
                match adjustments::by_staff(&db, None, ms, *points, "Property test", &format!("adj{i}")).await
                {
                    Ok(_) => {}
                    Err(e) => assert!(matches!(e.code(), "insufficient_points" | "validation"), "{e:?}"),
                }
            }
            Op::Jobs(days) => {
                clock = Timestamp(clock.0 + days * SECONDS_PER_DAY);
                let first = jobs::run_all(&db, clock).await.unwrap();
                let second = jobs::run_all(&db, clock).await.unwrap();
                assert_eq!(
                    second,
                    jobs::JobReport::default(),
                    "jobs are idempotent (first: {first:?})"
                );
                let stale: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM point_lots \
                     WHERE membership_id = $1 AND remaining > 0 AND expires_at <= $2",
                )
                .bind(ms)
                .bind(clock.0)
                .fetch_one(&db.pool)
                .await
                .unwrap();
                assert_eq!(stale, 0, "no lot keeps points past its expiry once the jobs ran");
            }
        }
        let r = ledger::reconcile(&db, w.program.id).await.unwrap();
        assert_eq!(
            r.open_lots, r.positive_wallets,
            "open lots = positive wallet after {o:?}: {r:?}"
        );
        let days: Vec<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(points) AS BIGINT) FROM rule_awards WHERE rule_id = $1 GROUP BY day",
        )
        .bind(daily.id)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert!(days.iter().all(|&d| d <= 100), "the daily cap holds: {days:?}");
        let (wallet, pending) = balance(&db, &w).await;
        assert!(pending >= 0);
        if !c.allow_negative {
            assert!(wallet >= 0, "wallet {wallet} below zero after {o:?}");
        }
    }
    assert_reconciles(&db, w.program.id).await;
    let unbalanced: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT transaction_id FROM ledger_postings \
         GROUP BY transaction_id HAVING SUM(points) <> 0) t",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(unbalanced, 0, "every transaction balances");
    // Each member-side posting carries the running balance of its account.
    for account in ["wallet", "pending"] {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT points, balance_after FROM ledger_postings WHERE membership_id = $1 AND account = $2 ORDER BY id",
        )
        .bind(ms)
        .bind(account)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let mut running = 0;
        for (points, after) in rows {
            running += points;
            assert_eq!(after, running, "{account} chain");
        }
    }
    let used: i64 = rules::list(&db, w.program.id).await.unwrap()[0].budget_used;
    assert!(used <= c.budget, "budget {used} of {}", c.budget);
}

fn check(cases: u32, postgres: bool) {
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    runner
        .run(&case(), |c| {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let db = if postgres {
                    crate::support::postgres().await
                } else {
                    Some(crate::support::sqlite().await)
                };
                if let Some(db) = db {
                    run(db, c).await;
                }
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn ledger_invariants_hold_on_sqlite() {
    check(24, false);
}

#[test]
fn ledger_invariants_hold_on_postgres() {
    check(12, true);
}
