//! Identity and cards against real databases: printed card batches, points and stamps
//! collected on a card before anyone registers it, linking the card, member merges and
//! their reversal, paper stamp cards, and the books reconciling after each story.

use omniloyal::error::AppError;
use omniloyal::model::card::PaperStampsInput;
use omniloyal::model::ids::{MemberId, ProgramId, UserId};
use omniloyal::model::rules::Channel;
use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
use omniloyal::model::user::Role;
use omniloyal::model::webhook::WebhookInput;
use omniloyal::server::db::Db;
use omniloyal::server::service::{adjustments, identity, members, merges, orders, rewards, stamps};
use omniloyal::server::{jobs, webhooks};

use crate::on_both_backends;
use crate::support::fixtures::{
    assert_reconciles, balance, batch, coffee_card, order, reward_input, wallet, world,
};
use crate::support::make_user;
use omniloyal::server::query::{member_view, reward_view, stamp_view};

/// The member an identifier names for a till of its card's program (a printed card's first
/// use makes its holder).
async fn one(db: &Db, identifier: &str) -> omniloyal::model::member::Member {
    let program_id = omniloyal::server::service::cards::holder_of(db, identifier)
        .await
        .unwrap()
        .map_or(ProgramId(0), |(_, p)| p);
    identity::resolve(db, identifier, Channel::Store, program_id)
        .await
        .unwrap_or_else(|e| panic!("{identifier} names a member: {e:?}"))
}

async fn disabled_at(db: &Db, user_id: UserId) -> Option<i64> {
    sqlx::query_scalar("SELECT disabled_at FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn card_points_and_stamps_move_to_the_member_who_links_the_card(db: Db) {
    let w = world(&db, |_| ()).await;
    webhooks::create(
        &db,
        &WebhookInput {
            url: "http://127.0.0.1:9/hook".into(),
            description: String::new(),
            events: vec!["reward.issued".into()],
        },
        true,
    )
    .await
    .unwrap();
    let card_id = coffee_card(&db, &w, "3").await;
    let printed = batch(&db, &w, "5").await;
    assert_eq!(printed.len(), 5);
    let (number, code) = printed[0].clone();
    assert!(
        omniloyal::domain::card::normalize(&number).is_some(),
        "Luhn-valid numbers"
    );

    // Concurrent first uses of an unregistered card share one holder.
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (db, number) = (db.clone(), number.clone());
        tasks.push(tokio::spawn(async move { one(&db, &number).await.id }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one holder for one card: {ids:?}");
    let holder = one(&db, &number).await;
    assert_eq!(holder.kind.as_str(), "card");

    // Three purchases on the card: 300 points and a full stamp card (its reward issued).
    for i in 0..3 {
        let r = orders::record_order(
            &db,
            w.program.id,
            holder.id,
            &order(&format!("card-{i}"), 1000),
            None,
        )
        .await
        .unwrap();
        assert_eq!(r.stamps.len(), 1);
        assert_eq!(r.stamps[0].stamp_card_id, card_id);
        if i == 2 {
            assert_eq!(r.stamps[0].stamps, 0, "the full card starts again");
            assert_eq!(r.stamps[0].rewards.len(), 1, "the reward is issued");
        }
    }
    assert_eq!(wallet(&db, holder.id, w.program.id).await, (300, 0));
    let held = reward_view::issued_for_member(&db, holder.id).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].points, 0, "a stamp reward costs no points");
    let announced: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM webhook_deliveries WHERE event_type = 'reward.issued'")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(announced.len(), 1, "a full stamp card announces its reward");
    let payload: serde_json::Value = serde_json::from_str(&announced[0]).unwrap();
    assert_eq!(payload["data"]["code"], held[0].code.as_str(), "{payload}");

    // A wrong security code links nothing.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let err = identity::link_card(&db, &number, w.member_id, Some(wrong), None)
        .await
        .unwrap_err();
    assert!(err.field_message("security_code").is_some(), "{err:?}");
    assert_eq!(balance(&db, &w).await, (0, 0));

    let linked = identity::link_card(&db, &number, w.member_id, Some(&code), None)
        .await
        .unwrap();
    assert_eq!((linked.points, linked.stamps), (300, 0));
    assert_eq!(balance(&db, &w).await, (300, 0));
    assert_eq!(wallet(&db, holder.id, w.program.id).await, (0, 0));
    assert_eq!(
        one(&db, &number).await.id,
        w.member_id,
        "the card finds the member now"
    );
    let theirs = reward_view::issued_for_member(&db, w.member_id).await.unwrap();
    assert_eq!(theirs.len(), 1, "the open stamp reward moved with the card");
    // The card's history shows in the member's history.
    let history = member_view::history(&db, w.member_id, 50).await.unwrap();
    assert!(
        history.iter().filter(|l| l.kind.as_str() == "earn").count() >= 3,
        "{history:?}"
    );

    // Linking again is a no-op; linking to someone else is refused.
    let again = identity::link_card(&db, &number, w.member_id, Some(&code), None)
        .await
        .unwrap();
    assert_eq!(again.merge_id, None);
    let other = make_user(&db, Role::Member, &format!("o{}@x.io", rand::random::<u32>())).await;
    let other = members::for_user(&db, other.id).await.unwrap();
    let err = identity::link_card(&db, &number, other.id, None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict { .. }), "{err:?}");

    // An order sent with the card number now books on the member.
    let via_card = one(&db, &number).await;
    orders::record_order(&db, w.program.id, via_card.id, &order("after-link", 500), None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await, (350, 0));
    // Not a printed card: a clear field error.
    let err = identity::link_card(&db, "6000 0000 0006", w.member_id, None, None)
        .await
        .unwrap_err();
    assert!(err.field_message("card_number").is_some(), "{err:?}");
    assert_reconciles(&db, w.program.id).await;
}

