//! The loyalty engine against real databases: lots and expiry, pending points and returns,
//! rules with caps and budgets under concurrency, rewards and their codes, adjustments,
//! and the double-entry reconciliation after each story.

use omniloyal::error::AppError;
use omniloyal::model::ids::{MemberId, ProgramId, UserId};
use omniloyal::model::order::{ActionInput, OrderInput, ReturnInput};
use omniloyal::model::reward::RewardInput;
use omniloyal::model::rules::{Channel, EarningRule, RuleEffect};
use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::jobs;
use omniloyal::server::service::{adjustments, ledger, members, orders, rewards, rules, tiers};
use omniloyal::server::store::programs;

use crate::on_both_backends;
use crate::support::fixtures::{
    assert_reconciles, balance, membership, order, reward_input, rule, world, World,
};
use crate::support::make_user;
use omniloyal::server::query::member_view;

async fn spending_takes_earliest_expiring_lots_and_expiry_runs_once(db: Db) {
    let w = world(&db, |p| {
        p.expiry_mode = "fixed".into();
        p.expiry_months = "12".into();
    })
    .await;
    let ms = membership(&db, &w).await;
    let now = Timestamp::now();
    // 100 points earned 200 days ago (expire in about 165 days), then 100 earned now.
    let mut tx = db.begin_write().await.unwrap();
    let meta = ledger::Meta::new(omniloyal::model::ledger::TxKind::Earn, "web", "test earn");
    let old = Timestamp(now.0 - 200 * SECONDS_PER_DAY);
    ledger::earn(&mut tx, &w.program, ms, &[(None, false, 100)], None, &meta, old)
        .await
        .unwrap();
    ledger::earn(&mut tx, &w.program, ms, &[(None, false, 100)], None, &meta, now)
        .await
        .unwrap();
    // Spend 30: taken from the lot that expires first.
    let meta = ledger::Meta::new(omniloyal::model::ledger::TxKind::Redeem, "web", "test spend");
    ledger::spend(
        &mut tx,
        &w.program,
        ms,
        30,
        ledger::Account::Redemption,
        &meta,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(balance(&db, &w).await, (170, 0));
    // In 200 days the 70 left of the older lot have expired; the newer lot has not.
    let later = Timestamp(now.0 + 200 * SECONDS_PER_DAY);
    let first = jobs::run_all(&db, later).await.unwrap();
    assert_eq!((first.expired_memberships, first.expired_points), (1, 70));
    let second = jobs::run_all(&db, later).await.unwrap();
    assert_eq!(second.expired_points, 0, "a second run expires nothing");
    assert_eq!(balance(&db, &w).await, (100, 0));
    // Two years on, the rest goes too.
    let much_later = Timestamp(now.0 + 800 * SECONDS_PER_DAY);
    assert_eq!(jobs::run_all(&db, much_later).await.unwrap().expired_points, 100);
    assert_eq!(balance(&db, &w).await, (0, 0));
    assert_reconciles(&db, w.program.id).await;
}

async fn inactivity_expiry_moves_with_activity(db: Db) {
    let w = world(&db, |p| {
        p.expiry_mode = "inactivity".into();
        p.expiry_months = "6".into();
    })
    .await;
    orders::record_order(&db, w.program.id, w.member_id, &order("o1", 1000), None)
        .await
        .unwrap();
    // Points spent and given back count from the release: the emptied lot's old deadline
    // (here long past) does not come back with them.
    let reward = rewards::save(&db, &reward_input(w.program.id, "Mug", "100"))
        .await
        .unwrap();
    let code = rewards::redeem(&db, w.member_id, reward.id, Channel::Web, "mug", false, None)
        .await
        .unwrap()
        .code;
    sqlx::query("UPDATE point_lots SET expires_at = 1 WHERE membership_id = $1")
        .bind(membership(&db, &w).await)
        .execute(&db.pool)
        .await
        .unwrap();
    rewards::release(&db, &code, None).await.unwrap();
    assert_eq!(
        jobs::run_all(&db, Timestamp::now()).await.unwrap().expired_points,
        0
    );
    assert_eq!(balance(&db, &w).await, (100, 0));
    let in_five_months = Timestamp(Timestamp::now().0 + 150 * SECONDS_PER_DAY);
    assert_eq!(
        jobs::run_all(&db, in_five_months).await.unwrap().expired_points,
        0
    );
    let in_seven_months = Timestamp(Timestamp::now().0 + 210 * SECONDS_PER_DAY);
    assert_eq!(
        jobs::run_all(&db, in_seven_months).await.unwrap().expired_points,
        100
    );
    assert_eq!(balance(&db, &w).await, (0, 0));
    assert_reconciles(&db, w.program.id).await;
}

async fn pending_points_release_or_shrink_with_returns(db: Db) {
    let w = world(&db, |p| p.pending_days = "14".into()).await;
    let r = orders::record_order(&db, w.program.id, w.member_id, &order("o1", 5000), None)
        .await
        .unwrap();
    assert!(r.pending);
    assert_eq!(balance(&db, &w).await, (0, 500));
    // A 20.00 return of the 50.00 order takes back 200 of the held points.
    let ret = ReturnInput {
        channel: Channel::Web,
        returned_in: None,
        channel_order_id: "o1".into(),
        return_id: "r1".into(),
        amount_minor: 2000,
    };
    let rr = orders::record_return(&db, w.program.id, &ret, None)
        .await
        .unwrap();
    assert_eq!((rr.points_clawed_back, rr.shortfall), (200, 0));
    let again = orders::record_return(&db, w.program.id, &ret, None)
        .await
        .unwrap();
    assert!(again.replayed, "the same return id books once");
    assert_eq!(balance(&db, &w).await, (0, 300));
    // Before the window closes nothing is released; after it, the rest reaches the wallet.
    assert_eq!(
        jobs::run_all(&db, Timestamp::now())
            .await
            .unwrap()
            .released_points,
        0
    );
    let after = Timestamp(Timestamp::now().0 + 15 * SECONDS_PER_DAY);
    assert_eq!(jobs::run_all(&db, after).await.unwrap().released_points, 300);
    assert_eq!(
        jobs::run_all(&db, after).await.unwrap().released_points,
        0,
        "released once"
    );
    assert_eq!(balance(&db, &w).await, (300, 0));
    // Returning the rest (30.00) claws back the remaining 300 from the wallet: all 500 back.
    let rest = ReturnInput {
        return_id: "r2".into(),
        amount_minor: 3000,
        ..ret.clone()
    };
    let rr = orders::record_return(&db, w.program.id, &rest, None)
        .await
        .unwrap();
    assert_eq!(rr.points_clawed_back, 300);
    assert_eq!(balance(&db, &w).await, (0, 0));
    // Nothing is left to return.
    let over = ReturnInput {
        return_id: "r3".into(),
        amount_minor: 1,
        ..ret
    };
    let e = orders::record_return(&db, w.program.id, &over, None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "validation");
    assert_reconciles(&db, w.program.id).await;
}

async fn returns_respect_the_negative_balance_policy(db: Db) {
    for allow in [false, true] {
        let w = world(&db, |p| {
            p.allow_negative = Some(if allow { "yes" } else { "no" }.into())
        })
        .await;
        orders::record_order(&db, w.program.id, w.member_id, &order("o1", 1000), None)
            .await
            .unwrap();
        let ms = membership(&db, &w).await;
        adjustments::by_staff(&db, Some(w.staff_id), ms, -80, "Spent at a partner", "adj")
            .await
            .unwrap();
        let ret = ReturnInput {
            channel: Channel::Web,
            returned_in: None,
            channel_order_id: "o1".into(),
            return_id: "r1".into(),
            amount_minor: 1000,
        };
        let rr = orders::record_return(&db, w.program.id, &ret, None)
            .await
            .unwrap();
        if allow {
            assert_eq!((rr.points_clawed_back, rr.shortfall, rr.balance), (100, 0, -80));
        } else {
            assert_eq!((rr.points_clawed_back, rr.shortfall, rr.balance), (20, 80, 0));
        }
        assert_reconciles(&db, w.program.id).await;
    }
}

async fn orders_are_deduplicated_by_channel_order_id(db: Db) {
    let w = world(&db, |_| ()).await;
    let a = orders::record_order(&db, w.program.id, w.member_id, &order("same", 1000), None)
        .await
        .unwrap();
    let b = orders::record_order(&db, w.program.id, w.member_id, &order("same", 1000), None)
        .await
        .unwrap();
    assert!(b.replayed);
    assert_eq!((a.transaction_id, a.points), (b.transaction_id, b.points));
    // The same order id in another channel is another order.
    let store = OrderInput {
        channel: Channel::Store,
        ..order("same", 1000)
    };
    assert!(
        !orders::record_order(&db, w.program.id, w.member_id, &store, None)
            .await
            .unwrap()
            .replayed
    );
    // ...but not for another member.
    let other = world(&db, |_| ()).await;
    members::join(&db, other.member_id, w.program.id).await.unwrap();
    let e = orders::record_order(&db, w.program.id, other.member_id, &order("same", 1000), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert_eq!(balance(&db, &w).await, (200, 0));
    assert_reconciles(&db, w.program.id).await;
}

async fn bad_orders_are_refused_and_change_nothing(db: Db) {
    let w = world(&db, |_| ()).await;
    let mut lines_off = order("o1", 1000);
    lines_off.lines = vec![omniloyal::model::rules::OrderLine {
        sku: "A".into(),
        category: None,
        tags: Vec::new(),
        quantity: 1,
        amount_minor: 900,
    }];
    let cases: Vec<(OrderInput, &str)> = vec![
        (order("o1", -5), "amount_minor"),
        (order("o1", 10_000_000_000), "amount_minor"),
        (order("has space", 100), "channel_order_id"),
        (lines_off, "lines"),
        (
            OrderInput {
                occurred_at: Some(Timestamp(Timestamp::now().0 + 86_400)),
                ..order("o2", 100)
            },
            "occurred_at",
        ),
    ];
    for (input, field) in cases {
        let e = orders::record_order(&db, w.program.id, w.member_id, &input, None)
            .await
            .unwrap_err();
        assert!(e.field_message(field).is_some(), "{field}: {e:?}");
    }
    let e = orders::record_order(
        &db,
        ProgramId(w.program.id.get() + 99),
        w.member_id,
        &order("o1", 100),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "not_found");
    let e = orders::record_order(
        &db,
        w.program.id,
        MemberId(w.member_id.get() + 99),
        &order("o1", 100),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "not_found");
    let mut off = crate::support::fixtures::program_input(&w.program.name);
    off.id = Some(w.program.id);
    off.active = Some("no".into());
    programs::save(&db, &off).await.unwrap();
    let e = orders::record_order(&db, w.program.id, w.member_id, &order("o1", 100), None)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::ProgramInactive));
    assert_eq!(balance(&db, &w).await, (0, 0));
    assert!(member_view::history(&db, w.member_id, 10)
        .await
        .unwrap()
        .is_empty());
}

