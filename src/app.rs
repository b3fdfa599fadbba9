//! The HTML shell and the route table; nothing else.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute, SsrMode};

use crate::components::nav::{AuthContext, Header};
use crate::pages;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let islands = rendered_as_islands();
    let lang = crate::components::lang::page_lang();
    #[cfg(feature = "ssr")]
    if !islands {
        preload_whole_app();
    }
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag() dir=lang.dir()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands />
                <MetaTags />
            </head>
            <body data-islands=islands.then_some("")>
                <App />
            </body>
        </html>
    }
}

/// Whether this page is sent as islands: only its `#[island]` components hydrate, and the
/// browser downloads nothing of the router or of any other page. The Portal's first load is
/// (a member's phone opening it from a link or a bookmark); every other page, and the Portal
/// reached by navigating inside the app, hydrates whole (`hydrate` in lib.rs). Always false
/// in the browser: there the page is drawn by the whole app.
pub(crate) fn rendered_as_islands() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().is_some_and(|parts| parts.uri.path() == "/portal")
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// Names the whole app's chunk (`crate::hydrate_app`) among this page's preloads: on the
/// server the lazy function only registers its chunk, in its first poll, with the page's
/// context (so it is polled here, not spawned elsewhere).
#[cfg(feature = "ssr")]
fn preload_whole_app() {
    use std::future::Future;
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let _ = std::pin::pin!(crate::hydrate_app()).poll(&mut cx);
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let lang = crate::components::lang::provide_lang();
    // The server asks the browser to preload the chunks of the lazy page it renders, through
    // this context; a page sent as islands needs none of them, so its requests go to a set
    // nobody reads. (`PrefetchLazyFn` is Leptos' own, hidden from its docs: if it changes,
    // bundle-size.sh shows the Portal's first load growing again.)
    #[cfg(feature = "ssr")]
    if rendered_as_islands() {
        provide_context(leptos::PrefetchLazyFn::default());
    }
    // True while the router loads the next page (its chunk and its data).
    let (is_routing, set_is_routing) = signal(false);
    let l = lang.locale;
    let title = move |t: String| {
        if t.is_empty() {
            crate::i18n::td_string!(l, common.product_name).to_string()
        } else {
            crate::i18n::td_string!(l, common.page_title, title = t).to_string()
        }
    };
    view! {
        <Stylesheet id="leptos" href="/pkg/omniloyal.css" />
        <Title formatter=title />
        <Router set_is_routing>
            <Layout is_routing />
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
fn Layout(is_routing: ReadSignal<bool>) -> impl IntoView {
    AuthContext::provide();
    let loading = crate::i18n::td_string!(crate::components::lang::use_lang().locale, common.loading_page);
    view! {
            <Header />
            // Always in the page, so screen readers announce the words when they appear.
            <div class="route-progress" class:active=move || is_routing.get() role="status" aria-live="polite">
                <span class="visually-hidden">{move || is_routing.get().then_some(loading)}</span>
            </div>
            <main id="main">
                <Routes fallback=pages::home::NotFound>
                    <Route path=path!("") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("login") view={Lazy::<LoginRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("signup") view={Lazy::<SignupRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("forgot-password") view={Lazy::<ForgotPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("reset-password") view={Lazy::<ResetPasswordRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("verify-email") view={Lazy::<VerifyEmailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("confirm-email") view={Lazy::<ConfirmEmailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("undo-email") view={Lazy::<UndoEmailRoute>::new()} ssr=SsrMode::Async />
                    <ParentRoute path=path!("manage") view={Lazy::<ManageRoute>::new()} ssr=SsrMode::Async>
                        <Route path=path!("") view={Lazy::<ProgramsRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id") view={Lazy::<ProgramEditRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/rewards") view={Lazy::<RewardsRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/rules") view={Lazy::<RulesRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/segments") view={Lazy::<SegmentsRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/campaigns") view={Lazy::<CampaignsRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/messages") view={Lazy::<MessagesRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/templates") view={Lazy::<TemplatesRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/journeys") view={Lazy::<JourneysRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/journeys/:jid") view={Lazy::<JourneyReportRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("mailbox") view={Lazy::<MailboxRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("programs/:id/campaigns/:cid") view={Lazy::<CampaignReportRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("stores") view={Lazy::<StoresRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("surveys") view={Lazy::<SurveysRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("cards") view={Lazy::<CardsRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("approvals") view={Lazy::<ApprovalsRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("keys") view={Lazy::<KeysRoute>::new()} ssr=SsrMode::Async />
                        <Route path=path!("webhooks") view={Lazy::<HooksRoute>::new()} ssr=SsrMode::Async />
                    </ParentRoute>
                    <Route path=path!("desk") view={Lazy::<DeskRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("portal") view={Lazy::<PortalRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("insights") view={Lazy::<InsightsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("insights/value") view={Lazy::<ValueRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("insights/satisfaction") view={Lazy::<SatisfactionRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("insights/help") view={Lazy::<HelpRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("insights/retention") view={Lazy::<RetentionRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("insights/channels") view={Lazy::<ChannelsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("insights/tiers") view={Lazy::<TiersRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("insights/rewards") view={Lazy::<RewardInsightsRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
    }
}

/// A route whose page is loaded on demand: with `cargo leptos build --split` each page's code
/// is its own WASM chunk, fetched when the page is first shown, so a member's phone downloads
/// the Portal and not the Manage console. The split is required, not an option: on wasm a
/// lazy page is always called through its chunk, and an unsplit build imports the chunks
/// from a placeholder module that does not exist (nothing hydrates). `data` loads nothing:
/// each page starts its own resources, which on the first load come with the server's HTML.
macro_rules! lazy_page {
    ($route:ident => $page:path) => {
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    };
    // A Manage page, in its frame behind the admins' gate.
    ($route:ident => $page:path, in manage) => {
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <pages::manage::ManageFrame>{$page()}</pages::manage::ManageFrame> }.into_any()
            }
        }
    };
}

lazy_page!(HomeRoute => pages::home::HomePage);
lazy_page!(LoginRoute => pages::login::LoginPage);
lazy_page!(SignupRoute => pages::signup::SignupPage);
lazy_page!(ForgotPasswordRoute => pages::password::ForgotPasswordPage);
lazy_page!(ResetPasswordRoute => pages::password::ResetPasswordPage);
lazy_page!(VerifyEmailRoute => pages::signup::VerifyEmailPage);
lazy_page!(ConfirmEmailRoute => pages::signup::ConfirmEmailPage);
lazy_page!(UndoEmailRoute => pages::signup::UndoEmailPage);
lazy_page!(ManageRoute => pages::manage::ManageLayout);
lazy_page!(ProgramsRoute => pages::manage::programs::ProgramsPage, in manage);
lazy_page!(ProgramEditRoute => pages::manage::program_edit::ProgramEditPage, in manage);
lazy_page!(RewardsRoute => pages::manage::rewards::RewardsPage, in manage);
lazy_page!(RulesRoute => pages::manage::rules::RulesPage, in manage);
lazy_page!(SegmentsRoute => pages::manage::segments::SegmentsPage, in manage);
lazy_page!(CampaignsRoute => pages::manage::campaigns::CampaignsPage, in manage);
lazy_page!(MessagesRoute => pages::manage::messages::MessagesPage, in manage);
lazy_page!(TemplatesRoute => pages::manage::templates::TemplatesPage, in manage);
lazy_page!(JourneysRoute => pages::manage::journeys::JourneysPage, in manage);
lazy_page!(JourneyReportRoute => pages::manage::journey_report::JourneyReportPage, in manage);
lazy_page!(MailboxRoute => pages::manage::messages::MailboxPage, in manage);
lazy_page!(CampaignReportRoute => pages::manage::campaign_report::CampaignReportPage, in manage);
lazy_page!(StoresRoute => pages::manage::stores::StoresPage, in manage);
lazy_page!(SurveysRoute => pages::manage::surveys::SurveysPage, in manage);
lazy_page!(CardsRoute => pages::manage::cards::CardsPage, in manage);
lazy_page!(ApprovalsRoute => pages::manage::approvals::ApprovalsPage, in manage);
lazy_page!(UsersRoute => pages::manage::users::UsersPage, in manage);
lazy_page!(KeysRoute => pages::manage::keys::KeysPage, in manage);
lazy_page!(HooksRoute => pages::manage::hooks::HooksPage, in manage);
lazy_page!(DeskRoute => pages::desk::DeskPage);
lazy_page!(PortalRoute => pages::portal::PortalPage);
lazy_page!(InsightsRoute => pages::insights::InsightsPage);
lazy_page!(ValueRoute => pages::insights::value::ValuePage);
lazy_page!(SatisfactionRoute => pages::insights::satisfaction::SatisfactionPage);
lazy_page!(HelpRoute => pages::insights::help::HelpPage);
lazy_page!(RetentionRoute => pages::insights::retention::RetentionPage);
lazy_page!(ChannelsRoute => pages::insights::channels::ChannelsPage);
lazy_page!(TiersRoute => pages::insights::tiers::TiersPage);
lazy_page!(RewardInsightsRoute => pages::insights::rewards::RewardsPage);
