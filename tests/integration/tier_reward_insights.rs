//! The Tiers and Rewards pages against the raw tables of a small generated brand: tier counts
//! at the range's start and end walked membership by membership through `tier_changes`,
//! moves by direction, spend by tier adding up to the orders; redemptions, use, points and
//! stock per reward from `issued_rewards`; and a merged person counted once on Channels.

use std::collections::HashMap;

use omniloyal::domain::lang::Lang;
use omniloyal::model::ids::MemberId;
use omniloyal::model::insights::InsightsQuery;
use omniloyal::model::user::Role;
use omniloyal::server::db::Db;
use omniloyal::server::generator;
use omniloyal::server::query::{channels, redemptions, tiers};
use omniloyal::server::service::{members, merges, orders, rewards, rollups};

use crate::on_both_backends;
use crate::rollups::plan;

fn start_of(d: chrono::NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
}

/// One membership's tier at `at` (seconds), walked through its own changes (each moving it
/// when it was made, or when it joined if stamped before).
fn tier_at(joined_at: i64, current: i64, changes: &[(i64, i64, i64)], at: i64) -> i64 {
    match changes.iter().rev().find(|c| c.0.max(joined_at) < at) {
        Some(c) => c.2,
        None => changes.first().map_or(current, |c| c.1),
    }
}

/// The tier a membership joined in: before its first change (one in its joining second too),
/// else the one it holds.
fn joined_in(current: i64, changes: &[(i64, i64, i64)]) -> i64 {
    changes.first().map_or(current, |c| c.1)
}

