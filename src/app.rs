//! The HTML shell and the route table; nothing else.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::nav::{AuthContext, Header};
use crate::pages;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/omniloyal.css" />
        <Title formatter=|t: String| if t.is_empty() { "Omniloyal".to_string() } else { format!("{t} · Omniloyal") } />
        <Router>
            <Layout />
        </Router>
    }
}

/// Everything inside the router. Auth actions are made here, not above the router, because
/// the router is what hands a no-JavaScript form's error (`?__err=`) to the actions.
///
/// Pages render with `SsrMode::Async`: the server waits for a page's data and sends it whole.
/// Pages are small and their data is local, so little is lost against streaming, and the HTML
/// is complete without JavaScript (out-of-order streaming needs a script to place its parts).
#[component]
fn Layout() -> impl IntoView {
    AuthContext::provide();
    view! {
            <Header />
            <main id="main">
                <Routes fallback=pages::home::NotFound>
                    <Route path=path!("") view=pages::home::HomePage ssr=SsrMode::Async />
                    <Route path=path!("login") view=pages::login::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("signup") view=pages::signup::SignupPage ssr=SsrMode::Async />
                    <ParentRoute path=path!("manage") view=pages::manage::ManageLayout ssr=SsrMode::Async>
                        <Route path=path!("") view=pages::manage::programs::ProgramsPage ssr=SsrMode::Async />
                        <Route path=path!("programs/:id") view=pages::manage::program_edit::ProgramEditPage ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/rewards") view=pages::manage::rewards::RewardsPage ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/rules") view=pages::manage::rules::RulesPage ssr=SsrMode::Async />
                        <Route path=path!("stores") view=pages::manage::stores::StoresPage ssr=SsrMode::Async />
                        <Route path=path!("cards") view=pages::manage::cards::CardsPage ssr=SsrMode::Async />
                        <Route path=path!("approvals") view=pages::manage::approvals::ApprovalsPage ssr=SsrMode::Async />
                        <Route path=path!("users") view=pages::manage::users::UsersPage ssr=SsrMode::Async />
                        <Route path=path!("keys") view=pages::manage::keys::KeysPage ssr=SsrMode::Async />
                        <Route path=path!("webhooks") view=pages::manage::hooks::HooksPage ssr=SsrMode::Async />
                    </ParentRoute>
                    <Route path=path!("desk") view=pages::desk::DeskPage ssr=SsrMode::Async />
                    <Route path=path!("portal") view=pages::portal::PortalPage ssr=SsrMode::Async />
                    <Route path=path!("insights") view=pages::insights::InsightsPage ssr=SsrMode::Async />
                </Routes>
            </main>
    }
}
