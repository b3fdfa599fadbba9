//! Whether a member is in a segment: a definition's conditions checked against what is known
//! of the member (`Facts`), the program's RFM cuts and, for conditions over a window of
//! purchases or over stores and products, the `Evidence` the server read for them.
//! Pure, so every condition is tested here without a database.

pub mod rfm;

use crate::model::rules::Channel;
use crate::model::segment::{Condition, Definition, Join, ProfileFact};
use crate::model::time::SECONDS_PER_DAY;

pub use rfm::RfmCuts;

/// Most groups, and conditions in all, a definition may have.
pub const MAX_GROUPS: usize = 10;
pub const MAX_CONDITIONS: usize = 40;
/// Longest window a condition may look back over (ten years).
pub const MAX_WINDOW_DAYS: u32 = 3660;

/// What the program knows of one member, as a segment reads it. Days are UTC days since
/// the epoch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub membership_id: i64,
    pub tier_id: Option<i64>,
    pub balance: i64,
    pub joined_day: i64,
    pub birth_month: Option<u8>,
    pub has_email: bool,
    pub has_phone: bool,
    pub has_birth_date: bool,
    pub has_account: bool,
    /// Consents given now (model::consent::Consents bits).
    pub consents: i64,
    /// Orders and net spend ever.
    pub orders: i64,
    pub spend_minor: i64,
    pub last_buy_day: Option<i64>,
    pub last_active_day: Option<i64>,
    /// Channels bought in, one bit each (`channel_bit`).
    pub channels: i64,
    pub p_alive_ppm: Option<i64>,
    pub clv_minor: Option<i64>,
}

/// The bit a channel has in `Facts::channels` (and in member_stats.channels).
pub fn channel_bit(c: Channel) -> i64 {
    match c {
        Channel::Store => 1,
        Channel::Web => 2,
        Channel::App => 4,
    }
}

/// The UTC day (since the epoch) an instant falls on.
pub fn day_of(at: i64) -> i64 {
    at.div_euclid(SECONDS_PER_DAY)
}

/// Where a condition sits in its definition: (group, index in the group).
pub type ConditionAt = (usize, usize);

/// What the server read for conditions that look at orders rather than the member's summary.
pub trait Evidence: Sync {
    /// Orders and net spend in the last `days` days (`days` > 0).
    fn window(&self, membership_id: i64, days: u32) -> (i64, i64);
    /// Whether the member bought what the `Stores` or `Products` condition at `at` names.
    fn bought(&self, membership_id: i64, at: ConditionAt) -> bool;
}

/// Evidence for definitions that need none (every window and purchase answered "nothing").
pub struct NoEvidence;

impl Evidence for NoEvidence {
    fn window(&self, _: i64, _: u32) -> (i64, i64) {
        (0, 0)
    }
    fn bought(&self, _: i64, _: ConditionAt) -> bool {
        false
    }
}

/// What a check needs besides the member: today's UTC day, the RFM cuts, the evidence.
pub struct Context<'a> {
    pub today: i64,
    pub cuts: &'a RfmCuts,
    pub evidence: &'a dyn Evidence,
}

fn within(v: i64, min: Option<i64>, max: Option<i64>) -> bool {
    min.is_none_or(|m| v >= m) && max.is_none_or(|m| v <= m)
}

