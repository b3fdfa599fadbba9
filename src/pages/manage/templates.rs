//! A program's message templates: the list, the editor (checked at save: a field that does
//! not exist is named), and, for a saved template, a preview against a real member and a
//! test sent to the manager's own address. Every form posts without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::templates::{
    list_templates, DeleteTemplate, PreviewTemplate, SaveTemplate, SendTestTemplate,
};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::outcome::form_action;
use crate::components::states::{Empty, Loaded};
use crate::components::table::{DataTable, RowAction};
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::message::Channel;
use crate::model::template::{MessageTemplate, TemplateForm, TemplatePreview, TEMPLATE_FIELDS};

use super::messages::channel_label;

fn language_label(lang: Lang, tag: &str) -> &'static str {
    if tag == "ar" {
        td_string!(lang.locale, manage.templates.arabic)
    } else {
        td_string!(lang.locale, manage.templates.english)
    }
}

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let id = super::program_id_param();
    let query = use_query_map();
    let editing = move || query.read().get("edit").and_then(|s| s.parse::<i64>().ok());
    let save = form_action::<SaveTemplate>();
    let delete = form_action::<DeleteTemplate>();
    let (saved, deleted) = (successes(save), successes(delete));
    let list = Resource::new(
        move || (id(), saved.get(), deleted.get()),
        |(id, ..)| list_templates(id),
    );
    view! {
        <Title text=td_string!(l, manage.templates.title) />
        <p><A href=move || format!("/manage/programs/{}/messages", id())>{td!(l, manage.templates.back)}</A></p>
        <h1>{td!(l, manage.templates.title)}</h1>
        <div class="columns">
            <section class="card">
                <h2>{td!(l, manage.templates.list)}</h2>
                <FormNotice result=delete.value() />
                <Loaded what=td_string!(l, manage.templates.loading) resource=list view={move |t: Vec<MessageTemplate>| template_table(lang, t, delete)} />
            </section>
            <Loaded what=td_string!(l, manage.templates.loading) resource=list view={move |t: Vec<MessageTemplate>| {
                let current = editing().and_then(|e| t.into_iter().find(|t| t.id == e));
                editor(lang, id().get(), current, save)
            }} />
        </div>
    }
}

