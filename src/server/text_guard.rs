//! Refuses control characters in every text a request carries, at the edge, the same on
//! both backends: a NUL byte cannot be stored in PostgreSQL text (SQLite takes it), and no
//! field of ours has a use for the others. Tabs and line breaks pass (descriptions, codes
//! one per line). Paths and query strings of every request, form bodies of server
//! functions here; JSON bodies of the channel API in its extractor (`channel_api::error`).

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::text::refused;
use crate::error::AppError;
use crate::i18n::{td_string, Locale};

/// The first name whose value holds a refused character, in a `name=value&...` string
/// (a query string or a form body), decoded.
pub fn first_refused_field(encoded: &[u8]) -> Option<String> {
    form_urlencoded::parse(encoded)
        .find(|(k, v)| k.chars().any(refused) || v.chars().any(refused))
        .map(|(k, _)| k.into_owned())
}

/// The refusal in the request's language (the channel API's in English, as all its answers).
fn refusal(headers: &HeaderMap, path: &str, field: &str) -> Response {
    if path.starts_with(crate::server::channel_api::PREFIX) {
        let message = td_string!(Locale::en, errors.field.control_chars_field);
        let e = crate::server::channel_api::error::ApiError::from(AppError::field(field, message));
        return e.into_response();
    }
    let l = crate::server::lang::chosen(headers).locale;
    (
        StatusCode::BAD_REQUEST,
        axum::Json(AppError::field(
            field,
            td_string!(l, errors.field.control_chars_field),
        )),
    )
        .into_response()
}

/// The middleware: the decoded path and query of every request, and the body of form posts.
pub async fn guard(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let decoded = percent_encoding::percent_decode_str(&path).decode_utf8_lossy();
    if decoded.chars().any(refused) {
        return refusal(request.headers(), &path, "path");
    }
    if let Some(field) = request
        .uri()
        .query()
        .and_then(|q| first_refused_field(q.as_bytes()))
    {
        return refusal(request.headers(), &path, &field);
    }
    // Server functions read their body as a form whatever Content-Type says, so theirs is
    // always looked at; elsewhere, form bodies (any spelling of the media type).
    let server_function = path.starts_with("/api/") && !path.starts_with(crate::server::channel_api::PREFIX);
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !(form || server_function) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // The body limit layer outside this one bounds what is read here.
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => {
            let l = crate::server::lang::chosen(&parts.headers).locale;
            let message = td_string!(l, errors.field.body_too_large);
            return (StatusCode::PAYLOAD_TOO_LARGE, message).into_response();
        }
    };
    if let Some(field) = first_refused_field(&bytes) {
        return refusal(&parts.headers, &path, &field);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_control_characters_in_forms() {
        assert_eq!(
            first_refused_field(b"a=1&input%5Bname%5D=x%00y"),
            Some("input[name]".into())
        );
        assert_eq!(first_refused_field(b"a=line%0Abreak&b=tab%09"), None);
    }
}
