//! The Manage form for a store, and store codes wherever they are typed or sent.

use crate::domain::lang::current;
use crate::error::{count, AppError, Validator};
use crate::i18n::td_string;
use crate::model::rules::Channel;
use crate::model::store::StoreInput;

use super::super::validate;

/// Longest store code (the API took up to 64 characters before stores were a table).
pub const MAX_CODE_CHARS: usize = 64;

/// A store as the form gave it, cleaned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidStore {
    pub code: String,
    pub name: String,
    pub channel: Channel,
    pub time_zone: String,
}

/// A store code, in capitals: 1 to 64 letters, digits, dashes, dots or underscores
/// ("paris-1" is "PARIS-1").
pub fn code(input: &str) -> Result<String, String> {
    let s = validate::typed_number(input).trim().to_ascii_uppercase();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if s.is_empty() || s.len() > MAX_CODE_CHARS || !s.chars().all(allowed) {
        let lang = current();
        return Err(td_string!(
            lang.locale,
            errors.forms.store_code,
            min = count(lang, 1),
            max = count(lang, MAX_CODE_CHARS as i64)
        )
        .to_string());
    }
    Ok(s)
}

/// A store code that may be left empty (None).
pub fn optional_code(input: &str) -> Result<Option<String>, String> {
    match input.trim() {
        "" => Ok(None),
        typed => code(typed).map(Some),
    }
}

/// An IANA time zone name ("Europe/Paris", "Asia/Riyadh"), as the tz database spells it.
pub fn time_zone(input: &str) -> Result<String, String> {
    let s = input.trim();
    match s.parse::<chrono_tz::Tz>() {
        Ok(tz) => Ok(tz.name().to_string()),
        Err(_) => Err(td_string!(current().locale, errors.forms.time_zone).into()),
    }
}

pub fn store(input: &StoreInput) -> Result<ValidStore, AppError> {
    let mut v = Validator::new();
    let code = v.check("code", code(&input.code));
    let name = v.check("name", validate::name(&input.name));
    let channel = v.check(
        "channel",
        Channel::parse(input.channel.trim())
            .ok_or_else(|| td_string!(current().locale, errors.forms.store_channel).to_string()),
    );
    let time_zone = v.check("time_zone", time_zone(&input.time_zone));
    v.finish()?;
    Ok(ValidStore {
        code: code.unwrap_or_default(),
        name: name.unwrap_or_default(),
        channel: channel.unwrap_or(Channel::Store),
        time_zone: time_zone.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_capitals_without_spaces() {
        assert_eq!(code(" paris-1 ").unwrap(), "PARIS-1");
        assert_eq!(code("web.fr_2").unwrap(), "WEB.FR_2");
        assert!(code("paris 1").is_err());
        assert!(code("").is_err());
        assert!(code(&"X".repeat(64)).is_ok());
        assert!(code(&"X".repeat(65)).is_err());
        assert!(code("café").is_err());
        assert_eq!(optional_code("  ").unwrap(), None);
    }

    #[test]
    fn time_zones_are_the_tz_databases() {
        assert_eq!(time_zone("Asia/Riyadh").unwrap(), "Asia/Riyadh");
        assert_eq!(time_zone(" Europe/Paris ").unwrap(), "Europe/Paris");
        assert_eq!(time_zone("UTC").unwrap(), "UTC");
        assert!(time_zone("Europe/Atlantis").is_err());
        assert!(time_zone("").is_err());
    }

    #[test]
    fn a_store_form_reports_every_field() {
        let e = store(&StoreInput {
            code: "a b".into(),
            name: " ".into(),
            channel: "fax".into(),
            time_zone: "Mars/Olympus".into(),
        })
        .unwrap_err();
        for f in ["code", "name", "channel", "time_zone"] {
            assert!(e.field_message(f).is_some(), "{f}: {e:?}");
        }
        let ok = store(&StoreInput {
            code: "riyadh-1".into(),
            name: "Riyadh Park".into(),
            channel: "store".into(),
            time_zone: "Asia/Riyadh".into(),
        })
        .unwrap();
        assert_eq!((ok.code.as_str(), ok.channel), ("RIYADH-1", Channel::Store));
    }
}
