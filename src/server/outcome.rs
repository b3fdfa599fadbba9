//! What a plain form post did, carried to the page it lands on. Without JavaScript (and on
//! a page sent as islands, whose forms are not hydrated) a form posts to its server function,
//! which answers with a redirect back to the page: a failure rides along in the URL (Leptos'
//! `__err`), but a success would be lost, so the member saw no "Card registered" and staff
//! no receipt. The answer's body (the function's output as JSON) goes into a short-lived
//! HttpOnly cookie instead of the URL, since it can hold a reward code or a new API key,
//! which have no place in browser history or access logs. The next page rendered reads it
//! (`components::outcome::form_action`) and this middleware clears it on that response.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use cookie::{Cookie, SameSite};

use crate::server::state::AppState;

pub use crate::components::outcome::COOKIE_NAME;

/// Longer outputs are not carried (a cookie holds about 4 KB); their page shows the result
/// as it is after the change, without the notice.
const MOST_BYTES: usize = 3000;

/// How long an outcome waits for its page. The redirect is followed at once; this only
/// bounds how long an unread one stays in a browser.
const LIFETIME_SECONDS: i64 = 60;

/// The middleware: keeps the outcome of a successful plain form post to a server function,
/// and clears a carried outcome once a page has been rendered with it.
pub async fn carry(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let referer = request
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let form_post = wants_html
        && request.method() == axum::http::Method::POST
        && path.starts_with("/api/")
        && !path.starts_with(crate::server::channel_api::PREFIX);
    let page_view = wants_html && request.method() == axum::http::Method::GET && carried(&request);
    let (parts, body) = request.into_parts();
    let secure = crate::server::auth::session::secure(&parts, &state.config);
    let response = next.run(Request::from_parts(parts, body)).await;
    if form_post {
        keep(response, &path, referer.as_deref(), secure).await
    } else if page_view {
        let mut response = response;
        if let Ok(v) = HeaderValue::from_str(&cookie(String::new(), 0, secure)) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
        response
    } else {
        response
    }
}

fn carried(request: &Request) -> bool {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .any(|c| c.name() == COOKIE_NAME)
}

/// A redirect back to the form's page after success gets the cookie. Not a failure's
/// (its redirect names `__err`), nor a redirect elsewhere (signing in lands on the surface
/// of the user's role, a new program on its own page): the function chose what comes next.
async fn keep(response: Response, path: &str, referer: Option<&str>, secure: bool) -> Response {
    let page = |url: &str| url.split(['?', '#']).next().unwrap_or_default().to_string();
    let back = matches!(response.status(), StatusCode::FOUND | StatusCode::SEE_OTHER)
        && response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| !l.contains("__err=") && referer.is_some_and(|r| page(r) == page(l)));
    if !back {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Leptos strips an earlier failure's `__err` from the page's address but leaves its `?`.
    if let Some(bare) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.strip_suffix('?'))
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        parts.headers.insert(header::LOCATION, bare);
    }
    let Ok(bytes) = axum::body::to_bytes(body, MOST_BYTES).await else {
        // Longer than a cookie may carry: the redirect alone, as before.
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let value = crate::components::outcome::encode(path, &bytes);
    if value.len() <= MOST_BYTES {
        if let Ok(v) = HeaderValue::from_str(&cookie(value, LIFETIME_SECONDS, secure)) {
            parts.headers.append(header::SET_COOKIE, v);
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn cookie(value: String, seconds: i64, secure: bool) -> String {
    Cookie::build((COOKIE_NAME, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(seconds))
        .build()
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_outcome_reads_back_as_written() {
        let value = crate::components::outcome::encode("/api/link_my_card", br#"{"points":5}"#);
        assert!(value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let (path, body) = crate::components::outcome::decode(&value).unwrap();
        assert_eq!(path, "/api/link_my_card");
        assert_eq!(body, br#"{"points":5}"#);
        assert!(crate::components::outcome::decode("not base64!").is_none());
    }
}
