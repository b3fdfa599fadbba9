//! Push devices: an app registers its device's push token for the member signed in, again on
//! every start (so a token the provider rotated replaces nothing by hand), and forgets it on
//! sign-out. Push messages go to every device the member has when they are sent.

use crate::domain::lang::current;
use crate::error::{AppError, Validator};
use crate::i18n::td_string;
use crate::model::ids::MemberId;
use crate::model::message::{DeviceInput, Platform, PushDevice, MAX_PUSH_TOKEN_CHARS};
use crate::server::db::Db;
use crate::server::store::push_devices as store;

/// The input checked: a token of printable ASCII without spaces, and a known platform.
fn check(input: &DeviceInput) -> Result<(String, Platform), AppError> {
    let l = current().locale;
    let mut v = Validator::new();
    let token = input.token.trim();
    if token.is_empty() || token.len() > MAX_PUSH_TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_graphic())
    {
        v.add("token", td_string!(l, errors.devices.token));
    }
    let platform = Platform::parse(input.platform.trim());
    if platform.is_none() {
        v.add("platform", td_string!(l, errors.devices.platform));
    }
    v.finish()?;
    Ok((token.to_string(), platform.ok_or(AppError::Internal)?))
}

/// Registers the device for the member (see `store::push_devices::register`).
pub async fn register(db: &Db, member: MemberId, input: &DeviceInput) -> Result<PushDevice, AppError> {
    let (token, platform) = check(input)?;
    let mut tx = db.begin_write().await?;
    let device = store::register(&mut tx, member, &token, platform, db.now()).await?;
    tx.commit().await?;
    Ok(device)
}

/// The member's devices, most recently seen first.
pub async fn list(db: &Db, member: MemberId) -> Result<Vec<PushDevice>, AppError> {
    store::of_member(&mut *db.pool.acquire().await?, member).await
}

/// Forgets one of the member's devices.
pub async fn remove(db: &Db, member: MemberId, id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    if !store::remove(&mut tx, member, id).await? {
        return Err(AppError::not_found(td_string!(
            current().locale,
            errors.what.device
        )));
    }
    tx.commit().await?;
    Ok(())
}
