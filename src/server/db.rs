//! The database: SQLite by default, PostgreSQL when `DATABASE_URL` says so. One `AnyPool`
//! serves both, with portable SQL (`$1` placeholders, BIGINT times, `RETURNING`); each
//! dialect has its own migration folder describing the same schema.

use std::sync::Arc;

use sqlx::any::install_default_drivers;
use sqlx::AnyConnection;
use tokio::sync::Mutex;

mod database;
mod group_commit;
pub use database::{Backend, Clock, Database, Durability, WriteTx};
pub use group_commit::{Batch, BookTogether, Committed, ConnFuture, Step};

use database::{pool_options, Connections};

/// A database with its group-commit writer. It derefs to the `Database` (`db.pool`,
/// `db.now()`, `db.begin_write()`).
#[derive(Clone)]
pub struct Db {
    database: Database,
    /// The group commit's writer (`write`, `write_together`); None when it could not start.
    queue: Option<group_commit::Queue>,
}

impl std::ops::Deref for Db {
    type Target = Database;
    fn deref(&self) -> &Database {
        &self.database
    }
}

impl Db {
    /// Connects, creating the SQLite file (and its folder) on first start, and runs migrations.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        Db::connect_with(url, Durability::Full).await
    }

    /// `connect` with a choice of how durable each commit is (`Durability::Bulk` for loads
    /// that a re-run completes).
    pub async fn connect_with(url: &str, durability: Durability) -> Result<Self, sqlx::Error> {
        install_default_drivers();
        let backend = Backend::from_url(url).map_err(|e| sqlx::Error::Configuration(e.into()))?;
        if backend == Backend::Sqlite {
            ensure_sqlite_folder(url);
        }
        // Each connection to `:memory:` is a database of its own: keep exactly one, forever.
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = pool_options(
            backend,
            if memory {
                Connections::Memory
            } else {
                Connections::Shared
            },
            durability,
        );
        let pool = options.connect_with(database::connect_options(url)?).await?;
        let database = Database {
            pool,
            backend,
            durability,
            writer: Arc::new(Mutex::new(())),
            caches: Arc::default(),
            clock: Arc::default(),
        };
        database.migrate().await?;
        // The writer books on a `Database` of its own, with no queue: it ends with the last
        // `Db` holding the queue.
        let queue = group_commit::Queue::start(database.clone(), (!memory).then(|| url.to_string()));
        Ok(Db { database, queue })
    }

    /// Another handle on this database that shares none of its in-memory caches, as a second
    /// server's would (it books without a group-commit writer): for tests of what two servers
    /// see.
    pub fn second_server(&self) -> Db {
        let mut database = self.database.clone();
        database.caches = Arc::default();
        Db {
            database,
            queue: None,
        }
    }

    /// What this process's writer has committed (all zero when no writer runs).
    pub fn committed(&self) -> Committed {
        self.queue
            .as_ref()
            .map_or_else(Default::default, |q| q.committed())
    }
}

/// Runs `work` in a write transaction and commits it, answering with its result. `work`
/// may run twice: after `Step::Again` it runs once more, told so by its second argument
/// (`careful`), so it takes what it needs by clone. An `Err` undoes everything it wrote.
pub async fn write<T, F>(db: &Db, work: F) -> Result<T, crate::error::AppError>
where
    T: Send + 'static,
    F: for<'c> FnMut(&'c mut AnyConnection, bool) -> ConnFuture<'c, Result<Step<T>, crate::error::AppError>>
        + Send
        + 'static,
{
    group_commit::write(&db.database, db.queue.as_ref(), work).await
}

/// `write` for an item that the writer may book together with others of its kind queued
/// at the same time (`together`); `work` books it alone: without a writer, when `together`
/// leaves it out, or when booking them together did not work out.
pub async fn write_together<I, T, F>(
    db: &Db,
    item: Arc<I>,
    together: BookTogether<I, T>,
    work: F,
) -> Result<T, crate::error::AppError>
where
    I: Send + Sync + 'static,
    T: Send + 'static,
    F: for<'c> FnMut(&'c mut AnyConnection, bool) -> ConnFuture<'c, Result<Step<T>, crate::error::AppError>>
        + Send
        + 'static,
{
    group_commit::write_together(&db.database, db.queue.as_ref(), item, together, work).await
}

fn ensure_sqlite_folder(url: &str) {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return;
    }
    if let Some(dir) = std::path::Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            let _ = std::fs::create_dir_all(dir);
        }
    }
}

/// The rows of a multi-row VALUES list: `rows` tuples of `columns` numbered parameters,
/// "($1, $2), ($3, $4)", bound row after row.
pub fn values(rows: usize, columns: usize) -> String {
    values_after(0, rows, columns)
}

/// On SQLite, `sql` with its numbered parameters `$1..$n` written as plain `?`, when each
/// appears once and in order (as `values` writes them); otherwise, and on PostgreSQL,
/// unchanged. sqlx asks SQLite the name of every parameter it binds, and SQLite finds a named
/// one (`$7`) by scanning the statement's list of names, so binding a multi-row insert costs
/// the square of its parameters (a tenth of the booking writer's CPU in the profile); plain
/// `?` have no name to look for. For statements with no `$` inside a literal.
pub fn positional(conn: &AnyConnection, sql: String) -> String {
    match conn.backend_name() {
        "SQLite" => unnumbered(sql),
        _ => sql,
    }
}

