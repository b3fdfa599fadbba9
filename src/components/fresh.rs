//! `KeepFresh`: the one island of a page sent as islands (see `app::shell`). Every few
//! seconds it fetches the page again and, when a region of it changed, puts the new
//! server-rendered region in place: the Portal's balance follows a purchase at the till
//! without a reload, and without shipping the Portal's views to the phone. Pages put it in
//! only when sent as islands (`app::rendered_as_islands`): in the whole app their resources
//! refresh them.

use leptos::prelude::*;

#[island]
pub fn KeepFresh(
    /// The id of the element whose contents are kept current.
    region: String,
    /// How often to look, in milliseconds.
    every_ms: u64,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let region = region.clone();
        // One look at a time: on a slow network an older answer must not follow a newer one.
        let looking = std::rc::Rc::new(std::cell::Cell::new(false));
        let look = move || {
            let hidden = web_sys::window()
                .and_then(|w| w.document())
                .is_none_or(|d| d.hidden());
            if hidden || looking.replace(true) {
                return;
            }
            let (region, looking) = (region.clone(), looking.clone());
            leptos::task::spawn_local(async move {
                if let Err(e) = refresh(&region).await {
                    leptos::logging::warn!("could not refresh #{region}: {e:?}");
                }
                looking.set(false);
            });
        };
        if let Ok(handle) = set_interval_with_handle(look, std::time::Duration::from_millis(every_ms)) {
            on_cleanup(move || handle.clear());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (region, every_ms);
    // An island is an element in the page; this one shows nothing.
    view! { <span hidden></span> }
}

/// Fetches this page again and puts the region's new contents in place when they differ. A
/// region holding the focused field or button, or text being selected (a code being
/// copied), is left alone: someone is using it. A session that ended shows its sign-in
/// notice in the region, as a reload would.
#[cfg(feature = "hydrate")]
async fn refresh(region: &str) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{DomParser, Response, SupportedType};

    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let Some(current) = document.get_element_by_id(region) else {
        return Ok(());
    };
    let busy = || {
        let focused = document
            .active_element()
            .is_some_and(|a| a.tag_name() != "BODY" && current.contains(Some(a.unchecked_ref())));
        let selecting = document
            .get_selection()
            .ok()
            .flatten()
            .is_some_and(|s| !s.is_collapsed());
        focused || selecting
    };
    if busy() {
        return Ok(());
    }
    let response: Response = JsFuture::from(window.fetch_with_str(&window.location().href()?))
        .await?
        .dyn_into()?;
    if !response.ok() || response.redirected() {
        return Ok(());
    }
    let html = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let fresh = DomParser::new()?.parse_from_string(&html, SupportedType::TextHtml)?;
    let Some(fresh) = fresh.get_element_by_id(region) else {
        return Ok(());
    };
    let html = fresh.inner_html();
    // Looked at again: the member may have moved into the region while the page came.
    if html != current.inner_html() && !busy() {
        current.set_inner_html(&html);
    }
    Ok(())
}
