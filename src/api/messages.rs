//! Messaging in Manage: a program's time zone, quiet hours and caps, what its messages did
//! (sent, held, suppressed and why, failed), and the development mailbox.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::message::{KeptEmail, MessageSettingsForm, MessagesOverview};

/// A program's messaging settings and what its messages did.
#[server(endpoint = "program_messages")]
pub async fn program_messages(program_id: ProgramId) -> Result<MessagesOverview, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::store::{messages, programs};
    guard::require(Role::can_manage).await?;
    let db = guard::state()?.db;
    programs::get(&db, program_id).await?;
    let settings = messages::settings(&db, program_id).await?;
    Ok(MessagesOverview {
        settings: MessageSettingsForm::of(program_id, &settings),
        counts: messages::counts(&db, messages::Of::Program(program_id)).await?,
        failed: messages::failed(&db, messages::Of::Program(program_id), 50).await?,
    })
}

/// Saves a program's time zone, quiet hours and caps (each bad field named, nothing saved).
#[server(endpoint = "save_message_settings")]
pub async fn save_message_settings(input: MessageSettingsForm) -> Result<MessageSettingsForm, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::store::{messages, programs};
    guard::require(Role::can_manage).await?;
    let db = guard::state()?.db;
    let settings = crate::domain::forms::messages::settings(&input)?;
    programs::get(&db, input.program_id).await?;
    messages::save_settings(&db, input.program_id, &settings).await?;
    Ok(MessageSettingsForm::of(input.program_id, &settings))
}

/// The emails kept in the development mailbox, newest first. Only while no SMTP server is
/// set and the mailbox is on (`OMNILOYAL_DEV_MAILBOX`, or the demo): otherwise not found.
#[server(endpoint = "dev_mailbox")]
pub async fn dev_mailbox() -> Result<Vec<KeptEmail>, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    let state = guard::state()?;
    let m = &state.config.messaging;
    if m.smtp_url.is_some() || !m.dev_mailbox {
        return Err(AppError::not_found(crate::i18n::td_string!(
            crate::domain::lang::current().locale,
            errors.what.mailbox
        )));
    }
    crate::server::store::messages::mailbox(&state.db, 100).await
}

/// What became of the program's messages to one member (card number, email or phone).
#[server(endpoint = "find_member_messages")]
pub async fn find_member_messages(
    program_id: ProgramId,
    member: String,
) -> Result<crate::model::message::MemberMessages, AppError> {
    use crate::model::user::Role;
    use crate::server::auth::guard;
    guard::require(Role::can_manage).await?;
    crate::server::service::message_log::for_member(&guard::state()?.db, program_id, &member).await
}
