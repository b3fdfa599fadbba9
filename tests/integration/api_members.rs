//! Members over the channel API: enrolment (idempotent, duplicates refused, validated), profile
//! changes, and the history, paged and filtered, never reaching past the key's program.

use omniloyal::model::program::ProgramInput;
use omniloyal::model::store::StoreInput;
use omniloyal::server::db::Db;
use omniloyal::server::query::member_view;
use omniloyal::server::service::members;
use omniloyal::server::store::{programs, stores};
use reqwest::Method;
use serde_json::{json, Value};

use crate::on_both_backends;
use crate::support::fixtures::{email, key, send, world, ALL};
use crate::support::{code, spawn_app};

/// An API key with every scope, bound to `program_id` (None: every program).
async fn bound_key(db: &Db, program_id: Option<i64>) -> String {
    use omniloyal::model::api_key::ApiKeyInput;
    let admin = crate::support::make_user(
        db,
        omniloyal::model::user::Role::Admin,
        &format!("a{}@x.io", rand::random::<u32>()),
    )
    .await;
    omniloyal::server::service::api_keys::create(
        db,
        admin.id,
        &ApiKeyInput {
            name: "Web shop".into(),
            channel: "web".into(),
            program_id: program_id.map(|p| p.to_string()).unwrap_or_default(),
            scopes: ALL.iter().map(|s| s.to_string()).collect(),
            rate_per_sec: "1000".into(),
        },
    )
    .await
    .unwrap()
    .secret
}

