//! The rewards catalogue and redemption. Redeeming spends points (earliest-expiring lots
//! first), takes one from stock with a conditional update, and issues a code with a PIN in
//! one transaction; a reservation holds all of that until the checkout confirms or releases
//! it. A used, released or expired code is refused.

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::{MemberId, MembershipId, ProgramId, UserId};
use rand::Rng;
use sqlx::AnyConnection;

use crate::domain::rewards::{self as domain_rewards, Eligibility};
use crate::domain::validate;
use crate::error::{count, AppError, Validator};
use crate::model::ledger::TxKind;
use crate::model::program::Program;
use crate::model::reward::RewardKind;
use crate::model::reward::RewardStatus;
use crate::model::reward::{IssuedReward, Reward, RewardInput};
use crate::model::rules::Channel;
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::{is_unique_violation, Db, WriteTx};
use subtle::ConstantTimeEq;

use super::ledger::{self, Account, Meta, Posting};
use crate::server::store::attempts;
use crate::server::store::programs;

/// How long a checkout may hold a reservation before it is released by itself.
pub const RESERVATION_SECS: i64 = 15 * 60;

const COLUMNS: &str = "id, program_id, name, description, kind, cost_points, value, sku, stock, issued, \
     per_member_limit, valid_from, valid_until, min_tier_id, segment_id, channels, code_valid_days, uses_pool, active, \
     CAST(CASE WHEN uses_pool = 1 THEN (SELECT COUNT(*) FROM reward_pool_codes c \
     WHERE c.reward_id = rewards.id AND c.issued_id IS NULL) END AS BIGINT) AS pool_left";

pub(crate) const ISSUED_COLUMNS: &str =
    "i.id, i.reward_id, r.program_id, r.name AS reward_name, r.kind, i.code, i.pin, i.status, i.points, \
     i.value, i.reserved_until, i.expires_at, i.used_at, i.created_at";

pub async fn list(db: &Db, program_id: ProgramId) -> Result<Vec<Reward>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM rewards WHERE program_id = $1 ORDER BY cost_points, name"
    ))
    .bind(program_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Reward, AppError> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM rewards WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.reward)))
}

/// Whether the tier the member holds is at least the reward's minimum tier.
pub(crate) async fn tier_ok(
    conn: &mut AnyConnection,
    reward: &Reward,
    membership_id: MembershipId,
) -> Result<bool, AppError> {
    let Some(min_tier) = reward.min_tier_id else {
        return Ok(true);
    };
    let (needed, held): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT threshold_points FROM tiers WHERE id = $1), \
         (SELECT t.threshold_points FROM memberships m JOIN tiers t ON t.id = m.tier_id WHERE m.id = $2)",
    )
    .bind(min_tier)
    .bind(membership_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(domain_rewards::meets_tier(needed, held))
}

/// Where a membership stands for a reward, points aside: its tier, whether it is in the
/// reward's segment (`segments`: the ones it is in now; read only when a reward names one),
/// and what it holds of it.
pub(crate) async fn eligibility(
    conn: &mut AnyConnection,
    reward: &Reward,
    membership_id: MembershipId,
    segments: &[i64],
) -> Result<Eligibility, AppError> {
    Ok(Eligibility {
        tier_ok: tier_ok(conn, reward, membership_id).await?,
        in_segment: reward.segment_id.is_none_or(|s| segments.contains(&s)),
        held: held_count(conn, membership_id, reward.id).await?,
    })
}

/// The segments a membership is in now, when a reward asks.
pub(crate) async fn segments_for(
    conn: &mut AnyConnection,
    reward: &Reward,
    membership_id: MembershipId,
) -> Result<Vec<i64>, AppError> {
    match reward.segment_id {
        Some(_) => crate::server::store::segments::of_membership(conn, membership_id.get()).await,
        None => Ok(Vec::new()),
    }
}

/// The codes of a reward a membership holds or has had, towards its per-member limit:
/// reserved, issued, used, or ran out unused (a released one gave its claim back).
pub(crate) async fn held_count(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
    reward_id: i64,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM issued_rewards WHERE membership_id = $1 AND reward_id = $2 \
         AND status IN ('reserved', 'issued', 'used', 'expired')",
    )
    .bind(membership_id)
    .bind(reward_id)
    .fetch_one(&mut *conn)
    .await?)
}

fn new_code() -> (String, String) {
    // No 0/O/1/I: codes are read aloud and typed from phones.
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let mut part = || -> String {
        (0..4)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect()
    };
    let code = format!("RW-{}-{}", part(), part());
    // Six digits, and wrong guesses lock the code (`check_pin`): found by trying, a PIN
    // would let anyone who saw a code spend or cancel it.
    let pin = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    (code, pin)
}

