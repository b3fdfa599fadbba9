//! Keeps the Insights rollups current. On PostgreSQL every booking queues its ledger
//! transaction (and every enrolment its membership) in its own transaction; on SQLite, whose
//! writers commit one at a time in id order, the worker folds what lies past its marks and
//! bookings write nothing more. `catch_up` folds into the daily facts, the member-day bitmaps
//! and the member summaries, one batch per transaction, one worker at a time. Folding is
//! order-free (a late order from an offline till lands on its own day), so commits that
//! finish out of order on PostgreSQL change nothing. `rebuild` folds the whole ledger again
//! and reports what differed.

use std::collections::{BTreeMap, HashMap, HashSet};

use roaring::RoaringBitmap;
use sqlx::AnyConnection;

use crate::domain::kpi::{slices, Activity, Flows, MemberSummary};
use crate::domain::tier_counts::move_time;
use crate::error::AppError;
use crate::model::time::SECONDS_PER_DAY;
use crate::server::db::{Backend, Db};
use crate::server::store::rollups::{
    self as store, DayKey, FactKey, JoinRow, Marks, RewardCounts, RewardKey, RewardRow, StatRow,
    TierChangeRow, TierMoveKey, TxRow,
};

/// Queue items folded per transaction.
const BATCH: i64 = 2_000;

/// Issued rewards folded per transaction: read and written under the lock every booking
/// needs on SQLite, so fewer than the ledger's, which are read before it is taken.
const REWARD_BATCH: i64 = 500;

fn day_of(at: i64) -> i64 {
    at.div_euclid(SECONDS_PER_DAY)
}

/// A tier change: from, to, at.
type Change = (Option<i64>, Option<i64>, i64);

/// Tiers memberships were in, from their changes.
#[derive(Default)]
struct Tiers {
    current: HashMap<i64, Option<i64>>,
    changes: HashMap<i64, Vec<Change>>,
}

impl Tiers {
    async fn load(conn: &mut AnyConnection, ids: &[i64]) -> Result<Tiers, AppError> {
        let (current, changes) = store::tier_history(conn, ids).await?;
        let mut t = Tiers {
            current: current.into_iter().collect(),
            ..Tiers::default()
        };
        for (id, from, to, at) in changes {
            t.changes.entry(id).or_default().push((from, to, at));
        }
        Ok(t)
    }

    /// The tier before any change at or after `at` (a purchase that lifts a member is
    /// filed under the tier it was made in).
    fn at(&self, membership_id: i64, at: i64) -> Option<i64> {
        let changes = self.changes.get(&membership_id).map(Vec::as_slice).unwrap_or(&[]);
        match changes.iter().rev().find(|c| c.2 < at) {
            Some(c) => c.1,
            None => match changes.first() {
                Some(c) => c.0,
                None => self.current.get(&membership_id).copied().flatten(),
            },
        }
    }
}

/// What a batch (or a rebuild) adds: facts as deltas; bitmaps and summaries whole, from the
/// stored ones the batch read first.
#[derive(Default)]
struct Fold {
    facts: HashMap<FactKey, Flows>,
    days: HashMap<DayKey, RoaringBitmap>,
    changed: HashSet<DayKey>,
    stats: HashMap<i64, (i64, i64, MemberSummary)>,
    rewards: HashMap<RewardKey, RewardCounts>,
    moves: HashMap<TierMoveKey, i64>,
}

/// What an issued reward counts for in `status`: nothing unless it was redeemed (a
/// reservation, or a reward released, is not a redemption).
fn reward_counts(r: &RewardRow, status: Option<&str>) -> RewardCounts {
    match status {
        Some(s @ ("issued" | "used" | "expired")) => RewardCounts {
            redemptions: 1,
            used: i64::from(s == "used"),
            expired: i64::from(s == "expired"),
            points: r.points,
            value_minor: r.value_minor,
        },
        _ => RewardCounts::default(),
    }
}

fn reward_key(r: &RewardRow) -> RewardKey {
    (
        r.program_id,
        day_of(r.created_at),
        r.reward_id,
        r.channel.clone(),
        r.store_id,
    )
}

