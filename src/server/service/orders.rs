//! Orders, returns and action events from every channel: evaluated against the program's
//! rules and booked in one transaction with the ledger entries, lots, rule usage and budgets.
//! Orders are deduplicated by the channel's order id, events by their event id, returns by
//! their return id, so a till that retries books once.

use crate::domain::lang::{current, Lang};
use crate::i18n::td_string;
use crate::model::ids::{MemberId, MembershipId, ProgramId, UserId};
use sqlx::AnyConnection;

use crate::domain::forms::order::{channel_id, occurred, validate_order};
use crate::domain::{currency, earning, postings, returns, rules as engine};
use crate::error::AppError;
use crate::model::ledger::TxKind;
use crate::model::order::{once_key, ActionInput, EarnReceipt, OrderInput, ReturnInput, BUILT_IN_EVENTS};
use crate::model::rules::{Award, Channel, EarnEvent, EarningRule};
use crate::model::time::Timestamp;
use crate::server::db::Db;

use super::ledger::{self, Meta};
use super::setup::{Epoch, Setup};
use super::{awards, booking, members, rules};
use crate::server::db::Step;
use crate::server::store::idempotency::{Keyed, Slot};
use crate::server::store::{programs, stores, surveys};

/// Records a purchase and awards its points by the program's rules. The same
/// (program, channel, order id) books once: a repeat answers with the first receipt, and the
/// same order id for another member is refused.
#[tracing::instrument(skip(db, input), fields(channel_order_id = %input.channel_order_id), err(level = "debug"))]
pub async fn record_order(
    db: &Db,
    program_id: ProgramId,
    member_id: MemberId,
    input: &OrderInput,
    recorded_by: Option<UserId>,
) -> Result<EarnReceipt, AppError> {
    match record_order_keyed(db, program_id, member_id, input, recorded_by, None, None).await? {
        Keyed::Done(r) => Ok(r),
        Keyed::Taken => Err(AppError::Internal), // no key, so none can be taken
    }
}

/// `record_order` with a channel's Idempotency-Key claimed, and the answer stored, in the
/// booking's transaction (one commit per order, or per group of orders), and with the setup
/// epoch the request read with its API key (`seen`), if it did.
pub async fn record_order_keyed(
    db: &Db,
    program_id: ProgramId,
    member_id: MemberId,
    input: &OrderInput,
    recorded_by: Option<UserId>,
    slot: Option<&Slot>,
    seen: Option<Epoch>,
) -> Result<Keyed<EarnReceipt>, AppError> {
    let now = db.now();
    let (order_id, at) = validate_order(input, now)?;
    let setup = super::setup::active(db, program_id, seen).await?;
    let mut input = input.clone();
    let store_id = match &input.store {
        Some(code) => {
            let mut conn = db.pool.acquire().await?;
            match stores::resolve(&mut conn, "store", code).await {
                Ok((id, code)) => {
                    input.store = Some(code);
                    Some(id)
                }
                // A retry of an order booked before its store was set up (or before stores
                // were a table) is still answered with its first receipt.
                Err(e) => {
                    let channel = input.channel.as_str();
                    if booking::find_order(&mut conn, program_id, channel, &order_id)
                        .await?
                        .is_none()
                    {
                        return Err(e);
                    }
                    None
                }
            }
        }
        None => None,
    };
    let booking = booking::OrderBooking {
        setup,
        member_id,
        input: input.clone(),
        order_id,
        store_id,
        at,
        now,
        recorded_by,
        slot: slot.cloned(),
        lang: current(),
    };
    let booking = std::sync::Arc::new(booking);
    let alone = booking.clone();
    let booked =
        crate::server::db::write_together(db, booking, booking::book_together, move |conn, careful| {
            let booking = alone.clone();
            Box::pin(async move { booking::book_alone(conn, &booking, careful).await })
        })
        .await?;
    if let Some(referred_by) = booked.settle {
        // A referred friend's first purchase rewards both sides (each booked once, in its
        // own transaction; a failure here is logged and retried by the friend's next order).
        if let Err(e) = settle_referral(db, program_id, member_id, referred_by, input.channel).await {
            tracing::warn!(error = %e, %member_id, "referral not settled");
        }
    }
    Ok(booked.answer)
}

