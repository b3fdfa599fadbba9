//! The Satisfaction dashboard: NPS of the survey answers in a range, beside a comparison
//! period, per week or month, per channel and per tier, with the comments. Answers are counted
//! from survey_days (per day, channel, store, tier and score, written with each answer), so
//! a page reads a few rows per day whatever the number of members.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::lang::Lang;
use crate::domain::surveys::{bucket, buckets, grain};
use crate::error::AppError;
use crate::model::insights::InsightsQuery;
use crate::model::survey::{NpsCounts, NpsRow, SatisfactionReport, COMMENTS_SHOWN};
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::charts;
use crate::server::db::Db;
use crate::server::store::surveys::{self, AnswerFilter};

use super::insights::{checked, Checked};

/// The instants `from..to` of the UTC days `first..=last`.
fn instants(first: NaiveDate, last: NaiveDate) -> (Timestamp, Timestamp) {
    let from = Timestamp::start_of(first);
    let to = Timestamp(Timestamp::start_of(last).0 + SECONDS_PER_DAY);
    (from, to)
}

fn rows(map: BTreeMap<String, NpsCounts>) -> Vec<NpsRow> {
    map.into_iter()
        .map(|(key, counts)| NpsRow { key, counts })
        .collect()
}

/// The Satisfaction dashboard of `q` (the Insights filters; the IFRS rate is not used).
pub async fn report(db: &Db, lang: Lang, mut q: InsightsQuery) -> Result<SatisfactionReport, AppError> {
    // The page has no IFRS 15 rate to type: whatever the address says is not read.
    q.rate.clear();
    let Checked {
        scope,
        from,
        to,
        compare,
        ..
    } = checked(db, lang, q).await?;
    let filter = AnswerFilter {
        program_id: (scope.program_id != 0).then_some(scope.program_id),
        channel: scope.channel.clone(),
        store_id: scope.store_id,
        tier_id: scope.tier_id,
    };
    let grain = grain(from, to);
    let mut conn = db.pool.acquire().await?;
    let (a, b) = instants(from, to);
    let mut counts = NpsCounts::default();
    let mut series: BTreeMap<String, NpsCounts> = buckets(grain, from, to)
        .into_iter()
        .map(|k| (k, NpsCounts::default()))
        .collect();
    let mut by_channel: BTreeMap<String, NpsCounts> = BTreeMap::new();
    let mut tier_counts: BTreeMap<Option<i64>, NpsCounts> = BTreeMap::new();
    for (day, channel, tier, score, n) in surveys::counts(&mut conn, &filter, a, b).await? {
        counts.add(score, n);
        let date = Timestamp(day * SECONDS_PER_DAY).date();
        series.entry(bucket(grain, date)).or_default().add(score, n);
        by_channel.entry(channel).or_default().add(score, n);
        tier_counts.entry(tier).or_default().add(score, n);
    }
    // Tiers by id (two programs may both have a "Gold"), named with their program when the
    // page shows every program; answers of members without a tier under "" (the page names it).
    let names: BTreeMap<i64, (String, String)> = surveys::tier_names(&mut conn)
        .await?
        .into_iter()
        .map(|(id, tier, program)| (id, (tier, program)))
        .collect();
    let mut by_tier: BTreeMap<String, NpsCounts> = BTreeMap::new();
    for (tier, c) in tier_counts {
        let key = match tier.and_then(|t| names.get(&t)) {
            Some((tier, program)) if filter.program_id.is_none() => format!("{program} · {tier}"),
            Some((tier, _)) => tier.clone(),
            None => String::new(),
        };
        let row = by_tier.entry(key).or_default();
        row.promoters += c.promoters;
        row.passives += c.passives;
        row.detractors += c.detractors;
    }
    let previous = match compare {
        Some((c, d)) => {
            let (a, b) = instants(c, d);
            let mut before = NpsCounts::default();
            for (_, _, _, score, n) in surveys::counts(&mut conn, &filter, a, b).await? {
                before.add(score, n);
            }
            Some(before)
        }
        None => None,
    };
    let (comments, comments_total) = surveys::comments(&mut conn, &filter, a, b, COMMENTS_SHOWN).await?;
    let series = rows(series);
    Ok(SatisfactionReport {
        from: from.to_string(),
        to: to.to_string(),
        compare_from: compare.map(|c| c.0.to_string()),
        compare_to: compare.map(|c| c.1.to_string()),
        counts,
        previous,
        grain: grain.to_string(),
        series_svg: charts::nps(lang, &series)?,
        series,
        by_channel: rows(by_channel),
        by_tier: rows(by_tier),
        comments,
        comments_total,
    })
}
