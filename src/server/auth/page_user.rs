//! The viewer of a page, found from the session cookie before the page renders and handed to
//! it as a request extension (`PageUser`): the role gates of Manage, the Desk and Insights read
//! it instead of waiting for a resource. Only page views pay for the lookup.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::model::user::PageUser;
use crate::server::state::AppState;
use crate::server::store::sessions;

use super::session;

pub async fn attach(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if is_page_view(&request) {
        let user = match session::token_in(request.headers()) {
            Some(token) => sessions::user_for_token(&state.db, &session::hash_token(&token), state.db.now())
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "page viewer not looked up");
                    None
                }),
            None => None,
        };
        request.extensions_mut().insert(PageUser(user));
    }
    next.run(request).await
}

/// A GET of a page: not the API, a server function, a built asset or the health check.
fn is_page_view(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == http::Method::GET
        && !["/api/", "/pkg/"].iter().any(|p| path.starts_with(p))
        && !matches!(path, "/healthz" | "/favicon.svg")
}