/// Books both sides of a referral if `friend_id` was referred (by `referred_by`, as the
/// booking read it) and has not been rewarded in this program yet. Safe to call after every
/// order: once booked, it does nothing. The friend's first paid order in the program is
/// the referral's qualifying order: its full return takes both sides back
/// (`referrals::take_back`).
async fn settle_referral(
    db: &Db,
    program_id: ProgramId,
    friend_id: MemberId,
    referred_by: Option<MemberId>,
    channel: Channel,
) -> Result<bool, AppError> {
    let Some(referrer_id) = referred_by else {
        return Ok(false);
    };
    if referrer_id == friend_id {
        return Ok(false);
    }
    let membership_id = members::membership_id(db, friend_id, program_id).await?;
    let done: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM ledger_transactions WHERE membership_id = $1 AND kind = 'event' AND reference = 'referred'",
    )
    .bind(membership_id)
    .fetch_optional(&db.pool)
    .await?;
    if done.is_some() {
        return Ok(false);
    }
    let event_id = format!("referral-{friend_id}");
    let action = |event_type: &str| ActionInput {
        event_type: event_type.into(),
        channel,
        event_id: event_id.clone(),
        store: None,
        occurred_at: None,
    };
    // The referrer first: if the friend's side were booked first and the referrer's failed,
    // the check above would never let the referrer's side run again.
    record_action(db, program_id, referrer_id, &action("referral"), None).await?;
    match record_action(db, program_id, friend_id, &action("referred"), None).await {
        Ok(_) => Ok(true),
        Err(AppError::Conflict { .. }) => Ok(false), // booked concurrently by another order
        Err(e) => Err(e),
    }
}

