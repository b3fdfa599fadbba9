//! The ledger: earning arithmetic end to end, idempotent retries, concurrent purchases,
//! append-only entries, and the daily KPI series read from it.

use omniloyal::model::ids::{MemberId, ProgramId, UserId};
use omniloyal::model::member::PurchaseInput;
use omniloyal::model::time::Timestamp;
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::query::insights;
use omniloyal::server::service::{members, orders, rollups, tiers};
use omniloyal::server::store::programs;

use crate::on_both_backends;
use crate::support::fixtures::{program_input, tier_input};
use crate::support::make_user;
use omniloyal::server::query::member_view;

struct Setup {
    staff_id: UserId,
    member_id: MemberId,
    program_id: ProgramId,
}

async fn setup(db: &Db) -> Setup {
    let staff = make_user(db, Role::Staff, "staff@x.io").await;
    let member_user = make_user(db, Role::Member, "mia@x.io").await;
    let member = members::for_user(db, member_user.id).await.unwrap();
    let p = programs::save(db, &program_input("Aurora")).await.unwrap();
    tiers::save_tier(db, &tier_input(p.id, "Green", "0", "1"))
        .await
        .unwrap();
    tiers::save_tier(db, &tier_input(p.id, "Gold", "1000", "1.5"))
        .await
        .unwrap();
    Setup {
        staff_id: staff.id,
        member_id: member.id,
        program_id: p.id,
    }
}

fn purchase(s: &Setup, amount: &str, request_id: &str) -> PurchaseInput {
    PurchaseInput {
        member_id: s.member_id,
        program_id: s.program_id,
        amount: amount.into(),
        // The receipt number is the purchase's order id: one per request here.
        reference: format!("R-{request_id}"),
        store: String::new(),
        lines: Vec::new(),
        request_id: request_id.into(),
    }
}

/// Sum of entries equals the stored balance, and each entry's balance_after chains.
async fn assert_ledger_consistent(db: &Db, member_id: MemberId) -> i64 {
    let mut lines = member_view::history(db, member_id, 10_000).await.unwrap();
    lines.reverse();
    let mut running = 0;
    for l in &lines {
        running += l.points;
        assert_eq!(
            l.balance_after, running,
            "entry {} carries the running balance",
            l.id
        );
    }
    let balance: i64 = member_view::memberships(db, member_id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.balance)
        .sum();
    assert_eq!(balance, running, "balance = sum of entries");
    running
}

async fn purchases_earn_with_tier_multiplier(db: Db) {
    let s = setup(&db).await;
    let r = orders::record_purchase(&db, s.staff_id, &purchase(&s, "99.99", "a"))
        .await
        .unwrap();
    assert_eq!((r.points, r.balance, r.replayed), (999, 999, false));
    assert!(
        r.explanation.contains("€99.99 x 10 Stars per EUR = 999 Stars"),
        "{}",
        r.explanation
    );
    // 999 < 1000: still Green for this one.
    let r = orders::record_purchase(&db, s.staff_id, &purchase(&s, "0.10", "b"))
        .await
        .unwrap();
    assert_eq!((r.points, r.balance), (1, 1000));
    // Now Gold: €12.50 x 10 x 1.5 = 187.5 -> 187.
    let r = orders::record_purchase(&db, s.staff_id, &purchase(&s, "12.50", "c"))
        .await
        .unwrap();
    assert_eq!((r.points, r.balance), (187, 1187));
    assert!(r.explanation.contains("(Gold)"));
    let m = &member_view::memberships(&db, s.member_id).await.unwrap()[0];
    assert_eq!(
        (m.lifetime_points, m.tier.as_ref().unwrap().name.as_str()),
        (1187, "Gold")
    );
    assert_eq!(assert_ledger_consistent(&db, s.member_id).await, 1187);
}

async fn bad_purchases_change_nothing(db: Db) {
    let s = setup(&db).await;
    for (amount, field) in [
        ("", "amount"),
        ("-5", "amount"),
        ("abc", "amount"),
        ("1.234", "amount"),
        ("99999999", "amount"),
    ] {
        let e = orders::record_purchase(&db, s.staff_id, &purchase(&s, amount, "x"))
            .await
            .unwrap_err();
        assert!(e.field_message(field).is_some(), "{amount}: {e:?}");
    }
    let mut bad_ref = purchase(&s, "5", "x");
    bad_ref.reference = "r".repeat(100);
    assert!(orders::record_purchase(&db, s.staff_id, &bad_ref)
        .await
        .unwrap_err()
        .field_message("reference")
        .is_some());
    let mut bad_program = purchase(&s, "5", "x");
    bad_program.program_id = ProgramId(9_999);
    assert!(orders::record_purchase(&db, s.staff_id, &bad_program)
        .await
        .unwrap_err()
        .field_message("program_id")
        .is_some());
    let mut bad_member = purchase(&s, "5", "x");
    bad_member.member_id = MemberId(9_999);
    assert_eq!(
        orders::record_purchase(&db, s.staff_id, &bad_member)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert!(
        orders::record_purchase(&db, s.staff_id, &purchase(&s, "5", "has space"))
            .await
            .is_err()
    );
    assert!(member_view::history(&db, s.member_id, 100)
        .await
        .unwrap()
        .is_empty());
    assert!(
        member_view::memberships(&db, s.member_id)
            .await
            .unwrap()
            .is_empty(),
        "no membership created either"
    );
}

async fn retried_purchase_books_once(db: Db) {
    let s = setup(&db).await;
    let first = orders::record_purchase(&db, s.staff_id, &purchase(&s, "10", "same"))
        .await
        .unwrap();
    let again = orders::record_purchase(&db, s.staff_id, &purchase(&s, "10", "same"))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.transaction_id, again.points, again.balance),
        (first.transaction_id, 100, 100)
    );
    // Many concurrent retries of one request: still one entry.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (db, input) = (db.clone(), purchase(&s, "7", "burst"));
        let staff = s.staff_id;
        tasks.push(tokio::spawn(async move {
            orders::record_purchase(&db, staff, &input).await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().unwrap().transaction_id);
    }
    assert_eq!(ids.len(), 1, "one entry for ten retries");
    assert_eq!(
        member_view::history(&db, s.member_id, 100).await.unwrap().len(),
        2
    );
    assert_eq!(assert_ledger_consistent(&db, s.member_id).await, 170);
}

