//! Segments: previewed while a manager builds one (a live count and a sample, nothing
//! saved), saved, refreshed in full on a schedule and for the members whose summaries were
//! folded since the last look, and read by the booking pipeline (a member's segments now)
//! and by reports (who was in a segment on a day).
//!
//! Every evaluation reads each membership's facts once (`store::segment_facts`) and checks
//! them in Rust (`domain::segments::matches`), reading orders only for the windows, stores
//! and products a definition names. The RFM cuts come from the program's last full refresh
//! (computed on the spot before the first), so a preview, a full refresh and a member's
//! re-evaluation score alike.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::domain::forms::segment::{self as form, Known};
use crate::domain::lang::current;
use crate::domain::segments::{self as rules, ConditionAt, Context, Evidence, Facts, RfmCuts};
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::ProgramId;
use crate::model::segment::{Condition, Definition, Preview, SampleMember, Segment, SegmentForm};
use crate::model::time::SECONDS_PER_DAY;
use crate::server::db::Db;
use crate::server::store::{programs, rollups, segment_facts as facts, segments as store};

/// Members shown as a sample of a preview or a segment.
pub const SAMPLE: usize = 10;

/// How long the live count may use what it read before reading again: a builder counts on
/// every pause in typing, and reading every member (about a second per 100,000 on SQLite)
/// each time would be most of its cost. Saves, refreshes and catch-ups always read afresh.
pub const KEEP_SECS: i64 = 300;

/// Orders and net spend per membership over a window.
type Window = Arc<HashMap<i64, (i64, i64)>>;

/// The orders the server read for a definition's windows, stores and products.
#[derive(Default)]
struct Read {
    windows: HashMap<u32, Window>,
    bought: HashMap<ConditionAt, Arc<HashSet<i64>>>,
}

impl Evidence for Read {
    fn window(&self, membership_id: i64, days: u32) -> (i64, i64) {
        self.windows
            .get(&days)
            .and_then(|w| w.get(&membership_id))
            .copied()
            .unwrap_or_default()
    }

    fn bought(&self, membership_id: i64, at: ConditionAt) -> bool {
        self.bought.get(&at).is_some_and(|s| s.contains(&membership_id))
    }
}

/// A program's members' facts, in membership order.
type Members = Arc<Vec<Facts>>;

/// One answer read from the orders for the live count.
#[derive(Clone)]
enum Part {
    Window(Window),
    Bought(Arc<HashSet<i64>>),
}

/// The live count's reads, per program: each program's member facts, and the orders read for
/// each condition (by what it asks), with when they were read.
#[derive(Default)]
struct Kept {
    facts: tokio::sync::Mutex<HashMap<i64, (i64, Members)>>,
    parts: std::sync::Mutex<HashMap<(i64, String), (i64, Part)>>,
    /// RFM cuts read from the buyers before the program's first full refresh.
    cuts: std::sync::Mutex<HashMap<i64, (i64, RfmCuts)>>,
}

fn window_key(days: u32) -> String {
    format!("window {days}")
}

fn bought_key(c: &Condition) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// The conditions of a definition answered by who bought in stores or products.
fn bought_conditions(d: &Definition) -> impl Iterator<Item = (ConditionAt, &Condition)> {
    rules::conditions(d).filter(|(_, c)| matches!(c, Condition::Stores { .. } | Condition::Products { .. }))
}

/// One read of the orders: the windows (orders and spend per membership over each number of
/// days, in one pass), or who bought in the stores or products a condition names.
enum PartRead {
    Windows(Vec<u32>),
    Bought(Condition),
}

