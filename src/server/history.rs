//! Loads a brand's past purchases into a program, so its dashboards and customer value
//! start from its own history: `omniloyal import-history`. The file is the transaction log
//! `omniloyal clv` reads (customer id, date, optional quantity, amount in the currency's
//! whole units; CSV or whitespace-separated; same-day purchases merged). Every line is
//! checked before anything is written: one bad line and nothing is imported, each named.
//!
//! Customers become members with the channel's external id (`external:<channel>`), joining
//! on the day of their first purchase. Each customer-day is an order with the id
//! `import:<YYYYMMDD>:<customer>`, booked through the one booking pipeline on the
//! database's clock stopped at that day (as a till sending it then would have): it earns by
//! the program's rules, tiers follow, and the program's jobs run at each day's end. A second
//! run books nothing twice (the order ids are the same), so an interrupted import is run
//! again to finish. History goes before a program's own orders: a program with orders of
//! its own on or before the file's last day is refused.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rand::SeedableRng;

use crate::domain::clv::transactions::{self, TransactionLog};
use crate::domain::earning::MAX_PURCHASE_MINOR;
use crate::error::AppError;
use crate::model::ids::{MemberId, ProgramId};
use crate::model::order::OrderInput;
use crate::model::rules::Channel;
use crate::model::time::{Timestamp, SECONDS_PER_DAY};
use crate::server::db::Db;
use crate::server::service::enrolment::{self, NewMember};
use crate::server::service::{customer_value, orders, rollups};

/// Where the orders were made.
pub struct Source {
    pub program_id: ProgramId,
    pub channel: Channel,
}

/// What an import did (or, checked only, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Imported {
    /// Customers in the file, of them new members, and orders (customer-days) in the file.
    pub customers: u64,
    pub new_members: u64,
    pub orders: u64,
    /// Orders booked now (the rest were booked by an earlier run), and the points they earned.
    pub booked: u64,
    pub points: i64,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
}

/// Why nothing was imported.
#[derive(Debug)]
pub enum Refused {
    /// Lines (or customer-days) that cannot be imported, each with why.
    Lines(Vec<String>),
    App(AppError),
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Self {
        Refused::App(e)
    }
}

/// The longest customer id: an order id is `import:YYYYMMDD:` and the id, at most 64.
const MAX_ID: usize = 48;

/// One customer-day to book: customer, day, amount in minor units.
type Purchase<'a> = (&'a str, NaiveDate, i64);

/// The order id of a customer's purchases on a day.
fn order_id(customer: &str, day: NaiveDate) -> String {
    format!("import:{}:{customer}", day.format("%Y%m%d"))
}

/// The log's purchases in minor units, by day, each checked: an id an order id can carry,
/// an amount of 0 or more (a day's total; refunds are not history to import) within what
/// a purchase may be, and a day before `today`.
pub fn purchases(
    log: &TransactionLog,
    exponent: u32,
    today: NaiveDate,
) -> Result<BTreeMap<NaiveDate, Vec<Purchase<'_>>>, Vec<String>> {
    let scale = 10f64.powi(exponent as i32);
    let mut errors = Vec::new();
    let mut days: BTreeMap<NaiveDate, Vec<Purchase<'_>>> = BTreeMap::new();
    for (id, purchases) in log.ids.iter().zip(&log.purchases) {
        if id.len() > MAX_ID || !id.chars().all(|c| c.is_ascii_graphic()) {
            errors.push(format!(
                "customer {id:?}: an id is 1 to {MAX_ID} characters of ASCII letters, digits and signs, no spaces"
            ));
            continue;
        }
        for &(day, amount) in purchases {
            let minor = (amount * scale).round();
            if (amount * scale - minor).abs() > 1e-6 {
                errors.push(format!(
                    "customer {id} on {day}: the day's total {amount} has more decimals than the currency's {exponent}"
                ));
            } else if !minor.is_finite() || minor < 0.0 || minor > MAX_PURCHASE_MINOR as f64 {
                errors.push(format!(
                    "customer {id} on {day}: the day's total {amount} is not an amount between 0 and {}",
                    MAX_PURCHASE_MINOR as f64 / scale
                ));
            } else if day >= today {
                errors.push(format!("customer {id} on {day}: history ends yesterday"));
            } else {
                days.entry(day)
                    .or_default()
                    .push((id.as_str(), day, minor as i64));
            }
        }
    }
    if errors.is_empty() {
        Ok(days)
    } else {
        Err(errors)
    }
}

