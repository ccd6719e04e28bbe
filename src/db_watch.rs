//! Whether the database answers, known without making every request find out for itself.
//!
//! Left to the pool, a request that meets a database refusing connections waits out the
//! pool's acquire timeout (sqlx retries a refused connection until then), and one that meets
//! a database that stopped answering (a proxy or a firewall that swallows packets) waits on
//! its statement until the request's own timeout. A shorter acquire timeout would not help
//! the second, and would fail requests that are only queueing for a busy pool under load.
//!
//! So a watcher asks the database itself, on a connection of its own (never the pool's,
//! which may be busy with a legitimate queue), twice a second, each time bounded by
//! [`PROBE_TIMEOUT`]. While it gets no answer, the GraphQL endpoint answers new requests
//! UNAVAILABLE at once and cancels those in flight, as their timeout would; `/ready` says 503
//! at once. The first answer opens the gate again.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use sea_orm::sqlx::{self, Connection};
use tokio::sync::{watch, Mutex, Notify};

/// How long the database may take to answer a probe (connecting included).
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1000);
/// Pause between probes while the database answers, and while it does not.
const EVERY_WHILE_UP: Duration = Duration::from_millis(500);
const EVERY_WHILE_DOWN: Duration = Duration::from_millis(250);
/// A probe this recent answers `/ready` without asking again.
const FRESH: Duration = Duration::from_millis(250);

pub struct DbWatch {
    url: String,
    up: watch::Sender<bool>,
    /// The probe's own connection; one probe at a time.
    probe: Mutex<Option<ProbeConnection>>,
    /// When a probe last got an answer, in milliseconds after `started` (0: not since the
    /// last suspicion).
    answered_ms: AtomicU64,
    /// Counts suspicions, so that a probe under way when one came does not count as fresh.
    suspicions: AtomicU64,
    started: Instant,
    wake: Notify,
}

enum ProbeConnection {
    Postgres(sqlx::postgres::PgConnection),
    Sqlite(sqlx::sqlite::SqliteConnection),
}

impl ProbeConnection {
    async fn open(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("postgres") {
            Ok(Self::Postgres(
                sqlx::postgres::PgConnection::connect(url).await?,
            ))
        } else {
            Ok(Self::Sqlite(
                sqlx::sqlite::SqliteConnection::connect(url).await?,
            ))
        }
    }

    async fn ping(&mut self) -> Result<(), sqlx::Error> {
        match self {
            Self::Postgres(c) => c.ping().await,
            Self::Sqlite(c) => c.ping().await,
        }
    }
}

impl DbWatch {
    /// A watch of the database at `url`, taken to answer until a probe says otherwise.
    pub fn new(url: &str) -> Arc<Self> {
        Arc::new(Self {
            url: url.to_owned(),
            up: watch::Sender::new(true),
            probe: Mutex::new(None),
            answered_ms: AtomicU64::new(0),
            suspicions: AtomicU64::new(0),
            started: Instant::now(),
            wake: Notify::new(),
        })
    }

    /// Whether the last probe got an answer.
    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    /// Resolves when the database is found not answering (at once if it is already).
    pub async fn gone(&self) {
        let mut up = self.up.subscribe();
        let _ = up.wait_for(|up| !*up).await;
    }

    /// A request met a broken connection: probe now rather than at the next tick, and let
    /// no earlier answer stand for a fresh one.
    pub fn suspect(&self) {
        self.suspicions.fetch_add(1, Ordering::Relaxed);
        self.answered_ms.store(0, Ordering::Relaxed);
        self.wake.notify_one();
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// For `/ready`: whether the database answers now, within about [`PROBE_TIMEOUT`].
    pub async fn ready(&self) -> bool {
        if !self.is_up() {
            return false;
        }
        let bound = PROBE_TIMEOUT + Duration::from_millis(500);
        tokio::time::timeout(bound, self.probe(true))
            .await
            .unwrap_or(false)
    }

    /// Probes for ever, in the background of a serving process.
    pub fn spawn(self: &Arc<Self>) {
        let watch = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                watch.probe(false).await;
                let pause = if watch.is_up() {
                    EVERY_WHILE_UP
                } else {
                    EVERY_WHILE_DOWN
                };
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = watch.wake.notified() => {}
                }
            }
        });
    }

    /// Asks the database, records the outcome and returns it. `reuse`: a probe answered a
    /// moment ago is good enough (so that a flood of `/ready` costs the database nothing).
    async fn probe(&self, reuse: bool) -> bool {
        let mut connection = self.probe.lock().await;
        let answered = self.answered_ms.load(Ordering::Relaxed);
        let fresh = u64::try_from(FRESH.as_millis()).unwrap_or(u64::MAX);
        if reuse && answered > 0 && self.now_ms().saturating_sub(answered) < fresh {
            return true;
        }
        let suspicions = self.suspicions.load(Ordering::Relaxed);
        let up = answers(&self.url, &mut connection).await;
        let unsuspected = self.suspicions.load(Ordering::Relaxed) == suspicions;
        self.answered_ms.store(
            if up && unsuspected { self.now_ms() } else { 0 },
            Ordering::Relaxed,
        );
        self.up.send_if_modified(|was| {
            if *was == up {
                return false;
            }
            if up {
                tracing::warn!("the database answers again: requests are served");
            } else {
                tracing::warn!(
                    timeout_ms = PROBE_TIMEOUT.as_millis() as u64,
                    "the database does not answer: requests get UNAVAILABLE until it does"
                );
            }
            *was = up;
            true
        });
        up
    }
}

/// Pings on the kept connection; a connection that broke (a restart, a proxy that dropped
/// it) is replaced at once by a fresh one, but one that did not answer in time means the
/// database does not answer.
async fn answers(url: &str, connection: &mut Option<ProbeConnection>) -> bool {
    if let Some(open) = connection.as_mut() {
        match tokio::time::timeout(PROBE_TIMEOUT, open.ping()).await {
            Ok(Ok(())) => return true,
            Ok(Err(_)) => *connection = None,
            Err(_) => {
                *connection = None;
                return false;
            }
        }
    }
    let fresh = tokio::time::timeout(PROBE_TIMEOUT, async {
        let mut fresh = ProbeConnection::open(url).await?;
        fresh.ping().await?;
        Ok::<_, sqlx::Error>(fresh)
    })
    .await;
    match fresh {
        Ok(Ok(fresh)) => {
            *connection = Some(fresh);
            true
        }
        Ok(Err(err)) => {
            tracing::debug!(error = %crate::error::loggable(&err), "database probe failed");
            false
        }
        Err(_) => false,
    }
}