/// A return: takes back points in proportion to the refunded amount (cumulatively, so a
/// full return in parts takes back exactly what the order earned), from the order's pending
/// hold first and then from the wallet.
#[tracing::instrument(skip(db, input), fields(channel_order_id = %input.channel_order_id), err(level = "debug"))]
pub async fn record_return(
    db: &Db,
    program_id: ProgramId,
    input: &ReturnInput,
    recorded_by: Option<UserId>,
) -> Result<crate::model::order::ReturnReceipt, AppError> {
    use crate::model::order::ReturnReceipt;
    let order_id = channel_id("channel_order_id", &input.channel_order_id)?;
    let return_id = channel_id("return_id", &input.return_id)?;
    if input.amount_minor <= 0 || input.amount_minor > earning::MAX_PURCHASE_MINOR {
        return Err(AppError::field(
            "amount_minor",
            td_string!(current().locale, errors.orders.refund_positive),
        ));
    }
    let program = programs::get(db, program_id).await?;
    let channel = input.channel.as_str();
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let order = booking::find_order(&mut tx, program.id, channel, &order_id)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.order)))?;
    let member_id = ledger::member_of(&mut tx, order.membership_id).await?;
    ledger::lock(&mut tx, order.membership_id).await?;
    // Read again under the member's lock: a concurrent return of the same order may have
    // committed while we waited, and its figures decide what is left to take back.
    let locked = order.membership_id;
    let order = booking::find_order(&mut tx, program.id, channel, &order_id)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.order)))?;
    if order.membership_id != locked {
        return Err(AppError::try_again(td_string!(
            current().locale,
            errors.orders.moved_during_return
        )));
    }
    // Return ids are the returning channel's own: a store's R1 and the web shop's R1 of one
    // web order are two returns. (A return in the order's own channel keeps the id form it
    // always had, so retries across an upgrade still match.)
    let here = input.returned_in.unwrap_or(input.channel);
    let request_id = if here == input.channel {
        format!("return:{channel}:{order_id}:{return_id}")
    } else {
        format!("return:{channel}:{order_id}:{}:{return_id}", here.as_str())
    };
    if let Some((tx_id, standing)) = ledger::replay(&mut tx, order.membership_id, &request_id).await? {
        let (taken, amount): (i64, Option<i64>) = sqlx::query_as(
            "SELECT CAST(COALESCE(-SUM(p.points), 0) AS BIGINT), MAX(t.amount_minor) FROM ledger_postings p \
             JOIN ledger_transactions t ON t.id = p.transaction_id \
             WHERE p.transaction_id = $1 AND p.account IN ('wallet', 'pending')",
        )
        .bind(tx_id)
        .fetch_one(&mut *tx)
        .await?;
        return Ok(ReturnReceipt {
            member_id,
            program_id: program.id,
            returned_minor: amount.unwrap_or(input.amount_minor),
            points_clawed_back: taken,
            shortfall: 0,
            balance: standing.balance,
            pending_balance: standing.pending,
            replayed: true,
        });
    }
    let returnable = returns::Returnable {
        amount_minor: order.amount_minor,
        returned_minor: order.returned_minor,
        points: order.points,
        clawed_back: order.clawed_back,
    };
    let returns::Clawback {
        returned_minor: new_returned,
        points: due,
    } = returns::clawback(returnable, input.amount_minor).map_err(|m| AppError::field("amount_minor", m))?;
    let description = format!(
        "Return of {} on order {order_id}",
        currency::format_minor(input.amount_minor, &program.currency_code)
    );
    let meta = Meta {
        amount_minor: Some(input.amount_minor),
        reference: Some(&order_id),
        recorded_by,
        request_id: Some(&request_id),
        order_id: Some(order.id),
        ..Meta::new(TxKind::Return, here.as_str(), &description)
    };
    // Pending first: points still held for this order are simply not released.
    let held: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, remaining FROM pending_points WHERE order_id = $1 AND released_at IS NULL AND remaining > 0",
    )
    .bind(order.id)
    .fetch_optional(&mut *tx)
    .await?;
    let held_for_order = held.map(|(_, r)| r).unwrap_or(0);
    // The wallet is locked (and read) only when the pending points do not cover the return.
    let balance = if due > held_for_order {
        ledger::lock(&mut tx, order.membership_id).await?.balance
    } else {
        0
    };
    let (from_pending, from_wallet) =
        postings::return_sources(due, held_for_order, balance, program.allow_negative);
    if from_wallet > 0 {
        ledger::consume_lots(&mut tx, order.membership_id, from_wallet).await?;
    }
    let taken = from_pending + from_wallet;
    let legs = postings::return_postings(from_pending, from_wallet);
    let (_, standing) =
        ledger::book(&mut tx, program.id, Some(order.membership_id), &meta, &legs, now).await?;
    if let Some((hold_id, _)) = held.filter(|_| from_pending > 0) {
        sqlx::query("UPDATE pending_points SET remaining = remaining - $1 WHERE id = $2")
            .bind(from_pending)
            .bind(hold_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE orders SET returned_minor = $1, clawed_back = clawed_back + $2 WHERE id = $3")
        .bind(new_returned)
        .bind(taken)
        .bind(order.id)
        .execute(&mut *tx)
        .await?;
    let share = (new_returned, order.amount_minor);
    // The stamps' return key names the returning channel as the request id does: a store's
    // R1 and the web shop's R1 of one order are two returns of its stamps too.
    let stamp_return = if here == input.channel {
        return_id.clone()
    } else {
        format!("{}:{return_id}", here.as_str())
    };
    super::stamps::for_return(&mut tx, order.membership_id, order.id, share, &stamp_return, now).await?;
    if new_returned == order.amount_minor && order.amount_minor > 0 {
        // Fully returned: a referral this order settled was never earned.
        super::referrals::take_back(&mut tx, &program, order.id, now).await?;
    }
    let standing = match standing {
        Some(s) => s,
        None => ledger::lock(&mut tx, order.membership_id).await?,
    };
    tx.commit().await?;
    Ok(ReturnReceipt {
        member_id,
        program_id: program.id,
        returned_minor: input.amount_minor,
        points_clawed_back: taken,
        shortfall: due - taken,
        balance: standing.balance,
        pending_balance: standing.pending,
        replayed: false,
    })
}

/// Event types a program accepts: the built-in ones and any custom type a rule names.
pub async fn known_event_types(db: &Db, program_id: ProgramId) -> Result<Vec<String>, AppError> {
    let mut types: Vec<String> = BUILT_IN_EVENTS.iter().map(|(k, _)| k.to_string()).collect();
    for rule in rules::list(db, program_id).await? {
        for t in rule.conditions.event_types {
            if !types.contains(&t) {
                types.push(t);
            }
        }
    }
    Ok(types)
}

fn validate_event_type(input: &str) -> Result<String, AppError> {
    let t = input.trim();
    if t.is_empty()
        || t.len() > 40
        || !t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(AppError::field(
            "event_type",
            td_string!(current().locale, errors.orders.event_types),
        ));
    }
    if t == "purchase" {
        return Err(AppError::field(
            "event_type",
            td_string!(current().locale, errors.orders.purchases_are_orders),
        ));
    }
    Ok(t.to_string())
}

