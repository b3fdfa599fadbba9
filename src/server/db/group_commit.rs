//! Group commit for SQLite's one writer. Bookings are queued to a writer thread that books
//! everything queued at that moment in one transaction, each booking in a savepoint of its
//! own, and answers them once that transaction is on disk. A burst of bookings then shares
//! one BEGIN/COMMIT and one fsync instead of passing the write lock from task to task.
//!
//! The thread runs its own single-threaded runtime: SQLite answers each statement from the
//! connection's worker thread, and a task woken from outside a busy multi-threaded runtime
//! waits in its global queue behind the request tasks, while the write lock is held. Here
//! nothing else runs, so the booking goes on at once.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use sqlx::{AnyConnection, Executor};
use tokio::sync::{mpsc, oneshot};

use crate::error::AppError;

use super::Db;

/// Most bookings in one transaction; the rest wait for the next one.
const MAX_GROUP: usize = 64;

/// A future borrowing the transaction's connection.
pub type ConnFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// What one run of a piece of work ends in.
pub enum Step<T> {
    /// Keep what it wrote; the caller gets this once it is committed.
    Done(T),
    /// Undo what it wrote and answer this (a key found taken at the end of a booking).
    Undone(T),
    /// Undo what it wrote and run it again (a booking that found a budget moved).
    Again,
}

type Erased = Box<dyn Any + Send>;
type Work = Box<
    dyn for<'c> FnMut(&'c mut AnyConnection, bool) -> ConnFuture<'c, Result<Step<Erased>, AppError>> + Send,
>;

struct Job {
    work: Work,
    answer: oneshot::Sender<Result<Erased, AppError>>,
}

/// The queue to the writer thread.
#[derive(Clone)]
pub(super) struct Queue(mpsc::UnboundedSender<Job>);

impl Queue {
    /// Starts the writer thread; it ends when the last `Db` holding this queue is dropped.
    /// None when no thread could be started: each write then has a transaction of its own.
    pub(super) fn start(db: Db) -> Option<Self> {
        let (send, receive) = mpsc::unbounded_channel();
        let started = std::thread::Builder::new()
            .name("omniloyal-writer".into())
            .spawn(move || {
                // No I/O driver: SQLite needs none, and the thread then sleeps on a futex.
                match tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                {
                    Ok(rt) => rt.block_on(writer(db, receive)),
                    Err(e) => tracing::error!(error = %e, "no runtime for the writer thread"),
                }
            });
        match started {
            Ok(_) => Some(Queue(send)),
            Err(e) => {
                tracing::error!(error = %e, "could not start the writer thread");
                None
            }
        }
    }
}

/// Runs `work` in a write transaction and commits it, answering with its result. `work`
/// may run twice: after `Step::Again` it runs once more, told so by its second argument
/// (`careful`), so it takes what it needs by clone. An `Err` undoes everything it wrote.
pub async fn write<T, F>(db: &Db, mut work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: for<'c> FnMut(&'c mut AnyConnection, bool) -> ConnFuture<'c, Result<Step<T>, AppError>>
        + Send
        + 'static,
{
    let Some(queue) = db.queue.as_ref() else {
        return write_alone(db, &mut work).await;
    };
    let erased: Work = Box::new(move |conn, careful| {
        let run = work(conn, careful);
        Box::pin(async move {
            Ok(match run.await? {
                Step::Done(v) => Step::Done(Box::new(v) as Erased),
                Step::Undone(v) => Step::Undone(Box::new(v) as Erased),
                Step::Again => Step::Again,
            })
        })
    });
    let (answer, answered) = oneshot::channel();
    if queue.0.send(Job { work: erased, answer }).is_err() {
        tracing::error!("the writer thread is gone");
        return Err(AppError::Internal);
    }
    let value = answered.await.map_err(|_| AppError::Internal)??;
    value.downcast::<T>().map(|v| *v).map_err(|_| AppError::Internal)
}

/// One transaction for one piece of work: on PostgreSQL, where connections run side by
/// side (one writer of its own there was measured no faster, and slower to answer at half
/// load), and wherever no writer thread runs.
async fn write_alone<T, F>(db: &Db, work: &mut F) -> Result<T, AppError>
where
    F: for<'c> FnMut(&'c mut AnyConnection, bool) -> ConnFuture<'c, Result<Step<T>, AppError>>,
{
    for careful in [false, true] {
        let mut tx = db.begin_write().await?;
        match work(&mut tx, careful).await? {
            Step::Done(v) => {
                tx.commit().await?;
                return Ok(v);
            }
            Step::Undone(v) => {
                tx.rollback().await?;
                return Ok(v);
            }
            Step::Again => tx.rollback().await?,
        }
    }
    tracing::error!("a booking asked to run again twice");
    Err(AppError::Internal)
}

