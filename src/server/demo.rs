//! The demo brand: a café chain with its points program (three tiers, a stamp card, a Gold
//! perk) and a stamp-only bakery club without points or tiers, three stores, an account per
//! role and two months of member activity, so every surface has something to show on first
//! start, and a member in two programs shows what each program has; and a coffee chain of
//! Riyadh in Arabic, paid in riyals, whose member reads everything right to left.
//! Loaded only into an empty database and only when `OMNILOYAL_DEMO` is set.

use crate::model::ids::MembershipId;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::{currency, earning, tiers};
use crate::error::AppError;
use crate::model::ledger::TxKind;
use crate::model::program::{ProgramInput, TierInput};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::model::user::Role;
use crate::server::auth::password;
use crate::server::db::Db;
use crate::server::service::{ledger, members};
use crate::server::store::{programs, users};

/// Password of every demo account. Demo data only: never set OMNILOYAL_DEMO in production.
pub const DEMO_PASSWORD: &str = "omniloyal-demo";

pub const DEMO_ACCOUNTS: [(&str, &str, Role); 4] = [
    ("admin@demo.omniloyal.test", "Ada Admin", Role::Admin),
    ("analyst@demo.omniloyal.test", "Ari Analyst", Role::Analyst),
    ("staff@demo.omniloyal.test", "Sam Staff", Role::Staff),
    ("member@demo.omniloyal.test", "Mia Member", Role::Member),
];

const SYNTHETIC_MEMBERS: usize = 60;
const HISTORY_DAYS: i64 = 60;

/// Loads the demo brand if the database has no users yet. Returns whether it did.
pub async fn seed_if_empty(db: &Db) -> Result<bool, AppError> {
    if users::count(db).await? > 0 {
        return Ok(false);
    }
    let program = programs::save(
        db,
        &ProgramInput {
            id: None,
            name: "Café Aurora Rewards".into(),
            currency_name: "Stars".into(),
            currency_code: "EUR".into(),
            point_value_minor: "1".into(),
            points_per_unit: "10".into(),
            expiry_mode: "fixed".into(),
            expiry_months: "24".into(),
            pending_days: "0".into(),
            tier_window: "lifetime".into(),
            tier_basis: "points".into(),
            tier_review: "monthly".into(),
            allow_negative: None,
            active: Some("yes".into()),
            // Staff adjust up to 5,000 Stars at once; more waits for an admin.
            adjust_limit: "5000".into(),
        },
    )
    .await?;
    for (name, threshold, multiplier) in [
        ("Green", "0", "1"),
        ("Silver", "1000", "1.25"),
        ("Gold", "5000", "1.5"),
    ] {
        crate::server::service::tiers::save_tier(
            db,
            &TierInput {
                id: None,
                program_id: program.id,
                name: name.into(),
                threshold_points: threshold.into(),
                multiplier: multiplier.into(),
            },
        )
        .await?;
    }
    seed_catalogue(db, &program).await?;
    for (code, name, channel, time_zone) in [
        ("BERLIN-1", "Aurora Mitte, Berlin", "store", "Europe/Berlin"),
        ("PARIS-1", "Aurora Opéra, Paris", "store", "Europe/Paris"),
        ("WEB", "Aurora web shop", "web", "Europe/Berlin"),
    ] {
        crate::server::store::stores::save(
            db,
            &crate::model::store::StoreInput {
                code: code.into(),
                name: name.into(),
                channel: channel.into(),
                time_zone: time_zone.into(),
            },
        )
        .await?;
    }
    let now = db.now();
    let end = history_end(db);
    let stores: Vec<i64> = sqlx::query_scalar("SELECT id FROM stores WHERE channel = 'store' ORDER BY code")
        .fetch_all(&db.pool)
        .await?;
    let plan = Plan {
        tiers: programs::tiers(db, program.id).await?,
        program: program.clone(),
        until: end,
        stores,
    };

    // One hash for every demo account: argon2 is slow on purpose and the password is shared.
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    let mut rng = StdRng::seed_from_u64(2026);
    let mut tx = db.begin_write().await?;
    let mut demo_member = None;
    for (email, name, role) in DEMO_ACCOUNTS {
        let user_id = users::insert(&mut tx, email, name, role, &hash, now).await?;
        if role == Role::Member {
            let member_id = members::insert_profile(
                &mut tx,
                Some(user_id),
                name,
                Some(email),
                Some("+4915112345678"),
                now,
            )
            .await?;
            demo_member = Some(member_id);
            let joined = Timestamp(end.0 - 45 * SECONDS_PER_DAY);
            let membership = members::join_in(&mut tx, member_id, program.id, joined).await?;
            book_history(&mut tx, &mut rng, &plan, membership, 6, joined).await?;
        }
    }
    for i in 0..SYNTHETIC_MEMBERS {
        let days_ago = rng.gen_range(0..HISTORY_DAYS);
        let joined = Timestamp(end.0 - days_ago * SECONDS_PER_DAY - rng.gen_range(0..SECONDS_PER_DAY / 2));
        let name = format!("Guest {:03}", i + 1);
        let email = format!("guest{:03}@demo.omniloyal.test", i + 1);
        let member_id = members::insert_profile(&mut tx, None, &name, Some(&email), None, joined).await?;
        let membership = members::join_in(&mut tx, member_id, program.id, joined).await?;
        let visits = rng.gen_range(0..8);
        book_history(&mut tx, &mut rng, &plan, membership, visits, joined).await?;
    }
    tx.commit().await?;
    // The demo history was booked at past dates: give everyone the tier it earned them.
    crate::server::service::tiers::reevaluate_all(db, now).await?;
    if let Some(member_id) = demo_member {
        seed_bakery_club(db, member_id).await?;
    }
    seed_oasis(db, &hash, &mut rng).await?;
    seed_survey(db, program.id, &mut rng).await?;
    Ok(true)
}