impl PartRead {
    /// Its answers, each under the key it is kept by.
    async fn read(
        &self,
        db: &Db,
        program_id: i64,
        only: Option<&[i64]>,
    ) -> Result<Vec<(String, Part)>, AppError> {
        let mut conn = db.pool.acquire().await?;
        let now = db.now().0;
        // 0 days: ever.
        let since = |days: u32| {
            if days == 0 {
                i64::MIN
            } else {
                now - i64::from(days) * SECONDS_PER_DAY
            }
        };
        Ok(match self {
            PartRead::Windows(days) => {
                let sinces: Vec<i64> = days.iter().map(|&d| since(d)).collect();
                let maps = facts::windows(&mut conn, program_id, &sinces, only).await?;
                days.iter()
                    .zip(maps)
                    .map(|(&d, w)| (window_key(d), Part::Window(Arc::new(w))))
                    .collect()
            }
            PartRead::Bought(c) => {
                let bought = match c {
                    Condition::Stores { days, store_ids } => {
                        facts::bought_in_stores(&mut conn, program_id, since(*days), store_ids, only).await?
                    }
                    Condition::Products {
                        days,
                        skus,
                        categories,
                    } => {
                        facts::bought_products(&mut conn, program_id, since(*days), skus, categories, only)
                            .await?
                    }
                    _ => HashSet::new(),
                };
                vec![(bought_key(c), Part::Bought(Arc::new(bought)))]
            }
        })
    }
}

/// What `map` holds for `key`, if it was kept within `KEEP_SECS` of `now`.
fn kept_within<K: Eq + std::hash::Hash, V: Clone>(
    map: &std::sync::Mutex<HashMap<K, (i64, V)>>,
    key: &K,
    now: i64,
) -> Option<V> {
    let map = map.lock().unwrap_or_else(|p| p.into_inner());
    map.get(key)
        .filter(|(at, _)| now - at < KEEP_SECS)
        .map(|(_, v)| v.clone())
}

impl Kept {
    /// A part read within `KEEP_SECS` of `now`.
    fn part(&self, program_id: i64, key: &str, now: i64) -> Option<Part> {
        kept_within(&self.parts, &(program_id, key.to_string()), now)
    }

    fn keep(&self, program_id: i64, key: String, part: Part, now: i64) {
        let mut parts = self.parts.lock().unwrap_or_else(|p| p.into_inner());
        parts.retain(|_, (at, _)| now - *at < KEEP_SECS);
        parts.insert((program_id, key), (now, part));
    }
}

/// What was read from the orders, by key (see `PartRead`).
type Parts = HashMap<String, Part>;

/// Reads what the definitions read from the orders (for `only` these memberships): each part
/// once, and the windows in one pass (reading orders is most of a full refresh's time). With
/// `kept` (the live count), parts it holds are used again and what is read is kept. The
/// answer holds every part, found or read: a part looked up again later could have expired.
async fn read_parts(
    db: &Db,
    program_id: i64,
    ds: &[&Definition],
    only: Option<&[i64]>,
    kept: Option<&Kept>,
) -> Result<Parts, AppError> {
    let now = db.now().0;
    let mut parts = Parts::new();
    let mut found = |key: String| -> bool {
        if parts.contains_key(&key) {
            return true;
        }
        match kept.and_then(|k| k.part(program_id, &key, now)) {
            Some(part) => {
                parts.insert(key, part);
                true
            }
            None => false,
        }
    };
    let mut days: Vec<u32> = Vec::new();
    let mut bought: Vec<(String, Condition)> = Vec::new();
    for d in ds {
        for day in rules::windows(d) {
            if !days.contains(&day) && !found(window_key(day)) {
                days.push(day);
            }
        }
        for (_, c) in bought_conditions(d) {
            let key = bought_key(c);
            if !bought.iter().any(|(k, _)| *k == key) && !found(key.clone()) {
                bought.push((key, c.clone()));
            }
        }
    }
    let mut todo: Vec<PartRead> = bought.into_iter().map(|(_, c)| PartRead::Bought(c)).collect();
    if !days.is_empty() {
        todo.insert(0, PartRead::Windows(days));
    }
    for part in todo {
        for (key, read) in part.read(db, program_id, only).await? {
            if let Some(k) = kept {
                k.keep(program_id, key.clone(), read.clone(), now);
            }
            parts.insert(key, read);
        }
    }
    Ok(parts)
}

