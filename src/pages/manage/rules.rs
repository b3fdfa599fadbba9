//! A program's earning rules: ordered by priority, each with its conditions, effect, caps
//! and budget in words; a form to add or edit; and a dry run that shows what an event would
//! earn and why.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::components::lang::use_lang;
use crate::components::outcome::{form_action, form_action_for};
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::programs::get_program;
use crate::api::rules::{list_rules, DeleteRule, PreviewAward, SaveRule};
use crate::api::segments::list_segments;
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::forms::rule as rule_form;
use crate::domain::{currency, rules as engine};
use crate::model::program::ProgramDetail;
use crate::model::rules::{
    effect_kind_label, Channel, EarningRule, ProgramEarning, RuleForm, Stacking, EFFECT_KINDS,
};

/// A whole number as typed in the rules (ungrouped: "1000"), in the page's digits.
fn plain(lang: Lang, n: i64) -> String {
    lang.digits_of(&n.to_string())
}

#[component]
pub fn RulesPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let id = super::program_id_param();
    // A plain post's saved rule is reported on its own row (a new one's too), not here.
    let add = form_action_for::<SaveRule>(|_| false);
    let preview = form_action::<PreviewAward>();
    let changed = RwSignal::new(0usize);
    let added = successes(add);
    let program = Resource::new(id, get_program);
    let segments = Resource::new(id, list_segments);
    let rules = Resource::new(
        move || (id(), added.get(), changed.get()),
        |(id, ..)| list_rules(id),
    );
    view! {
        <Title text=td_string!(l, offers.rules.title) />
        <p><A href=move || format!("/manage/programs/{}", id())>{td!(l, offers.back_to_program)}</A></p>
        <Transition fallback=move || view! { <Loading what=td_string!(l, offers.rules.loading) /> }>
            {move || {
                program.get().zip(rules.get()).zip(segments.get()).map(|((d, r), s)| {
                    // Segments the editor offers (none when they could not be read).
                    let choices: Vec<(i64, String)> =
                        s.map(|s| s.into_iter().map(|s| (s.id, s.name)).collect()).unwrap_or_default();
                    or_error(d, move |d: ProgramDetail| {
                        let choices = choices.clone();
                        or_error(r.clone(), move |list: Vec<EarningRule>| {
                            let d2 = d.clone();
                            view! {
                                <div class="columns">
                                    <section class="card">
                                        <h2>
                                            {td!(
                                                l,
                                                offers.rules.heading,
                                                program = { let v = d.program.name.clone(); move || view! { <bdi>{v.clone()}</bdi> } }
                                            )}
                                        </h2>
                                        <p class="muted">
                                            {td_string!(
                                                l,
                                                offers.rules.base_note,
                                                points = plain(lang, d.program.points_per_unit),
                                                unit = &d.program.currency_name,
                                                code = &d.program.currency_code
                                            )}
                                        </p>
                                        {rule_list(list, &d, changed, &choices)}
                                    </section>
                                    <section class="card">
                                        <h2>{td!(l, offers.rules.add_heading)}</h2>
                                        <RuleEditor action=add detail=d2.clone() initial=None segments=choices.clone() />
                                        <h2>{td!(l, offers.rules.try_heading)}</h2>
                                        <Preview action=preview program_id=d2.program.id />
                                    </section>
                                </div>
                            }
                        })
                    })
                })
            }}
        </Transition>
    }
}

fn rule_list(
    list: Vec<EarningRule>,
    d: &ProgramDetail,
    changed: RwSignal<usize>,
    segments: &[(i64, String)],
) -> AnyView {
    let lang = use_lang();
    if list.is_empty() {
        return view! { <Empty><p>{td!(lang.locale, offers.rules.empty)}</p></Empty> }.into_any();
    }
    let earning = ProgramEarning {
        points_per_unit: d.program.points_per_unit,
        minor_per_unit: currency::minor_per_unit(&d.program.currency_code),
        currency_code: d.program.currency_code.clone(),
        currency_name: d.program.currency_name.clone(),
    };
    view! {
        <ol class="rules">
            {list
                .into_iter()
                .map(|r| view! { <RuleRow rule=r detail=d.clone() earning=earning.clone() changed segments=segments.to_vec() /> })
                .collect_view()}
        </ol>
    }
    .into_any()
}

