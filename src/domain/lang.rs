//! The language a page is shown in: which catalogue (`crate::i18n::Locale`, English or Arabic)
//! and which digits (Arabic-Indic where the region writes them, Western where it does not).
//! Chosen on the server for each request (`server::lang`), written into `<html lang dir>`,
//! and read back from there by the browser, so both render the same words.

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;

/// The digits numbers are written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Digits {
    /// 0123456789
    Western,
    /// ٠١٢٣٤٥٦٧٨٩ (U+0660..U+0669), with the Arabic decimal and group separators.
    ArabicIndic,
}

/// A language as the product uses it: the catalogue and the digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Lang {
    pub locale: Locale,
    pub digits: Digits,
}

/// The name of the cookie that remembers a visitor's choice.
pub const COOKIE: &str = "lang";

/// Arabic-speaking regions whose usage (CLDR's default numbering system) is Western digits.
const ARABIC_WITH_WESTERN_DIGITS: [&str; 5] = ["MA", "DZ", "TN", "LY", "EH"];

impl Default for Lang {
    fn default() -> Self {
        Self::ENGLISH
    }
}

impl Lang {
    pub const ENGLISH: Lang = Lang {
        locale: Locale::en,
        digits: Digits::Western,
    };
    pub const ARABIC: Lang = Lang {
        locale: Locale::ar,
        digits: Digits::ArabicIndic,
    };

    /// Reads a language tag such as `ar`, `ar-MA`, `en-GB` or `AR_sa`. Anything that is not
    /// English or Arabic, or is not a well-formed tag, is `None`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim();
        if tag.is_empty()
            || tag.len() > 35
            || !tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        let mut parts = tag.split(['-', '_']);
        let language = parts.next()?.to_ascii_lowercase();
        // The region is the first two-letter subtag after the language (a script such as
        // `Arab` may come between).
        let region = parts.find(|p| p.len() == 2).map(|p| p.to_ascii_uppercase());
        match language.as_str() {
            "en" => Some(Self::ENGLISH),
            "ar" => Some(Lang {
                locale: Locale::ar,
                digits: match region.as_deref() {
                    Some(r) if ARABIC_WITH_WESTERN_DIGITS.contains(&r) => Digits::Western,
                    _ => Digits::ArabicIndic,
                },
            }),
            _ => None,
        }
    }

    /// The tag written into `<html lang>` and the cookie: `en`, `ar`, or `ar-MA` for Arabic
    /// with Western digits (one region stands for all of them; only the digits differ).
    pub fn tag(self) -> &'static str {
        match (self.locale, self.digits) {
            (Locale::en, _) => "en",
            (Locale::ar, Digits::ArabicIndic) => "ar",
            (Locale::ar, Digits::Western) => "ar-MA",
        }
    }

    /// `rtl` for Arabic, `ltr` for English: the `dir` of the page.
    pub fn dir(self) -> &'static str {
        match self.locale {
            Locale::ar => "rtl",
            Locale::en => "ltr",
        }
    }

    pub fn is_rtl(self) -> bool {
        self.locale == Locale::ar
    }

    /// A value typed by someone (a program, member or store name, a unit such as "Stars", a
    /// code) set inside a sentence made as a plain string: on a right-to-left page it is
    /// isolated (U+2068 ... U+2069, as `<bdi>` does for elements) so a Latin name or code
    /// keeps its order and does not pull the Arabic around it out of place. English is left
    /// as it is.
    pub fn isolate(self, value: &str) -> String {
        if self.is_rtl() {
            format!("\u{2068}{value}\u{2069}")
        } else {
            value.to_string()
        }
    }

    /// The best of English and Arabic for an `Accept-Language` header, in the order of its
    /// quality values; English when nothing matches or the header is malformed.
    pub fn from_accept_language(header: &str) -> Lang {
        Self::accepted(header).next().unwrap_or_default()
    }

    /// The languages we have that an `Accept-Language` header asks for, most wanted first
    /// (quality, then the header's own order); ranges with q=0 or malformed ones are skipped.
    pub fn accepted(header: &str) -> impl Iterator<Item = Lang> + '_ {
        let mut ranges: Vec<(f32, usize, &str)> = header
            .split(',')
            .take(32)
            .enumerate()
            .filter_map(|(i, item)| {
                let mut fields = item.split(';');
                let tag = fields.next()?.trim();
                let q = fields
                    .find_map(|f| f.trim().strip_prefix("q=").map(|v| v.trim().parse::<f32>().ok()))
                    .unwrap_or(Some(1.0))?;
                (q.is_finite() && q > 0.0 && q <= 1.0).then_some((q, i, tag))
            })
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranges.into_iter().filter_map(|(_, _, tag)| Lang::from_tag(tag))
    }

    /// Writes the ASCII digits of `s` in this language's digits (and, for Arabic-Indic
    /// digits, the Arabic decimal and group separators in place of `.` and `,` between
    /// digits). Text that is not a number is left as it is.
    pub fn digits_of(self, s: &str) -> String {
        match self.digits {
            Digits::Western => s.to_string(),
            Digits::ArabicIndic => {
                let chars: Vec<char> = s.chars().collect();
                // A word with Latin letters is a code or a name ("RIYADH-1", "A4"): typed
                // as it is written, so its digits stay as they are.
                let mut latin = vec![false; chars.len()];
                let mut start = 0;
                for end in (0..=chars.len()).filter(|&i| i == chars.len() || chars[i].is_whitespace()) {
                    let word = start..end;
                    if chars[word.clone()].iter().any(char::is_ascii_alphabetic) {
                        latin[word].fill(true);
                    }
                    start = end + 1;
                }
                let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
                chars
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| {
                        if latin[i] {
                            c
                        } else {
                            match c {
                                '0'..='9' => char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap_or(c),
                                '.' if i > 0 && digit(i - 1) && digit(i + 1) => '\u{066B}',
                                ',' if i > 0 && digit(i - 1) && digit(i + 1) => '\u{066C}',
                                '%' if i > 0 && digit(i - 1) => '\u{066A}',
                                _ => c,
                            }
                        }
                    })
                    .collect()
            }
        }
    }
}

