//! Stores are a table the API and the Desk name by code; orders keep their store and lines.

use omniloyal::error::AppError;
use omniloyal::model::member::{PurchaseInput, PurchaseLineInput};
use omniloyal::model::store::StoreInput;
use omniloyal::server::db::Db;
use omniloyal::server::service::orders;
use omniloyal::server::store::{stores, users};
use reqwest::StatusCode;
use serde_json::json;

use crate::on_both_backends;
use crate::support::fixtures::{balance, email, key_for, send, world, ALL};
use crate::support::spawn_app;

fn store(code: &str, name: &str, time_zone: &str) -> StoreInput {
    StoreInput {
        code: code.into(),
        name: name.into(),
        channel: "store".into(),
        time_zone: time_zone.into(),
    }
}

/// (code, store id, lines as (sku, category, quantity, amount)) of an order.
async fn kept(db: &Db, channel_order_id: &str) -> (Option<String>, Vec<(String, Option<String>, i64, i64)>) {
    let code: Option<String> = sqlx::query_scalar(
        "SELECT s.code FROM orders o LEFT JOIN stores s ON s.id = o.store_id WHERE o.channel_order_id = $1",
    )
    .bind(channel_order_id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let lines = sqlx::query_as(
        "SELECT l.sku, l.category, l.quantity, l.amount_minor FROM order_lines l \
         JOIN orders o ON o.id = l.order_id WHERE o.channel_order_id = $1 ORDER BY l.line_no",
    )
    .bind(channel_order_id)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    (code, lines)
}

/// Managers add stores by code (saving a code again changes that store); a bad time zone
/// or code is refused and writes nothing.
async fn stores_are_set_up_by_code(db: Db) {
    let paris = stores::save(&db, &store(" paris-1 ", "Paris Opéra", "Europe/Paris"))
        .await
        .unwrap();
    assert_eq!((paris.code.as_str(), paris.active), ("PARIS-1", true));
    let riyadh = stores::save(&db, &store("RUH-1", "Riyadh Park", "Asia/Riyadh"))
        .await
        .unwrap();
    let renamed = stores::save(&db, &store("paris-1", "Paris Opéra (flagship)", "Europe/Paris"))
        .await
        .unwrap();
    assert_eq!(renamed.id, paris.id, "the same store, renamed");
    for (bad, field) in [
        (store("LYON-1", "Lyon", "Europe/Lyon"), "time_zone"),
        (store("lyon 1", "Lyon", "Europe/Paris"), "code"),
        (store("LYON-1", "", "Europe/Paris"), "name"),
    ] {
        let e = stores::save(&db, &bad).await.unwrap_err();
        assert!(e.field_message(field).is_some(), "{field}: {e:?}");
    }
    stores::set_active(&db, riyadh.id, false).await.unwrap();
    let list = stores::list(&db).await.unwrap();
    let seen: Vec<(&str, &str, bool)> = list
        .iter()
        .map(|s| (s.code.as_str(), s.name.as_str(), s.active))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("PARIS-1", "Paris Opéra (flagship)", true),
            ("RUH-1", "Riyadh Park", false)
        ],
        "open ones first, nothing from the refused forms"
    );
    assert!(matches!(
        stores::set_active(&db, 9_999, true).await,
        Err(AppError::NotFound { .. })
    ));
}

