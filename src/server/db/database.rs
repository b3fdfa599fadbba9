//! A database without its writer: the pool, the backend, this process's write turn (SQLite),
//! the clock and the caches. `Db` is this with the group-commit writer's queue; the writer
//! books on a `Database` of its own, so neither names the other.

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(format!(
                "DATABASE_URL must start with sqlite: or postgres://, got {url:?}"
            ))
        }
    }
}

/// A database: its pool, its backend, this process's write turn, its clock and caches.
#[derive(Clone)]
pub struct Database {
    pub pool: AnyPool,
    pub backend: Backend,
    pub durability: Durability,
    /// SQLite has one writer at a time. Writers of this process queue here, in order, instead
    /// of in SQLite's busy handler, which sleeps in steps of up to 100 ms and turned a 2 ms
    /// wait into a 200 ms tail under load. (Other processes still meet the busy timeout.)
    pub(super) writer: Arc<Mutex<()>>,
    /// What time it is for this database's bookings and jobs: the system clock, moved by
    /// tests (`Clock::advance`) instead of rewriting stored times.
    pub(super) clock: Arc<Clock>,
    /// Caches kept per database by the modules that read it (program setups as bookings
    /// read them, say), one of each type: `cached`. The database names none of them.
    pub(super) caches: Arc<Caches>,
}

/// The time bookings and jobs see: the system's, plus an offset that tests set to move a
/// whole app into the future (a return window closing, points expiring) the way it would
/// get there, instead of rewriting stored times.
#[derive(Debug)]
pub struct Clock {
    offset_secs: std::sync::atomic::AtomicI64,
    /// A time the clock stands still at (`i64::MIN`: it runs).
    stopped_at: std::sync::atomic::AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset_secs: Default::default(),
            stopped_at: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }
}

impl Clock {
    pub fn now(&self) -> crate::model::time::Timestamp {
        let stopped = self.stopped_at.load(std::sync::atomic::Ordering::Relaxed);
        if stopped != i64::MIN {
            return crate::model::time::Timestamp(stopped);
        }
        let offset = self.offset_secs.load(std::sync::atomic::Ordering::Relaxed);
        crate::model::time::Timestamp(crate::model::time::Timestamp::now().0 + offset)
    }

    /// Stops the clock at `at` (the demo generator books an hour of history at one time,
    /// however long the booking takes), or with None lets it run again where it was.
    pub fn stop_at(&self, at: Option<crate::model::time::Timestamp>) {
        let at = at.map_or(i64::MIN, |t| t.0);
        self.stopped_at.store(at, std::sync::atomic::Ordering::Relaxed);
    }

    /// Moves the clock forward (or back, with a negative number) by `secs`.
    pub fn advance(&self, secs: i64) {
        self.offset_secs
            .fetch_add(secs, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The caches of `Database::cached`, by type.
#[derive(Default)]
pub(super) struct Caches(
    std::sync::Mutex<std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>,
);

/// A write transaction; on SQLite it also holds this process's writer turn until it ends.
/// Derefs to the connection, so `&mut tx` goes wherever a `&mut AnyConnection` is expected.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Database {
    /// This database with a pool of one connection of its own to the same database, for the
    /// writer. It connects on first use, from the runtime that uses it (the writer's), and
    /// again whenever its connection is lost.
    pub(super) fn with_own_connection(&self, url: &str) -> Result<Database, sqlx::Error> {
        Ok(Database {
            pool: pool_options(self.backend, Connections::Writer, self.durability)
                .connect_lazy_with(connect_options(url)?),
            ..self.clone()
        })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))
    }

    /// Now, as this database's clock tells it.
    pub fn now(&self) -> crate::model::time::Timestamp {
        self.clock.now()
    }

    /// The clock `now` reads, shared by every handle of the database.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// This database's cache of type `T`, made on first use and shared by every handle of
    /// the database (and the writer's).
    pub fn cached<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let mut caches = self.caches.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = caches
            .entry(std::any::TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()) as Arc<dyn std::any::Any + Send + Sync>);
        entry
            .clone()
            .downcast::<T>()
            .unwrap_or_else(|_| Arc::new(T::default()))
    }

    /// A transaction that will write. On SQLite it takes the write lock at BEGIN, so two
    /// writers queue on the busy timeout instead of failing when a read lock is upgraded.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.writer.clone().lock_owned().await;
                Ok(WriteTx {
                    tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: Some(turn),
                })
            }
            Backend::Postgres => Ok(WriteTx {
                tx: self.pool.begin().await?,
                _turn: None,
            }),
        }
    }

    /// Waits until every commit so far is on disk, whatever `Durability` they were made with:
    /// the end of a bulk load. SQLite: a full checkpoint (with `synchronous = NORMAL` the
    /// log is synced before it is copied into the database file, which is synced too).
    /// PostgreSQL: a transaction that is given an id commits synchronously, which flushes
    /// the log up to its commit record, the earlier asynchronous commits included.
    pub async fn make_durable(&self) -> Result<(), sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(FULL)")
                    .fetch_one(&self.pool)
                    .await?;
                if busy != 0 {
                    return Err(sqlx::Error::Protocol(
                        "the checkpoint was kept from finishing by a reader or writer".into(),
                    ));
                }
            }
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SET LOCAL synchronous_commit = on")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("SELECT CAST(txid_current() AS BIGINT)")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// `begin_write` for a group of bookings, with the savepoint `booking` open when that
    /// costs nothing more: on PostgreSQL `BEGIN; SAVEPOINT booking` goes in one round trip
    /// (the writer is bound by round trips there, one per statement). True when it is open.
    pub async fn begin_group(&self) -> Result<(WriteTx, bool), sqlx::Error> {
        match self.backend {
            Backend::Sqlite => Ok((self.begin_write().await?, false)),
            Backend::Postgres => Ok((
                WriteTx {
                    tx: self.pool.begin_with("BEGIN; SAVEPOINT booking").await?,
                    _turn: None,
                },
                true,
            )),
        }
    }
}