async fn writer(db: Db, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut group, MAX_GROUP).await > 0 {
        // A task of its own, so a panicking booking costs its group (whose callers hear
        // `internal` as their answers are dropped, and whose transaction rolls back), not
        // the writer.
        let db = db.clone();
        let group = std::mem::take(&mut group);
        match tokio::spawn(async move { book_group(&db, group).await }).await {
            Ok(answers) => {
                for (answer, result) in answers {
                    let _ = answer.send(result); // a caller that gave up has nobody to tell
                }
            }
            Err(e) => tracing::error!(error = %e, "a group of bookings panicked"),
        }
    }
}

/// Books a group in one transaction; the answers are given after its commit.
async fn book_group(
    db: &Db,
    group: Vec<Job>,
) -> Vec<(
    oneshot::Sender<Result<Erased, AppError>>,
    Result<Erased, AppError>,
)> {
    let mut answers = Vec::with_capacity(group.len());
    let mut tx = match db.begin_write().await {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "could not begin a group");
            return group
                .into_iter()
                .map(|j| (j.answer, Err(AppError::Internal)))
                .collect();
        }
    };
    let mut broken = false;
    let mut first = true;
    for mut job in group {
        if broken {
            answers.push((job.answer, Err(AppError::Internal)));
            continue;
        }
        let result = match run_in_savepoint(&mut tx, &mut job.work, first).await {
            Ok(r) => r,
            Err(e) => {
                // The savepoint could not be rolled back: the whole group is undone.
                tracing::error!(error = %e, "a savepoint failed; the group is rolled back");
                broken = true;
                Err(AppError::Internal)
            }
        };
        first = false;
        answers.push((job.answer, result));
    }
    let committed = if broken {
        let _ = tx.rollback().await;
        false
    } else {
        match tx.commit().await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "a group did not commit");
                false
            }
        }
    };
    if !committed {
        for (_, result) in answers.iter_mut() {
            if result.is_ok() {
                *result = Err(AppError::Internal);
            }
        }
    }
    answers
}

/// Runs one job in its own savepoint: kept when done, rolled back on an error (which is
/// its answer) and before running again. One savepoint is open at a time: the one before
/// is released as the next is taken, in one round trip, and the commit releases the last.
/// The outer error is a savepoint that failed.
async fn run_in_savepoint(
    conn: &mut AnyConnection,
    work: &mut Work,
    first: bool,
) -> Result<Result<Erased, AppError>, sqlx::Error> {
    conn.execute(if first {
        "SAVEPOINT booking"
    } else {
        "RELEASE booking; SAVEPOINT booking"
    })
    .await?;
    for careful in [false, true] {
        let step = Spin(work(conn, careful)).await;
        match step {
            Ok(Step::Done(v)) => return Ok(Ok(v)),
            Ok(Step::Undone(v)) => {
                conn.execute("ROLLBACK TO booking").await?;
                return Ok(Ok(v));
            }
            Ok(Step::Again) => {
                conn.execute("ROLLBACK TO booking").await?;
            }
            Err(e) => {
                conn.execute("ROLLBACK TO booking").await?;
                return Ok(Err(e));
            }
        }
    }
    tracing::error!("a booking asked to run again twice");
    Ok(Err(AppError::Internal))
}

/// How long the writer polls a booking again before it sleeps: a statement's answer from
/// SQLite's worker thread usually comes within this, and waiting awake saves the writer a
/// sleep and a wake-up per statement while it holds the write lock (measured: about 15 %
/// more bookings per second than without; 250 µs gained nothing more).
const SPIN: std::time::Duration = std::time::Duration::from_micros(80);

/// Polls its future again for up to `SPIN` before answering Pending.
struct Spin<F>(F);

impl<F: Future + Unpin> Future for Spin<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        let started = std::time::Instant::now();
        loop {
            if let std::task::Poll::Ready(v) = Pin::new(&mut self.0).poll(cx) {
                return std::task::Poll::Ready(v);
            }
            if started.elapsed() >= SPIN {
                return std::task::Poll::Pending;
            }
            std::hint::spin_loop();
        }
    }
}
