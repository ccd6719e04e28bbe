//! Each instance's reader of the change log: it reads forward from where it started, loads
//! the alerts and tasks that changed, and broadcasts them to this instance's subscribers,
//! who filter them by their own policy.
//!
//! On PostgreSQL it wakes on the NOTIFY of writers of alerts and tasks (delivered after
//! their commit), from any instance, and every 100 ms regardless; on SQLite (one process) it
//! looks every 100 ms. Only final rows are ever read (`change_log::after`), so nothing rolled
//! back is ever pushed and nothing committed is skipped.

use std::{sync::Arc, time::Duration};

use entity::{alert, change_log as change_log_row, task};
use sea_orm::{
    sqlx::postgres::PgListener, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QuerySelect,
};
use tokio::sync::broadcast;

use super::change_log::{self, Position, CHANNEL};
use crate::error::{loggable, AppResult};

/// How often each instance looks at the log when nothing wakes it.
const TICK: Duration = Duration::from_millis(100);
/// How often (in ticks) the reader checks that nothing is stuck behind an open transaction.
const HOLD_BACK_CHECK_TICKS: u32 = 50;
/// How long changes may wait before that is worth a warning.
const HOLD_BACK_WARNING: Duration = Duration::from_secs(5);

/// How many changes one read takes.
const BATCH: u64 = 500;
/// Subscribers that fall further behind than this lose the oldest events (and are told).
const CAPACITY: usize = 4096;

/// Something a subscriber may be told about.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    Alert(alert::Model),
    /// A task created or moved, with the mutation that did it.
    Task(task::Model, String),
}

pub struct EventHub {
    sender: broadcast::Sender<Arc<LiveEvent>>,
}

impl EventHub {
    /// Starts reading the log after its current end.
    pub async fn start(db: DatabaseConnection) -> AppResult<Arc<Self>> {
        let (sender, _) = broadcast::channel(CAPACITY);
        let hub = Arc::new(Self { sender });
        // Listen before reading where the log ends, so that no commit falls in between.
        let listener = match db.get_database_backend() {
            DbBackend::Postgres => listen(&db).await,
            _ => None,
        };
        let end = change_log::end(&db).await?;
        tokio::spawn(read_forward(db, Arc::clone(&hub), end, listener));
        Ok(hub)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.sender.subscribe()
    }
}

async fn read_forward(
    db: DatabaseConnection,
    hub: Arc<EventHub>,
    mut last: Position,
    mut listener: Option<PgListener>,
) {
    let mut ticks: u32 = 0;
    loop {
        ticks = ticks.wrapping_add(1);
        if ticks.is_multiple_of(HOLD_BACK_CHECK_TICKS) {
            warn_if_held_back(&db).await;
        }
        if db.get_database_backend() == DbBackend::Postgres {
            if listener.is_none() {
                listener = listen(&db).await;
            }
            match &mut listener {
                // A commit that carries an alert or a task wakes the reader at once; rows
                // held back behind a transaction still running are picked up on the tick.
                Some(l) => match tokio::time::timeout(TICK, l.recv()).await {
                    Ok(Err(err)) => {
                        tracing::warn!(error = %err, "change listener lost; reconnecting");
                        listener = None;
                    }
                    Ok(Ok(_)) => while l.next_buffered().is_some() {},
                    Err(_) => {}
                },
                None => tokio::time::sleep(TICK).await,
            }
        } else {
            tokio::time::sleep(TICK).await;
        }
        // Stop once nobody holds the hub (its server has shut down).
        if Arc::strong_count(&hub) == 1 {
            return;
        }
        loop {
            match read_once(&db, &hub, last).await {
                Ok((next, full)) => {
                    last = next;
                    if !full {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %loggable(&err), "could not read the change log");
                    break;
                }
            }
        }
    }
}

/// Says so, loudly, when changes have waited longer than `HOLD_BACK_WARNING` behind a
/// transaction that stays open: alerts are not reaching anyone meanwhile.
async fn warn_if_held_back(db: &DatabaseConnection) {
    match change_log::held_back_since(db).await {
        Ok(Some(since)) => {
            let waited = chrono::Utc::now() - since;
            if waited.to_std().is_ok_and(|w| w > HOLD_BACK_WARNING) {
                tracing::warn!(
                    waited_s = waited.num_seconds(),
                    "live events and the change feed are held back by a database transaction \
                     that stays open; look for an old xact_start in pg_stat_activity"
                );
            }
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %loggable(&err), "could not check the change log"),
    }
}

async fn listen(db: &DatabaseConnection) -> Option<PgListener> {
    let pool = db.get_postgres_connection_pool();
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(l) => l,
        Err(err) => {
            tracing::warn!(error = %err, "could not listen for changes");
            return None;
        }
    };
    match listener.listen(CHANNEL).await {
        Ok(()) => Some(listener),
        Err(err) => {
            tracing::warn!(error = %err, "could not listen for changes");
            None
        }
    }
}

/// Reads one batch after `last`, broadcasts it, and says where it got to and whether the
/// batch was full (more may follow).
async fn read_once(
    db: &DatabaseConnection,
    hub: &EventHub,
    last: Position,
) -> AppResult<(Position, bool)> {
    let rows = change_log::in_order(
        change_log_row::Entity::find().filter(change_log::after(last, db.get_database_backend())),
    )
    .limit(BATCH)
    .all(db)
    .await?;
    let Some(end) = rows.last().map(Position::of) else {
        return Ok((last, false));
    };
    let ids = |kind: &str| -> Vec<i64> {
        rows.iter()
            .filter(|r| r.entity_type == kind)
            .map(|r| r.entity_id)
            .collect()
    };
    let (alert_ids, task_ids) = (ids("Alert"), ids("Task"));
    let alerts: std::collections::HashMap<i64, alert::Model> = if alert_ids.is_empty() {
        Default::default()
    } else {
        alert::Entity::find()
            .filter(alert::Column::Id.is_in(alert_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    };
    let tasks: std::collections::HashMap<i64, task::Model> = if task_ids.is_empty() {
        Default::default()
    } else {
        task::Entity::find()
            .filter(task::Column::Id.is_in(task_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect()
    };
    for row in &rows {
        let event = match row.entity_type.as_str() {
            "Alert" => alerts.get(&row.entity_id).cloned().map(LiveEvent::Alert),
            // The task as it is now: a later move is its own event.
            "Task" => tasks
                .get(&row.entity_id)
                .cloned()
                .map(|t| LiveEvent::Task(t, row.operation.clone())),
            _ => None,
        };
        if let Some(event) = event {
            // No receiver is not an error: nobody is subscribed on this instance.
            let _ = hub.sender.send(Arc::new(event));
        }
    }
    Ok((end, rows.len() as u64 == BATCH))
}
