//! Campaigns against real databases: variants that give through the booking pipeline while
//! the control group gets nothing, a reward offer seen on the portal and used in store, a
//! budget shared by the variants that holds under 30 concurrent bookings, the lifecycle with
//! its recorded edits, the report, the message telling members of their offer (once each,
//! never the control group, suppressed once the campaign stops, failures in its report), and
//! the refusals (bad forms, a targeted segment deleted).

use omniloyal::domain::campaigns::arm_of;
use omniloyal::error::AppError;
use omniloyal::model::campaign::{CampaignForm, Incentive, Status, VariantRow};
use omniloyal::model::card::StampCardInput;
use omniloyal::model::consent::{ConsentName, ConsentSource};
use omniloyal::model::ids::{MemberId, ProgramId};
use omniloyal::model::message::{Channel as MessageChannel, HoldReason, IfLimited, MessageStatus, Topic};
use omniloyal::model::order::ReturnInput;
use omniloyal::model::reward::{RewardInput, RewardStatus};
use omniloyal::model::rules::Channel;
use omniloyal::model::segment::{Condition, Definition, Join};
use omniloyal::model::template::TemplateForm;
use omniloyal::model::time::Timestamp;
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::outbox::messages::{deliver_due, enqueue, NewMessage};
use omniloyal::server::service::consents::{self, By};
use omniloyal::server::service::{campaigns, members, orders, rewards, segments, stamps, templates};
use omniloyal::server::store::messages as message_store;

use crate::on_both_backends;
use crate::support::fixtures::{order, world};
use crate::support::make_user;

/// Everyone who joined within the last 1000 days (a member never active counts from joining).
fn everyone() -> Definition {
    Definition {
        join: Join::All,
        within: Join::All,
        groups: vec![vec![Condition::Inactive {
            min: None,
            max: Some(1000),
        }]],
    }
}

async fn joined(db: &Db, program_id: ProgramId, n: usize) -> Vec<(MemberId, i64)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let user = make_user(db, Role::Member, &format!("m{}@x.io", rand::random::<u32>())).await;
        let member = members::for_user(db, user.id).await.unwrap();
        members::join(db, member.id, program_id).await.unwrap();
        let ms = members::membership_id(db, member.id, program_id)
            .await
            .unwrap()
            .get();
        out.push((member.id, ms));
    }
    out
}

fn variant(share: &str, kind: &str, value: &str) -> VariantRow {
    VariantRow {
        share: share.into(),
        kind: kind.into(),
        value: value.into(),
        ..VariantRow::default()
    }
}

fn form(program_id: ProgramId, segment_id: i64, holdout: &str, variants: Vec<VariantRow>) -> CampaignForm {
    let today = Timestamp::now().date();
    CampaignForm {
        program_id: program_id.0,
        name: format!("Campaign {}", rand::random::<u16>()),
        segment_id: segment_id.to_string(),
        starts_on: today.to_string(),
        ends_on: (today + chrono::Duration::days(30)).to_string(),
        holdout: holdout.into(),
        variants,
        ..CampaignForm::default()
    }
}

