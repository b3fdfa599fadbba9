//! A program's campaigns: the list with each one's status, split and what it has given, with
//! launch, stop, delete, edit and the report; and the form (segment, channels, dates, control
//! group, up to four variants, the message telling members of their offer, and the limits).
//! Every form posts without JavaScript too.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::campaigns::{
    list_campaigns, load_campaign_form, DeleteCampaign, LaunchCampaign, SaveCampaign, StopCampaign,
};
use crate::api::cards::list_stamp_cards;
use crate::api::catalog::list_rewards;
use crate::api::programs::get_program;
use crate::api::segments::list_segments;
use crate::api::templates::list_templates;
use crate::components::field::{successes, FormNotice};
use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::components::states::{or_error, Empty, Loading};
use crate::components::table::{DataTable, RowAction};
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::campaign::{
    Campaign, CampaignForm, Incentive, Listed, Status, VariantRow, INCENTIVE_KINDS, MAX_VARIANTS,
};
use crate::model::card::StampCard;
use crate::model::message::Channel as MessageChannel;
use crate::model::program::ProgramDetail;
use crate::model::reward::Reward;
use crate::model::rules::Channel;
use crate::model::segment::Segment;
use crate::model::template::MessageTemplate;
use crate::model::time::Timestamp;

use super::messages::channel_label as message_channel_label;
use super::stores::channel_label;

/// A status as people read it.
pub(super) fn status_label(lang: Lang, s: Status) -> &'static str {
    let l = lang.locale;
    match s {
        Status::Draft => td_string!(l, manage.campaigns.status.draft),
        Status::Scheduled => td_string!(l, manage.campaigns.status.scheduled),
        Status::Running => td_string!(l, manage.campaigns.status.running),
        Status::Ended => td_string!(l, manage.campaigns.status.ended),
    }
}

fn kind_label(lang: Lang, kind: &str) -> &'static str {
    let l = lang.locale;
    match kind {
        "bonus_points" => td_string!(l, manage.campaigns.kind.bonus_points),
        "multiplier" => td_string!(l, manage.campaigns.kind.multiplier),
        "stamps" => td_string!(l, manage.campaigns.kind.stamps),
        _ => td_string!(l, manage.campaigns.kind.reward),
    }
}

/// "Control 10 % · A 45 % · B 45 %".
pub(super) fn split_label(lang: Lang, c: &Campaign) -> String {
    let pcts = crate::domain::campaigns::configured_pcts(
        c.holdout_pct,
        &c.variants.iter().map(|v| v.share_pct).collect::<Vec<_>>(),
    );
    let mut parts = vec![format!(
        "{} {}",
        td_string!(lang.locale, manage.campaigns.control),
        lang.percent(pcts[0] / 100.0)
    )];
    for (v, p) in c.variants.iter().zip(&pcts[1..]) {
        parts.push(format!("{} {}", v.name, lang.percent(p / 100.0)));
    }
    parts.join(" · ")
}

