//! The earning-rule engine: what one event earns under a program's base rate and its rules,
//! and why, line by line. Pure: the caller loads the rules and the member's usage; nothing
//! here reads a clock, a database or the network, so the server books with it and the admin
//! preview shows exactly the same numbers.
//!
//! Semantics, in the order they apply:
//! 1. Base rate: a "purchase" earns `points_per_unit` per currency unit of the order total,
//!    floored (the line "Base rate", `rule_id` None). Other event types have no base. The base
//!    has no caps.
//! 2. Only active rules take part (inactive ones get no line). They are evaluated in
//!    descending priority, ties by ascending id, so the outcome never depends on the order the
//!    rules were loaded or edited in. Every active rule gets exactly one line, matched or not,
//!    with a short reason when not.
//! 3. Conditions, all of which must hold: event type (none listed = purchases only), channel,
//!    store, date range (start inclusive, end exclusive), weekday and time window (local:
//!    the event's `utc_offset_secs`, its store's zone else the program's; the window is
//!    [from, to), wraps midnight when from > to, and is empty when from == to), min
//!    order (on the order total), tier, segment (any one of them). Stores, categories and tags
//!    compare ignoring ASCII case (people type them); SKUs and event types compare exactly.
//! 4. Line filters pick the eligible lines: each non-empty include list (SKU, category, tag)
//!    must accept the line (AND across lists, OR within one), and no exclude list may hit it.
//!    A rule with line filters matches only if some line is eligible. An event without lines
//!    fails include filters and ignores exclude filters (there is nothing to exclude).
//!    Eligible amount = sum of eligible line amounts, or the order total when there are no
//!    lines; eligible quantity = sum of eligible line quantities (0 without lines).
//! 5. Effects: points per currency unit of the eligible amount (proportional and floored once,
//!    exactly like the base rate: €12.99 x 3 = 38); fixed points; points per item;
//!    or a multiplier whose points are the extra, floor(earned so far x (pct - 100) / 100),
//!    never negative (a multiplier at or below 100 adds nothing).
//! 6. Tier multiplier: applied to the base and to every rule's own points. For per-unit
//!    effects it is folded into the one division (as `earning::points_for_purchase` always
//!    did), so €12.50 x 10 x1.5 is 187, not floor(125 x 1.5). It is not applied to a
//!    multiplier rule's extra, because that extra is computed from points that already carry
//!    it: Gold x1.5 with "double points" earns x3, not x3.75. A non-positive tier multiplier
//!    is treated as 100.
//! 7. Caps, after the tier multiplier: per event, per member per local day and per local month
//!    (`CapPeriod`, minus what the member already got, `RuleUsage`), and the campaign budget
//!    (budget minus used).
//!    The smallest room wins. A rule with no room left is reported unmatched ("budget
//!    exhausted") and neither stops nor competes: an exhausted campaign must not take other
//!    rules away from the member.
//! 8. Stacking: `Stack` adds and goes on. `Stop` adds, and every lower rule is reported
//!    "stopped by <rule>" (even if the stop rule itself earns 0: a 0-point stop rule is how an
//!    admin blocks promotions, e.g. on gift cards). `BestOnly` rules compete: each is valued
//!    against the base plus the stack/stop rules above it (no other best-only rule), and only
//!    the largest keeps its place (ties: the one evaluated first); the others are reported
//!    "not the best". The winner then counts as earned for the multipliers below it.
//! 9. Arithmetic in i128, clamped to i64; points are floored, never negative; total = sum of
//!    the matched lines.

use std::cmp::Reverse;

use crate::domain::earning::points_for_purchase;
use crate::domain::lang::{Digits, Lang};
use crate::i18n::{td_string, Locale};
use crate::model::program::{multiplier_label, Program, Tier};
use crate::model::rules::{
    Award, AwardLine, Channel, EarnEvent, EarningRule, MemberContext, OrderLine, ProgramEarning,
    RuleConditions, RuleEffect, RuleUsage, Stacking,
};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};

/// The event type that earns the base rate and that rules without event types apply to.
pub const PURCHASE: &str = "purchase";

/// Name of the base-rate line (in English; `evaluate_in` names it in the page's language).
pub const BASE_RATE: &str = "Base rate";

const MINUTES_PER_DAY: i64 = 1_440;

/// The program's base rate as the engine reads it.
pub fn base_rate(program: &Program) -> ProgramEarning {
    ProgramEarning {
        points_per_unit: program.points_per_unit,
        minor_per_unit: crate::domain::currency::minor_per_unit(&program.currency_code),
        currency_code: program.currency_code.clone(),
        currency_name: program.currency_name.clone(),
    }
}

/// The day and month a rule's per-member caps count an event in: the event's local ones (its
/// store's zone, else the program's, `utc_offset_secs`), as its days and hours are, so a
/// "per day" cap starts again at the member's midnight, not at UTC's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapPeriod {
    /// Days since 1970-01-01 of the local date.
    pub day: i64,
    /// year * 12 + month - 1 of the local date.
    pub month: i64,
}

impl CapPeriod {
    /// The period of an instant seen `utc_offset_secs` ahead of UTC.
    pub fn at(at: Timestamp, utc_offset_secs: i32) -> Self {
        use chrono::Datelike;
        let local = at.0 + i64::from(utc_offset_secs);
        let date = Timestamp(local).to_datetime();
        Self {
            day: local.div_euclid(SECONDS_PER_DAY),
            month: i64::from(date.year()) * 12 + i64::from(date.month0()),
        }
    }

    /// The period of an event whose offset is set (`Zones::localise`).
    pub fn of(event: &EarnEvent) -> Self {
        Self::at(event.occurred_at, event.utc_offset_secs)
    }
}

/// The member as the engine sees them: the tier they hold (kept on the membership; a tier
/// id the program no longer has counts as none), the segments they are in, and the
/// membership (0 when none), whose campaign arms rules may ask about.
pub fn member_context(
    program_tiers: &[Tier],
    tier_id: Option<i64>,
    segment_ids: Vec<i64>,
    membership_id: i64,
) -> MemberContext {
    let tier = tier_id.and_then(|id| program_tiers.iter().find(|t| t.id == id));
    MemberContext {
        tier_id: tier.map(|t| t.id),
        tier_name: tier.map(|t| t.name.clone()),
        tier_multiplier_pct: tier.map(|t| t.multiplier_pct).unwrap_or(100),
        segment_ids,
        membership_id,
    }
}

/// Adds what an award gave by rule, (rule id, points), to a member's cap usage, so the next
/// event evaluated in the same booking sees it (its day and month: one booking's events
/// share both).
pub fn count_given(usage: &mut Vec<RuleUsage>, given: &[(i64, i64)]) {
    for &(rule_id, points) in given {
        match usage.iter_mut().find(|u| u.rule_id == rule_id) {
            Some(u) => {
                u.member_day += points;
                u.member_month += points;
                u.member_awards += 1;
            }
            None => usage.push(RuleUsage {
                rule_id,
                member_day: points,
                member_month: points,
                member_awards: 1,
            }),
        }
    }
}

/// What `event` earns for `member` under the program's base rate and `rules`, with one line
/// for the base (purchases) and one per active rule, in evaluation order. See the module
/// header for the semantics. The explanations are in English (the ledger's and the channel
/// API's language); `evaluate_in` writes them in another.
pub fn evaluate(
    program: &ProgramEarning,
    rules: &[EarningRule],
    event: &EarnEvent,
    member: &MemberContext,
    usage: &[RuleUsage],
) -> Award {
    evaluate_in(Lang::ENGLISH, program, rules, event, member, usage)
}

/// `evaluate`, with the summary and the explanations in `lang` (the admin preview): the same
/// points whatever the language.
pub fn evaluate_in(
    lang: Lang,
    program: &ProgramEarning,
    rules: &[EarningRule],
    event: &EarnEvent,
    member: &MemberContext,
    usage: &[RuleUsage],
) -> Award {
    let ctx = Ctx::new(lang, program, event, member);
    let l = lang.locale;
    let mut active: Vec<&EarningRule> = rules.iter().filter(|r| r.active).collect();
    active.sort_by_key(|r| (Reverse(r.priority), r.id));

    let statuses = statuses(&ctx, &active, usage);
    let base = (event.event_type == PURCHASE).then(|| base_line(&ctx));
    let base_points = base.as_ref().map_or(0, |b| b.points);

    // Best-only rules are compared on equal footing first (none of them counted), then the
    // whole list is valued again with the winner in its place.
    let compared = value_all(&ctx, &active, &statuses, base_points, Pass::Compare);
    let mut winner: Option<(usize, i64)> = None;
    for (i, v) in compared.iter().enumerate() {
        if let (Stacking::BestOnly, Some(v)) = (active[i].stacking, v) {
            if winner.is_none_or(|(_, best)| v.points > best) {
                winner = Some((i, v.points));
            }
        }
    }
    let valued = value_all(
        &ctx,
        &active,
        &statuses,
        base_points,
        Pass::Final(winner.map(|w| w.0)),
    );

    let mut lines: Vec<AwardLine> = base.into_iter().collect();
    for (i, rule) in active.iter().enumerate() {
        let (matched, points, explanation) = match (&statuses[i], &valued[i]) {
            (_, Some(v)) => (true, v.points, v.explanation.clone()),
            (Status::Stopped(by), None) => (
                false,
                0,
                td_string!(l, offers.engine.stopped_by, rule = by).to_string(),
            ),
            (Status::NoMatch(why) | Status::NoRoom(why), None) => (false, 0, why.clone()),
            (Status::Applies(..), None) => {
                // Only a best-only loser applies without a value in the final pass.
                let mine = compared[i].as_ref().map_or(0, |v| v.points);
                let why = match winner {
                    Some((w, best)) => {
                        let name = &active[w].name;
                        if mine == best {
                            td_string!(
                                l,
                                offers.engine.not_best_tie,
                                rule = name,
                                best = ctx.n(best),
                                unit = &ctx.unit
                            )
                            .to_string()
                        } else {
                            td_string!(
                                l,
                                offers.engine.not_best_less,
                                mine = ctx.n(mine),
                                unit = &ctx.unit,
                                best = ctx.n(best),
                                rule = name
                            )
                            .to_string()
                        }
                    }
                    None => td_string!(l, offers.engine.not_best).to_string(),
                };
                (false, 0, why)
            }
        };
        // A campaign's rule that does not give is left out: a receipt would otherwise tell a
        // member of the control group (or another variant) what they are not getting.
        if !matched && rule.conditions.campaign_arm.is_some() {
            continue;
        }
        lines.push(AwardLine {
            rule_id: Some(rule.id),
            rule_name: rule.name.clone(),
            matched,
            points,
            explanation,
        });
    }

    let total = lines
        .iter()
        .filter(|l| l.matched)
        .fold(0_i64, |t, l| t.saturating_add(l.points));
    let mut parts: Vec<String> = Vec::new();
    for line in lines.iter().filter(|l| l.matched) {
        match line.rule_id {
            None => parts.push(td_string!(l, offers.engine.summary_base, n = ctx.n(line.points)).to_string()),
            Some(_) if line.points > 0 => parts.push(
                td_string!(
                    l,
                    offers.engine.summary_rule,
                    rule = &line.rule_name,
                    n = ctx.n(line.points)
                )
                .to_string(),
            ),
            Some(_) => {}
        }
    }
    let summary = if parts.is_empty() {
        td_string!(
            l,
            offers.engine.summary_none,
            total = ctx.n(total),
            unit = &ctx.unit
        )
        .to_string()
    } else {
        td_string!(
            l,
            offers.engine.summary,
            total = ctx.n(total),
            unit = &ctx.unit,
            parts = parts.join(td_string!(l, offers.engine.comma))
        )
        .to_string()
    };
    Award {
        total,
        lines,
        summary,
    }
}

