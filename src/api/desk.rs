//! The in-store desk: find a member, record a purchase. Staff and admins.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::member::{DeskResults, PurchaseInput, PurchaseReceipt};

#[server(endpoint = "desk_search")]
pub async fn desk_search(query: String) -> Result<DeskResults, AppError> {
    use crate::model::member::DeskMember;
    use crate::model::user::Role;
    use crate::server::auth::guard;
    use crate::server::repo::{members, programs};
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
        out.push(DeskMember { member, memberships });
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
    crate::server::repo::ledger::record_purchase(&guard::state()?.db, staff.id, &input)
        .await
        .map_err(guard::reject)
}
