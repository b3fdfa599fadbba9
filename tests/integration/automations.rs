//! Journeys on both backends with a test clock: a welcome series (message, wait, points,
//! message), a win-back after days without activity with its purchase goal and a timeout
//! branch, an expiry reminder that names the right points and date, two workers never running
//! a step twice, a condition on consent, and the editor's bad input.

use omniloyal::error::AppError;
use omniloyal::model::consent::{ConsentName, ConsentSource};
use omniloyal::model::ids::{MemberId, ProgramId};
use omniloyal::model::journey::{Journey, JourneyForm, JourneyStatus, StepRow};
use omniloyal::model::message::MessageStatus;
use omniloyal::model::order::ReturnInput;
use omniloyal::model::template::TemplateForm;
use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::service::consents::{self, By};
use omniloyal::server::service::{journeys, members, message_log, orders, rewards, templates};

use crate::on_both_backends;
use crate::support::fixtures::{order, reward_input, world};
use crate::support::{make_user, unique};

const HOUR: i64 = 3600;

async fn template(db: &Db, program: ProgramId, name: &str, channel: &str, body: &str) {
    templates::save(
        db,
        &TemplateForm {
            program_id: program,
            id: 0,
            name: name.into(),
            channel: channel.into(),
            language: "en".into(),
            subject: format!("{name} subject"),
            body: body.into(),
        },
    )
    .await
    .unwrap();
}

fn step(kind: &str, f: impl FnOnce(&mut StepRow)) -> StepRow {
    let mut row = StepRow {
        kind: kind.into(),
        ..StepRow::default()
    };
    f(&mut row);
    row
}

fn message(template: &str) -> StepRow {
    step("message", |r| {
        r.template = template.into();
        r.channel = "in_app".into();
        r.topic = "offers".into();
    })
}