/// Whether one condition holds for the member.
pub fn holds(c: &Condition, at: ConditionAt, f: &Facts, ctx: &Context) -> bool {
    match c {
        Condition::Rfm { dimension, min, max } => {
            let Some(last) = f.last_buy_day.filter(|_| f.orders > 0) else {
                return false;
            };
            let value = match dimension {
                crate::model::segment::RfmDimension::Recency => last,
                crate::model::segment::RfmDimension::Frequency => f.orders,
                crate::model::segment::RfmDimension::Monetary => f.spend_minor,
            };
            ctx.cuts
                .score(*dimension, value)
                .is_some_and(|s| s >= *min && s <= *max)
        }
        Condition::Spend { days, min, max } => {
            let spend = if *days == 0 {
                f.spend_minor
            } else {
                ctx.evidence.window(f.membership_id, *days).1
            };
            within(spend, *min, *max)
        }
        Condition::Orders { days, min, max } => {
            let orders = if *days == 0 {
                f.orders
            } else {
                ctx.evidence.window(f.membership_id, *days).0
            };
            within(orders, *min, *max)
        }
        Condition::Inactive { min, max } => {
            let since = f.last_active_day.unwrap_or(f.joined_day);
            within(ctx.today - since, *min, *max)
        }
        Condition::Tier { tier_ids } => tier_ids.contains(&f.tier_id.unwrap_or(0)),
        Condition::Balance { min, max } => within(f.balance, *min, *max),
        Condition::Channels { channels } => channels.iter().any(|c| f.channels & channel_bit(*c) != 0),
        Condition::Stores { .. } | Condition::Products { .. } => ctx.evidence.bought(f.membership_id, at),
        Condition::Enrolled { from, to } => {
            let from = from.map(|d| day_of(crate::model::time::Timestamp::start_of(d).0));
            let to = to.map(|d| day_of(crate::model::time::Timestamp::start_of(d).0));
            within(f.joined_day, from, to)
        }
        Condition::BirthdayMonth { months } => f.birth_month.is_some_and(|m| months.contains(&m)),
        Condition::Profile { fact, present } => {
            let has = match fact {
                ProfileFact::HasEmail => f.has_email,
                ProfileFact::HasPhone => f.has_phone,
                ProfileFact::HasBirthDate => f.has_birth_date,
                ProfileFact::HasAccount => f.has_account,
                other => other
                    .consent()
                    .is_some_and(|n| crate::model::consent::Consents(f.consents).has(n)),
            };
            has == *present
        }
        Condition::PAlive { min, max } => f.p_alive_ppm.is_some_and(|p| {
            within(
                p,
                min.map(|m| i64::from(m) * 10_000),
                // "at most 40 %" takes in 40.9 %: the bound is the whole per cent shown.
                max.map(|m| i64::from(m) * 10_000 + 9_999),
            )
        }),
        Condition::Clv { min, max } => f.clv_minor.is_some_and(|v| within(v, *min, *max)),
    }
}

fn joined(join: Join, mut each: impl Iterator<Item = bool>) -> bool {
    match join {
        Join::All => each.all(|b| b),
        Join::Any => each.any(|b| b),
    }
}

/// Whether the member is in the segment. A definition without conditions matches nobody
/// (the form refuses to save one).
pub fn matches(d: &Definition, f: &Facts, ctx: &Context) -> bool {
    if d.groups.iter().all(Vec::is_empty) {
        return false;
    }
    joined(
        d.join,
        d.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.is_empty())
            .map(|(gi, g)| {
                joined(
                    d.within,
                    g.iter().enumerate().map(|(ci, c)| holds(c, (gi, ci), f, ctx)),
                )
            }),
    )
}

/// Whether any condition needs the RFM cuts, the windows of orders, or purchases by store
/// or product: the server reads only what a definition needs.
pub fn needs_rfm(d: &Definition) -> bool {
    conditions(d).any(|(_, c)| matches!(c, Condition::Rfm { .. }))
}

