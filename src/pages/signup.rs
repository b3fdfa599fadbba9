//! Member sign-up on the portal.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::Signup;
use crate::components::field::{field_error, Field, FormNotice};
use crate::domain::validate::MIN_PASSWORD_CHARS;

#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    let value = signup.value();
    let pending = signup.pending();
    let err = move |f| field_error(move || value.get(), f);
    let query = use_query_map();
    let referral = Signal::derive(move || query.read().get("ref").unwrap_or_default());
    view! {
        <Title text="Join" />
        <section class="card narrow">
            <h1>"Join the program"</h1>
            <p class="muted">"Earn points in store, online and in the app, all on one account."</p>
            <ActionForm action=signup>
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
                    label="Date of birth (optional)"
                    name="input[birth_date]"
                    kind="date"
                    autocomplete="bday"
                    hint="For a birthday treat each year."
                    error=err("birth_date")
                />
                <Field
                    label="Referral code (optional)"
                    name="input[referral_code]"
                    value=referral
                    hint="From the friend who invited you."
                    error=err("referral_code")
                />
                <Field
                    label="Password"
                    name="input[password]"
                    kind="password"
                    autocomplete="new-password"
                    hint=PASSWORD_HINT
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

const PASSWORD_HINT: &str = "At least 10 characters.";
// The hint is a constant string; this keeps it honest if the rule changes.
const _: () = assert!(MIN_PASSWORD_CHARS == 10);
