//! Staff, analyst and admin accounts.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::users::{
    list_staff_users, ChangeAccountRole, CreateUser, ResetAccountPassword, SetAccountEnabled,
};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{Empty, Loaded};
use crate::components::table::{DataTable, RowAction};
use crate::model::user::{Role, UserSummary};

#[component]
pub fn UsersPage() -> impl IntoView {
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
        <Title text="Accounts" />
        <div class="columns">
            <section class="card">
                <h2>"Accounts"</h2>
                <p class="muted">
                    "Disabling an account signs it out everywhere at once and keeps it from signing in; its history stays."
                </p>
                <FormNotice result=row.enable.value() />
                <FormNotice result=row.password.value() />
                <FormNotice result=row.role.value() />
                {move || {
                    row.enable.value().get().and_then(Result::ok).map(|u| {
                        let what = if u.disabled_at.is_some() { "disabled and signed out" } else { "enabled" };
                        view! { <p class="notice ok" role="status">{format!("{} is {what}.", u.display_name)}</p> }
                    })
                }}
                {move || {
                    row.password.value().get().and_then(Result::ok).map(|u| {
                        view! {
                            <p class="notice ok" role="status">
                                {format!("{} has a new password and was signed out everywhere.", u.display_name)}
                            </p>
                        }
                    })
                }}
                {move || {
                    row.role.value().get().and_then(Result::ok).map(|u| {
                        let role = Role::parse(&u.role).map(Role::label).unwrap_or("?");
                        view! { <p class="notice ok" role="status">{format!("{} is now {role}.", u.display_name)}</p> }
                    })
                }}
                <Loaded what="accounts" resource=users view=move |list| account_list(list, row) />
            </section>
            <section class="card">
                <h2>"New account"</h2>
                <p class="muted">"For store staff, analysts and other program managers. Members sign up on the portal."</p>
                <ActionForm action=create>
                    <FormNotice result=value />
                    <Show when=move || matches!(value.get(), Some(Ok(_)))>
                        <p class="notice ok" role="status">"Account created."</p>
                    </Show>
                    <Field label="Name" name="input[display_name]" error=err("display_name") />
                    <Field label="Email" name="input[email]" kind="email" error=err("email") />
                    <div class="field" class:invalid=move || err("role").get().is_some()>
                        <label for="input-role">"Role"</label>
                        <select id="input-role" name="input[role]">
                            <option value="staff">"Store staff"</option>
                            <option value="analyst">"Analyst"</option>
                            <option value="admin">"Program manager"</option>
                        </select>
                        {move || err("role").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </div>
                    <Field
                        label="Initial password"
                        name="input[password]"
                        kind="password"
                        autocomplete="new-password"
                        hint="At least 10 characters. Share it privately."
                        error=err("password")
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>
                        {move || if pending.get() { "Creating…" } else { "Create account" }}
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

fn account_list(list: Vec<UserSummary>, row: RowActions) -> AnyView {
    if list.is_empty() {
        return view! { <Empty><p>"No accounts yet."</p></Empty> }.into_any();
    }
    view! {
        <DataTable columns=vec!["Name", "Email", "Role", "Status", ""] label="Accounts">
            {list.into_iter().map(|u| account_row(u, row)).collect_view()}
        </DataTable>
    }
    .into_any()
}

fn account_row(u: UserSummary, row: RowActions) -> impl IntoView {
    let role = Role::parse(&u.role);
    let status = match u.disabled_at {
        Some(t) => format!("Disabled {}", t.display()),
        None => "Active".to_string(),
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
            <td>{u.email.clone()}</td>
            <td>{role.map(Role::label).unwrap_or("?")}</td>
            <td>{status}</td>
            <td>
                <details class="row-tools">
                    <summary>"Change"<span class="visually-hidden">{format!(" {who}")}</span></summary>
                    <ActionForm action=row.role attr:class="inline-form">
                        <input type="hidden" name="id" value=id_role />
                        <div class="field">
                            <label for=role_label>"Role"</label>
                            <select id=role_field name="role">
                                {[Role::Staff, Role::Analyst, Role::Admin]
                                    .into_iter()
                                    .map(|r| view! { <option value=r.as_str() selected=role == Some(r)>{r.label()}</option> })
                                    .collect_view()}
                            </select>
                        </div>
                        <button type="submit" class="button ghost">"Change role"</button>
                    </ActionForm>
                    <ActionForm action=row.password attr:class="inline-form">
                        <input type="hidden" name="id" value=id_password />
                        <div class="field">
                            <label for=password_label>"New password"</label>
                            <input
                                id=password_field
                                name="password"
                                type="password"
                                autocomplete="new-password"
                                minlength="10"
                            />
                        </div>
                        <button type="submit" class="button ghost">"Reset password"</button>
                    </ActionForm>
                    {match u.disabled_at {
                        None => view! {
                            <RowAction
                                action=row.enable
                                fields=vec![("id", id), ("enabled", "false".into())]
                                label="Disable"
                                target=who.clone()
                                danger=true
                            />
                        }
                        .into_any(),
                        Some(_) => view! {
                            <RowAction action=row.enable fields=vec![("id", id), ("enabled", "true".into())] label="Enable" target=who />
                        }
                        .into_any(),
                    }}
                </details>
            </td>
        </tr>
    }
}
