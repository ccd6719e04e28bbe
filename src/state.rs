//! What every request shares: the database, the org tree, the settings.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use chrono::Duration;

use crate::{
    config::Config,
    db::StatementCounter,
    domain::{
        clock::{parse_offset, Clock},
        org_units::OrgDirectory,
        values::RiskAreas,
    },
};

/// Shared, read-only state of a running server.
pub struct AppState {
    pub db: DatabaseConnection,
    pub orgs: OrgDirectory,
    pub settings: Settings,
    pub statements: Arc<StatementCounter>,
    /// Live events for subscriptions.
    pub events: crate::events::EventSource,
    /// Statistics being computed, shared by identical requests meanwhile.
    pub statistics: crate::domain::statistics::Flights,
    /// Whether the database answers; requests fail fast while it does not.
    pub db_watch: Arc<crate::db_watch::DbWatch>,
    /// Group commit of the requests' read events.
    pub audit: crate::audit::AuditWriter,
}

/// The configuration the domain layer needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_page_size: u32,
    pub follow_up_days: u32,
    pub quarantine_days: u32,
    pub max_health_check_batch: usize,
    pub max_checkpoint_batch: usize,
    pub max_import_bytes: usize,
    pub max_import_rows: usize,
    pub import_chunk_rows: usize,
    pub risk_areas: RiskAreas,
    pub max_chain_depth: u32,
    pub max_chain_nodes: u32,
    pub grant_hours: u32,
    pub small_count_threshold: u32,
    /// Secret of the cell-key perturbation of analysts' figures (`access::disclosure`).
    pub disclosure_key: crate::access::disclosure::DisclosureKey,
    pub clock: Clock,
    /// The deployment's retention periods (`retention::policy`).
    pub retention: crate::retention::Periods,
}

impl Settings {
    pub fn from_config(config: &Config) -> Result<Self, String> {
        Ok(Self {
            max_page_size: config.max_page_size,
            follow_up_days: config.follow_up_days,
            quarantine_days: config.quarantine_days,
            max_health_check_batch: config.max_health_check_batch,
            max_checkpoint_batch: config.max_checkpoint_batch,
            max_import_bytes: config.max_import_bytes,
            max_import_rows: config.max_import_rows,
            import_chunk_rows: config.import_chunk_rows.max(1),
            risk_areas: RiskAreas::parse(&config.risk_areas),
            max_chain_depth: config.max_chain_depth,
            max_chain_nodes: config.max_chain_nodes,
            grant_hours: config.grant_hours,
            small_count_threshold: config.small_count_threshold,
            disclosure_key: crate::access::disclosure::DisclosureKey::new(
                config.disclosure_key.as_deref(),
                &config.jwt_secret,
            ),
            clock: Clock {
                offset: parse_offset(&config.local_utc_offset)
                    .map_err(|e| format!("LOCAL_UTC_OFFSET: {e}"))?,
                skew: Duration::seconds(i64::from(config.clock_skew_secs)),
            },
            retention: crate::retention::Periods::from_config(config),
        })
    }
}