/// The bitmaps a redeemed reward's member is in: where it was redeemed, by reward and for
/// all rewards.
fn reward_day_keys(r: &RewardRow) -> Vec<DayKey> {
    let store = (r.store_id != 0).then_some(r.store_id);
    slices(&r.channel, store, Some(r.reward_id))
        .into_iter()
        .map(|s| (r.program_id, Activity::Reward.as_str(), s, day_of(r.created_at)))
        .collect()
}

/// When a transaction's facts happened: a purchase when the order was made (a till may
/// send it later), anything else when it was booked.
fn when(t: &TxRow) -> i64 {
    match (t.kind.as_str(), t.order_at) {
        ("earn", Some(at)) => at,
        _ => t.created_at,
    }
}

/// Where a transaction's facts are filed, and what member activity it is.
fn placed(t: &TxRow) -> (&str, Option<i64>, Option<Activity>) {
    match (t.kind.as_str(), &t.order_channel) {
        ("earn", Some(ch)) => (ch.as_str(), t.order_store, Some(Activity::Buy)),
        ("return", Some(ch)) => (ch.as_str(), t.order_store, None),
        ("redeem", _) => (t.channel.as_str(), t.store_id, Some(Activity::Redeem)),
        _ => (t.channel.as_str(), t.store_id, None),
    }
}

fn member_u32(member_id: i64) -> Result<u32, AppError> {
    u32::try_from(member_id).map_err(|_| {
        tracing::error!(member_id, "member id beyond the bitmaps' range");
        AppError::Internal
    })
}

