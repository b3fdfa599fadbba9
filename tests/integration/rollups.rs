//! The Insights rollups against the raw tables: a small generated brand, folded from the
//! queue its bookings filled, holds the same totals, distinct members and member summaries
//! as counted here straight from orders, postings and memberships; a rebuild from the
//! ledger finds nothing to mend, and does find a row tampered with.

use std::collections::HashMap;

use omniloyal::domain::kpi::{Flows, MemberSummary};
use omniloyal::server::db::Db;
use omniloyal::server::generator::simulate::Behaviour;
use omniloyal::server::generator::{self, Plan};
use omniloyal::server::service::rollups;
use omniloyal::server::store::rollups as store;
use roaring::RoaringBitmap;

use crate::on_both_backends;

pub fn plan() -> Plan {
    Plan {
        members: 60,
        months: 2,
        seed: 11,
        behaviour: Behaviour {
            r: 2.0,
            alpha: 1.0,
            returned: 0.1,
            referred: 0.2,
            ..Behaviour::default()
        },
        stop: None,
    }
}

async fn scalar(db: &Db, sql: &str, p: i64) -> i64 {
    sqlx::query_scalar(sql).bind(p).fetch_one(&db.pool).await.unwrap()
}

/// Everything the daily facts hold of program `p`, added up.
async fn totals(db: &Db, p: i64) -> Flows {
    let mut conn = db.pool.acquire().await.unwrap();
    let mut all = Flows::default();
    for (_, f) in store::facts_between(&mut conn, p, i64::MIN / 2, i64::MAX / 2, None, None, None)
        .await
        .unwrap()
    {
        all.add(&f);
    }
    all
}

/// Distinct members of `kind` in `slice` over all days.
async fn distinct(db: &Db, p: i64, kind: &str, slice: &str) -> u64 {
    let mut conn = db.pool.acquire().await.unwrap();
    let mut all = RoaringBitmap::new();
    for (_, _, blob) in store::day_sets_between(&mut conn, p, kind, slice, i64::MIN / 2, i64::MAX / 2)
        .await
        .unwrap()
    {
        all |= RoaringBitmap::deserialize_from(blob.as_slice()).unwrap();
    }
    all.len()
}

