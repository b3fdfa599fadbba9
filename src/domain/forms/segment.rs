//! The segment builder's form, checked row by row and turned into a `Definition`: every
//! bad value, empty row and pair of rows no member could meet at once is reported against
//! its field (`rows.3.min`), and nothing is saved until all are right.

use chrono::NaiveDate;

use crate::domain::lang::current;
use crate::domain::segments::{self, ConditionAt, MAX_CONDITIONS, MAX_GROUPS, MAX_WINDOW_DAYS};
use crate::domain::validate;
use crate::error::{count, AppError, Validator};
use crate::i18n::td_string;
use crate::model::rules::Channel;
use crate::model::segment::{
    Condition, ConditionRow, Definition, Join, ProfileFact, RfmDimension, SegmentForm,
};

/// Largest points balance or order count a bound may name.
pub const MAX_COUNT: i64 = 1_000_000_000_000;

/// What the form is checked against: the program's currency, tiers and the stores.
pub struct Known<'a> {
    pub currency: &'a str,
    pub tier_ids: &'a [i64],
    /// (id, code) of every store.
    pub stores: &'a [(i64, String)],
}

/// A checked form: the segment's name and conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSegment {
    pub id: Option<i64>,
    pub name: String,
    pub definition: Definition,
}

fn list(s: &str) -> Vec<String> {
    s.split([',', '،'])
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn msg_choose() -> String {
    td_string!(current().locale, errors.forms.choose_option).into()
}

/// One row's checks: the field names are `rows.{i}.{field}`.
struct RowCheck<'a, 'b> {
    v: &'a mut Validator,
    i: usize,
    known: &'a Known<'b>,
}

impl RowCheck<'_, '_> {
    fn field(&self, name: &str) -> String {
        format!("rows.{}.{name}", self.i)
    }

    fn add(&mut self, name: &str, message: impl Into<String>) {
        let f = self.field(name);
        self.v.add(&f, message);
    }

    fn number(&mut self, name: &str, s: &str, min: i64, max: i64) -> Option<Option<i64>> {
        if s.trim().is_empty() {
            return Some(None);
        }
        let f = self.field(name);
        self.v.check(&f, validate::integer(s, min, max)).map(Some)
    }

    /// A money bound: 0 or an amount in the program's currency.
    fn money(&mut self, name: &str, s: &str) -> Option<Option<i64>> {
        let typed = validate::typed_number(s);
        let t = typed.trim();
        if t.is_empty() {
            return Some(None);
        }
        if t.chars().all(|c| c == '0' || c == '.' || c == ',') {
            return Some(Some(0));
        }
        let f = self.field(name);
        self.v
            .check(&f, validate::amount(t, self.known.currency))
            .map(Some)
    }

    fn days(&mut self, s: &str) -> Option<u32> {
        self.number("days", s, 0, i64::from(MAX_WINDOW_DAYS))
            .map(|d| d.unwrap_or(0) as u32)
    }

    fn date(&mut self, name: &str, s: &str) -> Option<Option<NaiveDate>> {
        let typed = validate::typed_number(s);
        let t = typed.trim();
        if t.is_empty() {
            return Some(None);
        }
        match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            Ok(d) => Some(Some(d)),
            Err(_) => {
                self.add(name, validate::date_like("2026-01-31"));
                None
            }
        }
    }

    /// Bounds that must not both be empty, nor cross.
    fn bounds<T: PartialOrd + Copy>(
        &mut self,
        min: Option<Option<T>>,
        max: Option<Option<T>>,
    ) -> Option<(Option<T>, Option<T>)> {
        let (min, max) = (min?, max?);
        if min.is_none() && max.is_none() {
            self.add(
                "min",
                td_string!(current().locale, errors.segments.bound_required),
            );
            return None;
        }
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                self.add("max", td_string!(current().locale, errors.segments.max_below_min));
                return None;
            }
        }
        Some((min, max))
    }

    fn condition(&mut self, r: &ConditionRow) -> Option<Condition> {
        let l = current().locale;
        match r.kind.trim() {
            "rfm" => {
                let dimension = RfmDimension::parse(r.values.trim());
                if dimension.is_none() {
                    self.add("values", msg_choose());
                }
                let min = self.number("min", &r.min, 1, 5);
                let max = self.number("max", &r.max, 1, 5);
                let (min, max) = self.bounds(min, max)?;
                Some(Condition::Rfm {
                    dimension: dimension?,
                    min: min.unwrap_or(1) as u8,
                    max: max.unwrap_or(5) as u8,
                })
            }
            "spend" => {
                let days = self.days(&r.days);
                let min = self.money("min", &r.min);
                let max = self.money("max", &r.max);
                let (min, max) = self.bounds(min, max)?;
                Some(Condition::Spend {
                    days: days?,
                    min,
                    max,
                })
            }
            "orders" => {
                let days = self.days(&r.days);
                let min = self.number("min", &r.min, 0, MAX_COUNT);
                let max = self.number("max", &r.max, 0, MAX_COUNT);
                let (min, max) = self.bounds(min, max)?;
                Some(Condition::Orders {
                    days: days?,
                    min,
                    max,
                })
            }
            "inactive" => {
                let min = self.number("min", &r.min, 0, i64::from(MAX_WINDOW_DAYS) * 10);
                let max = self.number("max", &r.max, 0, i64::from(MAX_WINDOW_DAYS) * 10);
                let (min, max) = self.bounds(min, max)?;
                Some(Condition::Inactive { min, max })
            }
            "balance" => {
                let min = self.number("min", &r.min, 0, MAX_COUNT);
                let max = self.number("max", &r.max, 0, MAX_COUNT);
                let (min, max) = self.bounds(min, max)?;
                Some(Condition::Balance { min, max })
            }
            "tier" => {
                let mut ids = Vec::new();
                for t in list(&r.values) {
                    match validate::typed_number(&t).parse::<i64>() {
                        Ok(id) if id == 0 || self.known.tier_ids.contains(&id) => ids.push(id),
                        _ => {
                            self.add("values", td_string!(l, errors.forms.own_tiers));
                            return None;
                        }
                    }
                }
                if ids.is_empty() {
                    self.add("values", td_string!(l, errors.segments.choose_some));
                    return None;
                }
                Some(Condition::Tier { tier_ids: ids })
            }
            "channels" => {
                let mut channels = Vec::new();
                for c in list(&r.values) {
                    match Channel::parse(&c) {
                        Some(c) => channels.push(c),
                        None => {
                            self.add("values", td_string!(l, errors.forms.unknown_channel));
                            return None;
                        }
                    }
                }
                if channels.is_empty() {
                    self.add("values", td_string!(l, errors.segments.choose_some));
                    return None;
                }
                Some(Condition::Channels { channels })
            }
            "stores" => {
                let days = self.days(&r.days);
                let mut store_ids = Vec::new();
                for code in list(&r.values) {
                    let found = self
                        .known
                        .stores
                        .iter()
                        .find(|(_, c)| c.eq_ignore_ascii_case(&code));
                    match found {
                        Some((id, _)) => store_ids.push(*id),
                        None => {
                            self.add(
                                "values",
                                td_string!(l, errors.stores.no_such_code, code = code.to_uppercase())
                                    .to_string(),
                            );
                            return None;
                        }
                    }
                }
                if store_ids.is_empty() {
                    self.add("values", td_string!(l, errors.segments.choose_some));
                    return None;
                }
                Some(Condition::Stores {
                    days: days?,
                    store_ids,
                })
            }
            "products" => {
                let days = self.days(&r.days);
                let skus = list(&r.values);
                let categories = list(&r.categories);
                if skus.is_empty() && categories.is_empty() {
                    self.add("values", td_string!(l, errors.segments.sku_or_category));
                    return None;
                }
                if skus
                    .iter()
                    .chain(&categories)
                    .any(|s| s.chars().count() > 64 || s.chars().any(char::is_control))
                {
                    self.add("values", validate::at_most_chars(64));
                    return None;
                }
                Some(Condition::Products {
                    days: days?,
                    skus,
                    categories,
                })
            }
            "enrolled" => {
                let from = self.date("min", &r.min);
                let to = self.date("max", &r.max);
                let (from, to) = self.bounds(from, to)?;
                Some(Condition::Enrolled { from, to })
            }
            "birthday_month" => {
                let mut months = Vec::new();
                for m in list(&r.values) {
                    match validate::integer(&m, 1, 12) {
                        Ok(m) => months.push(m as u8),
                        Err(e) => {
                            self.add("values", e);
                            return None;
                        }
                    }
                }
                if months.is_empty() {
                    self.add("values", td_string!(l, errors.segments.choose_some));
                    return None;
                }
                Some(Condition::BirthdayMonth { months })
            }
            "profile" => {
                let Some(fact) = ProfileFact::parse(r.values.trim()) else {
                    self.add("values", msg_choose());
                    return None;
                };
                let present = match r.min.trim() {
                    "" | "yes" | "true" => true,
                    "no" | "false" => false,
                    _ => {
                        self.add("min", td_string!(l, errors.forms.yes_no));
                        return None;
                    }
                };
                Some(Condition::Profile { fact, present })
            }
            "p_alive" => {
                let min = self.number("min", &r.min, 0, 100);
                let max = self.number("max", &r.max, 0, 100);
                let (min, max) = self.bounds(min, max)?;
                Some(Condition::PAlive {
                    min: min.map(|m| m as u8),
                    max: max.map(|m| m as u8),
                })
            }
            "clv" => {
                let min = self.money("min", &r.min);
                let max = self.money("max", &r.max);
                let (min, max) = self.bounds(min, max)?;
                Some(Condition::Clv { min, max })
            }
            _ => {
                self.add("kind", msg_choose());
                None
            }
        }
    }
}