/// A definition's evidence out of the parts read for it.
fn evidence_of(d: &Definition, parts: &Parts) -> Result<Read, AppError> {
    let missing = |key: &str| {
        tracing::error!(key, "a segment's orders were not read");
        AppError::Internal
    };
    let mut read = Read::default();
    for days in rules::windows(d) {
        let key = window_key(days);
        match parts.get(&key) {
            Some(Part::Window(w)) => read.windows.insert(days, w.clone()),
            _ => return Err(missing(&key)),
        };
    }
    for (at, c) in bought_conditions(d) {
        let key = bought_key(c);
        match parts.get(&key) {
            Some(Part::Bought(b)) => read.bought.insert(at, b.clone()),
            _ => return Err(missing(&key)),
        };
    }
    Ok(read)
}

/// Reads the orders a definition's conditions look at (for `only` these memberships); with
/// `kept`, answers read for the live count within `KEEP_SECS` are used again.
async fn read_evidence(
    db: &Db,
    program_id: i64,
    d: &Definition,
    only: Option<&[i64]>,
    kept: Option<&Kept>,
) -> Result<Read, AppError> {
    evidence_of(d, &read_parts(db, program_id, &[d], only, kept).await?)
}

/// Every live membership's facts (of the program, or of `only`), in id order, with the
/// summaries of memberships merged into them added.
async fn read_facts(db: &Db, program_id: i64, only: Option<&[i64]>) -> Result<Vec<Facts>, AppError> {
    let mut conn = db.pool.acquire().await?;
    let merged = facts::merged(&mut conn, program_id).await?;
    let mut out = Vec::new();
    let chunks: Vec<Option<&[i64]>> = match only {
        Some(ids) => ids.chunks(400).map(Some).collect(),
        None => vec![None],
    };
    for chunk in chunks {
        facts::each_member(&mut conn, program_id, chunk, true, |mut f| {
            if let Some(m) = merged.get(&f.membership_id) {
                m.add_to(&mut f);
            }
            out.push(f);
        })
        .await?;
    }
    Ok(out)
}

/// The live count's facts of the program: read again when older than `KEEP_SECS`.
async fn kept_facts(db: &Db, program_id: i64) -> Result<Members, AppError> {
    let kept = db.cached::<Kept>();
    let mut all = kept.facts.lock().await;
    let now = db.now().0;
    if let Some((at, f)) = all.get(&program_id) {
        if now - at < KEEP_SECS {
            return Ok(f.clone());
        }
    }
    let f = Arc::new(read_facts(db, program_id, None).await?);
    all.insert(program_id, (now, f.clone()));
    Ok(f)
}

/// The memberships among `facts` the definition matches, in id order.
fn evaluate(d: &Definition, facts: &[Facts], today: i64, cuts: &RfmCuts, evidence: &Read) -> Vec<i64> {
    let ctx = Context {
        today,
        cuts,
        evidence,
    };
    facts
        .iter()
        .filter(|f| rules::matches(d, f, &ctx))
        .map(|f| f.membership_id)
        .collect()
}

/// The RFM cuts from the program's buyers as they are now (a member kept by a merge counts
/// with the purchases of those merged into them).
async fn fresh_cuts(db: &Db, program_id: i64) -> Result<RfmCuts, AppError> {
    let mut conn = db.pool.acquire().await?;
    let mut buyers = facts::buyers(&mut conn, program_id).await?;
    for (owner, m) in facts::merged(&mut conn, program_id).await? {
        match buyers.binary_search_by_key(&owner, |b| b.0) {
            Ok(i) => {
                let b = &mut buyers[i];
                b.1 = b.1.max(m.last_buy_day.unwrap_or(b.1));
                b.2 += m.orders;
                b.3 += m.spend_minor;
            }
            Err(_) => {
                if let (true, Some(day)) = (m.orders > 0, m.last_buy_day) {
                    buyers.push((owner, day, m.orders, m.spend_minor));
                }
            }
        }
    }
    let mut r: Vec<i64> = buyers.iter().map(|b| b.1).collect();
    let mut f: Vec<i64> = buyers.iter().map(|b| b.2).collect();
    let mut m: Vec<i64> = buyers.iter().map(|b| b.3).collect();
    Ok(RfmCuts::from_buyers(&mut r, &mut f, &mut m))
}

