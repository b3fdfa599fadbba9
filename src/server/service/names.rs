//! Members found by name at the Desk: every registered member's folded name is kept as its
//! tails (`domain::names::tails`) in `member_name_keys` on each write of the name, and a
//! search is a prefix range on that index, a page at a time (never a scan of the members).

use sqlx::AnyConnection;

use crate::domain::names;
use crate::error::AppError;
use crate::model::ids::MemberId;
use crate::model::member::Member;
use crate::server::db::Db;

/// Members a name search shows at once.
pub const PAGE_SIZE: usize = crate::model::member::NAME_PAGE_SIZE;
/// The last page a name search goes to (past it: a more precise name).
pub const MAX_PAGE: u32 = 50;

/// Keeps `member_id`'s name tails for `name` (its old ones go).
pub async fn index(conn: &mut AnyConnection, member_id: MemberId, name: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM member_name_keys WHERE member_id = $1")
        .bind(member_id)
        .execute(&mut *conn)
        .await?;
    for tail in names::tails(name) {
        sqlx::query("INSERT INTO member_name_keys (tail, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(tail)
            .bind(member_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Indexes the names of registered members written before names were indexed (run at
/// start-up; a few hundred members a transaction). Answers how many it indexed.
pub async fn backfill(db: &Db) -> Result<u64, AppError> {
    let mut after = MemberId(0);
    let mut done = 0;
    loop {
        let batch: Vec<(MemberId, String)> = sqlx::query_as(
            "SELECT m.id, m.name FROM members m WHERE m.id > $1 AND m.kind = 'registered' \
             AND NOT EXISTS (SELECT 1 FROM member_name_keys k WHERE k.member_id = m.id) \
             ORDER BY m.id LIMIT 500",
        )
        .bind(after)
        .fetch_all(&db.pool)
        .await?;
        let Some(last) = batch.last() else {
            return Ok(done);
        };
        after = last.0;
        let mut tx = db.begin_write().await?;
        for (id, name) in &batch {
            index(&mut tx, *id, name).await?;
        }
        tx.commit().await?;
        done += batch.len() as u64;
    }
}

/// The members (not merged into another) one of whose name tails starts with `prefix`, the
/// `page`th `PAGE_SIZE` of them (from 0) in name order, and whether more follow.
pub async fn search(db: &Db, prefix: &str, page: u32) -> Result<(Vec<Member>, bool), AppError> {
    let Some((from, to)) = names::prefix_range(prefix) else {
        return Ok((Vec::new(), false));
    };
    let offset = i64::from(page.min(MAX_PAGE)) * PAGE_SIZE as i64;
    // One row per tail: a member two of whose tails match ("Anna Annan") is shown once.
    let rows: Vec<Member> = sqlx::query_as(
        "SELECT m.id, m.name, m.email, m.phone, m.card_number, m.kind, m.birth_date, m.created_at \
         FROM member_name_keys k JOIN members m ON m.id = k.member_id \
         WHERE k.tail >= $1 AND k.tail < $2 AND m.merged_into IS NULL \
         ORDER BY k.tail, k.member_id LIMIT $3 OFFSET $4",
    )
    .bind(from)
    .bind(to)
    .bind(PAGE_SIZE as i64 + 1)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let more = rows.len() > PAGE_SIZE;
    let mut members: Vec<Member> = Vec::with_capacity(PAGE_SIZE);
    for m in rows.into_iter().take(PAGE_SIZE) {
        if !members.iter().any(|seen| seen.id == m.id) {
            members.push(m);
        }
    }
    Ok((members, more))
}
