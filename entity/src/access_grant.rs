//! "Break the glass": a time-limited view of one person's record outside one's jurisdiction.

use sea_orm::entity::prelude::*;

use crate::{Agency, Role};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_grant")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub subject: String,
    pub agency: Agency,
    pub role: Role,
    /// Jurisdiction path of the grantee, for auditors' scope.
    pub grantee_path: String,
    pub person_id: i64,
    pub reason: String,
    pub granted_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