/// The cuts evaluations use: the last full refresh's, or (before the first) fresh ones. With
/// `kept` (the live count), fresh ones are used again within `KEEP_SECS`, as its facts are:
/// each count while typing would otherwise read every buyer.
async fn cuts(db: &Db, program_id: i64, d: &Definition, kept: Option<&Kept>) -> Result<RfmCuts, AppError> {
    if !rules::needs_rfm(d) {
        return Ok(RfmCuts::default());
    }
    if let Some(s) = store::state(&mut *db.pool.acquire().await?, program_id).await? {
        return Ok(s.cuts);
    }
    let now = db.now().0;
    let Some(kept) = kept else {
        return fresh_cuts(db, program_id).await;
    };
    if let Some(cuts) = kept_within(&kept.cuts, &program_id, now) {
        return Ok(cuts);
    }
    let fresh = fresh_cuts(db, program_id).await?;
    let mut all = kept.cuts.lock().unwrap_or_else(|p| p.into_inner());
    all.insert(program_id, (now, fresh.clone()));
    Ok(fresh)
}

/// The memberships (of the program, or of `only`) that match, in id order, read afresh.
async fn matching(
    db: &Db,
    program_id: i64,
    d: &Definition,
    cuts: &RfmCuts,
    only: Option<&[i64]>,
) -> Result<Vec<i64>, AppError> {
    let today = rules::day_of(db.now().0);
    let mut found = Vec::new();
    // The given memberships 400 at a time: each chunk's ids are parameters of its statements.
    let chunks: Vec<Option<&[i64]>> = match only {
        Some(ids) => ids.chunks(400).map(Some).collect(),
        None => vec![None],
    };
    for chunk in chunks {
        let facts = read_facts(db, program_id, chunk).await?;
        let evidence = read_evidence(db, program_id, d, chunk, None).await?;
        found.extend(evaluate(d, &facts, today, cuts, &evidence));
    }
    found.sort_unstable();
    Ok(found)
}

/// One evaluation-and-write of segments at a time in this server: a full refresh and a
/// catch-up (or two refreshes) side by side could each write, after the other committed,
/// what it had read before.
#[derive(Default)]
struct Turn(tokio::sync::Mutex<()>);

/// What the form's checks need to know of the program: its currency, tiers and the stores.
struct ProgramFacts {
    currency: String,
    tier_ids: Vec<i64>,
    stores: Vec<(i64, String)>,
}

impl ProgramFacts {
    async fn of(db: &Db, program_id: ProgramId) -> Result<Self, AppError> {
        let program = programs::get(db, program_id).await?;
        let tiers = programs::tiers(db, program_id).await?;
        let stores = crate::server::store::stores::list(db).await?;
        Ok(Self {
            currency: program.currency_code,
            tier_ids: tiers.iter().map(|t| t.id).collect(),
            stores: stores.into_iter().map(|s| (s.id, s.code)).collect(),
        })
    }

    fn known(&self) -> Known<'_> {
        Known {
            currency: &self.currency,
            tier_ids: &self.tier_ids,
            stores: &self.stores,
        }
    }
}

async fn sample_of(db: &Db, ids: &[i64]) -> Result<Vec<SampleMember>, AppError> {
    let rows = facts::people(&mut *db.pool.acquire().await?, ids).await?;
    Ok(rows
        .into_iter()
        .map(
            |(member_id, name, card_number, balance, orders, spend_minor)| SampleMember {
                member_id,
                name,
                card_number,
                balance,
                orders,
                spend_minor,
            },
        )
        .collect())
}

/// Checks the builder's form and counts who its conditions match now, with a sample;
/// nothing is saved.
pub async fn preview(db: &Db, input: &SegmentForm) -> Result<Preview, AppError> {
    let program_id = ProgramId(input.program_id);
    let facts = ProgramFacts::of(db, program_id).await?;
    // A count needs no name yet: only the conditions are checked.
    let unnamed = SegmentForm {
        name: "-".into(),
        ..input.clone()
    };
    let valid = form::parse(&unnamed, &facts.known())?;
    preview_definition(db, program_id.0, &valid.definition, facts.currency).await
}

