//! Rewards as one member sees them: the catalogue with what they can redeem where, and the
//! rewards they hold.

use crate::domain::rewards as domain_rewards;
use crate::error::AppError;
use crate::model::ids::{MemberId, MembershipId, ProgramId};
use crate::model::reward::{IssuedReward, Offer};
use crate::model::rules::Channel;
use crate::server::db::Db;
use crate::server::service::rewards::{eligibility, list, ISSUED_COLUMNS};

/// The catalogue as one member sees it.
pub async fn offers(
    db: &Db,
    membership_id: MembershipId,
    channel: Option<Channel>,
) -> Result<Vec<Offer>, AppError> {
    let (program_id, balance): (ProgramId, i64) =
        sqlx::query_as("SELECT program_id, balance FROM memberships WHERE id = $1")
            .bind(membership_id)
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(|| {
                AppError::not_found(crate::i18n::td_string!(
                    crate::domain::lang::current().locale,
                    errors.what.membership
                ))
            })?;
    let now = db.now();
    let mut out = Vec::new();
    let catalogue = list(db, program_id).await?;
    // One connection for the per-reward checks, taken after the pool reads above: holding
    // one while waiting for another can exhaust a small pool under load.
    let mut conn = db.pool.acquire().await?;
    let segments = if catalogue.iter().any(|r| r.segment_id.is_some()) {
        crate::server::store::segments::of_membership(&mut conn, membership_id.get()).await?
    } else {
        Vec::new()
    };
    for reward in catalogue {
        // Not offered: switched off, a stamp card's free reward (never in the catalogue), or
        // one for a segment the member is not in (not shown to others at all).
        if !reward.active
            || !domain_rewards::for_the_catalogue(&reward)
            || reward.segment_id.is_some_and(|s| !segments.contains(&s))
        {
            continue;
        }
        let member = eligibility(&mut conn, &reward, membership_id, &segments).await?;
        out.push(Offer {
            affordable: balance >= reward.cost_points,
            unavailable: domain_rewards::unavailable(&reward, member, channel, now),
            reward,
        });
    }
    Ok(out)
}

/// A member's rewards, newest first.
pub async fn issued_for_member(db: &Db, member_id: MemberId) -> Result<Vec<IssuedReward>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ISSUED_COLUMNS} FROM issued_rewards i JOIN rewards r ON r.id = i.reward_id \
         JOIN memberships m ON m.id = i.membership_id WHERE m.member_id = $1 ORDER BY i.id DESC"
    ))
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?)
}
