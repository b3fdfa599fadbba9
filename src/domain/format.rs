//! Numbers, money and dates as a language writes them: separators, digits, the place of the
//! currency sign, month names. One place, so every surface writes "١٬٢٣٤٫٥٠ ر.س.‏" the same way.
//! The separators and patterns are CLDR's for `en`, `ar` (Arabic-Indic digits) and `ar-MA`
//! (Western digits); tests hold them against ICU4X's compiled CLDR data.

use chrono::{Datelike, Timelike};

use super::currency;
use super::lang::{Digits, Lang};
use crate::i18n::{td_string, Locale};
use crate::model::time::Timestamp;

/// Right-to-left mark that ends CLDR's Arabic currency symbols ("ر.س.‏").
const RLM: char = '\u{200F}';

struct Symbols {
    group: &'static str,
    decimal: &'static str,
    minus: &'static str,
}

impl Lang {
    fn symbols(self) -> Symbols {
        match (self.locale, self.digits) {
            (Locale::en, _) => Symbols {
                group: ",",
                decimal: ".",
                minus: "-",
            },
            // The minus is CLDR's: an Arabic letter mark keeps it beside its number.
            (Locale::ar, Digits::ArabicIndic) => Symbols {
                group: "\u{066C}",
                decimal: "\u{066B}",
                minus: "\u{061C}-",
            },
            // ar-MA, ar-DZ, ar-TN: Western digits with a dot between thousands and a decimal comma.
            (Locale::ar, Digits::Western) => Symbols {
                group: ".",
                decimal: ",",
                minus: "\u{200E}-",
            },
        }
    }

