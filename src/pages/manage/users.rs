//! Staff, analyst and admin accounts.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::users::{
    list_staff_users, ChangeAccountRole, CreateUser, ResetAccountPassword, SetAccountEnabled,
};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::states::{Empty, Loaded};
use crate::components::table::{DataTable, RowAction};
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::user::{Role, UserSummary};

/// A role as people read it (`Role::name`, in the page's language): "Program manager",
/// "Store staff", "Analyst".
fn role_name(lang: Lang, role: Role) -> &'static str {
    role.name(lang.locale)
}

/// The role an account has, by its stored name ("?" for one this version does not know).
fn stored_role_name(lang: Lang, role: &str) -> &'static str {
    Role::parse(role).map(|r| role_name(lang, r)).unwrap_or("?")
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let create = form_action::<CreateUser>();
    let row = RowActions {
        enable: form_action::<SetAccountEnabled>(),
        password: form_action::<ResetAccountPassword>(),
        role: form_action::<ChangeAccountRole>(),
    };
    let changes = (
        successes(create),
        successes(row.enable),
        successes(row.password),
        successes(row.role),
    );
    let users = Resource::new(
        move || (changes.0.get(), changes.1.get(), changes.2.get(), changes.3.get()),
        |_| list_staff_users(),
    );
    let value = create.value();
    let pending = create.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <Title text=td_string!(l, manage.users.title) />
        <div class="columns">
            <section class="card">
                <h2>{td!(l, manage.users.title)}</h2>
                <p class="muted">{td!(l, manage.users.intro)}</p>
                <FormNotice result=row.enable.value() />
                <FormNotice result=row.password.value() />
                <FormNotice result=row.role.value() />
                {move || {
                    row.enable.value().get().and_then(Result::ok).map(|u| {
                        let name = lang.isolate(&u.display_name);
                        let text = if u.disabled_at.is_some() {
                            td_string!(l, manage.users.disabled_notice, name = name).to_string()
                        } else {
                            td_string!(l, manage.users.enabled_notice, name = name).to_string()
                        };
                        view! { <p class="notice ok" role="status">{text}</p> }
                    })
                }}
                {move || {
                    row.password.value().get().and_then(Result::ok).map(|u| {
                        view! {
                            <p class="notice ok" role="status">
                                {td_string!(
                                    l,
                                    manage.users.password_notice,
                                    name = lang.isolate(&u.display_name)
                                )
                                    .to_string()}
                            </p>
                        }
                    })
                }}
                {move || {
                    row.role.value().get().and_then(Result::ok).map(|u| {
                        let text = td_string!(
                            l,
                            manage.users.role_notice,
                            name = lang.isolate(&u.display_name),
                            role = stored_role_name(lang, &u.role)
                        )
                        .to_string();
                        view! { <p class="notice ok" role="status">{text}</p> }
                    })
                }}
                <Loaded
                    what=td_string!(l, manage.users.loading)
                    resource=users
                    view=move |list| account_list(lang, list, row)
                />
            </section>
            <section class="card">
                <h2>{td!(l, manage.users.new_title)}</h2>
                <p class="muted">{td!(l, manage.users.new_intro)}</p>
                <ActionForm action=create>
                    <FormNotice result=value />
                    <Show when=move || matches!(value.get(), Some(Ok(_)))>
                        <p class="notice ok" role="status">{td!(l, manage.users.created)}</p>
                    </Show>
                    <Field
                        label=td_string!(l, manage.users.name)
                        name="input[display_name]"
                        error=err("display_name")
                    />
                    <Field
                        label=td_string!(l, manage.users.email)
                        name="input[email]"
                        kind="email"
                        dir="ltr"
                        error=err("email")
                    />
                    <div class="field" class:invalid=move || err("role").get().is_some()>
                        <label for="input-role">{td!(l, manage.users.role)}</label>
                        <select id="input-role" name="input[role]">
                            {[Role::Staff, Role::Analyst, Role::Admin]
                                .into_iter()
                                .map(|r| view! { <option value=r.as_str()>{role_name(lang, r)}</option> })
                                .collect_view()}
                        </select>
                        {move || err("role").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </div>
                    <Field
                        label=td_string!(l, manage.users.password)
                        name="input[password]"
                        kind="password"
                        autocomplete="new-password"
                        hint=td_string!(l, manage.users.password_hint)
                        error=err("password")
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>
                        {move || {
                            if pending.get() {
                                td_string!(l, manage.users.creating)
                            } else {
                                td_string!(l, manage.users.create)
                            }
                        }}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}

