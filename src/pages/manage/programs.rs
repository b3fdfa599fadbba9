//! Program list and the form that creates one.

use leptos::prelude::*;

use crate::components::outcome::form_action;

use crate::domain::tiers::{basis_label, review_label, window_label, TIER_BASES, TIER_REVIEWS, TIER_WINDOWS};
use crate::model::program::EXPIRY_MODES;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::programs::{list_programs, SaveProgram};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::states::{or_error, Empty, Loading};
use crate::domain::currency;
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};

/// An `EXPIRY_MODES` choice in the page's language, by its key; `fallback` (the list's
/// English) for a key the catalogue does not know. (The tier choices are said by
/// `domain::tiers::{window_label, basis_label, review_label}`.)
fn expiry_label(lang: Lang, key: &str, fallback: &'static str) -> &'static str {
    let l = lang.locale;
    match key {
        "none" => td_string!(l, manage.program_form.expiry_none),
        "fixed" => td_string!(l, manage.program_form.expiry_fixed),
        "inactivity" => td_string!(l, manage.program_form.expiry_inactivity),
        _ => fallback,
    }
}

#[component]
pub fn ProgramsPage() -> impl IntoView {
    let lang = use_lang();
    let save = form_action::<SaveProgram>();
    let successes_save = successes(save);
    let programs = Resource::new(move || successes_save.get(), |_| list_programs());
    view! {
        <Title text=td_string!(lang.locale, manage.programs.title) />
        <div class="columns">
            <section class="card">
                <h2>{td!(lang.locale, manage.programs.title)}</h2>
                <Transition fallback=move || {
                    view! { <Loading what=td_string!(lang.locale, manage.programs.loading) /> }
                }>
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
                                                    <p>{td!(lang.locale, manage.programs.empty)}</p>
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
                                                                    {td_string!(
                                                                        lang.locale,
                                                                        manage.programs.rate_line,
                                                                        n = lang.number(p.points_per_unit),
                                                                        unit = lang.isolate(&p.currency_name),
                                                                        code = lang.isolate(&p.currency_code),
                                                                        value = lang.money(p.point_value_minor, &p.currency_code),
                                                                    )
                                                                        .to_string()}
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
                <h2>{td!(lang.locale, manage.programs.new)}</h2>
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
    let lang = use_lang();
    let l = lang.locale;
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
                <p class="notice ok" role="status">{td!(l, manage.program_form.saved)}</p>
            </Show>
            <Field label=td_string!(l, manage.program_form.name) name="input[name]" value=name error=err("name") />
            <Field
                label=td_string!(l, manage.program_form.currency_name)
                name="input[currency_name]"
                value=currency_name
                hint=td_string!(l, manage.program_form.currency_name_hint)
                error=err("currency_name")
            />
            <div class="field" class:invalid=move || err("currency_code").get().is_some()>
                <label for="input-currency_code">{td!(l, manage.program_form.currency_code)}</label>
                <select id="input-currency_code" name="input[currency_code]">
                    {currency::SUPPORTED
                        .iter()
                        .map(|(c, _)| view! { <option value=*c selected=*c == code dir="ltr">{*c}</option> })
                        .collect_view()}
                </select>
                {move || err("currency_code").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
            <Field
                label=td_string!(l, manage.program_form.point_value)
                name="input[point_value_minor]"
                inputmode="numeric"
                value=point_value
                hint=td_string!(l, manage.program_form.point_value_hint)
                error=err("point_value_minor")
            />
            <Field
                label=td_string!(l, manage.program_form.points_per_unit)
                name="input[points_per_unit]"
                inputmode="numeric"
                value=per_unit
                hint=td_string!(l, manage.program_form.points_per_unit_hint)
                error=err("points_per_unit")
            />
            <fieldset>
                <legend>{td!(l, manage.program_form.policies)}</legend>
                <div class="field" class:invalid=move || err("expiry_mode").get().is_some()>
                    <label for="input-expiry_mode">{td!(l, manage.program_form.expiry_mode)}</label>
                    <select id="input-expiry_mode" name="input[expiry_mode]">
                        {EXPIRY_MODES
                            .iter()
                            .map(|(k, label)| view! { <option value=*k selected=*k == expiry_mode>{expiry_label(lang, k, label)}</option> })
                            .collect_view()}
                    </select>
                    {move || err("expiry_mode").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                </div>
                <Field
                    label=td_string!(l, manage.program_form.expiry_months)
                    name="input[expiry_months]"
                    inputmode="numeric"
                    value=expiry_months
                    hint=td_string!(l, manage.program_form.expiry_months_hint)
                    error=err("expiry_months")
                />
                <Field
                    label=td_string!(l, manage.program_form.pending_days)
                    name="input[pending_days]"
                    inputmode="numeric"
                    value=pending_days
                    hint=td_string!(l, manage.program_form.pending_days_hint)
                    error=err("pending_days")
                />
                <Field
                    label=td_string!(l, manage.program_form.adjust_limit)
                    name="input[adjust_limit]"
                    inputmode="numeric"
                    value=adjust_limit
                    hint=td_string!(l, manage.program_form.adjust_limit_hint)
                    error=err("adjust_limit")
                />
                <div class="field" class:invalid=move || err("tier_window").get().is_some()>
                    <label for="input-tier_window">{td!(l, manage.program_form.tier_window)}</label>
                    <select id="input-tier_window" name="input[tier_window]">
                        {TIER_WINDOWS
                            .iter()
                            .map(|(k, _)| view! { <option value=*k selected=*k == tier_window>{window_label(lang, k)}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field" class:invalid=move || err("tier_basis").get().is_some()>
                    <label for="input-tier_basis">{td!(l, manage.program_form.tier_basis)}</label>
                    <select id="input-tier_basis" name="input[tier_basis]">
                        {TIER_BASES
                            .iter()
                            .map(|(k, _)| view! { <option value=*k selected=*k == tier_basis>{basis_label(lang, k)}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field" class:invalid=move || err("tier_review").get().is_some()>
                    <label for="input-tier_review">{td!(l, manage.program_form.tier_review)}</label>
                    <select id="input-tier_review" name="input[tier_review]" aria-describedby="input-tier_review-hint">
                        {TIER_REVIEWS
                            .iter()
                            .map(|(k, _)| view! { <option value=*k selected=*k == tier_review>{review_label(lang, k)}</option> })
                            .collect_view()}
                    </select>
                    <p class="hint" id="input-tier_review-hint">{td!(l, manage.program_form.tier_review_hint)}</p>
                </div>
                <div class="field">
                    <label for="input-allow_negative">{td!(l, manage.program_form.allow_negative)}</label>
                    <select id="input-allow_negative" name="input[allow_negative]">
                        <option value="no" selected=!allow_negative>{td!(l, manage.program_form.allow_negative_no)}</option>
                        <option value="yes" selected=allow_negative>{td!(l, manage.program_form.allow_negative_yes)}</option>
                    </select>
                </div>
                <div class="field">
                    <label for="input-active">{td!(l, manage.program_form.status)}</label>
                    <select id="input-active" name="input[active]">
                        <option value="yes" selected=active>{td!(l, manage.program_form.active)}</option>
                        <option value="no" selected=!active>{td!(l, manage.program_form.paused)}</option>
                    </select>
                </div>
            </fieldset>
            <button type="submit" class="button" disabled=move || pending.get()>
                {move || match (pending.get(), editing) {
                    (true, _) => td_string!(l, manage.program_form.saving),
                    (false, true) => td_string!(l, manage.program_form.save_changes),
                    (false, false) => td_string!(l, manage.program_form.create),
                }}
            </button>
        </ActionForm>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In English every option reads as its list says; in Arabic none is left in English.
    #[test]
    fn options_in_both_languages() {
        for (key, label) in EXPIRY_MODES {
            assert_eq!(expiry_label(Lang::ENGLISH, key, label), *label);
            assert_ne!(expiry_label(Lang::ARABIC, key, label), *label);
        }
        for (list, say) in [
            (
                TIER_WINDOWS,
                window_label as fn(Lang, &'static str) -> &'static str,
            ),
            (TIER_BASES, basis_label),
            (TIER_REVIEWS, review_label),
        ] {
            for (key, label) in list {
                assert_eq!(say(Lang::ENGLISH, key), *label);
                assert_ne!(say(Lang::ARABIC, key), *label);
            }
        }
    }

    #[test]
    fn the_rate_line_reads_as_before_in_english() {
        let lang = Lang::ENGLISH;
        let line = td_string!(
            lang.locale,
            manage.programs.rate_line,
            n = lang.number(7),
            unit = lang.isolate("Leaves"),
            code = lang.isolate("EUR"),
            value = lang.money(2, "EUR"),
        )
        .to_string();
        assert_eq!(line, "7 Leaves per EUR · one point = €0.02");
    }
}
