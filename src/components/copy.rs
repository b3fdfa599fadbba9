//! A button that copies a value (an API key, a signing secret) to the clipboard and says so.

use leptos::prelude::*;

use crate::components::lang::use_lang;
use crate::i18n::{td, td_string};

#[component]
pub fn CopyButton(
    /// What is copied.
    text: String,
    /// The button's accessible name, in the page's language ("Copy the key").
    label: &'static str,
) -> impl IntoView {
    let l = use_lang().locale;
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let promise = window.navigator().clipboard().write_text(&text);
            leptos::task::spawn_local(async move {
                copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button type="button" class="button ghost" on:click=copy aria-label=label>
            {td!(l, common.copy)}
        </button>
        <span role="status" aria-live="polite" class="muted">
            {move || copied.get().then_some(td_string!(l, common.copied))}
        </span>
    }
}
