//! Member sign-up on the portal.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::field::{Field, FormNotice, field_error};
use crate::components::nav::AuthContext;
use crate::domain::validate::MIN_PASSWORD_CHARS;

#[component]
pub fn SignupPage() -> impl IntoView {
    let auth = AuthContext::get();
    let value = auth.signup.value();
    let pending = auth.signup.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <Title text="Join" />
        <section class="card narrow">
            <h1>"Join the program"</h1>
            <p class="muted">"Earn points in store, online and in the app, all on one account."</p>
            <ActionForm action=auth.signup>
                <FormNotice result=value />
                <Field label="Your name" name="input[name]" autocomplete="name" error=err("name") />
                <Field label="Email" name="input[email]" kind="email" autocomplete="email" error=err("email") />
                <Field
                    label="Phone (optional)"
                    name="input[phone]"
                    kind="tel"
                    autocomplete="tel"
                    hint="Lets store staff find you without your card."
                    error=err("phone")
                />
                <Field
                    label="Password"
                    name="input[password]"
                    kind="password"
                    autocomplete="new-password"
                    hint=const_format_hint()
                    error=err("password")
                />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || if pending.get() { "Creating your account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="muted">"Already a member? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}

const fn const_format_hint() -> &'static str {
    // Kept in step with MIN_PASSWORD_CHARS by the assertion below.
    "At least 10 characters."
}
const _: () = assert!(MIN_PASSWORD_CHARS == 10);