async fn rollups_hold_what_the_ledger_holds(db: Db) {
    let made = generator::generate(&db, &plan(), &|_| {}).await.unwrap();
    let p = made.program_id.get();
    rollups::catch_up(&db).await.unwrap();
    assert_eq!(rollups::backlog(&db).await.unwrap(), 0);

    let t = totals(&db, p).await;
    let q = |sql: &'static str| scalar(&db, sql, p);
    assert_eq!(
        t.orders,
        q("SELECT COUNT(*) FROM orders WHERE program_id = $1").await
    );
    assert_eq!(
        t.sales_minor,
        q("SELECT CAST(SUM(amount_minor) AS BIGINT) FROM orders WHERE program_id = $1").await
    );
    assert_eq!(
        t.returned_minor,
        q("SELECT CAST(SUM(returned_minor) AS BIGINT) FROM orders WHERE program_id = $1").await
    );
    assert!(t.returned_minor > 0 && t.redemptions > 0 && t.expired >= 0);
    assert_eq!(
        t.enrolments,
        q("SELECT COUNT(*) FROM memberships WHERE program_id = $1").await
    );
    assert_eq!(
        t.redemptions,
        q("SELECT COUNT(*) FROM ledger_transactions WHERE program_id = $1 AND kind = 'redeem'").await
    );
    assert_eq!(
        t.issued,
        q(
            "SELECT CAST(-SUM(points) AS BIGINT) FROM ledger_postings WHERE program_id = $1 \
           AND account IN ('issuance', 'campaign') AND points < 0"
        )
        .await
    );
    assert_eq!(
        t.net_redeemed(),
        q(
            "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM ledger_postings WHERE program_id = $1 \
           AND account = 'redemption'"
        )
        .await
    );
    // What members hold now is what the facts moved over all time.
    assert_eq!(
        t.outstanding_change(),
        q("SELECT CAST(SUM(balance + pending) AS BIGINT) FROM memberships WHERE program_id = $1").await
    );

    // Distinct members: buyers anywhere and per channel, redeemers, joiners.
    let buyers = q(
        "SELECT COUNT(DISTINCT m.member_id) FROM orders o JOIN memberships m ON m.id = o.membership_id \
                    WHERE o.program_id = $1",
    )
    .await;
    assert_eq!(distinct(&db, p, "buy", "*|*").await as i64, buyers);
    for channel in ["store", "web", "app"] {
        let sql = format!(
            "SELECT COUNT(DISTINCT m.member_id) FROM orders o JOIN memberships m ON m.id = o.membership_id \
             WHERE o.program_id = $1 AND o.channel = '{channel}'"
        );
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(p)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert!(n > 0);
        assert_eq!(
            distinct(&db, p, "buy", &format!("c:{channel}|*")).await as i64,
            n,
            "{channel}"
        );
    }
    let redeemers = q("SELECT COUNT(DISTINCT m.member_id) FROM ledger_transactions t \
                       JOIN memberships m ON m.id = t.membership_id WHERE t.program_id = $1 AND t.kind = 'redeem'")
    .await;
    assert_eq!(distinct(&db, p, "redeem", "*|*").await as i64, redeemers);
    assert_eq!(
        distinct(&db, p, "join", "*|*").await as i64,
        q("SELECT COUNT(*) FROM memberships WHERE program_id = $1").await
    );

    // Member summaries against each membership's orders.
    let rows: Vec<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT membership_id, COUNT(*), COUNT(DISTINCT created_at / 86400), \
         CAST(SUM(amount_minor - returned_minor) AS BIGINT), MIN(created_at / 86400), MAX(created_at / 86400) \
         FROM orders WHERE program_id = $1 GROUP BY membership_id",
    )
    .bind(p)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let summaries: HashMap<i64, MemberSummary> = store::program_summaries(&mut conn, p)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _, _, s)| (id, s))
        .collect();
    drop(conn);
    assert_eq!(summaries.len() as i64, t.enrolments, "one summary per membership");
    assert!(rows.len() > 10);
    for (id, orders, days, sales, first, last) in rows {
        let s = &summaries[&id];
        assert_eq!(
            (
                s.orders,
                s.buy_days,
                s.sales_minor,
                s.first_buy_day,
                s.last_buy_day
            ),
            (orders, days, sales, Some(first), Some(last)),
            "membership {id}"
        );
    }

    // A rebuild from the ledger finds nothing to mend...
    let report = rollups::rebuild(&db).await.unwrap();
    assert!(!report.differs(), "{report:?}");
    assert!(report.facts > 0 && report.day_sets > 0 && report.summaries as i64 == t.enrolments);
    // ...and mends a row tampered with, saying so.
    sqlx::query("UPDATE daily_facts SET orders = orders + 1 WHERE program_id = $1 AND orders > 0")
        .bind(p)
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query(
        "DELETE FROM member_stats WHERE membership_id = (SELECT MIN(membership_id) FROM member_stats)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let report = rollups::rebuild(&db).await.unwrap();
    assert!(
        report.facts_differing > 0 && report.summaries_differing == 1,
        "{report:?}"
    );
    assert_eq!(totals(&db, p).await, t);
    assert!(!rollups::rebuild(&db).await.unwrap().differs());
}

on_both_backends!(rollups_hold_what_the_ledger_holds);