async fn start(
    db: &Db,
    program: ProgramId,
    trigger: &str,
    days: &str,
    goal: &str,
    steps: Vec<StepRow>,
) -> Journey {
    let j = journeys::save(
        db,
        &JourneyForm {
            program_id: program.0,
            name: unique("journey"),
            trigger: trigger.into(),
            trigger_days: days.into(),
            goal: goal.into(),
            steps,
            ..JourneyForm::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(j.status, JourneyStatus::Draft);
    journeys::set_status(db, program, j.id, JourneyStatus::Active)
        .await
        .unwrap()
}

/// A member of `program` who consents to everything.
async fn member(db: &Db, program: ProgramId) -> MemberId {
    let user = make_user(db, Role::Member, &format!("{}@x.io", unique("m"))).await;
    let member = members::for_user(db, user.id).await.unwrap();
    members::join(db, member.id, program).await.unwrap();
    let all: Vec<(ConsentName, bool)> = ConsentName::ALL.iter().map(|n| (*n, true)).collect();
    let by = By {
        source: ConsentSource::Portal,
        user: None,
        api_key: None,
    };
    consents::change(db, member.id, &all, by).await.unwrap();
    member.id
}

async fn run(db: &Db) -> journeys::Pass {
    journeys::run(db, "http://shop.test", db.now()).await.unwrap()
}

/// The journey's messages to `member`: (subject, body).
async fn sent(db: &Db, journey: i64, member: MemberId) -> Vec<(String, String)> {
    sqlx::query_as("SELECT subject, body FROM messages WHERE journey_id = $1 AND member_id = $2 ORDER BY id")
        .bind(journey)
        .bind(member)
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

async fn balance(db: &Db, member: MemberId, program: ProgramId) -> i64 {
    sqlx::query_scalar("SELECT balance FROM memberships WHERE member_id = $1 AND program_id = $2")
        .bind(member)
        .bind(program)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn welcome_series(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let t0 = db.now();
    db.clock().stop_at(Some(t0));
    template(&db, p, "welcome", "in_app", "Welcome, {{ first_name }}!").await;
    template(
        &db,
        p,
        "thanks",
        "in_app",
        "Here are some {{ points_name }}: you have {{ balance }}.",
    )
    .await;
    let steps = vec![
        message("welcome"),
        step("wait", |r| r.hours = "48".into()),
        step("points", |r| r.points = "100".into()),
        message("thanks"),
    ];
    let j = start(&db, p, "enrolled", "", "none", steps).await;
    // The world's member joined before the journey started: not let in.
    db.clock().stop_at(Some(Timestamp(t0.0 + 10)));
    let m = member(&db, p).await;
    db.clock().stop_at(Some(Timestamp(t0.0 + 20)));
    let pass = run(&db).await;
    assert_eq!(pass.entered, 1, "{pass:?}");
    let got = sent(&db, j.id, m).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].1.starts_with("Welcome, "), "{got:?}");
    assert!(sent(&db, j.id, w.member_id).await.is_empty());
    // Nothing moves before the wait ends, however often the worker runs.
    db.clock().stop_at(Some(Timestamp(t0.0 + 20 + 47 * HOUR)));
    assert_eq!(run(&db).await.steps, 0);
    assert_eq!(balance(&db, m, p).await, 0);
    db.clock().stop_at(Some(Timestamp(t0.0 + 21 + 48 * HOUR)));
    let pass = run(&db).await;
    assert_eq!((pass.steps, pass.left), (3, 1), "{pass:?}");
    assert_eq!(balance(&db, m, p).await, 100);
    let got = sent(&db, j.id, m).await;
    assert_eq!(got.len(), 2);
    // The message after the points sees them (it is written in the same transaction).
    assert!(got[1].1.ends_with("you have 100."), "{got:?}");
    // Done: another pass, or the trigger again, sends nothing more.
    run(&db).await;
    assert_eq!(sent(&db, j.id, m).await.len(), 2);
    assert_eq!(balance(&db, m, p).await, 100);
    let report = journeys::report(&db, p, j.id).await.unwrap();
    assert_eq!((report.entered, report.active, report.done), (1, 0, 1));
    let passed: Vec<i64> = report
        .steps
        .iter()
        .map(|s| s.outcomes.iter().map(|(_, c)| c).sum())
        .collect();
    assert_eq!(passed, vec![1, 1, 1, 1]);
    assert_eq!(report.messages.iter().map(|(_, c)| c).sum::<i64>(), 2);
    // Manage looks the member up by email and sees both, waiting for the outbox.
    let email: String = sqlx::query_scalar("SELECT email FROM members WHERE id = $1")
        .bind(m)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let log = message_log::for_member(&db, p, &email).await.unwrap();
    assert_eq!(log.messages.len(), 2);
    assert!(log
        .messages
        .iter()
        .all(|x| x.kind == "journey" && x.status == MessageStatus::Pending));
    assert_eq!(log.messages[0].subject, "thanks subject", "newest first");
    // Someone who is not a member of the program is a field error.
    let stranger = message_log::for_member(&db, p, "nobody@nowhere.example")
        .await
        .unwrap_err();
    assert!(stranger.field_message("member").is_some(), "{stranger:?}");
    db.clock().stop_at(None);
}

async fn win_back_after_days_without_activity(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let t0 = db.now();
    db.clock().stop_at(Some(t0));
    template(&db, p, "miss", "in_app", "We miss you").await;
    template(&db, p, "gift", "in_app", "A gift").await;
    let buyer = member(&db, p).await;
    let idle = member(&db, p).await;
    let steps = vec![
        message("miss"),
        // No order in three days: straight to the gift.
        step("wait_for_purchase", |r| {
            r.hours = "72".into();
            r.target = "next".into();
        }),
        step("points", |r| r.points = "250".into()),
        message("gift"),
    ];
    let j = start(&db, p, "inactive", "30", "purchase", steps).await;
    // 29 days on, nobody has lapsed yet.
    db.clock().stop_at(Some(Timestamp(t0.0 + 29 * SECONDS_PER_DAY)));
    assert_eq!(run(&db).await.entered, 0);
    let active = member(&db, p).await;
    // 31 days on: the three of the start lapsed (the one who joined at day 29 did not).
    db.clock().stop_at(Some(Timestamp(t0.0 + 31 * SECONDS_PER_DAY)));
    let pass = run(&db).await;
    assert_eq!(pass.entered, 3, "{pass:?}");
    assert!(sent(&db, j.id, active).await.is_empty());
    // The daily trigger does not run again the same local day.
    assert_eq!(run(&db).await.entered, 0);
    // One buys a day later: converted, and the journey stops for them.
    db.clock().stop_at(Some(Timestamp(t0.0 + 32 * SECONDS_PER_DAY)));
    orders::record_order(&db, p, buyer, &order(&unique("o"), 5_000), None)
        .await
        .unwrap();
    let pass = run(&db).await;
    assert_eq!(pass.converted, 1, "{pass:?}");
    // The idle one times out after 72 hours and gets the gift.
    db.clock()
        .stop_at(Some(Timestamp(t0.0 + 34 * SECONDS_PER_DAY + 1)));
    run(&db).await;
    assert_eq!(balance(&db, idle, p).await, 250);
    // The bonus is not the member's activity: they are as lapsed as before.
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT last_activity_at FROM memberships WHERE member_id = $1 AND program_id = $2",
    )
    .bind(idle)
    .bind(p)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(last, None);
    assert_eq!(sent(&db, j.id, idle).await.len(), 2);
    assert_eq!(sent(&db, j.id, buyer).await.len(), 1);
    let before_buyer = balance(&db, buyer, p).await;
    run(&db).await;
    assert_eq!(
        balance(&db, buyer, p).await,
        before_buyer,
        "a converted member gets no gift"
    );
    let report = journeys::report(&db, p, j.id).await.unwrap();
    assert_eq!(report.converted, 1);
    assert_eq!(report.done, 2, "the idle member and the world's member finished");
    let wait = &report.steps[1];
    assert_eq!(wait.outcomes, vec![("timeout".to_string(), 2)]);
    // Without re-entry a member who lapses again does not come back: only the one who joined
    // on day 29 lapses now, for the first time.
    db.clock().stop_at(Some(Timestamp(t0.0 + 80 * SECONDS_PER_DAY)));
    assert_eq!(run(&db).await.entered, 1);
    assert_eq!(sent(&db, j.id, buyer).await.len(), 1);
    assert_eq!(sent(&db, j.id, active).await.len(), 1);
    db.clock().stop_at(None);
}

async fn expiry_reminder_names_the_points_and_the_date(db: Db) {
    let w = world(&db, |p| {
        p.expiry_mode = "fixed".into();
        p.expiry_months = "1".into();
    })
    .await;
    let p = w.program.id;
    let t0 = db.now();
    db.clock().stop_at(Some(t0));
    template(
        &db,
        p,
        "expiring",
        "in_app",
        "{{ expiring_points }} {{ points_name }} expire on {{ expiring_date }}",
    )
    .await;
    orders::record_order(&db, p, w.member_id, &order(&unique("o"), 12_300), None)
        .await
        .unwrap();
    let (points, expires_at): (i64, i64) = sqlx::query_as(
        "SELECT l.remaining, l.expires_at FROM point_lots l JOIN memberships ms ON ms.id = l.membership_id \
         WHERE ms.member_id = $1 AND ms.program_id = $2",
    )
    .bind(w.member_id)
    .bind(p)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let steps = vec![step("message", |r| {
        r.template = "expiring".into();
        r.channel = "in_app".into();
        r.topic = "reminders".into();
    })];
    let j = start(&db, p, "points_expiring", "7", "none", steps).await;
    assert_eq!(run(&db).await.entered, 0, "a month away is not within 7 days");
    db.clock()
        .stop_at(Some(Timestamp(expires_at - 6 * SECONDS_PER_DAY)));
    assert_eq!(run(&db).await.entered, 1);
    let got = sent(&db, j.id, w.member_id).await;
    let day = Timestamp(expires_at).date();
    let expected = format!(
        "{} Stars expire on {}",
        omniloyal::domain::lang::Lang::default().number(points),
        omniloyal::domain::lang::Lang::default().date(day)
    );
    assert_eq!(got, vec![("expiring subject".to_string(), expected)]);
    db.clock().stop_at(None);
}

async fn two_workers_never_run_a_step_twice(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    template(&db, p, "hello", "in_app", "Hello").await;
    let steps = vec![message("hello"), step("points", |r| r.points = "10".into())];
    let j = start(&db, p, "enrolled", "", "none", steps).await;
    db.clock().advance(1);
    let mut people = Vec::new();
    for _ in 0..30 {
        people.push(member(&db, p).await);
    }
    db.clock().advance(1);
    let other = db.second_server();
    let (a, b) = tokio::join!(
        journeys::run(&db, "http://a", db.now()),
        journeys::run(&other, "http://b", other.now())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.entered + b.entered, 30);
    run(&db).await;
    for m in &people {
        assert_eq!(sent(&db, j.id, *m).await.len(), 1);
        assert_eq!(balance(&db, *m, p).await, 10);
    }
    let report = journeys::report(&db, p, j.id).await.unwrap();
    assert_eq!(report.done, 30);
}

async fn a_condition_on_consent_and_a_reentry(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    template(&db, p, "sorry", "in_app", "Sorry").await;
    let steps = vec![
        step("condition", |r| {
            r.test = "opted_in".into();
            r.value = "in_app".into();
            r.target = "exit".into();
        }),
        message("sorry"),
    ];
    let mut j = journeys::save(
        &db,
        &JourneyForm {
            program_id: p.0,
            name: unique("recovery"),
            trigger: "return".into(),
            reentry: "on".into(),
            steps,
            ..JourneyForm::default()
        },
    )
    .await
    .unwrap();
    j = journeys::set_status(&db, p, j.id, JourneyStatus::Active)
        .await
        .unwrap();
    db.clock().advance(1);
    let yes = member(&db, p).await;
    let no = member(&db, p).await;
    consents::change(
        &db,
        no,
        &[(ConsentName::InApp, false)],
        By {
            source: ConsentSource::Portal,
            user: None,
            api_key: None,
        },
    )
    .await
    .unwrap();
    for m in [yes, no] {
        let id = unique("o");
        orders::record_order(&db, p, m, &order(&id, 5_000), None)
            .await
            .unwrap();
        give_back(&db, p, &id, 2_000).await;
    }
    // Two returns in one pass are two occasions, but a member is in a journey once at a time.
    let id = unique("o");
    orders::record_order(&db, p, yes, &order(&id, 5_000), None)
        .await
        .unwrap();
    give_back(&db, p, &id, 500).await;
    db.clock().advance(1);
    assert_eq!(run(&db).await.entered, 2);
    assert_eq!(sent(&db, j.id, yes).await.len(), 1);
    assert!(sent(&db, j.id, no).await.is_empty());
    let report = journeys::report(&db, p, j.id).await.unwrap();
    assert_eq!(
        report.steps[0].outcomes,
        vec![("no".to_string(), 1), ("yes".to_string(), 1)]
    );
    // A second return is a new occasion: with re-entry on, the member comes in again.
    let id = unique("o");
    orders::record_order(&db, p, yes, &order(&id, 5_000), None)
        .await
        .unwrap();
    give_back(&db, p, &id, 1_000).await;
    db.clock().advance(1);
    assert_eq!(run(&db).await.entered, 1);
    assert_eq!(sent(&db, j.id, yes).await.len(), 2);
    let report = journeys::report(&db, p, j.id).await.unwrap();
    assert_eq!(
        (report.entered, report.members),
        (3, 2),
        "three entries by two members"
    );
}

/// A member merged into another leaves the journeys they were in: the merged-away profile
/// gets nothing more, the surviving one goes on in its own place.
async fn a_merged_member_leaves_their_journeys(db: Db) {
    use omniloyal::server::service::merges;
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let t0 = db.now();
    db.clock().stop_at(Some(t0));
    template(&db, p, "hello", "in_app", "Hello").await;
    template(&db, p, "again", "in_app", "Again").await;
    let steps = vec![
        message("hello"),
        step("wait", |r| r.hours = "24".into()),
        message("again"),
    ];
    let j = start(&db, p, "enrolled", "", "none", steps).await;
    db.clock().stop_at(Some(Timestamp(t0.0 + 10)));
    let (gone, kept) = (member(&db, p).await, member(&db, p).await);
    db.clock().stop_at(Some(Timestamp(t0.0 + 20)));
    assert_eq!(run(&db).await.entered, 2);
    merges::merge(&db, gone, kept, "Same person", None).await.unwrap();
    let notes: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT e.state, e.note FROM journey_entries e JOIN memberships ms ON ms.id = e.membership_id \
         WHERE e.journey_id = $1 AND ms.member_id = $2",
    )
    .bind(j.id)
    .bind(gone)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(notes, vec![("exited".to_string(), Some("merged".to_string()))]);
    db.clock().stop_at(Some(Timestamp(t0.0 + 21 + 24 * HOUR)));
    let pass = run(&db).await;
    assert_eq!(
        (pass.steps, pass.left),
        (2, 1),
        "only the kept member's steps ran: {pass:?}"
    );
    assert_eq!(sent(&db, j.id, kept).await.len(), 2);
    let report = journeys::report(&db, p, j.id).await.unwrap();
    assert_eq!(
        (report.entered, report.members, report.done, report.exited),
        (2, 2, 1, 1)
    );
    db.clock().stop_at(None);
}

