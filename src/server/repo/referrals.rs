//! Two-sided referrals. A friend who signed up with a member's code triggers, with their
//! first purchase in a program, a `referral` event for the referrer and a `referred` event
//! for the friend; the program's rules decide the points. Each is booked once: the event ids
//! name the friend, `referred` is once per member, and nobody can refer themselves (the code
//! belongs to an existing member, the friend is a new one).

use crate::error::AppError;
use crate::model::order::ActionInput;
use crate::model::rules::Channel;
use crate::server::db::Db;

use super::{members, orders};

/// Books both sides of a referral if `friend_id` was referred (by `referred_by`, as the
/// booking read it) and has not been rewarded in this program yet. Safe to call after every
/// order: once booked, it does nothing.
pub async fn settle(
    db: &Db,
    program_id: i64,
    friend_id: i64,
    referred_by: Option<i64>,
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
    orders::record_action(db, program_id, referrer_id, &action("referral"), None).await?;
    match orders::record_action(db, program_id, friend_id, &action("referred"), None).await {
        Ok(_) => Ok(true),
        Err(AppError::Conflict { .. }) => Ok(false), // booked concurrently by another order
        Err(e) => Err(e),
    }
}
