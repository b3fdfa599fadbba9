//! Daily KPI series. Days are UTC; grouping is integer division of epoch seconds, which reads
//! the same in SQLite and PostgreSQL.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use roaring::RoaringBitmap;
use sqlx::AnyConnection;

use crate::domain::dates;
use crate::domain::kpi::{deferral, observed_redemption_rate, ratio, slice_for, Activity, Flows};
use crate::domain::lang::Lang;
use crate::i18n::td_string;
use crate::model::insights::{
    FilterOptions, Ifrs15, InsightsQuery, InsightsReport, Kpi, Overview, ProgramUnits, Scope, Unit,
    ValueReport,
};
use crate::server::charts;
use crate::server::store::{predictions, rollups};

use crate::error::AppError;
use crate::model::ids::ProgramId;
use crate::model::insights::{DailySeries, ProgramPoints};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::Db;

/// Points issued in the range by each program (or the one chosen), each in its own unit,
/// from the daily facts.
pub async fn points_by_program(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    program_id: i64,
) -> Result<Vec<ProgramPoints>, AppError> {
    let rows: Vec<(ProgramId, String, String, i64)> = sqlx::query_as(
        "SELECT p.id, p.name, p.currency_name, CAST(COALESCE(SUM(f.issued), 0) AS BIGINT) FROM programs p \
         LEFT JOIN daily_facts f ON f.program_id = p.id AND f.day >= $1 AND f.day <= $2 \
         WHERE ($3 = 0 OR p.id = $3) GROUP BY p.id, p.name, p.currency_name ORDER BY p.name",
    )
    .bind(epoch_day(from))
    .bind(epoch_day(to))
    .bind(program_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(program_id, name, unit, points)| ProgramPoints {
            program_id,
            name,
            unit,
            points,
        })
        .collect())
}

/// A UTC day as the rollups number it (days since 1970-01-01).
pub(crate) fn epoch_day(d: NaiveDate) -> i64 {
    Timestamp::start_of(d).0 / SECONDS_PER_DAY
}

/// (id, name) of every program, for the Insights filter.
pub async fn program_names(db: &Db) -> Result<Vec<(ProgramId, String)>, AppError> {
    Ok(sqlx::query_as("SELECT id, name FROM programs ORDER BY name")
        .fetch_all(&db.pool)
        .await?)
}

/// People merged into others: each merged-away member id with the id it lives on as now.
/// The bitmaps keep the id a member had when it acted; read through this, a person merged
/// into another is one person.
#[derive(Default)]
pub(crate) struct Merged {
    ids: RoaringBitmap,
    into: HashMap<u32, u32>,
}

