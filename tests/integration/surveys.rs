//! Surveys and the Satisfaction dashboard: answers through the channel API and the portal,
//! one per member per period, points from the survey rules in the same transaction, bad
//! answers refused with nothing written, and every Satisfaction number against a count made
//! here from the answers table.

use omniloyal::domain::lang::Lang;
use omniloyal::model::insights::InsightsQuery;
use omniloyal::model::rules::RuleEffect;
use omniloyal::model::survey::{NpsCounts, SurveyInput};
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::query::satisfaction;
use omniloyal::server::service::{members, surveys};
use reqwest::StatusCode;
use serde_json::json;

use crate::on_both_backends;
use crate::support::fixtures::{assert_reconciles, balance, email, key_for, rule, send, world, ALL};
use crate::support::{code, make_user, spawn_app};

async fn answers(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM survey_answers")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// NPS counts of a program's answers, straight from the table (0-6, 7-8, 9-10).
async fn counted(db: &Db, program_id: i64, channel: Option<&str>) -> NpsCounts {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT score FROM survey_answers WHERE program_id = $1 AND ($2 = '' OR channel = $2)",
    )
    .bind(program_id)
    .bind(channel.unwrap_or(""))
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut c = NpsCounts::default();
    for (s,) in rows {
        if s >= 9 {
            c.promoters += 1;
        } else if s >= 7 {
            c.passives += 1;
        } else {
            c.detractors += 1;
        }
    }
    c
}

