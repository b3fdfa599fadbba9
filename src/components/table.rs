//! Tables of records and the actions on a row, the same on every page that lists things.

use leptos::prelude::*;
use leptos::server_fn::client::Client;
use leptos::server_fn::codec::PostUrl;
use leptos::server_fn::request::ClientReq;
use leptos::server_fn::{Http, ServerFn};
use serde::de::DeserializeOwned;

use crate::components::lang::use_lang;
use crate::i18n::td_string;

/// A table with column headings that scrolls sideways on a narrow screen instead of widening
/// the page. The rows (`<tr>`s) are the children. Headings and label are in the page's
/// language (`td_string!(lang.locale, ...)`).
#[component]
pub fn DataTable(
    /// The column headings, in order.
    #[prop(into)]
    columns: Vec<&'static str>,
    /// Which columns hold numbers (aligned to the end, like their cells), by position.
    #[prop(optional)]
    numeric: &'static [usize],
    /// An accessible name for the table, when the heading above it does not say enough.
    #[prop(optional)]
    label: Option<&'static str>,
    /// Extra classes for the `<table>` ("history" is always there).
    #[prop(optional)]
    class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let class = match class {
        Some(extra) => format!("history {extra}"),
        None => "history".to_string(),
    };
    view! {
        <div class="table-scroll">
            <table class=class aria-label=label>
                <thead>
                    <tr>
                        {columns
                            .into_iter()
                            .enumerate()
                            .map(|(i, c)| {
                                let class = numeric.contains(&i).then_some("num");
                                view! { <th scope="col" class=class>{c}</th> }
                            })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// One action on one row: a small form that posts `fields` (hidden) to the server action,
/// with a button whose accessible name says which row it acts on ("Close PARIS-1"). Works
/// without JavaScript like every form here.
#[component]
pub fn RowAction<ServFn, OutputProtocol>(
    action: ServerAction<ServFn>,
    /// The hidden fields the action takes: (name, value).
    fields: Vec<(&'static str, String)>,
    /// What the button says ("Close"), in the page's language.
    label: &'static str,
    /// What it acts on, for screen readers ("PARIS-1").
    target: String,
    /// Styles the button as a warning (a destructive or hard-to-undo action).
    #[prop(optional)]
    danger: bool,
) -> impl IntoView
where
    ServFn:
        DeserializeOwned + ServerFn<Protocol = Http<PostUrl, OutputProtocol>> + Clone + Send + Sync + 'static,
    <<ServFn::Client as Client<ServFn::Error>>::Request as ClientReq<ServFn::Error>>::FormData:
        From<leptos::web_sys::FormData>,
    ServFn::Output: Send + Sync + 'static,
    ServFn::Error: Send + Sync + 'static,
    <ServFn as ServerFn>::Client: Client<<ServFn as ServerFn>::Error>,
{
    let class = if danger { "button danger" } else { "button ghost" };
    let name = td_string!(
        use_lang().locale,
        common.row_action,
        action = label,
        target = target
    )
    .to_string();
    view! {
        <ActionForm action attr:class="inline">
            {fields
                .into_iter()
                .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                .collect_view()}
            <button type="submit" class=class aria-label=name>
                {label}
            </button>
        </ActionForm>
    }
}
