//! The channel API over HTTP: keys, scopes, idempotency, JSON errors for bad input, rate
//! limits, and an OpenAPI document that lists exactly what is mounted.

use omniloyal::model::card::BatchInput;
use omniloyal::model::rules::RuleEffect;
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::service::{adjustments, api_keys, cards, rewards, tiers};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::fixtures::{
    assert_reconciles, balance, email, key, key_for, membership, reward_input, send, world, ALL,
};
use crate::support::{code, spawn_app};
use omniloyal::server::query::member_view;

async fn orders_with_keys_scopes_and_idempotency(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let k = key(&db, ALL, "1000").await;
    let path = format!("/programs/{}/orders", w.program.id);
    let body = json!({"member": who, "channel_order_id": "T-1", "amount_minor": 1250});

    let (s, b, _) = send(&app, reqwest::Method::POST, &path, None, None, Some(body.clone())).await;
    assert_eq!((s, code(&b)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    let (s, _, _) = send(
        &app,
        reqwest::Method::POST,
        &path,
        Some("olk_nope_nope"),
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let read_only = key(&db, &["members:read"], "").await;
    let (s, b, _) = send(
        &app,
        reqwest::Method::POST,
        &path,
        Some(&read_only),
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "forbidden"));

    // Ten concurrent sends of one Idempotency-Key: one booking, ten identical answers.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (base, k, path, body) = (app.base.clone(), k.clone(), path.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/api/v1{path}"))
                .bearer_auth(k)
                .header("Idempotency-Key", "k-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert_eq!(answers[0].0, StatusCode::CREATED);
    for (s, b) in &answers {
        assert_eq!(
            (*s, b["transaction_id"].clone()),
            (StatusCode::CREATED, answers[0].1["transaction_id"].clone())
        );
        assert_eq!(b["points"], 125, "€12.50 at 10 per EUR: {b}");
    }
    // Same key, other body: refused, also when the other body would be refused on its own
    // (nothing is read before the booking: its refusal meets the stored key and gives way).
    let reused = |idem: &'static str, other: Value| {
        let (app, path, k) = (&app, &path, &k);
        async move {
            let (s, b, _) = send(app, reqwest::Method::POST, path, Some(k), Some(idem), Some(other)).await;
            assert_eq!(
                (s, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
            );
        }
    };
    reused(
        "k-1",
        json!({"member": who, "channel_order_id": "T-1", "amount_minor": 9999}),
    )
    .await;
    reused(
        "k-1",
        json!({"member": "nobody@x.io", "channel_order_id": "T-1", "amount_minor": 1250}),
    )
    .await;
    reused(
        "k-1",
        json!({"member": who, "channel_order_id": "T-1", "amount_minor": -5}),
    )
    .await;
    // Same order id, new key: the order's first answer.
    let (s, b, _) = send(
        &app,
        reqwest::Method::POST,
        &path,
        Some(&k),
        Some("k-2"),
        Some(body.clone()),
    )
    .await;
    assert_eq!((s, b["replayed"].as_bool()), (StatusCode::OK, Some(true)));
    assert_eq!(balance(&db, &w).await, (125, 0));
    // A refused keyed order is that key's answer too: the retry gets it back, marked replayed.
    let unknown = json!({"member": "nobody@x.io", "channel_order_id": "T-9", "amount_minor": 100});
    for replay in [false, true] {
        let (s, b, h) = send(
            &app,
            reqwest::Method::POST,
            &path,
            Some(&k),
            Some("k-refused"),
            Some(unknown.clone()),
        )
        .await;
        assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "not_found"));
        assert_eq!(h.contains_key("idempotent-replayed"), replay);
    }
    // That key books nothing else afterwards, even a body that would book.
    reused(
        "k-refused",
        json!({"member": who, "channel_order_id": "T-10", "amount_minor": 100}),
    )
    .await;
    assert_eq!(balance(&db, &w).await, (125, 0));

    // Revoked keys stop working at once.
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_keys WHERE scopes = 'members:read'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    api_keys::revoke(&db, id).await.unwrap();
    let (s, _, _) = send(
        &app,
        reqwest::Method::GET,
        &format!("/members/{who}"),
        Some(&read_only),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let (s, b, _) = send(
        &app,
        reqwest::Method::GET,
        &format!("/members/{who}"),
        Some(&k),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["programs"][0]["balance"], 125);
    // The till links its own customer id; from then on it finds the member by it.
    let post = reqwest::Method::POST;
    let link = json!({"kind": "external", "value": "POS-CUST-991"});
    let path_for = |e: &str| format!("/members/{e}/identifiers");
    let (s, b, _) = send(
        &app,
        post.clone(),
        &path_for(&who),
        Some(&k),
        None,
        Some(link.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b, _) = send(
        &app,
        reqwest::Method::GET,
        "/members/POS-CUST-991",
        Some(&k),
        None,
        None,
    )
    .await;
    assert_eq!(
        (s, b["member_id"].as_i64()),
        (StatusCode::OK, Some(w.member_id.get()))
    );
    // External ids are each channel's own: the web shop's customer POS-CUST-991 is another
    // member, and the till's id finds nobody from the web shop.
    let other = world(&db, |_| ()).await;
    let other_email = email(&db, &other).await;
    let shop = key_for(&db, "web", ALL, "1000").await;
    let get = |key: String| {
        let app = &app;
        async move {
            send(
                app,
                reqwest::Method::GET,
                "/members/POS-CUST-991",
                Some(&key),
                None,
                None,
            )
            .await
        }
    };
    let (s, b, _) = get(shop.clone()).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "not_found"), "{b}");
    let (s, b, _) = send(
        &app,
        post.clone(),
        &path_for(&other_email),
        Some(&shop),
        None,
        Some(link.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b, _) = get(shop).await;
    assert_eq!(
        (s, b["member_id"].as_i64()),
        (StatusCode::OK, Some(other.member_id.get()))
    );
    let (s, b, _) = get(k.clone()).await;
    assert_eq!(
        (s, b["member_id"].as_i64()),
        (StatusCode::OK, Some(w.member_id.get()))
    );
    // The same id for another member is refused; a bad card number is a field error.
    let (s, b, _) = send(
        &app,
        post.clone(),
        &path_for(&other_email),
        Some(&k),
        None,
        Some(link),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "conflict"));
    let bad = json!({"kind": "card", "value": "1234"});
    let (s, b, _) = send(&app, post, &path_for(&other_email), Some(&k), None, Some(bad)).await;
    assert_eq!((s, code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "validation"));
    let (s, b, _) = send(
        &app,
        reqwest::Method::GET,
        &format!("/programs/{}/members/{who}/balance", w.program.id),
        Some(&k),
        None,
        None,
    )
    .await;
    assert_eq!(
        (s, b["balance"].as_i64(), b["value_minor"].as_i64()),
        (StatusCode::OK, Some(125), Some(125))
    );
    assert_reconciles(&db, w.program.id).await;
}

/// An order bought online and brought back to a store: the store's key names the order's
/// channel, and the points come back once however often the till retries.
async fn returns_reach_orders_of_any_channel(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let shop = key_for(&db, "web", ALL, "1000").await;
    let till = key_for(&db, "store", ALL, "1000").await;
    let post = reqwest::Method::POST;
    let order = json!({"member": who, "channel_order_id": "W-1", "amount_minor": 2000});
    let orders = format!("/programs/{}/orders", w.program.id);
    let (s, earned, _) = send(&app, post.clone(), &orders, Some(&shop), None, Some(order)).await;
    assert_eq!(s, StatusCode::CREATED, "{earned}");
    let points = earned["points"].as_i64().unwrap();
    assert!(points > 0);
    let returns = format!("/programs/{}/returns", w.program.id);
    // The store's own channel has no such order.
    let here = json!({"channel_order_id": "W-1", "return_id": "R-1", "amount_minor": 1000});
    let (s, b, _) = send(&app, post.clone(), &returns, Some(&till), None, Some(here)).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "not_found"), "{b}");
    assert_eq!(balance(&db, &w).await.0, points);
    let back =
        json!({"channel_order_id": "W-1", "order_channel": "web", "return_id": "R-1", "amount_minor": 1000});
    let (s, first, _) = send(
        &app,
        post.clone(),
        &returns,
        Some(&till),
        Some("ret-1"),
        Some(back.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(
        balance(&db, &w).await.0,
        points - points / 2,
        "half the amount, half the points"
    );
    let (s, again, _) = send(
        &app,
        post.clone(),
        &returns,
        Some(&till),
        Some("ret-1"),
        Some(back.clone()),
    )
    .await;
    assert_eq!(
        (s, &again),
        (StatusCode::CREATED, &first),
        "the key's answer, again"
    );
    let (s, _, _) = send(&app, post.clone(), &returns, Some(&till), None, Some(back)).await;
    assert_eq!(s, StatusCode::OK, "the same return id books once");
    assert_eq!(balance(&db, &w).await.0, points - points / 2);
    // The web shop's own return R-1 of the same order is another return, not a repeat.
    let online = json!({"channel_order_id": "W-1", "return_id": "R-1", "amount_minor": 1000});
    let (s, b, _) = send(&app, post.clone(), &returns, Some(&shop), None, Some(online)).await;
    assert_eq!(
        (s, b["replayed"].as_bool()),
        (StatusCode::CREATED, Some(false)),
        "{b}"
    );
    assert_eq!(balance(&db, &w).await.0, 0, "the whole order is back");
    let channels: Vec<String> = sqlx::query_scalar(
        "SELECT channel FROM ledger_transactions WHERE membership_id = $1 AND kind = 'return' ORDER BY id",
    )
    .bind(membership(&db, &w).await)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        channels,
        vec!["store", "web"],
        "each return is the returning channel's"
    );
    let bad =
        json!({"channel_order_id": "W-1", "order_channel": "fax", "return_id": "R-2", "amount_minor": 10});
    let (s, b, _) = send(&app, post, &returns, Some(&till), None, Some(bad)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        "{b}"
    );
    assert_reconciles(&db, w.program.id).await;
}