/// Who a checked definition matches now, with a sample (the live count, for callers that
/// hold a `Definition` rather than the form).
pub async fn count(db: &Db, program_id: ProgramId, d: &Definition) -> Result<Preview, AppError> {
    let currency = programs::get(db, program_id).await?.currency_code;
    preview_definition(db, program_id.0, d, currency).await
}

async fn preview_definition(
    db: &Db,
    program_id: i64,
    d: &Definition,
    currency: String,
) -> Result<Preview, AppError> {
    let kept = db.cached::<Kept>();
    let cuts = cuts(db, program_id, d, Some(&kept)).await?;
    let all = kept_facts(db, program_id).await?;
    let evidence = read_evidence(db, program_id, d, None, Some(&kept)).await?;
    let found = evaluate(d, &all, rules::day_of(db.now().0), &cuts, &evidence);
    let members = all.len() as i64;
    let sample = sample_of(db, &found[..found.len().min(SAMPLE)]).await?;
    Ok(Preview {
        matching: found.len() as i64,
        members,
        sample,
        currency,
    })
}

/// The segments of a program.
pub async fn list(db: &Db, program_id: ProgramId) -> Result<Vec<Segment>, AppError> {
    programs::get(db, program_id).await?;
    store::list(&mut *db.pool.acquire().await?, program_id.0).await
}

/// One segment of the program.
pub async fn get(db: &Db, program_id: ProgramId, id: i64) -> Result<Segment, AppError> {
    store::get(&mut *db.pool.acquire().await?, id)
        .await?
        .filter(|s| s.program_id == program_id.0)
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.segments.segment)))
}

/// The builder's form of a saved segment.
pub async fn form(db: &Db, program_id: ProgramId, id: i64) -> Result<SegmentForm, AppError> {
    let s = get(db, program_id, id).await?;
    let facts = ProgramFacts::of(db, program_id).await?;
    Ok(form::form_of(
        s.id,
        program_id.0,
        &s.name,
        &s.definition,
        &facts.known(),
    ))
}

fn name_taken() -> AppError {
    AppError::field("name", td_string!(current().locale, errors.segments.name_taken))
}

/// Saves the form (a new segment, or new name and conditions for one) and evaluates it.
pub async fn save(db: &Db, input: &SegmentForm) -> Result<Segment, AppError> {
    let program_id = ProgramId(input.program_id);
    let valid = form::parse(input, &ProgramFacts::of(db, program_id).await?.known())?;
    save_definition(db, program_id, valid.id, &valid.name, &valid.definition).await
}

/// Saves a definition under `name` (a new segment when `id` is None), checked against the
/// program as the form's would be, then evaluates it so its members and count are current.
pub async fn save_definition(
    db: &Db,
    program_id: ProgramId,
    id: Option<i64>,
    name: &str,
    d: &Definition,
) -> Result<Segment, AppError> {
    let name = crate::domain::validate::name(name).map_err(|m| AppError::field("name", m))?;
    let name = name.as_str();
    form::check_definition(d, &ProgramFacts::of(db, program_id).await?.known())?;
    let now = db.now().0;
    let mut tx = db.begin_write().await?;
    if store::name_taken(&mut tx, program_id.0, name, id).await? {
        return Err(name_taken());
    }
    let saved = match id {
        None => store::insert(&mut tx, program_id.0, name, d, now).await,
        Some(id) => match store::update(&mut tx, id, program_id.0, name, d, now).await {
            Ok(true) => Ok(id),
            Ok(false) => {
                return Err(AppError::not_found(td_string!(
                    current().locale,
                    errors.segments.segment
                )));
            }
            Err(e) => Err(e),
        },
    };
    let id = match saved {
        Ok(id) => id,
        Err(AppError::Conflict { .. }) => return Err(name_taken()),
        Err(e) => return Err(e),
    };
    tx.commit().await?;
    tracing::info!(segment = id, program = program_id.0, "segment saved");
    {
        let turn = db.cached::<Turn>();
        let _turn = turn.0.lock().await;
        if store::state(&mut *db.pool.acquire().await?, program_id.0)
            .await?
            .is_none()
        {
            // The program's first segment: its cuts and the fold count are fixed now, so the
            // members whose summaries are folded from here on are re-evaluated.
            set_cuts(db, program_id).await?;
        }
        // Saved but not evaluated (refreshed_at empty) if this does not finish: the next
        // catch-up evaluates it.
        refresh(db, id).await?;
    }
    get(db, program_id, id).await
}