impl Merged {
    pub(crate) async fn load(conn: &mut AnyConnection) -> Result<Merged, AppError> {
        let pairs: Vec<(i64, i64)> = sqlx::query_as(
            // `> 0` rather than IS NOT NULL: SQLite then reads memberships_merged_into, not
            // every membership (10 ms a page view at 100k members).
            "SELECT s.member_id, t.member_id FROM memberships s JOIN memberships t ON t.id = s.merged_into \
             WHERE s.merged_into > 0",
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(Merged::of(pairs))
    }

    /// From (merged-away member, member merged into) pairs, chains followed to their end.
    pub(crate) fn of(pairs: Vec<(i64, i64)>) -> Merged {
        let direct: HashMap<u32, u32> = pairs
            .into_iter()
            .filter_map(|(a, b)| Some((u32::try_from(a).ok()?, u32::try_from(b).ok()?)))
            .filter(|(a, b)| a != b)
            .collect();
        let mut m = Merged::default();
        for &from in direct.keys() {
            let mut to = direct[&from];
            // A chain is as long as the merges made; the guard stops a cycle.
            for _ in 0..direct.len() {
                match direct.get(&to) {
                    Some(&next) if next != from => to = next,
                    _ => break,
                }
            }
            m.ids.insert(from);
            m.into.insert(from, to);
        }
        m
    }

    /// `set` with every merged-away member replaced by the one it was merged into.
    pub(crate) fn apply(&self, set: &mut RoaringBitmap) {
        if self.ids.is_empty() || set.is_disjoint(&self.ids) {
            return;
        }
        let gone = &*set & &self.ids;
        *set -= &gone;
        for id in &gone {
            set.insert(self.into[&id]);
        }
    }

    /// The members others were merged into.
    pub(crate) fn survivors(&self) -> RoaringBitmap {
        self.into.values().copied().collect()
    }

    /// The member id a member's activity counts under.
    pub(crate) fn person(&self, member_id: u32) -> u32 {
        self.into.get(&member_id).copied().unwrap_or(member_id)
    }
}

/// The members of `kind` in `slice` per day over `from..=to` (epoch days), the programs of
/// the scope together (a person in two programs is one member, and so is a person merged
/// into another).
pub(crate) async fn day_sets(
    conn: &mut AnyConnection,
    merged: &Merged,
    program_id: i64,
    kind: &str,
    slice: &str,
    from: i64,
    to: i64,
) -> Result<BTreeMap<i64, RoaringBitmap>, AppError> {
    let mut days: BTreeMap<i64, RoaringBitmap> = BTreeMap::new();
    for (_, day, blob) in rollups::day_sets_between(conn, program_id, kind, slice, from, to).await? {
        let mut set = RoaringBitmap::deserialize_from(blob.as_slice()).map_err(|e| {
            tracing::error!(error = %e, day, kind, "unreadable member-day bitmap");
            AppError::Internal
        })?;
        merged.apply(&mut set);
        *days.entry(day).or_default() |= set;
    }
    Ok(days)
}

pub(crate) fn union<'a>(sets: impl IntoIterator<Item = &'a RoaringBitmap>) -> RoaringBitmap {
    let mut all = RoaringBitmap::new();
    for s in sets {
        all |= s;
    }
    all
}

/// A period's figures, before they become KPIs.
#[derive(Default)]
struct Period {
    flows: Flows,
    members: u64,
    new_members: u64,
    active: u64,
    buyers: u64,
    repeat_buyers: u64,
    redeemers: u64,
    /// Members active per day, and net sales per day (from..=to).
    active_by_day: Vec<(i64, i64)>,
    sales_by_day: Vec<(i64, i64)>,
    new_by_day: Vec<(i64, i64)>,
    issued_by_day: Vec<(i64, i64)>,
}

/// The figures of `from..=to` (epoch days) in `scope`. Members and new members count
/// people in the scope's programs whatever the channel, store or tier (those filter what
/// members did, not who they are).
async fn period(conn: &mut AnyConnection, scope: &Scope, from: i64, to: i64) -> Result<Period, AppError> {
    let slice = slice_for(scope.channel.as_deref(), scope.store_id, scope.tier_id);
    let p = scope.program_id;
    let mut out = Period::default();
    let facts = rollups::facts_between(
        conn,
        p,
        from,
        to,
        scope.channel.as_deref(),
        scope.store_id,
        scope.tier_id,
    )
    .await?;
    let mut sales: BTreeMap<i64, i64> = BTreeMap::new();
    let mut issued: BTreeMap<i64, i64> = BTreeMap::new();
    for ((_, day, ..), f) in &facts {
        out.flows.add(f);
        *sales.entry(*day).or_default() += f.net_sales_minor();
        *issued.entry(*day).or_default() += f.issued;
    }
    let merged = Merged::load(conn).await?;
    let buys = day_sets(conn, &merged, p, Activity::Buy.as_str(), &slice, from, to).await?;
    let redeems = day_sets(conn, &merged, p, Activity::Redeem.as_str(), &slice, from, to).await?;
    // Repeat buyers: seen on a second day of the period.
    let (mut seen, mut twice) = (RoaringBitmap::new(), RoaringBitmap::new());
    for set in buys.values() {
        twice |= &seen & set;
        seen |= set;
    }
    let redeemers = union(redeems.values());
    out.buyers = seen.len();
    out.repeat_buyers = twice.len();
    out.redeemers = redeemers.len();
    out.active = (&seen | &redeemers).len();
    let joins = day_sets(conn, &merged, p, Activity::Join.as_str(), "*|*", i64::MIN / 2, to).await?;
    let mut known = union(joins.range(..from).map(|(_, s)| s));
    let before = known.len();
    for day in from..=to {
        let empty = RoaringBitmap::new();
        let (b, r) = (
            buys.get(&day).unwrap_or(&empty),
            redeems.get(&day).unwrap_or(&empty),
        );
        out.active_by_day.push((day, (b | r).len() as i64));
        out.sales_by_day
            .push((day, sales.get(&day).copied().unwrap_or(0)));
        out.issued_by_day
            .push((day, issued.get(&day).copied().unwrap_or(0)));
        let had = known.len();
        if let Some(j) = joins.get(&day) {
            known |= j;
        }
        out.new_by_day.push((day, (known.len() - had) as i64));
    }
    out.members = known.len();
    out.new_members = known.len() - before;
    Ok(out)
}