/// `sql` with `$1..$n` as `?` when they come once each in order; else `sql` as it was.
fn unnumbered(sql: String) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let (mut next, mut i, mut copied) = (1usize, 0usize, 0usize);
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits = bytes[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
            let n: Option<usize> = sql[i + 1..i + 1 + digits].parse().ok();
            if n != Some(next) {
                return sql;
            }
            out.push_str(&sql[copied..i]);
            out.push('?');
            next += 1;
            i += 1 + digits;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&sql[copied..]);
    out
}

/// A list of `count` numbered parameters from `$first` on, "$3, $4, $5", for `IN (...)`.
pub fn params(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `values` for parameters that follow `before` others in the same statement.
pub fn values_after(before: usize, rows: usize, columns: usize) -> String {
    let row = |r: usize| {
        let params: Vec<String> = (1..=columns)
            .map(|c| format!("${}", before + r * columns + c))
            .collect();
        format!("({})", params.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

/// Deletes the rows of `table` whose `column` is one of `ids`, 400 to a statement (both
/// backends' limits on parameters are far above that).
pub async fn delete_in(
    conn: &mut AnyConnection,
    table: &'static str,
    column: &'static str,
    ids: &[i64],
) -> Result<(), crate::error::AppError> {
    for chunk in ids.chunks(400) {
        let sql = format!(
            "DELETE FROM {table} WHERE {column} IN ({})",
            params(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A role as stored in `users.role`; an unknown one is a fault of the data, logged.
pub fn role_of(s: &str) -> Result<crate::model::user::Role, crate::error::AppError> {
    crate::model::user::Role::parse(s).ok_or_else(|| {
        tracing::error!(role = s, "unknown role in database");
        crate::error::AppError::Internal
    })
}

/// True when `err` is a unique-constraint violation on `constraint`. PostgreSQL names the
/// constraint; SQLite only reports "UNIQUE constraint failed: table.column", so `columns`
/// ("users.email") is matched against that message.
pub fn is_unique_violation(err: &sqlx::Error, constraint: &str, columns: &str) -> bool {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            db.constraint() == Some(constraint) || db.message().contains(columns)
        }
        _ => false,
    }
}

/// `work`, tried again (up to three times) while it fails in a way `passing` says may pass
/// (a clash with another transaction, `try_again`); any other answer at once.
pub async fn retried<T, F, Fut>(
    passing: impl Fn(&crate::error::AppError) -> bool,
    mut work: F,
) -> Result<T, crate::error::AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, crate::error::AppError>>,
{
    let mut tries = 0;
    loop {
        match work().await {
            Err(e) if tries < 3 && passing(&e) => {
                tracing::warn!(error = %e, "tried again");
                tries += 1;
            }
            done => return done,
        }
    }
}

/// A clash with another transaction (a deadlock, a lock timeout): the work sent again is
/// expected to go through.
pub fn clashed(e: &crate::error::AppError) -> bool {
    e.code() == "try_again"
}

/// Whether a database error is a passing clash with another transaction: PostgreSQL's lock
/// timeout (55P03), serialization failure (40001) or deadlock (40P01), SQLite's busy or locked
/// database. The same request sent again is expected to go through.
pub fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("55P03" | "40001" | "40P01" | "5" | "6" | "261" | "262" | "517" | "773")
        ),
        sqlx::Error::PoolTimedOut => true,
        _ => false,
    }
}

/// Database failures reach the client as `internal` with no text (the detail is logged
/// here), except passing clashes with other transactions, which are `try_again`.
impl From<sqlx::Error> for crate::error::AppError {
    fn from(err: sqlx::Error) -> Self {
        if is_transient(&err) {
            tracing::warn!(error = %err, "database busy; the client is told to try again");
            return crate::error::AppError::try_again(
                "The database was busy with another request for the same data. Send the request again.",
            );
        }
        tracing::error!(error = %err, "database error");
        crate::error::AppError::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::unnumbered;

    #[test]
    fn numbered_parameters_in_order_become_plain() {
        let s = |t: &str| unnumbered(t.to_string());
        assert_eq!(
            s("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(s("SELECT 1"), "SELECT 1");
        assert_eq!(
            s("UPDATE t SET a = $1 WHERE b = $10"),
            "UPDATE t SET a = $1 WHERE b = $10",
            "a gap"
        );
        assert_eq!(s("SELECT $2, $1"), "SELECT $2, $1", "out of order");
        assert_eq!(s("SELECT $1, $1"), "SELECT $1, $1", "used twice");
        assert_eq!(
            s("SELECT $1 || '$'"),
            "SELECT $1 || '$'",
            "a lone $ is no parameter"
        );
        assert_eq!(
            s("VALUES ($9), ($10), ($11)"),
            "VALUES ($9), ($10), ($11)",
            "not from $1"
        );
        let many: Vec<String> = (1..=12).map(|i| format!("${i}")).collect();
        assert_eq!(s(&many.join(",")), ["?"; 12].join(","));
    }
}