/// Deletes a segment no earning rule names (switched off or not: one switched on again
/// would otherwise lose its condition and give to everyone); its history is kept.
pub async fn delete(db: &Db, program_id: ProgramId, id: i64) -> Result<(), AppError> {
    get(db, program_id, id).await?;
    let rules = crate::server::service::rules::list(db, program_id).await?;
    if let Some(rule) = rules.iter().find(|r| r.conditions.segment_ids.contains(&id)) {
        return Err(AppError::conflict(
            td_string!(
                current().locale,
                errors.segments.in_use_rule,
                rule = rule.name.clone()
            )
            .to_string(),
        ));
    }
    let mut tx = db.begin_write().await?;
    // A campaign keeps the segment it targets until it ends (its report reads the history
    // either way: a deleted segment keeps it).
    if let Some(name) = crate::server::store::campaigns::open_for_segment(&mut tx, id, db.now()).await? {
        return Err(AppError::conflict(
            td_string!(current().locale, errors.campaigns.segment_in_use, name = name).to_string(),
        ));
    }
    // A reward offered to it would be offered to no one.
    let reward: Option<String> = sqlx::query_scalar(
        "SELECT name FROM rewards WHERE segment_id = $1 AND active = 1 ORDER BY id LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(reward) = reward {
        return Err(AppError::conflict(
            td_string!(current().locale, errors.segments.in_use_reward, reward = reward).to_string(),
        ));
    }
    store::delete(&mut tx, id, db.now().0).await?;
    tx.commit().await?;
    tracing::info!(segment = id, "segment deleted");
    Ok(())
}

/// Evaluates one segment over the whole program and records who entered and who left.
/// Answers its size. Runs in the turn (`Turn`).
async fn refresh(db: &Db, id: i64) -> Result<i64, AppError> {
    let Some(s) = store::get(&mut *db.pool.acquire().await?, id).await? else {
        return Ok(0);
    };
    let facts = read_facts(db, s.program_id, None).await?;
    let parts = read_parts(db, s.program_id, &[&s.definition], None, None).await?;
    refresh_with(db, &s, &facts, &parts).await
}

/// `refresh` on facts and orders read already (a full refresh reads them once for all its
/// segments).
async fn refresh_with(db: &Db, s: &Segment, facts: &[Facts], parts: &Parts) -> Result<i64, AppError> {
    let id = s.id;
    let cuts = cuts(db, s.program_id, &s.definition, None).await?;
    let evidence = evidence_of(&s.definition, parts)?;
    let found = evaluate(&s.definition, facts, rules::day_of(db.now().0), &cuts, &evidence);
    let mut tx = db.begin_write().await?;
    // Edited since it was read: the save evaluates it again.
    if store::claim(&mut tx, id).await? != Some(s.updated_at.0) {
        return Ok(0);
    }
    let now = db.now().0;
    let was = store::current(&mut tx, id).await?;
    let (entered, left) = diff(&was, &found);
    store::leave(&mut tx, id, &left, now).await?;
    store::enter(&mut tx, id, &entered, now).await?;
    store::set_size(&mut tx, id, found.len() as i64, Some(now)).await?;
    tx.commit().await?;
    Ok(found.len() as i64)
}

