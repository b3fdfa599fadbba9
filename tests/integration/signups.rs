//! Sign-up confirmed by email: nothing is an account until the link is opened, the answer is
//! the same whether or not the address has an account, only the newest link works, and a
//! profile a store made for the address is claimed with its points.

use omniloyal::error::AppError;
use omniloyal::model::rules::Channel;
use omniloyal::model::user::{Role, SignupInput};
use omniloyal::server::auth::password;
use omniloyal::server::config::Messaging;
use omniloyal::server::db::Db;
use omniloyal::server::outbox::adapters::Adapters;
use omniloyal::server::outbox::messages::deliver_due;
use omniloyal::server::service::members::{self, JoinedIn, Saved};
use omniloyal::server::service::signups::{self, Requested};
use omniloyal::server::store::{signup_requests, users};

use crate::messages::{adapters, SmtpServer};
use crate::on_both_backends;
use crate::support::fixtures::world;
use crate::support::{client, make_user, spawn_app, unique, PASSWORD};

fn input(name: &str, email: &str, phone: &str) -> SignupInput {
    SignupInput {
        name: name.into(),
        email: email.into(),
        phone: phone.into(),
        password: PASSWORD.into(),
        referral_code: String::new(),
        birth_date: String::new(),
    }
}

async fn ask(db: &Db, input: &SignupInput) -> Requested {
    let ready = signups::check(db, input).await.unwrap();
    signups::request(db, ready).await.unwrap()
}

