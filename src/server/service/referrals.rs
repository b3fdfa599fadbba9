//! Two-sided referrals taken back. A friend who signed up with a member's code triggers,
//! with their first purchase in a program, a `referral` event for the referrer and a
//! `referred` event for the friend (booked by the booking pipeline,
//! `orders::settle_referral`); when that purchase is returned in full, both are taken back
//! here.

use crate::model::ids::{MemberId, MembershipId};
use sqlx::AnyConnection;

use crate::error::AppError;
use crate::model::ledger::TxKind;
use crate::model::program::Program;
use crate::model::time::Timestamp;

use super::ledger::{self, Account, Meta, Posting};

/// When `order` (a row of `orders`) is fully returned and it was its member's first paid
/// order in the program (the one that qualified a referral): takes back both sides of the
/// referral, inside the return's transaction (the friend's membership is locked by it;
/// the referrer's is locked after it, so on PostgreSQL a booking locking both the other way
/// round may make one of them `try_again`), once. Each side loses what its event gave, as
/// far as its wallet holds it (or all of it where the program lets balances go negative).
/// The referral stays settled: a later order does not pay it again.
pub async fn take_back(
    conn: &mut AnyConnection,
    program: &Program,
    order: i64,
    now: Timestamp,
) -> Result<i64, AppError> {
    // Who bought: the member of the membership the order was booked on (a merge since moves
    // the order, never its ledger transaction), and who referred them.
    let (booked_on, friend, referrer): (MembershipId, MemberId, Option<MemberId>) = sqlx::query_as(
        "SELECT t.membership_id, mb.id, mb.referred_by FROM orders o \
         JOIN ledger_transactions t ON t.id = o.transaction_id \
         JOIN memberships m ON m.id = t.membership_id JOIN members mb ON mb.id = m.member_id WHERE o.id = $1",
    )
    .bind(order)
    .fetch_one(&mut *conn)
    .await?;
    let Some(referrer) = referrer else {
        return Ok(0);
    };
    let first: Option<i64> = sqlx::query_scalar(
        // From the membership's transactions to their orders (CROSS JOIN fixes SQLite's order:
        // from orders by program it read every order of the program, 0.2 s at 100k members).
        // The unary plus keeps SQLite off `orders_program_time` for each transaction, which
        // it chose over `orders_transaction` (1-4 s a return at 100k members).
        "SELECT MIN(o.id) FROM ledger_transactions t CROSS JOIN orders o \
         WHERE o.transaction_id = t.id AND t.membership_id = $1 AND +o.program_id = $2 AND o.amount_minor > 0",
    )
    .bind(booked_on)
    .bind(program.id)
    .fetch_one(&mut *conn)
    .await?;
    if first != Some(order) {
        return Ok(0);
    }
    let mut taken = 0;
    for (member_id, event) in [(friend, "referred"), (referrer, "referral")] {
        let request_id = format!("event:omniloyal:{event}:referral-{friend}");
        taken += take_event_back(conn, program, member_id, &request_id, now).await?;
    }
    Ok(taken)
}

/// Takes back what the event `request_id` gave `member_id` in `program`.
async fn take_event_back(
    conn: &mut AnyConnection,
    program: &Program,
    member_id: MemberId,
    request_id: &str,
    now: Timestamp,
) -> Result<i64, AppError> {
    // The membership as it was (the event's) and as it is now (merged into another since?).
    let Some((original, current)): Option<(MembershipId, MembershipId)> = sqlx::query_as(
        "SELECT id, COALESCE(merged_into, id) FROM memberships WHERE member_id = $1 AND program_id = $2",
    )
    .bind(member_id)
    .bind(program.id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(0);
    };
    let given: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(p.points), 0) AS BIGINT) FROM ledger_transactions t \
         JOIN ledger_postings p ON p.transaction_id = t.id AND p.account = 'wallet' \
         WHERE t.request_id = $1 AND t.membership_id IN ($2, $3)",
    )
    .bind(request_id)
    .bind(original)
    .bind(current)
    .fetch_one(&mut *conn)
    .await?;
    if given <= 0 {
        return Ok(0);
    }
    let taken_back = format!("taken-back:{request_id}");
    if ledger::replay(conn, current, &taken_back).await?.is_some() {
        return Ok(0); // taken back before
    }
    let standing = ledger::lock(conn, current).await?;
    let take = if program.allow_negative {
        given
    } else {
        given.min(standing.balance.max(0))
    };
    if take <= 0 {
        return Ok(0);
    }
    ledger::consume_lots(conn, current, take).await?;
    let description = format!(
        "Referral points taken back: its qualifying order was returned ({take} {})",
        program.currency_name
    );
    let meta = Meta {
        reference: Some(request_id),
        request_id: Some(&taken_back),
        ..Meta::new(TxKind::ReferralReturn, "system", &description)
    };
    let postings = [
        Posting::new(Account::Wallet, -take),
        Posting::new(Account::Issuance, take),
    ];
    ledger::book(conn, program.id, Some(current), &meta, &postings, now).await?;
    Ok(take)
}