async fn give_back(db: &Db, program: ProgramId, order_id: &str, amount_minor: i64) {
    let input = ReturnInput {
        channel: omniloyal::model::rules::Channel::Web,
        returned_in: None,
        channel_order_id: order_id.into(),
        return_id: unique("r"),
        amount_minor,
    };
    orders::record_return(db, program, &input, None).await.unwrap();
}

fn field_errors(e: AppError) -> Vec<(String, String)> {
    match e {
        AppError::Validation { fields, .. } => fields.into_iter().map(|f| (f.field, f.message)).collect(),
        e => panic!("not a validation error: {e:?}"),
    }
}

async fn bad_journeys_are_refused_and_nothing_is_saved(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    template(&db, p, "hello", "in_app", "Hello").await;
    let looped = JourneyForm {
        program_id: p.0,
        name: "Loop".into(),
        trigger: "enrolled".into(),
        steps: vec![
            message("hello"),
            step("condition", |r| {
                r.test = "purchased".into();
                r.target = "1".into();
            }),
            message("unknown"),
        ],
        ..JourneyForm::default()
    };
    let errors = field_errors(journeys::save(&db, &looped).await.unwrap_err());
    let names: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, vec!["steps.1.target", "steps.2.template"]);
    assert!(errors[1].1.contains("\"unknown\""), "{errors:?}");
    assert!(journeys::list(&db, p).await.unwrap().is_empty());
    // A sound one saves; while it runs it cannot be edited; with members it cannot be deleted.
    let mut form = JourneyForm {
        steps: vec![message("hello")],
        ..looped
    };
    let j = journeys::save(&db, &form).await.unwrap();
    journeys::set_status(&db, p, j.id, JourneyStatus::Active)
        .await
        .unwrap();
    form.id = j.id.to_string();
    assert!(matches!(
        journeys::save(&db, &form).await,
        Err(AppError::Conflict { .. })
    ));
    db.clock().advance(1);
    member(&db, p).await;
    db.clock().advance(1);
    run(&db).await;
    assert!(matches!(
        journeys::delete(&db, p, j.id).await,
        Err(AppError::Conflict { .. })
    ));
    // The same name twice is a field error.
    let again = JourneyForm {
        id: String::new(),
        ..form.clone()
    };
    let errors = field_errors(journeys::save(&db, &again).await.unwrap_err());
    assert_eq!(errors[0].0, "name");
    // Paused, it may be edited; a removed step's members leave instead of landing elsewhere.
    journeys::set_status(&db, p, j.id, JourneyStatus::Paused)
        .await
        .unwrap();
    form.steps = vec![step("wait", |r| r.hours = "5".into()), message("hello")];
    let edited = journeys::save(&db, &form).await.unwrap();
    assert_eq!(edited.steps.iter().map(|s| s.id).collect::<Vec<_>>(), vec![2, 3]);
}

