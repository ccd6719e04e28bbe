//! Database connection and the few backend differences the rest of the code must not see.

use std::{
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Counts SQL statements executed through the pool: the figure the tests and benchmarks
/// use to show that a request's statement count does not grow with its lists.
#[derive(Debug, Default)]
pub struct StatementCounter(AtomicU64);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Connects, creating the SQLite file (and its folder) when needed.
pub async fn connect(
    url: &str,
    max_connections: u32,
) -> Result<(DatabaseConnection, Arc<StatementCounter>), DbErr> {
    if let Some(path) = sqlite_file(url) {
        if let Some(parent) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
        }
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // sqlx pings a connection when it returns to the pool; pinging it again when taken
        // out cost a round trip per statement. Only a connection idle long enough for a
        // restart or a firewall to have cut it is pinged before use.
        .test_before_acquire_if_idle_for(Duration::from_secs(10))
        .sqlx_logging(false)
        // WAL lets readers run beside the one writer; the busy timeout makes a writer wait
        // for the lock instead of failing.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await?;
    let counter = Arc::new(StatementCounter::default());
    let sink = Arc::clone(&counter);
    db.set_metric_callback(move |info| {
        sink.0.fetch_add(1, Ordering::Relaxed);
        // The statement without its values: no personal data reaches the log.
        tracing::trace!(target: "lianfang::sql", sql = %info.statement.sql, elapsed_us = info.elapsed.as_micros() as u64, failed = info.failed);
    });
    Ok((db, counter))
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of one failing
/// with "database is locked" when it upgrades from reading to writing.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
        }
        _ => db.begin().await,
    }
}

fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Why a write transaction stopped: a race worth running again, or a final error.
#[derive(Debug)]
pub enum WriteError {
    /// Lost a race on a natural key (two registrations of one new document): run again,
    /// and the second run finds the first one's row.
    Retry,
    App(crate::error::AppError),
}

impl From<crate::error::AppError> for WriteError {
    fn from(err: crate::error::AppError) -> Self {
        Self::App(err)
    }
}

/// Index whose violation means "someone registered this document a moment ago".
pub const PERSON_DOCUMENT_INDEX: &str = "uq_person_document_type_document_number";

impl From<DbErr> for WriteError {
    fn from(err: DbErr) -> Self {
        if crate::error::is_unique_violation(&err, PERSON_DOCUMENT_INDEX) {
            Self::Retry
        } else {
            Self::App(err.into())
        }
    }
}

/// Runs `$body` (an expression using the transaction `$txn`, evaluating to
/// `Result<T, WriteError>`) in a write transaction: commits on success, rolls back on error,
/// and runs it again (three attempts in all) when it lost a race. Evaluates to
/// `AppResult<T>`.
///
/// A macro rather than a function taking a closure: the body borrows from the caller, and
/// resolvers need the resulting future to be `Send`.
macro_rules! write_retrying {
    ($db:expr, |$txn:ident| $body:expr) => {{
        const ATTEMPTS: u32 = 3;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let $txn = match $crate::db::begin_write($db).await {
                Ok(txn) => txn,
                Err(err) => break Err($crate::error::AppError::from(err)),
            };
            let outcome: Result<_, $crate::db::WriteError> = async { $body }.await;
            match outcome {
                Ok(value) => match $txn.commit().await {
                    Ok(()) => break Ok(value),
                    Err(err) => break Err($crate::error::AppError::from(err)),
                },
                Err($crate::db::WriteError::Retry) if attempt < ATTEMPTS => {
                    let _ = $txn.rollback().await;
                }
                Err($crate::db::WriteError::Retry) => {
                    let _ = $txn.rollback().await;
                    break Err($crate::error::AppError::internal(
                        "a write kept racing another writer",
                    ));
                }
                Err($crate::db::WriteError::App(err)) => {
                    let _ = $txn.rollback().await;
                    break Err(err);
                }
            }
        }
    }};
}

pub(crate) use write_retrying;
