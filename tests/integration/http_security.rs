//! Response headers and request hygiene (issue: points safety): a script policy with the
//! page's own nonce, no caching of personal pages, a forwarded host believed only from a
//! trusted proxy, and sign-in throttled per account and address together.

use omniloyal::model::user::Role;
use omniloyal::server::config::Config;
use omniloyal::server::db::Db;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{client, code, make_user, spawn_app, spawn_app_with, PASSWORD};

async fn pages_carry_a_nonce_policy_and_are_not_cached(db: Db) {
    let app = spawn_app(db).await;
    let res = client().get(format!("{}/login", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    let html = res.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("a nonce in {csp}"));
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry it"
    );
    for part in [
        "default-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "'wasm-unsafe-eval'",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert_eq!(h["cache-control"], "no-store");
    assert!(h["permissions-policy"].to_str().unwrap().contains("camera=()"));
    let again = client().get(format!("{}/login", app.base)).send().await.unwrap();
    assert_ne!(
        again.headers()["content-security-policy"],
        h["content-security-policy"],
        "a nonce per response"
    );
    let api = client()
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
}

async fn a_forwarded_host_counts_only_behind_a_trusted_proxy(db: Db) {
    for (trust, expected) in [(false, StatusCode::FORBIDDEN), (true, StatusCode::OK)] {
        let mut config = Config::for_database("test");
        config.trust_proxy = trust;
        let app = spawn_app_with(db.clone(), config).await;
        let res = client()
            .post(format!("{}/api/current_user", app.base))
            .header("accept", "application/json")
            .header("origin", "https://evil.example")
            .header("x-forwarded-host", "evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "trust_proxy = {trust}");
    }
}

async fn an_attacker_elsewhere_cannot_lock_out_the_owner(db: Db) {
    let mut config = Config::for_database("test");
    config.trust_proxy = true;
    let app = spawn_app_with(db, config).await;
    make_user(&app.db, Role::Admin, "owner@x.io").await;
    let login = |from: &'static str, password: &'static str| {
        let base = app.base.clone();
        async move {
            let res = client()
                .post(format!("{base}/api/login"))
                .header("accept", "application/json")
                .header("x-forwarded-for", from)
                .form(&[("email", "owner@x.io"), ("password", password)])
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            (status, code(&body).to_string())
        }
    };
    let mut attacker = Vec::new();
    for _ in 0..8 {
        attacker.push(login("6.6.6.6", "guess guess guess").await);
    }
    assert!(attacker.iter().any(|(_, c)| c == "rate_limited"), "{attacker:?}");
    let (status, _) = login("2.2.2.2", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "the owner signs in from home");
}

on_both_backends!(
    pages_carry_a_nonce_policy_and_are_not_cached,
    a_forwarded_host_counts_only_behind_a_trusted_proxy,
    an_attacker_elsewhere_cannot_lock_out_the_owner,
);