async fn rules_stack_by_priority_with_caps_and_budget(db: Db) {
    let w = world(&db, |_| ()).await;
    let mut double = rule(
        w.program.id,
        "Double points",
        10,
        RuleEffect::Multiplier { pct: 200 },
    );
    double.caps.per_member_day = Some(150);
    rules::save(&db, &double).await.unwrap();
    let mut bonus = rule(
        w.program.id,
        "Launch bonus",
        5,
        RuleEffect::FixedPoints { points: 40 },
    );
    bonus.budget_points = Some(100);
    rules::save(&db, &bonus).await.unwrap();
    // €10.00: base 100, double +100, bonus +40.
    let r = orders::record_order(&db, w.program.id, w.member_id, &order("o1", 1000), None)
        .await
        .unwrap();
    assert_eq!(r.points, 240, "{}", r.explanation);
    assert!(r.explanation.contains("Double points"), "{}", r.explanation);
    // Second order: the day cap leaves 50 of the double, the budget 40 more.
    let r = orders::record_order(&db, w.program.id, w.member_id, &order("o2", 1000), None)
        .await
        .unwrap();
    assert_eq!(r.points, 190, "{}", r.explanation);
    // Third: the double is capped out, the budget has 20 left.
    let r = orders::record_order(&db, w.program.id, w.member_id, &order("o3", 1000), None)
        .await
        .unwrap();
    assert_eq!(r.points, 120, "{}", r.explanation);
    let saved = rules::list(&db, w.program.id).await.unwrap();
    let bonus = saved.iter().find(|r| r.name == "Launch bonus").unwrap();
    assert_eq!(bonus.budget_used, 100, "the budget is spent exactly");
    // A dry run writes nothing.
    let before = balance(&db, &w).await;
    let award = orders::dry_run(
        &db,
        w.program.id,
        Some(w.member_id),
        &omniloyal::model::rules::EarnEvent {
            event_type: "purchase".into(),
            channel: Channel::Web,
            store: None,
            amount_minor: 1000,
            lines: Vec::new(),
            occurred_at: Timestamp::now(),
            utc_offset_secs: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(award.total, 100);
    assert_eq!(balance(&db, &w).await, before);
    assert_reconciles(&db, w.program.id).await;
}

async fn concurrent_orders_never_overspend_a_budget(db: Db) {
    let w = world(&db, |_| ()).await;
    let mut bonus = rule(
        w.program.id,
        "First 500 points",
        5,
        RuleEffect::FixedPoints { points: 30 },
    );
    bonus.budget_points = Some(500);
    rules::save(&db, &bonus).await.unwrap();
    let mut members_ids = Vec::new();
    for _ in 0..6 {
        let m = world(&db, |_| ()).await;
        members::join(&db, m.member_id, w.program.id).await.unwrap();
        members_ids.push(m.member_id);
    }
    let mut tasks = Vec::new();
    for i in 0..30 {
        let db = db.clone();
        let (program_id, member_id) = (w.program.id, members_ids[i % members_ids.len()]);
        tasks.push(tokio::spawn(async move {
            orders::record_order(&db, program_id, member_id, &order(&format!("c{i}"), 100), None).await
        }));
    }
    let mut bonus_total = 0;
    for t in tasks {
        let r = t.await.unwrap().expect("every order books");
        bonus_total += r.points - 10;
    }
    assert_eq!(
        bonus_total, 500,
        "the budget is spent to the point and not beyond"
    );
    let saved = rules::list(&db, w.program.id).await.unwrap();
    assert_eq!(saved[0].budget_used, 500);
    assert_reconciles(&db, w.program.id).await;
}

/// Orders that arrive together (booked in one group): a refused one and the repeats of one
/// order id change nothing, every other order books once, and the new orders are still
/// booked together, without the repeats.
async fn orders_that_arrive_together_book_alone(db: Db) {
    let w = world(&db, |_| ()).await;
    let other = world(&db, |_| ()).await;
    members::join(&db, other.member_id, w.program.id).await.unwrap();
    orders::record_order(&db, w.program.id, other.member_id, &order("taken", 100), None)
        .await
        .unwrap();
    let before = db.committed().together;
    let mut tasks = Vec::new();
    for i in 0..17 {
        let id = match i {
            0..10 => format!("g{i}"),
            10..13 => "taken".to_string(),
            _ => "dup".to_string(),
        };
        let (db, program_id, member_id) = (db.clone(), w.program.id, w.member_id);
        tasks.push(tokio::spawn(async move {
            (
                id.clone(),
                orders::record_order(&db, program_id, member_id, &order(&id, 100), None).await,
            )
        }));
    }
    let (mut earned, mut dup_txs, mut dup_new) = (0, Vec::new(), 0);
    for t in tasks {
        match t.await.unwrap() {
            (id, Err(e)) => {
                assert_eq!(id, "taken", "only the other member's order id is refused: {e:?}");
                assert_eq!(e.code(), "conflict");
            }
            (id, Ok(r)) => {
                assert_ne!(id, "taken");
                if id == "dup" {
                    dup_txs.push(r.transaction_id);
                    dup_new += i32::from(!r.replayed);
                }
                if !r.replayed {
                    earned += r.points;
                }
            }
        }
    }
    assert!(
        db.committed().together >= before + 2,
        "new orders were booked together, the repeats left out of their batch"
    );
    assert_eq!(dup_txs.len(), 4);
    assert!(
        dup_txs.iter().all(|t| *t == dup_txs[0]),
        "a repeated order id books once"
    );
    assert_eq!(dup_new, 1, "one answer books, the others replay it");
    let booked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE program_id = $1")
        .bind(w.program.id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        booked, 12,
        "the other member's order, ten orders and one repeated id"
    );
    let balance: i64 =
        sqlx::query_scalar("SELECT balance FROM memberships WHERE member_id = $1 AND program_id = $2")
            .bind(w.member_id)
            .bind(w.program.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(earned > 0);
    assert_eq!(balance, earned, "the refused orders left nothing behind");
    assert_reconciles(&db, w.program.id).await;
}

/// Orders queued to SQLite's writer at the same moment are booked together, one statement
/// per table for all; they earn exactly what they earn booked one after another: the same
/// points, caps, tier upgrades (and the orders after them earning at the new tier), lots
/// and budget use. One program gets the orders all at once, a twin program one by one.
/// Each also has a segment rule (its members' segments are read with their memberships)
/// and a once-only bonus (its count is read with the coffee cap's day, in one statement).
async fn orders_booked_together_earn_what_they_earn_alone(db: Db) {
    use crate::support::fixtures::tier_input;
    use omniloyal::model::rules::OrderLine;
    use omniloyal::model::segment::{Condition, Definition, Join};
    use omniloyal::server::service::{rollups, segments};
    let worlds = [
        world(&db, |_| ()).await,
        world(&db, |_| ()).await,
        world(&db, |_| ()).await,
        world(&db, |_| ()).await,
    ];
    let (together, alone) = (worlds[0].program.id, worlds[1].program.id);
    let mut budget_rules = Vec::new();
    for program_id in [together, alone] {
        for (name, threshold, multiplier) in [("Green", "0", "1"), ("Gold", "500", "2")] {
            tiers::save_tier(&db, &tier_input(program_id, name, threshold, multiplier))
                .await
                .unwrap();
        }
        let mut coffee = rule(program_id, "Coffee", 20, RuleEffect::PerItem { points: 5 });
        coffee.conditions.include_categories = vec!["coffee".into()];
        coffee.caps.per_member_day = Some(40);
        rules::save(&db, &coffee).await.unwrap();
        let mut launch = rule(program_id, "Launch", 5, RuleEffect::FixedPoints { points: 10 });
        launch.budget_points = Some(1_000_000);
        budget_rules.push(rules::save(&db, &launch).await.unwrap().id);
        for w in &worlds {
            members::join(&db, w.member_id, program_id).await.unwrap();
        }
    }
    omniloyal::server::store::stores::save(
        &db,
        &omniloyal::model::store::StoreInput {
            code: "PARIS-1".into(),
            name: "Paris".into(),
            channel: "store".into(),
            time_zone: "Europe/Paris".into(),
        },
    )
    .await
    .unwrap();
    let purchase = |id: String| OrderInput {
        store: Some("paris-1".into()),
        lines: vec![
            OrderLine {
                sku: "LATTE".into(),
                category: Some("coffee".into()),
                tags: Vec::new(),
                quantity: 3,
                amount_minor: 900,
            },
            OrderLine {
                sku: "MUFFIN".into(),
                category: Some("food".into()),
                tags: Vec::new(),
                quantity: 1,
                amount_minor: 350,
            },
        ],
        ..order(&id, 1250)
    };
    // The first two members buy twice first in each program: "Regulars" (two orders) holds
    // them, not the others, and a rule gives its members 3 points an order.
    for program_id in [together, alone] {
        for (k, w) in worlds.iter().take(2).enumerate() {
            for n in 0..2 {
                let order = order(&format!("r{n}-{k}"), 100);
                orders::record_order(&db, program_id, w.member_id, &order, None)
                    .await
                    .unwrap();
            }
        }
    }
    rollups::catch_up(&db).await.unwrap();
    let mut regular_rules = Vec::new();
    for program_id in [together, alone] {
        let definition = Definition {
            join: Join::All,
            within: Join::All,
            groups: vec![vec![Condition::Orders {
                days: 0,
                min: Some(2),
                max: None,
            }]],
        };
        let regulars = segments::save_definition(&db, program_id, None, "Regulars", &definition)
            .await
            .unwrap();
        assert_eq!(regulars.members, 2);
        let mut bonus = rule(program_id, "Regulars", 3, RuleEffect::FixedPoints { points: 3 });
        bonus.conditions.segment_ids = vec![regulars.id];
        regular_rules.push(rules::save(&db, &bonus).await.unwrap().id);
        let mut once = rule(program_id, "Once", 2, RuleEffect::FixedPoints { points: 7 });
        once.caps.per_member_awards = Some(1);
        rules::save(&db, &once).await.unwrap();
    }
    // Two rounds first (300 points each, short of Gold: nothing makes them book alone),
    // then four more, in which every member reaches Gold.
    for (rounds, first) in [(0..2, true), (2..6, false)] {
        let before = db.committed().together;
        let mut tasks = Vec::new();
        for k in rounds {
            for w in &worlds {
                let (db, member_id) = (db.clone(), w.member_id);
                let order = purchase(format!("t{k}-{member_id}"));
                tasks.push(tokio::spawn(async move {
                    orders::record_order(&db, together, member_id, &order, None).await
                }));
            }
        }
        for t in tasks {
            let r = t.await.unwrap().unwrap();
            assert!(!r.replayed);
        }
        if first {
            assert!(
                db.committed().together > before,
                "some orders were booked together"
            );
        }
    }
    for w in &worlds {
        for k in 0..6 {
            let order = purchase(format!("a{k}-{}", w.member_id));
            orders::record_order(&db, alone, w.member_id, &order, None)
                .await
                .unwrap();
        }
    }
    let standing = |program_id: ProgramId, member_id: MemberId| {
        let db = db.clone();
        async move {
            let m = member_view::memberships(&db, member_id).await.unwrap();
            let m = m.into_iter().find(|m| m.program_id == program_id).unwrap();
            let coffee: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(a.points), 0) AS BIGINT) FROM rule_awards a \
                 JOIN earning_rules r ON r.id = a.rule_id JOIN memberships ms ON ms.id = a.membership_id \
                 WHERE r.name = 'Coffee' AND ms.program_id = $1 AND ms.member_id = $2",
            )
            .bind(program_id)
            .bind(member_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
            (m.balance, m.tier.map(|t| t.name), m.qualifying, coffee)
        }
    };
    for w in &worlds {
        let got = standing(together, w.member_id).await;
        assert_eq!(got, standing(alone, w.member_id).await, "member {}", w.member_id);
        assert_eq!(got.1.as_deref(), Some("Gold"), "upgraded on the way: {got:?}");
        assert_eq!(got.3, 40, "the coffee cap held: {got:?}");
    }
    for program_id in [together, alone] {
        assert_reconciles(&db, program_id).await;
    }
    // Each order keeps its store and its two lines, booked together or alone.
    let kept = |program_id: ProgramId| {
        let db = db.clone();
        async move {
            sqlx::query_as::<_, (i64, i64, i64, i64, String, i64)>(
                "SELECT COUNT(*), CAST(SUM(l.quantity) AS BIGINT), CAST(SUM(l.amount_minor) AS BIGINT), \
                 COUNT(DISTINCT o.id), MIN(s.code), CAST(SUM(l.line_no) AS BIGINT) FROM orders o JOIN order_lines l ON l.order_id = o.id \
                 JOIN stores s ON s.id = o.store_id WHERE o.program_id = $1",
            )
            .bind(program_id)
            .fetch_one(&db.pool)
            .await
            .unwrap()
        }
    };
    // Lines numbered 1 and 2 in each of the 24 orders (the regulars' first four have none).
    assert_eq!(
        kept(together).await,
        (48, 96, 30_000, 24, "PARIS-1".to_string(), 72)
    );
    // The segment rule gave its two members 3 points an order (6 once Gold), the same in both
    // programs, and the others nothing; the once-only bonus gave each member 7 points once.
    let mut seen = Vec::new();
    for (program_id, regular_rule) in [together, alone].into_iter().zip(&regular_rules) {
        let given: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT t.membership_id, CAST(COALESCE(SUM(CASE WHEN r.id = $2 THEN -p.points ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN r.name = 'Once' THEN -p.points ELSE 0 END), 0) AS BIGINT) \
             FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id \
             JOIN earning_rules r ON r.id = p.rule_id WHERE t.program_id = $1 \
             GROUP BY t.membership_id ORDER BY t.membership_id",
        )
        .bind(program_id)
        .bind(regular_rule)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let mut by_member = Vec::new();
        for w in &worlds {
            let id = members::membership_id(&db, w.member_id, program_id)
                .await
                .unwrap()
                .get();
            let (_, regular, once) = *given.iter().find(|g| g.0 == id).unwrap();
            let is_regular = worlds[..2].iter().any(|r| r.member_id == w.member_id);
            assert_eq!((regular > 0, once), (is_regular, 7), "{given:?}");
            by_member.push((regular, once));
        }
        seen.push(by_member);
    }
    assert_eq!(seen[0], seen[1], "the same awards together and alone");
    assert!(seen[0][0].0 >= 6 * 3, "{seen:?}");
    assert_eq!(kept(alone).await, kept(together).await);
    let used: Vec<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(used) AS BIGINT) FROM budget_slots WHERE rule_id IN ($1, $2) GROUP BY rule_id ORDER BY rule_id",
    )
    .bind(budget_rules[0])
    .bind(budget_rules[1])
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(used.len(), 2);
    // 10 points an order, 20 once Gold: each order charged its budget once, as alone.
    assert_eq!(used[0], used[1], "the same budget use");
    assert!(used[0] > 240, "{used:?}");
}

