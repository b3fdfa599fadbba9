//! Generated members' names and e-mail addresses: names of the shop's city (English and
//! French, and Arabic, written in Arabic script half the time, in Dubai and Riyadh), and an
//! address at example.com, a domain reserved for examples (RFC 2606) that no mail reaches.

use rand::Rng;

use crate::model::ids::ProgramId;

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

fn pick<'a>(rng: &mut impl Rng, given: &[&'a str], family: &[&'a str]) -> (&'a str, &'a str, Option<String>) {
    (
        given[rng.gen_range(0..given.len())],
        family[rng.gen_range(0..family.len())],
        None,
    )
}
