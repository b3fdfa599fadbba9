//! The landing page and the not-found page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::lang::use_lang;
use crate::components::nav::AuthContext;
use crate::i18n::{td, td_string};

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = AuthContext::get();
    let l = use_lang().locale;
    view! {
        <Title text="" />
        <section class="hero">
            <h1>{td!(l, auth.home.headline)}</h1>
            <p class="lead">{td!(l, auth.home.lead)}</p>
            <Transition fallback=|| ()>
                {move || {
                    auth.user
                        .get()
                        .map(|u| match u.ok().flatten() {
                            Some(user) => {
                                view! {
                                    <p>
                                        <A href=user.role.home() attr:class="button">
                                            {td_string!(l, auth.home.continue_as, name = user.display_name)}
                                        </A>
                                    </p>
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <p class="actions">
                                        <A href="/signup" attr:class="button">{td!(l, auth.home.join_member)}</A>
                                        <A href="/login" attr:class="button ghost">{td!(l, auth.home.sign_in)}</A>
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
        <section class="surfaces-grid" aria-label=td_string!(l, auth.home.surfaces_label)>
            <article class="card">
                <h2>{td!(l, common.surface.manage)}</h2>
                <p>{td!(l, auth.home.manage_text)}</p>
            </article>
            <article class="card">
                <h2>{td!(l, common.surface.desk)}</h2>
                <p>{td!(l, auth.home.desk_text)}</p>
            </article>
            <article class="card">
                <h2>{td!(l, common.surface.portal)}</h2>
                <p>{td!(l, auth.home.portal_text)}</p>
            </article>
            <article class="card">
                <h2>{td!(l, common.surface.insights)}</h2>
                <p>{td!(l, auth.home.insights_text)}</p>
            </article>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    let l = use_lang().locale;
    view! {
        <Title text=td_string!(l, auth.not_found.title) />
        <section class="card narrow">
            <h1>{td!(l, auth.not_found.heading)}</h1>
            <p>{td!(l, auth.not_found.text)}</p>
            <A href="/">{td!(l, common.go_home)}</A>
        </section>
    }
}