async fn actions_earn_once_where_they_should(db: Db) {
    let w = world(&db, |_| ()).await;
    let mut signup = rule(w.program.id, "Welcome", 1, RuleEffect::FixedPoints { points: 50 });
    signup.conditions.event_types = vec!["signup".into()];
    rules::save(&db, &signup).await.unwrap();
    let mut review = rule(w.program.id, "Reviews", 1, RuleEffect::FixedPoints { points: 10 });
    review.conditions.event_types = vec!["review".into(), "store_visit_survey".into()];
    rules::save(&db, &review).await.unwrap();
    let action = |t: &str, id: &str| ActionInput {
        event_type: t.into(),
        channel: Channel::App,
        event_id: id.into(),
        store: None,
        occurred_at: None,
    };
    let r = orders::record_action(&db, w.program.id, w.member_id, &action("signup", "s1"), None)
        .await
        .unwrap();
    assert_eq!(r.points, 50);
    let e = orders::record_action(&db, w.program.id, w.member_id, &action("signup", "s2"), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "conflict", "sign-up earns once per member");
    let again = orders::record_action(&db, w.program.id, w.member_id, &action("signup", "s1"), None)
        .await
        .unwrap();
    assert!(again.replayed, "the same event id answers with the first receipt");
    orders::record_action(&db, w.program.id, w.member_id, &action("review", "rv1"), None)
        .await
        .unwrap();
    orders::record_action(&db, w.program.id, w.member_id, &action("review", "rv2"), None)
        .await
        .unwrap();
    // A custom type named by a rule is accepted; an unknown one is not.
    orders::record_action(
        &db,
        w.program.id,
        w.member_id,
        &action("store_visit_survey", "sv1"),
        None,
    )
    .await
    .unwrap();
    let e = orders::record_action(&db, w.program.id, w.member_id, &action("made_up", "x1"), None)
        .await
        .unwrap_err();
    assert!(e.field_message("event_type").is_some());
    // Event ids are the channel's, per kind of event: the web shop's review rv1 and the
    // app's survey rv1 are other events than the app's review rv1.
    let web = ActionInput {
        channel: Channel::Web,
        ..action("review", "rv1")
    };
    let r = orders::record_action(&db, w.program.id, w.member_id, &web, None)
        .await
        .unwrap();
    assert!(!r.replayed && r.points == 10, "{r:?}");
    let r = orders::record_action(
        &db,
        w.program.id,
        w.member_id,
        &action("store_visit_survey", "rv1"),
        None,
    )
    .await
    .unwrap();
    assert!(!r.replayed && r.points == 10, "{r:?}");
    let r = orders::record_action(&db, w.program.id, w.member_id, &action("review", "rv1"), None)
        .await
        .unwrap();
    assert!(r.replayed, "the app's review rv1 again");
    assert_eq!(balance(&db, &w).await, (100, 0));
    // An event booked before ids were scoped (`event:{id}`) and retried after replays.
    sqlx::query(
        "INSERT INTO ledger_transactions (program_id, membership_id, kind, channel, reference, description, \
         request_id, created_at) VALUES ($1, $2, 'event', 'app', 'review', 'Review', 'event:rv-old', $3)",
    )
    .bind(w.program.id)
    .bind(membership(&db, &w).await)
    .bind(Timestamp::now().0)
    .execute(&db.pool)
    .await
    .unwrap();
    let r = orders::record_action(&db, w.program.id, w.member_id, &action("review", "rv-old"), None)
        .await
        .unwrap();
    assert!(r.replayed, "{r:?}");
    assert_eq!(balance(&db, &w).await, (100, 0));
    // Joining on the portal is signing up: a new member gets the sign-up rule's points
    // once; this member, rewarded already through the app, gets nothing more.
    assert!(orders::welcome(&db, w.program.id, w.member_id)
        .await
        .unwrap()
        .is_none());
    let user = make_user(&db, Role::Member, &format!("n{}@x.io", rand::random::<u32>())).await;
    let newcomer = members::for_user(&db, user.id).await.unwrap();
    members::join(&db, newcomer.id, w.program.id).await.unwrap();
    let r = orders::welcome(&db, w.program.id, newcomer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.points, 50);
    assert!(orders::welcome(&db, w.program.id, newcomer.id)
        .await
        .unwrap()
        .is_none());
    let joined = member_view::memberships(&db, newcomer.id).await.unwrap();
    assert_eq!((joined.len(), joined[0].balance), (1, 50));
    // A sign-up rule for the app only gives nothing on the portal, and leaves the member's
    // one sign-up for the app.
    let other = world(&db, |_| ()).await;
    let mut app_only = rule(
        other.program.id,
        "App welcome",
        1,
        RuleEffect::FixedPoints { points: 70 },
    );
    app_only.conditions.event_types = vec!["signup".into()];
    app_only.conditions.channels = vec![Channel::App];
    rules::save(&db, &app_only).await.unwrap();
    assert!(orders::welcome(&db, other.program.id, other.member_id)
        .await
        .unwrap()
        .is_none());
    let r = orders::record_action(
        &db,
        other.program.id,
        other.member_id,
        &action("signup", "app-1"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.points, 70);
    assert_reconciles(&db, w.program.id).await;
}

async fn concurrent_redemptions_never_overdraw(db: Db) {
    let w = world(&db, |_| ()).await;
    let ms = membership(&db, &w).await;
    adjustments::by_staff(&db, Some(w.staff_id), ms, 1000, "Opening balance", "open")
        .await
        .unwrap();
    let reward = rewards::save(&db, &reward_input(w.program.id, "Coffee", "100"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..25 {
        let db = db.clone();
        let member_id = w.member_id;
        tasks.push(tokio::spawn(async move {
            rewards::redeem(
                &db,
                member_id,
                reward.id,
                Channel::Store,
                &format!("redeem-{i}"),
                false,
                None,
            )
            .await
        }));
    }
    let (mut ok, mut short) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(AppError::InsufficientPoints { .. }) => short += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(
        (ok, short),
        (10, 15),
        "exactly the affordable redemptions succeed"
    );
    assert_eq!(balance(&db, &w).await, (0, 0));
    assert_reconciles(&db, w.program.id).await;
}

/// Orders and redemptions of one member at the same moment, from several channels: every
/// order earns, redemptions succeed only while the wallet covers them, and the wallet's
/// running balance never dips below zero at any step.
async fn earns_and_redemptions_at_once_never_overdraw(db: Db) {
    let w = world(&db, |_| ()).await;
    let ms = membership(&db, &w).await;
    adjustments::by_staff(&db, Some(w.staff_id), ms, 300, "Opening balance", "open")
        .await
        .unwrap();
    let reward = rewards::save(&db, &reward_input(w.program.id, "Coffee", "100"))
        .await
        .unwrap();
    let mut redeems = Vec::new();
    let mut earns = Vec::new();
    for i in 0..16 {
        let (db, member_id, program_id) = (db.clone(), w.member_id, w.program.id);
        redeems.push(tokio::spawn({
            let db = db.clone();
            async move {
                rewards::redeem(
                    &db,
                    member_id,
                    reward.id,
                    Channel::App,
                    &format!("rd-{i}"),
                    false,
                    None,
                )
                .await
            }
        }));
        earns.push(tokio::spawn(async move {
            orders::record_order(&db, program_id, member_id, &order(&format!("o-{i}"), 1000), None).await
        }));
    }
    let mut earned = 0;
    for t in earns {
        earned += t.await.unwrap().unwrap().points;
    }
    let mut ok = 0;
    for t in redeems {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(AppError::InsufficientPoints { .. }) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert!(ok >= 3, "the opening balance alone pays for three: {ok}");
    assert_eq!(balance(&db, &w).await, (300 + earned - 100 * ok, 0));
    let lowest: i64 = sqlx::query_scalar(
        "SELECT CAST(MIN(balance_after) AS BIGINT) FROM ledger_postings WHERE membership_id = $1 AND account = 'wallet'",
    )
    .bind(ms)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(lowest >= 0, "the wallet never went below zero: {lowest}");
    assert_reconciles(&db, w.program.id).await;
}

/// A released reward gives its points back to the lots they were taken from, with their
/// expiry dates: reserving and releasing at a checkout does not make old points new.
async fn released_points_return_to_their_lots(db: Db) {
    let w = world(&db, |p| {
        p.expiry_mode = "fixed".into();
        p.expiry_months = "12".into();
    })
    .await;
    let ms = membership(&db, &w).await;
    let lots = |db: Db| async move {
        sqlx::query_as::<_, (i64, i64, Option<i64>)>(
            "SELECT id, remaining, expires_at FROM point_lots WHERE membership_id = $1 ORDER BY id",
        )
        .bind(ms)
        .fetch_all(&db.pool)
        .await
        .unwrap()
    };
    adjustments::by_staff(&db, Some(w.staff_id), ms, 500, "Old points", "old")
        .await
        .unwrap();
    // The first lot is about to expire.
    let soon = Timestamp::now().0 + SECONDS_PER_DAY;
    sqlx::query("UPDATE point_lots SET expires_at = $1 WHERE membership_id = $2")
        .bind(soon)
        .bind(ms)
        .execute(&db.pool)
        .await
        .unwrap();
    adjustments::by_staff(&db, Some(w.staff_id), ms, 200, "New points", "new")
        .await
        .unwrap();
    let before = lots(db.clone()).await;
    assert_eq!(before.len(), 2);
    let reward = rewards::save(&db, &reward_input(w.program.id, "Hamper", "600"))
        .await
        .unwrap();
    let r = rewards::redeem(&db, w.member_id, reward.id, Channel::Web, "r1", true, None)
        .await
        .unwrap();
    let spent = lots(db.clone()).await;
    assert_eq!((spent[0].1, spent[1].1), (0, 100), "earliest expiry spent first");
    rewards::release(&db, &r.code, None).await.unwrap();
    assert_eq!(
        lots(db.clone()).await,
        before,
        "the same lots, the same dates, no new lot"
    );
    assert_eq!(balance(&db, &w).await, (700, 0));

    // Points whose lot expired while reserved come back expired.
    let r = rewards::redeem(&db, w.member_id, reward.id, Channel::Web, "r2", true, None)
        .await
        .unwrap();
    let past = Timestamp::now().0 - 1;
    sqlx::query("UPDATE point_lots SET expires_at = $1 WHERE id = $2")
        .bind(past)
        .bind(before[0].0)
        .execute(&db.pool)
        .await
        .unwrap();
    rewards::release(&db, &r.code, None).await.unwrap();
    assert_eq!(balance(&db, &w).await, (700, 0));
    jobs::run_all(&db, Timestamp::now()).await.unwrap();
    assert_eq!(
        balance(&db, &w).await,
        (200, 0),
        "the old lot's 500 expire as they would have"
    );
    // A reservation left past its code's days (the jobs were not running) still gives its
    // points back, and the jobs go on.
    let cheap = rewards::save(&db, &reward_input(w.program.id, "Cookie", "80"))
        .await
        .unwrap();
    let r = rewards::redeem(&db, w.member_id, cheap.id, Channel::Web, "r3", true, None)
        .await
        .unwrap();
    sqlx::query("UPDATE issued_rewards SET expires_at = $1, reserved_until = $1 WHERE code = $2")
        .bind(Timestamp::now().0 - 1)
        .bind(&r.code)
        .execute(&db.pool)
        .await
        .unwrap();
    let report = jobs::run_all(&db, Timestamp::now()).await.unwrap();
    assert_eq!(report.released_reservations, 1);
    assert_eq!(balance(&db, &w).await, (200, 0));
    assert_reconciles(&db, w.program.id).await;
}

/// A confirmation or release retried with the same request id (an Idempotency-Key whose
/// stored answer was lost) gets the code as it stands; any other request is refused.
async fn settled_codes_answer_their_own_request_again(db: Db) {
    let w = world(&db, |_| ()).await;
    let ms = membership(&db, &w).await;
    adjustments::by_staff(&db, Some(w.staff_id), ms, 300, "Opening balance", "open")
        .await
        .unwrap();
    let reward = rewards::save(&db, &reward_input(w.program.id, "Tea", "100"))
        .await
        .unwrap();
    let redeem = |request: &'static str| {
        let db = db.clone();
        let member_id = w.member_id;
        async move {
            rewards::redeem(&db, member_id, reward.id, Channel::Web, request, true, None)
                .await
                .unwrap()
        }
    };
    let a = redeem("a").await;
    let used = rewards::use_code_once(&db, &a.code, Some(&a.pin), Channel::Web, Some("req-1"))
        .await
        .unwrap();
    let again = rewards::use_code_once(&db, &a.code, Some(&a.pin), Channel::Web, Some("req-1"))
        .await
        .unwrap();
    assert_eq!((used.status.as_str(), again.status.as_str()), ("used", "used"));
    for other in [Some("req-2"), None] {
        let e = rewards::use_code_once(&db, &a.code, Some(&a.pin), Channel::Web, other)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "reward_used");
    }
    let b = redeem("b").await;
    let released = rewards::release_checked(&db, &b.code, Some(&b.pin), Some("req-3"), None)
        .await
        .unwrap();
    let again = rewards::release_checked(&db, &b.code, Some(&b.pin), Some("req-3"), None)
        .await
        .unwrap();
    assert_eq!(
        (released.status.as_str(), again.status.as_str()),
        ("released", "released")
    );
    let e = rewards::release_checked(&db, &b.code, Some(&b.pin), Some("req-4"), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "reward_used");
    assert_eq!(balance(&db, &w).await, (200, 0), "one used, one given back once");
    assert_reconciles(&db, w.program.id).await;
}

/// Who may redeem what, and when: offer dates, tiers, channels; a code past its days.
async fn rewards_are_offered_by_date_tier_and_channel(db: Db) {
    use chrono::{Duration, Utc};
    let w = world(&db, |_| ()).await;
    for (name, threshold) in [("Green", "0"), ("Gold", "500")] {
        tiers::save_tier(
            &db,
            &crate::support::fixtures::tier_input(w.program.id, name, threshold, "1"),
        )
        .await
        .unwrap();
    }
    let gold = programs::tiers(&db, w.program.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Gold")
        .unwrap();
    let ms = membership(&db, &w).await;
    adjustments::by_staff(&db, Some(w.staff_id), ms, 1000, "Opening balance", "open")
        .await
        .unwrap();
    let date = |days: i64| (Utc::now() + Duration::days(days)).format("%Y-%m-%d").to_string();
    let save = |name: &str, tweak: &dyn Fn(&mut RewardInput)| {
        let mut input = reward_input(w.program.id, name, "100");
        tweak(&mut input);
        let db = db.clone();
        async move { rewards::save(&db, &input).await }
    };
    let e = save("Backwards", &|r| {
        r.valid_from = date(5);
        r.valid_until = date(1);
    })
    .await
    .unwrap_err();
    assert!(e.field_message("valid_until").is_some(), "{e:?}");
    let e = save("Typo", &|r| r.valid_from = "next week".into())
        .await
        .unwrap_err();
    assert!(e.field_message("valid_from").is_some(), "{e:?}");
    let later = save("Later", &|r| r.valid_from = date(1)).await.unwrap();
    let over = save("Over", &|r| r.valid_until = date(-1)).await.unwrap();
    let today = save("Today", &|r| {
        r.valid_from = date(0);
        r.valid_until = date(0);
    })
    .await
    .unwrap();
    let vip = save("Gold only", &|r| r.min_tier_id = gold.id.to_string())
        .await
        .unwrap();
    let online = save("Online only", &|r| r.channels = vec!["web".into()])
        .await
        .unwrap();
    let redeem = |reward_id: i64, channel: Channel, request: &str| {
        let (db, request) = (db.clone(), request.to_string());
        let member_id = w.member_id;
        async move { rewards::redeem(&db, member_id, reward_id, channel, &request, false, None).await }
    };
    for (reward, why) in [
        (later.id, "not available yet"),
        (over.id, "no longer available"),
        (vip.id, "higher tier"),
    ] {
        match redeem(reward, Channel::Store, &format!("r{reward}")).await {
            Err(AppError::RewardUnavailable { message }) => assert!(message.contains(why), "{message}"),
            other => panic!("{why}: {other:?}"),
        }
    }
    assert!(
        redeem(today.id, Channel::Store, "today").await.is_ok(),
        "first and last day included"
    );
    match redeem(online.id, Channel::Store, "in-store").await {
        Err(AppError::RewardUnavailable { message }) => assert!(message.contains("store"), "{message}"),
        other => panic!("{other:?}"),
    }
    let code = redeem(online.id, Channel::Web, "online").await.unwrap();
    let e = rewards::use_code(&db, &code.code, Some(&code.pin), Channel::Store)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "reward_unavailable", "an online-only code at a till");
    // €60.00 of purchases: Gold, and the Gold reward is open.
    orders::record_order(&db, w.program.id, w.member_id, &order("big", 6000), None)
        .await
        .unwrap();
    assert!(redeem(vip.id, Channel::Store, "vip").await.is_ok());
    // A code past its validity days is refused.
    let used = redeem(today.id, Channel::Store, "old").await.unwrap();
    sqlx::query("UPDATE issued_rewards SET expires_at = $1 WHERE code = $2")
        .bind(Timestamp::now().0 - 1)
        .bind(&used.code)
        .execute(&db.pool)
        .await
        .unwrap();
    let e = rewards::use_code(&db, &used.code, Some(&used.pin), Channel::Store)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "reward_expired");
    assert_reconciles(&db, w.program.id).await;
}

async fn reward_codes_are_used_once_and_releases_refund(db: Db) {
    let w = world(&db, |_| ()).await;
    let ms = membership(&db, &w).await;
    adjustments::by_staff(&db, Some(w.staff_id), ms, 500, "Opening balance", "open")
        .await
        .unwrap();
    let mut input = reward_input(w.program.id, "Coffee", "100");
    input.stock = "2".into();
    input.per_member_limit = "5".into();
    let reward = rewards::save(&db, &input).await.unwrap();
    let a = rewards::redeem(&db, w.member_id, reward.id, Channel::Store, "a", false, None)
        .await
        .unwrap();
    let again = rewards::redeem(&db, w.member_id, reward.id, Channel::Store, "a", false, None)
        .await
        .unwrap();
    assert_eq!(a.code, again.code, "the same request redeems once");
    let e = rewards::use_code(&db, &a.code, Some("0000x"), Channel::Store)
        .await
        .unwrap_err();
    assert!(e.field_message("pin").is_some());
    let used = rewards::use_code(&db, &a.code.to_lowercase(), Some(&a.pin), Channel::Store)
        .await
        .unwrap();
    assert_eq!(used.status.as_str(), "used");
    let e = rewards::use_code(&db, &a.code, Some(&a.pin), Channel::Store)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::RewardUsed));
    // A reservation holds stock and points until released (by hand or when stale).
    let b = rewards::redeem(&db, w.member_id, reward.id, Channel::Web, "b", true, None)
        .await
        .unwrap();
    assert_eq!(b.status.as_str(), "reserved");
    let e = rewards::redeem(&db, w.member_id, reward.id, Channel::Web, "c", false, None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "reward_unavailable", "stock of 2 is used up");
    assert_eq!(balance(&db, &w).await, (300, 0));
    let later = Timestamp(Timestamp::now().0 + rewards::RESERVATION_SECS + 1);
    assert_eq!(jobs::run_all(&db, later).await.unwrap().released_reservations, 1);
    assert_eq!(jobs::run_all(&db, later).await.unwrap().released_reservations, 0);
    assert_eq!(balance(&db, &w).await, (400, 0), "points back");
    let e = rewards::use_code(&db, &b.code, Some(&b.pin), Channel::Web)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::RewardUsed),
        "a released code cannot be used"
    );
    let c = rewards::redeem(&db, w.member_id, reward.id, Channel::Web, "d", false, None)
        .await
        .unwrap();
    rewards::release(&db, &c.code, None).await.unwrap();
    assert!(matches!(
        rewards::release(&db, &c.code, None).await.unwrap_err(),
        AppError::RewardUsed
    ));
    assert_eq!(balance(&db, &w).await, (400, 0));
    let e = rewards::use_code(&db, "RW-NOPE-NOPE", None, Channel::Store)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "not_found");
    assert_reconciles(&db, w.program.id).await;
}