/// The last day of a campaign (its end is exclusive).
fn last_day(lang: Lang, c: &Campaign) -> String {
    lang.date(Timestamp(c.effective_end().0 - 1).date())
}

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let id = super::program_id_param();
    let query = use_query_map();
    let editing = move || query.read().get("edit").and_then(|s| s.parse::<i64>().ok());
    let save = form_action::<SaveCampaign>();
    let launch = form_action::<LaunchCampaign>();
    let stop = form_action::<StopCampaign>();
    let delete = form_action::<DeleteCampaign>();
    let (saved, launched, stopped, deleted) = (
        successes(save),
        successes(launch),
        successes(stop),
        successes(delete),
    );
    let program = Resource::new(id, get_program);
    let segments = Resource::new(id, list_segments);
    let rewards = Resource::new(id, list_rewards);
    let cards = Resource::new(id, list_stamp_cards);
    let templates = Resource::new(id, list_templates);
    let campaigns = Resource::new(
        move || (id(), saved.get(), launched.get(), stopped.get(), deleted.get()),
        |(id, ..)| list_campaigns(id),
    );
    let start = Resource::new(
        move || (id(), editing(), saved.get()),
        move |(program_id, edit, _)| load_campaign_form(program_id, edit),
    );
    view! {
        <Title text=td_string!(l, manage.campaigns.title) />
        <p><A href=move || format!("/manage/programs/{}", id())>{td!(l, offers.back_to_program)}</A></p>
        <section class="card">
            <Transition fallback=move || view! { <Loading what=td_string!(l, manage.campaigns.loading) /> }>
                {move || {
                    program.get().zip(campaigns.get()).zip(segments.get()).map(|((d, c), s)| {
                        or_error(d, move |d: ProgramDetail| {
                            let s = s.clone();
                            or_error(c.clone(), move |list: Vec<Listed>| {
                                let segs = s.clone().unwrap_or_default();
                                view! {
                                    <h2>
                                        {td!(
                                            l,
                                            manage.campaigns.heading,
                                            program = { let v = d.program.name.clone(); move || view! { <bdi>{v.clone()}</bdi> } }
                                        )}
                                    </h2>
                                    <p class="muted">{td!(l, manage.campaigns.intro)}</p>
                                    <FormNotice result=launch.value() />
                                    <FormNotice result=stop.value() />
                                    <FormNotice result=delete.value() />
                                    {campaign_table(lang, list, segs, d.program.id.0, launch, stop, delete)}
                                }
                            })
                        })
                    })
                }}
            </Transition>
        </section>
        <section class="card">
            <Transition fallback=move || view! { <Loading what=td_string!(l, manage.campaigns.loading) /> }>
                {move || {
                    program.get().zip(start.get()).zip(segments.get()).zip(rewards.get()).zip(cards.get()).zip(templates.get()).map(|(((((d, f), s), r), k), t)| {
                        or_error(d, move |d: ProgramDetail| {
                            let (s, r, k, t) = (s.clone(), r.clone(), k.clone(), t.clone());
                            or_error(f.clone(), move |form: CampaignForm| {
                                let segs = s.clone().unwrap_or_default();
                                let rewards: Vec<Reward> = r.clone().unwrap_or_default().into_iter().filter(|r| r.active).collect();
                                let cards: Vec<StampCard> = k.clone().unwrap_or_default().into_iter().filter(|c| c.active).collect();
                                let templates = t.clone().unwrap_or_default();
                                let heading = if form.id.is_empty() {
                                    td_string!(l, manage.campaigns.new_heading)
                                } else {
                                    td_string!(l, manage.campaigns.edit_heading)
                                };
                                view! {
                                    <h2>{heading}</h2>
                                    <Editor initial=form segments=segs rewards cards templates currency=d.program.currency_code.clone() save />
                                }
                            })
                        })
                    })
                }}
            </Transition>
        </section>
    }
}

