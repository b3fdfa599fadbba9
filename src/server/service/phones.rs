//! Which country reads a national phone number ("06 12 34 56 78"): a store's own country,
//! else its program's, else the store's time zone's country; a search also tries every
//! country the brand's active programs and open stores are in. Members' phones are written
//! in E.164 with it (`domain::phone`).

use sqlx::AnyConnection;

use crate::domain::{phone, zones};
use crate::error::AppError;
use crate::model::ids::ProgramId;

/// A store's own country, and the one of its time zone.
struct StoreCountry {
    id: i64,
    own: Option<String>,
    zone: Option<String>,
}

impl StoreCountry {
    fn any(&self) -> Option<String> {
        self.own.clone().or_else(|| self.zone.clone())
    }
}

async fn stores(conn: &mut AnyConnection, only_active: bool) -> Result<Vec<StoreCountry>, AppError> {
    let rows: Vec<(i64, Option<String>, String, i64)> =
        sqlx::query_as("SELECT id, country, time_zone, active FROM stores ORDER BY code")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .filter(|r| !only_active || r.3 != 0)
        .map(|(id, own, zone, _)| StoreCountry {
            id,
            own: own.filter(|c| !c.is_empty()),
            zone: zones::country_of_zone(&zone).map(str::to_string),
        })
        .collect())
}

async fn programs(conn: &mut AnyConnection) -> Result<Vec<(ProgramId, Option<String>, bool)>, AppError> {
    let rows: Vec<(ProgramId, Option<String>, i64)> =
        sqlx::query_as("SELECT id, country, active FROM programs ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, c, active)| (id, c.filter(|c| !c.is_empty()), active != 0))
        .collect())
}

fn push(out: &mut Vec<String>, country: Option<String>) {
    if let Some(c) = country {
        if !out.contains(&c) {
            out.push(c);
        }
    }
}

/// The countries a phone typed at `store` for `program` may be from, the likeliest first:
/// the store's own, the program's, the store's time zone's, then those of every active
/// program and open store.
pub async fn countries(
    conn: &mut AnyConnection,
    program: Option<ProgramId>,
    store: Option<i64>,
) -> Result<Vec<String>, AppError> {
    let all_programs = programs(conn).await?;
    let all_stores = stores(conn, false).await?;
    let here = store.and_then(|id| all_stores.iter().find(|s| s.id == id));
    let of_program = program
        .and_then(|id| all_programs.iter().find(|p| p.0 == id))
        .and_then(|p| p.1.clone());
    let mut out = Vec::new();
    push(&mut out, here.and_then(|s| s.own.clone()));
    push(&mut out, of_program);
    push(&mut out, here.and_then(|s| s.zone.clone()));
    for p in all_programs.iter().filter(|p| p.2) {
        push(&mut out, p.1.clone());
    }
    for s in stores(conn, true).await? {
        push(&mut out, s.any());
    }
    Ok(out)
}

/// The one country a phone written for `program` at `store` is read in: the store's own,
/// the program's, the store's time zone's, else the brand's when all its active programs
/// and open stores are in one country. None: nothing says which (the number is kept as
/// typed unless it is written internationally).
pub async fn write_country(
    conn: &mut AnyConnection,
    program: Option<ProgramId>,
    store: Option<i64>,
) -> Result<Option<String>, AppError> {
    let all = countries(conn, program, store).await?;
    let named = store.is_some() || {
        let all_programs = programs(conn).await?;
        program
            .and_then(|id| all_programs.into_iter().find(|p| p.0 == id))
            .is_some_and(|p| p.1.is_some())
    };
    Ok(if named || all.len() == 1 {
        all.into_iter().next()
    } else {
        None
    })
}

/// A phone as typed (or already checked by a form) as it is kept: in E.164 when the
/// country of `write_country` reads it as a valid number (`domain::phone::store_form`).
pub async fn to_store(
    conn: &mut AnyConnection,
    typed: Option<&str>,
    program: Option<ProgramId>,
    store: Option<i64>,
) -> Result<Option<String>, AppError> {
    let Some(typed) = typed else {
        return Ok(None);
    };
    let country = write_country(conn, program, store).await?;
    phone::store_form(typed, country.as_deref()).map_err(|m| AppError::field("phone", m))
}
