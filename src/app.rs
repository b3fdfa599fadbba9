//! The HTML shell and the route table; nothing else.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

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
    AuthContext::provide();
    view! {
        <Stylesheet id="leptos" href="/pkg/omniloyal.css" />
        <Title formatter=|t: String| if t.is_empty() { "Omniloyal".to_string() } else { format!("{t} · Omniloyal") } />
        <Router>
            <Header />
            <main id="main">
                <Routes fallback=pages::home::NotFound>
                    <Route path=path!("") view=pages::home::HomePage />
                    <Route path=path!("login") view=pages::login::LoginPage />
                    <Route path=path!("signup") view=pages::signup::SignupPage />
                    <Route path=path!("manage") view=pages::manage::programs::ProgramsPage />
                    <Route path=path!("manage/programs/:id") view=pages::manage::program_edit::ProgramEditPage />
                    <Route path=path!("manage/users") view=pages::manage::users::UsersPage />
                    <Route path=path!("desk") view=pages::desk::DeskPage />
                    <Route path=path!("portal") view=pages::portal::PortalPage />
                    <Route path=path!("insights") view=pages::insights::InsightsPage />
                </Routes>
            </main>
        </Router>
    }
}
