//! Generated members' names and e-mail addresses: names of the shop's city (English and
//! French, and Arabic, written in Arabic script half the time, in Dubai and Riyadh), and an
//! address at example.com, a domain reserved for examples (RFC 2606) that no mail reaches.

use chrono::{Datelike, NaiveDate};
use rand::Rng;

use crate::model::ids::ProgramId;
use crate::model::time::Timestamp;

use super::simulate::Population;

const ENGLISH_GIVEN: [&str; 16] = [
    "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah", "Grace", "Leo", "Freya",
    "Oscar", "Lily", "Arthur", "Ella",
];
const ENGLISH_FAMILY: [&str; 12] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
    "Wright", "Hughes",
];
const FRENCH_GIVEN: [&str; 12] = [
    "Louise", "Gabriel", "Jade", "Raphaël", "Chloé", "Arthur", "Léa", "Jules", "Manon", "Hugo", "Zoé", "Théo",
];
const FRENCH_FAMILY: [&str; 10] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
];
/// Arabic names, (Latin letters, Arabic script).
const ARABIC_GIVEN: [(&str, &str); 12] = [
    ("Mohammed", "محمد"),
    ("Fatima", "فاطمة"),
    ("Ahmed", "أحمد"),
    ("Noura", "نورة"),
    ("Omar", "عمر"),
    ("Layla", "ليلى"),
    ("Khalid", "خالد"),
    ("Sara", "سارة"),
    ("Youssef", "يوسف"),
    ("Mariam", "مريم"),
    ("Abdullah", "عبدالله"),
    ("Huda", "هدى"),
];
const ARABIC_FAMILY: [(&str, &str); 10] = [
    ("Al-Harbi", "الحربي"),
    ("Al-Qahtani", "القحطاني"),
    ("Al-Otaibi", "العتيبي"),
    ("Haddad", "حداد"),
    ("Al-Mansouri", "المنصوري"),
    ("Al-Shamsi", "الشامسي"),
    ("Nasser", "ناصر"),
    ("Al-Zahrani", "الزهراني"),
    ("Saleh", "صالح"),
    ("Al-Dosari", "الدوسري"),
];

/// Member `n`'s name and e-mail address, by their own shop (`super::brand::SHOPS` order:
/// London, London, Paris, Paris, Dubai, Riyadh). The address carries the member's number
/// and the program's id, so it is nobody else's, in a second generated brand too.
pub fn person(population: &Population, n: u32, shop: usize, program_id: ProgramId) -> (String, String) {
    let mut rng = population.stream(n, (u32::MAX >> 8) - 1);
    let (given, family, arabic) = match shop {
        0 | 1 => pick(&mut rng, &ENGLISH_GIVEN, &ENGLISH_FAMILY),
        2 | 3 => pick(&mut rng, &FRENCH_GIVEN, &FRENCH_FAMILY),
        _ => {
            let g = ARABIC_GIVEN[rng.gen_range(0..ARABIC_GIVEN.len())];
            let f = ARABIC_FAMILY[rng.gen_range(0..ARABIC_FAMILY.len())];
            (g.0, f.0, rng.gen::<bool>().then(|| format!("{} {}", g.1, f.1)))
        }
    };
    let name = arabic.unwrap_or_else(|| format!("{given} {family}"));
    let local: String = format!("{given}.{family}")
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'ë' => 'e',
            'a'..='z' | '.' => c,
            _ => '-',
        })
        .collect();
    (name, format!("{local}.{n}.p{program_id}@example.com"))
}

/// Member `n`'s date of birth, given at joining by three in four: born on any day of a year
/// 18 to 75 years before the year of joining (a stream of its own, so names and orders draw
/// as before).
pub fn birth_date(population: &Population, n: u32, joined: Timestamp) -> Option<NaiveDate> {
    let mut rng = population.stream(n, (u32::MAX >> 8) - 2);
    if rng.gen::<f64>() >= 0.75 {
        return None;
    }
    let year = joined.date().year() - rng.gen_range(18..=75);
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366
    } else {
        365
    };
    first.checked_add_days(chrono::Days::new(rng.gen_range(0..days)))
}

fn pick<'a>(rng: &mut impl Rng, given: &[&'a str], family: &[&'a str]) -> (&'a str, &'a str, Option<String>) {
    (
        given[rng.gen_range(0..given.len())],
        family[rng.gen_range(0..family.len())],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::super::simulate::Behaviour;
    use super::*;

    #[test]
    fn three_in_four_give_an_adult_birth_date_drawn_the_same_each_time() {
        let population = Population {
            seed: 7,
            members: 4_000,
            span: 365 * crate::model::time::SECONDS_PER_DAY,
            first_day_of_year: 0,
            first_weekday: 0,
            shops: 4,
            behaviour: Behaviour::default(),
        };
        let joined = Timestamp::start_of(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        let dates: Vec<Option<NaiveDate>> = (0..4_000).map(|n| birth_date(&population, n, joined)).collect();
        let given = dates.iter().flatten().count();
        assert!((2_850..=3_150).contains(&given), "{given} of 4,000");
        for d in dates.iter().flatten() {
            let age = 2026 - d.year() - i32::from((d.month(), d.day()) > (6, 1));
            assert!((17..=75).contains(&age), "{d}");
        }
        // Every month has birthdays, and a second draw gives the same dates.
        assert!((1..=12).all(|m| dates.iter().flatten().any(|d| d.month() == m)));
        assert_eq!(birth_date(&population, 17, joined), dates[17]);
    }
}