async fn answers_are_booked_once_per_period_with_their_points(db: Db) {
    let app = spawn_app(db.clone()).await;
    let w = world(&db, |_| ()).await;
    let p = w.program.id;
    let mut survey_rule = rule(p, "Surveys", 1, RuleEffect::FixedPoints { points: 30 });
    survey_rule.conditions.event_types = vec!["survey".into()];
    omniloyal::server::service::rules::save(&db, &survey_rule)
        .await
        .unwrap();
    let who = email(&db, &w).await;
    let k = key_for(&db, "app", ALL, "1000").await;
    let events = format!("/programs/{p}/events");
    let post = reqwest::Method::POST;

    // No survey open yet: the answer is refused, and nothing is written.
    let answer = json!({"member": who, "event_type": "survey", "event_id": "s-1", "score": 9, "comment": "Quick checkout"});
    let (s, b, _) = send(&app, post.clone(), &events, Some(&k), None, Some(answer.clone())).await;
    assert_eq!(
        (s, &b["fields"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("score")),
        "{b}"
    );
    assert_eq!(answers(&db).await, 0);

    // Bad input opening one: every field named.
    let bad = SurveyInput {
        program_id: "x".into(),
        question: "two\nlines".into(),
        frequency: "weekly".into(),
    };
    match surveys::open(&db, &bad).await {
        Err(omniloyal::error::AppError::Validation { fields, .. }) => {
            let named: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(named, ["program_id", "question", "frequency"]);
        }
        other => panic!("{other:?}"),
    }
    let first = surveys::open(
        &db,
        &SurveyInput {
            program_id: p.to_string(),
            question: String::new(),
            frequency: "month".into(),
        },
    )
    .await
    .unwrap();
    // Opening another closes the first: one question at a time.
    let open = surveys::open(
        &db,
        &SurveyInput {
            program_id: p.to_string(),
            question: "Would you recommend us?".into(),
            frequency: "quarter".into(),
        },
    )
    .await
    .unwrap();
    let listed = surveys::list(&db).await.unwrap();
    let state = |id: i64| listed.iter().find(|s| s.id == id).map(|s| s.active);
    assert_eq!((state(first.id), state(open.id)), (Some(false), Some(true)));

    let (s, b, _) = send(&app, post.clone(), &events, Some(&k), None, Some(answer.clone())).await;
    assert_eq!((s, &b["points"]), (StatusCode::CREATED, &json!(30)), "{b}");
    // The same event again replays; another event in the same quarter is refused.
    let (s, b, _) = send(&app, post.clone(), &events, Some(&k), None, Some(answer.clone())).await;
    assert_eq!((s, b["replayed"].as_bool()), (StatusCode::OK, Some(true)), "{b}");
    let again = json!({"member": who, "event_type": "survey", "event_id": "s-2", "score": 3});
    let (s, b, _) = send(&app, post.clone(), &events, Some(&k), None, Some(again)).await;
    assert_eq!((s, code(&b)), (StatusCode::CONFLICT, "conflict"), "{b}");
    assert_eq!(balance(&db, &w).await.0, 30, "one answer, one reward");

    // Bad answers: a field error each, nothing written, no one enrolled.
    let stranger = "nobody-yet@x.io";
    for (body, field) in [
        (
            json!({"member": who, "event_type": "survey", "event_id": "s-3", "score": 11}),
            "score",
        ),
        (
            json!({"member": who, "event_type": "survey", "event_id": "s-4", "score": -1}),
            "score",
        ),
        (
            json!({"member": who, "event_type": "survey", "event_id": "s-5", "comment": "no score"}),
            "score",
        ),
        (
            json!({"member": who, "event_type": "review", "event_id": "s-6", "score": 5}),
            "score",
        ),
        (
            json!({"member": who, "event_type": "survey", "event_id": "s-7", "score": 5, "comment": "x".repeat(1001)}),
            "comment",
        ),
        (
            json!({"member": stranger, "event_type": "survey", "event_id": "s-8", "score": 12}),
            "score",
        ),
        // While a survey is open, a survey event is an answer: without a score it pays nothing.
        (
            json!({"member": who, "event_type": "survey", "event_id": "s-11"}),
            "score",
        ),
        // Dated before the survey opened: refused.
        (
            json!({"member": who, "event_type": "survey", "event_id": "s-12", "score": 9,
                   "occurred_at": db.now().0 - 20 * 86_400}),
            "occurred_at",
        ),
    ] {
        let (s, b, _) = send(&app, post.clone(), &events, Some(&k), None, Some(body.clone())).await;
        assert_eq!(
            (s, &b["fields"][0]["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)),
            "{body} → {b}"
        );
    }
    let (s, b, _) = send(
        &app,
        post.clone(),
        &events,
        Some(&k),
        None,
        Some(json!({"member": who, "event_type": "survey", "event_id": "s-9", "score": "9"})),
    )
    .await;
    assert!(s.is_client_error(), "a score is a number: {s} {b}");
    assert_eq!(answers(&db).await, 1);

    // A second member answers on the portal: offered, answered, no longer offered.
    let email2 = format!("nps{}@x.io", rand::random::<u32>());
    let user2 = make_user(&db, Role::Member, &email2).await;
    let member2 = members::for_user(&db, user2.id).await.unwrap();
    members::join(&db, member2.id, p).await.unwrap();
    let portal = app.signed_in(&email2).await;
    let (s, offers) = app.call(&portal, "my_surveys", &[]).await;
    assert_eq!(s, StatusCode::OK, "{offers}");
    assert_eq!(offers[0]["survey_id"], json!(open.id), "{offers}");
    let survey_id = open.id.to_string();
    let (s, b) = app
        .call(&portal, "answer_my_survey", &[("survey_id", &survey_id)])
        .await;
    assert_eq!(code(&b), "validation", "no score chosen: {s} {b}");
    let (s, b) = app
        .call(
            &portal,
            "answer_my_survey",
            &[
                ("survey_id", &survey_id),
                ("score", "3"),
                ("comment", "Slow delivery"),
            ],
        )
        .await;
    assert_eq!((s, &b["points"]), (StatusCode::OK, &json!(30)), "{b}");
    let (_, offers) = app.call(&portal, "my_surveys", &[]).await;
    assert_eq!(offers, json!([]));
    // The form sent again (a double click, a second tab): the first answer, replayed.
    let (s, b) = app
        .call(
            &portal,
            "answer_my_survey",
            &[("survey_id", &survey_id), ("score", "10")],
        )
        .await;
    assert_eq!((s, b["replayed"].as_bool()), (StatusCode::OK, Some(true)), "{b}");
    // A member cannot answer a survey of a program they are not in.
    let other = world(&db, |_| ()).await;
    let theirs = surveys::open(
        &db,
        &SurveyInput {
            program_id: other.program.id.to_string(),
            question: String::new(),
            frequency: "once".into(),
        },
    )
    .await
    .unwrap();
    let (_, b) = app
        .call(
            &portal,
            "answer_my_survey",
            &[("survey_id", &theirs.id.to_string()), ("score", "10")],
        )
        .await;
    assert_eq!(code(&b), "validation", "{b}");
    assert_eq!(answers(&db).await, 2);

    // The dashboard against the table.
    let today = db.now().date().to_string();
    let q = |channel: &str| InsightsQuery {
        from: today.clone(),
        to: today.clone(),
        program: p.to_string(),
        channel: channel.into(),
        compare: "previous".into(),
        ..InsightsQuery::default()
    };
    let r = satisfaction::report(&db, Lang::ENGLISH, q("")).await.unwrap();
    assert_eq!(r.counts, counted(&db, p.get(), None).await);
    assert_eq!((r.counts.promoters, r.counts.detractors), (1, 1));
    assert_eq!(r.counts.score(), Some(0.0));
    assert_eq!(r.previous, Some(NpsCounts::default()));
    assert_eq!(r.series.iter().map(|s| s.counts.answers()).sum::<i64>(), 2);
    let channels: Vec<(&str, i64)> = r
        .by_channel
        .iter()
        .map(|c| (c.key.as_str(), c.counts.answers()))
        .collect();
    assert_eq!(channels, [("app", 1), ("web", 1)]);
    assert_eq!(r.comments_total, 2);
    assert_eq!(r.comments[0].comment, "Slow delivery", "newest first");
    assert!(r.series_svg.starts_with("<svg"));
    let web = satisfaction::report(&db, Lang::ENGLISH, q("web")).await.unwrap();
    assert_eq!(web.counts, counted(&db, p.get(), Some("web")).await);
    assert_eq!(web.counts.detractors, 1);
    let refused = satisfaction::report(
        &db,
        Lang::ENGLISH,
        InsightsQuery {
            tier: "abc".into(),
            ..q("")
        },
    )
    .await
    .unwrap_err();
    assert!(refused.field_message("tier").is_some(), "{refused:?}");

    // Closed: answers are refused again.
    surveys::set_active(&db, open.id, false).await.unwrap();
    let late = json!({"member": who, "event_type": "survey", "event_id": "s-10", "score": 8});
    let (s, b, _) = send(&app, post.clone(), &events, Some(&k), None, Some(late)).await;
    assert_eq!(
        (s, &b["fields"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("score")),
        "{b}"
    );
    // A retry of an answer booked before the survey closed still replays it.
    let (s, b, _) = send(&app, post, &events, Some(&k), None, Some(answer)).await;
    assert_eq!((s, b["replayed"].as_bool()), (StatusCode::OK, Some(true)), "{b}");
    assert_eq!(answers(&db).await, 2);
    assert_reconciles(&db, p).await;
}

/// Ten answers of one member at once, each with its own event id: one is kept and paid, the
/// others are refused as answered (none fails, none pays twice).
async fn concurrent_answers_keep_one(db: Db) {
    let w = world(&db, |_| ()).await;
    let p = w.program.id;
    let mut survey_rule = rule(p, "Surveys", 1, RuleEffect::FixedPoints { points: 40 });
    survey_rule.conditions.event_types = vec!["survey".into()];
    omniloyal::server::service::rules::save(&db, &survey_rule)
        .await
        .unwrap();
    surveys::open(
        &db,
        &SurveyInput {
            program_id: p.to_string(),
            question: String::new(),
            frequency: "year".into(),
        },
    )
    .await
    .unwrap();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..10 {
        let (db, member) = (db.clone(), w.member_id);
        set.spawn(async move {
            let input = surveys::AnswerInput {
                channel: omniloyal::model::rules::Channel::App,
                event_id: format!("race-{i}"),
                store: None,
                occurred_at: None,
                score: "8",
                comment: "",
                only: None,
            };
            surveys::answer(&db, p, member, input).await.map(|r| r.points)
        });
    }
    let (mut kept, mut refused) = (0, 0);
    while let Some(done) = set.join_next().await {
        match done.unwrap() {
            Ok(points) => {
                assert_eq!(points, 40);
                kept += 1;
            }
            Err(e) => {
                assert_eq!(e.code(), "conflict", "{e:?}");
                refused += 1;
            }
        }
    }
    assert_eq!((kept, refused), (1, 9));
    assert_eq!(answers(&db).await, 1);
    assert_eq!(balance(&db, &w).await.0, 40);
    assert_reconciles(&db, p).await;
}

on_both_backends!(
    answers_are_booked_once_per_period_with_their_points,
    concurrent_answers_keep_one
);
