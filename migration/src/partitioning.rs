//! Monthly time partitions on PostgreSQL for the tables that grow with time and whose old rows
//! the retention policy retires: health checks (by `measured_at`), checkpoint passages (by
//! `passed_at`) and the change log (by `at`). The audit trail has its own daily partitions
//! (`m20261203_000022_partition_audit_event`).
//!
//! A month's rows sit in `{table}_pYYYYMM` (UTC months), so the purge empties a month whole
//! (`TRUNCATE`, the held rows put back) instead of deleting it row by row, and the month being
//! written has small, hot indexes. Each table also has a default partition, so that a row
//! outside every month (a clock far off, a benchmark writing history) is never refused; the
//! month is created, and its rows moved out of the default, the next time the partitions are
//! prepared ([`prepare`]: at migration, at start-up, every hour, before each purge).
//!
//! Here rather than in the server, so that the migration that partitions the tables and the
//! server that keeps them ahead create a month the same way.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// A table partitioned by month of one of its instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monthly {
    pub table: &'static str,
    /// The instant (`timestamptz`) the rows are partitioned by.
    pub column: &'static str,
}

pub const HEALTH_CHECK: Monthly = Monthly {
    table: "health_check",
    column: "measured_at",
};
pub const CHECKPOINT_ENTRY: Monthly = Monthly {
    table: "checkpoint_entry",
    column: "passed_at",
};
pub const CHANGE_LOG: Monthly = Monthly {
    table: "change_log",
    column: "at",
};

/// Every table partitioned by month.
pub const MONTHLY: [Monthly; 3] = [HEALTH_CHECK, CHECKPOINT_ENTRY, CHANGE_LOG];

/// One month's partition: its name and its bounds, `[from, to)`, as UTC instants in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    pub name: String,
    pub from: String,
    pub to: String,
}

impl Monthly {
    /// The default partition.
    pub fn default_partition(&self) -> String {
        format!("{}_default", self.table)
    }

    /// The months present as partitions, oldest first.
    pub async fn months(&self, db: &impl ConnectionTrait) -> Result<Vec<Month>, DbErr> {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT c.relname AS name FROM pg_inherits i \
                 JOIN pg_class c ON c.oid = i.inhrelid \
                 WHERE i.inhparent = to_regclass($1) ORDER BY c.relname",
                [self.table.into()],
            ))
            .await?;
        let mut months = Vec::new();
        for row in rows {
            let name: String = row.try_get("", "name")?;
            if let Some(month) = self.month_named(&name) {
                months.push(month);
            }
        }
        Ok(months)
    }

    /// The month a partition's name stands for (`health_check_p202612` → December 2026).
    fn month_named(&self, name: &str) -> Option<Month> {
        let digits = name.strip_prefix(self.table)?.strip_prefix("_p")?;
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: u32 = digits[..4].parse().ok()?;
        let month: u32 = digits[4..].parse().ok()?;
        if !(1..=12).contains(&month) {
            return None;
        }
        let (next_year, next_month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        Some(Month {
            name: name.to_owned(),
            from: format!("{year:04}-{month:02}-01 00:00:00+00"),
            to: format!("{next_year:04}-{next_month:02}-01 00:00:00+00"),
        })
    }

    /// Creates the partition of the month starting at `first_day` (`YYYY-MM-01`) if it is
    /// missing, moving into it the rows of that month the default partition holds; whether
    /// it moved any.
    pub async fn ensure(&self, db: &impl ConnectionTrait, first_day: &str) -> Result<bool, DbErr> {
        let digits: String = first_day
            .chars()
            .filter(char::is_ascii_digit)
            .take(6)
            .collect();
        let month = self
            .month_named(&format!("{}_p{digits}", self.table))
            .ok_or_else(|| DbErr::Custom(format!("not the first day of a month: {first_day}")))?;
        if exists(db, &month.name).await? {
            return Ok(false);
        }
        let (table, column, default) = (self.table, self.column, self.default_partition());
        let (name, from, to) = (&month.name, &month.from, &month.to);
        // Names and bounds come from the calendar, not from a client.
        let stray = exists(db, &default).await?
            && db
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!(
                        "SELECT 1 AS one FROM {default} \
                         WHERE {column} >= '{from}' AND {column} < '{to}' LIMIT 1"
                    ),
                ))
                .await?
                .is_some();
        if !stray {
            db.execute_unprepared(&format!(
                "CREATE TABLE {name} PARTITION OF {table} FOR VALUES FROM ('{from}') TO ('{to}')"
            ))
            .await?;
            return Ok(false);
        }
        // The month's rows leave the default partition for their own in one statement, so
        // that no failure leaves them in a table outside the partitioned one.
        db.execute_unprepared(&format!(
            "DO $$ BEGIN \
             CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS); \
             WITH moved AS (DELETE FROM {default} \
               WHERE {column} >= '{from}' AND {column} < '{to}' RETURNING *) \
             INSERT INTO {name} SELECT * FROM moved; \
             ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ('{from}') TO ('{to}'); \
             END $$"
        ))
        .await?;
        Ok(true)
    }

    /// Empties the default partition once rows have moved out of it, when nothing is left
    /// in it: a move deletes them there, and until a vacuum their dead copies stay behind in
    /// its table and indexes, which every query the months cannot prune still reads (seen:
    /// 360 MB of dead checks after a city aged by 90 days had its months created). Under a
    /// lock, so that no row written meanwhile is lost.
    async fn empty_default(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let default = self.default_partition();
        db.execute_unprepared(&format!(
            "DO $$ BEGIN \
             LOCK TABLE {default} IN ACCESS EXCLUSIVE MODE; \
             IF NOT EXISTS (SELECT 1 FROM {default}) THEN TRUNCATE {default}; END IF; \
             END $$"
        ))
        .await
        .map(|_| ())
    }
}

