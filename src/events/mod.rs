//! Live events: what changed, in commit order, for subscriptions on every instance and for
//! the change feed.

pub mod change_log;
pub mod hub;
pub mod retention;

pub use hub::{EventHub, LiveEvent};

use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::{db, error::AppResult};

/// Where an instance's live events come from: its change-log reader, started on the first
/// subscription, on a small pool of its own (so that it never counts against requests).
pub struct EventSource {
    database_url: String,
    hub: OnceCell<Arc<EventHub>>,
}

impl EventSource {
    pub fn new(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            hub: OnceCell::new(),
        }
    }

    pub async fn hub(&self) -> AppResult<Arc<EventHub>> {
        let hub = self
            .hub
            .get_or_try_init(|| async {
                let (db, _) = db::connect(&self.database_url, 2).await?;
                EventHub::start(db).await
            })
            .await?;
        Ok(Arc::clone(hub))
    }
}