/// Checks the form and builds the segment, reporting every problem at once.
pub fn parse(form: &SegmentForm, known: &Known) -> Result<ValidSegment, AppError> {
    let l = current().locale;
    let mut v = Validator::new();
    let id = if form.id.trim().is_empty() {
        None
    } else {
        v.check("id", validate::integer(&form.id, 1, i64::MAX))
    };
    let name = v.check("name", validate::name(&form.name));
    let join = Join::parse(form.join.trim()).or(form.join.trim().is_empty().then_some(Join::All));
    let within = Join::parse(form.within.trim()).or(form.within.trim().is_empty().then_some(Join::Any));
    if join.is_none() {
        v.add("join", msg_choose());
    }
    if within.is_none() {
        v.add("within", msg_choose());
    }
    let used: Vec<(usize, &ConditionRow)> = form
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.kind.trim().is_empty())
        .collect();
    if used.is_empty() {
        v.add("rows", td_string!(l, errors.segments.no_conditions));
    }
    if used.len() > MAX_CONDITIONS {
        let lang = current();
        v.add(
            "rows",
            td_string!(
                l,
                errors.segments.over_limit,
                n = count(lang, MAX_CONDITIONS as i64)
            )
            .to_string(),
        );
    }
    // Groups keep the order their numbers first appear in; rows without a number join group 1.
    let mut numbers: Vec<i64> = Vec::new();
    let mut groups: Vec<Vec<Condition>> = Vec::new();
    let mut rows_at: Vec<(ConditionAt, usize)> = Vec::new();
    for (i, r) in used {
        let group = if r.group.trim().is_empty() {
            Some(1)
        } else {
            v.check(
                &format!("rows.{i}.group"),
                validate::integer(&r.group, 1, MAX_GROUPS as i64),
            )
        };
        let condition = RowCheck { v: &mut v, i, known }.condition(r);
        if let (Some(g), Some(c)) = (group, condition) {
            let gi = numbers.iter().position(|n| *n == g).unwrap_or_else(|| {
                numbers.push(g);
                groups.push(Vec::new());
                numbers.len() - 1
            });
            rows_at.push(((gi, groups[gi].len()), i));
            groups[gi].push(c);
        }
    }
    let definition = Definition {
        join: join.unwrap_or_default(),
        within: within.unwrap_or(Join::Any),
        groups,
    };
    let row_of = |at: ConditionAt| {
        rows_at
            .iter()
            .find(|(a, _)| *a == at)
            .map(|(_, i)| *i)
            .unwrap_or(0)
    };
    for (a, b) in contradictions(&definition) {
        let lang = current();
        v.add(
            &format!("rows.{}.kind", row_of(b)),
            td_string!(
                l,
                errors.segments.contradicts,
                row = count(lang, row_of(a) as i64 + 1)
            )
            .to_string(),
        );
    }
    v.finish()?;
    Ok(ValidSegment {
        id,
        name: name.unwrap_or_default(),
        definition,
    })
}

