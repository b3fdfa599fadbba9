//! What a booking reads of a program's setup (the program, its tiers, its active earning
//! rules and stamp cards, the stamps its campaigns give, and the active webhook endpoints), kept in memory and checked
//! against `setup_epoch`, a number every change to those tables moves by trigger (migration
//! 10). A booking reads that one number instead of five tables, and a change made on any
//! server is seen by the next request on every server.

use crate::model::ids::ProgramId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::AppError;
use crate::model::card::StampCard;
use crate::model::program::{Program, Tier};
use crate::model::rules::EarningRule;
use crate::model::time::Timestamp;
use crate::server::db::Db;
use crate::server::webhooks;

use super::stamps::StampBonus;
use super::{campaigns, rules, stamps};
use crate::server::store::programs;

/// One program's setup as bookings use it.
pub struct Setup {
    pub program: Program,
    /// By threshold, lowest first.
    pub tiers: Vec<Tier>,
    /// Active rules, in evaluation order. Budget figures are as loaded: bookings charge
    /// budgets with a conditional update, and lock them when that finds them moved.
    pub rules: Vec<EarningRule>,
    /// Active stamp cards.
    pub stamp_cards: Vec<StampCard>,
    /// Stamps that launched campaigns give on orders (checked against each order's date).
    pub stamp_bonuses: Vec<StampBonus>,
    /// Active webhook endpoints: (id, space-separated event types).
    pub endpoints: Arc<Vec<(i64, String)>>,
    /// The program's time zone and the stores': rules' days and hours are local.
    pub zones: Zones,
}

/// The time zones an event's local time is read in: its store's, else the program's.
pub struct Zones {
    program: chrono_tz::Tz,
    /// By store code in capitals (codes are kept so; events may name them in any case).
    stores: HashMap<String, chrono_tz::Tz>,
}

impl Zones {
    /// Local time minus UTC at `at`, in seconds, where an event in `store` (or none) happens.
    pub fn offset_secs(&self, store: Option<&str>, at: Timestamp) -> i32 {
        use chrono::{Offset, TimeZone};
        let zone = store
            .and_then(|code| self.stores.get(&code.to_ascii_uppercase()))
            .unwrap_or(&self.program);
        let utc = chrono::DateTime::from_timestamp(at.0, 0)
            .unwrap_or_default()
            .naive_utc();
        zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()
    }

    /// `event` with its local offset set.
    pub fn localise(&self, event: &mut crate::model::rules::EarnEvent) {
        event.utc_offset_secs = self.offset_secs(event.store.as_deref(), event.occurred_at);
    }

    async fn load(conn: &mut sqlx::AnyConnection, program_id: ProgramId) -> Result<Self, AppError> {
        let parse = |name: &str| name.parse().unwrap_or(chrono_tz::UTC);
        let program: Option<String> =
            sqlx::query_scalar("SELECT time_zone FROM message_settings WHERE program_id = $1")
                .bind(program_id)
                .fetch_optional(&mut *conn)
                .await?;
        let stores: Vec<(String, String)> = sqlx::query_as("SELECT code, time_zone FROM stores")
            .fetch_all(&mut *conn)
            .await?;
        Ok(Self {
            program: program.as_deref().map(parse).unwrap_or(chrono_tz::UTC),
            stores: stores
                .into_iter()
                .map(|(code, zone)| (code.to_ascii_uppercase(), parse(&zone)))
                .collect(),
        })
    }
}

/// The setups loaded at one epoch.
#[derive(Default)]
pub struct SetupCache {
    at: Mutex<Loaded>,
}

#[derive(Default)]
struct Loaded {
    epoch: i64,
    programs: HashMap<ProgramId, Arc<Setup>>,
    endpoints: Option<Arc<Vec<(i64, String)>>>,
}

/// The setup epoch as one request read it. A channel request reads it with its API key
/// (`api_keys::authenticate`), so its booking need not read it again: what it loads is at
/// least as new as the moment the request began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(pub i64);

/// The column that reads the epoch inside another statement.
pub const EPOCH_COLUMN: &str = "(SELECT epoch FROM setup_epoch WHERE id = 1)";

async fn epoch_now(db: &Db) -> Result<Epoch, AppError> {
    Ok(Epoch(
        sqlx::query_scalar(&format!("SELECT {EPOCH_COLUMN}"))
            .fetch_one(&db.pool)
            .await?,
    ))
}

/// The setup of a program bookings may go to: unknown programs are `not found`, inactive
/// ones refused. `seen` is the epoch the request already read, if it did.
pub async fn active(db: &Db, program_id: ProgramId, seen: Option<Epoch>) -> Result<Arc<Setup>, AppError> {
    let setup = current(db, program_id, seen).await?;
    if !setup.program.active {
        return Err(AppError::ProgramInactive);
    }
    Ok(setup)
}

/// A program's setup as it stands now, or as of the epoch the request read (an unknown
/// program is `not found`).
pub async fn current(db: &Db, program_id: ProgramId, seen: Option<Epoch>) -> Result<Arc<Setup>, AppError> {
    let cache = db.cached::<SetupCache>();
    let Epoch(epoch) = match seen {
        Some(e) => e,
        None => epoch_now(db).await?,
    };
    let endpoints = {
        let mut loaded = cache.at.lock().unwrap_or_else(|p| p.into_inner());
        if seen.is_none() && loaded.epoch > epoch {
            // Read just now and lower than what is kept: the database went back (restored
            // from a copy), so what is kept is not of it.
            *loaded = Loaded::default();
        }
        // Loaded at this epoch or a later one: at least as new as the request needs.
        if loaded.epoch >= epoch {
            if let Some(setup) = loaded.programs.get(&program_id) {
                return Ok(setup.clone());
            }
            loaded.endpoints.clone()
        } else {
            None
        }
    };
    // Read after the epoch, so what is loaded is at least as new as the epoch it is kept
    // under (a change committed meanwhile moved the epoch: the next request reloads).
    let program = programs::get(db, program_id).await?;
    let tiers = programs::tiers(db, program_id).await?;
    // One pooled connection at a time: a request holding one while it waits for another
    // would starve the pool under load.
    let mut conn = db.pool.acquire().await?;
    let endpoints = match endpoints {
        Some(e) => e,
        None => Arc::new(webhooks::active_endpoints(&mut conn).await?),
    };
    let setup = Arc::new(Setup {
        program,
        tiers,
        rules: rules::for_booking(&mut conn, program_id).await?,
        stamp_cards: stamps::active_cards(&mut conn, program_id).await?,
        // Orders may be dated back: a campaign that ended within that window still counts.
        stamp_bonuses: campaigns::stamp_bonuses(
            &mut conn,
            program_id,
            Timestamp(db.now().0 - crate::domain::forms::order::MAX_BACKDATE_SECS),
        )
        .await?,
        endpoints: endpoints.clone(),
        zones: Zones::load(&mut conn, program_id).await?,
    });
    drop(conn);
    let mut loaded = cache.at.lock().unwrap_or_else(|p| p.into_inner());
    if loaded.epoch < epoch {
        *loaded = Loaded {
            epoch,
            ..Loaded::default()
        };
    }
    if loaded.epoch == epoch {
        loaded.endpoints = Some(endpoints);
        loaded.programs.insert(program_id, setup.clone());
    }
    Ok(setup)
}