/// A code that ran out while its owner was merged goes back with the reversal: it is the
/// duplicate's (and counts towards the duplicate's per-member limit), never used by the other.
async fn a_code_that_ran_out_while_merged_goes_back(db: Db) {
    let w = world(&db, |_| {}).await;
    let dup_user = make_user(&db, Role::Member, &format!("dup{}@x.io", rand::random::<u32>())).await;
    let dup = members::for_user(&db, dup_user.id).await.unwrap();
    orders::record_order(&db, w.program.id, dup.id, &order("dup-1", 1000), None)
        .await
        .unwrap();
    let coffee = rewards::save(&db, &reward_input(w.program.id, "Coffee", "50"))
        .await
        .unwrap();
    let code = rewards::redeem(&db, dup.id, coffee.id, Channel::Web, "dup-coffee", false, None)
        .await
        .unwrap();
    let merged = merges::merge(&db, dup.id, w.member_id, "Same person", None)
        .await
        .unwrap();
    let owner = || async {
        sqlx::query_as::<_, (MemberId, String)>(
            "SELECT m.member_id, i.status FROM issued_rewards i JOIN memberships m ON m.id = i.membership_id \
             WHERE i.code = $1",
        )
        .bind(&code.code)
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    assert_eq!(owner().await, (w.member_id, "issued".to_string()));
    let ran_out = Timestamp(code.expires_at.0 + 1);
    assert_eq!(
        rewards::expire_unused(&db, ran_out, Some(w.program.id))
            .await
            .unwrap(),
        1
    );
    merges::reverse(&db, merged.id, None).await.unwrap();
    assert_eq!(owner().await, (dup.id, "expired".to_string()));
    assert_reconciles(&db, w.program.id).await;
}

on_both_backends!(a_code_that_ran_out_while_merged_goes_back);

async fn merges_combine_members_and_reverse_exactly(db: Db) {
    let w = world(&db, |p| {
        p.expiry_mode = "fixed".into();
        p.expiry_months = "12".into();
    })
    .await;
    webhooks::create(
        &db,
        &WebhookInput {
            url: "http://127.0.0.1:9/hook".into(),
            description: String::new(),
            events: vec!["member.merged".into(), "member.unmerged".into()],
        },
        true,
    )
    .await
    .unwrap();
    let dup_user = make_user(&db, Role::Member, &format!("dup{}@x.io", rand::random::<u32>())).await;
    let dup = members::for_user(&db, dup_user.id).await.unwrap();
    identity::link_identifier(
        &db,
        dup.id,
        Channel::Web,
        "external",
        &format!("cust-{}", dup.id),
        None,
        None,
    )
    .await
    .unwrap();
    orders::record_order(&db, w.program.id, dup.id, &order("dup-1", 1000), None)
        .await
        .unwrap();
    orders::record_order(&db, w.program.id, w.member_id, &order("main-1", 500), None)
        .await
        .unwrap();

    // Bad input changes nothing.
    let err = merges::merge(&db, dup.id, w.member_id, "x", Some(w.staff_id))
        .await
        .unwrap_err();
    assert!(err.field_message("reason").is_some());
    let err = merges::merge(&db, w.member_id, w.member_id, "Same person", None)
        .await
        .unwrap_err();
    assert!(err.field_message("source").is_some());

    let merged = merges::merge(
        &db,
        dup.id,
        w.member_id,
        "Same person, two accounts",
        Some(w.staff_id),
    )
    .await
    .unwrap();
    assert_eq!(merged.points, 100);
    assert_eq!(balance(&db, &w).await, (150, 0));
    assert_eq!(wallet(&db, dup.id, w.program.id).await, (0, 0));
    assert_reconciles(&db, w.program.id).await;
    // Retrying the merge answers with the same merge.
    let again = merges::merge(
        &db,
        dup.id,
        w.member_id,
        "Same person, two accounts",
        Some(w.staff_id),
    )
    .await
    .unwrap();
    assert_eq!(again.id, merged.id);
    // The duplicate's email and external id now find the target; its sign-in is closed.
    assert_eq!(one(&db, &dup_user.email).await.id, w.member_id);
    assert_eq!(
        identity::resolve(&db, &format!("cust-{}", dup.id), Channel::Web, w.program.id)
            .await
            .unwrap()
            .id,
        w.member_id
    );
    let disabled = disabled_at(&db, dup_user.id).await;
    assert!(disabled.is_some());
    // A return of the duplicate's order takes points back from the merged account.
    let history = member_view::history(&db, w.member_id, 50).await.unwrap();
    assert!(history
        .iter()
        .any(|l| l.kind.as_str() == "merge" && l.points == 100));
    // The audit trail names both sides and who merged.
    let trail = merges::for_member(&db, w.member_id).await.unwrap();
    assert_eq!(trail.len(), 1);
    assert!(trail[0].summary.starts_with("100 points"), "{}", trail[0].summary);
    assert!(trail[0].merged_by.is_some());

    // Reverse: the 100 go back, the identifiers and sign-in return.
    let ms = members::membership_id(&db, w.member_id, w.program.id)
        .await
        .unwrap();
    adjustments::by_staff(&db, Some(w.staff_id), ms, -20, "Correction test", "adj-1")
        .await
        .unwrap();
    let reversed = merges::reverse(&db, merged.id, Some(w.staff_id)).await.unwrap();
    assert!(reversed.reversed_at.is_some());
    assert_eq!(balance(&db, &w).await, (30, 0));
    assert_eq!(wallet(&db, dup.id, w.program.id).await, (100, 0));
    assert_eq!(one(&db, &dup_user.email).await.id, dup.id);
    assert_eq!(
        identity::resolve(&db, &format!("cust-{}", dup.id), Channel::Web, w.program.id)
            .await
            .unwrap()
            .id,
        dup.id
    );
    let disabled = disabled_at(&db, dup_user.id).await;
    assert!(disabled.is_none());
    assert_reconciles(&db, w.program.id).await;
    let err = merges::reverse(&db, merged.id, None).await.unwrap_err();
    assert!(matches!(err, AppError::Conflict { .. }));

    // Merge again, spend what came over: the reversal is refused and changes nothing.
    let second = merges::merge(&db, dup.id, w.member_id, "Merged again", None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await, (130, 0));
    adjustments::by_staff(&db, Some(w.staff_id), ms, -120, "Spent it", "adj-2")
        .await
        .unwrap();
    let err = merges::reverse(&db, second.id, None).await.unwrap_err();
    assert!(matches!(err, AppError::InsufficientPoints { .. }), "{err:?}");
    assert_eq!(balance(&db, &w).await, (10, 0));
    assert_eq!(one(&db, &dup_user.email).await.id, w.member_id, "still merged");
    assert_reconciles(&db, w.program.id).await;

    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE event_type IN ('member.merged', 'member.unmerged')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(events, 3, "two merges and one reversal announced");
}

async fn pending_points_follow_a_merge_and_its_reversal(db: Db) {
    let w = world(&db, |p| p.pending_days = "14".into()).await;
    let dup_user = make_user(&db, Role::Member, &format!("p{}@x.io", rand::random::<u32>())).await;
    let dup = members::for_user(&db, dup_user.id).await.unwrap();
    orders::record_order(&db, w.program.id, dup.id, &order("pend-1", 1000), None)
        .await
        .unwrap();
    let merged = merges::merge(&db, dup.id, w.member_id, "Duplicate account", None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await, (0, 100));
    // The hold releases to the member it now belongs to.
    jobs::run_all(&db, Timestamp(Timestamp::now().0 + 15 * SECONDS_PER_DAY))
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await, (100, 0));
    // Reversal returns the released points from the wallet.
    merges::reverse(&db, merged.id, None).await.unwrap();
    assert_eq!(balance(&db, &w).await, (0, 0));
    assert_eq!(wallet(&db, dup.id, w.program.id).await, (100, 0));
    assert_reconciles(&db, w.program.id).await;
}