async fn adjustments_need_a_reason_and_are_audited(db: Db) {
    let w = world(&db, |_| ()).await;
    let ms = membership(&db, &w).await;
    let e = adjustments::by_staff(&db, Some(w.staff_id), ms, 10, " ", "a1")
        .await
        .unwrap_err();
    assert!(e.field_message("reason").is_some());
    let e = adjustments::by_staff(&db, Some(w.staff_id), ms, -10, "Too many", "a2")
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        AppError::InsufficientPoints {
            balance: 0,
            needed: 10
        }
    ));
    adjustments::by_staff(&db, Some(w.staff_id), ms, 25, "Missing stamp from Tuesday", "a3")
        .await
        .unwrap();
    adjustments::by_staff(&db, Some(w.staff_id), ms, 25, "Missing stamp from Tuesday", "a3")
        .await
        .unwrap();
    let (reason, by): (String, UserId) = sqlx::query_as(
        "SELECT reason, recorded_by FROM ledger_transactions WHERE kind = 'adjust' AND membership_id = $1",
    )
    .bind(ms)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((reason.as_str(), by), ("Missing stamp from Tuesday", w.staff_id));
    assert_eq!(
        balance(&db, &w).await,
        (25, 0),
        "the retried adjustment booked once"
    );
    assert_reconciles(&db, w.program.id).await;
}