fn fields(e: AppError) -> Vec<String> {
    match e {
        AppError::Validation { fields, .. } => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

async fn variants_give_and_the_control_group_gets_nothing(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let people = joined(&db, p, 40).await;
    let all = segments::save_definition(&db, p, None, "Everyone", &everyone())
        .await
        .unwrap();
    assert_eq!(all.members, 41);
    // Bad input: each named, nothing saved.
    let mut bad = form(
        p,
        all.id,
        "60",
        vec![
            variant("50", "bonus_points", "200"),
            variant("40", "multiplier", "2"),
        ],
    );
    bad.ends_on = "2000-01-01".into();
    let refused = campaigns::save(&db, &bad, None).await.unwrap_err();
    assert_eq!(fields(refused), vec!["ends_on", "holdout", "variants.1.share"]);
    assert!(campaigns::list(&db, p).await.unwrap().is_empty());

    let f = form(
        p,
        all.id,
        "20",
        vec![
            variant("50", "bonus_points", "200"),
            variant("50", "multiplier", "2"),
        ],
    );
    let draft = campaigns::save(&db, &f, None).await.unwrap();
    assert_eq!(draft.status(db.now()), Status::Draft);
    // A draft gives nothing and offers nothing.
    let (m0, _) = people[0];
    assert!(campaigns::offers(&db, p, m0, None).await.unwrap().is_empty());
    let c = campaigns::launch(&db, p, draft.id, None).await.unwrap();
    assert_eq!(c.status(db.now()), Status::Running);
    // A segment a campaign targets cannot be deleted while the campaign has not ended.
    let in_use = segments::delete(&db, p, all.id).await.unwrap_err();
    assert!(matches!(in_use, AppError::Conflict { .. }), "{in_use:?}");

    // 100.00 earns 1,000 Stars at the base rate; variant A adds 200 once, B doubles.
    let shares = [50, 50];
    let mut seen = [0; 3];
    for (i, &(member, ms)) in people.iter().enumerate() {
        let arm = arm_of(c.id, ms, 20, &shares);
        let first = orders::record_order(&db, p, member, &order(&format!("a{i}"), 10_000), None)
            .await
            .unwrap()
            .points;
        let second = orders::record_order(&db, p, member, &order(&format!("b{i}"), 10_000), None)
            .await
            .unwrap()
            .points;
        let offers = campaigns::offers(&db, p, member, None).await.unwrap();
        match arm {
            None => {
                assert_eq!((first, second), (1_000, 1_000), "control members get nothing");
                assert!(offers.is_empty());
                seen[0] += 1;
            }
            Some(0) => {
                assert_eq!((first, second), (1_200, 1_000), "the bonus is given once");
                assert_eq!(offers.len(), 1);
                assert!(offers[0].used);
                assert_eq!(
                    offers[0].incentive,
                    Incentive::BonusPoints {
                        points: 200,
                        min_order_minor: 0
                    }
                );
                seen[1] += 1;
            }
            Some(_) => {
                assert_eq!((first, second), (2_000, 2_000), "double points on every order");
                assert_eq!(offers[0].incentive, Incentive::Multiplier { pct: 200 });
                seen[2] += 1;
            }
        }
    }
    assert!(seen.iter().all(|&n| n > 0), "every arm has members: {seen:?}");
    // A change to a running campaign is recorded; what members were split by stays fixed.
    let mut longer = campaigns::form(&db, p, Some(c.id)).await.unwrap();
    let end = Timestamp::now().date() + chrono::Duration::days(40);
    longer.ends_on = end.to_string();
    longer.variants[0].value = "300".into();
    campaigns::save(&db, &longer, None).await.unwrap();
    let mut reshaped = campaigns::form(&db, p, Some(c.id)).await.unwrap();
    reshaped.holdout = "30".into();
    let fixed = campaigns::save(&db, &reshaped, None).await.unwrap_err();
    assert!(matches!(fixed, AppError::Conflict { .. }), "{fixed:?}");
    // A budget added once points were given without one would not count them: refused.
    let mut budgeted = campaigns::form(&db, p, Some(c.id)).await.unwrap();
    budgeted.budget = "100000".into();
    let fixed = campaigns::save(&db, &budgeted, None).await.unwrap_err();
    assert!(matches!(fixed, AppError::Conflict { .. }), "{fixed:?}");
    // An end in the past is refused (stopping ends it now); so is a form drawn before the
    // last save (someone else's change is not overwritten).
    let mut past = campaigns::form(&db, p, Some(c.id)).await.unwrap();
    past.ends_on = "2000-01-01".into();
    past.starts_on = "2000-01-01".into();
    let refused = campaigns::save(&db, &past, None).await.unwrap_err();
    assert!(
        matches!(refused, AppError::Conflict { .. } | AppError::Validation { .. }),
        "{refused:?}"
    );
    let mut stale = longer.clone();
    stale.name = "Renamed".into();
    let refused = campaigns::save(&db, &stale, None).await.unwrap_err();
    assert!(matches!(refused, AppError::Conflict { .. }), "{refused:?}");

    let report = campaigns::report(&db, p, c.id).await.unwrap();
    assert_eq!(report.reach, 41, "every member of the segment while it ran");
    assert_eq!(report.arms.iter().map(|a| a.members).sum::<i64>(), 41);
    let control = &report.arms[0];
    assert!(control.control && control.uplift.is_none());
    assert_eq!(control.cost_minor, 0);
    // A: 200 points each at one cent a point; B: 2,000 extra points each.
    let a = &report.arms[1];
    assert_eq!(a.redeemed, seen[1] as i64);
    assert_eq!(a.points_given, 200 * seen[1] as i64);
    assert_eq!(a.cost_minor, 200 * seen[1] as i64);
    let b = &report.arms[2];
    assert_eq!(b.points_given, 2_000 * seen[2] as i64);
    // Everyone bought the same: no difference in revenue, and the interval says so.
    let up = a.uplift.as_ref().unwrap();
    assert_eq!(up.revenue_per_member.round(), 0.0);
    let total: i64 = report.arms.iter().map(|a| a.revenue_minor).sum();
    assert_eq!(total, 40 * 20_000, "the 41st member bought nothing");
    assert!((report.arms.iter().map(|a| a.actual_pct).sum::<f64>() - 100.0).abs() < 1e-9);

    // The bonus is once per member, whatever its value becomes: raised to 300, a member who
    // had 200 gets nothing more.
    let (had, _) = *people
        .iter()
        .find(|(_, ms)| arm_of(c.id, *ms, 20, &shares) == Some(0))
        .unwrap();
    let again = orders::record_order(&db, p, had, &order("again", 10_000), None)
        .await
        .unwrap()
        .points;
    assert_eq!(again, 1_000);
    // Stopped: no more campaign points, the edits are on record.
    campaigns::stop(&db, p, c.id, None).await.unwrap();
    let later = orders::record_order(&db, p, people[1].0, &order("late", 10_000), None)
        .await
        .unwrap()
        .points;
    assert_eq!(later, 1_000);
    assert!(campaigns::offers(&db, p, m0, None).await.unwrap().is_empty());
    let report = campaigns::report(&db, p, c.id).await.unwrap();
    assert_eq!(report.status, Status::Ended);
    let edits: Vec<&str> = report.edits.iter().map(|e| e.change.as_str()).collect();
    assert_eq!(edits[0], "launched");
    assert!(
        edits[1].contains("ends_at") && edits[1].contains("variants.0.incentive"),
        "{edits:?}"
    );
    assert_eq!(edits[2], "stopped");
    // Ended, it no longer holds its segment.
    segments::delete(&db, p, all.id).await.unwrap();
}

async fn a_reward_offer_seen_on_the_portal_is_used_in_store(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let people = joined(&db, p, 30).await;
    let coffee = rewards::save(
        &db,
        &RewardInput {
            program_id: p,
            name: "Free coffee".into(),
            kind: "free_product".into(),
            cost_points: "500".into(),
            sku: "COFFEE".into(),
            ..RewardInput::default()
        },
    )
    .await
    .unwrap();
    let all = segments::save_definition(&db, p, None, "Everyone", &everyone())
        .await
        .unwrap();
    let mut f = form(
        p,
        all.id,
        "50",
        vec![variant("", "reward", &coffee.id.to_string())],
    );
    f.channels = vec!["store".into(), "web".into()];
    f.max_rewards = "100".into();
    let c = campaigns::save(&db, &f, None).await.unwrap();
    campaigns::launch(&db, p, c.id, None).await.unwrap();
    let treated = people
        .iter()
        .find(|(_, ms)| arm_of(c.id, *ms, 50, &[100]).is_some())
        .copied()
        .unwrap();
    let held = people
        .iter()
        .find(|(_, ms)| arm_of(c.id, *ms, 50, &[100]).is_none())
        .copied()
        .unwrap();
    // Seen on the portal (the web), not in the app (not one of its channels).
    let offers = campaigns::offers(&db, p, treated.0, Some(Channel::Web))
        .await
        .unwrap();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].reward_name, "Free coffee");
    assert!(offers[0].claimed_code.is_none());
    assert!(campaigns::offers(&db, p, treated.0, Some(Channel::App))
        .await
        .unwrap()
        .is_empty());
    // The control member sees nothing and cannot claim it.
    assert!(campaigns::offers(&db, p, held.0, None).await.unwrap().is_empty());
    let refused = campaigns::claim(&db, p, held.0, c.id, Channel::Web, None)
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Conflict { .. }), "{refused:?}");
    // Claimed on the portal: free, once (a second claim answers the same code).
    let code = campaigns::claim(&db, p, treated.0, c.id, Channel::Web, None)
        .await
        .unwrap();
    assert_eq!(code.points, 0);
    let again = campaigns::claim(&db, p, treated.0, c.id, Channel::Web, None)
        .await
        .unwrap();
    assert_eq!(again.code, code.code);
    let offers = campaigns::offers(&db, p, treated.0, None).await.unwrap();
    assert_eq!(offers[0].claimed_code.as_deref(), Some(code.code.as_str()));
    // Used at the till.
    let used = rewards::use_code(&db, &code.code, None, Channel::Store)
        .await
        .unwrap();
    assert_eq!(used.status, RewardStatus::Used);
    let report = campaigns::report(&db, p, c.id).await.unwrap();
    let arm = &report.arms[1];
    assert_eq!((arm.redeemed, arm.cost_minor), (1, 0));
    assert_eq!(report.campaign.rewards_given, 1);
    // Bonus points for a member outside the segment: none, and no offer.
    let outsider = world(&db, |_| {}).await;
    assert!(campaigns::offers(&db, p, outsider.member_id, None)
        .await
        .unwrap()
        .is_empty());
}

