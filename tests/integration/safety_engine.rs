//! The engine's side of points safety: every balance change announced, reward PINs that
//! cannot be guessed, returns across channels with stamps, referrals taken back with their
//! order, adjustments over a limit waiting for an admin, birthdays that cannot be moved at
//! will, inactive programs, and the desk's receipts and program.

use omniloyal::error::AppError;
use omniloyal::model::ids::{MemberId, ProgramId};
use omniloyal::model::order::ReturnInput;
use omniloyal::model::rules::{Channel, RuleEffect};
use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
use omniloyal::model::user::{Role, SignupInput};
use omniloyal::model::webhook::WebhookInput;
use omniloyal::server::db::Db;
use omniloyal::server::jobs;
use omniloyal::server::service::adjustments::{self, Adjusted, Requester};
use omniloyal::server::service::{members, merges, orders, rewards, rules};
use omniloyal::server::webhooks;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::fixtures::wallet;
use crate::support::fixtures::{assert_reconciles, balance, membership, order, reward_input, rule, world};
use crate::support::fixtures::{email, key_for, send, ALL};
use crate::support::{code, make_user, spawn_app};
use omniloyal::server::query::member_view;

async fn new_member(db: &Db, program_id: ProgramId) -> MemberId {
    let user = make_user(db, Role::Member, &format!("n{}@x.io", rand::random::<u32>())).await;
    let id = members::for_user(db, user.id).await.unwrap().id;
    members::join(db, id, program_id).await.unwrap();
    id
}