/// Redeems a reward for a member: spends the points, takes one from stock, issues a code.
/// With `reserve`, the reward is held for a checkout (`RESERVATION_SECS`) until confirmed or
/// released. The same `request_id` redeems once.
pub async fn redeem(
    db: &Db,
    member_id: MemberId,
    reward_id: i64,
    channel: Channel,
    request_id: &str,
    reserve: bool,
    recorded_by: Option<UserId>,
) -> Result<IssuedReward, AppError> {
    redeem_with(
        db,
        member_id,
        reward_id,
        None,
        channel,
        request_id,
        reserve,
        recorded_by,
    )
    .await
}

/// `redeem`, with the number of points for a pay-with-points reward (points to money at a
/// checkout: the issued code is worth points x the program's point value).
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn redeem_with(
    db: &Db,
    member_id: MemberId,
    reward_id: i64,
    points: Option<i64>,
    channel: Channel,
    request_id: &str,
    reserve: bool,
    recorded_by: Option<UserId>,
) -> Result<IssuedReward, AppError> {
    let now = db.now();
    let reward = get(&mut *db.pool.acquire().await?, reward_id).await?;
    let program: Program = programs::active(db, reward.program_id).await?;
    let mut tx = db.begin_write().await?;
    let membership_id = super::members::find_membership(&mut tx, member_id, program.id)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.membership)))?;
    ledger::lock(&mut tx, membership_id).await?;
    if let Some(earlier) = issued_for_request(&mut tx, membership_id, request_id).await? {
        return Ok(earlier);
    }
    // Re-read under the lock: stock and limits are decided on current values.
    let reward = get(&mut tx, reward_id).await?;
    let segments = segments_for(&mut tx, &reward, membership_id).await?;
    let member = eligibility(&mut tx, &reward, membership_id, &segments).await?;
    if let Some(message) = domain_rewards::unavailable(&reward, member, Some(channel), now) {
        return Err(AppError::RewardUnavailable { message });
    }
    let (cost, value) = domain_rewards::price(&reward, &program, points)?;
    if !take_stock(&mut tx, reward.id).await? {
        return Err(AppError::RewardUnavailable {
            message: td_string!(current().locale, errors.rewards.out_of_stock).into(),
        });
    }
    let description = if reward.kind == RewardKind::PointsPayment {
        format!(
            "Paid {} with {} {}",
            crate::domain::currency::format_minor(value, &program.currency_code),
            cost,
            program.currency_name
        )
    } else if cost == 0 {
        format!("Redeemed {} (free)", reward.name)
    } else {
        format!("Redeemed {} ({} {})", reward.name, cost, program.currency_name)
    };
    let meta = Meta {
        reference: Some(&reward.name),
        recorded_by,
        request_id: Some(request_id),
        ..Meta::new(TxKind::Redeem, channel.as_str(), &description)
    };
    // A free reward (a tier's perk) moves no points: its zero-point transaction (as a stamp
    // card's reward has) keeps it in the member's history, and the code points at it.
    let tx_id = if cost == 0 {
        let postings = [
            Posting::new(Account::Wallet, 0),
            Posting::new(Account::Redemption, 0),
        ];
        ledger::book(&mut tx, program.id, Some(membership_id), &meta, &postings, now)
            .await?
            .0
    } else {
        ledger::spend(
            &mut tx,
            &program,
            membership_id,
            cost,
            Account::Redemption,
            &meta,
            now,
        )
        .await?
        .0
    };
    let issued = issue_in(
        &mut tx,
        &reward,
        membership_id,
        tx_id,
        (cost, value),
        reserve,
        Some(request_id),
        now,
    )
    .await?;
    let data = serde_json::json!({
        "member_id": member_id,
        "program_id": program.id,
        "transaction_id": tx_id,
        "points": cost,
        "reward_id": reward.id,
        "reward_name": reward.name,
    });
    crate::server::webhooks::enqueue(&mut tx, "points.redeemed", data, now).await?;
    announce_issued(&mut tx, member_id, program.id, &reward, &issued, now).await?;
    tx.commit().await?;
    tracing::info!(issued_id = issued.id, reward_id = reward.id, "reward redeemed");
    Ok(issued)
}