/// The Tiers page of program `p` over `from..=today`, checked against the memberships and
/// tier changes (merged memberships left out, each walked through its own changes).
async fn tiers_match_the_raw_tables(
    db: &Db,
    p: i64,
    from: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> omniloyal::model::insights::TiersReport {
    let r = tiers::report(
        db,
        Lang::ENGLISH,
        InsightsQuery {
            from: from.to_string(),
            to: today.to_string(),
            program: p.to_string(),
            ..InsightsQuery::default()
        },
    )
    .await
    .unwrap();
    let (a, b) = (start_of(from), start_of(today.succ_opt().unwrap()));

    let memberships: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT id, joined_at, COALESCE(tier_id, 0) FROM memberships WHERE program_id = $1 AND merged_into IS NULL",
    )
    .bind(p)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let changes: Vec<(i64, i64, i64, i64, String)> = sqlx::query_as(
        "SELECT membership_id, created_at, COALESCE(from_tier_id, 0), COALESCE(to_tier_id, 0), direction \
         FROM tier_changes ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut of: HashMap<i64, Vec<(i64, i64, i64)>> = HashMap::new();
    for (m, at, f, t, _) in &changes {
        of.entry(*m).or_default().push((*at, *f, *t));
    }
    assert!(
        !changes.is_empty(),
        "the generated brand moves members between tiers"
    );
    let (mut start, mut end): (HashMap<i64, i64>, HashMap<i64, i64>) = Default::default();
    let (mut ups, mut downs) = (0, 0);
    for (id, joined_at, current) in &memberships {
        let mine = of.get(id).cloned().unwrap_or_default();
        if *joined_at < a {
            *start.entry(tier_at(*joined_at, *current, &mine, a)).or_default() += 1;
        }
        *end.entry(*current).or_default() += 1;
        for (m, at, .., direction) in &changes {
            if m == id && (*at).max(*joined_at) >= a && (*at).max(*joined_at) < b {
                if direction == "up" {
                    ups += 1
                } else {
                    downs += 1
                }
            }
        }
    }
    for row in &r.tiers {
        assert_eq!(
            (row.members_before, row.members),
            (
                start.get(&row.tier_id).copied().unwrap_or(0),
                end.get(&row.tier_id).copied().unwrap_or(0)
            ),
            "tier {} ({})",
            row.tier_id,
            row.name
        );
        // Conservation: the end is the start, those who joined in the range, and the moves.
        let joined = memberships
            .iter()
            .filter(|(id, j, t)| {
                let mine = of.get(id).cloned().unwrap_or_default();
                *j >= a && *j < b && joined_in(*t, &mine) == row.tier_id
            })
            .count() as i64;
        assert_eq!(
            row.members,
            row.members_before + joined + row.moved_in - row.moved_out,
            "tier {}",
            row.tier_id
        );
    }
    assert_eq!(
        r.tiers.iter().map(|t| t.members).sum::<i64>(),
        memberships.len() as i64
    );
    assert_eq!((r.upgrades, r.downgrades), (ups, downs));
    assert_eq!(r.moves.iter().map(|m| m.count).sum::<i64>(), ups + downs);
    assert!(r.counts.iter().flatten().all(|n| *n >= 0), "{r:?}");
    // The last period ends with the range: its counts are the tiers held now.
    let last = r.counts.last().unwrap();
    for (i, row) in r.tiers.iter().enumerate() {
        assert_eq!(last[i], row.members);
    }
    r
}

async fn tiers_count_what_the_raw_tables_hold(db: Db) {
    let made = generator::generate(&db, &plan(), &|_| {}).await.unwrap();
    let p = made.program_id.get();
    let today = db.now().date();
    let from = today - chrono::Duration::days(40);
    tiers_match_the_raw_tables(&db, p, from, today).await;
    let (a, b) = (start_of(from), start_of(today.succ_opt().unwrap()));
    let memberships: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM memberships WHERE program_id = $1 AND merged_into IS NULL")
            .bind(p)
            .fetch_all(&db.pool)
            .await
            .unwrap();

    // Two members who moved between tiers in the range merged: the one merged away leaves
    // the counts (its whole history), and comes back when the merge is reversed.
    let movers: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT m.member_id FROM tier_changes c JOIN memberships m ON m.id = c.membership_id \
         WHERE m.program_id = $1 AND c.created_at >= $2 AND c.created_at > m.joined_at ORDER BY m.member_id",
    )
    .bind(p)
    .bind(a)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(movers.len() >= 2, "members who moved: {movers:?}");
    let merge = merges::merge(&db, MemberId(movers[0]), MemberId(movers[1]), "Same person", None)
        .await
        .unwrap();
    rollups::catch_up(&db).await.unwrap();
    let merged = tiers_match_the_raw_tables(&db, p, from, today).await;
    assert_eq!(
        merged.tiers.iter().map(|t| t.members).sum::<i64>(),
        memberships.len() as i64 - 1
    );
    merges::reverse(&db, merge.id, None).await.unwrap();
    rollups::catch_up(&db).await.unwrap();
    let back = tiers_match_the_raw_tables(&db, p, from, today).await;
    assert_eq!(
        back.tiers.iter().map(|t| t.members).sum::<i64>(),
        memberships.len() as i64
    );
    // A new member lifted by a purchase in the second it joined, recorded after the rollups
    // folded its enrolment: it joined in the entry tier and moved up, whichever was folded
    // first (a rebuild, folding both together, agrees below).
    let at = db.now();
    db.clock().stop_at(Some(at));
    let user = crate::support::make_user(&db, Role::Member, "lifted@x.io").await;
    let newcomer = members::for_user(&db, user.id).await.unwrap();
    members::join(&db, newcomer.id, made.program_id).await.unwrap();
    rollups::catch_up(&db).await.unwrap();
    orders::record_order(
        &db,
        made.program_id,
        newcomer.id,
        &crate::support::fixtures::order("lifted", 50_000_000),
        None,
    )
    .await
    .unwrap();
    db.clock().stop_at(None);
    let lifted: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM tier_changes c JOIN memberships m ON m.id = c.membership_id \
         WHERE m.member_id = $1 AND c.created_at = m.joined_at AND c.direction = 'up'",
    )
    .bind(newcomer.id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        lifted > 0,
        "the purchase lifts the newcomer in its joining second"
    );
    rollups::catch_up(&db).await.unwrap();
    let with_newcomer = tiers_match_the_raw_tables(&db, p, from, today).await;
    assert_eq!(
        with_newcomer.tiers.iter().map(|t| t.members).sum::<i64>(),
        memberships.len() as i64 + 1
    );
    // Nothing for a rebuild to mend: the moves folded as changes came are the changes'.
    let rebuilt = rollups::rebuild(&db).await.unwrap();
    assert!(!rebuilt.differs(), "{:?}", rebuilt.examples);
    assert!(rebuilt.tier_moves > 0);
    // The survey counts written with each answer are the answers' (the brand answers).
    assert!(rebuilt.survey_days > 0);
    // The migration that brought the enrolments and moves folded under the old rule to this
    // one counts them again from the memberships and changes: run over rollups gone wrong
    // (every enrolment one too many, a day's moves lost), it leaves nothing to mend.
    for wrong in [
        "UPDATE daily_facts SET enrolments = enrolments + 1",
        "DELETE FROM tier_moves WHERE day = (SELECT MAX(day) FROM tier_moves)",
    ] {
        sqlx::query(wrong).execute(&db.pool).await.unwrap();
    }
    let recount = if db.backend == omniloyal::server::db::Backend::Postgres {
        include_str!("../../migrations/postgres/20261212000070_tier_joined_in.sql")
    } else {
        include_str!("../../migrations/sqlite/20261212000070_tier_joined_in.sql")
    };
    sqlx::raw_sql(recount).execute(&db.pool).await.unwrap();
    let recounted = rollups::rebuild(&db).await.unwrap();
    assert!(!recounted.differs(), "{:?}", recounted.examples);
    let r = tiers_match_the_raw_tables(&db, p, from, today).await;

    // Spend by tier adds up to the range's orders.
    let orders: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE program_id = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(p)
    .bind(a)
    .bind(b)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(orders > 0);
    assert_eq!(r.tiers.iter().map(|t| t.orders).sum::<i64>(), orders);
    assert!(r.svg.starts_with("<svg"));
    assert_eq!(r.periods.len(), r.counts.len());

    // A tier deleted: its members leave it then (a recorded change), the review moves them to
    // the tier they qualify for; every count stays whole, and the deleted tier holds nobody.
    let silver = r.tiers.iter().find(|t| t.name == "Silver").unwrap();
    assert!(silver.members > 0);
    omniloyal::server::service::tiers::delete_tier(&db, made.program_id, silver.tier_id)
        .await
        .unwrap();
    rollups::catch_up(&db).await.unwrap();
    let after = tiers_match_the_raw_tables(&db, p, from, today).await;
    let gone = after.tiers.iter().find(|t| t.tier_id == silver.tier_id).unwrap();
    assert!(
        gone.name.is_empty() && gone.members == 0 && gone.moved_out >= silver.members,
        "{gone:?}"
    );
    assert!(after.counts.iter().flatten().all(|n| *n >= 0), "{after:?}");
    assert_eq!(
        after.tiers.iter().map(|t| t.members).sum::<i64>(),
        memberships.len() as i64 + 1
    );
    let held_now: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM memberships WHERE program_id = $1 AND merged_into IS NULL AND tier_id IS NULL",
    )
    .bind(p)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        after
            .tiers
            .iter()
            .find(|t| t.tier_id == 0)
            .map_or(0, |t| t.members),
        held_now
    );

    // Without a program there is nothing to count (tiers are a program's own).
    let none = tiers::report(&db, Lang::ENGLISH, InsightsQuery::default())
        .await
        .unwrap();
    assert!(none.program.is_none() && none.tiers.is_empty());
}

