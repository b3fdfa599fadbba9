//! One program: its settings and its tiers.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::components::outcome::{form_action, form_action_for};
use leptos_meta::Title;
use leptos_router::components::A;

use super::programs::ProgramForm;
use crate::api::programs::{get_program, DeleteTier, SaveProgram, SaveTier};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::tiers::Qualification;
use crate::model::program::{multiplier_label, Tier};

#[component]
pub fn ProgramEditPage() -> impl IntoView {
    let id = super::program_id_param();
    let save = form_action::<SaveProgram>();
    // A plain post's saved tier is reported on its own row (a new one's too), not here.
    let add_tier = form_action_for::<SaveTier>(|_| false);
    // Bumped by tier rows after they save or delete, so the list reloads.
    let tiers_changed = RwSignal::new(0usize);
    let (saved, added) = (successes(save), successes(add_tier));
    let detail = Resource::new(
        move || (id(), saved.get(), added.get(), tiers_changed.get()),
        |(id, ..)| get_program(id),
    );
    view! {
        <Title text="Program" />
        <p>
            <A href="/manage">"← All programs"</A>
            " · "
            <A href=move || format!("/manage/programs/{}/rules", id())>"Earning rules"</A>
            " · "
            <A href=move || format!("/manage/programs/{}/rewards", id())>"Rewards"</A>
        </p>
        <Transition fallback=|| view! { <Loading what="program" /> }>
            {move || {
                detail
                    .get()
                    .map(|r| {
                        or_error(
                            r,
                            move |d| {
                                let program_id = d.program.id;
                                let q = Qualification {
                                    basis: &d.program.tier_basis,
                                    window: &d.program.tier_window,
                                    currency_name: &d.program.currency_name,
                                    currency_code: &d.program.currency_code,
                                };
                                let (sentence, label) = (q.sentence(), q.field_label());
                                let thresholds: Vec<String> = d.tiers.iter().map(|t| q.threshold(t.threshold_points)).collect();
                                view! {
                                    <div class="columns">
                                        <section class="card">
                                            <h2>{d.program.name.clone()}</h2>
                                            <ProgramForm action=save initial=Some(d.program.clone()) />
                                        </section>
                                        <section class="card">
                                            <h2>"Tiers"</h2>
                                            <p class="muted" data-testid="tier-basis">{sentence}</p>
                                            {if d.tiers.is_empty() {
                                                view! {
                                                    <Empty>
                                                        <p>"No tiers yet: everyone earns at x1."</p>
                                                    </Empty>
                                                }
                                                    .into_any()
                                            } else {
                                                view! {
                                                    <ul class="tiers">
                                                        {d.tiers
                                                            .into_iter()
                                                            .zip(thresholds)
                                                            .map(|(t, threshold)| {
                                                                view! { <TierRow tier=t threshold label=label.clone() changed=tiers_changed /> }
                                                            })
                                                            .collect_view()}
                                                    </ul>
                                                }
                                                    .into_any()
                                            }}
                                            <h3>"Add a tier"</h3>
                                            <TierForm action=add_tier program_id tier=None label=label.clone() />
                                        </section>
                                    </div>
                                }
                            },
                        )
                    })
            }}
        </Transition>
    }
}

/// One tier with its own edit form and delete button (separate actions, so an error shows on
/// the row it belongs to).
#[component]
fn TierRow(
    tier: Tier,
    /// The threshold in the program's terms ("€350.00 spent").
    threshold: String,
    /// The threshold field's label, likewise.
    label: String,
    changed: RwSignal<usize>,
) -> impl IntoView {
    let tier_id = tier.id;
    let save = form_action_for::<SaveTier>(move |saved| saved.id == tier_id);
    // Nothing tells one row's delete from another's; a deleted row is gone anyway.
    let delete = ServerAction::<DeleteTier>::new();
    let (saved, deleted) = (successes(save), successes(delete));
    Effect::new(move |_| {
        if saved.get() + deleted.get() > 0 {
            changed.update(|n| *n += 1);
        }
    });
    let summary = format!(
        "{} · from {threshold} · earns {}",
        tier.name,
        multiplier_label(tier.multiplier_pct)
    );
    let (program_id, tier_id) = (tier.program_id, tier.id);
    view! {
        <li class="tier">
            <details>
                <summary>{summary}</summary>
                <TierForm action=save program_id tier=Some(tier) label />
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="program_id" value=program_id />
                    <input type="hidden" name="tier_id" value=tier_id />
                    <button type="submit" class="button danger">"Delete tier"</button>
                </ActionForm>
                <FormNotice result=delete.value() />
            </details>
        </li>
    }
}

#[component]
fn TierForm(
    action: ServerAction<SaveTier>,
    program_id: ProgramId,
    tier: Option<Tier>,
    label: String,
) -> impl IntoView {
    let value = action.value();
    let pending = action.pending();
    let err = move |f| field_error(move || value.get(), f);
    let editing = tier.is_some();
    let scope = tier
        .as_ref()
        .map(|t| format!("tier-{}", t.id))
        .unwrap_or_else(|| "tier-new".into());
    let (name, threshold, multiplier) = tier
        .as_ref()
        .map(|t| {
            (
                t.name.clone(),
                t.threshold_points.to_string(),
                multiplier_label(t.multiplier_pct)
                    .trim_start_matches('x')
                    .to_string(),
            )
        })
        .unwrap_or_default();
    view! {
        <ActionForm action=action attr:class="tier-form">
            <input type="hidden" name="input[program_id]" value=program_id />
            {tier.as_ref().map(|t| view! { <input type="hidden" name="input[id]" value=t.id /> })}
            <FormNotice result=value />
            <Field label="Tier name" name="input[name]" scope=scope.clone() value=name error=err("name") />
            <Field
                label=label
                name="input[threshold_points]"
                scope=scope.clone()
                inputmode="numeric"
                value=threshold
                error=err("threshold_points")
            />
            <Field
                label="Earn multiplier"
                name="input[multiplier]"
                scope=scope
                inputmode="decimal"
                value=multiplier
                hint="1 for normal earning, 1.5 for 50% more."
                error=err("multiplier")
            />
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || match (pending.get(), editing) {
                    (true, _) => "Saving…",
                    (false, true) => "Save tier",
                    (false, false) => "Add tier",
                }}
            </button>
        </ActionForm>
    }
}
