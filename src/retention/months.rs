//! Whole months emptied at once (PostgreSQL): where most of a month's checks or passages are
//! due, the purge does not delete them row by row. Under a share lock on the month's partition
//! (reads go on; a late backdated write waits), it sets aside the rows that stay, empties
//! the partition (`TRUNCATE`, which frees its storage at once, with no dead rows left for
//! vacuum), and puts them back, all in one transaction. The rows that go are exactly those
//! the batches would take: the same `due` selection (`purge::due_health_checks`,
//! `purge::due_checkpoint_entries`), restricted to the month.
//!
//! A month where fewer than half the rows are due is left to the batches: putting back most
//! of a month would cost more than deleting the rest. On SQLite, and for months not wholly
//! past their period, the batches do everything.

use chrono::{DateTime, NaiveDateTime, Utc};
use migration::partitioning::{Month, Monthly, CHECKPOINT_ENTRY, HEALTH_CHECK};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryTrait, Select, Statement,
    TransactionTrait,
};

use super::purge::{one_at_a_time, Counts};
use crate::error::{AppError, AppResult};

/// A table whose months the purge may empty.
pub struct Target {
    pub monthly: Monthly,
    /// The records' type, as alerts name what raised them.
    pub entity_type: &'static str,
    deleted: fn(&mut Counts) -> &mut u64,
}

pub const HEALTH_CHECKS: Target = Target {
    monthly: HEALTH_CHECK,
    entity_type: "HealthCheck",
    deleted: |counts| &mut counts.health_checks_deleted,
};

pub const CHECKPOINT_ENTRIES: Target = Target {
    monthly: CHECKPOINT_ENTRY,
    entity_type: "CheckpointEntry",
    deleted: |counts| &mut counts.checkpoint_entries_deleted,
};

/// How long emptying a month may wait for the readers of its partition before it gives the
/// month back to the batches: every reader arriving meanwhile waits behind it.
const LOCK_TIMEOUT: &str = "2s";

/// Empties each month of `target` that ends by `cut_off` (the instant before which its rows
/// are past their period) and where most rows are `due(from, to)`. A month that cannot be
/// locked in time is logged and left to the batches.
pub async fn empty<E: EntityTrait>(
    db: &DatabaseConnection,
    target: &Target,
    cut_off: DateTime<Utc>,
    due: impl Fn(DateTime<Utc>, DateTime<Utc>) -> Select<E>,
    counts: &mut Counts,
) -> AppResult<()> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for month in target.monthly.months(db).await? {
        let (from, to) = (instant(&month.from)?, instant(&month.to)?);
        if to > cut_off {
            continue;
        }
        let due = due(from, to).build(DbBackend::Postgres);
        let started = std::time::Instant::now();
        match one(db, target, &month, due).await {
            Ok(Some((deleted, alerts))) => {
                tracing::info!(
                    partition = %month.name,
                    deleted,
                    alerts,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "emptied a month"
                );
                *(target.deleted)(counts) += deleted;
                counts.alerts_deleted += alerts;
                counts.months_emptied += 1;
                counts.batches += 1;
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(
                partition = %month.name,
                code = err.code(),
                "could not empty the month; its rows are left to the batches"
            ),
        }
        tokio::task::yield_now().await;
    }
    Ok(())
}

/// Empties one month when most of it is due: `(rows deleted, alerts deleted)`, or `None` when
/// it was left alone.
async fn one(
    db: &DatabaseConnection,
    target: &Target,
    month: &Month,
    due: Statement,
) -> AppResult<Option<(u64, u64)>> {
    let txn = db.begin().await?;
    one_at_a_time(&txn).await?;
    let partition = &month.name;
    // Names from the calendar (`Month`), not from a client.
    for sql in [
        format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"),
        format!("LOCK TABLE {partition} IN SHARE MODE"),
    ] {
        txn.execute_unprepared(&sql).await?;
    }
    let total = number(
        &txn,
        format!("SELECT count(*) AS n FROM {partition}"),
        Vec::new(),
    )
    .await?;
    let due_rows = number(
        &txn,
        format!("SELECT count(*) AS n FROM ({}) AS due", due.sql),
        values(&due),
    )
    .await?;
    if due_rows == 0 || due_rows * 2 <= total {
        txn.rollback().await?;
        return Ok(None);
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "CREATE TEMP TABLE purge_kept ON COMMIT DROP AS SELECT * FROM {partition} AS p \
             WHERE NOT EXISTS (SELECT 1 FROM ({}) AS due WHERE due.id = p.id)",
            due.sql
        ),
        values(&due),
    ))
    .await?;
    let alerts = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!(
                "DELETE FROM alert WHERE entity_type = $1 AND entity_id IN \
                 (SELECT id FROM {partition} EXCEPT SELECT id FROM purge_kept)"
            ),
            [target.entity_type.into()],
        ))
        .await?
        .rows_affected();
    txn.execute_unprepared(&format!("TRUNCATE {partition}"))
        .await?;
    let kept = txn
        .execute_unprepared(&format!("INSERT INTO {partition} SELECT * FROM purge_kept"))
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(Some((total.saturating_sub(kept), alerts)))
}

fn values(statement: &Statement) -> Vec<sea_orm::Value> {
    statement
        .values
        .as_ref()
        .map(|v| v.0.clone())
        .unwrap_or_default()
}

async fn number(
    txn: &impl ConnectionTrait,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> AppResult<u64> {
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?
        .ok_or_else(|| AppError::internal("a count returned no row"))?;
    let n: i64 = row.try_get("", "n")?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A month's bound (`2026-12-01 00:00:00+00`) as an instant.
pub(crate) fn instant(bound: &str) -> AppResult<DateTime<Utc>> {
    let naive = bound.strip_suffix("+00").unwrap_or(bound);
    NaiveDateTime::parse_from_str(naive, "%Y-%m-%d %H:%M:%S")
        .map(|t| t.and_utc())
        .map_err(|_| AppError::internal("a month's partition with a malformed bound"))
}
