//! The signed-in user as app-wide context, and the header with one navigation per surface.
//! The header shows only what the role may use; the server refuses the rest anyway.

use leptos::prelude::*;
use leptos_router::components::A;

use leptos_router::hooks::use_location;

use crate::api::auth::{current_user, Logout};
use crate::components::lang::{use_lang, LangSwitch};
use crate::error::AppError;
use crate::i18n::{td, td_string};
use crate::model::user::SessionUser;

/// Sign-in state shared by every page. The user is refetched on every navigation (sign-in
/// and sign-up end in one) and after sign-out, so the header follows without a reload.
#[derive(Clone, Copy)]
pub struct AuthContext {
    pub logout: ServerAction<Logout>,
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
}

impl AuthContext {
    /// Call inside the `<Router>`.
    pub fn provide() {
        let logout = ServerAction::<Logout>::new();
        let location = use_location();
        let user = Resource::new(
            move || (location.pathname.get(), logout.version().get()),
            |_| current_user(),
        );
        provide_context(AuthContext { logout, user });
    }

    pub fn get() -> Self {
        expect_context::<AuthContext>()
    }
}

#[component]
pub fn Header() -> impl IntoView {
    let auth = AuthContext::get();
    let lang = use_lang();
    view! {
        <header class="site-header">
            <a class="skip" href="#main">{td!(lang.locale, common.skip_to_content)}</a>
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◎"</span>
                <span class="brand-name">{td!(lang.locale, common.product_name)}</span>
            </A>
            <LangSwitch />
            <Transition fallback=move || {
                view! { <nav aria-label=td_string!(lang.locale, common.surfaces) class="surfaces"></nav> }
            }>
                {move || {
                    auth.user
                        .get()
                        .map(|u| {
                            let user = u.ok().flatten();
                            view! { <Surfaces user /> }
                        })
                }}
            </Transition>
        </header>
    }
}

#[component]
fn Surfaces(user: Option<SessionUser>) -> impl IntoView {
    let auth = AuthContext::get();
    let lang = use_lang();
    let l = lang.locale;
    let label = td_string!(l, common.surfaces);
    match user {
        None => view! {
            <nav aria-label=label class="surfaces">
                <A href="/portal">{td!(l, common.surface.portal)}</A>
                <span class="spacer"></span>
                <A href="/signup" attr:class="button ghost">{td!(l, common.join)}</A>
                <A href="/login" attr:class="button">{td!(l, common.sign_in)}</A>
            </nav>
        }
        .into_any(),
        Some(user) => {
            let role = user.role;
            view! {
                <nav aria-label=label class="surfaces">
                    <Show when=move || role.can_manage()>
                        <A href="/manage">{td!(l, common.surface.manage)}</A>
                    </Show>
                    <Show when=move || role.can_use_desk()>
                        <A href="/desk">{td!(l, common.surface.desk)}</A>
                    </Show>
                    <Show when=move || role.is_member()>
                        <A href="/portal">{td!(l, common.surface.portal)}</A>
                    </Show>
                    <Show when=move || role.can_see_insights()>
                        <A href="/insights">{td!(l, common.surface.insights)}</A>
                    </Show>
                    <span class="spacer"></span>
                    <span class="who" title=user.email.clone()>
                        <bdi>{user.display_name.clone()}</bdi>
                        <small>{role.name(l)}</small>
                    </span>
                    <ActionForm action=auth.logout attr:class="inline">
                        // A phone shows the short word; the name keeps the whole one, which contains it.
                        <button type="submit" class="button ghost" aria-label=td_string!(l, common.sign_out)>
                            <span class="long">{td!(l, common.sign_out)}</span>
                            <span class="short" aria-hidden="true">{td!(l, common.sign_out_short)}</span>
                        </button>
                    </ActionForm>
                </nav>
            }
            .into_any()
        }
    }
}
