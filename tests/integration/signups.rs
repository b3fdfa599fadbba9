//! Sign-up confirmed by email: nothing is an account until the link is opened, the answer is
//! the same whether or not the address has an account, only the newest link works, and a
//! profile a store made for the address is claimed with its points.

use omniloyal::error::AppError;
use omniloyal::model::rules::Channel;
use omniloyal::model::user::{Role, SignupInput};
use omniloyal::server::auth::password;
use omniloyal::server::auth::session;
use omniloyal::server::config::Messaging;
use omniloyal::server::db::Db;
use omniloyal::server::outbox::adapters::Adapters;
use omniloyal::server::outbox::messages::deliver_due;
use omniloyal::server::service::account_changes;
use omniloyal::server::service::members::{self, JoinedIn, Saved};
use omniloyal::server::service::signups::{self, Requested};
use omniloyal::server::store::{sessions, signup_requests, users};

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

    let made = signups::confirm(&db, &token, PASSWORD).await.unwrap();
    assert!(!made.claimed && !made.phone_dropped);
    let creds = users::find_credentials(&db, &email).await.unwrap().unwrap();
    assert_eq!((creds.user.id, creds.user.role), (made.user.id, Role::Member));
    assert!(password::verify(PASSWORD.into(), Some(creds.password_hash)).await);
    let member = members::for_user(&db, made.user.id).await.unwrap();
    assert_eq!(member.phone.as_deref(), Some("+491511234567"));
    assert!(omniloyal::domain::card::is_valid(&member.card_number));

    // The link works once.
    let again = signups::confirm(&db, &token, PASSWORD).await.unwrap_err();
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
    let made = signups::confirm(&db, &token, PASSWORD).await.unwrap();
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

/// Someone signs up with another's address before its owner does: the owner's mailbox gets
/// both links, the stranger's is of no use without the stranger's password, the owner's own
/// works (and spends the stranger's), and links expire after a day.
async fn a_link_needs_its_own_password_and_expires(db: Db) {
    let smtp = SmtpServer::start().await;
    let email = format!("{}@x.io", unique("twice"));
    let stranger = SignupInput {
        password: "the stranger's password".into(),
        ..input("Stranger", &email, "")
    };
    assert!(matches!(ask(&db, &stranger).await, Requested::Pending(_)));
    let strangers_link = link_in(&newest_email_to(&db, &smtp, &email).await);
    assert!(matches!(
        ask(&db, &input("Owner", &email, "")).await,
        Requested::Pending(_)
    ));
    let mail = newest_email_to(&db, &smtp, &email).await;
    assert!(mail.contains("Hello Owner"), "{mail}");
    let token = link_in(&mail);

    // The owner opens the stranger's link: their own password does not fit it, and nothing
    // is spent by trying.
    let wrong = signups::confirm(&db, &strangers_link, PASSWORD)
        .await
        .unwrap_err();
    assert!(wrong.field_message("password").is_some(), "{wrong:?}");
    assert!(signups::pending(&db, &strangers_link).await.unwrap().is_some());

    // The owner's link, a day and an hour later: expired.
    db.clock().advance(25 * 3600);
    let late = signups::confirm(&db, &token, PASSWORD).await.unwrap_err();
    db.clock().advance(-25 * 3600);
    assert!(matches!(late, AppError::Conflict { .. }), "{late:?}");
    assert!(users::find_credentials(&db, &email).await.unwrap().is_none());
    // In time, it makes the account with the owner's password, and spends the stranger's.
    let made = signups::confirm(&db, &token, PASSWORD).await.unwrap();
    let creds = users::find_credentials(&db, &email).await.unwrap().unwrap();
    assert_eq!(creds.user.id, made.user.id);
    assert!(password::verify(PASSWORD.into(), Some(creds.password_hash)).await);
    let stale = signups::confirm(&db, &strangers_link, "the stranger's password")
        .await
        .unwrap_err();
    assert!(matches!(stale, AppError::Conflict { .. }), "{stale:?}");

    // A sign-up confirmed before its email went: the email is not sent.
    let other = format!("{}@x.io", unique("quick"));
    let Requested::Pending(id) = ask(&db, &input("Quick", &other, "")).await else {
        panic!("pending");
    };
    let quick = signup_requests::issue(&db, id, db.now()).await.unwrap();
    signups::confirm(&db, &quick, PASSWORD).await.unwrap();
    let sent_before = smtp.received().len();
    deliver_due(&db, &adapters(Some(smtp.url()), "http://shop.example"), db.now())
        .await
        .unwrap();
    assert_eq!(smtp.received().len(), sent_before);
    let why: (String, Option<String>) =
        sqlx::query_as("SELECT status, reason FROM messages WHERE dedupe_key = $1")
            .bind(signup_requests::dedupe_key(id))
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(why, ("suppressed".into(), Some("spent".into())));
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
    // Three emails to one address in a window, then it waits (a wait that doubles with each
    // further request, so a slow machine still meets it within a few).
    let f = form(&new);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.call(&client(), "signup", &f).await.0.as_u16());
    }
    assert!(statuses[..2].iter().all(|s| *s < 400), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
}