/// A printed card's points move to the member who links it: a web shop or app (anyone can
/// type a number there) must send the code printed on the card; a till has the card in hand.
async fn printed_cards_linked_online_need_their_security_code(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let batch = cards::create_batch(
        &db,
        &BatchInput {
            program_id: w.program.id,
            label: "Print run".into(),
            size: "2".into(),
        },
        Some(w.staff_id),
    )
    .await
    .unwrap();
    let printed = cards::print(&db, batch.id).await.unwrap().cards;
    let (shop, till) = (
        key_for(&db, "web", ALL, "1000").await,
        key(&db, ALL, "1000").await,
    );
    let post = reqwest::Method::POST;
    let orders = format!("/programs/{}/orders", w.program.id);
    let on_card = json!({"member": printed[0].number, "channel_order_id": "C-1", "amount_minor": 1000});
    let (s, earned, _) = send(&app, post.clone(), &orders, Some(&till), None, Some(on_card)).await;
    assert_eq!(s, StatusCode::CREATED, "{earned}");
    let points = earned["points"].as_i64().unwrap();
    let link = format!("/members/{who}/identifiers");
    for code_sent in [None, Some("000000")] {
        let mut body = json!({"kind": "card", "value": printed[0].number});
        if let Some(c) = code_sent {
            body["security_code"] = json!(c);
        }
        let (s, b, _) = send(&app, post.clone(), &link, Some(&shop), None, Some(body)).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
            "{b}"
        );
        assert_eq!(b["fields"][0]["field"], "security_code", "{b}");
    }
    assert_eq!(balance(&db, &w).await.0, 0, "nothing moved");
    let body = json!({"kind": "card", "value": printed[0].number, "security_code": printed[0].security_code});
    let (s, b, _) = send(&app, post.clone(), &link, Some(&shop), None, Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        balance(&db, &w).await.0,
        points,
        "the card's points moved with the right code"
    );
    let body = json!({"kind": "card", "value": printed[1].number});
    let (s, b, _) = send(&app, post, &link, Some(&till), None, Some(body)).await;
    assert_eq!(s, StatusCode::OK, "the till has the card in hand: {b}");
    assert_reconciles(&db, w.program.id).await;
}

