//! Message templates through the server functions on both backends: a field that does not
//! exist is named at save and nothing is saved; one name per channel and language; the
//! preview fills a real member's name, balance and expiring points; a test goes to the
//! manager's own address through the outbox.

use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::service::orders;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::fixtures::{order, world};
use crate::support::spawn_app;

async fn templates_are_checked_previewed_and_tested(db: Db) {
    let app = spawn_app(db.clone()).await;
    let (manager, admin) = app.as_role(Role::Admin).await;
    let w = world(&db, |p| {
        p.expiry_mode = "fixed".into();
        p.expiry_months = "12".into();
        p.pending_days = "0".into();
    })
    .await;
    orders::record_order(&db, w.program.id, w.member_id, &order("t1", 2_500), None)
        .await
        .unwrap();
    let pid = w.program.id.to_string();
    let form = |name: &str, subject: &str, body: &str| {
        vec![
            ("input[program_id]", pid.clone()),
            ("input[id]", "0".to_string()),
            ("input[name]", name.to_string()),
            ("input[channel]", "email".to_string()),
            ("input[language]", "en".to_string()),
            ("input[subject]", subject.to_string()),
            ("input[body]", body.to_string()),
        ]
    };
    let call = |f: Vec<(&'static str, String)>| {
        let (app, admin) = (&app, &admin);
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(admin, "save_template", &pairs).await
        }
    };
    // An unknown field, and a broken tag: each named, nothing saved.
    let (status, body) = call(form(
        "welcome",
        "Hi {{ frist_name }}",
        "Balance {{ balance }} {% if %}",
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("frist_name") && text.contains("\"subject\"") && text.contains("\"body\""),
        "{text}"
    );
    let (_, list) = app.call(&admin, "list_templates", &[("program_id", &pid)]).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    let (status, saved) = call(form(
        "Welcome",
        "Welcome to {{ program }}, {{ first_name }}",
        "You have {{ balance }} {{ points_name }}.{% if expiring_points %} {{ expiring_points }} expire on {{ expiring_date }}.{% endif %}",
    ))
    .await;
    assert!(status.is_success(), "{saved}");
    assert_eq!(saved["name"], "welcome", "names are lower case");
    let (status, taken) = call(form("welcome", "Again", "Again")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(taken.to_string().contains("\"name\""), "{taken}");
    let id = saved["id"].as_i64().unwrap().to_string();
    let email: String = sqlx::query_scalar("SELECT email FROM members WHERE id = $1")
        .bind(w.member_id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let (status, preview) = app
        .call(
            &admin,
            "preview_template",
            &[("program_id", &pid), ("id", &id), ("member", &email)],
        )
        .await;
    assert!(status.is_success(), "{preview}");
    assert_eq!(
        preview["subject"],
        format!("Welcome to {}, Member", w.program.name)
    );
    let body = preview["body"].as_str().unwrap();
    assert!(body.starts_with("You have 250 Stars."), "{body}");
    assert!(body.contains("250 expire on"), "the earned lot expires: {body}");
    // A stranger is a field error on the member.
    let (status, none) = app
        .call(
            &admin,
            "preview_template",
            &[("program_id", &pid), ("id", &id), ("member", "nobody@x.io")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{none}");
    assert!(none.to_string().contains("\"member\""));
    let (status, _) = app
        .call(
            &admin,
            "send_test_template",
            &[("program_id", &pid), ("id", &id), ("member", &email)],
        )
        .await;
    assert!(status.is_success());
    let (to, subject): (String, String) = sqlx::query_as(
        "SELECT recipient, subject FROM messages WHERE kind = 'template_test' AND user_id = $1",
    )
    .bind(manager.id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(to, manager.email);
    assert!(subject.starts_with("Welcome to"));
    let (status, _) = app
        .call(&admin, "delete_template", &[("program_id", &pid), ("id", &id)])
        .await;
    assert!(status.is_success());
}

on_both_backends!(templates_are_checked_previewed_and_tested);