async fn count(db: &Db, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// Sends what is due through `smtp`; the newest email to `to`.
async fn newest_email_to(db: &Db, smtp: &SmtpServer, to: &str) -> String {
    deliver_due(db, &adapters(Some(smtp.url()), "http://shop.example"), db.now())
        .await
        .unwrap();
    smtp.in_order()
        .into_iter()
        .rfind(|m| m.contains(to))
        .unwrap_or_else(|| panic!("no email to {to}"))
}

/// The token of the sign-up link the outbox mails to `email`, read from the development
/// mailbox (which keeps the text it sent), once the sign-up written off the request is there.
pub(crate) async fn mailed_token(db: &Db, email: &str) -> String {
    let settings = Messaging {
        dev_mailbox: true,
        ..Messaging::default()
    };
    let mailbox = Adapters::new(&settings, "http://shop.example".into()).unwrap();
    for _ in 0..100 {
        deliver_due(db, &mailbox, db.now()).await.unwrap();
        let body: Option<String> = sqlx::query_scalar(
            "SELECT body FROM messages WHERE kind = 'verify_signup' AND recipient = $1 AND status = 'sent' \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(email)
        .fetch_optional(&db.pool)
        .await
        .unwrap();
        if let Some(body) = body {
            return link_in(&body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no sign-up link was mailed to {email}");
}

fn link_in(mail: &str) -> String {
    mail.split("http://shop.example/verify-email?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no confirmation link in {mail}"))
        .to_string()
}

async fn nothing_is_an_account_until_the_link_is_confirmed(db: Db) {
    let smtp = SmtpServer::start().await;
    let email = format!("{}@x.io", unique("mia"));
    let asked = ask(&db, &input("Mia", &email.to_uppercase(), "+49 151 1234567")).await;
    assert!(matches!(asked, Requested::Pending(_)), "{asked:?}");
    assert!(users::find_credentials(&db, &email).await.unwrap().is_none());
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM members WHERE email = $1", &email).await,
        0
    );

    let mail = newest_email_to(&db, &smtp, &email).await;
    assert!(mail.contains("Confirm your email address"), "{mail}");
    let token = link_in(&mail);
    // Only the token's hash is kept, and no stored text holds the link.
    let stored = count(
        &db,
        "SELECT (SELECT COUNT(*) FROM signup_requests WHERE token_hash = $1) \
         + (SELECT COUNT(*) FROM messages WHERE body LIKE '%' || $1 || '%')",
        &token,
    )
    .await;
    assert_eq!(stored, 0);
    let pending = signups::pending(&db, &token).await.unwrap().unwrap();
    assert_eq!(
        (pending.name.as_str(), pending.email.as_str()),
        ("Mia", email.as_str())
    );

    let made = signups::confirm(&db, &token).await.unwrap();
    assert!(!made.claimed && !made.phone_dropped);
    let creds = users::find_credentials(&db, &email).await.unwrap().unwrap();
    assert_eq!((creds.user.id, creds.user.role), (made.user.id, Role::Member));
    assert!(password::verify(PASSWORD.into(), Some(creds.password_hash)).await);
    let member = members::for_user(&db, made.user.id).await.unwrap();
    assert_eq!(member.phone.as_deref(), Some("+491511234567"));
    assert!(omniloyal::domain::card::is_valid(&member.card_number));

    // The link works once.
    let again = signups::confirm(&db, &token).await.unwrap_err();
    assert!(matches!(again, AppError::Conflict { .. }), "{again:?}");
    assert!(signups::pending(&db, &token).await.unwrap().is_none());

    // The address now has an account: asking again makes nothing and tells its owner.
    let before = count(
        &db,
        "SELECT COUNT(*) FROM signup_requests WHERE email = $1",
        &email,
    )
    .await;
    assert_eq!(ask(&db, &input("Mallory", &email, "")).await, Requested::Existing);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM signup_requests WHERE email = $1",
            &email
        )
        .await,
        before
    );
    let told = newest_email_to(&db, &smtp, &email).await;
    assert!(told.contains("already has an account"), "{told}");
    assert!(told.contains("http://shop.example/forgot-password"), "{told}");

    // A phone number another member has is left out of the new account, not refused.
    let other = format!("{}@x.io", unique("ole"));
    let Requested::Pending(id) = ask(&db, &input("Ole", &other, "+49 151 1234567")).await else {
        panic!("a new address is asked to confirm");
    };
    let token = signup_requests::issue(&db, id, db.now()).await.unwrap();
    let made = signups::confirm(&db, &token).await.unwrap();
    assert!(made.phone_dropped);
    assert_eq!(members::for_user(&db, made.user.id).await.unwrap().phone, None);

    // Bad input: every field named, nothing kept.
    let kept = count(&db, "SELECT COUNT(*) FROM signup_requests WHERE name <> $1", "").await;
    let bad = signups::check(
        &db,
        &SignupInput {
            password: "short".into(),
            ..input("", "nope", "12")
        },
    )
    .await
    .unwrap_err();
    for f in ["name", "email", "phone", "password"] {
        assert!(bad.field_message(f).is_some(), "{f}: {bad:?}");
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM signup_requests WHERE name <> $1", "").await,
        kept
    );
}

async fn only_the_newest_link_works_and_links_expire(db: Db) {
    let smtp = SmtpServer::start().await;
    let email = format!("{}@x.io", unique("twice"));
    let Requested::Pending(first) = ask(&db, &input("First", &email, "")).await else {
        panic!("pending");
    };
    let first_token = signup_requests::issue(&db, first, db.now()).await.unwrap();
    // A second sign-up before the first email went: the first is spent, and not sent.
    let second = SignupInput {
        password: "the second password".into(),
        ..input("Second", &email, "")
    };
    assert!(matches!(ask(&db, &second).await, Requested::Pending(_)));
    let mail = newest_email_to(&db, &smtp, &email).await;
    assert!(mail.contains("Hello Second"), "{mail}");
    assert_eq!(smtp.received().len(), 1, "the spent sign-up's email is not sent");
    let why: (String, Option<String>) =
        sqlx::query_as("SELECT status, reason FROM messages WHERE dedupe_key = $1")
            .bind(signup_requests::dedupe_key(first))
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(why, ("suppressed".into(), Some("spent".into())));
    let stale = signups::confirm(&db, &first_token).await.unwrap_err();
    assert!(matches!(stale, AppError::Conflict { .. }), "{stale:?}");

    // The newest link, a day and an hour later: expired.
    let token = link_in(&mail);
    db.clock().advance(25 * 3600);
    let late = signups::confirm(&db, &token).await.unwrap_err();
    db.clock().advance(-25 * 3600);
    assert!(matches!(late, AppError::Conflict { .. }), "{late:?}");
    assert!(users::find_credentials(&db, &email).await.unwrap().is_none());
    // In time, it makes the account with the password chosen in that sign-up.
    let made = signups::confirm(&db, &token).await.unwrap();
    let creds = users::find_credentials(&db, &email).await.unwrap().unwrap();
    assert_eq!(creds.user.id, made.user.id);
    assert!(password::verify("the second password".into(), Some(creds.password_hash)).await);
}

async fn a_profile_made_at_a_store_is_claimed_with_its_membership(db: Db) {
    let w = world(&db, |_| ()).await;
    let email = format!("{}@x.io", unique("till"));
    let details = omniloyal::domain::forms::account::enrolment(
        "Tia Till",
        &email,
        "",
        "1990-05-01",
        "",
        chrono::Utc::now().date_naive(),
    )
    .unwrap();
    let joined = JoinedIn {
        channel: Channel::Store,
        store: None,
    };
    let Saved::Done(at_store) = members::enrol(&db, w.program.id, joined, &details).await.unwrap() else {
        panic!("enrolled");
    };
    let made = crate::support::sign_up(
        &db,
        &SignupInput {
            birth_date: "1991-01-01".into(),
            ..input("Tia", &email, "+49 151 7654321")
        },
    )
    .await
    .unwrap();
    let claimed = members::for_user(&db, made.id).await.unwrap();
    assert_eq!(claimed.id, at_store.id, "the store's profile, not a new one");
    // What the store did not record is filled in; what it did is kept.
    assert_eq!(claimed.phone.as_deref(), Some("+491517654321"));
    assert_eq!(claimed.name, "Tia Till");
    let birth: Option<String> = sqlx::query_scalar("SELECT birth_date FROM members WHERE id = $1")
        .bind(claimed.id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(birth.as_deref(), Some("1990-05-01"));
    let memberships: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE member_id = $1 AND program_id = $2")
            .bind(claimed.id)
            .bind(w.program.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(memberships, 1);
}

/// Over HTTP: the same answer for a new address, a member's and a staff member's; the owners
/// learn the rest by email; a flood to one address is slowed down.
async fn the_answer_does_not_tell_who_has_an_account(db: Db) {
    let app = spawn_app(db.clone()).await;
    let member = format!("{}@x.io", unique("member"));
    let staff = format!("{}@x.io", unique("staff"));
    let new = format!("{}@x.io", unique("new"));
    make_user(&db, Role::Member, &member).await;
    make_user(&db, Role::Staff, &staff).await;
    let form = |email: &str| {
        vec![
            ("input[name]".to_string(), "Someone".to_string()),
            ("input[email]".to_string(), email.to_string()),
            ("input[password]".to_string(), PASSWORD.to_string()),
        ]
    };
    let mut answers = Vec::new();
    for email in [&new, &member, &staff] {
        let f = form(email);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        answers.push(app.call(&client(), "signup", &f).await);
    }
    assert!(answers[0].0.as_u16() < 400, "{answers:?}");
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    // Written off the request: wait for it.
    let mut written = (0, 0, 0);
    for _ in 0..100 {
        written = (
            count(
                &db,
                "SELECT COUNT(*) FROM messages WHERE kind = 'verify_signup' AND recipient = $1",
                &new,
            )
            .await,
            count(
                &db,
                "SELECT COUNT(*) FROM messages WHERE kind = 'signup_existing' AND recipient = $1",
                &member,
            )
            .await,
            count(
                &db,
                "SELECT COUNT(*) FROM messages WHERE kind = 'signup_existing' AND recipient = $1",
                &staff,
            )
            .await,
        );
        if written == (1, 1, 1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(written, (1, 1, 1));
    // Field errors tell only about what was typed.
    let (status, body) = app
        .call(
            &client(),
            "signup",
            &[
                ("input[name]", "X"),
                ("input[email]", "nope"),
                ("input[password]", "short"),
            ],
        )
        .await;
    assert!(
        status.is_client_error() && body["fields"][0]["field"] == "email",
        "{status} {body}"
    );
    // Three emails to one address in a window, then it waits.
    let f = form(&new);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(app.call(&client(), "signup", &f).await.0.as_u16());
    }
    assert!(statuses[..2].iter().all(|s| *s < 400), "{statuses:?}");
    assert_eq!(statuses[2], 429, "{statuses:?}");
}

on_both_backends!(
    nothing_is_an_account_until_the_link_is_confirmed,
    only_the_newest_link_works_and_links_expire,
    a_profile_made_at_a_store_is_claimed_with_its_membership,
    the_answer_does_not_tell_who_has_an_account
);
