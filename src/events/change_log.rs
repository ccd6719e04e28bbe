//! Appending to the change log, on the writer's transaction.
//!
//! On PostgreSQL the writer first takes one transaction-scoped advisory lock, held until
//! it commits or rolls back: ids are then handed out in commit order, and whoever reads
//! the log forward by id never skips a row that commits later with a smaller id. The
//! writer also sends a NOTIFY, which PostgreSQL delivers to every instance's listener only
//! when (and if) the transaction commits. SQLite runs one writer at a time, so its ids are
//! in commit order already.

use chrono::Utc;
use entity::change_log;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend, EntityTrait, Statement};

use crate::error::AppResult;

/// Key of the advisory lock that orders appends (any constant unique to this use).
const APPEND_LOCK: i64 = 0x6c69_616e_6661_6e67; // "lianfang"
/// Channel every instance listens on.
pub const CHANNEL: &str = "lianfang_changes";

/// Records that `ids` of `entity_type` were created or changed by `operation`.
pub async fn append(
    txn: &impl ConnectionTrait,
    entity_type: &str,
    ids: &[i64],
    operation: &str,
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    if backend == DbBackend::Postgres {
        // One round trip: the lock, and the notification PostgreSQL holds until commit.
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_advisory_xact_lock($1), pg_notify($2, '')",
            [APPEND_LOCK.into(), CHANNEL.into()],
        ))
        .await?;
    }
    let now = Utc::now();
    change_log::Entity::insert_many(ids.iter().map(|id| change_log::ActiveModel {
        entity_type: Set(entity_type.to_owned()),
        entity_id: Set(*id),
        operation: Set(operation.to_owned()),
        at: Set(now),
        ..Default::default()
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