/// The language of the page being rendered or the request being answered: the page's
/// context (`components::lang::provide_lang`), else on the server the request's choice
/// (`server::lang::attach`), else English (the channel API, jobs, tests). Server functions,
/// services and validators use it to answer in the person's language.
pub fn current() -> Lang {
    if let Some(lang) = leptos::prelude::use_context::<Lang>() {
        return lang;
    }
    #[cfg(feature = "ssr")]
    {
        of_request()
    }
    // In the browser, outside the app's context: what the server wrote into `<html lang>`.
    #[cfg(not(feature = "ssr"))]
    {
        leptos::prelude::document()
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
            .and_then(|tag| Lang::from_tag(&tag))
            .unwrap_or_default()
    }
}

/// The language of the request being handled (a page or a server function), which
/// `server::lang::attach` put into its extensions; English outside a request.
#[cfg(feature = "ssr")]
pub fn of_request() -> Lang {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<Lang>().copied())
        .unwrap_or_default()
}

/// What someone typed, with Arabic-Indic (U+0660..) and Eastern Arabic-Indic (U+06F0..) digits
/// read as 0-9, the Arabic decimal separator (U+066B) as `.`, the Arabic comma as `,`, and the
/// Arabic thousands separator (U+066C) dropped: "١٬٢٣٤٫٥٠" is 1234.50, as the page writes it,
/// never 1.234. Mixed digits are read digit by digit, so "١2٣" is 123.
/// Parsers then see one kind of number whatever keyboard was used.
pub fn ascii_digits(input: &str) -> String {
    input
        .chars()
        .filter_map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from_u32('0' as u32 + (c as u32 - 0x0660)),
            '\u{06F0}'..='\u{06F9}' => char::from_u32('0' as u32 + (c as u32 - 0x06F0)),
            '\u{066B}' => Some('.'),
            '\u{066C}' => None,
            '\u{060C}' => Some(','),
            _ => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_choose_the_catalogue_and_the_digits() {
        assert_eq!(Lang::from_tag("ar"), Some(Lang::ARABIC));
        assert_eq!(Lang::from_tag("ar-SA"), Some(Lang::ARABIC));
        assert_eq!(
            Lang::from_tag("ar-EG").map(|l| l.digits),
            Some(Digits::ArabicIndic)
        );
        for western in ["ar-MA", "ar-DZ", "ar_TN", "ar-Arab-MA", "AR-ly"] {
            assert_eq!(
                Lang::from_tag(western).map(|l| l.digits),
                Some(Digits::Western),
                "{western}"
            );
        }
        assert_eq!(Lang::from_tag("en-GB"), Some(Lang::ENGLISH));
        assert_eq!(Lang::from_tag("EN"), Some(Lang::ENGLISH));
        for bad in [
            "",
            "fr",
            "de-CH",
            "ar<script>",
            "a r",
            "x".repeat(40).as_str(),
            "*",
            "ar;q=1",
        ] {
            assert_eq!(Lang::from_tag(bad), None, "{bad:?}");
        }
        for lang in [Lang::ENGLISH, Lang::ARABIC, Lang::from_tag("ar-MA").unwrap()] {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
        }
        assert_eq!(Lang::ARABIC.dir(), "rtl");
        assert_eq!(Lang::ENGLISH.dir(), "ltr");
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(
            Lang::from_accept_language("ar-SA,ar;q=0.9,en;q=0.8"),
            Lang::ARABIC
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR,fr;q=0.9,ar-MA;q=0.8,en;q=0.5").tag(),
            "ar-MA"
        );
        assert_eq!(Lang::from_accept_language("en;q=0.4, ar;q=0.9"), Lang::ARABIC);
        assert_eq!(Lang::from_accept_language("de, fr"), Lang::ENGLISH);
        // Malformed headers and values fall back to English without an error.
        for bad in [
            "",
            ";;;",
            "ar;q=abc",
            "ar;q=0",
            "ar;q=2",
            "ar;q=NaN",
            "\u{0}",
            "ar;q=-1,,,",
        ] {
            assert_eq!(Lang::from_accept_language(bad), Lang::ENGLISH, "{bad:?}");
        }
    }

    #[test]
    fn digits_are_written_and_read_in_both_forms() {
        assert_eq!(Lang::ARABIC.digits_of("1,234.50"), "١٬٢٣٤٫٥٠");
        assert_eq!(Lang::ARABIC.digits_of("Gold, 3 of 10."), "Gold, ٣ of ١٠.");
        assert_eq!(Lang::ENGLISH.digits_of("1,234.50"), "1,234.50");
        assert_eq!(Lang::ARABIC.digits_of("بنسبة 50%، و%"), "بنسبة ٥٠٪، و%");
        // Codes keep their digits: a till sends RIYADH-1.
        assert_eq!(Lang::ARABIC.digits_of("مثل RIYADH-1 أو 12"), "مثل RIYADH-1 أو ١٢");
        let morocco = Lang::from_tag("ar-MA").unwrap();
        assert_eq!(morocco.digits_of("مثل 12.50"), "مثل 12.50");
        assert_eq!(ascii_digits("١٬٢٣٤٫٥٠"), "1234.50");
        assert_eq!(ascii_digits("۱۲۳"), "123");
        assert_eq!(ascii_digits("١2٣"), "123");
        assert_eq!(ascii_digits("12.5 €"), "12.5 €");
    }
}

