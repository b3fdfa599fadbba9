//! Rewards that cost 0 points: a tier's perk (taken from the catalogue by that tier, moving
//! no points) and a stamp card's reward (never taken from the catalogue for free).

use omniloyal::error::AppError;
use omniloyal::model::reward::RewardInput;
use omniloyal::model::rules::Channel;
use omniloyal::server::db::Db;
use omniloyal::server::query::{member_view, reward_view};
use omniloyal::server::service::{orders, rewards, tiers};

use crate::on_both_backends;
use crate::support::fixtures::{
    assert_reconciles, balance, membership, order, reward_input, tier_input, world,
};

async fn a_tier_perk_is_free_for_its_tier_and_moves_no_points(db: Db) {
    let w = world(&db, |_| {}).await;
    tiers::save_tier(&db, &tier_input(w.program.id, "Green", "0", "1"))
        .await
        .unwrap();
    let rouge = tiers::save_tier(&db, &tier_input(w.program.id, "Rouge", "500", "1"))
        .await
        .unwrap();
    let unlimited = RewardInput {
        min_tier_id: rouge.id.to_string(),
        ..reward_input(w.program.id, "Rouge-only private event", "0")
    };
    // Free and unlimited would be taken again and again: a limit or a stock is required.
    let e = rewards::save(&db, &unlimited).await.unwrap_err();
    assert!(e.field_message("per_member_limit").is_some(), "{e:?}");
    let perk = rewards::save(
        &db,
        &RewardInput {
            per_member_limit: "1".into(),
            ..unlimited
        },
    )
    .await
    .unwrap();
    assert_eq!(perk.cost_points, 0);
    let m = membership(&db, &w).await;
    let offered = reward_view::offers(&db, m, Some(Channel::Web)).await.unwrap();
    let o = offered
        .iter()
        .find(|o| o.reward.id == perk.id)
        .expect("in the catalogue");
    assert!(o.affordable, "free is always affordable");
    assert!(
        o.unavailable
            .as_deref()
            .is_some_and(|m| m.contains("higher tier")),
        "{o:?}"
    );
    let refused = rewards::redeem(&db, w.member_id, perk.id, Channel::Web, "perk-1", false, None).await;
    assert!(
        matches!(refused, Err(AppError::RewardUnavailable { .. })),
        "{refused:?}"
    );

    // 600 points: Rouge. The perk is then theirs for nothing.
    orders::record_order(&db, w.program.id, w.member_id, &order("o1", 6000), None)
        .await
        .unwrap();
    let before = balance(&db, &w).await;
    let issued = rewards::redeem(&db, w.member_id, perk.id, Channel::Web, "perk-2", false, None)
        .await
        .unwrap();
    assert_eq!((issued.points, issued.program_id), (0, w.program.id));
    assert_eq!(balance(&db, &w).await, before, "no points moved");
    let again = rewards::redeem(&db, w.member_id, perk.id, Channel::Web, "perk-2", false, None)
        .await
        .unwrap();
    assert_eq!(again.code, issued.code, "a retry is the same redemption");
    let more = rewards::redeem(&db, w.member_id, perk.id, Channel::Web, "perk-3", false, None).await;
    assert!(
        matches!(more, Err(AppError::RewardUnavailable { .. })),
        "once per member: {more:?}"
    );
    // Run out unused and marked so by the jobs, it still counts towards the limit, and it
    // cannot be given back either.
    let later = omniloyal::model::time::Timestamp(db.now().0 + 3 * 365 * 86_400);
    let marked = omniloyal::server::jobs::run_all(&db, later).await.unwrap();
    assert_eq!(marked.expired_rewards, 1);
    let after_expiry = rewards::redeem(&db, w.member_id, perk.id, Channel::Web, "perk-4", false, None).await;
    assert!(
        matches!(after_expiry, Err(AppError::RewardUnavailable { .. })),
        "an expired perk still counts: {after_expiry:?}"
    );
    let released = rewards::release(&db, &issued.code, None).await.unwrap_err();
    assert_eq!(released.code(), "reward_expired");
    // Nothing moved, so the points history has no line for it; the member's rewards do.
    let history = member_view::history(&db, w.member_id, 10).await.unwrap();
    assert!(history.iter().all(|l| l.points != 0), "{history:?}");
    let held = reward_view::issued_for_member(&db, w.member_id).await.unwrap();
    assert_eq!(held[0].code, issued.code);
    assert_reconciles(&db, w.program.id).await;
}

async fn a_free_reward_without_a_tier_is_only_a_stamp_cards(db: Db) {
    let w = world(&db, |_| {}).await;
    let pastry = rewards::save(&db, &reward_input(w.program.id, "Free pastry", "0"))
        .await
        .unwrap();
    let m = membership(&db, &w).await;
    let offered = reward_view::offers(&db, m, Some(Channel::Web)).await.unwrap();
    assert!(
        offered.iter().all(|o| o.reward.id != pastry.id),
        "not in the catalogue"
    );
    let refused = rewards::redeem(&db, w.member_id, pastry.id, Channel::Store, "free-1", false, None).await;
    match refused {
        Err(AppError::RewardUnavailable { message }) => assert!(message.contains("stamp card"), "{message}"),
        other => panic!("{other:?}"),
    }
    // Paying with points cannot be free: its cost is the least a payment takes.
    let e = rewards::save(
        &db,
        &RewardInput {
            kind: "points_payment".into(),
            ..reward_input(w.program.id, "Pay with points", "0")
        },
    )
    .await
    .unwrap_err();
    assert!(
        e.field_message("cost_points").is_some() || e.field_message("kind").is_some(),
        "{e:?}"
    );
    let e = rewards::save(&db, &reward_input(w.program.id, "Negative", "-1"))
        .await
        .unwrap_err();
    assert!(e.field_message("cost_points").is_some(), "{e:?}");
}

on_both_backends!(
    a_tier_perk_is_free_for_its_tier_and_moves_no_points,
    a_free_reward_without_a_tier_is_only_a_stamp_cards
);
