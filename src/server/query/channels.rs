//! The Channels and stores page: what members did in each channel and store over a range
//! (buyers, orders, sales, points earned and redeemed), from the daily facts and the
//! member-day bitmaps; and the omnichannel premium: of the range's buyers, those who bought in
//! two channels or more, and what they are worth so far against those who bought in one
//! (`member_values`).

use std::collections::BTreeMap;

use roaring::RoaringBitmap;

use crate::domain::kpi::{Activity, Flows};
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::model::insights::{ChannelRow, ChannelsReport, InsightsQuery};
use crate::server::charts;
use crate::server::db::Db;
use crate::server::store::rollups;

use super::insights::{checked, day_sets, epoch_day, union, Checked, Merged};

const CHANNELS: [&str; 3] = ["store", "web", "app"];

fn row(key: String, name: String, buyers: u64, f: &Flows) -> ChannelRow {
    ChannelRow {
        key,
        name,
        buyers,
        orders: f.orders,
        sales_minor: f.sales_minor,
        refunds_minor: f.returned_minor,
        net_sales_minor: f.net_sales_minor(),
        issued: f.issued,
        // Gross: a reward given back is booked by the system, in no channel.
        redeemed: f.redeemed,
    }
}

/// The Channels and stores page of `q` (its channel and store filters are what the page
/// breaks down by, so they are not applied; a tier narrows everything).
pub async fn report(db: &Db, lang: Lang, mut q: InsightsQuery) -> Result<ChannelsReport, AppError> {
    q.channel.clear();
    q.store.clear();
    q.compare.clear();
    q.rate.clear();
    let Checked {
        scope,
        program,
        from,
        to,
        ..
    } = checked(db, lang, q).await?;
    let (first, last) = (epoch_day(from), epoch_day(to));
    let p = scope.program_id;
    let tier = scope.tier_id.map_or("*".to_string(), |t| t.to_string());
    let mut conn = db.pool.acquire().await?;
    let merged = Merged::load(&mut conn).await?;

    let facts = rollups::facts_between(&mut conn, p, first, last, None, None, scope.tier_id).await?;
    let (mut by_channel, mut by_store): (BTreeMap<String, Flows>, BTreeMap<i64, Flows>) = Default::default();
    for ((_, _, channel, store, _), f) in &facts {
        by_channel.entry(channel.clone()).or_default().add(f);
        if *store != 0 {
            by_store.entry(*store).or_default().add(f);
        }
    }
    let buyers_in = |sets: BTreeMap<i64, RoaringBitmap>| union(sets.values());
    let mut channel_sets = Vec::new();
    let mut channels = Vec::new();
    for c in CHANNELS {
        let set = buyers_in(
            day_sets(
                &mut conn,
                &merged,
                p,
                Activity::Buy.as_str(),
                &format!("c:{c}|{tier}"),
                first,
                last,
            )
            .await?,
        );
        let flows = by_channel.get(c).cloned().unwrap_or_default();
        if flows.orders > 0 || !set.is_empty() || flows.issued > 0 {
            channels.push(row(c.to_string(), String::new(), set.len(), &flows));
        }
        channel_sets.push(set);
    }
    let names: BTreeMap<i64, String> = sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM stores")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    let mut stores = Vec::new();
    for (store, flows) in &by_store {
        let set = buyers_in(
            day_sets(
                &mut conn,
                &merged,
                p,
                Activity::Buy.as_str(),
                &format!("s:{store}|{tier}"),
                first,
                last,
            )
            .await?,
        );
        let name = names.get(store).cloned().unwrap_or_default();
        stores.push(row(store.to_string(), name, set.len(), flows));
    }
    // Money only for one program (currencies differ): without one, stores go by orders.
    if program.is_none() {
        for r in channels.iter_mut().chain(stores.iter_mut()) {
            (r.sales_minor, r.refunds_minor, r.net_sales_minor) = (0, 0, 0);
            (r.issued, r.redeemed) = (0, 0);
        }
    }
    stores.sort_by(|a, b| {
        (b.net_sales_minor, b.orders)
            .cmp(&(a.net_sales_minor, a.orders))
            .then(a.name.cmp(&b.name))
    });

    // Two channels or more: in at least two of the three sets.
    let (s, w, a) = (&channel_sets[0], &channel_sets[1], &channel_sets[2]);
    let multi = (s & w) | (s & a) | (w & a);
    let all = s | w | a;
    let (multi_value, single_value) = if program.is_some() {
        drop(conn);
        let (several, one) = super::member_values::premium(db, p, &merged, &multi, &all).await?;
        (Some(several), Some(one))
    } else {
        (None, None)
    };
    let svg = charts::by_channel(lang, program.as_ref(), &channels)?;
    Ok(ChannelsReport {
        from: from.to_string(),
        to: to.to_string(),
        program,
        channels,
        stores,
        buyers: all.len(),
        multi: multi.len(),
        multi_value,
        single_value,
        svg,
    })
}
