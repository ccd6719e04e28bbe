//! Who is asking: the verified identity every rule is decided on.

use std::sync::Arc;

use entity::{Agency, Role};

use crate::domain::{org_units::OrgUnit, values::OrgPath};

/// A verified user: subject, display name, agency, role and jurisdiction.
#[derive(Debug, Clone)]
pub struct Principal {
    pub subject: String,
    pub name: String,
    pub agency: Agency,
    pub role: Role,
    /// The org unit the user's jurisdiction covers (this unit and everything below it).
    pub org: Arc<OrgUnit>,
    /// The token's `jti`, when it has one.
    pub token_id: Option<String>,
    /// The app the token was issued to, when it says (`client` claim).
    pub client: Option<String>,
}

impl Principal {
    pub fn jurisdiction(&self) -> &OrgPath {
        &self.org.path
    }
}
