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
    // Pages are lazy routes (see `app`): hydration waits for the page's chunk, so it is async.
    _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // Marks the page as interactive: end-to-end tests wait for it instead of sleeping.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