/// A quarterly NPS survey in the café program, answered by some guests over the last
/// weeks in its stores, web shop and app (booked as the channels would send them), so the
/// Satisfaction dashboard has something to show.
async fn seed_survey(
    db: &Db,
    program_id: crate::model::ids::ProgramId,
    rng: &mut StdRng,
) -> Result<(), AppError> {
    use crate::model::rules::Channel;
    use crate::server::service::surveys;
    let survey = surveys::open(
        db,
        &crate::model::survey::SurveyInput {
            program_id: program_id.to_string(),
            question: String::new(),
            frequency: "quarter".into(),
        },
    )
    .await?;
    // Opened when the demo's history begins, as if it had been running since.
    sqlx::query("UPDATE surveys SET created_at = $1 WHERE id = $2")
        .bind(db.now().0 - 90 * SECONDS_PER_DAY)
        .bind(survey.id)
        .execute(&db.pool)
        .await?;
    let guests: Vec<(crate::model::ids::MemberId, i64)> = sqlx::query_as(
        "SELECT p.id, m.joined_at FROM members p JOIN memberships m ON m.member_id = p.id \
         WHERE m.program_id = $1 AND p.email LIKE 'guest%' ORDER BY p.id",
    )
    .bind(program_id)
    .fetch_all(&db.pool)
    .await?;
    const COMMENTS: [&str; 5] = [
        "Lovely staff and the best flat white in town.",
        "The app is quick; ordering ahead saves me time.",
        "Queues at lunchtime are too long.",
        "My order online arrived cold.",
        "Good coffee, but prices went up.",
    ];
    let now = history_end(db);
    // Answers stay in one quarter (the survey's period), so no guest answers twice: this
    // one, or in its first two weeks the one before, so the demo has answers on any day.
    let (from, until) = {
        use chrono::Datelike;
        let today = now.date();
        let month = (today.month0() / 3) * 3 + 1;
        let this = chrono::NaiveDate::from_ymd_opt(today.year(), month, 1).unwrap_or(today);
        let start = Timestamp::start_of(this).0;
        if now.0 - start < 14 * SECONDS_PER_DAY {
            let before = this.checked_sub_months(chrono::Months::new(3)).unwrap_or(this);
            (Timestamp::start_of(before).0, start)
        } else {
            (start, now.0)
        }
    };
    for (i, (member_id, joined)) in guests.into_iter().enumerate() {
        if i % 2 == 1 {
            continue;
        }
        let earliest = joined.max(from).max(now.0 - 80 * SECONDS_PER_DAY);
        if earliest >= until {
            continue;
        }
        let at = rng.gen_range(earliest..until);
        // Most are happy; a few are not: an NPS in the thirties, as cafés see.
        let score = match rng.gen_range(0..10) {
            0..=4 => rng.gen_range(9..=10),
            5..=7 => rng.gen_range(7..=8),
            _ => rng.gen_range(2..=6),
        };
        let comment = match (i % 3, score) {
            (0, _) => "",
            (_, 7..) => COMMENTS[rng.gen_range(0..2)],
            _ => COMMENTS[rng.gen_range(2..5)],
        };
        let channel = [Channel::Store, Channel::Web, Channel::App][i % 3];
        let input = surveys::AnswerInput {
            channel,
            event_id: format!("demo-survey-{i}"),
            store: (channel == Channel::Store).then(|| "BERLIN-1".to_string()),
            occurred_at: Some(Timestamp(at)),
            score: &score.to_string(),
            comment,
            only: None,
        };
        surveys::answer(db, program_id, member_id, input).await?;
    }
    Ok(())
}

