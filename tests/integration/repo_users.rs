//! Accounts, members and sessions in storage.

use std::time::Duration;

use omniloyal::domain::card;
use omniloyal::model::time::Timestamp;
use omniloyal::model::user::{NewUserInput, Role, SignupInput};
use omniloyal::server::auth::session;
use omniloyal::server::db::Db;
use omniloyal::server::service::{identity, members};
use omniloyal::server::store::{sessions, users};

use crate::on_both_backends;
use crate::support::{make_user, PASSWORD};

async fn staff_accounts_and_credentials(db: Db) {
    let u = users::create(
        &db,
        &NewUserInput {
            display_name: "Sam".into(),
            email: "sam@x.io".into(),
            role: "staff".into(),
            password: PASSWORD.into(),
        },
    )
    .await
    .unwrap();
    let creds = users::find_credentials(&db, "SAM@x.io").await.unwrap().unwrap();
    assert_eq!(creds.user.id, u.id);
    assert!(creds.password_hash.starts_with("$argon2id$"));
    assert!(!creds.disabled);
    let e = users::create(
        &db,
        &NewUserInput {
            display_name: "Sam".into(),
            email: "sam@x.io".into(),
            role: "analyst".into(),
            password: PASSWORD.into(),
        },
    )
    .await
    .unwrap_err();
    assert!(e.field_message("email").is_some());
    assert_eq!(users::list_staff(&db).await.unwrap().len(), 1);
}

async fn find_members_by_each_identifier(db: Db) {
    let user = crate::support::sign_up(
        &db,
        &SignupInput {
            name: "Mia".into(),
            email: "mia@x.io".into(),
            phone: "+4915112345678".into(),
            password: PASSWORD.into(),
            referral_code: String::new(),
            birth_date: String::new(),
        },
    )
    .await
    .unwrap();
    let m = members::for_user(&db, user.id).await.unwrap();
    for q in [
        "MIA@x.io",
        "+49 151 12345678",
        &card::grouped(&m.card_number),
        &m.card_number,
    ] {
        let found = identity::find(&db, q, &[]).await.unwrap();
        assert_eq!(
            found.iter().map(|f| f.id).collect::<Vec<_>>(),
            vec![m.id],
            "query {q}"
        );
    }
    assert!(identity::find(&db, "nobody@x.io", &[]).await.unwrap().is_empty());
    assert_eq!(
        identity::find(&db, "Mia", &[]).await.unwrap_err().code(),
        "validation",
        "no browsing by name"
    );
    assert_eq!(
        identity::find(&db, "", &[]).await.unwrap_err().code(),
        "validation"
    );
}

async fn sessions_expire_and_revoke(db: Db) {
    let user = make_user(&db, Role::Staff, "s@x.io").await;
    let now = Timestamp::now();
    let (_, live) = session::new_token();
    sessions::create(&db, user.id, &live, now, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        sessions::user_for_token(&db, &live, now)
            .await
            .unwrap()
            .map(|u| u.id),
        Some(user.id)
    );
    assert!(
        sessions::user_for_token(&db, &live, Timestamp(now.0 + 61))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    sessions::revoke(&db, &live, now).await.unwrap();
    assert!(
        sessions::user_for_token(&db, &live, now).await.unwrap().is_none(),
        "revoked"
    );
    assert!(sessions::user_for_token(&db, "unknown", now)
        .await
        .unwrap()
        .is_none());
}

on_both_backends!(
    staff_accounts_and_credentials,
    find_members_by_each_identifier,
    sessions_expire_and_revoke
);