/// A definition from the channel API or a stored one, checked as the form would be
/// (bounds, lists, ids), with errors under `groups.{g}.{c}`.
pub fn check_definition(d: &Definition, known: &Known) -> Result<(), AppError> {
    let l = current().locale;
    let mut v = Validator::new();
    let n: usize = d.groups.iter().map(Vec::len).sum();
    if n == 0 {
        v.add("groups", td_string!(l, errors.segments.no_conditions));
    }
    if n > MAX_CONDITIONS || d.groups.len() > MAX_GROUPS {
        let lang = current();
        v.add(
            "groups",
            td_string!(
                l,
                errors.segments.over_limit,
                n = count(lang, MAX_CONDITIONS as i64)
            )
            .to_string(),
        );
    }
    for ((g, c), cond) in segments::conditions(d) {
        let field = format!("groups.{g}.{c}");
        let crossed = |a: Option<i64>, b: Option<i64>| matches!((a, b), (Some(a), Some(b)) if a > b);
        let bad = match cond {
            Condition::Rfm { min, max, .. } => !(1..=5).contains(min) || !(1..=5).contains(max) || min > max,
            Condition::Spend { days, min, max } | Condition::Orders { days, min, max } => {
                *days > MAX_WINDOW_DAYS
                    || (min.is_none() && max.is_none())
                    || crossed(*min, *max)
                    || min.is_some_and(|m| m < 0)
            }
            Condition::Inactive { min, max }
            | Condition::Balance { min, max }
            | Condition::Clv { min, max } => (min.is_none() && max.is_none()) || crossed(*min, *max),
            Condition::Tier { tier_ids } => {
                tier_ids.is_empty() || tier_ids.iter().any(|t| *t != 0 && !known.tier_ids.contains(t))
            }
            Condition::Channels { channels } => channels.is_empty(),
            Condition::Stores { days, store_ids } => {
                *days > MAX_WINDOW_DAYS
                    || store_ids.is_empty()
                    || store_ids
                        .iter()
                        .any(|s| !known.stores.iter().any(|(id, _)| id == s))
            }
            Condition::Products {
                days,
                skus,
                categories,
            } => *days > MAX_WINDOW_DAYS || (skus.is_empty() && categories.is_empty()),
            Condition::Enrolled { from, to } => {
                (from.is_none() && to.is_none()) || matches!((from, to), (Some(a), Some(b)) if a > b)
            }
            Condition::BirthdayMonth { months } => {
                months.is_empty() || months.iter().any(|m| !(1..=12).contains(m))
            }
            Condition::Profile { .. } => false,
            Condition::PAlive { min, max } => {
                (min.is_none() && max.is_none())
                    || min.is_some_and(|m| m > 100)
                    || max.is_some_and(|m| m > 100)
                    || crossed(min.map(i64::from), max.map(i64::from))
            }
        };
        if bad {
            v.add(&field, td_string!(l, errors.segments.condition_invalid));
        }
    }
    for (_, (g, c)) in contradictions(d) {
        v.add(
            &format!("groups.{g}.{c}"),
            td_string!(l, errors.segments.contradiction),
        );
    }
    v.finish()
}

