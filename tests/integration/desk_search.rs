//! The Desk's search against real databases: phones kept in E.164 and found however they
//! are typed (national numbers read with the program's or the store's country, numbers kept
//! before in another form), names found by the start of a first or last name (case and
//! accents aside, a page at a time, staff only), what a search that found nobody says, and
//! a stamp program's purchase receipt.

use omniloyal::domain::forms::account;
use omniloyal::model::ids::MemberId;
use omniloyal::model::member::{PurchaseInput, Searched};
use omniloyal::model::rules::Channel;
use omniloyal::model::store::StoreInput;
use omniloyal::model::user::{Role, SignupInput};
use omniloyal::server::db::Db;
use omniloyal::server::service::identity::{self, Lookup, Named};
use omniloyal::server::service::{members, names, orders, phones};
use omniloyal::server::store::{programs, stores};
use reqwest::StatusCode;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::fixtures::{coffee_card, world};
use crate::support::{make_user, spawn_app, PASSWORD};

async fn sign_up(db: &Db, name: &str, email: &str, phone: &str) -> MemberId {
    let user = crate::support::sign_up(
        db,
        &SignupInput {
            name: name.into(),
            email: email.into(),
            phone: phone.into(),
            password: PASSWORD.into(),
            referral_code: String::new(),
            birth_date: String::new(),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("sign-up of {name}: {e:?}"));
    members::for_user(db, user.id).await.unwrap().id
}

async fn phone_of(db: &Db, id: MemberId) -> Option<String> {
    members::get(db, id).await.unwrap().phone
}

async fn set_country(db: &Db, table: &str, id: i64, country: &str) {
    sqlx::query(&format!("UPDATE {table} SET country = $1 WHERE id = $2"))
        .bind(country)
        .bind(id)
        .execute(&db.pool)
        .await
        .unwrap();
}

fn ids(found: &[omniloyal::model::member::Member]) -> Vec<MemberId> {
    found.iter().map(|m| m.id).collect()
}

async fn phones_are_kept_in_e164_and_found_however_typed(db: Db) {
    let w = world(&db, |_| ()).await;
    set_country(&db, "programs", w.program.id.get(), "FR").await;
    // The brand's one country reads a national number at sign-up.
    let lea = sign_up(&db, "Léa Martin", "lea@x.io", "06 12 34 56 78").await;
    assert_eq!(phone_of(&db, lea).await.as_deref(), Some("+33612345678"));
    let countries = vec!["FR".to_string()];
    for typed in [
        "0612345678",
        "06.12.34.56.78",
        "+33 6 12 34 56 78",
        "+33612345678",
    ] {
        let found = identity::search(&db, typed, &countries, 0).await.unwrap();
        assert_eq!(ids(&found.members), vec![lea], "{typed}");
        assert_eq!(
            found.searched,
            Searched::Phone("+33 6 12 34 56 78".into()),
            "{typed}"
        );
    }
    // A desk in Berlin reads "0612345678" as German first; the French reading still finds
    // her (every country the brand uses is tried, from the number as typed).
    let berlin_first = vec!["DE".to_string(), "FR".to_string()];
    let found = identity::search(&db, "0612345678", &berlin_first, 0)
        .await
        .unwrap();
    assert_eq!(ids(&found.members), vec![lea]);
    // A number kept as typed before phones were kept in E.164 is still found, both ways.
    let old = sign_up(&db, "Old Number", "old@x.io", "").await;
    sqlx::query("UPDATE members SET phone = '0698765432' WHERE id = $1")
        .bind(old)
        .execute(&db.pool)
        .await
        .unwrap();
    for typed in ["06 98 76 54 32", "+33 6 98 76 54 32"] {
        let found = identity::search(&db, typed, &countries, 0).await.unwrap();
        assert_eq!(ids(&found.members), vec![old], "{typed}");
    }
    // A channel names the member by a national number too (the program's country).
    match identity::name(&db, "0612345678", Channel::Web, Lookup::Write(w.program.id))
        .await
        .unwrap()
    {
        Named::Member(m, _) => assert_eq!(m.id, lea),
        other => panic!("{other:?}"),
    }
    // The API enrols with the program's country; a profile change is read the same way.
    let details = account::enrolment(
        "Noé Petit",
        "",
        "06 11 22 33 44",
        "",
        "",
        chrono::Utc::now().date_naive(),
    )
    .unwrap();
    let joined = members::JoinedIn {
        channel: Channel::Web,
        store: None,
    };
    let noe = match members::enrol(&db, w.program.id, joined, &details).await.unwrap() {
        members::Saved::Done(m) => m,
        members::Saved::Taken(f) => panic!("{f:?}"),
    };
    assert_eq!(noe.phone.as_deref(), Some("+33611223344"));
    let changes = account::profile_changes(
        None,
        None,
        Some("06 55 66 77 88"),
        None,
        chrono::Utc::now().date_naive(),
    )
    .unwrap();
    match members::update_profile(&db, noe.id, &changes).await.unwrap() {
        members::Saved::Done(m) => assert_eq!(m.phone.as_deref(), Some("+33655667788")),
        members::Saved::Taken(f) => panic!("{f:?}"),
    }
    // The same number typed again nationally is another member's.
    let details =
        account::enrolment("Twin", "", "0655667788", "", "", chrono::Utc::now().date_naive()).unwrap();
    assert!(matches!(
        members::enrol(&db, w.program.id, joined, &details).await.unwrap(),
        members::Saved::Taken(_)
    ));
}

async fn a_stores_country_reads_its_numbers(db: Db) {
    let w = world(&db, |_| ()).await; // EUR: no country of its own
    let store = |code: &str, zone: &str| StoreInput {
        code: code.into(),
        name: code.into(),
        channel: "store".into(),
        time_zone: zone.into(),
    };
    let paris = stores::save(&db, &store("PARIS-1", "Europe/Paris"))
        .await
        .unwrap();
    let brussels = stores::save(&db, &store("BXL-1", "Europe/Paris")).await.unwrap();
    set_country(&db, "stores", brussels.id, "BE").await;
    let mut conn = db.pool.acquire().await.unwrap();
    // A store's own country, else its time zone's; then every other country of the brand.
    assert_eq!(
        phones::countries(&mut conn, None, Some(paris.id)).await.unwrap(),
        vec!["FR", "BE"]
    );
    assert_eq!(
        phones::countries(&mut conn, None, Some(brussels.id))
            .await
            .unwrap(),
        vec!["BE", "FR"]
    );
    assert_eq!(
        phones::write_country(&mut conn, Some(w.program.id), Some(brussels.id))
            .await
            .unwrap()
            .as_deref(),
        Some("BE")
    );
    // Two countries and none named: a national number is kept as typed, not guessed.
    assert_eq!(phones::write_country(&mut conn, None, None).await.unwrap(), None);
    assert_eq!(
        phones::to_store(&mut conn, Some("0612345678"), None, None)
            .await
            .unwrap()
            .as_deref(),
        Some("0612345678")
    );
    assert_eq!(
        phones::to_store(&mut conn, Some("+33 6 12 34 56 78"), None, None)
            .await
            .unwrap()
            .as_deref(),
        Some("+33612345678")
    );
    set_country(&db, "programs", w.program.id.get(), "FR").await;
    assert_eq!(
        phones::write_country(&mut conn, Some(w.program.id), None)
            .await
            .unwrap()
            .as_deref(),
        Some("FR")
    );
    drop(conn);
    assert!(programs::get(&db, w.program.id).await.is_ok());
}

async fn names_are_found_by_their_start_a_page_at_a_time(db: Db) {
    let mut leas = Vec::new();
    for i in 0..23 {
        leas.push(sign_up(&db, "Léa Martin", &format!("lea{i}@x.io"), "").await);
    }
    let lucas = sign_up(&db, "Lucas MARTINEZ", "lucas@x.io", "").await;
    let zoe = sign_up(&db, "Zoé Lemartin", "zoe@x.io", "").await;
    let search = |q: &'static str, page: u32| {
        let db = db.clone();
        async move { identity::search(&db, q, &[], page).await.unwrap() }
    };
    let first = search("lea mart", 0).await;
    assert_eq!(first.searched, Searched::Name("lea mart".into()));
    assert_eq!((first.members.len(), first.more), (names::PAGE_SIZE, true));
    let second = search("Léa Mar", 1).await;
    assert_eq!((second.members.len(), second.more), (3, false));
    let mut all: Vec<MemberId> = ids(&first.members)
        .into_iter()
        .chain(ids(&second.members))
        .collect();
    all.sort();
    assert_eq!(all, leas, "every Léa Martin once, over two pages");
    // A last name's start, in any case, with or without accents.
    let martins = ids(&search("MARTIN", 0).await.members);
    assert_eq!(martins.len(), names::PAGE_SIZE);
    let by_last: Vec<MemberId> = ids(&search("martine", 0).await.members);
    assert_eq!(
        by_last,
        vec![lucas],
        "Martinez starts with martine; Martin does not"
    );
    assert_eq!(ids(&search("zoe", 0).await.members), vec![zoe]);
    assert_eq!(ids(&search("Lemart", 0).await.members), vec![zoe]);
    assert!(
        search("artin", 0).await.members.is_empty(),
        "a prefix, not any substring"
    );
    // A renamed member is found by the new name only.
    let changes = account::profile_changes(
        Some("Zoé Durand"),
        None,
        None,
        None,
        chrono::Utc::now().date_naive(),
    )
    .unwrap();
    members::update_profile(&db, zoe, &changes).await.unwrap();
    assert!(search("lemartin", 0).await.members.is_empty());
    assert_eq!(ids(&search("durand", 0).await.members), vec![zoe]);
    // Names written before the index are indexed at start-up.
    sqlx::query("DELETE FROM member_name_keys WHERE member_id = $1")
        .bind(lucas)
        .execute(&db.pool)
        .await
        .unwrap();
    assert!(search("lucas", 0).await.members.is_empty());
    assert_eq!(names::backfill(&db).await.unwrap(), 1);
    assert_eq!(ids(&search("lucas", 0).await.members), vec![lucas]);
    assert_eq!(names::backfill(&db).await.unwrap(), 0);
    // Too short, or no letters at all: a field error on the search box.
    for q in ["l", "12345", "@@"] {
        let e = identity::search(&db, q, &[], 0).await.unwrap_err();
        assert!(e.field_message("query").is_some(), "{q}: {e:?}");
    }
}

