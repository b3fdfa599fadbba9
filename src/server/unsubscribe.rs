//! One-click unsubscribe (RFC 8058): every email a member may opt out of carries
//! `List-Unsubscribe: <…/unsubscribe/TOKEN>` and `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click`. A mail client POSTs to the address and the member's email
//! consent is withdrawn at once (recorded as by unsubscribe). A person following the link
//! in a browser GETs a page asking them to confirm: a GET changes nothing, since link
//! scanners open every address in an email.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::domain::lang::Lang;
use crate::i18n::{td_string, Locale};
use crate::model::consent::{ConsentName, ConsentSource};
use crate::server::auth::session::hash_token as token_hash;
use crate::server::service::consents::{self, By};
use crate::server::state::AppState;
use crate::server::store::messages;

/// A small page in the message's language (no app shell: the address works signed out).
fn page(lang: Lang, body: &str) -> String {
    let title = td_string!(lang.locale, auth.unsubscribe.title).to_string();
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    format!(
        "<!DOCTYPE html><html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
         <link rel=\"stylesheet\" href=\"/pkg/omniloyal.css\"></head><body><main id=\"main\">\
         <section class=\"card narrow\"><h1>{}</h1>{body}</section></main></body></html>",
        lang.tag(),
        lang.dir(),
        esc(&title),
        esc(&title),
    )
}

fn unknown(lang: Lang) -> Response {
    let l = lang.locale;
    let body = format!(
        "<p>{}</p><p><a href=\"/portal\">{}</a></p>",
        td_string!(l, auth.unsubscribe.unknown),
        td_string!(l, auth.unsubscribe.preferences)
    );
    (StatusCode::NOT_FOUND, Html(page(lang, &body))).into_response()
}

fn lang_of(tag: &str) -> Lang {
    Lang::from_tag(tag).unwrap_or_default()
}

/// The confirmation page a browser gets.
pub async fn confirm(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Ok(Some((_, tag))) = messages::unsubscriber(&state.db, &token_hash(&token)).await else {
        return unknown(Lang::default());
    };
    let lang = lang_of(&tag);
    let l: Locale = lang.locale;
    let body = format!(
        "<p>{}</p><form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\" class=\"button\">{}</button></form>",
        td_string!(l, auth.unsubscribe.question),
        td_string!(l, auth.unsubscribe.submit)
    );
    Html(page(lang, &body)).into_response()
}

/// The one-click POST (from a mail client, or the confirmation page): withdraws the email
/// consent. Repeating it changes nothing more.
pub async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let found = messages::unsubscriber(&state.db, &token_hash(&token)).await;
    let Ok(Some((member, tag))) = found else {
        return unknown(Lang::default());
    };
    let lang = lang_of(&tag);
    let l = lang.locale;
    let by = By {
        source: ConsentSource::Unsubscribe,
        user: None,
        api_key: None,
    };
    if let Err(e) = consents::change(&state.db, member, &[(ConsentName::Email, false)], by).await {
        tracing::error!(error = %e, "unsubscribe failed");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(page(
                lang,
                &format!("<p>{}</p>", td_string!(l, auth.unsubscribe.failed)),
            )),
        )
            .into_response();
    }
    let body = format!(
        "<p role=\"status\">{}</p><p><a href=\"/portal\">{}</a></p>",
        td_string!(l, auth.unsubscribe.done),
        td_string!(l, auth.unsubscribe.preferences)
    );
    Html(page(lang, &body)).into_response()
}