/// Every Overview KPI of program `p` over epoch days `from..=to` (in `channel` when given),
/// counted here from orders, transactions, postings and memberships.
async fn expected(
    db: &Db,
    p: i64,
    from: i64,
    to: i64,
    channel: Option<&str>,
) -> HashMap<&'static str, Option<f64>> {
    let (start, end) = (from * 86_400, (to + 1) * 86_400);
    let ch = channel.unwrap_or("");
    let one = |sql: String| async move {
        let v: Option<i64> = sqlx::query_scalar(&sql)
            .bind(p)
            .bind(start)
            .bind(end)
            .bind(ch)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        v.unwrap_or(0)
    };
    // When a transaction counts: a purchase when ordered, anything else when booked; where:
    // a purchase's or a return's order channel, else the transaction's.
    let tx = "FROM ledger_transactions t LEFT JOIN orders o ON t.kind = 'earn' AND o.transaction_id = t.id \
              LEFT JOIN orders r ON r.id = t.order_id JOIN memberships m ON m.id = t.membership_id";
    let when = "COALESCE(o.created_at, t.created_at)";
    let within = format!("t.program_id = $1 AND {when} >= $2 AND {when} < $3");
    let chan = "($4 = '' OR COALESCE(o.channel, r.channel, t.channel) = $4)";
    let members = one(
        "SELECT COUNT(DISTINCT member_id) FROM memberships WHERE program_id = $1 AND joined_at < $3 \
                       AND $2 = $2 AND $4 = $4"
            .into(),
    )
    .await;
    let new_members = one(
        "SELECT COUNT(DISTINCT member_id) FROM memberships WHERE program_id = $1 \
                           AND joined_at >= $2 AND joined_at < $3 AND $4 = $4"
            .into(),
    )
    .await;
    let buyers = one(format!(
        "SELECT COUNT(DISTINCT m.member_id) {tx} WHERE {within} AND {chan} AND t.kind = 'earn'"
    ))
    .await;
    let repeat = one(format!(
        "SELECT COUNT(*) FROM (SELECT m.member_id {tx} WHERE {within} AND {chan} AND t.kind = 'earn' \
         GROUP BY m.member_id HAVING COUNT(DISTINCT {when} / 86400) > 1) x"
    ))
    .await;
    let redeemers = one(format!(
        "SELECT COUNT(DISTINCT m.member_id) {tx} WHERE {within} AND {chan} AND t.kind = 'redeem'"
    ))
    .await;
    let active = one(format!(
        "SELECT COUNT(DISTINCT m.member_id) {tx} WHERE {within} AND {chan} AND t.kind IN ('earn', 'redeem')"
    ))
    .await;
    let orders = one(format!(
        "SELECT COUNT(*) {tx} WHERE {within} AND {chan} AND t.kind = 'earn'"
    ))
    .await;
    let sales = one(format!(
        "SELECT CAST(SUM(o.amount_minor) AS BIGINT) {tx} WHERE {within} AND {chan} AND t.kind = 'earn'"
    ))
    .await;
    let refunds = one(format!(
        "SELECT CAST(SUM(t.amount_minor) AS BIGINT) {tx} WHERE {within} AND {chan} AND t.kind = 'return'"
    ))
    .await;
    let posted = |accounts: &'static str, sign: &'static str| {
        let within = within.clone();
        async move {
            one(format!(
                "SELECT CAST(SUM(p.points) AS BIGINT) FROM ledger_postings p JOIN ledger_transactions t \
                 ON t.id = p.transaction_id LEFT JOIN orders o ON t.kind = 'earn' AND o.transaction_id = t.id \
                 LEFT JOIN orders r ON r.id = t.order_id \
                 WHERE {within} AND {chan} AND p.membership_id IS NULL AND p.account IN ({accounts}) AND p.points {sign} 0"
            ))
            .await
            .abs()
        }
    };
    let issued = posted("'issuance', 'campaign'", "<").await;
    let returned = posted("'issuance', 'campaign'", ">").await;
    let redeemed = posted("'redemption'", ">").await - posted("'redemption'", "<").await;
    let expired = posted("'expiry'", ">").await - posted("'expiry'", "<").await;
    let adjusted = posted("'adjustment'", "<").await - posted("'adjustment'", ">").await;
    let ratio = |n: i64, d: i64| (d != 0).then(|| n as f64 / d as f64);
    let f = |x: i64| Some(x as f64);
    HashMap::from([
        ("members", f(members)),
        ("new_members", f(new_members)),
        ("active", f(active)),
        ("participation", ratio(active, members)),
        ("buyers", f(buyers)),
        ("repeat_rate", ratio(repeat, buyers)),
        ("redeemers", f(redeemers)),
        ("redeemer_share", ratio(redeemers, active)),
        ("issued", f(issued)),
        ("returned", f(returned)),
        ("net_issued", f(issued - returned)),
        ("redeemed", f(redeemed)),
        ("expired", f(expired)),
        ("adjusted", f(adjusted)),
        ("redemption_rate", ratio(redeemed, issued - returned)),
        ("orders", f(orders)),
        ("sales", f(sales)),
        ("refunds", f(refunds)),
        ("net_sales", f(sales - refunds)),
        ("aov", ratio(sales - refunds, orders).map(f64::round)),
        ("frequency", ratio(orders, buyers)),
    ])
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    }
}