/// Added up per membership, the `points.changed` events equal the ledger: every change of a
/// balance is announced with its delta and the balance after it.
async fn every_balance_change_is_announced(db: Db) {
    webhooks::create(
        &db,
        &WebhookInput {
            url: "http://127.0.0.1:9/crm".into(),
            description: String::new(),
            events: vec![
                "points.changed".into(),
                "member.created".into(),
                "reward.used".into(),
                "reward.released".into(),
            ],
        },
        true,
    )
    .await
    .unwrap();
    let w = world(&db, |p| {
        p.expiry_mode = "fixed".into();
        p.expiry_months = "1".into();
    })
    .await;
    let held = world(&db, |p| p.pending_days = "14".into()).await;
    let ms = membership(&db, &w).await;
    let now = Timestamp::now();
    orders::record_order(&db, w.program.id, w.member_id, &order("o-1", 2000), None)
        .await
        .unwrap();
    let ret = ReturnInput {
        channel: Channel::Web,
        returned_in: None,
        channel_order_id: "o-1".into(),
        return_id: "r-1".into(),
        amount_minor: 500,
    };
    orders::record_return(&db, w.program.id, &ret, None)
        .await
        .unwrap();
    adjustments::by_staff(&db, Some(w.staff_id), ms, 40, "Goodwill", "a-1")
        .await
        .unwrap();
    adjustments::by_staff(&db, Some(w.staff_id), ms, -15, "Correction", "a-2")
        .await
        .unwrap();
    let coffee = rewards::save(&db, &reward_input(w.program.id, "Coffee", "30"))
        .await
        .unwrap();
    let reserved = rewards::redeem(&db, w.member_id, coffee.id, Channel::Web, "rd-1", true, None)
        .await
        .unwrap();
    rewards::release(&db, &reserved.code, None).await.unwrap();
    let issued = rewards::redeem(&db, w.member_id, coffee.id, Channel::Web, "rd-2", false, None)
        .await
        .unwrap();
    rewards::use_code(&db, &issued.code, Some(&issued.pin), Channel::Store)
        .await
        .unwrap();
    // A duplicate with points of its own merged in.
    let dup = new_member(&db, w.program.id).await;
    orders::record_order(&db, w.program.id, dup, &order("d-1", 700), None)
        .await
        .unwrap();
    merges::merge(&db, dup, w.member_id, "Same person", Some(w.staff_id))
        .await
        .unwrap();
    // Points held for the return window, then released by the job; the rest expires.
    orders::record_order(&db, held.program.id, held.member_id, &order("h-1", 1000), None)
        .await
        .unwrap();
    jobs::run_all(&db, Timestamp(now.0 + 15 * SECONDS_PER_DAY))
        .await
        .unwrap();
    jobs::run_all(&db, Timestamp(now.0 + 70 * SECONDS_PER_DAY))
        .await
        .unwrap();

    let payloads: Vec<(String, String)> =
        sqlx::query_as("SELECT event_type, payload FROM webhook_deliveries ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let events: Vec<(String, Value)> = payloads
        .into_iter()
        .map(|(t, p)| (t, serde_json::from_str::<Value>(&p).unwrap()["data"].clone()))
        .collect();
    let memberships: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT id, balance, pending FROM memberships ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    for (id, wallet, pending) in &memberships {
        let mine: Vec<&Value> = events
            .iter()
            .filter(|(t, d)| t == "points.changed" && d["membership_id"] == *id)
            .map(|(_, d)| d)
            .collect();
        let sum = |f: &str| mine.iter().map(|d| d[f].as_i64().unwrap()).sum::<i64>();
        assert_eq!(
            (sum("points"), sum("pending_points")),
            (*wallet, *pending),
            "membership {id}: {mine:?}"
        );
        if let Some(last) = mine.last() {
            assert_eq!(
                (last["balance"].as_i64(), last["pending"].as_i64()),
                (Some(*wallet), Some(*pending))
            );
        }
    }
    let kinds: Vec<&str> = events
        .iter()
        .filter(|(t, _)| t == "points.changed")
        .map(|(_, d)| d["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "earn",
        "return",
        "adjust",
        "redeem",
        "release_reward",
        "merge",
        "release",
        "expire",
    ] {
        assert!(kinds.contains(&kind), "{kind} announced: {kinds:?}");
    }
    let count = |t: &str| events.iter().filter(|(e, _)| e == t).count();
    assert_eq!((count("reward.used"), count("reward.released")), (1, 1));
    assert!(count("member.created") >= 3, "sign-ups announced");
    assert_reconciles(&db, w.program.id).await;
}

/// Six-digit PINs, and five wrong ones lock the code, at the desk as over the API.
async fn reward_pins_cannot_be_found_by_trying(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    orders::record_order(&db, w.program.id, w.member_id, &order("o-1", 5000), None)
        .await
        .unwrap();
    let coffee = rewards::save(&db, &reward_input(w.program.id, "Coffee", "50"))
        .await
        .unwrap();
    let first = rewards::redeem(&db, w.member_id, coffee.id, Channel::Web, "rd-1", false, None)
        .await
        .unwrap();
    assert_eq!(first.pin.len(), 6, "{}", first.pin);
    let wrong = if first.pin == "000000" { "000001" } else { "000000" };
    let mut answers = Vec::new();
    for _ in 0..6 {
        let e = rewards::use_code(&db, &first.code, Some(wrong), Channel::Store)
            .await
            .unwrap_err();
        answers.push(e.code());
    }
    assert_eq!(answers[..5], ["validation"; 5], "{answers:?}");
    assert_eq!(answers[5], "rate_limited");
    let e = rewards::use_code(&db, &first.code, Some(&first.pin), Channel::Store)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::RateLimited { retry_after_secs } if retry_after_secs > 60),
        "{e:?}"
    );
    // The lock runs out: the right PIN works, and the count starts again.
    sqlx::query("UPDATE guess_attempts SET locked_until = 1")
        .execute(&db.pool)
        .await
        .unwrap();
    rewards::use_code(&db, &first.code, Some(&first.pin), Channel::Store)
        .await
        .unwrap();

    // Over the API a web key's wrong PINs are counted the same way, even in parallel.
    let second = rewards::redeem(&db, w.member_id, coffee.id, Channel::Web, "rd-2", false, None)
        .await
        .unwrap();
    let shop = key_for(&db, "web", ALL, "1000").await;
    let wrong = if second.pin == "123456" {
        "654321"
    } else {
        "123456"
    };
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (base, key, code_) = (app.base.clone(), shop.clone(), second.code.clone());
        tasks.push(tokio::spawn(async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/api/v1/codes/{code_}/confirm"))
                .bearer_auth(key)
                .json(&json!({"pin": wrong}))
                .send()
                .await
                .unwrap();
            res.status()
        }));
    }
    let mut wrong_pin = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::UNPROCESSABLE_ENTITY => wrong_pin += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(wrong_pin, 5, "exactly five guesses were checked");
    let (s, _, _) = send(
        &app,
        Method::POST,
        &format!("/codes/{}/confirm", second.code),
        Some(&shop),
        None,
        Some(json!({"pin": second.pin})),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let status: String = sqlx::query_scalar("SELECT status FROM issued_rewards WHERE code = $1")
        .bind(&second.code)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(status, "issued", "not used by a guess");
}

