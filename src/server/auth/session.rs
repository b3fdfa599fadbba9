//! Sessions: a random 256-bit token in an HttpOnly, SameSite=Lax cookie; the database keeps
//! only its SHA-256, so a leaked database holds no usable session. Sessions expire after the
//! configured lifetime and are revoked on sign-out.

use cookie::{Cookie, SameSite};
use http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::server::config::{Config, CookieSecure};

pub const COOKIE_NAME: &str = "omniloyal_session";

/// A new session token (hex) and the hash stored for it.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The values of the request's cookies called `name`, in the order sent (a browser may send
/// several: the same name set for other paths or a parent domain).
pub fn cookie_values<'a>(headers: &'a http::HeaderMap, name: &'a str) -> impl Iterator<Item = String> + 'a {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(move |c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The session token from the request's cookies, if any.
pub fn token_from(parts: &Parts) -> Option<String> {
    token_in(&parts.headers)
}

/// The session token among `headers`' cookies, if one of the right shape is there.
pub fn token_in(headers: &http::HeaderMap) -> Option<String> {
    cookie_values(headers, COOKIE_NAME)
        .next()
        .filter(|t| t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A `Set-Cookie` value for all our pages, out of scripts' reach and kept off cross-site
/// posts: `Path=/; HttpOnly; SameSite=Lax`, `Secure` when asked, living `seconds` (0 ends it).
pub fn lax_cookie(name: &str, value: &str, seconds: i64, secure: bool) -> String {
    Cookie::build((name.to_string(), value.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(seconds))
        .build()
        .to_string()
}

/// Whether the request reached us over https, directly or through a proxy that says so.
fn is_https(parts: &Parts, config: &Config) -> bool {
    parts.uri.scheme_str() == Some("https")
        || (config.trust_proxy
            && parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https")))
}

pub(crate) fn secure(parts: &Parts, config: &Config) -> bool {
    match config.cookie_secure {
        CookieSecure::Always => true,
        CookieSecure::Never => false,
        CookieSecure::Auto => is_https(parts, config),
    }
}

/// `Set-Cookie` value that starts a session.
pub fn set_cookie(token: &str, parts: &Parts, config: &Config) -> String {
    lax_cookie(
        COOKIE_NAME,
        token,
        config.session_ttl.as_secs() as i64,
        secure(parts, config),
    )
}

/// `Set-Cookie` value that ends it in the browser.
pub fn clear_cookie(parts: &Parts, config: &Config) -> String {
    lax_cookie(COOKIE_NAME, "", 0, secure(parts, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(cookie: &str) -> Parts {
        http::Request::builder()
            .header("cookie", cookie)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_token(&a), ha);
        assert_ne!(a, ha);
    }

    #[test]
    fn reads_only_well_formed_session_cookie() {
        let (t, _) = new_token();
        assert_eq!(token_from(&parts(&format!("x=1; {COOKIE_NAME}={t}"))), Some(t));
        assert_eq!(token_from(&parts(&format!("{COOKIE_NAME}=short"))), None);
        assert_eq!(token_from(&parts("other=1")), None);
    }

    #[test]
    fn cookie_attributes() {
        let mut config = Config::for_database("sqlite::memory:");
        let p = parts("");
        let c = set_cookie("abc", &p, &config);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"));
        assert!(!c.contains("Secure"), "plain http in auto mode");
        config.cookie_secure = CookieSecure::Always;
        assert!(set_cookie("abc", &p, &config).contains("Secure"));
        assert!(clear_cookie(&p, &config).contains("Max-Age=0"));
    }
}