async fn paper_stamp_cards_count_once(db: Db) {
    let w = world(&db, |_| ()).await;
    let card_id = coffee_card(&db, &w, "5").await;
    let input = |stamps: &str, serial: &str| PaperStampsInput {
        member_id: w.member_id,
        stamp_card_id: card_id,
        stamps: stamps.into(),
        paper_serial: serial.into(),
    };
    let r = stamps::add_paper(&db, &input("4", "P-100"), Some(w.staff_id))
        .await
        .unwrap();
    assert_eq!((r.added, r.stamps), (4, 4));
    let err = stamps::add_paper(&db, &input("4", "p-100"), Some(w.staff_id))
        .await
        .unwrap_err();
    assert!(err.field_message("paper_serial").is_some(), "{err:?}");
    for bad in ["0", "-1", "26", "many"] {
        let err = stamps::add_paper(&db, &input(bad, "P-101"), None)
            .await
            .unwrap_err();
        assert!(err.field_message("stamps").is_some(), "{bad}: {err:?}");
    }
    // Two more stamps fill the card: the reward is issued and one stamp carries over.
    let r = stamps::add_paper(&db, &input("2", "P-102"), None).await.unwrap();
    assert_eq!((r.stamps, r.rewards.len()), (1, 1));
    let b = stamp_view::balances(&db, w.member_id).await.unwrap();
    assert_eq!(b[0].stamps, 1);
    assert_eq!(balance(&db, &w).await, (0, 0), "stamps never touch points");
    assert_reconciles(&db, w.program.id).await;
}