impl Fold {
    /// The bitmap keys a transaction's activity touches.
    fn tx_keys(t: &TxRow, tier: Option<i64>) -> Vec<DayKey> {
        let (channel, store, activity) = placed(t);
        match (activity, t.member_id) {
            (Some(a), Some(_)) => slices(channel, store, tier)
                .into_iter()
                .map(|s| (t.program_id, a.as_str(), s, day_of(when(t))))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn join_key(j: &JoinRow) -> DayKey {
        (
            j.program_id,
            Activity::Join.as_str(),
            "*|*".into(),
            day_of(j.joined_at),
        )
    }

    /// Adds `member` to the bitmaps of `keys`; true when they were new in the first (the
    /// member's first such activity of the day anywhere).
    fn mark(&mut self, keys: Vec<DayKey>, member: u32) -> bool {
        let mut first = None;
        for key in keys {
            let added = self.days.entry(key.clone()).or_default().insert(member);
            if added {
                self.changed.insert(key);
            }
            first.get_or_insert(added);
        }
        first.unwrap_or(false)
    }

    /// A redeemed reward (`reward_counts` of it not zero) added, as a rebuild reads it.
    fn fold_reward(&mut self, r: &RewardRow) -> Result<(), AppError> {
        let counts = reward_counts(r, Some(&r.status));
        if counts.is_zero() {
            return Ok(());
        }
        self.rewards.entry(reward_key(r)).or_default().add(&counts, 1);
        self.mark(reward_day_keys(r), member_u32(r.member_id)?);
        Ok(())
    }

    fn summary(&mut self, membership_id: i64, program_id: i64, member_id: i64) -> &mut MemberSummary {
        &mut self
            .stats
            .entry(membership_id)
            .or_insert_with(|| (program_id, member_id, MemberSummary::default()))
            .2
    }

    fn fold_tx(&mut self, t: &TxRow, postings: &[(String, i64)], tier: Option<i64>) -> Result<(), AppError> {
        let day = day_of(when(t));
        let (channel, store, activity) = placed(t);
        let mut f = Flows::default();
        for (account, points) in postings {
            f.count_posting(account, *points);
        }
        match (t.kind.as_str(), t.order_amount) {
            ("earn", Some(amount)) => {
                f.orders = 1;
                f.sales_minor = amount;
                f.order_points = f.issued;
            }
            ("return", Some(_)) => f.returned_minor = t.amount_minor.unwrap_or(0),
            ("redeem", _) => f.redemptions = 1,
            _ => {}
        }
        if !f.is_zero() {
            let key = (
                t.program_id,
                day,
                channel.to_string(),
                store.unwrap_or(0),
                tier.unwrap_or(0),
            );
            self.facts.entry(key).or_default().add(&f);
        }
        let (Some(membership_id), Some(member_id)) = (t.membership_id, t.member_id) else {
            return Ok(());
        };
        let keys = Fold::tx_keys(t, tier);
        let channel = channel.to_string();
        match activity {
            Some(Activity::Buy) => {
                let new_day = self.mark(keys, member_u32(member_id)?);
                let amount = t.order_amount.unwrap_or(0);
                self.summary(membership_id, t.program_id, member_id)
                    .buy(day, amount, &channel, new_day);
            }
            Some(Activity::Redeem) => {
                self.mark(keys, member_u32(member_id)?);
                self.summary(membership_id, t.program_id, member_id).redeem(day);
            }
            _ => {
                if let ("return", Some(order_at)) = (t.kind.as_str(), t.order_at) {
                    // The refund goes with the purchase's summary, also when a merge has
                    // since moved the order to another member.
                    let owner = t.order_membership.unwrap_or(membership_id);
                    let refund = t.amount_minor.unwrap_or(0);
                    self.summary(owner, t.program_id, member_id)
                        .refund(day_of(order_at), refund);
                }
            }
        }
        Ok(())
    }

    fn fold_join(&mut self, j: &JoinRow, tier: Option<i64>) -> Result<(), AppError> {
        let f = Flows {
            enrolments: 1,
            ..Flows::default()
        };
        let channel = j.joined_channel.clone().unwrap_or_default();
        let key = (
            j.program_id,
            day_of(j.joined_at),
            channel,
            j.joined_store_id.unwrap_or(0),
            tier.unwrap_or(0),
        );
        self.facts.entry(key).or_default().add(&f);
        self.mark(vec![Fold::join_key(j)], member_u32(j.member_id)?);
        self.summary(j.id, j.program_id, j.member_id);
        Ok(())
    }

    /// A tier change: a move between tiers on its day (`History::moves`; the enrolment is
    /// filed under the tier before the first change, however the two are folded).
    fn fold_move(&mut self, c: &TierChangeRow) {
        let key = (
            c.program_id,
            day_of(move_time(c.created_at, c.joined_at)),
            c.from_tier_id,
            c.to_tier_id,
            c.direction == "up",
        );
        *self.moves.entry(key).or_default() += 1;
    }

    /// Reads the stored bitmaps and summaries this batch will change.
    async fn load(
        &mut self,
        conn: &mut AnyConnection,
        keys: Vec<DayKey>,
        memberships: &[i64],
    ) -> Result<(), AppError> {
        let keys: Vec<DayKey> = keys.into_iter().collect::<HashSet<_>>().into_iter().collect();
        for (key, blob) in store::day_sets(conn, &keys).await? {
            let set = RoaringBitmap::deserialize_from(blob.as_slice()).map_err(|e| {
                tracing::error!(error = %e, ?key, "unreadable member-day bitmap");
                AppError::Internal
            })?;
            self.days.insert(key, set);
        }
        for (membership, program, member, s) in store::summaries(conn, memberships).await? {
            self.stats.insert(membership, (program, member, s));
        }
        Ok(())
    }

    /// Writes what changed: facts added, bitmaps and summaries replaced (the summaries marked
    /// with `seq`, the fold count once this fold commits).
    async fn write(&self, conn: &mut AnyConnection, all_days: bool, seq: i64) -> Result<(), AppError> {
        let facts: Vec<(FactKey, Flows)> = self
            .facts
            .iter()
            .filter(|(_, f)| !f.is_zero())
            .map(|(k, f)| (k.clone(), *f))
            .collect();
        store::add_facts(conn, &facts).await?;
        let mut sets = Vec::new();
        for (key, set) in &self.days {
            if all_days || self.changed.contains(key) {
                sets.push((key.clone(), serialize(set)?));
            }
        }
        store::put_day_sets(conn, &sets).await?;
        let stats: Vec<StatRow> = self
            .stats
            .iter()
            .map(|(id, (p, m, s))| (*id, *p, *m, s.clone()))
            .collect();
        store::put_summaries(conn, &stats, seq).await?;
        let rewards: Vec<(RewardKey, RewardCounts)> = self
            .rewards
            .iter()
            .filter(|(_, n)| !n.is_zero())
            .map(|(k, n)| (k.clone(), *n))
            .collect();
        store::add_reward_days(conn, &rewards).await?;
        let moves: Vec<(TierMoveKey, i64)> = self
            .moves
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|(k, n)| (*k, *n))
            .collect();
        store::add_tier_moves(conn, &moves).await
    }
}

fn serialize(set: &RoaringBitmap) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::with_capacity(set.serialized_size());
    set.serialize_into(&mut out).map_err(|_| AppError::Internal)?;
    Ok(out)
}