/// The member who signs in with this address reads the Portal in Arabic.
pub const ARABIC_MEMBER: &str = "noura@demo.omniloyal.test";

/// A brand of the Gulf, written in Arabic: a coffee chain in Riyadh paid in riyals, with
/// tiers, a reward and a member whose account is in Arabic, so every surface can be seen
/// right to left with its own data.
async fn seed_oasis(db: &Db, hash: &str, rng: &mut StdRng) -> Result<(), AppError> {
    use crate::model::reward::RewardInput;
    use crate::server::service::rewards;
    let program = programs::save(
        db,
        &ProgramInput {
            id: None,
            name: "واحة القهوة".into(),
            // The unit as a number reads it in Arabic ("١٥٠ نقطة"): the singular.
            currency_name: "نقطة".into(),
            currency_code: "SAR".into(),
            point_value_minor: "1".into(),
            points_per_unit: "1".into(),
            expiry_mode: "fixed".into(),
            expiry_months: "12".into(),
            pending_days: "0".into(),
            tier_window: "lifetime".into(),
            tier_basis: "points".into(),
            tier_review: "monthly".into(),
            allow_negative: None,
            active: Some("yes".into()),
            adjust_limit: "1000".into(),
        },
    )
    .await?;
    for (name, threshold, multiplier) in [
        ("فضي", "0", "1"),
        ("ذهبي", "500", "1.25"),
        ("بلاتيني", "2000", "1.5"),
    ] {
        crate::server::service::tiers::save_tier(
            db,
            &TierInput {
                id: None,
                program_id: program.id,
                name: name.into(),
                threshold_points: threshold.into(),
                multiplier: multiplier.into(),
            },
        )
        .await?;
    }
    rewards::save(
        db,
        &RewardInput {
            program_id: program.id,
            name: "قهوة عربية مجانية".into(),
            kind: "free_product".into(),
            cost_points: "150".into(),
            sku: "QAHWA".into(),
            ..RewardInput::default()
        },
    )
    .await?;
    let riyadh = crate::server::store::stores::save(
        db,
        &crate::model::store::StoreInput {
            code: "RIYADH-1".into(),
            name: "فرع العليا، الرياض".into(),
            channel: "store".into(),
            time_zone: "Asia/Riyadh".into(),
        },
    )
    .await?;
    let now = db.now();
    let end = history_end(db);
    let plan = Plan {
        tiers: programs::tiers(db, program.id).await?,
        program: program.clone(),
        until: end,
        stores: vec![riyadh.id],
    };
    let mut tx = db.begin_write().await?;
    let user_id = users::insert(&mut tx, ARABIC_MEMBER, "نورة العتيبي", Role::Member, hash, now).await?;
    let member_id = members::insert_profile(
        &mut tx,
        Some(user_id),
        "نورة العتيبي",
        Some(ARABIC_MEMBER),
        Some("+966501234567"),
        now,
    )
    .await?;
    let joined = Timestamp(end.0 - 50 * SECONDS_PER_DAY);
    let membership = members::join_in(&mut tx, member_id, program.id, joined).await?;
    book_history(&mut tx, rng, &plan, membership, 7, joined).await?;
    tx.commit().await?;
    users::set_locale(db, user_id, "ar").await?;
    crate::server::service::tiers::reevaluate_all(db, now).await?;
    Ok(())
}