/// Pairs of conditions that must hold together (joined by AND) but cannot: the same
/// measure with ranges that do not meet, disjoint lists, a fact both present and absent.
/// The later of each pair comes second.
pub fn contradictions(d: &Definition) -> Vec<(ConditionAt, ConditionAt)> {
    // The sets of conditions that are always required together.
    let mut together: Vec<Vec<(ConditionAt, &Condition)>> = Vec::new();
    let all: Vec<(ConditionAt, &Condition)> = segments::conditions(d).collect();
    match (d.join, d.within) {
        (Join::All, Join::All) => together.push(all),
        (_, Join::All) => {
            for gi in 0..d.groups.len() {
                together.push(all.iter().filter(|((g, _), _)| *g == gi).copied().collect());
            }
        }
        (Join::All, Join::Any) => together.push(
            all.iter()
                .filter(|((g, _), _)| d.groups[*g].len() == 1)
                .copied()
                .collect(),
        ),
        (Join::Any, Join::Any) => {}
    }
    let mut found = Vec::new();
    for set in together {
        for (j, (b_at, b)) in set.iter().enumerate() {
            if let Some((a_at, _)) = set[..j].iter().find(|(_, a)| disjoint(a, b)) {
                found.push((*a_at, *b_at));
            }
        }
    }
    found
}