async fn the_overview_counts_what_the_raw_tables_hold(db: Db) {
    use omniloyal::model::insights::Scope;
    use omniloyal::server::query::insights;

    let made = generator::generate(&db, &plan(), &|_| {}).await.unwrap();
    let p = made.program_id.get();
    rollups::catch_up(&db).await.unwrap();
    let today = db.now().date();
    let units = insights::program_units(&db, p).await.unwrap();
    let day = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() / 86_400;
    // The last 30 days against the 30 before, everywhere and on the web only.
    let (from, to) = (today - chrono::Duration::days(29), today);
    let (pfrom, pto) = (
        today - chrono::Duration::days(59),
        today - chrono::Duration::days(30),
    );
    for channel in [None, Some("web"), Some("store")] {
        let scope = Scope {
            program_id: p,
            channel: channel.map(String::from),
            ..Scope::default()
        };
        let (o, _, _) = insights::overview(&db, &scope, units.clone(), (from, to), Some((pfrom, pto)), None)
            .await
            .unwrap();
        let now = expected(&db, p, day(from), day(to), channel).await;
        let before = expected(&db, p, day(pfrom), day(pto), channel).await;
        let kpis: Vec<_> = o.members.iter().chain(&o.points).chain(&o.money).collect();
        assert!(kpis.len() >= now.len());
        for k in kpis {
            let Some(want) = now.get(k.key.as_str()) else {
                continue;
            };
            assert!(
                close(k.value, *want),
                "{channel:?} {}: {:?} against {want:?}",
                k.key,
                k.value
            );
            let was = before[k.key.as_str()];
            assert!(
                close(k.previous, was),
                "{channel:?} {} before: {:?} against {was:?}",
                k.key,
                k.previous
            );
        }
        assert!(
            now["orders"].unwrap() > 0.0 && now["active"].unwrap() > 0.0,
            "{channel:?}: {now:?}"
        );
        // Active members per day add up to no fewer than the period's distinct ones.
        assert!(o.active.total() as f64 >= now["active"].unwrap());
    }
    // The whole program at the end of the period: outstanding points, liability at face
    // value, breakage and the IFRS 15 deferral from the ledger's own sums.
    let scope = Scope {
        program_id: p,
        ..Scope::default()
    };
    let (o, _, _) = insights::overview(&db, &scope, units.clone(), (from, to), None, Some(0.8))
        .await
        .unwrap();
    let get = |key: &str| o.points.iter().find(|k| k.key == key).unwrap().value.unwrap();
    let holding = scalar(
        &db,
        "SELECT CAST(SUM(balance + pending) AS BIGINT) FROM memberships WHERE program_id = $1",
        p,
    )
    .await;
    assert_eq!(get("outstanding"), holding as f64);
    let value = units.as_ref().unwrap().point_value_minor;
    assert_eq!(get("liability"), (holding * value) as f64);
    let life = expected(&db, p, -100_000, day(today), None).await;
    let (redeemed, expired) = (life["redeemed"].unwrap(), life["expired"].unwrap());
    let observed = if redeemed + expired > 0.0 {
        redeemed / (redeemed + expired)
    } else {
        1.0
    };
    assert!(close(Some(get("breakage")), Some(1.0 - observed)));
    let ifrs = o.ifrs15.unwrap();
    assert_eq!(ifrs.rate, 0.8);
    let (sales, issued) = (life["net_sales"].unwrap(), life["net_issued"].unwrap());
    // Sales are shared with the points they earned, at the rate observed; the rate chosen
    // (80 %) sets how many of all points are expected to be redeemed.
    let order_points = scalar(
        &db,
        "SELECT CAST(-SUM(p.points) AS BIGINT) FROM ledger_postings p JOIN orders o \
         ON o.transaction_id = p.transaction_id WHERE o.program_id = $1 AND p.membership_id IS NULL \
         AND p.account IN ('issuance', 'campaign')",
        p,
    )
    .await as f64
        - life["returned"].unwrap();
    assert!(order_points > 0.0 && order_points < issued + life["returned"].unwrap());
    let ssp = order_points * value as f64 * observed;
    let allocated = sales * ssp / (sales + ssp);
    let recognised = allocated * (redeemed / (issued * 0.8)).min(1.0);
    assert_eq!(ifrs.allocated_minor, allocated.round() as i64);
    assert_eq!(ifrs.deferred_minor, (allocated - recognised).round() as i64);
    assert!(ifrs.deferred_minor > 0);
    // Filed by tier, the orders add up to all of them.
    let mut by_tier = 0.0;
    let tiers: Vec<(i64,)> = sqlx::query_as("SELECT id FROM tiers WHERE program_id = $1")
        .bind(p)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    for (tier,) in tiers {
        let scope = Scope {
            program_id: p,
            tier_id: Some(tier),
            ..Scope::default()
        };
        let (o, _, _) = insights::overview(&db, &scope, units.clone(), (from, to), None, None)
            .await
            .unwrap();
        by_tier += o.money.iter().find(|k| k.key == "orders").unwrap().value.unwrap();
    }
    let all = expected(&db, p, day(from), day(to), None).await;
    assert_eq!(Some(by_tier), all["orders"]);
}

on_both_backends!(the_overview_counts_what_the_raw_tables_hold);

