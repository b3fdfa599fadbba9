//! Webhooks end to end: the outbox is written with the change (and only with it), deliveries
//! are signed per Standard Webhooks and verify, failures are retried with backoff, and a
//! delivery is never sent twice by two workers.

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use omniloyal::model::time::Timestamp;
use omniloyal::model::webhook::WebhookInput;
use omniloyal::server::db::Db;
use omniloyal::server::service::orders;
use omniloyal::server::webhooks;

use crate::on_both_backends;
use crate::support::fixtures::{order, world};

type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver on port 0 answering `status`, keeping what it got.
async fn receiver(status: StatusCode) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                keep.lock().unwrap().push((headers, body));
                status
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

fn input(url: &str, events: &[&str]) -> WebhookInput {
    WebhookInput {
        url: url.into(),
        description: "test".into(),
        events: events.iter().map(|e| e.to_string()).collect(),
    }
}

async fn deliveries_are_signed_and_only_for_real_changes(db: Db) {
    let (url, seen) = receiver(StatusCode::NO_CONTENT).await;
    let hook = webhooks::create(&db, &input(&url, &["points.earned"]), true)
        .await
        .unwrap();
    let (other, _) = receiver(StatusCode::OK).await;
    webhooks::create(&db, &input(&other, &["reward.issued"]), true)
        .await
        .unwrap();
    let w = world(&db, |_| ()).await;
    orders::record_order(&db, w.program.id, w.member_id, &order("o1", 1000), None)
        .await
        .unwrap();
    // A refused order writes no delivery.
    assert!(
        orders::record_order(&db, w.program.id, w.member_id, &order("o2", -1), None)
            .await
            .is_err()
    );
    let http = webhooks::Sender::new(true);
    // Two workers at once: each delivery goes out once.
    let (a, b) = tokio::join!(
        webhooks::deliver_due(&db, &http, Timestamp::now()),
        webhooks::deliver_due(&db, &http, Timestamp::now())
    );
    assert_eq!(a.unwrap().0 + b.unwrap().0, 1);
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one event, one endpoint subscribed to it");
    let (headers, body) = &got[0];
    let id = headers["webhook-id"].to_str().unwrap();
    let ts: i64 = headers["webhook-timestamp"].to_str().unwrap().parse().unwrap();
    let expected = webhooks::sign(&hook.secret, id, ts, body).unwrap();
    assert_eq!(headers["webhook-signature"].to_str().unwrap(), expected);
    assert!((Timestamp::now().0 - ts).abs() < 60);
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (json["type"].as_str(), json["data"]["points"].as_i64()),
        (Some("points.earned"), Some(100))
    );
    let log = webhooks::deliveries(&db, 10).await.unwrap();
    assert_eq!(
        (log.len(), log[0].status.as_str(), log[0].last_status_code),
        (1, "delivered", Some(204))
    );
}

async fn failures_are_retried_with_backoff(db: Db) {
    let (url, seen) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    webhooks::create(&db, &input(&url, &["points.earned"]), true)
        .await
        .unwrap();
    let w = world(&db, |_| ()).await;
    orders::record_order(&db, w.program.id, w.member_id, &order("o1", 1000), None)
        .await
        .unwrap();
    let http = webhooks::Sender::new(true);
    let now = Timestamp::now();
    assert_eq!(webhooks::deliver_due(&db, &http, now).await.unwrap(), (0, 1));
    // Not due again until the backoff has passed.
    assert_eq!(webhooks::deliver_due(&db, &http, now).await.unwrap(), (0, 0));
    let log = webhooks::deliveries(&db, 10).await.unwrap();
    assert_eq!(
        (log[0].status.as_str(), log[0].attempts, log[0].last_status_code),
        ("pending", 1, Some(500))
    );
    assert!(log[0].next_attempt_at.0 >= now.0 + 5);
    // Keep failing: after the last backoff step the delivery is given up.
    let mut t = now.0;
    for _ in 0..10 {
        t += 7 * 3600;
        webhooks::deliver_due(&db, &http, Timestamp(t)).await.unwrap();
    }
    let log = webhooks::deliveries(&db, 10).await.unwrap();
    assert_eq!((log[0].status.as_str(), log[0].attempts), ("failed", 9));
    assert_eq!(seen.lock().unwrap().len(), 9);
    // An unreachable endpoint is a failed attempt too, with the error kept.
    webhooks::create(&db, &input("http://127.0.0.1:9/hook", &["points.earned"]), true)
        .await
        .unwrap();
    orders::record_order(&db, w.program.id, w.member_id, &order("o2", 1000), None)
        .await
        .unwrap();
    webhooks::deliver_due(&db, &http, Timestamp(t)).await.unwrap();
    let log = webhooks::deliveries(&db, 10).await.unwrap();
    assert!(log
        .iter()
        .any(|d| d.last_error.is_some() && d.last_status_code.is_none()));
}

on_both_backends!(
    deliveries_are_signed_and_only_for_real_changes,
    failures_are_retried_with_backoff
);