async fn birthdays_are_awarded_once_a_year_and_caught_up(db: Db) {
    use chrono::Datelike;
    let w = world(&db, |_| ()).await;
    let mut gift = crate::support::fixtures::rule(
        w.program.id,
        "Birthday gift",
        10,
        omniloyal::model::rules::RuleEffect::FixedPoints { points: 50 },
    );
    gift.conditions.event_types = vec!["birthday".into()];
    omniloyal::server::service::rules::save(&db, &gift).await.unwrap();
    let today = Timestamp::now().date();
    let born = |days_ago: i64| {
        let d = today - chrono::Duration::days(days_ago);
        // A year that has the day (29 February only exists in leap years).
        let year = if d.month() == 2 && d.day() == 29 {
            1992
        } else {
            1990
        };
        format!("{year}-{:02}-{:02}", d.month(), d.day())
    };
    members::set_birth_date(&db, w.member_id, &born(0)).await.unwrap();
    // Another member whose birthday was three days ago (the job was down), and one in ten days.
    let late = make_user(&db, Role::Member, &format!("b{}@x.io", rand::random::<u32>())).await;
    let late = members::for_user(&db, late.id).await.unwrap();
    members::join(&db, late.id, w.program.id).await.unwrap();
    members::set_birth_date(&db, late.id, &born(3)).await.unwrap();
    let early = make_user(&db, Role::Member, &format!("b{}@x.io", rand::random::<u32>())).await;
    let early = members::for_user(&db, early.id).await.unwrap();
    members::join(&db, early.id, w.program.id).await.unwrap();
    members::set_birth_date(&db, early.id, &born(-10)).await.unwrap();
    let err = members::set_birth_date(&db, early.id, "2999-01-01")
        .await
        .unwrap_err();
    assert!(err.field_message("birth_date").is_some());

    // Dates on file a month before the birthdays (one typed shortly before waits a year).
    sqlx::query("UPDATE members SET birth_date_set_at = $1")
        .bind(Timestamp::now().0 - 60 * SECONDS_PER_DAY)
        .execute(&db.pool)
        .await
        .unwrap();
    let first = jobs::run_all(&db, Timestamp::now()).await.unwrap();
    assert_eq!(first.birthdays, 2);
    let second = jobs::run_all(&db, Timestamp::now()).await.unwrap();
    assert_eq!(second.birthdays, 0, "once a year");
    assert_eq!(balance(&db, &w).await, (50, 0));
    assert_eq!(wallet(&db, late.id, w.program.id).await, (50, 0));
    assert_eq!(wallet(&db, early.id, w.program.id).await, (0, 0));
    assert_reconciles(&db, w.program.id).await;
}