/// Tier progress over the API counts what the program's tiers count: here whole euros spent,
/// not lifetime points.
async fn balances_show_tier_progress_in_the_tiers_unit(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |p| p.tier_basis = "spend".into()).await;
    for (name, threshold) in [("Green", "0"), ("Gold", "1000")] {
        tiers::save_tier(
            &db,
            &crate::support::fixtures::tier_input(w.program.id, name, threshold, "1"),
        )
        .await
        .unwrap();
    }
    let who = email(&db, &w).await;
    let k = key(&db, ALL, "1000").await;
    let order = json!({"member": who, "channel_order_id": "S-1", "amount_minor": 1250});
    let orders = format!("/programs/{}/orders", w.program.id);
    let (s, b, _) = send(&app, reqwest::Method::POST, &orders, Some(&k), None, Some(order)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let path = format!("/programs/{}/members/{who}/balance", w.program.id);
    let (s, b, _) = send(&app, reqwest::Method::GET, &path, Some(&k), None, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["lifetime_points"], 125, "{b}");
    assert_eq!(
        (
            &b["tier_basis"],
            &b["qualifying"],
            &b["next_tier"],
            &b["points_to_next_tier"]
        ),
        (&json!("spend"), &json!(12), &json!("Gold"), &json!(988)),
        "{b}"
    );
}

