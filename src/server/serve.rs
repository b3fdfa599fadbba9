//! The HTTP stack: Leptos pages and server functions, static files, `/healthz`, and the
//! layers every request passes (body limit, compression, security headers, tracing).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::{shell, App};
use crate::server::config::Config;
use crate::server::db::{Backend, Db};
use crate::server::demo;
use crate::server::state::AppState;

/// Longest a request may take before it is answered with 503.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole application as an axum router.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let ctx_state = state.clone();
    let fallback_state = state.clone();
    let outcomes = std::sync::Arc::new(crate::server::outcome::Outcomes::new(
        state.config.clone(),
        state.db.clone(),
        crate::server::channel_api::PREFIX,
    ));
    let shell_options = state.leptos_options.clone();
    let max_body = state.config.max_body_bytes;
    let trust = crate::server::auth::origin::TrustProxy(state.config.trust_proxy);
    let header = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(HeaderName::from_static(name), HeaderValue::from_static(value))
    };
    // The built assets are files, served as such: through leptos_axum's fallback each one
    // ran the page context (`headers::for_page`) in a fresh reactive owner and applied the
    // response headers it found by context, which is no business of a file's.
    let pkg = format!("/{}", state.leptos_options.site_pkg_dir.trim_matches('/'));
    let pkg_files = tower_http::services::ServeDir::new(format!(
        "{}{pkg}",
        state.leptos_options.site_root.trim_end_matches('/')
    ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/lang", axum::routing::post(crate::server::lang::switch))
        .route(
            "/unsubscribe/{token}",
            get(crate::server::unsubscribe::confirm).post(crate::server::unsubscribe::unsubscribe),
        )
        .route(
            "/manage/programs/{program}/segments/{segment}/members.csv",
            get(crate::server::exports::segment_members),
        )
        .nest_service(&pkg, pkg_files)
        .nest(
            crate::server::channel_api::PREFIX,
            crate::server::channel_api::router(),
        )
        .route(
            "/api/{*fn_name}",
            get(server_fn_handler)
                .post(server_fn_handler)
                .layer(axum::middleware::from_fn_with_state(
                    trust,
                    crate::server::auth::origin::require_same_origin,
                )),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(ctx_state.clone());
                crate::server::headers::for_page();
            },
            move || shell(shell_options.clone()),
        )
        // Not-found pages render the shell (with its nonce'd scripts) too: same policy.
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || {
                provide_context(fallback_state.clone());
                crate::server::headers::for_page();
            },
            shell,
        ))
        // Router-wide: leptos_axum also mounts each server function at its own path.
        .layer(axum::middleware::from_fn_with_state(
            trust,
            crate::server::auth::origin::require_same_origin,
        ))
        .layer(axum::middleware::from_fn(server_fn_status))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::server::auth::page_user::attach,
        ))
        .layer(axum::middleware::from_fn(crate::server::lang::attach))
        .layer(axum::middleware::from_fn_with_state(
            outcomes,
            crate::server::outcome::carry,
        ))
        .layer(axum::middleware::from_fn(crate::server::text_guard::guard))
        .layer(RequestBodyLimitLayer::new(max_body))
        // No request may hold a connection forever: a render or query that stalls answers 503.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        // Outside the body limit and the timeout, so their answers under /api/v1 are JSON too.
        .layer(axum::middleware::from_fn(
            crate::server::channel_api::error::json_errors,
        ))
        .layer(axum::middleware::from_fn(crate::server::headers::every_response))
        .layer(CompressionLayer::new())
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("referrer-policy", "same-origin"))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn server_fn_handler(State(state): State<AppState>, request: Request<Body>) -> Response {
    // Unknown channel API paths fall through to this catch-all; answer them as the API would.
    if request
        .uri()
        .path()
        .starts_with(crate::server::channel_api::PREFIX)
    {
        return crate::server::channel_api::error::ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such endpoint.",
        )
        .into_response();
    }
    handle_server_fns_with_context(move || provide_context(state.clone()), request)
        .await
        .into_response()
}

/// Middleware for server functions (every path under `/api/` but the channel API's,
/// however leptos_axum mounts them): `status_from_error`.
async fn server_fn_status(request: Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path();
    let server_fn = path.starts_with("/api/") && !path.starts_with(crate::server::channel_api::PREFIX);
    let response = next.run(request).await;
    if server_fn {
        status_from_error(response).await
    } else {
        response
    }
}

/// A server function's error answer carries the status of its error (401, 403, 404, 400,
/// 409, 429...) instead of the 500 the server-function layer gives every error. Plain form
/// posts are answered with a redirect carrying the error, which stays as it is.
async fn status_from_error(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(crate::error::AppError::Internal),
        )
            .into_response();
    };
    if let Ok(error) = serde_json::from_slice::<crate::error::AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status_code()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Liveness and database reachability, for load balancers and the test scripts.
async fn healthz(State(state): State<AppState>) -> Response {
    let backend = match state.db.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    match sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(&state.db.pool)
        .await
    {
        Ok(_) => Json(serde_json::json!({ "status": "ok", "database": backend })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check could not reach the database");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "database": backend })),
            )
                .into_response()
        }
    }
}

/// Connects, migrates, loads the demo if asked, and serves until Ctrl-C / SIGTERM.
pub async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let conf = get_configuration(None)?;
    let leptos_options = conf.leptos_options;
    let addr: SocketAddr = leptos_options.site_addr;
    let db = Db::connect(&config.database_url).await?;
    tracing::info!(backend = ?db.backend, "database ready, migrations applied");
    let indexed = crate::server::service::names::backfill(&db).await?;
    if indexed > 0 {
        tracing::info!(members = indexed, "member names indexed for the Desk's search");
    }
    if config.demo {
        if demo::seed_if_empty(&db).await? {
            tracing::info!("demo brand loaded");
        }
        println!("{}", demo::banner(&addr.to_string()));
    } else if crate::server::store::users::count(&db).await? == 0 {
        println!("No accounts yet. Create the first admin with:\n  omniloyal create-admin --email you@example.com --name \"Your Name\"");
    }
    crate::server::jobs::spawn_ticker(db.clone(), std::time::Duration::from_secs(60), config.retention);
    let allow_private = config.webhooks_allow_private;
    crate::server::webhooks::spawn_worker(db.clone(), std::time::Duration::from_secs(2), allow_private);
    let adapters =
        crate::server::outbox::adapters::Adapters::new(&config.messaging, config.public_url(&addr))?;
    if config.messaging.smtp_url.is_some() && config.messaging.public_url.is_none() {
        tracing::warn!(
            "OMNILOYAL_SMTP_URL is set but OMNILOYAL_PUBLIC_URL is not: links in emails point at {}",
            config.public_url(&addr)
        );
    }
    if adapters.keeps_mail() {
        println!("No SMTP server is set: emails stay in the development mailbox (Manage → Mailbox).");
    }
    crate::server::outbox::messages::spawn_worker(db.clone(), std::time::Duration::from_secs(2), adapters);
    crate::server::service::journeys::spawn_worker(
        db.clone(),
        std::time::Duration::from_secs(15),
        config.public_url(&addr),
    );
    crate::server::service::campaigns::spawn_announcer(
        db.clone(),
        std::time::Duration::from_secs(15),
        config.public_url(&addr),
    );
    crate::server::service::rollups::spawn_worker(db.clone(), std::time::Duration::from_secs(2));
    crate::server::service::segments::spawn_worker(db.clone(), std::time::Duration::from_secs(10));
    crate::server::service::customer_value::spawn_daily(db.clone());
    let state = AppState::new(leptos_options, db, config);
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{addr}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
