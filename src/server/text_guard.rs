//! Refuses control characters in every text a request carries, at the edge, the same on
//! both backends: a NUL byte cannot be stored in PostgreSQL text (SQLite takes it), and no
//! field of ours has a use for the others. Tabs and line breaks pass (descriptions, codes
//! one per line). Paths and query strings of every request, form bodies of server
//! functions here; JSON bodies of the channel API in its extractor (`channel_api::error`).

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// Whether a character is refused in text fields.
pub fn refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first name whose value holds a refused character, in a `name=value&...` string
/// (a query string or a form body), decoded.
pub fn first_refused_field(encoded: &[u8]) -> Option<String> {
    form_urlencoded::parse(encoded)
        .find(|(k, v)| k.chars().any(refused) || v.chars().any(refused))
        .map(|(k, _)| k.into_owned())
}

/// Whether raw JSON text may hold a refused character in a string: JSON cannot carry one
/// unescaped, so this looks for the escapes that make one (`\u0000`–`\u001f` but tab and
/// line breaks, `\u007f`–`\u009f`, `\b`, `\f`). A byte scan, so a clean body (nearly every
/// one) is not parsed a second time to look.
pub fn json_may_hold_refused(raw: &[u8]) -> bool {
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'\\' {
            i += 1;
            continue;
        }
        match raw.get(i + 1) {
            Some(b'b' | b'f') => return true,
            Some(b'u') => {
                let code = raw
                    .get(i + 2..i + 6)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok());
                if code.and_then(char::from_u32).is_some_and(refused) {
                    return true;
                }
                i += 6;
            }
            _ => i += 2, // an escaped backslash, quote, slash, n, r or t
        }
    }
    false
}

/// The JSON path ("lines[2].sku") of the first string in `value` holding a refused
/// character.
pub fn first_refused_in_json(value: &serde_json::Value) -> Option<String> {
    fn walk(v: &serde_json::Value, path: &str) -> Option<String> {
        match v {
            serde_json::Value::String(s) => s.chars().any(refused).then(|| path.to_string()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item, &format!("{path}[{i}]"))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
                if k.chars().any(refused) {
                    return Some(path.to_string());
                }
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(item, &here)
            }),
            _ => None,
        }
    }
    walk(value, "")
}

fn refusal(path: &str, field: &str) -> Response {
    let message = "Remove control characters (such as NUL) from this field.";
    if path.starts_with(crate::server::channel_api::PREFIX) {
        let e = crate::server::channel_api::error::ApiError::from(AppError::field(field, message));
        return e.into_response();
    }
    (
        StatusCode::BAD_REQUEST,
        axum::Json(AppError::field(field, message)),
    )
        .into_response()
}

/// The middleware: the decoded path and query of every request, and the body of form posts.
pub async fn guard(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let decoded = percent_encoding::percent_decode_str(&path).decode_utf8_lossy();
    if decoded.chars().any(refused) {
        return refusal(&path, "path");
    }
    if let Some(field) = request
        .uri()
        .query()
        .and_then(|q| first_refused_field(q.as_bytes()))
    {
        return refusal(&path, &field);
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
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.").into_response(),
    };
    if let Some(field) = first_refused_field(&bytes) {
        return refusal(&path, &field);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_control_characters_in_forms_and_json() {
        assert_eq!(
            first_refused_field(b"a=1&input%5Bname%5D=x%00y"),
            Some("input[name]".into())
        );
        assert_eq!(first_refused_field(b"a=line%0Abreak&b=tab%09"), None);
        let raw = br#"{"member": "ok", "lines": [{"sku": "A"}, {"sku": "B\u0000"}]}"#;
        assert!(json_may_hold_refused(raw));
        assert!(
            !json_may_hold_refused(br#"{"a": "x\\u0000 \n \t \u00e9 \"q\""}"#),
            "escaped backslash, allowed escapes"
        );
        assert!(json_may_hold_refused(br#"{"a": "\u001B"}"#));
        assert!(json_may_hold_refused(br#"{"a": "\f"}"#));
        let v = serde_json::json!({"member": "ok", "lines": [{"sku": "A"}, {"sku": "B\u{0}"}]});
        assert_eq!(first_refused_in_json(&v), Some("lines[1].sku".into()));
        assert_eq!(
            first_refused_in_json(&serde_json::json!({"reason": "two\nlines"})),
            None
        );
        assert!(refused('\u{7f}') && refused('\u{1b}') && !refused('é'));
    }
}
