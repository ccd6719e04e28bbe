//! How long the change log keeps its rows, and what that means for a feed cursor.
//!
//! Rows older than the retention are removed every hour (on PostgreSQL a month wholly older
//! goes whole, its partition emptied); each pruning files the position of the last row it
//! removed (`change_log_pruned`). A cursor before the newest such position
//! would skip what was removed, so following it is refused with SNAPSHOT_REQUIRED: the
//! client takes a new snapshot (`domain::snapshot`), which ends in a cursor that is kept.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{change_log, change_log_pruned};
use migration::partitioning::CHANGE_LOG;
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use super::change_log::{after, Position};
use crate::error::{AppError, AppResult};

const EVERY: Duration = Duration::from_secs(3600);

/// The position of the last row ever pruned, if any: cursors before it are too old.
pub async fn pruned_through(db: &impl ConnectionTrait) -> AppResult<Option<Position>> {
    let line = change_log_pruned::Entity::find()
        .order_by_desc(change_log_pruned::Column::Tx)
        .order_by_desc(change_log_pruned::Column::LogId)
        .limit(1)
        .one(db)
        .await?;
    Ok(line.map(|row| Position {
        tx: row.tx,
        id: row.log_id,
    }))
}

/// SNAPSHOT_REQUIRED when the log no longer holds every change after `position` (`None`:
/// from the very start).
pub async fn require_kept(db: &impl ConnectionTrait, position: Option<Position>) -> AppResult<()> {
    let Some(line) = pruned_through(db).await? else {
        return Ok(());
    };
    match position {
        Some(position) if position >= line => Ok(()),
        _ => Err(AppError::SnapshotRequired(crate::msg!(
            "error-snapshot-required"
        ))),
    }
}

/// Removes the final rows written before `before`, and files how far it went. Returns the
/// number of rows removed.
pub async fn prune(db: &DatabaseConnection, before: DateTime<Utc>) -> AppResult<u64> {
    let months = empty_months(db, before).await?;
    Ok(months + prune_rows(db, before).await?)
}

/// On PostgreSQL, each month of the log that ended by `before` goes whole: the position of
/// its last row is filed, then its partition is emptied (`TRUNCATE`), in one transaction.
/// Returns the rows removed.
async fn empty_months(db: &DatabaseConnection, before: DateTime<Utc>) -> AppResult<u64> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(0);
    }
    let mut removed = 0;
    for month in CHANGE_LOG.months(db).await? {
        if crate::retention::months::instant(&month.to)? > before {
            continue;
        }
        let txn = db.begin().await?;
        let partition = &month.name;
        // Names from the calendar (`Month`), not from a client.
        txn.execute_unprepared("SET LOCAL lock_timeout = '2s'")
            .await?;
        txn.execute_unprepared(&format!("LOCK TABLE {partition} IN SHARE MODE"))
            .await?;
        let last = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "SELECT tx, id, (SELECT count(*) FROM {partition}) AS n FROM {partition} \
                     ORDER BY tx DESC, id DESC LIMIT 1"
                ),
            ))
            .await?;
        let Some(last) = last else {
            txn.rollback().await?;
            continue;
        };
        let line = Position {
            tx: last.try_get("", "tx")?,
            id: last.try_get("", "id")?,
        };
        let rows: i64 = last.try_get("", "n")?;
        change_log_pruned::Entity::insert(change_log_pruned::ActiveModel {
            tx: Set(line.tx),
            log_id: Set(line.id),
            at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        txn.execute_unprepared(&format!("TRUNCATE {partition}"))
            .await?;
        txn.commit().await?;
        removed += u64::try_from(rows).unwrap_or(0);
    }
    Ok(removed)
}

/// Removes row by row what is left before `before`.
async fn prune_rows(db: &DatabaseConnection, before: DateTime<Utc>) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    let last = change_log::Entity::find()
        .filter(after(Position::default(), backend))
        .filter(change_log::Column::At.lt(before))
        .order_by_desc(change_log::Column::Tx)
        .order_by_desc(change_log::Column::Id)
        .limit(1)
        .one(&txn)
        .await?;
    let Some(last) = last else {
        return Ok(0);
    };
    let line = Position::of(&last);
    change_log_pruned::Entity::insert(change_log_pruned::ActiveModel {
        tx: Set(line.tx),
        log_id: Set(line.id),
        at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await?;
    let removed = change_log::Entity::delete_many()
        .filter(
            Expr::tuple([
                Expr::col(change_log::Column::Tx),
                Expr::col(change_log::Column::Id),
            ])
            .lte(Expr::tuple([Expr::val(line.tx), Expr::val(line.id)])),
        )
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(removed)
}

/// Prunes every hour what is older than `retention`, while the server runs (never, when
/// `retention` is zero).
pub fn keep(db: DatabaseConnection, retention: Duration) {
    if retention.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        // The first tick is at once: the first pruning waits an hour, so that starting a
        // server costs no statement beyond its own.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Ok(age) = chrono::Duration::from_std(retention) else {
                return;
            };
            match prune(&db, Utc::now() - age).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "pruned the change log"),
                Err(err) => tracing::warn!(code = err.code(), "could not prune the change log"),
            }
        }
    });
}