/// The award as one line for receipts and the ledger: the summary, then how each part was
/// reached. "187 Stars: base 187 — Base rate: €12.50 x 10 Stars per EUR x1.5 (Gold) = 187 Stars".
pub fn explain(award: &Award) -> String {
    let parts: Vec<String> = award
        .lines
        .iter()
        .filter(|l| l.matched && l.points > 0)
        .map(|l| format!("{}: {}", l.rule_name, l.explanation))
        .collect();
    if parts.is_empty() {
        award.summary.clone()
    } else {
        format!("{} — {}", award.summary, parts.join("; "))
    }
}

/// The conditions in words for the admin list: "store channel · weekends · min €20.00".
/// `currency_code` formats the minimum order.
/// `tiers` names the program's tiers by id; a tier no longer there shows as "#id".
/// In English; `describe_conditions_in` for another language.
pub fn describe_conditions(c: &RuleConditions, currency_code: &str, tiers: &[(i64, &str)]) -> String {
    describe_conditions_in(Lang::ENGLISH, c, currency_code, tiers)
}

/// `describe_conditions` in `lang`.
pub fn describe_conditions_in(
    lang: Lang,
    c: &RuleConditions,
    currency_code: &str,
    tiers: &[(i64, &str)],
) -> String {
    let l = lang.locale;
    let comma = td_string!(l, offers.engine.comma);
    let mut parts: Vec<String> = Vec::new();
    if !c.event_types.is_empty() && c.event_types.iter().any(|t| t != PURCHASE) {
        let types = c.event_types.join(td_string!(l, offers.engine.or));
        parts.push(td_string!(l, offers.engine.cond_events, types = types).to_string());
    }
    if !c.channels.is_empty() {
        let channels = channels_label(lang, &c.channels, td_string!(l, offers.engine.or));
        parts.push(td_string!(l, offers.engine.cond_channel, channels = channels).to_string());
    }
    if !c.stores.is_empty() {
        let list = c.stores.join(comma);
        parts.push(if c.stores.len() == 1 {
            td_string!(l, offers.engine.cond_store, list = list).to_string()
        } else {
            td_string!(l, offers.engine.cond_stores, list = list).to_string()
        });
    }
    if c.starts_at.is_some() || c.ends_at.is_some() {
        parts.push(range_label(lang, c.starts_at, c.ends_at));
    }
    if !c.weekdays.is_empty() {
        parts.push(weekdays_label(lang, &c.weekdays));
    }
    if c.time_from_min.is_some() || c.time_to_min.is_some() {
        parts.push(window_label(lang, c.time_from_min, c.time_to_min));
    }
    if let Some(min) = c.min_order_minor {
        let amount = lang.money(min, currency_code);
        parts.push(td_string!(l, offers.engine.cond_min, amount = amount).to_string());
    }
    if !c.tier_ids.is_empty() {
        let names: Vec<String> = c
            .tier_ids
            .iter()
            .map(|id| match tiers.iter().find(|(t, _)| t == id) {
                Some((_, name)) => (*name).to_string(),
                None => id_label(lang, *id),
            })
            .collect();
        let list = names.join(comma);
        parts.push(if c.tier_ids.len() == 1 {
            td_string!(l, offers.engine.cond_tier, list = list).to_string()
        } else {
            td_string!(l, offers.engine.cond_tiers, list = list).to_string()
        });
    }
    if !c.segment_ids.is_empty() {
        let list = ids_label(lang, &c.segment_ids);
        parts.push(if c.segment_ids.len() == 1 {
            td_string!(l, offers.engine.cond_segment, list = list).to_string()
        } else {
            td_string!(l, offers.engine.cond_segments, list = list).to_string()
        });
    }
    parts.extend(line_filter_parts(lang, c));
    if parts.is_empty() {
        td_string!(l, offers.engine.every_purchase).to_string()
    } else {
        parts.join(" · ")
    }
}

/// The effect in words for the admin list: "2 Stars per EUR", "+100 Stars", "x2 on earlier
/// points", "10 Stars per item". In English; `describe_effect_in` for another language.
pub fn describe_effect(effect: &RuleEffect, program: &ProgramEarning) -> String {
    describe_effect_in(Lang::ENGLISH, effect, program)
}

/// `describe_effect` in `lang`.
pub fn describe_effect_in(lang: Lang, effect: &RuleEffect, program: &ProgramEarning) -> String {
    let l = lang.locale;
    let unit = unit_name(lang, program);
    let n = |v: i64| plain_number(lang, v);
    match *effect {
        RuleEffect::PointsPerUnit { points_per_unit } => td_string!(
            l,
            offers.engine.effect_per_unit,
            n = n(points_per_unit),
            unit = unit,
            code = &program.currency_code
        )
        .to_string(),
        RuleEffect::FixedPoints { points } => {
            td_string!(l, offers.engine.effect_fixed, n = n(points), unit = unit).to_string()
        }
        RuleEffect::Multiplier { pct } => td_string!(
            l,
            offers.engine.effect_multiplier,
            times = times_label(lang, pct),
            unit = unit
        )
        .to_string(),
        RuleEffect::PerItem { points } => {
            td_string!(l, offers.engine.effect_per_item, n = n(points), unit = unit).to_string()
        }
    }
}

/// A whole number as the engine writes it, ungrouped ("1000"), in `lang`'s digits.
fn plain_number(lang: Lang, n: i64) -> String {
    lang.digits_of(&n.to_string())
}

/// A multiplier as people say it: "x1.5" in English, "×١٫٥" in Arabic.
pub fn times_label(lang: Lang, pct: i64) -> String {
    let label = multiplier_label(pct);
    match lang.locale {
        Locale::en => label,
        Locale::ar => format!("×{}", lang.digits_of(label.trim_start_matches('x'))),
    }
}

/// A percentage: "150%", "١٥٠٪" with Arabic-Indic digits.
fn percent_label(lang: Lang, pct: i64) -> String {
    match lang.digits {
        Digits::Western => format!("{pct}%"),
        Digits::ArabicIndic => format!("{}٪", lang.digits_of(&pct.to_string())),
    }
}

/// What every step reads.
struct Ctx<'a> {
    lang: Lang,
    program: &'a ProgramEarning,
    event: &'a EarnEvent,
    member: &'a MemberContext,
    /// The tier multiplier, 100 when the member has none (or a meaningless one).
    tier_pct: i64,
    /// " x1.5 (Gold)", or empty at x1.
    tier_label: String,
    unit: String,
}

impl<'a> Ctx<'a> {
    fn new(lang: Lang, program: &'a ProgramEarning, event: &'a EarnEvent, member: &'a MemberContext) -> Self {
        let tier_pct = if member.tier_multiplier_pct > 0 {
            member.tier_multiplier_pct
        } else {
            100
        };
        let tier_label = if tier_pct == 100 {
            String::new()
        } else {
            let name = member
                .tier_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            format!(" {}{name}", times_label(lang, tier_pct))
        };
        Self {
            lang,
            program,
            event,
            member,
            tier_pct,
            tier_label,
            unit: unit_name(lang, program),
        }
    }

    fn money(&self, minor: i64) -> String {
        self.lang.money(minor, &self.program.currency_code)
    }

    fn n(&self, n: i64) -> String {
        plain_number(self.lang, n)
    }
}

fn unit_name(lang: Lang, program: &ProgramEarning) -> String {
    let name = program.currency_name.trim();
    if name.is_empty() {
        td_string!(lang.locale, offers.engine.points).to_string()
    } else {
        name.to_string()
    }
}

/// A rule's standing before any points are computed. It depends on the conditions, the
/// caps and the stop rules above only, never on points earned so far, so both valuation
/// passes agree on which rules apply.
enum Status<'a> {
    Stopped(&'a str),
    NoMatch(String),
    /// Conditions hold but a cap or the budget leaves nothing.
    NoRoom(String),
    Applies(Room, Eligible),
}

/// How much more a rule may give, and the binding limit in words.
struct Room {
    left: Option<i64>,
    reason: String,
}

/// What the line filters let through.
struct Eligible {
    amount: i64,
    quantity: i64,
}

struct Value {
    points: i64,
    explanation: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// Best-only rules are valued but not counted.
    Compare,
    /// Only the given best-only rule is valued and counted.
    Final(Option<usize>),
}

fn statuses<'a>(ctx: &Ctx, rules: &[&'a EarningRule], usage: &[RuleUsage]) -> Vec<Status<'a>> {
    let mut stopped_by: Option<&'a str> = None;
    rules
        .iter()
        .map(|rule| {
            if let Some(by) = stopped_by {
                return Status::Stopped(by);
            }
            let status = match check(ctx, &rule.conditions) {
                Err(why) => Status::NoMatch(why),
                Ok(eligible) => {
                    let room = room(ctx.lang, rule, usage);
                    if room.left == Some(0) {
                        Status::NoRoom(room.reason)
                    } else {
                        Status::Applies(room, eligible)
                    }
                }
            };
            if rule.stacking == Stacking::Stop && matches!(status, Status::Applies(..)) {
                stopped_by = Some(rule.name.as_str());
            }
            status
        })
        .collect()
}

fn value_all(
    ctx: &Ctx,
    rules: &[&EarningRule],
    statuses: &[Status],
    base: i64,
    pass: Pass,
) -> Vec<Option<Value>> {
    let mut earned = base;
    rules
        .iter()
        .zip(statuses)
        .enumerate()
        .map(|(i, (rule, status))| {
            let Status::Applies(room, eligible) = status else {
                return None;
            };
            let best_only = rule.stacking == Stacking::BestOnly;
            if best_only && matches!(pass, Pass::Final(w) if w != Some(i)) {
                return None;
            }
            let v = value(ctx, rule, eligible, room, earned);
            if !(best_only && pass == Pass::Compare) {
                earned = earned.saturating_add(v.points);
            }
            Some(v)
        })
        .collect()
}

