//! Defects found while reading the code (issue: core restructure), each with its test.

use omniloyal::model::ids::ProgramId;
use omniloyal::model::rules::Channel;
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::service::{orders, rewards};
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::fixtures::{membership, order, reward_input, world};
use crate::support::spawn_app;
use omniloyal::server::query::reward_view;

/// A reward handed out from a partner's codes is out once its codes are: not offered as
/// redeemable, not listed as unlimited.
async fn an_empty_voucher_pool_is_not_offered(db: Db) {
    let w = world(&db, |_| ()).await;
    orders::record_order(&db, w.program.id, w.member_id, &order("o-1", 10_000), None)
        .await
        .unwrap();
    let mut input = reward_input(w.program.id, "Cinema ticket", "100");
    input.kind = "voucher".into();
    input.pool_codes = "CINE-1\nCINE-2".into();
    let voucher = rewards::save(&db, &input).await.unwrap();
    assert_eq!((voucher.stock_left(), voucher.pool_left), (Some(2), Some(2)));
    let ms = membership(&db, &w).await;
    for request in ["v-1", "v-2"] {
        let offer = reward_view::offers(&db, ms, Some(Channel::Web)).await.unwrap();
        assert_eq!(offer[0].unavailable, None);
        rewards::redeem(&db, w.member_id, voucher.id, Channel::Web, request, false, None)
            .await
            .unwrap();
    }
    let offer = reward_view::offers(&db, ms, Some(Channel::Web)).await.unwrap();
    assert_eq!(offer[0].reward.stock_left(), Some(0), "not unlimited");
    assert_eq!(
        offer[0].unavailable.as_deref(),
        Some("This reward has no codes left.")
    );
    let e = rewards::redeem(&db, w.member_id, voucher.id, Channel::Web, "v-3", false, None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "reward_unavailable");
}

