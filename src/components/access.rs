//! Pages for one role: anyone else gets a page that says so, with the status to match (401
//! signed out, 403 wrong role) and none of the page's forms. The server functions refuse them
//! anyway; this is what they see.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::nav::AuthContext;
use crate::components::states::{ErrorNotice, Loading};
use crate::error::AppError;
use crate::model::user::Role;

/// Draws `children` for a signed-in user whose role `allow` accepts. Reads the app's one
/// user resource (made before the routes, so the server and the browser number their
/// hydration data alike: a resource of its own here put them out of step on some pages).
#[component]
pub fn Gate(
    allow: fn(Role) -> bool,
    /// Draws nothing instead of the refusal (a layout's frame, whose page says it).
    #[prop(optional)]
    quiet: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let auth = AuthContext::get();
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || {
                auth.user.get().map(|user| match user {
                    Ok(Some(user)) if allow(user.role) => children().into_any(),
                    _ if quiet => ().into_any(),
                    Ok(Some(_)) => view! { <Denied error=AppError::Forbidden /> }.into_any(),
                    Ok(None) => view! { <Denied error=AppError::Unauthenticated /> }.into_any(),
                    Err(error) => view! { <Denied error /> }.into_any(),
                })
            }}
        </Transition>
    }
}

#[component]
fn Denied(error: AppError) -> impl IntoView {
    let (title, heading) = match error {
        AppError::Unauthenticated => ("Sign in", "Please sign in"),
        AppError::Forbidden => ("No access", "This page is not for your account"),
        _ => ("Error", "Something went wrong"),
    };
    let home = matches!(error, AppError::Forbidden).then(|| view! { <A href="/">"Go to the start page"</A> });
    view! {
        <Title text=title />
        <section class="card narrow">
            <h1>{heading}</h1>
            <ErrorNotice error />
            <p>{home}</p>
        </section>
    }
}