async fn only_staff_find_members_by_name_and_not_found_says_what(db: Db) {
    let app = spawn_app(db).await;
    let w = world(&app.db, |_| ()).await;
    set_country(&app.db, "programs", w.program.id.get(), "FR").await;
    for i in 0..21 {
        sign_up(&app.db, &format!("Léa Martin {i:02}"), &format!("l{i}@x.io"), "").await;
    }
    let (_, staff) = app.as_role(Role::Staff).await;
    let (_, member) = app.as_role(Role::Member).await;
    let (status, _) = app.call(&member, "desk_search", &[("query", "Léa")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "members do not browse members");
    let (status, anonymous) = app
        .call(&crate::support::client(), "desk_search", &[("query", "Léa")])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{anonymous}");

    let (status, page0) = app.call(&staff, "desk_search", &[("query", "lea")]).await;
    assert_eq!(status, StatusCode::OK, "{page0}");
    assert_eq!(page0["matches"].as_array().unwrap().len(), 20);
    assert_eq!(page0["more"], true);
    assert_eq!(
        page0["members"].as_array().unwrap().len(),
        0,
        "a page to choose from"
    );
    let (_, page1) = app
        .call(&staff, "desk_search", &[("query", "lea"), ("page", "1")])
        .await;
    assert_eq!(page1["matches"].as_array().unwrap().len(), 1);
    assert_eq!(
        (page1["page"].clone(), page1["more"].clone()),
        (Value::from(1), Value::from(false))
    );
    // One member of that name opens at once.
    let (_, one) = app.call(&staff, "desk_search", &[("query", "martin 07")]).await;
    assert_eq!(one["members"][0]["member"]["name"], "Léa Martin 07");

    // Nobody found: what was searched, as it was read.
    let not_found = |body: &Value| -> String {
        let searched: Searched = serde_json::from_value(body["searched"].clone()).unwrap();
        assert_eq!(body["members"].as_array().unwrap().len(), 0);
        searched.not_found()
    };
    let (_, body) = app.call(&staff, "desk_search", &[("query", "0612345678")]).await;
    assert_eq!(not_found(&body), "No member with the phone +33 6 12 34 56 78.");
    let (_, body) = app.call(&staff, "desk_search", &[("query", "Léa Mar")]).await;
    assert_eq!(body["matches"].as_array().unwrap().len(), 20);
    let (_, body) = app.call(&staff, "desk_search", &[("query", "Noémie")]).await;
    assert_eq!(not_found(&body), "No member named “Noémie…”.");
    let (_, body) = app.call(&staff, "desk_search", &[("query", "nobody@x.io")]).await;
    assert_eq!(not_found(&body), "No member with the email nobody@x.io.");
    // A query that is none of these: an error on the search box's own field.
    for q in ["lea@", "12345", "x"] {
        let (status, body) = app.call(&staff, "desk_search", &[("query", q)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_eq!(body["fields"][0]["field"], "query", "{q}: {body}");
    }
    let long = "a".repeat(300);
    let (status, _) = app.call(&staff, "desk_search", &[("query", &long)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn a_stamp_programs_receipt_tells_the_stamps(db: Db) {
    let w = world(&db, |p| {
        p.name = "Pastry".into();
        p.points_per_unit = "0".into();
    })
    .await;
    coffee_card(&db, &w, "6").await;
    let staff = make_user(&db, Role::Staff, "desk@x.io").await;
    let buy = |n: u32| PurchaseInput {
        member_id: w.member_id,
        program_id: w.program.id,
        amount: "4.50".into(),
        request_id: format!("stamp-receipt-{n}"),
        ..PurchaseInput::default()
    };
    let r = orders::record_purchase(&db, staff.id, &buy(1)).await.unwrap();
    assert!(!r.earns_points, "a stamp-only program");
    assert_eq!(r.points, 0);
    assert_eq!(r.stamps.len(), 1);
    let s = &r.stamps[0];
    assert_eq!(
        (s.name.as_str(), s.added, s.stamps, s.stamps_required),
        ("Coffee card", 1, 1, 6)
    );
    // A replay tells the same stamps.
    let again = orders::record_purchase(&db, staff.id, &buy(1)).await.unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.stamps[0].name.as_str(), again.stamps[0].stamps_required),
        ("Coffee card", 6)
    );
    let r = orders::record_purchase(&db, staff.id, &buy(2)).await.unwrap();
    assert_eq!((r.stamps[0].added, r.stamps[0].stamps), (1, 2));
}

on_both_backends!(
    phones_are_kept_in_e164_and_found_however_typed,
    a_stores_country_reads_its_numbers,
    names_are_found_by_their_start_a_page_at_a_time,
    only_staff_find_members_by_name_and_not_found_says_what,
    a_stamp_programs_receipt_tells_the_stamps
);
