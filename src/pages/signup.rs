//! Member sign-up on the portal.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::Signup;
use crate::components::field::{field_error, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::domain::validate::MIN_PASSWORD_CHARS;
use crate::i18n::{td, td_string};

#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    let value = signup.value();
    let pending = signup.pending();
    let err = move |f| field_error(move || value.get(), f);
    let query = use_query_map();
    let referral = Signal::derive(move || query.read().get("ref").unwrap_or_default());
    let l = use_lang().locale;
    view! {
        <Title text=td_string!(l, auth.signup.title) />
        <section class="card narrow">
            <h1>{td!(l, auth.signup.heading)}</h1>
            <p class="muted">{td!(l, auth.signup.intro)}</p>
            <ActionForm action=signup>
                <FormNotice result=value />
                <Field label=td_string!(l, auth.signup.name) name="input[name]" autocomplete="name" error=err("name") />
                <Field
                    label=td_string!(l, auth.signup.email)
                    name="input[email]"
                    kind="email"
                    autocomplete="email"
                    error=err("email")
                />
                <Field
                    label=td_string!(l, auth.signup.phone)
                    name="input[phone]"
                    kind="tel"
                    autocomplete="tel"
                    hint=td_string!(l, auth.signup.phone_hint)
                    error=err("phone")
                />
                <Field
                    label=td_string!(l, auth.signup.birth_date)
                    name="input[birth_date]"
                    kind="date"
                    autocomplete="bday"
                    hint=td_string!(l, auth.signup.birth_date_hint)
                    error=err("birth_date")
                />
                <Field
                    label=td_string!(l, auth.signup.referral_code)
                    name="input[referral_code]"
                    value=referral
                    hint=td_string!(l, auth.signup.referral_code_hint)
                    error=err("referral_code")
                />
                <Field
                    label=td_string!(l, auth.signup.password)
                    name="input[password]"
                    kind="password"
                    autocomplete="new-password"
                    hint=td_string!(l, auth.signup.password_hint)
                    error=err("password")
                />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || {
                        if pending.get() { td_string!(l, auth.signup.submitting) } else { td_string!(l, auth.signup.submit) }
                    }}
                </button>
            </ActionForm>
            <p class="muted">{td!(l, auth.signup.already_member)} " " <A href="/login">{td!(l, auth.signup.sign_in)}</A></p>
        </section>
    }
}

// The hint ("At least 10 characters.", "عشرة أحرف على الأقل.") is a constant string in the
// catalogue; this keeps it honest if the rule changes.
const _: () = assert!(MIN_PASSWORD_CHARS == 10);