/// A second program with no points and no tiers: a stamp card (one stamp per loaf, a free
/// loaf for five) and its free reward. The demo member joined it and bought three loaves.
async fn seed_bakery_club(db: &Db, member_id: crate::model::ids::MemberId) -> Result<(), AppError> {
    use crate::model::order::OrderInput;
    use crate::model::reward::RewardInput;
    use crate::model::rules::Channel;
    use crate::server::service::{orders, rewards, stamps};
    let club = programs::save(
        db,
        &ProgramInput {
            id: None,
            name: "Aurora Bakery Club".into(),
            currency_name: "Points".into(),
            currency_code: "EUR".into(),
            point_value_minor: "0".into(),
            points_per_unit: "0".into(),
            expiry_mode: "none".into(),
            expiry_months: "".into(),
            pending_days: "0".into(),
            tier_window: "lifetime".into(),
            tier_basis: "points".into(),
            tier_review: "continuous".into(),
            allow_negative: None,
            active: Some("yes".into()),
            adjust_limit: "".into(),
        },
    )
    .await?;
    let loaf = rewards::save(
        db,
        &RewardInput {
            program_id: club.id,
            name: "Free sourdough loaf".into(),
            kind: "free_product".into(),
            cost_points: "0".into(),
            sku: "SOURDOUGH".into(),
            ..RewardInput::default()
        },
    )
    .await?;
    stamps::save(
        db,
        &crate::model::card::StampCardInput {
            program_id: club.id,
            name: "Bread card".into(),
            stamps_required: "5".into(),
            reward_id: loaf.id.to_string(),
            sku: "SOURDOUGH".into(),
            ..Default::default()
        },
    )
    .await?;
    members::join(db, member_id, club.id).await?;
    for i in 1..=3 {
        let order = OrderInput {
            channel: Channel::Store,
            channel_order_id: format!("demo-bakery-{i}"),
            amount_minor: 480,
            lines: vec![crate::model::rules::OrderLine {
                sku: "SOURDOUGH".into(),
                category: Some("bread".into()),
                tags: Vec::new(),
                quantity: 1,
                amount_minor: 480,
            }],
            store: Some("PARIS-1".into()),
            receipt: None,
            occurred_at: None,
        };
        orders::record_order(db, club.id, member_id, &order, None).await?;
    }
    Ok(())
}