fn base_line(ctx: &Ctx) -> AwardLine {
    let p = ctx.program;
    let l = ctx.lang.locale;
    let amount = ctx.event.amount_minor;
    let points = points_for_purchase(amount, p.minor_per_unit, p.points_per_unit, ctx.tier_pct);
    AwardLine {
        rule_id: None,
        rule_name: td_string!(l, offers.engine.base_rate).to_string(),
        matched: true,
        points,
        explanation: td_string!(
            l,
            offers.engine.per_unit,
            amount = ctx.money(amount),
            rate = ctx.n(p.points_per_unit),
            unit = &ctx.unit,
            code = &p.currency_code,
            tier = &ctx.tier_label,
            points = ctx.n(points)
        )
        .to_string(),
    }
}

/// One rule's points given what was earned before it, capped.
fn value(ctx: &Ctx, rule: &EarningRule, eligible: &Eligible, room: &Room, earned: i64) -> Value {
    let l = ctx.lang.locale;
    let unit = &ctx.unit;
    let tier = &ctx.tier_label;
    let (raw, text) = match rule.effect {
        RuleEffect::PointsPerUnit { points_per_unit } => {
            let p = points_for_purchase(
                eligible.amount,
                ctx.program.minor_per_unit,
                points_per_unit,
                ctx.tier_pct,
            );
            let what = if eligible.amount == ctx.event.amount_minor {
                ctx.money(eligible.amount)
            } else {
                td_string!(
                    l,
                    offers.engine.eligible_amount,
                    amount = ctx.money(eligible.amount)
                )
                .to_string()
            };
            let text = td_string!(
                l,
                offers.engine.per_unit,
                amount = what,
                rate = ctx.n(points_per_unit),
                unit = unit,
                code = &ctx.program.currency_code,
                tier = tier,
                points = ctx.n(p)
            )
            .to_string();
            (p, text)
        }
        RuleEffect::FixedPoints { points } => {
            let p = scale(points, ctx.tier_pct);
            let text = td_string!(
                l,
                offers.engine.fixed,
                n = ctx.n(points.max(0)),
                unit = unit,
                tier = tier,
                points = ctx.n(p)
            )
            .to_string();
            (p, text)
        }
        RuleEffect::PerItem { points } => {
            let per = points.max(0);
            let p = scale(clamp(eligible.quantity as i128 * per as i128), ctx.tier_pct);
            let text = td_string!(
                l,
                offers.engine.per_item,
                count = eligible.quantity.max(0) as u64,
                q = ctx.n(eligible.quantity),
                per = ctx.n(per),
                unit = unit,
                tier = tier,
                points = ctx.n(p)
            )
            .to_string();
            (p, text)
        }
        RuleEffect::Multiplier { pct } => {
            if pct <= 100 {
                let text = td_string!(
                    l,
                    offers.engine.multiplier_nothing,
                    pct = percent_label(ctx.lang, pct)
                )
                .to_string();
                (0, text)
            } else {
                // Already tier-multiplied points, so the tier is not applied again.
                let p = clamp(earned.max(0) as i128 * (pct as i128 - 100) / 100);
                let text = td_string!(
                    l,
                    offers.engine.multiplier,
                    times = times_label(ctx.lang, pct),
                    earned = ctx.n(earned),
                    unit = unit,
                    points = ctx.n(p)
                )
                .to_string();
                (p, text)
            }
        }
    };
    match room.left {
        Some(left) if raw > left => Value {
            points: left,
            explanation: td_string!(
                l,
                offers.engine.capped,
                text = text,
                reason = &room.reason,
                left = ctx.n(left),
                unit = unit
            )
            .to_string(),
        },
        _ => Value {
            points: raw,
            explanation: text,
        },
    }
}

/// floor(points x pct / 100), never negative.
fn scale(points: i64, pct: i64) -> i64 {
    if points <= 0 || pct <= 0 {
        return 0;
    }
    clamp(points as i128 * pct as i128 / 100)
}

fn clamp(v: i128) -> i64 {
    v.clamp(0, i64::MAX as i128) as i64
}

/// The room left under every cap of a rule; the smallest wins, the first listed on ties.
fn room(lang: Lang, rule: &EarningRule, usage: &[RuleUsage]) -> Room {
    let l = lang.locale;
    let n = |v: i64| plain_number(lang, v);
    // Usage the caller summed per rule; several entries for one rule add up, and negative
    // usage (a data error) must not widen a cap.
    let (day, month, total) =
        usage
            .iter()
            .filter(|u| u.rule_id == rule.id)
            .fold((0_i64, 0_i64, 0_i64), |(d, m, t), u| {
                (
                    d.saturating_add(u.member_day.max(0)),
                    m.saturating_add(u.member_month.max(0)),
                    t.saturating_add(u.member_awards.max(0)),
                )
            });
    let mut limits: Vec<(i64, String)> = Vec::new();
    let caps = &rule.caps;
    if let Some(cap) = caps.per_event {
        limits.push((
            cap.max(0),
            td_string!(l, offers.engine.cap_event, cap = n(cap)).to_string(),
        ));
    }
    if let Some(cap) = caps.per_member_day {
        let why = if day > 0 {
            td_string!(l, offers.engine.cap_day_already, cap = n(cap), n = n(day)).to_string()
        } else {
            td_string!(l, offers.engine.cap_day, cap = n(cap)).to_string()
        };
        limits.push((cap.saturating_sub(day).max(0), why));
    }
    if let Some(cap) = caps.per_member_month {
        let why = if month > 0 {
            td_string!(l, offers.engine.cap_month_already, cap = n(cap), n = n(month)).to_string()
        } else {
            td_string!(l, offers.engine.cap_month, cap = n(cap)).to_string()
        };
        limits.push((cap.saturating_sub(month).max(0), why));
    }
    if let Some(cap) = caps.per_member_awards {
        // A count, not points: once the member has had it `cap` times, nothing is left.
        if total >= cap {
            let why = td_string!(l, offers.engine.cap_awards, cap = n(cap)).to_string();
            limits.push((0, why));
        }
    }
    if let Some(budget) = rule.budget_points {
        let left = budget.saturating_sub(rule.budget_used.max(0)).max(0);
        let why = if left == 0 {
            td_string!(l, offers.engine.budget_exhausted).to_string()
        } else {
            td_string!(l, offers.engine.budget_left, left = n(left), budget = n(budget)).to_string()
        };
        limits.push((left, why));
    }
    let mut best: Option<(i64, String)> = None;
    for (left, why) in limits {
        if best.as_ref().is_none_or(|(b, _)| left < *b) {
            best = Some((left, why));
        }
    }
    match best {
        Some((left, reason)) => Room {
            left: Some(left),
            reason,
        },
        None => Room {
            left: None,
            reason: String::new(),
        },
    }
}

/// Every condition of a rule against the event and member: the eligible lines, or why not.
fn check(ctx: &Ctx, c: &RuleConditions) -> Result<Eligible, String> {
    let lang = ctx.lang;
    let l = lang.locale;
    let comma = td_string!(l, offers.engine.comma);
    let e = ctx.event;
    let m = ctx.member;
    let types_ok = if c.event_types.is_empty() {
        e.event_type == PURCHASE
    } else {
        c.event_types.contains(&e.event_type)
    };
    if !types_ok {
        let wanted = if c.event_types.is_empty() {
            PURCHASE.to_string()
        } else {
            c.event_types.join(comma)
        };
        return Err(td_string!(
            l,
            offers.engine.wrong_event,
            event = &e.event_type,
            wanted = wanted
        )
        .to_string());
    }
    if !c.channels.is_empty() && !c.channels.contains(&e.channel) {
        return Err(td_string!(
            l,
            offers.engine.wrong_channel,
            channel = e.channel.label(lang),
            wanted = channels_label(lang, &c.channels, comma)
        )
        .to_string());
    }
    if !c.stores.is_empty() {
        let stores = c.stores.join(comma);
        match e.store.as_deref() {
            None => return Err(td_string!(l, offers.engine.no_store, stores = stores).to_string()),
            Some(s) if !contains_name(&c.stores, s) => {
                return Err(td_string!(l, offers.engine.wrong_store, store = s, stores = stores).to_string());
            }
            Some(_) => {}
        }
    }
    let at = e.occurred_at.0;
    if c.starts_at.is_some_and(|s| at < s.0) || c.ends_at.is_some_and(|end| at >= end.0) {
        let range = range_label(lang, c.starts_at, c.ends_at);
        return Err(td_string!(l, offers.engine.outside, range = range).to_string());
    }
    // Days and hours are the event's local ones (its store's zone, else the program's).
    let local = at + i64::from(e.utc_offset_secs);
    if !c.weekdays.is_empty() {
        let day = weekday(local);
        if !c.weekdays.contains(&day) {
            return Err(td_string!(
                l,
                offers.engine.not_in,
                value = weekday_name(lang, day),
                wanted = weekdays_label(lang, &c.weekdays)
            )
            .to_string());
        }
    }
    if c.time_from_min.is_some() || c.time_to_min.is_some() {
        let minute = local.rem_euclid(SECONDS_PER_DAY) / 60;
        if !in_window(minute, c.time_from_min, c.time_to_min) {
            return Err(td_string!(
                l,
                offers.engine.not_in,
                value = clock(lang, minute),
                wanted = window_label(lang, c.time_from_min, c.time_to_min)
            )
            .to_string());
        }
    }
    if let Some(min) = c.min_order_minor {
        if e.amount_minor < min {
            return Err(td_string!(
                l,
                offers.engine.below_min,
                amount = ctx.money(e.amount_minor),
                min = ctx.money(min)
            )
            .to_string());
        }
    }
    if !c.tier_ids.is_empty() {
        let tiers = ids_label(lang, &c.tier_ids);
        match m.tier_id {
            None => return Err(td_string!(l, offers.engine.no_tier, tiers = tiers).to_string()),
            Some(t) if !c.tier_ids.contains(&t) => {
                let name = m.tier_name.clone().unwrap_or_else(|| id_label(lang, t));
                return Err(td_string!(l, offers.engine.wrong_tier, tier = name, tiers = tiers).to_string());
            }
            Some(_) => {}
        }
    }
    if !c.segment_ids.is_empty() && !m.segment_ids.iter().any(|s| c.segment_ids.contains(s)) {
        let segments = ids_label(lang, &c.segment_ids);
        return Err(td_string!(l, offers.engine.not_in_segment, segments = segments).to_string());
    }
    if let Some(arm) = c.campaign_arm {
        if !arm.holds(m.membership_id) {
            return Err(td_string!(l, offers.engine.other_arm).to_string());
        }
    }
    eligible(lang, c, e)
}