/// Hands out a reward's code (generated, or the next pool code) inside the caller's
/// transaction, after the stock was taken and any points spent (`tx_id`); the code records
/// the points spent and what it is worth.
#[allow(clippy::too_many_arguments)]
pub async fn issue_in(
    conn: &mut AnyConnection,
    reward: &Reward,
    membership_id: MembershipId,
    tx_id: i64,
    (points, value): (i64, i64),
    reserve: bool,
    request_id: Option<&str>,
    now: Timestamp,
) -> Result<IssuedReward, AppError> {
    let (mut code, pin) = new_code();
    if reward.uses_pool {
        let pooled: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, code FROM reward_pool_codes WHERE reward_id = $1 AND issued_id IS NULL ORDER BY id LIMIT 1",
        )
        .bind(reward.id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((pool_id, pool_code)) = pooled else {
            return Err(AppError::RewardUnavailable {
                message: td_string!(current().locale, errors.rewards.no_codes_left).into(),
            });
        };
        sqlx::query("UPDATE reward_pool_codes SET issued_id = 0 WHERE id = $1")
            .bind(pool_id)
            .execute(&mut *conn)
            .await?;
        code = pool_code;
    }
    let status = if reserve { "reserved" } else { "issued" };
    let expires_at = now.0 + reward.code_valid_days * SECONDS_PER_DAY;
    // A code drawn twice (2^40 of them: likely somewhere past a million issued) is drawn
    // again; `ON CONFLICT` rather than a caught error, which on PostgreSQL would abort the
    // transaction. A pool's code taken by another reward is refused as before.
    let mut id = None;
    for _ in 0..5 {
        id = sqlx::query_scalar(
            "INSERT INTO issued_rewards (reward_id, membership_id, code, pin, status, points, value, transaction_id, \
             reserved_until, expires_at, request_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (code) DO NOTHING RETURNING id",
        )
        .bind(reward.id)
        .bind(membership_id)
        .bind(&code)
        .bind(&pin)
        .bind(status)
        .bind(points)
        .bind(value)
        .bind(tx_id)
        .bind(reserve.then_some(now.0 + RESERVATION_SECS))
        .bind(expires_at)
        .bind(request_id)
        .bind(now.0)
        .fetch_optional(&mut *conn)
        .await?;
        if id.is_some() || reward.uses_pool {
            break;
        }
        code = new_code().0;
    }
    let Some(id) = id else {
        tracing::warn!("reward code collision; the redemption is refused and can be retried");
        return Err(AppError::Internal);
    };
    if reward.uses_pool {
        sqlx::query("UPDATE reward_pool_codes SET issued_id = $1 WHERE reward_id = $2 AND code = $3")
            .bind(id)
            .bind(reward.id)
            .bind(&code)
            .execute(&mut *conn)
            .await?;
    }
    issued_by_id(conn, id).await
}

/// Hands out a reward that costs no points (a full stamp card's, a campaign's) in the
/// caller's transaction, after the stock was taken: a zero-point transaction keeps it in the
/// member's history, and the code points at it.
pub async fn issue_free(
    conn: &mut AnyConnection,
    program_id: ProgramId,
    membership_id: MembershipId,
    reward: &Reward,
    meta: &Meta<'_>,
    now: Timestamp,
) -> Result<IssuedReward, AppError> {
    let postings = [
        Posting::new(Account::Wallet, 0),
        Posting::new(Account::Redemption, 0),
    ];
    let (tx_id, _) = ledger::book(conn, program_id, Some(membership_id), meta, &postings, now).await?;
    issue_in(
        conn,
        reward,
        membership_id,
        tx_id,
        (0, reward.value),
        false,
        None,
        now,
    )
    .await
}

/// Takes one of the reward from stock; false when none is left.
pub async fn take_stock(conn: &mut AnyConnection, reward_id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query(
        "UPDATE rewards SET issued = issued + 1 WHERE id = $1 AND (stock IS NULL OR issued < stock)",
    )
    .bind(reward_id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        > 0)
}

pub(crate) async fn issued_by_id(conn: &mut AnyConnection, id: i64) -> Result<IssuedReward, AppError> {
    sqlx::query_as(&format!(
        "SELECT {ISSUED_COLUMNS} FROM issued_rewards i JOIN rewards r ON r.id = i.reward_id WHERE i.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.reward_code)))
}

async fn issued_for_request(
    conn: &mut AnyConnection,
    membership_id: MembershipId,
    request_id: &str,
) -> Result<Option<IssuedReward>, AppError> {
    let id: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM issued_rewards WHERE request_id = $2 AND membership_id IN ({}) ORDER BY id LIMIT 1",
        ledger::SAME_HISTORY
    ))
    .bind(membership_id)
    .bind(request_id)
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => Ok(Some(issued_by_id(conn, id).await?)),
        None => Ok(None),
    }
}