fn fields(b: &Value) -> Vec<String> {
    b["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| f["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn enrolment_over_the_api(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let existing = email(&db, &w).await;
    stores::save(
        &db,
        &StoreInput {
            code: "PARIS-1".into(),
            name: "Paris".into(),
            channel: "store".into(),
            time_zone: "Europe/Paris".into(),
        },
    )
    .await
    .unwrap();
    let referrer_code = members::referral_code(&db, w.member_id).await.unwrap();
    let k = bound_key(&db, Some(w.program.id.get())).await;
    let path = format!("/programs/{}/members", w.program.id);
    let body = json!({"name": "Ada Lovelace", "email": "Ada@Example.com", "phone": "+44 20 7946 0958",
        "birth_date": "1990-12-10", "channel": "app", "store": "paris-1", "referral_code": referrer_code});

    // A key without the scope is refused; so is a key of another program.
    let reader = key(&db, &["members:read", "members:write"], "").await;
    let (s, b, _) = send(&app, Method::POST, &path, Some(&reader), None, Some(body.clone())).await;
    assert_eq!((s.as_u16(), code(&b)), (403, "forbidden"), "{b}");
    let other = programs::save(&db, &crate::support::fixtures::program_input("Other"))
        .await
        .unwrap();
    let (s, _, _) = send(
        &app,
        Method::POST,
        &format!("/programs/{}/members", other.id),
        Some(&k),
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s.as_u16(), 403);

    // Enrolled once per Idempotency-Key: the retry gets the first answer.
    let (s, first, _) = send(
        &app,
        Method::POST,
        &path,
        Some(&k),
        Some("enrol-1"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s.as_u16(), 201, "{first}");
    assert_eq!(first["email"], "ada@example.com");
    assert_eq!(first["phone"], "+442079460958");
    assert_eq!(first["birth_date"], "1990-12-10");
    assert_eq!(first["programs"].as_array().unwrap().len(), 1);
    assert_eq!(first["programs"][0]["program_id"], w.program.id.get());
    let (s, again, h) = send(
        &app,
        Method::POST,
        &path,
        Some(&k),
        Some("enrol-1"),
        Some(body.clone()),
    )
    .await;
    assert_eq!((s.as_u16(), &again), (201, &first));
    assert_eq!(h["idempotent-replayed"], "true");
    let member_id = omniloyal::model::ids::MemberId(first["member_id"].as_i64().unwrap());
    let (channel, store, referred_by): (Option<String>, Option<String>, Option<i64>) = sqlx::query_as(
        "SELECT m.joined_channel, s.code, mb.referred_by FROM memberships m JOIN members mb ON mb.id = m.member_id \
         LEFT JOIN stores s ON s.id = m.joined_store_id WHERE m.member_id = $1",
    )
    .bind(member_id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        (channel.as_deref(), store.as_deref(), referred_by),
        (Some("app"), Some("PARIS-1"), Some(w.member_id.get()))
    );

    // Without a key, the same customer again is a conflict naming what is taken; another
    // member's email (a member of another program too) likewise.
    let (s, b, _) = send(&app, Method::POST, &path, Some(&k), None, Some(body.clone())).await;
    assert_eq!((s.as_u16(), code(&b)), (409, "member_exists"), "{b}");
    assert_eq!(fields(&b), ["email", "phone"]);
    let (s, b, _) = send(
        &app,
        Method::POST,
        &path,
        Some(&k),
        None,
        Some(json!({"name": "Someone", "email": existing.to_uppercase()})),
    )
    .await;
    assert_eq!(
        (s.as_u16(), code(&b), fields(&b)),
        (409, "member_exists", vec!["email".to_string()])
    );

    // Validation: every bad field at once, and nothing written.
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let (s, b, _) = send(
        &app,
        Method::POST,
        &path,
        Some(&k),
        None,
        Some(
            json!({"name": " ", "email": "nope", "phone": "12", "birth_date": "2999-01-01",
            "referral_code": "NOBODY", "store": "NOWHERE"}),
        ),
    )
    .await;
    assert_eq!((s.as_u16(), code(&b)), (422, "validation"), "{b}");
    assert_eq!(fields(&b), ["name", "email", "phone", "birth_date"]);
    for bad in [
        json!({"name": "X", "phone": "+33 6 12 34 56 78", "referral_code": "NOBODY"}),
        json!({"name": "X", "phone": "+33 6 12 34 56 78", "store": "NOWHERE"}),
        json!({"name": "X"}),
    ] {
        let (s, b, _) = send(&app, Method::POST, &path, Some(&k), None, Some(bad)).await;
        assert_eq!((s.as_u16(), code(&b)), (422, "validation"), "{b}");
    }
    let (s, b, _) = send(
        &app,
        Method::POST,
        &path,
        Some(&k),
        None,
        Some(json!({"name": "X", "pin": 1})),
    )
    .await;
    assert_eq!((s.as_u16(), code(&b)), (422, "invalid_body"), "{b}");
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(before, after);

    // Phone only is enough; an inactive program takes nobody.
    let (s, b, _) = send(
        &app,
        Method::POST,
        &path,
        Some(&k),
        None,
        Some(json!({"name": "Till walk-in", "phone": "0612345678"})),
    )
    .await;
    assert_eq!(s.as_u16(), 201, "{b}");
    let mut input: ProgramInput = crate::support::fixtures::program_input("Closed");
    input.active = Some("no".into());
    let closed = programs::save(&db, &input).await.unwrap();
    let all = key(&db, ALL, "").await;
    let (s, b, _) = send(
        &app,
        Method::POST,
        &format!("/programs/{}/members", closed.id),
        Some(&all),
        None,
        Some(json!({"name": "Late", "email": "late@x.io"})),
    )
    .await;
    assert_eq!((s.as_u16(), code(&b)), (409, "program_inactive"), "{b}");
}

async fn profiles_over_the_api(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let other = world(&db, |_| ()).await;
    let k = bound_key(&db, Some(w.program.id.get())).await;
    let (s, m, _) = send(
        &app,
        Method::POST,
        &format!("/programs/{}/members", w.program.id),
        Some(&k),
        None,
        Some(json!({"name": "Grace", "email": "grace@x.io"})),
    )
    .await;
    assert_eq!(s.as_u16(), 201, "{m}");

    // A partial change keeps what was not sent; an empty value clears it.
    let path = "/members/grace@x.io";
    let change = json!({"phone": "+1 202 555 0101", "birth_date": "1985-02-03"});
    let (s, b, _) = send(
        &app,
        Method::PATCH,
        path,
        Some(&k),
        Some("p-1"),
        Some(change.clone()),
    )
    .await;
    assert_eq!(s.as_u16(), 200, "{b}");
    assert_eq!(
        (b["name"].as_str(), b["phone"].as_str()),
        (Some("Grace"), Some("+12025550101"))
    );
    let (_, again, h) = send(&app, Method::PATCH, path, Some(&k), Some("p-1"), Some(change)).await;
    assert_eq!((again, h.contains_key("idempotent-replayed")), (b, true));
    let (s, b, _) = send(
        &app,
        Method::PATCH,
        "/members/phone:+12025550101",
        Some(&k),
        None,
        Some(json!({"email": "", "name": "Grace Hopper", "birth_date": ""})),
    )
    .await;
    assert_eq!(s.as_u16(), 200, "{b}");
    assert_eq!(
        (b["email"].clone(), b["birth_date"].clone(), b["name"].as_str()),
        (Value::Null, Value::Null, Some("Grace Hopper"))
    );
    // Clearing the last contact is refused; another member's email is a conflict.
    let (s, b, _) = send(
        &app,
        Method::PATCH,
        "/members/phone:+12025550101",
        Some(&k),
        None,
        Some(json!({"phone": ""})),
    )
    .await;
    assert_eq!((s.as_u16(), fields(&b)), (422, vec!["email".to_string()]), "{b}");
    let theirs = email(&db, &w).await;
    let (s, b, _) = send(
        &app,
        Method::PATCH,
        "/members/phone:+12025550101",
        Some(&k),
        None,
        Some(json!({"email": theirs})),
    )
    .await;
    assert_eq!((s.as_u16(), code(&b)), (409, "member_exists"), "{b}");
    // A member who signs in keeps the email they sign in with.
    let (s, b, _) = send(
        &app,
        Method::PATCH,
        &format!("/members/{theirs}"),
        Some(&k),
        None,
        Some(json!({"email": "new@x.io"})),
    )
    .await;
    assert_eq!((s.as_u16(), fields(&b)), (422, vec!["email".to_string()]), "{b}");

    // A member of another program is out of this key's reach, whatever names them.
    let outsider = email(&db, &other).await;
    let outsider_id = other.member_id.get().to_string();
    for who in [outsider.as_str(), &format!("email:{outsider}")] {
        let (s, b, _) = send(
            &app,
            Method::PATCH,
            &format!("/members/{who}"),
            Some(&k),
            None,
            Some(json!({"name": "Hijacked"})),
        )
        .await;
        assert_eq!((s.as_u16(), code(&b)), (404, "not_found"), "{who}: {b}");
    }
    let (s, _, _) = send(
        &app,
        Method::PATCH,
        &format!("/members/{outsider_id}"),
        Some(&k),
        None,
        Some(json!({"name": "Hijacked"})),
    )
    .await;
    assert_eq!(s.as_u16(), 404);
    assert_ne!(members::get(&db, other.member_id).await.unwrap().name, "Hijacked");
}

async fn history_over_the_api(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let second = programs::save(&db, &crate::support::fixtures::program_input("Second"))
        .await
        .unwrap();
    members::join(&db, w.member_id, second.id).await.unwrap();
    let who = email(&db, &w).await;
    let all = key(&db, ALL, "1000").await;
    for (i, program) in [
        (0, w.program.id),
        (1, second.id),
        (2, w.program.id),
        (3, w.program.id),
    ] {
        let (s, b, _) = send(
            &app,
            Method::POST,
            &format!("/programs/{program}/orders"),
            Some(&all),
            None,
            Some(json!({"member": who, "channel_order_id": format!("H-{i}"), "amount_minor": 1000 + i})),
        )
        .await;
        assert_eq!(s.as_u16(), 201, "{b}");
    }
    let (s, b, _) = send(
        &app,
        Method::POST,
        &format!("/programs/{}/adjustments", w.program.id),
        Some(&all),
        Some("adj-h"),
        Some(json!({"member": who, "points": 5, "reason": "Welcome gift"})),
    )
    .await;
    assert_eq!(s.as_u16(), 201, "{b}");

    // Every line, newest first, paged with the cursor; each with its program's unit.
    let path = format!("/members/{who}/history");
    let mut seen = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let q = match before {
            Some(b) => format!("{path}?limit=2&before={b}"),
            None => format!("{path}?limit=2"),
        };
        let (s, page, _) = send(&app, Method::GET, &q, Some(&all), None, None).await;
        assert_eq!(s.as_u16(), 200, "{page}");
        let lines = page["lines"].as_array().unwrap();
        assert!(lines.len() <= 2);
        seen.extend(lines.iter().cloned());
        match page["next_before"].as_i64() {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    let expected = member_view::history(&db, w.member_id, 100).await.unwrap();
    assert_eq!(seen.len(), expected.len());
    assert_eq!(seen.len(), 5, "four orders and an adjustment: {seen:?}");
    let ids: Vec<i64> = seen.iter().map(|l| l["id"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|p| p[0] > p[1]),
        "newest first, no repeats: {ids:?}"
    );
    assert_eq!(seen[0]["kind"], "adjust");
    let order = seen.iter().find(|l| l["reference"] == "H-0").unwrap();
    assert_eq!(order["currency_name"], w.program.currency_name);
    assert_eq!(
        (order["channel"].as_str(), order["amount_minor"].as_i64()),
        (Some("store"), Some(1000))
    );
    assert!(
        !order["description"].as_str().unwrap().is_empty(),
        "explained: {order}"
    );

    // Filters: program, type, channel.
    let (_, b, _) = send(
        &app,
        Method::GET,
        &format!("{path}?program_id={}", second.id),
        Some(&all),
        None,
        None,
    )
    .await;
    assert_eq!(b["lines"].as_array().unwrap().len(), 1);
    let (_, b, _) = send(
        &app,
        Method::GET,
        &format!("{path}?type=earn"),
        Some(&all),
        None,
        None,
    )
    .await;
    assert_eq!(b["lines"].as_array().unwrap().len(), 4);
    let (_, b, _) = send(
        &app,
        Method::GET,
        &format!("{path}?channel=web"),
        Some(&all),
        None,
        None,
    )
    .await;
    assert_eq!(b["lines"].as_array().unwrap().len(), 0);

    // A key of one program sees that program's lines only, and may not ask for another's.
    let bound = bound_key(&db, Some(second.id.get())).await;
    let (s, b, _) = send(&app, Method::GET, &path, Some(&bound), None, None).await;
    assert_eq!(s.as_u16(), 200);
    assert!(
        b["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["program_id"] == second.id.get()),
        "{b}"
    );
    assert_eq!(b["lines"].as_array().unwrap().len(), 1);
    let (s, b, _) = send(
        &app,
        Method::GET,
        &format!("{path}?program_id={}", w.program.id),
        Some(&bound),
        None,
        None,
    )
    .await;
    assert_eq!((s.as_u16(), code(&b)), (403, "forbidden"));
    // ...nor a member who is not in its program, however named.
    let stranger = world(&db, |_| ()).await;
    let bound_first = bound_key(&db, Some(stranger.program.id.get())).await;
    for who in [who.clone(), format!("email:{who}"), w.member_id.get().to_string()] {
        let (s, b, _) = send(
            &app,
            Method::GET,
            &format!("/members/{who}/history"),
            Some(&bound_first),
            None,
            None,
        )
        .await;
        assert_eq!((s.as_u16(), code(&b)), (404, "not_found"), "{who}: {b}");
    }

    // Bad paging and filters are field errors; huge and negative values included.
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("limit=-1", "limit"),
        ("before=-5", "before"),
        ("before=abc", "before"),
        ("type=refund", "type"),
        ("channel=fax", "channel"),
        ("program_id=x", "program_id"),
    ] {
        let (s, b, _) = send(&app, Method::GET, &format!("{path}?{q}"), Some(&all), None, None).await;
        assert_eq!(
            (s.as_u16(), code(&b), fields(&b)),
            (422, "validation", vec![field.to_string()]),
            "{q}: {b}"
        );
    }
    let reader = key(&db, &["orders:write"], "").await;
    let (s, _, _) = send(&app, Method::GET, &path, Some(&reader), None, None).await;
    assert_eq!(s.as_u16(), 403);
}

on_both_backends!(
    enrolment_over_the_api,
    profiles_over_the_api,
    history_over_the_api
);
