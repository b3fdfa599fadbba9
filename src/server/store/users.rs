//! Accounts. Password hashes are read into `Credentials`, which never leaves the server.

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::{ProgramId, UserId};
use sqlx::AnyConnection;

use crate::domain::forms;
use crate::error::AppError;
use crate::model::time::Timestamp;
use crate::model::user::{NewUserInput, Role, SessionUser, UserSummary};
use crate::server::auth::password;
use crate::server::db::{is_unique_violation, role_of, Db};

/// A user with their password hash: server-only, deliberately not `Serialize`.
pub struct Credentials {
    pub user: SessionUser,
    pub password_hash: String,
    pub disabled: bool,
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    id: UserId,
    email: String,
    display_name: String,
    role: String,
    password_hash: String,
    disabled_at: Option<i64>,
}

#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn find_credentials(db: &Db, email: &str) -> Result<Option<Credentials>, AppError> {
    let row: Option<CredentialsRow> = sqlx::query_as(
        "SELECT id, email, display_name, role, password_hash, disabled_at FROM users WHERE email = $1",
    )
    .bind(email.trim().to_lowercase())
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(Credentials {
            user: SessionUser {
                id: r.id,
                email: r.email,
                display_name: r.display_name,
                role: role_of(&r.role)?,
            },
            password_hash: r.password_hash,
            disabled: r.disabled_at.is_some(),
        })
    })
    .transpose()
}

/// Inserts a user inside the caller's transaction; a taken email becomes a field error.
pub async fn insert(
    conn: &mut AnyConnection,
    email: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
    now: Timestamp,
) -> Result<UserId, AppError> {
    let id: Result<UserId, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO users (email, display_name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(email)
    .bind(display_name)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await;
    id.map_err(|e| {
        if is_unique_violation(&e, "users_email_key", "users.email") {
            AppError::field("email", td_string!(current().locale, errors.members.email_taken))
        } else {
            e.into()
        }
    })
}

/// Creates a staff, analyst or admin account (validated; hashed off the async threads).
#[tracing::instrument(skip(db, input), fields(email = %input.email, role = %input.role), err(level = "debug"))]
pub async fn create(db: &Db, input: &NewUserInput) -> Result<UserSummary, AppError> {
    let v = forms::new_user(input)?;
    let hash = password::hash(v.password.clone()).await?;
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let id = insert(&mut tx, &v.email, &v.display_name, v.role, &hash, now).await?;
    tx.commit().await?;
    Ok(UserSummary {
        id,
        email: v.email,
        display_name: v.display_name,
        role: v.role.as_str().into(),
        created_at: now,
        disabled_at: None,
    })
}

#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn list_staff(db: &Db) -> Result<Vec<UserSummary>, AppError> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT id, email, display_name, role, created_at, disabled_at FROM users WHERE role <> 'member' \
         ORDER BY role, email",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(SummaryRow::summary).collect())
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    #[sqlx(flatten)]
    summary: UserSummary,
    disabled_at: Option<i64>,
}

impl SummaryRow {
    fn summary(self) -> UserSummary {
        UserSummary {
            disabled_at: self.disabled_at.map(Timestamp),
            ..self.summary
        }
    }
}

/// A staff, analyst or admin account (never a member's).
pub async fn staff_account(conn: &mut AnyConnection, id: UserId) -> Result<Option<UserSummary>, AppError> {
    let row: Option<SummaryRow> = sqlx::query_as(
        "SELECT id, email, display_name, role, created_at, disabled_at FROM users \
         WHERE id = $1 AND role <> 'member'",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(SummaryRow::summary))
}

/// Disables the account at `at`, or enables it again with `None`.
pub async fn set_disabled(
    conn: &mut AnyConnection,
    id: UserId,
    at: Option<Timestamp>,
) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(at.map(|t| t.0))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_role(conn: &mut AnyConnection, id: UserId, role: Role) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_password_hash(conn: &mut AnyConnection, id: UserId, hash: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn count(db: &Db) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM users")
        .fetch_one(&db.pool)
        .await?)
}

/// Remembers the program and store a desk user last booked in: the purchase form starts
/// there next time (a cashier works one program's till in one store).
pub async fn remember_desk_choice(
    db: &Db,
    user_id: UserId,
    program_id: ProgramId,
    store_id: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE users SET desk_program_id = $1, desk_store_id = $2 WHERE id = $3 \
         AND (desk_program_id IS DISTINCT FROM $1 OR desk_store_id IS DISTINCT FROM $2)",
    )
    .bind(program_id)
    .bind(store_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The program and store a desk user last booked in, if any.
pub async fn desk_choice(db: &Db, user_id: UserId) -> Result<(Option<ProgramId>, Option<i64>), AppError> {
    Ok(sqlx::query_as::<_, (Option<ProgramId>, Option<i64>)>(
        "SELECT desk_program_id, desk_store_id FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?
    .unwrap_or_default())
}

/// Remembers the language a user chose (a tag `Lang::from_tag` reads).
pub async fn set_locale(db: &Db, user_id: UserId, tag: &str) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE users SET locale = $1 WHERE id = $2 AND locale IS DISTINCT FROM $1")
        .bind(tag)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The language a user chose, if any.
pub async fn locale(db: &Db, user_id: UserId) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT locale FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&db.pool)
            .await?
            .flatten(),
    )
}
