//! Sign-in for every role. Works as a plain form post before hydration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::auth::Login;
use crate::components::field::{Field, FormNotice};
use crate::components::lang::use_lang;
use crate::i18n::{td, td_string};

#[component]
pub fn LoginPage() -> impl IntoView {
    // Made here, inside the routes, so a failed no-JavaScript post shows its error.
    let login = ServerAction::<Login>::new();
    let pending = login.pending();
    let none = Signal::derive(|| None::<String>);
    let query = leptos_router::hooks::use_query_map();
    let l = use_lang().locale;
    view! {
        <Title text=td_string!(l, auth.login.title) />
        <section class="card narrow">
            <h1>{td!(l, auth.login.heading)}</h1>
            <Show when=move || query.read().get("reset").is_some()>
                <p class="notice success" role="status">{td!(l, auth.login.reset_done)}</p>
            </Show>
            <Show when=move || query.read().get("email").as_deref() == Some("changed")>
                <p class="notice success" role="status">{td!(l, auth.login.email_changed)}</p>
            </Show>
            <ActionForm action=login>
                <FormNotice result=login.value() />
                <Field
                    label=td_string!(l, auth.login.email)
                    name="email"
                    kind="email"
                    autocomplete="username"
                    required=true
                    error=none
                />
                <Field
                    label=td_string!(l, auth.login.password)
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=none
                />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || {
                        if pending.get() { td_string!(l, auth.login.submitting) } else { td_string!(l, auth.login.submit) }
                    }}
                </button>
            </ActionForm>
            <p class="muted"><A href="/forgot-password">{td!(l, auth.login.forgot)}</A></p>
            <p class="muted">{td!(l, auth.login.new_member)} " " <A href="/signup">{td!(l, auth.login.create_account)}</A></p>
        </section>
    }
}