/// Rules and rewards, so the desk, the portal and the API have something to show. No rule
/// depends on the day of the week: the browser tests expect the same points every day.
async fn seed_catalogue(db: &Db, program: &crate::model::program::Program) -> Result<(), AppError> {
    use crate::model::reward::RewardInput;
    use crate::model::rules::{EarningRule, RuleCaps, RuleConditions, RuleEffect};
    use crate::server::service::{rewards, rules};
    let rule = |name: &str, priority: i64, effect: RuleEffect, conditions: RuleConditions, caps: RuleCaps| {
        EarningRule::stacking(program.id, name, priority, effect, conditions, caps)
    };
    let pastry = rule(
        "Pastry bonus",
        20,
        RuleEffect::PerItem { points: 20 },
        RuleConditions {
            include_categories: vec!["pastry".into()],
            ..RuleConditions::default()
        },
        RuleCaps {
            per_member_day: Some(100),
            ..RuleCaps::default()
        },
    );
    let review = rule(
        "Review reward",
        10,
        RuleEffect::FixedPoints { points: 20 },
        RuleConditions {
            event_types: vec!["review".into()],
            ..RuleConditions::default()
        },
        RuleCaps {
            per_member_month: Some(60),
            ..RuleCaps::default()
        },
    );
    let mut big_basket = rule(
        "Big basket campaign",
        5,
        RuleEffect::FixedPoints { points: 50 },
        RuleConditions {
            min_order_minor: Some(3000),
            ..RuleConditions::default()
        },
        RuleCaps::default(),
    );
    big_basket.budget_points = Some(50_000);
    let refer = rule(
        "Refer a friend",
        10,
        RuleEffect::FixedPoints { points: 200 },
        RuleConditions {
            event_types: vec!["referral".into()],
            ..RuleConditions::default()
        },
        RuleCaps {
            per_member_month: Some(1000),
            ..RuleCaps::default()
        },
    );
    let welcome = rule(
        "Welcome from a friend",
        10,
        RuleEffect::FixedPoints { points: 100 },
        RuleConditions {
            event_types: vec!["referred".into()],
            ..RuleConditions::default()
        },
        RuleCaps::default(),
    );
    let survey = rule(
        "Survey thank-you",
        10,
        RuleEffect::FixedPoints { points: 25 },
        RuleConditions {
            event_types: vec!["survey".into()],
            ..RuleConditions::default()
        },
        RuleCaps {
            per_member_month: Some(25),
            ..RuleCaps::default()
        },
    );
    for r in [pastry, review, big_basket, refer, welcome, survey] {
        rules::save(db, &r).await?;
    }
    let gold = programs::tiers(db, program.id)
        .await?
        .into_iter()
        .find(|t| t.name == "Gold")
        .map(|t| t.id.to_string())
        .unwrap_or_default();
    for (name, kind, cost, value, sku, tier, stock) in [
        (
            "Free filter coffee",
            "free_product",
            "100",
            "",
            "FILTER-COFFEE",
            String::new(),
            "",
        ),
        (
            "5 EUR off",
            "discount_fixed",
            "500",
            "5.00",
            "",
            String::new(),
            "",
        ),
        (
            "Gold lounge evening",
            "entitlement",
            "300",
            "",
            "",
            gold.clone(),
            "40",
        ),
        // A perk: free for Gold members, moving no points.
        ("Gold tasting morning", "entitlement", "0", "", "", gold, "20"),
        // Points to money: at least 100 Stars, at most €10.00 of an order.
        (
            "Stars at checkout",
            "points_payment",
            "100",
            "10.00",
            "",
            String::new(),
            "",
        ),
        (
            "Free pastry",
            "free_product",
            "250",
            "",
            "PASTRY",
            String::new(),
            "",
        ),
    ] {
        rewards::save(
            db,
            &RewardInput {
                program_id: program.id,
                name: name.into(),
                kind: kind.into(),
                cost_points: cost.into(),
                value: value.into(),
                sku: sku.into(),
                min_tier_id: tier,
                stock: stock.into(),
                ..RewardInput::default()
            },
        )
        .await?;
    }
    // A stamp card for pastries (web and app orders send lines with SKUs), and a print run
    // of cards to hand out in store before anyone registers them.
    let pastry = rewards::list(db, program.id)
        .await?
        .into_iter()
        .find(|r| r.name == "Free pastry")
        .map(|r| r.id.to_string())
        .unwrap_or_default();
    crate::server::service::stamps::save(
        db,
        &crate::model::card::StampCardInput {
            program_id: program.id,
            name: "Pastry card".into(),
            stamps_required: "6".into(),
            reward_id: pastry,
            sku: "PASTRY".into(),
            ..Default::default()
        },
    )
    .await?;
    crate::server::service::cards::create_batch(
        db,
        &crate::model::card::BatchInput {
            program_id: program.id,
            label: "Opening print run".into(),
            size: "20".into(),
        },
        None,
    )
    .await?;
    Ok(())
}