async fn tiers_upgrade_at_once_and_downgrade_on_schedule(db: Db) {
    use crate::support::fixtures::tier_input;
    let w = world(&db, |p| p.tier_window = "rolling_12m".into()).await;
    tiers::save_tier(&db, &tier_input(w.program.id, "Green", "0", "1"))
        .await
        .unwrap();
    tiers::save_tier(&db, &tier_input(w.program.id, "Gold", "500", "2"))
        .await
        .unwrap();
    let tier = |db: Db, w_member: MemberId, program_id: ProgramId| async move {
        let m = member_view::memberships(&db, w_member).await.unwrap();
        let m = m.into_iter().find(|m| m.program_id == program_id).unwrap();
        (m.tier.map(|t| t.name), m.qualifying)
    };
    assert_eq!(
        tier(db.clone(), w.member_id, w.program.id).await,
        (Some("Green".into()), 0)
    );
    // €60.00 at x1 = 600 Stars: Gold at once, and the next order earns x2.
    let r = orders::record_order(&db, w.program.id, w.member_id, &order("o1", 6000), None)
        .await
        .unwrap();
    assert_eq!(r.points, 600);
    assert_eq!(
        tier(db.clone(), w.member_id, w.program.id).await,
        (Some("Gold".into()), 600)
    );
    let r = orders::record_order(&db, w.program.id, w.member_id, &order("o2", 1000), None)
        .await
        .unwrap();
    assert_eq!(r.points, 200, "{}", r.explanation);
    let (reason, direction): (String, String) =
        sqlx::query_as("SELECT reason, direction FROM tier_changes WHERE to_tier = 'Gold'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        (reason.as_str(), direction.as_str()),
        ("600 Stars earned in the last 12 months", "up")
    );
    // A return does not downgrade on the spot...
    let ret = ReturnInput {
        channel: Channel::Web,
        returned_in: None,
        channel_order_id: "o1".into(),
        return_id: "r1".into(),
        amount_minor: 6000,
    };
    orders::record_return(&db, w.program.id, &ret, None)
        .await
        .unwrap();
    assert_eq!(
        tier(db.clone(), w.member_id, w.program.id).await.0,
        Some("Gold".into())
    );
    // ...the scheduled re-evaluation does, once.
    let now = Timestamp::now();
    assert_eq!(jobs::run_all(&db, now).await.unwrap().tier_changes, 1);
    assert_eq!(jobs::run_all(&db, now).await.unwrap().tier_changes, 0);
    assert_eq!(
        tier(db.clone(), w.member_id, w.program.id).await.0,
        Some("Green".into())
    );
    let downs: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM tier_changes WHERE direction = 'down'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(downs, 1);
    assert_reconciles(&db, w.program.id).await;
}