/// One batch read from the ledger: transactions with their program postings, memberships
/// that joined, and the tiers of everyone in it.
struct Batch {
    txs: Vec<TxRow>,
    postings: HashMap<i64, Vec<(String, i64)>>,
    joins: Vec<JoinRow>,
    tiers: Tiers,
}

impl Batch {
    async fn read(conn: &mut AnyConnection, txs: Vec<TxRow>, joins: Vec<JoinRow>) -> Result<Batch, AppError> {
        let ids: Vec<i64> = txs.iter().map(|t| t.id).collect();
        let mut postings: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
        for (tx, account, points) in store::program_postings(conn, &ids).await? {
            postings.entry(tx).or_default().push((account, points));
        }
        let memberships = Batch::memberships_of(&txs, &joins);
        let tiers = Tiers::load(conn, &memberships).await?;
        Ok(Batch {
            txs,
            postings,
            joins,
            tiers,
        })
    }

    fn memberships_of(txs: &[TxRow], joins: &[JoinRow]) -> Vec<i64> {
        let set: HashSet<i64> = txs
            .iter()
            .flat_map(|t| [t.membership_id, t.order_membership])
            .flatten()
            .chain(joins.iter().map(|j| j.id))
            .collect();
        set.into_iter().collect()
    }

    fn tx_tier(&self, t: &TxRow) -> Option<i64> {
        t.membership_id.and_then(|m| self.tiers.at(m, when(t)))
    }

    fn keys(&self) -> Vec<DayKey> {
        let mut keys: Vec<DayKey> = self
            .txs
            .iter()
            .flat_map(|t| Fold::tx_keys(t, self.tx_tier(t)))
            .collect();
        keys.extend(self.joins.iter().map(Fold::join_key));
        keys
    }

    fn fold_into(&self, fold: &mut Fold) -> Result<(), AppError> {
        for t in &self.txs {
            let postings = self.postings.get(&t.id).map(Vec::as_slice).unwrap_or(&[]);
            fold.fold_tx(t, postings, self.tx_tier(t))?;
        }
        for j in &self.joins {
            // The tier joined in (`History::tier_joined_in`): before any change.
            fold.fold_join(j, self.tiers.at(j.id, i64::MIN))?;
        }
        Ok(())
    }
}

/// Folds everything queued, batch after batch; how many items were folded.
pub async fn catch_up(db: &Db) -> Result<u64, AppError> {
    let mut total = 0;
    loop {
        let n = fold_batch(db).await?;
        total += n;
        if n < BATCH as u64 {
            break;
        }
    }
    loop {
        let n = fold_rewards(db).await?;
        total += n;
        if n < REWARD_BATCH as u64 {
            return Ok(total);
        }
    }
}

