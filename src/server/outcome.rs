//! What a plain form post did, carried to the page it lands on. Without JavaScript (and on
//! a page sent as islands, whose forms are not hydrated) a form posts to its server function,
//! which answers with a redirect back to the page: a failure rides along in the URL (Leptos'
//! `__err`), but a success would be lost, so the member saw no "Card registered" and staff
//! no receipt. The answer's body (the function's output as JSON) goes into a short-lived
//! HttpOnly cookie instead of the URL, since it can hold a reward code or a new API key,
//! which have no place in browser history or access logs.
//!
//! The cookie is sealed (HMAC-SHA256 with a key this process drew at start) over the
//! session it was made in, the page it returns to and when: a cookie planted by a
//! neighbouring host, read after sign-out by the next person at the same browser, or meant
//! for another tab's page is not shown. The page it was made for takes it (the verified
//! outcome becomes a request extension that `components::outcome::form_action` reads) and
//! the response clears it. A restart, or a second server behind a load balancer, loses an
//! outcome in flight: the page then shows the result without the notice, as before.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::components::outcome::Carried;
use crate::server::auth::session;
use crate::server::config::Config;
use crate::server::db::Db;

pub use crate::components::outcome::COOKIE_NAME;

/// Longer outputs are not carried (a cookie holds about 4 KB); their page shows the result
/// as it is after the change, without the notice.
const MOST_BYTES: usize = 3000;

/// How long an outcome waits for its page. The redirect is followed at once; this only
/// bounds how long an unread one stays in a browser.
const LIFETIME_SECONDS: i64 = 60;

/// What the middleware needs: the seal, the cookie settings, the clock, and where the
/// channel API is (its posts are not forms). Made by `serve::router`; naming the app's state
/// here would make a circle (the state is built from what names this).
pub struct Outcomes {
    seal: Seal,
    config: std::sync::Arc<Config>,
    db: Db,
    api_prefix: &'static str,
}

impl Outcomes {
    pub fn new(config: std::sync::Arc<Config>, db: Db, api_prefix: &'static str) -> Self {
        Self {
            seal: Seal::default(),
            config,
            db,
            api_prefix,
        }
    }
}

/// The key outcomes are sealed with, drawn when the server starts.
struct Seal([u8; 32]);

impl Default for Seal {
    fn default() -> Self {
        Self(rand::random())
    }
}

/// What the cookie holds, before sealing.
#[derive(Serialize, Deserialize)]
struct Sealed {
    /// The server function's path.
    f: String,
    /// The page (path and query) it returns to.
    t: String,
    /// When, in Unix seconds.
    at: i64,
    /// The output, as the function answered it (JSON).
    b: String,
}

impl Seal {
    fn mac(&self, session: Option<&str>, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        let session = session.map(session::hash_token).unwrap_or_default();
        mac.update(session.as_bytes());
        mac.update(b"\n");
        mac.update(payload);
        mac
    }

    fn seal(&self, session: Option<&str>, sealed: &Sealed) -> String {
        let payload = serde_json::to_vec(sealed).unwrap_or_default();
        let tag = self.mac(session, &payload).finalize().into_bytes();
        format!("{}.{}", B64.encode(&payload), B64.encode(tag))
    }

    fn open(&self, session: Option<&str>, value: &str) -> Option<Sealed> {
        let (payload, tag) = value.split_once('.')?;
        let (payload, tag) = (B64.decode(payload).ok()?, B64.decode(tag).ok()?);
        self.mac(session, &payload).verify_slice(&tag).ok()?;
        serde_json::from_slice(&payload).ok()
    }
}