/// A store's return R1 and the web shop's return R1 of one web order, with stamps, are two
/// returns: together they take back all the order's points and stamps.
async fn returns_from_two_channels_with_stamps_take_everything_back(db: Db) {
    let w = world(&db, |_| ()).await;
    let reward = rewards::save(&db, &reward_input(w.program.id, "Stamp coffee", "1000"))
        .await
        .unwrap();
    omniloyal::server::service::stamps::save(
        &db,
        &omniloyal::model::card::StampCardInput {
            program_id: w.program.id,
            name: "Coffee card".into(),
            stamps_required: "10".into(),
            reward_id: reward.id.to_string(),
            sku: "COFFEE".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut four = order("W-9", 1000);
    four.lines = vec![omniloyal::model::rules::OrderLine {
        sku: "COFFEE".into(),
        category: None,
        tags: Vec::new(),
        quantity: 4,
        amount_minor: 1000,
    }];
    orders::record_order(&db, w.program.id, w.member_id, &four, None)
        .await
        .unwrap();
    let stamps = || async {
        omniloyal::server::query::stamp_view::balances(&db, w.member_id)
            .await
            .unwrap()[0]
            .stamps
    };
    assert_eq!(stamps().await, 4);
    let web = ReturnInput {
        channel: Channel::Web,
        returned_in: Some(Channel::Web),
        channel_order_id: "W-9".into(),
        return_id: "R1".into(),
        amount_minor: 500,
    };
    orders::record_return(&db, w.program.id, &web, None)
        .await
        .unwrap();
    assert_eq!(stamps().await, 2);
    let store = ReturnInput {
        returned_in: Some(Channel::Store),
        ..web.clone()
    };
    let r = orders::record_return(&db, w.program.id, &store, None)
        .await
        .unwrap();
    assert!(!r.replayed);
    assert_eq!(
        balance(&db, &w).await.0,
        0,
        "a fully refunded order keeps no points"
    );
    assert_eq!(stamps().await, 0, "nor its stamps");
    let again = orders::record_return(&db, w.program.id, &store, None)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_reconciles(&db, w.program.id).await;
}

/// A referral paid on the friend's first order is taken back, both sides, when that order
/// is fully returned.
async fn referrals_are_taken_back_with_their_order(db: Db) {
    let w = world(&db, |_| ()).await;
    for (name, event, points) in [("Referrer", "referral", 300), ("Friend", "referred", 100)] {
        let mut r = rule(w.program.id, name, 10, RuleEffect::FixedPoints { points });
        r.conditions.event_types = vec![event.into()];
        rules::save(&db, &r).await.unwrap();
    }
    let code_ = members::referral_code(&db, w.member_id).await.unwrap();
    let friend = crate::support::sign_up(
        &db,
        &SignupInput {
            name: "Friend".into(),
            email: format!("f{}@x.io", rand::random::<u32>()),
            phone: String::new(),
            password: crate::support::PASSWORD.into(),
            referral_code: code_,
            birth_date: String::new(),
        },
    )
    .await
    .unwrap();
    let friend = members::for_user(&db, friend.id).await.unwrap().id;
    orders::record_order(&db, w.program.id, friend, &order("F-1", 1000), None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await.0, 300, "the referrer was paid");
    assert_eq!(
        wallet(&db, friend, w.program.id).await.0,
        200,
        "100 for the order, 100 for joining"
    );
    // A partial return leaves the referral; the full return takes it back, once.
    let ret = |id: &str, amount: i64| ReturnInput {
        channel: Channel::Web,
        returned_in: None,
        channel_order_id: "F-1".into(),
        return_id: id.into(),
        amount_minor: amount,
    };
    orders::record_return(&db, w.program.id, &ret("R-1", 400), None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await.0, 300);
    orders::record_return(&db, w.program.id, &ret("R-2", 600), None)
        .await
        .unwrap();
    orders::record_return(&db, w.program.id, &ret("R-2", 600), None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await.0, 0, "the referrer's points went back");
    assert_eq!(
        wallet(&db, friend, w.program.id).await.0,
        0,
        "the friend keeps nothing of it"
    );
    // Another order does not pay the referral again.
    orders::record_order(&db, w.program.id, friend, &order("F-2", 1000), None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await.0, 0);
    assert_reconciles(&db, w.program.id).await;
}

/// Staff adjustments over the program's limit wait for an admin; keys are refused.
async fn large_adjustments_wait_for_an_admin(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |p| p.adjust_limit = "500".into()).await;
    assert_eq!(w.program.adjust_limit, Some(500));
    let ms = membership(&db, &w).await;
    let admin = make_user(&db, Role::Admin, &format!("adm{}@x.io", rand::random::<u32>())).await;
    let staff = Requester::Staff {
        user_id: w.staff_id,
        admin: false,
    };
    let small = adjustments::adjust(&db, staff, ms, 500, "Within the limit", "s-1")
        .await
        .unwrap();
    assert!(matches!(small, Adjusted::Booked { .. }));
    let big = adjustments::adjust(&db, staff, ms, 2_000, "Lost card, old balance", "s-2")
        .await
        .unwrap();
    let Adjusted::AwaitingApproval { id } = big else {
        panic!("{big:?}")
    };
    let again = adjustments::adjust(&db, staff, ms, 2_000, "Lost card, old balance", "s-2")
        .await
        .unwrap();
    assert_eq!(again, Adjusted::AwaitingApproval { id }, "a retry files once");
    assert_eq!(balance(&db, &w).await.0, 500, "nothing moved yet");
    let debit = adjustments::adjust(&db, staff, ms, -900, "Fraud", "s-3")
        .await
        .unwrap();
    let Adjusted::AwaitingApproval { id: debit_id } = debit else {
        panic!()
    };

    let listed = adjustments::list(&db).await.unwrap();
    assert_eq!(
        listed.iter().filter(|r| r.status.as_str() == "pending").count(),
        2
    );
    // The limit is raised meanwhile: a retry of the filed request still waits (it must not
    // book beside the request an admin is about to approve).
    let set_limit = |limit: i64| {
        let db = db.clone();
        async move {
            sqlx::query("UPDATE programs SET adjust_limit = $1 WHERE id = $2")
                .bind(limit)
                .bind(w.program.id)
                .execute(&db.pool)
                .await
                .unwrap();
        }
    };
    set_limit(100_000).await;
    let retried = adjustments::adjust(&db, staff, ms, 2_000, "Lost card, old balance", "s-2")
        .await
        .unwrap();
    assert_eq!(retried, Adjusted::AwaitingApproval { id });
    let decided = adjustments::decide(&db, id, true, admin.id, "Ada").await.unwrap();
    assert_eq!(decided.status.as_str(), "approved");
    assert_eq!(balance(&db, &w).await.0, 2_500);
    // Approved, a retry answers with the booking; the limit lowered again changes nothing.
    set_limit(500).await;
    let retried = adjustments::adjust(&db, staff, ms, 2_000, "Lost card, old balance", "s-2")
        .await
        .unwrap();
    assert!(
        matches!(retried, Adjusted::Booked { standing, .. } if standing.balance == 2_500),
        "{retried:?}"
    );
    assert_eq!(balance(&db, &w).await.0, 2_500);
    let e = adjustments::decide(&db, id, true, admin.id, "Ada")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Conflict { .. }), "decided once: {e:?}");
    adjustments::decide(&db, debit_id, false, admin.id, "Ada")
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await.0, 2_500, "a rejection moves nothing");
    let e = adjustments::adjust(&db, staff, ms, -900, "Fraud", "s-3")
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Conflict { .. }),
        "a rejected request stays rejected: {e:?}"
    );
    let by_admin = Requester::Staff {
        user_id: admin.id,
        admin: true,
    };
    let direct = adjustments::adjust(&db, by_admin, ms, 5_000, "Migration", "s-4")
        .await
        .unwrap();
    assert!(matches!(direct, Adjusted::Booked { .. }));
    assert_eq!(balance(&db, &w).await.0, 7_500);

    let k = key_for(&db, "web", ALL, "1000").await;
    let who = email(&db, &w).await;
    let body = json!({"member": who, "points": 501, "reason": "Too big for a key"});
    let path = format!("/programs/{}/adjustments", w.program.id);
    let (s, b, _) = send(&app, Method::POST, &path, Some(&k), Some("k-1"), Some(body)).await;
    assert_eq!(
        (s, code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
        "{b}"
    );
    assert_eq!(balance(&db, &w).await.0, 7_500);
    assert_reconciles(&db, w.program.id).await;
}

