//! The demo data generator: a small brand generated on each backend keeps every ledger
//! invariant, holds what its report says, is the same for the same seed (another seed's
//! differs: `simulate`'s unit tests), and its members have no password.

use omniloyal::server::db::Db;
use omniloyal::server::generator::simulate::Behaviour;
use omniloyal::server::generator::{self, Generated, Plan, Stage};

use crate::on_both_backends;
use crate::support::fixtures::assert_reconciles;

fn plan(seed: u64) -> Plan {
    Plan {
        members: 80,
        months: 2,
        seed,
        behaviour: Behaviour {
            // Busier than the default, so two months of 80 members have returns,
            // redemptions and referrals to check.
            r: 2.0,
            alpha: 1.0,
            returned: 0.1,
            referred: 0.2,
            ..Behaviour::default()
        },
        stop: None,
    }
}

async fn count(db: &Db, sql: &str, program: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(program)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// What the tables hold of a generated program, to compare two generations.
async fn shape(db: &Db, made: &Generated) -> Vec<i64> {
    let p = made.program_id.get();
    let mut shape = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM memberships WHERE program_id = $1",
        "SELECT COUNT(*) FROM orders WHERE program_id = $1",
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM orders WHERE program_id = $1",
        "SELECT CAST(COALESCE(SUM(returned_minor), 0) AS BIGINT) FROM orders WHERE program_id = $1",
        // What the ledger made of them: points, balances, tiers and rewards.
        "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM orders WHERE program_id = $1",
        "SELECT CAST(SUM(balance) AS BIGINT) FROM memberships WHERE program_id = $1",
        "SELECT CAST(SUM(lifetime_points) AS BIGINT) FROM memberships WHERE program_id = $1",
        "SELECT COUNT(*) FROM tier_changes c JOIN memberships m ON m.id = c.membership_id WHERE m.program_id = $1",
        "SELECT COUNT(*) FROM issued_rewards i JOIN memberships m ON m.id = i.membership_id \
         WHERE m.program_id = $1 AND i.status = 'used'",
        "SELECT COUNT(*) FROM members mb JOIN memberships m ON m.member_id = mb.id \
         WHERE m.program_id = $1 AND mb.referred_by IS NOT NULL",
        "SELECT COUNT(*) FROM survey_answers WHERE program_id = $1",
        "SELECT CAST(COALESCE(SUM(score), 0) AS BIGINT) FROM survey_answers WHERE program_id = $1",
    ] {
        shape.push(count(db, sql, p).await);
    }
    shape
}

async fn generates_a_brand_that_keeps_the_ledger(db: Db) {
    let before = db.now();
    let made = generator::generate(&db, &plan(5), &|_| {}).await.unwrap();
    let p = made.program_id.get();
    // The clock is back at the present.
    assert!((db.now().0 - before.0).abs() < 600, "clock put back");
    assert!(made.members == 80 && made.orders > made.members, "{made:?}");
    assert!(
        made.returns > 0 && made.redemptions > 0 && made.referred > 0,
        "{made:?}"
    );

    let shaped = shape(&db, &made).await;
    let (members, orders, sales, returned) = (shaped[0], shaped[1], shaped[2], shaped[3]);
    assert_eq!(members as u64, made.members);
    assert_eq!(orders as u64, made.orders);
    assert_eq!(shaped[9] as u64, made.referred);
    assert!(sales > 0 && returned > 0 && returned < sales);
    let returns = count(
        &db,
        "SELECT COUNT(*) FROM orders WHERE program_id = $1 AND returned_minor > 0",
        p,
    )
    .await;
    assert_eq!(returns as u64, made.returns, "each return is on its own order");
    // Orders carry lines that add up, in all three channels, dated in the past months.
    let mismatched = count(
        &db,
        "SELECT COUNT(*) FROM orders o WHERE o.program_id = $1 AND o.amount_minor <> \
         (SELECT SUM(l.amount_minor) FROM order_lines l WHERE l.order_id = o.id)",
        p,
    )
    .await;
    assert_eq!(mismatched, 0);
    let channels = count(
        &db,
        "SELECT COUNT(DISTINCT channel) FROM orders WHERE program_id = $1",
        p,
    )
    .await;
    assert_eq!(channels, 3);
    let oldest = count(&db, "SELECT MIN(created_at) FROM orders WHERE program_id = $1", p).await;
    assert!(
        oldest < before.0 - 45 * 86_400,
        "history goes back months: {oldest}"
    );
    // Each order was booked within the simulated hour it happened in, never later.
    let late = count(
        &db,
        "SELECT COUNT(*) FROM orders o JOIN ledger_transactions t ON t.id = o.transaction_id \
         WHERE o.program_id = $1 AND (t.created_at < o.created_at OR t.created_at > o.created_at + 3600)",
        p,
    )
    .await;
    assert_eq!(late, 0, "orders booked in their hour");
    // Survey answers: as many as it says, each with its event, at most one a quarter each.
    assert!(made.answers > 0, "{made:?}");
    assert_eq!(shaped[10] as u64, made.answers);
    let twice = count(
        &db,
        "SELECT COUNT(*) FROM (SELECT membership_id, period FROM survey_answers WHERE program_id = $1 \
         GROUP BY membership_id, period HAVING COUNT(*) > 1) x",
        p,
    )
    .await;
    assert_eq!(twice, 0);
    let unbooked = count(
        &db,
        "SELECT COUNT(*) FROM survey_answers a LEFT JOIN ledger_transactions t ON t.id = a.transaction_id \
         WHERE a.program_id = $1 AND (t.id IS NULL OR t.kind <> 'event')",
        p,
    )
    .await;
    assert_eq!(unbooked, 0);
    // The ledger: balanced, member balances against program accounts, lots against wallets,
    // and each account's running balance.
    assert_reconciles(&db, made.program_id).await;
    let broken: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT membership_id, account, points, balance_after FROM ledger_postings \
         WHERE program_id = $1 AND membership_id IS NOT NULL ORDER BY membership_id, account, id",
    )
    .bind(p)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut running = (0, String::new(), 0);
    for (ms, account, points, after) in broken {
        if (ms, &account) != (running.0, &running.1) {
            running = (ms, account.clone(), 0);
        }
        running.2 += points;
        assert_eq!(after, Some(running.2), "{account} chain of membership {ms}");
    }
    let wallets_match = count(
        &db,
        "SELECT COUNT(*) FROM memberships m WHERE m.program_id = $1 AND m.balance <> \
         COALESCE((SELECT SUM(points) FROM ledger_postings p WHERE p.membership_id = m.id AND p.account = 'wallet'), 0)",
        p,
    )
    .await;
    assert_eq!(wallets_match, 0);
    // Points were held, released, spent on rewards and given for referrals.
    for kind in ["earn", "redeem", "release", "event"] {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM ledger_transactions WHERE program_id = $1 AND kind = $2",
        )
        .bind(p)
        .bind(kind)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert!(n > 0, "no {kind} transactions");
    }
    // Generated members claim their account later: none has a sign-in.
    let with_login = count(
        &db,
        "SELECT COUNT(*) FROM members mb JOIN memberships m ON m.member_id = mb.id \
         WHERE m.program_id = $1 AND mb.user_id IS NOT NULL",
        p,
    )
    .await;
    assert_eq!(with_login, 0);
    // Some reached a higher tier.
    let above_entry = count(
        &db,
        "SELECT COUNT(*) FROM memberships m JOIN tiers t ON t.id = m.tier_id \
         WHERE m.program_id = $1 AND t.threshold_points > 0",
        p,
    )
    .await;
    assert!(above_entry > 0);

    // The same seed again (a second brand in the same database) makes the same history.
    let again = generator::generate(&db, &plan(5), &|_| {}).await.unwrap();
    assert_ne!(again.program_id, made.program_id);
    assert_eq!(shape(&db, &again).await, shape(&db, &made).await);
    assert_reconciles(&db, again.program_id).await;
}

