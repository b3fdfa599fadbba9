//! The in-store desk: find a member, record a purchase. Staff and admins.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::card::{
    LinkCardInput, LinkedCard, MemberMerge, MergeInput, PaperStampsInput, StampReceipt,
};
use crate::model::member::{AdjustInput, AdjustReceipt, DeskResults, PurchaseInput, PurchaseReceipt};
use crate::model::reward::{IssuedReward, RedeemInput, UseCodeInput};

/// The Desk's search: an exact email, phone or card number, or the start of a first or last
/// name (`page` from 0, 20 a page). Staff and admins only: members are not listed to anyone
/// else.
#[server(endpoint = "desk_search")]
pub async fn desk_search(query: String, #[server(default)] page: u32) -> Result<DeskResults, AppError> {
    use crate::model::member::{DeskMember, Searched};
    use crate::model::rules::Channel;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::query::{member_view, reward_view, stamp_view};
    use crate::server::service::{cards, identity, merges, phones};
    use crate::server::store::{programs, stores, users};
    use rand::Rng;

    let staff = guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::field(
            "query",
            crate::i18n::td_string!(crate::domain::lang::current().locale, errors.desk.query_too_long),
        ));
    }
    let (last_program_id, last_store_id) = users::desk_choice(&db, staff.id).await?;
    let (searched, found, matches, more) = if query.trim().is_empty() {
        (None, Vec::new(), Vec::new(), false)
    } else {
        let countries =
            phones::countries(&mut *db.pool.acquire().await?, last_program_id, last_store_id).await?;
        let found = identity::search(&db, &query, &countries, page).await?;
        match found.searched {
            // A name's one member is opened at once; several are listed to choose from.
            Searched::Name(_) if found.members.len() > 1 || found.more || page > 0 => {
                (Some(found.searched), Vec::new(), found.members, found.more)
            }
            searched => (Some(searched), found.members, Vec::new(), false),
        }
    };
    // A printed card nobody has used yet: a search does not open its account (reads do
    // not write); the desk offers to.
    let mut unused_card = None;
    if let (true, Some(Searched::Card(number))) = (found.is_empty(), &searched) {
        if let Some((None, program_id)) = cards::holder_of(&db, number).await? {
            unused_card = Some((number.clone(), programs::get(&db, program_id).await?.name));
        }
    }
    let mut out = Vec::with_capacity(found.len());
    for member in found {
        let memberships = member_view::memberships(&db, member.id).await?;
        let mut offers = Vec::new();
        let mut campaign_offers = Vec::new();
        for m in &memberships {
            offers.extend(reward_view::offers(&db, m.membership_id, Some(Channel::Store)).await?);
            campaign_offers.extend(
                crate::server::service::campaigns::offers(&db, m.program_id, member.id, Some(Channel::Store))
                    .await?,
            );
        }
        let open_rewards = reward_view::issued_for_member(&db, member.id)
            .await?
            .into_iter()
            .filter(|r| {
                r.status == crate::model::reward::RewardStatus::Issued
                    || r.status == crate::model::reward::RewardStatus::Reserved
            })
            // The PIN proves the member is present: the desk never receives it.
            .map(|r| IssuedReward {
                pin: String::new(),
                ..r
            })
            .collect();
        out.push(DeskMember {
            stamps: stamp_view::balances(&db, member.id).await?,
            merges: merges::for_member(&db, member.id).await?,
            member,
            memberships,
            rewards: offers,
            campaign_offers,
            open_rewards,
        });
    }
    let nonce = format!("{:016x}", rand::thread_rng().r#gen::<u64>());
    Ok(DeskResults {
        searched,
        members: out,
        matches,
        page,
        more,
        programs: programs::list(&db)
            .await?
            .into_iter()
            .filter(|p| p.active)
            .collect(),
        stores: stores::list(&db)
            .await?
            .into_iter()
            .filter(|s| s.active)
            .collect(),
        nonce,
        last_program_id,
        last_store_id,
        unused_card,
    })
}

/// The longest search the Desk reads (an email is at most 254 characters).
pub const MAX_QUERY_CHARS: usize = 254;

/// Opens the account of a printed card nobody has used yet (its holder, enrolled in the
/// card's program), so staff can record its first purchase.
#[server(endpoint = "start_card")]
pub async fn start_card(card_number: String) -> Result<(), AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::service::cards;
    guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    let number = crate::domain::card::normalize(&card_number).ok_or_else(|| {
        AppError::field(
            "card_number",
            crate::i18n::td_string!(
                crate::domain::lang::current().locale,
                errors.identifier.card_number
            ),
        )
    })?;
    match cards::holder(&db, &number).await? {
        Some(_) => Ok(()),
        None => Err(AppError::not_found(crate::i18n::td_string!(
            crate::domain::lang::current().locale,
            errors.what.printed_card
        ))),
    }
}

#[server(endpoint = "record_purchase")]
pub async fn record_purchase(input: PurchaseInput) -> Result<PurchaseReceipt, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let staff = guard::require(Role::can_use_desk).await?;
    crate::server::service::orders::record_purchase(&guard::state()?.db, staff.id, &input).await
}

