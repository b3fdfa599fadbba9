//! Every server function, called by a visitor and by every role: who gets in, who is turned
//! away with which answer, and that refused calls change nothing. The table must name every
//! registered server function, so a new one cannot ship without a row here.

use omniloyal::model::ids::MemberId;
use std::collections::BTreeSet;

use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::service::{members, tiers};
use omniloyal::server::store::programs;
use reqwest::StatusCode;

use crate::on_both_backends;
use crate::support::fixtures::{program_input, tier_input};
use crate::support::{client, code};
use omniloyal::server::query::member_view;

/// Who may call a function. `Open` functions answer everyone (sign-in, sign-up, who-am-I).
#[derive(Debug, Clone, Copy)]
enum Allowed {
    Open,
    Roles(&'static [Role]),
}

/// A server function, who may call it, and form arguments that make a valid call.
type Row = (&'static str, Allowed, Vec<(&'static str, String)>);

const ADMIN: &[Role] = &[Role::Admin];
const DESK: &[Role] = &[Role::Admin, Role::Staff];
const INSIGHTS: &[Role] = &[Role::Admin, Role::Analyst];
const MEMBER: &[Role] = &[Role::Member];
const SIGNED_IN: &[Role] = &[Role::Admin, Role::Staff, Role::Analyst, Role::Member];