#[allow(clippy::too_many_arguments)]
fn campaign_table(
    lang: Lang,
    list: Vec<Listed>,
    segments: Vec<Segment>,
    program_id: i64,
    launch: ServerAction<LaunchCampaign>,
    stop: ServerAction<StopCampaign>,
    delete: ServerAction<DeleteCampaign>,
) -> AnyView {
    let l = lang.locale;
    if list.is_empty() {
        return view! { <Empty><p>{td!(l, manage.campaigns.empty)}</p></Empty> }.into_any();
    }
    let columns = vec![
        td_string!(l, manage.campaigns.col_name),
        td_string!(l, manage.campaigns.col_segment),
        td_string!(l, manage.campaigns.col_status),
        td_string!(l, manage.campaigns.col_dates),
        td_string!(l, manage.campaigns.col_split),
        td_string!(l, manage.campaigns.col_given),
        td_string!(l, manage.campaigns.col_actions),
    ];
    view! {
        <DataTable columns>
            {list
                .into_iter()
                .map(|Listed { campaign: c, status }| {
                    let segment = segments
                        .iter()
                        .find(|s| s.id == c.segment_id)
                        .map(|s| s.name.clone())
                        .unwrap_or_else(|| td_string!(l, manage.campaigns.segment_gone).to_string());
                    let dates = format!("{} – {}", lang.date(c.starts_at.date()), last_day(lang, &c));
                    let points = match c.budget_points {
                        Some(b) => td_string!(l, manage.campaigns.points_of, n = lang.number(c.points_given), budget = lang.number(b)).to_string(),
                        None => td_string!(l, manage.campaigns.points, n = lang.number(c.points_given)).to_string(),
                    };
                    let rewards = c
                        .variants
                        .iter()
                        .any(|v| matches!(v.incentive, Incentive::Reward { .. }))
                        .then(|| td_string!(l, manage.campaigns.rewards_given, n = lang.number(c.rewards_given)).to_string());
                    let report = format!("/manage/programs/{program_id}/campaigns/{}", c.id);
                    let edit = format!("/manage/programs/{program_id}/campaigns?edit={}", c.id);
                    let fields = vec![("program_id", program_id.to_string()), ("id", c.id.to_string())];
                    let name = c.name.clone();
                    view! {
                        <tr>
                            <td>{c.name.clone()}</td>
                            <td>{segment}</td>
                            <td><span class="badge" data-status=status.as_str()>{status_label(lang, status)}</span></td>
                            <td>{dates}</td>
                            <td>{split_label(lang, &c)}</td>
                            <td>{points} {rewards.map(|r| view! { <br /> {r} })}</td>
                            <td>
                                <a href=report aria-label=td_string!(l, common.row_action, action = td_string!(l, manage.campaigns.report), target = name.clone()).to_string()>
                                    {td!(l, manage.campaigns.report)}
                                </a>
                                {(status != Status::Ended).then(|| view! {
                                    " · "
                                    <a href=edit.clone() aria-label=td_string!(l, common.row_action, action = td_string!(l, manage.campaigns.edit), target = name.clone()).to_string()>
                                        {td!(l, manage.campaigns.edit)}
                                    </a>
                                })}
                                " "
                                {match status {
                                    Status::Draft => view! {
                                        <RowAction action=launch fields=fields.clone() label=td_string!(l, manage.campaigns.launch) target=name.clone() />
                                        <RowAction action=delete fields=fields.clone() label=td_string!(l, manage.campaigns.delete) target=name.clone() danger=true />
                                    }
                                    .into_any(),
                                    Status::Scheduled | Status::Running => view! {
                                        <RowAction action=stop fields=fields.clone() label=td_string!(l, manage.campaigns.stop) target=name.clone() danger=true />
                                    }
                                    .into_any(),
                                    Status::Ended => ().into_any(),
                                }}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
    .into_any()
}

/// The campaign form: its fields, and a row per variant (up to four; a row without a kind is
/// left out).
#[component]
fn Editor(
    initial: CampaignForm,
    segments: Vec<Segment>,
    rewards: Vec<Reward>,
    cards: Vec<StampCard>,
    templates: Vec<MessageTemplate>,
    currency: String,
    save: ServerAction<SaveCampaign>,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let value = save.value();
    let err = move |field: String| {
        move || {
            value
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field_message(&field))
                .map(|e| view! { <p class="error" role="alert">{e}</p> })
        }
    };
    let (starts, ends, holdout) = (
        initial.starts_on.clone(),
        initial.ends_on.clone(),
        initial.holdout.clone(),
    );
    let mut rows = initial.variants.clone();
    rows.resize(MAX_VARIANTS, VariantRow::default());
    let chosen_segment = initial.segment_id.clone();
    let channels = initial.channels.clone();
    let mut template_names: Vec<String> = templates.iter().map(|t| t.name.clone()).collect();
    template_names.sort();
    template_names.dedup();
    let (chosen_template, message_channels) =
        (initial.message_template.clone(), initial.message_channels.clone());
    view! {
        <ActionForm action=save>
            <input type="hidden" name="input[program_id]" value=initial.program_id />
            <input type="hidden" name="input[id]" value=initial.id.clone() />
            <input type="hidden" name="input[updated_at]" value=initial.updated_at.clone() />
            <FormNotice result=value />
            {move || {
                value.get().and_then(Result::ok).map(|c| {
                    view! {
                        <p class="notice ok" role="status">
                            {td_string!(l, manage.campaigns.saved, name = lang.isolate(&c.name)).to_string()}
                        </p>
                    }
                })
            }}
            <div class="field">
                <label for="campaign-name">{td!(l, manage.campaigns.name)}</label>
                <input id="campaign-name" name="input[name]" value=initial.name.clone() required=true maxlength="80" />
                {err("name".into())}
            </div>
            <div class="field">
                <label for="campaign-segment">{td!(l, manage.campaigns.segment)}</label>
                <select id="campaign-segment" name="input[segment_id]">
                    <option value="">{td!(l, manage.campaigns.choose_segment)}</option>
                    {segments
                        .iter()
                        .map(|s| {
                            let label = td_string!(l, manage.campaigns.segment_option, name = s.name.clone(), n = lang.number(s.members)).to_string();
                            view! { <option value=s.id selected=chosen_segment == s.id.to_string()>{label}</option> }
                        })
                        .collect_view()}
                </select>
                {err("segment_id".into())}
            </div>
            <fieldset class="field">
                <legend>{td!(l, manage.campaigns.channels)}</legend>
                {Channel::ALL
                    .iter()
                    .map(|c| {
                        let id = format!("campaign-channel-{}", c.as_str());
                        view! {
                            <div class="field check inline">
                                <input type="checkbox" id=id.clone() name="input[channels][]" value=c.as_str() checked=channels.iter().any(|x| x == c.as_str()) />
                                <label for=id>{channel_label(lang, *c)}</label>
                            </div>
                        }
                    })
                    .collect_view()}
                <p class="hint">{td!(l, manage.campaigns.channels_hint)}</p>
                {err("channels".into())}
            </fieldset>
            <div class="field-row">
                <div class="field">
                    <label for="campaign-starts">{td!(l, manage.campaigns.starts_on)}</label>
                    <input id="campaign-starts" type="date" name="input[starts_on]" value=starts required=true />
                    {err("starts_on".into())}
                </div>
                <div class="field">
                    <label for="campaign-ends">{td!(l, manage.campaigns.ends_on)}</label>
                    <input id="campaign-ends" type="date" name="input[ends_on]" value=ends required=true />
                    {err("ends_on".into())}
                </div>
            </div>
            <div class="field">
                <label for="campaign-holdout">{td!(l, manage.campaigns.holdout)}</label>
                <input id="campaign-holdout" inputmode="numeric" name="input[holdout]" value=holdout aria-describedby="campaign-holdout-hint" />
                <p class="hint" id="campaign-holdout-hint">{td!(l, manage.campaigns.holdout_hint)}</p>
                {err("holdout".into())}
            </div>
            <h3>{td!(l, manage.campaigns.variants)}</h3>
            <p class="muted">{td!(l, manage.campaigns.variants_hint)}</p>
            {err("variants".into())}
            <datalist id="campaign-rewards">
                {rewards.iter().map(|r| view! { <option value=r.id>{r.name.clone()}</option> }).collect_view()}
            </datalist>
            <ol class="conditions">
                {rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, row)| view! { <VariantEditor i row cards=cards.clone() currency=currency.clone() err /> })
                    .collect_view()}
            </ol>
            <fieldset class="field">
                <legend>{td!(l, manage.campaigns.message)}</legend>
                <p class="hint" id="campaign-message-hint">{td_string!(l, manage.campaigns.message_hint, field = "{{ offer }}").to_string()}</p>
                <div class="field">
                    <label for="campaign-message-template">{td!(l, manage.campaigns.message_template)}</label>
                    <select id="campaign-message-template" name="input[message_template]" aria-describedby="campaign-message-hint">
                        <option value="">{td!(l, manage.campaigns.no_message_option)}</option>
                        {template_names
                            .into_iter()
                            .map(|n| view! { <option value=n.clone() selected=chosen_template == n>{n.clone()}</option> })
                            .collect_view()}
                    </select>
                    {err("message_template".into())}
                </div>
                {MessageChannel::ALL
                    .iter()
                    .map(|c| {
                        let id = format!("campaign-message-{}", c.as_str());
                        view! {
                            <div class="field check inline">
                                <input type="checkbox" id=id.clone() name="input[message_channels][]" value=c.as_str() checked=message_channels.iter().any(|x| x == c.as_str()) />
                                <label for=id>{message_channel_label(lang, *c)}</label>
                            </div>
                        }
                    })
                    .collect_view()}
                {err("message_channels".into())}
            </fieldset>
            <div class="field-row">
                <div class="field">
                    <label for="campaign-budget">{td!(l, manage.campaigns.budget)}</label>
                    <input id="campaign-budget" name="input[budget]" inputmode="numeric" value=initial.budget.clone() aria-describedby="campaign-budget-hint" />
                    <p class="hint" id="campaign-budget-hint">{td!(l, manage.campaigns.budget_hint)}</p>
                    {err("budget".into())}
                </div>
                <div class="field">
                    <label for="campaign-max-rewards">{td!(l, manage.campaigns.max_rewards)}</label>
                    <input id="campaign-max-rewards" name="input[max_rewards]" inputmode="numeric" value=initial.max_rewards.clone() />
                    {err("max_rewards".into())}
                </div>
            </div>
            <p>
                <button type="submit" class="button" disabled=move || save.pending().get()>
                    {td!(l, manage.campaigns.save)}
                </button>
            </p>
        </ActionForm>
    }
}

/// One variant: name, share, kind, its value (points, multiplier, reward or stamps), for
/// bonus points and stamps the least order, and for stamps the card.
#[component]
fn VariantEditor<E, V>(
    i: usize,
    row: VariantRow,
    cards: Vec<StampCard>,
    currency: String,
    err: E,
) -> impl IntoView
where
    E: Fn(String) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let lang = use_lang();
    let l = lang.locale;
    let name = move |f: &str| format!("input[variants][{i}][{f}]");
    let id = move |f: &str| format!("variant-{i}-{f}");
    let field = move |f: &str| format!("variants.{i}.{f}");
    let number = (i + 1) as i64;
    view! {
        <li class="condition" role="group" aria-label=td_string!(l, manage.campaigns.variant_n, n = lang.number(number)).to_string()>
                <div class="field">
                    <label for=id("name")>{td!(l, manage.campaigns.variant_name)}</label>
                    <input id=id("name") name=name("name") value=row.name.clone() maxlength="40" />
                    {err(field("name"))}
                </div>
                <div class="field">
                    <label for=id("share")>{td!(l, manage.campaigns.share)}</label>
                    <input id=id("share") name=name("share") inputmode="numeric" value=row.share.clone() />
                    {err(field("share"))}
                </div>
                <div class="field">
                    <label for=id("kind")>{td!(l, manage.campaigns.kind_label)}</label>
                    <select id=id("kind") name=name("kind")>
                        <option value="">{td!(l, manage.campaigns.unused)}</option>
                        {INCENTIVE_KINDS
                            .iter()
                            .map(|k| view! { <option value=*k selected=row.kind == *k>{kind_label(lang, k)}</option> })
                            .collect_view()}
                    </select>
                    {err(field("kind"))}
                </div>
                <div class="field">
                    <label for=id("value")>{td!(l, manage.campaigns.value)}</label>
                    <input id=id("value") name=name("value") value=row.value.clone() list="campaign-rewards" dir="ltr" aria-describedby=id("value-hint") />
                    <p class="hint" id=id("value-hint")>{td!(l, manage.campaigns.value_hint)}</p>
                    {err(field("value"))}
                </div>
                <div class="field">
                    <label for=id("min_order")>{td_string!(l, manage.campaigns.min_order, code = currency.clone()).to_string()}</label>
                    <input id=id("min_order") name=name("min_order") inputmode="decimal" value=row.min_order.clone() />
                    {err(field("min_order"))}
                </div>
                <div class="field">
                    <label for=id("card")>{td!(l, manage.campaigns.card)}</label>
                    <select id=id("card") name=name("card")>
                        <option value="">{td!(l, manage.campaigns.choose_card)}</option>
                        {cards
                            .iter()
                            .map(|c| view! { <option value=c.id selected=row.card == c.id.to_string()>{c.name.clone()}</option> })
                            .collect_view()}
                    </select>
                    {err(field("card"))}
                </div>
        </li>
    }
}
