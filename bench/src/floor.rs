//! The floor: the same rows as the server's answer, fetched by hand-written SQL through the
//! same driver (sqlx) with a pool of the server's size, in as few statements as a careful
//! engineer would write. Each read of personal data is filed on the audit trail in one
//! statement, as the server must do, so both sides do the same work.
//!
//! Each request counts the statements it ran (the audit insert only when it read a
//! person).
//!
//! | scenario | statements |
//! |---|---|
//! | lookup | the person with their residence unit; the audit insert |
//! | cases | the page of cases with persons and residence; the first 20 contacts of each case with their persons and active observations; the audit insert |
//! | follow-ups | the community's observations with persons and the day's check count, those with fewer than two; the audit insert |
//! | statistics | the eight groupings of the server in one `UNION ALL` |

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::NaiveDate;
use sea_orm::sqlx::{self, SqlStr};

use crate::{
    db::{on_pool, Db},
    floor_audit::Filing,
    runner::Outcome,
    sample::{day_bounds, Unit},
    scenarios::{Ctx, Scenario, CASES_PAGE, FOLLOW_UPS_PAGE},
};

/// Nested contacts per case, as the query asks (`contacts(first: 20)`).
const CONTACTS_PER_CASE: i64 = 20;
/// The server's `CHECKS_PER_DAY`.
pub const CHECKS_PER_DAY: i64 = 2;

/// A cursor of the `cases` list after case `id` (src/domain/values/cursor.rs).
pub fn case_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("cases:{id}"))
}

/// The floor's SQL, written out for the run's backend once.
pub struct Floor {
    db: Db,
    lookup: SqlStr,
    cases: SqlStr,
    contacts: SqlStr,
    follow_ups: SqlStr,
    statistics: SqlStr,
    /// How reads are filed on the audit trail (`floor_audit`).
    filing: Filing,
}

impl Floor {
    /// `offset_secs`: the server's local offset, a constant of the run written into the
    /// statistics statement.
    pub fn new(db: Db, district_children: &[Unit], offset_secs: i32, filing: Filing) -> Self {
        let pg = db.is_postgres();
        let ids_in = if pg {
            "= ANY($1)"
        } else {
            "IN (SELECT value FROM json_each($1))"
        };
        Self {
            lookup: db.sql(LOOKUP),
            cases: db.sql(CASES),
            contacts: db.sql(&CONTACTS.replace("{ids_in}", ids_in)),
            follow_ups: db.sql(FOLLOW_UPS),
            statistics: db.sql(&statistics_sql(pg, district_children, offset_secs)),
            filing,
            db,
        }
    }

    pub async fn request(&self, ctx: &Ctx, scenario: Scenario) -> Outcome {
        let done = match scenario {
            Scenario::Lookup => self.lookup(ctx).await,
            Scenario::Cases => self.cases(ctx).await,
            Scenario::FollowUps => self.follow_ups(ctx).await,
            Scenario::Statistics => self.statistics(ctx).await,
            _ => return Outcome::error("no floor for this scenario"),
        };
        match done {
            Ok(statements) => Outcome {
                statements,
                ..Outcome::ok()
            },
            Err(err) => Outcome::error(format!("floor: {err}")),
        }
    }

    async fn lookup(&self, ctx: &Ctx) -> Result<u64, sqlx::Error> {
        let (kind, number) = ctx.pick_document();
        let city = &ctx.sample.city;
        let upper = city.upper_bound();
        let row: Option<PersonRow> =
            on_pool!(&self.db, |pool| sqlx::query_as(self.lookup.clone())
                .bind(&kind)
                .bind(&number)
                .bind(&city.path)
                .bind(&upper)
                .fetch_optional(pool)
                .await)?;
        let row = row.ok_or(sqlx::Error::RowNotFound)?;
        Ok(1 + self
            .file_reads(ctx, "floor lookup", &[("Person", vec![row.0])])
            .await?)
    }