/// Points given or taken by a channel: a reason, a key against retries, and the key named
/// in the audit trail.
async fn adjustments_over_the_api_are_audited(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let k = key(&db, ALL, "1000").await;
    let post = reqwest::Method::POST;
    let path = format!("/programs/{}/adjustments", w.program.id);
    let give = json!({"member": who, "points": 50, "reason": "Goodwill: late delivery"});
    let (s, b, _) = send(&app, post.clone(), &path, Some(&k), None, Some(give.clone())).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::BAD_REQUEST, "idempotency_key_required")
    );
    let no_reason = json!({"member": who, "points": 50, "reason": ""});
    let (s, b, _) = send(&app, post.clone(), &path, Some(&k), Some("a-0"), Some(no_reason)).await;
    assert_eq!(
        (s, &b["fields"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("reason")),
        "{b}"
    );
    for _ in 0..2 {
        let (s, b, _) = send(
            &app,
            post.clone(),
            &path,
            Some(&k),
            Some("a-1"),
            Some(give.clone()),
        )
        .await;
        assert_eq!((s, &b["balance"]), (StatusCode::CREATED, &json!(50)), "{b}");
    }
    let take = json!({"member": who, "points": -80, "reason": "Correction"});
    let (s, b, _) = send(&app, post.clone(), &path, Some(&k), Some("a-2"), Some(take)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "insufficient_points"),
        "{b}"
    );
    let take = json!({"member": who, "points": -20, "reason": "Correction"});
    let (s, b, _) = send(&app, post, &path, Some(&k), Some("a-3"), Some(take)).await;
    assert_eq!((s, &b["balance"]), (StatusCode::CREATED, &json!(30)), "{b}");
    /// channel, reference, reason, recorded_by
    type Audit = (String, Option<String>, Option<String>, Option<i64>);
    let audit: Vec<Audit> = sqlx::query_as(
        "SELECT channel, reference, reason, recorded_by FROM ledger_transactions \
         WHERE membership_id = $1 AND kind = 'adjust' ORDER BY id",
    )
    .bind(membership(&db, &w).await)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let by_key = |reason: &str| {
        (
            "store".to_string(),
            Some("API key: Till 1".to_string()),
            Some(reason.to_string()),
            None,
        )
    };
    assert_eq!(
        audit,
        vec![by_key("Goodwill: late delivery"), by_key("Correction")]
    );
    assert_reconciles(&db, w.program.id).await;
}

/// Actions over the API: the event id books once per channel and type, a retried key gets
/// its first answer, and the same key with another body is refused.
async fn events_over_the_api_book_once(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let mut review =
        crate::support::fixtures::rule(w.program.id, "Reviews", 1, RuleEffect::FixedPoints { points: 25 });
    review.conditions.event_types = vec!["review".into()];
    omniloyal::server::service::rules::save(&db, &review)
        .await
        .unwrap();
    let who = email(&db, &w).await;
    let (app_key, shop) = (
        key_for(&db, "app", ALL, "1000").await,
        key_for(&db, "web", ALL, "1000").await,
    );
    let post = reqwest::Method::POST;
    let events = format!("/programs/{}/events", w.program.id);
    let body = json!({"member": who, "event_type": "review", "event_id": "rv-7"});
    let (s, first, _) = send(
        &app,
        post.clone(),
        &events,
        Some(&app_key),
        Some("e-1"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (s, &first["points"]),
        (StatusCode::CREATED, &json!(25)),
        "{first}"
    );
    let (s, again, headers) = send(
        &app,
        post.clone(),
        &events,
        Some(&app_key),
        Some("e-1"),
        Some(body.clone()),
    )
    .await;
    assert_eq!((s, &again), (StatusCode::CREATED, &first));
    assert_eq!(headers["idempotent-replayed"], "true");
    let other = json!({"member": who, "event_type": "review", "event_id": "rv-8"});
    let (s, b, _) = send(
        &app,
        post.clone(),
        &events,
        Some(&app_key),
        Some("e-1"),
        Some(other),
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
        "{b}"
    );
    let (s, b, _) = send(
        &app,
        post.clone(),
        &events,
        Some(&app_key),
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (s, b["replayed"].as_bool()),
        (StatusCode::OK, Some(true)),
        "the event id, without a key: {b}"
    );
    let (s, b, _) = send(&app, post, &events, Some(&shop), None, Some(body)).await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "the web shop's rv-7 is another review: {b}"
    );
    assert_eq!(balance(&db, &w).await, (50, 0));
}

