//! `form_action`: a server action that also knows what its form's last plain post did.
//! Pages create their actions with it so a form works the same with and without
//! JavaScript: after a plain post the page is rendered again on the server with the
//! action's value set, and shows the success notice, the receipt or the new code as it would
//! after a call from the browser. The server keeps the outcome for one page view
//! (`server::outcome`).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The cookie that carries a form post's outcome to the next page.
pub const COOKIE_NAME: &str = "omniloyal_outcome";

/// `ServerAction::new()`, with the value of a plain post to the same function put in.
pub fn form_action<S>() -> ServerAction<S>
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: serde::de::DeserializeOwned + Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    #[cfg(feature = "ssr")]
    if let Some(output) = carried::<S::Output>(S::PATH) {
        action.value().set(Some(Ok(output)));
    }
    action
}

/// The output carried for the server function at `path`, if this page's request has one.
#[cfg(feature = "ssr")]
fn carried<T: serde::de::DeserializeOwned>(path: &str) -> Option<T> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|c| c.name() == COOKIE_NAME)
        .find_map(|c| {
            let (from, body) = decode(c.value())?;
            (from == path)
                .then(|| serde_json::from_slice(&body).ok())
                .flatten()
        })
}

/// The cookie value for `body` answered by the function at `path`: both, base64url.
#[cfg(feature = "ssr")]
pub fn encode(path: &str, body: &[u8]) -> String {
    use base64::Engine;
    let mut raw = Vec::with_capacity(path.len() + 1 + body.len());
    raw.extend_from_slice(path.as_bytes());
    raw.push(b'\n');
    raw.extend_from_slice(body);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// The path and body in a cookie value written by `encode`.
#[cfg(feature = "ssr")]
pub fn decode(value: &str) -> Option<(String, Vec<u8>)> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(value)
        .ok()?;
    let at = raw.iter().position(|&b| b == b'\n')?;
    Some((
        String::from_utf8(raw[..at].to_vec()).ok()?,
        raw[at + 1..].to_vec(),
    ))
}