/// The desk books only in programs that are running.
async fn the_desk_offers_running_programs_only(db: Db) {
    let app = spawn_app(db.clone()).await;
    let running = world(&db, |_| ()).await;
    let paused = world(&db, |_| ()).await;
    sqlx::query("UPDATE programs SET active = 0 WHERE id = $1")
        .bind(paused.program.id)
        .execute(&db.pool)
        .await
        .unwrap();
    let (_, staff) = app.as_role(Role::Staff).await;
    let (s, found) = app.call(&staff, "desk_search", &[("query", "")]).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    let ids: Vec<ProgramId> = found["programs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().map(ProgramId).unwrap())
        .collect();
    assert!(
        ids.contains(&running.program.id) && !ids.contains(&paused.program.id),
        "{ids:?}"
    );
}

/// An endpoint for `points.changed` at `url`, saved as development allows (any address).
async fn endpoint(db: &Db, url: &str) -> omniloyal::model::webhook::CreatedWebhook {
    omniloyal::server::webhooks::create(
        db,
        &omniloyal::model::webhook::WebhookInput {
            url: url.into(),
            description: String::new(),
            events: vec!["points.changed".into()],
        },
        true,
    )
    .await
    .unwrap()
}

/// Webhook endpoints are https to public addresses: an admin cannot point the server at the
/// operator's own network, and an address that resolves there later is not sent to.
async fn webhooks_go_only_to_public_https_addresses(db: Db) {
    use omniloyal::model::time::Timestamp;
    use omniloyal::server::webhooks;
    let mut config = omniloyal::server::config::Config::for_database("test");
    config.webhooks_allow_private = false;
    let app = crate::support::spawn_app_with(db.clone(), config).await;
    let (_, admin) = app.as_role(Role::Admin).await;
    for url in [
        "http://hooks.example/x",
        "https://127.0.0.1:9/x",
        "https://10.0.0.7/x",
        "https://localhost/x",
    ] {
        let form = [("input[url]", url), ("input[events][0]", "points.changed")];
        let (s, b) = app.call(&admin, "create_webhook", &form).await;
        assert_eq!(
            (s, b["fields"][0]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("url")),
            "{url}: {b}"
        );
    }
    // An endpoint saved when its name was public, which now leads to loopback.
    let w = world(&db, |_| ()).await;
    let hook = endpoint(&db, "https://localhost:9/hook").await;
    orders::record_order(&db, w.program.id, w.member_id, &order("o-1", 1000), None)
        .await
        .unwrap();
    let sent = webhooks::deliver_due(&db, &webhooks::Sender::new(false), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(sent, (0, 1));
    let log = webhooks::deliveries(&db, 10).await.unwrap();
    let error = log[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("private address"), "{error}");
    assert_eq!(log[0].endpoint_id, hook.endpoint.id);
    // An address that is private as written is given up at once, never sent to: failed,
    // with no attempt counted and nothing left to retry.
    let literal = endpoint(&db, "http://127.0.0.1:9/hook").await;
    webhooks::disable(&db, hook.endpoint.id).await.unwrap();
    orders::record_order(&db, w.program.id, w.member_id, &order("o-2", 1000), None)
        .await
        .unwrap();
    let sent = webhooks::deliver_due(&db, &webhooks::Sender::new(false), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(sent, (0, 1));
    let log = webhooks::deliveries(&db, 10).await.unwrap();
    let refused = log.iter().find(|d| d.endpoint_id == literal.endpoint.id).unwrap();
    assert_eq!(
        (
            refused.status.as_str(),
            refused.attempts,
            refused.last_error.as_deref()
        ),
        ("failed", 0, Some("refused: not a public https address"))
    );
    let later = Timestamp(Timestamp::now().0 + 86_400);
    assert_eq!(
        webhooks::deliver_due(&db, &webhooks::Sender::new(false), later)
            .await
            .unwrap(),
        (0, 0),
        "nothing is retried"
    );
}

/// Linking an identifier takes an Idempotency-Key like every other write.
async fn linking_an_identifier_takes_an_idempotency_key(db: Db) {
    use reqwest::Method;
    use serde_json::json;
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let who = crate::support::fixtures::email(&db, &w).await;
    let shop = crate::support::fixtures::key_for(&db, "web", crate::support::fixtures::ALL, "1000").await;
    let path = format!("/members/{who}/identifiers");
    let body = json!({"kind": "external", "value": "C-77"});
    let send = |key: &'static str, body: serde_json::Value| {
        let (app, shop, path) = (&app, shop.clone(), path.clone());
        async move {
            crate::support::fixtures::send(app, Method::POST, &path, Some(&shop), Some(key), Some(body)).await
        }
    };
    let (s, first, h) = send("link-1", body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert!(h.get("idempotent-replayed").is_none());
    let (s, again, h) = send("link-1", body).await;
    assert_eq!((s, &again), (StatusCode::OK, &first));
    assert_eq!(h["idempotent-replayed"], "true");
    let (s, b, _) = send("link-1", json!({"kind": "external", "value": "C-78"})).await;
    assert_eq!(
        (s, crate::support::code(&b)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
}

/// Idempotency-Keys are kept a week and sent or given-up webhook deliveries a month; what
/// is still in use stays.
async fn old_keys_and_deliveries_are_forgotten(db: Db) {
    use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
    let w = world(&db, |_| ()).await;
    crate::support::fixtures::key_for(&db, "store", crate::support::fixtures::ALL, "1000").await;
    let key_id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM api_keys")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let now = Timestamp::now().0;
    for (key, age_days) in [("old", 8), ("recent", 6)] {
        sqlx::query(
            "INSERT INTO idempotency_keys (api_key_id, key, fingerprint, created_at, status, response) \
             VALUES ($1, $2, 'f', $3, 201, '{}')",
        )
        .bind(key_id)
        .bind(key)
        .bind(now - age_days * SECONDS_PER_DAY)
        .execute(&db.pool)
        .await
        .unwrap();
    }
    endpoint(&db, "http://127.0.0.1:9/crm").await;
    for id in ["a", "b", "c"] {
        orders::record_order(&db, w.program.id, w.member_id, &order(id, 100), None)
            .await
            .unwrap();
    }
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM webhook_deliveries ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    // Sent 40 days ago, given up 40 days ago, still pending from 40 days ago.
    for (id, status) in ids.iter().zip(["delivered", "failed", "pending"]) {
        sqlx::query("UPDATE webhook_deliveries SET status = $1, created_at = $2 WHERE id = $3")
            .bind(status)
            .bind(now - 40 * SECONDS_PER_DAY)
            .bind(id)
            .execute(&db.pool)
            .await
            .unwrap();
    }
    let report = omniloyal::server::jobs::run_all(&db, Timestamp(now))
        .await
        .unwrap();
    assert_eq!((report.purged_keys, report.purged_deliveries), (1, 2));
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(keys, vec!["recent".to_string()]);
    let left: Vec<String> = sqlx::query_scalar("SELECT status FROM webhook_deliveries")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(left, vec!["pending".to_string()], "an undelivered event is kept");
    // Once its endpoint is disabled, nothing will send it: it goes with the rest.
    sqlx::query("UPDATE webhook_endpoints SET active = 0")
        .execute(&db.pool)
        .await
        .unwrap();
    let report = omniloyal::server::jobs::run_all(&db, Timestamp(now))
        .await
        .unwrap();
    assert_eq!(report.purged_deliveries, 1);
}

/// The database's clock moves the whole app: bookings are dated by it, jobs run by it,
/// sessions expire by it (tests move time with it, not by rewriting stored times).
async fn the_clock_moves_bookings_jobs_and_sessions(db: Db) {
    use omniloyal::model::time::SECONDS_PER_DAY;
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |p| p.pending_days = "14".into()).await;
    orders::record_order(&db, w.program.id, w.member_id, &order("o-1", 1000), None)
        .await
        .unwrap();
    assert_eq!(
        crate::support::fixtures::balance(&db, &w).await,
        (0, 100),
        "held for the return window"
    );
    let (_, member) = app.as_role(Role::Member).await;
    db.clock().advance(15 * SECONDS_PER_DAY);
    let report = omniloyal::server::jobs::run_all(&db, db.now()).await.unwrap();
    assert_eq!(report.released_points, 100);
    assert_eq!(crate::support::fixtures::balance(&db, &w).await, (100, 0));
    let r = orders::record_order(&db, w.program.id, w.member_id, &order("o-2", 1000), None)
        .await
        .unwrap();
    let booked_at: i64 = sqlx::query_scalar("SELECT created_at FROM ledger_transactions WHERE id = $1")
        .bind(r.transaction_id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!((booked_at - db.now().0).abs() < 60, "dated by the clock");
    // The member's session (twelve hours at most) is over two weeks later.
    let (s, b) = app.call(&member, "my_portal", &[]).await;
    assert_eq!(
        (s, crate::support::code(&b)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
}

on_both_backends!(
    the_clock_moves_bookings_jobs_and_sessions,
    linking_an_identifier_takes_an_idempotency_key,
    old_keys_and_deliveries_are_forgotten,
    webhooks_go_only_to_public_https_addresses,
    an_empty_voucher_pool_is_not_offered,
    the_desk_offers_running_programs_only,
);
