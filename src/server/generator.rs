//! The demo data generator (`omniloyal demo generate`): a believable brand with months of
//! history, for dashboards, benchmarks and trying the product at size. Members' behaviour
//! comes from `simulate` (a seed gives the same brand every time); it is then lived through
//! hour by hour on the database's clock and booked through the same services the channels
//! use: members are enrolled in bulk, and each hour's orders go to the booking pipeline
//! together, where the group-commit writer books them a group at a time. Returns, reward
//! redemptions, referrals, held points released, points expiring and tier reviews happen
//! as they would have, so the ledger's invariants hold afterwards.

pub mod brand;
pub mod people;
pub mod simulate;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::task::JoinSet;

use crate::error::AppError;
use crate::model::ids::{MemberId, ProgramId};
use crate::model::order::{OrderInput, ReturnInput};
use crate::model::rules::OrderLine;
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::Db;
use crate::server::jobs;
use crate::server::service::enrolment::{self, NewMember};
use crate::server::service::{orders, rewards, rollups, surveys};

use brand::{Brand, CATALOGUE};
use simulate::{Behaviour, Population};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub members: u32,
    pub months: u32,
    pub seed: u64,
    pub behaviour: Behaviour,
    /// Stop on purpose after this part of this hour (counted from the start of the period),
    /// as a process killed there would: how tests show a generation going on where it
    /// stopped. Not part of the plan a generation is resumed with.
    pub stop: Option<(i64, Stage)>,
}

/// The parts of a simulated hour a test can stop after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Enrolled,
    Ordered,
    Spent,
}

/// Whether `plan` says to stop after `stage` of `hour`: the error a stopped run ends with.
fn stop_here(plan: &Plan, hour: i64, stage: Stage) -> Result<(), AppError> {
    if plan.stop == Some((hour, stage)) {
        return Err(AppError::try_again(format!(
            "stopped after {stage:?} in hour {hour}, as planned"
        )));
    }
    Ok(())
}

/// How far a generation has come (told once per simulated day).
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub day: i64,
    pub days: i64,
    pub members: u64,
    pub orders: u64,
}

/// What a generation made (over all its runs, when one stopped and was run again).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Generated {
    pub program_id: ProgramId,
    pub members: u64,
    pub orders: u64,
    pub returns: u64,
    pub redemptions: u64,
    pub referred: u64,
    /// Survey answers given.
    pub answers: u64,
    /// Real time it took.
    pub took: Duration,
    /// Runs it took (more than one when a run stopped and the next went on from there).
    pub runs: u32,
    /// Where that time went.
    pub phases: Phases,
}

/// Real time spent in each part of a generation: where to look when it is slow, and how
/// each part grows with the brand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Phases {
    pub enrolling: Duration,
    pub orders: Duration,
    pub rewards: Duration,
    pub surveys: Duration,
    pub returns: Duration,
    /// The program's daily jobs: held points released, points expiring, tier reviews.
    pub jobs: Duration,
    pub rollups: Duration,
    /// The customer value fit at the end.
    pub fit: Duration,
}

impl Phases {
    /// Each part's name and seconds, and the rest of `total` (the brand's set-up, the
    /// members' timelines) as "other".
    pub fn seconds(&self, total: Duration) -> Vec<(&'static str, f64)> {
        let parts = [
            ("enrolling", self.enrolling),
            ("orders", self.orders),
            ("rewards", self.rewards),
            ("surveys", self.surveys),
            ("returns", self.returns),
            ("jobs", self.jobs),
            ("rollups", self.rollups),
            ("fit", self.fit),
        ];
        let other = total.saturating_sub(parts.iter().map(|p| p.1).sum());
        parts
            .into_iter()
            .chain([("other", other)])
            .map(|(name, d)| (name, d.as_secs_f64()))
            .collect()
    }
}

/// Adds the time since `since` to `into`; the time now.
fn lap(into: &mut Duration, since: Instant) -> Instant {
    let now = Instant::now();
    *into += now.duration_since(since);
    now
}

