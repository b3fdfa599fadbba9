//! Omniloyal: an omnichannel loyalty platform. One crate: the server build (`ssr`) serves
//! pages, server functions and the database; the browser build (`hydrate`) makes the same
//! pages interactive.

// A page's view is one deeply nested type; turned into a lazy route's `AnyView` in a release
// build (where components are not type-erased as in debug builds), its layout needs more
// than the default 128 levels of the compiler's query depth.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = page_body() else {
        return;
    };
    if body.has_attribute("data-islands") {
        // A page rendered as islands (the Portal's first load, see `app::shell`): only its
        // islands come alive, hydrated by Leptos' script right after this returns, each in a
        // microtask; the marker waits for them behind a timer.
        leptos::mount::hydrate_islands();
        leptos::prelude::set_timeout(
            move || {
                let _ = body.set_attribute("data-hydrated", "true");
            },
            std::time::Duration::ZERO,
        );
        return;
    }
    // Pages are lazy routes (see `app`): hydration waits for the page's chunk, so it is async.
    _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async move {
        hydrate_app().await;
        // Marks the page as interactive: end-to-end tests wait for it instead of sleeping.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}

/// The whole app, hydrated: a chunk of its own (`cargo leptos build --split`), so a page
/// rendered as islands never downloads the router, the shell or any page. On the server it
/// does nothing but name its chunk among the page's preloads when called (`app::shell` does,
/// for every page that hydrates whole), so the browser fetches it beside the main module.
#[doc(hidden)]
#[leptos::prelude::lazy]
pub async fn hydrate_app() {
    #[cfg(feature = "hydrate")]
    if let Some(body) = page_body() {
        leptos::mount::hydrate_from_async(body, app::App).await.forget();
    }
}

#[cfg(feature = "hydrate")]
fn page_body() -> Option<web_sys::HtmlElement> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
}