/// The catalogue (`locales/<language>/<namespace>.json`) says everything in both languages.
#[cfg(test)]
mod catalogue {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    const PLURAL: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

    /// Every key of a namespace file, nested objects joined with '.', with its text.
    fn keys(path: &Path) -> BTreeMap<String, String> {
        fn walk(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        let key = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        walk(&key, v, out);
                    }
                }
                other => {
                    out.insert(prefix.to_string(), other.as_str().unwrap_or_default().to_string());
                }
            }
        }
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut out = BTreeMap::new();
        walk("", &json, &mut out);
        out
    }

    /// A key without its plural suffix, and the suffix.
    fn split_plural(key: &str) -> (&str, Option<&str>) {
        match key.rsplit_once('_') {
            Some((base, form)) if PLURAL.contains(&form) => (base, Some(form)),
            _ => (key, None),
        }
    }

    fn vars(text: &str) -> BTreeSet<String> {
        text.split("{{")
            .skip(1)
            .filter_map(|s| s.split_once("}}").map(|(v, _)| v.trim().to_string()))
            .filter(|v| v != "count")
            .collect()
    }

    fn namespaces(lang: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(lang);
        std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect()
    }

    #[test]
    fn every_key_is_in_both_languages_with_the_same_values_and_all_plural_forms() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        assert_eq!(
            namespaces("en"),
            namespaces("ar"),
            "the same namespace files in both languages"
        );
        let mut problems = Vec::new();
        for file in namespaces("en") {
            let en = keys(&root.join("en").join(&file));
            let ar = keys(&root.join("ar").join(&file));
            let group = |m: &BTreeMap<String, String>| {
                let mut g: BTreeMap<String, BTreeMap<Option<String>, String>> = BTreeMap::new();
                for (k, v) in m {
                    let (base, form) = split_plural(k);
                    g.entry(base.to_string())
                        .or_default()
                        .insert(form.map(str::to_string), v.clone());
                }
                g
            };
            let (en, ar) = (group(&en), group(&ar));
            for (key, forms) in &en {
                let Some(ar_forms) = ar.get(key) else {
                    problems.push(format!("{file}: `{key}` has no Arabic"));
                    continue;
                };
                let plural = forms.keys().any(Option::is_some);
                if plural {
                    for form in ["one", "other"] {
                        if !forms.contains_key(&Some(form.to_string())) {
                            problems.push(format!("{file}: English `{key}` lacks the `{form}` form"));
                        }
                    }
                    for form in PLURAL {
                        if !ar_forms.contains_key(&Some(form.to_string())) {
                            problems.push(format!(
                                "{file}: Arabic `{key}` lacks the `{form}` form (Arabic has six)"
                            ));
                        }
                    }
                } else if ar_forms.keys().any(Option::is_some) {
                    problems.push(format!("{file}: `{key}` is plural in Arabic only"));
                }
                let en_vars: BTreeSet<String> = forms.values().flat_map(|t| vars(t)).collect();
                let ar_vars: BTreeSet<String> = ar_forms.values().flat_map(|t| vars(t)).collect();
                if en_vars != ar_vars {
                    problems.push(format!(
                        "{file}: `{key}` takes {en_vars:?} in English, {ar_vars:?} in Arabic"
                    ));
                }
                for (lang, texts) in [("English", forms), ("Arabic", ar_forms)] {
                    if texts.values().any(|t| t.trim().is_empty()) {
                        problems.push(format!("{file}: {lang} `{key}` is empty"));
                    }
                    // ar-SA writes ١٢٫٥٠ and ar-MA 12.50: the text has Western digits and
                    // `Lang::digits_of` writes them the page's way.
                    if texts
                        .values()
                        .any(|t| t.chars().any(|c| ('\u{0660}'..='\u{0669}').contains(&c)))
                    {
                        problems.push(format!(
                            "{file}: {lang} `{key}` has Arabic-Indic digits (write 0-9)"
                        ));
                    }
                }
            }
            for key in ar.keys().filter(|k| !en.contains_key(*k)) {
                problems.push(format!("{file}: `{key}` is in Arabic only"));
            }
        }
        assert!(
            problems.is_empty(),
            "the catalogue is incomplete:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn plurals_take_the_six_arabic_forms() {
        use crate::i18n::{td_string, Locale};
        let ar = |n: u64| {
            td_string!(
                Locale::ar,
                common.points_count,
                count = n,
                n = super::Lang::ARABIC.number(n as i64)
            )
            .to_string()
        };
        assert_eq!(ar(0), "لا نقاط");
        assert_eq!(ar(1), "نقطة واحدة");
        assert_eq!(ar(2), "نقطتان");
        assert_eq!(ar(3), "٣ نقاط");
        assert_eq!(ar(10), "١٠ نقاط");
        assert_eq!(ar(11), "١١ نقطة");
        assert_eq!(ar(99), "٩٩ نقطة");
        assert_eq!(ar(100), "١٠٠ نقطة");
        assert_eq!(ar(103), "١٠٣ نقاط");
        let en = |n: u64| {
            td_string!(
                Locale::en,
                common.points_count,
                count = n,
                n = super::Lang::ENGLISH.number(n as i64)
            )
            .to_string()
        };
        assert_eq!(en(1), "1 point");
        assert_eq!(en(0), "0 points");
        assert_eq!(en(1200), "1,200 points");
    }
}
