//! The signed-in user as app-wide context, and the header with one navigation per surface.
//! The header shows only what the role may use; the server refuses the rest anyway.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::auth::{Login, Logout, Signup, current_user};
use crate::error::AppError;
use crate::model::user::SessionUser;

/// Sign-in state shared by every page. The user is refetched whenever one of the auth
/// actions completes, so the header follows sign-in and sign-out without a reload.
#[derive(Clone, Copy)]
pub struct AuthContext {
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub signup: ServerAction<Signup>,
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
}

impl AuthContext {
    pub fn provide() {
        let login = ServerAction::<Login>::new();
        let logout = ServerAction::<Logout>::new();
        let signup = ServerAction::<Signup>::new();
        let user = Resource::new(
            move || (login.version().get(), logout.version().get(), signup.version().get()),
            |_| current_user(),
        );
        provide_context(AuthContext { login, logout, signup, user });
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
                "Omniloyal"
            </A>
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