/// Folds up to `REWARD_BATCH` issued rewards whose status changed since they were last folded
/// into reward_days and the reward bitmaps; how many. Read and written under the rollups'
/// lock (a batch is small). A reward that stops counting (released) takes its member out
/// of its day's bitmaps only if no other redemption keeps them there: those days are read
/// again whole.
async fn fold_rewards(db: &Db) -> Result<u64, AppError> {
    let mut tx = db.begin_write().await?;
    store::lock(&mut tx).await?;
    let rows = store::unfolded_rewards(&mut tx, REWARD_BATCH).await?;
    if rows.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    let mut fold = Fold::default();
    let mut again: HashSet<(i64, i64)> = HashSet::new();
    let mut added: Vec<&RewardRow> = Vec::new();
    for r in &rows {
        // Changed again since it was read: folded by a later batch.
        if !store::mark_reward_folded(&mut tx, r.id, &r.status, r.folded.as_deref()).await? {
            continue;
        }
        let (was, now) = (
            reward_counts(r, r.folded.as_deref()),
            reward_counts(r, Some(&r.status)),
        );
        let entry = fold.rewards.entry(reward_key(r)).or_default();
        entry.add(&now, 1);
        entry.add(&was, -1);
        if was.redemptions > now.redemptions {
            again.insert((r.program_id, day_of(r.created_at)));
        } else if now.redemptions > was.redemptions {
            added.push(r);
        }
    }
    let added: Vec<&RewardRow> = added
        .into_iter()
        .filter(|r| !again.contains(&(r.program_id, day_of(r.created_at))))
        .collect();
    fold.load(
        &mut tx,
        added.iter().flat_map(|r| reward_day_keys(r)).collect(),
        &[],
    )
    .await?;
    for r in added {
        fold.mark(reward_day_keys(r), member_u32(r.member_id)?);
    }
    for (program_id, day) in again {
        let rows = store::rewards_created(
            &mut tx,
            program_id,
            day * SECONDS_PER_DAY,
            (day + 1) * SECONDS_PER_DAY,
        )
        .await?;
        // Every bitmap the day's rewards could be in, written whole (empty ones too).
        for r in &rows {
            for key in reward_day_keys(r) {
                fold.days.insert(key.clone(), RoaringBitmap::new());
                fold.changed.insert(key);
            }
        }
        for r in rows
            .iter()
            .filter(|r| !reward_counts(r, Some(&r.status)).is_zero())
        {
            fold.mark(reward_day_keys(r), member_u32(r.member_id)?);
        }
    }
    let seq = store::fold_count(&mut tx).await? + rows.len() as i64;
    fold.write(&mut tx, false, seq).await?;
    store::folded(&mut tx, rows.len() as i64, db.now().0).await?;
    tx.commit().await?;
    Ok(rows.len() as u64)
}

/// Folds the queue every `every` until the process ends (failures are logged and tried
/// again on the next tick).
pub fn spawn_worker(db: Db, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = catch_up(&db).await {
                tracing::error!(error = %e, "rollups not folded");
            }
        }
    });
}

/// Items waiting to be folded.
pub async fn backlog(db: &Db) -> Result<i64, AppError> {
    store::backlog(&mut *db.pool.acquire().await?).await
}