/// A birthday is celebrated only for a date on file a month before it: typing (or
/// changing) the date cannot collect the award on demand.
async fn birthdays_cannot_be_collected_on_demand(db: Db) {
    use chrono::Datelike;
    let w = world(&db, |_| ()).await;
    let mut gift = rule(
        w.program.id,
        "Birthday gift",
        10,
        RuleEffect::FixedPoints { points: 50 },
    );
    gift.conditions.event_types = vec!["birthday".into()];
    rules::save(&db, &gift).await.unwrap();
    let date = |days_ago: i64| {
        let d = Timestamp::now().date() - chrono::Duration::days(days_ago);
        let year = if d.month() == 2 && d.day() == 29 {
            1992
        } else {
            1990
        };
        format!("{year}-{:02}-{:02}", d.month(), d.day())
    };
    members::set_birth_date(&db, w.member_id, &date(0)).await.unwrap();
    jobs::run_all(&db, Timestamp::now()).await.unwrap();
    assert_eq!(balance(&db, &w).await.0, 0, "typed on the day: not this year");
    // On file for long, then changed to a day this week: the change waits a year too.
    let set_long_ago = |db: Db| async move {
        sqlx::query("UPDATE members SET birth_date_set_at = $1 WHERE id = $2")
            .bind(Timestamp::now().0 - 400 * SECONDS_PER_DAY)
            .bind(w.member_id)
            .execute(&db.pool)
            .await
            .unwrap();
    };
    set_long_ago(db.clone()).await;
    members::set_birth_date(&db, w.member_id, &date(2)).await.unwrap();
    jobs::run_all(&db, Timestamp::now()).await.unwrap();
    assert_eq!(
        balance(&db, &w).await.0,
        0,
        "changed two days after the birthday it names"
    );
    // The same date again is no change: it keeps the time it was given.
    set_long_ago(db.clone()).await;
    members::set_birth_date(&db, w.member_id, &date(2)).await.unwrap();
    jobs::run_all(&db, Timestamp::now()).await.unwrap();
    assert_eq!(
        balance(&db, &w).await.0,
        50,
        "on file long before: celebrated, once"
    );
    jobs::run_all(&db, Timestamp::now()).await.unwrap();
    assert_eq!(balance(&db, &w).await.0, 50);
}

