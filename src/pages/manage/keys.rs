//! Channel API keys: create one per till, shop or app, see it once, revoke it.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::keys::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::api::programs::list_programs;
use crate::components::copy::CopyButton;
use crate::components::field::{field_error, reset_on_success, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::states::{Empty, Loaded, Loading};
use crate::components::table::RowAction;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string, Locale};
use crate::model::api_key::{ApiKeyView, SCOPES};
use crate::model::rules::Channel;

/// What a scope lets a key do, in `locale` (the scope's own description in `SCOPES` is the
/// English; an unknown scope is shown by its name).
fn scope_text(locale: Locale, scope: &'static str) -> &'static str {
    match scope {
        "members:read" => td_string!(locale, integrations.scope.members_read),
        "members:write" => td_string!(locale, integrations.scope.members_write),
        "members:enrol" => td_string!(locale, integrations.scope.members_enrol),
        "orders:write" => td_string!(locale, integrations.scope.orders_write),
        "events:write" => td_string!(locale, integrations.scope.events_write),
        "rewards:write" => td_string!(locale, integrations.scope.rewards_write),
        "points:adjust" => td_string!(locale, integrations.scope.points_adjust),
        other => other,
    }
}

/// A channel as people read it ("store" in English, "المتجر" in Arabic).
fn channel_text(locale: Locale, channel: Channel) -> &'static str {
    match channel {
        Channel::Store => td_string!(locale, integrations.channel.store),
        Channel::Web => td_string!(locale, integrations.channel.web),
        Channel::App => td_string!(locale, integrations.channel.app),
    }
}