/// Average length of a month in seconds (365.25 / 12 days).
const MONTH_SECS: i64 = 2_629_800;

/// Orders booked at once, at most: the group-commit writer takes them a group at a time.
const IN_FLIGHT: usize = 256;

/// One thing that happens: (seconds after the start, member number, what: 0 joins, 2k + 1
/// buys order k, 2k + 2 returns order k).
type Happening = (i64, u32, u32);

/// A generation's plan and progress, as `demo_generations` keeps them.
struct Run {
    program_id: ProgramId,
    start: i64,
    end: i64,
    hours_done: i64,
    made: Generated,
}

/// Generates the brand and lives through its history up to today, on the database's clock
/// stopped at each simulated hour; the clock runs again afterwards, where it was. When the
/// database holds a generation that stopped before it finished, this one goes on from the
/// last hour that one finished (with the same plan; another plan is refused).
pub async fn generate(
    db: &Db,
    plan: &Plan,
    tick: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Generated, AppError> {
    let run = match unfinished(db, plan).await? {
        Some(run) => run,
        None => begin(db, plan).await?,
    };
    let result = live(db, plan, &run, tick).await;
    db.clock().stop_at(None);
    let mut made = result?;
    let started = Instant::now();
    // The program's jobs once more at the present: what came due since midnight.
    jobs::run_for_program(db, made.program_id, db.now()).await?;
    let t = lap(&mut made.phases.jobs, started);
    rollups::catch_up(db).await?;
    let t = lap(&mut made.phases.rollups, t);
    crate::server::service::customer_value::fit(db, made.program_id, db.now()).await?;
    lap(&mut made.phases.fit, t);
    made.took += started.elapsed();
    save_progress(db, run.program_id, None, &made, true).await?;
    Ok(made)
}

/// A row of `demo_generations`.
#[derive(sqlx::FromRow)]
struct Stored {
    program_id: ProgramId,
    seed: i64,
    members: i64,
    months: i64,
    start_at: i64,
    end_at: i64,
    hours_done: i64,
    made: String,
}

/// The generation this database holds unfinished, if any, when it has `plan`'s plan.
async fn unfinished(db: &Db, plan: &Plan) -> Result<Option<Run>, AppError> {
    let row: Option<Stored> = sqlx::query_as(
        "SELECT program_id, seed, members, months, start_at, end_at, hours_done, made \
         FROM demo_generations WHERE finished = 0 ORDER BY program_id DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?;
    let Some(Stored {
        program_id,
        seed,
        members,
        months,
        start_at,
        end_at,
        hours_done,
        made,
    }) = row
    else {
        return Ok(None);
    };
    if (seed, members, months) != (plan.seed as i64, i64::from(plan.members), i64::from(plan.months)) {
        return Err(AppError::conflict(format!(
            "this database holds an unfinished generation of program {program_id} (--members {members} \
             --months {months} --seed {seed}): run it again with those to finish it, or use another database"
        )));
    }
    let mut made: Generated = serde_json::from_str(&made).map_err(|e| {
        tracing::error!(error = %e, "a generation's progress could not be read");
        AppError::Internal
    })?;
    made.runs += 1;
    Ok(Some(Run {
        program_id,
        start: start_at,
        end: end_at,
        hours_done,
        made,
    }))
}

/// A new generation: the brand set up at the start of the period, and its plan recorded.
async fn begin(db: &Db, plan: &Plan) -> Result<Run, AppError> {
    let started = Instant::now();
    // Whole days up to today's midnight (UTC): the same seed makes the same history all day.
    let now = db.now().0;
    let end = now - now.rem_euclid(SECONDS_PER_DAY);
    let start = end - i64::from(plan.months) * MONTH_SECS;
    let start = start - start.rem_euclid(SECONDS_PER_DAY);
    db.clock().stop_at(Some(Timestamp(start)));
    let set_up = brand::set_up(db).await;
    db.clock().stop_at(None);
    let program_id = set_up?.program_id;
    let made = Generated {
        program_id,
        runs: 1,
        took: started.elapsed(),
        ..Generated::default()
    };
    sqlx::query(
        "INSERT INTO demo_generations (program_id, seed, members, months, start_at, end_at, made) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(program_id)
    .bind(plan.seed as i64)
    .bind(i64::from(plan.members))
    .bind(i64::from(plan.months))
    .bind(start)
    .bind(end)
    .bind(made_json(&made)?)
    .execute(&db.pool)
    .await?;
    Ok(Run {
        program_id,
        start,
        end,
        hours_done: 0,
        made,
    })
}

fn made_json(made: &Generated) -> Result<String, AppError> {
    serde_json::to_string(made).map_err(|e| {
        tracing::error!(error = %e, "a generation's progress could not be written");
        AppError::Internal
    })
}

/// Records how far the generation has come (`hours` lived through, when given) and what it
/// made so far, the time of earlier runs included.
async fn save_progress(
    db: &Db,
    program_id: ProgramId,
    hours: Option<i64>,
    made: &Generated,
    finished: bool,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE demo_generations SET hours_done = COALESCE($1, hours_done), made = $2, finished = $3 \
         WHERE program_id = $4",
    )
    .bind(hours)
    .bind(made_json(made)?)
    .bind(i64::from(finished))
    .bind(program_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The brand's history lived through, from the run's first hour not yet done to its end.
async fn live(
    db: &Db,
    plan: &Plan,
    run: &Run,
    tick: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Generated, AppError> {
    let mut since = Instant::now();
    let start = run.start;
    let brand = Arc::new(brand::load(db, run.program_id).await?);
    let first = chrono::DateTime::from_timestamp(start, 0)
        .unwrap_or_default()
        .date_naive();
    use chrono::Datelike;
    let population = Arc::new(Population {
        seed: plan.seed,
        members: plan.members,
        span: run.end - start,
        first_day_of_year: first.ordinal0(),
        first_weekday: first.weekday().num_days_from_monday(),
        shops: brand.shops.len(),
        behaviour: plan.behaviour,
    });
    let mut joined = Vec::with_capacity(plan.members as usize);
    let mut happenings: Vec<Happening> = Vec::new();
    for n in 0..plan.members {
        let t = population.timeline(n);
        happenings.push((t.joined.at, n, 0));
        for (k, &at) in (0u32..).zip(&t.purchases) {
            happenings.push((at, n, 2 * k + 1));
            let order = population.order(n, k, &t.joined, &CATALOGUE);
            if let Some((after, _)) = order.returned {
                if at + after < population.span {
                    happenings.push((at + after, n, 2 * k + 2));
                }
            }
        }
        joined.push(t.joined);
    }
    happenings.sort_unstable();
    let joined = Arc::new(joined);
    let mut ids: Vec<Option<MemberId>> = vec![None; plan.members as usize];
    // Everyone enrolled so far, in the order they joined: referrers are drawn from them.
    let mut enrolled = enrolled_before(db, run.program_id).await?;
    let joiners = happenings.iter().filter(|h| h.2 == 0).map(|h| h.1);
    if enrolled.len() > joiners.clone().count() {
        tracing::error!(program = %run.program_id, "the program has more members than its generation enrols");
        return Err(AppError::Internal);
    }
    // Members are enrolled in the order they join: the n-th membership is the n-th joiner's.
    for (n, &id) in joiners.zip(&enrolled) {
        ids[n as usize] = Some(id);
    }
    let mut made = run.made;
    // The period is whole days (both ends at midnight UTC), so whole hours too.
    let days = population.span / SECONDS_PER_DAY;
    let mut next = 0;
    // Members who joined in the hours before this one.
    let mut joined_before = 0;
    for hour in 0..population.span / 3600 {
        let until = (hour + 1) * 3600;
        let from = next;
        while next < happenings.len() && happenings[next].0 < until {
            next += 1;
        }
        if hour < run.hours_done {
            joined_before += happenings[from..next].iter().filter(|h| h.2 == 0).count();
            continue;
        }
        let now = start + until;
        db.clock().stop_at(Some(Timestamp(now)));
        let here = &happenings[from..next];
        let t = Instant::now();
        // Those who join this hour, then everyone's orders, then spending, then returns.
        // (A run that stopped within this hour may have enrolled them already, all or none:
        // enrolment is one transaction.)
        let joining: Vec<u32> = here.iter().filter(|h| h.2 == 0).map(|h| h.1).collect();
        // Counted whether enrolled now or by a run that stopped within this hour: one to be
        // referred is given a referrer when anyone joined before this hour.
        made.members += joining.len() as u64;
        if joined_before > 0 {
            made.referred += joining
                .iter()
                .filter(|&&n| joined[n as usize].referred.is_some())
                .count() as u64;
        }
        joined_before += joining.len();
        let joiners: Vec<u32> = joining
            .into_iter()
            .filter(|&n| ids[n as usize].is_none())
            .collect();
        if !joiners.is_empty() {
            let rows: Vec<NewMember> = joiners
                .iter()
                .map(|&n| {
                    let j = &joined[n as usize];
                    let (name, email) = people::person(&population, n, j.home_store, brand.program_id);
                    NewMember {
                        name,
                        email: Some(email),
                        referred_by: j.referred.filter(|_| !enrolled.is_empty()).map(|u| {
                            enrolled[((u * enrolled.len() as f64) as usize).min(enrolled.len() - 1)]
                        }),
                        joined_at: Timestamp(start + j.at),
                        channel: j.channel,
                        store_id: Some(brand.store(j.channel, j.home_store).1),
                        birth_date: people::birth_date(&population, n, Timestamp(start + j.at)),
                    }
                })
                .collect();
            // Card numbers: a stream of the seed, the program and the hour, so a second brand
            // of the same seed in one database does not draw the numbers the first one holds,
            // and a run that goes on from here draws what a run from the start would.
            let mut rng =
                ChaCha8Rng::seed_from_u64(plan.seed ^ (brand.program_id.get() as u64).rotate_left(32));
            rng.set_stream(hour as u64);
            let mut tx = db.begin_write().await?;
            let members = enrolment::enrol_many(&mut tx, brand.program_id, &rows, &mut rng).await?;
            tx.commit().await?;
            for (&n, (member_id, _)) in joiners.iter().zip(members) {
                ids[n as usize] = Some(member_id);
                enrolled.push(member_id);
            }
        }
        let t = lap(&mut made.phases.enrolling, t);
        stop_here(plan, hour, Stage::Enrolled)?;
        let receipts = book_hour(db, &brand, &population, &joined, &ids, here, start).await?;
        made.orders += receipts.len() as u64;
        let t = lap(&mut made.phases.orders, t);
        stop_here(plan, hour, Stage::Ordered)?;
        made.redemptions += each_member(&receipts, |b| b.0 .1, |mine| spend(db, &brand, mine)).await?;
        let t = lap(&mut made.phases.rewards, t);
        stop_here(plan, hour, Stage::Spent)?;
        made.answers += each_member(
            &receipts,
            |b| b.0 .1,
            |mine| answer_surveys(db, &brand, &population, mine),
        )
        .await?;
        let t = lap(&mut made.phases.surveys, t);
        let returns: Vec<(u32, u32)> = here
            .iter()
            .filter(|h| h.2 > 0 && h.2 % 2 == 0)
            .map(|h| (h.1, (h.2 - 2) / 2))
            .collect();
        // One after another: a return of a referred member's first order takes the referral
        // bonus back from the referrer, who may be returning something in the same hour.
        made.returns += take_back(db, &brand, &population, &joined, &returns).await?;
        let t = lap(&mut made.phases.returns, t);
        if until % SECONDS_PER_DAY == 0 {
            jobs::run_for_program(db, brand.program_id, Timestamp(now)).await?;
            let t = lap(&mut made.phases.jobs, t);
            // The day's rollups, as the server's worker folds them as it goes.
            rollups::catch_up(db).await?;
            lap(&mut made.phases.rollups, t);
            tick(Progress {
                day: until / SECONDS_PER_DAY,
                days,
                members: made.members,
                orders: made.orders,
            });
        }
        // The hour is done: a run that stops after this goes on from the next one. (One that
        // stops within an hour books it again: all in it is idempotent but enrolment, which is
        // kept apart above.)
        let now = Instant::now();
        made.took += now.duration_since(since);
        since = now;
        save_progress(db, run.program_id, Some(hour + 1), &made, false).await?;
    }
    made.took += since.elapsed();
    Ok(made)
}

/// The program's members so far, in the order they were enrolled.
async fn enrolled_before(db: &Db, program_id: ProgramId) -> Result<Vec<MemberId>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT member_id FROM memberships WHERE program_id = $1 ORDER BY id")
            .bind(program_id)
            .fetch_all(&db.pool)
            .await?,
    )
}

/// An order booked in the hour: (when, member number, order number, member), its details
/// and the member's balance right after it.
type Booked = ((i64, u32, u32, MemberId), simulate::Order, i64);

/// Books the hour's orders: each member's in sequence (so each sees what the one before gave,
/// as a till would), the members side by side, where the group-commit writer books them a
/// group at a time. Returns them in (time, member) order.
async fn book_hour(
    db: &Db,
    brand: &Arc<Brand>,
    population: &Arc<Population>,
    joined: &Arc<Vec<simulate::Joined>>,
    ids: &[Option<MemberId>],
    here: &[Happening],
    start: i64,
) -> Result<Vec<Booked>, AppError> {
    let mut orders: Vec<(i64, u32, u32, MemberId)> = Vec::new();
    for h in here.iter().filter(|h| h.2 % 2 == 1) {
        // Joiners were enrolled above, so every buyer has an id.
        let Some(id) = ids[h.1 as usize] else {
            tracing::error!(member = h.1, "an order of a member who has not joined");
            return Err(AppError::Internal);
        };
        orders.push((h.0, h.1, (h.2 - 1) / 2, id));
    }
    // Each member's orders together, in time order.
    orders.sort_unstable_by_key(|o| (o.1, o.0));
    let by_member: Vec<&[(i64, u32, u32, MemberId)]> = orders.chunk_by(|a, b| a.1 == b.1).collect();
    // A referred member's first order gives their referrer points, which can lift the
    // referrer's tier before the referrer's own order of the hour: booked side by side, which
    // came first would vary from run to run (and a resumed run could differ from a straight
    // one). Those members go first, one after another (waves of one).
    let (first, rest): (Vec<_>, Vec<_>) = by_member.into_iter().partition(|o| {
        o.iter()
            .any(|o| o.2 == 0 && joined[o.1 as usize].referred.is_some())
    });
    let mut booked = Vec::new();
    for wave in first.chunks(1).chain(rest.chunks(IN_FLIGHT)) {
        let mut set = JoinSet::new();
        for orders in wave {
            let (db, brand, population, joined) =
                (db.clone(), brand.clone(), population.clone(), joined.clone());
            let orders = orders.to_vec();
            set.spawn(async move {
                let mut out = Vec::with_capacity(orders.len());
                for o in orders {
                    let (order, balance) =
                        buy(&db, &brand, &population, &joined[o.1 as usize], o, start).await?;
                    out.push((o, order, balance));
                }
                Ok::<_, AppError>(out)
            });
        }
        while let Some(done) = set.join_next().await {
            booked.extend(done.map_err(|e| {
                tracing::error!(error = %e, "a generated order's task failed");
                AppError::Internal
            })??);
        }
    }
    booked.sort_unstable_by_key(|b| (b.0 .0, b.0 .1, b.0 .2));
    Ok(booked)
}

/// A generated order's id in its channel.
fn order_id(n: u32, k: u32) -> String {
    format!("NW{n:07}-{k}")
}

/// Books member `n`'s order `k` at `at`: its details and the member's balance after it.
async fn buy(
    db: &Db,
    brand: &Brand,
    population: &Population,
    joined: &simulate::Joined,
    (at, n, k, member_id): (i64, u32, u32, MemberId),
    start: i64,
) -> Result<(simulate::Order, i64), AppError> {
    let order = population.order(n, k, joined, &CATALOGUE);
    let (store, _) = brand.store(order.channel, order.store);
    let input = OrderInput {
        channel: order.channel,
        channel_order_id: order_id(n, k),
        amount_minor: order.amount_minor,
        lines: order
            .lines
            .iter()
            .map(|&(p, quantity, amount_minor)| OrderLine {
                sku: CATALOGUE[p].sku.into(),
                category: Some(CATALOGUE[p].category.into()),
                tags: Vec::new(),
                quantity,
                amount_minor,
            })
            .collect(),
        store: Some(store.clone()),
        receipt: None,
        occurred_at: Some(Timestamp(start + at)),
    };
    let receipt = retried(|| orders::record_order(db, brand.program_id, member_id, &input, None)).await?;
    if !receipt.replayed {
        return Ok((order, receipt.balance));
    }
    // Booked by a run that stopped within this hour: a replay answers with the balance now,
    // and what to spend is decided on the balance right after the order, as then.
    let balance: Option<i64> = sqlx::query_scalar(
        "SELECT p.balance_after FROM ledger_postings p WHERE p.account = 'wallet' AND p.transaction_id <= $1 \
         AND p.membership_id = (SELECT membership_id FROM ledger_transactions WHERE id = $1) \
         ORDER BY p.id DESC LIMIT 1",
    )
    .bind(receipt.transaction_id)
    .fetch_optional(&db.pool)
    .await?
    .flatten();
    Ok((order, balance.unwrap_or(0)))
}

/// After one member's orders of the hour, in their order: a third of the times the member
/// could afford a reward, they take the dearest they can, and most use it at once (the rest
/// run out unused). Returns how many were redeemed.
async fn spend(db: &Db, brand: &Brand, booked: Vec<&Booked>) -> Result<u64, AppError> {
    // Points spent since the receipts' balances.
    let mut already = 0;
    let mut redeemed = 0;
    for ((_, n, k, member_id), order, balance) in booked {
        if order.redeems >= 1.0 / 3.0 {
            continue;
        }
        let Some(&(reward, _)) = brand.rewards.iter().rev().find(|r| r.1 <= balance - already) else {
            continue;
        };
        let request = format!("{}-X", order_id(*n, *k));
        let redeem = || rewards::redeem(db, *member_id, reward, order.channel, &request, false, None);
        let issued = match retried(redeem).await {
            Ok(issued) => issued,
            // Not enough any more (the balance moved since the receipt): no reward now.
            Err(e) if e.code() == "insufficient_points" => continue,
            Err(e) => return Err(e),
        };
        // A request booked before (by a run that stopped within this hour) answers with the
        // reward it issued then.
        already += issued.points;
        redeemed += 1;
        if order.redeems < 0.25 {
            match retried(|| rewards::use_code(db, &issued.code, Some(&issued.pin), order.channel)).await {
                // Used by a run that stopped within this hour.
                Ok(_) | Err(AppError::RewardUsed) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(redeemed)
}

/// The stream of member `n`'s answer after order `k`: apart from the orders' (`k + 1`).
const SURVEY_STREAM: u32 = 1 << 23;

/// After one member's orders of the hour, in their order: one receipt in twelve asks for the NPS survey,
/// and the member answers it (at most once a quarter: a second answer is refused). Members
/// whose order goes back are less often promoters. Returns how many answered.
async fn answer_surveys(
    db: &Db,
    brand: &Brand,
    population: &Population,
    booked: Vec<&Booked>,
) -> Result<u64, AppError> {
    use rand::Rng;
    const COMMENTS: [&str; 6] = [
        "Friendly staff and quick checkout.",
        "Good prices on the weekly basket.",
        "The app makes collecting points easy.",
        "Items were out of stock again.",
        "Long queues at the tills.",
        "Delivery was late.",
    ];
    let mut answered = 0;
    for ((_, n, k, member_id), order, _) in booked {
        let mut rng = population.stream(*n, SURVEY_STREAM | *k);
        if rng.gen::<f64>() >= 1.0 / 12.0 {
            continue;
        }
        let happy = if order.returned.is_some() { 0.25 } else { 0.55 };
        let u: f64 = rng.gen();
        let score: i64 = if u < happy {
            rng.gen_range(9..=10)
        } else if u < happy + 0.25 {
            rng.gen_range(7..=8)
        } else {
            rng.gen_range(0..=6)
        };
        let comment = match (rng.gen::<f64>() < 0.3, score) {
            (false, _) => "",
            (true, 7..) => COMMENTS[rng.gen_range(0..3)],
            (true, _) => COMMENTS[rng.gen_range(3..6)],
        };
        let (store, _) = brand.store(order.channel, order.store);
        let score = score.to_string();
        let input = || surveys::AnswerInput {
            channel: order.channel,
            event_id: format!("{}-S", order_id(*n, *k)),
            store: Some(store.clone()),
            occurred_at: None,
            score: &score,
            comment,
            only: None,
        };
        match retried(|| surveys::answer(db, brand.program_id, *member_id, input())).await {
            Ok(_) => answered += 1,
            Err(e) if e.code() == "conflict" => {}
            Err(e) => return Err(e),
        }
    }
    Ok(answered)
}

/// Returns of the hour (member and order numbers), in their order: how many.
async fn take_back(
    db: &Db,
    brand: &Brand,
    population: &Population,
    joined: &[simulate::Joined],
    returns: &[(u32, u32)],
) -> Result<u64, AppError> {
    let mut taken = 0;
    for &(n, k) in returns {
        let order = population.order(n, k, &joined[n as usize], &CATALOGUE);
        let Some((_, refund)) = order.returned else {
            continue;
        };
        let input = ReturnInput {
            channel: order.channel,
            returned_in: None,
            channel_order_id: order_id(n, k),
            return_id: format!("{}-R", order_id(n, k)),
            amount_minor: refund,
        };
        retried(|| orders::record_return(db, brand.program_id, &input, None)).await?;
        taken += 1;
    }
    Ok(taken)
}

/// Runs `work` on each member's items (`member` tells whose; their order is kept), the
/// members side by side, up to `IN_FLIGHT` at once: on PostgreSQL each on a connection of
/// its own. Members share nothing that redeeming a reward or answering a survey books (no
/// stock, no budget), so the outcome is the same in any interleaving. The sum of what each
/// returned.
async fn each_member<'a, T, F, Fut>(
    items: &'a [T],
    member: impl Fn(&T) -> u32,
    work: F,
) -> Result<u64, AppError>
where
    F: Fn(Vec<&'a T>) -> Fut,
    Fut: std::future::Future<Output = Result<u64, AppError>>,
{
    use futures::{StreamExt, TryStreamExt};
    let mut groups: std::collections::BTreeMap<u32, Vec<&'a T>> = std::collections::BTreeMap::new();
    for item in items {
        groups.entry(member(item)).or_default().push(item);
    }
    // The futures made before the stream runs them: a stream that held `work` would not be
    // provably Send (the closure's lifetimes are not general enough for the spawned task).
    let each: Vec<Fut> = groups.into_values().map(work).collect();
    futures::stream::iter(each)
        .buffer_unordered(IN_FLIGHT)
        .try_fold(0, |sum, n| async move { Ok(sum + n) })
        .await
}

/// `work`, tried again (up to three times) when it failed in a way that may pass: a lock
/// that timed out, or a fault (`internal`). A refusal is answered at once.
async fn retried<T, F, Fut>(work: F) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    crate::server::db::retried(|e| matches!(e.code(), "try_again" | "internal"), work).await
}
