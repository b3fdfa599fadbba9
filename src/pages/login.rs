//! Sign-in for every role. Works as a plain form post before hydration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::field::{Field, FormNotice};
use crate::components::nav::AuthContext;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = AuthContext::get();
    let pending = auth.login.pending();
    let none = Signal::derive(|| None::<String>);
    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=auth.login>
                <FormNotice result=auth.login.value() />
                <Field label="Email" name="email" kind="email" autocomplete="username" required=true error=none />
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    error=none
                />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="muted">"New member? " <A href="/signup">"Create an account"</A></p>
        </section>
    }
}
