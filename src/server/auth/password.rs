//! argon2id password hashing. Hashing costs ~20-50 ms of CPU and 19 MiB of memory by design,
//! so it runs on the blocking pool, never on the async worker threads that serve other
//! requests, and only a few at a time: a flood of sign-ins queues instead of exhausting memory.

use std::sync::{Arc, OnceLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::AppError;

/// A slot for one argon2 computation; two per core.
async fn slot() -> Result<OwnedSemaphorePermit, AppError> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Arc::new(Semaphore::new(cores * 2))
    });
    slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| AppError::Internal)
}

/// Hashes `password` with argon2id (the crate's default: v19, m=19 MiB, t=2, p=1).
pub async fn hash(password: String) -> Result<String, AppError> {
    let permit = slot().await?;
    // The permit moves into the blocking task: it is held until the hashing is really done,
    // even if the request that asked for it has gone away.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        hash_blocking(&password)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        AppError::Internal
    })?
}

pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

/// Checks `password` against `stored`. With no stored hash (unknown account) it verifies
/// against a dummy hash anyway, so the answer takes as long and reveals nothing.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let Ok(permit) = slot().await else { return false };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| dummy_hash().to_string());
        let ok = PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && known
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("not a real password, only for timing").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(h)).await);
        assert!(!verify("anything at all".into(), None).await);
    }
}
