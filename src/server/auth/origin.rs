//! Refuses cross-site form posts to server functions. Session cookies are SameSite=Lax, which
//! already keeps them off cross-site POSTs; this also covers the calls that need no cookie,
//! such as sign-in (another site could otherwise sign a visitor into the attacker's account).
//! Browsers send `Origin` on every POST; clients that send none (tills, scripts) pass.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// True when `origin` ("https://shop.example:8443") names the host the request was sent to.
pub fn same_origin(origin: &str, host: &str) -> bool {
    origin
        .split_once("://")
        .map(|(_, authority)| authority.trim_end_matches('/'))
        == Some(host)
}

/// Whether the operator said a proxy sits in front (`OMNILOYAL_TRUST_PROXY`): only then is
/// its `X-Forwarded-Host` the host a browser sent to. Without one, anyone can send that
/// header, so it is ignored.
#[derive(Debug, Clone, Copy)]
pub struct TrustProxy(pub bool);

pub async fn require_same_origin(
    axum::extract::State(TrustProxy(trust_proxy)): axum::extract::State<TrustProxy>,
    request: Request,
    next: Next,
) -> Response {
    // The channel API authenticates with a key in a header, not a cookie: no CSRF to stop.
    let path = request.uri().path();
    // The language switch (`/lang`) is a cookie-setting form post too.
    if request.method() == axum::http::Method::POST
        && ((path.starts_with("/api/") && !path.starts_with("/api/v1/")) || path == "/lang")
    {
        let headers = request.headers();
        let forwarded = headers.get("x-forwarded-host").filter(|_| trust_proxy);
        let host = forwarded
            .or_else(|| headers.get(header::HOST))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            if !same_origin(origin, host) {
                tracing::warn!(origin, host, "cross-site post refused");
                let body = axum::Json(AppError::Forbidden);
                return (StatusCode::FORBIDDEN, body).into_response();
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_scheme_less_authority() {
        assert!(same_origin("http://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(same_origin("https://loyalty.example", "loyalty.example"));
        assert!(!same_origin("https://evil.example", "loyalty.example"));
        assert!(!same_origin(
            "https://loyalty.example.evil.example",
            "loyalty.example"
        ));
        assert!(!same_origin("null", "loyalty.example"));
    }
}