    async fn cases(&self, ctx: &Ctx) -> Result<u64, sqlx::Error> {
        let after = ctx.pick_cursor_case();
        let city = &ctx.sample.city;
        let upper = city.upper_bound();
        let page: Vec<CaseRow> = on_pool!(&self.db, |pool| sqlx::query_as(self.cases.clone())
            .bind(after)
            .bind(&city.path)
            .bind(&upper)
            .bind(CASES_PAGE as i64)
            .fetch_all(pool)
            .await)?;
        let case_ids: Vec<i64> = page.iter().map(|c| c.0).collect();
        let contacts: Vec<ContactRow> = match &self.db {
            Db::Postgres(pool) => {
                sqlx::query_as(self.contacts.clone())
                    .bind(&case_ids)
                    .bind(true)
                    .bind(CONTACTS_PER_CASE)
                    .fetch_all(pool)
                    .await?
            }
            Db::Sqlite(pool) => {
                sqlx::query_as(self.contacts.clone())
                    .bind(json_ids(&case_ids))
                    .bind(true)
                    .bind(CONTACTS_PER_CASE)
                    .fetch_all(pool)
                    .await?
            }
        };
        let mut persons: Vec<i64> = page.iter().map(|c| c.3).collect();
        persons.extend(contacts.iter().map(|c| c.4));
        persons.sort_unstable();
        persons.dedup();
        let contact_ids = contacts.iter().map(|c| c.1).collect();
        let mut observations: Vec<i64> = contacts.iter().filter_map(|c| c.8).collect();
        observations.sort_unstable();
        observations.dedup();
        let filed = self
            .file_reads(
                ctx,
                "floor cases",
                &[
                    ("Case", case_ids),
                    ("Contact", contact_ids),
                    ("Person", persons),
                    ("Quarantine", observations),
                ],
            )
            .await?;
        Ok(2 + filed)
    }

    async fn follow_ups(&self, ctx: &Ctx) -> Result<u64, sqlx::Error> {
        let community = &ctx.sample.busiest_community;
        let upper = community.upper_bound();
        let day = ctx.sample.follow_ups_date;
        let (start, end) = day_bounds(day, ctx.offset);
        let rows: Vec<FollowUpRow> =
            on_pool!(&self.db, |pool| sqlx::query_as(self.follow_ups.clone())
                .bind(&community.path)
                .bind(&upper)
                .bind(start)
                .bind(end)
                .bind(day)
                .bind(CHECKS_PER_DAY)
                .bind(FOLLOW_UPS_PAGE as i64 + 1)
                .fetch_all(pool)
                .await)?;
        let persons = rows
            .iter()
            .take(FOLLOW_UPS_PAGE)
            .map(|r| r.4)
            .collect::<Vec<_>>();
        let observations = rows.iter().take(FOLLOW_UPS_PAGE).map(|r| r.0).collect();
        let filed = self
            .file_reads(
                ctx,
                "floor follow-ups",
                &[("Person", persons), ("Quarantine", observations)],
            )
            .await?;
        Ok(1 + filed)
    }

    async fn statistics(&self, ctx: &Ctx) -> Result<u64, sqlx::Error> {
        let district = &ctx.sample.district;
        let upper = district.upper_bound();
        let (from, to) = ctx.statistics_period();
        let children = &ctx.sample.district_children;
        let rows: Vec<(i64, i64, i64, i64, i64, i64)> = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(self.statistics.clone())
                .bind(&district.path)
                .bind(&upper)
                .bind(epoch_day(from))
                .bind(epoch_day(to));
            for child in children {
                query = query.bind(&child.path).bind(child.upper_bound());
            }
            query.fetch_all(pool).await
        })?;
        // Counts only: nothing about a person, nothing to file.
        std::hint::black_box(rows);
        Ok(1)
    }

    /// Files the reads of one request as `--floor-*` says (`floor_audit`); the statements
    /// run for it.
    async fn file_reads(
        &self,
        ctx: &Ctx,
        operation: &str,
        reads: &[(&str, Vec<i64>)],
    ) -> Result<u64, sqlx::Error> {
        self.filing.file(&self.db, ctx, operation, reads).await
    }

    /// The name of the floor's rows in the report.
    pub fn suffix(&self) -> &'static str {
        self.filing.suffix()
    }
}

/// id, name, sex, birth date, phone, address, document type and number, version, residence
/// code and name.
type PersonRow = (
    i64,
    String,
    String,
    Option<NaiveDate>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i32,
    String,
    String,
);

/// Case id, classification, severity; person id, name, phone, residence path, merged
/// into; residence name.
type CaseRow = (
    i64,
    String,
    Option<String>,
    i64,
    String,
    Option<String>,
    String,
    Option<i64>,
    String,
);