async fn an_edit_re_times_waiting_members(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let t0 = db.now();
    db.clock().stop_at(Some(t0));
    template(&db, p, "later", "in_app", "Later").await;
    let steps = vec![step("wait", |r| r.hours = "48".into()), message("later")];
    let j = start(&db, p, "enrolled", "", "none", steps).await;
    db.clock().stop_at(Some(Timestamp(t0.0 + 1)));
    let m = member(&db, p).await;
    db.clock().stop_at(Some(Timestamp(t0.0 + 2)));
    assert_eq!(run(&db).await.entered, 1);
    // Paused, the wait is cut to an hour; started again two hours on, the message goes.
    journeys::set_status(&db, p, j.id, JourneyStatus::Paused)
        .await
        .unwrap();
    let mut form = JourneyForm::of(&journeys::get(&db, p, j.id).await.unwrap());
    form.steps[0].hours = "1".into();
    journeys::save(&db, &form).await.unwrap();
    journeys::set_status(&db, p, j.id, JourneyStatus::Active)
        .await
        .unwrap();
    // A second Start changes nothing (the trigger's window is kept).
    journeys::set_status(&db, p, j.id, JourneyStatus::Active)
        .await
        .unwrap();
    db.clock().stop_at(Some(Timestamp(t0.0 + 2 * HOUR)));
    run(&db).await;
    assert_eq!(sent(&db, j.id, m).await.len(), 1);
    db.clock().stop_at(None);
}

