//! What became of a member's messages: Manage looks a member of the program up (card, email
//! or phone) and sees each message with its status, why it waits or was not sent, and the
//! last delivery error (a bounce, a provider's refusal).

use crate::domain::lang::current;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::ProgramId;
use crate::model::message::MemberMessages;
use crate::server::db::Db;
use crate::server::service::identity::{self, Lookup};
use crate::server::store::messages;

/// Most messages listed.
const SHOWN: i64 = 100;

/// The program's messages to the member `identifier` names, newest first. A member of another
/// program only (or nobody) is a field error on `member`.
pub async fn for_member(
    db: &Db,
    program_id: ProgramId,
    identifier: &str,
) -> Result<MemberMessages, AppError> {
    let not_member = || AppError::field("member", td_string!(current().locale, errors.messages.no_member));
    let member = identity::identify(
        db,
        identifier.trim(),
        crate::model::rules::Channel::Web,
        Lookup::Read,
    )
    .await
    .map_err(|_| not_member())?
    .0;
    let mut conn = db.pool.acquire().await?;
    if super::members::find_membership(&mut conn, member.id, program_id)
        .await?
        .is_none()
    {
        return Err(not_member());
    }
    drop(conn);
    Ok(MemberMessages {
        member_name: member.name,
        messages: messages::of_member(db, program_id, member.id, SHOWN).await?,
    })
}