async fn every_server_function_checks_the_callers_role(db: Db) {
    let app = crate::support::spawn_app(db).await;
    let program = programs::save(&app.db, &program_input("Authz")).await.unwrap();
    tiers::save_tier(&app.db, &tier_input(program.id, "Green", "0", "1"))
        .await
        .unwrap();
    let (_, admin) = app.as_role(Role::Admin).await;
    let (_, analyst) = app.as_role(Role::Analyst).await;
    let (_, staff) = app.as_role(Role::Staff).await;
    let (member_user, member) = app.as_role(Role::Member).await;
    let member_id = members::for_user(&app.db, member_user.id)
        .await
        .unwrap()
        .id
        .to_string();
    let pid = program.id.to_string();
    // A reward the member cannot afford: redeeming it is let in but refused for points.
    let reward = omniloyal::server::service::rewards::save(
        &app.db,
        &omniloyal::model::reward::RewardInput {
            program_id: program.id,
            name: "Authz coffee".into(),
            kind: "free_product".into(),
            sku: "COFFEE".into(),
            cost_points: "100000".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let reward_id = reward.id.to_string();
    let callers: [(Option<Role>, &reqwest::Client); 5] = [
        (None, &client()),
        (Some(Role::Admin), &admin),
        (Some(Role::Analyst), &analyst),
        (Some(Role::Staff), &staff),
        (Some(Role::Member), &member),
    ];

    let table: Vec<Row> = vec![
        ("current_user", Allowed::Open, vec![]),
        (
            "login",
            Allowed::Open,
            vec![
                ("email", "nobody@x.io".into()),
                ("password", "wrong password".into()),
            ],
        ),
        ("logout", Allowed::Open, vec![]),
        (
            "signup",
            Allowed::Open,
            vec![
                ("input[name]", "".into()),
                ("input[email]", "bad".into()),
                ("input[password]", "x".into()),
            ],
        ),
        ("load_signup_link", Allowed::Open, vec![("token", "nope".into())]),
        (
            "confirm_signup",
            Allowed::Open,
            vec![("token", "nope".into()), ("password", "nope".into())],
        ),
        ("load_email_change", Allowed::Open, vec![("token", "nope".into())]),
        (
            "confirm_email_change",
            Allowed::Open,
            vec![("token", "nope".into()), ("password", "nope".into())],
        ),
        ("load_email_undo", Allowed::Open, vec![("token", "nope".into())]),
        ("undo_email_change", Allowed::Open, vec![("token", "nope".into())]),
        (
            "change_my_password",
            Allowed::Roles(SIGNED_IN),
            vec![
                ("current_password", "not the password".into()),
                ("new_password", "a long enough password".into()),
            ],
        ),
        (
            "change_my_email",
            Allowed::Roles(SIGNED_IN),
            vec![
                ("new_email", "someone-new@x.io".into()),
                ("current_password", "not the password".into()),
            ],
        ),
        ("list_programs", Allowed::Roles(ADMIN), vec![]),
        ("get_program", Allowed::Roles(ADMIN), vec![("id", pid.clone())]),
        (
            "save_program",
            Allowed::Roles(ADMIN),
            vec![
                ("input[id]", pid.clone()),
                ("input[name]", "Authz renamed".into()),
                ("input[currency_name]", "Stars".into()),
                ("input[currency_code]", "EUR".into()),
                ("input[point_value_minor]", "1".into()),
                ("input[points_per_unit]", "10".into()),
            ],
        ),
        (
            "save_tier",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", pid.clone()),
                ("input[name]", "Gold".into()),
                ("input[threshold_points]", "5000".into()),
                ("input[multiplier]", "2".into()),
            ],
        ),
        (
            "delete_tier",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("tier_id", "999999".into())],
        ),
        ("list_staff_users", Allowed::Roles(ADMIN), vec![]),
        (
            "set_account_enabled",
            Allowed::Roles(ADMIN),
            vec![("id", "999999".into()), ("enabled", "false".into())],
        ),
        (
            "reset_account_password",
            Allowed::Roles(ADMIN),
            vec![
                ("id", "999999".into()),
                ("password", "a long enough password".into()),
            ],
        ),
        (
            "change_account_role",
            Allowed::Roles(ADMIN),
            vec![("id", "999999".into()), ("role", "staff".into())],
        ),
        (
            "create_user",
            Allowed::Roles(ADMIN),
            vec![
                ("input[display_name]", "New".into()),
                ("input[email]", "new@x.io".into()),
                ("input[role]", "staff".into()),
                ("input[password]", "too short".into()),
            ],
        ),
        (
            "desk_search",
            Allowed::Roles(DESK),
            vec![("query", member_user.email.clone())],
        ),
        (
            "record_purchase",
            Allowed::Roles(DESK),
            vec![
                ("input[member_id]", member_id.clone()),
                ("input[program_id]", pid.clone()),
                ("input[amount]", "10".into()),
                ("input[reference]", "".into()),
                ("input[request_id]", "authz-1".into()),
            ],
        ),
        ("my_portal", Allowed::Roles(MEMBER), vec![]),
        ("my_consents", Allowed::Roles(MEMBER), vec![]),
        ("my_inbox", Allowed::Roles(MEMBER), vec![]),
        (
            "program_messages",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "save_message_settings",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", pid.clone()),
                ("input[time_zone]", "Nowhere/Else".into()),
            ],
        ),
        ("dev_mailbox", Allowed::Roles(ADMIN), vec![]),
        (
            "find_member_messages",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("member", "x".into())],
        ),
        (
            "load_journey_choices",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "list_journeys",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "load_journey_form",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "save_journey",
            Allowed::Roles(ADMIN),
            vec![("input[program_id]", pid.clone()), ("input[name]", "".into())],
        ),
        (
            "set_journey_status",
            Allowed::Roles(ADMIN),
            vec![
                ("program_id", pid.clone()),
                ("id", "0".into()),
                ("status", "paused".into()),
            ],
        ),
        (
            "delete_journey",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "0".into())],
        ),
        (
            "load_journey_report",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "0".into())],
        ),
        (
            "list_templates",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "save_template",
            Allowed::Roles(ADMIN),
            vec![("input[program_id]", pid.clone()), ("input[name]", "".into())],
        ),
        (
            "delete_template",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "0".into())],
        ),
        (
            "preview_template",
            Allowed::Roles(ADMIN),
            vec![
                ("program_id", pid.clone()),
                ("id", "0".into()),
                ("member", "x".into()),
            ],
        ),
        (
            "send_test_template",
            Allowed::Roles(ADMIN),
            vec![
                ("program_id", pid.clone()),
                ("id", "0".into()),
                ("member", "x".into()),
            ],
        ),
        (
            "mark_my_messages_read",
            Allowed::Roles(MEMBER),
            vec![("id", "0".into())],
        ),
        (
            "request_password_reset",
            Allowed::Open,
            vec![("email", "nobody@x.io".into())],
        ),
        (
            "reset_password",
            Allowed::Open,
            vec![
                ("token", "nonsense".into()),
                ("password", "long enough password".into()),
            ],
        ),
        (
            "set_my_consents",
            Allowed::Roles(MEMBER),
            vec![
                ("input[form]", "consents".into()),
                ("input[granted][]", "fax".into()),
            ],
        ),
        ("joinable_programs", Allowed::Roles(MEMBER), vec![]),
        (
            "join_program",
            Allowed::Roles(MEMBER),
            vec![("program_id", pid.clone())],
        ),
        (
            "redeem_reward",
            Allowed::Roles(DESK),
            vec![
                ("input[member_id]", member_id.clone()),
                ("input[reward_id]", reward_id.clone()),
                ("input[request_id]", "authz-redeem".into()),
            ],
        ),
        (
            "use_reward_code",
            Allowed::Roles(DESK),
            vec![
                ("input[code]", "RW-NONE-NONE".into()),
                ("input[pin]", "0000".into()),
            ],
        ),
        (
            "adjust_points",
            Allowed::Roles(DESK),
            vec![
                ("input[member_id]", member_id.clone()),
                ("input[program_id]", pid.clone()),
                ("input[points]", "-5".into()),
                ("input[reason]", "".into()),
                ("input[request_id]", "authz-adjust".into()),
            ],
        ),
        (
            "redeem_my_reward",
            Allowed::Roles(MEMBER),
            vec![
                ("reward_id", reward_id.clone()),
                ("request_id", "authz-my-redeem".into()),
            ],
        ),
        (
            "list_rewards",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "save_reward",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", pid.clone()),
                ("input[name]", "".into()),
                ("input[kind]", "free_product".into()),
                ("input[cost_points]", "10".into()),
            ],
        ),
        (
            "deactivate_reward",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("reward_id", "999999".into())],
        ),
        (
            "list_rules",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "save_rule",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", pid.clone()),
                ("input[name]", "".into()),
                ("input[priority]", "1".into()),
                ("input[stacking]", "stack".into()),
                ("input[effect_kind]", "fixed_points".into()),
                ("input[effect_value]", "5".into()),
            ],
        ),
        (
            "delete_rule",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("rule_id", "999999".into())],
        ),
        (
            "preview_award",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", pid.clone()),
                ("input[event_type]", "purchase".into()),
                ("input[channel]", "web".into()),
                ("input[amount]", "10".into()),
            ],
        ),
        (
            "list_segments",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "preview_segment",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", pid.clone()),
                ("input[name]", "Authz".into()),
                ("input[rows][0][kind]", "balance".into()),
                ("input[rows][0][min]", "10".into()),
            ],
        ),
        (
            "count_segment",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", pid.clone()),
                ("input[rows][0][kind]", "orders".into()),
                ("input[rows][0][min]", "1".into()),
            ],
        ),
        (
            "save_segment",
            Allowed::Roles(ADMIN),
            vec![("input[program_id]", pid.clone()), ("input[name]", "".into())],
        ),
        (
            "load_segment_form",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "999999".into())],
        ),
        (
            "segment_sample",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "999999".into())],
        ),
        (
            "delete_segment",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "999999".into())],
        ),
        (
            "refresh_segments",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "list_campaigns",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "load_campaign_form",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "999999".into())],
        ),
        (
            "save_campaign",
            Allowed::Roles(ADMIN),
            vec![("input[program_id]", pid.clone()), ("input[name]", "".into())],
        ),
        (
            "launch_campaign",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "999999".into())],
        ),
        (
            "stop_campaign",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "999999".into())],
        ),
        (
            "delete_campaign",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "999999".into())],
        ),
        (
            "load_campaign_report",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("id", "999999".into())],
        ),
        (
            "claim_offer",
            Allowed::Roles(MEMBER),
            vec![("program_id", pid.clone()), ("campaign_id", "999999".into())],
        ),
        (
            "give_offer",
            Allowed::Roles(DESK),
            vec![
                ("member_id", member_id.clone()),
                ("program_id", pid.clone()),
                ("campaign_id", "999999".into()),
            ],
        ),
        ("list_stores", Allowed::Roles(ADMIN), vec![]),
        (
            "save_store",
            Allowed::Roles(ADMIN),
            vec![
                ("input[code]", "bad code".into()),
                ("input[name]", "".into()),
                ("input[channel]", "store".into()),
                ("input[time_zone]", "Nowhere".into()),
            ],
        ),
        (
            "set_store_active",
            Allowed::Roles(ADMIN),
            vec![("id", "999999".into()), ("active", "false".into())],
        ),
        ("list_webhooks", Allowed::Roles(ADMIN), vec![]),
        (
            "create_webhook",
            Allowed::Roles(ADMIN),
            vec![("input[url]", "not a url".into())],
        ),
        (
            "disable_webhook",
            Allowed::Roles(ADMIN),
            vec![("id", "999999".into())],
        ),
        ("list_api_keys", Allowed::Roles(ADMIN), vec![]),
        (
            "create_api_key",
            Allowed::Roles(ADMIN),
            vec![("input[name]", "".into()), ("input[channel]", "store".into())],
        ),
        (
            "revoke_api_key",
            Allowed::Roles(ADMIN),
            vec![("id", "999999".into())],
        ),
        ("list_card_batches", Allowed::Roles(ADMIN), vec![]),
        (
            "create_card_batch",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", pid.clone()),
                ("input[label]", "".into()),
                ("input[size]", "0".into()),
            ],
        ),
        (
            "card_batch_print",
            Allowed::Roles(ADMIN),
            vec![("batch_id", "999999".into())],
        ),
        (
            "list_stamp_cards",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone())],
        ),
        (
            "save_stamp_card",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", pid.clone()),
                ("input[name]", "".into()),
                ("input[stamps_required]", "1".into()),
                ("input[reward_id]", "".into()),
            ],
        ),
        (
            "deactivate_stamp_card",
            Allowed::Roles(ADMIN),
            vec![("program_id", pid.clone()), ("stamp_card_id", "999999".into())],
        ),
        (
            "link_card",
            Allowed::Roles(DESK),
            vec![
                ("input[member_id]", member_id.clone()),
                ("input[card_number]", "123".into()),
            ],
        ),
        (
            "merge_members",
            Allowed::Roles(DESK),
            vec![
                ("input[target_member_id]", member_id.clone()),
                ("input[source]", "nobody@x.io".into()),
                ("input[reason]", "Authz test".into()),
            ],
        ),
        (
            "reverse_merge",
            Allowed::Roles(DESK),
            vec![("merge_id", "999999".into())],
        ),
        (
            "start_card",
            Allowed::Roles(DESK),
            vec![("card_number", "123".into())],
        ),
        ("list_adjustment_requests", Allowed::Roles(ADMIN), vec![]),
        (
            "decide_adjustment",
            Allowed::Roles(ADMIN),
            vec![("id", "999999".into()), ("approve", "true".into())],
        ),
        (
            "add_paper_stamps",
            Allowed::Roles(DESK),
            vec![
                ("input[member_id]", member_id.clone()),
                ("input[stamp_card_id]", "999999".into()),
                ("input[stamps]", "1".into()),
                ("input[paper_serial]", "P-1".into()),
            ],
        ),
        (
            "link_my_card",
            Allowed::Roles(MEMBER),
            vec![
                ("input[card_number]", "123".into()),
                ("input[security_code]", "".into()),
            ],
        ),
        (
            "set_my_birth_date",
            Allowed::Roles(MEMBER),
            vec![("birth_date", "not a date".into())],
        ),
        (
            "load_insights",
            Allowed::Roles(INSIGHTS),
            [
                "q[from]",
                "q[to]",
                "q[program]",
                "q[channel]",
                "q[store]",
                "q[tier]",
                "q[compare]",
                "q[rate]",
            ]
            .into_iter()
            .map(|k| (k, String::new()))
            .collect(),
        ),
        (
            "insight_filters",
            Allowed::Roles(INSIGHTS),
            vec![("program_id", "0".into())],
        ),
        (
            "load_value",
            Allowed::Roles(INSIGHTS),
            vec![("program", "".into())],
        ),
        (
            "load_satisfaction",
            Allowed::Roles(INSIGHTS),
            vec![("q[from]", String::new())],
        ),
        (
            "load_retention",
            Allowed::Roles(INSIGHTS),
            vec![("q[from]", String::new())],
        ),
        (
            "load_channels",
            Allowed::Roles(INSIGHTS),
            vec![("q[from]", String::new())],
        ),
        (
            "load_tiers",
            Allowed::Roles(INSIGHTS),
            vec![("q[from]", String::new())],
        ),
        (
            "load_rewards",
            Allowed::Roles(INSIGHTS),
            vec![("q[from]", String::new())],
        ),
        ("list_surveys", Allowed::Roles(ADMIN), vec![]),
        (
            "open_survey",
            Allowed::Roles(ADMIN),
            vec![
                ("input[program_id]", "x".into()),
                ("input[question]", "".into()),
                ("input[frequency]", "never".into()),
            ],
        ),
        (
            "set_survey_active",
            Allowed::Roles(ADMIN),
            vec![("id", "0".into()), ("active", "false".into())],
        ),
        ("my_surveys", Allowed::Roles(MEMBER), vec![]),
        (
            "answer_my_survey",
            Allowed::Roles(MEMBER),
            vec![("survey_id", "0".into()), ("score", "5".into())],
        ),
    ];

    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_string())
        .collect();
    let covered: BTreeSet<String> = table.iter().map(|(name, ..)| name.to_string()).collect();
    assert_eq!(
        registered, covered,
        "the table names exactly the registered server functions"
    );

    for (name, allowed, args) in &table {
        let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for (role, c) in &callers {
            if *name == "logout" && role.is_some() {
                continue; // signing these callers out would spoil the rest of the table
            }
            let (status, body) = app.call(c, name, &form).await;
            let who = role.map(Role::as_str).unwrap_or("visitor");
            match (allowed, role) {
                (Allowed::Open, _) => {
                    assert!(
                        !matches!(code(&body), "forbidden" | "unauthenticated"),
                        "{name} as {who}: {status} {body}"
                    )
                }
                (Allowed::Roles(roles), Some(r)) if roles.contains(r) => {
                    assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "{name} as {who} should be let in: {status} {body}"
                    );
                    assert!(
                        status != StatusCode::INTERNAL_SERVER_ERROR,
                        "{name} as {who}: {body}"
                    );
                }
                (Allowed::Roles(_), Some(_)) => {
                    assert_eq!(
                        (status, code(&body)),
                        (StatusCode::FORBIDDEN, "forbidden"),
                        "{name} as {who}"
                    )
                }
                (Allowed::Roles(_), None) => {
                    assert_eq!(
                        (status, code(&body)),
                        (StatusCode::UNAUTHORIZED, "unauthenticated"),
                        "{name} as {who}"
                    )
                }
            }
        }
    }

    // Refused calls changed nothing: only the admin's rename, tier and the staff/admin purchase
    // (booked once, as both used the same request id) went through.
    let p = programs::get(&app.db, program.id).await.unwrap();
    assert_eq!(p.name, "Authz renamed");
    assert_eq!(programs::tiers(&app.db, program.id).await.unwrap().len(), 2);
    let mid: MemberId = member_id.parse().unwrap();
    assert_eq!(member_view::history(&app.db, mid, 10).await.unwrap().len(), 1);
}