/// The middleware: keeps the outcome of a successful plain form post to a server function,
/// and hands a carried outcome over to the page it was made for.
pub async fn carry(State(state): State<std::sync::Arc<Outcomes>>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let wants_html = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let path = parts.uri.path().to_string();
    let form_post = wants_html
        && parts.method == axum::http::Method::POST
        && path.starts_with("/api/")
        && !path.starts_with(state.api_prefix);
    let page_view = wants_html && parts.method == axum::http::Method::GET;
    // Everything else (the channel API, assets, the hydrated app's calls) passes untouched.
    let carried: Vec<String> = if page_view {
        session::cookie_values(&parts.headers, COOKIE_NAME).collect()
    } else {
        Vec::new()
    };
    if !form_post && carried.is_empty() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let secure = session::secure(&parts, &state.config);
    let token = session::token_from(&parts);
    let now = state.db.now().0;
    if form_post {
        let referer = parts
            .headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let response = next.run(Request::from_parts(parts, body)).await;
        let keep = Keep {
            seal: &state.seal,
            session: token.as_deref(),
            function: &path,
            referer: referer.as_deref(),
            now,
            secure,
        };
        return keep.on(response).await;
    }
    // Cleared once its page took it, or when it is stale or not ours (another session,
    // another key, forged) and no other tab's page is still to take one.
    let (mut taken, mut stale, mut waiting) = (false, false, false);
    let here = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    for value in carried {
        match state.seal.open(token.as_deref(), &value) {
            Some(s) if (now - s.at) > LIFETIME_SECONDS => stale = true,
            Some(s) if s.t == here => {
                parts.extensions.insert(Carried {
                    path: s.f,
                    body: s.b.into_bytes(),
                });
                taken = true;
            }
            Some(_) => waiting = true,
            None => stale = true,
        }
    }
    let spent = taken || (stale && !waiting);
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if spent {
        if let Ok(v) = HeaderValue::from_str(&session::lax_cookie(COOKIE_NAME, "", 0, secure)) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// A plain form post's answer, and what sealing its outcome needs.
struct Keep<'a> {
    seal: &'a Seal,
    session: Option<&'a str>,
    function: &'a str,
    referer: Option<&'a str>,
    now: i64,
    secure: bool,
}

impl Keep<'_> {
    /// A redirect back to the form's page after success gets the cookie. Not a failure's
    /// (its redirect names `__err`), nor a redirect elsewhere (signing in lands on the
    /// surface of the user's role, a new program on its own page): the function chose what
    /// comes next.
    async fn on(self, response: Response) -> Response {
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
        let location = parts
            .headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let page = |url: &str| url.split(['?', '#']).next().unwrap_or_default().to_string();
        let back = matches!(parts.status, StatusCode::FOUND | StatusCode::SEE_OTHER)
            && !location.contains("__err=")
            && self.referer.is_some_and(|r| page(r) == page(location));
        if !back {
            return Response::from_parts(parts, body);
        }
        let target = location
            .parse::<axum::http::Uri>()
            .ok()
            .and_then(|u| u.path_and_query().map(|p| p.as_str().to_string()))
            .unwrap_or_default();
        let Ok(bytes) = axum::body::to_bytes(body, MOST_BYTES).await else {
            // Longer than a cookie may carry: the redirect alone, as before.
            return Response::from_parts(parts, axum::body::Body::empty());
        };
        let sealed = Sealed {
            f: self.function.to_string(),
            t: target,
            at: self.now,
            b: String::from_utf8_lossy(&bytes).into_owned(),
        };
        let value = self.seal.seal(self.session, &sealed);
        if value.len() <= MOST_BYTES {
            if let Ok(v) = HeaderValue::from_str(&session::lax_cookie(
                COOKIE_NAME,
                &value,
                LIFETIME_SECONDS,
                self.secure,
            )) {
                parts.headers.append(header::SET_COOKIE, v);
            }
        }
        Response::from_parts(parts, axum::body::Body::from(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sealed {
        Sealed {
            f: "/api/link_my_card".into(),
            t: "/portal".into(),
            at: 100,
            b: r#"{"points":5}"#.into(),
        }
    }

    #[test]
    fn an_outcome_opens_only_with_its_key_and_its_session() {
        let seal = Seal::default();
        let value = seal.seal(Some("token-a"), &sample());
        assert!(value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        let opened = seal.open(Some("token-a"), &value).expect("opens");
        assert_eq!(
            (opened.f.as_str(), opened.t.as_str(), opened.b.as_str()),
            ("/api/link_my_card", "/portal", r#"{"points":5}"#)
        );
        assert!(seal.open(Some("token-b"), &value).is_none(), "another session");
        assert!(seal.open(None, &value).is_none(), "signed out");
        assert!(
            Seal::default().open(Some("token-a"), &value).is_none(),
            "another key"
        );
        // Changing the payload breaks the seal.
        let (payload, tag) = value.split_once('.').unwrap();
        let forged = String::from_utf8(B64.decode(payload).unwrap())
            .unwrap()
            .replace('5', "500");
        let forged = format!("{}.{tag}", B64.encode(forged));
        assert!(seal.open(Some("token-a"), &forged).is_none(), "forged");
        assert!(seal.open(Some("token-a"), "not a cookie").is_none());
    }
}