fn normalize_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// Finds a code and locks its member, so two tills using the same code queue and only the
/// first succeeds.
async fn lock_code(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<(IssuedReward, MembershipId, ProgramId), AppError> {
    let found: Option<(i64, MembershipId, ProgramId)> = sqlx::query_as(
        "SELECT i.id, i.membership_id, m.program_id FROM issued_rewards i JOIN memberships m ON m.id = i.membership_id \
         WHERE i.code = $1",
    )
    .bind(normalize_code(code))
    .fetch_optional(&mut *conn)
    .await?;
    let (id, membership_id, program_id) =
        found.ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.reward_code)))?;
    ledger::lock(conn, membership_id).await?;
    // A merge (or its reversal) may have moved the code between the read and the lock.
    let holder: MembershipId = sqlx::query_scalar("SELECT membership_id FROM issued_rewards WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    if holder != membership_id {
        return Err(AppError::try_again(td_string!(
            current().locale,
            errors.rewards.code_moved
        )));
    }
    Ok((issued_by_id(conn, id).await?, membership_id, program_id))
}

/// Uses an issued (or confirms a reserved) code at a till or checkout. The PIN must match;
/// a code is used once.
#[tracing::instrument(skip(db, pin), err(level = "debug"))]
pub async fn use_code(
    db: &Db,
    code: &str,
    pin: Option<&str>,
    channel: Channel,
) -> Result<IssuedReward, AppError> {
    use_code_once(db, code, pin, channel, None).await
}

/// `use_code` for a request with an id of its own (an API Idempotency-Key): the same request
/// again, once the code is used, gets the code as it stands rather than "already used".
pub async fn use_code_once(
    db: &Db,
    code: &str,
    pin: Option<&str>,
    channel: Channel,
    request_id: Option<&str>,
) -> Result<IssuedReward, AppError> {
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let (issued, _, _) = lock_code(&mut tx, code).await?;
    let mut tx = check_pin(tx, &issued, pin, now).await?;
    if issued.status == RewardStatus::Used && settled_by(&mut tx, issued.id, request_id).await? {
        return Ok(issued);
    }
    match issued.status {
        RewardStatus::Used | RewardStatus::Released => return Err(AppError::RewardUsed),
        RewardStatus::Expired => return Err(AppError::RewardExpired),
        _ if issued.expires_at.0 <= now.0 => return Err(AppError::RewardExpired),
        RewardStatus::Issued | RewardStatus::Reserved => {}
    }
    let reward = get(&mut tx, issued.reward_id).await?;
    if !reward.channels.is_empty() && !reward.channels.split_whitespace().any(|c| c == channel.as_str()) {
        return Err(AppError::RewardUnavailable {
            message: td_string!(
                current().locale,
                errors.rewards.not_used_in_channel,
                channel = crate::domain::rewards::channel_name(channel)
            )
            .to_string(),
        });
    }
    let n = sqlx::query(
        "UPDATE issued_rewards SET status = 'used', used_at = $1, used_channel = $2, reserved_until = NULL, \
         settled_request = $4 WHERE id = $3 AND status IN ('issued', 'reserved')",
    )
    .bind(now.0)
    .bind(channel.as_str())
    .bind(issued.id)
    .bind(request_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::RewardUsed);
    }
    let done = issued_by_id(&mut tx, issued.id).await?;
    announce_settled(&mut tx, "reward.used", &done, channel.as_str(), now).await?;
    tx.commit().await?;
    Ok(done)
}

/// The `reward.used` or `reward.released` webhook, in the transaction that settled the code.
async fn announce_settled(
    conn: &mut AnyConnection,
    event: &str,
    issued: &IssuedReward,
    channel: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    let (membership_id, member_id, program_id): (i64, i64, i64) = sqlx::query_as(
        "SELECT m.id, m.member_id, m.program_id FROM issued_rewards i JOIN memberships m ON m.id = i.membership_id \
         WHERE i.id = $1",
    )
    .bind(issued.id)
    .fetch_one(&mut *conn)
    .await?;
    let data = serde_json::json!({
        "member_id": member_id,
        "membership_id": membership_id,
        "program_id": program_id,
        "reward_id": issued.reward_id,
        "reward_name": issued.reward_name,
        "code": issued.code,
        "status": issued.status,
        "points": issued.points,
        "value": issued.value,
        "channel": channel,
    });
    crate::server::webhooks::enqueue(conn, event, data, now).await
}

/// Releases a reserved (or an unused issued) reward: the points go back to the lots they
/// were spent from (`ledger::give_back`), the stock is returned, and the code can no longer
/// be used.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn release(db: &Db, code: &str, recorded_by: Option<UserId>) -> Result<IssuedReward, AppError> {
    release_checked(db, code, None, None, recorded_by).await
}

