//! The versioned channel API under `/api/v1`: JSON over HTTP for tills, web shops and apps,
//! authenticated with API keys. Routes and the OpenAPI document come from the same
//! `OpenApiRouter`, so the document served at `/api/v1/openapi.json` cannot drift from what
//! is mounted.

pub mod auth;
pub mod error;
pub mod handlers;
pub mod idempotency;
pub mod rewards;
pub mod write;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::server::state::AppState;

pub const PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Omniloyal channel API",
        version = "1",
        description = "Record orders, returns and actions, look up members and balances. \
            Authenticate with `Authorization: Bearer <API key>`. Writes accept an `Idempotency-Key` \
            header: a retry with the same key and body returns the first answer and writes nothing. \
            Errors are JSON: `{\"code\": \"...\", \"message\": \"...\", \"fields\": [...]}`."
    ),
    servers((url = "/api/v1")),
    components(schemas(error::ErrorBody, error::ErrorField))
)]
struct ApiDoc;

/// The routes and their OpenAPI document, built together.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut doc = ApiDoc::openapi();
    if let Some(components) = doc.components.as_mut() {
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
    OpenApiRouter::with_openapi(doc)
        .routes(routes!(handlers::lookup_member))
        .routes(routes!(handlers::link_identifier))
        .routes(routes!(handlers::balance))
        .routes(routes!(handlers::record_order))
        .routes(routes!(handlers::record_return))
        .routes(routes!(handlers::record_event))
        .routes(routes!(handlers::evaluate))
        .routes(routes!(handlers::adjust))
        .routes(routes!(rewards::offers))
        .routes(routes!(rewards::redeem))
        .routes(routes!(rewards::confirm))
        .routes(routes!(rewards::release))
        .split_for_parts()
}

/// The API router, mounted at `PREFIX` by the main router.
pub fn router() -> Router<AppState> {
    let (api, doc) = routes();
    let doc = std::sync::Arc::new(doc);
    api.route("/openapi.json", get(move || async move { Json((*doc).clone()) }))
        .fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                "No such endpoint.",
            )
        })
}
