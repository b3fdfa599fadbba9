//! Webhooks: register endpoints (the signing secret is shown once), see every delivery and
//! what the endpoint answered.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::hooks::{list_webhooks, CreateWebhook, DisableWebhook};
use crate::components::copy::CopyButton;
use crate::components::field::{field_error, reset_on_success, successes, Field, FormNotice};
use crate::components::states::{Empty, Loaded};
use crate::components::table::RowAction;
use crate::model::webhook::{DeliveryStatus, WebhookDelivery, WebhookEndpoint, WEBHOOK_EVENTS};

#[component]
pub fn HooksPage() -> impl IntoView {
    let create = form_action::<CreateWebhook>();
    let disable = form_action::<DisableWebhook>();
    let (created, disabled) = (successes(create), successes(disable));
    let data = Resource::new(move || (created.get(), disabled.get()), |_| list_webhooks());
    let value = create.value();
    let form = NodeRef::new();
    reset_on_success(create, form);
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <Title text="Webhooks" />
        <div class="columns">
            <section class="card">
                <h2>"Webhook endpoints"</h2>
                <p class="muted">
                    "Each delivery is signed (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature) and retried with backoff for about ten hours."
                </p>
                <FormNotice result=disable.value() />
                <Loaded what="webhooks" resource=data view=move |(endpoints, log)| lists(endpoints, log, disable) />
            </section>
            <section class="card">
                <h2>"Add an endpoint"</h2>
                {move || {
                    value.get().and_then(Result::ok).map(|c| {
                        view! {
                            <div class="notice ok" role="status">
                                <p>"Signing secret (shown once):"</p>
                                <p class="mono secret">{c.secret.clone()}</p>
                                <div class="copy-row">
                                    <CopyButton text=c.secret.clone() what="the signing secret" />
                                </div>
                            </div>
                        }
                    })
                }}
                <ActionForm action=create node_ref=form>
                    <FormNotice result=value />
                    <Field label="Endpoint URL" name="input[url]" kind="url" error=err("url") />
                    <Field label="Description" name="input[description]" error=err("description") />
                    <fieldset class:invalid=move || err("events").get().is_some()>
                        <legend>"Send"</legend>
                        {WEBHOOK_EVENTS
                            .iter()
                            .map(|(k, label)| {
                                let id = format!("event-{}", k.replace('.', "-"));
                                view! {
                                    <div class="field check">
                                        <input id=id.clone() type="checkbox" name="input[events][]" value=*k />
                                        <label for=id>{format!("{k}: {label}")}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                        {move || err("events").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </fieldset>
                    <button type="submit" class="button">"Add endpoint"</button>
                </ActionForm>
            </section>
        </div>
    }
}

fn lists(
    endpoints: Vec<WebhookEndpoint>,
    log: Vec<WebhookDelivery>,
    disable: ServerAction<DisableWebhook>,
) -> AnyView {
    if endpoints.is_empty() {
        return view! { <Empty><p>"No endpoints yet."</p></Empty> }.into_any();
    }
    view! {
        <ul class="list">
            {endpoints
                .into_iter()
                .map(|e| {
                    view! {
                        <li>
                            <span>
                                <strong class="mono">{e.url.clone()}</strong>
                                {format!(" · {} · {} waiting · {} given up", e.events.join(", "), e.pending, e.failed)}
                                {(!e.active).then_some(" · disabled")}
                            </span>
                            {e.active.then(|| view! {
                                <RowAction action=disable fields=vec![("id", e.id.to_string())] label="Disable" target=e.url.clone() danger=true />
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <h3>"Delivery log"</h3>
        {if log.is_empty() {
            view! { <p class="muted">"Nothing sent yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll">
                <table class="history">
                    <thead>
                        <tr>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Event"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col" class="num">"Attempts"</th>
                            <th scope="col">"Last answer"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {log
                            .into_iter()
                            .map(|d| {
                                let answer = match (d.last_status_code, d.last_error.clone()) {
                                    (_, Some(e)) => e,
                                    (Some(c), None) => format!("HTTP {c}"),
                                    (None, None) => "—".into(),
                                };
                                let status = if d.status == DeliveryStatus::Pending && d.attempts > 0 {
                                    format!("retrying at {}", d.next_attempt_at.display())
                                } else {
                                    d.status.to_string()
                                };
                                view! {
                                    <tr>
                                        <td>{d.created_at.display()}</td>
                                        <td>{format!("{} → #{}", d.event_type, d.endpoint_id)}</td>
                                        <td>{status}</td>
                                        <td class="num">{d.attempts}</td>
                                        <td>{answer}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
                </div>
            }
                .into_any()
        }}
    }
    .into_any()
}
