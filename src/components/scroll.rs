//! Bringing what an action just produced into view (a new reward code under its reward, on
//! a long page).

/// Scrolls the first element matching `selector` into view after the next paint (in the
/// browser; nothing on the server).
pub fn scroll_to(selector: &'static str) {
    #[cfg(feature = "hydrate")]
    leptos::prelude::request_animation_frame(move || {
        if let Some(el) = leptos::prelude::document()
            .query_selector(selector)
            .ok()
            .flatten()
        {
            el.scroll_into_view();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = selector;
}
