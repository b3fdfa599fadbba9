//! Sign-in for every role. Works as a plain form post before hydration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::auth::Login;
use crate::components::field::{Field, FormNotice};

#[component]
pub fn LoginPage() -> impl IntoView {
    // Made here, inside the routes, so a failed no-JavaScript post shows its error.
    let login = ServerAction::<Login>::new();
    let pending = login.pending();
    let none = Signal::derive(|| None::<String>);
    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <ActionForm action=login>
                <FormNotice result=login.value() />
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
