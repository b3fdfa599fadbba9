//! Channel API keys: created by admins, stored as a public prefix plus the SHA-256 of the
//! secret (the secret has 192 random bits, so a fast hash is enough and lookups stay cheap),
//! revocable, scoped, with a per-key request rate.

use crate::domain::lang::current;
use crate::i18n::td_string;
use crate::model::ids::{ProgramId, UserId};
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{AppError, Validator};
use crate::model::api_key::{ApiKeyInput, ApiKeyView, CreatedApiKey, SCOPES};
use crate::model::rules::Channel;
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::service::setup::{Epoch, EPOCH_COLUMN};

pub const DEFAULT_RATE_PER_SEC: i64 = 50;
pub const MAX_RATE_PER_SEC: i64 = 100_000;

/// A key as the API layer uses it. Not `Serialize`: it never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    /// As the admin named it ("Till 3"), for the audit trail of what it wrote.
    pub name: String,
    pub channel: Channel,
    pub program_id: Option<ProgramId>,
    pub scopes: Vec<String>,
    pub rate_per_sec: i64,
}

impl ApiKey {
    pub fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    channel: String,
    program_id: Option<ProgramId>,
    scopes: String,
    prefix: String,
    secret_hash: String,
    rate_per_sec: i64,
    created_at: i64,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

const COLUMNS: &str =
    "id, name, channel, program_id, scopes, prefix, secret_hash, rate_per_sec, created_at, \
                       revoked_at, last_used_at";

impl Row {
    fn view(self) -> ApiKeyView {
        ApiKeyView {
            id: self.id,
            name: self.name,
            channel: self.channel,
            program_id: self.program_id,
            program_name: None,
            scopes: self.scopes.split_whitespace().map(str::to_string).collect(),
            prefix: self.prefix,
            rate_per_sec: self.rate_per_sec,
            created_at: Timestamp(self.created_at),
            revoked_at: self.revoked_at.map(Timestamp),
            last_used_at: self.last_used_at.map(Timestamp),
        }
    }
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill(&mut buf[..]);
    hex::encode(buf)
}

/// Creates a key and returns its secret ("olk_<prefix>_<secret>"), shown once.
#[tracing::instrument(skip(db, input), fields(name = %input.name), err(level = "debug"))]
pub async fn create(db: &Db, created_by: UserId, input: &ApiKeyInput) -> Result<CreatedApiKey, AppError> {
    let mut v = Validator::new();
    let name = v.check("name", crate::domain::validate::name(&input.name));
    let channel = Channel::parse(input.channel.trim());
    if channel.is_none() {
        v.add("channel", td_string!(current().locale, errors.api_keys.channel));
    }
    let program_id = match input.program_id.trim() {
        "" | "0" => None,
        s => match s.parse::<ProgramId>() {
            Ok(id) => Some(id),
            Err(_) => {
                v.add(
                    "program_id",
                    td_string!(current().locale, errors.api_keys.choose_program),
                );
                None
            }
        },
    };
    let mut scopes: Vec<String> = Vec::new();
    for s in &input.scopes {
        if !SCOPES.iter().any(|(k, _)| k == s) {
            v.add(
                "scopes",
                td_string!(
                    current().locale,
                    errors.api_keys.unknown_scope,
                    scope = format!("{s:?}")
                )
                .to_string(),
            );
        } else if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    if input.scopes.is_empty() {
        v.add("scopes", td_string!(current().locale, errors.api_keys.one_scope));
    }
    let rate = if input.rate_per_sec.trim().is_empty() {
        Some(DEFAULT_RATE_PER_SEC)
    } else {
        v.check(
            "rate_per_sec",
            crate::domain::validate::integer(&input.rate_per_sec, 1, MAX_RATE_PER_SEC),
        )
    };
    v.finish()?;
    if let Some(id) = program_id {
        crate::server::store::programs::get(db, id).await.map_err(|_| {
            AppError::field(
                "program_id",
                td_string!(current().locale, errors.api_keys.choose_program),
            )
        })?;
    }
    let prefix = format!("olk_{}", random_hex(6));
    let secret = format!("{prefix}_{}", random_hex(24));
    let now = db.now();
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_keys (name, channel, program_id, scopes, prefix, secret_hash, rate_per_sec, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(name.unwrap_or_default())
    .bind(channel.map(|c| c.as_str()).unwrap_or_default())
    .bind(program_id)
    .bind(scopes.join(" "))
    .bind(&prefix)
    .bind(hash(&secret))
    .bind(rate.unwrap_or(DEFAULT_RATE_PER_SEC))
    .bind(created_by)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let key = get(db, id).await?;
    tracing::info!(key_id = id, prefix = %key.prefix, "API key created");
    Ok(CreatedApiKey { key, secret })
}

pub async fn get(db: &Db, id: i64) -> Result<ApiKeyView, AppError> {
    let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AppError::not_found(td_string!(current().locale, errors.what.api_key)))?;
    Ok(row.view())
}

pub async fn list(db: &Db) -> Result<Vec<ApiKeyView>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Listed {
        #[sqlx(flatten)]
        row: Row,
        program_name: Option<String>,
    }
    let rows: Vec<Listed> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, (SELECT p.name FROM programs p WHERE p.id = api_keys.program_id) AS program_name \
         FROM api_keys ORDER BY id DESC"
    ))
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|l| ApiKeyView {
            program_name: l.program_name,
            ..l.row.view()
        })
        .collect())
}

/// Revokes a key at once; requests with it are refused from the next one on.
#[tracing::instrument(skip(db), err(level = "debug"))]
pub async fn revoke(db: &Db, id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let n = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(db.now().0)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::not_found(td_string!(
            current().locale,
            errors.what.active_api_key
        )));
    }
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Presented {
    #[sqlx(flatten)]
    row: Row,
    epoch: i64,
}

/// The active key a presented secret belongs to, with the setup epoch read in the same
/// statement (the request's bookings use it instead of reading it again). The prefix finds
/// the row; the hash comparison is constant-time so response timing says nothing about the
/// secret.
pub async fn authenticate(db: &Db, presented: &str) -> Result<Option<(ApiKey, Epoch)>, AppError> {
    let Some(prefix) = presented.rsplit_once('_').map(|(p, _)| p) else {
        return Ok(None);
    };
    if !prefix.starts_with("olk_") || prefix.len() > 32 {
        return Ok(None);
    }
    let found: Option<Presented> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {EPOCH_COLUMN} AS epoch FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL"
    ))
    .bind(prefix)
    .fetch_optional(&db.pool)
    .await?;
    let Some(Presented { row, epoch }) = found else {
        return Ok(None);
    };
    let equal: bool = hash(presented)
        .as_bytes()
        .ct_eq(row.secret_hash.as_bytes())
        .into();
    if !equal {
        return Ok(None);
    }
    // "Last used" is for admins spotting dead keys: minute precision, not a write per request.
    let now = db.now();
    if row.last_used_at.is_none_or(|t| now.0 - t >= 60) {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(row.id)
            .execute(&db.pool)
            .await?;
    }
    let Some(channel) = Channel::parse(&row.channel) else {
        return Ok(None);
    };
    let key = ApiKey {
        id: row.id,
        name: row.name,
        channel,
        program_id: row.program_id,
        scopes: row.scopes.split_whitespace().map(str::to_string).collect(),
        rate_per_sec: row.rate_per_sec,
    };
    Ok(Some((key, Epoch(epoch))))
}