/// Records a non-purchase action (review, survey, check-in, custom...) and awards what the
/// rules give for it. Sign-up and profile completion earn once per member, birthdays once a
/// year; any action books once per event id.
#[tracing::instrument(skip(db, input), fields(event_type = %input.event_type), err(level = "debug"))]
pub async fn record_action(
    db: &Db,
    program_id: ProgramId,
    member_id: MemberId,
    input: &ActionInput,
    recorded_by: Option<UserId>,
) -> Result<EarnReceipt, AppError> {
    record(db, program_id, member_id, input, recorded_by, None).await
}

/// A member's answer to a survey, booked with its `survey` event: kept in the same
/// transaction as the event's points, once per member per survey per period.
#[derive(Debug, Clone)]
pub struct SurveyAnswer {
    /// The survey the member was shown (the portal's form), when the answer must be to that
    /// one; None: the program's open survey (a channel's answer).
    pub only: Option<i64>,
    /// 0-10, checked.
    pub score: i64,
    pub comment: Option<String>,
}

/// Records a survey event (`input.event_type` is "survey") with its answer: the points the
/// survey rules give and the answer commit together; an answer in a period that already
/// has one is refused (a retry of the same event id replays instead).
pub async fn record_survey_answer(
    db: &Db,
    program_id: ProgramId,
    member_id: MemberId,
    input: &ActionInput,
    answer: SurveyAnswer,
) -> Result<EarnReceipt, AppError> {
    record(db, program_id, member_id, input, None, Some(answer)).await
}

async fn record(
    db: &Db,
    program_id: ProgramId,
    member_id: MemberId,
    input: &ActionInput,
    recorded_by: Option<UserId>,
    answer: Option<SurveyAnswer>,
) -> Result<EarnReceipt, AppError> {
    let now = db.now();
    let event_type = validate_event_type(&input.event_type)?;
    let event_id = channel_id("event_id", &input.event_id)?;
    let at = occurred(input.occurred_at, now)?;
    let setup = super::setup::active(db, program_id, None).await?;
    let (store_id, store) = match &input.store {
        Some(code) => {
            let (id, code) = stores::resolve(&mut *db.pool.acquire().await?, "store", code).await?;
            (Some(id), Some(code))
        }
        None => (None, None),
    };
    if !known_event_types(db, program_id).await?.contains(&event_type) {
        return Err(AppError::field(
            "event_type",
            td_string!(current().locale, errors.orders.no_such_event),
        ));
    }
    // Ids are the channel's own, often one sequence per kind of event: a web shop's review
    // 1001 and an app's check-in 1001 are two events. Referrals and birthdays are
    // Omniloyal's own events, whichever channel's order settled them: one id space, so a
    // referral retried from an order in another channel replays instead of paying twice.
    let scope = match event_type.as_str() {
        "referral" | "referred" | "birthday" => "omniloyal",
        _ => input.channel.as_str(),
    };
    let request_id = format!("event:{scope}:{event_type}:{event_id}");
    let before_scopes = format!("event:{event_id}");
    let booking = std::sync::Arc::new(ActionBooking {
        setup,
        member_id,
        event: EarnEvent {
            event_type,
            channel: input.channel,
            store,
            amount_minor: 0,
            lines: Vec::new(),
            occurred_at: at,
            utc_offset_secs: 0,
        },
        request_id,
        before_scopes,
        now,
        recorded_by,
        lang: current(),
        answer,
        store_id,
    });
    // A second run locks the budgets first.
    crate::server::db::write(db, move |conn, exact| {
        let booking = booking.clone();
        Box::pin(async move { book_action(conn, &booking, exact).await })
    })
    .await
}