    fn write_digits(self, ascii: &str) -> String {
        match self.digits {
            Digits::Western => ascii.to_string(),
            Digits::ArabicIndic => ascii
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        char::from_u32(0x0660 + (c as u32 - '0' as u32)).unwrap_or(c)
                    } else {
                        c
                    }
                })
                .collect(),
        }
    }

    /// A whole number with thousands grouped: "12,345", "١٢٬٣٤٥", "12.345".
    pub fn number(self, n: i64) -> String {
        let s = self.symbols();
        let grouped = currency::grouped_digits(n.unsigned_abs()).replace(',', s.group);
        let digits = self.write_digits(&grouped);
        if n < 0 {
            format!("{}{digits}", s.minus)
        } else {
            digits
        }
    }

    /// A number of minor units with the currency's decimals and without a sign: "1,234.500"
    /// for 1234500 fils of KWD.
    pub fn decimal_minor(self, amount: i64, code: &str) -> String {
        let s = self.symbols();
        let exp = currency::exponent(code).unwrap_or(2);
        let per = 10_u64.pow(exp);
        let abs = amount.unsigned_abs();
        let major = currency::grouped_digits(abs / per).replace(',', s.group);
        let text = if exp == 0 {
            major
        } else {
            format!("{major}{}{:0width$}", s.decimal, abs % per, width = exp as usize)
        };
        let digits = self.write_digits(&text);
        if amount < 0 {
            format!("{}{digits}", s.minus)
        } else {
            digits
        }
    }

    /// Money in minor units: "€12.50", "KWD 1,234.500" in English; "١٢٫٥٠ ر.س.‏", "١٬٢٣٤٫٥٠٠ د.ك.‏"
    /// or "12,50 د.م.‏" in Arabic (the sign after the number, as CLDR writes Arabic).
    pub fn money(self, amount: i64, code: &str) -> String {
        match self.locale {
            Locale::en => currency::format_minor(amount, code),
            Locale::ar => {
                let sign = currency::arabic_symbol(code)
                    .map(|s| format!("{s}{RLM}"))
                    .unwrap_or_else(|| code.to_string());
                format!("{}\u{00A0}{sign}", self.decimal_minor(amount, code))
            }
        }
    }

    /// A number with `places` decimals, grouped: "1,234.5", "١٬٢٣٤٫٥".
    pub fn fixed(self, x: f64, places: usize) -> String {
        let scale = 10_f64.powi(places as i32);
        let scaled = (x.abs() * scale).round() as u64;
        let per = scale as u64;
        let s = self.symbols();
        let major = currency::grouped_digits(scaled / per).replace(',', s.group);
        let text = if places == 0 {
            major
        } else {
            format!("{major}{}{:0width$}", s.decimal, scaled % per, width = places)
        };
        let digits = self.write_digits(&text);
        if x < 0.0 && scaled > 0 {
            format!("{}{digits}", s.minus)
        } else {
            digits
        }
    }

    /// A fraction as a percentage with one decimal: "12.5%", "١٢٫٥٪".
    pub fn percent(self, fraction: f64) -> String {
        let n = self.fixed(fraction * 100.0, 1);
        match self.locale {
            Locale::en => format!("{n}%"),
            Locale::ar => format!("{n}\u{066A}"),
        }
    }

    /// Points in the program's own unit, as the brand named it: "2,356 Stars", "٢٬٣٥٦ نجمة".
    pub fn points(self, n: i64, unit: &str) -> String {
        format!("{} {unit}", self.number(n))
    }

    /// A reward's price: "Free" or "100 Stars".
    pub fn price(self, cost_points: i64, unit: &str) -> String {
        if cost_points == 0 {
            td_string!(self.locale, common.free).to_string()
        } else {
            self.points(cost_points, unit)
        }
    }

    /// A calendar day: "3 Dec 2026", "٣ ديسمبر ٢٠٢٦".
    pub fn date(self, day: chrono::NaiveDate) -> String {
        let month = self.month(day.month());
        self.write_digits(&format!("{} {month} {}", day.day(), day.year()))
    }

    /// An instant in a time zone (an IANA name such as `Asia/Riyadh`; UTC when it is not one):
    /// "3 Dec 2026, 14:05", with " UTC" when shown in UTC so nobody mistakes it for local time.
    pub fn date_time(self, at: Timestamp, zone: Option<&str>) -> String {
        let local = zone.and_then(|z| super::local_time::wall_clock(at, z));
        let utc = at.to_datetime();
        let (day, time) = match local {
            Some((day, hour, minute)) => (day, (hour, minute)),
            None => (utc.date_naive(), (utc.hour(), utc.minute())),
        };
        let comma = match self.locale {
            Locale::en => ",",
            Locale::ar => "\u{060C}",
        };
        let clock = self.write_digits(&format!("{:02}:{:02}", time.0, time.1));
        let utc_mark = if local.is_none() { " UTC" } else { "" };
        format!("{}{comma} {clock}{utc_mark}", self.date(day))
    }

    /// A month's name (1 = January).
    pub fn month(self, month: u32) -> &'static str {
        let l = self.locale;
        match month {
            1 => td_string!(l, common.month_1),
            2 => td_string!(l, common.month_2),
            3 => td_string!(l, common.month_3),
            4 => td_string!(l, common.month_4),
            5 => td_string!(l, common.month_5),
            6 => td_string!(l, common.month_6),
            7 => td_string!(l, common.month_7),
            8 => td_string!(l, common.month_8),
            9 => td_string!(l, common.month_9),
            10 => td_string!(l, common.month_10),
            11 => td_string!(l, common.month_11),
            _ => td_string!(l, common.month_12),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn ar_ma() -> Lang {
        Lang::from_tag("ar-MA").unwrap()
    }

    #[test]
    fn numbers_in_each_language() {
        assert_eq!(Lang::ENGLISH.number(1_234_567), "1,234,567");
        assert_eq!(Lang::ARABIC.number(1_234_567), "١٬٢٣٤٬٥٦٧");
        assert_eq!(ar_ma().number(1_234_567), "1.234.567");
        assert_eq!(Lang::ENGLISH.number(-5), "-5");
        assert_eq!(Lang::ARABIC.number(-5), "\u{061C}-٥");
        assert_eq!(Lang::ARABIC.number(0), "٠");
    }

    #[test]
    fn money_with_zero_two_and_three_decimals() {
        assert_eq!(Lang::ENGLISH.money(1250, "EUR"), "€12.50");
        assert_eq!(Lang::ENGLISH.money(1_234_500, "KWD"), "KWD 1,234.500");
        assert_eq!(Lang::ENGLISH.money(500, "JPY"), "¥500");
        assert_eq!(Lang::ARABIC.money(1250, "SAR"), "١٢٫٥٠\u{a0}ر.س.\u{200f}");
        assert_eq!(
            Lang::ARABIC.money(1_234_500, "KWD"),
            "١٬٢٣٤٫٥٠٠\u{a0}د.ك.\u{200f}"
        );
        assert_eq!(Lang::ARABIC.money(5, "BHD"), "٠٫٠٠٥\u{a0}د.ب.\u{200f}");
        assert_eq!(Lang::ARABIC.money(100, "OMR"), "٠٫١٠٠\u{a0}ر.ع.\u{200f}");
        assert_eq!(Lang::ARABIC.money(500, "JPY"), "٥٠٠\u{a0}JP¥\u{200f}");
        assert_eq!(ar_ma().money(1250, "MAD"), "12,50\u{a0}د.م.\u{200f}");
        assert_eq!(Lang::ARABIC.money(-250, "AED"), "\u{061C}-٢٫٥٠\u{a0}د.إ.\u{200f}");
        assert_eq!(Lang::ARABIC.decimal_minor(1_234_500, "JOD"), "١٬٢٣٤٫٥٠٠");
    }

    #[test]
    fn dates_in_the_zone_they_are_shown_in() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(Lang::ENGLISH.date(day), "3 Dec 2026");
        assert_eq!(Lang::ARABIC.date(day), "٣ ديسمبر ٢٠٢٦");
        // 23:30 UTC on 2 December is 02:30 on 3 December in Riyadh (UTC+3).
        let at = Timestamp(Timestamp::start_of(day).0 - 30 * 60);
        assert_eq!(Lang::ENGLISH.date_time(at, None), "2 Dec 2026, 23:30 UTC");
        assert_eq!(
            Lang::ENGLISH.date_time(at, Some("Asia/Riyadh")),
            "3 Dec 2026, 02:30"
        );
        assert_eq!(
            Lang::ARABIC.date_time(at, Some("Asia/Riyadh")),
            "٣ ديسمبر ٢٠٢٦، ٠٢:٣٠"
        );
        assert_eq!(
            Lang::ENGLISH.date_time(at, Some("Not/AZone")),
            "2 Dec 2026, 23:30 UTC"
        );
    }

    #[test]
    fn fixed_numbers_and_percentages() {
        let en = Lang::from_tag("en").unwrap();
        let ar = Lang::from_tag("ar").unwrap();
        assert_eq!(en.fixed(1234.56, 1), "1,234.6");
        assert_eq!(en.fixed(-0.04, 1), "0.0");
        assert_eq!(en.fixed(-2.5, 2), "-2.50");
        assert_eq!(en.percent(0.125), "12.5%");
        assert_eq!(ar.percent(0.125), "١٢٫٥٪");
        assert_eq!(ar_ma().percent(0.125), "12,5\u{066A}");
    }

    #[test]
    fn prices() {
        assert_eq!(Lang::ENGLISH.price(0, "Stars"), "Free");
        assert_eq!(Lang::ARABIC.price(0, "نجمة"), "مجانًا");
        assert_eq!(Lang::ARABIC.price(250, "نجمة"), "٢٥٠ نجمة");
    }

    /// The separators above are CLDR's: ICU4X formats the same numbers the same way.
    #[test]
    fn separators_match_cldr() {
        use icu_decimal::input::Decimal;
        use icu_decimal::DecimalFormatter;
        use icu_locale_core::locale;
        let cldr = |loc: icu_locale_core::Locale, n: i64| {
            DecimalFormatter::try_new(loc.into(), Default::default())
                .unwrap()
                .format(&Decimal::from(n))
                .to_string()
        };
        for n in [0, 7, 1234, -1234, 1_234_567] {
            assert_eq!(Lang::ENGLISH.number(n), cldr(locale!("en"), n), "en {n}");
            assert_eq!(Lang::ARABIC.number(n), cldr(locale!("ar-SA"), n), "ar-SA {n}");
            assert_eq!(Lang::ARABIC.number(n), cldr(locale!("ar-EG"), n), "ar-EG {n}");
            assert_eq!(ar_ma().number(n), cldr(locale!("ar-MA"), n), "ar-MA {n}");
        }
        let mut decimal = Decimal::from(123_450);
        decimal.multiply_pow10(-2);
        let f = DecimalFormatter::try_new(locale!("ar-SA").into(), Default::default()).unwrap();
        assert_eq!(
            Lang::ARABIC.decimal_minor(123_450, "SAR"),
            f.format(&decimal).to_string()
        );
    }
}
