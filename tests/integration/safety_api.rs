//! The channel API attacked as an outside probe and a careless till did (issue: points
//! safety): identifiers that shadow each other, one Idempotency-Key for many orders,
//! refusals that must be replayed, retries after a card was linked, guessed codes, keys of
//! one program reaching another, hostile numbers and bytes, reads that wrote.

use omniloyal::model::ids::MemberId;
use omniloyal::model::rules::RuleEffect;
use omniloyal::model::user::{Role, SignupInput};
use omniloyal::server::db::Db;
use omniloyal::server::service::{adjustments, identity, members, rewards, rules};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::fixtures::{assert_reconciles, balance, reward_input, rule, world};
use crate::support::fixtures::{batch, wallet};
use crate::support::fixtures::{email, key_for, program_key, send, ALL};
use crate::support::{code, make_user, spawn_app};

async fn member_count(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM members")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn signup(db: &Db, email: &str, phone: &str) -> MemberId {
    let user = crate::support::sign_up(
        db,
        &SignupInput {
            name: format!("Member {email}"),
            email: email.into(),
            phone: phone.into(),
            password: crate::support::PASSWORD.into(),
            referral_code: String::new(),
            birth_date: String::new(),
        },
    )
    .await
    .unwrap();
    members::for_user(db, user.id).await.unwrap().id
}

