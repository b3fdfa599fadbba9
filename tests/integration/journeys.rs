//! A slice through every surface over HTTP: an admin sets up a program, a member signs up and
//! joins, staff record a purchase, the member sees it, an analyst sees it in the KPIs.

use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::{client, PASSWORD};

async fn program_to_portal_to_insights(db: Db) {
    let app = crate::support::spawn_app(db.clone()).await;
    let (_, admin) = app.as_role(Role::Admin).await;
    let (status, program) = app
        .call(
            &admin,
            "save_program",
            &[
                ("input[name]", "Journey Rewards"),
                ("input[currency_name]", "Stars"),
                ("input[currency_code]", "EUR"),
                ("input[point_value_minor]", "1"),
                ("input[points_per_unit]", "10"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{program}");
    let pid = program["id"].as_i64().unwrap().to_string();
    let (status, _) = app
        .call(
            &admin,
            "save_tier",
            &[
                ("input[program_id]", &pid),
                ("input[name]", "Silver"),
                ("input[threshold_points]", "0"),
                ("input[multiplier]", "1.2"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // A member signs up on the portal, confirms the address, and joins.
    let member = client();
    let (status, me) = app
        .call(
            &member,
            "signup",
            &[
                ("input[name]", "Jo"),
                ("input[email]", "jo@x.io"),
                ("input[phone]", "+4930123456"),
                ("input[password]", PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    // The link arrives by email (the development mailbox keeps its text); opening it and
    // confirming signs the member in.
    let token = crate::signups::mailed_token(&db, "jo@x.io").await;
    let (_, pending) = app.call(&member, "load_signup_link", &[("token", &token)]).await;
    assert_eq!(pending["name"], "Jo", "{pending}");
    let (status, me) = app
        .call(
            &member,
            "confirm_signup",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let (_, joinable) = app.call(&member, "joinable_programs", &[]).await;
    assert_eq!(joinable[0]["name"], "Journey Rewards");
    assert_eq!(
        app.call(&member, "join_program", &[("program_id", &pid)]).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.call(&member, "join_program", &[("program_id", &pid)]).await.0,
        StatusCode::OK,
        "joining twice is harmless"
    );

    // Staff find the member by phone and record a purchase.
    let (_, staff) = app.as_role(Role::Staff).await;
    let (_, found) = app
        .call(&staff, "desk_search", &[("query", "+49 30 123456")])
        .await;
    let member_id = found["members"][0]["member"]["id"].as_i64().unwrap().to_string();
    let (status, receipt) = app
        .call(
            &staff,
            "record_purchase",
            &[
                ("input[member_id]", &member_id),
                ("input[program_id]", &pid),
                ("input[amount]", "12.50"),
                ("input[reference]", "T-77"),
                ("input[request_id]", "j-1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["points"], 150, "€12.50 x 10 x 1.2");

    let (_, portal) = app.call(&member, "my_portal", &[]).await;
    assert_eq!(portal["memberships"][0]["balance"], 150);
    assert_eq!(portal["memberships"][0]["tier"]["name"], "Silver");
    assert_eq!(portal["history"][0]["reference"], "T-77");

    let (_, analyst) = app.as_role(Role::Analyst).await;
    // What the server's worker does every two seconds.
    omniloyal::server::service::rollups::catch_up(&app.db)
        .await
        .unwrap();
    let (status, report) = app
        .call(
            &analyst,
            "load_insights",
            &[("q[from]", ""), ("q[to]", ""), ("q[program]", &pid)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sum = |k: &str| {
        report[k]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .sum::<i64>()
    };
    assert_eq!((sum("enrollments"), sum("points_issued")), (1, 150));
    assert!(report["points_svg"].as_str().unwrap().starts_with("<svg"));
    let (status, bad) = app
        .call(
            &analyst,
            "load_insights",
            &[("q[from]", "2026-02-30"), ("q[to]", ""), ("q[program]", "")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["fields"][0]["field"], "from");
}

on_both_backends!(program_to_portal_to_insights);