/// The months a row may be written in now: the month a check or a passage may still be
/// backdated to (30 days), this month and the next (a query of month starts).
pub(crate) const WRITABLE_MONTHS: &str = "SELECT generate_series(\
     date_trunc('month', now() AT TIME ZONE 'UTC' - interval '31 days'), \
     date_trunc('month', now() AT TIME ZONE 'UTC' + interval '1 month'), interval '1 month')";

/// Creates, for every table partitioned by month, the partitions of the month a check or a
/// passage may still be backdated to (30 days), of this month and of the next, and those of
/// any month whose rows sit in the default partition. Nothing on SQLite.
pub async fn prepare(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for monthly in MONTHLY {
        if !exists(db, monthly.table).await? {
            continue;
        }
        let default = monthly.default_partition();
        let strays = if exists(db, &default).await? {
            format!(
                " UNION SELECT date_trunc('month', {} AT TIME ZONE 'UTC') FROM {default}",
                monthly.column
            )
        } else {
            String::new()
        };
        let mut moved = false;
        for day in first_days(db, &format!("{WRITABLE_MONTHS}{strays}")).await? {
            moved |= monthly.ensure(db, &day).await?;
        }
        if moved {
            monthly.empty_default(db).await?;
        }
    }
    Ok(())
}

/// The first days (`YYYY-MM-DD`) a query of month starts returns, in order.
pub(crate) async fn first_days(
    db: &impl ConnectionTrait,
    months: &str,
) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT DISTINCT to_char(m, 'YYYY-MM-DD') AS day FROM ({months}) AS t(m) ORDER BY 1"),
        ))
        .await?;
    rows.iter().map(|row| row.try_get("", "day")).collect()
}

async fn exists(db: &impl ConnectionTrait, relation: &str) -> Result<bool, DbErr> {
    Ok(db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT to_regclass($1) IS NOT NULL AS present",
            [relation.into()],
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "present"))
        .transpose()?
        .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partitions_name_gives_its_month() {
        let month = HEALTH_CHECK.month_named("health_check_p202612").unwrap();
        assert_eq!(month.from, "2026-12-01 00:00:00+00");
        assert_eq!(month.to, "2027-01-01 00:00:00+00");
        assert_eq!(
            CHANGE_LOG.month_named("change_log_p202702").unwrap().to,
            "2027-03-01 00:00:00+00"
        );
        assert!(HEALTH_CHECK.month_named("health_check_default").is_none());
        assert!(HEALTH_CHECK.month_named("health_check_p202613").is_none());
        assert!(CHECKPOINT_ENTRY
            .month_named("health_check_p202612")
            .is_none());
    }
}
