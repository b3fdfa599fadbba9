//! The Manage surface: programs, tiers, rules, segments, rewards, stores, cards, accounts, API keys
//! and webhooks.

pub mod approvals;
pub mod campaign_report;
pub mod campaigns;
pub mod cards;
pub mod hooks;
pub mod journey_report;
pub mod journeys;
pub mod keys;
pub mod messages;
pub mod program_edit;
pub mod programs;
pub mod rewards;
pub mod rules;
pub mod segments;
pub mod stores;
pub mod surveys;
pub mod templates;
pub mod users;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::access::Gate;
use crate::components::lang::use_lang;
use crate::i18n::{td, td_string};
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
    let lang = use_lang();
    view! {
        <Gate allow=Role::can_manage>
            <h1>{td!(lang.locale, manage.title)}</h1>
            <ManageTabs />
            {children()}
        </Gate>
    }
}

/// The sub-navigation shared by the Manage pages.
#[component]
pub fn ManageTabs() -> impl IntoView {
    let lang = use_lang();
    view! {
        <nav class="tabs" aria-label=td_string!(lang.locale, manage.nav.label)>
            <A href="/manage" exact=true>{td!(lang.locale, manage.nav.programs)}</A>
            <A href="/manage/stores">{td!(lang.locale, manage.nav.stores)}</A>
            <A href="/manage/surveys">{td!(lang.locale, manage.nav.surveys)}</A>
            <A href="/manage/cards">{td!(lang.locale, manage.nav.cards)}</A>
            <A href="/manage/approvals">{td!(lang.locale, manage.nav.approvals)}</A>
            <A href="/manage/users">{td!(lang.locale, manage.nav.accounts)}</A>
            <A href="/manage/keys">{td!(lang.locale, manage.nav.keys)}</A>
            <A href="/manage/webhooks">{td!(lang.locale, manage.nav.webhooks)}</A>
        </nav>
    }
}