/// Checks the PIN given with a code (without one, the caller decided none is needed),
/// under the lock of the code's member (`lock_code`), so parallel guesses are counted one
/// by one: a code locked by wrong guesses is refused, and a wrong PIN is counted and
/// committed (nothing else was written yet) before it is refused.
async fn check_pin(
    mut tx: WriteTx,
    issued: &IssuedReward,
    pin: Option<&str>,
    now: Timestamp,
) -> Result<WriteTx, AppError> {
    let Some(pin) = pin else {
        return Ok(tx);
    };
    let subject = format!("pin:{}", issued.id);
    attempts::check(&mut tx, &subject, now).await?;
    // Typed on an Arabic keyboard, the PIN's digits are read as 0-9.
    let pin = validate::typed_number(pin);
    if !bool::from(pin.trim().as_bytes().ct_eq(issued.pin.as_bytes())) {
        attempts::failed(&mut tx, &subject, now).await?;
        tx.commit().await?;
        return Err(AppError::field(
            "pin",
            td_string!(current().locale, errors.rewards.pin_wrong),
        ));
    }
    attempts::succeeded(&mut tx, &subject).await?;
    Ok(tx)
}

/// Whether the code was used or released by the request `request_id` (None: no request to
/// compare, so no).
async fn settled_by(conn: &mut AnyConnection, id: i64, request_id: Option<&str>) -> Result<bool, AppError> {
    let Some(request_id) = request_id else {
        return Ok(false);
    };
    let settled: Option<String> =
        sqlx::query_scalar("SELECT settled_request FROM issued_rewards WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    Ok(settled.as_deref() == Some(request_id))
}

/// `release`, checking the code's PIN when one is given (a channel where the member is not
/// there to show the code: anyone who saw it could otherwise cancel it); the same request
/// (`request_id`) again gets the released code as it stands.
pub async fn release_checked(
    db: &Db,
    code: &str,
    pin: Option<&str>,
    request_id: Option<&str>,
    recorded_by: Option<UserId>,
) -> Result<IssuedReward, AppError> {
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let (issued, membership_id, program_id) = lock_code(&mut tx, code).await?;
    let mut tx = check_pin(tx, &issued, pin, now).await?;
    if issued.status == RewardStatus::Released && settled_by(&mut tx, issued.id, request_id).await? {
        return Ok(issued);
    }
    release_locked(
        &mut tx,
        &issued,
        membership_id,
        program_id,
        recorded_by,
        request_id,
        now,
    )
    .await?;
    let done = issued_by_id(&mut tx, issued.id).await?;
    let by = if recorded_by.is_some() { "desk" } else { "api" };
    announce_settled(&mut tx, "reward.released", &done, by, now).await?;
    tx.commit().await?;
    Ok(done)
}

/// `request_id`: the request that releases it, kept on the code (`settled_by`).
#[allow(clippy::too_many_arguments)]
async fn release_locked(
    tx: &mut AnyConnection,
    issued: &IssuedReward,
    membership_id: MembershipId,
    program_id: ProgramId,
    recorded_by: Option<UserId>,
    request_id: Option<&str>,
    now: Timestamp,
) -> Result<(), AppError> {
    if issued.status == RewardStatus::Expired {
        return Err(AppError::RewardExpired);
    }
    if !issued.status.is_open() {
        return Err(AppError::RewardUsed);
    }
    // An issued code that ran out unused is spent; a reservation never became a reward, so
    // its points go back even past the code's days (the stale-reservation job must not
    // stop on one that lapsed while the jobs were not running).
    if issued.status == RewardStatus::Issued && issued.expires_at.0 <= now.0 {
        return Err(AppError::RewardExpired);
    }
    let n = sqlx::query(
        "UPDATE issued_rewards SET status = 'released', reserved_until = NULL, settled_request = $2 \
         WHERE id = $1 AND status IN ('reserved', 'issued')",
    )
    .bind(issued.id)
    .bind(request_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::RewardUsed);
    }
    let program = programs::get_in(tx, program_id).await?;
    let description = format!(
        "Released {} ({} {} back)",
        issued.reward_name, issued.points, program.currency_name
    );
    let meta = Meta {
        reference: Some(&issued.code),
        recorded_by,
        ..Meta::new(TxKind::ReleaseReward, "system", &description)
    };
    let postings = [
        Posting::new(Account::Redemption, -issued.points),
        Posting::new(Account::Wallet, issued.points),
    ];
    let (tx_id, standing) = ledger::book(tx, program.id, Some(membership_id), &meta, &postings, now).await?;
    let balance = standing.map(|s| s.balance).unwrap_or(issued.points);
    let spent_tx: i64 = sqlx::query_scalar("SELECT transaction_id FROM issued_rewards WHERE id = $1")
        .bind(issued.id)
        .fetch_one(&mut *tx)
        .await?;
    ledger::give_back(
        tx,
        &program,
        membership_id,
        spent_tx,
        tx_id,
        issued.points,
        balance,
        now,
    )
    .await?;
    sqlx::query("UPDATE rewards SET issued = issued - 1 WHERE id = $1 AND issued > 0")
        .bind(issued.reward_id)
        .execute(&mut *tx)
        .await?;
    // A partner code handed out has been seen: it is not put back in the pool.
    Ok(())
}