/// A web shop's customer 554035386 stays its customer when someone signs up with that phone.
async fn a_channels_customer_id_is_not_shadowed_by_a_phone(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let a = email(&db, &w).await;
    let (shop, till) = (
        key_for(&db, "web", ALL, "1000").await,
        key_for(&db, "store", ALL, "1000").await,
    );
    let link = json!({"kind": "external", "value": "554035386"});
    let (s, b, _) = send(
        &app,
        Method::POST,
        &format!("/members/{a}/identifiers"),
        Some(&shop),
        None,
        Some(link),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let b_id = signup(&db, &format!("b{}@x.io", rand::random::<u32>()), "554035386").await;

    let (s, found, _) = send(&app, Method::GET, "/members/554035386", Some(&shop), None, None).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert_eq!(
        found["member_id"],
        w.member_id.get(),
        "the shop's own customer: {found}"
    );
    assert_eq!(found["matched_by"], "external");
    // The shop's orders for its customer earn for its customer.
    let order = json!({"member": "554035386", "channel_order_id": "W-1", "amount_minor": 1000});
    let path = format!("/programs/{}/orders", w.program.id);
    let (s, r, _) = send(&app, Method::POST, &path, Some(&shop), None, Some(order)).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["member_id"], w.member_id.get());
    assert_eq!(balance(&db, &w).await.0, 100);
    assert_eq!(wallet(&db, b_id, w.program.id).await, (0, 0));
    // Another channel never linked it: there it is the phone number, and a prefix names one kind.
    let (_, found, _) = send(&app, Method::GET, "/members/554035386", Some(&till), None, None).await;
    assert_eq!(
        (found["member_id"].as_i64(), found["matched_by"].as_str()),
        (Some(b_id.get()), Some("phone"))
    );
    let (_, found, _) = send(
        &app,
        Method::GET,
        "/members/phone:554035386",
        Some(&shop),
        None,
        None,
    )
    .await;
    assert_eq!(found["member_id"].as_i64(), Some(b_id.get()), "{found}");
    let (s, _, _) = send(
        &app,
        Method::GET,
        "/members/external:554035386",
        Some(&till),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Twenty orders with one key and twenty order ids, queued with other orders: one books.
async fn one_idempotency_key_books_one_order_whatever_the_batching(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let k = key_for(&db, "store", ALL, "100000").await;
    let path = format!("/programs/{}/orders", w.program.id);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (base, k, path, who) = (app.base.clone(), k.clone(), path.clone(), who.clone());
        tasks.push(tokio::spawn(async move {
            // Even: one shared key, each its own order id. Odd: keys of their own (filler).
            let key = if i % 2 == 0 {
                "shared-key".to_string()
            } else {
                format!("own-{i}")
            };
            let body = json!({"member": who, "channel_order_id": format!("O-{i}"), "amount_minor": 100});
            let res = reqwest::Client::new()
                .post(format!("{base}/api/v1{path}"))
                .bearer_auth(k)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            (i, status, body)
        }));
    }
    let mut shared = Vec::new();
    for t in tasks {
        let (i, status, body) = t.await.unwrap();
        if i % 2 == 0 {
            shared.push((status, code(&body).to_string()));
        } else {
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
    }
    let created = shared.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    assert_eq!(created, 1, "one order per key: {shared:?}");
    assert!(
        shared
            .iter()
            .all(|(s, c)| *s == StatusCode::CREATED || c == "idempotency_key_reused"),
        "{shared:?}"
    );
    let booked: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE program_id = $1 AND channel_order_id IN \
         ('O-0','O-2','O-4','O-6','O-8','O-10','O-12','O-14','O-16','O-18','O-20','O-22','O-24','O-26','O-28',\
         'O-30','O-32','O-34','O-36','O-38')",
    )
    .bind(w.program.id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(booked, 1);
    assert_eq!(
        balance(&db, &w).await.0,
        21 * 10,
        "one keyed order and twenty of their own"
    );
    assert_reconciles(&db, w.program.id).await;
}

/// A refusal is the key's answer: replayed, even once the member could afford it.
async fn refusals_are_replayed_for_their_key(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let k = key_for(&db, "web", ALL, "1000").await;
    let coffee = rewards::save(&db, &reward_input(w.program.id, "Coffee", "50"))
        .await
        .unwrap();
    let cake = rewards::save(&db, &reward_input(w.program.id, "Cake", "60"))
        .await
        .unwrap();
    let redeem = format!("/programs/{}/redemptions", w.program.id);
    let body = json!({"member": who, "reward_id": coffee.id});
    let (s, b, _) = send(
        &app,
        Method::POST,
        &redeem,
        Some(&k),
        Some("r-1"),
        Some(body.clone()),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "insufficient_points"));
    let adjust = format!("/programs/{}/adjustments", w.program.id);
    let debit = json!({"member": who, "points": -30, "reason": "Correction"});
    let (s, b, _) = send(
        &app,
        Method::POST,
        &adjust,
        Some(&k),
        Some("a-1"),
        Some(debit.clone()),
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "insufficient_points"));

    // The member earns enough.
    let orders = format!("/programs/{}/orders", w.program.id);
    let order = json!({"member": who, "channel_order_id": "E-1", "amount_minor": 2000});
    let (s, _, _) = send(&app, Method::POST, &orders, Some(&k), None, Some(order)).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(balance(&db, &w).await.0, 200);

    let (s, b, h) = send(&app, Method::POST, &redeem, Some(&k), Some("r-1"), Some(body)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "insufficient_points"),
        "replayed"
    );
    assert_eq!(
        h.get("idempotent-replayed").map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let other = json!({"member": who, "reward_id": cake.id});
    let (s, b, _) = send(&app, Method::POST, &redeem, Some(&k), Some("r-1"), Some(other)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    let (s, b, _) = send(&app, Method::POST, &adjust, Some(&k), Some("a-1"), Some(debit)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::CONFLICT, "insufficient_points"),
        "replayed"
    );
    assert_eq!(balance(&db, &w).await.0, 200, "nothing was spent or taken");
    assert_reconciles(&db, w.program.id).await;
}