async fn concurrent_purchases_all_count(db: Db) {
    let s = setup(&db).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (db, input) = (db.clone(), purchase(&s, "1", &format!("req-{i}")));
        let staff = s.staff_id;
        tasks.push(tokio::spawn(async move {
            orders::record_purchase(&db, staff, &input).await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("every concurrent purchase succeeds");
    }
    assert_eq!(assert_ledger_consistent(&db, s.member_id).await, 240);
}

async fn ledger_is_append_only(db: Db) {
    let s = setup(&db).await;
    let r = orders::record_purchase(&db, s.staff_id, &purchase(&s, "10", "a"))
        .await
        .unwrap();
    // Each statement names real columns, so only the append-only triggers can refuse it.
    for (table, set, column) in [
        ("ledger_transactions", "description = 'x'", "id"),
        ("ledger_postings", "points = 1", "transaction_id"),
    ] {
        let update = sqlx::query(&format!("UPDATE {table} SET {set} WHERE {column} = $1"))
            .bind(r.transaction_id)
            .execute(&db.pool)
            .await;
        assert!(update.is_err(), "update of {table} refused");
        let delete = sqlx::query(&format!("DELETE FROM {table} WHERE {column} = $1"))
            .bind(r.transaction_id)
            .execute(&db.pool)
            .await;
        assert!(delete.is_err(), "delete of {table} refused");
    }
    assert_eq!(assert_ledger_consistent(&db, s.member_id).await, 100);
}

/// New members and points issued per day over `range`, from the Overview's rollups.
async fn daily(
    db: &Db,
    range: (chrono::NaiveDate, chrono::NaiveDate),
    program_id: i64,
) -> (Vec<i64>, Vec<i64>) {
    let scope = omniloyal::model::insights::Scope {
        program_id,
        ..Default::default()
    };
    let units = insights::program_units(db, program_id).await.unwrap();
    let (_, new, issued) = insights::overview(db, &scope, units, range, None, None)
        .await
        .unwrap();
    let values = |rows: Vec<(i64, i64)>| rows.into_iter().map(|(_, v)| v).collect::<Vec<_>>();
    (values(new), values(issued))
}

async fn daily_series_count_enrollments_and_points(db: Db) {
    let s = setup(&db).await;
    orders::record_purchase(&db, s.staff_id, &purchase(&s, "10", "a"))
        .await
        .unwrap();
    orders::record_purchase(&db, s.staff_id, &purchase(&s, "2", "b"))
        .await
        .unwrap();
    // The same person joins a second program, with points called otherwise: still one new
    // member across programs, and never one sum of both programs' points.
    let mut other = program_input("Beauty");
    other.currency_name = "Beauty Points".into();
    let other = programs::save(&db, &other).await.unwrap();
    members::join(&db, s.member_id, other.id).await.unwrap();
    let today = Timestamp::now().date();
    let from = today - chrono::Duration::days(6);
    rollups::catch_up(&db).await.unwrap();
    let (e, _) = daily(&db, (from, today), 0).await;
    assert_eq!(e, vec![0, 0, 0, 0, 0, 0, 1], "one person, two memberships");
    let (in_other, _) = daily(&db, (from, today), other.id.get()).await;
    assert_eq!(in_other.iter().sum::<i64>(), 1);
    let (_, p) = daily(&db, (from, today), s.program_id.get()).await;
    assert_eq!(p, vec![0, 0, 0, 0, 0, 0, 120]);
    let by_program = insights::points_by_program(&db, from, today, 0).await.unwrap();
    let totals: Vec<(&str, &str, i64)> = by_program
        .iter()
        .map(|p| (p.name.as_str(), p.unit.as_str(), p.points))
        .collect();
    assert_eq!(
        totals,
        vec![("Aurora", "Stars", 120), ("Beauty", "Beauty Points", 0)],
        "each program in its own unit"
    );
    let only = insights::points_by_program(&db, from, today, other.id.get())
        .await
        .unwrap();
    assert_eq!(only.len(), 1);
    let unknown = insights::points_by_program(&db, from, today, other.id.get() + 1)
        .await
        .unwrap();
    assert!(unknown.is_empty(), "no such program");
    let (_, yesterday) = daily(&db, (from, today - chrono::Duration::days(1)), s.program_id.get()).await;
    assert_eq!(
        yesterday.iter().sum::<i64>(),
        0,
        "today's points are outside a range ending yesterday"
    );
}

on_both_backends!(
    purchases_earn_with_tier_multiplier,
    bad_purchases_change_nothing,
    retried_purchase_books_once,
    concurrent_purchases_all_count,
    ledger_is_append_only,
    daily_series_count_enrollments_and_points
);
