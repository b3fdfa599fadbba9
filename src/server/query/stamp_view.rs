//! A member's stamp cards as the Portal, the Desk and the channel API show them.

use crate::error::AppError;
use crate::model::card::StampBalance;
use crate::model::ids::MemberId;
use crate::server::db::Db;

/// The member's stamps on every active card of their programs (zero where none yet).
pub async fn balances(db: &Db, member_id: MemberId) -> Result<Vec<StampBalance>, AppError> {
    Ok(sqlx::query_as(
        "SELECT s.id AS stamp_card_id, s.program_id, s.name, CAST(COALESCE(b.stamps, 0) AS BIGINT) AS stamps, \
         s.stamps_required, r.name AS reward_name FROM memberships m \
         JOIN stamp_cards s ON s.program_id = m.program_id AND s.active = 1 \
         JOIN rewards r ON r.id = s.reward_id \
         LEFT JOIN stamp_balances b ON b.membership_id = m.id AND b.stamp_card_id = s.id \
         WHERE m.member_id = $1 AND m.merged_into IS NULL ORDER BY s.program_id, s.name",
    )
    .bind(member_id)
    .fetch_all(&db.pool)
    .await?)
}
