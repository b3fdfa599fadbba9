//! The signed-in user as app-wide context, and the header with one navigation per surface.
//! The header shows only what the role may use; the server refuses the rest anyway.

use leptos::prelude::*;
use leptos_router::components::A;

use leptos_router::hooks::use_location;

use crate::api::auth::{current_user, Logout};
use crate::components::lang::LangSwitch;
use crate::error::AppError;
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
    view! {
        <header class="site-header">
            <a class="skip" href="#main">"Skip to content"</a>
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◎"</span>
                <span class="brand-name">"Omniloyal"</span>
            </A>
            <LangSwitch />
            <Transition fallback=|| view! { <nav aria-label="Surfaces" class="surfaces"></nav> }>
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
    match user {
        None => view! {
            <nav aria-label="Surfaces" class="surfaces">
                <A href="/portal">"Portal"</A>
                <span class="spacer"></span>
                <A href="/signup" attr:class="button ghost">"Join"</A>
                <A href="/login" attr:class="button">"Sign in"</A>
            </nav>
        }
        .into_any(),
        Some(user) => {
            let role = user.role;
            view! {
                <nav aria-label="Surfaces" class="surfaces">
                    <Show when=move || role.can_manage()>
                        <A href="/manage">"Manage"</A>
                    </Show>
                    <Show when=move || role.can_use_desk()>
                        <A href="/desk">"Desk"</A>
                    </Show>
                    <Show when=move || role.is_member()>
                        <A href="/portal">"Portal"</A>
                    </Show>
                    <Show when=move || role.can_see_insights()>
                        <A href="/insights">"Insights"</A>
                    </Show>
                    <span class="spacer"></span>
                    <span class="who" title=user.email.clone()>
                        {user.display_name.clone()}
                        <small>{role.label()}</small>
                    </span>
                    <ActionForm action=auth.logout attr:class="inline">
                        <button type="submit" class="button ghost">"Sign out"</button>
                    </ActionForm>
                </nav>
            }
            .into_any()
        }
    }
}
