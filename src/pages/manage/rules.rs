//! A program's earning rules: ordered by priority, each with its conditions, effect, caps
//! and budget in words; a form to add or edit; and a dry run that shows what an event would
//! earn and why.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::components::outcome::{form_action, form_action_for};
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::programs::get_program;
use crate::api::rules::{list_rules, DeleteRule, PreviewAward, SaveRule};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::forms::rule as rule_form;
use crate::domain::{currency, rules as engine};
use crate::model::program::ProgramDetail;
use crate::model::rules::{Channel, EarningRule, ProgramEarning, RuleForm, Stacking, EFFECT_KINDS};

#[component]
pub fn RulesPage() -> impl IntoView {
    let id = super::program_id_param();
    // A plain post's saved rule is reported on its own row (a new one's too), not here.
    let add = form_action_for::<SaveRule>(|_| false);
    let preview = form_action::<PreviewAward>();
    let changed = RwSignal::new(0usize);
    let added = successes(add);
    let program = Resource::new(id, get_program);
    let rules = Resource::new(
        move || (id(), added.get(), changed.get()),
        |(id, ..)| list_rules(id),
    );
    view! {
        <Title text="Earning rules" />
        <p><A href=move || format!("/manage/programs/{}", id())>"← Program"</A></p>
        <Transition fallback=|| view! { <Loading what="rules" /> }>
            {move || {
                program.get().zip(rules.get()).map(|(d, r)| {
                    or_error(d, move |d: ProgramDetail| {
                        or_error(r.clone(), move |list: Vec<EarningRule>| {
                            let d2 = d.clone();
                            view! {
                                <div class="columns">
                                    <section class="card">
                                        <h2>{format!("Earning rules of {}", d.program.name)}</h2>
                                        <p class="muted">
                                            {format!(
                                                "Every purchase earns the base rate ({} {} per {}). Rules run from the highest priority down.",
                                                d.program.points_per_unit,
                                                d.program.currency_name,
                                                d.program.currency_code,
                                            )}
                                        </p>
                                        {rule_list(list, &d, changed)}
                                    </section>
                                    <section class="card">
                                        <h2>"Add a rule"</h2>
                                        <RuleEditor action=add detail=d2.clone() initial=None />
                                        <h2>"Try it"</h2>
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

fn rule_list(list: Vec<EarningRule>, d: &ProgramDetail, changed: RwSignal<usize>) -> AnyView {
    if list.is_empty() {
        return view! { <Empty><p>"No rules yet: purchases earn the base rate only."</p></Empty> }.into_any();
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
                .map(|r| view! { <RuleRow rule=r detail=d.clone() earning=earning.clone() changed /> })
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
) -> impl IntoView {
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
        format!("priority {}", rule.priority),
        rule.stacking.label().to_string(),
        engine::describe_effect(&rule.effect, &earning),
        engine::describe_conditions(
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
        facts.push(format!("max {c} per order"));
    }
    if let Some(c) = rule.caps.per_member_day {
        facts.push(format!("max {c} per member per day"));
    }
    if let Some(c) = rule.caps.per_member_month {
        facts.push(format!("max {c} per member per month"));
    }
    if let Some(b) = rule.budget_points {
        facts.push(format!("budget {} of {b} used", rule.budget_used));
    }
    let (program_id, rule_id, active) = (rule.program_id, rule.id, rule.active);
    let name = rule.name.clone();
    view! {
        <li class="rule" class:inactive=!active>
            <details>
                <summary>
                    <strong>{rule.name.clone()}</strong>
                    {(!active).then_some(view! { <span class="badge">"off"</span> })}
                    <span class="muted">{format!(" · {}", facts.join(" · "))}</span>
                </summary>
                <RuleEditor action=save detail=detail.clone() initial=Some(rule) />
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="program_id" value=program_id />
                    <input type="hidden" name="rule_id" value=rule_id />
                    <button type="submit" class="button danger" aria-label=format!("Delete {name}")>
                        "Delete (or switch off if it has awarded points)"
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
) -> impl IntoView {
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
            if hint.is_empty() {
                view! { <Field label name scope value=value error=err(key) /> }.into_any()
            } else {
                view! { <Field label name scope value=value hint error=err(key) /> }.into_any()
            }
        }
    };
    view! {
        <ActionForm action=action attr:class="rule-form">
            <input type="hidden" name="input[program_id]" value=detail.program.id />
            {f.id.map(|id| view! { <input type="hidden" name="input[id]" value=id /> })}
            <FormNotice result=value />
            <Show when=move || matches!(value.get(), Some(Ok(_)))>
                <p class="notice ok" role="status">"Rule saved."</p>
            </Show>
            {text("Rule name", "input[name]", f.name.clone(), "", "name")}
            {text("Priority", "input[priority]", f.priority.clone(), "Higher runs first.", "priority")}
            <div class="field">
                <label for=sid("stacking")>"Combines"</label>
                <select id=sid("stacking") name="input[stacking]">
                    {Stacking::ALL
                        .iter()
                        .map(|s| view! { <option value=s.as_str() selected=s.as_str() == f.stacking>{s.label()}</option> })
                        .collect_view()}
                </select>
                {shown("stacking")}
            </div>
            <div class="field">
                <label for=sid("active")>"Status"</label>
                <select id=sid("active") name="input[active]">
                    <option value="yes" selected=f.active != "no">"On"</option>
                    <option value="no" selected=f.active == "no">"Off"</option>
                </select>
            </div>
            <div class="field">
                <label for=sid("effect_kind")>"Gives"</label>
                <select id=sid("effect_kind") name="input[effect_kind]">
                    {EFFECT_KINDS
                        .iter()
                        .map(|(k, l)| view! { <option value=*k selected=*k == f.effect_kind>{*l}</option> })
                        .collect_view()}
                </select>
                {shown("effect_kind")}
            </div>
            {text("Amount", "input[effect_value]", f.effect_value.clone(), "Points, or 2 for double points.", "effect_value")}
            <fieldset>
                <legend>"When"</legend>
                {text("Event types", "input[event_types]", f.event_types.clone(), "Empty for purchases; e.g. review, survey, or your own.", "event_types")}
                <fieldset class:invalid=move || err("channels").get().is_some()>
                    <legend>"Channels (none ticked: all)"</legend>
                    {Channel::ALL
                        .iter()
                        .map(|c| {
                            let id = sid(&format!("channel-{}", c.as_str()));
                            let on = f.channels.iter().any(|x| x == c.as_str());
                            view! {
                                <div class="field check">
                                    <input id=id.clone() type="checkbox" name="input[channels][]" value=c.as_str() checked=on />
                                    <label for=id>{c.as_str()}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                {text("Stores", "input[stores]", f.stores.clone(), "Store codes, comma-separated; empty for all.", "stores")}
                {text("Only SKUs", "input[include_skus]", f.include_skus.clone(), "", "include_skus")}
                {text("Not SKUs", "input[exclude_skus]", f.exclude_skus.clone(), "", "exclude_skus")}
                {text("Only categories", "input[include_categories]", f.include_categories.clone(), "", "include_categories")}
                {text("Not categories", "input[exclude_categories]", f.exclude_categories.clone(), "", "exclude_categories")}
                {text("Only tags", "input[include_tags]", f.include_tags.clone(), "", "include_tags")}
                {text("Not tags", "input[exclude_tags]", f.exclude_tags.clone(), "", "exclude_tags")}
                {text("Minimum order", "input[min_order]", f.min_order.clone(), "E.g. 20.00; empty for none.", "min_order")}
                <fieldset class:invalid=move || err("tier_ids").get().is_some()>
                    <legend>"Tiers (none ticked: all)"</legend>
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
                <fieldset class:invalid=move || err("weekdays").get().is_some()>
                    <legend>"Days (UTC; none ticked: every day)"</legend>
                    {["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
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
                {text("From time (UTC)", "input[time_from]", f.time_from.clone(), "HH:MM", "time_from")}
                {text("Until time (UTC)", "input[time_to]", f.time_to.clone(), "HH:MM", "time_to")}
                {text("Starts on", "input[starts_on]", f.starts_on.clone(), "YYYY-MM-DD", "starts_on")}
                {text("Ends on (included)", "input[ends_on]", f.ends_on.clone(), "YYYY-MM-DD", "ends_on")}
            </fieldset>
            <fieldset>
                <legend>"Limits"</legend>
                {text("Max per order", "input[cap_per_event]", f.cap_per_event.clone(), "", "cap_per_event")}
                {text("Max per member per day", "input[cap_per_day]", f.cap_per_day.clone(), "", "cap_per_day")}
                {text("Max per member per month", "input[cap_per_month]", f.cap_per_month.clone(), "", "cap_per_month")}
                {text("Campaign budget (points)", "input[budget]", f.budget.clone(), "Never exceeded, even under load.", "budget")}
            </fieldset>
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || match (pending.get(), editing) {
                    (true, _) => "Saving…",
                    (false, true) => "Save rule",
                    (false, false) => "Add rule",
                }}
            </button>
        </ActionForm>
    }
}

#[component]
fn Preview(action: ServerAction<PreviewAward>, program_id: ProgramId) -> impl IntoView {
    let value = action.value();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <ActionForm action attr:class="preview">
            <input type="hidden" name="input[program_id]" value=program_id />
            <FormNotice result=value />
            <Field label="Event type" name="input[event_type]" scope="preview" value="purchase".to_string() error=err("event_type") />
            <div class="field">
                <label for="preview-channel">"Channel"</label>
                <select id="preview-channel" name="input[channel]">
                    {Channel::ALL.iter().map(|c| view! { <option value=c.as_str()>{c.as_str()}</option> }).collect_view()}
                </select>
            </div>
            <Field label="Order amount" name="input[amount]" scope="preview" inputmode="decimal" error=err("amount") />
            <button type="submit" class="button secondary">"Show what it earns"</button>
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
                                    view! { <li>{format!("{mark} {}: {}", l.rule_name, l.explanation)}</li> }
                                })
                                .collect_view()}
                        </ul>
                    </div>
                }
            })
        }}
    }
}