/// Members cannot join a program that is switched off.
async fn inactive_programs_cannot_be_joined(db: Db) {
    let w = world(&db, |_| ()).await;
    sqlx::query("UPDATE programs SET active = 0 WHERE id = $1")
        .bind(w.program.id)
        .execute(&db.pool)
        .await
        .unwrap();
    let user = make_user(&db, Role::Member, &format!("j{}@x.io", rand::random::<u32>())).await;
    let member = members::for_user(&db, user.id).await.unwrap().id;
    let e = members::join(&db, member, w.program.id).await.unwrap_err();
    assert!(matches!(e, AppError::ProgramInactive), "{e:?}");
    let joinable = member_view::joinable(&db, member).await.unwrap();
    assert!(joinable.iter().all(|p| p.id != w.program.id));
}

/// The desk books a receipt once, remembers the program staff use, and says which.
async fn the_desk_books_each_receipt_once_in_the_program_staff_use(db: Db) {
    let app = spawn_app(db.clone()).await;
    let beauty = world(&db, |p| p.points_per_unit = "1".into()).await;
    let cafe = world(&db, |_| ()).await;
    let member = beauty.member_id;
    members::join(&db, member, cafe.program.id).await.unwrap();
    let (_, staff) = app.as_role(Role::Staff).await;
    let buy = |request: &str, receipt: &str| {
        vec![
            ("input[member_id]", member.to_string()),
            ("input[program_id]", cafe.program.id.to_string()),
            ("input[amount]", "12.50".to_string()),
            ("input[reference]", receipt.to_string()),
            ("input[request_id]", request.to_string()),
        ]
    };
    let form = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let call = |f: Vec<(&'static str, String)>| {
        let (app, staff) = (&app, &staff);
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(staff, "record_purchase", &pairs).await
        }
    };
    let (s, first) = call(form(&buy("req-1", "T3-000417"))).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(
        (first["points"].as_i64(), first["program_name"].as_str()),
        (Some(125), Some(cafe.program.name.as_str()))
    );
    let (s, again) = call(form(&buy("req-2", "T3-000417"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["replayed"], true, "the same receipt books once: {again}");
    assert_eq!(wallet(&db, member, cafe.program.id).await.0, 125);
    let (s, bad) = call(form(&buy("req-3", "T3 000418"))).await;
    assert_eq!(
        (s, bad["fields"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reference"))
    );
    let (_, found) = app
        .call(&staff, "desk_search", &[("query", &email(&db, &beauty).await)])
        .await;
    assert_eq!(
        found["last_program_id"],
        cafe.program.id.get(),
        "the desk starts in the program staff used"
    );
}

/// Orders queued to one group commit with one Idempotency-Key and their own order ids:
/// however they are batched, the key books one of them; the others find it taken.
async fn one_key_books_once_in_a_batch(db: Db) {
    use omniloyal::server::store::idempotency::{Keyed, Slot};
    let worlds = [world(&db, |_| ()).await, world(&db, |_| ()).await];
    let program = worlds[0].program.id;
    members::join(&db, worlds[1].member_id, program).await.unwrap();
    key_for(&db, "store", ALL, "1000").await;
    let key_id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM api_keys")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    for round in 0..5 {
        let before = db.committed().together;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let db = db.clone();
            let member_id = worlds[i % 2].member_id;
            // Even: one shared key, each with its own order (its own body). Odd: no key.
            let slot = (i % 2 == 0).then(|| Slot {
                key_id,
                key: format!("shared-{round}"),
                fingerprint: format!("body-{round}-{i}"),
                at: Timestamp::now().0,
            });
            let input = order(&format!("K{round}-{i}"), 100);
            tasks.push(tokio::spawn(async move {
                let r =
                    orders::record_order_keyed(&db, program, member_id, &input, None, slot.as_ref(), None)
                        .await;
                (i, r)
            }));
        }
        let mut keyed_done = 0;
        for t in tasks {
            let (i, r) = t.await.unwrap();
            match (i % 2, r.unwrap()) {
                (0, Keyed::Done(r)) => keyed_done += i64::from(!r.replayed),
                (0, Keyed::Taken) => {}
                (_, Keyed::Done(r)) => assert!(!r.replayed),
                (_, Keyed::Taken) => panic!("an order without a key found one taken"),
            }
        }
        assert_eq!(keyed_done, 1, "round {round}: the key booked one order");
        assert!(
            db.committed().together > before,
            "round {round} booked orders together"
        );
    }
    let keyed_ids: Vec<String> = (0..5)
        .flat_map(|r| (0..24).step_by(2).map(move |i| format!("'K{r}-{i}'")))
        .collect();
    let keyed_orders: i64 = sqlx::query_scalar(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE program_id = $1 AND channel_order_id IN ({})",
        keyed_ids.join(", ")
    ))
    .bind(program)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(keyed_orders, 5, "one keyed order a round");
    let all: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE program_id = $1")
        .bind(program)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(all, 5 * 13, "each round: twelve without a key and one with it");
    assert_reconciles(&db, program).await;
}

on_both_backends!(
    one_key_books_once_in_a_batch,
    every_balance_change_is_announced,
    reward_pins_cannot_be_found_by_trying,
    returns_from_two_channels_with_stamps_take_everything_back,
    referrals_are_taken_back_with_their_order,
    large_adjustments_wait_for_an_admin,
    birthdays_cannot_be_collected_on_demand,
    inactive_programs_cannot_be_joined,
    the_desk_books_each_receipt_once_in_the_program_staff_use,
);
