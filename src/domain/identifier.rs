//! What a member identifier sent by a channel can name, and in which order the kinds are
//! tried. Each kind is a namespace of its own: a web shop's customer id `554035386` is not
//! the phone number 554035386, so the calling channel's own ids come first, and a caller may
//! name the kind outright (`phone:554035386`, `external:554035386`, `email:…`, `card:…`).

use crate::domain::lang::current;
use crate::i18n::td_string;
use serde::{Deserialize, Serialize};

use super::{card, validate};
use crate::error::count;

/// The longest identifier accepted.
pub const MAX_CHARS: usize = 128;
/// The longest external (channel customer) id.
pub const MAX_EXTERNAL_CHARS: usize = 64;

/// The kind of identifier that named a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// The calling channel's own customer id, linked to the member by that channel.
    External,
    Email,
    /// The member's card number, an extra card linked to them, or a printed card they hold.
    Card,
    Phone,
}

impl IdKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::External => "external",
            IdKind::Email => "email",
            IdKind::Card => "card",
            IdKind::Phone => "phone",
        }
    }

    fn parse(prefix: &str) -> Option<Self> {
        [IdKind::External, IdKind::Email, IdKind::Card, IdKind::Phone]
            .into_iter()
            .find(|k| k.as_str() == prefix)
    }
}

/// A channel's customer id as it is stored: 1 to 64 visible ASCII characters.
pub fn external(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() || s.len() > MAX_EXTERNAL_CHARS || !s.chars().all(|c| c.is_ascii_graphic()) {
        let lang = current();
        return Err(td_string!(
            lang.locale,
            errors.identifier.external,
            min = count(lang, 1),
            max = count(lang, MAX_EXTERNAL_CHARS as i64)
        )
        .to_string());
    }
    Ok(s.to_string())
}

/// The (kind, normalized value) pairs an identifier may name, in the order they are tried:
/// the caller's own external id, then email, card and phone. With a `kind:` prefix only that
/// kind. An error when nothing could match (a message for the caller).
pub fn candidates(input: &str) -> Result<Vec<(IdKind, String)>, String> {
    let s = input.trim();
    if s.is_empty() || s.chars().count() > MAX_CHARS {
        return Err(td_string!(current().locale, errors.identifier.required).into());
    }
    if s.chars().any(char::is_control) {
        return Err(td_string!(current().locale, errors.identifier.control_chars).into());
    }
    if let Some((prefix, rest)) = s.split_once(':') {
        if let Some(kind) = IdKind::parse(&prefix.to_ascii_lowercase()) {
            // The named kind; then the whole text as a customer id of the caller's, which
            // may look like a prefix ("card:7") and was linked before prefixes existed.
            let named = one(kind, rest).map(|v| (kind, v));
            let whole = external(s).ok().filter(|_| kind != IdKind::External);
            let out: Vec<(IdKind, String)> = named
                .iter()
                .cloned()
                .chain(whole.map(|w| (IdKind::External, w)))
                .collect();
            return match (out.is_empty(), named) {
                (true, Err(m)) => Err(m),
                _ => Ok(out),
            };
        }
    }
    let mut out = Vec::new();
    for kind in [IdKind::External, IdKind::Email, IdKind::Card, IdKind::Phone] {
        if let Ok(v) = one(kind, s) {
            out.push((kind, v));
        }
    }
    if out.is_empty() {
        return Err(td_string!(current().locale, errors.identifier.nothing).into());
    }
    Ok(out)
}

/// `value` read as an identifier of `kind`, normalized as it is stored.
fn one(kind: IdKind, value: &str) -> Result<String, String> {
    match kind {
        IdKind::External => external(value),
        IdKind::Email if value.contains('@') => validate::email(value),
        IdKind::Email => Err(td_string!(current().locale, errors.field.email).into()),
        IdKind::Card => card::normalize(value)
            .ok_or_else(|| td_string!(current().locale, errors.identifier.card_number).to_string()),
        IdKind::Phone => validate::phone(value)?
            .ok_or_else(|| td_string!(current().locale, errors.identifier.phone).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callers_own_ids_come_first_then_email_card_phone() {
        let c = candidates("554035386").unwrap();
        assert_eq!(
            c,
            vec![
                (IdKind::External, "554035386".into()),
                (IdKind::Phone, "554035386".into())
            ]
        );
        let c = candidates(" Ana@Example.com ").unwrap();
        assert_eq!(c[0], (IdKind::External, "Ana@Example.com".into()));
        assert_eq!(c[1], (IdKind::Email, "ana@example.com".into()));
        let card = crate::domain::card::from_random(12345);
        let kinds: Vec<IdKind> = candidates(&card).unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, vec![IdKind::External, IdKind::Card, IdKind::Phone]);
    }

    #[test]
    fn a_prefix_names_one_kind_only() {
        assert_eq!(
            candidates("phone:+49 151 2345678").unwrap(),
            vec![(IdKind::Phone, "+491512345678".into())]
        );
        assert_eq!(
            candidates("External:554035386").unwrap(),
            vec![(IdKind::External, "554035386".into())]
        );
        // A prefix that names nothing valid leaves the whole text as a customer id.
        assert_eq!(
            candidates("card:123").unwrap(),
            vec![(IdKind::External, "card:123".into())]
        );
        assert_eq!(
            candidates("email:a@b.co").unwrap(),
            vec![
                (IdKind::Email, "a@b.co".into()),
                (IdKind::External, "email:a@b.co".into())
            ]
        );
        assert!(candidates("phone:abc def").is_err());
        // An unknown prefix is part of an external id.
        assert_eq!(
            candidates("cust:7").unwrap(),
            vec![(IdKind::External, "cust:7".into())]
        );
    }

    #[test]
    fn refuses_what_can_name_nobody() {
        assert!(candidates("").is_err());
        assert!(candidates("a\u{0}b").is_err());
        assert!(candidates(&"9".repeat(129)).is_err());
        assert!(candidates("two words").is_err());
    }
}
