//! Push devices: a program's app registers its device's push token for the member signed in,
//! again on every start, and forgets it on sign-out. The program's push messages go to every
//! device the member has for it when they are sent; no program sees another's devices.

use crate::domain::lang::current;
use crate::error::{AppError, Validator};
use crate::i18n::td_string;
use crate::model::ids::{MemberId, ProgramId};
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
pub async fn register(
    db: &Db,
    program: ProgramId,
    member: MemberId,
    input: &DeviceInput,
) -> Result<PushDevice, AppError> {
    let (token, platform) = check(input)?;
    let mut tx = db.begin_write().await?;
    let device = store::register(&mut tx, program, member, &token, platform, db.now()).await?;
    tx.commit().await?;
    Ok(device)
}

/// The member's devices in the program, most recently seen first.
pub async fn list(db: &Db, program: ProgramId, member: MemberId) -> Result<Vec<PushDevice>, AppError> {
    store::of_member(&mut *db.pool.acquire().await?, program, member).await
}

/// Forgets one of the member's devices in the program. Forgetting one they do not have (gone
/// already: a retry) changes nothing and is not an error; whose it is, if anyone's, is not told.
pub async fn remove(db: &Db, program: ProgramId, member: MemberId, id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    store::remove(&mut tx, program, member, id).await?;
    tx.commit().await?;
    Ok(())
}
