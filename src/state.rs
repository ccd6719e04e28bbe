//! What every request shares: the database, the org tree, the settings.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{config::Config, db::StatementCounter, domain::org_units::OrgDirectory};

/// Shared, read-only state of a running server.
pub struct AppState {
    pub db: DatabaseConnection,
    pub orgs: OrgDirectory,
    pub settings: Settings,
    pub statements: Arc<StatementCounter>,
}

/// The configuration the domain layer needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_page_size: u32,
}

impl From<&Config> for Settings {
    fn from(config: &Config) -> Self {
        Self {
            max_page_size: config.max_page_size,
        }
    }
}
