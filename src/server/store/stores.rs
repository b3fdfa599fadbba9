//! Stores: set up in Manage, named by code by tills, the channel API and the Desk.

use crate::domain::lang::current;
use crate::i18n::td_string;
use sqlx::AnyConnection;

use crate::domain::forms::store::{self as form, ValidStore};
use crate::error::AppError;
use crate::model::rules::Channel;
use crate::model::store::{Store, StoreInput};
use crate::model::time::Timestamp;
use crate::server::db::Db;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    code: String,
    name: String,
    channel: String,
    time_zone: String,
    active: i64,
    created_at: i64,
}

impl From<Row> for Store {
    fn from(r: Row) -> Self {
        Store {
            id: r.id,
            code: r.code,
            name: r.name,
            channel: Channel::parse(&r.channel).unwrap_or(Channel::Store),
            time_zone: r.time_zone,
            active: r.active != 0,
            created_at: Timestamp(r.created_at),
        }
    }
}

const COLUMNS: &str = "id, code, name, channel, time_zone, active, created_at";

/// Every store, open ones first, by code.
pub async fn list(db: &Db) -> Result<Vec<Store>, AppError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM stores ORDER BY active DESC, code"
    ))
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(Store::from).collect())
}

/// Adds a store, or gives an existing code its new name, channel and time zone.
pub async fn save(db: &Db, input: &StoreInput) -> Result<Store, AppError> {
    let ValidStore {
        code,
        name,
        channel,
        time_zone,
    } = form::store(input)?;
    let mut tx = db.begin_write().await?;
    let row: Row = sqlx::query_as(&format!(
        "INSERT INTO stores (code, name, channel, time_zone, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, channel = excluded.channel, \
         time_zone = excluded.time_zone RETURNING {COLUMNS}"
    ))
    .bind(&code)
    .bind(&name)
    .bind(channel.as_str())
    .bind(&time_zone)
    .bind(db.now().0)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(code, "store saved");
    Ok(row.into())
}

/// Closes a store (the Desk no longer offers it) or opens it again.
pub async fn set_active(db: &Db, id: i64, active: bool) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let n = sqlx::query("UPDATE stores SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::not_found(td_string!(
            current().locale,
            errors.what.store
        )));
    }
    tx.commit().await?;
    Ok(())
}

/// The store a code names, checked as a field of the request: (id, code in capitals).
/// Closed stores still answer: a till's late orders from a store that has closed book.
pub async fn resolve(conn: &mut AnyConnection, field: &str, code: &str) -> Result<(i64, String), AppError> {
    let code = form::code(code).map_err(|m| AppError::field(field, m))?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM stores WHERE code = $1")
        .bind(&code)
        .fetch_optional(&mut *conn)
        .await?;
    match id {
        Some(id) => Ok((id, code)),
        None => Err(AppError::field(
            field,
            td_string!(current().locale, errors.stores.no_such_code, code = code.clone()).to_string(),
        )),
    }
}
