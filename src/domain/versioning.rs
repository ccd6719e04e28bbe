//! The optimistic lock's answer to the writer that lost: the version that won.
//!
//! Every mutable record changes with `UPDATE … SET version = v + 1 WHERE id = ? AND
//! version = v`. When that finds no row, someone else changed the record since it was read.
//! On PostgreSQL (READ COMMITTED) the losing UPDATE waited for the winner to commit, so the
//! row read before it is stale: a CONFLICT naming that version sends the client's retry into
//! a second CONFLICT. So the version is read again, in the same transaction, after the failed
//! update: a new statement sees the winner's commit.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::AppError;

/// CONFLICT with the version the record has now, for a conditional update that changed no
/// row; NOT_FOUND if the record is gone.
pub async fn lost_update<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    entity: &'static str,
    id: i64,
    id_column: E::Column,
    version_column: E::Column,
) -> AppError {
    let now = E::find()
        .select_only()
        .column(version_column)
        .filter(id_column.eq(id))
        .into_tuple::<i32>()
        .one(txn)
        .await;
    match now {
        Ok(Some(current_version)) => AppError::Conflict {
            entity,
            id,
            current_version,
        },
        Ok(None) => AppError::NotFound { entity },
        Err(err) => err.into(),
    }
}
