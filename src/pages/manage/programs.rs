//! Program list and the form that creates one.

use leptos::prelude::*;

use crate::components::outcome::form_action;

use crate::domain::tiers::{TIER_BASES, TIER_REVIEWS, TIER_WINDOWS};
use crate::model::program::EXPIRY_MODES;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::programs::{list_programs, SaveProgram};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::currency;

#[component]
pub fn ProgramsPage() -> impl IntoView {
    let save = form_action::<SaveProgram>();
    let successes_save = successes(save);
    let programs = Resource::new(move || successes_save.get(), |_| list_programs());
    view! {
        <Title text="Programs" />
        <div class="columns">
            <section class="card">
                <h2>"Programs"</h2>
                <Transition fallback=|| view! { <Loading what="programs" /> }>
                    {move || {
                        programs
                            .get()
                            .map(|r| {
                                or_error(
                                    r,
                                    |list| {
                                        if list.is_empty() {
                                            return view! {
                                                <Empty>
                                                    <p>"No programs yet. Create the first one with the form."</p>
                                                </Empty>
                                            }
                                                .into_any();
                                        }
                                        view! {
                                            <ul class="list">
                                                {list
                                                    .into_iter()
                                                    .map(|p| {
                                                        view! {
                                                            <li>
                                                                <A href=format!("/manage/programs/{}", p.id)>{p.name.clone()}</A>
                                                                <span class="muted">
                                                                    {format!(
                                                                        "{} {} per {} · one point = {}",
                                                                        p.points_per_unit,
                                                                        p.currency_name,
                                                                        p.currency_code,
                                                                        currency::format_minor(p.point_value_minor, &p.currency_code),
                                                                    )}
                                                                </span>
                                                            </li>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </ul>
                                        }
                                            .into_any()
                                    },
                                )
                            })
                    }}
                </Transition>
            </section>
            <section class="card">
                <h2>"New program"</h2>
                <ProgramForm action=save initial=None />
            </section>
        </div>
    }
}

/// The program form, for creating (no `initial`) and editing.
#[component]
pub fn ProgramForm(
    action: ServerAction<SaveProgram>,
    initial: Option<crate::model::program::Program>,
) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let editing = initial.is_some();
    let v = |f: fn(&crate::model::program::Program) -> String| -> Signal<String> {
        let s = initial.as_ref().map(f).unwrap_or_default();
        Signal::derive(move || s.clone())
    };
    let (name, currency_name, point_value, per_unit) = (
        v(|p| p.name.clone()),
        v(|p| p.currency_name.clone()),
        v(|p| p.point_value_minor.to_string()),
        v(|p| p.points_per_unit.to_string()),
    );
    let id = initial.as_ref().map(|p| p.id);
    let expiry_mode = initial
        .as_ref()
        .map(|p| p.expiry_mode.clone())
        .unwrap_or_else(|| "none".into());
    let (expiry_months, pending_days) = (
        v(|p| {
            if p.expiry_months > 0 {
                p.expiry_months.to_string()
            } else {
                String::new()
            }
        }),
        v(|p| p.pending_days.to_string()),
    );
    let adjust_limit = v(|p| p.adjust_limit.map(|l| l.to_string()).unwrap_or_default());
    let allow_negative = initial.as_ref().is_some_and(|p| p.allow_negative);
    let tier_window = initial
        .as_ref()
        .map(|p| p.tier_window.clone())
        .unwrap_or_else(|| "lifetime".into());
    let tier_basis = initial
        .as_ref()
        .map(|p| p.tier_basis.clone())
        .unwrap_or_else(|| "points".into());
    let tier_review = initial
        .as_ref()
        .map(|p| p.tier_review.clone())
        .unwrap_or_else(|| "continuous".into());
    let active = initial.as_ref().is_none_or(|p| p.active);
    let code = initial
        .as_ref()
        .map(|p| p.currency_code.clone())
        .unwrap_or_else(|| "EUR".into());
    let saved = move || matches!(value.get(), Some(Ok(_))) && editing;
    view! {
        <ActionForm action=action>
            {id.map(|id| view! { <input type="hidden" name="input[id]" value=id /> })}
            <FormNotice result=value />
            <Show when=saved>
                <p class="notice ok" role="status">"Saved."</p>
            </Show>
            <Field label="Name" name="input[name]" value=name error=err("name") />
            <Field
                label="Point currency name"
                name="input[currency_name]"
                value=currency_name
                hint="What members collect, e.g. Stars."
                error=err("currency_name")
            />
            <div class="field" class:invalid=move || err("currency_code").get().is_some()>
                <label for="input-currency_code">"Money currency"</label>
                <select id="input-currency_code" name="input[currency_code]">
                    {currency::SUPPORTED
                        .iter()
                        .map(|(c, _)| view! { <option value=*c selected=*c == code>{*c}</option> })
                        .collect_view()}
                </select>
                {move || err("currency_code").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
            <Field
                label="Value of one point (minor units)"
                name="input[point_value_minor]"
                inputmode="numeric"
                value=point_value
                hint="1 means one point is worth one cent."
                error=err("point_value_minor")
            />
            <Field
                label="Points per currency unit"
                name="input[points_per_unit]"
                inputmode="numeric"
                value=per_unit
                hint="Points earned per euro (or dollar…) spent, before the tier multiplier."
                error=err("points_per_unit")
            />
            <fieldset>
                <legend>"Policies"</legend>
                <div class="field" class:invalid=move || err("expiry_mode").get().is_some()>
                    <label for="input-expiry_mode">"Points expire"</label>
                    <select id="input-expiry_mode" name="input[expiry_mode]">
                        {EXPIRY_MODES
                            .iter()
                            .map(|(k, label)| view! { <option value=*k selected=*k == expiry_mode>{*label}</option> })
                            .collect_view()}
                    </select>
                    {move || err("expiry_mode").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                </div>
                <Field
                    label="Expiry months"
                    name="input[expiry_months]"
                    inputmode="numeric"
                    value=expiry_months
                    hint="How many months, when points expire."
                    error=err("expiry_months")
                />
                <Field
                    label="Return window (days)"
                    name="input[pending_days]"
                    inputmode="numeric"
                    value=pending_days
                    hint="Purchase points stay pending this long before they can be spent; 0 for none."
                    error=err("pending_days")
                />
                <Field
                    label="Largest adjustment without approval (points)"
                    name="input[adjust_limit]"
                    inputmode="numeric"
                    value=adjust_limit
                    hint="Staff adjustments above this wait for an admin (Manage → Approvals); empty for no limit."
                    error=err("adjust_limit")
                />
                <div class="field" class:invalid=move || err("tier_window").get().is_some()>
                    <label for="input-tier_window">"Tiers qualify over"</label>
                    <select id="input-tier_window" name="input[tier_window]">
                        {TIER_WINDOWS
                            .iter()
                            .map(|(k, label)| view! { <option value=*k selected=*k == tier_window>{*label}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field" class:invalid=move || err("tier_basis").get().is_some()>
                    <label for="input-tier_basis">"Tiers count"</label>
                    <select id="input-tier_basis" name="input[tier_basis]">
                        {TIER_BASES
                            .iter()
                            .map(|(k, label)| view! { <option value=*k selected=*k == tier_basis>{*label}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field" class:invalid=move || err("tier_review").get().is_some()>
                    <label for="input-tier_review">"Members move down a tier"</label>
                    <select id="input-tier_review" name="input[tier_review]" aria-describedby="input-tier_review-hint">
                        {TIER_REVIEWS
                            .iter()
                            .map(|(k, label)| view! { <option value=*k selected=*k == tier_review>{*label}</option> })
                            .collect_view()}
                    </select>
                    <p class="hint" id="input-tier_review-hint">"Upgrades always happen at once."</p>
                </div>
                <div class="field">
                    <label for="input-allow_negative">"Returns may take a balance below zero"</label>
                    <select id="input-allow_negative" name="input[allow_negative]">
                        <option value="no" selected=!allow_negative>"No: take back what is there"</option>
                        <option value="yes" selected=allow_negative>"Yes: the balance may go negative"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="input-active">"Status"</label>
                    <select id="input-active" name="input[active]">
                        <option value="yes" selected=active>"Active: takes purchases and redemptions"</option>
                        <option value="no" selected=!active>"Paused"</option>
                    </select>
                </div>
            </fieldset>
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || match (pending.get(), editing) {
                    (true, _) => "Saving…",
                    (false, true) => "Save changes",
                    (false, false) => "Create program",
                }}
            </button>
        </ActionForm>
    }
}