on_both_backends!(tiers_count_what_the_raw_tables_hold);

/// The Rewards page of program `p` over `from..=today` (in `channel`), checked against
/// `issued_rewards`.
async fn rewards_match_the_raw_tables(
    db: &Db,
    p: i64,
    from: chrono::NaiveDate,
    today: chrono::NaiveDate,
    channel: &str,
) -> omniloyal::model::insights::RewardsReport {
    let query = InsightsQuery {
        from: from.to_string(),
        to: today.to_string(),
        program: p.to_string(),
        channel: channel.into(),
        compare: "previous".into(),
        ..InsightsQuery::default()
    };
    let r = redemptions::report(db, Lang::ENGLISH, query).await.unwrap();
    let (a, b) = (start_of(from), start_of(today.succ_opt().unwrap()));
    // The person whose transaction redeemed it; money for the money kinds.
    let rows: Vec<Redeemed> = sqlx::query_as(
        "SELECT i.reward_id, mt.member_id, i.status, i.points, t.channel, \
         CAST(CASE WHEN r.kind IN ('discount_fixed', 'gift_card', 'points_payment') THEN i.value ELSE 0 END AS BIGINT) AS money \
         FROM issued_rewards i JOIN rewards r ON r.id = i.reward_id \
         JOIN memberships m ON m.id = i.membership_id JOIN ledger_transactions t ON t.id = i.transaction_id \
         JOIN memberships mt ON mt.id = t.membership_id \
         WHERE m.program_id = $1 AND i.created_at >= $2 AND i.created_at < $3",
    )
    .bind(p)
    .bind(a)
    .bind(b)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let counted: Vec<&Redeemed> = rows
        .iter()
        .filter(|r| ["issued", "used", "expired"].contains(&r.status.as_str()))
        .filter(|r| channel.is_empty() || r.channel == channel)
        .collect();
    assert!(!counted.is_empty(), "the generated brand redeems rewards");
    for row in &r.rewards {
        let mine: Vec<_> = counted.iter().filter(|c| c.reward_id == row.reward_id).collect();
        let people: std::collections::HashSet<i64> = mine.iter().map(|c| c.member_id).collect();
        assert_eq!(
            (
                row.redeemed.redemptions,
                row.redeemed.redeemers,
                row.redeemed.used,
                row.redeemed.expired,
                row.redeemed.points,
                row.redeemed.face_value_minor,
            ),
            (
                mine.len() as i64,
                people.len() as i64,
                mine.iter().filter(|c| c.status == "used").count() as i64,
                mine.iter().filter(|c| c.status == "expired").count() as i64,
                mine.iter().map(|c| c.points).sum::<i64>(),
                mine.iter().map(|c| c.money).sum::<i64>(),
            ),
            "{}",
            row.name
        );
        let (stock, issued): (Option<i64>, i64) =
            sqlx::query_as("SELECT stock, issued FROM rewards WHERE id = $1")
                .bind(row.reward_id)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(row.stock_left, stock.map(|s| s - issued));
    }
    let people: std::collections::HashSet<i64> = counted.iter().map(|c| c.member_id).collect();
    assert_eq!(r.totals.redemptions, counted.len() as i64);
    assert_eq!(r.totals.redeemers, people.len() as i64);
    assert_eq!(
        r.totals.face_value_minor,
        counted.iter().map(|c| c.money).sum::<i64>()
    );
    if channel.is_empty() {
        assert!(
            r.totals.face_value_minor > 0,
            "the brand's discounts hand out money"
        );
    }
    r
}

