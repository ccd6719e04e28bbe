//! "Break the glass" grants: time-limited access to one person's record outside one's jurisdiction.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{enum_str, prefix_scanned};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessGrant::Table)
                    .col(big_pk_auto(AccessGrant::Id))
                    .col(string(AccessGrant::Subject))
                    .col(enum_str(AccessGrant::Agency))
                    .col(enum_str(AccessGrant::Role))
                    .col(prefix_scanned(manager, AccessGrant::GranteePath))
                    .col(big_integer(AccessGrant::PersonId))
                    .col(text(AccessGrant::Reason))
                    .col(timestamp_with_time_zone(AccessGrant::GrantedAt))
                    .col(timestamp_with_time_zone(AccessGrant::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AccessGrant::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_access_grant_person_id")
                            .from(AccessGrant::Table, AccessGrant::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // Checked on every out-of-scope read: does this subject hold an unexpired grant?
        manager
            .create_index(
                Index::create()
                    .name("idx_access_grant_person_id_subject_expires_at")
                    .table(AccessGrant::Table)
                    .col(AccessGrant::PersonId)
                    .col(AccessGrant::Subject)
                    .col(AccessGrant::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        // Auditors review the grants taken under their jurisdiction.
        manager
            .create_index(
                Index::create()
                    .name("idx_access_grant_grantee_path_granted_at")
                    .table(AccessGrant::Table)
                    .col(AccessGrant::GranteePath)
                    .col(AccessGrant::GrantedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccessGrant::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AccessGrant {
    Table,
    Id,
    Subject,
    Agency,
    Role,
    GranteePath,
    PersonId,
    Reason,
    GrantedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}
