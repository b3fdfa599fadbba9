//! Member sign-up on the portal: the form, then "check your email", then the page the
//! email's link opens, which asks to confirm before the account is made (a link opened by a
//! mail scanner makes nothing); and the page a new sign-in email's link opens. All of it
//! works as plain form posts before hydration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{
    load_email_change, load_email_undo, load_signup_link, ConfirmEmailChange, ConfirmSignup, Signup,
    UndoEmailChange,
};
use crate::components::field::{field_error, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::states::Loaded;
use crate::domain::validate::MIN_PASSWORD_CHARS;
use crate::i18n::{td, td_string};
use crate::model::user::PendingSignup;

#[component]
pub fn SignupPage() -> impl IntoView {
    let signup = ServerAction::<Signup>::new();
    let query = use_query_map();
    let referral = Signal::derive(move || query.read().get("ref").unwrap_or_default());
    let sent = move || query.read().get("sent").is_some();
    let l = use_lang().locale;
    let sent_view = move || {
        view! {
            <section class="card narrow">
                <h1>{td!(l, auth.signup.sent_heading)}</h1>
                <p class="notice success" role="status">{td!(l, auth.signup.sent)}</p>
                <p class="muted"><a href="/signup">{td!(l, auth.signup.again)}</a></p>
            </section>
        }
    };
    view! {
        <Title text=td_string!(l, auth.signup.title) />
        <Show when=sent fallback=move || view! { <SignupForm signup referral /> }>
            {sent_view}
        </Show>
    }
}

#[component]
fn SignupForm(signup: ServerAction<Signup>, referral: Signal<String>) -> impl IntoView {
    let value = signup.value();
    let pending = signup.pending();
    let err = move |f| field_error(move || value.get(), f);
    let l = use_lang().locale;
    view! {
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

/// The page a sign-up email's link opens: who the account is for, and a button to make it.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let confirm = ServerAction::<ConfirmSignup>::new();
    let value = confirm.value();
    let pending = confirm.pending();
    let query = use_query_map();
    let token = Signal::derive(move || query.read().get("token").unwrap_or_default());
    let link = Resource::new(move || token.get(), load_signup_link);
    let l = use_lang().locale;
    view! {
        <Title text=td_string!(l, auth.verify.title) />
        <section class="card narrow">
            <h1>{td!(l, auth.verify.heading)}</h1>
            <Loaded
                what=td_string!(l, auth.verify.title)
                resource=link
                view={move |found: Option<PendingSignup>| match found {
                    Some(p) => {
                        view! {
                            <p>{td_string!(l, auth.verify.intro, name = p.name, email = p.email).to_string()}</p>
                            <p class="muted">{td!(l, auth.verify.not_you)}</p>
                            <ActionForm action=confirm>
                                <FormNotice result=value />
                                <input type="hidden" name="token" value=move || token.get() />
                                <Field
                                    label=td_string!(l, auth.verify.password)
                                    name="password"
                                    kind="password"
                                    autocomplete="current-password"
                                    hint=td_string!(l, auth.verify.password_hint)
                                    required=true
                                    error=field_error(move || value.get(), "password")
                                />
                                <button type="submit" class="button" disabled=move || pending.get()>
                                    {move || {
                                        if pending.get() { td_string!(l, auth.verify.submitting) } else { td_string!(l, auth.verify.submit) }
                                    }}
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    }
                    None => {
                        view! {
                            <p class="notice error" role="alert">{td!(l, auth.verify.spent)}</p>
                            <p class="muted">
                                <A href="/signup">{td!(l, auth.signup.again)}</A>
                                " · "
                                <A href="/login">{td!(l, auth.verify.sign_in)}</A>
                            </p>
                        }
                            .into_any()
                    }
                }}
            />
        </section>
    }
}

/// The page a new sign-in email's link opens: the address, and a button to make it the one.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let confirm = ServerAction::<ConfirmEmailChange>::new();
    let value = confirm.value();
    let pending = confirm.pending();
    let query = use_query_map();
    let token = Signal::derive(move || query.read().get("token").unwrap_or_default());
    let link = Resource::new(move || token.get(), load_email_change);
    let l = use_lang().locale;
    view! {
        <Title text=td_string!(l, auth.confirm_email.title) />
        <section class="card narrow">
            <h1>{td!(l, auth.confirm_email.heading)}</h1>
            <Loaded
                what=td_string!(l, auth.confirm_email.title)
                resource=link
                view={move |found: Option<String>| match found {
                    Some(email) => {
                        view! {
                            <p>{td_string!(l, auth.confirm_email.intro, email = email).to_string()}</p>
                            <ActionForm action=confirm>
                                <FormNotice result=value />
                                <input type="hidden" name="token" value=move || token.get() />
                                <Field
                                    label=td_string!(l, auth.confirm_email.password)
                                    name="password"
                                    kind="password"
                                    autocomplete="current-password"
                                    hint=td_string!(l, auth.confirm_email.password_hint)
                                    required=true
                                    error=field_error(move || value.get(), "password")
                                />
                                <button type="submit" class="button" disabled=move || pending.get()>
                                    {move || {
                                        if pending.get() {
                                            td_string!(l, auth.confirm_email.submitting)
                                        } else {
                                            td_string!(l, auth.confirm_email.submit)
                                        }
                                    }}
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    }
                    None => view! { <p class="notice error" role="alert">{td!(l, auth.confirm_email.spent)}</p> }.into_any(),
                }}
            />
        </section>
    }
}

/// The page the old address's notice links to: the two addresses, and a button that gives
/// the account the old one back.
#[component]
pub fn UndoEmailPage() -> impl IntoView {
    let undo = ServerAction::<UndoEmailChange>::new();
    let value = undo.value();
    let pending = undo.pending();
    let query = use_query_map();
    let token = Signal::derive(move || query.read().get("token").unwrap_or_default());
    let link = Resource::new(move || token.get(), load_email_undo);
    let l = use_lang().locale;
    view! {
        <Title text=td_string!(l, auth.undo_email.title) />
        <section class="card narrow">
            <h1>{td!(l, auth.undo_email.heading)}</h1>
            <Loaded
                what=td_string!(l, auth.undo_email.title)
                resource=link
                view={move |found: Option<(String, String)>| match found {
                    Some((old, now)) => {
                        view! {
                            <p>{td_string!(l, auth.undo_email.intro, old = old, now = now).to_string()}</p>
                            <ActionForm action=undo>
                                <FormNotice result=value />
                                <input type="hidden" name="token" value=move || token.get() />
                                <button type="submit" class="button" disabled=move || pending.get()>
                                    {move || {
                                        if pending.get() {
                                            td_string!(l, auth.undo_email.submitting)
                                        } else {
                                            td_string!(l, auth.undo_email.submit)
                                        }
                                    }}
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    }
                    None => view! { <p class="notice error" role="alert">{td!(l, auth.undo_email.spent)}</p> }.into_any(),
                }}
            />
        </section>
    }
}

// The hint ("At least 10 characters.", "عشرة أحرف على الأقل.") is a constant string in the
// catalogue; this keeps it honest if the rule changes.
const _: () = assert!(MIN_PASSWORD_CHARS == 10);
// So does "within 24 hours" in `auth.signup.sent`.
#[cfg(feature = "ssr")]
const _: () = assert!(crate::server::store::signup_requests::LINK_HOURS == 24);
// And "within 24 hours" in `portal.account.email_sent`.
#[cfg(feature = "ssr")]
const _: () = assert!(crate::server::store::email_changes::LINK_HOURS == 24);
