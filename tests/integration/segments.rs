//! Segments against real databases: a live count that saves nothing, refreshes that record
//! who entered and left when (with a test clock), re-evaluation of the members whose
//! summaries were folded, earning rules that give only to members in a segment, and the
//! refusals (bad rows, a segment a rule uses).

use omniloyal::error::AppError;
use omniloyal::model::ids::{MemberId, ProgramId};
use omniloyal::model::reward::RewardInput;
use omniloyal::model::rules::Channel;
use omniloyal::model::rules::{RuleConditions, RuleEffect};
use omniloyal::model::segment::{Condition, ConditionRow, Definition, Join, RfmDimension, SegmentForm};
use omniloyal::model::time::{Timestamp, SECONDS_PER_DAY};
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::query::reward_view;
use omniloyal::server::service::{members, orders, rewards, rollups, rules, segments};

use crate::on_both_backends;
use crate::support::fixtures::{order, rule, world};
use crate::support::make_user;

fn only(c: Condition) -> Definition {
    Definition {
        join: Join::All,
        within: Join::All,
        groups: vec![vec![c]],
    }
}

async fn another_member(db: &Db, program_id: ProgramId) -> MemberId {
    let user = make_user(db, Role::Member, &format!("m{}@x.io", rand::random::<u32>())).await;
    let member = members::for_user(db, user.id).await.unwrap();
    members::join(db, member.id, program_id).await.unwrap();
    member.id
}

async fn membership(db: &Db, member: MemberId, program: ProgramId) -> i64 {
    members::membership_id(db, member, program).await.unwrap().get()
}

async fn buy(db: &Db, program: ProgramId, member: MemberId, id: &str, amount: i64) -> i64 {
    orders::record_order(db, program, member, &order(id, amount), None)
        .await
        .unwrap()
        .points
}

/// "Regulars": members with at least two orders, once what was bought is folded.
async fn regulars(db: &Db, p: ProgramId) -> omniloyal::model::segment::Segment {
    rollups::catch_up(db).await.unwrap();
    segments::save_definition(
        db,
        p,
        None,
        "Regulars",
        &only(Condition::Orders {
            days: 0,
            min: Some(2),
            max: None,
        }),
    )
    .await
    .unwrap()
}

