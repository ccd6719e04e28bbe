//! The audit trail: every read of personal data and every write, one row per record touched.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{enum_str, prefix_scanned};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign keys: the trail must outlive, and never block changes to, what it records.
        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(big_pk_auto(AuditEvent::Id))
                    .col(timestamp_with_time_zone(AuditEvent::At))
                    .col(string(AuditEvent::Subject))
                    .col(enum_str(AuditEvent::Agency))
                    .col(enum_str(AuditEvent::Role))
                    .col(prefix_scanned(manager, AuditEvent::ActorPath))
                    .col(string(AuditEvent::Operation))
                    .col(string(AuditEvent::EntityType))
                    .col(big_integer_null(AuditEvent::EntityId))
                    .col(text_null(AuditEvent::Reason))
                    .col(big_integer_null(AuditEvent::GrantId))
                    .col(string(AuditEvent::RequestId))
                    .to_owned(),
            )
            .await?;

        // Auditors page through the events under their own path.
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_event_actor_path_id")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::ActorPath)
                    .col(AuditEvent::Id)
                    .to_owned(),
            )
            .await?;
        // "Who saw this person?"
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_event_entity_type_entity_id")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::EntityType)
                    .col(AuditEvent::EntityId)
                    .to_owned(),
            )
            .await?;
        // "What did this user do?"
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_event_subject_at")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::Subject)
                    .col(AuditEvent::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_event_at")
                    .table(AuditEvent::Table)
                    .col(AuditEvent::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvent::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    At,
    Subject,
    Agency,
    Role,
    ActorPath,
    Operation,
    EntityType,
    EntityId,
    Reason,
    GrantId,
    RequestId,
}