/// What entered (in `now` and not in `was`) and what left; both inputs sorted.
fn diff(was: &[i64], now: &[i64]) -> (Vec<i64>, Vec<i64>) {
    let (mut entered, mut left) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < was.len() || j < now.len() {
        match (was.get(i), now.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                left.push(*a);
                i += 1;
            }
            (Some(a), None) => {
                left.push(*a);
                i += 1;
            }
            (_, Some(b)) => {
                entered.push(*b);
                j += 1;
            }
            (None, None) => break,
        }
    }
    (entered, left)
}

/// A full refresh of a program: new RFM cuts from its buyers, then every segment evaluated
/// against them. Answers (segments, members in them all).
pub async fn refresh_program(db: &Db, program_id: ProgramId) -> Result<(usize, i64), AppError> {
    let turn = db.cached::<Turn>();
    let _turn = turn.0.lock().await;
    refresh_program_in_turn(db, program_id).await
}

async fn refresh_program_in_turn(db: &Db, program_id: ProgramId) -> Result<(usize, i64), AppError> {
    let list = store::list(&mut *db.pool.acquire().await?, program_id.0).await?;
    let definitions: Vec<&Definition> = list.iter().map(|s| &s.definition).collect();
    // Every member's facts read once for all the segments, and the orders the segments look
    // at each once (one after another: side by side on SQLite they took half as long again).
    let started = std::time::Instant::now();
    set_cuts(db, program_id).await?;
    let facts = read_facts(db, program_id.0, None).await?;
    let parts = read_parts(db, program_id.0, &definitions, None, None).await?;
    let read_ms = started.elapsed().as_millis() as u64;
    let mut total = 0;
    for s in &list {
        total += refresh_with(db, s, &facts, &parts).await?;
    }
    tracing::info!(
        program = program_id.0,
        segments = list.len(),
        members = total,
        read_ms,
        total_ms = started.elapsed().as_millis() as u64,
        "segments refreshed"
    );
    Ok((list.len(), total))
}

/// New RFM cuts from the program's buyers, kept with the fold count they were read at.
async fn set_cuts(db: &Db, program_id: ProgramId) -> Result<(), AppError> {
    let seen = rollups::fold_count(&mut *db.pool.acquire().await?).await?;
    let cuts = fresh_cuts(db, program_id.0).await?;
    let mut tx = db.begin_write().await?;
    store::set_state(
        &mut tx,
        program_id.0,
        &store::State {
            cuts,
            fold_seq: seen,
            refreshed_at: db.now().0,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Re-evaluates, in every segment of every program, the members whose summaries were folded
/// since the last look (a purchase, redemption or return changed their standing). Answers
/// how many memberships were looked at.
pub async fn catch_up(db: &Db) -> Result<usize, AppError> {
    let turn = db.cached::<Turn>();
    let _turn = turn.0.lock().await;
    let mut looked = 0;
    for (program_id, refreshed) in store::programs(&mut *db.pool.acquire().await?).await? {
        let done = if refreshed.is_none() {
            refresh_program_in_turn(db, ProgramId(program_id))
                .await
                .map(|_| 0)
        } else {
            catch_up_program(db, program_id).await
        };
        // One program's failure does not hold the others back; it is tried again next tick.
        match done {
            Ok(n) => looked += n,
            Err(e) => tracing::error!(program = program_id, error = %e, "segments not caught up"),
        }
    }
    Ok(looked)
}

async fn catch_up_program(db: &Db, program_id: i64) -> Result<usize, AppError> {
    let mut conn = db.pool.acquire().await?;
    let Some(state) = store::state(&mut conn, program_id).await? else {
        return Ok(0);
    };
    let seen = rollups::fold_count(&mut conn).await?;
    let changed = facts::folded_since(&mut conn, program_id, state.fold_seq).await?;
    let list = store::list(&mut conn, program_id).await?;
    drop(conn);
    for s in &list {
        // Saved but never evaluated (the save's own evaluation did not finish): in full.
        if s.refreshed_at.is_none() {
            refresh(db, s.id).await?;
            continue;
        }
        if changed.is_empty() {
            continue;
        }
        let found = matching(db, program_id, &s.definition, &state.cuts, Some(&changed)).await?;
        let mut tx = db.begin_write().await?;
        if store::claim(&mut tx, s.id).await? != Some(s.updated_at.0) {
            continue;
        }
        let now = db.now().0;
        let was = store::current_of(&mut tx, s.id, &changed).await?;
        let (entered, left) = diff(&was, &found);
        if !entered.is_empty() || !left.is_empty() {
            store::leave(&mut tx, s.id, &left, now).await?;
            store::enter(&mut tx, s.id, &entered, now).await?;
            store::grow(&mut tx, s.id, entered.len() as i64 - left.len() as i64).await?;
        }
        tx.commit().await?;
    }
    let mut tx = db.begin_write().await?;
    store::set_fold_seq(&mut tx, program_id, seen).await?;
    tx.commit().await?;
    Ok(changed.len())
}

/// Refreshes in full the programs whose last full refresh is older than `every` seconds
/// (or that never had one); how many.
pub async fn refresh_due(db: &Db, every: i64) -> Result<usize, AppError> {
    let turn = db.cached::<Turn>();
    let _turn = turn.0.lock().await;
    let now = db.now().0;
    let mut n = 0;
    for (program_id, refreshed) in store::programs(&mut *db.pool.acquire().await?).await? {
        if refreshed.is_none_or(|at| at <= now - every) {
            refresh_program_in_turn(db, ProgramId(program_id)).await?;
            n += 1;
        }
    }
    Ok(n)
}

/// How often every program's segments are evaluated in full (conditions on time passing,
/// such as days since last activity, and on balances changed by expiry or adjustments, which
/// fold nothing, are brought up to date then).
pub const FULL_REFRESH_SECS: i64 = 3600;

/// Every `every`: the members whose summaries were folded are re-evaluated, and programs due
/// a full refresh get one. Failures are logged and tried again on the next tick.
pub fn spawn_worker(db: Db, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if let Err(e) = refresh_due(&db, FULL_REFRESH_SECS).await {
                tracing::error!(error = %e, "segments not refreshed");
            }
            if let Err(e) = catch_up(&db).await {
                tracing::error!(error = %e, "segments not caught up");
            }
        }
    });
}

