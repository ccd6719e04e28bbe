//! Time partitions on PostgreSQL, kept ahead of the rows that will need them: created at
//! start-up, then every hour, and before each purge.
//!
//! - The audit trail's daily partitions (migration `m20261203_000022_partition_audit_event`):
//!   each day's partition exists days before its first event. A partition that cannot be
//!   created (its range already taken by the legacy partition, or by events in the default
//!   partition) is logged and skipped: events then land in the partition that does cover them,
//!   and an audited read never fails for want of one.
//! - The audit trail's index of the records an event names (GIN over `entity_ids`, answering
//!   "who has seen this person") is written in bulk: each day's partition's index keeps GIN's
//!   pending list (`fastupdate`), to which an insert appends, and a task here merges that
//!   list into the index every second (`gin_clean_pending_list`), so that no request waits
//!   for a merge and the list a search also reads stays a second long. Written through
//!   instead, each id of each event was a random insertion into an index that outgrows memory
//!   within the day: on the million city, with 1.7 million events filed that day, the SQL
//!   floor of a case page with its group-committed audit went from 42 pages a second written
//!   through to 131-136 in bulk (BENCHMARKS.md).
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
/// How often the audit index's pending list is merged into it.
const MERGE_EVERY: Duration = Duration::from_secs(1);
/// The most a pending list holds before the insert that fills it merges it itself (kB): a
/// few seconds of a busy day's events, so that the task, not a request, does the merging.
const PENDING_LIST_KB: u32 = 32 * 1024;

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
    if let Err(err) = write_in_bulk(db).await {
        tracing::warn!(error = %crate::error::loggable(&err), "could not set the audit index to be written in bulk");
    }
    Ok(())
}

/// Gives every partition's GIN index of the audit trail a pending list (a partitioned index
/// takes no storage parameters, so each partition's is set; old ones are set too, harmlessly).
async fn write_in_bulk(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    db.execute_unprepared(&format!(
        "DO $$ DECLARE i regclass; BEGIN \
         FOR i IN SELECT x.indexrelid::regclass FROM pg_inherits h \
           JOIN pg_index x ON x.indrelid = h.inhrelid \
           JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am a ON a.oid = c.relam \
          WHERE h.inhparent = 'audit_event'::regclass AND a.amname = 'gin' \
            AND NOT coalesce(c.reloptions @> ARRAY['fastupdate=on'], false) \
         LOOP EXECUTE format('ALTER INDEX %s SET (fastupdate = on, gin_pending_list_limit = {PENDING_LIST_KB})', i); \
         END LOOP; END $$"
    ))
    .await
    .map(|_| ())
}

/// Merges the pending lists of the audit index of today's, yesterday's (events stamped just
/// before midnight) and the default partitions into their indexes.
pub async fn merge_pending(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    let today = Utc::now().date_naive();
    let mut tables = vec!["audit_event_default".to_owned()];
    for day in [Some(today), today.checked_sub_days(Days::new(1))]
        .into_iter()
        .flatten()
    {
        tables.push(format!("audit_event_p{}", day.format("%Y%m%d")));
    }
    // Names from the calendar, not from a client.
    let names = tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    db.execute_unprepared(&format!(
        "SELECT count(gin_clean_pending_list(x.indexrelid::regclass)) FROM pg_index x \
           JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am a ON a.oid = c.relam \
          WHERE a.amname = 'gin' AND x.indrelid IN \
            (SELECT to_regclass(t) FROM unnest(ARRAY[{names}]) AS t)"
    ))
    .await
    .map(|_| ())
}

/// Keeps [`prepare`]ing every hour, and [`merge_pending`] every second, while the server runs.
pub fn keep_ahead(db: DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let merging = db.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(MERGE_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Said once when merging starts failing (the database away), not every second.
        let mut failing = false;
        loop {
            ticks.tick().await;
            match merge_pending(&merging).await {
                Ok(()) => failing = false,
                Err(err) if !failing => {
                    failing = true;
                    tracing::warn!(error = %crate::error::loggable(&err), "could not merge the audit index's pending list");
                }
                Err(_) => {}
            }
        }
    });
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
