//! The member's own account on the portal: a new sign-in email (confirmed from a link sent to
//! it) and a new password (every device signs in again). Both ask for the current password
//! and work without JavaScript.

use leptos::prelude::*;

use crate::api::auth::{ChangeMyEmail, ChangeMyPassword};
use crate::components::field::{field_error, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::i18n::{td, td_string};

#[component]
pub fn AccountSection() -> impl IntoView {
    let email = form_action::<ChangeMyEmail>();
    let password = form_action::<ChangeMyPassword>();
    let (email_value, password_value) = (email.value(), password.value());
    let (email_pending, password_pending) = (email.pending(), password.pending());
    let email_err = move |f| field_error(move || email_value.get(), f);
    let password_err = move |f| field_error(move || password_value.get(), f);
    let opened = move || email_value.with(Option::is_some) || password_value.with(Option::is_some);
    let l = use_lang().locale;
    view! {
        <section class="card" aria-label=td_string!(l, portal.account.label)>
            <details open=opened>
                <summary>{td!(l, portal.account.summary)}</summary>
                <h3>{td!(l, portal.account.email_heading)}</h3>
                <ActionForm action=email attr:class="purchase">
                    <FormNotice result=email_value />
                    <Field
                        label=td_string!(l, portal.account.new_email)
                        scope="email-change"
                        name="new_email"
                        kind="email"
                        autocomplete="email"
                        error=email_err("new_email")
                    />
                    <Field
                        label=td_string!(l, portal.account.current_password)
                        scope="email-change"
                        name="current_password"
                        kind="password"
                        autocomplete="current-password"
                        error=email_err("current_password")
                    />
                    <button type="submit" class="button" disabled=move || email_pending.get()>
                        {td!(l, portal.account.email_submit)}
                    </button>
                </ActionForm>
                {move || {
                    email_value
                        .get()
                        .and_then(Result::ok)
                        .map(|_| view! { <p class="notice success" role="status">{td!(l, portal.account.email_sent)}</p> })
                }}
                <h3>{td!(l, portal.account.password_heading)}</h3>
                <ActionForm action=password attr:class="purchase">
                    <FormNotice result=password_value />
                    <Field
                        label=td_string!(l, portal.account.current_password)
                        scope="password-change"
                        name="current_password"
                        kind="password"
                        autocomplete="current-password"
                        error=password_err("current_password")
                    />
                    <Field
                        label=td_string!(l, portal.account.new_password)
                        scope="password-change"
                        name="new_password"
                        kind="password"
                        autocomplete="new-password"
                        hint=td_string!(l, auth.signup.password_hint)
                        error=password_err("new_password")
                    />
                    <button type="submit" class="button" disabled=move || password_pending.get()>
                        {td!(l, portal.account.password_submit)}
                    </button>
                </ActionForm>
            </details>
        </section>
    }
}
