//! Which language each request is answered in, and the form that changes it.
//!
//! The choice is the `lang` cookie (set by the switch, and from a user's profile when they
//! sign in), else the browser's `Accept-Language`, else English. Every request carries the
//! result as a request extension: the shell writes it into `<html lang dir>`, pages and server
//! functions read it (`domain::lang::current`). A switch is a plain form post answered with a redirect
//! back to the same page, so it works without JavaScript and reloads nothing but the page.

use axum::extract::{FromRequest, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use http::HeaderMap;
use serde::Deserialize;

use crate::domain::lang::{Lang, COOKIE};
use crate::server::auth::session;
use crate::server::state::AppState;
use crate::server::store::{sessions, users};

/// Puts the request's `Lang` among its extensions.
pub async fn attach(mut request: Request, next: Next) -> Response {
    let lang = chosen(request.headers());
    request.extensions_mut().insert(lang);
    next.run(request).await
}

/// The language of a request's headers: the cookie's if it names one we have, else the
/// best of `Accept-Language`, else English. Malformed values are ignored, never an error.
pub fn chosen(headers: &HeaderMap) -> Lang {
    session::cookie_values(headers, COOKIE)
        .find_map(|v| Lang::from_tag(&v))
        .unwrap_or_else(|| Lang::from_accept_language(&accept_language(headers)))
}

/// Every `Accept-Language` header of a request, as one list.
fn accept_language(headers: &HeaderMap) -> String {
    headers
        .get_all(http::header::ACCEPT_LANGUAGE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
}

/// A year: the choice outlives sessions; it is not a secret.
const COOKIE_SECONDS: i64 = 365 * 24 * 3600;

/// `Set-Cookie` for a chosen language. Not HttpOnly: it is no secret, and the page reads it to
/// know that a sign-in changed the language (`hydrate` in lib.rs), so the next page loads whole.
pub fn cookie(lang: Lang, secure: bool) -> String {
    cookie::Cookie::build((COOKIE, lang.tag()))
        .path("/")
        .same_site(cookie::SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(COOKIE_SECONDS))
        .build()
        .to_string()
}

#[derive(Deserialize)]
pub struct Switch {
    /// The language tag chosen (`en`, `ar`, `ar-MA`); anything else is English.
    lang: String,
    /// The page to go back to: a path on this site.
    #[serde(default)]
    back: String,
}

/// `POST /lang`: remembers the choice (cookie; profile when signed in) and goes back.
pub async fn switch(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let form = match Form::<Switch>::from_request(Request::from_parts(parts.clone(), body), &state).await {
        Ok(Form(f)) => f,
        Err(_) => return Redirect::to("/").into_response(),
    };
    let lang = switched_to(&form.lang, &parts.headers);
    if let Some(token) = session::token_from(&parts) {
        match sessions::user_for_token(&state.db, &session::hash_token(&token), state.db.now()).await {
            Ok(Some(user)) => {
                if let Err(e) = users::set_locale(&state.db, user.id, lang.tag()).await {
                    tracing::warn!(error = %e, "language not saved on the profile");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "session not looked up for a language switch"),
        }
    }
    let secure = session::secure(&parts, &state.config);
    let mut response = Redirect::to(&local_path(&form.back)).into_response();
    if let Ok(v) = http::HeaderValue::from_str(&cookie(lang, secure)) {
        response.headers_mut().append(http::header::SET_COOKIE, v);
    }
    response
}

/// The language a switch chooses. A bare `ar` keeps the digits of the Arabic the browser asks
/// for: a reader in Morocco who goes to English and back gets Western digits again.
fn switched_to(tag: &str, headers: &HeaderMap) -> Lang {
    let lang = Lang::from_tag(tag).unwrap_or_default();
    if !tag.trim().eq_ignore_ascii_case("ar") {
        return lang;
    }
    // The browser's first Arabic, wherever it stands in the list ("en-US, ar-MA;q=0.8").
    Lang::accepted(&accept_language(headers))
        .find(|asked| asked.locale == lang.locale)
        .unwrap_or(lang)
}

/// `back` if it is a path on this site ("/portal?x=1"), else "/": a switch never sends anyone
/// elsewhere ("//evil.example", "https://...", "/\\evil").
fn local_path(back: &str) -> String {
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && !back.starts_with("/\\")
        && back.len() <= 2048
        && !back.chars().any(|c| c.is_control());
    if ok {
        back.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn switching_to_arabic_keeps_the_browsers_digits() {
        let morocco = Lang::from_tag("ar-MA").unwrap();
        let asks = |v: &str| headers(&[("accept-language", v)]);
        assert_eq!(switched_to("ar", &asks("fr-FR,ar-MA;q=0.8")), morocco);
        assert_eq!(switched_to("ar", &asks("en-US,en;q=0.9,ar-MA;q=0.8")), morocco);
        assert_eq!(switched_to("ar", &asks("ar-MA;q=0,ar-SA;q=0.5")), Lang::ARABIC);
        assert_eq!(switched_to("ar", &asks("ar-SA")), Lang::ARABIC);
        assert_eq!(switched_to("ar", &asks("en")), Lang::ARABIC);
        assert_eq!(switched_to("ar", &headers(&[])), Lang::ARABIC);
        assert_eq!(switched_to("en", &asks("ar-MA")), Lang::ENGLISH);
        assert_eq!(switched_to("ar-MA", &asks("ar-SA")), morocco);
        assert_eq!(switched_to("<b>", &asks("ar-MA")), Lang::ENGLISH);
    }

    #[test]
    fn the_cookie_wins_then_the_browser_then_english() {
        assert_eq!(
            chosen(&headers(&[("cookie", "lang=ar"), ("accept-language", "en")])),
            Lang::ARABIC
        );
        assert_eq!(
            chosen(&headers(&[("accept-language", "ar-EG,en;q=0.5")])),
            Lang::ARABIC
        );
        assert_eq!(
            chosen(&headers(&[("cookie", "lang=xx-<b>"), ("accept-language", "ar")])),
            Lang::ARABIC
        );
        assert_eq!(chosen(&headers(&[("cookie", "lang=zz")])), Lang::ENGLISH);
        assert_eq!(chosen(&headers(&[])), Lang::ENGLISH);
    }

    #[test]
    fn a_switch_goes_back_only_to_this_site() {
        assert_eq!(local_path("/portal?tab=1"), "/portal?tab=1");
        for bad in [
            "",
            "portal",
            "//evil.example/x",
            "https://evil.example",
            "/\\evil.example",
            "/a\nb",
        ] {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
    }
}