/// Sign-up points for a member who has just joined a program on the portal: what the
/// program's "signup" rules give, once per member (a sign-up already rewarded, through any
/// channel, gives nothing more). None when no rule rewards sign-ups.
pub async fn welcome(
    db: &Db,
    program_id: ProgramId,
    member_id: MemberId,
) -> Result<Option<EarnReceipt>, AppError> {
    // Only when a rule gives something for a sign-up on the web now: a booking of nothing
    // would use up the member's one sign-up (an app-only rule, say, would then never pay).
    let event = EarnEvent {
        event_type: "signup".into(),
        channel: Channel::Web,
        store: None,
        amount_minor: 0,
        lines: Vec::new(),
        occurred_at: db.now(),
        utc_offset_secs: 0,
    };
    if dry_run(db, program_id, Some(member_id), &event).await?.total <= 0 {
        return Ok(None);
    }
    let input = ActionInput {
        event_type: "signup".into(),
        channel: Channel::Web,
        event_id: "portal-join".into(),
        store: None,
        occurred_at: None,
    };
    match record_action(db, program_id, member_id, &input, None).await {
        Ok(receipt) => Ok((!receipt.replayed).then_some(receipt)),
        Err(AppError::Conflict { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// An action checked and ready to book.
struct ActionBooking {
    setup: std::sync::Arc<Setup>,
    member_id: MemberId,
    event: EarnEvent,
    /// The channel, event type and the channel's event id: the same event books once.
    request_id: String,
    /// The id the event had before ids were scoped by channel and type (`event:{id}`): an
    /// event booked before the upgrade and retried after it replays instead of booking.
    before_scopes: String,
    now: Timestamp,
    recorded_by: Option<UserId>,
    /// The language the receipt is told in (the ledger's record stays in English).
    lang: Lang,
    /// A survey answer to keep with the event.
    answer: Option<SurveyAnswer>,
    store_id: Option<i64>,
}

/// Books an action inside the caller's transaction; `Step::Again` when a budget moved
/// under the optimistic charge (the caller undoes and books once more, `exact`).
async fn book_action(
    tx: &mut AnyConnection,
    b: &ActionBooking,
    exact: bool,
) -> Result<Step<EarnReceipt>, AppError> {
    let (setup, member_id, event, now) = (&b.setup, b.member_id, &b.event, b.now);
    let (program, program_tiers) = (&setup.program, &setup.tiers[..]);
    let entry = members::enter(&mut *tx, member_id, program.id, now).await?;
    let membership_id = entry.membership_id;
    let mut earlier = ledger::replay(&mut *tx, membership_id, &b.request_id).await?;
    if earlier.is_none() {
        earlier = ledger::replay(&mut *tx, membership_id, &b.before_scopes).await?;
    }
    if let Some((tx_id, _)) = earlier {
        return awards::earlier_receipt(&mut *tx, program, member_id, membership_id, tx_id)
            .await
            .map(Step::Done);
    }
    // The survey an answer is for, read in the booking's transaction (after the replay
    // check, so a retry replays even once the survey has closed).
    let answering = match event.event_type.as_str() {
        "survey" => {
            survey_period(
                &mut *tx,
                program.id,
                membership_id,
                b.answer.as_ref(),
                event.occurred_at,
            )
            .await?
        }
        _ => None,
    };
    let once = once_key(&event.event_type, event.occurred_at);
    if let Some(key) = &once {
        let done: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM ledger_transactions WHERE kind = 'event' AND reference = $2 \
             AND membership_id IN ({}) LIMIT 1",
            ledger::SAME_HISTORY
        ))
        .bind(membership_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        if done.is_some() {
            return Err(AppError::conflict(td_string!(
                current().locale,
                errors.orders.already_rewarded
            )));
        }
    }
    let segments = if super::booking::rules_use_segments(&setup.rules) {
        crate::server::store::segments::of_membership(&mut *tx, membership_id.get()).await?
    } else {
        Vec::new()
    };
    let ctx = engine::member_context(program_tiers, entry.tier_id, segments, membership_id.get());
    let eval = awards::evaluate_locked(&mut *tx, setup, &ctx, membership_id, event, exact, b.lang).await?;
    let reference = once.unwrap_or_else(|| event.event_type.clone());
    let told = awards::Told::of(&eval.award);
    let meta = Meta {
        reference: Some(&reference),
        explanation: Some(&told.explanation),
        recorded_by: b.recorded_by,
        request_id: Some(&b.request_id),
        endpoints: Some(&setup.endpoints),
        ..Meta::new(TxKind::Event, event.channel.as_str(), &told.description)
    };
    let (tx_id, standing) =
        awards::book_award(&mut *tx, program, membership_id, &eval, None, &meta, now).await?;
    if let (Some(a), Some((survey_id, period))) = (&b.answer, &answering) {
        let answer = surveys::NewAnswer {
            survey_id: *survey_id,
            program_id: program.id,
            membership_id: membership_id.get(),
            period,
            score: a.score,
            comment: a.comment.as_deref(),
            channel: event.channel.as_str(),
            store_id: b.store_id,
            tier_id: entry.tier_id,
            transaction_id: tx_id,
            answered_at: event.occurred_at,
        };
        surveys::insert_answer(&mut *tx, &answer).await?;
    }
    awards::announce_earned(
        &mut *tx,
        setup,
        member_id,
        tx_id,
        &eval.award,
        false,
        &standing,
        now,
    )
    .await?;
    let known = (entry.tier_id, standing.lifetime_points);
    super::tiers::reevaluate_known(&mut *tx, program, program_tiers, membership_id, known, now).await?;
    if !awards::charge_budgets(&mut *tx, &eval, membership_id, exact).await? {
        return Ok(Step::Again);
    }
    Ok(Step::Done(awards::receipt(
        program,
        member_id,
        tx_id,
        eval.shown().clone(),
        false,
        standing,
    )))
}

/// The open survey a `survey` event answers and the answer's period, checked: an answer
/// needs an open survey (the one the member was shown, if named), dated no earlier than the
/// survey opened, and the first of the member's (merged memberships included) in its period.
/// While a survey is open, a `survey` event must carry its answer: points for a survey are
/// paid once a period.
async fn survey_period(
    tx: &mut AnyConnection,
    program_id: ProgramId,
    membership_id: MembershipId,
    answer: Option<&SurveyAnswer>,
    at: Timestamp,
) -> Result<Option<(i64, String)>, AppError> {
    let l = current().locale;
    let open = surveys::open_in(&mut *tx, program_id).await?;
    let (answer, (survey_id, frequency, opened)) = match (answer, open) {
        (None, None) => return Ok(None),
        (None, Some(_)) => {
            return Err(AppError::field(
                "score",
                td_string!(l, errors.surveys.score_required),
            ))
        }
        (Some(a), None) => {
            let message = if a.only.is_some() {
                td_string!(l, errors.surveys.unknown_survey)
            } else {
                td_string!(l, errors.surveys.no_open_survey)
            };
            return Err(AppError::field("score", message));
        }
        (Some(a), Some(open)) => (a, open),
    };
    if answer.only.is_some_and(|only| only != survey_id) {
        return Err(AppError::field(
            "score",
            td_string!(l, errors.surveys.unknown_survey),
        ));
    }
    if at < opened {
        return Err(AppError::field(
            "occurred_at",
            td_string!(l, errors.surveys.before_survey),
        ));
    }
    let period = crate::domain::surveys::period_of(frequency, at.date());
    if surveys::answered(&mut *tx, survey_id, membership_id.get(), &period).await? {
        return Err(AppError::conflict(td_string!(l, errors.surveys.already_answered)));
    }
    Ok(Some((survey_id, period)))
}

/// Evaluates an order or action without writing anything: what would it earn, and why.
pub async fn dry_run(
    db: &Db,
    program_id: ProgramId,
    member_id: Option<MemberId>,
    event: &EarnEvent,
) -> Result<Award, AppError> {
    let program = programs::get(db, program_id).await?;
    let program_tiers = programs::tiers(db, program.id).await?;
    // In the event's local time, as the booking would read it (before taking a connection:
    // loading a setup takes its own).
    let mut event = event.clone();
    super::setup::current(db, program.id, None)
        .await?
        .zones
        .localise(&mut event);
    let event = &event;
    let mut conn = db.pool.acquire().await?;
    // Every active rule, campaigns' too: a dry run says what the booking would give.
    let active: Vec<EarningRule> = rules::for_booking(&mut conn, program.id).await?;
    let membership: Option<(MembershipId, Option<i64>)> = match member_id {
        Some(m) => {
            sqlx::query_as("SELECT id, tier_id FROM memberships WHERE member_id = $1 AND program_id = $2")
                .bind(m)
                .bind(program.id)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    let (usage, tier_id, segments) = match membership {
        Some((id, tier_id)) => (
            rules::usage(&mut conn, id, rules::CapPeriod::of(event), &active).await?,
            tier_id,
            crate::server::store::segments::of_membership(&mut conn, id.get()).await?,
        ),
        None => (Vec::new(), None, Vec::new()),
    };
    let membership_id = membership.map(|(id, _)| id.get()).unwrap_or(0);
    let ctx = engine::member_context(&program_tiers, tier_id, segments, membership_id);
    Ok(engine::evaluate_in(
        crate::domain::lang::current(),
        &engine::base_rate(&program),
        &active,
        event,
        &ctx,
        &usage,
    ))
}

/// A purchase typed at the staff desk: a store-channel order whose id is its receipt
/// number (as `channel_order_id` is a channel's: the same receipt books once, and a receipt
/// a till already sent over the API is the same purchase), or, without one, the form's
/// request id (a double submit or a retry books once). The program booked in becomes the
/// one the desk offers this user first.
#[tracing::instrument(skip(db, input), fields(member_id = %input.member_id, program_id = %input.program_id), err(level = "debug"))]
pub async fn record_purchase(
    db: &Db,
    recorded_by: UserId,
    input: &crate::model::member::PurchaseInput,
) -> Result<crate::model::member::PurchaseReceipt, AppError> {
    use crate::domain::forms;
    let request_id = forms::request_id(&input.request_id)?;
    let program = programs::get(db, input.program_id).await.map_err(|_| {
        AppError::field(
            "program_id",
            td_string!(current().locale, errors.api_keys.choose_program),
        )
    })?;
    let form = forms::purchase::purchase(input, &program.currency_code)?;
    let member = members::get(db, input.member_id).await?;
    let store_id = match &form.store {
        Some(code) => Some(
            stores::resolve(&mut *db.pool.acquire().await?, "store", code)
                .await?
                .0,
        ),
        None => None,
    };
    let reference = form.reference;
    let order = OrderInput {
        channel: crate::model::rules::Channel::Store,
        channel_order_id: reference.clone().unwrap_or_else(|| format!("desk-{request_id}")),
        amount_minor: form.amount_minor,
        lines: form.lines,
        store: form.store,
        receipt: reference.clone(),
        occurred_at: None,
    };
    let r = record_order(db, program.id, member.id, &order, Some(recorded_by)).await?;
    crate::server::store::users::remember_desk_choice(db, recorded_by, program.id, store_id).await?;
    Ok(crate::model::member::PurchaseReceipt {
        transaction_id: r.transaction_id,
        member_name: member.name,
        program_name: program.name,
        reference,
        points: r.points,
        pending: r.pending,
        balance: r.balance,
        currency_name: r.currency_name,
        explanation: r.explanation,
        replayed: r.replayed,
        earns_points: program.points_per_unit > 0,
        stamps: r.stamps,
    })
}
