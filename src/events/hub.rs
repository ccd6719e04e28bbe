//! Each instance's reader of the change log: it reads forward from where it started, loads
//! the alerts and tasks that changed, and broadcasts them to this instance's subscribers,
//! who filter them by their own policy.
//!
//! On PostgreSQL it wakes on the writers' NOTIFY (delivered after their commit), from any
//! instance, and every second regardless; on SQLite (one process) it looks every 100 ms.
//! Only committed rows are ever read, so nothing rolled back is ever pushed.

use std::{sync::Arc, time::Duration};

use entity::{alert, change_log, task};
use sea_orm::{
    sqlx::postgres::PgListener, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::broadcast;

use super::change_log::CHANNEL;
use crate::error::{loggable, AppResult};

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
        let last = change_log::Entity::find()
            .select_only()
            .column_as(change_log::Column::Id.max(), "max")
            .into_tuple::<Option<i64>>()
            .one(&db)
            .await?
            .flatten()
            .unwrap_or(0);
        tokio::spawn(read_forward(db, Arc::clone(&hub), last, listener));
        Ok(hub)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.sender.subscribe()
    }
}

async fn read_forward(
    db: DatabaseConnection,
    hub: Arc<EventHub>,
    mut last: i64,
    mut listener: Option<PgListener>,
) {
    loop {
        if db.get_database_backend() == DbBackend::Postgres {
            if listener.is_none() {
                listener = listen(&db).await;
            }
            match &mut listener {
                Some(l) => {
                    if let Ok(Err(err)) =
                        tokio::time::timeout(Duration::from_secs(1), l.recv()).await
                    {
                        tracing::warn!(error = %err, "change listener lost; reconnecting");
                        listener = None;
                    }
                }
                None => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        } else {
            tokio::time::sleep(Duration::from_millis(100)).await;
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
    last: i64,
) -> Result<(i64, bool), sea_orm::DbErr> {
    let rows = change_log::Entity::find()
        .filter(change_log::Column::Id.gt(last))
        .order_by_asc(change_log::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    let Some(end) = rows.last().map(|r| r.id) else {
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
