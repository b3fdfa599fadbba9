//! Programs and tiers in storage: validation, uniqueness, updates.

use omniloyal::error::AppError;
use omniloyal::model::ids::ProgramId;
use omniloyal::server::db::Db;
use omniloyal::server::service::tiers;
use omniloyal::server::store::programs;

use crate::on_both_backends;
use crate::support::fixtures::{program_input, tier_input};

async fn create_edit_and_list(db: Db) {
    let p = programs::save(&db, &program_input("Aurora")).await.unwrap();
    assert_eq!(
        (p.points_per_unit, p.point_value_minor, p.currency_code.as_str()),
        (10, 1, "EUR")
    );

    let mut edit = program_input("Aurora Rewards");
    edit.id = Some(p.id);
    edit.points_per_unit = "5".into();
    let edited = programs::save(&db, &edit).await.unwrap();
    assert_eq!(
        (edited.id, edited.name.as_str(), edited.points_per_unit),
        (p.id, "Aurora Rewards", 5)
    );
    assert_eq!(programs::list(&db).await.unwrap().len(), 1);
}

async fn bad_input_changes_nothing(db: Db) {
    let mut bad = program_input("");
    bad.points_per_unit = "-3".into();
    let err = programs::save(&db, &bad).await.unwrap_err();
    assert_eq!(err.code(), "validation");
    assert!(err.field_message("name").is_some() && err.field_message("points_per_unit").is_some());
    assert!(programs::list(&db).await.unwrap().is_empty());

    programs::save(&db, &program_input("Aurora")).await.unwrap();
    let dup = programs::save(&db, &program_input("Aurora")).await.unwrap_err();
    assert!(dup.field_message("name").unwrap().contains("already"), "{dup:?}");

    let mut missing = program_input("Ghost");
    missing.id = Some(ProgramId(9_999));
    assert_eq!(
        programs::save(&db, &missing).await.unwrap_err(),
        AppError::not_found("Program")
    );
}

async fn tiers_are_unique_per_program_and_ordered(db: Db) {
    let p = programs::save(&db, &program_input("Aurora")).await.unwrap();
    tiers::save_tier(&db, &tier_input(p.id, "Gold", "5000", "1.5"))
        .await
        .unwrap();
    let green = tiers::save_tier(&db, &tier_input(p.id, "Green", "0", "1"))
        .await
        .unwrap();
    let e = tiers::save_tier(&db, &tier_input(p.id, "Gold", "100", "1"))
        .await
        .unwrap_err();
    assert!(e.field_message("name").is_some(), "{e:?}");
    let e = tiers::save_tier(&db, &tier_input(p.id, "Other", "5000", "1"))
        .await
        .unwrap_err();
    assert!(e.field_message("threshold_points").is_some(), "{e:?}");
    let e = tiers::save_tier(&db, &tier_input(p.id, "Bad", "x", "99"))
        .await
        .unwrap_err();
    assert!(e.field_message("threshold_points").is_some() && e.field_message("multiplier").is_some());
    assert_eq!(
        tiers::save_tier(&db, &tier_input(ProgramId(9_999), "Lost", "1", "1"))
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );

    let mut rename = tier_input(p.id, "Emerald", "0", "1.1");
    rename.id = Some(green.id);
    tiers::save_tier(&db, &rename).await.unwrap();
    let tiers = programs::tiers(&db, p.id).await.unwrap();
    let names: Vec<_> = tiers
        .iter()
        .map(|t| (t.name.as_str(), t.multiplier_pct))
        .collect();
    assert_eq!(names, vec![("Emerald", 110), ("Gold", 150)]);

    tiers::delete_tier(&db, p.id, green.id).await.unwrap();
    assert_eq!(programs::tiers(&db, p.id).await.unwrap().len(), 1);
    assert_eq!(
        tiers::delete_tier(&db, p.id, green.id).await.unwrap_err().code(),
        "not_found"
    );
}

on_both_backends!(
    create_edit_and_list,
    bad_input_changes_nothing,
    tiers_are_unique_per_program_and_ordered
);