/// The `reward.issued` webhook, in the transaction that issued it (a redemption, or a full
/// stamp card).
pub async fn announce_issued(
    conn: &mut AnyConnection,
    member_id: MemberId,
    program_id: ProgramId,
    reward: &Reward,
    issued: &IssuedReward,
    now: Timestamp,
) -> Result<(), AppError> {
    let data = serde_json::json!({
        "member_id": member_id,
        "program_id": program_id,
        "reward_id": reward.id,
        "reward_name": reward.name,
        "code": issued.code,
        "status": issued.status,
        "expires_at": issued.expires_at.to_datetime().to_rfc3339(),
    });
    crate::server::webhooks::enqueue(conn, "reward.issued", data, now).await
}

/// Releases reservations whose checkout never came back. Safe to run twice: each is
/// released under its member's lock with a conditional status change.
pub async fn release_stale_reservations(db: &Db, now: Timestamp) -> Result<u64, AppError> {
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM issued_rewards WHERE status = 'reserved' AND reserved_until <= $1",
    )
    .bind(now.0)
    .fetch_all(&db.pool)
    .await?;
    let mut n = 0;
    for code in stale {
        let mut tx = db.begin_write().await?;
        let (issued, membership_id, program_id) = match lock_code(&mut tx, &code).await {
            Ok(found) => found,
            // A code on a merged member, or moved by a merge just now: the next pass sees it.
            Err(AppError::Conflict { .. } | AppError::TryAgain { .. }) => continue,
            Err(e) => return Err(e),
        };
        if issued.status == RewardStatus::Reserved && issued.reserved_until.is_some_and(|t| t <= now.0) {
            release_locked(&mut tx, &issued, membership_id, program_id, None, None, now).await?;
            let released = issued_by_id(&mut tx, issued.id).await?;
            announce_settled(&mut tx, "reward.released", &released, "system", now).await?;
            n += 1;
        }
        tx.commit().await?;
    }
    Ok(n)
}

/// Codes marked expired in one transaction.
const EXPIRE_BATCH: i64 = 500;

/// Marks issued codes whose days are over as expired (of one program, or all), each with a
/// `reward.expired` webhook, a batch a transaction. Their points stay spent (an unused
/// reward is the member's loss, as the catalogue says); nothing is locked but the row, as
/// the change is one conditional update that a code used or released meanwhile escapes,
/// and using a code past its days is refused whatever its status says. How many.
pub async fn expire_unused(db: &Db, now: Timestamp, program: Option<ProgramId>) -> Result<u64, AppError> {
    let mut total = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT i.id FROM issued_rewards i JOIN memberships m ON m.id = i.membership_id \
             WHERE i.status = 'issued' AND i.expires_at <= $1 AND ($2 IS NULL OR m.program_id = $2) \
             ORDER BY i.expires_at, i.id LIMIT $3",
        )
        .bind(now.0)
        .bind(program.map(|p| p.0))
        .bind(EXPIRE_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        for &id in &due {
            let n = sqlx::query(
                "UPDATE issued_rewards SET status = 'expired' WHERE id = $1 AND status = 'issued' AND expires_at <= $2",
            )
            .bind(id)
            .bind(now.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                let expired = issued_by_id(&mut tx, id).await?;
                announce_settled(&mut tx, "reward.expired", &expired, "system", now).await?;
                total += 1;
            }
        }
        tx.commit().await?;
        if (due.len() as i64) < EXPIRE_BATCH {
            return Ok(total);
        }
    }
}