async fn guessing_a_card_security_code_is_throttled(db: Db) {
    let app = crate::support::spawn_app(db).await;
    let w = world(&app.db, |_| ()).await;
    let (number, code) = batch(&app.db, &w, "1").await.remove(0);
    let (_, member) = app.as_role(Role::Member).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let link = |c: &str| {
        vec![
            ("input[card_number]", number.clone()),
            ("input[security_code]", c.to_string()),
        ]
    };
    let mut answers = Vec::new();
    for _ in 0..15 {
        let form = link(wrong);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (_, body) = app.call(&member, "link_my_card", &form).await;
        answers.push(crate::support::code(&body).to_string());
    }
    assert!(answers[..5].iter().all(|c| c == "validation"), "{answers:?}");
    // Then the card is locked for a while (the wait doubles with each further failure).
    assert!(answers[5..].iter().any(|c| c == "rate_limited"), "{answers:?}");
    assert!(
        answers.iter().all(|c| c == "validation" || c == "rate_limited"),
        "{answers:?}"
    );
    let linked: Option<i64> = sqlx::query_scalar("SELECT linked_at FROM cards WHERE number = $1")
        .bind(&number)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(linked.is_none(), "nothing was linked");
}

fn full_return(order_id: &str, amount_minor: i64) -> omniloyal::model::order::ReturnInput {
    omniloyal::model::order::ReturnInput {
        channel: omniloyal::model::rules::Channel::Web,
        returned_in: None,
        channel_order_id: order_id.into(),
        return_id: format!("r-{order_id}"),
        amount_minor,
    }
}

