//! Programs and their tiers.

use crate::domain::forms;
use crate::domain::lang::current;
use crate::error::AppError;
use crate::i18n::td_string;
use crate::model::ids::ProgramId;
use crate::model::program::{Program, ProgramDetail, ProgramInput, Tier};
use crate::server::db::{is_unique_violation, Db};

const PROGRAM_COLUMNS: &str = "id, name, currency_name, currency_code, point_value_minor, points_per_unit, \
     active, expiry_mode, expiry_months, pending_days, allow_negative, tier_window, tier_basis, tier_review, \
     tiers_reviewed_at, adjust_limit, created_at, updated_at";

pub async fn list(db: &Db) -> Result<Vec<Program>, AppError> {
    Ok(
        sqlx::query_as(&format!("SELECT {PROGRAM_COLUMNS} FROM programs ORDER BY name"))
            .fetch_all(&db.pool)
            .await?,
    )
}

/// The program, refusing unknown and inactive ones (`program_inactive`).
pub async fn active(db: &Db, id: ProgramId) -> Result<Program, AppError> {
    let program = get(db, id).await?;
    if !program.active {
        return Err(AppError::ProgramInactive);
    }
    Ok(program)
}

pub async fn get(db: &Db, id: ProgramId) -> Result<Program, AppError> {
    sqlx::query_as(&format!("SELECT {PROGRAM_COLUMNS} FROM programs WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.program)))
}

/// `get` inside a transaction (a second connection could wait on the first's lock).
pub async fn get_in(conn: &mut sqlx::AnyConnection, id: ProgramId) -> Result<Program, AppError> {
    sqlx::query_as(&format!("SELECT {PROGRAM_COLUMNS} FROM programs WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.program)))
}

pub async fn tiers(db: &Db, program_id: ProgramId) -> Result<Vec<Tier>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, program_id, name, threshold_points, multiplier_pct FROM tiers \
         WHERE program_id = $1 ORDER BY threshold_points",
    )
    .bind(program_id)
    .fetch_all(&db.pool)
    .await?)
}

pub async fn detail(db: &Db, id: ProgramId) -> Result<ProgramDetail, AppError> {
    Ok(ProgramDetail {
        program: get(db, id).await?,
        tiers: tiers(db, id).await?,
    })
}

fn name_taken(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "programs_name_key", "programs.name") {
        AppError::field("name", td_string!(current().locale, errors.programs.name_taken))
    } else {
        e.into()
    }
}

/// Creates the program when `input.id` is empty, otherwise updates it.
#[tracing::instrument(skip(db, input), fields(id = ?input.id), err(level = "debug"))]
pub async fn save(db: &Db, input: &ProgramInput) -> Result<Program, AppError> {
    let v = forms::program(input)?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let id: ProgramId = match input.id {
        None => sqlx::query_scalar(
            "INSERT INTO programs (name, currency_name, currency_code, point_value_minor, points_per_unit, \
             active, expiry_mode, expiry_months, pending_days, allow_negative, tier_window, tier_basis, created_at, updated_at, \
             tier_review, adjust_limit) VALUES ($1, $2, $3, $4, $5, $7, $8, $9, $10, $11, $12, $13, $6, $6, $14, $15) \
             RETURNING id",
        )
        .bind(&v.name)
        .bind(&v.currency_name)
        .bind(&v.currency_code)
        .bind(v.point_value_minor)
        .bind(v.points_per_unit)
        .bind(now.0)
        .bind(v.active.unwrap_or(true) as i64)
        .bind(&v.expiry_mode)
        .bind(v.expiry_months)
        .bind(v.pending_days)
        .bind(v.allow_negative.unwrap_or(false) as i64)
        .bind(&v.tier_window)
        .bind(&v.tier_basis)
        .bind(&v.tier_review)
        .bind(v.adjust_limit)
        .fetch_one(&mut *tx)
        .await
        .map_err(name_taken)?,
        Some(id) => sqlx::query_scalar(
            "UPDATE programs SET name = $1, currency_name = $2, currency_code = $3, point_value_minor = $4, \
             points_per_unit = $5, updated_at = $6, active = COALESCE($8, active), expiry_mode = $9, \
             expiry_months = $10, pending_days = $11, allow_negative = COALESCE($12, allow_negative), \
             tier_window = $13, tier_basis = $14, tier_review = $15, adjust_limit = $16 WHERE id = $7 RETURNING id",
        )
        .bind(&v.name)
        .bind(&v.currency_name)
        .bind(&v.currency_code)
        .bind(v.point_value_minor)
        .bind(v.points_per_unit)
        .bind(now.0)
        .bind(id)
        .bind(v.active.map(|b| b as i64))
        .bind(&v.expiry_mode)
        .bind(v.expiry_months)
        .bind(v.pending_days)
        .bind(v.allow_negative.map(|b| b as i64))
        .bind(&v.tier_window)
        .bind(&v.tier_basis)
        .bind(&v.tier_review)
        .bind(v.adjust_limit)
        .fetch_optional(&mut *tx)
        .await
        .map_err(name_taken)?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.program)))?,
    };
    tx.commit().await?;
    get(db, id).await
}
