//! Every answer of the channel API that is not a success: JSON with a stable `code`, a
//! human `message` and, for validation, the offending fields. Body extraction errors
//! (wrong content type, malformed JSON, unknown fields, too large) get their own codes.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{AppError, FieldError};

/// The error body, as documented in the OpenAPI schema.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable: `validation`, `not_found`, `insufficient_points`, ...
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<ErrorField>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorField {
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                code: code.into(),
                message: message.into(),
                fields: Vec::new(),
            },
            retry_after_secs: None,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let fields = match &e {
            AppError::Validation { fields, .. } => fields
                .iter()
                .map(|FieldError { field, message }| ErrorField {
                    field: field.clone(),
                    message: message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        // Validation errors say which fields; the API message names the first one.
        let message = match (&e, fields.first()) {
            (AppError::Validation { .. }, Some(f)) => format!("{}: {}", f.field, f.message),
            _ => e.to_string(),
        };
        let retry_after_secs = match e {
            AppError::RateLimited { retry_after_secs } => Some(retry_after_secs),
            AppError::TryAgain { .. } => Some(1),
            _ => None,
        };
        // Validation of an API body is 422: the JSON was well-formed but its values are not.
        let status = if status == StatusCode::BAD_REQUEST && e.code() == "validation" {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            status
        };
        Self {
            status,
            body: ErrorBody {
                code: e.code().to_string(),
                message,
                fields,
            },
            retry_after_secs,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// A JSON request body that keeps its raw bytes (the idempotency fingerprint is taken over
/// exactly what was sent).
pub struct ApiJson<T> {
    pub value: T,
    pub raw: Bytes,
}

/// `ApiJson` for a body that may be left out: no body at all reads as `T::default()`.
pub struct MaybeJson<T>(pub ApiJson<T>);

impl<S, T> FromRequest<S> for MaybeJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if req.headers().contains_key(header::CONTENT_TYPE) {
            return ApiJson::from_request(req, state).await.map(Self);
        }
        let raw = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "request", e.body_text()))?;
        if !raw.is_empty() {
            return Err(not_json());
        }
        Ok(Self(ApiJson {
            value: T::default(),
            raw,
        }))
    }
}

fn not_json() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Send the body as JSON with Content-Type: application/json.",
    )
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(not_json());
        }
        let raw = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "The body is too large.",
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "request", e.body_text())
            }
        })?;
        match serde_json::from_slice::<T>(&raw) {
            Ok(value) => {
                // Control characters in any string are refused, whatever the field (the
                // body is walked for the field's name only when the bytes hint at one).
                let field = crate::domain::text::json_may_hold_refused(&raw)
                    .then(|| serde_json::from_slice::<serde_json::Value>(&raw).unwrap_or_default())
                    .and_then(|tree| crate::domain::text::first_refused_in_json(&tree));
                if let Some(field) = field {
                    return Err(AppError::field(
                        &field,
                        "Remove control characters (such as NUL) from this field.",
                    )
                    .into());
                }
                Ok(Self { value, raw })
            }
            Err(e) if e.is_data() => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("The JSON does not match the expected shape: {e}"),
            )),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("The body is not valid JSON: {e}"),
            )),
        }
    }
}

/// Answers under `/api/v1` that were produced outside the handlers (the body limit, the
/// timeout, an unknown path or method) are rewritten as JSON errors too.
pub async fn json_errors(request: Request, next: axum::middleware::Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/v1/");
    let response = next.run(request).await;
    let status = response.status();
    if !is_api || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "No such endpoint."),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "This endpoint does not take that method."),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "The body is too large."),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "The request took too long. Try again."),
        s if s.is_server_error() => ("internal", "Something went wrong on our side."),
        _ => ("request", "The request could not be handled."),
    };
    ApiError::new(status, code, message).into_response()
}