async fn a_reward_then_a_message_after_a_wait_names_the_offer(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let t0 = db.now();
    db.clock().stop_at(Some(t0));
    let coffee = rewards::save(&db, &reward_input(p, "Free coffee", "500"))
        .await
        .unwrap();
    template(&db, p, "gift", "in_app", "Your gift: {{ offer }}").await;
    let steps = vec![
        step("reward", |r| r.reward_id = coffee.id.to_string()),
        step("wait", |r| r.hours = "24".into()),
        message("gift"),
    ];
    let j = start(&db, p, "enrolled", "", "none", steps).await;
    db.clock().stop_at(Some(Timestamp(t0.0 + 1)));
    let m = member(&db, p).await;
    db.clock().stop_at(Some(Timestamp(t0.0 + 2)));
    run(&db).await;
    // The reward is the member's, free, once.
    let codes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM issued_rewards i JOIN memberships ms ON ms.id = i.membership_id \
         WHERE ms.member_id = $1 AND i.reward_id = $2 AND i.points = 0",
    )
    .bind(m)
    .bind(coffee.id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(codes, 1);
    db.clock().stop_at(Some(Timestamp(t0.0 + 2 + 24 * HOUR)));
    run(&db).await;
    assert_eq!(sent(&db, j.id, m).await[0].1, "Your gift: Free coffee");
    db.clock().stop_at(None);
}

