//! Stores: the codes tills, the channel API and the Desk name, each with its channel and
//! time zone. Saving a code that exists updates that store.

use leptos::prelude::*;

use crate::components::outcome::form_action;
use leptos_meta::Title;

use crate::api::stores::{list_stores, SaveStore, SetStoreActive};
use crate::components::field::{field_error, successes, Field, FormNotice};
use crate::components::lang::use_lang;
use crate::components::states::{Empty, Loaded};
use crate::components::table::{DataTable, RowAction};
use crate::domain::lang::Lang;
use crate::i18n::{td, td_string};
use crate::model::rules::Channel;
use crate::model::store::Store;

/// A channel as people read it ("store", "web", "app" in English).
pub(super) fn channel_label(lang: Lang, channel: Channel) -> &'static str {
    match channel {
        Channel::Store => td_string!(lang.locale, manage.stores.channel_store),
        Channel::Web => td_string!(lang.locale, manage.stores.channel_web),
        Channel::App => td_string!(lang.locale, manage.stores.channel_app),
    }
}

#[component]
pub fn StoresPage() -> impl IntoView {
    let lang = use_lang();
    let l = lang.locale;
    let save = form_action::<SaveStore>();
    let toggle = form_action::<SetStoreActive>();
    let (saved, toggled) = (successes(save), successes(toggle));
    let stores = Resource::new(move || (saved.get(), toggled.get()), |_| list_stores());
    let value = save.value();
    let pending = save.pending();
    let err = move |f| field_error(move || value.get(), f);
    view! {
        <Title text=td_string!(l, manage.stores.title) />
        <div class="columns">
            <section class="card">
                <h2>{td!(l, manage.stores.title)}</h2>
                <p class="muted">{td!(l, manage.stores.intro)}</p>
                <FormNotice result=toggle.value() />
                <Loaded
                    what=td_string!(l, manage.stores.loading)
                    resource=stores
                    view=move |list| store_table(lang, list, toggle)
                />
            </section>
            <section class="card">
                <h2>{td!(l, manage.stores.add_title)}</h2>
                {move || {
                    value.get().and_then(Result::ok).map(|s| {
                        view! {
                            <p class="notice ok" role="status">
                                {td_string!(
                                    l,
                                    manage.stores.saved,
                                    name = lang.isolate(&s.name),
                                    code = lang.isolate(&s.code),
                                )
                                    .to_string()}
                            </p>
                        }
                    })
                }}
                <ActionForm action=save>
                    <FormNotice result=value />
                    <Field
                        label=td_string!(l, manage.stores.code)
                        name="input[code]"
                        dir="ltr"
                        hint=td_string!(l, manage.stores.code_hint)
                        error=err("code")
                    />
                    <Field
                        label=td_string!(l, manage.stores.name)
                        name="input[name]"
                        hint=td_string!(l, manage.stores.name_hint)
                        error=err("name")
                    />
                    <div class="field" class:invalid=move || err("channel").get().is_some()>
                        <label for="input-channel">{td!(l, manage.stores.channel)}</label>
                        <select id="input-channel" name="input[channel]">
                            {Channel::ALL
                                .iter()
                                .map(|c| view! { <option value=c.as_str()>{channel_label(lang, *c)}</option> })
                                .collect_view()}
                        </select>
                        {move || err("channel").get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    </div>
                    <Field
                        label=td_string!(l, manage.stores.time_zone)
                        name="input[time_zone]"
                        dir="ltr"
                        hint=td_string!(l, manage.stores.time_zone_hint)
                        error=err("time_zone")
                    />
                    <button type="submit" class="button" disabled=move || pending.get()>
                        {td!(l, manage.stores.save)}
                    </button>
                </ActionForm>
            </section>
        </div>
    }
}

fn store_table(lang: Lang, list: Vec<Store>, toggle: ServerAction<SetStoreActive>) -> AnyView {
    let l = lang.locale;
    if list.is_empty() {
        return view! { <Empty><p>{td!(l, manage.stores.empty)}</p></Empty> }.into_any();
    }
    let columns = vec![
        td_string!(l, manage.stores.col_code),
        td_string!(l, manage.stores.col_name),
        td_string!(l, manage.stores.col_channel),
        td_string!(l, manage.stores.col_time_zone),
        td_string!(l, manage.stores.col_state),
    ];
    view! {
        <DataTable columns>
            {list
                .into_iter()
                .map(|s| {
                    let (label, next) = if s.active {
                        (td_string!(l, manage.stores.close), false)
                    } else {
                        (td_string!(l, manage.stores.reopen), true)
                    };
                    let state = if s.active {
                        td_string!(l, manage.stores.open)
                    } else {
                        td_string!(l, manage.stores.closed)
                    };
                    view! {
                        <tr>
                            <td class="mono"><bdi>{s.code.clone()}</bdi></td>
                            <td>{s.name.clone()}</td>
                            <td>{channel_label(lang, s.channel)}</td>
                            <td><bdi dir="ltr">{s.time_zone.clone()}</bdi></td>
                            <td>
                                {state} " "
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_read_as_their_wire_names_in_english() {
        for c in Channel::ALL {
            assert_eq!(channel_label(Lang::ENGLISH, c), c.as_str());
            assert_ne!(channel_label(Lang::ARABIC, c), c.as_str());
        }
    }
}