/// Source case, contact id, relation, last exposure; person id, name, residence path,
/// merged into; active observation's id, kind, start and planned end.
type ContactRow = (
    i64,
    i64,
    String,
    NaiveDate,
    i64,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

/// Observation id, kind, start, planned end; person id, name, phone, address; checks that
/// day.
type FollowUpRow = (
    i64,
    String,
    NaiveDate,
    NaiveDate,
    i64,
    String,
    Option<String>,
    Option<String>,
    i64,
);

const LOOKUP: &str = "SELECT p.id, p.name, p.sex, p.birth_date, p.phone, p.address, \
       p.document_type, p.document_number, p.version, o.code, o.name \
  FROM person p JOIN org_unit o ON o.id = p.residence_org_id \
 WHERE p.document_type = $1 AND p.document_number = $2 AND p.held_for_id IS NULL \
   AND p.residence_path >= $3 AND p.residence_path < $4 AND p.merged_into_id IS NULL";

/// Newest first, before the cursor; in reach of the city: reported inside or about a
/// resident.
const CASES: &str = "SELECT c.id, c.classification, c.severity, \
       p.id, p.name, p.phone, p.residence_path, p.merged_into_id, o.name \
  FROM case_record c \
  JOIN person p ON p.id = c.person_id \
  JOIN org_unit o ON o.id = p.residence_org_id \
 WHERE c.id < $1 \
   AND ((c.reporting_path >= $2 AND c.reporting_path < $3) \
        OR (p.residence_path >= $2 AND p.residence_path < $3 AND p.merged_into_id IS NULL)) \
 ORDER BY c.id DESC LIMIT $4";

/// The first contacts of each case by id, with the person and their active observation
/// (one at most per person).
const CONTACTS: &str = "SELECT k.source_case_id, k.id, k.relation, k.last_exposure_date, \
       p.id, p.name, p.residence_path, p.merged_into_id, \
       q.id, q.kind, q.start_date, q.planned_end_date \
  FROM (SELECT ct.*, ROW_NUMBER() OVER (PARTITION BY ct.source_case_id ORDER BY ct.id) AS n \
          FROM contact ct WHERE ct.source_case_id {ids_in}) k \
  JOIN person p ON p.id = k.person_id \
  LEFT JOIN quarantine q ON q.person_id = k.person_id AND q.is_active = $2 \
 WHERE k.n <= $3 \
 ORDER BY k.source_case_id, k.id";

/// Residents of the community under observation on the day with fewer than two checks
/// that day, oldest observation first, one more than the page to know if more follow.
const FOLLOW_UPS: &str = "SELECT id, kind, start_date, planned_end_date, \
       person_id, name, phone, address, checks FROM ( \
  SELECT q.id, q.kind, q.start_date, q.planned_end_date, \
         p.id AS person_id, p.name, p.phone, p.address, \
         (SELECT COUNT(*) FROM health_check h \
           WHERE h.person_id = q.person_id AND h.measured_at >= $3 AND h.measured_at < $4) AS checks \
    FROM quarantine q JOIN person p ON p.id = q.person_id \
   WHERE p.residence_path >= $1 AND p.residence_path < $2 AND p.merged_into_id IS NULL \
     AND q.start_date <= $5 AND (q.ended_at IS NULL OR q.ended_at >= $4) \
) due WHERE checks < $6 ORDER BY id LIMIT $7";

fn json_ids(ids: &[i64]) -> String {
    serde_json::Value::from(ids.to_vec()).to_string()
}

/// Days since 1970-01-01.
fn epoch_day(date: NaiveDate) -> i64 {
    (date - NaiveDate::default()).num_days()
}

/// The server's eight groupings (src/domain/statistics.rs) in one statement: each kind of
/// record counted by (child unit, local day) for the residents of the unit, days before
/// the period folded into the day before it. `$1`/`$2` bound the unit, `$3`/`$4` are the
/// first and last day (days since 1970-01-01), then each child's bounds.
fn statistics_sql(postgres: bool, children: &[Unit], offset_secs: i32) -> String {
    // The local day of an instant, and of a date; the offset is the server's, in seconds.
    let instant = |column: &str| {
        if postgres {
            format!("CAST(FLOOR((EXTRACT(EPOCH FROM {column}) + {offset_secs}) / 86400) AS BIGINT)")
        } else {
            format!("((CAST(strftime('%s', {column}) AS INTEGER) + {offset_secs}) / 86400)")
        }
    };
    let date = |column: &str| {
        if postgres {
            format!("CAST(({column} - DATE '1970-01-01') AS BIGINT)")
        } else {
            format!("CAST(julianday({column}) - 2440587.5 AS INTEGER)")
        }
    };
    let folded = |day: &str| format!("CASE WHEN {day} < $3 THEN $3 - 1 ELSE {day} END");
    let mut bucket = String::from("CAST(CASE");
    for (i, _) in children.iter().enumerate() {
        let (lo, hi) = (5 + 2 * i, 6 + 2 * i);
        bucket.push_str(&format!(
            " WHEN p.residence_path >= ${lo} AND p.residence_path < ${hi} THEN {}",
            i + 1
        ));
    }
    bucket.push_str(" ELSE 0 END AS BIGINT)");
    if children.is_empty() {
        bucket = "CAST(0 AS BIGINT)".into();
    }
    let inside = "p.residence_path >= $1 AND p.residence_path < $2";
    let flow = |day: &str| format!("{day} >= $3 AND {day} <= $4");
    let grouped = |kind: u8, select: String| {
        format!(
            "SELECT CAST({kind} AS BIGINT) AS kind, bucket, day, \
             CAST(COUNT(a) AS BIGINT), CAST(COUNT(b) AS BIGINT), CAST(COUNT(c) AS BIGINT) \
             FROM ({select}) r{kind} GROUP BY bucket, day"
        )
    };
    let reported = instant("c.reported_at");
    let cases = format!(
        "SELECT {bucket} AS bucket, {day} AS day, \
         CASE WHEN c.classification = 'SUSPECTED' THEN 1 END AS a, \
         CASE WHEN c.classification = 'CONFIRMED' THEN 1 END AS b, \
         CASE WHEN c.classification = 'ASYMPTOMATIC' THEN 1 END AS c \
         FROM case_record c JOIN person p ON p.id = c.person_id \
         WHERE {inside} AND {reported} <= $4",
        day = folded(&reported),
    );
    let started = date("q.start_date");
    let starts = format!(
        "SELECT {bucket} AS bucket, {day} AS day, 1 AS a, NULL AS b, NULL AS c \
         FROM quarantine q JOIN person p ON p.id = q.person_id \
         WHERE {inside} AND {started} <= $4",
        day = folded(&started),
    );
    let ended = instant("q.ended_at");
    let stopped = format!("CASE WHEN {ended} > {started} THEN {ended} ELSE {started} END");
    let ends = format!(
        "SELECT {bucket} AS bucket, {day} AS day, 1 AS a, NULL AS b, NULL AS c \
         FROM quarantine q JOIN person p ON p.id = q.person_id \
         WHERE {inside} AND q.ended_at IS NOT NULL AND {stopped} <= $4",
        day = folded(&stopped),
    );
    let simple = |table: &str, alias: &str, column: &str, extra: &str| {
        let day = instant(&format!("{alias}.{column}"));
        format!(
            "SELECT {bucket} AS bucket, {day} AS day, 1 AS a, NULL AS b, NULL AS c \
             FROM {table} {alias} JOIN person p ON p.id = {alias}.person_id \
             WHERE {inside} AND {flow}{extra}",
            flow = flow(&day),
        )
    };
    let contacts = simple("contact", "k", "created_at", "");
    let fevers = simple("health_check", "h", "measured_at", " AND h.fever = TRUE");
    let opened = simple("task", "t", "created_at", "");
    let closed = simple("task", "t", "closed_at", " AND t.closed_at IS NOT NULL");
    let measured = instant("h.measured_at");
    let credited = format!(
        "SELECT bucket, day, CASE WHEN n >= 1 THEN 1 END AS a, CASE WHEN n >= 2 THEN 1 END AS b, \
                NULL AS c \
           FROM (SELECT {bucket} AS bucket, {measured} AS day, h.person_id, COUNT(*) AS n \
                   FROM health_check h \
                   JOIN person p ON p.id = h.person_id \
                   JOIN quarantine q ON q.person_id = h.person_id AND {started} <= {measured} \
                        AND (q.ended_at IS NULL OR {ended} > {measured}) \
                  WHERE {inside} AND {flow} \
                  GROUP BY 1, 2, 3) per_person",
        flow = flow(&measured),
    );
    let parts = [
        grouped(1, cases),
        grouped(2, starts),
        grouped(3, ends),
        grouped(4, contacts),
        grouped(5, fevers),
        grouped(6, opened),
        grouped(7, closed),
        grouped(8, credited),
    ];
    parts.join(" UNION ALL ")
}