fn template_table(lang: Lang, list: Vec<MessageTemplate>, delete: ServerAction<DeleteTemplate>) -> AnyView {
    let l = lang.locale;
    if list.is_empty() {
        return view! { <Empty><p>{td!(l, manage.templates.empty)}</p></Empty> }.into_any();
    }
    let columns = vec![
        td_string!(l, manage.templates.col_name),
        td_string!(l, manage.templates.col_channel),
        td_string!(l, manage.templates.col_language),
        td_string!(l, manage.templates.col_subject),
        td_string!(l, manage.templates.col_actions),
    ];
    view! {
        <DataTable columns>
            {list.into_iter().map(|t| {
                let target = format!("{} ({}, {})", t.name, channel_label(lang, t.channel), language_label(lang, &t.language));
                view! {
                    <tr>
                        <td class="mono"><bdi>{t.name.clone()}</bdi></td>
                        <td>{channel_label(lang, t.channel)}</td>
                        <td>{language_label(lang, &t.language)}</td>
                        <td><bdi>{t.subject.clone()}</bdi></td>
                        <td>
                            <A href=format!("/manage/programs/{}/templates?edit={}", t.program_id, t.id)
                                attr:aria-label=td_string!(l, manage.templates.edit_named, what = target.clone()).to_string()>
                                {td!(l, manage.templates.edit)}
                            </A>
                            " "
                            <RowAction action=delete
                                fields=vec![("program_id", t.program_id.get().to_string()), ("id", t.id.to_string())]
                                label=td_string!(l, manage.templates.delete) target=target danger=true />
                        </td>
                    </tr>
                }
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}

fn editor(
    lang: Lang,
    program_id: i64,
    current: Option<MessageTemplate>,
    save: ServerAction<SaveTemplate>,
) -> impl IntoView {
    let l = lang.locale;
    let value = save.value();
    let pending = save.pending();
    let err = move |f| field_error(move || value.get(), f);
    let form = current.as_ref().map(TemplateForm::of).unwrap_or(TemplateForm {
        language: lang.tag().chars().take(2).collect(),
        channel: "email".into(),
        ..TemplateForm::default()
    });
    let v = |s: &str| Signal::stored(s.to_string());
    let fields = TEMPLATE_FIELDS
        .iter()
        .map(|f| format!("{{{{ {f} }}}}"))
        .collect::<Vec<_>>()
        .join(" ");
    let heading = if current.is_some() {
        td_string!(l, manage.templates.editing)
    } else {
        td_string!(l, manage.templates.new)
    };
    let saved_id = current.as_ref().map(|t| t.id);
    view! {
        <section class="card">
            <h2>{heading}</h2>
            {move || value.get().and_then(Result::ok).map(|t| view! {
                <p class="notice ok" role="status">{td_string!(l, manage.templates.saved, name = t.name).to_string()}</p>
            })}
            <ActionForm action=save>
                <FormNotice result=value />
                <input type="hidden" name="input[program_id]" value=program_id.to_string() />
                <input type="hidden" name="input[id]" value=form.id.to_string() />
                <Field label=td_string!(l, manage.templates.name) name="input[name]" dir="ltr" value=v(&form.name)
                    hint=td_string!(l, manage.templates.name_hint) error=err("name") />
                <div class="field">
                    <label for="input-channel">{td!(l, manage.templates.channel)}</label>
                    <select id="input-channel" name="input[channel]">
                        {Channel::ALL.iter().map(|c| view! {
                            <option value=c.as_str() selected=form.channel == c.as_str()>{channel_label(lang, *c)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="input-language">{td!(l, manage.templates.language)}</label>
                    <select id="input-language" name="input[language]">
                        <option value="en" selected=form.language == "en">{td!(l, manage.templates.english)}</option>
                        <option value="ar" selected=form.language == "ar">{td!(l, manage.templates.arabic)}</option>
                    </select>
                </div>
                <Field label=td_string!(l, manage.templates.subject) name="input[subject]" value=v(&form.subject)
                    hint=td_string!(l, manage.templates.subject_hint) error=err("subject") />
                <div class="field" class:invalid=move || err("body").get().is_some()>
                    <label for="input-body">{td!(l, manage.templates.body)}</label>
                    <textarea id="input-body" name="input[body]" rows="8" dir="auto" aria-describedby="input-body-hint">{form.body.clone()}</textarea>
                    <p class="hint" id="input-body-hint">{td!(l, manage.templates.fields)} " " <bdi dir="ltr" class="mono">{fields}</bdi></p>
                    {move || err("body").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                </div>
                <button type="submit" class="button" disabled=move || pending.get()>{td!(l, manage.templates.save)}</button>
            </ActionForm>
            {saved_id.map(|id| view! { <Try program_id id /> })}
        </section>
    }
}

/// Preview a saved template for a member, and send it to oneself.
#[component]
fn Try(program_id: i64, id: i64) -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let preview = form_action::<PreviewTemplate>();
    let test = form_action::<SendTestTemplate>();
    let shown = move || match (preview.value().get(), test.value().get()) {
        (_, Some(Ok(p))) => Some((p, true)),
        (Some(Ok(p)), _) => Some((p, false)),
        _ => None,
    };
    // Two forms, each with its own member field (ids kept apart by `scope`).
    let member_field = move |scope: &'static str, action_value: Signal<Option<String>>| {
        view! {
            <Field label=td_string!(l, manage.templates.member) name="member" dir="ltr" scope=scope
                hint=td_string!(l, manage.templates.member_hint) error=action_value />
        }
    };
    view! {
        <h3>{td!(l, manage.templates.try_title)}</h3>
        <ActionForm action=preview>
            <FormNotice result=preview.value() />
            <input type="hidden" name="program_id" value=program_id.to_string() />
            <input type="hidden" name="id" value=id.to_string() />
            {member_field("preview", field_error(move || preview.value().get(), "member"))}
            <button type="submit" class="button ghost">{td!(l, manage.templates.preview)}</button>
        </ActionForm>
        <ActionForm action=test>
            <FormNotice result=test.value() />
            <input type="hidden" name="program_id" value=program_id.to_string() />
            <input type="hidden" name="id" value=id.to_string() />
            {member_field("test", field_error(move || test.value().get(), "member"))}
            <button type="submit" class="button ghost">{td!(l, manage.templates.send_test)}</button>
        </ActionForm>
        {move || shown().map(|(p, sent): (TemplatePreview, bool)| view! {
            <div class="preview" data-testid="template-preview" aria-live="polite">
                {sent.then(|| view! { <p class="notice ok" role="status">{td!(l, manage.templates.test_sent)}</p> })}
                <p class="muted">{td_string!(l, manage.templates.as_for, name = lang.isolate(&p.member_name)).to_string()}</p>
                <p><strong><bdi>{p.subject}</bdi></strong></p>
                <p class="message-body" dir="auto">{p.body}</p>
            </div>
        })}
    }
}