/// An event retried after its printed card was linked replays instead of paying the
/// member again; so do a return without a key and a desk adjustment.
async fn retries_after_a_card_is_linked_book_once(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let mut review = rule(w.program.id, "Review", 10, RuleEffect::FixedPoints { points: 20 });
    review.conditions.event_types = vec!["review".into()];
    rules::save(&db, &review).await.unwrap();
    let (number, _) = batch(&db, &w, "1").await.remove(0);
    let till = key_for(&db, "store", ALL, "1000").await;
    let events = format!("/programs/{}/events", w.program.id);
    let event = json!({"member": number, "event_type": "review", "event_id": "rv-1"});
    let (s, b, _) = send(
        &app,
        Method::POST,
        &events,
        Some(&till),
        None,
        Some(event.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let orders = format!("/programs/{}/orders", w.program.id);
    let order = json!({"member": number, "channel_order_id": "C-1", "amount_minor": 1000});
    let (s, _, _) = send(&app, Method::POST, &orders, Some(&till), None, Some(order)).await;
    assert_eq!(s, StatusCode::CREATED);
    let returns = format!("/programs/{}/returns", w.program.id);
    let ret = json!({"channel_order_id": "C-1", "return_id": "R-1", "amount_minor": 500});
    let (s, b, _) = send(&app, Method::POST, &returns, Some(&till), None, Some(ret.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let holder = identity::resolve(
        &db,
        &number,
        omniloyal::model::rules::Channel::Store,
        w.program.id,
    )
    .await
    .unwrap();
    let holder_ms = members::membership_id(&db, holder.id, w.program.id)
        .await
        .unwrap();
    omniloyal::server::service::adjustments::by_staff(
        &db,
        Some(w.staff_id),
        holder_ms,
        7,
        "Missing stamp",
        "desk-adj-1",
    )
    .await
    .unwrap();
    // 20 + 100 - 50 + 7 on the card.
    assert_eq!(wallet(&db, holder.id, w.program.id).await.0, 77);

    identity::link_card(&db, &number, w.member_id, None, Some(w.staff_id))
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await.0, 77);
    // The desk's form, drawn before the link, sends its adjustment again for the card's
    // holder (the real desk path): it answers with the first booking.
    let desk = adjustments::Requester::Staff {
        user_id: w.staff_id,
        admin: false,
    };
    let again = adjustments::adjust(&db, desk, holder_ms, 7, "Missing stamp", "desk-adj-1")
        .await
        .unwrap();
    assert!(
        matches!(again, adjustments::Adjusted::Booked { standing, .. } if standing.balance == 77),
        "{again:?}"
    );
    let (s, b, _) = send(&app, Method::POST, &events, Some(&till), None, Some(event)).await;
    assert_eq!(s, StatusCode::OK, "replayed: {b}");
    assert_eq!(b["member_id"], w.member_id.get());
    let (s, b, _) = send(&app, Method::POST, &returns, Some(&till), None, Some(ret)).await;
    assert_eq!(s, StatusCode::OK, "replayed: {b}");
    let ms = members::membership_id(&db, w.member_id, w.program.id)
        .await
        .unwrap();
    omniloyal::server::service::adjustments::by_staff(
        &db,
        Some(w.staff_id),
        ms,
        7,
        "Missing stamp",
        "desk-adj-1",
    )
    .await
    .unwrap();
    assert_eq!(balance(&db, &w).await.0, 77, "each retry found its first booking");
    assert_reconciles(&db, w.program.id).await;
}

/// Wrong security codes over the API lock the card; a key of another program cannot move a
/// card's points; a lookup of an unused card reads, never writes.
async fn printed_cards_resist_guessing_and_other_programs(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let cards_made = batch(&db, &w, "3").await;
    let (number, secret) = cards_made[0].clone();
    let shop = key_for(&db, "web", ALL, "1000").await;
    let link = format!("/members/{who}/identifiers");
    let wrong = if secret == "000000" { "000001" } else { "000000" };
    let mut answers = Vec::new();
    for _ in 0..7 {
        let body = json!({"kind": "card", "value": number, "security_code": wrong});
        let (s, b, _) = send(&app, Method::POST, &link, Some(&shop), None, Some(body)).await;
        answers.push((s, code(&b).to_string()));
    }
    assert!(answers[..5].iter().all(|(_, c)| c == "validation"), "{answers:?}");
    assert!(
        answers[5..]
            .iter()
            .all(|(s, c)| *s == StatusCode::TOO_MANY_REQUESTS && c == "rate_limited"),
        "{answers:?}"
    );
    let body = json!({"kind": "card", "value": number, "security_code": secret});
    let (s, _, _) = send(&app, Method::POST, &link, Some(&shop), None, Some(body)).await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even for the right code, for a while"
    );

    // Reads do not write: an unused card is "not used yet", and no member appears.
    let before = member_count(&db).await;
    let (unused, unused_secret) = cards_made[1].clone();
    let (s, b, _) = send(
        &app,
        Method::GET,
        &format!("/members/{unused}"),
        Some(&shop),
        None,
        None,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "card_not_used"));
    let other = omniloyal::server::store::programs::save(
        &db,
        &crate::support::fixtures::program_input(&format!("Other {}", rand::random::<u32>())),
    )
    .await
    .unwrap();
    let other_key = program_key(&db, "web", other.id).await;
    let (s, b, _) = send(
        &app,
        Method::GET,
        &format!("/members/{unused}"),
        Some(&other_key),
        None,
        None,
    )
    .await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "not_found"));
    let path = format!("/programs/{}/members/{unused}/balance", w.program.id);
    let (s, _, _) = send(&app, Method::GET, &path, Some(&shop), None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(member_count(&db).await, before, "no holder made by reading");

    // The card earns in its program, then a key bound to another program tries to link it.
    let till = key_for(&db, "store", ALL, "1000").await;
    let order = json!({"member": unused, "channel_order_id": "U-1", "amount_minor": 1000});
    let (s, _, _) = send(
        &app,
        Method::POST,
        &format!("/programs/{}/orders", w.program.id),
        Some(&till),
        None,
        Some(order),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let other_member = make_user(&db, Role::Member, &format!("o{}@x.io", rand::random::<u32>())).await;
    let other_member = members::for_user(&db, other_member.id).await.unwrap();
    members::join(&db, other_member.id, other.id).await.unwrap();
    let theirs = format!("/members/{}/identifiers", other_member.email.clone().unwrap());
    let body = json!({"kind": "card", "value": unused, "security_code": unused_secret});
    let (s, b, _) = send(&app, Method::POST, &theirs, Some(&other_key), None, Some(body)).await;
    // Answered as a number that is no printed card: nothing is told of other programs' cards.
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "{b}"
    );
    assert_eq!(b["fields"][0]["field"], "card_number");
    let holder = identity::resolve(
        &db,
        &unused,
        omniloyal::model::rules::Channel::Store,
        w.program.id,
    )
    .await
    .unwrap();
    assert_eq!(
        wallet(&db, holder.id, w.program.id).await.0,
        100,
        "the card's points stayed"
    );
    assert_eq!(holder.kind.as_str(), "card");

    // A card of this program whose holder also collected in another: a key bound to this
    // program cannot link it (the merge would move the other program's points too).
    let (both, both_secret) = cards_made[2].clone();
    for (program_id, id) in [(w.program.id, "B-1"), (other.id, "B-2")] {
        let order = json!({"member": both, "channel_order_id": id, "amount_minor": 1000});
        let path = format!("/programs/{program_id}/orders");
        let (s, b, _) = send(&app, Method::POST, &path, Some(&till), None, Some(order)).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let own_key = program_key(&db, "web", w.program.id).await;
    let body = json!({"kind": "card", "value": both, "security_code": both_secret});
    let (s, b, _) = send(&app, Method::POST, &link, Some(&own_key), None, Some(body)).await;
    assert_eq!((s, code(&b)), (StatusCode::FORBIDDEN, "forbidden"), "{b}");
    let holder = identity::resolve(&db, &both, omniloyal::model::rules::Channel::Store, w.program.id)
        .await
        .unwrap();
    assert_eq!(holder.kind.as_str(), "card", "not merged");
    assert_eq!(
        wallet(&db, holder.id, other.id).await.0,
        100,
        "the other program's points stayed"
    );
    assert_reconciles(&db, w.program.id).await;
    assert_reconciles(&db, other.id).await;
}

/// Hostile numbers and bytes get a validation error, change nothing and free the key.
async fn hostile_numbers_and_bytes_are_refused_at_the_edge(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = email(&db, &w).await;
    let k = key_for(&db, "store", ALL, "1000").await;
    let adjust = format!("/programs/{}/adjustments", w.program.id);
    let body = json!({"member": who, "points": i64::MIN, "reason": "Overflow"});
    let (s, b, _) = send(
        &app,
        Method::POST,
        &adjust,
        Some(&k),
        Some("min-1"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "{b}"
    );
    assert_eq!(b["fields"][0]["field"], "points");
    let (s, b, _) = send(&app, Method::POST, &adjust, Some(&k), Some("min-1"), Some(body)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "the key answers, not in progress"
    );

    let orders = format!("/programs/{}/orders", w.program.id);
    let nul = json!({"member": "a\u{0}b@x.io", "channel_order_id": "N-1", "amount_minor": 100});
    let (s, b, _) = send(&app, Method::POST, &orders, Some(&k), None, Some(nul)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "{b}"
    );
    assert_eq!(b["fields"][0]["field"], "member");
    let lines = json!({"member": who, "channel_order_id": "N-2", "amount_minor": 100,
        "lines": [{"sku": "A\u{1}", "quantity": 1, "amount_minor": 100}]});
    let (s, b, _) = send(&app, Method::POST, &orders, Some(&k), None, Some(lines)).await;
    assert_eq!(
        (s, b["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lines[0].sku"))
    );
    let (s, b, _) = send(&app, Method::GET, "/members/a%00b", Some(&k), None, None).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "{b}"
    );
    let (s, b, _) = send(
        &app,
        Method::POST,
        "/codes/RW-%00/confirm",
        Some(&k),
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "{b}"
    );
    // A server function's form field too.
    let res = reqwest::Client::new()
        .post(format!("{}/api/signup", app.base))
        .header("accept", "application/json")
        .body("input%5Bname%5D=Eve%00&input%5Bemail%5D=eve%40x.io&input%5Bpassword%5D=long+enough+pw")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let b: Value = res.json().await.unwrap();
    assert_eq!(
        (code(&b), b["fields"][0]["field"].as_str()),
        ("validation", Some("input[name]"))
    );
    assert_eq!(balance(&db, &w).await, (0, 0));
}

/// Requests with a wrong key are slowed down per address, before any key is looked up.
async fn wrong_api_keys_are_rate_limited(db: Db) {
    let app = spawn_app(db.clone()).await;
    let mut statuses = Vec::new();
    for i in 0..25 {
        let (s, b, h) = send(
            &app,
            Method::GET,
            "/members/x@y.io",
            Some(&format!("olk_wrong_{i}")),
            None,
            None,
        )
        .await;
        statuses.push((s, code(&b).to_string(), h.contains_key("retry-after")));
    }
    assert!(
        statuses[..20]
            .iter()
            .all(|(s, ..)| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[20..]
            .iter()
            .any(|(s, c, retry)| *s == StatusCode::TOO_MANY_REQUESTS && c == "rate_limited" && *retry),
        "{statuses:?}"
    );
    // A till with a valid key at the same address is never held up by them.
    let till = key_for(&db, "store", ALL, "1000").await;
    let (s, b, _) = send(&app, Method::GET, "/members/nobody@y.io", Some(&till), None, None).await;
    assert_eq!((s, code(&b)), (StatusCode::NOT_FOUND, "not_found"));
}

on_both_backends!(
    a_channels_customer_id_is_not_shadowed_by_a_phone,
    one_idempotency_key_books_one_order_whatever_the_batching,
    refusals_are_replayed_for_their_key,
    retries_after_a_card_is_linked_book_once,
    printed_cards_resist_guessing_and_other_programs,
    hostile_numbers_and_bytes_are_refused_at_the_edge,
    wrong_api_keys_are_rate_limited,
);
