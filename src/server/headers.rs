//! Security headers. Pages carry a Content-Security-Policy with the nonce Leptos puts on its
//! hydration scripts (a new one per response), so no other script can run; every response
//! carries a Permissions-Policy that turns off what the product never uses; anything but
//! the built assets is `Cache-Control: no-store`, since pages, server functions and the
//! channel API answer with members' personal data.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// What the browser may do on our pages: scripts only with this response's nonce (and what
/// they load, `strict-dynamic`: the WASM glue), WebAssembly, our own styles and images
/// (server-drawn SVG charts may style their elements), requests to ourselves only, no
/// framing, no plugins, forms posting to ourselves.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(n) => format!("'nonce-{n}' 'strict-dynamic' 'wasm-unsafe-eval'"),
        None => "'none'".to_string(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; style-src-attr 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// Powerful browser features no page of ours uses.
pub const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), browsing-topics=()";

/// Called while a page renders (its request's context): sets the page's policy with the
/// nonce Leptos generated for it.
pub fn for_page() {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce();
    if let Ok(value) = HeaderValue::from_str(&content_security_policy(nonce.as_deref())) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Whether a path is a built asset (the same for every visitor, safe to cache).
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg"
}

/// Adds the headers every response carries. An HTML answer that was not rendered as a page
/// (a fallback) gets a policy with no scripts at all.
pub async fn every_response(request: Request, next: Next) -> Response {
    let asset = is_asset(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    if !asset && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&content_security_policy(None)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_need_the_nonce() {
        let p = content_security_policy(Some("abc"));
        assert!(p.contains("script-src 'nonce-abc' 'strict-dynamic' 'wasm-unsafe-eval';"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!p.contains(" 'unsafe-eval'"), "only wasm-unsafe-eval");
        assert!(content_security_policy(None).contains("script-src 'none'"));
        assert!(is_asset("/pkg/omniloyal.wasm"));
        assert!(!is_asset("/portal"));
    }
}