/// The connection options of `url`. Statements slower than `OMNILOYAL_SLOW_QUERY_MS`
/// (1000 unless set) are logged as warnings with their text and time: a lower value while
/// profiling shows which queries a workload waits on.
pub(super) fn connect_options(url: &str) -> Result<sqlx::any::AnyConnectOptions, sqlx::Error> {
    use sqlx::ConnectOptions;
    let options: sqlx::any::AnyConnectOptions = url.parse()?;
    let ms = match std::env::var("OMNILOYAL_SLOW_QUERY_MS") {
        Ok(v) => v.parse::<u64>().map_err(|_| {
            sqlx::Error::Configuration(
                format!("OMNILOYAL_SLOW_QUERY_MS must be milliseconds, got {v:?}").into(),
            )
        })?,
        Err(_) => 1000,
    };
    Ok(options.log_slow_statements(log::LevelFilter::Warn, Duration::from_millis(ms)))
}

/// How durable a commit is when the database answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// On disk before the commit returns: what a till is told "booked" can survive a power
    /// cut (SQLite `synchronous = FULL`, PostgreSQL's default).
    Full,
    /// Consistent after a crash but perhaps without the last commits (SQLite `synchronous =
    /// NORMAL` under WAL, PostgreSQL `synchronous_commit = off`): for bulk loads (the demo
    /// generator, a history import) that a re-run completes. A commit then waits for no
    /// disk flush, which was most of a generated hour's time.
    Bulk,
}

/// How many connections a pool has.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Connections {
    /// The server's pool.
    Shared,
    /// One, kept for good: an in-memory database's only connection.
    Memory,
    /// One, opened on first use and kept: the writer's own (on SQLite its page cache stays
    /// warm from one group to the next).
    Writer,
}

pub(super) fn pool_options(
    backend: Backend,
    connections: Connections,
    durability: Durability,
) -> AnyPoolOptions {
    let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
    let options = if connections != Connections::Shared {
        options
            .max_connections(1)
            // Without a minimum, no pool task is started on the runtime that builds the pool.
            .min_connections(u32::from(connections == Connections::Memory))
            .idle_timeout(None)
            .max_lifetime(None)
    } else if backend == Backend::Sqlite {
        // One writer at a time is SQLite's nature; readers run beside it under WAL.
        options
            .max_connections(8)
            .idle_timeout(Some(Duration::from_secs(600)))
            .max_lifetime(Some(Duration::from_secs(1800)))
    } else {
        // With the writer's own, 16 connections to the server per process.
        options.max_connections(15)
    };
    match backend {
        Backend::Sqlite => options.after_connect(move |conn, _| {
            let synchronous = match durability {
                Durability::Full => "FULL",
                Durability::Bulk => "NORMAL",
            };
            Box::pin(async move {
                // synchronous = FULL: a commit is on disk before the till hears "booked"
                // (NORMAL could lose the last bookings on power loss; bulk loads take it,
                // see `Durability`). mmap_size: reads map
                // the file's pages instead of copying them in, which every connection does
                // again after each commit. temp_store: a statement that writes many rows
                // inside a savepoint keeps its statement journal in memory; on disk it was
                // a file created and deleted per batch of orders.
                conn.execute(
                    format!(
                        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 5000; PRAGMA synchronous = {synchronous}; \
                         PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;"
                    )
                    .as_str(),
                )
                .await?;
                Ok(())
            })
        }),
        // No request waits more than 10 s for a row lock (a retry of an Idempotency-Key
        // waits on the first request's claim): it is told to retry instead, and the pooled
        // connection is freed. Set once per connection, not per transaction.
        Backend::Postgres => options.after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute("SET lock_timeout = '10s'").await?;
                if durability == Durability::Bulk {
                    conn.execute("SET synchronous_commit = off").await?;
                }
                Ok(())
            })
        }),
    }
}
