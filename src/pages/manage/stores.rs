//! Stores: the codes tills, the channel API and the Desk name, each with its channel and
//! time zone. Saving a code that exists updates that store.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::stores::{list_stores, SaveStore, SetStoreActive};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::states::{Empty, Loaded};
use crate::components::table::{DataTable, RowAction};
use crate::model::rules::Channel;
use crate::model::store::Store;

#[component]
pub fn StoresPage() -> impl IntoView {
    let save = form_action::<SaveStore>();
    let toggle = form_action::<SetStoreActive>();
    let (saved, toggled) = (successes(save), successes(toggle));
    let stores = Resource::new(move || (saved.get(), toggled.get()), |_| list_stores());
    let value = save.value();
    let pending = save.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <Title text="Stores" />
        <div class="columns">
            <section class="card">
                <h2>"Stores"</h2>
                <p class="muted">
                    "Orders from tills, the web shop, the app and the Desk name their store by code; its time zone is the one its local times are shown in."
                </p>
                <FormNotice result=toggle.value() />
                <Loaded what="stores" resource=stores view=move |list| store_table(list, toggle) />
            </section>
            <section class="card">
                <h2>"Add or change a store"</h2>
                {move || {
                    value.get().and_then(Result::ok).map(|s| {
                        view! {
                            <p class="notice ok" role="status">
                                {format!("Saved {} ({}).", s.name, s.code)}
                            </p>
                        }
                    })
                }}
                <ActionForm action=save>
                    <FormNotice result=value />
                    <Field
                        label="Code"
                        name="input[code]"
                        hint="What tills send, e.g. PARIS-1. Saving an existing code changes that store."
                        error=err("code")
                    />
                    <Field label="Name" name="input[name]" hint="E.g. Paris Opéra." error=err("name") />
                    <div class="field" class:invalid=move || err("channel").get().is_some()>
                        <label for="input-channel">"Channel"</label>
                        <select id="input-channel" name="input[channel]">
                            {Channel::ALL
                                .iter()
                                .map(|c| view! { <option value=c.as_str()>{c.as_str()}</option> })
                                .collect_view()}
                        </select>
                        {move || err("channel").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </div>
                    <Field
                        label="Time zone"
                        name="input[time_zone]"
                        hint="As the tz database names it: Europe/Paris, Asia/Riyadh, America/New_York."
                        error=err("time_zone")
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>"Save store"</button>
                </ActionForm>
            </section>
        </div>
    }
}

fn store_table(list: Vec<Store>, toggle: ServerAction<SetStoreActive>) -> AnyView {
    if list.is_empty() {
        return view! { <Empty><p>"No stores yet. Orders can name none until one is added."</p></Empty> }
            .into_any();
    }
    view! {
        <DataTable columns=&["Code", "Name", "Channel", "Time zone", "State"]>
            {list
                .into_iter()
                .map(|s| {
                    let (label, next) = if s.active { ("Close", false) } else { ("Reopen", true) };
                    view! {
                        <tr>
                            <td class="mono"><bdi>{s.code.clone()}</bdi></td>
                            <td>{s.name.clone()}</td>
                            <td>{s.channel.as_str()}</td>
                            <td>{s.time_zone.clone()}</td>
                            <td>
                                {if s.active { "open" } else { "closed" }} " "
                                <RowAction
                                    action=toggle
                                    fields=vec![("id", s.id.to_string()), ("active", next.to_string())]
                                    label
                                    target=s.code.clone()
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
