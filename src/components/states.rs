//! Loading, empty and error states, the same everywhere.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::lang::use_lang;
use crate::error::AppError;
use crate::i18n::{td, td_string};

/// `what` is in the page's language ("stores": pass `td_string!(lang.locale, ...)`).
#[component]
pub fn Loading(#[prop(optional)] what: Option<&'static str>) -> impl IntoView {
    let lang = use_lang();
    let text = match what {
        Some(what) => td_string!(lang.locale, errors.state.loading, what = what).to_string(),
        None => td_string!(lang.locale, errors.state.loading_anything).to_string(),
    };
    view! {
        <p class="state loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {text}
        </p>
    }
}

#[component]
pub fn Empty(children: Children) -> impl IntoView {
    view! { <div class="state empty">{children()}</div> }
}

/// An error in place of content. Signed-out visitors get a way to sign in; a wrong role is
/// told plainly.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    // A page whose content is this error answers with its status (a missing program is a 404,
    // not a 200 that says so); other errors leave the status to the page.
    #[cfg(feature = "ssr")]
    if matches!(
        error,
        AppError::Unauthenticated | AppError::Forbidden | AppError::NotFound { .. }
    ) {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(error.status_code()) {
                res.set_status(status);
            }
        }
    }
    let lang = use_lang();
    let action = match &error {
        AppError::Unauthenticated => Some(view! {
            <A href="/login" attr:class="button">{td!(lang.locale, errors.state.sign_in)}</A>
        }),
        _ => None,
    };
    view! {
        <div class="state error" role="alert">
            <p>{error.message(lang)}</p>
            {action}
        </div>
    }
}

/// Renders `Ok` with `ok`, `Err` with the error notice.
pub fn or_error<T, V: IntoView + 'static>(result: Result<T, AppError>, ok: impl FnOnce(T) -> V) -> AnyView {
    match result {
        Ok(v) => ok(v).into_any(),
        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
    }
}

/// A resource's content: the loading state until its first answer (the content stays while
/// it reloads), then `view` of its value, or the error notice in its place.
#[component]
pub fn Loaded<T, F, V>(
    /// What is loading, for the loading state ("stores"), in the page's language.
    what: &'static str,
    resource: Resource<Result<T, AppError>>,
    view: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=move || view! { <Loading what /> }>
            {move || resource.get().map(|r| or_error(r, view.clone()))}
        </Transition>
    }
}
