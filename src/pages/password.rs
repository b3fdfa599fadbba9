//! A forgotten password: ask for a link by email, then choose a new password with it. Both
//! work as plain form posts before hydration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{RequestPasswordReset, ResetPassword};
use crate::components::field::{field_error, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::i18n::{td, td_string};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let value = request.value();
    let pending = request.pending();
    let query = use_query_map();
    let sent = move || query.read().get("sent").is_some();
    let l = use_lang().locale;
    view! {
        <Title text=td_string!(l, auth.forgot.title) />
        <section class="card narrow">
            <h1>{td!(l, auth.forgot.heading)}</h1>
            <Show when=move || query.read().get("undone").is_some()>
                <p class="notice success" role="status">{td!(l, auth.forgot.undone)}</p>
            </Show>
            <Show when=sent fallback=move || view! { <p class="muted">{td!(l, auth.forgot.intro)}</p> }>
                <p class="notice success" role="status">{td!(l, auth.forgot.sent)}</p>
            </Show>
            <ActionForm action=request>
                <FormNotice result=value />
                <Field
                    label=td_string!(l, auth.forgot.email)
                    name="email"
                    kind="email"
                    autocomplete="email"
                    required=true
                    error=field_error(move || value.get(), "email")
                />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || {
                        if pending.get() { td_string!(l, auth.forgot.submitting) } else { td_string!(l, auth.forgot.submit) }
                    }}
                </button>
            </ActionForm>
            <p class="muted"><A href="/login">{td!(l, auth.forgot.back)}</A></p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    let value = reset.value();
    let pending = reset.pending();
    let query = use_query_map();
    let token = Signal::derive(move || query.read().get("token").unwrap_or_default());
    let err = move |f| field_error(move || value.get(), f);
    let l = use_lang().locale;
    view! {
        <Title text=td_string!(l, auth.reset.title) />
        <section class="card narrow">
            <h1>{td!(l, auth.reset.heading)}</h1>
            <ActionForm action=reset>
                <FormNotice result=value />
                <input type="hidden" name="token" value=move || token.get() />
                <Field
                    label=td_string!(l, auth.reset.password)
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint=td_string!(l, auth.signup.password_hint)
                    required=true
                    error=err("password")
                />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || {
                        if pending.get() { td_string!(l, auth.reset.submitting) } else { td_string!(l, auth.reset.submit) }
                    }}
                </button>
            </ActionForm>
            <p class="muted">{td!(l, auth.reset.link_hint)} " " <A href="/forgot-password">{td!(l, auth.reset.ask_again)}</A></p>
        </section>
    }
}