/// A member changes their own password and sign-in email: each needs the current password;
/// a new address works only from the link sent to it, and the old address is told.
async fn a_member_changes_password_and_email_and_is_told(db: Db) {
    const PW: &str = "a brand new password";
    let smtp = SmtpServer::start().await;
    let old = format!("{}@x.io", unique("old"));
    let new = format!("{}@x.io", unique("new"));
    let user = make_user(&db, Role::Member, &old).await;
    let hash_of = |db: Db, id| async move {
        sqlx::query_scalar::<_, String>("SELECT password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    let before = hash_of(db.clone(), user.id).await;

    // The password: a wrong current one and a short new one are field errors, nothing changes.
    let e = account_changes::change_password(&db, user.id, "not it at all", "a brand new password")
        .await
        .unwrap_err();
    assert!(e.field_message("current_password").is_some(), "{e:?}");
    let e = account_changes::change_password(&db, user.id, PASSWORD, "short")
        .await
        .unwrap_err();
    assert!(e.field_message("new_password").is_some(), "{e:?}");
    assert_eq!(hash_of(db.clone(), user.id).await, before);
    let (_, live) = session::new_token();
    sessions::create(&db, user.id, &live, db.now(), std::time::Duration::from_secs(600))
        .await
        .unwrap();
    account_changes::change_password(&db, user.id, PASSWORD, "a brand new password")
        .await
        .unwrap();
    assert!(
        password::verify(
            "a brand new password".into(),
            Some(hash_of(db.clone(), user.id).await)
        )
        .await
    );
    assert!(
        sessions::user_for_token(&db, &live, db.now())
            .await
            .unwrap()
            .is_none(),
        "every session ends"
    );
    let told = newest_email_to(&db, &smtp, &old).await;
    assert!(told.contains("Your password was changed"), "{told}");

    // The email: the password is checked, the same address is refused, a new one gets a link.
    let e = account_changes::request_email_change(&db, user.id, PASSWORD, &new)
        .await
        .unwrap_err();
    assert!(e.field_message("current_password").is_some(), "{e:?}");
    let e = account_changes::request_email_change(&db, user.id, "a brand new password", &old.to_uppercase())
        .await
        .unwrap_err();
    assert!(e.field_message("new_email").is_some(), "{e:?}");
    account_changes::request_email_change(&db, user.id, "a brand new password", &new)
        .await
        .unwrap();
    let mail = newest_email_to(&db, &smtp, &new).await;
    let token = mail
        .split("http://shop.example/confirm-email?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a link to confirm the new address")
        .to_string();
    assert!(
        users::find_credentials(&db, &old).await.unwrap().is_some(),
        "nothing changes before the link"
    );
    assert_eq!(
        account_changes::pending_email(&db, &token)
            .await
            .unwrap()
            .as_deref(),
        Some(new.as_str())
    );
    // A day and an hour later the link is dead.
    db.clock().advance(25 * 3600);
    let late = account_changes::confirm_email_change(&db, &token, PW)
        .await
        .unwrap_err();
    db.clock().advance(-25 * 3600);
    assert!(matches!(late, AppError::Conflict { .. }), "{late:?}");

    // A reset link asked for before the change, not yet sent: it must not go to the old
    // address once the account signs in with the new one.
    omniloyal::server::service::password_reset::request(&db, &old)
        .await
        .unwrap();
    // The link proves the new mailbox; the account's password, that the account is theirs.
    let wrong = account_changes::confirm_email_change(&db, &token, "someone else's password")
        .await
        .unwrap_err();
    assert!(wrong.field_message("password").is_some(), "{wrong:?}");
    account_changes::confirm_email_change(&db, &token, PW)
        .await
        .unwrap();
    assert!(users::find_credentials(&db, &old).await.unwrap().is_none());
    let reset: (String, Option<String>) = sqlx::query_as(
        "SELECT status, reason FROM messages WHERE kind = 'password_reset' AND user_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(user.id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(reset, ("suppressed".into(), Some("spent".into())));
    assert_eq!(
        users::find_credentials(&db, &new).await.unwrap().unwrap().user.id,
        user.id
    );
    let member = members::for_user(&db, user.id).await.unwrap();
    assert_eq!(member.email.as_deref(), Some(new.as_str()), "the profile follows");
    let told = newest_email_to(&db, &smtp, &old).await;
    assert!(
        told.contains("Your sign-in email was changed") && told.contains(&new),
        "{told}"
    );
    let inbox: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE kind = 'email_changed' AND channel = 'in_app' AND member_id = $1",
    )
    .bind(member.id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(inbox, 1);
    let again = account_changes::confirm_email_change(&db, &token, PW)
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::Conflict { .. }), "used once: {again:?}");

    // The old address takes it back with the link in its notice: the address returns and
    // every session ends.
    let undo = told
        .split("http://shop.example/undo-email?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the notice holds an undo link")
        .to_string();
    assert_eq!(
        account_changes::pending_undo(&db, &undo).await.unwrap(),
        Some((old.clone(), new.clone()))
    );
    let (_, intruder) = session::new_token();
    sessions::create(
        &db,
        user.id,
        &intruder,
        db.now(),
        std::time::Duration::from_secs(600),
    )
    .await
    .unwrap();
    account_changes::undo_email_change(&db, &undo).await.unwrap();
    assert_eq!(
        users::find_credentials(&db, &old).await.unwrap().unwrap().user.id,
        user.id
    );
    assert!(sessions::user_for_token(&db, &intruder, db.now())
        .await
        .unwrap()
        .is_none());
    let twice = account_changes::undo_email_change(&db, &undo).await.unwrap_err();
    assert!(matches!(twice, AppError::Conflict { .. }), "{twice:?}");

    // A change asked for, then the password changes: the link no longer works.
    account_changes::request_email_change(&db, user.id, PW, &new)
        .await
        .unwrap();
    let mail = newest_email_to(&db, &smtp, &new).await;
    let pending = mail
        .split("http://shop.example/confirm-email?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a link")
        .to_string();
    account_changes::change_password(&db, user.id, PW, "yet another password")
        .await
        .unwrap();
    let ended = account_changes::confirm_email_change(&db, &pending, "yet another password")
        .await
        .unwrap_err();
    assert!(matches!(ended, AppError::Conflict { .. }), "{ended:?}");
    let staff_pw = "yet another password";

    // An address that has an account by the time the link is opened: refused, nothing changes.
    let staff = format!("{}@x.io", unique("staff"));
    make_user(&db, Role::Staff, &staff).await;
    account_changes::request_email_change(&db, user.id, staff_pw, &staff)
        .await
        .unwrap();
    let mail = newest_email_to(&db, &smtp, &staff).await;
    let token = mail
        .split("http://shop.example/confirm-email?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a link")
        .to_string();
    let taken = account_changes::confirm_email_change(&db, &token, staff_pw)
        .await
        .unwrap_err();
    assert!(matches!(taken, AppError::Conflict { .. }), "{taken:?}");
    assert_eq!(
        users::find_credentials(&db, &old).await.unwrap().unwrap().user.id,
        user.id
    );
}

on_both_backends!(
    nothing_is_an_account_until_the_link_is_confirmed,
    a_link_needs_its_own_password_and_expires,
    a_profile_made_at_a_store_is_claimed_with_its_membership,
    the_answer_does_not_tell_who_has_an_account,
    a_member_changes_password_and_email_and_is_told
);