/// Everything of a program up to the end of `to`: what outstanding points, liability and
/// the IFRS 15 deferral are measured from (the whole program, whatever the filters).
async fn lifetime(conn: &mut AnyConnection, program_id: i64, to: i64) -> Result<Flows, AppError> {
    rollups::facts_until(conn, program_id, to).await
}

/// (epoch day, value) rows as a series named by ISO days.
pub fn series(rows: &[(i64, i64)]) -> DailySeries {
    DailySeries {
        days: rows.iter().map(|(d, _)| day_iso(*d)).collect(),
        values: rows.iter().map(|(_, v)| *v).collect(),
    }
}

fn day_iso(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * SECONDS_PER_DAY, 0)
        .map(|t| t.date_naive().format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn kpi(key: &str, unit: Unit, value: Option<f64>, previous: Option<Option<f64>>) -> Kpi {
    Kpi {
        key: key.into(),
        unit,
        value,
        previous: previous.flatten(),
    }
}

/// The KPIs of a period, each with the comparison period's value beside it.
fn kpis(now: &Period, before: Option<&Period>, program: bool) -> (Vec<Kpi>, Vec<Kpi>, Vec<Kpi>) {
    type Of = fn(&Period) -> Option<f64>;
    let make = |list: &[(&str, Unit, Of)]| -> Vec<Kpi> {
        list.iter()
            .map(|(key, unit, of)| kpi(key, *unit, of(now), before.map(of)))
            .collect()
    };
    let members: &[(&str, Unit, Of)] = &[
        ("members", Unit::Count, |p| Some(p.members as f64)),
        ("new_members", Unit::Count, |p| Some(p.new_members as f64)),
        ("active", Unit::Count, |p| Some(p.active as f64)),
        ("participation", Unit::Share, |p| {
            ratio(p.active as i64, p.members as i64)
        }),
        ("buyers", Unit::Count, |p| Some(p.buyers as f64)),
        ("repeat_rate", Unit::Share, |p| {
            ratio(p.repeat_buyers as i64, p.buyers as i64)
        }),
        ("redeemers", Unit::Count, |p| Some(p.redeemers as f64)),
        ("redeemer_share", Unit::Share, |p| {
            ratio(p.redeemers as i64, p.active as i64)
        }),
    ];
    let points: &[(&str, Unit, Of)] = &[
        ("issued", Unit::Points, |p| Some(p.flows.issued as f64)),
        ("returned", Unit::Points, |p| Some(p.flows.returned as f64)),
        ("net_issued", Unit::Points, |p| Some(p.flows.net_issued() as f64)),
        ("redeemed", Unit::Points, |p| Some(p.flows.net_redeemed() as f64)),
        ("expired", Unit::Points, |p| Some(p.flows.expired as f64)),
        ("adjusted", Unit::Points, |p| Some(p.flows.net_adjusted() as f64)),
        ("redemption_rate", Unit::Share, |p| {
            ratio(p.flows.net_redeemed(), p.flows.net_issued())
        }),
    ];
    let money: &[(&str, Unit, Of)] = &[
        ("orders", Unit::Count, |p| Some(p.flows.orders as f64)),
        ("sales", Unit::Money, |p| Some(p.flows.sales_minor as f64)),
        ("refunds", Unit::Money, |p| Some(p.flows.returned_minor as f64)),
        ("net_sales", Unit::Money, |p| {
            Some(p.flows.net_sales_minor() as f64)
        }),
        ("aov", Unit::Money, |p| {
            ratio(p.flows.net_sales_minor(), p.flows.orders).map(f64::round)
        }),
        ("frequency", Unit::Decimal, |p| {
            ratio(p.flows.orders, p.buyers as i64)
        }),
    ];
    if program {
        (make(members), make(points), make(money))
    } else {
        (make(members), Vec::new(), Vec::new())
    }
}

/// The Overview of `from..=to` in `scope`, with `compare` beside it; `rate` is the expected
/// redemption rate for IFRS 15 (None: as observed).
pub async fn overview(
    db: &Db,
    scope: &Scope,
    program: Option<ProgramUnits>,
    (from, to): (NaiveDate, NaiveDate),
    compare: Option<(NaiveDate, NaiveDate)>,
    rate: Option<f64>,
) -> Result<(Overview, Vec<(i64, i64)>, Vec<(i64, i64)>), AppError> {
    let mut conn = db.pool.acquire().await?;
    let now = period(&mut conn, scope, epoch_day(from), epoch_day(to)).await?;
    let before = match compare {
        Some((a, b)) => Some(period(&mut conn, scope, epoch_day(a), epoch_day(b)).await?),
        None => None,
    };
    let (members, mut points, money) = kpis(&now, before.as_ref(), program.is_some());
    let ifrs15 = match &program {
        Some(p) => {
            let life = lifetime(&mut conn, p.id.get(), epoch_day(to)).await?;
            let before_life = match compare {
                Some((_, b)) => Some(lifetime(&mut conn, p.id.get(), epoch_day(b)).await?),
                None => None,
            };
            let outstanding = |f: &Flows| Some(f.outstanding_change() as f64);
            let observed = |f: &Flows| observed_redemption_rate(f.net_redeemed(), f.expired);
            points.push(kpi(
                "outstanding",
                Unit::Points,
                outstanding(&life),
                before_life.as_ref().map(outstanding),
            ));
            let liability = |f: &Flows| Some((f.outstanding_change() * p.point_value_minor) as f64);
            points.push(kpi(
                "liability",
                Unit::Money,
                liability(&life),
                before_life.as_ref().map(liability),
            ));
            let breakage = |f: &Flows| Some(1.0 - observed(f));
            points.push(kpi(
                "breakage",
                Unit::Share,
                breakage(&life),
                before_life.as_ref().map(breakage),
            ));
            let observed_rate = observed(&life);
            let used = rate.unwrap_or(observed_rate);
            // Sales are shared with the points they earned (not those of actions or stamp
            // cards, which no sale paid for), at the rate observed; the rate chosen revises
            // how many of all points are expected to be redeemed, as year 2 of IFRS 15's
            // example 52 does.
            let for_orders = (life.order_points - life.returned).max(0) as f64;
            let d = deferral(
                life.net_sales_minor() as f64,
                for_orders,
                p.point_value_minor as f64,
                observed_rate,
                life.net_issued() as f64 * used,
                life.net_redeemed() as f64,
            );
            Some(Ifrs15 {
                rate: used,
                observed_rate,
                allocated_minor: d.allocated.round() as i64,
                recognised_minor: d.recognised.round() as i64,
                deferred_minor: d.deferred.round() as i64,
            })
        }
        None => None,
    };
    let overview = Overview {
        from: from.to_string(),
        to: to.to_string(),
        compare_from: compare.map(|c| c.0.to_string()),
        compare_to: compare.map(|c| c.1.to_string()),
        scope: scope.clone(),
        members,
        points,
        money,
        ifrs15,
        active: series(&now.active_by_day),
        active_svg: String::new(),
        // Whole units of the currency: what a chart's axis and a spreadsheet want.
        sales: program.as_ref().map(|p| {
            let per = 10_i64.pow(crate::domain::currency::exponent(&p.currency_code).unwrap_or(2));
            let whole: Vec<(i64, i64)> = now.sales_by_day.iter().map(|(d, v)| (*d, v / per)).collect();
            series(&whole)
        }),
        sales_svg: None,
        program,
        backlog: 0,
    };
    Ok((overview, now.new_by_day, now.issued_by_day))
}

/// How many months a page over a year shows when no start is given: the end's month and
/// the eleven before.
const YEAR_MONTHS: u32 = 12;

/// Without a start, the range of `q` begins eleven months before its end's month, so a
/// year of months shows (Retention's cohorts, Tiers' history).
pub(crate) fn year_by_default(db: &Db, q: &mut InsightsQuery) -> Result<(), AppError> {
    use chrono::Datelike;
    if q.from.trim().is_empty() {
        let to = match dates::parse_range("", &q.to, db.now().date()) {
            Ok((_, to)) => to,
            Err((field, message)) => return Err(AppError::field(field, message)),
        };
        let first = to.with_day(1).unwrap_or(to);
        let from = first
            .checked_sub_months(chrono::Months::new(YEAR_MONTHS - 1))
            .unwrap_or(first);
        q.from = from.to_string();
    }
    Ok(())
}

/// The filters of an Insights page, checked.
pub struct Checked {
    pub scope: Scope,
    pub program: Option<ProgramUnits>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub compare: Option<(NaiveDate, NaiveDate)>,
    /// The IFRS 15 expected redemption rate, 0-1 (None: as observed).
    pub rate: Option<f64>,
}

/// The filters of `q` checked: a field error names what was refused.
pub async fn checked(db: &Db, lang: Lang, q: InsightsQuery) -> Result<Checked, AppError> {
    let InsightsQuery {
        from,
        to,
        program,
        channel,
        store,
        tier,
        compare,
        rate,
    } = q;
    let l = lang.locale;
    // Ids as typed: empty is "all"; anything else must be a number (then a known one).
    let id = |field: &'static str, typed: &str, message: &'static str| match typed.trim() {
        "" => Ok(0),
        t => t.parse::<i64>().map_err(|_| AppError::field(field, message)),
    };
    let program_id = id("program", &program, td_string!(l, insights.unknown_program))?;
    let store = id("store", &store, td_string!(l, insights.unknown_store))?;
    let tier = id("tier", &tier, td_string!(l, insights.unknown_tier))?;
    let today = db.now().date();
    let (from, to) =
        dates::parse_range(&from, &to, today).map_err(|(field, message)| AppError::field(field, message))?;
    let program = match program_id {
        0 => None,
        id => Some(
            program_units(db, id)
                .await?
                .ok_or_else(|| AppError::field("program", td_string!(l, insights.unknown_program)))?,
        ),
    };
    let channel = match channel.as_str() {
        "" => None,
        "store" | "web" | "app" => Some(channel),
        _ => {
            return Err(AppError::field(
                "channel",
                td_string!(l, insights.unknown_channel),
            ))
        }
    };
    let options = filter_options(db, program_id).await?;
    if store != 0 && !options.stores.iter().any(|(id, _)| *id == store) {
        return Err(AppError::field("store", td_string!(l, insights.unknown_store)));
    }
    if tier != 0 && !options.tiers.iter().any(|(id, _)| *id == tier) {
        return Err(AppError::field("tier", td_string!(l, insights.unknown_tier)));
    }
    let days = chrono::Duration::days((to - from).num_days() + 1);
    let compare = match compare.as_str() {
        "" | "none" => None,
        "previous" => from
            .checked_sub_signed(days)
            .zip(to.checked_sub_signed(days))
            .map(Some)
            .ok_or_else(|| AppError::field("from", td_string!(l, insights.unknown_compare)))?,
        "year" => from
            .checked_sub_months(chrono::Months::new(12))
            .zip(to.checked_sub_months(chrono::Months::new(12)))
            .map(Some)
            .ok_or_else(|| AppError::field("from", td_string!(l, insights.unknown_compare)))?,
        _ => {
            return Err(AppError::field(
                "compare",
                td_string!(l, insights.unknown_compare),
            ))
        }
    };
    let rate = match crate::domain::validate::typed_number(&rate).trim() {
        "" => None,
        typed => match typed.parse::<f64>() {
            Ok(r) if (0.0..=100.0).contains(&r) => Some(r / 100.0),
            _ => return Err(AppError::field("rate", td_string!(l, insights.rate_range))),
        },
    };
    // A store names its channel: with one chosen, the channel filter has nothing to add
    // (and member counts, which read the store's slice, would disagree with sales).
    let scope = Scope {
        program_id,
        channel: if store != 0 { None } else { channel },
        store_id: (store != 0).then_some(store),
        tier_id: (tier != 0).then_some(tier),
    };
    Ok(Checked {
        scope,
        program,
        from,
        to,
        compare,
        rate,
    })
}

/// The Insights page's report for `q`: the filters checked (a field error names what was
/// refused), the Overview, and the daily series and charts beside it.
pub async fn report(db: &Db, lang: Lang, q: InsightsQuery) -> Result<InsightsReport, AppError> {
    let Checked {
        scope,
        program,
        from,
        to,
        compare,
        rate,
    } = checked(db, lang, q).await?;
    let program_id = scope.program_id;
    let (mut overview, new_by_day, issued_by_day) =
        overview(db, &scope, program.clone(), (from, to), compare, rate).await?;
    overview.backlog = rollups::backlog(&mut *db.pool.acquire().await?).await?;
    overview.active_svg = charts::active_members(lang, &overview.active)?;
    if let (Some(p), Some(sales)) = (&program, &overview.sales) {
        overview.sales_svg = Some(charts::net_sales(lang, &p.currency_code, sales)?);
    }
    let enrollments = series(&new_by_day);
    let points_by_program = points_by_program(db, from, to, program_id).await?;
    let (points_issued, points_svg) = match &program {
        Some(p) => {
            let series = series(&issued_by_day);
            let svg = charts::points_issued(lang, &p.unit, &series)?;
            (Some(series), Some(svg))
        }
        None => (None, None),
    };
    Ok(InsightsReport {
        from: from.to_string(),
        to: to.to_string(),
        program_id: program.as_ref().map(|p| p.id),
        enrollments_svg: charts::enrollments(lang, &enrollments)?,
        enrollments,
        points_issued,
        points_by_program,
        points_svg,
        overview,
    })
}

/// Members listed at risk (P(alive) under 50 %), the biggest spenders first.
const AT_RISK_LISTED: i64 = 50;

/// The Customer value page of `program_id` (0: the first program set up).
pub async fn value_report(db: &Db, lang: Lang, program: &str) -> Result<ValueReport, AppError> {
    let program_id = match program.trim() {
        "" => 0,
        t => t
            .parse::<i64>()
            .map_err(|_| AppError::field("program", td_string!(lang.locale, insights.unknown_program)))?,
    };
    let id = match program_id {
        0 => sqlx::query_scalar::<_, Option<i64>>("SELECT MIN(id) FROM programs")
            .fetch_one(&db.pool)
            .await?
            .unwrap_or(0),
        id => id,
    };
    let program = program_units(db, id).await?;
    if program.is_none() && program_id != 0 {
        return Err(AppError::field(
            "program",
            td_string!(lang.locale, insights.unknown_program),
        ));
    }
    let mut conn = db.pool.acquire().await?;
    let value = predictions::last_fit(&mut conn, id).await?;
    let at_risk = predictions::at_risk(&mut conn, id, AT_RISK_LISTED).await?;
    let holdout_svg = match &value {
        Some(v) if !v.holdout.is_empty() => Some(charts::holdout(lang, v.holdout_weeks, &v.holdout)?),
        _ => None,
    };
    Ok(ValueReport {
        program,
        value,
        at_risk,
        holdout_svg,
    })
}

/// Stores and the program's tiers, for the filters.
pub async fn filter_options(db: &Db, program_id: i64) -> Result<FilterOptions, AppError> {
    let stores = sqlx::query_as("SELECT id, name FROM stores ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    let tiers = sqlx::query_as("SELECT id, name FROM tiers WHERE program_id = $1 ORDER BY threshold_points")
        .bind(program_id)
        .fetch_all(&db.pool)
        .await?;
    Ok(FilterOptions {
        programs: program_names(db).await?,
        stores,
        tiers,
    })
}

/// A program's units, or None when there is no such program.
pub async fn program_units(db: &Db, program_id: i64) -> Result<Option<ProgramUnits>, AppError> {
    let row: Option<(ProgramId, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, name, currency_name, currency_code, point_value_minor FROM programs WHERE id = $1",
    )
    .bind(program_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(
        |(id, name, unit, currency_code, point_value_minor)| ProgramUnits {
            id,
            name,
            unit,
            currency_code,
            point_value_minor,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_name_their_days() {
        let d0 = Timestamp::start_of(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()).0 / SECONDS_PER_DAY;
        let s = series(&[(d0, 2), (d0 + 1, 0), (d0 + 2, 5)]);
        assert_eq!(s.days, vec!["2026-11-01", "2026-11-02", "2026-11-03"]);
        assert_eq!(s.total(), 7);
    }

    #[test]
    fn kpis_compare_like_with_like_and_rates_of_nothing_have_no_value() {
        let now = Period {
            members: 10,
            active: 4,
            buyers: 4,
            repeat_buyers: 1,
            flows: Flows {
                orders: 6,
                sales_minor: 600,
                returned_minor: 60,
                ..Flows::default()
            },
            ..Period::default()
        };
        let before = Period {
            members: 8,
            ..Period::default()
        };
        let (members, points, money) = kpis(&now, Some(&before), true);
        let get = |list: &[Kpi], key: &str| list.iter().find(|k| k.key == key).cloned().unwrap();
        assert_eq!(get(&members, "participation").value, Some(0.4));
        assert_eq!(get(&members, "participation").previous, Some(0.0));
        assert_eq!(get(&members, "repeat_rate").value, Some(0.25));
        assert_eq!(get(&members, "repeat_rate").previous, None);
        assert_eq!(get(&money, "aov").value, Some(90.0));
        assert_eq!(get(&money, "frequency").value, Some(1.5));
        assert_eq!(get(&points, "redemption_rate").value, None);
        // All programs: no points or money, whose units differ.
        let (_, points, money) = kpis(&now, None, false);
        assert!(points.is_empty() && money.is_empty());
    }
}

#[cfg(test)]
mod merged_tests {
    use super::*;

    #[test]
    fn a_person_merged_into_another_counts_once_under_the_last_id() {
        // 3 merged into 2, then 2 into 1.
        let m = Merged::of(vec![(3, 2), (2, 1)]);
        let mut set: RoaringBitmap = [1u32, 3, 7].into_iter().collect();
        m.apply(&mut set);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![1, 7]);
        assert_eq!(m.person(3), 1);
        assert_eq!(m.person(7), 7);
        let mut untouched: RoaringBitmap = [5u32].into_iter().collect();
        m.apply(&mut untouched);
        assert_eq!(untouched.len(), 1);
    }
}