/// Imports `text` into the program of `source`; with `check_only`, reads and checks it and
/// says what it would do, writing nothing. `tick` hears (days done, days).
pub async fn import(
    db: &Db,
    source: &Source,
    text: &str,
    check_only: bool,
    tick: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<Imported, Refused> {
    let log = transactions::parse(text)
        .map_err(|lines| Refused::Lines(lines.iter().map(ToString::to_string).collect()))?;
    let program = crate::server::store::programs::get(db, source.program_id).await?;
    if !program.active {
        return Err(Refused::App(AppError::ProgramInactive));
    }
    let exponent = crate::domain::currency::exponent(&program.currency_code).unwrap_or(2);
    let today = db.now().date();
    let days = purchases(&log, exponent, today).map_err(Refused::Lines)?;
    let (Some(first), Some(last)) = (days.keys().next().copied(), days.keys().next_back().copied()) else {
        return Err(Refused::Lines(vec!["the file has no purchases".into()]));
    };
    // History goes before the program's own orders.
    let end_of_last = Timestamp::start_of(last).0 + SECONDS_PER_DAY;
    let own: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM orders WHERE program_id = $1 AND created_at < $2 \
         AND channel_order_id NOT LIKE 'import:%'",
    )
    .bind(source.program_id)
    .bind(end_of_last)
    .fetch_one(&db.pool)
    .await
    .map_err(AppError::from)?;
    if own > 0 {
        return Err(Refused::Lines(vec![format!(
            "the program has {own} orders of its own up to {last}: history is imported into a new program, \
             or one whose own orders began after the history ends"
        )]));
    }
    let kind = format!("external:{}", source.channel.as_str());
    let mut known: HashMap<String, MemberId> = sqlx::query_as::<_, (String, MemberId)>(
        "SELECT value, member_id FROM member_identifiers WHERE kind = $1",
    )
    .bind(&kind)
    .fetch_all(&db.pool)
    .await
    .map_err(AppError::from)?
    .into_iter()
    .collect();
    let mut made = Imported {
        customers: log.ids.len() as u64,
        new_members: log.ids.iter().filter(|id| !known.contains_key(*id)).count() as u64,
        orders: days.values().map(|d| d.len() as u64).sum(),
        first_day: Some(first),
        last_day: Some(last),
        ..Imported::default()
    };
    if check_only {
        return Ok(made);
    }
    // Orders an earlier run booked are not sent again; history of another channel in the
    // program would be the same purchases twice.
    let earlier: Vec<(String, String)> = sqlx::query_as(
        "SELECT channel, channel_order_id FROM orders WHERE program_id = $1 AND channel_order_id LIKE 'import:%'",
    )
    .bind(source.program_id)
    .fetch_all(&db.pool)
    .await
    .map_err(AppError::from)?;
    if let Some((other, _)) = earlier.iter().find(|(c, _)| c != source.channel.as_str()) {
        return Err(Refused::Lines(vec![format!(
            "the program already has history imported for the {other} channel: import with --channel {other}"
        )]));
    }
    let done: HashSet<String> = earlier.into_iter().map(|(_, id)| id).collect();
    let result = book_days(db, source, &days, &mut known, &done, &kind, tick).await;
    db.clock().stop_at(None);
    let result = result?;
    let now = db.now();
    crate::server::jobs::run_for_program(db, source.program_id, now).await?;
    rollups::catch_up(db).await?;
    // Too little history is said on the Customer value page; it is not a failed import.
    if let Err(e) = customer_value::fit(db, source.program_id, now).await {
        tracing::info!(error = %e, "no customer value fit after the import");
    }
    let (booked, points) = result;
    made.booked = booked;
    made.points = points;
    Ok(made)
}

/// Each day in turn on the clock stopped at its noon (UTC): its new customers enrolled (with
/// their external id), its orders booked, then the program's jobs at its end.
async fn book_days(
    db: &Db,
    source: &Source,
    days: &BTreeMap<NaiveDate, Vec<Purchase<'_>>>,
    known: &mut HashMap<String, MemberId>,
    done: &HashSet<String>,
    kind: &str,
    tick: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<(u64, i64), AppError> {
    let (mut booked, mut points) = (0, 0);
    // Card numbers drawn afresh: a second run (or a second file) must not draw the first's.
    let mut rng = rand_chacha::ChaCha8Rng::from_entropy();
    let total = days.len() as u64;
    for (n, (day, purchases)) in days.iter().enumerate() {
        let noon = Timestamp(Timestamp::start_of(*day).0 + SECONDS_PER_DAY / 2);
        db.clock().stop_at(Some(noon));
        let new: Vec<&str> = purchases
            .iter()
            .map(|p| p.0)
            .filter(|id| !known.contains_key(*id))
            .collect();
        if !new.is_empty() {
            let rows: Vec<NewMember> = new
                .iter()
                .map(|id| NewMember {
                    name: format!("Customer {id}"),
                    email: None,
                    referred_by: None,
                    joined_at: noon,
                    channel: source.channel,
                    store_id: None,
                    birth_date: None,
                })
                .collect();
            let mut tx = db.begin_write().await?;
            let ids = enrolment::enrol_many(&mut tx, source.program_id, &rows, &mut rng).await?;
            for (id, (member_id, _)) in new.iter().zip(&ids) {
                sqlx::query(
                    "INSERT INTO member_identifiers (member_id, kind, value, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(member_id)
                .bind(kind)
                .bind(*id)
                .bind(noon.0)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            for (id, (member_id, _)) in new.iter().zip(ids) {
                known.insert(id.to_string(), member_id);
            }
        }
        for (customer, day, amount_minor) in purchases {
            let id = order_id(customer, *day);
            if done.contains(&id) {
                continue;
            }
            let member_id = known[*customer];
            // A customer known from another program's import joins this one now.
            if crate::server::service::members::membership_id(db, member_id, source.program_id)
                .await
                .is_err()
            {
                crate::server::service::members::join(db, member_id, source.program_id).await?;
            }
            let input = OrderInput {
                channel: source.channel,
                channel_order_id: id,
                amount_minor: *amount_minor,
                lines: Vec::new(),
                store: None,
                receipt: None,
                occurred_at: Some(noon),
            };
            let receipt = orders::record_order(db, source.program_id, member_id, &input, None).await?;
            booked += 1;
            points += receipt.points;
        }
        crate::server::jobs::run_for_program(
            db,
            source.program_id,
            Timestamp(noon.0 + SECONDS_PER_DAY / 2 - 1),
        )
        .await?;
        tick(n as u64 + 1, total);
    }
    Ok((booked, points))
}
