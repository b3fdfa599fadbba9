//! Webhooks: register endpoints (the signing secret is shown once), see every delivery and
//! what the endpoint answered.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::hooks::{list_webhooks, CreateWebhook, DisableWebhook};
use crate::components::copy::CopyButton;
use crate::components::field::{field_error, reset_on_success, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::states::{Empty, Loaded};
use crate::components::table::RowAction;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string, Locale};
use crate::model::webhook::{DeliveryStatus, WebhookDelivery, WebhookEndpoint, WEBHOOK_EVENTS};

/// What an event is, in `locale` (the event's own description in `WEBHOOK_EVENTS` is the
/// English; an unknown event is shown by its name).
fn event_text(locale: Locale, event: &'static str) -> &'static str {
    match event {
        "points.changed" => td_string!(locale, integrations.event.points_changed),
        "points.earned" => td_string!(locale, integrations.event.points_earned),
        "points.redeemed" => td_string!(locale, integrations.event.points_redeemed),
        "reward.issued" => td_string!(locale, integrations.event.reward_issued),
        "tier.changed" => td_string!(locale, integrations.event.tier_changed),
        "reward.used" => td_string!(locale, integrations.event.reward_used),
        "reward.released" => td_string!(locale, integrations.event.reward_released),
        "reward.expired" => td_string!(locale, integrations.event.reward_expired),
        "member.created" => td_string!(locale, integrations.event.member_created),
        "member.merged" => td_string!(locale, integrations.event.member_merged),
        "member.unmerged" => td_string!(locale, integrations.event.member_unmerged),
        other => other,
    }
}

/// Where a delivery stands, in `locale`.
fn status_text(locale: Locale, status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => td_string!(locale, integrations.hooks.status_pending),
        DeliveryStatus::Delivered => td_string!(locale, integrations.hooks.status_delivered),
        DeliveryStatus::Failed => td_string!(locale, integrations.hooks.status_failed),
    }
}

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
    let lang = use_lang();
    let l = lang.locale;
    view! {
        <Title text=td_string!(l, integrations.hooks.title) />
        <div class="columns">
            <section class="card">
                <h2>{td!(l, integrations.hooks.heading)}</h2>
                <p class="muted">
                    {td!(
                        l,
                        integrations.hooks.intro,
                        <h> = |children: ChildrenFn| view! { <bdi dir="ltr">{children()}</bdi> }
                    )}
                </p>
                <FormNotice result=disable.value() />
                <Loaded
                    what=td_string!(l, integrations.hooks.loading_what)
                    resource=data
                    view=move |(endpoints, log)| lists(lang, endpoints, log, disable)
                />
            </section>
            <section class="card">
                <h2>{td!(l, integrations.hooks.add_heading)}</h2>
                {move || {
                    value.get().and_then(Result::ok).map(|c| {
                        view! {
                            <div class="notice ok" role="status">
                                <p>{td!(l, integrations.hooks.secret_once)}</p>
                                <p class="mono secret" dir="ltr">{c.secret.clone()}</p>
                                <div class="copy-row">
                                    <CopyButton text=c.secret.clone() label=td_string!(l, integrations.hooks.copy_label) />
                                </div>
                            </div>
                        }
                    })
                }}
                <ActionForm action=create node_ref=form>
                    <FormNotice result=value />
                    <Field label=td_string!(l, integrations.hooks.url) name="input[url]" kind="url" error=err("url") />
                    <Field
                        label=td_string!(l, integrations.hooks.description)
                        name="input[description]"
                        error=err("description")
                    />
                    <fieldset class:invalid=move || err("events").get().is_some()>
                        <legend>{td!(l, integrations.hooks.events)}</legend>
                        {WEBHOOK_EVENTS
                            .iter()
                            .map(|(k, _)| {
                                let id = format!("event-{}", k.replace('.', "-"));
                                view! {
                                    <div class="field check">
                                        <input id=id.clone() type="checkbox" name="input[events][]" value=*k />
                                        <label for=id><bdi dir="ltr">{*k}</bdi>": " {event_text(l, k)}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                        {move || err("events").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </fieldset>
                    <button type="submit" class="button">{td!(l, integrations.hooks.submit)}</button>
                </ActionForm>
            </section>
        </div>
    }
}

fn lists(
    lang: Lang,
    endpoints: Vec<WebhookEndpoint>,
    log: Vec<WebhookDelivery>,
    disable: ServerAction<DisableWebhook>,
) -> AnyView {
    let l = lang.locale;
    if endpoints.is_empty() {
        return view! { <Empty><p>{td!(l, integrations.hooks.empty)}</p></Empty> }.into_any();
    }
    view! {
        <ul class="list">
            {endpoints
                .into_iter()
                .map(|e| {
                    view! {
                        <li>
                            <span>
                                <strong class="mono" dir="ltr">{e.url.clone()}</strong>
                                " · " <bdi dir="ltr">{e.events.join(", ")}</bdi>
                                " · " {td_string!(l, integrations.hooks.waiting, n = lang.number(e.pending))}
                                " · " {td_string!(l, integrations.hooks.given_up, n = lang.number(e.failed))}
                                {(!e.active).then(|| format!(" · {}", td_string!(l, integrations.hooks.disabled)))}
                            </span>
                            {e.active.then(|| view! {
                                <RowAction
                                    action=disable
                                    fields=vec![("id", e.id.to_string())]
                                    label=td_string!(l, integrations.hooks.disable)
                                    target=e.url.clone()
                                    danger=true
                                />
                            })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <h3>{td!(l, integrations.hooks.log_heading)}</h3>
        {if log.is_empty() {
            view! { <p class="muted">{td!(l, integrations.hooks.log_empty)}</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll">
                <table class="history">
                    <thead>
                        <tr>
                            <th scope="col">{td!(l, integrations.hooks.col_created)}</th>
                            <th scope="col">{td!(l, integrations.hooks.col_event)}</th>
                            <th scope="col">{td!(l, integrations.hooks.col_status)}</th>
                            <th scope="col" class="num">{td!(l, integrations.hooks.col_attempts)}</th>
                            <th scope="col">{td!(l, integrations.hooks.col_answer)}</th>
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
                                    td_string!(l, integrations.hooks.retrying_at, at = lang.date_time(d.next_attempt_at, None))
                                        .to_string()
                                } else {
                                    status_text(l, d.status).to_string()
                                };
                                view! {
                                    <tr>
                                        <td>{lang.date_time(d.created_at, None)}</td>
                                        <td><bdi dir="ltr">{format!("{} → #{}", d.event_type, d.endpoint_id)}</bdi></td>
                                        <td>{status}</td>
                                        <td class="num">{lang.number(d.attempts)}</td>
                                        <td><bdi>{answer}</bdi></td>
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
