//! Off-boarding and upkeep of staff, analyst and admin accounts: disable and enable (ending
//! every session at once), reset a password, change a role. Admins only (the server function
//! checks); an admin cannot lock themselves out by disabling or demoting their own account,
//! which also means there is always an active admin left (the one acting).

use crate::domain::lang::current;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::UserId;
use crate::model::user::{Role, SessionUser, UserSummary};
use crate::server::auth::password;
use crate::server::db::Db;
use crate::server::store::{sessions, users};

/// What an admin does to an account.
#[derive(Debug, Clone)]
pub enum Change {
    Disable,
    Enable,
    /// A new password, as typed (validated here, stored hashed).
    Password(String),
    /// The new role, as sent by the form.
    Role(String),
}

/// Applies `change` to the account `id` in one transaction and returns the account as it is
/// now. Disabling and a new password end the account's sessions in the same transaction.
#[tracing::instrument(skip(db, by, change), fields(by = %by.id), err(level = "debug"))]
pub async fn change(db: &Db, by: &SessionUser, id: UserId, change: Change) -> Result<UserSummary, AppError> {
    if id == by.id && matches!(change, Change::Disable | Change::Role(_)) {
        return Err(AppError::conflict(td_string!(
            current().locale,
            errors.accounts.not_yourself
        )));
    }
    // Checked and hashed before the transaction: hashing takes a while and holds no lock.
    let hash = match &change {
        Change::Password(p) => Some(
            password::hash(crate::domain::validate::password(p).map_err(|m| AppError::field("password", m))?)
                .await?,
        ),
        _ => None,
    };
    let role = match &change {
        Change::Role(r) => Some(match Role::parse(r.trim()) {
            Some(Role::Member) | None => {
                return Err(AppError::field(
                    "role",
                    td_string!(current().locale, errors.accounts.choose_staff_role),
                ))
            }
            Some(role) => role,
        }),
        _ => None,
    };
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let account = users::staff_account(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.account)))?;
    let ended = match change {
        Change::Disable => {
            if account.disabled_at.is_none() {
                users::set_disabled(&mut tx, id, Some(now)).await?;
            }
            crate::server::store::password_resets::spend_all(&mut tx, id, now).await?;
            crate::server::service::account_changes::end_pending(&mut tx, id, now).await?;
            sessions::revoke_all(&mut tx, id, now).await?
        }
        Change::Enable => {
            users::set_disabled(&mut tx, id, None).await?;
            0
        }
        Change::Password(_) => {
            users::set_password_hash(&mut tx, id, hash.as_deref().unwrap_or_default()).await?;
            crate::server::store::password_resets::spend_all(&mut tx, id, now).await?;
            crate::server::service::account_changes::end_pending(&mut tx, id, now).await?;
            crate::server::service::account_mail::password_changed(&mut tx, id, now).await?;
            sessions::revoke_all(&mut tx, id, now).await?
        }
        Change::Role(_) => {
            if let Some(role) = role {
                users::set_role(&mut tx, id, role).await?;
            }
            0
        }
    };
    let account = users::staff_account(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.account)))?;
    tx.commit().await?;
    tracing::info!(user_id = %id, role = %account.role, disabled = account.disabled_at.is_some(), sessions_ended = ended, "account changed");
    Ok(account)
}