/// Folds up to `BATCH` queued items. Everything is read and folded before the write lock
/// is taken, which is then held only to write: on SQLite that lock is the one every booking
/// needs. The fold counter, read first and checked under the lock, tells whether another
/// fold (or a rebuild) committed in between; then the batch is read again.
async fn fold_batch(db: &Db) -> Result<u64, AppError> {
    loop {
        let mut conn = db.pool.acquire().await?;
        let seen = store::fold_count(&mut conn).await?;
        // What to fold: the queue's oldest (PostgreSQL), or what lies past the marks (SQLite).
        let (items, txs, joins, changes) = if db.backend == Backend::Postgres {
            let items = store::queued(&mut conn, BATCH).await?;
            let pick = |source: &str| -> Vec<i64> {
                items
                    .iter()
                    .filter(|(_, s, _)| s == source)
                    .map(|(_, _, r)| *r)
                    .collect()
            };
            let txs = store::transactions(&mut conn, &pick("tx")).await?;
            let joins = store::joins(&mut conn, &pick("join")).await?;
            let changes = store::tier_changes(&mut conn, &pick("tier")).await?;
            (items, txs, joins, changes)
        } else {
            let marks = store::marks(&mut conn).await?;
            let txs = store::transactions_after(&mut conn, marks.tx, BATCH).await?;
            let joins = store::joins_after(&mut conn, marks.join, BATCH).await?;
            let changes = store::tier_changes_after(&mut conn, marks.tier, BATCH).await?;
            (Vec::new(), txs, joins, changes)
        };
        let n = if db.backend == Backend::Postgres {
            items.len()
        } else {
            txs.len() + joins.len() + changes.len()
        };
        if n == 0 {
            return Ok(0);
        }
        let last = (
            txs.last().map(|t| t.id),
            joins.last().map(|j| j.id),
            changes.last().map(|c| c.id),
        );
        let batch = Batch::read(&mut conn, txs, joins).await?;
        let mut fold = Fold::default();
        let memberships = Batch::memberships_of(&batch.txs, &batch.joins);
        fold.load(&mut conn, batch.keys(), &memberships).await?;
        batch.fold_into(&mut fold)?;
        for c in &changes {
            fold.fold_move(c);
        }
        drop(conn);

        let mut tx = db.begin_write().await?;
        store::lock(&mut tx).await?;
        if store::fold_count(&mut tx).await? != seen {
            tx.rollback().await?;
            continue;
        }
        fold.write(&mut tx, false, seen + n as i64).await?;
        if db.backend == Backend::Postgres {
            let ids: Vec<i64> = items.iter().map(|(id, _, _)| *id).collect();
            store::dequeue(&mut tx, &ids).await?;
        } else {
            let was = store::marks(&mut tx).await?;
            let marks = Marks {
                tx: last.0.unwrap_or(was.tx),
                join: last.1.unwrap_or(was.join),
                tier: last.2.unwrap_or(was.tier),
            };
            store::set_marks(&mut tx, marks).await?;
        }
        store::folded(&mut tx, n as i64, db.now().0).await?;
        tx.commit().await?;
        return Ok(n as u64);
    }
}

/// What a rebuild found: rows of each table that differed from the ledger's account of them
/// (missing, extra or different), with a few examples.
#[derive(Debug, Default)]
pub struct Rebuilt {
    pub transactions: u64,
    pub memberships: u64,
    pub facts: usize,
    pub facts_differing: usize,
    pub day_sets: usize,
    pub day_sets_differing: usize,
    pub summaries: usize,
    pub summaries_differing: usize,
    pub rewards: usize,
    pub rewards_differing: usize,
    pub tier_moves: usize,
    pub tier_moves_differing: usize,
    pub survey_days: usize,
    pub survey_days_differing: usize,
    pub examples: Vec<String>,
}

impl Rebuilt {
    pub fn differs(&self) -> bool {
        self.facts_differing
            + self.day_sets_differing
            + self.summaries_differing
            + self.rewards_differing
            + self.tier_moves_differing
            + self.survey_days_differing
            > 0
    }
}

/// Folds the whole ledger again, compares the result with the stored rollups, and replaces
/// them, in one transaction (bookings go on; what they queue meanwhile is folded after).
pub async fn rebuild(db: &Db) -> Result<Rebuilt, AppError> {
    let mut tries = 0;
    loop {
        match rebuild_once(db).await {
            // PostgreSQL refuses a snapshot's write when a worker committed after it was
            // taken: try again, as the worker will have finished its batch.
            Err(AppError::Conflict { .. }) | Err(AppError::TryAgain { .. }) | Err(AppError::Internal)
                if tries < 3 && db.backend == Backend::Postgres =>
            {
                tries += 1;
            }
            Ok(mut report) => {
                recount_answer_days(db, &mut report).await?;
                return Ok(report);
            }
            other => return other,
        }
    }
}

