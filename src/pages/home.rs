//! The landing page and the not-found page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::nav::AuthContext;

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = AuthContext::get();
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"One loyalty program, every channel"</h1>
            <p class="lead">
                "Members earn in the store, see it online and redeem in the app. Every point is accounted for exactly once."
            </p>
            <Transition fallback=|| ()>
                {move || {
                    auth.user
                        .get()
                        .map(|u| match u.ok().flatten() {
                            Some(user) => {
                                view! {
                                    <p>
                                        <A href=user.role.home() attr:class="button">
                                            {format!("Continue as {}", user.display_name)}
                                        </A>
                                    </p>
                                }
                                    .into_any()
                            }
                            None => {
                                view! {
                                    <p class="actions">
                                        <A href="/signup" attr:class="button">"Join as a member"</A>
                                        <A href="/login" attr:class="button ghost">"Sign in"</A>
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
        <section class="surfaces-grid" aria-label="What Omniloyal does">
            <article class="card">
                <h2>"Manage"</h2>
                <p>"Program managers set the point currency, its value, tiers and earning."</p>
            </article>
            <article class="card">
                <h2>"Desk"</h2>
                <p>"Store staff find a member by email, phone or card and record purchases."</p>
            </article>
            <article class="card">
                <h2>"Portal"</h2>
                <p>"Members see their balance, tier progress and every entry of their history."</p>
            </article>
            <article class="card">
                <h2>"Insights"</h2>
                <p>"Executives follow enrollments and points issued, day by day."</p>
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
    view! {
        <Title text="Not found" />
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <A href="/">"Go to the start page"</A>
        </section>
    }
}
