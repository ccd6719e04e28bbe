//! Health checks, checkpoint passages and the change log partitioned by month (PostgreSQL);
//! see `partitioning` for why. Each table is rebuilt as a partitioned one with the same
//! columns, defaults, indexes, foreign keys and id sequence, and its rows are copied into
//! their months (a table of a few million rows takes seconds to a minute; the server is
//! stopped for migrations anyway).
//!
//! A partitioned table can only hold a key unique with its partition column in it. So the
//! primary key becomes `(id, instant)` (ids still come from one sequence, so stay unique),
//! and an idempotency key is now unique per submitter *and instant*: a check or passage sent
//! again carries the instant it was sent with the first time, so a replay is still caught
//! and answers DUPLICATE as before; a key reused for another instant is taken as another
//! submission (before, it was refused as IDEMPOTENCY_KEY_REUSED). SQLite, which keeps one
//! table, gets the same unique keys, so that both databases answer alike.
//!
//! The index on the instant alone becomes `(instant, id)`: the purge's batches go on from the
//! last row taken in that order (on SQLite the row id is in every index already).

use sea_orm_migration::{
    prelude::*,
    sea_orm::{DbBackend, Statement},
};

use crate::partitioning::{first_days, Monthly, MONTHLY, WRITABLE_MONTHS};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The idempotency keys, on SQLite: (index, table, instant).
const KEYS: [(&str, &str, &str); 2] = [
    (
        "uq_health_check_recorded_by_idempotency_key",
        "health_check",
        "measured_at",
    ),
    (
        "uq_checkpoint_entry_recorded_by_idempotency_key",
        "checkpoint_entry",
        "passed_at",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() != DbBackend::Postgres {
            // One string each, so that both statements run on one connection: another
            // connection of the pool may still see the index dropped a moment ago.
            for (index, table, instant) in KEYS {
                db.execute_unprepared(&format!(
                    "DROP INDEX {index}; \
                     CREATE UNIQUE INDEX {index} ON {table} (recorded_by, idempotency_key, {instant})"
                ))
                .await?;
            }
            return Ok(());
        }
        for monthly in MONTHLY {
            rebuild(db, monthly, true).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() != DbBackend::Postgres {
            for (index, table, _) in KEYS {
                db.execute_unprepared(&format!(
                    "DROP INDEX {index}; \
                     CREATE UNIQUE INDEX {index} ON {table} (recorded_by, idempotency_key)"
                ))
                .await?;
            }
            return Ok(());
        }
        for monthly in MONTHLY {
            rebuild(db, monthly, false).await?;
        }
        Ok(())
    }
}

/// Rebuilds `monthly.table` as a partitioned table (`partitioned`) or as one plain table,
/// keeping its rows, columns, defaults, indexes, foreign keys and id sequence.
async fn rebuild(
    db: &SchemaManagerConnection<'_>,
    monthly: Monthly,
    partitioned: bool,
) -> Result<(), DbErr> {
    let Monthly { table, column } = monthly;
    let old = format!("{table}_before_rebuild");
    let run = |sql: String| async move { db.execute_unprepared(&sql).await.map(|_| ()) };
    let rows = |sql: String| async move {
        db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
    };

    run(format!("ALTER TABLE {table} RENAME TO {old}")).await?;
    // What to carry over, read before the names are freed.
    let mut indexes = Vec::new();
    for row in rows(format!(
        "SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i \
         WHERE i.tablename = '{old}' AND i.indexname NOT IN \
           (SELECT conname FROM pg_constraint WHERE conrelid = '{old}'::regclass AND contype = 'p')"
    ))
    .await?
    {
        indexes.push((
            row.try_get::<String>("", "name")?,
            row.try_get::<String>("", "def")?,
        ));
    }
    let mut foreign_keys = Vec::new();
    for row in rows(format!(
        "SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint \
         WHERE conrelid = '{old}'::regclass AND contype = 'f'"
    ))
    .await?
    {
        foreign_keys.push((
            row.try_get::<String>("", "name")?,
            row.try_get::<String>("", "def")?,
        ));
    }
    let sequence: Option<String> = rows(format!(
        "SELECT pg_get_serial_sequence('{old}', 'id') AS seq"
    ))
    .await?
    .first()
    .map(|row| row.try_get::<Option<String>>("", "seq"))
    .transpose()?
    .flatten();
    let sequence = sequence
        .ok_or_else(|| DbErr::Migration(format!("{table}.id has no sequence of its own")))?;
    // An identity's sequence cannot change hands (and PostgreSQL 15 has no identity on a
    // partitioned table): the new table gets a sequence of its own, continuing the numbers.
    let identity = !rows(format!(
        "SELECT 1 AS one FROM pg_attribute WHERE attrelid = '{old}'::regclass \
         AND attname = 'id' AND attidentity <> ''"
    ))
    .await?
    .is_empty();

    for (name, _) in &indexes {
        run(format!("DROP INDEX {name}")).await?;
    }
    run(format!("ALTER TABLE {old} DROP CONSTRAINT {table}_pkey")).await?;
    let partitioning = if partitioned {
        format!(" PARTITION BY RANGE ({column})")
    } else {
        String::new()
    };
    run(format!(
        "CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){partitioning}"
    ))
    .await?;
    let sequence = if identity {
        let own = format!("{table}_id_seq_rebuilt");
        run(format!("CREATE SEQUENCE {own}")).await?;
        run(format!(
            "SELECT setval('{own}', (SELECT COALESCE(max(id), 0) + 1 FROM {old}), false)"
        ))
        .await?;
        run(format!(
            "ALTER TABLE {table} ALTER COLUMN id SET DEFAULT nextval('{own}')"
        ))
        .await?;
        own
    } else {
        sequence
    };
    // The id default names the sequence, which now belongs to the new table.
    run(format!("ALTER SEQUENCE {sequence} OWNED BY {table}.id")).await?;
    let key = if partitioned {
        format!("id, {column}")
    } else {
        "id".to_owned()
    };
    run(format!(
        "ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({key})"
    ))
    .await?;
    for (_, def) in &indexes {
        run(carried_over(def, &old, table, column, partitioned)).await?;
    }
    for (name, def) in &foreign_keys {
        run(format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}")).await?;
    }
    if partitioned {
        // Every month that holds rows, the months a row may be written in now (as
        // `partitioning::prepare` keeps them), and a default for any other instant.
        let months = format!(
            "SELECT date_trunc('month', {column} AT TIME ZONE 'UTC') FROM {old} UNION {WRITABLE_MONTHS}"
        );
        for day in first_days(db, &months).await? {
            monthly.ensure(db, &day).await?;
        }
        run(format!(
            "CREATE TABLE {} PARTITION OF {table} DEFAULT",
            monthly.default_partition()
        ))
        .await?;
    }
    run(format!("INSERT INTO {table} SELECT * FROM {old}")).await?;
    run(format!("DROP TABLE {old}")).await?;
    if identity {
        // The identity's sequence went with the old table; its name is free again.
        run(format!(
            "ALTER SEQUENCE {sequence} RENAME TO {table}_id_seq"
        ))
        .await?;
    }
    run(format!("ANALYZE {table}")).await
}

/// An index definition of `from` rewritten for `to`: a unique index gains the partition
/// column (`partitioned`) or loses it again.
fn carried_over(def: &str, from: &str, to: &str, column: &str, partitioned: bool) -> String {
    let def = def
        .replace(&format!(" ON ONLY public.{from} "), &format!(" ON {to} "))
        .replace(&format!(" ON public.{from} "), &format!(" ON {to} "))
        .replace(&format!(" ON {from} "), &format!(" ON {to} "));
    let unique = def.starts_with("CREATE UNIQUE INDEX");
    // The index on the instant alone orders the purge's batches, which go on from the last
    // row taken by `(instant, id)`: with the id in it, a batch reads its rows in order from
    // where the last stopped instead of sorting every due row after it.
    let by_instant = !unique && !def.contains(" WHERE ");
    if !unique && !by_instant {
        return def;
    }
    // The column list is the first parenthesis after USING.
    let Some(open) = def
        .find(" USING ")
        .and_then(|at| def[at..].find('(').map(|i| at + i))
    else {
        return def;
    };
    let mut depth = 0;
    let mut close = None;
    for (i, c) in def[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else {
        return def;
    };
    let columns = &def[open + 1..close];
    let (alone, suffix) = if unique {
        (None, format!(", {column}"))
    } else {
        (Some(column), ", id".to_owned())
    };
    let columns = if partitioned {
        match alone {
            Some(instant) if columns != instant => return def,
            _ => format!("{columns}{suffix}"),
        }
    } else {
        match alone {
            Some(instant) if columns != format!("{instant}{suffix}") => return def,
            _ => columns.strip_suffix(&suffix).unwrap_or(columns).to_owned(),
        }
    };
    format!("{}({columns}){}", &def[..open], &def[close + 1..])
}

#[cfg(test)]
mod tests {
    use super::carried_over;

    #[test]
    fn a_unique_index_gains_the_partition_column_and_loses_it_again() {
        let def = "CREATE UNIQUE INDEX uq_k ON public.t_before_rebuild USING btree (recorded_by, idempotency_key)";
        let up = carried_over(def, "t_before_rebuild", "t", "measured_at", true);
        assert_eq!(
            up,
            "CREATE UNIQUE INDEX uq_k ON t USING btree (recorded_by, idempotency_key, measured_at)"
        );
        let parent = up.replace(" ON t ", " ON ONLY public.t_before_rebuild ");
        assert_eq!(
            carried_over(&parent, "t_before_rebuild", "t", "measured_at", false),
            "CREATE UNIQUE INDEX uq_k ON t USING btree (recorded_by, idempotency_key)"
        );
        let partial = "CREATE INDEX f ON public.t_before_rebuild USING btree (measured_at) WHERE (fever = true)";
        assert_eq!(
            carried_over(partial, "t_before_rebuild", "t", "measured_at", true),
            "CREATE INDEX f ON t USING btree (measured_at) WHERE (fever = true)"
        );
        // The instant's own index gains the id (the purge's order), and loses it again.
        let instant = "CREATE INDEX i ON public.t_before_rebuild USING btree (measured_at)";
        let up = carried_over(instant, "t_before_rebuild", "t", "measured_at", true);
        assert_eq!(up, "CREATE INDEX i ON t USING btree (measured_at, id)");
        let parent = up.replace(" ON t ", " ON ONLY public.t_before_rebuild ");
        assert_eq!(
            carried_over(&parent, "t_before_rebuild", "t", "measured_at", false),
            "CREATE INDEX i ON t USING btree (measured_at)"
        );
        let other =
            "CREATE INDEX o ON public.t_before_rebuild USING btree (person_id, measured_at)";
        assert_eq!(
            carried_over(other, "t_before_rebuild", "t", "measured_at", true),
            "CREATE INDEX o ON t USING btree (person_id, measured_at)"
        );
    }
}