#[derive(Clone, Copy)]
struct RowActions {
    enable: ServerAction<SetAccountEnabled>,
    password: ServerAction<ResetAccountPassword>,
    role: ServerAction<ChangeAccountRole>,
}

fn account_list(lang: Lang, list: Vec<UserSummary>, row: RowActions) -> AnyView {
    let l = lang.locale;
    if list.is_empty() {
        return view! { <Empty><p>{td!(l, manage.users.empty)}</p></Empty> }.into_any();
    }
    let columns = vec![
        td_string!(l, manage.users.col_name),
        td_string!(l, manage.users.col_email),
        td_string!(l, manage.users.col_role),
        td_string!(l, manage.users.col_status),
        "",
    ];
    view! {
        <DataTable columns label=td_string!(l, manage.users.table_label)>
            {list.into_iter().map(|u| account_row(lang, u, row)).collect_view()}
        </DataTable>
    }
    .into_any()
}

fn account_row(lang: Lang, u: UserSummary, row: RowActions) -> impl IntoView {
    let l = lang.locale;
    let role = Role::parse(&u.role);
    let status = match u.disabled_at {
        Some(t) => td_string!(l, manage.users.disabled_since, date = lang.date_time(t, None)).to_string(),
        None => td_string!(l, manage.users.active).to_string(),
    };
    let id = u.id.to_string();
    let (id_role, id_password) = (id.clone(), id.clone());
    let who = u.display_name.clone();
    let (role_field, password_field) = (
        format!("account-{}-role", u.id),
        format!("account-{}-password", u.id),
    );
    let (role_label, password_label) = (role_field.clone(), password_field.clone());
    view! {
        <tr class:muted=u.disabled_at.is_some()>
            <td>{u.display_name.clone()}</td>
            <td><bdi dir="ltr">{u.email.clone()}</bdi></td>
            <td>{stored_role_name(lang, &u.role)}</td>
            <td>{status}</td>
            <td>
                <details class="row-tools">
                    <summary>{td!(l, manage.users.change)}<span class="visually-hidden">{format!(" {who}")}</span></summary>
                    <ActionForm action=row.role attr:class="inline-form">
                        <input type="hidden" name="id" value=id_role />
                        <div class="field">
                            <label for=role_label>{td!(l, manage.users.role)}</label>
                            <select id=role_field name="role">
                                {[Role::Staff, Role::Analyst, Role::Admin]
                                    .into_iter()
                                    .map(|r| {
                                        view! {
                                            <option value=r.as_str() selected=role == Some(r)>
                                                {role_name(lang, r)}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                        <button type="submit" class="button ghost">{td!(l, manage.users.change_role)}</button>
                    </ActionForm>
                    <ActionForm action=row.password attr:class="inline-form">
                        <input type="hidden" name="id" value=id_password />
                        <div class="field">
                            <label for=password_label>{td!(l, manage.users.new_password)}</label>
                            <input
                                id=password_field
                                name="password"
                                type="password"
                                autocomplete="new-password"
                                minlength="10"
                            />
                        </div>
                        <button type="submit" class="button ghost">{td!(l, manage.users.reset_password)}</button>
                    </ActionForm>
                    {match u.disabled_at {
                        None => view! {
                            <RowAction
                                action=row.enable
                                fields=vec![("id", id), ("enabled", "false".into())]
                                label=td_string!(l, manage.users.disable)
                                target=who.clone()
                                danger=true
                            />
                        }
                        .into_any(),
                        Some(_) => view! {
                            <RowAction
                                action=row.enable
                                fields=vec![("id", id), ("enabled", "true".into())]
                                label=td_string!(l, manage.users.enable)
                                target=who
                            />
                        }
                        .into_any(),
                    }}
                </details>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_read_as_the_model_says_in_english() {
        for role in Role::ALL {
            assert_eq!(role_name(Lang::ENGLISH, role), role.label());
            assert_ne!(role_name(Lang::ARABIC, role), role.label());
        }
        assert_eq!(stored_role_name(Lang::ENGLISH, "admin"), "Program manager");
        assert_eq!(stored_role_name(Lang::ARABIC, "robot"), "?");
    }
}