#[component]
fn RuleRow(
    rule: EarningRule,
    detail: ProgramDetail,
    earning: ProgramEarning,
    changed: RwSignal<usize>,
    segments: Vec<(i64, String)>,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let rule_id = rule.id;
    let save = form_action_for::<SaveRule>(move |saved| saved.id == rule_id);
    // Nothing tells one row's delete from another's; a deleted row is gone anyway.
    let delete = ServerAction::<DeleteRule>::new();
    let (saved, deleted) = (successes(save), successes(delete));
    Effect::new(move |_| {
        if saved.get() + deleted.get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let mut facts = vec![
        td_string!(l, offers.rules.fact_priority, n = plain(lang, rule.priority)).to_string(),
        rule.stacking.label_in(lang).to_string(),
        engine::describe_effect_in(lang, &rule.effect, &earning),
        engine::describe_conditions_in(
            lang,
            &rule.conditions,
            &detail.program.currency_code,
            &detail
                .tiers
                .iter()
                .map(|t| (t.id, t.name.as_str()))
                .collect::<Vec<_>>(),
        ),
    ];
    if let Some(c) = rule.caps.per_event {
        facts.push(td_string!(l, offers.rules.fact_cap_event, n = plain(lang, c)).to_string());
    }
    if let Some(c) = rule.caps.per_member_day {
        facts.push(td_string!(l, offers.rules.fact_cap_day, n = plain(lang, c)).to_string());
    }
    if let Some(c) = rule.caps.per_member_month {
        facts.push(td_string!(l, offers.rules.fact_cap_month, n = plain(lang, c)).to_string());
    }
    if let Some(b) = rule.budget_points {
        facts.push(
            td_string!(
                l,
                offers.rules.fact_budget,
                used = plain(lang, rule.budget_used),
                total = plain(lang, b)
            )
            .to_string(),
        );
    }
    let (program_id, rule_id, active) = (rule.program_id, rule.id, rule.active);
    let name = rule.name.clone();
    view! {
        <li class="rule" class:inactive=!active>
            <details>
                <summary>
                    <strong>{rule.name.clone()}</strong>
                    {(!active).then_some(view! { <span class="badge">{td!(l, offers.rules.off_badge)}</span> })}
                    <span class="muted">{format!(" · {}", facts.join(" · "))}</span>
                </summary>
                <RuleEditor action=save detail=detail.clone() initial=Some(rule) segments />
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="program_id" value=program_id />
                    <input type="hidden" name="rule_id" value=rule_id />
                    <button
                        type="submit"
                        class="button danger"
                        aria-label=td_string!(l, offers.rules.delete_aria, name = name).to_string()
                    >
                        {td!(l, offers.rules.delete)}
                    </button>
                </ActionForm>
                <FormNotice result=delete.value() />
            </details>
        </li>
    }
}

#[component]
fn RuleEditor(
    action: ServerAction<SaveRule>,
    detail: ProgramDetail,
    initial: Option<EarningRule>,
    /// The program's segments (id, name), offered as conditions.
    segments: Vec<(i64, String)>,
) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let shown = move |f: &'static str| {
        move || {
            err(f)
                .get()
                .map(|e| view! { <p class="error" role="alert">{e}</p> })
        }
    };
    let editing = initial.is_some();
    let f = initial
        .as_ref()
        .map(|r| rule_form::to_form(r, &detail.program.currency_code))
        .unwrap_or_else(|| RuleForm {
            priority: "10".into(),
            stacking: "stack".into(),
            active: "yes".into(),
            effect_kind: "fixed_points".into(),
            ..RuleForm::default()
        });
    let scope =
        f.id.map(|id| format!("rule-{id}"))
            .unwrap_or_else(|| "rule-new".into());
    let sid = {
        let scope = scope.clone();
        move |name: &str| format!("{scope}-{name}")
    };
    let text = {
        let scope = scope.clone();
        move |label: &'static str,
              name: &'static str,
              value: String,
              hint: &'static str,
              key: &'static str| {
            let scope = scope.clone();
            // Codes, wire names, times and dates read left to right on any page.
            let ltr = matches!(
                key,
                "event_types"
                    | "stores"
                    | "include_skus"
                    | "exclude_skus"
                    | "time_from"
                    | "time_to"
                    | "starts_on"
                    | "ends_on"
            );
            match (hint.is_empty(), ltr) {
                (true, false) => view! { <Field label name scope value=value error=err(key) /> }.into_any(),
                (true, true) => {
                    view! { <Field label name scope value=value error=err(key) dir="ltr" /> }.into_any()
                }
                (false, false) => {
                    view! { <Field label name scope value=value hint error=err(key) /> }.into_any()
                }
                (false, true) => {
                    view! { <Field label name scope value=value hint error=err(key) dir="ltr" /> }.into_any()
                }
            }
        }
    };
    view! {
        <ActionForm action=action attr:class="rule-form">
            <input type="hidden" name="input[program_id]" value=detail.program.id />
            {f.id.map(|id| view! { <input type="hidden" name="input[id]" value=id /> })}
            <FormNotice result=value />
            <Show when=move || matches!(value.get(), Some(Ok(_)))>
                <p class="notice ok" role="status">{td!(l, offers.rules.saved)}</p>
            </Show>
            {text(td_string!(l, offers.rules.name), "input[name]", f.name.clone(), "", "name")}
            {text(
                td_string!(l, offers.rules.priority),
                "input[priority]",
                f.priority.clone(),
                td_string!(l, offers.rules.priority_hint),
                "priority",
            )}
            <div class="field">
                <label for=sid("stacking")>{td!(l, offers.rules.combines)}</label>
                <select id=sid("stacking") name="input[stacking]">
                    {Stacking::ALL
                        .iter()
                        .map(|s| view! { <option value=s.as_str() selected=s.as_str() == f.stacking>{s.label_in(lang)}</option> })
                        .collect_view()}
                </select>
                {shown("stacking")}
            </div>
            <div class="field">
                <label for=sid("active")>{td!(l, offers.rules.status)}</label>
                <select id=sid("active") name="input[active]">
                    <option value="yes" selected=f.active != "no">{td!(l, offers.rules.on)}</option>
                    <option value="no" selected=f.active == "no">{td!(l, offers.rules.off)}</option>
                </select>
            </div>
            <div class="field">
                <label for=sid("effect_kind")>{td!(l, offers.rules.gives)}</label>
                <select id=sid("effect_kind") name="input[effect_kind]">
                    {EFFECT_KINDS
                        .iter()
                        .map(|(k, _)| {
                            view! { <option value=*k selected=*k == f.effect_kind>{effect_kind_label(k, lang)}</option> }
                        })
                        .collect_view()}
                </select>
                {shown("effect_kind")}
            </div>
            {text(
                td_string!(l, offers.rules.amount),
                "input[effect_value]",
                f.effect_value.clone(),
                td_string!(l, offers.rules.amount_hint),
                "effect_value",
            )}
            <fieldset>
                <legend>{td!(l, offers.rules.when)}</legend>
                {text(
                    td_string!(l, offers.rules.event_types),
                    "input[event_types]",
                    f.event_types.clone(),
                    td_string!(l, offers.rules.event_types_hint),
                    "event_types",
                )}
                <fieldset class:invalid=move || err("channels").get().is_some()>
                    <legend>{td!(l, offers.rules.channels)}</legend>
                    {Channel::ALL
                        .iter()
                        .map(|c| {
                            let id = sid(&format!("channel-{}", c.as_str()));
                            let on = f.channels.iter().any(|x| x == c.as_str());
                            view! {
                                <div class="field check">
                                    <input id=id.clone() type="checkbox" name="input[channels][]" value=c.as_str() checked=on />
                                    <label for=id>{c.label(lang)}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                {text(
                    td_string!(l, offers.rules.stores),
                    "input[stores]",
                    f.stores.clone(),
                    td_string!(l, offers.rules.stores_hint),
                    "stores",
                )}
                {text(td_string!(l, offers.rules.only_skus), "input[include_skus]", f.include_skus.clone(), "", "include_skus")}
                {text(td_string!(l, offers.rules.not_skus), "input[exclude_skus]", f.exclude_skus.clone(), "", "exclude_skus")}
                {text(
                    td_string!(l, offers.rules.only_categories),
                    "input[include_categories]",
                    f.include_categories.clone(),
                    "",
                    "include_categories",
                )}
                {text(
                    td_string!(l, offers.rules.not_categories),
                    "input[exclude_categories]",
                    f.exclude_categories.clone(),
                    "",
                    "exclude_categories",
                )}
                {text(td_string!(l, offers.rules.only_tags), "input[include_tags]", f.include_tags.clone(), "", "include_tags")}
                {text(td_string!(l, offers.rules.not_tags), "input[exclude_tags]", f.exclude_tags.clone(), "", "exclude_tags")}
                {text(
                    td_string!(l, offers.rules.min_order),
                    "input[min_order]",
                    f.min_order.clone(),
                    td_string!(l, offers.rules.min_order_hint),
                    "min_order",
                )}
                <fieldset class:invalid=move || err("tier_ids").get().is_some()>
                    <legend>{td!(l, offers.rules.tiers)}</legend>
                    {detail
                        .tiers
                        .iter()
                        .map(|t| {
                            let id = sid(&format!("tier-{}", t.id));
                            let on = f.tier_ids.contains(&t.id.to_string());
                            view! {
                                <div class="field check">
                                    <input id=id.clone() type="checkbox" name="input[tier_ids][]" value=t.id checked=on />
                                    <label for=id>{t.name.clone()}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                {(!segments.is_empty() || !f.segment_ids.is_empty()).then(|| view! {
                    <fieldset class:invalid=move || err("segment_ids").get().is_some()>
                        <legend>{td!(l, offers.rules.segments)}</legend>
                        {segments
                            .iter()
                            .map(|(sid_, name)| {
                                let id = sid(&format!("segment-{sid_}"));
                                let on = f.segment_ids.contains(&sid_.to_string());
                                view! {
                                    <div class="field check">
                                        <input id=id.clone() type="checkbox" name="input[segment_ids][]" value=*sid_ checked=on />
                                        <label for=id>{name.clone()}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                        // A segment the rule names that is not offered (it could not be
                        // read): kept ticked, so saving does not drop the condition unseen.
                        {f.segment_ids
                            .iter()
                            .filter(|id| !segments.iter().any(|(s, _)| s.to_string() == **id))
                            .map(|unknown| {
                                let id = sid(&format!("segment-{unknown}"));
                                view! {
                                    <div class="field check">
                                        <input id=id.clone() type="checkbox" name="input[segment_ids][]" value=unknown.clone() checked=true />
                                        <label for=id>{td_string!(l, offers.rules.segment_unknown, id = unknown.clone()).to_string()}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                        {shown("segment_ids")}
                    </fieldset>
                })}
                <fieldset class:invalid=move || err("weekdays").get().is_some()>
                    <legend>{td!(l, offers.rules.days)}</legend>
                    {[
                        td_string!(l, offers.weekday.mon),
                        td_string!(l, offers.weekday.tue),
                        td_string!(l, offers.weekday.wed),
                        td_string!(l, offers.weekday.thu),
                        td_string!(l, offers.weekday.fri),
                        td_string!(l, offers.weekday.sat),
                        td_string!(l, offers.weekday.sun),
                    ]
                        .iter()
                        .enumerate()
                        .map(|(i, d)| {
                            let n = (i + 1).to_string();
                            let id = sid(&format!("day-{n}"));
                            let on = f.weekdays.contains(&n);
                            view! {
                                <div class="field check inline">
                                    <input id=id.clone() type="checkbox" name="input[weekdays][]" value=n checked=on />
                                    <label for=id>{*d}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                {text(
                    td_string!(l, offers.rules.time_from),
                    "input[time_from]",
                    f.time_from.clone(),
                    td_string!(l, offers.rules.time_hint),
                    "time_from",
                )}
                {text(
                    td_string!(l, offers.rules.time_to),
                    "input[time_to]",
                    f.time_to.clone(),
                    td_string!(l, offers.rules.time_hint),
                    "time_to",
                )}
                {text(
                    td_string!(l, offers.rules.starts_on),
                    "input[starts_on]",
                    f.starts_on.clone(),
                    td_string!(l, offers.rules.date_hint),
                    "starts_on",
                )}
                {text(
                    td_string!(l, offers.rules.ends_on),
                    "input[ends_on]",
                    f.ends_on.clone(),
                    td_string!(l, offers.rules.date_hint),
                    "ends_on",
                )}
            </fieldset>
            <fieldset>
                <legend>{td!(l, offers.rules.limits)}</legend>
                {text(td_string!(l, offers.rules.cap_per_event), "input[cap_per_event]", f.cap_per_event.clone(), "", "cap_per_event")}
                {text(td_string!(l, offers.rules.cap_per_day), "input[cap_per_day]", f.cap_per_day.clone(), "", "cap_per_day")}
                {text(
                    td_string!(l, offers.rules.cap_per_month),
                    "input[cap_per_month]",
                    f.cap_per_month.clone(),
                    td_string!(l, offers.rules.caps_hint),
                    "cap_per_month",
                )}
                {text(
                    td_string!(l, offers.rules.budget),
                    "input[budget]",
                    f.budget.clone(),
                    td_string!(l, offers.rules.budget_hint),
                    "budget",
                )}
            </fieldset>
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || match (pending.get(), editing) {
                    (true, _) => td_string!(l, offers.saving),
                    (false, true) => td_string!(l, offers.rules.save),
                    (false, false) => td_string!(l, offers.rules.add),
                }}
            </button>
        </ActionForm>
    }
}

#[component]
fn Preview(action: ServerAction<PreviewAward>, program_id: ProgramId) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let value = action.value();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <ActionForm action attr:class="preview">
            <input type="hidden" name="input[program_id]" value=program_id />
            <FormNotice result=value />
            <Field
                label=td_string!(l, offers.rules.preview.event_type)
                name="input[event_type]"
                scope="preview"
                value="purchase".to_string()
                error=err("event_type")
                dir="ltr"
            />
            <div class="field">
                <label for="preview-channel">{td!(l, offers.rules.preview.channel)}</label>
                <select id="preview-channel" name="input[channel]">
                    {Channel::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.label(lang)}</option> }).collect_view()}
                </select>
            </div>
            <Field
                label=td_string!(l, offers.rules.preview.amount)
                name="input[amount]"
                scope="preview"
                inputmode="decimal"
                error=err("amount")
            />
            <button type="submit" class="button secondary">{td!(l, offers.rules.preview.submit)}</button>
        </ActionForm>
        {move || {
            value.get().and_then(Result::ok).map(|a| {
                view! {
                    <div class="notice ok" role="status">
                        <p><strong>{a.summary.clone()}</strong></p>
                        <ul>
                            {a.lines
                                .iter()
                                .map(|l| {
                                    let mark = if l.matched { "✓" } else { "–" };
                                    view! {
                                        <li>
                                            {format!("{mark} ")}
                                            <bdi>{l.rule_name.clone()}</bdi>
                                            {format!(": {}", l.explanation)}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    </div>
                }
            })
        }}
    }
}
