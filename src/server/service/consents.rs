//! Consents: what a member has agreed to hear about and where (model::consent). A change is
//! written with its history in one transaction; giving what is already given changes nothing
//! and records nothing, so a retried request is harmless.

use crate::domain::lang::current;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::consent::{ConsentChange, ConsentName, ConsentSource, ConsentView, Consents};
use crate::model::ids::{MemberId, UserId};
use crate::model::time::Timestamp;
use crate::server::db::Db;

/// Who made a change: the member, staff, or a channel system's key.
#[derive(Debug, Clone, Copy)]
pub struct By {
    pub source: ConsentSource,
    pub user: Option<UserId>,
    pub api_key: Option<i64>,
}

fn no_member() -> AppError {
    AppError::not_found(td_string!(current().locale, errors.what.member))
}

/// The consents a member holds now.
pub async fn of(conn: &mut sqlx::AnyConnection, member_id: MemberId) -> Result<Consents, AppError> {
    let bits: Option<i64> = sqlx::query_scalar("SELECT consents FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_optional(&mut *conn)
        .await?;
    bits.map(Consents).ok_or_else(no_member)
}

/// A member's consents and their history, newest change first.
pub async fn view(db: &Db, member_id: MemberId) -> Result<ConsentView, AppError> {
    let mut conn = db.pool.acquire().await?;
    let now = of(&mut conn, member_id).await?;
    let rows: Vec<(String, i64, String, i64)> = sqlx::query_as(
        "SELECT name, granted, source, created_at FROM consent_changes WHERE member_id = $1 ORDER BY id DESC",
    )
    .bind(member_id)
    .fetch_all(&mut *conn)
    .await?;
    let history = rows
        .into_iter()
        .filter_map(|(name, granted, source, at)| {
            Some(ConsentChange {
                name: ConsentName::parse(&name)?,
                granted: granted != 0,
                source: ConsentSource::parse(&source)?,
                at: Timestamp(at),
            })
        })
        .collect();
    Ok(ConsentView {
        granted: now.granted(),
        history,
    })
}

/// Gives or withdraws each named consent (names not listed stay as they are), recording what
/// changed. Answers the consents and history after.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn change(
    db: &Db,
    member_id: MemberId,
    changes: &[(ConsentName, bool)],
    by: By,
) -> Result<ConsentView, AppError> {
    let now = db.now();
    let mut tx = db.begin_write().await?;
    // Read with the member's row locked (an update of nothing, as merges lock members): two
    // changes at once take turns on PostgreSQL too, so each sees the other's result and the
    // history records a change once.
    let before: Option<i64> =
        sqlx::query_scalar("UPDATE members SET consents = consents WHERE id = $1 RETURNING consents")
            .bind(member_id)
            .fetch_optional(&mut *tx)
            .await?;
    let before = before.map(Consents).ok_or_else(no_member)?;
    let mut after = before;
    for &(name, granted) in changes {
        if after.has(name) == granted {
            continue;
        }
        after = after.with(name, granted);
        sqlx::query(
            "INSERT INTO consent_changes (member_id, name, granted, source, user_id, api_key_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(member_id)
        .bind(name.as_str())
        .bind(granted as i64)
        .bind(by.source.as_str())
        .bind(by.user)
        .bind(by.api_key)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
    }
    if after != before {
        sqlx::query("UPDATE members SET consents = $1 WHERE id = $2")
            .bind(after.0)
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    if after != before {
        tracing::info!(
            member = member_id.get(),
            from = before.0,
            to = after.0,
            "consents changed"
        );
    }
    view(db, member_id).await
}

/// The member's whole choice from a form: every name listed is given, every other withdrawn.
pub async fn set_all(
    db: &Db,
    member_id: MemberId,
    given: &[String],
    by: By,
) -> Result<ConsentView, AppError> {
    let mut chosen = Vec::new();
    for g in given {
        match ConsentName::parse(g.trim()) {
            Some(n) => chosen.push(n),
            None => {
                return Err(AppError::field(
                    "granted",
                    td_string!(current().locale, errors.consents.unknown),
                ))
            }
        }
    }
    let changes: Vec<(ConsentName, bool)> = ConsentName::ALL
        .iter()
        .map(|n| (*n, chosen.contains(n)))
        .collect();
    change(db, member_id, &changes, by).await
}
