//! The Manage surface: programs, tiers, rules, rewards, stores, cards, accounts, API keys
//! and webhooks.

pub mod approvals;
pub mod cards;
pub mod hooks;
pub mod keys;
pub mod program_edit;
pub mod programs;
pub mod rewards;
pub mod rules;
pub mod stores;
pub mod users;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::access::Gate;
use crate::model::user::Role;

/// The program id in the page's path (`/manage/programs/:id/...`); 0 when it is not a number,
/// which the server answers with "not found".
pub fn program_id_param() -> impl Fn() -> crate::model::ids::ProgramId + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse().ok())
            .unwrap_or_default()
    }
}

/// The Manage surface's parent route: only the outlet. Each page draws the frame (heading and
/// tabs) inside its own role gate (`ManageFrame`, through `app.rs`), so one suspense holds
/// frame and page: with a second gate here, around the frame only, pages now and then came
/// out with their hydration data numbered in another order than the browser's.
#[component]
pub fn ManageLayout() -> impl IntoView {
    view! { <leptos_router::components::Outlet /> }
}

/// A Manage page with its heading and tabs, for admins only (others get a 401 or 403 page
/// without tabs or forms).
#[component]
pub fn ManageFrame(children: ChildrenFn) -> impl IntoView {
    view! {
        <Gate allow=Role::can_manage>
            <h1>"Manage"</h1>
            <ManageTabs />
            {children()}
        </Gate>
    }
}

/// The sub-navigation shared by the Manage pages.
#[component]
pub fn ManageTabs() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Manage">
            <A href="/manage" exact=true>"Programs"</A>
            <A href="/manage/stores">"Stores"</A>
            <A href="/manage/cards">"Cards"</A>
            <A href="/manage/approvals">"Approvals"</A>
            <A href="/manage/users">"Accounts"</A>
            <A href="/manage/keys">"API keys"</A>
            <A href="/manage/webhooks">"Webhooks"</A>
        </nav>
    }
}