fn eligible(lang: Lang, c: &RuleConditions, e: &EarnEvent) -> Result<Eligible, String> {
    let l = lang.locale;
    let includes =
        !(c.include_skus.is_empty() && c.include_categories.is_empty() && c.include_tags.is_empty());
    let excludes =
        !(c.exclude_skus.is_empty() && c.exclude_categories.is_empty() && c.exclude_tags.is_empty());
    let filters = || line_filter_parts(lang, c).join(" · ");
    if e.lines.is_empty() {
        if includes {
            return Err(td_string!(l, offers.engine.no_lines, filters = filters()).to_string());
        }
        return Ok(Eligible {
            amount: e.amount_minor.max(0),
            quantity: 0,
        });
    }
    let mut found = false;
    let mut amount = 0_i64;
    let mut quantity = 0_i64;
    for line in e.lines.iter().filter(|l| line_ok(c, l)) {
        found = true;
        amount = amount.saturating_add(line.amount_minor.max(0));
        quantity = quantity.saturating_add(line.quantity.max(0));
    }
    if !found && (includes || excludes) {
        let why = if includes {
            td_string!(l, offers.engine.no_line_matches, filters = filters()).to_string()
        } else {
            td_string!(l, offers.engine.all_lines_excluded, filters = filters()).to_string()
        };
        return Err(why);
    }
    Ok(Eligible { amount, quantity })
}

fn line_ok(c: &RuleConditions, l: &OrderLine) -> bool {
    let category = l.category.as_deref();
    let any_tag = |list: &[String]| l.tags.iter().any(|t| contains_name(list, t));
    (c.include_skus.is_empty() || c.include_skus.contains(&l.sku))
        && (c.include_categories.is_empty()
            || category.is_some_and(|k| contains_name(&c.include_categories, k)))
        && (c.include_tags.is_empty() || any_tag(&c.include_tags))
        && !c.exclude_skus.contains(&l.sku)
        && !category.is_some_and(|k| contains_name(&c.exclude_categories, k))
        && !any_tag(&c.exclude_tags)
}

fn contains_name(list: &[String], name: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(name))
}

/// 1 = Monday .. 7 = Sunday of an instant (shifted to local time), by arithmetic so that no timestamp is out of
/// range (1970-01-01 was a Thursday).
fn weekday(at: i64) -> u8 {
    ((at.div_euclid(SECONDS_PER_DAY) + 3).rem_euclid(7) + 1) as u8
}

/// [from, to) in minutes of the day; wraps midnight when from > to.
fn in_window(minute: i64, from: Option<u16>, to: Option<u16>) -> bool {
    match (from.map(i64::from), to.map(i64::from)) {
        (Some(f), Some(t)) if f <= t => (f..t).contains(&minute),
        (Some(f), Some(t)) => minute >= f || minute < t,
        (Some(f), None) => minute >= f,
        (None, Some(t)) => minute < t,
        (None, None) => true,
    }
}

fn clock(lang: Lang, minute: i64) -> String {
    lang.digits_of(&format!("{:02}:{:02}", minute / 60, minute % 60))
}

fn window_label(lang: Lang, from: Option<u16>, to: Option<u16>) -> String {
    let l = lang.locale;
    let c = |m: u16| clock(lang, i64::from(m).min(MINUTES_PER_DAY));
    match (from, to) {
        (Some(f), Some(t)) => td_string!(l, offers.engine.window, from = c(f), to = c(t)).to_string(),
        (Some(f), None) => td_string!(l, offers.engine.window_from, from = c(f)).to_string(),
        (None, Some(t)) => td_string!(l, offers.engine.window_to, to = c(t)).to_string(),
        (None, None) => td_string!(l, offers.engine.all_day).to_string(),
    }
}

/// "2026-12-01..2027-01-01" (end exclusive); a side without a limit is left empty. Instants
/// at midnight show as dates, others with their time.
fn range_label(lang: Lang, from: Option<Timestamp>, to: Option<Timestamp>) -> String {
    let l = lang.locale;
    let show = |t: Timestamp| {
        let text = if t.0.rem_euclid(SECONDS_PER_DAY) == 0 {
            t.date().format("%Y-%m-%d").to_string()
        } else {
            t.display()
        };
        lang.digits_of(&text)
    };
    match (from, to) {
        (Some(f), Some(t)) => td_string!(l, offers.engine.range, from = show(f), to = show(t)).to_string(),
        (Some(f), None) => td_string!(l, offers.engine.range_from, from = show(f)).to_string(),
        (None, Some(t)) => td_string!(l, offers.engine.range_to, to = show(t)).to_string(),
        (None, None) => "..".to_string(),
    }
}

/// The short name of a day, 1 = Monday .. 7 = Sunday.
fn weekday_name(lang: Lang, day: u8) -> &'static str {
    let l = lang.locale;
    match day {
        1 => td_string!(l, offers.weekday.mon),
        2 => td_string!(l, offers.weekday.tue),
        3 => td_string!(l, offers.weekday.wed),
        4 => td_string!(l, offers.weekday.thu),
        5 => td_string!(l, offers.weekday.fri),
        6 => td_string!(l, offers.weekday.sat),
        _ => td_string!(l, offers.weekday.sun),
    }
}

fn weekdays_label(lang: Lang, days: &[u8]) -> String {
    let l = lang.locale;
    let mut valid: Vec<u8> = days.iter().copied().filter(|d| (1..=7).contains(d)).collect();
    valid.sort_unstable();
    valid.dedup();
    match valid.as_slice() {
        [] => td_string!(l, offers.engine.no_day).to_string(),
        [6, 7] => td_string!(l, offers.engine.weekends).to_string(),
        [1, 2, 3, 4, 5] => td_string!(l, offers.engine.weekdays).to_string(),
        [1, 2, 3, 4, 5, 6, 7] => td_string!(l, offers.engine.every_day).to_string(),
        v => v
            .iter()
            .map(|d| weekday_name(lang, *d))
            .collect::<Vec<_>>()
            .join(td_string!(l, offers.engine.comma)),
    }
}

fn channels_label(lang: Lang, channels: &[Channel], sep: &str) -> String {
    channels
        .iter()
        .map(|c| c.label(lang))
        .collect::<Vec<_>>()
        .join(sep)
}

fn id_label(lang: Lang, id: i64) -> String {
    format!("#{}", plain_number(lang, id))
}

fn ids_label(lang: Lang, ids: &[i64]) -> String {
    ids.iter()
        .map(|i| id_label(lang, *i))
        .collect::<Vec<_>>()
        .join(td_string!(lang.locale, offers.engine.comma))
}

