//! Surveys: a program asks its members the NPS question, once or every month, quarter or
//! year. Opening a survey closes the program's open one; answers earn what the program's
//! survey rules give, and the Satisfaction dashboard counts them.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::programs::list_programs;
use crate::api::surveys::{list_surveys, OpenSurvey, SetSurveyActive};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::components::states::{Empty, Loaded};
use crate::components::table::{DataTable, RowAction};
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::survey::{Frequency, Survey};

/// How often members may answer, as people read it.
fn frequency_label(lang: Lang, f: Frequency) -> &'static str {
    match f {
        Frequency::Once => td_string!(lang.locale, manage.surveys.once),
        Frequency::Month => td_string!(lang.locale, manage.surveys.month),
        Frequency::Quarter => td_string!(lang.locale, manage.surveys.quarter),
        Frequency::Year => td_string!(lang.locale, manage.surveys.year),
    }
}

#[component]
pub fn SurveysPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let open = form_action::<OpenSurvey>();
    let toggle = form_action::<SetSurveyActive>();
    let (opened, toggled) = (successes(open), successes(toggle));
    let surveys = Resource::new(move || (opened.get(), toggled.get()), |_| list_surveys());
    let programs = Resource::new(|| (), |_| list_programs());
    let value = open.value();
    let pending = open.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <Title text=td_string!(l, manage.surveys.title) />
        <div class="columns">
            <section class="card">
                <h2>{td!(l, manage.surveys.title)}</h2>
                <p class="muted">{td!(l, manage.surveys.intro)}</p>
                <FormNotice result=toggle.value() />
                <Loaded
                    what=td_string!(l, manage.surveys.loading)
                    resource=surveys
                    view=move |list| survey_table(lang, list, toggle)
                />
            </section>
            <section class="card">
                <h2>{td!(l, manage.surveys.open_title)}</h2>
                {move || {
                    value.get().and_then(Result::ok).map(|s| {
                        view! {
                            <p class="notice ok" role="status">
                                {td_string!(l, manage.surveys.opened, program = s.program_name.clone()).to_string()}
                            </p>
                        }
                    })
                }}
                <ActionForm action=open>
                    <FormNotice result=value />
                    <div class="field" class:invalid=move || err("program_id").get().is_some()>
                        <label for="survey-program">{td!(l, manage.surveys.program)}</label>
                        <select id="survey-program" name="input[program_id]">
                            <Transition fallback=|| ()>
                                {move || {
                                    programs
                                        .get()
                                        .and_then(Result::ok)
                                        .map(|list| {
                                            list.into_iter()
                                                .map(|p| view! { <option value=p.id.get()>{p.name}</option> })
                                                .collect_view()
                                        })
                                }}
                            </Transition>
                        </select>
                        {move || err("program_id").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </div>
                    <Field
                        label=td_string!(l, manage.surveys.question)
                        name="input[question]"
                        hint=td_string!(l, manage.surveys.question_hint)
                        error=err("question")
                    />
                    <div class="field" class:invalid=move || err("frequency").get().is_some()>
                        <label for="survey-frequency">{td!(l, manage.surveys.frequency)}</label>
                        <select id="survey-frequency" name="input[frequency]">
                            {Frequency::ALL
                                .iter()
                                .map(|f| {
                                    let chosen = *f == Frequency::Quarter;
                                    view! { <option value=f.as_str() selected=chosen>{frequency_label(lang, *f)}</option> }
                                })
                                .collect_view()}
                        </select>
                        <p class="hint">{td!(l, manage.surveys.frequency_hint)}</p>
                        {move || err("frequency").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </div>
                    <button type="submit" class="button" disabled=move || pending.get()>
                        {td!(l, manage.surveys.open)}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}

fn survey_table(lang: Lang, list: Vec<Survey>, toggle: ServerAction<SetSurveyActive>) -> AnyView {
    let l = lang.locale;
    if list.is_empty() {
        return view! { <Empty><p>{td!(l, manage.surveys.empty)}</p></Empty> }.into_any();
    }
    let columns = vec![
        td_string!(l, manage.surveys.col_program),
        td_string!(l, manage.surveys.col_question),
        td_string!(l, manage.surveys.col_frequency),
        td_string!(l, manage.surveys.col_answers),
        td_string!(l, manage.surveys.col_state),
    ];
    view! {
        <DataTable columns numeric=&[3]>
            {list
                .into_iter()
                .map(|s| {
                    let (label, next, state) = if s.active {
                        (td_string!(l, manage.surveys.close), false, td_string!(l, manage.surveys.state_open))
                    } else {
                        (td_string!(l, manage.surveys.reopen), true, td_string!(l, manage.surveys.state_closed))
                    };
                    let question = if s.question.is_empty() {
                        td_string!(l, manage.surveys.standard_question).to_string()
                    } else {
                        s.question.clone()
                    };
                    view! {
                        <tr>
                            <td><bdi>{s.program_name.clone()}</bdi></td>
                            <td><bdi>{question}</bdi></td>
                            <td>{frequency_label(lang, s.frequency)}</td>
                            <td class="num">{lang.number(s.answers)}</td>
                            <td>
                                {state} " "
                                <RowAction
                                    action=toggle
                                    fields=vec![("id", s.id.to_string()), ("active", next.to_string())]
                                    label
                                    target=s.program_name.clone()
                                />
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frequency_has_words_in_both_languages() {
        for f in Frequency::ALL {
            assert!(!frequency_label(Lang::ENGLISH, *f).is_empty());
            assert_ne!(
                frequency_label(Lang::ENGLISH, *f),
                frequency_label(Lang::ARABIC, *f)
            );
        }
    }
}