fn ranges_miss(a: (Option<i64>, Option<i64>), b: (Option<i64>, Option<i64>)) -> bool {
    let low = a.0.unwrap_or(i64::MIN).max(b.0.unwrap_or(i64::MIN));
    let high = a.1.unwrap_or(i64::MAX).min(b.1.unwrap_or(i64::MAX));
    low > high
}

fn disjoint(a: &Condition, b: &Condition) -> bool {
    use Condition as C;
    let day = |d: &Option<NaiveDate>| d.map(|d| crate::model::time::Timestamp::start_of(d).0);
    match (a, b) {
        (
            C::Rfm {
                dimension: d1,
                min: a1,
                max: a2,
            },
            C::Rfm {
                dimension: d2,
                min: b1,
                max: b2,
            },
        ) => {
            d1 == d2
                && ranges_miss(
                    (Some(i64::from(*a1)), Some(i64::from(*a2))),
                    (Some(i64::from(*b1)), Some(i64::from(*b2))),
                )
        }
        (
            C::Spend {
                days: d1,
                min: a1,
                max: a2,
            },
            C::Spend {
                days: d2,
                min: b1,
                max: b2,
            },
        )
        | (
            C::Orders {
                days: d1,
                min: a1,
                max: a2,
            },
            C::Orders {
                days: d2,
                min: b1,
                max: b2,
            },
        ) => d1 == d2 && ranges_miss((*a1, *a2), (*b1, *b2)),
        (C::Inactive { min: a1, max: a2 }, C::Inactive { min: b1, max: b2 })
        | (C::Balance { min: a1, max: a2 }, C::Balance { min: b1, max: b2 })
        | (C::Clv { min: a1, max: a2 }, C::Clv { min: b1, max: b2 }) => ranges_miss((*a1, *a2), (*b1, *b2)),
        (C::PAlive { min: a1, max: a2 }, C::PAlive { min: b1, max: b2 }) => {
            let w = |x: &Option<u8>| x.map(i64::from);
            ranges_miss((w(a1), w(a2)), (w(b1), w(b2)))
        }
        (C::Enrolled { from: a1, to: a2 }, C::Enrolled { from: b1, to: b2 }) => {
            ranges_miss((day(a1), day(a2)), (day(b1), day(b2)))
        }
        (C::Tier { tier_ids: x }, C::Tier { tier_ids: y }) => !x.iter().any(|t| y.contains(t)),
        (C::BirthdayMonth { months: x }, C::BirthdayMonth { months: y }) => !x.iter().any(|m| y.contains(m)),
        (
            C::Profile {
                fact: f1,
                present: p1,
            },
            C::Profile {
                fact: f2,
                present: p2,
            },
        ) => f1 == f2 && p1 != p2,
        _ => false,
    }
}

