//! Staff, analyst and admin accounts.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::users::{list_staff_users, CreateUser};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{or_error, Empty, Loading};
use crate::model::user::Role;

#[component]
pub fn UsersPage() -> impl IntoView {
    let create = form_action::<CreateUser>();
    let successes_create = successes(create);
    let users = Resource::new(move || successes_create.get(), |_| list_staff_users());
    let value = create.value();
    let pending = create.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <Title text="Accounts" />
        <div class="columns">
            <section class="card">
                <h2>"Accounts"</h2>
                <Transition fallback=|| view! { <Loading what="accounts" /> }>
                    {move || {
                        users
                            .get()
                            .map(|r| {
                                or_error(
                                    r,
                                    |list| {
                                        if list.is_empty() {
                                            return view! { <Empty><p>"No accounts yet."</p></Empty> }.into_any();
                                        }
                                        view! {
                                            <table>
                                                <thead>
                                                    <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th></tr>
                                                </thead>
                                                <tbody>
                                                    {list
                                                        .into_iter()
                                                        .map(|u| {
                                                            let role = Role::parse(&u.role).map(Role::label).unwrap_or("?");
                                                            view! {
                                                                <tr><td>{u.display_name}</td><td>{u.email}</td><td>{role}</td></tr>
                                                            }
                                                        })
                                                        .collect_view()}
                                                </tbody>
                                            </table>
                                        }
                                            .into_any()
                                    },
                                )
                            })
                    }}
                </Transition>
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