on_both_backends!(generates_a_brand_that_keeps_the_ledger);

/// A generation stopped part of the way (within an hour, as a killed process stops: after
/// its members were enrolled, after its orders were booked, after its rewards were spent)
/// goes on from the last hour it finished when it is run again, and ends with the history
/// of a generation that never stopped.
async fn a_stopped_generation_goes_on_where_it_stopped(db: Db) {
    let straight = generator::generate(&db, &plan(9), &|_| {}).await.unwrap();
    let s = straight.program_id.get();
    let start: i64 = sqlx::query_scalar("SELECT start_at FROM demo_generations WHERE program_id = $1")
        .bind(s)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    // Busy hours of that history: one where someone joined, and two where rewards were
    // redeemed (their codes are made at the end of the hour, when the clock stood), one of
    // them used at once.
    let joined: Vec<i64> =
        sqlx::query_scalar("SELECT joined_at FROM memberships WHERE program_id = $1 ORDER BY id")
            .bind(s)
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let redeemed: Vec<(i64, String)> = sqlx::query_as(
        "SELECT i.created_at, i.status FROM issued_rewards i JOIN memberships m ON m.id = i.membership_id \
         WHERE m.program_id = $1 ORDER BY i.id",
    )
    .bind(s)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let used = redeemed
        .iter()
        .find(|r| r.1 == "used")
        .expect("a reward used at once");
    let hour_of_code = |at: i64| (at - start) / 3600 - 1;
    let mut stops = vec![
        ((joined[joined.len() / 2] - start) / 3600, Stage::Enrolled),
        (hour_of_code(redeemed[redeemed.len() / 3].0), Stage::Ordered),
        (hour_of_code(used.0), Stage::Spent),
    ];
    stops.sort_by_key(|s| (s.0, s.1 as u8));
    for stop in &stops {
        let stopped = generator::generate(
            &db,
            &Plan {
                stop: Some(*stop),
                ..plan(9)
            },
            &|_| {},
        )
        .await
        .unwrap_err();
        assert_eq!(stopped.code(), "try_again", "{stopped:?}");
    }
    // Another plan is refused while it is unfinished.
    let refused = generator::generate(&db, &plan(10), &|_| {}).await.unwrap_err();
    assert_eq!(refused.code(), "conflict");
    let resumed = generator::generate(&db, &plan(9), &|_| {}).await.unwrap();
    assert_ne!(resumed.program_id, straight.program_id);
    assert_eq!(resumed.runs, 4);
    assert_eq!(shape(&db, &resumed).await, shape(&db, &straight).await);
    assert_eq!(
        (
            resumed.members,
            resumed.referred,
            resumed.orders,
            resumed.returns,
            resumed.redemptions,
            resumed.answers
        ),
        (
            straight.members,
            straight.referred,
            straight.orders,
            straight.returns,
            straight.redemptions,
            straight.answers
        )
    );
    assert_reconciles(&db, resumed.program_id).await;
    // Finished: the next generation is a new brand.
    let next = generator::generate(&db, &plan(10), &|_| {}).await.unwrap();
    assert_eq!(next.runs, 1);
}

on_both_backends!(a_stopped_generation_goes_on_where_it_stopped);