async fn birthdays_missed_while_the_worker_was_down_are_caught_up(db: Db) {
    use chrono::Datelike;
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    // Noon, so that a day's jumps stay on their day in UTC (the program's zone).
    let t0 = Timestamp(Timestamp::start_of(db.now().date()).0 + 12 * HOUR);
    db.clock().stop_at(Some(t0));
    let born = |days: i64| {
        let d = t0.date() + chrono::Duration::days(days);
        let year = if d.month() == 2 && d.day() == 29 {
            1992
        } else {
            1990
        };
        format!("{year}-{:02}-{:02}", d.month(), d.day())
    };
    template(&db, p, "cake", "in_app", "Happy birthday").await;
    let before = member(&db, p).await;
    members::set_birth_date(&db, before, &born(-1)).await.unwrap();
    let missed = member(&db, p).await;
    members::set_birth_date(&db, missed, &born(1)).await.unwrap();
    let j = journeys::save(
        &db,
        &JourneyForm {
            program_id: p.0,
            name: unique("birthday"),
            trigger: "birthday".into(),
            reentry: "on".into(),
            steps: vec![message("cake")],
            ..JourneyForm::default()
        },
    )
    .await
    .unwrap();
    journeys::set_status(&db, p, j.id, JourneyStatus::Active)
        .await
        .unwrap();
    // Started today: yesterday's birthday is not caught up.
    run(&db).await;
    assert!(sent(&db, j.id, before).await.is_empty());
    // The worker is down tomorrow; the day after, tomorrow's birthday is caught up, once.
    db.clock().stop_at(Some(Timestamp(t0.0 + 2 * SECONDS_PER_DAY)));
    run(&db).await;
    run(&db).await;
    assert_eq!(sent(&db, j.id, missed).await.len(), 1);
    assert!(sent(&db, j.id, before).await.is_empty());
    db.clock().stop_at(None);
}

