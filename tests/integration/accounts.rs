//! Off-boarding staff accounts (disable, enable, new password, new role) and the pages a
//! role may not use, answered with their status and without their forms.

use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use reqwest::StatusCode;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{client, code, make_user, spawn_app, unique, PASSWORD};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn me(app: &crate::support::TestApp, c: &reqwest::Client) -> Value {
    app.call(c, "current_user", &[]).await.1
}

async fn a_disabled_account_is_signed_out_everywhere_and_can_come_back(db: Db) {
    let app = spawn_app(db).await;
    let (_, admin) = app.as_role(Role::Admin).await;
    let email = format!("{}@x.io", unique("leaver"));
    let leaver = make_user(&app.db, Role::Staff, &email).await;
    let (phone, till) = (app.signed_in(&email).await, app.signed_in(&email).await);
    let id = leaver.id.to_string();

    let (status, body) = app
        .call(
            &admin,
            "set_account_enabled",
            &[("id", &id), ("enabled", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["disabled_at"].is_i64(), "{body}");
    for c in [&phone, &till] {
        assert_eq!(me(&app, c).await, Value::Null, "both sessions ended");
        let (s, _) = app.call(c, "desk_search", &[("query", "someone@x.io")]).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, refused) = app
        .call(&client(), "login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert!(
        !s.is_success(),
        "a disabled account cannot sign in: {s} {refused}"
    );

    // Disabling twice keeps the first time; enabling lets them sign in again.
    let (_, again) = app
        .call(
            &admin,
            "set_account_enabled",
            &[("id", &id), ("enabled", "false")],
        )
        .await;
    assert_eq!(again["disabled_at"], body["disabled_at"]);
    let (s, back) = app
        .call(&admin, "set_account_enabled", &[("id", &id), ("enabled", "true")])
        .await;
    assert_eq!((s, back["disabled_at"].clone()), (StatusCode::OK, Value::Null));
    let c = app.signed_in(&email).await;
    assert_eq!(me(&app, &c).await["role"], "staff");
}

async fn a_new_password_ends_the_old_sessions_and_a_bad_one_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let (_, admin) = app.as_role(Role::Admin).await;
    let email = format!("{}@x.io", unique("sam"));
    let sam = make_user(&app.db, Role::Analyst, &email).await;
    let before = app.signed_in(&email).await;
    let id = sam.id.to_string();

    let (s, short) = app
        .call(
            &admin,
            "reset_account_password",
            &[("id", &id), ("password", "short")],
        )
        .await;
    assert_eq!((s, code(&short)), (StatusCode::BAD_REQUEST, "validation"));
    assert_eq!(short["fields"][0]["field"], "password");
    assert_eq!(me(&app, &before).await["role"], "analyst", "nothing changed");

    let (s, _) = app
        .call(
            &admin,
            "reset_account_password",
            &[("id", &id), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me(&app, &before).await, Value::Null, "the old session ended");
    let (s, _) = app
        .call(&client(), "login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the old password is gone");
    let (s, _) = app
        .call(
            &client(),
            "login",
            &[("email", &email), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

async fn a_role_change_applies_at_once_and_admins_cannot_lock_themselves_out(db: Db) {
    let app = spawn_app(db).await;
    let (me_admin, admin) = app.as_role(Role::Admin).await;
    let (staff, staff_c) = app.as_role(Role::Staff).await;
    let id = staff.id.to_string();

    let (s, body) = app
        .call(&admin, "change_account_role", &[("id", &id), ("role", "analyst")])
        .await;
    assert_eq!(
        (s, body["role"].clone()),
        (StatusCode::OK, Value::from("analyst"))
    );
    assert_eq!(
        me(&app, &staff_c).await["role"],
        "analyst",
        "the live session has the new role"
    );
    let (s, body) = app
        .call(&admin, "change_account_role", &[("id", &id), ("role", "member")])
        .await;
    assert_eq!((s, code(&body)), (StatusCode::BAD_REQUEST, "validation"));
    let (s, body) = app
        .call(&admin, "change_account_role", &[("id", &id), ("role", "root")])
        .await;
    assert_eq!((s, code(&body)), (StatusCode::BAD_REQUEST, "validation"));

    let mine = me_admin.id.to_string();
    for (f, form) in [
        (
            "set_account_enabled",
            vec![("id", mine.as_str()), ("enabled", "false")],
        ),
        (
            "change_account_role",
            vec![("id", mine.as_str()), ("role", "staff")],
        ),
    ] {
        let (s, body) = app.call(&admin, f, &form).await;
        assert_eq!((s, code(&body)), (StatusCode::CONFLICT, "conflict"), "{f}");
    }
    assert_eq!(me(&app, &admin).await["role"], "admin");

    // Members' accounts are not managed here, and only admins manage any.
    let (member, _) = app.as_role(Role::Member).await;
    let (s, body) = app
        .call(
            &admin,
            "set_account_enabled",
            &[("id", &member.id.to_string()), ("enabled", "false")],
        )
        .await;
    assert_eq!((s, code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (_, analyst_c) = app.as_role(Role::Analyst).await;
    let (s, _) = app
        .call(
            &analyst_c,
            "set_account_enabled",
            &[("id", &mine), ("enabled", "false")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(me(&app, &admin).await["role"], "admin");
}

/// Pages for a role answer others with 401 or 403 and show none of their forms; a missing
/// program is a 404.
async fn pages_refused_with_their_status_and_no_forms(db: Db) {
    let app = spawn_app(db).await;
    let page = |c: reqwest::Client, path: &'static str| {
        let url = format!("{}{path}", app.base);
        async move {
            let res = c.get(url).header("accept", "text/html").send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (_, staff) = app.as_role(Role::Staff).await;
    let (_, member) = app.as_role(Role::Member).await;
    let (_, analyst) = app.as_role(Role::Analyst).await;
    let (_, admin) = app.as_role(Role::Admin).await;
    for (who, c, path, want) in [
        ("staff", staff.clone(), "/manage", StatusCode::FORBIDDEN),
        ("staff", staff.clone(), "/manage/keys", StatusCode::FORBIDDEN),
        ("analyst", analyst.clone(), "/manage/users", StatusCode::FORBIDDEN),
        ("member", member.clone(), "/manage", StatusCode::FORBIDDEN),
        ("member", member.clone(), "/desk", StatusCode::FORBIDDEN),
        ("analyst", analyst.clone(), "/desk", StatusCode::FORBIDDEN),
        ("staff", staff.clone(), "/insights", StatusCode::FORBIDDEN),
        ("nobody", client(), "/manage", StatusCode::UNAUTHORIZED),
        ("nobody", client(), "/desk", StatusCode::UNAUTHORIZED),
    ] {
        let (status, html) = page(c, path).await;
        assert_eq!(status, want, "{who} at {path}");
        // Besides the language switch, which every page has, at most the sign-out form.
        let forms = html.matches("<form").count() - html.matches("action=\"/lang\"").count();
        assert!(
            forms <= 1,
            "{who} at {path}: only sign-out and the language switch"
        );
        for absent in [
            "New program",
            "Create key",
            "New account",
            "Record a purchase",
            "Manage</h1>",
        ] {
            assert!(!html.contains(absent), "{who} at {path} shows {absent}");
        }
    }
    let (status, html) = page(admin.clone(), "/manage/programs/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("was not found"), "{html}");
    let (status, _) = page(admin, "/manage").await;
    assert_eq!(status, StatusCode::OK);
}

on_both_backends!(
    a_disabled_account_is_signed_out_everywhere_and_can_come_back,
    a_new_password_ends_the_old_sessions_and_a_bad_one_changes_nothing,
    a_role_change_applies_at_once_and_admins_cannot_lock_themselves_out,
    pages_refused_with_their_status_and_no_forms
);