async fn merges_survive_returns_jobs_and_double_clicks(db: Db) {
    let w = world(&db, |p| p.pending_days = "14".into()).await;
    coffee_card(&db, &w, "5").await;
    let dup_user = make_user(&db, Role::Member, &format!("r{}@x.io", rand::random::<u32>())).await;
    let dup = members::for_user(&db, dup_user.id).await.unwrap();
    // A held order returned in full before the merge leaves an empty hold behind.
    orders::record_order(&db, w.program.id, dup.id, &order("gone", 1000), None)
        .await
        .unwrap();
    let r = orders::record_return(&db, w.program.id, &full_return("gone", 1000), None)
        .await
        .unwrap();
    assert_eq!(r.points_clawed_back, 100);
    assert_eq!(
        stamp_view::balances(&db, dup.id).await.unwrap()[0].stamps,
        0,
        "the return took its stamp"
    );
    // A held order that stays.
    orders::record_order(&db, w.program.id, dup.id, &order("kept", 2000), None)
        .await
        .unwrap();
    let merged = merges::merge(&db, dup.id, w.member_id, "Duplicate", None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await, (0, 200));
    // A merged member cannot get a membership of its own in another program.
    let other = omniloyal::server::store::programs::save(
        &db,
        &crate::support::fixtures::program_input(&format!("Q{}", rand::random::<u32>())),
    )
    .await
    .unwrap();
    let err = orders::record_order(&db, other.id, dup.id, &order("elsewhere", 100), None)
        .await
        .unwrap_err();
    // A passing clash: the caller looks the member up again and finds the target.
    assert!(matches!(err, AppError::TryAgain { .. }), "{err:?}");
    // The jobs run on (the empty hold stayed behind or moved; either way nothing fails).
    jobs::run_all(&db, Timestamp(Timestamp::now().0 + 15 * SECONDS_PER_DAY))
        .await
        .expect("jobs keep running after a merge");
    assert_eq!(balance(&db, &w).await, (200, 0));
    // The moved order is returned after the merge: its points leave the target for good,
    // so the reversal gives the duplicate nothing back for it.
    orders::record_return(&db, w.program.id, &full_return("kept", 2000), None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await, (0, 0));
    // Two clicks on Reverse at once: one reversal.
    let (a, b) = tokio::join!(
        merges::reverse(&db, merged.id, None),
        merges::reverse(&db, merged.id, None)
    );
    assert!(a.is_ok() != b.is_ok(), "exactly one reversal: {a:?} / {b:?}");
    assert_eq!(wallet(&db, dup.id, w.program.id).await, (0, 0));
    assert_eq!(balance(&db, &w).await, (0, 0));
    assert_reconciles(&db, w.program.id).await;
}

async fn reversal_after_a_return_never_leaves_a_debt_or_takes_the_targets_stamps(db: Db) {
    let w = world(&db, |_| ()).await;
    let card = coffee_card(&db, &w, "10").await;
    let dup_user = make_user(&db, Role::Member, &format!("d{}@x.io", rand::random::<u32>())).await;
    let dup = members::for_user(&db, dup_user.id).await.unwrap();
    // The duplicate earns 80 on one order and 1 stamp, and spends 30.
    orders::record_order(&db, w.program.id, dup.id, &order("dup-80", 800), None)
        .await
        .unwrap();
    let dms = members::membership_id(&db, dup.id, w.program.id).await.unwrap();
    adjustments::by_staff(&db, None, dms, -30, "Spent at the till", "spend-30")
        .await
        .unwrap();
    // The target has 100 points and 3 stamps of its own.
    let ms = members::membership_id(&db, w.member_id, w.program.id)
        .await
        .unwrap();
    adjustments::by_staff(&db, None, ms, 100, "Opening balance", "open-100")
        .await
        .unwrap();
    stamps::add_paper(
        &db,
        &PaperStampsInput {
            member_id: w.member_id,
            stamp_card_id: card,
            stamps: "3".into(),
            paper_serial: "OWN-1".into(),
        },
        None,
    )
    .await
    .unwrap();
    let merged = merges::merge(&db, dup.id, w.member_id, "Duplicate", None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await, (150, 0));
    // The moved order is returned: 80 points and its stamp leave the target.
    orders::record_return(&db, w.program.id, &full_return("dup-80", 800), None)
        .await
        .unwrap();
    assert_eq!(balance(&db, &w).await, (70, 0));
    merges::reverse(&db, merged.id, None).await.unwrap();
    // The duplicate's 50 were more than used up by the return: nothing goes back, no debt.
    assert_eq!(wallet(&db, dup.id, w.program.id).await, (0, 0));
    assert_eq!(balance(&db, &w).await, (70, 0));
    // The target keeps its own 3 stamps.
    let own = stamp_view::balances(&db, w.member_id).await.unwrap();
    assert_eq!(own[0].stamps, 3, "{own:?}");
    assert_reconciles(&db, w.program.id).await;
}

on_both_backends!(
    reversal_after_a_return_never_leaves_a_debt_or_takes_the_targets_stamps,
    merges_survive_returns_jobs_and_double_clicks,
    guessing_a_card_security_code_is_throttled,
    birthdays_are_awarded_once_a_year_and_caught_up,
    card_points_and_stamps_move_to_the_member_who_links_the_card,
    merges_combine_members_and_reverse_exactly,
    pending_points_follow_a_merge_and_its_reversal,
    paper_stamp_cards_count_once,
);