/// Compares survey_days with the answers and writes it again from them, in a short
/// transaction of its own: answers write survey_days in their bookings' transactions, which
/// would otherwise wait for the whole rebuild (or break its snapshot on PostgreSQL).
async fn recount_answer_days(db: &Db, report: &mut Rebuilt) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    compare_answer_days(&mut tx, report).await?;
    crate::server::store::surveys::recount_days(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn rebuild_once(db: &Db) -> Result<Rebuilt, AppError> {
    let mut tx = db.begin_write().await?;
    if db.backend == Backend::Postgres {
        // One snapshot for everything read: a transaction that commits during the rebuild
        // is either in it or still queued after it, never both or neither.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *tx)
            .await?;
    }
    store::lock(&mut tx).await?;
    let mut fold = Fold::default();
    let mut report = Rebuilt::default();
    let mut tx_mark = 0;
    loop {
        let txs = store::transactions_after(&mut tx, tx_mark, 5_000).await?;
        let Some(last) = txs.last().map(|t| t.id) else {
            break;
        };
        report.transactions += txs.len() as u64;
        tx_mark = last;
        Batch::read(&mut tx, txs, Vec::new())
            .await?
            .fold_into(&mut fold)?;
    }
    let mut join_mark = 0;
    loop {
        let joins = store::joins_after(&mut tx, join_mark, 5_000).await?;
        let Some(last) = joins.last().map(|j| j.id) else {
            break;
        };
        report.memberships += joins.len() as u64;
        join_mark = last;
        Batch::read(&mut tx, Vec::new(), joins)
            .await?
            .fold_into(&mut fold)?;
    }
    let mut reward_mark = 0;
    loop {
        let rows = store::rewards_after(&mut tx, reward_mark, 5_000).await?;
        let Some(last) = rows.last().map(|r| r.id) else {
            break;
        };
        reward_mark = last;
        for r in &rows {
            fold.fold_reward(r)?;
        }
    }
    let mut tier_mark = 0;
    loop {
        let changes = store::tier_changes_after(&mut tx, tier_mark, 5_000).await?;
        let Some(last) = changes.last().map(|c| c.id) else {
            break;
        };
        tier_mark = last;
        for c in &changes {
            fold.fold_move(c);
        }
    }
    // SQLite folds from the marks on: all of the ledger is in now.
    let marks = Marks {
        tx: tx_mark,
        join: join_mark,
        tier: tier_mark,
    };
    store::set_marks(&mut tx, marks).await?;
    compare(&mut tx, &fold, &mut report).await?;
    store::clear(&mut tx).await?;
    // Any fold read before this commit must read again (its base is gone).
    let all = (report.transactions + report.memberships).max(1) as i64;
    let seq = store::fold_count(&mut tx).await? + all;
    fold.write(&mut tx, true, seq).await?;
    store::mark_all_rewards_folded(&mut tx).await?;
    store::folded(&mut tx, all, db.now().0).await?;
    tx.commit().await?;
    Ok(report)
}

/// Counts the survey_days rows that differ from the answers' counts.
async fn compare_answer_days(conn: &mut AnyConnection, report: &mut Rebuilt) -> Result<(), AppError> {
    use crate::server::store::surveys::answer_days;
    let stored: BTreeMap<_, _> = answer_days(conn, false).await?.into_iter().collect();
    let counted: BTreeMap<_, _> = answer_days(conn, true).await?.into_iter().collect();
    report.survey_days = counted.len();
    report.survey_days_differing = differing(&stored, &counted, report, "survey days", "answers");
    Ok(())
}

/// How many keys `stored` and `rebuilt` hold differently (on one side only, or with other
/// values), each kept as an example (`what` the table, `source` what rebuilt it) while
/// the report has fewer than ten.
fn differing<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
    stored: &BTreeMap<K, V>,
    rebuilt: &BTreeMap<K, V>,
    report: &mut Rebuilt,
    what: &str,
    source: &str,
) -> usize {
    let keys: std::collections::BTreeSet<&K> = stored.keys().chain(rebuilt.keys()).collect();
    let mut n = 0;
    for key in keys {
        let (a, b) = (stored.get(key), rebuilt.get(key));
        if a != b {
            n += 1;
            if report.examples.len() < 10 {
                report
                    .examples
                    .push(format!("{what} {key:?}: stored {a:?}, {source} {b:?}"));
            }
        }
    }
    n
}

