//! Time partitions on PostgreSQL, kept ahead of the rows that will need them: created at
//! start-up, then every hour, and before each purge.
//!
//! - The audit trail's daily partitions (migration `m20261203_000022_partition_audit_event`):
//!   each day's partition exists days before its first event. A partition that cannot be
//!   created (its range already taken by the legacy partition, or by events in the default
//!   partition) is logged and skipped: events then land in the partition that does cover them,
//!   and an audited read never fails for want of one.
//! - The monthly partitions of health checks, checkpoint passages and the change log
//!   (`migration::partitioning`): the month a check may still be backdated to, this month and
//!   the next, and any month whose rows landed in the default partition.

use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// Days ahead of today whose partitions exist.
const DAYS_AHEAD: u64 = 3;
/// How often the partitions ahead are checked.
const EVERY: Duration = Duration::from_secs(3600);

/// Creates the partitions of today and the next days, and the months', where missing.
/// Nothing on SQLite.
pub async fn prepare(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    if let Err(err) = migration::partitioning::prepare(db).await {
        tracing::warn!(error = %crate::error::loggable(&err), "could not create the months' partitions");
    }
    let today = Utc::now().date_naive();
    for ahead in 0..=DAYS_AHEAD {
        let Some(day) = today.checked_add_days(Days::new(ahead)) else {
            continue;
        };
        if let Err(err) = create(db, day).await {
            tracing::warn!(%day, error = %crate::error::loggable(&err), "could not create the audit trail's partition of the day");
        }
    }
    Ok(())
}

/// Keeps [`prepare`]ing every hour while the server runs.
pub fn keep_ahead(db: DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if let Err(err) = prepare(&db).await {
                tracing::warn!(error = %crate::error::loggable(&err), "could not check the partitions");
            }
        }
    });
}

async fn create(db: &impl ConnectionTrait, day: NaiveDate) -> Result<(), DbErr> {
    let next = day
        .checked_add_days(Days::new(1))
        .ok_or_else(|| DbErr::Custom("no day after".into()))?;
    let name = format!("audit_event_p{}", day.format("%Y%m%d"));
    // Asked first rather than CREATE ... IF NOT EXISTS, whose notice would reach the log hourly.
    let exists = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT to_regclass($1) IS NOT NULL AS present",
            [name.clone().into()],
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "present"))
        .transpose()?
        .unwrap_or(false);
    if exists {
        return Ok(());
    }
    // Values from the calendar, not from a client: safe to write into the statement.
    db.execute_unprepared(&format!(
        "CREATE TABLE {name} PARTITION OF audit_event \
         FOR VALUES FROM ('{} 00:00:00+00') TO ('{} 00:00:00+00')",
        day.format("%Y-%m-%d"),
        next.format("%Y-%m-%d"),
    ))
    .await
    .map(|_| ())
}
