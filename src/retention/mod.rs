//! When the emergency ends (PIPL art. 47): the retention policy, the stand-down that starts its
//! clocks, when each record will go (`purgeAt`), and the purge that takes it.
//!
//! - [`policy`]: the declaration, read by everything below and by the README's table;
//! - [`stand_down`]: the command declares the response over in its jurisdiction;
//! - [`rules`]: which records are emergency-only, which are held, and the SQL that says so,
//!   shared by the purge and `purgeAt` so that the two never disagree;
//! - [`purge_at`]: the instant each record will be purged, for the records operators read;
//! - [`purge`]: the background job (and `lianfang purge`), in bounded batches;
//! - [`months`]: on PostgreSQL, a month of checks or passages mostly due is emptied whole.

pub mod months;
pub mod policy;
pub mod purge;
pub mod purge_at;
pub mod rules;
pub mod stand_down;

use chrono::Duration;

use crate::config::Config;

/// The deployment's periods: the policy's defaults as overridden by the settings.
#[derive(Debug, Clone, Copy)]
pub struct Periods {
    pub health_check: Duration,
    pub checkpoint_entry: Duration,
    pub person: Duration,
    pub audit: Duration,
    /// Minutes between two purges while the server runs; zero: never.
    pub purge_every_minutes: u32,
    /// Rows one purge statement touches.
    pub batch_rows: u64,
}

impl Periods {
    pub fn from_config(config: &Config) -> Self {
        let days = |d: u32| Duration::days(i64::from(d));
        Self {
            health_check: days(config.retention_health_check_days),
            checkpoint_entry: days(config.retention_checkpoint_days),
            person: days(config.retention_person_days),
            audit: days(config.retention_audit_days),
            purge_every_minutes: config.purge_every_minutes,
            batch_rows: u64::from(config.purge_batch_rows.max(1)),
        }
    }
}
