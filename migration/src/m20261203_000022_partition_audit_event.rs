//! The audit trail partitioned by day (PostgreSQL).
//!
//! Every read files an event, so the trail grows by millions of rows, and each event is
//! inserted into five indexes, the GIN index over `entity_ids` among them. In one table those
//! indexes grew past memory and every insertion became a random read of a cold page: after a
//! million events a case page fell from 47.5 to 29 a second. Partitioned by the event's day,
//! the events of today go into today's partition, whose indexes stay small and hot whatever
//! the trail holds, so what an audited read costs stays flat; "who has seen this person"
//! (`entity_id`, `entity_ids`) asks each partition's indexes. Old partitions can be dropped
//! whole once retention is decided (DROP TABLE of a partition is not a row DELETE, which
//! stays refused).
//!
//! The existing table becomes the partition of everything before this migration
//! (`audit_event_legacy`, its rows untouched); a partition for the rest of the day follows,
//! and the server creates each day's partition days ahead (`lianfang::audit::partitions`).
//! A default partition takes any event outside them (a clock far off), so an audited read
//! never fails for want of a partition. Partitions are named `audit_event_pYYYYMMDD` (UTC).
//!
//! SQLite, the embedded default of small deployments, keeps the one table.

use sea_orm_migration::{
    prelude::*,
    sea_orm::{DbBackend, Statement},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The indexes of migrations 14 and 19, kept on every partition.
const INDEXES: [(&str, &str); 5] = [
    ("idx_audit_event_actor_path_id", "(actor_path, id)"),
    ("idx_audit_event_at", "(at)"),
    (
        "idx_audit_event_entity_ids",
        "USING gin (entity_ids jsonb_path_ops) WITH (fastupdate = off)",
    ),
    (
        "idx_audit_event_entity_type_entity_id",
        "(entity_type, entity_id)",
    ),
    ("idx_audit_event_subject_at", "(subject, at)"),
];

const TRIGGER: &str = "CREATE TRIGGER audit_event_append_only \
     BEFORE UPDATE OR DELETE ON audit_event \
     FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        let run = |sql: String| async move { db.execute_unprepared(&sql).await.map(|_| ()) };

        run("ALTER TABLE audit_event RENAME TO audit_event_legacy".into()).await?;
        // The parent's trigger is cloned onto every partition, this one included.
        run("DROP TRIGGER audit_event_append_only ON audit_event_legacy".into()).await?;
        for (name, _) in INDEXES {
            let legacy = name.replace("idx_audit_event_", "idx_audit_event_legacy_");
            run(format!("ALTER INDEX {name} RENAME TO {legacy}")).await?;
        }
        run("ALTER TABLE audit_event_legacy RENAME CONSTRAINT audit_event_pkey TO audit_event_legacy_pkey".into())
            .await?;
        // PostgreSQL 15 has no identity column on a partitioned table: a sequence of its own,
        // continuing the identity's numbers.
        run("CREATE SEQUENCE audit_event_id_seq_new".into()).await?;
        run("SELECT setval('audit_event_id_seq_new', \
             (SELECT COALESCE(max(id), 0) + 1 FROM audit_event_legacy), false)"
            .into())
        .await?;
        run("ALTER TABLE audit_event_legacy ALTER COLUMN id DROP IDENTITY".into()).await?;
        run("ALTER SEQUENCE audit_event_id_seq_new RENAME TO audit_event_id_seq".into()).await?;

        run(
            "CREATE TABLE audit_event (LIKE audit_event_legacy INCLUDING DEFAULTS) \
             PARTITION BY RANGE (at)"
                .into(),
        )
        .await?;
        run(
            "ALTER TABLE audit_event ALTER COLUMN id SET DEFAULT nextval('audit_event_id_seq')"
                .into(),
        )
        .await?;
        run("ALTER SEQUENCE audit_event_id_seq OWNED BY audit_event.id".into()).await?;
        for (name, definition) in INDEXES {
            run(format!("CREATE INDEX {name} ON audit_event {definition}")).await?;
        }
        run(TRIGGER.into()).await?;

        // Everything so far stays where it is; today's later events get a partition of their own.
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT to_char(c, 'YYYY-MM-DD HH24:MI:SS.US') AS cutoff, \
                        to_char(c, 'YYYYMMDD') AS day, \
                        to_char(date_trunc('day', c) + interval '1 day', 'YYYY-MM-DD') AS next \
                 FROM (SELECT greatest(now(), max(at) + interval '1 microsecond') \
                       AT TIME ZONE 'UTC' AS c FROM audit_event_legacy) t",
            ))
            .await?
            .ok_or_else(|| DbErr::Migration("no cut-off for the audit trail".into()))?;
        let cutoff: String = row.try_get("", "cutoff")?;
        let day: String = row.try_get("", "day")?;
        let next: String = row.try_get("", "next")?;
        run(format!(
            "ALTER TABLE audit_event ATTACH PARTITION audit_event_legacy \
             FOR VALUES FROM (MINVALUE) TO ('{cutoff}+00')"
        ))
        .await?;
        run(format!(
            "CREATE TABLE audit_event_p{day} PARTITION OF audit_event \
             FOR VALUES FROM ('{cutoff}+00') TO ('{next} 00:00:00+00')"
        ))
        .await?;
        run("CREATE TABLE audit_event_default PARTITION OF audit_event DEFAULT".into()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        let run = |sql: String| async move { db.execute_unprepared(&sql).await.map(|_| ()) };
        // Back into the one table, which has no trigger while it is detached.
        run("ALTER TABLE audit_event DETACH PARTITION audit_event_legacy".into()).await?;
        run("INSERT INTO audit_event_legacy SELECT * FROM audit_event".into()).await?;
        run("DROP TABLE audit_event".into()).await?;
        run("ALTER TABLE audit_event_legacy RENAME TO audit_event".into()).await?;
        run(
            "ALTER TABLE audit_event RENAME CONSTRAINT audit_event_legacy_pkey TO audit_event_pkey"
                .into(),
        )
        .await?;
        for (name, _) in INDEXES {
            let legacy = name.replace("idx_audit_event_", "idx_audit_event_legacy_");
            run(format!("ALTER INDEX {legacy} RENAME TO {name}")).await?;
        }
        run("ALTER TABLE audit_event ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY".into())
            .await?;
        run(
            "SELECT setval(pg_get_serial_sequence('audit_event', 'id'), \
             (SELECT COALESCE(max(id), 0) + 1 FROM audit_event), false)"
                .into(),
        )
        .await?;
        run(TRIGGER.into()).await
    }
}