async fn customer_value_is_fitted_on_the_members_history(db: Db) {
    use omniloyal::server::query::insights;
    use omniloyal::server::store::predictions;

    // The generator fits customer value at its end, as the server's daily job does.
    let made = generator::generate(&db, &plan(), &|_| {}).await.unwrap();
    let p = made.program_id.get();
    let mut conn = db.pool.acquire().await.unwrap();
    let v = predictions::last_fit(&mut conn, p)
        .await
        .unwrap()
        .expect("fitted");
    drop(conn);
    let q = |sql: &'static str| scalar(&db, sql, p);
    let buyers = q("SELECT COUNT(DISTINCT membership_id) FROM orders WHERE program_id = $1").await;
    let repeat = q(
        "SELECT COUNT(*) FROM (SELECT membership_id FROM orders WHERE program_id = $1 \
                    GROUP BY membership_id HAVING COUNT(DISTINCT created_at / 86400) > 1) x",
    )
    .await;
    let orders = q("SELECT COUNT(*) FROM orders WHERE program_id = $1").await;
    let net =
        q("SELECT CAST(SUM(amount_minor - returned_minor) AS BIGINT) FROM orders WHERE program_id = $1")
            .await;
    assert_eq!(v.customers as i64, buyers);
    assert_eq!(v.repeat_buyers as i64, repeat);
    assert!((v.repeat_rate - repeat as f64 / buyers as f64).abs() < 1e-12);
    assert!((v.orders_per_buyer - orders as f64 / buyers as f64).abs() < 1e-12);
    assert_eq!(v.aov_minor, (net as f64 / orders as f64).round() as i64);
    assert_eq!(
        v.avg_historical_minor,
        (net as f64 / buyers as f64).round() as i64
    );
    let model = v.model.clone().expect("BG/NBD fitted");
    assert!(model.r > 0.0 && model.alpha > 0.0 && model.a > 0.0 && model.b > 0.0);
    assert!(model.bg_log_likelihood < 0.0);
    // The holdout groups cover every member who bought before its weeks.
    assert!(!v.holdout.is_empty());
    let held: u64 = v.holdout.iter().map(|r| r.members).sum();
    assert!(held > 0 && held <= buyers as u64);
    assert!(v.holdout.iter().all(|r| r.actual >= 0.0 && r.predicted >= 0.0));
    // Every buyer has a prediction; tiers add up to them.
    let predicted = q("SELECT COUNT(*) FROM member_predictions WHERE program_id = $1").await;
    assert_eq!(predicted, buyers);
    assert_eq!(v.tiers.iter().map(|t| t.members).sum::<u64>() as i64, buyers);
    let out_of_range = q("SELECT COUNT(*) FROM member_predictions WHERE program_id = $1 \
                          AND (p_alive_ppm < 0 OR p_alive_ppm > 1000000 OR clv_minor < 0)")
    .await;
    assert_eq!(out_of_range, 0);
    // The page: members at risk are under 50 %, the biggest spenders first.
    let lang = omniloyal::domain::lang::Lang::from_tag("en").unwrap();
    let page = insights::value_report(&db, lang, &p.to_string()).await.unwrap();
    assert!(page.value.is_some() && page.holdout_svg.is_some());
    assert!(page.at_risk.iter().all(|m| m.p_alive < 0.5));
    assert!(page
        .at_risk
        .windows(2)
        .all(|w| w[0].historical_minor >= w[1].historical_minor));
    // An unknown program is a field error, not an empty page.
    let unknown = insights::value_report(&db, lang, &(p + 100).to_string())
        .await
        .unwrap_err();
    assert!(unknown.field_message("program").is_some());

    // Two buyers found to be one person: the next fit writes over the last one's predictions
    // and drops the merged membership's, as a fit on an empty table would.
    use omniloyal::model::ids::{MemberId, ProgramId};
    use omniloyal::server::service::{customer_value, merges};
    let two: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT m.id, m.member_id FROM memberships m WHERE m.program_id = $1 \
         AND EXISTS (SELECT 1 FROM member_predictions x WHERE x.membership_id = m.id) ORDER BY m.id LIMIT 2",
    )
    .bind(p)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    merges::merge(&db, MemberId(two[0].1), MemberId(two[1].1), "Same person", None)
        .await
        .unwrap();
    rollups::catch_up(&db).await.unwrap();
    customer_value::fit(&db, ProgramId(p), db.now()).await.unwrap();
    let rows = || async {
        sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(
            "SELECT membership_id, p_alive_ppm, expected_milli, clv_minor, historical_minor \
             FROM member_predictions WHERE program_id = $1 ORDER BY membership_id",
        )
        .bind(p)
        .fetch_all(&db.pool)
        .await
        .unwrap()
    };
    let over = rows().await;
    assert_eq!(over.len() as i64, buyers - 1);
    assert!(
        !over.iter().any(|r| r.0 == two[0].0),
        "the merged membership keeps no prediction"
    );
    assert!(over.iter().any(|r| r.0 == two[1].0));
    sqlx::query("DELETE FROM member_predictions WHERE program_id = $1")
        .bind(p)
        .execute(&db.pool)
        .await
        .unwrap();
    customer_value::fit(&db, ProgramId(p), db.now()).await.unwrap();
    assert_eq!(rows().await, over);

    // The fit keeps the buyers in memory and reads only the summaries folded since its last
    // fit: purchases folded after it (two buyers', a newcomer's) are in the next fit, which
    // writes what a server with nothing kept writes.
    use omniloyal::model::user::Role;
    use omniloyal::server::service::{members, orders};
    let mut buyers_now: Vec<i64> = sqlx::query_scalar(
        "SELECT m.member_id FROM memberships m WHERE m.id = $1 \
         OR m.id = (SELECT MAX(x.membership_id) FROM member_predictions x WHERE x.program_id = $2)",
    )
    .bind(two[1].0)
    .bind(p)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(buyers_now.len(), 2);
    let user = crate::support::make_user(&db, Role::Member, "fit-newcomer@example.test").await;
    let newcomer = members::for_user(&db, user.id).await.unwrap().id;
    members::join(&db, newcomer, ProgramId(p)).await.unwrap();
    buyers_now.push(newcomer.get());
    let members = buyers_now;
    for (i, m) in members.iter().enumerate() {
        let order = crate::support::fixtures::order(&format!("after-the-fit-{i}"), 4_500 + i as i64);
        orders::record_order(&db, ProgramId(p), MemberId(*m), &order, None)
            .await
            .unwrap();
    }
    rollups::catch_up(&db).await.unwrap();
    let kept = customer_value::fit(&db, ProgramId(p), db.now()).await.unwrap();
    let after = rows().await;
    assert_eq!(after.len() as i64, buyers, "the newcomer is a buyer now");
    assert_eq!(kept.customers as i64, buyers);
    assert!(
        after.iter().any(|r| r.0 > over.last().unwrap().0),
        "the newcomer's prediction"
    );
    sqlx::query("DELETE FROM member_predictions WHERE program_id = $1")
        .bind(p)
        .execute(&db.pool)
        .await
        .unwrap();
    let fresh = customer_value::fit(&db.second_server(), ProgramId(p), db.now())
        .await
        .unwrap();
    assert_eq!(rows().await, after);
    assert_eq!(
        (
            kept.customers,
            kept.repeat_buyers,
            kept.aov_minor,
            &kept.model,
            &kept.tiers
        ),
        (
            fresh.customers,
            fresh.repeat_buyers,
            fresh.aov_minor,
            &fresh.model,
            &fresh.tiers
        )
    );

    // One fit of a program at a time: while another server's claim stands, a fit changes
    // nothing and says so (the daily job leaves it be); a claim older than an hour is a server
    // that died mid-fit, and the next fit takes it over.
    let fits = || q("SELECT COUNT(*) FROM clv_fits WHERE program_id = $1");
    let before = fits().await;
    let wall = chrono::Utc::now().timestamp();
    let mut conn = db.pool.acquire().await.unwrap();
    let run = predictions::claim_run(&mut conn, p, wall)
        .await
        .unwrap()
        .expect("no fit runs");
    assert_eq!(predictions::claim_run(&mut conn, p, wall).await.unwrap(), None);
    assert!(predictions::still_claimed(&mut conn, p, run).await.unwrap());
    drop(conn);
    let busy = customer_value::fit(&db.second_server(), ProgramId(p), db.now())
        .await
        .unwrap_err();
    assert_eq!(busy.code(), "try_again", "{busy:?}");
    let later = omniloyal::model::time::Timestamp(db.now().0 + 2 * 86_400);
    assert_eq!(customer_value::fit_due(&db, later).await.unwrap(), 0);
    assert_eq!(fits().await, before);
    sqlx::query("UPDATE clv_runs SET claimed_at = $1 WHERE program_id = $2")
        .bind(wall - predictions::CLAIM_SECONDS - 1)
        .bind(p)
        .execute(&db.pool)
        .await
        .unwrap();
    // A prediction left by some earlier fit for a membership after every buyer's (one who has
    // not bought): the fit that takes over removes it with the rest it did not write.
    let user = crate::support::make_user(&db, Role::Member, "fit-joiner@example.test").await;
    let joiner = members::for_user(&db, user.id).await.unwrap().id;
    members::join(&db, joiner, ProgramId(p)).await.unwrap();
    sqlx::query(
        "INSERT INTO member_predictions (membership_id, program_id, p_alive_ppm, expected_milli, clv_minor, \
         historical_minor) SELECT id, program_id, 1, 1, 1, 1 FROM memberships WHERE member_id = $1 AND program_id = $2",
    )
    .bind(joiner.get())
    .bind(p)
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(customer_value::fit_due(&db, later).await.unwrap(), 1);
    let mut conn = db.pool.acquire().await.unwrap();
    assert!(
        !predictions::still_claimed(&mut conn, p, run).await.unwrap(),
        "a fit taken over writes no more"
    );
    drop(conn);
    assert_eq!(fits().await, before + 1);
    let (last, claimed): (i64, i64) =
        sqlx::query_as("SELECT run, claimed_at FROM clv_runs WHERE program_id = $1")
            .bind(p)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!((last, claimed), (run + 1, 0), "taken over and given back");
    assert_eq!(
        q(
            "SELECT COUNT(*) FROM member_predictions WHERE program_id = $1 AND fit_run <> \
           (SELECT run FROM clv_runs WHERE program_id = $1)"
        )
        .await,
        0
    );
}

