//! Omniloyal: an omnichannel loyalty platform. One crate: the server build (`ssr`) serves
//! pages, server functions and the database; the browser build (`hydrate`) makes the same
//! pages interactive.

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
    leptos::mount::hydrate_body(app::App);
    // Marks the page as interactive: end-to-end tests wait for it instead of sleeping.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
