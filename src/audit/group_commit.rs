//! Group commit of read events: the reads of concurrent requests are written together, in
//! one statement and one commit, and each request is answered only once its own events are
//! durable.
//!
//! One task owns the writing. A request hands it its events and waits; the task takes the
//! first request waiting, then everything else that queued meanwhile, and writes them all
//! as one multi-row `INSERT` in autocommit (a statement is its own transaction, and
//! PostgreSQL and SQLite in WAL mode return from it only after its commit is on disk). So
//! under load a commit serves as many requests as arrived while the previous one was
//! written, and alone a request waits for nothing but its own insert: no timer, no added
//! latency. Should the write fail, or the task be gone, every request of that batch gets the
//! error instead of its data: nothing read leaves unrecorded, even across `kill -9`.
//!
//! Writes do not come here: their event is part of the write's own transaction
//! (`Actor::record_write`).

use entity::audit_event;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::error::{AppError, AppResult};

/// Rows in one statement: PostgreSQL binds at most 65,535 values and SQLite 32,766, and an
/// event binds 12. A request never has more than a few dozen.
const MAX_ROWS: usize = 2_000;

/// Requests' events waiting for the writer, and the writer's answer to each.
struct Job {
    rows: Vec<audit_event::ActiveModel>,
    done: oneshot::Sender<Result<(), Failure>>,
}

/// Why a batch could not be written, as each of its requests reports it.
#[derive(Debug, Clone)]
enum Failure {
    Unavailable(String),
    Internal(String),
}

impl From<Failure> for AppError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Unavailable(cause) => AppError::Unavailable(DbErr::Custom(cause)),
            Failure::Internal(cause) => AppError::internal(cause),
        }
    }
}

/// The handle requests use; cheap to share. The writing task ends when every handle is gone.
#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::UnboundedSender<Job>,
}

impl AuditWriter {
    /// Starts the writing task on the current runtime.
    pub fn start(db: DatabaseConnection) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        tokio::spawn(run(db, jobs));
        Self { queue }
    }

    /// Files `rows` and returns once they are committed, with the rows of whichever other
    /// requests were waiting at the same time.
    pub async fn write(&self, rows: Vec<audit_event::ActiveModel>) -> AppResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (done, committed) = oneshot::channel();
        self.queue
            .send(Job { rows, done })
            .map_err(|_| AppError::internal("the audit writer has stopped"))?;
        match committed.await {
            Ok(result) => result.map_err(AppError::from),
            Err(_) => Err(AppError::internal(
                "the audit writer stopped before committing",
            )),
        }
    }
}

async fn run(db: DatabaseConnection, mut jobs: mpsc::UnboundedReceiver<Job>) {
    let mut carried: Option<Job> = None;
    loop {
        let first = match carried.take() {
            Some(job) => job,
            None => match jobs.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        let mut rows = first.rows.len();
        let mut batch = vec![first];
        while rows < MAX_ROWS {
            match jobs.try_recv() {
                Ok(job) if rows + job.rows.len() > MAX_ROWS => {
                    carried = Some(job);
                    break;
                }
                Ok(job) => {
                    rows += job.rows.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let mut all = Vec::with_capacity(rows);
        let mut waiting = Vec::with_capacity(batch.len());
        for job in batch {
            all.extend(job.rows);
            waiting.push(job.done);
        }
        let result = insert(&db, all).await.map_err(|err| {
            tracing::error!(error = %crate::error::loggable(&err), events = rows, "could not write the audit trail");
            match AppError::from(err) {
                AppError::Unavailable(cause) => Failure::Unavailable(cause.to_string()),
                other => Failure::Internal(other.to_string()),
            }
        });
        for done in waiting {
            // A request that gave up waiting (its client went away) needs no answer.
            let _ = done.send(result.clone());
        }
    }
}

/// One statement in autocommit; a single request larger than a statement holds (never seen:
/// a request reads a few kinds of record) is written in several, in one transaction.
async fn insert(db: &DatabaseConnection, rows: Vec<audit_event::ActiveModel>) -> Result<(), DbErr> {
    if rows.len() <= MAX_ROWS {
        return audit_event::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .map(|_| ());
    }
    let txn = db.begin().await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(MAX_ROWS).collect();
        audit_event::Entity::insert_many(chunk)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await
}
