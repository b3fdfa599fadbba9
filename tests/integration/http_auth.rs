//! Sign-in, sessions and request hygiene over real HTTP.

use omniloyal::model::user::Role;
use omniloyal::server::auth::session::COOKIE_NAME;
use omniloyal::server::db::Db;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{client, code, make_user, spawn_app, PASSWORD};

async fn sign_in_sets_a_safe_cookie_and_never_says_which_part_was_wrong(db: Db) {
    let app = spawn_app(db).await;
    make_user(&app.db, Role::Staff, "sam@x.io").await;
    let c = client();
    let res = c
        .post(format!("{}/api/login", app.base))
        .header("accept", "application/json")
        .form(&[("email", "Sam@X.io"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with(&format!("{COOKIE_NAME}=")), "{cookie}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    assert_eq!(
        res.headers().get("location").unwrap(),
        "/desk",
        "staff land on the desk"
    );
    let (_, me) = app.call(&c, "current_user", &[]).await;
    assert_eq!(me["role"], "staff");

    let (s1, wrong_password) = app
        .call(
            &client(),
            "login",
            &[("email", "sam@x.io"), ("password", "not the password")],
        )
        .await;
    let (s2, unknown_email) = app
        .call(
            &client(),
            "login",
            &[("email", "who@x.io"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(code(&wrong_password), "invalid_credentials");
    assert_eq!(wrong_password, unknown_email, "identical answers");
}

async fn sign_out_revokes_the_session(db: Db) {
    let app = spawn_app(db).await;
    make_user(&app.db, Role::Analyst, "ari@x.io").await;
    let c = client();
    let res = c
        .post(format!("{}/api/login", app.base))
        .form(&[("email", "ari@x.io"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let token_cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (status, _) = app.call(&c, "logout", &[]).await;
    assert_eq!(status, StatusCode::OK);
    // Replaying the old cookie by hand, as a thief would, no longer works.
    let res = client()
        .post(format!("{}/api/load_insights", app.base))
        .header("accept", "application/json")
        .header("cookie", token_cookie)
        .form(&[("q[from]", ""), ("q[to]", ""), ("q[program]", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn expired_sessions_are_refused(db: Db) {
    let app = spawn_app(db).await;
    make_user(&app.db, Role::Member, "mia@x.io").await;
    let c = app.signed_in("mia@x.io").await;
    assert_eq!(app.call(&c, "my_portal", &[]).await.0, StatusCode::OK);
    sqlx::query("UPDATE sessions SET expires_at = 0")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let (status, body) = app.call(&c, "my_portal", &[]).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
}

async fn repeated_failures_slow_down_sign_in(db: Db) {
    let app = spawn_app(db).await;
    make_user(&app.db, Role::Admin, "ada@x.io").await;
    for _ in 0..5 {
        let (status, _) = app
            .call(
                &client(),
                "login",
                &[("email", "ada@x.io"), ("password", "guess guess guess")],
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now: the limiter answers before any password is checked.
    let (status, body) = app
        .call(
            &client(),
            "login",
            &[("email", "ada@x.io"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert!(body["retry_after_secs"].as_u64().unwrap() >= 1);
}

async fn parallel_guesses_do_not_slip_past_the_limiter(db: Db) {
    let app = spawn_app(db).await;
    make_user(&app.db, Role::Admin, "ada@x.io").await;
    let mut guesses = Vec::new();
    for i in 0..12 {
        let (base, password) = (app.base.clone(), format!("guess number {i}"));
        guesses.push(tokio::spawn(async move {
            client()
                .post(format!("{base}/api/login"))
                .header("accept", "application/json")
                .form(&[("email", "ada@x.io"), ("password", password.as_str())])
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut checked = 0;
    for g in guesses {
        match g.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        (1..=5).contains(&checked),
        "{checked} of 12 simultaneous guesses had their password checked"
    );
}

async fn form_posts_without_javascript_redirect(db: Db) {
    let app = spawn_app(db).await;
    make_user(&app.db, Role::Admin, "ada@x.io").await;
    let post = |password: &'static str| {
        client()
            .post(format!("{}/api/login", app.base))
            .header("accept", "text/html")
            .header("referer", format!("{}/login", app.base))
            .form(&[("email", "ada@x.io"), ("password", password)])
            .send()
    };
    let ok = post(PASSWORD).await.unwrap();
    assert_eq!(ok.status(), StatusCode::FOUND);
    assert_eq!(ok.headers().get("location").unwrap(), "/manage");
    assert!(ok.headers().get("set-cookie").is_some());
    let bad = post("wrong wrong wrong").await.unwrap();
    assert_eq!(bad.status(), StatusCode::FOUND);
    let location = bad.headers().get("location").unwrap().to_str().unwrap();
    assert!(
        location.contains("/login") && location.contains("__err="),
        "{location}"
    );
}

/// Without JavaScript a form's success reaches the page it returns to, once, in an HttpOnly
/// cookie (not in the URL: it can hold a reward code); failures keep Leptos' `__err`.
async fn form_posts_without_javascript_keep_their_outcome_for_one_page(db: Db) {
    use omniloyal::components::outcome::COOKIE_NAME as OUTCOME;
    let app = spawn_app(db).await;
    let (_, member) = app.as_role(Role::Member).await;
    let post = |date: &'static str| {
        member
            .post(format!("{}/api/set_my_birth_date", app.base))
            .header("accept", "text/html")
            .header("referer", format!("{}/portal", app.base))
            .form(&[("birth_date", date)])
            .send()
    };
    let outcome_cookies = |res: &reqwest::Response| -> Vec<String> {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter(|c| c.starts_with(&format!("{OUTCOME}=")))
            .map(str::to_owned)
            .collect()
    };
    let page = || {
        member
            .get(format!("{}/portal", app.base))
            .header("accept", "text/html")
            .send()
    };

    let refused = post("2999-01-01").await.unwrap();
    assert_eq!(refused.status(), StatusCode::FOUND);
    assert!(refused.headers()["location"].to_str().unwrap().contains("__err="));
    assert!(
        outcome_cookies(&refused).is_empty(),
        "a failure carries no outcome"
    );

    let saved = post("1990-02-03").await.unwrap();
    assert_eq!(saved.status(), StatusCode::FOUND);
    assert_eq!(
        saved.headers()["location"],
        format!("{}/portal", app.base).as_str()
    );
    let kept = outcome_cookies(&saved);
    assert_eq!(kept.len(), 1, "{kept:?}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=60"] {
        assert!(kept[0].contains(attr), "{attr} in {}", kept[0]);
    }

    // Sealed for this session and this page: another member's browser holding the same
    // cookie, or another page, does not show it (and another page leaves it for its own).
    let value = kept[0].split(';').next().unwrap().to_string();
    let (_, other) = app.as_role(Role::Member).await;
    let stolen = other
        .get(format!("{}/portal", app.base))
        .header("accept", "text/html")
        .header("cookie", &value)
        .send()
        .await
        .unwrap();
    let dropped = outcome_cookies(&stolen);
    assert!(
        dropped.first().is_some_and(|c| c.contains("Max-Age=0")),
        "read and refused: {dropped:?}"
    );
    assert!(!stolen.text().await.unwrap().contains("Saved: 1990-02-03."));
    let elsewhere = member
        .get(format!("{}/portal?tab=2", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(outcome_cookies(&elsewhere).is_empty(), "left for its page");
    assert!(!elsewhere.text().await.unwrap().contains("Saved: 1990-02-03."));
    // A value of one's own making (a receipt nobody booked) is dropped unread.
    let forged = format!("{OUTCOME}=eyJmIjoiL2FwaS9zZXRfbXlfYmlydGhfZGF0ZSJ9.AAAA");
    let refused_forgery = client()
        .get(format!("{}/portal", app.base))
        .header("accept", "text/html")
        .header("cookie", forged)
        .send()
        .await
        .unwrap();
    assert!(outcome_cookies(&refused_forgery)
        .first()
        .is_some_and(|c| c.contains("Max-Age=0")));

    let shown = page().await.unwrap();
    let cleared = outcome_cookies(&shown);
    assert!(
        cleared.len() == 1 && cleared[0].contains("Max-Age=0"),
        "{cleared:?}"
    );
    assert!(shown.text().await.unwrap().contains("Saved: 1990-02-03."));
    let again = page().await.unwrap().text().await.unwrap();
    assert!(!again.contains("Saved: 1990-02-03."), "said once");

    // A function that sends the browser elsewhere (signing out) leaves nothing behind.
    let out = member
        .post(format!("{}/api/logout", app.base))
        .header("accept", "text/html")
        .header("referer", format!("{}/desk", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::FOUND);
    assert!(outcome_cookies(&out).is_empty());
}

async fn cross_site_posts_are_refused(db: Db) {
    let app = spawn_app(db).await;
    make_user(&app.db, Role::Admin, "ada@x.io").await;
    let post = |origin: String| {
        client()
            .post(format!("{}/api/login", app.base))
            .header("accept", "application/json")
            .header("origin", origin)
            .form(&[("email", "ada@x.io"), ("password", PASSWORD)])
            .send()
    };
    let evil = post("https://evil.example".into()).await.unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    assert!(evil.headers().get("set-cookie").is_none());
    let same = post(app.base.clone()).await.unwrap();
    assert_eq!(same.status(), StatusCode::OK);
}

async fn oversized_bodies_and_health(db: Db) {
    let app = spawn_app(db).await;
    let big = "x".repeat(200 * 1024);
    // The server answers on seeing the length and closes; a client still writing can get a
    // reset instead of the answer. Retry those; the answer itself must be 413.
    let mut res = None;
    for _ in 0..10 {
        let sent = client()
            .post(format!("{}/api/login", app.base))
            .form(&[("email", big.as_str()), ("password", "x")])
            .send()
            .await;
        if let Ok(r) = sent {
            res = Some(r);
            break;
        }
    }
    assert_eq!(res.expect("an answer").status(), StatusCode::PAYLOAD_TOO_LARGE);
    let health: serde_json::Value = client()
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
}

on_both_backends!(
    sign_in_sets_a_safe_cookie_and_never_says_which_part_was_wrong,
    sign_out_revokes_the_session,
    expired_sessions_are_refused,
    repeated_failures_slow_down_sign_in,
    parallel_guesses_do_not_slip_past_the_limiter,
    form_posts_without_javascript_redirect,
    form_posts_without_javascript_keep_their_outcome_for_one_page,
    cross_site_posts_are_refused,
    oversized_bodies_and_health
);