async fn members_see_only_their_own_data(db: Db) {
    let app = crate::support::spawn_app(db).await;
    let program = programs::save(&app.db, &program_input("Own")).await.unwrap();
    let (_, staff) = app.as_role(Role::Staff).await;
    let (ann_user, ann) = app.as_role(Role::Member).await;
    let (bob_user, bob) = app.as_role(Role::Member).await;
    let ann_id = members::for_user(&app.db, ann_user.id).await.unwrap().id;
    let (status, _) = app
        .call(
            &staff,
            "record_purchase",
            &[
                ("input[member_id]", &ann_id.to_string()),
                ("input[program_id]", &program.id.to_string()),
                ("input[amount]", "20"),
                ("input[reference]", ""),
                ("input[request_id]", "own-1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, ann_view) = app.call(&ann, "my_portal", &[]).await;
    let (_, bob_view) = app.call(&bob, "my_portal", &[]).await;
    assert_eq!(ann_view["member"]["email"], ann_user.email.as_str());
    assert_eq!(ann_view["memberships"][0]["balance"], 200);
    assert_eq!(bob_view["member"]["email"], bob_user.email.as_str());
    assert_eq!(
        bob_view["memberships"].as_array().unwrap().len(),
        0,
        "Bob sees none of Ann's points"
    );
    assert_eq!(bob_view["history"].as_array().unwrap().len(), 0);
    // Members cannot reach the desk's lookup either.
    let (status, _) = app
        .call(&bob, "desk_search", &[("query", ann_user.email.as_str())])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

on_both_backends!(
    every_server_function_checks_the_callers_role,
    members_see_only_their_own_data
);