/// What demo purchases are booked against.
struct Plan {
    tiers: Vec<crate::model::program::Tier>,
    program: crate::model::program::Program,
    until: Timestamp,
    /// The stores purchases are made in (ids), taken in turn.
    stores: Vec<i64>,
}

/// Where the demo's history ends: the start of today (UTC). Every demo time is an offset
/// from it, so the history (and the customer value fitted on it, which reads days relative
/// to today) is the same whatever the hour the demo is made at.
fn history_end(db: &Db) -> Timestamp {
    Timestamp::start_of(db.now().date())
}

/// `visits` store purchases between `from` and the plan's end, booked with the real earning rule.
async fn book_history(
    conn: &mut sqlx::AnyConnection,
    rng: &mut StdRng,
    plan: &Plan,
    membership_id: MembershipId,
    visits: usize,
    from: Timestamp,
) -> Result<(), AppError> {
    let to = plan.until;
    let mut times: Vec<i64> = (0..visits)
        .map(|_| rng.gen_range(from.0..to.0.max(from.0 + 1)))
        .collect();
    times.sort_unstable();
    let mut lifetime = 0;
    for at in times {
        let amount = rng.gen_range(350..6_000i64);
        let multiplier = tiers::multiplier_pct(&plan.tiers, lifetime);
        let points = earning::points_for_purchase(amount, 100, plan.program.points_per_unit, multiplier);
        let description = format!(
            "Demo purchase of {}",
            currency::format_minor(amount, &plan.program.currency_code)
        );
        // Taken from the hour, not the random stream: the history's draws stay as they were.
        let store_id =
            (!plan.stores.is_empty()).then(|| plan.stores[(at / 3600) as usize % plan.stores.len()]);
        let meta = ledger::Meta {
            amount_minor: Some(amount),
            store_id,
            ..ledger::Meta::new(TxKind::Earn, "store", &description)
        };
        let (tx_id, _) = ledger::earn(
            conn,
            &plan.program,
            membership_id,
            &[(None, false, points)],
            None,
            &meta,
            Timestamp(at),
        )
        .await?;
        // The order the points were for, as a till's would be: sales and orders in
        // Insights come from orders.
        sqlx::query(
            "INSERT INTO orders (program_id, membership_id, channel, channel_order_id, amount_minor, points, \
             transaction_id, created_at, store_id) VALUES ($1, $2, 'store', $3, $4, $5, $6, $7, $8)",
        )
        .bind(plan.program.id)
        .bind(membership_id)
        .bind(format!("DEMO-{tx_id}"))
        .bind(amount)
        .bind(points)
        .bind(tx_id)
        .bind(at)
        .bind(store_id)
        .execute(&mut *conn)
        .await?;
        lifetime += points;
    }
    Ok(())
}

/// The lines printed on start so a newcomer can sign in.
pub fn banner(addr: &str) -> String {
    let mut s =
        format!("\nOmniloyal demo is running at http://{addr}\nDemo accounts (password: {DEMO_PASSWORD}):\n");
    for (email, _, role) in DEMO_ACCOUNTS {
        s.push_str(&format!("  {:<16} {email}\n", role.label()));
    }
    s.push_str(&format!(
        "  {:<16} {ARABIC_MEMBER} (in Arabic)\n",
        Role::Member.label()
    ));
    s
}
