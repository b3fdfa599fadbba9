//! Points to money at checkout: a member pays part of an order with points, worth the
//! program's point value each, reserved at the checkout and then confirmed or released.

use omniloyal::error::AppError;
use omniloyal::model::reward::RewardInput;
use omniloyal::model::rules::Channel;
use omniloyal::server::db::Db;
use omniloyal::server::service::{adjustments, rewards};

use crate::on_both_backends;
use crate::support::fixtures::{assert_reconciles, balance, membership, world};

async fn points_pay_part_of_an_order_at_the_point_value(db: Db) {
    let w = world(&db, |p| p.point_value_minor = "2".into()).await; // 1 point = €0.02
    let ms = membership(&db, &w).await;
    adjustments::by_staff(&db, Some(w.staff_id), ms, 1000, "Opening balance", "open")
        .await
        .unwrap();
    let pay = rewards::save(
        &db,
        &RewardInput {
            program_id: w.program.id,
            name: "Pay with Stars".into(),
            kind: "points_payment".into(),
            cost_points: "100".into(), // the least one payment uses
            value: "5.00".into(),      // the most one payment covers
            ..RewardInput::default()
        },
    )
    .await
    .expect("reward");
    let redeem = |points: Option<i64>, id: &'static str, reserve: bool| {
        let db = db.clone();
        async move {
            rewards::redeem_with(&db, w.member_id, pay.id, points, Channel::Web, id, reserve, None).await
        }
    };
    // Bad amounts are refused and spend nothing.
    for (points, id) in [(None, "a"), (Some(50), "b"), (Some(251), "c")] {
        let err = redeem(points, id, true).await.unwrap_err();
        assert!(err.field_message("points").is_some(), "{points:?}: {err:?}");
    }
    assert_eq!(balance(&db, &w).await, (1000, 0));
    let err = redeem(Some(5000), "d", true).await.unwrap_err();
    assert!(
        err.field_message("points").is_some(),
        "over the per-payment cap first: {err:?}"
    );

    // 250 points = €5.00, reserved at the checkout, then released: the points come back.
    let held = redeem(Some(250), "e", true).await.unwrap();
    assert_eq!(
        (held.points, held.value, held.status.as_str()),
        (250, 500, "reserved")
    );
    assert_eq!(balance(&db, &w).await, (750, 0));
    rewards::release(&db, &held.code, None).await.unwrap();
    assert_eq!(balance(&db, &w).await, (1000, 0));

    // 150 points = €3.00, confirmed when the order is paid; the code works once.
    let paid = redeem(Some(150), "f", true).await.unwrap();
    assert_eq!(paid.value, 300);
    let used = rewards::use_code(&db, &paid.code, Some(&paid.pin), Channel::Web)
        .await
        .unwrap();
    assert_eq!(used.status.as_str(), "used");
    let err = rewards::use_code(&db, &paid.code, Some(&paid.pin), Channel::Web)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::RewardUsed), "{err:?}");
    // A retried request pays once.
    let again = redeem(Some(150), "f", true).await.unwrap();
    assert_eq!(again.id, paid.id);
    assert_eq!(balance(&db, &w).await, (850, 0));
    assert_reconciles(&db, w.program.id).await;
}

on_both_backends!(points_pay_part_of_an_order_at_the_point_value);
