//! Applies, rolls back and re-applies every migration on SQLite and, when TEST_DATABASE_URL
//! names a PostgreSQL server, on a scratch database there, checking the constraints that
//! the server relies on rather than merely that the DDL parses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm_migration::sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

type Failure = Box<dyn std::error::Error>;

const TABLES: [&str; 15] = [
    "org_unit",
    "person",
    "person_provenance",
    "case_record",
    "contact",
    "quarantine",
    "health_check",
    "alert",
    "lab_test",
    "checkpoint_entry",
    "task",
    "daily_report",
    "access_grant",
    "audit_event",
    "stand_down",
];

/// Columns that must compare in byte order on PostgreSQL for prefix range scans.
const BYTE_ORDER_COLUMNS: [(&str, &str); 14] = [
    ("org_unit", "path"),
    ("case_record", "reporting_path"),
    ("contact", "traced_by_path"),
    ("person", "residence_path"),
    ("person", "name"),
    ("alert", "org_path"),
    ("checkpoint_entry", "org_path"),
    ("checkpoint_entry", "destination_path"),
    ("task", "from_path"),
    ("task", "to_path"),
    ("daily_report", "org_path"),
    ("access_grant", "grantee_path"),
    ("stand_down", "org_path"),
    ("audit_event", "actor_path"),
];

#[tokio::test]
async fn migrations_apply_and_roll_back_on_sqlite() {
    let file = std::env::temp_dir().join(format!("{}.sqlite", scratch_name()));
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let db = Database::connect(&url).await.unwrap();
    let outcome = exercise(&db).await;
    db.close().await.unwrap();
    let _ = std::fs::remove_file(&file);
    outcome.unwrap();
}

#[tokio::test]
async fn migrations_apply_and_roll_back_on_postgres() {
    let Ok(server_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL is not set; skipping the PostgreSQL run");
        return;
    };
    let name = scratch_name();
    let admin = Database::connect(&server_url).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();

    let outcome = async {
        let db = Database::connect(&with_database(&server_url, &name)).await?;
        let outcome = exercise(&db).await;
        db.close().await?;
        outcome
    }
    .await;

    // Dropped before asserting, so that a failing run leaves no database behind.
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    outcome.unwrap();
}

async fn exercise(db: &DatabaseConnection) -> Result<(), Failure> {
    Migrator::up(db, None).await?;
    expect_tables(db, true).await?;
    check_constraints(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        check_byte_order_collation(db).await?;
    }
    // The last migration (the months' partitions) rolled back and applied again keeps the rows.
    let kept =
        "SELECT (SELECT COUNT(*) FROM health_check) + (SELECT COUNT(*) FROM change_log) AS id";
    let before = insert(db, kept).await?;
    Migrator::down(db, Some(1)).await?;
    let after_down = insert(db, kept).await?;
    Migrator::up(db, None).await?;
    let after_up = insert(db, kept).await?;
    if (after_down, after_up) != (before, before) {
        return Err(format!(
            "rows through the partitioning's roll-back and re-application: {before}, {after_down}, {after_up}"
        )
        .into());
    }

    Migrator::down(db, None).await?;
    expect_tables(db, false).await?;

    Migrator::up(db, None).await?;
    expect_tables(db, true).await?;
    check_constraints(db).await
}

async fn expect_tables(db: &DatabaseConnection, present: bool) -> Result<(), Failure> {
    let manager = SchemaManager::new(db);
    for table in TABLES {
        if manager.has_table(table).await? != present {
            return Err(format!("table {table}: expected present = {present}").into());
        }
    }
    Ok(())
}