on_both_backends!(customer_value_is_fitted_on_the_members_history);

/// The Retention page against the raw tables: each month's cohort (people by the month they
/// joined) and how many of them bought (when ordered) or redeemed (when booked) in each month
/// since; churn against the period before.
async fn retention_counts_what_the_raw_tables_hold(db: Db) {
    use chrono::Datelike;
    use omniloyal::model::insights::InsightsQuery;
    use omniloyal::server::query::retention;

    let made = generator::generate(&db, &plan(), &|_| {}).await.unwrap();
    let p = made.program_id.get();
    let today = db.now().date();
    let first = today
        .with_day(1)
        .unwrap()
        .checked_sub_months(chrono::Months::new(2))
        .unwrap();
    let q = InsightsQuery {
        from: first.to_string(),
        to: today.to_string(),
        program: p.to_string(),
        ..InsightsQuery::default()
    };
    let r = retention::report(&db, omniloyal::domain::lang::Lang::ENGLISH, q)
        .await
        .unwrap();
    assert_eq!(r.cohorts.len(), 3, "{r:?}");

    let month_start = |m: chrono::NaiveDate| m.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    let next = |m: chrono::NaiveDate| m.checked_add_months(chrono::Months::new(1)).unwrap();
    let months: Vec<chrono::NaiveDate> = (0..3)
        .map(|i| first.checked_add_months(chrono::Months::new(i)).unwrap())
        .collect();
    let end_of_range = month_start(today.succ_opt().unwrap());
    let span = |m: chrono::NaiveDate| (month_start(m), month_start(next(m)).min(end_of_range));
    let when = "COALESCE(o.created_at, t.created_at)";
    let active_sql = format!(
        "SELECT DISTINCT mm.member_id FROM ledger_transactions t \
         LEFT JOIN orders o ON t.kind = 'earn' AND o.transaction_id = t.id \
         JOIN memberships mm ON mm.id = t.membership_id \
         WHERE t.program_id = $1 AND t.kind IN ('earn', 'redeem') AND {when} >= $2 AND {when} < $3"
    );
    let members = |sql: String, a: i64, b: i64| {
        let db = db.clone();
        async move {
            let ids: Vec<(i64,)> = sqlx::query_as(&sql)
                .bind(p)
                .bind(a)
                .bind(b)
                .fetch_all(&db.pool)
                .await
                .unwrap();
            ids.into_iter()
                .map(|(i,)| i)
                .collect::<std::collections::HashSet<i64>>()
        }
    };
    for (i, m) in months.iter().enumerate() {
        let (a, b) = span(*m);
        let cohort = members(
            "SELECT member_id FROM memberships WHERE program_id = $1 GROUP BY member_id \
             HAVING MIN(joined_at) >= $2 AND MIN(joined_at) < $3"
                .into(),
            a,
            b,
        )
        .await;
        let c = &r.cohorts[i];
        assert_eq!(c.month, format!("{:04}-{:02}", m.year(), m.month()));
        assert_eq!(c.size, cohort.len() as u64, "cohort {}", c.month);
        assert_eq!(c.active.len(), 3 - i);
        for (k, later) in months[i..].iter().enumerate() {
            let (a, b) = span(*later);
            let active = members(active_sql.clone(), a, b).await;
            assert_eq!(
                c.active[k],
                active.intersection(&cohort).count() as u64,
                "cohort {} in its month {k}",
                c.month
            );
        }
    }
    assert!(r.cohorts.iter().any(|c| c.size > 0 && c.active[0] > 0), "{r:?}");
    // Churn: active in the period just before (same length), and whether again in the range.
    let (a, b) = (month_start(first), end_of_range);
    let length = b - a;
    let now = members(active_sql.clone(), a, b).await;
    let before = members(active_sql, a - length, a).await;
    assert_eq!(r.active_now, now.len() as u64);
    assert_eq!(r.active_before, before.len() as u64);
    assert_eq!(r.returning, before.intersection(&now).count() as u64);
    assert!(r.curve_svg.starts_with("<svg"));
    // No start given: a year of months up to the end's.
    let year = retention::report(
        &db,
        omniloyal::domain::lang::Lang::ENGLISH,
        InsightsQuery {
            program: p.to_string(),
            ..InsightsQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(year.cohorts.len(), 12);
    assert_eq!(year.to, today.to_string());
}

on_both_backends!(retention_counts_what_the_raw_tables_hold);

/// The Channels and stores page against the raw tables: orders, sales and buyers per channel
/// and store, the buyers in two channels or more, and what each group has spent so far.
async fn channels_count_what_the_raw_tables_hold(db: Db) {
    use omniloyal::model::insights::InsightsQuery;
    use omniloyal::server::query::channels;
    use std::collections::{HashMap, HashSet};

    let made = generator::generate(&db, &plan(), &|_| {}).await.unwrap();
    let p = made.program_id.get();
    let today = db.now().date();
    let from = today - chrono::Duration::days(20);
    let r = channels::report(
        &db,
        omniloyal::domain::lang::Lang::ENGLISH,
        InsightsQuery {
            from: from.to_string(),
            to: today.to_string(),
            program: p.to_string(),
            ..InsightsQuery::default()
        },
    )
    .await
    .unwrap();
    let (a, b) = (
        from.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp(),
        today
            .succ_opt()
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp(),
    );
    let rows: Vec<(i64, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT m.member_id, o.channel, o.store_id, o.amount_minor FROM orders o \
         JOIN memberships m ON m.id = o.membership_id WHERE o.program_id = $1 AND o.created_at >= $2 AND o.created_at < $3",
    )
    .bind(p)
    .bind(a)
    .bind(b)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(!rows.is_empty());
    let mut per_channel: HashMap<String, (HashSet<i64>, i64, i64)> = HashMap::new();
    let mut per_store: HashMap<i64, (HashSet<i64>, i64)> = HashMap::new();
    let mut channels_of: HashMap<i64, HashSet<String>> = HashMap::new();
    for (member, channel, store, amount) in &rows {
        let c = per_channel.entry(channel.clone()).or_default();
        c.0.insert(*member);
        c.1 += 1;
        c.2 += amount;
        if let Some(s) = store {
            let e = per_store.entry(*s).or_default();
            e.0.insert(*member);
            e.1 += 1;
        }
        channels_of.entry(*member).or_default().insert(channel.clone());
    }
    for row in &r.channels {
        let (buyers, orders, sales) = per_channel.get(&row.key).cloned().unwrap_or_default();
        assert_eq!(
            (row.buyers, row.orders, row.sales_minor),
            (buyers.len() as u64, orders, sales),
            "{}",
            row.key
        );
    }
    assert_eq!(
        r.channels.iter().map(|c| c.orders).sum::<i64>(),
        rows.len() as i64
    );
    for row in &r.stores {
        let (buyers, orders) = per_store
            .get(&row.key.parse::<i64>().unwrap())
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            (row.buyers, row.orders),
            (buyers.len() as u64, orders),
            "store {}",
            row.name
        );
    }
    let multi: HashSet<i64> = channels_of
        .iter()
        .filter(|(_, c)| c.len() > 1)
        .map(|(m, _)| *m)
        .collect();
    assert_eq!(r.buyers, channels_of.len() as u64);
    assert_eq!(r.multi, multi.len() as u64);
    // What each buyer has spent so far, net of returns, all orders of the program.
    let spent: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT m.member_id, CAST(SUM(o.amount_minor - o.returned_minor) AS BIGINT), CAST(COUNT(*) AS BIGINT) \
         FROM orders o JOIN memberships m ON m.id = o.membership_id WHERE o.program_id = $1 GROUP BY m.member_id",
    )
    .bind(p)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let average = |group: &dyn Fn(i64) -> bool| {
        let chosen: Vec<&(i64, i64, i64)> = spent.iter().filter(|(m, ..)| group(*m)).collect();
        let n = chosen.len() as f64;
        let total: i64 = chosen.iter().map(|c| c.1).sum();
        (chosen.len() as u64, (total as f64 / n).round() as i64)
    };
    let multi_value = r.multi_value.clone().unwrap();
    let single_value = r.single_value.clone().unwrap();
    if !multi.is_empty() {
        assert_eq!(
            (multi_value.members, multi_value.spend_minor),
            average(&|m| multi.contains(&m))
        );
    }
    let single = |m: i64| channels_of.contains_key(&m) && !multi.contains(&m);
    assert_eq!((single_value.members, single_value.spend_minor), average(&single));
    assert!(r.svg.starts_with("<svg"));
}

on_both_backends!(channels_count_what_the_raw_tables_hold);
