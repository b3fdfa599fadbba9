//! Consents against real databases: a member's choice with its history (a repeat records
//! nothing, an unknown name changes nothing), segments on opt-in, and the channel API reading
//! and changing them for members of the key's program only.

use omniloyal::error::AppError;
use omniloyal::model::consent::{ConsentName, ConsentSource};
use omniloyal::model::segment::{Condition, Definition, Join, ProfileFact};
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::service::consents::{self, By};
use omniloyal::server::service::{members, segments};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::on_both_backends;
use crate::support::fixtures::{program_input, program_key, send, world};
use crate::support::make_user;

const PORTAL: By = By {
    source: ConsentSource::Portal,
    user: None,
    api_key: None,
};

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

async fn a_members_choice_is_kept_with_its_history(db: Db) {
    let w = world(&db, |_| {}).await;
    let m = w.member_id;
    let start = consents::view(&db, m).await.unwrap();
    assert_eq!(
        start.granted,
        vec![ConsentName::InApp],
        "the inbox only, until they choose"
    );
    assert!(start.history.is_empty());
    let after = consents::set_all(&db, m, &names(&["email", "offers"]), PORTAL)
        .await
        .unwrap();
    assert_eq!(after.granted, vec![ConsentName::Email, ConsentName::Offers]);
    let mut changed: Vec<(ConsentName, bool)> = after.history.iter().map(|h| (h.name, h.granted)).collect();
    changed.sort_by_key(|(n, _)| n.bit());
    assert_eq!(
        changed,
        vec![
            (ConsentName::Email, true),
            (ConsentName::InApp, false),
            (ConsentName::Offers, true)
        ]
    );
    assert!(after.history.iter().all(|h| h.source == ConsentSource::Portal));
    // The same choice again records nothing.
    let again = consents::set_all(&db, m, &names(&["offers", "email"]), PORTAL)
        .await
        .unwrap();
    assert_eq!(again.history.len(), 3);
    // Forty identical changes at once: given once, recorded once.
    let at_once: Vec<_> = (0..40)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                consents::change(&db, m, &[(ConsentName::Surveys, true)], PORTAL)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in at_once {
        t.await.unwrap();
    }
    let again = consents::view(&db, m).await.unwrap();
    assert_eq!(
        again
            .history
            .iter()
            .filter(|h| h.name == ConsentName::Surveys)
            .count(),
        1
    );
    assert_eq!(again.history.len(), 4);
    // An unknown name is refused and changes nothing.
    let refused = consents::set_all(&db, m, &names(&["email", "fax"]), PORTAL)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, AppError::Validation { fields, .. } if fields[0].field == "granted"),
        "{refused:?}"
    );
    assert_eq!(consents::view(&db, m).await.unwrap(), again);

    // A segment of those opted in to offers.
    let opted = Definition {
        join: Join::All,
        within: Join::All,
        groups: vec![vec![Condition::Profile {
            fact: ProfileFact::ConsentOffers,
            present: true,
        }]],
    };
    let other = make_user(&db, Role::Member, &format!("m{}@x.io", rand::random::<u32>())).await;
    let other = members::for_user(&db, other.id).await.unwrap();
    members::join(&db, other.id, w.program.id).await.unwrap();
    let s = segments::save_definition(&db, w.program.id, None, "Offers welcome", &opted)
        .await
        .unwrap();
    assert_eq!(s.members, 1, "only the member who opted in");
}

async fn the_channel_api_reads_and_changes_consents(db: Db) {
    let app = crate::support::spawn_app(db).await;
    let w = world(&app.db, |_| {}).await;
    let p = w.program.id;
    let key = program_key(&app.db, "web", p).await;
    let card = members::get(&app.db, w.member_id).await.unwrap().card_number;
    let path = format!("/programs/{}/members/{card}/consents", p.0);
    let (status, body, _) = send(
        &app,
        Method::PATCH,
        &path,
        Some(&key),
        None,
        Some(json!({"email": true, "sms": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["granted"], json!(["email", "in_app"]));
    assert_eq!(body["history"][0]["source"], "api");
    let (status, read, _) = send(&app, Method::GET, &path, Some(&key), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, body);
    // Unknown names are refused, and nothing changes.
    let (status, err, _) = send(
        &app,
        Method::PATCH,
        &path,
        Some(&key),
        None,
        Some(json!({"fax": true})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let (_, still, _) = send(&app, Method::GET, &path, Some(&key), None, None).await;
    assert_eq!(still, body);
    // A member who has not joined the key's program is not found through it.
    let other = omniloyal::server::store::programs::save(&app.db, &program_input("Other"))
        .await
        .unwrap();
    let other_key = program_key(&app.db, "web", other.id).await;
    let (status, _, _) = send(
        &app,
        Method::GET,
        &format!("/programs/{}/members/{card}/consents", other.id.0),
        Some(&other_key),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(&app, Method::GET, &path, Some(&other_key), None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another program's key");
}

on_both_backends!(
    a_members_choice_is_kept_with_its_history,
    the_channel_api_reads_and_changes_consents,
);
