//! Pages for one role: anyone else gets a page that says so, with the status to match (401
//! signed out, 403 wrong role) and none of the page's forms. The server functions refuse them
//! anyway; this is what they see.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::lang::use_lang;
#[cfg(not(feature = "ssr"))]
use crate::components::nav::AuthContext;
use crate::components::states::ErrorNotice;
use crate::error::AppError;
use crate::i18n::{td, td_string};
#[cfg(feature = "ssr")]
use crate::model::user::PageUser;
use crate::model::user::Role;

/// Draws `children` for a signed-in user whose role `allow` accepts. Decided at once, with
/// no suspense: on the server from the page's viewer (looked up before the page renders,
/// `server::auth::page_user`), handed to the browser with the page; in the browser, on a
/// later navigation, from the user the header already has (the server functions refuse a
/// wrong role anyway). A suspense of its own here put the hydration data of the pages
/// inside it out of step with the browser's now and then.
#[component]
pub fn Gate(allow: fn(Role) -> bool, children: ChildrenFn) -> impl IntoView {
    let refusal = SharedValue::new(move || refusal(allow)).into_inner();
    match refusal {
        None => children().into_any(),
        Some(error) => view! { <Denied error /> }.into_any(),
    }
}

/// Why this viewer may not see the page, if they may not.
fn refusal(allow: fn(Role) -> bool) -> Option<AppError> {
    #[cfg(feature = "ssr")]
    let viewer = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageUser>().cloned())
        .map(|PageUser(user)| user);
    #[cfg(not(feature = "ssr"))]
    let viewer = use_context::<AuthContext>()
        .and_then(|auth| auth.user.get_untracked())
        .and_then(Result::ok);
    match viewer {
        Some(Some(user)) if allow(user.role) => None,
        Some(Some(_)) => Some(AppError::Forbidden),
        Some(None) => Some(AppError::Unauthenticated),
        // Not known yet (a page not rendered from a request): the page's own server
        // functions answer for it.
        None => None,
    }
}

#[component]
fn Denied(error: AppError) -> impl IntoView {
    let l = use_lang().locale;
    let (title, heading) = match error {
        AppError::Unauthenticated => (
            td_string!(l, common.access.sign_in_title),
            td_string!(l, common.access.sign_in_heading),
        ),
        AppError::Forbidden => (
            td_string!(l, common.access.no_access_title),
            td_string!(l, common.access.no_access_heading),
        ),
        _ => (
            td_string!(l, common.access.error_title),
            td_string!(l, common.access.error_heading),
        ),
    };
    let home =
        matches!(error, AppError::Forbidden).then(|| view! { <A href="/">{td!(l, common.go_home)}</A> });
    view! {
        <Title text=title />
        <section class="card narrow">
            <h1>{heading}</h1>
            <ErrorNotice error />
            <p>{home}</p>
        </section>
    }
}