/// A program that reviews tiers monthly moves members down at the review on the 1st, not
/// when their standing falls; upgrades still happen at once.
async fn monthly_reviews_move_members_down_on_the_first(db: Db) {
    use crate::support::fixtures::tier_input;
    use chrono::{Datelike, TimeZone, Utc};
    let w = world(&db, |p| {
        p.tier_window = "rolling_12m".into();
        p.tier_review = "monthly".into();
    })
    .await;
    assert_eq!(w.program.tier_review, "monthly");
    for (name, threshold, multiplier) in [("Green", "0", "1"), ("Gold", "500", "2")] {
        tiers::save_tier(&db, &tier_input(w.program.id, name, threshold, multiplier))
            .await
            .unwrap();
    }
    let tier = |db: Db, member_id: MemberId| async move {
        let m = member_view::memberships(&db, member_id).await.unwrap();
        m[0].tier.as_ref().map(|t| t.name.clone())
    };
    orders::record_order(&db, w.program.id, w.member_id, &order("o1", 6000), None)
        .await
        .unwrap();
    assert_eq!(
        tier(db.clone(), w.member_id).await.as_deref(),
        Some("Gold"),
        "up at once"
    );
    let ret = ReturnInput {
        channel: Channel::Web,
        returned_in: None,
        channel_order_id: "o1".into(),
        return_id: "r1".into(),
        amount_minor: 6000,
    };
    orders::record_return(&db, w.program.id, &ret, None)
        .await
        .unwrap();
    // The jobs of this month leave the tier alone...
    assert_eq!(
        jobs::run_all(&db, Timestamp::now()).await.unwrap().tier_changes,
        0
    );
    assert_eq!(tier(db.clone(), w.member_id).await.as_deref(), Some("Gold"));
    // ...nor does an edit of the tiers (only under a continuous review would it).
    let gold = programs::tiers(&db, w.program.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Gold")
        .unwrap();
    let mut edit = tier_input(w.program.id, "Gold", "500", "2.5");
    edit.id = Some(gold.id);
    tiers::save_tier(&db, &edit).await.unwrap();
    assert_eq!(tier(db.clone(), w.member_id).await.as_deref(), Some("Gold"));
    // ...the review on the 1st moves the member down, once.
    let today = Utc::now();
    let (y, m) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    let first = Timestamp(Utc.with_ymd_and_hms(y, m, 1, 0, 5, 0).unwrap().timestamp());
    assert_eq!(jobs::run_all(&db, first).await.unwrap().tier_changes, 1);
    assert_eq!(tier(db.clone(), w.member_id).await.as_deref(), Some("Green"));
    let reviewed = programs::get(&db, w.program.id).await.unwrap().tiers_reviewed_at;
    assert_eq!(reviewed, Some(first.0));
    assert_eq!(
        jobs::run_all(&db, Timestamp(first.0 + 3600))
            .await
            .unwrap()
            .tier_changes,
        0
    );
    assert_reconciles(&db, w.program.id).await;
}

async fn concurrent_returns_of_one_order_take_back_once(db: Db) {
    let w = world(&db, |_| ()).await;
    orders::record_order(&db, w.program.id, w.member_id, &order("o1", 10_000), None)
        .await
        .unwrap();
    let ms = membership(&db, &w).await;
    adjustments::by_staff(&db, Some(w.staff_id), ms, 500, "Unrelated points", "adj")
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let db = db.clone();
        let program_id = w.program.id;
        tasks.push(tokio::spawn(async move {
            let input = ReturnInput {
                channel: Channel::Web,
                returned_in: None,
                channel_order_id: "o1".into(),
                return_id: format!("r{i}"),
                amount_minor: 6_000,
            };
            orders::record_return(&db, program_id, &input, None).await
        }));
    }
    let ok = {
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap().is_ok() {
                ok += 1;
            }
        }
        ok
    };
    assert_eq!(ok, 1, "only one 60.00 return fits in a 100.00 order");
    assert_eq!(
        balance(&db, &w).await,
        (1000 - 600 + 500, 0),
        "the unrelated points are untouched"
    );
    assert_reconciles(&db, w.program.id).await;
}