/// The segments a membership is in now (what earning rules read).
pub async fn of_membership(conn: &mut sqlx::AnyConnection, membership_id: i64) -> Result<Vec<i64>, AppError> {
    store::of_membership(conn, membership_id).await
}

/// The segments a membership is in now, read on its own connection.
pub async fn now_in(db: &Db, membership_id: i64) -> Result<Vec<i64>, AppError> {
    store::of_membership(&mut *db.pool.acquire().await?, membership_id).await
}

/// The segment's members at an instant (a report's "who was in it that day").
pub async fn members_at(db: &Db, id: i64, at: i64) -> Result<Vec<i64>, AppError> {
    store::members_at(&mut *db.pool.acquire().await?, id, at).await
}

/// The segment's members now, with their names and cards (for the CSV export), in
/// membership order.
pub async fn export(
    db: &Db,
    program_id: ProgramId,
    id: i64,
) -> Result<(Segment, Vec<SampleMember>), AppError> {
    let s = get(db, program_id, id).await?;
    let ids = store::current(&mut *db.pool.acquire().await?, id).await?;
    let people = sample_of(db, &ids).await?;
    Ok((s, people))
}

/// A saved segment's current sample.
pub async fn sample(db: &Db, program_id: ProgramId, id: i64) -> Result<Vec<SampleMember>, AppError> {
    get(db, program_id, id).await?;
    let ids = store::current(&mut *db.pool.acquire().await?, id).await?;
    sample_of(db, &ids[..ids.len().min(SAMPLE)]).await
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn diff_names_who_entered_and_who_left() {
        assert_eq!(diff(&[1, 3, 5], &[2, 3, 6, 7]), (vec![2, 6, 7], vec![1, 5]));
        assert_eq!(diff(&[], &[1]), (vec![1], vec![]));
        assert_eq!(diff(&[1], &[]), (vec![], vec![1]));
    }
}
