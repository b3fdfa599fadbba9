//! `form_action`: a server action that also knows what its form's last plain post did.
//! Pages create their actions with it so a form works the same with and without
//! JavaScript: after a plain post the page is rendered again on the server with the
//! action's value set, and shows the success notice, the receipt or the new code as it would
//! after a call from the browser. The server hands over the outcome for one page view, when
//! it was sealed for this session and this page (`server::outcome`); the value also goes
//! into the page's hydration data, so a page that hydrates after such a post (a form sent
//! before the page's code arrived) draws the same thing in the browser.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The cookie that carries a form post's outcome to the next page.
pub const COOKIE_NAME: &str = "omniloyal_outcome";

/// An outcome verified by the server for the page being rendered (a request extension):
/// the server function's path and its output, as JSON.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct Carried {
    pub path: String,
    pub body: Vec<u8>,
}

/// `ServerAction::new()`, with the output of a plain post to the same function put in.
pub fn form_action<S>() -> ServerAction<S>
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    form_action_for::<S>(|_| true)
}

/// `form_action` for one of several forms calling the same function on a page (a row of a
/// list): it takes the carried output only when `mine` says it is its own, so one row's
/// save is not reported on every row.
pub fn form_action_for<S>(mine: impl Fn(&S::Output) -> bool) -> ServerAction<S>
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    // Always made, in the same order on both sides: the hydration data is read by position.
    let carried = SharedValue::new(|| carried::<S::Output>(S::PATH).filter(|o| mine(o))).into_inner();
    if let Some(output) = carried {
        action.value().set(Some(Ok(output)));
    }
    action
}

/// The output handed over for the server function at `path`, if this page's request has it.
#[cfg(feature = "ssr")]
fn carried<T: serde::de::DeserializeOwned>(path: &str) -> Option<T> {
    let parts = use_context::<http::request::Parts>()?;
    let carried = parts.extensions.get::<Carried>()?;
    (carried.path == path)
        .then(|| serde_json::from_slice(&carried.body).ok())
        .flatten()
}

/// In the browser nothing is carried but what the server put in the hydration data.
#[cfg(not(feature = "ssr"))]
fn carried<T>(_path: &str) -> Option<T> {
    None
}
