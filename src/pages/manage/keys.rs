//! Channel API keys: create one per till, shop or app, see it once, revoke it.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::keys::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::api::programs::list_programs;
use crate::components::copy::CopyButton;
use crate::components::field::{field_error, reset_on_success, successes, Field, FormNotice};
use crate::components::states::{Empty, Loaded, Loading};
use crate::components::table::RowAction;
use crate::model::api_key::{ApiKeyView, SCOPES};
use crate::model::rules::Channel;

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
    view! {
        <Title text="API keys" />
        <div class="columns">
            <section class="card">
                <h2>"Channel API keys"</h2>
                <p class="muted">
                    "Tills, web shops and apps call the API at /api/v1 with a key (documentation: "
                    <a href="/api/v1/openapi.json">"openapi.json"</a>")."
                </p>
                <FormNotice result=revoke.value() />
                <Loaded what="keys" resource=keys view=move |list| key_list(list, revoke) />
            </section>
            <section class="card">
                <h2>"Create a key"</h2>
                {move || {
                    value.get().and_then(Result::ok).map(|k| {
                        view! {
                            <div class="notice ok" role="status">
                                <p>"Copy this key now: it will not be shown again."</p>
                                <p class="mono secret" data-testid="secret">{k.secret.clone()}</p>
                                <div class="copy-row">
                                    <CopyButton text=k.secret.clone() what="the key" />
                                </div>
                            </div>
                        }
                    })
                }}
                <ActionForm action=create node_ref=form>
                    <FormNotice result=value />
                    <Field label="Name" name="input[name]" hint="E.g. Till 3, Berlin Mitte." error=err("name") />
                    <div class="field" class:invalid=move || err("channel").get().is_some()>
                        <label for="input-channel">"Channel"</label>
                        <select id="input-channel" name="input[channel]">
                            {Channel::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.as_str()}</option> }).collect_view()}
                        </select>
                    </div>
                    // The whole field waits for the programs: a suspense boundary's markers
                    // inside a <select> do not survive the browser's parser (no hydration).
                    <Transition fallback=|| view! { <Loading what="programs" /> }>
                        {move || {
                            programs.get().map(|list| {
                                let list = list.unwrap_or_default();
                                view! {
                                    <div class="field" class:invalid=move || err("program_id").get().is_some()>
                                        <label for="input-program_id">"Program"</label>
                                        <select id="input-program_id" name="input[program_id]">
                                            <option value="">"Every program"</option>
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
                        <legend>"May"</legend>
                        {SCOPES
                            .iter()
                            .map(|(s, label)| {
                                let id = format!("scope-{}", s.replace(':', "-"));
                                view! {
                                    <div class="field check">
                                        <input id=id.clone() type="checkbox" name="input[scopes][]" value=*s />
                                        <label for=id>{*label}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                        {move || err("scopes").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </fieldset>
                    <Field
                        label="Requests per second"
                        name="input[rate_per_sec]"
                        inputmode="numeric"
                        hint="50 if empty."
                        error=err("rate_per_sec")
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>"Create key"</button>
                </ActionForm>
            </section>
        </div>
    }
}

fn key_list(list: Vec<ApiKeyView>, revoke: ServerAction<RevokeApiKey>) -> AnyView {
    if list.is_empty() {
        return view! { <Empty><p>"No keys yet."</p></Empty> }.into_any();
    }
    view! {
        <ul class="list">
            {list
                .into_iter()
                .map(|k| {
                    let state = match (k.revoked_at, k.last_used_at) {
                        (Some(t), _) => format!("revoked {}", t.display()),
                        (None, Some(t)) => format!("last used {}", t.display()),
                        (None, None) => "never used".into(),
                    };
                    view! {
                        <li>
                            <span>
                                <strong>{k.name.clone()}</strong>
                                " · " {k.channel.clone()}
                                {match (k.program_id, &k.program_name) {
                                    (None, _) => " · every program".to_string(),
                                    (Some(_), Some(name)) => format!(" · {name}"),
                                    (Some(p), None) => format!(" · program {p} (deleted)"),
                                }}
                                " · " <span class="mono">{k.prefix.clone()}</span>
                                " · " {k.scopes.join(", ")} " · " {state}
                            </span>
                            {k.revoked_at.is_none().then(|| view! {
                                <RowAction action=revoke fields=vec![("id", k.id.to_string())] label="Revoke" target=k.name.clone() danger=true />
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