/// An issued reward as the Rewards page counts it.
#[derive(sqlx::FromRow)]
struct Redeemed {
    reward_id: i64,
    member_id: i64,
    status: String,
    points: i64,
    channel: String,
    money: i64,
}

async fn rewards_count_what_the_raw_tables_hold(db: Db) {
    let made = generator::generate(&db, &plan(), &|_| {}).await.unwrap();
    let p = made.program_id.get();
    let today = db.now().date();
    let from = today - chrono::Duration::days(30);
    let r = rewards_match_the_raw_tables(&db, p, from, today, "").await;
    let point_value: i64 = sqlx::query_scalar("SELECT point_value_minor FROM programs WHERE id = $1")
        .bind(p)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(r.totals.points_value_minor, r.totals.points * point_value);
    assert!(
        r.previous.is_some()
            && r.compare_to.as_deref() == Some(&(from - chrono::Duration::days(1)).to_string())
    );
    // Redeemed in the app only: the transactions' channel.
    rewards_match_the_raw_tables(&db, p, from, today, "app").await;
    // Every program: counts, no money (units differ).
    let all = redemptions::report(
        &db,
        Lang::ENGLISH,
        InsightsQuery {
            from: from.to_string(),
            to: today.to_string(),
            ..InsightsQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.totals.redemptions, r.totals.redemptions);
    assert_eq!((all.totals.points, all.totals.face_value_minor), (0, 0));

    // Codes released (points back): no longer redemptions, and their members no longer
    // redeemers unless they redeemed something else that day, once the rollups fold it.
    let open: Vec<String> = sqlx::query_scalar(
        "SELECT i.code FROM issued_rewards i JOIN memberships m ON m.id = i.membership_id \
         WHERE m.program_id = $1 AND i.status = 'issued' AND i.expires_at > $2 AND i.created_at >= $3 \
         ORDER BY i.id",
    )
    .bind(p)
    .bind(db.now().0)
    .bind(start_of(from))
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(open.len() >= 2, "codes to release: {open:?}");
    for code in &open[..2] {
        rewards::release(&db, code, None).await.unwrap();
    }
    rollups::catch_up(&db).await.unwrap();
    let after = rewards_match_the_raw_tables(&db, p, from, today, "").await;
    assert_eq!(after.totals.redemptions, r.totals.redemptions - 2);
    rewards_match_the_raw_tables(&db, p, from, today, "app").await;
    // Nothing for a rebuild to mend, and the rebuild finds what the worker folded.
    let rebuilt = rollups::rebuild(&db).await.unwrap();
    assert!(!rebuilt.differs(), "{:?}", rebuilt.examples);
    assert!(rebuilt.rewards > 0);
    let again = rewards_match_the_raw_tables(&db, p, from, today, "").await;
    assert_eq!(again.totals, after.totals);

    // A year on, every code still open has run out: the jobs mark them expired (once, each
    // with its webhook), and the page counts them as ran out where they were redeemed.
    omniloyal::server::webhooks::create(
        &db,
        &omniloyal::model::webhook::WebhookInput {
            url: "http://127.0.0.1:9/hook".into(),
            description: "expiries".into(),
            events: vec!["reward.expired".into()],
        },
        true,
    )
    .await
    .unwrap();
    let still_open: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM issued_rewards WHERE status = 'issued'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(still_open > 0);
    let later = omniloyal::model::time::Timestamp(db.now().0 + 400 * 86_400);
    let report = omniloyal::server::jobs::run_all(&db, later).await.unwrap();
    assert_eq!(report.expired_rewards, still_open as u64);
    assert_eq!(
        omniloyal::server::jobs::run_all(&db, later)
            .await
            .unwrap()
            .expired_rewards,
        0
    );
    let announced: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM webhook_deliveries WHERE event_type = 'reward.expired'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(announced, still_open);
    rollups::catch_up(&db).await.unwrap();
    let ran_out = rewards_match_the_raw_tables(&db, p, from, today, "").await;
    assert_eq!(ran_out.totals.redemptions, after.totals.redemptions);
    assert!(
        ran_out.totals.expired > after.totals.expired,
        "{:?}",
        ran_out.totals
    );
    assert!(!rollups::rebuild(&db).await.unwrap().differs());
    // A code past its days is refused at the till whatever its status says.
    let expired: String =
        sqlx::query_scalar("SELECT code FROM issued_rewards WHERE status = 'expired' LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let refused = rewards::use_code(&db, &expired, None, omniloyal::model::rules::Channel::Store)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "reward_expired");
}

on_both_backends!(rewards_count_what_the_raw_tables_hold);

/// A person merged into another is one buyer on Channels and stores: two single-channel
/// buyers (one in stores, one on the web) become one buyer in two channels.
async fn a_merged_person_counts_once(db: Db) {
    let made = generator::generate(&db, &plan(), &|_| {}).await.unwrap();
    let p = made.program_id.get();
    let today = db.now().date();
    let from = today - chrono::Duration::days(20);
    let q = InsightsQuery {
        from: from.to_string(),
        to: today.to_string(),
        program: p.to_string(),
        ..InsightsQuery::default()
    };
    let before = channels::report(&db, Lang::ENGLISH, q.clone()).await.unwrap();
    let (a, b) = (start_of(from), start_of(today.succ_opt().unwrap()));
    let bought: Vec<(i64, String)> = sqlx::query_as(
        "SELECT DISTINCT m.member_id, o.channel FROM orders o JOIN memberships m ON m.id = o.membership_id \
         WHERE o.program_id = $1 AND o.created_at >= $2 AND o.created_at < $3",
    )
    .bind(p)
    .bind(a)
    .bind(b)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut channels_of: HashMap<i64, Vec<String>> = HashMap::new();
    for (m, c) in bought {
        channels_of.entry(m).or_default().push(c);
    }
    let only = |channel: &str| {
        channels_of
            .iter()
            .find(|(_, c)| c.len() == 1 && c[0] == channel)
            .map(|(m, _)| *m)
            .expect("a single-channel buyer")
    };
    let (in_store, on_web) = (only("store"), only("web"));
    merges::merge(
        &db,
        MemberId(in_store),
        MemberId(on_web),
        "The same person at the till and online",
        None,
    )
    .await
    .unwrap();
    rollups::catch_up(&db).await.unwrap();
    let after = channels::report(&db, Lang::ENGLISH, q.clone()).await.unwrap();
    assert_eq!(after.buyers, before.buyers - 1);
    assert_eq!(after.multi, before.multi + 1);
    let single = |r: &omniloyal::model::insights::ChannelsReport| r.single_value.as_ref().unwrap().members;
    let multi = |r: &omniloyal::model::insights::ChannelsReport| r.multi_value.as_ref().unwrap().members;
    assert_eq!(single(&after), single(&before) - 2);
    assert_eq!(multi(&after), multi(&before) + 1);

    // The values the page keeps in memory follow what is folded after it read them: a new
    // order of the merged person adds its amount to the multi-channel group's total.
    orders::record_order(
        &db,
        made.program_id,
        MemberId(on_web),
        &crate::support::fixtures::order("after-merge", 10_000),
        None,
    )
    .await
    .unwrap();
    rollups::catch_up(&db).await.unwrap();
    let later = channels::report(&db, Lang::ENGLISH, q).await.unwrap();
    let total = |r: &omniloyal::model::insights::ChannelsReport| {
        let v = r.multi_value.as_ref().unwrap();
        v.spend_minor as f64 * v.members as f64
    };
    assert_eq!(multi(&later), multi(&after));
    // Each average is rounded to a minor unit: the totals are known to half a unit a member.
    let n = multi(&later) as f64;
    assert!(
        (total(&later) - total(&after) - 10_000.0).abs() <= n,
        "{} -> {}",
        total(&after),
        total(&later)
    );
}

on_both_backends!(a_merged_person_counts_once);
