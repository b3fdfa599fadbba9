//! The member portal. Every function works on the caller's own member profile, found from
//! the session; no function takes a member id, so no member can ask for another's data.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::error::AppError;
use crate::model::member::{JoinableProgram, PortalOverview};

/// How many ledger lines the portal shows.
pub const HISTORY_LINES: i64 = 50;

#[server(endpoint = "my_portal")]
pub async fn my_portal() -> Result<PortalOverview, AppError> {
    use crate::model::rules::Channel;
    use crate::server::auth::guard;
    use crate::server::query::{member_view, reward_view, stamp_view};
    use crate::server::service::members;
    let (db, member) = guard::require_member().await?;
    let memberships = member_view::memberships(&db, member.id).await?;
    let history = member_view::history(&db, member.id, HISTORY_LINES).await?;
    let mut offers = Vec::new();
    for m in &memberships {
        // Paying with points happens at a checkout (till or web shop), not on the portal.
        offers.extend(
            reward_view::offers(&db, m.membership_id, Some(Channel::Web))
                .await?
                .into_iter()
                .filter(|o| o.reward.kind != crate::model::reward::RewardKind::PointsPayment),
        );
    }
    let mut campaign_offers = Vec::new();
    for m in &memberships {
        campaign_offers.extend(
            crate::server::service::campaigns::offers(&db, m.program_id, member.id, Some(Channel::Web))
                .await?,
        );
    }
    let issued = reward_view::issued_for_member(&db, member.id).await?;
    let referral_code = members::referral_code(&db, member.id).await?;
    Ok(PortalOverview {
        campaign_offers,
        stamps: stamp_view::balances(&db, member.id).await?,
        referral_code,
        member,
        memberships,
        rewards: offers,
        issued,
        history,
    })
}

#[server(endpoint = "joinable_programs")]
pub async fn joinable_programs() -> Result<Vec<JoinableProgram>, AppError> {
    use crate::server::auth::guard;
    use crate::server::query::member_view;
    let (db, member) = guard::require_member().await?;
    member_view::joinable(&db, member.id).await
}

#[server(endpoint = "join_program")]
pub async fn join_program(program_id: ProgramId) -> Result<(), AppError> {
    use crate::server::auth::guard;
    use crate::server::service::members;
    let (db, member) = guard::require_member().await?;
    members::join(&db, member.id, program_id).await?;
    // Joining is signing up to the program: its sign-up rules reward it, once. The member
    // has joined whatever happens here; a failure is logged, not shown as a failed join.
    if let Err(e) = crate::server::service::orders::welcome(&db, program_id, member.id).await {
        tracing::warn!(error = %e, member_id = %member.id, program_id = %program_id, "sign-up points not booked");
    }
    Ok(())
}

/// The member redeems a reward on the portal; the code and PIN appear under "Your rewards".
#[server(endpoint = "redeem_my_reward")]
pub async fn redeem_my_reward(
    reward_id: i64,
    request_id: String,
) -> Result<crate::model::reward::IssuedReward, AppError> {
    use crate::domain::forms;
    use crate::model::rules::Channel;
    use crate::server::auth::guard;
    use crate::server::service::rewards;
    let (db, member) = guard::require_member().await?;
    let request_id = forms::request_id(&request_id)?;
    rewards::redeem(&db, member.id, reward_id, Channel::Web, &request_id, false, None).await
}

/// The member registers a printed card with its security code; what the card collected
/// before (points, stamps) moves into the account.
#[server(endpoint = "link_my_card")]
pub async fn link_my_card(
    input: crate::model::card::LinkMyCardInput,
) -> Result<crate::model::card::LinkedCard, AppError> {
    use crate::server::auth::guard;
    use crate::server::auth::ratelimit::Limit;
    let (db, member) = guard::require_member().await?;
    if input.security_code.trim().is_empty() {
        return Err(AppError::field(
            "security_code",
            crate::i18n::td_string!(crate::domain::lang::current().locale, errors.portal.scratch_code),
        ));
    }
    // Wrong security codes are counted per card in the database (`cards::link`, which
    // locks the card after a few), and per member and per address here, so a member cannot
    // try one code on many cards either.
    let state = guard::state()?;
    let addr = guard::client_address(&guard::request_parts()?, state.config.trust_proxy);
    let limits = [
        Limit::new(format!("member-codes:{}", member.id), 10),
        Limit::new(format!("card-codes-address:{addr}"), 20),
    ];
    if let Err(secs) = state.throttle.check(&limits, std::time::Instant::now()) {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    // One guess at a time per member: parallel guesses cannot all pass the check above.
    let Some(_checking) = state.throttle.begin(&limits[0]) else {
        return Err(AppError::RateLimited { retry_after_secs: 1 });
    };
    let linked = crate::server::service::identity::link_card(
        &db,
        &input.card_number,
        member.id,
        Some(&input.security_code),
        None,
    )
    .await;
    if let Err(e) = &linked {
        if e.field_message("security_code").is_some() {
            state.throttle.record_failure(&limits, std::time::Instant::now());
        }
    }
    linked
}

/// The member gives (or changes) their date of birth for the yearly birthday reward.
#[server(endpoint = "set_my_birth_date")]
pub async fn set_my_birth_date(birth_date: String) -> Result<Option<String>, AppError> {
    use crate::server::auth::guard;
    let (db, member) = guard::require_member().await?;
    crate::server::service::members::set_birth_date(&db, member.id, &birth_date).await
}

/// The member's consents (channels and topics) and when each was given or withdrawn.
#[server(endpoint = "my_consents")]
pub async fn my_consents() -> Result<crate::model::consent::ConsentView, AppError> {
    use crate::server::auth::guard;
    let (db, member) = guard::require_member().await?;
    crate::server::service::consents::view(&db, member.id).await
}

/// The member's choice on the preferences form: what is ticked is given, the rest withdrawn.
#[server(endpoint = "set_my_consents")]
pub async fn set_my_consents(
    input: crate::model::consent::ConsentForm,
) -> Result<crate::model::consent::ConsentView, AppError> {
    use crate::model::consent::ConsentSource;
    use crate::server::auth::guard;
    use crate::server::service::consents::{self, By};
    let (db, member) = guard::require_member().await?;
    let by = By {
        source: ConsentSource::Portal,
        user: None,
        api_key: None,
    };
    consents::set_all(&db, member.id, &input.granted, by).await
}

/// The member's inbox on the portal: the newest messages and how many are unread.
#[server(endpoint = "my_inbox")]
pub async fn my_inbox() -> Result<crate::model::message::Inbox, AppError> {
    use crate::server::auth::guard;
    let (db, member) = guard::require_member().await?;
    crate::server::store::messages::inbox(&db, member.id, 50).await
}

/// Marks one of the member's inbox messages read (`id`), or all of them (no id). Another
/// member's message is never touched.
#[server(endpoint = "mark_my_messages_read")]
pub async fn mark_my_messages_read(id: Option<i64>) -> Result<u64, AppError> {
    use crate::server::auth::guard;
    let (db, member) = guard::require_member().await?;
    crate::server::store::messages::mark_read(&db, member.id, id, db.now()).await
}
