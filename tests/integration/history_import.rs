//! `omniloyal import-history`: a brand's past purchases loaded into a program. Bad lines
//! import nothing and are each named; a good file makes its customers members (external id,
//! joined on their first purchase) and books each customer-day on its day, earning by the
//! rules; the rollups and member summaries hold them; a second run books nothing twice; a
//! program with orders of its own before the history ends is refused.

use chrono::Duration;
use omniloyal::model::ids::ProgramId;
use omniloyal::model::order::OrderInput;
use omniloyal::model::rules::Channel;
use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
use omniloyal::server::db::Db;
use omniloyal::server::history::{import, Refused, Source};
use omniloyal::server::service::orders;
use omniloyal::server::store::programs;

use crate::on_both_backends;
use crate::support::fixtures::{assert_reconciles, program_input, world};

async fn count(db: &Db, sql: &str, p: ProgramId) -> i64 {
    sqlx::query_scalar(sql).bind(p).fetch_one(&db.pool).await.unwrap()
}

fn quiet(_: u64, _: u64) {}

async fn history_imports_once_and_only_when_every_line_is_good(db: Db) {
    let program = programs::save(&db, &program_input("History")).await.unwrap();
    let p = program.id;
    let source = Source {
        program_id: p,
        channel: Channel::Web,
    };
    let today = db.now().date();
    let day = |n: i64| (today - Duration::days(n)).format("%Y-%m-%d").to_string();
    let orders_sql = "SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE program_id = $1";

    // Bad lines: each named, nothing written.
    let bad = format!(
        "customer,date,amount\nC1,{},12.50\nC2,{},abc\nC3,{},-4.00\nC4,{},9.99\n",
        day(200),
        day(100),
        day(50),
        (today + Duration::days(3)).format("%Y-%m-%d")
    );
    match import(&db, &source, &bad, false, &quiet).await {
        Err(Refused::Lines(lines)) => {
            assert_eq!(
                lines.len(),
                1,
                "the parser names the unreadable amount first: {lines:?}"
            );
            assert!(lines[0].contains("line 3"), "{lines:?}");
        }
        other => panic!("refused expected, got {other:?}"),
    }
    let bad = format!(
        "customer,date,amount\nC1,{},12.50\nC3,{},-4.00\nC4,{},9.99\nC 5,{},1.00\n",
        day(200),
        day(50),
        (today + Duration::days(3)).format("%Y-%m-%d"),
        day(20)
    );
    match import(&db, &source, &bad, false, &quiet).await {
        Err(Refused::Lines(lines)) => {
            assert_eq!(lines.len(), 3, "{lines:?}");
            assert!(
                lines.iter().any(|l| l.contains("C3") && l.contains("-4")),
                "{lines:?}"
            );
            assert!(
                lines
                    .iter()
                    .any(|l| l.contains("C4") && l.contains("history ends yesterday")),
                "{lines:?}"
            );
            assert!(lines.iter().any(|l| l.contains("\"C 5\"")), "{lines:?}");
        }
        other => panic!("refused expected, got {other:?}"),
    }
    // More decimals than the currency has are not rounded away.
    let fine = format!("customer,date,amount\nC1,{},1.005\n", day(30));
    match import(&db, &source, &fine, false, &quiet).await {
        Err(Refused::Lines(lines)) => assert!(lines[0].contains("more decimals"), "{lines:?}"),
        other => panic!("refused expected, got {other:?}"),
    }
    assert_eq!(count(&db, orders_sql, p).await, 0);
    assert_eq!(
        count(
            &db,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships WHERE program_id = $1",
            p
        )
        .await,
        0
    );

    // A good file: two purchases on one day are one order.
    let good = format!(
        "customer,date,amount\nC1,{a},12.50\nC2,{b},30.00\nC1,{c},7.25\nC1,{c},2.75\nC3,{d},0\nC2,{e},15.00\n",
        a = day(200),
        b = day(150),
        c = day(120),
        d = day(60),
        e = day(10)
    );
    let checked = import(&db, &source, &good, true, &quiet).await.unwrap();
    assert_eq!(
        (checked.customers, checked.new_members, checked.orders),
        (3, 3, 5)
    );
    assert_eq!(count(&db, orders_sql, p).await, 0, "--check writes nothing");

    let done = import(&db, &source, &good, false, &quiet).await.unwrap();
    assert_eq!(
        (done.customers, done.new_members, done.orders, done.booked),
        (3, 3, 5, 5)
    );
    // 10 points a euro: 125 + 300 + 100 + 0 + 150.
    assert_eq!(done.points, 675);
    assert_eq!(count(&db, orders_sql, p).await, 5);
    let booked: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT channel_order_id, amount_minor, created_at FROM orders WHERE program_id = $1 ORDER BY created_at",
    )
    .bind(p)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let noon = |n: i64| Timestamp::start_of(today - Duration::days(n)).0 + SECONDS_PER_DAY / 2;
    assert_eq!(booked[0].1, 1250);
    assert_eq!(booked[0].2, noon(200), "booked on its day");
    assert_eq!(booked[2].1, 1000, "the day's two purchases are one order");
    assert!(booked[2].0.starts_with("import:") && booked[2].0.ends_with(":C1"));
    // Members with the web's external id, joined on their first purchase.
    let joined: Vec<(String, i64)> = sqlx::query_as(
        "SELECT i.value, m.joined_at FROM member_identifiers i JOIN memberships m ON m.member_id = i.member_id \
         WHERE i.kind = 'external:web' AND m.program_id = $1 ORDER BY i.value",
    )
    .bind(p)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        joined,
        vec![
            ("C1".into(), noon(200)),
            ("C2".into(), noon(150)),
            ("C3".into(), noon(60))
        ]
    );
    // The rollups hold the history: orders in the daily facts, each member's summary.
    assert_eq!(
        count(
            &db,
            "SELECT CAST(COALESCE(SUM(orders), 0) AS BIGINT) FROM daily_facts WHERE program_id = $1",
            p
        )
        .await,
        5
    );
    assert_eq!(
        count(
            &db,
            "SELECT CAST(COALESCE(SUM(orders), 0) AS BIGINT) FROM member_stats WHERE program_id = $1",
            p
        )
        .await,
        5
    );
    assert_reconciles(&db, p).await;

    // Again: nothing new.
    let again = import(&db, &source, &good, false, &quiet).await.unwrap();
    assert_eq!((again.new_members, again.booked, again.points), (0, 0, 0));
    assert_eq!(count(&db, orders_sql, p).await, 5);
    // A longer file later (an interrupted run finished, or more history): only what is new,
    // new customers with card numbers of their own.
    let more = format!("{good}C4,{},5.00\nC5,{},6.00\n", day(8), day(7));
    let finished = import(&db, &source, &more, false, &quiet).await.unwrap();
    assert_eq!((finished.new_members, finished.booked), (2, 2));
    assert_eq!(count(&db, orders_sql, p).await, 7);
    // The same history again as another channel's would book it twice: refused.
    let as_store = Source {
        program_id: p,
        channel: Channel::Store,
    };
    match import(&db, &as_store, &good, false, &quiet).await {
        Err(Refused::Lines(lines)) => assert!(lines[0].contains("--channel web"), "{lines:?}"),
        other => panic!("refused expected, got {other:?}"),
    }
    assert_eq!(count(&db, orders_sql, p).await, 7);

    // A program whose own orders began before the history ends is refused.
    let w = world(&db, |_| {}).await;
    // Booked (not only dated) before the history's last day.
    db.clock().stop_at(Some(Timestamp(noon(30))));
    orders::record_order(
        &db,
        w.program.id,
        w.member_id,
        &OrderInput {
            channel: Channel::Store,
            channel_order_id: "OWN-1".into(),
            amount_minor: 1000,
            lines: Vec::new(),
            store: None,
            receipt: None,
            occurred_at: None,
        },
        None,
    )
    .await
    .unwrap();
    db.clock().stop_at(None);
    let into_live = Source {
        program_id: w.program.id,
        channel: Channel::Web,
    };
    match import(&db, &into_live, &good, false, &quiet).await {
        Err(Refused::Lines(lines)) => assert!(lines[0].contains("orders of its own"), "{lines:?}"),
        other => panic!("refused expected, got {other:?}"),
    }
    assert_eq!(
        count(
            &db,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE program_id = $1",
            w.program.id
        )
        .await,
        1
    );
}

on_both_backends!(history_imports_once_and_only_when_every_line_is_good);
