//! A channel write as every handler takes it: its JSON body (the raw bytes kept for the
//! Idempotency-Key's fingerprint), its headers and its route, run once per key. Handlers
//! then hold only what is theirs: the scope and program check, the member, the booking.

use std::future::Future;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::server::db::Db;
use crate::server::store::idempotency::{Keyed, Slot};

use super::auth::Caller;
use super::error::{ApiError, ApiJson, MaybeJson};
use super::idempotency::{require_key, run_keyed, run_once};

pub struct Write<T> {
    pub value: T,
    raw: Bytes,
    headers: HeaderMap,
    /// "POST /programs/1/orders": the method and the path inside the API, decoded (the
    /// same request spelt with `%40` or `@` is one request).
    route: String,
}

fn route_of(req: &Request) -> String {
    // The API is nested under its prefix, which axum strips from the URI handlers see.
    let path = percent_encoding::percent_decode_str(req.uri().path()).decode_utf8_lossy();
    format!("{} {path}", req.method())
}

impl<S, T> FromRequest<S> for Write<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (route, headers) = (route_of(&req), req.headers().clone());
        let ApiJson { value, raw } = ApiJson::from_request(req, state).await?;
        Ok(Write {
            value,
            raw,
            headers,
            route,
        })
    }
}

/// `Write` for a body that may be left out: no body at all reads as `T::default()`.
pub struct OptionalWrite<T>(pub Write<T>);

impl<S, T> FromRequest<S> for OptionalWrite<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (route, headers) = (route_of(&req), req.headers().clone());
        let MaybeJson(ApiJson { value, raw }) = MaybeJson::from_request(req, state).await?;
        Ok(OptionalWrite(Write {
            value,
            raw,
            headers,
            route,
        }))
    }
}

impl<T> Write<T> {
    /// Refuses the write unless it carries an Idempotency-Key, saying `why` it needs one
    /// (writes with no id of their own: redemptions, adjustments).
    pub fn needs_key(self, why: &str) -> Result<Self, ApiError> {
        require_key(&self.headers, why)?;
        Ok(self)
    }

    /// Runs `work` on the body at most once per Idempotency-Key; it gets a request id
    /// derived from the key (None without one) for the ledger's own deduplication.
    pub async fn once<F, Fut, R>(self, db: &Db, caller: &Caller, work: F) -> Response
    where
        F: FnOnce(T, Option<String>) -> Fut,
        Fut: Future<Output = Result<(StatusCode, R), ApiError>>,
        R: Serialize,
    {
        let Write {
            value,
            raw,
            headers,
            route,
        } = self;
        run_once(db, &caller.key, &headers, &route, &raw, |request_id| {
            work(value, request_id)
        })
        .await
    }

    /// Runs a booking that claims the key and stores its answer in its own transaction
    /// (`run_keyed`); it may run twice, so it borrows the body.
    pub async fn keyed<'a, F, Fut, R>(&'a self, db: &Db, caller: &Caller, work: F) -> Response
    where
        F: Fn(&'a T, Option<Slot>) -> Fut,
        Fut: Future<Output = Result<Keyed<(StatusCode, R)>, ApiError>>,
        R: Serialize,
    {
        run_keyed(db, &caller.key, &self.headers, &self.route, &self.raw, |slot| {
            work(&self.value, slot)
        })
        .await
    }
}