fn fields(e: AppError) -> Vec<String> {
    match e {
        AppError::Validation { fields, .. } => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

async fn a_segment_conditioned_rule_earns_only_for_members_in_it(db: Db) {
    let w = world(&db, |_| {}).await;
    let (p, buyer) = (w.program.id, w.member_id);
    let newcomer = another_member(&db, p).await;
    buy(&db, p, buyer, "b1", 10_000).await;
    buy(&db, p, buyer, "b2", 10_000).await;
    let regulars = regulars(&db, p).await;
    assert_eq!(regulars.members, 1);
    let mut bonus = rule(p, "Regulars bonus", 10, RuleEffect::FixedPoints { points: 500 });
    bonus.conditions = RuleConditions {
        segment_ids: vec![regulars.id],
        ..RuleConditions::default()
    };
    rules::save(&db, &bonus).await.unwrap();
    // Same order, same base rate: only the regular gets the bonus.
    let regular_points = buy(&db, p, buyer, "b3", 5_000).await;
    let newcomer_points = buy(&db, p, newcomer, "n1", 5_000).await;
    assert_eq!(regular_points, newcomer_points + 500);
    // The newcomer's second order is folded and re-evaluated: now a regular, the third earns
    // the bonus too.
    buy(&db, p, newcomer, "n2", 5_000).await;
    rollups::catch_up(&db).await.unwrap();
    assert_eq!(
        segments::catch_up(&db).await.unwrap(),
        2,
        "both members' summaries were folded"
    );
    let n3 = buy(&db, p, newcomer, "n3", 5_000).await;
    assert_eq!(n3, newcomer_points + 500);
    // A rule naming a segment cannot lose it, even switched off (switched on again it would
    // give to everyone): the delete is refused and changes nothing.
    let saved = rules::list(&db, p).await.unwrap();
    let mut off = saved.iter().find(|r| r.name == "Regulars bonus").unwrap().clone();
    off.active = false;
    rules::save(&db, &off).await.unwrap();
    let refused = segments::delete(&db, p, regulars.id).await.unwrap_err();
    assert!(matches!(refused, AppError::Conflict { .. }), "{refused:?}");
    assert_eq!(segments::list(&db, p).await.unwrap().len(), 1);
}

async fn a_merged_member_counts_with_the_purchases_merged_into_them(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let dup = another_member(&db, p).await;
    buy(&db, p, w.member_id, "m1", 4_000).await;
    buy(&db, p, dup, "d1", 3_000).await;
    buy(&db, p, dup, "d2", 3_000).await;
    rollups::catch_up(&db).await.unwrap();
    omniloyal::server::service::merges::merge(&db, dup, w.member_id, "Same person", None)
        .await
        .unwrap();
    rollups::catch_up(&db).await.unwrap();
    // Three orders and 100.00 between the two summaries: the member kept is one buyer with both.
    let three = segments::count(
        &db,
        p,
        &only(Condition::Orders {
            days: 0,
            min: Some(3),
            max: None,
        }),
    )
    .await
    .unwrap();
    assert_eq!(three.matching, 1);
    assert_eq!(three.sample[0].member_id, w.member_id.0);
    let spent = segments::count(
        &db,
        p,
        &only(Condition::Spend {
            days: 0,
            min: Some(10_000),
            max: None,
        }),
    )
    .await
    .unwrap();
    assert_eq!(spent.matching, 1);
    // In a window the moved orders count too, and the merged-away membership is nobody.
    let window = segments::count(
        &db,
        p,
        &only(Condition::Orders {
            days: 30,
            min: Some(3),
            max: None,
        }),
    )
    .await
    .unwrap();
    assert_eq!((window.matching, window.members), (1, 1));
    // One buyer left: the highest frequency score is theirs.
    let top = segments::count(
        &db,
        p,
        &only(Condition::Rfm {
            dimension: RfmDimension::Frequency,
            min: 1,
            max: 1,
        }),
    )
    .await
    .unwrap();
    assert_eq!(top.matching, 1);
}

async fn a_preview_counts_without_saving_and_names_bad_rows(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let other = another_member(&db, p).await;
    buy(&db, p, w.member_id, "a1", 25_000).await;
    buy(&db, p, other, "c1", 2_000).await;
    rollups::catch_up(&db).await.unwrap();
    let row = |kind: &str, min: &str, max: &str, values: &str| ConditionRow {
        group: "1".into(),
        kind: kind.into(),
        min: min.into(),
        max: max.into(),
        values: values.into(),
        ..ConditionRow::default()
    };
    let form = |rows: Vec<ConditionRow>| SegmentForm {
        program_id: p.0,
        id: String::new(),
        name: "Big spenders".into(),
        join: "all".into(),
        within: "all".into(),
        rows,
    };
    let big = segments::preview(&db, &form(vec![row("spend", "100", "", "")]))
        .await
        .unwrap();
    assert_eq!((big.matching, big.members), (1, 2));
    assert_eq!(big.sample.len(), 1);
    assert_eq!(big.sample[0].member_id, w.member_id.0);
    assert_eq!(big.sample[0].spend_minor, 25_000);
    // RFM: of two buyers the bigger spender scores 1 + 5·1/2 = 3, the other 1.
    let top = segments::preview(&db, &form(vec![row("rfm", "3", "5", "monetary")]))
        .await
        .unwrap();
    assert_eq!(top.matching, 1);
    let all = segments::preview(&db, &form(vec![row("rfm", "1", "5", "recency")]))
        .await
        .unwrap();
    assert_eq!(all.matching, 2);
    assert!(
        segments::list(&db, p).await.unwrap().is_empty(),
        "a preview saves nothing"
    );
    // Bad rows are named; rows that cannot hold together are too.
    let bad = segments::preview(
        &db,
        &form(vec![row("balance", "", "", ""), row("tier", "", "", "999")]),
    )
    .await
    .unwrap_err();
    assert_eq!(fields(bad), vec!["rows.0.min", "rows.1.values"]);
    let clash = segments::save(
        &db,
        &form(vec![row("spend", "500", "", ""), row("spend", "", "100", "")]),
    )
    .await
    .unwrap_err();
    assert_eq!(fields(clash), vec!["rows.1.kind"]);
    let empty = segments::save(&db, &form(vec![])).await.unwrap_err();
    assert_eq!(fields(empty), vec!["rows"]);
    assert!(
        segments::list(&db, p).await.unwrap().is_empty(),
        "nothing half-saved"
    );
    // A name is the program's once.
    segments::save(&db, &form(vec![row("spend", "100", "", "")]))
        .await
        .unwrap();
    let twice = segments::save(&db, &form(vec![row("orders", "1", "", "")]))
        .await
        .unwrap_err();
    assert_eq!(fields(twice), vec!["name"]);
}

async fn segment_history_keeps_who_was_in_it_when(db: Db) {
    let t0 = Timestamp(Timestamp::now().0 - 100 * SECONDS_PER_DAY);
    db.clock().stop_at(Some(t0));
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let a = w.member_id;
    let b = another_member(&db, p).await;
    buy(&db, p, a, "a1", 3_000).await;
    rollups::catch_up(&db).await.unwrap();
    let (ma, mb) = (membership(&db, a, p).await, membership(&db, b, p).await);
    // Active within the last 10 days: A bought today; B joined today and never bought,
    // counted from joining.
    let active = segments::save_definition(
        &db,
        p,
        None,
        "Active",
        &only(Condition::Inactive {
            min: None,
            max: Some(10),
        }),
    )
    .await
    .unwrap();
    assert_eq!(active.members, 2);
    // Twenty days on, neither has been active: both leave at the refresh.
    db.clock().stop_at(Some(Timestamp(t0.0 + 20 * SECONDS_PER_DAY)));
    segments::refresh_program(&db, p).await.unwrap();
    assert!(segments::members_at(&db, active.id, db.now().0)
        .await
        .unwrap()
        .is_empty());
    // A buys again ten days later: folded and caught up, A is back; B is not.
    db.clock().stop_at(Some(Timestamp(t0.0 + 30 * SECONDS_PER_DAY)));
    buy(&db, p, a, "a2", 3_000).await;
    rollups::catch_up(&db).await.unwrap();
    segments::catch_up(&db).await.unwrap();
    let now = db.now().0;
    assert_eq!(segments::members_at(&db, active.id, now).await.unwrap(), vec![ma]);
    // Who was in it on each day: both on day 1, nobody on day 25, A alone on day 31.
    let day = |d: i64| t0.0 + d * SECONDS_PER_DAY;
    let mut both = vec![ma, mb];
    both.sort_unstable();
    assert_eq!(segments::members_at(&db, active.id, day(1)).await.unwrap(), both);
    assert!(segments::members_at(&db, active.id, day(25))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        segments::members_at(&db, active.id, day(31)).await.unwrap(),
        vec![ma]
    );
    assert_eq!(segments::now_in(&db, ma).await.unwrap(), vec![active.id]);
    assert!(segments::now_in(&db, mb).await.unwrap().is_empty());
    // The count follows, and a full refresh agrees with the catch-up.
    assert_eq!(segments::get(&db, p, active.id).await.unwrap().members, 1);
    segments::refresh_program(&db, p).await.unwrap();
    assert_eq!(
        segments::members_at(&db, active.id, db.now().0).await.unwrap(),
        vec![ma]
    );
    // Deleted, it has no members now but keeps its past.
    segments::delete(&db, p, active.id).await.unwrap();
    assert!(segments::now_in(&db, ma).await.unwrap().is_empty());
    assert_eq!(segments::members_at(&db, active.id, day(1)).await.unwrap(), both);
    assert!(segments::list(&db, p).await.unwrap().is_empty());
    db.clock().stop_at(None);
}

/// Windows of different lengths, in one definition and across the segments of a full
/// refresh, are read in one pass over the orders: each condition must see its own window.
async fn windows_of_different_lengths_each_count_their_own_orders(db: Db) {
    let t0 = Timestamp(Timestamp::now().0 - 100 * SECONDS_PER_DAY);
    db.clock().stop_at(Some(t0));
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let (a, b) = (w.member_id, another_member(&db, p).await);
    let day = |d: i64| db.clock().stop_at(Some(Timestamp(t0.0 + d * SECONDS_PER_DAY)));
    buy(&db, p, b, "b1", 2_000).await;
    day(40);
    buy(&db, p, a, "a1", 5_000).await;
    day(90);
    buy(&db, p, a, "a2", 3_000).await;
    day(100);
    rollups::catch_up(&db).await.unwrap();
    let (ma, mb) = (membership(&db, a, p).await, membership(&db, b, p).await);
    // A: two orders (80.00) over 90 and 120 days, one over 30. B: one order 100 days back,
    // so only in the 120-day window.
    let both = |first: Condition, second: Condition| Definition {
        join: Join::All,
        within: Join::All,
        groups: vec![vec![first, second]],
    };
    let a_only = both(
        Condition::Spend {
            days: 90,
            min: Some(8_000),
            max: None,
        },
        Condition::Orders {
            days: 30,
            min: Some(1),
            max: Some(1),
        },
    );
    // A window of its own (120 days) beside the shared one: the refresh reads the windows of
    // all its segments, not the first's.
    let b_only = both(
        Condition::Orders {
            days: 120,
            min: Some(1),
            max: None,
        },
        Condition::Orders {
            days: 30,
            min: None,
            max: Some(0),
        },
    );
    let counted = segments::count(&db, p, &a_only).await.unwrap();
    assert_eq!(counted.matching, 1);
    assert_eq!(counted.sample[0].member_id, a.0);
    let counted = segments::count(&db, p, &b_only).await.unwrap();
    assert_eq!(counted.matching, 1);
    assert_eq!(counted.sample[0].member_id, b.0);
    let sa = segments::save_definition(&db, p, None, "A only", &a_only)
        .await
        .unwrap();
    let sb = segments::save_definition(&db, p, None, "B only", &b_only)
        .await
        .unwrap();
    assert_eq!((sa.members, sb.members), (1, 1));
    // The full refresh reads both segments' windows together.
    assert_eq!(segments::refresh_program(&db, p).await.unwrap(), (2, 2));
    let now = db.now().0;
    assert_eq!(segments::members_at(&db, sa.id, now).await.unwrap(), vec![ma]);
    assert_eq!(segments::members_at(&db, sb.id, now).await.unwrap(), vec![mb]);
    // B buys 80.00 today: re-evaluated alone (the catch-up reads B's windows), B enters
    // "A only", which only B's orders in its windows allow, and leaves "B only".
    buy(&db, p, b, "b2", 8_000).await;
    rollups::catch_up(&db).await.unwrap();
    segments::catch_up(&db).await.unwrap();
    let now = db.now().0;
    assert!(segments::members_at(&db, sb.id, now).await.unwrap().is_empty());
    let mut both_in = vec![ma, mb];
    both_in.sort_unstable();
    assert_eq!(segments::members_at(&db, sa.id, now).await.unwrap(), both_in);
    db.clock().stop_at(None);
}

async fn every_condition_kind_evaluates_against_the_database(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let other = another_member(&db, p).await;
    buy(&db, p, w.member_id, "x1", 12_000).await;
    buy(&db, p, w.member_id, "x2", 8_000).await;
    rollups::catch_up(&db).await.unwrap();
    let count = |d: Definition| {
        let db = db.clone();
        async move {
            let s = segments::save_definition(&db, p, None, &format!("s{}", rand::random::<u32>()), &d)
                .await
                .unwrap();
            s.members
        }
    };
    let today = Timestamp::now().date();
    assert_eq!(
        count(only(Condition::Spend {
            days: 30,
            min: Some(20_000),
            max: None
        }))
        .await,
        1
    );
    assert_eq!(
        count(only(Condition::Orders {
            days: 30,
            min: None,
            max: Some(0)
        }))
        .await,
        1
    );
    assert_eq!(
        count(only(Condition::Balance {
            min: Some(1),
            max: None
        }))
        .await,
        1
    );
    assert_eq!(count(only(Condition::Tier { tier_ids: vec![0] })).await, 2);
    assert_eq!(
        count(only(Condition::Channels {
            channels: vec![omniloyal::model::rules::Channel::Web]
        }))
        .await,
        1
    );
    assert_eq!(
        count(only(Condition::Enrolled {
            from: Some(today),
            to: Some(today)
        }))
        .await,
        2
    );
    assert_eq!(
        count(only(Condition::Profile {
            fact: omniloyal::model::segment::ProfileFact::HasAccount,
            present: true
        }))
        .await,
        2
    );
    assert_eq!(
        count(only(Condition::Rfm {
            dimension: RfmDimension::Frequency,
            min: 1,
            max: 5
        }))
        .await,
        1
    );
    // (bought ≥ 200.00) OR (never bought) takes in both.
    let either = Definition {
        join: Join::Any,
        within: Join::All,
        groups: vec![
            vec![Condition::Spend {
                days: 0,
                min: Some(20_000),
                max: None,
            }],
            vec![Condition::Orders {
                days: 0,
                min: None,
                max: Some(0),
            }],
        ],
    };
    assert_eq!(count(either).await, 2);
    // Stores and products: a latte bought in a store, by the other member.
    let store = omniloyal::server::store::stores::save(
        &db,
        &omniloyal::model::store::StoreInput {
            code: "SEG-1".into(),
            name: "Segments store".into(),
            channel: "store".into(),
            time_zone: "Europe/Paris".into(),
        },
    )
    .await
    .unwrap();
    let mut latte = order("y1", 450);
    latte.channel = omniloyal::model::rules::Channel::Store;
    latte.store = Some("SEG-1".into());
    latte.lines = vec![omniloyal::model::rules::OrderLine {
        sku: "LATTE".into(),
        category: Some("Coffee".into()),
        tags: Vec::new(),
        quantity: 1,
        amount_minor: 450,
    }];
    orders::record_order(&db, p, other, &latte, None).await.unwrap();
    rollups::catch_up(&db).await.unwrap();
    assert_eq!(
        count(only(Condition::Stores {
            days: 7,
            store_ids: vec![store.id]
        }))
        .await,
        1
    );
    let bought = |skus: &[&str], categories: &[&str]| Condition::Products {
        days: 0,
        skus: skus.iter().map(|s| s.to_string()).collect(),
        categories: categories.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(count(only(bought(&["LATTE"], &[]))).await, 1);
    assert_eq!(count(only(bought(&["TEA"], &["Coffee"]))).await, 1);
    assert_eq!(count(only(bought(&["TEA"], &["Cake"]))).await, 0);
    assert_eq!(
        count(only(Condition::BirthdayMonth {
            months: (1..=12).collect()
        }))
        .await,
        0
    );
}

async fn the_channel_api_lists_segments_and_a_members_segments(db: Db) {
    let app = crate::support::spawn_app(db).await;
    let w = world(&app.db, |_| {}).await;
    let p = w.program.id;
    buy(&app.db, p, w.member_id, "k1", 5_000).await;
    rollups::catch_up(&app.db).await.unwrap();
    let buyers = segments::save_definition(
        &app.db,
        p,
        None,
        "Buyers",
        &only(Condition::Orders {
            days: 0,
            min: Some(1),
            max: None,
        }),
    )
    .await
    .unwrap();
    segments::save_definition(
        &app.db,
        p,
        None,
        "Rich",
        &only(Condition::Balance {
            min: Some(1_000_000),
            max: None,
        }),
    )
    .await
    .unwrap();
    let key = crate::support::fixtures::program_key(&app.db, "web", p).await;
    let (status, list, _) = crate::support::fixtures::send(
        &app,
        reqwest::Method::GET,
        &format!("/programs/{}/segments", p.0),
        Some(&key),
        None,
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{list}");
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Buyers", "Rich"]);
    assert_eq!(list[0]["members"], 1);
    assert_eq!(list[0]["definition"]["groups"][0][0]["kind"], "orders");
    let card = members::get(&app.db, w.member_id).await.unwrap().card_number;
    let (status, mine, _) = crate::support::fixtures::send(
        &app,
        reqwest::Method::GET,
        &format!("/programs/{}/members/{card}/segments", p.0),
        Some(&key),
        None,
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{mine}");
    assert_eq!(
        mine["segments"],
        serde_json::json!([{ "id": buyers.id, "name": "Buyers" }])
    );
    // Another program's key sees none of it.
    let other =
        omniloyal::server::store::programs::save(&app.db, &crate::support::fixtures::program_input("Other"))
            .await
            .unwrap();
    let other_key = crate::support::fixtures::program_key(&app.db, "web", other.id).await;
    let (status, _, _) = crate::support::fixtures::send(
        &app,
        reqwest::Method::GET,
        &format!("/programs/{}/segments", p.0),
        Some(&other_key),
        None,
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
}

/// A reward offered to a segment: its members see it and redeem it; others do not see it and
/// are refused; the segment cannot be deleted while the reward is offered; a free perk for a
/// segment needs a limit, and a segment of no program's is named.
async fn a_segments_reward_is_seen_and_redeemed_only_by_its_members(db: Db) {
    let w = world(&db, |_| {}).await;
    let (p, regular) = (w.program.id, w.member_id);
    let newcomer = another_member(&db, p).await;
    buy(&db, p, regular, "r1", 10_000).await;
    buy(&db, p, regular, "r2", 10_000).await;
    buy(&db, p, newcomer, "n1", 10_000).await;
    let regulars = regulars(&db, p).await;
    assert_eq!(regulars.members, 1);
    let mut input = RewardInput {
        program_id: p,
        name: "Regulars' coffee".into(),
        kind: "free_product".into(),
        cost_points: "0".into(),
        sku: "COFFEE".into(),
        segment_id: "999999".into(),
        ..RewardInput::default()
    };
    let refused = rewards::save(&db, &input).await.unwrap_err();
    assert_eq!(fields(refused), vec!["per_member_limit", "segment_id"]);
    input.segment_id = regulars.id.to_string();
    input.per_member_limit = "1".into();
    let coffee = rewards::save(&db, &input).await.unwrap();
    assert_eq!(coffee.segment_id, Some(regulars.id));

    let seen = |member: MemberId| {
        let db = db.clone();
        async move {
            let ms = members::membership_id(&db, member, p).await.unwrap();
            reward_view::offers(&db, ms, Some(Channel::Web))
                .await
                .unwrap()
                .into_iter()
                .any(|o| o.reward.id == coffee.id)
        }
    };
    assert!(seen(regular).await, "offered to the segment's member");
    assert!(!seen(newcomer).await, "not shown to others");
    let refused = rewards::redeem(&db, newcomer, coffee.id, Channel::Web, "n-coffee", false, None)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AppError::RewardUnavailable { .. }),
        "{refused:?}"
    );
    let issued = rewards::redeem(&db, regular, coffee.id, Channel::Web, "r-coffee", false, None)
        .await
        .unwrap();
    assert_eq!(issued.points, 0);
    // Offered to the segment, it keeps it.
    let refused = segments::delete(&db, p, regulars.id).await.unwrap_err();
    assert!(
        matches!(&refused, AppError::Conflict { message } if message.contains("Regulars' coffee")),
        "{refused:?}"
    );
    assert_eq!(segments::list(&db, p).await.unwrap().len(), 1);
}

on_both_backends!(
    a_segments_reward_is_seen_and_redeemed_only_by_its_members,
    a_segment_conditioned_rule_earns_only_for_members_in_it,
    a_preview_counts_without_saving_and_names_bad_rows,
    segment_history_keeps_who_was_in_it_when,
    every_condition_kind_evaluates_against_the_database,
    windows_of_different_lengths_each_count_their_own_orders,
    the_channel_api_lists_segments_and_a_members_segments,
    a_merged_member_counts_with_the_purchases_merged_into_them,
);