async fn check_constraints(db: &DatabaseConnection) -> Result<(), Failure> {
    let now = "'2026-11-23T08:00:00Z'";
    let org = insert(
        db,
        &format!(
            "INSERT INTO org_unit (code, name, level, path, created_at) \
             VALUES ('T-01', 'Test grid', 'GRID', '/1/', {now}) RETURNING id"
        ),
    )
    .await?;
    let person = insert(
        db,
        &format!(
            "INSERT INTO person (name, sex, residence_org_id, residence_path, created_at, \
             updated_at, created_by_agency) \
             VALUES ('张三', 'MALE', {org}, '/1/', {now}, {now}, 'HEALTH') RETURNING id"
        ),
    )
    .await?;

    let defaults = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT version, vulnerabilities FROM person WHERE id = {person}"),
        ))
        .await?
        .ok_or("person row missing")?;
    let version: i32 = defaults.try_get("", "version")?;
    let vulnerabilities: i32 = defaults.try_get("", "vulnerabilities")?;
    if (version, vulnerabilities) != (1, 0) {
        return Err(
            format!("defaults: version {version}, vulnerabilities {vulnerabilities}").into(),
        );
    }

    let case = |open: bool| {
        format!(
            "INSERT INTO case_record (person_id, classification, reported_at, reporting_org_id, \
             reporting_path, outcome, is_open, created_at, updated_at, created_by_agency, created_by) \
             VALUES ({person}, 'CONFIRMED', {now}, {org}, '/1/', 'ACTIVE', {open}, {now}, {now}, \
             'HEALTH', 'u1') RETURNING id"
        )
    };
    insert(db, &case(true)).await?;
    expect_violation(db, &case(true), "unique", "second open case of a person").await?;
    insert(db, &case(false)).await?;
    insert(db, &case(false)).await?;

    let quarantine = |active: bool| {
        format!(
            "INSERT INTO quarantine (person_id, kind, reason, start_date, planned_end_date, \
             is_active, ordered_by_org_id, created_at, updated_at, created_by_agency, created_by) \
             VALUES ({person}, 'HOME', 'OTHER', '2026-11-23', '2026-12-07', {active}, {org}, \
             {now}, {now}, 'HEALTH', 'u1') RETURNING id"
        )
    };
    insert(db, &quarantine(true)).await?;
    expect_violation(
        db,
        &quarantine(true),
        "unique",
        "second active quarantine of a person",
    )
    .await?;
    insert(db, &quarantine(false)).await?;

    insert(
        db,
        &format!(
            "INSERT INTO daily_report (org_id, org_path, report_date, figures, confirmed_at, \
             confirmed_by, created_at, updated_at) \
             VALUES ({org}, '/1/', '2026-11-23', '{{\"cases\": 1}}', {now}, 'u1', {now}, {now}) \
             RETURNING id"
        ),
    )
    .await?;

    expect_violation(
        db,
        &format!("DELETE FROM org_unit WHERE id = {org}"),
        "foreign key",
        "deleting a unit that people live in",
    )
    .await?;

    let event = insert(
        db,
        &format!(
            "INSERT INTO audit_event (at, subject, agency, role, actor_path, operation, \
             entity_type, entity_id, request_id) \
             VALUES ({now}, 'u1', 'HEALTH', 'OPERATOR', '/1/', 'query person', 'Person', \
             {person}, 'r1') RETURNING id"
        ),
    )
    .await?;
    for sql in [
        format!("UPDATE audit_event SET subject = 'u2' WHERE id = {event}"),
        format!("DELETE FROM audit_event WHERE id = {event}"),
        // Unlinking together with any other change is still a rewrite.
        format!(
            "UPDATE audit_event SET entity_id = NULL, entity_ids = NULL, reason = NULL, \
             operation = 'query nothing' WHERE id = {event}"
        ),
    ] {
        expect_violation(
            db,
            &sql,
            "audit_event is append-only",
            "changing the audit trail",
        )
        .await?;
    }
    // An idempotency key is unique per submitter and instant (migration 000030): the same
    // key at another instant is another check, at the same instant a conflict.
    let check = |at: &str| {
        format!(
            "INSERT INTO health_check (person_id, measured_at, temperature_decidegrees, symptoms, \
             fever, recorded_by, recorded_by_agency, idempotency_key, created_at) \
             VALUES ({person}, '{at}', 365, 0, false, 'u1', 'COMMUNITY', 'k1', {now}) RETURNING id"
        )
    };
    insert(db, &check("2026-11-23T08:00:00Z")).await?;
    insert(db, &check("2026-11-23T20:00:00Z")).await?;
    expect_violation(
        db,
        &check("2026-11-23T08:00:00Z"),
        "unique",
        "a key sent again",
    )
    .await?;
    insert(
        db,
        &format!(
            "INSERT INTO change_log (entity_type, entity_id, operation, at) \
             VALUES ('Person', {person}, 'registerPerson', {now}) RETURNING id"
        ),
    )
    .await?;
    if db.get_database_backend() == DbBackend::Postgres {
        // Each row sits in the partition of its month; a far-off instant in the default.
        let month = insert(
            db,
            "SELECT COUNT(*) AS id FROM health_check_p202611 WHERE idempotency_key = 'k1'",
        )
        .await?;
        let stray = insert(db, &check("1999-01-01T00:00:00Z")).await?;
        let default = insert(
            db,
            &format!("SELECT COUNT(*) AS id FROM health_check_default WHERE id = {stray}"),
        )
        .await?;
        if (month, default) != (2, 1) {
            return Err(
                format!("partitions: {month} in November, {default} in the default").into(),
            );
        }
    }
    // One use of the key stays, so that rolling back to one key per submitter can hold.
    db.execute_unprepared(
        "DELETE FROM health_check WHERE idempotency_key = 'k1' \
         AND measured_at <> '2026-11-23T08:00:00Z'",
    )
    .await?;

    // The retention purge's one change (migration 000027): the record ids and reason go, who
    // did what stays.
    db.execute_unprepared(&format!(
        "UPDATE audit_event SET entity_id = NULL, entity_ids = NULL, reason = NULL WHERE id = {event}"
    ))
    .await?;
    Ok(())
}

async fn check_byte_order_collation(db: &DatabaseConnection) -> Result<(), Failure> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = current_schema() AND collation_name = 'C' \
             AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)",
        ))
        .await?;
    let mut found = BTreeSet::new();
    for row in rows {
        let table: String = row.try_get("", "t")?;
        let column: String = row.try_get("", "c")?;
        found.insert((table, column));
    }
    let expected: BTreeSet<(String, String)> = BYTE_ORDER_COLUMNS
        .iter()
        .map(|(t, c)| (t.to_string(), c.to_string()))
        .collect();
    if found != expected {
        return Err(format!("COLLATE \"C\" columns: {found:?}, expected {expected:?}").into());
    }
    Ok(())
}

async fn insert(db: &DatabaseConnection, sql: &str) -> Result<i64, Failure> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| format!("{sql}: returned no row"))?;
    Ok(row.try_get("", "id")?)
}

/// Runs `sql` and requires it to fail with an error mentioning `violation` (case-insensitive),
/// so that a typo in the statement cannot pass for the constraint doing its work.
async fn expect_violation(
    db: &DatabaseConnection,
    sql: &str,
    violation: &str,
    what: &str,
) -> Result<(), Failure> {
    match db.execute_unprepared(sql).await {
        Err(err) if err.to_string().to_lowercase().contains(violation) => Ok(()),
        Err(err) => Err(format!("{what}: unexpected error {err}").into()),
        Ok(_) => Err(format!("{what}: was accepted").into()),
    }
}

fn scratch_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("mig_{}_{nanos}", std::process::id())
}

/// The server URL with its database replaced by `name`, keeping any query parameters.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}