async fn backdated_events_cannot_dodge_daily_caps(db: Db) {
    let w = world(&db, |_| ()).await;
    let mut review = rule(
        w.program.id,
        "Reviews",
        1,
        RuleEffect::FixedPoints { points: 100 },
    );
    review.conditions.event_types = vec!["review".into()];
    review.caps.per_member_day = Some(100);
    rules::save(&db, &review).await.unwrap();
    let yesterday = Timestamp(Timestamp::now().0 - SECONDS_PER_DAY);
    for i in 0..5 {
        let action = ActionInput {
            event_type: "review".into(),
            channel: Channel::App,
            event_id: format!("rv{i}"),
            store: None,
            occurred_at: Some(yesterday),
        };
        orders::record_action(&db, w.program.id, w.member_id, &action, None)
            .await
            .unwrap();
    }
    assert_eq!(
        balance(&db, &w).await,
        (100, 0),
        "one day's cap, whatever day the events claim"
    );
}

/// A month cap counts every day of the month, a day cap only its day; a rule without a cap
/// is not held back by what it gave before.
async fn month_caps_count_the_whole_month(db: Db) {
    use chrono::{Datelike, TimeZone, Utc};
    let w = world(&db, |_| ()).await;
    let mut monthly = rule(w.program.id, "Monthly", 3, RuleEffect::FixedPoints { points: 40 });
    monthly.caps.per_member_month = Some(100);
    let monthly = rules::save(&db, &monthly).await.unwrap();
    let mut daily = rule(w.program.id, "Daily", 2, RuleEffect::FixedPoints { points: 30 });
    daily.caps.per_member_day = Some(50);
    rules::save(&db, &daily).await.unwrap();
    let always = rules::save(
        &db,
        &rule(w.program.id, "Always", 1, RuleEffect::FixedPoints { points: 7 }),
    )
    .await
    .unwrap();
    // Noon on the 1st, 2nd and 3rd of last month: one month, three days, within 90 days.
    let now = Utc::now();
    let (y, m) = if now.month() == 1 {
        (now.year() - 1, 12)
    } else {
        (now.year(), now.month() - 1)
    };
    let day = |d: u32| {
        Some(Timestamp(
            Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap().timestamp(),
        ))
    };
    let mut points = Vec::new();
    for (id, d) in [("m1", 1), ("m2", 2), ("m3", 3), ("m4", 3)] {
        let input = OrderInput {
            occurred_at: day(d),
            ..order(id, 1000)
        };
        let r = orders::record_order(&db, w.program.id, w.member_id, &input, None)
            .await
            .unwrap();
        points.push(r.points);
    }
    let base = points[0] - 40 - 30 - 7;
    assert_eq!(
        points,
        vec![base + 77, base + 77, base + 20 + 30 + 7, base + 20 + 7],
        "the month cap leaves 20 on the third day, the day cap 20 for its second order"
    );
    // Only what caps read is recorded: the uncapped rule's awards are in the ledger alone.
    let recorded = |id: i64| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM rule_awards WHERE rule_id = $1")
                .bind(id)
                .fetch_one(&db.pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        (recorded(always.id).await, recorded(monthly.id).await > 0),
        (0, true)
    );
    assert_reconciles(&db, w.program.id).await;
}

/// Books a 10.00 order for the world's member and returns its points.
async fn book(db: &Db, w: &World, id: &str) -> i64 {
    orders::record_order(db, w.program.id, w.member_id, &order(id, 1000), None)
        .await
        .unwrap()
        .points
}