/// Creates or updates a catalogue item (with its pool codes, one per line).
#[tracing::instrument(skip(db, input), fields(program_id = %input.program_id), err(level = "debug"))]
pub async fn save(db: &Db, input: &RewardInput) -> Result<Reward, AppError> {
    let program = programs::get(db, input.program_id).await?;
    let mut v = Validator::new();
    let name = v.check("name", validate::name(&input.name));
    let description = input.description.trim().to_string();
    if description.chars().count() > 500 {
        let lang = current();
        v.add(
            "description",
            td_string!(
                lang.locale,
                errors.rewards.description_too_long,
                n = count(lang, 500)
            )
            .to_string(),
        );
    }
    let kind = v.check(
        "kind",
        RewardKind::parse(input.kind.trim())
            .ok_or_else(|| td_string!(current().locale, errors.rewards.choose_kind).to_string()),
    );
    let cost = v.check(
        "cost_points",
        validate::integer(&input.cost_points, 0, 100_000_000),
    );
    // A free perk with no limit could be taken again and again (a gift card, a discount).
    let none = |s: &str| matches!(s.trim(), "" | "0");
    if cost == Some(0)
        && !(input.min_tier_id.trim().is_empty() && none(&input.segment_id))
        && input.per_member_limit.trim().is_empty()
        && input.stock.trim().is_empty()
    {
        v.add(
            "per_member_limit",
            td_string!(current().locale, errors.rewards.free_perk_limit),
        );
    }
    if cost == Some(0) && kind == Some(RewardKind::PointsPayment) {
        v.add(
            "cost_points",
            td_string!(
                current().locale,
                errors.rewards.points_payment_minimum,
                one = count(current(), 1)
            )
            .to_string(),
        );
    }
    let value = match kind {
        Some(RewardKind::DiscountFixed | RewardKind::GiftCard) => {
            v.check("value", validate::amount(&input.value, &program.currency_code))
        }
        Some(RewardKind::DiscountPercent) => v.check("value", validate::integer(&input.value, 1, 100)),
        // Pay with points: the most one payment may cover (empty: no limit).
        Some(RewardKind::PointsPayment) if input.value.trim().is_empty() => Some(0),
        Some(RewardKind::PointsPayment) => {
            v.check("value", validate::amount(&input.value, &program.currency_code))
        }
        _ => Some(0),
    };
    if kind == Some(RewardKind::PointsPayment) && program.point_value_minor <= 0 {
        v.add(
            "kind",
            td_string!(current().locale, errors.rewards.point_value_first),
        );
    }
    let sku = input.sku.trim().to_string();
    if kind == Some(RewardKind::FreeProduct) && sku.is_empty() {
        v.add("sku", td_string!(current().locale, errors.rewards.sku));
    }
    let optional = |v: &mut Validator, field: &str, s: &str, min: i64, max: i64| -> Option<i64> {
        if s.trim().is_empty() {
            None
        } else {
            v.check(field, validate::integer(s, min, max))
        }
    };
    let stock = optional(&mut v, "stock", &input.stock, 0, 100_000_000);
    let per_member = optional(&mut v, "per_member_limit", &input.per_member_limit, 1, 10_000);
    let valid_days = optional(&mut v, "code_valid_days", &input.code_valid_days, 1, 3_650).unwrap_or(30);
    let day = |v: &mut Validator, field: &str, s: &str| -> Option<chrono::NaiveDate> {
        let typed = validate::typed_number(s);
        let s = typed.trim();
        if s.is_empty() {
            return None;
        }
        let parsed = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        if parsed.is_none() {
            v.add(field, validate::date_like("2026-12-31"));
        }
        parsed
    };
    // Offered from the start of its first day to the end of its last (UTC).
    let valid_from = day(&mut v, "valid_from", &input.valid_from).map(|d| Timestamp::start_of(d).0);
    let valid_until =
        day(&mut v, "valid_until", &input.valid_until).map(|d| Timestamp::start_of(d).0 + SECONDS_PER_DAY);
    if let (Some(from), Some(until)) = (valid_from, valid_until) {
        if from >= until {
            v.add(
                "valid_until",
                td_string!(current().locale, errors.rewards.last_before_first),
            );
        }
    }
    let min_tier = match input.min_tier_id.trim() {
        "" | "0" => None,
        s => match s.parse::<i64>() {
            Ok(id) if programs::tiers(db, program.id).await?.iter().any(|t| t.id == id) => Some(id),
            _ => {
                v.add(
                    "min_tier_id",
                    td_string!(current().locale, errors.rewards.choose_tier),
                );
                None
            }
        },
    };
    let segment = match input.segment_id.trim() {
        "" | "0" => None,
        s => {
            let ids: Vec<i64> =
                crate::server::store::segments::list(&mut *db.pool.acquire().await?, program.id.0)
                    .await?
                    .iter()
                    .map(|s| s.id)
                    .collect();
            match s.parse::<i64>() {
                Ok(id) if ids.contains(&id) => Some(id),
                _ => {
                    v.add(
                        "segment_id",
                        td_string!(current().locale, errors.rewards.choose_segment),
                    );
                    None
                }
            }
        }
    };
    let mut channels = Vec::new();
    for c in &input.channels {
        match Channel::parse(c) {
            Some(ch) => channels.push(ch.as_str()),
            None => v.add(
                "channels",
                td_string!(current().locale, errors.forms.unknown_channel),
            ),
        }
    }
    let pool: Vec<String> = input
        .pool_codes
        .lines()
        .map(|l| l.trim().to_ascii_uppercase())
        .filter(|l| !l.is_empty())
        .collect();
    if kind == Some(RewardKind::Voucher) && pool.is_empty() && input.id.is_none() {
        v.add(
            "pool_codes",
            td_string!(current().locale, errors.rewards.paste_codes),
        );
    }
    if pool.iter().any(|c| c.len() > 64) {
        let lang = current();
        v.add(
            "pool_codes",
            td_string!(lang.locale, errors.rewards.codes_too_long, n = count(lang, 64)).to_string(),
        );
    }
    v.finish()?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let taken = |e: sqlx::Error| {
        if is_unique_violation(&e, "rewards_program_name", "rewards.program_id, rewards.name") {
            AppError::field("name", td_string!(current().locale, errors.rewards.name_taken))
        } else if e
            .as_database_error()
            .is_some_and(|d| d.message().contains("rewards_stock"))
        {
            AppError::field(
                "stock",
                td_string!(current().locale, errors.rewards.stock_below_issued),
            )
        } else {
            e.into()
        }
    };
    let kind = kind.unwrap_or(RewardKind::Entitlement); // checked above: Some when valid
    let uses_pool = kind == RewardKind::Voucher;
    let id: i64 = match input.id {
        None => sqlx::query_scalar(
            "INSERT INTO rewards (program_id, name, description, kind, cost_points, value, sku, stock, per_member_limit, \
             valid_until, min_tier_id, channels, code_valid_days, uses_pool, active, created_at, updated_at, valid_from, \
             segment_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15, $16, $17) RETURNING id",
        )
        .bind(program.id)
        .bind(name.clone().unwrap_or_default())
        .bind(&description)
        .bind(kind.as_str())
        .bind(cost.unwrap_or(1))
        .bind(value.unwrap_or(0))
        .bind((!sku.is_empty()).then_some(sku.clone()))
        .bind(stock)
        .bind(per_member)
        .bind(valid_until)
        .bind(min_tier)
        .bind(channels.join(" "))
        .bind(valid_days)
        .bind(uses_pool as i64)
        .bind(now.0)
        .bind(valid_from)
        .bind(segment)
        .fetch_one(&mut *tx)
        .await
        .map_err(taken)?,
        Some(id) => sqlx::query_scalar(
            "UPDATE rewards SET name = $1, description = $2, kind = $3, cost_points = $4, value = $5, sku = $6, \
             stock = $7, per_member_limit = $8, valid_until = $9, min_tier_id = $10, channels = $11, \
             code_valid_days = $12, uses_pool = $13, updated_at = $14, valid_from = $17, segment_id = $18 \
             WHERE id = $15 AND program_id = $16 RETURNING id",
        )
        .bind(name.clone().unwrap_or_default())
        .bind(&description)
        .bind(kind.as_str())
        .bind(cost.unwrap_or(1))
        .bind(value.unwrap_or(0))
        .bind((!sku.is_empty()).then_some(sku.clone()))
        .bind(stock)
        .bind(per_member)
        .bind(valid_until)
        .bind(min_tier)
        .bind(channels.join(" "))
        .bind(valid_days)
        .bind(uses_pool as i64)
        .bind(now.0)
        .bind(id)
        .bind(program.id)
        .bind(valid_from)
        .bind(segment)
        .fetch_optional(&mut *tx)
        .await
        .map_err(taken)?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.reward)))?,
    };
    for code in &pool {
        sqlx::query("INSERT INTO reward_pool_codes (reward_id, code) VALUES ($1, $2) ON CONFLICT (reward_id, code) DO NOTHING")
            .bind(id)
            .bind(code)
            .execute(&mut *tx)
            .await?;
    }
    let saved = get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Switches a reward off: it leaves the catalogue; codes already issued stay usable.
pub async fn deactivate(db: &Db, program_id: ProgramId, reward_id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let n = sqlx::query("UPDATE rewards SET active = 0 WHERE id = $1 AND program_id = $2")
        .bind(reward_id)
        .bind(program_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::not_found(td_string!(
            current().locale,
            errors.what.reward
        )));
    }
    tx.commit().await?;
    Ok(())
}