/// A template version a journey still sends cannot be deleted, or renamed away, while it is
/// the last of its name on its channel; another language of it, or a draft, frees it.
async fn a_template_a_journey_sends_is_kept(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let save = |name: &str, language: &str| {
        let form = TemplateForm {
            program_id: p,
            id: 0,
            name: name.into(),
            channel: "in_app".into(),
            language: language.into(),
            subject: "Hello".into(),
            body: "Hello".into(),
        };
        let db = db.clone();
        async move { templates::save(&db, &form).await.unwrap() }
    };
    let english = save("hello", "en").await;
    let draft_only = save("later", "en").await;
    let j = start(&db, p, "enrolled", "", "", vec![message("hello")]).await;
    let drafted = journeys::save(
        &db,
        &JourneyForm {
            program_id: p.0,
            name: unique("draft"),
            trigger: "enrolled".into(),
            steps: vec![message("later")],
            ..JourneyForm::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(drafted.status, JourneyStatus::Draft);
    let refused = |r: Result<(), AppError>| match r {
        Err(AppError::Conflict { message, .. }) => message,
        other => panic!("not refused: {other:?}"),
    };
    let message = refused(templates::delete(&db, p, english.id).await);
    assert!(
        message.contains(&j.name) && message.contains("hello"),
        "{message}"
    );
    // Renamed, the journey's name would find nothing either.
    let renamed = TemplateForm {
        name: "hi".into(),
        ..TemplateForm::of(&english)
    };
    let errors = field_errors(templates::save(&db, &renamed).await.unwrap_err());
    assert_eq!(errors[0].0, "name");
    // Paused, the journey still holds members who will reach the step.
    journeys::set_status(&db, p, j.id, JourneyStatus::Paused)
        .await
        .unwrap();
    refused(templates::delete(&db, p, english.id).await);
    // With an Arabic version, the English one may go; then the Arabic is the last.
    let arabic = save("hello", "ar").await;
    templates::delete(&db, p, english.id).await.unwrap();
    refused(templates::delete(&db, p, arabic.id).await);
    let kinds: Vec<i64> = omniloyal::server::store::templates::list(&db, p)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert!(kinds.contains(&arabic.id) && !kinds.contains(&english.id));
    // A draft's template is not in use yet; but the draft cannot start without it.
    templates::delete(&db, p, draft_only.id).await.unwrap();
    assert!(matches!(
        templates::delete(&db, p, draft_only.id).await,
        Err(AppError::NotFound { .. })
    ));
    let message = refused(
        journeys::set_status(&db, p, drafted.id, JourneyStatus::Active)
            .await
            .map(|_| ()),
    );
    assert!(message.contains("later"), "{message}");
    // Paused, it starts again while its template has a version left.
    journeys::set_status(&db, p, j.id, JourneyStatus::Active)
        .await
        .unwrap();
}

on_both_backends!(
    a_merged_member_leaves_their_journeys,
    a_template_a_journey_sends_is_kept,
    birthdays_missed_while_the_worker_was_down_are_caught_up,
    a_reward_then_a_message_after_a_wait_names_the_offer,
    an_edit_re_times_waiting_members,
    welcome_series,
    win_back_after_days_without_activity,
    expiry_reminder_names_the_points_and_the_date,
    two_workers_never_run_a_step_twice,
    a_condition_on_consent_and_a_reentry,
    bad_journeys_are_refused_and_nothing_is_saved,
);
