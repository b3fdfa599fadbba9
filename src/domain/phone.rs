//! Phone numbers as the brand's countries read them, with the `phonenumber` crate (a port of
//! Google's libphonenumber and its metadata): "06 12 34 56 78" typed in France is
//! "+33612345678" (E.164), the one form members' phones are kept in. Numbers written before
//! (kept as typed, spaces and dashes dropped: `validate::phone`) are still found by
//! `search_forms`.

use crate::domain::lang::current;
use crate::i18n::td_string;
use phonenumber::country::Id;
use phonenumber::Mode;

use super::validate;

/// An ISO 3166-1 alpha-2 country code ("FR"), in capitals, that the phone metadata knows;
/// empty input: none.
pub fn country(input: &str) -> Result<Option<String>, String> {
    let code = input.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Ok(None);
    }
    match code.parse::<Id>() {
        Ok(_) if code.len() == 2 => Ok(Some(code)),
        _ => Err(td_string!(current().locale, errors.phone.country).into()),
    }
}

fn parse(input: &str, country: Option<&str>) -> Option<phonenumber::PhoneNumber> {
    let id = match country {
        Some(c) => Some(c.parse::<Id>().ok()?),
        None => None,
    };
    phonenumber::parse(id, input).ok().filter(phonenumber::is_valid)
}

/// A valid number in E.164 ("+33612345678"), read with `country` when it is written the
/// national way; None when it is not a valid number there.
pub fn e164(input: &str, country: Option<&str>) -> Option<String> {
    parse(input, country).map(|n| n.format().mode(Mode::E164).to_string())
}

/// A phone as it is kept: the number in E.164 when `country` (the program's, the store's)
/// reads it as a valid number, else as typed less spaces and punctuation (a number the
/// metadata does not know, or a national one with no country to read it), so nothing that
/// was accepted before is refused now. Empty input: no phone.
pub fn store_form(input: &str, country: Option<&str>) -> Result<Option<String>, String> {
    let Some(plain) = validate::phone(input)? else {
        return Ok(None);
    };
    Ok(Some(e164(&plain, country).unwrap_or(plain)))
}

/// What a phone typed in a search may be kept as: its E.164 form as each of `countries`
/// reads it (the first that reads it first), its national digits as the first country writes
/// them (a number written the national way before phones were kept in E.164), and as typed
/// less punctuation. The
/// first item is the number as people read it ("+33 6 12 34 56 78"), for messages. None:
/// not a phone number.
pub fn search_forms(input: &str, countries: &[String]) -> Option<(String, Vec<String>)> {
    let plain = validate::phone(input).ok()??;
    let home: Option<Id> = countries.first().and_then(|c| c.parse().ok());
    let mut forms: Vec<String> = Vec::new();
    let mut shown = None;
    let tries = std::iter::once(None).chain(countries.iter().map(|c| Some(c.as_str())));
    for country in tries {
        let Some(n) = parse(&plain, country) else {
            continue;
        };
        shown.get_or_insert_with(|| n.format().mode(Mode::International).to_string());
        let e164 = n.format().mode(Mode::E164).to_string();
        if !forms.contains(&e164) {
            forms.push(e164);
        }
        // National digits mean nothing without their country ("0446681800" is a number in
        // Zurich and another in France): only a reading in the likeliest country (the
        // store's or the program's) looks for numbers kept that way.
        if home.is_some() && n.country().id() == home {
            let national: String = n
                .format()
                .mode(Mode::National)
                .to_string()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if !forms.contains(&national) {
                forms.push(national);
            }
        }
    }
    if !forms.contains(&plain) {
        forms.push(plain.clone());
    }
    Some((shown.unwrap_or(plain), forms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr() -> Vec<String> {
        vec!["FR".into()]
    }

    #[test]
    fn national_numbers_are_read_with_the_country() {
        // Published examples: libphonenumber's own (a French mobile, a Swiss and a US number).
        assert_eq!(
            e164("06 12 34 56 78", Some("FR")).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(e164("0612345678", Some("FR")).as_deref(), Some("+33612345678"));
        assert_eq!(e164("+33 6 12 34 56 78", None).as_deref(), Some("+33612345678"));
        assert_eq!(
            e164("+33 6 12 34 56 78", Some("DE")).as_deref(),
            Some("+33612345678")
        );
        assert_eq!(e164("044 668 18 00", Some("CH")).as_deref(), Some("+41446681800"));
        assert_eq!(
            e164("(650) 253-0000", Some("US")).as_deref(),
            Some("+16502530000")
        );
        assert_eq!(
            e164("0612345678", None),
            None,
            "national, and no country to read it"
        );
        assert_eq!(e164("12", Some("FR")), None);
    }

    #[test]
    fn kept_in_e164_when_valid_else_as_typed() {
        assert_eq!(
            store_form("06 12 34 56 78", Some("FR")),
            Ok(Some("+33612345678".into()))
        );
        assert_eq!(store_form("06 12 34 56 78", None), Ok(Some("0612345678".into())));
        assert_eq!(store_form("", Some("FR")), Ok(None));
        assert!(store_form("call me", Some("FR")).is_err());
    }

    #[test]
    fn a_search_tries_every_form_a_phone_was_kept_in() {
        let (shown, forms) = search_forms("0612345678", &fr()).unwrap();
        assert_eq!(shown, "+33 6 12 34 56 78");
        assert_eq!(forms, vec!["+33612345678", "0612345678"]);
        let (_, forms) = search_forms("+33 6 12 34 56 78", &fr()).unwrap();
        assert!(forms.contains(&"+33612345678".to_string()));
        assert!(forms.contains(&"0612345678".to_string()), "an old national form");
        let (shown, forms) = search_forms("0612345678", &[]).unwrap();
        assert_eq!(
            (shown.as_str(), forms),
            ("0612345678", vec!["0612345678".to_string()])
        );
        assert!(search_forms("Léa", &fr()).is_none());
        // A Zurich number's national digits are a French number too: a French brand does not
        // look for them (it would find a French member kept as "0446681800").
        let (_, forms) = search_forms("+41 44 668 18 00", &fr()).unwrap();
        assert!(!forms.contains(&"0446681800".to_string()), "{forms:?}");
        let (_, forms) = search_forms("+41 44 668 18 00", &["CH".to_string()]).unwrap();
        assert!(forms.contains(&"0446681800".to_string()), "{forms:?}");
    }

    #[test]
    fn countries() {
        assert_eq!(country(" fr "), Ok(Some("FR".into())));
        assert_eq!(country(""), Ok(None));
        assert!(country("France").is_err());
        assert!(country("ZZ").is_err());
    }
}