/// Counts the stored rows that differ from the rebuilt ones.
async fn compare(conn: &mut AnyConnection, fold: &Fold, report: &mut Rebuilt) -> Result<(), AppError> {
    let example = |report: &mut Rebuilt, s: String| {
        if report.examples.len() < 10 {
            report.examples.push(s);
        }
    };
    // Facts: rows of zeros are never written, so they compare as absent.
    let stored: BTreeMap<FactKey, Flows> = store::all_facts(conn)
        .await?
        .into_iter()
        .filter(|(_, f)| !f.is_zero())
        .collect();
    let rebuilt: BTreeMap<FactKey, Flows> = fold
        .facts
        .iter()
        .filter(|(_, f)| !f.is_zero())
        .map(|(k, f)| (k.clone(), *f))
        .collect();
    report.facts = rebuilt.len();
    report.facts_differing = differing(&stored, &rebuilt, report, "facts", "ledger");
    let mut stored_sets: HashMap<(i64, String, String, i64), RoaringBitmap> = HashMap::new();
    for (p, k, s, d, blob) in store::all_day_sets(conn).await? {
        let set = RoaringBitmap::deserialize_from(blob.as_slice()).unwrap_or_default();
        // An empty set (a day whose only redemption was released) is no set.
        if !set.is_empty() {
            stored_sets.insert((p, k, s, d), set);
        }
    }
    report.day_sets = fold.days.len();
    let mut seen = HashSet::new();
    for ((p, k, s, d), set) in &fold.days {
        let key = (*p, k.to_string(), s.clone(), *d);
        if stored_sets.get(&key) != Some(set) {
            report.day_sets_differing += 1;
            example(report, format!("members {key:?}: stored and ledger differ"));
        }
        seen.insert(key);
    }
    for key in stored_sets.keys().filter(|k| !seen.contains(*k)) {
        report.day_sets_differing += 1;
        example(report, format!("members {key:?}: stored, not in the ledger"));
    }
    let stored_stats: HashMap<i64, (i64, i64, MemberSummary)> = store::program_summaries(conn, 0)
        .await?
        .into_iter()
        .map(|(id, p, m, s)| (id, (p, m, s)))
        .collect();
    report.summaries = fold.stats.len();
    for (id, row) in &fold.stats {
        if stored_stats.get(id) != Some(row) {
            report.summaries_differing += 1;
            example(
                report,
                format!("member summary of membership {id}: stored and ledger differ"),
            );
        }
    }
    report.summaries_differing += stored_stats
        .keys()
        .filter(|id| !fold.stats.contains_key(id))
        .count();
    let stored: BTreeMap<RewardKey, RewardCounts> = store::all_reward_days(conn)
        .await?
        .into_iter()
        .filter(|(_, n)| !n.is_zero())
        .collect();
    let rebuilt: BTreeMap<RewardKey, RewardCounts> = fold
        .rewards
        .iter()
        .filter(|(_, n)| !n.is_zero())
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    report.rewards = rebuilt.len();
    report.rewards_differing = differing(&stored, &rebuilt, report, "reward days", "ledger");
    let stored: BTreeMap<TierMoveKey, i64> = store::all_tier_moves(conn).await?.into_iter().collect();
    let rebuilt: BTreeMap<TierMoveKey, i64> = fold
        .moves
        .iter()
        .filter(|(_, n)| **n != 0)
        .map(|(k, n)| (*k, *n))
        .collect();
    report.tier_moves = rebuilt.len();
    report.tier_moves_differing = differing(&stored, &rebuilt, report, "tier moves", "changes");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purchase_is_filed_under_the_tier_it_was_made_in() {
        let mut t = Tiers::default();
        t.current.insert(1, Some(30));
        t.changes
            .insert(1, vec![(Some(10), Some(20), 100), (Some(20), Some(30), 200)]);
        t.current.insert(2, Some(10));
        assert_eq!(t.at(1, 50), Some(10));
        // The order that lifted the member at 100 was made in the tier before.
        assert_eq!(t.at(1, 100), Some(10));
        assert_eq!(t.at(1, 150), Some(20));
        assert_eq!(t.at(1, 250), Some(30));
        assert_eq!(t.at(2, 250), Some(10));
        assert_eq!(t.at(3, 250), None);
    }
}