/// The windows (days) the definition's spend and order conditions look back over.
pub fn windows(d: &Definition) -> Vec<u32> {
    let mut days: Vec<u32> = conditions(d)
        .filter_map(|(_, c)| match c {
            Condition::Spend { days, .. } | Condition::Orders { days, .. } if *days > 0 => Some(*days),
            _ => None,
        })
        .collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// Every condition with where it sits.
pub fn conditions(d: &Definition) -> impl Iterator<Item = (ConditionAt, &Condition)> {
    d.groups
        .iter()
        .enumerate()
        .flat_map(|(gi, g)| g.iter().enumerate().map(move |(ci, c)| ((gi, ci), c)))
}

/// Whether the definition asks for predictions (P(active), CLV).
pub fn needs_predictions(d: &Definition) -> bool {
    conditions(d).any(|(_, c)| matches!(c, Condition::PAlive { .. } | Condition::Clv { .. }))
}

/// The tier ids the definition names (0 = no tier), for checking they are the program's.
pub fn tier_ids(d: &Definition) -> Vec<i64> {
    conditions(d)
        .flat_map(|(_, c)| match c {
            Condition::Tier { tier_ids } => tier_ids.clone(),
            _ => Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::segment::RfmDimension;
    use chrono::NaiveDate;
    use std::collections::HashMap;

    const TODAY: i64 = 20_000;

    struct Seen {
        windows: HashMap<(i64, u32), (i64, i64)>,
        bought: Vec<(i64, ConditionAt)>,
    }

    impl Evidence for Seen {
        fn window(&self, m: i64, days: u32) -> (i64, i64) {
            self.windows.get(&(m, days)).copied().unwrap_or_default()
        }
        fn bought(&self, m: i64, at: ConditionAt) -> bool {
            self.bought.contains(&(m, at))
        }
    }

    fn member() -> Facts {
        Facts {
            membership_id: 1,
            tier_id: Some(3),
            balance: 1_200,
            joined_day: TODAY - 400,
            birth_month: Some(7),
            has_email: true,
            has_phone: false,
            has_birth_date: true,
            has_account: true,
            consents: crate::model::consent::ConsentName::Offers.bit(),
            orders: 6,
            spend_minor: 45_000,
            last_buy_day: Some(TODAY - 10),
            last_active_day: Some(TODAY - 4),
            channels: channel_bit(Channel::Store) | channel_bit(Channel::App),
            p_alive_ppm: Some(734_500),
            clv_minor: Some(12_000),
        }
    }

    fn check(c: Condition, f: &Facts) -> bool {
        let seen = Seen {
            windows: HashMap::from([((1, 30), (2, 9_000))]),
            bought: vec![(1, (0, 0))],
        };
        // Buyers with last purchase days 1..=10 before today, orders 1..=10, spend 1k..10k.
        let cuts = RfmCuts::from_buyers(
            &mut (1..=10).map(|d| TODAY - d).collect::<Vec<_>>(),
            &mut (1..=10).collect::<Vec<_>>(),
            &mut (1..=10).map(|s| s * 1_000).collect::<Vec<_>>(),
        );
        let ctx = Context {
            today: TODAY,
            cuts: &cuts,
            evidence: &seen,
        };
        let d = Definition {
            join: Join::All,
            within: Join::All,
            groups: vec![vec![c]],
        };
        matches(&d, f, &ctx)
    }

    #[test]
    fn rfm_scores_against_the_programs_buyers() {
        let m = member();
        // Last purchase 10 days ago is the oldest of the ten: recency 1.
        assert!(check(
            Condition::Rfm {
                dimension: RfmDimension::Recency,
                min: 1,
                max: 1
            },
            &m
        ));
        assert!(!check(
            Condition::Rfm {
                dimension: RfmDimension::Recency,
                min: 2,
                max: 5
            },
            &m
        ));
        // Six orders: five buyers order fewer, 1 + 5·5/10 = 3.
        assert!(check(
            Condition::Rfm {
                dimension: RfmDimension::Frequency,
                min: 3,
                max: 3
            },
            &m
        ));
        // Spend 45,000 beats all ten: 5.
        assert!(check(
            Condition::Rfm {
                dimension: RfmDimension::Monetary,
                min: 5,
                max: 5
            },
            &m
        ));
        let mut never = member();
        never.orders = 0;
        never.last_buy_day = None;
        assert!(!check(
            Condition::Rfm {
                dimension: RfmDimension::Monetary,
                min: 1,
                max: 5
            },
            &never
        ));
    }

    #[test]
    fn spend_and_orders_ever_or_in_a_window() {
        let m = member();
        assert!(check(
            Condition::Spend {
                days: 0,
                min: Some(45_000),
                max: None
            },
            &m
        ));
        assert!(!check(
            Condition::Spend {
                days: 0,
                min: Some(45_001),
                max: None
            },
            &m
        ));
        assert!(check(
            Condition::Spend {
                days: 30,
                min: None,
                max: Some(9_000)
            },
            &m
        ));
        assert!(!check(
            Condition::Spend {
                days: 30,
                min: Some(9_001),
                max: None
            },
            &m
        ));
        assert!(check(
            Condition::Orders {
                days: 30,
                min: Some(2),
                max: Some(2)
            },
            &m
        ));
        // A window with nothing read is nothing bought: "no orders in 90 days".
        assert!(check(
            Condition::Orders {
                days: 90,
                min: None,
                max: Some(0)
            },
            &m
        ));
        assert!(check(
            Condition::Orders {
                days: 0,
                min: Some(6),
                max: None
            },
            &m
        ));
    }

    #[test]
    fn days_since_activity_counts_from_joining_for_the_never_active() {
        let mut m = member();
        assert!(check(
            Condition::Inactive {
                min: Some(4),
                max: Some(4)
            },
            &m
        ));
        assert!(!check(
            Condition::Inactive {
                min: Some(5),
                max: None
            },
            &m
        ));
        m.last_active_day = None;
        assert!(check(
            Condition::Inactive {
                min: Some(400),
                max: None
            },
            &m
        ));
    }

    #[test]
    fn tier_with_zero_for_no_tier() {
        let mut m = member();
        assert!(check(Condition::Tier { tier_ids: vec![2, 3] }, &m));
        assert!(!check(Condition::Tier { tier_ids: vec![0] }, &m));
        m.tier_id = None;
        assert!(check(Condition::Tier { tier_ids: vec![0] }, &m));
    }

    #[test]
    fn balance_bounds_are_inclusive() {
        let m = member();
        assert!(check(
            Condition::Balance {
                min: Some(1_200),
                max: Some(1_200)
            },
            &m
        ));
        assert!(!check(
            Condition::Balance {
                min: None,
                max: Some(1_199)
            },
            &m
        ));
    }

    #[test]
    fn channels_any_of() {
        let m = member();
        assert!(check(
            Condition::Channels {
                channels: vec![Channel::Web, Channel::App]
            },
            &m
        ));
        assert!(!check(
            Condition::Channels {
                channels: vec![Channel::Web]
            },
            &m
        ));
    }

    #[test]
    fn stores_and_products_read_the_evidence_of_their_own_row() {
        let m = member();
        assert!(check(
            Condition::Stores {
                days: 0,
                store_ids: vec![1]
            },
            &m
        ));
        let p = Condition::Products {
            days: 0,
            skus: vec!["A".into()],
            categories: vec![],
        };
        assert!(check(p.clone(), &m));
        // The same condition in another position has no evidence.
        let seen = Seen {
            windows: HashMap::new(),
            bought: vec![(1, (0, 0))],
        };
        let cuts = RfmCuts::default();
        let ctx = Context {
            today: TODAY,
            cuts: &cuts,
            evidence: &seen,
        };
        assert!(!holds(&p, (0, 1), &m, &ctx));
    }

    #[test]
    fn enrolled_between_days() {
        let m = member();
        let joined = chrono::DateTime::from_timestamp(m.joined_day * SECONDS_PER_DAY, 0)
            .unwrap()
            .date_naive();
        assert!(check(
            Condition::Enrolled {
                from: Some(joined),
                to: Some(joined)
            },
            &m
        ));
        assert!(!check(
            Condition::Enrolled {
                from: joined.succ_opt(),
                to: None
            },
            &m
        ));
        assert!(check(
            Condition::Enrolled {
                from: None,
                to: NaiveDate::from_ymd_opt(2100, 1, 1)
            },
            &m
        ));
    }

    #[test]
    fn birthday_month_and_profile_facts() {
        let mut m = member();
        assert!(check(Condition::BirthdayMonth { months: vec![6, 7] }, &m));
        assert!(!check(Condition::BirthdayMonth { months: vec![1] }, &m));
        assert!(check(
            Condition::Profile {
                fact: ProfileFact::HasEmail,
                present: true
            },
            &m
        ));
        assert!(check(
            Condition::Profile {
                fact: ProfileFact::HasPhone,
                present: false
            },
            &m
        ));
        assert!(check(
            Condition::Profile {
                fact: ProfileFact::HasAccount,
                present: true
            },
            &m
        ));
        m.birth_month = None;
        assert!(!check(
            Condition::BirthdayMonth {
                months: (1..=12).collect()
            },
            &m
        ));
        // Opted in to offers, not to email.
        let consent = |fact, present| Condition::Profile { fact, present };
        assert!(check(consent(ProfileFact::ConsentOffers, true), &m));
        assert!(!check(consent(ProfileFact::ConsentOffers, false), &m));
        assert!(check(consent(ProfileFact::ConsentEmail, false), &m));
        assert!(!check(consent(ProfileFact::ConsentEmail, true), &m));
        assert!(ProfileFact::ALL
            .iter()
            .all(|f| ProfileFact::parse(f.as_str()) == Some(*f)));
    }

    #[test]
    fn predictions_in_whole_per_cent() {
        let mut m = member();
        // 73.45 %: within "70 to 73" (73 takes in 73.x) and not "74 or more".
        assert!(check(
            Condition::PAlive {
                min: Some(70),
                max: Some(73)
            },
            &m
        ));
        assert!(!check(
            Condition::PAlive {
                min: Some(74),
                max: None
            },
            &m
        ));
        assert!(check(
            Condition::Clv {
                min: Some(12_000),
                max: None
            },
            &m
        ));
        m.p_alive_ppm = None;
        m.clv_minor = None;
        assert!(!check(
            Condition::PAlive {
                min: None,
                max: Some(100)
            },
            &m
        ));
        assert!(!check(Condition::Clv { min: None, max: None }, &m));
    }

    #[test]
    fn groups_join_one_way_and_conditions_the_other() {
        let m = member();
        let cuts = RfmCuts::default();
        let ctx = Context {
            today: TODAY,
            cuts: &cuts,
            evidence: &NoEvidence,
        };
        let yes = Condition::Balance {
            min: Some(1),
            max: None,
        };
        let no = Condition::Tier { tier_ids: vec![9] };
        let def = |join, within, groups| Definition { join, within, groups };
        // (yes OR no) AND (no OR yes)
        assert!(matches(
            &def(
                Join::All,
                Join::Any,
                vec![vec![yes.clone(), no.clone()], vec![no.clone(), yes.clone()]]
            ),
            &m,
            &ctx
        ));
        // (yes AND no) OR (yes)
        assert!(matches(
            &def(
                Join::Any,
                Join::All,
                vec![vec![yes.clone(), no.clone()], vec![yes.clone()]]
            ),
            &m,
            &ctx
        ));
        // (yes AND no) OR (no)
        assert!(!matches(
            &def(
                Join::Any,
                Join::All,
                vec![vec![yes.clone(), no.clone()], vec![no.clone()]]
            ),
            &m,
            &ctx
        ));
        // Nothing to check matches nobody.
        assert!(!matches(&def(Join::All, Join::All, vec![]), &m, &ctx));
        assert!(!matches(&def(Join::Any, Join::Any, vec![vec![]]), &m, &ctx));
    }

    #[test]
    fn what_a_definition_needs_read() {
        let d = Definition {
            join: Join::All,
            within: Join::Any,
            groups: vec![
                vec![
                    Condition::Spend {
                        days: 90,
                        min: Some(1),
                        max: None,
                    },
                    Condition::Orders {
                        days: 30,
                        min: None,
                        max: Some(0),
                    },
                ],
                vec![
                    Condition::Orders {
                        days: 90,
                        min: Some(1),
                        max: None,
                    },
                    Condition::Tier { tier_ids: vec![0, 4] },
                ],
            ],
        };
        assert_eq!(windows(&d), vec![30, 90]);
        assert!(!needs_rfm(&d));
        assert!(!needs_predictions(&d));
        assert_eq!(tier_ids(&d), vec![0, 4]);
    }
}