#[component]
pub fn KeysPage() -> impl IntoView {
    let create = form_action::<CreateApiKey>();
    let revoke = form_action::<RevokeApiKey>();
    let (created, revoked) = (successes(create), successes(revoke));
    let keys = Resource::new(move || (created.get(), revoked.get()), |_| list_api_keys());
    let programs = Resource::new(|| (), |_| list_programs());
    let value = create.value();
    let pending = create.pending();
    let form = NodeRef::new();
    reset_on_success(create, form);
    let err = move |f| field_error(move || value.get(), f);
    let lang = use_lang();
    let l = lang.locale;
    view! {
        <Title text=td_string!(l, integrations.keys.title) />
        <div class="columns">
            <section class="card">
                <h2>{td!(l, integrations.keys.heading)}</h2>
                <p class="muted">
                    {td!(
                        l,
                        integrations.keys.intro,
                        <path> = |children: ChildrenFn| view! { <bdi dir="ltr">{children()}</bdi> },
                        <doc> = |children: ChildrenFn| view! { <a href="/api/v1/openapi.json" dir="ltr">{children()}</a> }
                    )}
                </p>
                <FormNotice result=revoke.value() />
                <Loaded
                    what=td_string!(l, integrations.keys.loading_what)
                    resource=keys
                    view=move |list| key_list(lang, list, revoke)
                />
            </section>
            <section class="card">
                <h2>{td!(l, integrations.keys.create_heading)}</h2>
                {move || {
                    value.get().and_then(Result::ok).map(|k| {
                        view! {
                            <div class="notice ok" role="status">
                                <p>{td!(l, integrations.keys.copy_now)}</p>
                                <p class="mono secret" dir="ltr" data-testid="secret">{k.secret.clone()}</p>
                                <div class="copy-row">
                                    <CopyButton text=k.secret.clone() label=td_string!(l, integrations.keys.copy_label) />
                                </div>
                            </div>
                        }
                    })
                }}
                <ActionForm action=create node_ref=form>
                    <FormNotice result=value />
                    <Field
                        label=td_string!(l, integrations.keys.name)
                        name="input[name]"
                        hint=td_string!(l, integrations.keys.name_hint)
                        error=err("name")
                    />
                    <div class="field" class:invalid=move || err("channel").get().is_some()>
                        <label for="input-channel">{td!(l, integrations.keys.channel)}</label>
                        <select id="input-channel" name="input[channel]">
                            {Channel::ALL
                                .iter()
                                .map(|c| view! { <option value=c.as_str()>{channel_text(l, *c)}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    // The whole field waits for the programs: a suspense boundary's markers
                    // inside a <select> do not survive the browser's parser (no hydration).
                    <Transition fallback=move || {
                        view! { <Loading what=td_string!(l, integrations.keys.loading_programs) /> }
                    }>
                        {move || {
                            programs.get().map(|list| {
                                let list = list.unwrap_or_default();
                                view! {
                                    <div class="field" class:invalid=move || err("program_id").get().is_some()>
                                        <label for="input-program_id">{td!(l, integrations.keys.program)}</label>
                                        <select id="input-program_id" name="input[program_id]">
                                            <option value="">{td!(l, integrations.keys.every_program)}</option>
                                            {list
                                                .into_iter()
                                                .map(|p| view! { <option value=p.id>{p.name}</option> })
                                                .collect_view()}
                                        </select>
                                        {move || err("program_id").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                                    </div>
                                }
                            })
                        }}
                    </Transition>
                    <fieldset class:invalid=move || err("scopes").get().is_some()>
                        <legend>{td!(l, integrations.keys.scopes)}</legend>
                        {SCOPES
                            .iter()
                            .map(|(s, _)| {
                                let id = format!("scope-{}", s.replace(':', "-"));
                                view! {
                                    <div class="field check">
                                        <input id=id.clone() type="checkbox" name="input[scopes][]" value=*s />
                                        <label for=id>{scope_text(l, s)}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                        {move || err("scopes").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </fieldset>
                    <Field
                        label=td_string!(l, integrations.keys.rate)
                        name="input[rate_per_sec]"
                        inputmode="numeric"
                        hint=td_string!(l, integrations.keys.rate_hint)
                        error=err("rate_per_sec")
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>
                        {td!(l, integrations.keys.submit)}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}

fn key_list(lang: Lang, list: Vec<ApiKeyView>, revoke: ServerAction<RevokeApiKey>) -> AnyView {
    let l = lang.locale;
    if list.is_empty() {
        return view! { <Empty><p>{td!(l, integrations.keys.empty)}</p></Empty> }.into_any();
    }
    view! {
        <ul class="list">
            {list
                .into_iter()
                .map(|k| {
                    let state = match (k.revoked_at, k.last_used_at) {
                        (Some(t), _) => td_string!(l, integrations.keys.revoked_at, at = lang.date_time(t, None)).to_string(),
                        (None, Some(t)) => {
                            td_string!(l, integrations.keys.last_used_at, at = lang.date_time(t, None)).to_string()
                        }
                        (None, None) => td_string!(l, integrations.keys.never_used).to_string(),
                    };
                    let channel = Channel::parse(&k.channel).map_or(k.channel.clone(), |c| channel_text(l, c).to_string());
                    let program = match (k.program_id, &k.program_name) {
                        (None, _) => td_string!(l, integrations.keys.all_programs).to_string(),
                        (Some(_), Some(name)) => name.clone(),
                        (Some(p), None) => td_string!(l, integrations.keys.deleted_program, id = p).to_string(),
                    };
                    view! {
                        <li>
                            <span>
                                <strong><bdi>{k.name.clone()}</bdi></strong>
                                " · " {channel}
                                " · " <bdi>{program}</bdi>
                                " · " <span class="mono" dir="ltr">{k.prefix.clone()}</span>
                                " · " <bdi dir="ltr">{k.scopes.join(", ")}</bdi> " · " {state}
                            </span>
                            {k.revoked_at.is_none().then(|| view! {
                                <RowAction
                                    action=revoke
                                    fields=vec![("id", k.id.to_string())]
                                    label=td_string!(l, integrations.keys.revoke)
                                    target=k.name.clone()
                                    danger=true
                                />
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