async fn a_shared_budget_holds_under_30_concurrent_bookings(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let people = joined(&db, p, 30).await;
    let all = segments::save_definition(&db, p, None, "Everyone", &everyone())
        .await
        .unwrap();
    // Two variants of 30 bonus points each, no control group, one budget of 500 between them:
    // 30 members would draw 900.
    let mut f = form(
        p,
        all.id,
        "0",
        vec![
            variant("50", "bonus_points", "30"),
            variant("50", "bonus_points", "30"),
        ],
    );
    f.budget = "500".into();
    let c = campaigns::save(&db, &f, None).await.unwrap();
    campaigns::launch(&db, p, c.id, None).await.unwrap();
    let mut tasks = Vec::new();
    for (i, &(member, _)) in people.iter().enumerate() {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            orders::record_order(&db, p, member, &order(&format!("c{i}"), 100), None).await
        }));
    }
    let mut bonus = 0;
    for t in tasks {
        // 1.00 earns 10 at the base rate; the rest is the campaign's.
        bonus += t.await.unwrap().expect("every order books").points - 10;
    }
    assert_eq!(bonus, 500, "the budget is spent to the point and not beyond");
    let after = campaigns::get(&db, p, c.id).await.unwrap();
    assert_eq!(after.points_given, 500);
    // A budget below what was given is refused, field named, nothing changed.
    let mut lower = campaigns::form(&db, p, Some(c.id)).await.unwrap();
    lower.budget = "400".into();
    let refused = campaigns::save(&db, &lower, None).await.unwrap_err();
    assert_eq!(fields(refused), vec!["budget"]);
    assert_eq!(
        campaigns::get(&db, p, c.id).await.unwrap().budget_points,
        Some(500)
    );
}

