//! Commit order for the change log without serializing writers.
//!
//! Until now every writer took one advisory lock from its append to its commit, so that ids
//! came in commit order; that made every write transaction in the city wait for the one
//! before it, fsync included. Now each row records the 64-bit id of the transaction that
//! wrote it (`tx`, filled in by PostgreSQL itself), and readers read in `(tx, id)` order only
//! below the oldest transaction still running (`pg_snapshot_xmin`): every transaction below
//! that line has committed or rolled back, so nothing can ever appear behind a reader. On
//! SQLite, one writer at a time, `tx` stays 0 and ids are in commit order already.
//!
//! The feed shows each record once, at its latest change: for every row it reads it asks
//! whether a later row of the same record exists, one probe of the second index.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const BY_POSITION: &str = "idx_change_log_tx_id";
const BY_RECORD: &str = "idx_change_log_record_tx_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut tx = ColumnDef::new(ChangeLog::Tx);
        tx.big_integer().not_null();
        match manager.get_database_backend() {
            DbBackend::Postgres => tx.default(Expr::cust("(pg_current_xact_id()::text::bigint)")),
            _ => tx.default(0),
        };
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeLog::Table)
                    .add_column(&mut tx)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_POSITION)
                    .table(ChangeLog::Table)
                    .col(ChangeLog::Tx)
                    .col(ChangeLog::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BY_RECORD)
                    .table(ChangeLog::Table)
                    .col(ChangeLog::EntityType)
                    .col(ChangeLog::EntityId)
                    .col(ChangeLog::Tx)
                    .col(ChangeLog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [BY_RECORD, BY_POSITION] {
            manager
                .drop_index(Index::drop().name(name).table(ChangeLog::Table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeLog::Table)
                    .drop_column(ChangeLog::Tx)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Id,
    EntityType,
    EntityId,
    Tx,
}