/// Bookings read the program's setup from memory (`service::setup`): a change to a rule or a
/// webhook endpoint reaches the very next booking, while what a booking moves itself (rule
/// usage, a budget's use) does not count as a change.
async fn setup_changes_reach_the_next_booking(db: Db) {
    let w = world(&db, |_| ()).await;
    let epoch = |db: Db| async move {
        sqlx::query_scalar::<_, i64>("SELECT epoch FROM setup_epoch")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    let mut bonus = rule(w.program.id, "Bonus", 5, RuleEffect::FixedPoints { points: 40 });
    bonus.budget_points = Some(1_000);
    let bonus = rules::save(&db, &bonus).await.unwrap();
    assert_eq!(book(&db, &w, "s1").await, 140);
    let before = epoch(db.clone()).await;
    assert_eq!(book(&db, &w, "s2").await, 140);
    assert_eq!(
        epoch(db.clone()).await,
        before,
        "a budget charge is no setup change"
    );

    rules::save(
        &db,
        &EarningRule {
            effect: RuleEffect::FixedPoints { points: 70 },
            ..bonus.clone()
        },
    )
    .await
    .unwrap();
    assert!(epoch(db.clone()).await > before);
    assert_eq!(book(&db, &w, "s3").await, 170, "the edited rule applies at once");
    rules::delete(&db, w.program.id, bonus.id).await.unwrap();
    assert_eq!(
        book(&db, &w, "s4").await,
        100,
        "a deleted (switched-off) rule no longer applies"
    );
    // It gave points (its ledger postings name it), so it is kept, switched off.
    let kept: Option<i64> = sqlx::query_scalar("SELECT active FROM earning_rules WHERE id = $1")
        .bind(bonus.id)
        .fetch_optional(&db.pool)
        .await
        .unwrap();
    assert_eq!(kept, Some(0));
    // One that never gave is removed.
    let unused = rules::save(
        &db,
        &rule(w.program.id, "Never", 1, RuleEffect::FixedPoints { points: 0 }),
    )
    .await
    .unwrap();
    rules::delete(&db, w.program.id, unused.id).await.unwrap();
    let gone: Option<i64> = sqlx::query_scalar("SELECT active FROM earning_rules WHERE id = $1")
        .bind(unused.id)
        .fetch_optional(&db.pool)
        .await
        .unwrap();
    assert_eq!(gone, None);

    let hook = omniloyal::server::webhooks::create(
        &db,
        &omniloyal::model::webhook::WebhookInput {
            url: "https://hooks.example.com/setup".into(),
            description: String::new(),
            events: vec!["points.earned".into()],
        },
        true,
    )
    .await
    .unwrap();
    assert_eq!(book(&db, &w, "s5").await, 100);
    let deliveries: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1")
            .bind(hook.endpoint.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(deliveries, 1, "a new endpoint hears the next booking");
    assert_reconciles(&db, w.program.id).await;
}

/// A budget lives in slots (`store::budgets`): raising it shares the new room out, lowering
/// it below what the rule gave is refused, and what it gave reads as one figure.
async fn budgets_can_be_raised_but_not_below_what_they_gave(db: Db) {
    let w = world(&db, |_| ()).await;
    let mut bonus = rule(w.program.id, "Bonus", 5, RuleEffect::FixedPoints { points: 40 });
    bonus.budget_points = Some(60);
    let bonus = rules::save(&db, &bonus).await.unwrap();
    assert_eq!(book(&db, &w, "b1").await, 140);
    assert_eq!(book(&db, &w, "b2").await, 120, "the budget's last 20");
    assert_eq!(book(&db, &w, "b3").await, 100, "spent");
    let raised = rules::save(
        &db,
        &EarningRule {
            budget_points: Some(100),
            ..bonus.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(raised.budget_used, 60);
    assert_eq!(book(&db, &w, "b4").await, 140, "room again");
    let low = rules::save(
        &db,
        &EarningRule {
            budget_points: Some(99),
            ..bonus.clone()
        },
    )
    .await;
    assert!(
        matches!(&low, Err(e) if e.field_message("budget_points").is_some()),
        "{low:?}"
    );
    let saved = rules::list(&db, w.program.id).await.unwrap();
    let saved = saved.iter().find(|r| r.id == bonus.id).unwrap();
    assert_eq!((saved.budget_used, saved.budget_points), (100, Some(100)));
    let over: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM budget_slots WHERE rule_id = $1 AND used > allowance",
    )
    .bind(bonus.id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(over, 0);
    assert_reconciles(&db, w.program.id).await;
}

on_both_backends!(
    budgets_can_be_raised_but_not_below_what_they_gave,
    setup_changes_reach_the_next_booking,
    concurrent_returns_of_one_order_take_back_once,
    backdated_events_cannot_dodge_daily_caps,
    month_caps_count_the_whole_month,
    tiers_upgrade_at_once_and_downgrade_on_schedule,
    monthly_reviews_move_members_down_on_the_first,
    spending_takes_earliest_expiring_lots_and_expiry_runs_once,
    inactivity_expiry_moves_with_activity,
    pending_points_release_or_shrink_with_returns,
    returns_respect_the_negative_balance_policy,
    orders_are_deduplicated_by_channel_order_id,
    bad_orders_are_refused_and_change_nothing,
    rules_stack_by_priority_with_caps_and_budget,
    concurrent_orders_never_overspend_a_budget,
    orders_that_arrive_together_book_alone,
    orders_booked_together_earn_what_they_earn_alone,
    actions_earn_once_where_they_should,
    concurrent_redemptions_never_overdraw,
    earns_and_redemptions_at_once_never_overdraw,
    reward_codes_are_used_once_and_releases_refund,
    settled_codes_answer_their_own_request_again,
    rewards_are_offered_by_date_tier_and_channel,
    released_points_return_to_their_lots,
    adjustments_need_a_reason_and_are_audited,
);

mod referrals {
    use super::*;
    use omniloyal::model::user::SignupInput;

    async fn friends_earn_once_on_their_first_purchase(db: Db) {
        let w = world(&db, |_| ()).await;
        let mut refer = rule(w.program.id, "Refer", 1, RuleEffect::FixedPoints { points: 200 });
        refer.conditions.event_types = vec!["referral".into()];
        rules::save(&db, &refer).await.unwrap();
        let mut welcome = rule(
            w.program.id,
            "Welcome",
            1,
            RuleEffect::FixedPoints { points: 100 },
        );
        welcome.conditions.event_types = vec!["referred".into()];
        rules::save(&db, &welcome).await.unwrap();
        let code = members::referral_code(&db, w.member_id).await.unwrap();
        assert_eq!(
            members::referral_code(&db, w.member_id).await.unwrap(),
            code,
            "stable"
        );
        let signup = |email: &str, code: &str| SignupInput {
            name: "Friend".into(),
            email: email.into(),
            phone: String::new(),
            password: "a long enough password".into(),
            referral_code: code.into(),
            birth_date: String::new(),
        };
        let e = crate::support::sign_up(&db, &signup("f0@x.io", "NOPE2345"))
            .await
            .unwrap_err();
        assert!(e.field_message("referral_code").is_some());
        let friend = crate::support::sign_up(&db, &signup("f1@x.io", &code.to_lowercase()))
            .await
            .unwrap();
        let friend = members::for_user(&db, friend.id).await.unwrap();
        members::join(&db, friend.id, w.program.id).await.unwrap();
        // Joining is not enough; the first purchase is.
        assert_eq!(balance(&db, &w).await, (0, 0));
        // A settlement cut short after the referrer's side (as if the server stopped there):
        // the next order, from another channel, books the friend's side, not the referrer's
        // again.
        let referral = ActionInput {
            event_type: "referral".into(),
            channel: Channel::App,
            event_id: format!("referral-{}", friend.id),
            store: None,
            occurred_at: None,
        };
        orders::record_action(&db, w.program.id, w.member_id, &referral, None)
            .await
            .unwrap();
        orders::record_order(&db, w.program.id, friend.id, &order("f1", 1000), None)
            .await
            .unwrap();
        orders::record_order(&db, w.program.id, friend.id, &order("f2", 1000), None)
            .await
            .unwrap();
        assert_eq!(balance(&db, &w).await, (200, 0), "the referrer is rewarded once");
        let friend_world = World {
            program: w.program.clone(),
            member_id: friend.id,
            staff_id: w.staff_id,
        };
        assert_eq!(
            balance(&db, &friend_world).await,
            (100 + 100 + 100, 0),
            "two orders and one welcome"
        );
        assert_reconciles(&db, w.program.id).await;
    }

    on_both_backends!(friends_earn_once_on_their_first_purchase);
}