/// The API names stores by code (any case); an unknown code is a field error that books
/// nothing. Orders keep their store and lines, and a closed store's late orders still book.
async fn the_api_keeps_an_orders_store_and_lines(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let till = key_for(&db, "store", ALL, "1000").await;
    let path = format!("/programs/{}/orders", w.program.id);
    let post = reqwest::Method::POST;
    let paris = stores::save(&db, &store("PARIS-1", "Paris", "Europe/Paris"))
        .await
        .unwrap();
    let lines = json!([
        {"sku": "LATTE", "category": "coffee", "quantity": 2, "amount_minor": 900},
        {"sku": "CROISSANT", "quantity": 1, "amount_minor": 350}
    ]);
    let unknown = json!({"member": who, "channel_order_id": "T-0", "amount_minor": 1250, "store": "LYON-1", "lines": lines});
    let (s, b, _) = send(&app, post.clone(), &path, Some(&till), None, Some(unknown)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        (b["code"].as_str(), b["fields"][0]["field"].as_str()),
        (Some("validation"), Some("store")),
        "{b}"
    );
    assert_eq!(balance(&db, &w).await, (0, 0), "nothing booked");
    let order = json!({"member": who, "channel_order_id": "T-1", "amount_minor": 1250, "store": "paris-1", "lines": lines});
    let (s, b, _) = send(&app, post.clone(), &path, Some(&till), None, Some(order)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let expected = vec![
        ("LATTE".to_string(), Some("coffee".to_string()), 2, 900),
        ("CROISSANT".to_string(), None, 1, 350),
    ];
    assert_eq!(kept(&db, "T-1").await, (Some("PARIS-1".into()), expected.clone()));
    stores::set_active(&db, paris.id, false).await.unwrap();
    let late = json!({"member": who, "channel_order_id": "T-2", "amount_minor": 500, "store": "PARIS-1"});
    let (s, b, _) = send(&app, post.clone(), &path, Some(&till), None, Some(late)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(kept(&db, "T-2").await, (Some("PARIS-1".into()), Vec::new()));
    // An event naming an unknown store is refused like an order.
    let events = format!("/programs/{}/events", w.program.id);
    let event = json!({"member": who, "event_type": "review", "event_id": "E-1", "store": "nowhere"});
    let (s, b, _) = send(&app, post, &events, Some(&till), None, Some(event)).await;
    assert_eq!(
        (s, b["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("store")),
        "{b}"
    );
    // A dry run refuses an unknown store as a booking would.
    let evaluate = format!("/programs/{}/evaluate", w.program.id);
    let dry = json!({"amount_minor": 1000, "store": "LYON-1"});
    let (s, b, _) = send(
        &app,
        reqwest::Method::POST,
        &evaluate,
        Some(&till),
        None,
        Some(dry),
    )
    .await;
    assert_eq!(
        (s, b["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("store")),
        "{b}"
    );
    // A till retrying an order booked before its store was set up gets its first receipt.
    let before = json!({"member": who, "channel_order_id": "T-3", "amount_minor": 800});
    let (s, first, _) = send(
        &app,
        reqwest::Method::POST,
        &path,
        Some(&till),
        None,
        Some(before),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let retry = json!({"member": who, "channel_order_id": "T-3", "amount_minor": 800, "store": "LYON-1"});
    let (s, b, _) = send(&app, reqwest::Method::POST, &path, Some(&till), None, Some(retry)).await;
    assert_eq!(
        (s, &b["transaction_id"], b["replayed"].as_bool()),
        (StatusCode::OK, &first["transaction_id"], Some(true)),
        "{b}"
    );
    // Replayed, the order keeps its one set of lines.
    let again = json!({"member": who, "channel_order_id": "T-1", "amount_minor": 1250, "store": "PARIS-1", "lines": lines});
    let (s, b, _) = send(&app, reqwest::Method::POST, &path, Some(&till), None, Some(again)).await;
    assert_eq!((s, b["replayed"].as_bool()), (StatusCode::OK, Some(true)), "{b}");
    assert_eq!(kept(&db, "T-1").await.1, expected);
}

/// At the Desk, typed lines give the amount (or must agree with it), the store is booked
/// with the order, and the program and store are offered first next time.
async fn the_desk_records_lines_and_a_store(db: Db) {
    let w = world(&db, |_| ()).await;
    let staff = w.staff_id;
    let paris = stores::save(&db, &store("PARIS-1", "Paris", "Europe/Paris"))
        .await
        .unwrap();
    let line = |sku: &str, quantity: &str, amount: &str| PurchaseLineInput {
        sku: sku.into(),
        category: "coffee".into(),
        quantity: quantity.into(),
        amount: amount.into(),
    };
    let mut input = PurchaseInput {
        member_id: w.member_id,
        program_id: w.program.id,
        amount: "9.00".into(),
        reference: "R-100".into(),
        store: "paris-1".into(),
        lines: vec![
            line("LATTE", "2", "7.00"),
            PurchaseLineInput::default(),
            line("ESPRESSO", "", "2.50"),
        ],
        request_id: "desk-lines-1".into(),
    };
    let e = orders::record_purchase(&db, staff, &input).await.unwrap_err();
    assert_eq!(
        e.field_message("amount").as_deref(),
        Some("The lines add up to €9.50, not €9.00.")
    );
    assert_eq!(balance(&db, &w).await, (0, 0), "nothing booked");
    input.amount = String::new();
    let receipt = orders::record_purchase(&db, staff, &input).await.unwrap();
    assert!(receipt.points > 0);
    let (code, lines) = kept(&db, "R-100").await;
    assert_eq!(code.as_deref(), Some("PARIS-1"));
    assert_eq!(
        lines.iter().map(|l| (l.0.as_str(), l.2, l.3)).collect::<Vec<_>>(),
        vec![("LATTE", 2, 700), ("ESPRESSO", 1, 250)]
    );
    let amount: i64 = sqlx::query_scalar("SELECT amount_minor FROM orders WHERE channel_order_id = 'R-100'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(amount, 950);
    assert_eq!(
        users::desk_choice(&db, staff).await.unwrap(),
        (Some(w.program.id), Some(paris.id))
    );
    input.store = "nowhere".into();
    input.request_id = "desk-lines-2".into();
    input.reference = "R-101".into();
    let e = orders::record_purchase(&db, staff, &input).await.unwrap_err();
    assert!(e.field_message("store").is_some(), "{e:?}");
    // Booked with no store, none is offered first next time.
    input.store = String::new();
    orders::record_purchase(&db, staff, &input).await.unwrap();
    assert_eq!(
        users::desk_choice(&db, staff).await.unwrap(),
        (Some(w.program.id), None)
    );
    let numbered: Vec<(i64, String)> = sqlx::query_as(
        "SELECT l.line_no, l.tags FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE o.channel_order_id = 'R-100' ORDER BY l.line_no",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(numbered, vec![(1, "[]".to_string()), (2, "[]".to_string())]);
}

/// Earning rules' days and hours are the event's local ones: the store's zone, else the
/// program's, and a change to either is seen by the next booking.
async fn rule_days_and_hours_are_local(db: Db) {
    use omniloyal::model::message::MessageSettings;
    use omniloyal::model::rules::RuleEffect;
    use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
    use omniloyal::server::service::rules;
    use omniloyal::server::store::messages;

    let w = world(&db, |_| ()).await;
    let mut weekend = crate::support::fixtures::rule(
        w.program.id,
        "Weekend bonus",
        10,
        RuleEffect::FixedPoints { points: 50 },
    );
    weekend.conditions.weekdays = vec![6, 7];
    rules::save(&db, &weekend).await.unwrap();
    stores::save(&db, &store("DXB-1", "Dubai Mall", "Asia/Dubai"))
        .await
        .unwrap();
    stores::save(&db, &store("LAX-1", "Los Angeles", "America/Los_Angeles"))
        .await
        .unwrap();
    // The last Friday 21:30 UTC before now (1970-01-02 was a Friday): Saturday 01:30 in
    // Dubai, Friday 13:30 in Los Angeles.
    let now = db.now().0;
    let friday = 86_400 + 21 * 3600 + 1800;
    let at = Timestamp(now - (now - friday).rem_euclid(7 * SECONDS_PER_DAY));
    let mut n = 0;
    let mut points = |store: Option<&str>| {
        n += 1;
        let input = omniloyal::model::order::OrderInput {
            store: store.map(str::to_string),
            occurred_at: Some(at),
            ..crate::support::fixtures::order(&format!("Z-{n}"), 1000)
        };
        let (db, w) = (db.clone(), &w);
        async move {
            let r = orders::record_order(&db, w.program.id, w.member_id, &input, None)
                .await
                .unwrap();
            (r.points, r.explanation)
        }
    };
    let base = points(None).await.0;
    let (dubai, summary) = points(Some("dxb-1")).await;
    assert_eq!(dubai, base + 50, "Saturday in Dubai: {summary}");
    assert_eq!(points(Some("LAX-1")).await.0, base, "Friday in Los Angeles");
    // A dry run (the Manage preview, the channel API's evaluate) reads the same local time.
    let event = omniloyal::model::rules::EarnEvent {
        event_type: "purchase".into(),
        channel: omniloyal::model::rules::Channel::Store,
        store: Some("DXB-1".into()),
        amount_minor: 1000,
        lines: Vec::new(),
        occurred_at: at,
        utc_offset_secs: 0,
    };
    let preview = orders::dry_run(&db, w.program.id, Some(w.member_id), &event)
        .await
        .unwrap();
    let line = preview
        .lines
        .iter()
        .find(|l| l.rule_name == "Weekend bonus")
        .unwrap();
    assert_eq!(line.points, 50, "{preview:?}");
    // Without a store, the program's zone: UTC until it is set to Dubai's.
    let settings = MessageSettings {
        time_zone: "Asia/Dubai".into(),
        quiet_hours: None,
        cap_day: None,
        cap_week: None,
        cap_month: None,
        min_gap_minutes: 0,
    };
    messages::save_settings(&db, w.program.id, &settings)
        .await
        .unwrap();
    assert_eq!(points(None).await.0, base + 50, "the program's zone now");
}

/// A rule's per-member day and month caps start again at the local midnight and on the local
/// first of the month (the store's zone, else the program's), not at UTC's.
async fn rule_caps_count_local_days_and_months(db: Db) {
    use chrono::{Datelike, TimeZone, Utc};
    use omniloyal::model::rules::RuleEffect;
    use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
    use omniloyal::server::service::rules;

    let w = world(&db, |_| ()).await;
    let mut daily =
        crate::support::fixtures::rule(w.program.id, "Daily", 10, RuleEffect::FixedPoints { points: 30 });
    daily.caps.per_member_day = Some(30);
    rules::save(&db, &daily).await.unwrap();
    let mut monthly =
        crate::support::fixtures::rule(w.program.id, "Monthly", 9, RuleEffect::FixedPoints { points: 40 });
    monthly.caps.per_member_month = Some(40);
    rules::save(&db, &monthly).await.unwrap();
    stores::save(&db, &store("DXB-1", "Dubai Mall", "Asia/Dubai"))
        .await
        .unwrap();
    let mut n = 0;
    // What each of the two rules gave an order at `at` in `store`.
    let mut earn = |store: Option<&str>, at: i64| {
        n += 1;
        let input = omniloyal::model::order::OrderInput {
            store: store.map(str::to_string),
            occurred_at: Some(Timestamp(at)),
            ..crate::support::fixtures::order(&format!("C-{n}"), 1000)
        };
        let (db, w) = (db.clone(), &w);
        async move {
            let r = orders::record_order(&db, w.program.id, w.member_id, &input, None)
                .await
                .unwrap();
            let given = |name: &str| {
                r.award
                    .lines
                    .iter()
                    .find(|l| l.rule_name == name)
                    .map_or(0, |l| l.points)
            };
            (given("Daily"), given("Monthly"))
        }
    };
    // The first of this month at 00:00 UTC is 04:00 in Dubai; a day in the month before
    // (within the 90 days an order may go back) is spent on the daily cap.
    let today = Utc::now();
    let first = Utc
        .with_ymd_and_hms(today.year(), today.month(), 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    let day = first - 10 * SECONDS_PER_DAY;
    // 19:30 UTC is 23:30 in Dubai; 20:30 UTC is 00:30 the next day there, still the same
    // day in UTC.
    let (late, after_midnight) = (day + 19 * 3600 + 1800, day + 20 * 3600 + 1800);
    assert_eq!(earn(Some("DXB-1"), late).await.0, 30, "the day's first order");
    assert_eq!(
        earn(Some("DXB-1"), after_midnight).await.0,
        30,
        "a new day in Dubai, though not in UTC"
    );
    assert_eq!(
        earn(Some("DXB-1"), after_midnight + 3600).await.0,
        0,
        "the Dubai day's cap is spent"
    );
    // Without a store the program's zone (UTC) counts: 21:30 UTC is the day of the first
    // order there, whose cap it spent.
    assert_eq!(earn(None, after_midnight + 3600).await.0, 0, "UTC's day, spent");
    // The month, spent by the orders above: 19:00 UTC on its last day is 23:00 in Dubai,
    // still last month there; 21:00 UTC is 01:00 on the first in Dubai, a new month.
    let (_, last_month) = earn(Some("DXB-1"), first - 5 * 3600).await;
    assert_eq!(last_month, 0, "last month's cap, spent");
    let (_, this_month) = earn(Some("DXB-1"), first - 3 * 3600).await;
    assert_eq!(this_month, 40, "the first of the month in Dubai, not yet in UTC");
    let (_, again) = earn(Some("DXB-1"), first - 3600).await;
    assert_eq!(again, 0, "this month's cap is spent");
    crate::support::fixtures::assert_reconciles(&db, w.program.id).await;
}

on_both_backends!(
    stores_are_set_up_by_code,
    the_api_keeps_an_orders_store_and_lines,
    the_desk_records_lines_and_a_store,
    rule_days_and_hours_are_local,
    rule_caps_count_local_days_and_months
);