/// The form that shows a saved segment again (for editing).
pub fn form_of(segment_id: i64, program_id: i64, name: &str, d: &Definition, known: &Known) -> SegmentForm {
    let stores = known.stores;
    let opt = |x: Option<i64>| x.map(|n| n.to_string()).unwrap_or_default();
    let money = |x: Option<i64>| {
        x.map(|n| crate::domain::currency::plain_minor(n, known.currency))
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for (g, group) in d.groups.iter().enumerate() {
        for c in group {
            let mut r = ConditionRow {
                group: (g + 1).to_string(),
                ..ConditionRow::default()
            };
            let join = |v: Vec<String>| v.join(", ");
            match c {
                Condition::Rfm { dimension, min, max } => {
                    r.kind = "rfm".into();
                    r.values = dimension.as_str().into();
                    r.min = min.to_string();
                    r.max = max.to_string();
                }
                Condition::Spend { days, min, max } => {
                    r.kind = "spend".into();
                    r.days = days.to_string();
                    r.min = money(*min);
                    r.max = money(*max);
                }
                Condition::Orders { days, min, max } => {
                    r.kind = "orders".into();
                    r.days = days.to_string();
                    r.min = opt(*min);
                    r.max = opt(*max);
                }
                Condition::Clv { min, max } => {
                    r.kind = "clv".into();
                    r.min = money(*min);
                    r.max = money(*max);
                }
                Condition::Inactive { min, max } | Condition::Balance { min, max } => {
                    r.kind = if matches!(c, Condition::Inactive { .. }) {
                        "inactive"
                    } else {
                        "balance"
                    }
                    .into();
                    r.min = opt(*min);
                    r.max = opt(*max);
                }
                Condition::Tier { tier_ids } => {
                    r.kind = "tier".into();
                    r.values = join(tier_ids.iter().map(i64::to_string).collect());
                }
                Condition::Channels { channels } => {
                    r.kind = "channels".into();
                    r.values = join(channels.iter().map(|c| c.as_str().to_string()).collect());
                }
                Condition::Stores { days, store_ids } => {
                    r.kind = "stores".into();
                    r.days = days.to_string();
                    r.values = join(
                        store_ids
                            .iter()
                            .filter_map(|id| stores.iter().find(|(s, _)| s == id).map(|(_, c)| c.clone()))
                            .collect(),
                    );
                }
                Condition::Products {
                    days,
                    skus,
                    categories,
                } => {
                    r.kind = "products".into();
                    r.days = days.to_string();
                    r.values = join(skus.clone());
                    r.categories = join(categories.clone());
                }
                Condition::Enrolled { from, to } => {
                    r.kind = "enrolled".into();
                    r.min = from.map(|d| d.to_string()).unwrap_or_default();
                    r.max = to.map(|d| d.to_string()).unwrap_or_default();
                }
                Condition::BirthdayMonth { months } => {
                    r.kind = "birthday_month".into();
                    r.values = join(months.iter().map(u8::to_string).collect());
                }
                Condition::Profile { fact, present } => {
                    r.kind = "profile".into();
                    r.values = fact.as_str().into();
                    r.min = if *present { "yes" } else { "no" }.into();
                }
                Condition::PAlive { min, max } => {
                    r.kind = "p_alive".into();
                    r.min = opt(min.map(i64::from));
                    r.max = opt(max.map(i64::from));
                }
            }
            rows.push(r);
        }
    }
    SegmentForm {
        program_id,
        id: segment_id.to_string(),
        name: name.to_string(),
        join: d.join.as_str().into(),
        within: d.within.as_str().into(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known<'static> {
        static STORES: std::sync::OnceLock<Vec<(i64, String)>> = std::sync::OnceLock::new();
        Known {
            currency: "EUR",
            tier_ids: &[11, 12],
            stores: STORES.get_or_init(|| vec![(5, "PARIS-1".to_string())]),
        }
    }

    fn row(group: &str, kind: &str, min: &str, max: &str, values: &str) -> ConditionRow {
        ConditionRow {
            group: group.into(),
            kind: kind.into(),
            min: min.into(),
            max: max.into(),
            values: values.into(),
            ..ConditionRow::default()
        }
    }

    fn form(join: &str, within: &str, rows: Vec<ConditionRow>) -> SegmentForm {
        SegmentForm {
            program_id: 1,
            id: String::new(),
            name: "Lapsed big spenders".into(),
            join: join.into(),
            within: within.into(),
            rows,
        }
    }

    fn fields(e: AppError) -> Vec<String> {
        match e {
            AppError::Validation { fields, .. } => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_form_of_every_kind_round_trips() {
        let mut rows = vec![
            row("1", "rfm", "4", "5", "monetary"),
            row("1", "spend", "100", "", ""),
            row("1", "orders", "", "0", ""),
            row("2", "inactive", "90", "", ""),
            row("2", "tier", "", "", "11, 0"),
            row("2", "balance", "500", "", ""),
            row("3", "channels", "", "", "web,app"),
            row("3", "stores", "", "", "paris-1"),
            row("3", "products", "", "", "SKU-1"),
            row("4", "enrolled", "2026-01-01", "2026-06-30", ""),
            row("4", "birthday_month", "", "", "6، 7"),
            row("4", "profile", "no", "", "has_phone"),
            row("5", "p_alive", "", "40", ""),
            row("5", "clv", "50", "", ""),
            row("", "", "ignored", "", ""),
        ];
        rows[1].days = "90".into();
        rows[2].days = "30".into();
        rows[8].categories = "Shoes".into();
        let parsed = parse(&form("all", "any", rows), &known()).unwrap();
        let d = &parsed.definition;
        assert_eq!(d.groups.len(), 5);
        assert_eq!(
            d.groups[0][1],
            Condition::Spend {
                days: 90,
                min: Some(10_000),
                max: None
            }
        );
        assert_eq!(
            d.groups[1][1],
            Condition::Tier {
                tier_ids: vec![11, 0]
            }
        );
        assert_eq!(
            d.groups[2][1],
            Condition::Stores {
                days: 0,
                store_ids: vec![5]
            }
        );
        assert_eq!(d.groups[3][1], Condition::BirthdayMonth { months: vec![6, 7] });
        assert_eq!(
            d.groups[3][2],
            Condition::Profile {
                fact: ProfileFact::HasPhone,
                present: false
            }
        );
        assert_eq!(
            d.groups[4][1],
            Condition::Clv {
                min: Some(5_000),
                max: None
            }
        );
        check_definition(d, &known()).unwrap();
        let again = form_of(1, 1, &parsed.name, d, &known());
        assert_eq!(parse(&again, &known()).unwrap().definition, *d);
    }

    #[test]
    fn empty_and_bad_rows_are_named() {
        assert_eq!(
            fields(parse(&form("all", "any", vec![]), &known()).unwrap_err()),
            vec!["rows"]
        );
        let bad = vec![
            row("1", "balance", "", "", ""),
            row("1", "balance", "10", "5", ""),
            row("1", "rfm", "0", "", "recency"),
            row("1", "tier", "", "", "99"),
            row("1", "stores", "", "", "NOWHERE"),
            row("11", "orders", "1", "", ""),
            row("1", "sparkle", "", "", ""),
        ];
        assert_eq!(
            fields(parse(&form("all", "any", bad), &known()).unwrap_err()),
            vec![
                "rows.0.min",
                "rows.1.max",
                "rows.2.min",
                "rows.3.values",
                "rows.4.values",
                "rows.5.group",
                "rows.6.kind"
            ]
        );
        assert_eq!(
            fields(
                parse(
                    &form("both", "any", vec![row("1", "balance", "1", "", "")]),
                    &known()
                )
                .unwrap_err()
            ),
            vec!["join"]
        );
    }

    #[test]
    fn conditions_that_cannot_hold_together_are_refused_where_they_must() {
        let pair = || {
            vec![
                row("1", "balance", "1000", "", ""),
                row("1", "balance", "", "500", ""),
            ]
        };
        // Within one group joined by AND: the second row is named.
        assert_eq!(
            fields(parse(&form("any", "all", pair()), &known()).unwrap_err()),
            vec!["rows.1.kind"]
        );
        // Joined by OR they are a fine "either" segment.
        assert!(parse(&form("all", "any", pair()), &known()).is_ok());
        // Two groups of one, joined by AND, are just as impossible.
        let apart = vec![row("1", "tier", "", "", "11"), row("2", "tier", "", "", "12")];
        assert_eq!(
            fields(parse(&form("all", "any", apart.clone()), &known()).unwrap_err()),
            vec!["rows.1.kind"]
        );
        assert!(parse(&form("any", "any", apart), &known()).is_ok());
        let fact = vec![
            row("1", "profile", "yes", "", "has_email"),
            row("2", "profile", "no", "", "has_email"),
        ];
        assert!(parse(&form("all", "all", fact), &known()).is_err());
        // Different windows are different measures.
        let mut windows = pair();
        windows[0].kind = "spend".into();
        windows[1].kind = "spend".into();
        windows[1].days = "30".into();
        assert!(parse(&form("all", "all", windows), &known()).is_ok());
    }

    #[test]
    fn definitions_from_the_api_are_checked_alike() {
        let d = Definition {
            join: Join::All,
            within: Join::All,
            groups: vec![vec![
                Condition::Rfm {
                    dimension: RfmDimension::Recency,
                    min: 3,
                    max: 9,
                },
                Condition::Tier { tier_ids: vec![99] },
                Condition::Balance {
                    min: Some(5),
                    max: Some(1),
                },
            ]],
        };
        assert_eq!(
            fields(check_definition(&d, &known()).unwrap_err()),
            vec!["groups.0.0", "groups.0.1", "groups.0.2"]
        );
        assert_eq!(
            fields(check_definition(&Definition::default(), &known()).unwrap_err()),
            vec!["groups"]
        );
    }
}