fn line_filter_parts(lang: Lang, c: &RuleConditions) -> Vec<String> {
    let l = lang.locale;
    let comma = td_string!(l, offers.engine.comma);
    let mut parts = Vec::new();
    let mut add = |list: &[String], one: &dyn Fn(String) -> String, many: &dyn Fn(String) -> String| {
        if !list.is_empty() {
            let names = list.join(comma);
            parts.push(if list.len() == 1 { one(names) } else { many(names) });
        }
    };
    add(
        &c.include_skus,
        &|list| td_string!(l, offers.engine.filter_sku, list = list).to_string(),
        &|list| td_string!(l, offers.engine.filter_skus, list = list).to_string(),
    );
    add(
        &c.include_categories,
        &|list| td_string!(l, offers.engine.filter_category, list = list).to_string(),
        &|list| td_string!(l, offers.engine.filter_categories, list = list).to_string(),
    );
    add(
        &c.include_tags,
        &|list| td_string!(l, offers.engine.filter_tagged, list = list).to_string(),
        &|list| td_string!(l, offers.engine.filter_tagged, list = list).to_string(),
    );
    add(
        &c.exclude_skus,
        &|list| td_string!(l, offers.engine.filter_not_sku, list = list).to_string(),
        &|list| td_string!(l, offers.engine.filter_not_skus, list = list).to_string(),
    );
    add(
        &c.exclude_categories,
        &|list| td_string!(l, offers.engine.filter_not_category, list = list).to_string(),
        &|list| td_string!(l, offers.engine.filter_not_categories, list = list).to_string(),
    );
    add(
        &c.exclude_tags,
        &|list| td_string!(l, offers.engine.filter_not_tagged, list = list).to_string(),
        &|list| td_string!(l, offers.engine.filter_not_tagged, list = list).to_string(),
    );
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rules::RuleCaps;
    use chrono::NaiveDate;

    #[test]
    fn what_one_award_gave_counts_towards_the_next_in_the_booking() {
        let mut usage = vec![RuleUsage {
            member_awards: 0,
            rule_id: 7,
            member_day: 5,
            member_month: 40,
        }];
        count_given(&mut usage, &[(7, 10), (9, 3)]);
        count_given(&mut usage, &[(9, 2)]);
        assert_eq!(
            usage,
            vec![
                RuleUsage {
                    member_awards: 1,
                    rule_id: 7,
                    member_day: 15,
                    member_month: 50
                },
                RuleUsage {
                    member_awards: 2,
                    rule_id: 9,
                    member_day: 5,
                    member_month: 5
                },
            ]
        );
    }

    fn program() -> ProgramEarning {
        ProgramEarning {
            points_per_unit: 10,
            minor_per_unit: 100,
            currency_code: "EUR".into(),
            currency_name: "Stars".into(),
        }
    }

    /// 2026-11-23 (a Monday) at hh:mm UTC.
    fn monday(hh: i64, mm: i64) -> Timestamp {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        Timestamp(Timestamp::start_of(day).0 + hh * 3600 + mm * 60)
    }

    fn rule(id: i64, name: &str, priority: i64, effect: RuleEffect) -> EarningRule {
        EarningRule {
            budget_rule_id: None,
            id,
            program_id: crate::model::ids::ProgramId(1),
            name: name.into(),
            priority,
            stacking: Stacking::Stack,
            active: true,
            conditions: RuleConditions::default(),
            effect,
            caps: RuleCaps::default(),
            budget_points: None,
            budget_used: 0,
        }
    }

    fn fixed(id: i64, name: &str, priority: i64, points: i64) -> EarningRule {
        rule(id, name, priority, RuleEffect::FixedPoints { points })
    }

    fn with(mut r: EarningRule, f: impl FnOnce(&mut RuleConditions)) -> EarningRule {
        f(&mut r.conditions);
        r
    }

    fn purchase(amount_minor: i64) -> EarnEvent {
        EarnEvent {
            event_type: PURCHASE.into(),
            channel: Channel::Store,
            store: None,
            amount_minor,
            lines: Vec::new(),
            occurred_at: monday(12, 0),
            utc_offset_secs: 0,
        }
    }

    fn line(sku: &str, category: &str, tags: &[&str], quantity: i64, amount_minor: i64) -> OrderLine {
        OrderLine {
            sku: sku.into(),
            category: Some(category.into()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            quantity,
            amount_minor,
        }
    }

    fn member() -> MemberContext {
        MemberContext::default()
    }

    fn gold() -> MemberContext {
        MemberContext {
            membership_id: 0,
            tier_id: Some(2),
            tier_name: Some("Gold".into()),
            tier_multiplier_pct: 150,
            segment_ids: vec![7],
        }
    }

    fn eval(rules: &[EarningRule], event: &EarnEvent) -> Award {
        evaluate(&program(), rules, event, &member(), &[])
    }

    fn find<'a>(award: &'a Award, name: &str) -> &'a AwardLine {
        award.lines.iter().find(|l| l.rule_name == name).unwrap()
    }

    /// Whether one rule with the given conditions matches the event.
    fn matches(event: &EarnEvent, m: &MemberContext, f: impl FnOnce(&mut RuleConditions)) -> bool {
        let r = with(fixed(1, "R", 0, 5), f);
        find(&evaluate(&program(), &[r], event, m, &[]), "R").matched
    }

    fn reason(event: &EarnEvent, f: impl FnOnce(&mut RuleConditions)) -> String {
        let r = with(fixed(1, "R", 0, 5), f);
        find(&eval(&[r], event), "R").explanation.clone()
    }

    #[test]
    fn rules_base_rate_only() {
        let a = eval(&[], &purchase(1200));
        assert_eq!(a.total, 120);
        assert_eq!(a.lines.len(), 1);
        assert_eq!(a.lines[0].rule_id, None);
        assert_eq!(a.lines[0].rule_name, "Base rate");
        assert_eq!(a.lines[0].explanation, "€12.00 x 10 Stars per EUR = 120 Stars");
        assert_eq!(a.summary, "120 Stars: base 120");
    }

    #[test]
    fn rules_summary_names_every_part() {
        let mut double = rule(1, "Double weekend", 20, RuleEffect::Multiplier { pct: 200 });
        double.stacking = Stacking::Stack;
        let coffee = fixed(2, "Coffee bonus", 10, 100);
        let a = eval(&[coffee, double], &purchase(1200));
        assert_eq!(a.total, 340);
        assert_eq!(
            a.summary,
            "340 Stars: base 120, Double weekend +120, Coffee bonus +100"
        );
        assert_eq!(
            find(&a, "Double weekend").explanation,
            "x2 on 120 Stars = +120 Stars"
        );
        assert_eq!(find(&a, "Coffee bonus").explanation, "+100 Stars = 100 Stars");
    }

    #[test]
    fn rules_run_by_descending_priority_then_id() {
        let x2 = |id, prio| rule(id, "Double", prio, RuleEffect::Multiplier { pct: 200 });
        // Bonus first: the multiplier doubles base + bonus.
        let a = eval(&[x2(1, 5), fixed(2, "Bonus", 10, 100)], &purchase(1200));
        assert_eq!(a.total, 440);
        assert_eq!(
            a.lines.iter().map(|l| l.rule_name.as_str()).collect::<Vec<_>>(),
            ["Base rate", "Bonus", "Double"]
        );
        // Multiplier first: it only doubles the base.
        assert_eq!(
            eval(&[x2(1, 10), fixed(2, "Bonus", 5, 100)], &purchase(1200)).total,
            340
        );
        // Equal priority: lower id first, whatever the input order.
        assert_eq!(
            eval(&[fixed(2, "Bonus", 5, 100), x2(1, 5)], &purchase(1200)).total,
            340
        );
        assert_eq!(
            eval(&[x2(3, 5), fixed(2, "Bonus", 5, 100)], &purchase(1200)).total,
            440
        );
    }

    #[test]
    fn rules_stack_adds_and_goes_on() {
        let a = eval(&[fixed(1, "A", 2, 10), fixed(2, "B", 1, 20)], &purchase(1000));
        assert_eq!(a.total, 130);
        assert!(find(&a, "A").matched && find(&a, "B").matched);
    }

    #[test]
    fn rules_stop_halts_lower_rules() {
        let mut stop = fixed(2, "Launch week", 5, 50);
        stop.stacking = Stacking::Stop;
        let a = eval(
            &[fixed(1, "Above", 9, 10), stop, fixed(3, "Below", 1, 20)],
            &purchase(1000),
        );
        assert_eq!(a.total, 100 + 10 + 50);
        let below = find(&a, "Below");
        assert!(!below.matched);
        assert_eq!(below.points, 0);
        assert_eq!(below.explanation, "stopped by Launch week");
    }

    #[test]
    fn rules_zero_point_stop_rule_blocks_promotions() {
        let mut block = with(fixed(1, "No promos on gift cards", 9, 0), |c| {
            c.include_skus = vec!["GIFT".into()]
        });
        block.stacking = Stacking::Stop;
        let mut e = purchase(5000);
        e.lines = vec![line("GIFT", "cards", &[], 1, 5000)];
        let a = eval(&[block, fixed(2, "Promo", 1, 100)], &e);
        assert_eq!(a.total, 500);
        assert_eq!(
            find(&a, "Promo").explanation,
            "stopped by No promos on gift cards"
        );
    }

    #[test]
    fn rules_exhausted_stop_rule_does_not_stop() {
        let mut stop = fixed(1, "Campaign", 9, 50);
        stop.stacking = Stacking::Stop;
        stop.budget_points = Some(1000);
        stop.budget_used = 1000;
        let a = eval(&[stop, fixed(2, "Other", 1, 20)], &purchase(1000));
        assert_eq!(a.total, 120);
        assert_eq!(find(&a, "Campaign").explanation, "budget exhausted");
        assert!(find(&a, "Other").matched);
    }

    #[test]
    fn rules_best_only_keeps_the_largest() {
        let best = |id, name: &str, prio, pts| {
            let mut r = fixed(id, name, prio, pts);
            r.stacking = Stacking::BestOnly;
            r
        };
        let rules = [
            best(1, "Small", 9, 50),
            best(2, "Large", 5, 80),
            fixed(3, "Always", 1, 10),
        ];
        let a = eval(&rules, &purchase(1000));
        assert_eq!(a.total, 100 + 80 + 10);
        let small = find(&a, "Small");
        assert!(!small.matched);
        assert_eq!(small.explanation, "not the best: 50 Stars < 80 Stars from Large");
        assert!(find(&a, "Large").matched);
        // Ties: the rule evaluated first wins.
        let a = eval(
            &[best(1, "First", 5, 80), best(2, "Second", 5, 80)],
            &purchase(1000),
        );
        assert!(find(&a, "First").matched);
        assert_eq!(
            find(&a, "Second").explanation,
            "not the best: First also gives 80 Stars and ranks higher"
        );
        assert_eq!(a.total, 180);
    }

    #[test]
    fn rules_best_only_multipliers_compete_on_the_same_points() {
        let mut triple = rule(1, "Birthday x3", 9, RuleEffect::Multiplier { pct: 300 });
        triple.stacking = Stacking::BestOnly;
        let mut double = rule(2, "Weekend x2", 8, RuleEffect::Multiplier { pct: 200 });
        double.stacking = Stacking::BestOnly;
        let a = eval(&[double, triple], &purchase(1000));
        // Both valued against the base 100 only: +200 beats +100.
        assert_eq!(a.total, 300);
        assert_eq!(
            find(&a, "Weekend x2").explanation,
            "not the best: 100 Stars < 200 Stars from Birthday x3"
        );
    }

    #[test]
    fn rules_later_multiplier_counts_the_best_only_winner() {
        let mut best = fixed(1, "Best", 9, 100);
        best.stacking = Stacking::BestOnly;
        let x2 = rule(2, "Double", 1, RuleEffect::Multiplier { pct: 200 });
        let a = eval(&[best, x2], &purchase(1200));
        assert_eq!(a.total, 440);
        assert_eq!(find(&a, "Double").points, 220);
    }

    #[test]
    fn rules_multiplier_of_at_most_100_adds_nothing() {
        let a = eval(
            &[rule(1, "Half", 1, RuleEffect::Multiplier { pct: 50 })],
            &purchase(1000),
        );
        assert_eq!(a.total, 100);
        assert_eq!(find(&a, "Half").points, 0);
        assert_eq!(a.summary, "100 Stars: base 100");
    }

    #[test]
    fn rules_tier_multiplier_applies_once() {
        let rules = [
            fixed(1, "Bonus", 9, 100),
            rule(2, "Double", 5, RuleEffect::Multiplier { pct: 200 }),
        ];
        let a = evaluate(&program(), &rules, &purchase(1200), &gold(), &[]);
        assert_eq!(a.lines[0].points, 180);
        assert_eq!(
            a.lines[0].explanation,
            "€12.00 x 10 Stars per EUR x1.5 (Gold) = 180 Stars"
        );
        assert_eq!(find(&a, "Bonus").points, 150);
        assert!(find(&a, "Bonus").explanation.contains("x1.5 (Gold)"));
        // Doubles the already tier-multiplied 330: x1.5 and x2 make x3, not x3.75.
        assert_eq!(find(&a, "Double").points, 330);
        assert_eq!(a.total, 660);
        // Per-unit effects floor once, as the foundation always did: 12.50 x 10 x 1.5 = 187.
        assert_eq!(
            evaluate(&program(), &[], &purchase(1250), &gold(), &[]).total,
            187
        );
    }

    #[test]
    fn rules_tier_multiplier_comes_before_caps() {
        let mut r = fixed(1, "Bonus", 1, 100);
        r.caps.per_event = Some(120);
        let a = evaluate(&program(), &[r], &purchase(0), &gold(), &[]);
        let l = find(&a, "Bonus");
        assert_eq!(l.points, 120);
        assert_eq!(
            l.explanation,
            "+100 Stars x1.5 (Gold) = 150 Stars; capped at 120 per event, so 120 Stars"
        );
    }

    #[test]
    fn rules_points_per_unit_and_per_item_on_eligible_lines() {
        let mut e = purchase(3000);
        e.lines = vec![
            line("LATTE", "coffee", &["hot"], 2, 800),
            line("BEANS", "coffee", &[], 1, 1200),
            line("MUG", "merch", &[], 3, 1000),
        ];
        let per_unit = with(
            rule(
                1,
                "Coffee x2",
                1,
                RuleEffect::PointsPerUnit { points_per_unit: 2 },
            ),
            |c| c.include_categories = vec!["Coffee".into()],
        );
        let per_item = with(rule(2, "Per item", 1, RuleEffect::PerItem { points: 5 }), |c| {
            c.exclude_skus = vec!["BEANS".into()]
        });
        let a = eval(&[per_unit, per_item], &e);
        assert_eq!(find(&a, "Coffee x2").points, 40);
        assert_eq!(
            find(&a, "Coffee x2").explanation,
            "€20.00 eligible x 2 Stars per EUR = 40 Stars"
        );
        assert_eq!(find(&a, "Per item").points, 25);
        assert_eq!(find(&a, "Per item").explanation, "5 items x 5 Stars = 25 Stars");
        assert_eq!(a.total, 300 + 40 + 25);
    }

    #[test]
    fn rules_points_per_unit_without_lines_uses_the_order_total() {
        let r = rule(1, "Extra", 1, RuleEffect::PointsPerUnit { points_per_unit: 3 });
        let a = eval(&[r], &purchase(1299));
        // Like the base rate: proportional, floored once (12.99 x 3 = 38.97), not 12 x 3.
        assert_eq!(find(&a, "Extra").points, 38);
        assert_eq!(
            find(&a, "Extra").explanation,
            "€12.99 x 3 Stars per EUR = 38 Stars"
        );
    }

    #[test]
    fn rules_channel_condition() {
        let web = EarnEvent {
            channel: Channel::Web,
            ..purchase(1000)
        };
        assert!(matches(&purchase(1000), &member(), |c| c.channels = vec![Channel::Store]));
        assert!(!matches(&web, &member(), |c| c.channels = vec![Channel::Store]));
        assert_eq!(
            reason(&web, |c| c.channels = vec![Channel::Store]),
            "channel web not in store"
        );
    }

    #[test]
    fn rules_store_condition() {
        let at = |s: Option<&str>| EarnEvent {
            store: s.map(String::from),
            ..purchase(1000)
        };
        let set = |c: &mut RuleConditions| c.stores = vec!["PARIS-1".into()];
        assert!(matches(&at(Some("PARIS-1")), &member(), set));
        assert!(matches(&at(Some("paris-1")), &member(), set));
        assert!(!matches(&at(Some("LYON")), &member(), set));
        assert_eq!(reason(&at(Some("LYON")), set), "store LYON not in PARIS-1");
        assert_eq!(reason(&at(None), set), "no store, needs PARIS-1");
    }

    #[test]
    fn rules_sku_include_and_exclude() {
        let mut e = purchase(2000);
        e.lines = vec![line("A", "x", &[], 1, 500), line("B", "x", &[], 1, 1500)];
        assert!(matches(&e, &member(), |c| c.include_skus = vec!["A".into()]));
        assert!(
            !matches(&e, &member(), |c| c.include_skus = vec!["a".into()]),
            "SKUs compare exactly"
        );
        assert_eq!(
            reason(&e, |c| c.include_skus = vec!["Z".into()]),
            "no line matches SKU Z"
        );
        let per_unit = |f: fn(&mut RuleConditions)| {
            let r = with(
                rule(1, "R", 1, RuleEffect::PointsPerUnit { points_per_unit: 1 }),
                f,
            );
            find(&eval(&[r], &e), "R").points
        };
        assert_eq!(per_unit(|c| c.include_skus = vec!["B".into()]), 15);
        assert_eq!(per_unit(|c| c.exclude_skus = vec!["B".into()]), 5);
        assert_eq!(per_unit(|c| c.exclude_skus = vec!["A".into(), "B".into()]), 0);
        assert_eq!(
            reason(&e, |c| c.exclude_skus = vec!["A".into(), "B".into()]),
            "every line excluded by not SKUs A, B"
        );
    }

    #[test]
    fn rules_category_and_tag_filters() {
        let mut e = purchase(2000);
        e.lines = vec![
            line("A", "coffee", &["organic"], 1, 500),
            line("B", "tea", &["sale"], 1, 1500),
        ];
        assert!(matches(&e, &member(), |c| c.include_categories = vec!["tea".into()]));
        assert!(!matches(&e, &member(), |c| c.include_categories = vec!["cake".into()]));
        assert!(matches(&e, &member(), |c| c.include_tags = vec!["ORGANIC".into()]));
        assert!(!matches(&e, &member(), |c| c.include_tags = vec!["vegan".into()]));
        // AND across include lists: coffee that is on sale -> none.
        assert!(!matches(&e, &member(), |c| {
            c.include_categories = vec!["coffee".into()];
            c.include_tags = vec!["sale".into()];
        }));
        assert!(!matches(&e, &member(), |c| c.exclude_categories =
            vec!["coffee".into(), "tea".into()]));
        assert!(matches(&e, &member(), |c| c.exclude_tags = vec!["sale".into()]));
        assert!(!matches(&e, &member(), |c| {
            c.include_tags = vec!["sale".into()];
            c.exclude_categories = vec!["tea".into()];
        }));
    }

    #[test]
    fn rules_events_without_lines_fail_includes_and_ignore_excludes() {
        let e = purchase(1000);
        assert!(!matches(&e, &member(), |c| c.include_categories = vec!["coffee".into()]));
        assert_eq!(
            reason(&e, |c| c.include_tags = vec!["sale".into()]),
            "no order lines for tagged sale"
        );
        assert!(matches(&e, &member(), |c| c.exclude_skus = vec!["A".into()]));
    }

    #[test]
    fn rules_min_order_condition() {
        let set = |c: &mut RuleConditions| c.min_order_minor = Some(2000);
        assert!(matches(&purchase(2000), &member(), set));
        assert!(!matches(&purchase(1999), &member(), set));
        assert_eq!(reason(&purchase(1200), set), "order €12.00 below min €20.00");
    }

    #[test]
    fn rules_tier_and_segment_conditions() {
        let e = purchase(1000);
        assert!(matches(&e, &gold(), |c| c.tier_ids = vec![2, 3]));
        assert!(!matches(&e, &gold(), |c| c.tier_ids = vec![3]));
        assert!(!matches(&e, &member(), |c| c.tier_ids = vec![2]));
        assert_eq!(reason(&e, |c| c.tier_ids = vec![2]), "no tier, needs #2");
        assert!(matches(&e, &gold(), |c| c.segment_ids = vec![1, 7]));
        assert!(!matches(&e, &gold(), |c| c.segment_ids = vec![1]));
        assert_eq!(reason(&e, |c| c.segment_ids = vec![1]), "not in segment #1");
    }

    #[test]
    fn rules_weekday_condition() {
        let mon = purchase(1000);
        let sun = EarnEvent {
            occurred_at: Timestamp(monday(12, 0).0 - SECONDS_PER_DAY),
            ..purchase(1000)
        };
        let weekend = |c: &mut RuleConditions| c.weekdays = vec![6, 7];
        assert!(!matches(&mon, &member(), weekend));
        assert!(matches(&sun, &member(), weekend));
        assert!(matches(&mon, &member(), |c| c.weekdays = vec![1]));
        assert_eq!(reason(&mon, weekend), "Mon not in weekends");
        assert_eq!(weekday(0), 4, "1970-01-01 was a Thursday");
        assert_eq!(weekday(-1), 3);
    }

    #[test]
    fn rules_time_window_condition() {
        let at = |hh, mm| EarnEvent {
            occurred_at: monday(hh, mm),
            ..purchase(1000)
        };
        let lunch = |c: &mut RuleConditions| {
            c.time_from_min = Some(11 * 60);
            c.time_to_min = Some(14 * 60);
        };
        assert!(matches(&at(11, 0), &member(), lunch));
        assert!(matches(&at(13, 59), &member(), lunch));
        assert!(!matches(&at(14, 0), &member(), lunch), "end is exclusive");
        assert!(!matches(&at(10, 59), &member(), lunch));
        assert_eq!(reason(&at(15, 5), lunch), "15:05 not in 11:00–14:00 local time");
        let night = |c: &mut RuleConditions| {
            c.time_from_min = Some(22 * 60);
            c.time_to_min = Some(2 * 60);
        };
        assert!(matches(&at(23, 30), &member(), night));
        assert!(matches(&at(0, 0), &member(), night));
        assert!(matches(&at(1, 59), &member(), night));
        assert!(!matches(&at(2, 0), &member(), night));
        assert!(!matches(&at(12, 0), &member(), night));
        assert!(matches(&at(20, 0), &member(), |c| c.time_from_min = Some(18 * 60)));
        assert!(!matches(&at(20, 0), &member(), |c| c.time_to_min = Some(18 * 60)));
    }

    #[test]
    fn rules_date_range_condition() {
        let start = monday(0, 0);
        let end = Timestamp(start.0 + 7 * SECONDS_PER_DAY);
        let week = |c: &mut RuleConditions| {
            c.starts_at = Some(start);
            c.ends_at = Some(end);
        };
        let at = |t: i64| EarnEvent {
            occurred_at: Timestamp(t),
            ..purchase(1000)
        };
        assert!(matches(&at(start.0), &member(), week), "start is inclusive");
        assert!(matches(&at(end.0 - 1), &member(), week));
        assert!(!matches(&at(end.0), &member(), week), "end is exclusive");
        assert!(!matches(&at(start.0 - 1), &member(), week));
        assert_eq!(reason(&at(end.0), week), "outside 2026-11-23..2026-11-30");
        assert_eq!(
            reason(&at(0), |c| c.starts_at = Some(Timestamp(start.0 + 3600))),
            "outside 2026-11-23 01:00 UTC.."
        );
    }

    #[test]
    fn caps_count_the_local_day_and_month() {
        use chrono::{TimeZone, Utc};
        let utc = |y, mo, d, h| Timestamp(Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap().timestamp());
        let day = |y, mo, d| utc(y, mo, d, 0).0 / SECONDS_PER_DAY;
        // 21:00 UTC on New Year's Eve is 01:00 on New Year's Day in Dubai (+4).
        let eve = utc(2026, 12, 31, 21);
        assert_eq!(
            CapPeriod::at(eve, 0),
            CapPeriod {
                day: day(2026, 12, 31),
                month: 2026 * 12 + 11
            }
        );
        assert_eq!(
            CapPeriod::at(eve, 4 * 3600),
            CapPeriod {
                day: day(2027, 1, 1),
                month: 2027 * 12
            }
        );
        // 03:00 UTC on the 1st is still the 31st in New York (-5).
        assert_eq!(
            CapPeriod::at(utc(2027, 1, 1, 3), -5 * 3600),
            CapPeriod {
                day: day(2026, 12, 31),
                month: 2026 * 12 + 11
            }
        );
        // Before 1970 the day still counts down (no rounding toward zero).
        assert_eq!(CapPeriod::at(Timestamp(-1), 0).day, -1);
        // An event's own offset is the one counted.
        let mut event = purchase(1000);
        event.occurred_at = eve;
        event.utc_offset_secs = 4 * 3600;
        assert_eq!(CapPeriod::of(&event), CapPeriod::at(eve, 4 * 3600));
    }

    #[test]
    fn rules_caps_per_event_day_and_month() {
        let capped = |caps: RuleCaps, usage: RuleUsage| {
            let mut r = fixed(1, "Bonus", 1, 100);
            r.caps = caps;
            let a = evaluate(&program(), &[r], &purchase(0), &member(), &[usage]);
            find(&a, "Bonus").clone()
        };
        let used = |d, m| RuleUsage {
            member_awards: 0,
            rule_id: 1,
            member_day: d,
            member_month: m,
        };
        let l = capped(
            RuleCaps {
                per_event: Some(60),
                ..RuleCaps::default()
            },
            used(0, 0),
        );
        assert_eq!(l.points, 60);
        assert!(l.explanation.ends_with("capped at 60 per event, so 60 Stars"));
        let l = capped(
            RuleCaps {
                per_member_day: Some(150),
                ..RuleCaps::default()
            },
            used(120, 120),
        );
        assert_eq!(l.points, 30);
        assert!(l
            .explanation
            .contains("capped at 150 per day (120 already today)"));
        let l = capped(
            RuleCaps {
                per_member_day: Some(50),
                ..RuleCaps::default()
            },
            used(50, 50),
        );
        assert!(!l.matched);
        assert_eq!(l.points, 0);
        assert_eq!(l.explanation, "capped at 50 per day (50 already today)");
        let l = capped(
            RuleCaps {
                per_member_day: Some(500),
                per_member_month: Some(1000),
                ..RuleCaps::default()
            },
            used(0, 960),
        );
        assert_eq!(l.points, 40);
        assert!(l
            .explanation
            .contains("capped at 1000 per month (960 already this month)"));
        // Usage of another rule does not count.
        let other = RuleUsage {
            member_awards: 0,
            rule_id: 9,
            member_day: 1000,
            member_month: 1000,
        };
        assert_eq!(
            capped(
                RuleCaps {
                    per_member_day: Some(500),
                    ..RuleCaps::default()
                },
                other
            )
            .points,
            100
        );
    }

    #[test]
    fn a_once_only_rule_gives_once_and_a_campaign_rule_only_to_its_variant() {
        let mut once = fixed(1, "Welcome bonus", 1, 200);
        once.caps.per_member_awards = Some(1);
        let had = [RuleUsage {
            rule_id: 1,
            member_day: 0,
            member_month: 0,
            member_awards: 1,
        }];
        assert_eq!(eval(std::slice::from_ref(&once), &purchase(0)).total, 200);
        let again = evaluate(
            &program(),
            std::slice::from_ref(&once),
            &purchase(0),
            &member(),
            &had,
        );
        assert_eq!(again.total, 0);
        assert!(!find(&again, "Welcome bonus").matched);
        // A campaign's rule gives only to the memberships its buckets hold; to the others it is
        // not even named (a receipt must not tell a control member what they miss).
        let mut arm = fixed(2, "Winter · A", 1, 50);
        arm.conditions.campaign_arm = Some(crate::domain::campaigns::ranges(9, 50, &[100])[0]);
        let (inside, outside) = {
            let r = arm.conditions.campaign_arm.unwrap();
            let mut ids = 1..;
            let inside = ids.clone().find(|&m| r.holds(m)).unwrap();
            let outside = ids.find(|&m| !r.holds(m)).unwrap();
            (inside, outside)
        };
        let with = |membership_id| MemberContext {
            membership_id,
            ..member()
        };
        let given = evaluate(
            &program(),
            std::slice::from_ref(&arm),
            &purchase(0),
            &with(inside),
            &[],
        );
        assert_eq!(given.total, 50);
        let held = evaluate(
            &program(),
            std::slice::from_ref(&arm),
            &purchase(0),
            &with(outside),
            &[],
        );
        assert_eq!(held.total, 0);
        assert!(held.lines.iter().all(|l| l.rule_id != Some(2)));
        let nobody = evaluate(
            &program(),
            std::slice::from_ref(&arm),
            &purchase(0),
            &with(0),
            &[],
        );
        assert_eq!(
            nobody.total, 0,
            "no membership (a dry run for nobody) is in no variant"
        );
    }

    #[test]
    fn rules_budget_partial_and_exhausted() {
        let mut r = fixed(1, "Launch", 1, 100);
        r.budget_points = Some(1000);
        r.budget_used = 970;
        let a = eval(std::slice::from_ref(&r), &purchase(0));
        assert_eq!(a.total, 30);
        assert!(find(&a, "Launch")
            .explanation
            .contains("budget: 30 of 1000 left, so 30 Stars"));
        r.budget_used = 1000;
        let a = eval(&[r], &purchase(0));
        assert_eq!(a.total, 0);
        assert!(!find(&a, "Launch").matched);
        assert_eq!(find(&a, "Launch").explanation, "budget exhausted");
        assert_eq!(a.summary, "0 Stars: base 0");
    }

    #[test]
    fn rules_non_purchase_events_earn_rules_only() {
        let review = with(fixed(1, "Review bonus", 1, 50), |c| {
            c.event_types = vec!["review".into()]
        });
        let purchase_only = fixed(2, "Purchase bonus", 1, 10);
        let e = EarnEvent {
            event_type: "review".into(),
            ..purchase(0)
        };
        let a = eval(&[review, purchase_only], &e);
        assert_eq!(a.total, 50);
        assert!(a.lines.iter().all(|l| l.rule_id.is_some()), "no base line");
        assert_eq!(
            find(&a, "Purchase bonus").explanation,
            "event review not in purchase"
        );
        assert_eq!(a.summary, "50 Stars: Review bonus +50");
        let other = EarnEvent {
            event_type: "survey".into(),
            ..purchase(0)
        };
        assert_eq!(eval(&[], &other).summary, "0 Stars: no rule applied");
    }

    #[test]
    fn rules_inactive_rules_take_no_part() {
        let mut off = fixed(1, "Off", 1, 100);
        off.active = false;
        let a = eval(&[off], &purchase(1000));
        assert_eq!(a.total, 100);
        assert_eq!(a.lines.len(), 1);
    }

    #[test]
    fn days_and_hours_are_the_events_local_ones() {
        let weekend = with(fixed(1, "Weekend", 10, 50), |c| c.weekdays = vec![6, 7]);
        let small_hours = with(fixed(2, "Small hours", 10, 30), |c| {
            c.time_from_min = Some(0);
            c.time_to_min = Some(2 * 60);
        });
        // Friday 27 November 2026, 21:30 UTC: Friday evening in UTC, Saturday 01:30 in
        // Dubai (UTC+4), Friday 13:30 in Los Angeles (UTC-8).
        let friday_late = Timestamp(monday(21, 30).0 + 4 * SECONDS_PER_DAY);
        let at = |offset_hours: i32| EarnEvent {
            occurred_at: friday_late,
            utc_offset_secs: offset_hours * 3600,
            ..purchase(1000)
        };
        for r in [&weekend, &small_hours] {
            assert!(
                find(&eval(std::slice::from_ref(r), &at(0)), &r.name).points == 0,
                "{} in UTC",
                r.name
            );
            assert!(
                find(&eval(std::slice::from_ref(r), &at(-8)), &r.name).points == 0,
                "{} in LA",
                r.name
            );
        }
        assert_eq!(find(&eval(&[weekend], &at(4)), "Weekend").points, 50);
        assert_eq!(find(&eval(&[small_hours], &at(4)), "Small hours").points, 30);
    }

    #[test]
    fn rules_describe_conditions_in_words() {
        assert_eq!(
            describe_conditions(&RuleConditions::default(), "EUR", &[]),
            "every purchase"
        );
        let c = RuleConditions {
            channels: vec![Channel::Store],
            weekdays: vec![7, 6],
            min_order_minor: Some(2000),
            ..RuleConditions::default()
        };
        assert_eq!(
            describe_conditions(&c, "EUR", &[]),
            "store channel · weekends · min €20.00"
        );
        let c = RuleConditions {
            event_types: vec!["review".into(), "survey".into()],
            stores: vec!["PARIS-1".into()],
            time_from_min: Some(22 * 60),
            time_to_min: Some(120),
            starts_at: Some(monday(0, 0)),
            tier_ids: vec![2],
            include_categories: vec!["coffee".into()],
            exclude_skus: vec!["BEANS".into()],
            weekdays: vec![1, 3],
            ..RuleConditions::default()
        };
        assert_eq!(
            describe_conditions(&c, "JPY", &[(1, "Green"), (2, "Silver")]),
            "review or survey events · store PARIS-1 · 2026-11-23.. · Mon, Wed · 22:00–02:00 local time · tier Silver · \
             category coffee · not SKU BEANS"
        );
        let gone = RuleConditions {
            tier_ids: vec![2, 9],
            ..RuleConditions::default()
        };
        assert_eq!(
            describe_conditions(&gone, "EUR", &[(2, "Silver")]),
            "tiers Silver, #9"
        );
        let p = program();
        assert_eq!(
            describe_effect(&RuleEffect::PointsPerUnit { points_per_unit: 2 }, &p),
            "2 Stars per EUR"
        );
        assert_eq!(
            describe_effect(&RuleEffect::Multiplier { pct: 150 }, &p),
            "x1.5 on earlier Stars"
        );
    }

    #[test]
    fn rules_words_in_arabic() {
        let mut double = rule(1, "Double weekend", 20, RuleEffect::Multiplier { pct: 200 });
        double.stacking = Stacking::Stack;
        let coffee = fixed(2, "Coffee bonus", 10, 100);
        let rules = [coffee, double];
        let (event, member) = (purchase(1200), member());
        let a = evaluate_in(Lang::ARABIC, &program(), &rules, &event, &member, &[]);
        // The same points as in English, in Arabic words and digits.
        assert_eq!(a.total, evaluate(&program(), &rules, &event, &member, &[]).total);
        assert_eq!(
            a.summary,
            "٣٤٠ Stars: الأساس ١٢٠، Double weekend +١٢٠، Coffee bonus +١٠٠"
        );
        assert_eq!(a.lines[0].rule_name, "المعدل الأساسي");
        assert_eq!(
            find(&a, "Double weekend").explanation,
            "×٢ على ١٢٠ Stars = +١٢٠ Stars"
        );
        let c = RuleConditions {
            channels: vec![Channel::Store, Channel::App],
            weekdays: vec![1, 3],
            tier_ids: vec![9],
            ..RuleConditions::default()
        };
        assert_eq!(
            describe_conditions_in(Lang::ARABIC, &c, "EUR", &[]),
            "قناة المتجر أو التطبيق · الاثنين، الأربعاء · المستوى #٩"
        );
        assert_eq!(
            describe_effect_in(Lang::ARABIC, &RuleEffect::Multiplier { pct: 150 }, &program()),
            "×١٫٥ على Stars المكتسبة قبلها"
        );
        let mut blocked = fixed(3, "Weekend only", 1, 10);
        blocked.conditions.weekdays = vec![6, 7];
        let a = evaluate_in(Lang::ARABIC, &program(), &[blocked], &event, &member, &[]);
        assert_eq!(find(&a, "Weekend only").explanation, "الاثنين ليس ضمن السبت والأحد");
    }

    #[test]
    fn rules_extreme_inputs_saturate() {
        let p = ProgramEarning {
            points_per_unit: i64::MAX,
            minor_per_unit: 1,
            ..program()
        };
        let rules = [
            fixed(1, "Huge", 2, i64::MAX),
            rule(2, "x10", 1, RuleEffect::Multiplier { pct: i64::MAX }),
        ];
        let m = MemberContext {
            tier_multiplier_pct: i64::MAX,
            ..member()
        };
        let a = evaluate(&p, &rules, &purchase(i64::MAX), &m, &[]);
        assert_eq!(a.total, i64::MAX);
        let e = EarnEvent {
            occurred_at: Timestamp(i64::MIN),
            ..purchase(i64::MIN)
        };
        let a = evaluate(&p, &rules, &e, &m, &[]);
        assert!(a.total >= 0);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const SKUS: &[&str] = &["A", "B", "C"];
        const CATEGORIES: &[&str] = &["coffee", "tea"];
        const TAGS: &[&str] = &["sale", "organic"];
        const STORES: &[&str] = &["S1", "S2"];

        fn names(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
            proptest::sample::subsequence(pool, 0..=pool.len())
                .prop_map(|v| v.into_iter().map(String::from).collect())
        }

        /// Mostly plausible numbers, sometimes anything; `wild` makes every number arbitrary.
        fn num(wild: bool, lo: i64, hi: i64) -> BoxedStrategy<i64> {
            if wild {
                any::<i64>().boxed()
            } else {
                prop_oneof![8 => lo..hi, 1 => any::<i64>()].boxed()
            }
        }

        fn opt_num(wild: bool, lo: i64, hi: i64) -> impl Strategy<Value = Option<i64>> {
            proptest::option::of(num(wild, lo, hi))
        }

        fn channel() -> impl Strategy<Value = Channel> {
            prop_oneof![Just(Channel::Store), Just(Channel::Web), Just(Channel::App)]
        }

        fn conditions(wild: bool) -> impl Strategy<Value = RuleConditions> {
            let base = monday(0, 0).0;
            let when = move || {
                proptest::option::of(num(wild, base - 3 * SECONDS_PER_DAY, base + 3 * SECONDS_PER_DAY))
            };
            let a = (
                prop_oneof![
                    Just(vec![]),
                    Just(vec!["review".to_string()]),
                    Just(vec!["purchase".to_string()])
                ],
                proptest::sample::subsequence(Channel::ALL.to_vec(), 0..=3),
                names(STORES),
                names(SKUS),
                names(SKUS),
                names(CATEGORIES),
                names(CATEGORIES),
                names(TAGS),
                names(TAGS),
            );
            let b = (
                opt_num(wild, 0, 5000),
                proptest::sample::subsequence(vec![1_i64, 2, 3], 0..=3),
                proptest::sample::subsequence(vec![1_i64, 2, 3], 0..=3),
                proptest::collection::vec(0_u8..9, 0..4),
                proptest::option::of(any::<u16>()),
                proptest::option::of(any::<u16>()),
                when(),
                when(),
            );
            (a, b).prop_map(|(a, b)| RuleConditions {
                campaign_arm: None,
                event_types: a.0,
                channels: a.1,
                stores: a.2,
                include_skus: a.3,
                exclude_skus: a.4,
                include_categories: a.5,
                exclude_categories: a.6,
                include_tags: a.7,
                exclude_tags: a.8,
                min_order_minor: b.0,
                tier_ids: b.1,
                segment_ids: b.2,
                weekdays: b.3,
                time_from_min: b.4.map(|m| m % 1500),
                time_to_min: b.5.map(|m| m % 1500),
                starts_at: b.6.map(Timestamp),
                ends_at: b.7.map(Timestamp),
            })
        }

        fn effect(wild: bool) -> impl Strategy<Value = RuleEffect> {
            prop_oneof![
                num(wild, -5, 20).prop_map(|p| RuleEffect::PointsPerUnit { points_per_unit: p }),
                num(wild, -50, 500).prop_map(|p| RuleEffect::FixedPoints { points: p }),
                num(wild, 0, 400).prop_map(|p| RuleEffect::Multiplier { pct: p }),
                num(wild, -5, 50).prop_map(|p| RuleEffect::PerItem { points: p }),
            ]
        }

        fn stacking() -> impl Strategy<Value = Stacking> {
            prop_oneof![
                Just(Stacking::Stack),
                Just(Stacking::BestOnly),
                Just(Stacking::Stop)
            ]
        }

        fn rule(wild: bool) -> impl Strategy<Value = EarningRule> {
            (
                (
                    num(wild, 0, 4),
                    stacking(),
                    proptest::bool::weighted(0.9),
                    conditions(wild),
                    effect(wild),
                ),
                (
                    opt_num(wild, -10, 300),
                    opt_num(wild, -10, 600),
                    opt_num(wild, -10, 2000),
                ),
                (opt_num(wild, -10, 3000), num(wild, -10, 3000)),
            )
                .prop_map(
                    |((priority, stacking, active, conditions, effect), caps, budget)| EarningRule {
                        budget_rule_id: None,
                        id: 0,
                        program_id: crate::model::ids::ProgramId(1),
                        name: String::new(),
                        priority,
                        stacking,
                        active,
                        conditions,
                        effect,
                        caps: RuleCaps {
                            per_member_awards: None,
                            per_event: caps.0,
                            per_member_day: caps.1,
                            per_member_month: caps.2,
                        },
                        budget_points: budget.0,
                        budget_used: budget.1,
                    },
                )
        }

        /// Rules with unique ids and names (as the database guarantees).
        fn rules(wild: bool) -> impl Strategy<Value = Vec<EarningRule>> {
            proptest::collection::vec(rule(wild), 0..8).prop_map(|mut v| {
                for (i, r) in v.iter_mut().enumerate() {
                    r.id = i as i64 * 3 + 1;
                    r.name = format!("Rule {}", r.id);
                }
                v
            })
        }

        fn order_line(wild: bool) -> impl Strategy<Value = OrderLine> {
            (
                proptest::sample::select(SKUS),
                proptest::option::of(proptest::sample::select(CATEGORIES)),
                names(TAGS),
                num(wild, -1, 5),
                num(wild, -100, 3000),
            )
                .prop_map(|(sku, category, tags, quantity, amount_minor)| OrderLine {
                    sku: sku.to_string(),
                    category: category.map(String::from),
                    tags,
                    quantity,
                    amount_minor,
                })
        }

        fn event(wild: bool) -> impl Strategy<Value = EarnEvent> {
            let base = monday(0, 0).0;
            (
                prop_oneof![3 => Just("purchase"), 1 => Just("review")],
                channel(),
                proptest::option::of(proptest::sample::select(STORES)),
                num(wild, -100, 10_000),
                proptest::collection::vec(order_line(wild), 0..4),
                num(wild, base - 3 * SECONDS_PER_DAY, base + 3 * SECONDS_PER_DAY),
            )
                .prop_map(|(t, channel, store, amount_minor, lines, at)| EarnEvent {
                    event_type: t.to_string(),
                    channel,
                    store: store.map(String::from),
                    amount_minor,
                    lines,
                    occurred_at: Timestamp(at),
                    utc_offset_secs: 0,
                })
        }

        fn member(wild: bool) -> impl Strategy<Value = MemberContext> {
            (
                proptest::option::of(0_i64..4),
                prop_oneof![Just(100_i64), Just(150), Just(50), num(wild, -10, 1000)],
                proptest::sample::subsequence(vec![1_i64, 2, 3], 0..=3),
            )
                .prop_map(|(tier_id, pct, segment_ids)| MemberContext {
                    membership_id: 0,
                    tier_id,
                    tier_name: tier_id.map(|t| format!("Tier {t}")),
                    tier_multiplier_pct: pct,
                    segment_ids,
                })
        }

        fn program(wild: bool) -> impl Strategy<Value = ProgramEarning> {
            (
                num(wild, 0, 20),
                prop_oneof![Just(100_i64), Just(1), num(wild, -1, 1000)],
            )
                .prop_map(|(points_per_unit, minor_per_unit)| ProgramEarning {
                    points_per_unit,
                    minor_per_unit,
                    currency_code: "EUR".into(),
                    currency_name: "Stars".into(),
                })
        }

        fn usage(rules: &[EarningRule], day: &[i64], month: &[i64]) -> Vec<RuleUsage> {
            rules
                .iter()
                .zip(day.iter().zip(month))
                .map(|(r, (d, m))| RuleUsage {
                    member_awards: 0,
                    rule_id: r.id,
                    member_day: *d,
                    member_month: *m,
                })
                .collect()
        }

        type Case = (
            ProgramEarning,
            Vec<EarningRule>,
            EarnEvent,
            MemberContext,
            Vec<i64>,
            Vec<i64>,
        );

        fn case(wild: bool) -> impl Strategy<Value = Case> {
            (
                program(wild),
                rules(wild),
                event(wild),
                member(wild),
                proptest::collection::vec(num(wild, -10, 500), 8),
                proptest::collection::vec(num(wild, -10, 2500), 8),
            )
        }

        proptest! {
            #[test]
            fn rules_total_is_the_sum_of_matched_lines((p, rules, e, m, day, month) in case(false)) {
                let u = usage(&rules, &day, &month);
                let a = evaluate(&p, &rules, &e, &m, &u);
                let sum: i128 = a.lines.iter().filter(|l| l.matched).map(|l| l.points as i128).sum();
                prop_assert_eq!(a.total as i128, sum.min(i64::MAX as i128));
                prop_assert!(a.total >= 0);
                for l in &a.lines {
                    prop_assert!(l.points >= 0);
                    prop_assert!(l.matched || l.points == 0);
                    prop_assert!(!l.explanation.is_empty());
                }
                let active = rules.iter().filter(|r| r.active).count();
                prop_assert_eq!(a.lines.len(), active + usize::from(e.event_type == PURCHASE));
                let prefix = format!("{} Stars: ", a.total);
                prop_assert!(a.summary.starts_with(&prefix));
            }

            #[test]
            fn rules_points_stay_within_caps_and_budget((p, rules, e, m, day, month) in case(false)) {
                let u = usage(&rules, &day, &month);
                let a = evaluate(&p, &rules, &e, &m, &u);
                for l in a.lines.iter().filter(|l| l.rule_id.is_some()) {
                    let r = rules.iter().find(|r| Some(r.id) == l.rule_id).unwrap();
                    let used = u.iter().find(|x| x.rule_id == r.id).unwrap();
                    let room = |cap: Option<i64>, used: i64| cap.map(|c| (c as i128 - used.max(0) as i128).max(0));
                    let limits = [
                        room(r.caps.per_event, 0),
                        room(r.caps.per_member_day, used.member_day),
                        room(r.caps.per_member_month, used.member_month),
                        room(r.budget_points, r.budget_used),
                    ];
                    for limit in limits.into_iter().flatten() {
                        prop_assert!(l.points as i128 <= limit, "{:?} over {} in {:?}", l, limit, r);
                    }
                }
            }

            #[test]
            fn rules_order_of_input_does_not_matter(
                (p, rules, e, m, day, month) in case(false),
                seed in any::<u64>(),
            ) {
                let u = usage(&rules, &day, &month);
                let mut shuffled = rules.clone();
                // A seeded Fisher-Yates shuffle; no extra dependency for randomness.
                let mut s = seed | 1;
                for i in (1..shuffled.len()).rev() {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    shuffled.swap(i, (s % (i as u64 + 1)) as usize);
                }
                let mut u_rev = u.clone();
                u_rev.reverse();
                prop_assert_eq!(evaluate(&p, &rules, &e, &m, &u), evaluate(&p, &shuffled, &e, &m, &u_rev));
            }

            #[test]
            fn rules_never_panic_on_arbitrary_numbers((p, rules, e, m, day, month) in case(true)) {
                let u = usage(&rules, &day, &month);
                let a = evaluate(&p, &rules, &e, &m, &u);
                prop_assert!(a.total >= 0);
                prop_assert!(a.lines.iter().all(|l| l.points >= 0));
                for r in &rules {
                    let _ = describe_conditions(&r.conditions, "EUR", &[]);
                    let _ = describe_effect(&r.effect, &p);
                }
            }
        }
    }
}