async fn bad_input_gets_json_errors_and_changes_nothing(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let k = key(&db, ALL, "1000").await;
    // Birthdays and referrals are Omniloyal's to book: a channel's would pre-empt them.
    for event_type in ["birthday", "referral"] {
        let event = json!({"member": who, "event_type": event_type, "event_id": "e-1"});
        let events = format!("/programs/{}/events", w.program.id);
        let (s, b, _) = send(&app, reqwest::Method::POST, &events, Some(&k), None, Some(event)).await;
        assert_eq!(
            (s, &b["fields"][0]["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!("event_type")),
            "{b}"
        );
    }
    let path = format!("{}/api/v1/programs/{}/orders", app.base, w.program.id);
    let client = reqwest::Client::new();
    let raw = |body: &'static str, ct: &'static str| {
        client
            .post(&path)
            .bearer_auth(&k)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let check = |r: reqwest::Response, status: StatusCode, expect: &'static str| async move {
        assert_eq!(r.status(), status, "{}", r.url());
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let b: Value = r.json().await.unwrap();
        assert_eq!(code(&b), expect, "{b}");
        assert!(!b["message"].as_str().unwrap_or_default().is_empty());
    };
    check(
        raw("{not json", "application/json").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "malformed_json",
    )
    .await;
    check(
        raw("{}", "text/plain").await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    check(
        raw(
            r#"{"member":"x","channel_order_id":"a","amount_minor":1,"colour":"red"}"#,
            "application/json",
        )
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    check(
        raw(
            r#"{"member":"x","channel_order_id":"a","amount_minor":900,"lines":[{"sku":"L","categories":["coffee"],"quantity":1,"amount_minor":900}]}"#,
            "application/json",
        )
        .await
        .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
    )
    .await;
    // Just over the 64 KiB limit. The server answers as soon as it sees the length and
    // closes the connection; a client still writing may then get a reset instead of the
    // answer (that is HTTP, not the server). Retry such resets and check the answer itself.
    let big = format!(
        r#"{{"member":"{}","channel_order_id":"a","amount_minor":1}}"#,
        "x".repeat(80 * 1024)
    );
    let mut answered = None;
    for _ in 0..10 {
        // A client of its own: the connection it used is closed afterwards, and must not be
        // reused by the requests below.
        let sent = reqwest::Client::new()
            .post(&path)
            .bearer_auth(&k)
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await;
        if let Ok(r) = sent {
            answered = Some(r);
            break;
        }
    }
    check(
        answered.expect("an answer to the oversized body"),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;

    let cases = [
        (
            json!({"member": who, "channel_order_id": "a", "amount_minor": -1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            json!({"member": who, "channel_order_id": "a", "amount_minor": 1_000_000_000_000i64}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            json!({"member": who, "channel_order_id": "a", "amount_minor": 1000,
                   "lines": [{"sku": "A", "quantity": 1, "amount_minor": 600}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            json!({"member": "nobody@x.io", "channel_order_id": "a", "amount_minor": 100}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (body, status, expect) in cases {
        let r = client
            .post(&path)
            .bearer_auth(&k)
            .json(&body)
            .send()
            .await
            .unwrap();
        check(r, status, expect).await;
    }
    let r = client
        .post(format!("{}/api/v1/programs/999999/orders", app.base))
        .bearer_auth(&k)
        .json(&json!({"member": who, "channel_order_id": "a", "amount_minor": 100}))
        .send()
        .await
        .unwrap();
    check(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = client
        .get(format!("{}/api/v1/nowhere", app.base))
        .bearer_auth(&k)
        .send()
        .await
        .unwrap();
    check(r, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(balance(&db, &w).await, (0, 0));
    assert!(member_view::history(&db, w.member_id, 10)
        .await
        .unwrap()
        .is_empty());
}

async fn rewards_over_the_api(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let k = key(&db, ALL, "1000").await;
    let ms = membership(&db, &w).await;
    adjustments::by_staff(&db, Some(w.staff_id), ms, 150, "Opening balance", "open")
        .await
        .unwrap();
    let reward = rewards::save(&db, &reward_input(w.program.id, "Coffee", "100"))
        .await
        .unwrap();
    let post = reqwest::Method::POST;
    let (s, b, _) = send(
        &app,
        reqwest::Method::GET,
        &format!("/programs/{}/members/{who}/rewards", w.program.id),
        Some(&k),
        None,
        None,
    )
    .await;
    assert_eq!(
        (s, b[0]["affordable"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{b}"
    );
    let redeem = json!({"member": who, "reward_id": reward.id, "reserve": true});
    let redeem_again = redeem.clone();
    let path = format!("/programs/{}/redemptions", w.program.id);
    let (s, b, _) = send(&app, post.clone(), &path, Some(&k), None, Some(redeem.clone())).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::BAD_REQUEST, "idempotency_key_required")
    );
    let (s, b, _) = send(
        &app,
        post.clone(),
        &path,
        Some(&k),
        Some("r-1"),
        Some(redeem.clone()),
    )
    .await;
    assert_eq!(
        (s, b["status"].as_str()),
        (StatusCode::CREATED, Some("reserved")),
        "{b}"
    );
    let code_text = b["code"].as_str().unwrap().to_string();
    let (_, again, headers) = send(
        &app,
        post.clone(),
        &path,
        Some(&k),
        Some("r-1"),
        Some(redeem.clone()),
    )
    .await;
    assert_eq!(again["code"], b["code"]);
    assert_eq!(headers["idempotent-replayed"], "true");
    let (s, b, _) = send(&app, post.clone(), &path, Some(&k), Some("r-2"), Some(redeem)).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "insufficient_points"));
    let pin = again["pin"].as_str().unwrap().to_string();
    // A web shop must send the PIN; the till (a store key) may leave it out.
    let shop = key_for(&db, "web", ALL, "1000").await;
    let confirm = format!("/codes/{code_text}/confirm");
    for body in [json!({}), json!({"pin": "x0x0"})] {
        let (s, b, _) = send(&app, post.clone(), &confirm, Some(&shop), None, Some(body)).await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
            "{b}"
        );
        assert_eq!(b["fields"][0]["field"], "pin", "{b}");
    }
    let (s, first, _) = send(
        &app,
        post.clone(),
        &confirm,
        Some(&shop),
        Some("c-1"),
        Some(json!({"pin": pin})),
    )
    .await;
    assert_eq!(
        (s, first["status"].as_str()),
        (StatusCode::OK, Some("used")),
        "{first}"
    );
    // The till's retry after a timeout gets the first answer, not "already used".
    let (s, again, headers) = send(
        &app,
        post.clone(),
        &confirm,
        Some(&shop),
        Some("c-1"),
        Some(json!({"pin": pin})),
    )
    .await;
    assert_eq!((s, &again), (StatusCode::OK, &first));
    assert_eq!(headers["idempotent-replayed"], "true");
    let (s, b, _) = send(
        &app,
        post.clone(),
        &format!("/codes/{code_text}/confirm"),
        Some(&k),
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "reward_used"));
    let (s, b, _) = send(
        &app,
        post.clone(),
        &format!("/codes/{code_text}/release"),
        Some(&k),
        None,
        None,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "reward_used"));
    assert_eq!(balance(&db, &w).await, (50, 0));
    // A reservation released by a checkout that retries: the points come back once.
    adjustments::by_staff(&db, Some(w.staff_id), ms, 100, "Top up", "top-up")
        .await
        .unwrap();
    let (s, b, _) = send(
        &app,
        post.clone(),
        &path,
        Some(&k),
        Some("r-3"),
        Some(redeem_again),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let release = format!("/codes/{}/release", b["code"].as_str().unwrap());
    // A web shop must send the PIN to cancel a code, as to use it.
    for pin in [None, Some(json!({"pin": "x0x0"}))] {
        let (s, b, _) = send(&app, post.clone(), &release, Some(&shop), None, pin).await;
        assert_eq!(
            (s, &b["fields"][0]["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!("pin")),
            "{b}"
        );
    }
    let (s, first, _) = send(&app, post.clone(), &release, Some(&k), Some("rel-1"), None).await;
    assert_eq!(
        (s, first["status"].as_str()),
        (StatusCode::OK, Some("released")),
        "{first}"
    );
    let (s, again, headers) = send(&app, post.clone(), &release, Some(&k), Some("rel-1"), None).await;
    assert_eq!((s, &again), (StatusCode::OK, &first));
    assert_eq!(headers["idempotent-replayed"], "true");
    let (s, b, _) = send(&app, post, &release, Some(&k), Some("rel-2"), None).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "reward_used"), "{b}");
    assert_eq!(balance(&db, &w).await, (150, 0));
    assert_reconciles(&db, w.program.id).await;
}

async fn keys_are_rate_limited(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let k = key(&db, ALL, "2").await;
    let mut limited = None;
    for _ in 0..6 {
        let (s, b, h) = send(
            &app,
            reqwest::Method::GET,
            &format!("/members/{who}"),
            Some(&k),
            None,
            None,
        )
        .await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((
                code(&b).to_string(),
                h["retry-after"].to_str().unwrap().to_string(),
            ));
            break;
        }
    }
    let (c, retry) = limited.expect("a key allowed 2 requests a second is limited within 6");
    assert_eq!(c, "rate_limited");
    assert!(retry.parse::<u64>().unwrap() >= 1);
}

async fn openapi_lists_every_mounted_route(db: Db) {
    let app = spawn_app(db.clone()).await;
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().expect("paths");
    // The operations a channel can call, listed here by hand: the document names exactly these.
    let expected: std::collections::BTreeSet<(&str, &str)> = [
        ("get", "/members/{identifier}"),
        ("patch", "/members/{identifier}"),
        ("get", "/members/{identifier}/history"),
        ("post", "/programs/{program_id}/members"),
        ("post", "/members/{identifier}/identifiers"),
        ("get", "/programs/{program_id}/members/{identifier}/balance"),
        ("get", "/programs/{program_id}/members/{identifier}/rewards"),
        ("get", "/programs/{program_id}/segments"),
        ("get", "/programs/{program_id}/members/{identifier}/segments"),
        ("get", "/programs/{program_id}/members/{identifier}/offers"),
        ("get", "/programs/{program_id}/members/{identifier}/consents"),
        ("patch", "/programs/{program_id}/members/{identifier}/consents"),
        ("get", "/programs/{program_id}/members/{identifier}/devices"),
        ("put", "/programs/{program_id}/members/{identifier}/devices"),
        (
            "delete",
            "/programs/{program_id}/members/{identifier}/devices/{device_id}",
        ),
        (
            "post",
            "/programs/{program_id}/members/{identifier}/offers/{campaign_id}/claim",
        ),
        ("post", "/programs/{program_id}/orders"),
        ("post", "/programs/{program_id}/returns"),
        ("post", "/programs/{program_id}/events"),
        ("post", "/programs/{program_id}/evaluate"),
        ("post", "/programs/{program_id}/adjustments"),
        ("post", "/programs/{program_id}/redemptions"),
        ("post", "/codes/{code}/confirm"),
        ("post", "/codes/{code}/release"),
    ]
    .into_iter()
    .collect();
    let documented: std::collections::BTreeSet<(&str, &str)> = paths
        .iter()
        .flat_map(|(path, item)| {
            ["get", "post", "put", "patch", "delete"]
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .map(move |m| (m, path.as_str()))
        })
        .collect();
    assert_eq!(documented, expected);
    for (path, item) in paths {
        // Every documented operation answers (401 without a key), never 404/405.
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let concrete = path
                .replace("{program_id}", "1")
                .replace("{identifier}", "x")
                .replace("{campaign_id}", "1")
                .replace("{device_id}", "1")
                .replace("{code}", "RW-X");
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (s, _, _) = send(&app, m, &concrete, None, None, Some(json!({}))).await;
            // Past a few requests without a key the address is answered 429 instead: the
            // route was found either way.
            assert!(
                matches!(s, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS),
                "{method} {path}: {s}"
            );
        }
    }
    assert!(doc["components"]["schemas"]["EarnReceipt"].is_object());
    // Every reference names a schema the document has (typed ids included: they are
    // documented as the integers they are on the wire).
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let name = r.strip_prefix("#/components/schemas/").expect(r);
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is not in the document"
        );
    }
    let receipt = &doc["components"]["schemas"]["EarnReceipt"]["properties"];
    let member_id = &receipt["member_id"];
    let member_id = match member_id.get("$ref").and_then(Value::as_str) {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => member_id,
    };
    assert_eq!(member_id["type"], "integer", "{receipt}");
}

/// A dry run answers what the booking then earns, line by line, and writes nothing; the
/// rule editor's preview answers the same for a member with no history.
async fn dry_runs_answer_what_a_booking_earns(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let mut bonus = crate::support::fixtures::rule(
        w.program.id,
        "Welcome back",
        10,
        RuleEffect::FixedPoints { points: 25 },
    );
    bonus.conditions.event_types = vec!["purchase".into()];
    let bonus = omniloyal::server::service::rules::save(&db, &bonus)
        .await
        .unwrap();
    let k = key(&db, ALL, "1000").await;
    let evaluate = format!("/programs/{}/evaluate", w.program.id);
    let (s, award, _) = send(
        &app,
        reqwest::Method::POST,
        &evaluate,
        Some(&k),
        None,
        Some(json!({"member": who, "amount_minor": 1250})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{award}");
    assert_eq!(
        award["total"], 150,
        "125 at the base rate and the rule's 25: {award}"
    );
    let lines = award["lines"].as_array().unwrap();
    let by_rule = |id: Option<i64>| {
        lines
            .iter()
            .find(|l| l["rule_id"].as_i64() == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            by_rule(None)["points"].as_i64(),
            by_rule(None)["matched"].as_bool()
        ),
        (Some(125), Some(true))
    );
    assert_eq!(
        (
            by_rule(Some(bonus.id))["points"].as_i64(),
            by_rule(Some(bonus.id))["rule_name"].as_str()
        ),
        (Some(25), Some("Welcome back"))
    );
    assert!(
        award["summary"].as_str().unwrap().contains("Welcome back"),
        "{award}"
    );
    assert_eq!(balance(&db, &w).await, (0, 0), "a dry run writes nothing");
    let (s, b, _) = send(
        &app,
        reqwest::Method::POST,
        &evaluate,
        Some(&k),
        None,
        Some(json!({"amount_minor": -5})),
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "refused as a booking would be"
    );

    let orders = format!("/programs/{}/orders", w.program.id);
    let order = json!({"member": who, "channel_order_id": "DRY-1", "amount_minor": 1250});
    let (s, booked, _) = send(&app, reqwest::Method::POST, &orders, Some(&k), None, Some(order)).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        booked["points"], award["total"],
        "the booking earns what the dry run said"
    );
    assert_eq!(booked["award"], award);

    let (_, admin) = app.as_role(Role::Admin).await;
    let pid = w.program.id.to_string();
    let preview = |event: &'static str, amount: &'static str| {
        let (app, admin, pid) = (&app, &admin, pid.clone());
        async move {
            let form = [
                ("input[program_id]", pid.as_str()),
                ("input[event_type]", event),
                ("input[channel]", "web"),
                ("input[amount]", amount),
            ];
            app.call(admin, "preview_award", &form).await
        }
    };
    let (s, p) = preview("purchase", "12.50").await;
    assert_eq!((s, p["total"].as_i64()), (StatusCode::OK, Some(150)), "{p}");
    let (_, p) = preview("review", "").await;
    assert_eq!(p["total"], 0, "no rule gives anything for a review: {p}");
    let (s, p) = preview("purchase", "12,5x").await;
    assert_eq!(
        (s, p["fields"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("amount"))
    );
}

on_both_backends!(
    dry_runs_answer_what_a_booking_earns,
    orders_with_keys_scopes_and_idempotency,
    returns_reach_orders_of_any_channel,
    events_over_the_api_book_once,
    adjustments_over_the_api_are_audited,
    balances_show_tier_progress_in_the_tiers_unit,
    printed_cards_linked_online_need_their_security_code,
    bad_input_gets_json_errors_and_changes_nothing,
    rewards_over_the_api,
    keys_are_rate_limited,
    openapi_lists_every_mounted_route,
);
