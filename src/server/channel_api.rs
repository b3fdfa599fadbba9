//! The versioned channel API under `/api/v1`: JSON over HTTP for tills, web shops and apps,
//! authenticated with API keys. Routes and the OpenAPI document come from the same
//! `OpenApiRouter`, so the document served at `/api/v1/openapi.json` cannot drift from what
//! is mounted.

pub mod auth;
pub mod campaigns;
pub mod consents;
pub mod devices;
pub mod error;
pub mod handlers;
pub mod idempotency;
pub mod members;
pub mod rewards;
pub mod segments;
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
    let (router, mut doc) = OpenApiRouter::with_openapi(doc)
        .routes(routes!(handlers::lookup_member, members::update_profile))
        .routes(routes!(members::history))
        .routes(routes!(members::enrol))
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
        .routes(routes!(segments::list))
        .routes(routes!(segments::of_member))
        .routes(routes!(campaigns::offers))
        .routes(routes!(campaigns::claim))
        .routes(routes!(consents::read, consents::update))
        .routes(routes!(devices::list, devices::register))
        .routes(routes!(devices::remove))
        .split_for_parts();
    document_common_answers(&mut doc);
    (router, doc)
}

/// Adds to every operation the answers its extractors give whatever the handler does, so
/// the document lists every status the server can send (a generated client, or a fuzzer,
/// meets no undocumented one): the key (`Caller`: 401, 403, 429), the path (`not_found`, and
/// `validation` for control characters), a JSON body (`ApiJson`: 400, 413, 415, 422) and
/// the Idempotency-Key (`idempotency`: 400 for a malformed or missing one, 409 while the
/// first request with it runs). An operation's own description of a status is kept.
fn document_common_answers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new().description(description).content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.patch.as_mut(),
            item.delete.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            let has_body = op.request_body.is_some();
            let keyed = op
                .parameters
                .iter()
                .flatten()
                .any(|p| p.name.eq_ignore_ascii_case(idempotency::HEADER));
            let mut answers: Vec<(&str, utoipa::openapi::Response)> = vec![
                ("401", error("`unauthenticated`: no valid API key.").build()),
                (
                    "403",
                    error("`forbidden`: the key lacks the scope, or is bound to another program.").build(),
                ),
                (
                    "404",
                    error("`not_found`: no such member, program or record (for this key).").build(),
                ),
                (
                    "422",
                    error("`validation` (with `fields`), or `invalid_body` (JSON of another shape).").build(),
                ),
                (
                    "429",
                    error("`rate_limited`: the key's rate was exceeded; retry after `Retry-After` seconds.")
                        .header(
                            "Retry-After",
                            HeaderBuilder::new()
                                .schema(utoipa::openapi::schema::Object::with_type(
                                    utoipa::openapi::schema::Type::Integer,
                                ))
                                .description(Some("Seconds to wait"))
                                .build(),
                        )
                        .build(),
                ),
            ];
            answers.push((
                "400",
                error(
                    "`request` (a path parameter of the wrong type), `malformed_json` (not JSON), \
                     `invalid_idempotency_key` (not 1 to 255 visible ASCII characters) or \
                     `idempotency_key_required`.",
                )
                .build(),
            ));
            if has_body {
                answers.push(("413", error("`payload_too_large`.").build()));
                answers.push((
                    "415",
                    error("`unsupported_media_type`: send the body as application/json.").build(),
                ));
            }
            if keyed {
                answers.push((
                    "409",
                    error(
                        "`idempotency_in_progress` (the first request with this key still runs) or \
                         `try_again`.",
                    )
                    .build(),
                ));
            }
            for (status, response) in answers {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| response.into());
            }
        }
    }
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
