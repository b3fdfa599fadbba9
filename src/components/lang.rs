//! The page's language for every component (`use_lang`), and the switch shown on every page.
//! The server decides the language per request (`server::lang`) and writes it into
//! `<html lang>`; the browser reads it back from there, so hydration renders the same words.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::domain::lang::Lang;
use crate::i18n::{td, td_string, Locale};

/// The language of the page being rendered. Call in `App`, before anything renders words.
pub fn provide_lang() -> Lang {
    let lang = page_lang();
    provide_context(lang);
    lang
}

/// The language of this page (English outside a page, as in unit tests).
pub fn use_lang() -> Lang {
    crate::domain::lang::current()
}

/// On the server: the request's language. In the browser: the one the server wrote into
/// `<html lang>`.
pub fn page_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        crate::domain::lang::of_request()
    }
    #[cfg(not(feature = "ssr"))]
    {
        html_lang().unwrap_or_default()
    }
}

#[cfg(not(feature = "ssr"))]
fn html_lang() -> Option<Lang> {
    let tag = document().document_element()?.get_attribute("lang")?;
    Lang::from_tag(&tag)
}

/// A form that switches to the other language and comes back to this page: a post and a
/// redirect, so it works without JavaScript and reloads only the page. Each choice is written
/// in its own language (`lang` on the button), as people look for their own.
#[component]
pub fn LangSwitch() -> impl IntoView {
    let lang = use_lang();
    let location = use_location();
    let back = move || {
        let (path, search) = (location.pathname.get(), location.search.get());
        let search = search.trim_start_matches('?');
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    let (other, other_tag) = match lang.locale {
        Locale::en => (Lang::ARABIC, "ar"),
        Locale::ar => (Lang::ENGLISH, "en"),
    };
    view! {
        <form method="post" action="/lang" class="lang-switch">
            <input type="hidden" name="back" value=back />
            <button
                type="submit"
                name="lang"
                value=other_tag
                class="button ghost"
                lang=other.tag()
                dir=other.dir()
                title=td_string!(lang.locale, common.switch_language_title)
                aria-label=td_string!(other.locale, common.language_name)
            >
                // A phone's header has room for the language's short name only.
                <span class="lang-long">{td!(other.locale, common.language_name)}</span>
                <span class="lang-short" aria-hidden="true">{td!(other.locale, common.language_short)}</span>
            </button>
        </form>
    }
}
