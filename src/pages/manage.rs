//! The Manage surface: programs, tiers, rules, rewards, accounts and API keys.

pub mod hooks;
pub mod keys;
pub mod program_edit;
pub mod programs;
pub mod rewards;
pub mod rules;
pub mod users;

use leptos::prelude::*;
use leptos_router::components::A;

/// The sub-navigation shared by the Manage pages.
#[component]
pub fn ManageTabs() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Manage">
            <A href="/manage" exact=true>"Programs"</A>
            <A href="/manage/users">"Accounts"</A>
            <A href="/manage/keys">"API keys"</A>
            <A href="/manage/webhooks">"Webhooks"</A>
        </nav>
    }
}