async fn the_channel_api_answers_offers_for_this_member(db: Db) {
    let app = crate::support::spawn_app(db).await;
    let w = world(&app.db, |_| {}).await;
    let p = w.program.id;
    let coffee = rewards::save(
        &app.db,
        &RewardInput {
            program_id: p,
            name: "Free coffee".into(),
            kind: "free_product".into(),
            cost_points: "500".into(),
            sku: "COFFEE".into(),
            ..RewardInput::default()
        },
    )
    .await
    .unwrap();
    let all = segments::save_definition(&app.db, p, None, "Everyone", &everyone())
        .await
        .unwrap();
    // No control group: the member is in the one variant whatever the hash.
    let f = form(
        p,
        all.id,
        "0",
        vec![variant("", "reward", &coffee.id.to_string())],
    );
    let c = campaigns::save(&app.db, &f, None).await.unwrap();
    campaigns::launch(&app.db, p, c.id, None).await.unwrap();
    let key = crate::support::fixtures::program_key(&app.db, "web", p).await;
    let card = members::get(&app.db, w.member_id).await.unwrap().card_number;
    let get = |path: String| {
        let (app, key) = (&app, key.clone());
        async move {
            crate::support::fixtures::send(app, reqwest::Method::GET, &path, Some(&key), None, None).await
        }
    };
    let (status, offers, _) = get(format!("/programs/{}/members/{card}/offers", p.0)).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{offers}");
    assert_eq!(offers[0]["campaign_id"], c.id);
    assert_eq!(offers[0]["incentive"]["kind"], "reward");
    assert_eq!(offers[0]["headline"], "Free coffee, free");
    let claim = format!("/programs/{}/members/{card}/offers/{}/claim", p.0, c.id);
    let post = |path: String| {
        let (app, key) = (&app, key.clone());
        async move {
            crate::support::fixtures::send(app, reqwest::Method::POST, &path, Some(&key), None, None).await
        }
    };
    let (status, first, _) = post(claim.clone()).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{first}");
    let (_, again, _) = post(claim).await;
    assert_eq!(
        first["code"], again["code"],
        "a retried claim answers the same code"
    );
    let (_, offers, _) = get(format!("/programs/{}/members/{card}/offers", p.0)).await;
    assert_eq!(offers[0]["claimed_code"], first["code"]);
    // Another program's key sees nothing of it.
    let other =
        omniloyal::server::store::programs::save(&app.db, &crate::support::fixtures::program_input("Other"))
            .await
            .unwrap();
    let other_key = crate::support::fixtures::program_key(&app.db, "web", other.id).await;
    let (status, _, _) = crate::support::fixtures::send(
        &app,
        reqwest::Method::GET,
        &format!("/programs/{}/members/{card}/offers", p.0),
        Some(&other_key),
        None,
        None,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
}

/// Bonus stamps: a variant's members get extra stamps on the card with their first order of
/// at least the amount, once; the control group gets only the card's own; a return takes back
/// the order's share of both; a replayed order answers both on one receipt; the report counts
/// each stamp at its share of the card's reward; launch and stop reach bookings at once.
async fn bonus_stamps_come_once_with_an_order_and_go_with_its_return(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let people = joined(&db, p, 30).await;
    let voucher = rewards::save(
        &db,
        &RewardInput {
            program_id: p,
            name: "Five off".into(),
            kind: "discount_fixed".into(),
            cost_points: "100".into(),
            value: "5.00".into(),
            ..RewardInput::default()
        },
    )
    .await
    .unwrap();
    let card = stamps::save(
        &db,
        &StampCardInput {
            program_id: p,
            name: "Visit card".into(),
            stamps_required: "5".into(),
            reward_id: voucher.id.to_string(),
            ..StampCardInput::default()
        },
    )
    .await
    .unwrap();
    let all = segments::save_definition(&db, p, None, "Everyone", &everyone())
        .await
        .unwrap();
    let mut bonus = variant("", "stamps", "2");
    bonus.min_order = "20".into();
    // A card of no program's is named.
    bonus.card = "999999".into();
    let refused = campaigns::save(&db, &form(p, all.id, "50", vec![bonus.clone()]), None)
        .await
        .unwrap_err();
    assert_eq!(fields(refused), vec!["variants.0.card"]);
    bonus.card = card.id.to_string();
    let draft = campaigns::save(&db, &form(p, all.id, "50", vec![bonus]), None)
        .await
        .unwrap();
    let arm = |ms: i64| arm_of(draft.id, ms, 50, &[100]);
    let treated: Vec<(MemberId, i64)> = people
        .iter()
        .copied()
        .filter(|(_, ms)| arm(*ms).is_some())
        .collect();
    let (held, _) = people.iter().copied().find(|(_, ms)| arm(*ms).is_none()).unwrap();
    let (t0, t1) = (treated[0].0, treated[1].0);
    let stamps_of = |m: MemberId| {
        let db = db.clone();
        async move {
            omniloyal::server::query::stamp_view::balances(&db, m)
                .await
                .unwrap()
                .first()
                .map_or(0, |b| b.stamps)
        }
    };
    // A draft gives nothing: one stamp, the card's own.
    let r = orders::record_order(&db, p, t1, &order("s-draft", 3_000), None)
        .await
        .unwrap();
    assert_eq!(r.stamps[0].added, 1);
    let c = campaigns::launch(&db, p, draft.id, None).await.unwrap();
    let offer = &campaigns::offers(&db, p, t0, None).await.unwrap()[0];
    assert_eq!(offer.reward_name, "Visit card");
    assert!(
        offer.headline.starts_with("2 extra stamps on Visit card"),
        "{}",
        offer.headline
    );
    assert!(!offer.used);

    // A card a running campaign gives stamps on cannot be retired.
    let refused = stamps::deactivate(&db, p, card.id).await.unwrap_err();
    assert!(matches!(refused, AppError::Conflict { .. }), "{refused:?}");
    // A purchase made before the launch, sent late: the card's own stamp only.
    let (t3, _) = treated[3];
    let mut late = order("s-late", 3_000);
    late.occurred_at = Some(Timestamp(c.starts_at.0 - 3_600));
    let r = orders::record_order(&db, p, t3, &late, None).await.unwrap();
    assert_eq!(r.stamps[0].added, 1);
    // Below the amount: the card's own stamp only.
    orders::record_order(&db, p, t0, &order("s1", 1_000), None)
        .await
        .unwrap();
    assert_eq!(stamps_of(t0).await, 1);
    // At least the amount: one more and the bonus's two, on one receipt.
    let r = orders::record_order(&db, p, t0, &order("s2", 3_000), None)
        .await
        .unwrap();
    assert_eq!(r.stamps.len(), 1);
    assert_eq!((r.stamps[0].added, r.stamps[0].stamps), (3, 4));
    assert!(campaigns::offers(&db, p, t0, None).await.unwrap()[0].used);
    let again = orders::record_order(&db, p, t0, &order("s2", 3_000), None)
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!((again.stamps[0].added, again.stamps[0].stamps), (3, 4));
    // Half of it returned: half of its three stamps, rounded down.
    let half = ReturnInput {
        channel: Channel::Web,
        returned_in: None,
        channel_order_id: "s2".into(),
        return_id: "R1".into(),
        amount_minor: 1_500,
    };
    orders::record_return(&db, p, &half, None).await.unwrap();
    assert_eq!(stamps_of(t0).await, 3);
    // Once per member: the next order brings its own stamp only, the one after fills the card.
    orders::record_order(&db, p, t0, &order("s3", 3_000), None)
        .await
        .unwrap();
    assert_eq!(stamps_of(t0).await, 4);
    let full = orders::record_order(&db, p, t0, &order("s4", 3_000), None)
        .await
        .unwrap();
    assert_eq!(full.stamps[0].rewards.len(), 1);
    assert_eq!(stamps_of(t0).await, 0);
    // The control group: the card's own stamp.
    orders::record_order(&db, p, held, &order("h1", 3_000), None)
        .await
        .unwrap();
    assert_eq!(stamps_of(held).await, 1);
    assert!(campaigns::offers(&db, p, held, None).await.unwrap().is_empty());

    // Two stamps given, each worth a fifth of 5.00.
    let report = campaigns::report(&db, p, c.id).await.unwrap();
    assert_eq!((report.arms[1].redeemed, report.arms[1].cost_minor), (1, 200));
    assert_eq!((report.arms[0].redeemed, report.arms[0].cost_minor), (0, 0));

    // Stopped: the next treated member's order brings no bonus.
    campaigns::stop(&db, p, c.id, None).await.unwrap();
    let (t2, _) = treated[2];
    let r = orders::record_order(&db, p, t2, &order("s5", 3_000), None)
        .await
        .unwrap();
    assert_eq!(r.stamps[0].added, 1);
}

on_both_backends!(
    a_campaign_tells_its_members_of_their_offer,
    the_channel_api_answers_offers_for_this_member,
    variants_give_and_the_control_group_gets_nothing,
    a_reward_offer_seen_on_the_portal_is_used_in_store,
    a_shared_budget_holds_under_30_concurrent_bookings,
    bonus_stamps_come_once_with_an_order_and_go_with_its_return,
);

/// A member of `program` who consents to every channel and topic.
async fn consenting(db: &Db, program_id: ProgramId) -> (MemberId, i64) {
    let (member, ms) = joined(db, program_id, 1).await[0];
    let all: Vec<(ConsentName, bool)> = ConsentName::ALL.iter().map(|n| (*n, true)).collect();
    let by = By {
        source: ConsentSource::Portal,
        user: None,
        api_key: None,
    };
    consents::change(db, member, &all, by).await.unwrap();
    (member, ms)
}

/// The campaign's messages: (member, channel, body, status, reason).
async fn campaign_messages(db: &Db, campaign: i64) -> Vec<(i64, String, String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT member_id, channel, body, status, reason FROM messages WHERE campaign_id = $1 ORDER BY member_id, channel",
    )
    .bind(campaign)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

async fn a_campaign_tells_its_members_of_their_offer(db: Db) {
    let w = world(&db, |_| {}).await;
    let p = w.program.id;
    let t0 = db.now();
    db.clock().stop_at(Some(t0));
    // No quiet hours or caps: this test is not about them.
    message_store::save_settings(&db, p, &crate::messages::open_settings())
        .await
        .unwrap();
    let mut people = Vec::new();
    for _ in 0..24 {
        people.push(consenting(&db, p).await);
    }
    let all = segments::save_definition(&db, p, None, "Everyone", &everyone())
        .await
        .unwrap();
    let mut template_ids = Vec::new();
    for channel in ["in_app", "email"] {
        let saved = templates::save(
            &db,
            &TemplateForm {
                program_id: p,
                id: 0,
                name: "offer".into(),
                channel: channel.into(),
                language: "en".into(),
                subject: "An offer for you".into(),
                body: "Hi {{ first_name }}: {{ offer }}".into(),
            },
        )
        .await
        .unwrap();
        template_ids.push(saved.id);
    }
    let mut f = form(
        p,
        all.id,
        "30",
        vec![
            variant("50", "bonus_points", "200"),
            variant("50", "multiplier", "2"),
        ],
    );
    // Bad input: a template the program does not have, a channel it has no version for.
    f.message_template = "nothing".into();
    f.message_channels = vec!["email".into()];
    assert_eq!(
        fields(campaigns::save(&db, &f, None).await.unwrap_err()),
        vec!["message_template"]
    );
    f.message_template = "offer".into();
    f.message_channels = vec!["email".into(), "sms".into()];
    assert_eq!(
        fields(campaigns::save(&db, &f, None).await.unwrap_err()),
        vec!["message_channels"]
    );
    assert!(
        campaigns::list(&db, p).await.unwrap().is_empty(),
        "nothing half-saved"
    );
    f.message_channels = vec!["email".into(), "in_app".into()];
    let draft = campaigns::save(&db, &f, None).await.unwrap();
    // A draft tells nobody.
    let pass = campaigns::announce(&db, "http://shop.test", db.now())
        .await
        .unwrap();
    assert_eq!(pass.messages, 0);
    let c = campaigns::launch(&db, p, draft.id, None).await.unwrap();
    // The running campaign sends the only email version of its template: it stays.
    match templates::delete(&db, p, template_ids[1]).await {
        Err(omniloyal::error::AppError::Conflict { message, .. }) => {
            assert!(message.contains(&c.name), "{message}")
        }
        other => panic!("the template in use was not refused: {other:?}"),
    }

    let pass = campaigns::announce(&db, "http://shop.test", db.now())
        .await
        .unwrap();
    assert_eq!(
        pass.members, all.members as u64,
        "every member of the segment looked at"
    );
    let shares = [50, 50];
    let told: Vec<(MemberId, i64)> = people
        .iter()
        .copied()
        .filter(|&(_, ms)| arm_of(c.id, ms, 30, &shares).is_some())
        .collect();
    assert!(
        !told.is_empty() && told.len() < people.len(),
        "both arms hold someone"
    );
    let messages = campaign_messages(&db, c.id).await;
    let world_told = arm_of(
        c.id,
        members::membership_id(&db, w.member_id, p).await.unwrap().get(),
        30,
        &shares,
    )
    .is_some();
    assert_eq!(pass.messages as usize, messages.len());
    assert_eq!(
        messages.len(),
        2 * (told.len() + usize::from(world_told)),
        "two channels each, control none"
    );
    for &(member, _) in &told {
        // The message names the offer the portal shows this member.
        let offers = campaigns::offers(&db, p, member, None).await.unwrap();
        assert_eq!(offers.len(), 1);
        let name: String = sqlx::query_scalar("SELECT name FROM members WHERE id = $1")
            .bind(member)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        let first = name.split_whitespace().next().unwrap_or_default();
        let mine: Vec<_> = messages.iter().filter(|m| m.0 == member.0).collect();
        assert_eq!(mine.len(), 2);
        for m in mine {
            assert_eq!(m.2, format!("Hi {first}: {}", offers[0].headline));
        }
    }
    for &(member, ms) in &people {
        if arm_of(c.id, ms, 30, &shares).is_none() {
            assert!(
                messages.iter().all(|m| m.0 != member.0),
                "control members are told nothing"
            );
        }
    }
    // A second pass tells nobody twice.
    assert_eq!(
        campaigns::announce(&db, "http://shop.test", db.now())
            .await
            .unwrap(),
        campaigns::Announced::default()
    );

    // The SMTP server is down: the inbox gets them, email fails until it is given up, and the
    // campaign's report shows both.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = crate::messages::adapters(
        Some(format!("smtp://127.0.0.1:{closed_port}")),
        "http://shop.test",
    );
    deliver_due(&db, &out, db.now()).await.unwrap();
    for _ in 0..8 {
        db.clock().stop_at(Some(Timestamp(db.now().0 + 6 * 3600 + 1)));
        deliver_due(&db, &out, db.now()).await.unwrap();
    }
    // The world's member never consented to offers: theirs are not sent, and say why.
    let n = told.len() as i64;
    let not_consented = if world_told { 2 } else { 0 };
    let report = campaigns::report(&db, p, c.id).await.unwrap();
    let count = |channel: MessageChannel, status: MessageStatus| {
        report
            .messages
            .iter()
            .filter(|d| d.channel == channel && d.status == status)
            .map(|d| d.count)
            .sum::<i64>()
    };
    assert_eq!(count(MessageChannel::InApp, MessageStatus::Sent), n);
    assert_eq!(count(MessageChannel::Email, MessageStatus::Failed), n);
    assert_eq!(report.failed_messages.len() as i64, n);
    let no_consent: i64 = report
        .messages
        .iter()
        .filter(|d| d.reason == Some(HoldReason::NoConsent))
        .map(|d| d.count)
        .sum();
    assert_eq!(no_consent, not_consented);
    assert!(report
        .failed_messages
        .iter()
        .all(|f| f.kind == "campaign" && !f.error.is_empty()));

    // A member who joins the segment later is told too, once; stopping the campaign
    // suppresses what has not gone yet.
    let (late, late_ms) = loop {
        let (m, ms) = consenting(&db, p).await;
        if arm_of(c.id, ms, 30, &shares).is_some() {
            break (m, ms);
        }
    };
    segments::refresh_program(&db, p).await.unwrap();
    assert!(segments::now_in(&db, late_ms).await.unwrap().contains(&all.id));
    let pass = campaigns::announce(&db, "http://shop.test", db.now())
        .await
        .unwrap();
    assert!(pass.members >= 1);
    let waiting: Vec<_> = campaign_messages(&db, c.id)
        .await
        .into_iter()
        .filter(|m| m.0 == late.0)
        .collect();
    assert_eq!(waiting.len(), 2);
    assert!(waiting.iter().all(|m| m.3 == "pending"));
    campaigns::stop(&db, p, c.id, None).await.unwrap();
    templates::delete(&db, p, template_ids[1])
        .await
        .expect("a stopped campaign sends nothing more");
    let after: Vec<_> = campaign_messages(&db, c.id)
        .await
        .into_iter()
        .filter(|m| m.0 == late.0)
        .collect();
    assert!(
        after
            .iter()
            .all(|m| m.3 == "suppressed" && m.4.as_deref() == Some("offer_ended")),
        "{after:?}"
    );
    // A message of the stopped campaign written after all (an announcement batch racing the
    // stop on another server) is not sent either: the outbox checks the campaign.
    let mut tx = db.begin_write().await.unwrap();
    let raced = NewMessage {
        member_id: Some(late),
        user_id: None,
        program_id: Some(p),
        channel: MessageChannel::InApp,
        topic: Topic::Offers,
        kind: "campaign",
        if_limited: IfLimited::Defer,
        recipient: String::new(),
        language: "en".into(),
        subject: "raced".into(),
        body: "raced".into(),
        dedupe_key: Some(format!("raced:{}", c.id)),
        not_before: db.now(),
        journey_id: None,
        campaign_id: Some(c.id),
    };
    assert!(enqueue(&mut tx, &raced, db.now()).await.unwrap());
    tx.commit().await.unwrap();
    let pass = deliver_due(&db, &out, db.now()).await.unwrap();
    assert_eq!((pass.sent, pass.suppressed), (0, 1));
    let raced_state: (String, Option<String>) =
        sqlx::query_as("SELECT status, reason FROM messages WHERE subject = 'raced'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(raced_state, ("suppressed".into(), Some("offer_ended".into())));

    // A campaign that ends by its date: what still waits then is suppressed by the next pass.
    let mut f2 = form(p, all.id, "0", vec![variant("", "bonus_points", "50")]);
    f2.message_template = "offer".into();
    f2.message_channels = vec!["in_app".into()];
    let c2 = campaigns::save(&db, &f2, None).await.unwrap();
    let c2 = campaigns::launch(&db, p, c2.id, None).await.unwrap();
    let pass = campaigns::announce(&db, "http://shop.test", db.now())
        .await
        .unwrap();
    assert!(pass.messages > 0);
    db.clock().stop_at(Some(Timestamp(c2.ends_at.0 + 1)));
    let pass = campaigns::announce(&db, "http://shop.test", db.now())
        .await
        .unwrap();
    assert_eq!(pass.suppressed, pass_messages(&db, c2.id, "suppressed").await);
    assert_eq!(pass_messages(&db, c2.id, "pending").await, 0);
    db.clock().stop_at(None);
    // A draft's template may be deleted (nothing live sends it), but the draft is then not
    // launched with a message it cannot send.
    campaigns::stop(&db, p, c2.id, None).await.unwrap();
    let f3 = CampaignForm {
        name: "Third".into(),
        ..f2
    };
    let draft = campaigns::save(&db, &f3, None).await.unwrap();
    templates::delete(&db, p, template_ids[0]).await.unwrap();
    match campaigns::launch(&db, p, draft.id, None).await {
        Err(omniloyal::error::AppError::Conflict { message, .. }) => {
            assert!(message.contains("offer"), "{message}")
        }
        other => panic!("launched without its template: {other:?}"),
    }
}

/// How many of the campaign's messages are in `status`.
async fn pass_messages(db: &Db, campaign: i64, status: &str) -> u64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM messages WHERE campaign_id = $1 AND status = $2")
        .bind(campaign)
        .bind(status)
        .fetch_one(&db.pool)
        .await
        .unwrap() as u64
}
