//! One program: its settings and its tiers.

use crate::model::ids::ProgramId;
use leptos::prelude::*;

use crate::components::outcome::{form_action, form_action_for};
use leptos_meta::Title;
use leptos_router::components::A;

use super::programs::ProgramForm;
use crate::api::programs::{get_program, DeleteTier, SaveProgram, SaveTier};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::lang::Lang;
use crate::domain::tiers::Qualification;
use crate::i18n::{td, td_string};
use crate::model::program::{multiplier_label, Tier};

/// An earn multiplier as people say it: "x1.5"; on an Arabic page "×١٫٥".
pub fn multiplier(lang: Lang, pct: i64) -> String {
    let label = multiplier_label(pct);
    if lang.is_rtl() {
        format!("×{}", lang.digits_of(label.trim_start_matches('x')))
    } else {
        label
    }
}

#[component]
pub fn ProgramEditPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
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
        <Title text=td_string!(l, manage.program.title) />
        <p>
            <A href="/manage">{td!(l, manage.program.all)}</A>
            " · "
            <A href=move || format!("/manage/programs/{}/rules", id())>{td!(l, manage.program.rules)}</A>
            " · "
            <A href=move || format!("/manage/programs/{}/segments", id())>{td!(l, manage.program.segments)}</A>
            " · "
            <A href=move || format!("/manage/programs/{}/campaigns", id())>{td!(l, manage.program.campaigns)}</A>
            " · "
            <A href=move || format!("/manage/programs/{}/messages", id())>{td!(l, manage.program.messages)}</A>
            " · "
            <A href=move || format!("/manage/programs/{}/journeys", id())>{td!(l, manage.program.journeys)}</A>
            " · "
            <A href=move || format!("/manage/programs/{}/rewards", id())>{td!(l, manage.program.rewards)}</A>
        </p>
        <Transition fallback=move || view! { <Loading what=td_string!(l, manage.program.loading) /> }>
            {move || {
                detail
                    .get()
                    .map(|r| {
                        or_error(
                            r,
                            move |d| {
                                let program_id = d.program.id;
                                // The unit is the brand's: kept in its own direction in an Arabic sentence.
                                let unit = lang.isolate(&d.program.currency_name);
                                let q = Qualification {
                                    basis: &d.program.tier_basis,
                                    window: &d.program.tier_window,
                                    currency_name: &unit,
                                    currency_code: &d.program.currency_code,
                                };
                                let (sentence, label) = (q.sentence_in(lang), q.field_label_in(lang));
                                let thresholds: Vec<String> =
                                    d.tiers.iter().map(|t| q.threshold_in(lang, t.threshold_points)).collect();
                                view! {
                                    <div class="columns">
                                        <section class="card">
                                            <h2>{d.program.name.clone()}</h2>
                                            <ProgramForm action=save initial=Some(d.program.clone()) />
                                        </section>
                                        <section class="card">
                                            <h2>{td!(l, manage.tiers.title)}</h2>
                                            <p class="muted" data-testid="tier-basis">{sentence}</p>
                                            {if d.tiers.is_empty() {
                                                view! {
                                                    <Empty>
                                                        <p>
                                                            {td_string!(
                                                                l,
                                                                manage.tiers.empty,
                                                                multiplier = multiplier(lang, 100)
                                                            )
                                                                .to_string()}
                                                        </p>
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
                                            <h3>{td!(l, manage.tiers.add_title)}</h3>
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
    let lang = use_lang();
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
    let summary = td_string!(
        lang.locale,
        manage.tiers.summary,
        name = lang.isolate(&tier.name),
        threshold = threshold,
        multiplier = multiplier(lang, tier.multiplier_pct)
    )
    .to_string();
    let (program_id, tier_id) = (tier.program_id, tier.id);
    view! {
        <li class="tier">
            <details>
                <summary>{summary}</summary>
                <TierForm action=save program_id tier=Some(tier) label />
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="program_id" value=program_id />
                    <input type="hidden" name="tier_id" value=tier_id />
                    <button type="submit" class="button danger">{td!(lang.locale, manage.tiers.delete)}</button>
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
    let l = use_lang().locale;
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
            <Field label=td_string!(l, manage.tiers.name) name="input[name]" scope=scope.clone() value=name error=err("name") />
            <Field
                label=label
                name="input[threshold_points]"
                scope=scope.clone()
                inputmode="numeric"
                value=threshold
                error=err("threshold_points")
            />
            <Field
                label=td_string!(l, manage.tiers.multiplier)
                name="input[multiplier]"
                scope=scope
                inputmode="decimal"
                value=multiplier
                hint=td_string!(l, manage.tiers.multiplier_hint)
                error=err("multiplier")
            />
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || match (pending.get(), editing) {
                    (true, _) => td_string!(l, manage.program_form.saving),
                    (false, true) => td_string!(l, manage.tiers.save),
                    (false, false) => td_string!(l, manage.tiers.add),
                }}
            </button>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipliers_in_each_language() {
        for pct in [100, 150, 125, 205] {
            assert_eq!(multiplier(Lang::ENGLISH, pct), multiplier_label(pct));
        }
        assert_eq!(multiplier(Lang::ARABIC, 150), "×١٫٥");
        assert_eq!(multiplier(Lang::ARABIC, 205), "×٢٫٠٥");
    }
}
