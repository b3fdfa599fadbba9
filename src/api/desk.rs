//! The in-store desk: find a member, record a purchase. Staff and admins.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::member::{AdjustInput, AdjustReceipt, DeskResults, PurchaseInput, PurchaseReceipt};
use crate::model::reward::{IssuedReward, RedeemInput, UseCodeInput};

#[server(endpoint = "desk_search")]
pub async fn desk_search(query: String) -> Result<DeskResults, AppError> {
    use crate::model::member::DeskMember;
    use crate::model::rules::Channel;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::repo::{members, programs, rewards};
    use rand::Rng;

    guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    let found = if query.trim().is_empty() {
        Vec::new()
    } else {
        members::find(&db, &query).await.map_err(guard::reject)?
    };
    let mut out = Vec::with_capacity(found.len());
    for member in found {
        let memberships = members::memberships(&db, member.id).await?;
        let mut offers = Vec::new();
        for m in &memberships {
            offers.extend(rewards::offers(&db, m.membership_id, Some(Channel::Store)).await?);
        }
        let open_rewards = rewards::issued_for_member(&db, member.id)
            .await?
            .into_iter()
            .filter(|r| r.status == "issued" || r.status == "reserved")
            // The PIN proves the member is present: the desk never receives it.
            .map(|r| IssuedReward {
                pin: String::new(),
                ..r
            })
            .collect();
        out.push(DeskMember {
            member,
            memberships,
            rewards: offers,
            open_rewards,
        });
    }
    let nonce = format!("{:016x}", rand::thread_rng().r#gen::<u64>());
    Ok(DeskResults {
        members: out,
        programs: programs::list(&db).await?,
        nonce,
    })
}

#[server(endpoint = "record_purchase")]
pub async fn record_purchase(input: PurchaseInput) -> Result<PurchaseReceipt, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let staff = guard::require(Role::can_use_desk).await?;
    crate::server::repo::orders::record_purchase(&guard::state()?.db, staff.id, &input)
        .await
        .map_err(guard::reject)
}

/// Redeems a reward for the member at the counter: spends the points, hands out a code.
#[server(endpoint = "redeem_reward")]
pub async fn redeem_reward(input: RedeemInput) -> Result<IssuedReward, AppError> {
    use crate::domain::forms;
    use crate::model::rules::Channel;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::repo::rewards;
    let staff = guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    let request_id = forms::request_id(&input.request_id).map_err(guard::reject)?;
    rewards::redeem(
        &db,
        input.member_id,
        input.reward_id,
        Channel::Store,
        &request_id,
        false,
        Some(staff.id),
    )
    .await
    .map_err(guard::reject)
}

/// Uses a reward code at the till (a member shows the code from the portal).
#[server(endpoint = "use_reward_code")]
pub async fn use_reward_code(input: UseCodeInput) -> Result<IssuedReward, AppError> {
    use crate::model::rules::Channel;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::repo::rewards;
    guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    if input.code.trim().is_empty() {
        return Err(guard::reject(AppError::field(
            "code",
            "Type or scan the reward code.",
        )));
    }
    let pin = input.pin.trim();
    if pin.is_empty() {
        return Err(guard::reject(AppError::field(
            "pin",
            "Ask the member for the PIN shown with the code.",
        )));
    }
    rewards::use_code(&db, &input.code, Some(pin), Channel::Store)
        .await
        .map_err(guard::reject)
}

/// Gives or takes points by hand, with a reason kept in the ledger.
#[server(endpoint = "adjust_points")]
pub async fn adjust_points(input: AdjustInput) -> Result<AdjustReceipt, AppError> {
    use crate::domain::{forms, validate};
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::repo::{ledger, members};
    let staff = guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    let request_id = forms::request_id(&input.request_id).map_err(guard::reject)?;
    let points = validate::integer(&input.points, -10_000_000, 10_000_000)
        .map_err(|m| guard::reject(AppError::field("points", m)))?;
    let membership_id = members::membership_id(&db, input.member_id, input.program_id)
        .await
        .map_err(guard::reject)?;
    let (_, standing) = ledger::adjust(
        &db,
        Some(staff.id),
        membership_id,
        points,
        &input.reason,
        &request_id,
    )
    .await
    .map_err(guard::reject)?;
    Ok(AdjustReceipt {
        points,
        balance: standing.balance,
    })
}