/// Redeems a reward for the member at the counter: spends the points, hands out a code.
#[server(endpoint = "redeem_reward")]
pub async fn redeem_reward(input: RedeemInput) -> Result<IssuedReward, AppError> {
    use crate::domain::forms;
    use crate::model::rules::Channel;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::service::rewards;
    let staff = guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    let request_id = forms::request_id(&input.request_id)?;
    let points = match input.points.trim() {
        "" => None,
        typed => Some(
            crate::domain::validate::integer(typed, 1, 100_000_000)
                .map_err(|m| AppError::field("points", m))?,
        ),
    };
    let issued = rewards::redeem_with(
        &db,
        input.member_id,
        input.reward_id,
        points,
        Channel::Store,
        &request_id,
        false,
        Some(staff.id),
    )
    .await?;
    if issued.kind == crate::model::reward::RewardKind::PointsPayment
        && issued.status == crate::model::reward::RewardStatus::Issued
    {
        // The desk is the till: a payment with points is taken off this purchase now.
        return rewards::use_code(&db, &issued.code, Some(&issued.pin), Channel::Store).await;
    }
    Ok(issued)
}

/// Uses a reward code at the till (a member shows the code from the portal).
#[server(endpoint = "use_reward_code")]
pub async fn use_reward_code(input: UseCodeInput) -> Result<IssuedReward, AppError> {
    use crate::model::rules::Channel;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::service::rewards;
    guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    if input.code.trim().is_empty() {
        return Err(AppError::field(
            "code",
            crate::i18n::td_string!(crate::domain::lang::current().locale, errors.desk.reward_code),
        ));
    }
    let pin = input.pin.trim();
    if pin.is_empty() {
        return Err(AppError::field(
            "pin",
            crate::i18n::td_string!(crate::domain::lang::current().locale, errors.desk.ask_pin),
        ));
    }
    rewards::use_code(&db, &input.code, Some(pin), Channel::Store).await
}

/// Gives or takes points by hand, with a reason kept in the ledger. Over the program's
/// limit a staff member's adjustment waits for an admin (Manage → Approvals).
#[server(endpoint = "adjust_points")]
pub async fn adjust_points(input: AdjustInput) -> Result<AdjustReceipt, AppError> {
    use crate::domain::{forms, validate};
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::query::member_view;
    use crate::server::service::adjustments::{self, Adjusted, Requester};
    use crate::server::service::members;
    let staff = guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    let request_id = forms::request_id(&input.request_id)?;
    let max = crate::domain::adjustments::MAX_POINTS;
    let points = validate::integer(&input.points, -max, max).map_err(|m| AppError::field("points", m))?;
    let membership_id = members::membership_id(&db, input.member_id, input.program_id).await?;
    let by = Requester::Staff {
        user_id: staff.id,
        admin: staff.role == Role::Admin,
    };
    let adjusted = adjustments::adjust(&db, by, membership_id, points, &input.reason, &request_id).await?;
    Ok(match adjusted {
        Adjusted::Booked { standing, .. } => AdjustReceipt {
            points,
            balance: standing.balance,
            awaiting_approval: false,
        },
        Adjusted::AwaitingApproval { .. } => {
            let balance = member_view::memberships(&db, input.member_id)
                .await?
                .into_iter()
                .find(|m| m.membership_id == membership_id)
                .map_or(0, |m| m.balance);
            AdjustReceipt {
                points,
                balance,
                awaiting_approval: true,
            }
        }
    })
}

/// Links a printed card to the member at the counter; what the card collected moves over.
#[server(endpoint = "link_card")]
pub async fn link_card(input: LinkCardInput) -> Result<LinkedCard, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let staff = guard::require(Role::can_use_desk).await?;
    crate::server::service::identity::link_card(
        &guard::state()?.db,
        &input.card_number,
        input.member_id,
        None,
        Some(staff.id),
    )
    .await
}

/// Merges the member found by `source` (exact email, phone or card) into the member shown.
#[server(endpoint = "merge_members")]
pub async fn merge_members(input: MergeInput) -> Result<MemberMerge, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::service::{identity, merges};
    let staff = guard::require(Role::can_use_desk).await?;
    let db = guard::state()?.db;
    let (program, store) = crate::server::store::users::desk_choice(&db, staff.id).await?;
    let countries =
        crate::server::service::phones::countries(&mut *db.pool.acquire().await?, program, store).await?;
    let found = identity::find(&db, &input.source, &countries)
        .await
        .map_err(|e| rename_field(e, "query", "source"))?;
    let source = match found.as_slice() {
        [one] => one.id,
        [] => {
            return Err(AppError::field(
                "source",
                crate::i18n::td_string!(crate::domain::lang::current().locale, errors.desk.no_match),
            ))
        }
        _ => {
            return Err(AppError::field(
                "source",
                crate::i18n::td_string!(crate::domain::lang::current().locale, errors.desk.many_match),
            ))
        }
    };
    let merged = merges::merge(&db, source, input.target_member_id, &input.reason, Some(staff.id)).await?;
    merges::get(&db, merged.id).await
}

/// Reverses a merge (what the merged-in member brought goes back, as far as it is still there).
#[server(endpoint = "reverse_merge")]
pub async fn reverse_merge(merge_id: i64) -> Result<MemberMerge, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let staff = guard::require(Role::can_use_desk).await?;
    crate::server::service::merges::reverse(&guard::state()?.db, merge_id, Some(staff.id)).await
}

/// Stamps from a paper stamp card, counted once per paper card.
#[server(endpoint = "add_paper_stamps")]
pub async fn add_paper_stamps(input: PaperStampsInput) -> Result<StampReceipt, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    let staff = guard::require(Role::can_use_desk).await?;
    crate::server::service::stamps::add_paper(&guard::state()?.db, &input, Some(staff.id)).await
}

/// A search-box error reported against another form's field.
#[cfg(feature = "ssr")]
fn rename_field(e: AppError, from: &str, to: &str) -> AppError {
    match e {
        AppError::Validation { message, fields } => AppError::Validation {
            message,
            fields: fields
                .into_iter()
                .map(|mut f| {
                    if f.field == from {
                        f.field = to.into();
                    }
                    f
                })
                .collect(),
        },
        e => e,
    }
}
