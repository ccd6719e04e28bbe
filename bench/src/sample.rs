//! Sample data read from the server's database at start, so that the scenarios work on any
//! city (the demo's or a generated one): nothing here knows an org code.

use anyhow::{bail, Context};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use sea_orm::sqlx;

use crate::db::{on_pool, Db};

/// An org unit as the scenarios need it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub path: String,
}

impl Unit {
    /// The exclusive upper bound of the unit's subtree in byte order (the server's
    /// `OrgPath::upper_bound`): `/1/5/` bounds to `/1/50`.
    pub fn upper_bound(&self) -> String {
        let mut bound = self.path.clone();
        bound.pop();
        bound.push('0');
        bound
    }
}

/// A community and its residents under active observation.
#[derive(Debug, Clone)]
pub struct Observed {
    pub community: Unit,
    pub persons: Vec<i64>,
}

#[derive(Debug, Clone)]
pub struct Sample {
    /// The city (the root unit of level CITY).
    pub city: Unit,
    /// A district of the city, for `statistics`.
    pub district: Unit,
    /// The units directly below the district, in the server's order (by id).
    pub district_children: Vec<Unit>,
    /// The community with the most residents under active observation, for `followUpsDue`.
    pub busiest_community: Unit,
    /// The day its follow-up list is longest, of the 14 before today (the latest when tied).
    pub follow_ups_date: NaiveDate,
    /// Entries of that list.
    pub follow_ups_due: i64,
    /// (document type, number) of residents with a document.
    pub documents: Vec<(String, String)>,
    /// Case ids to page from (`after`): each leaves a full page of older cases behind it.
    pub cursor_case_ids: Vec<i64>,
    /// Cases with traced contacts, as roots of transmission chains.
    pub chain_roots: Vec<i64>,
    /// Communities with residents under active observation.
    pub observed: Vec<Observed>,
}

impl Sample {
    pub async fn load(
        db: &Db,
        page_size: usize,
        documents: u32,
        offset: FixedOffset,
    ) -> anyhow::Result<Self> {
        let city = one_unit(
            db,
            "SELECT id, code, path FROM org_unit WHERE level = 'CITY' ORDER BY id LIMIT 1",
            None,
        )
        .await?
        .context("no org unit of level CITY: is the database populated?")?;
        let district = one_unit(
            db,
            "SELECT id, code, path FROM org_unit WHERE level = 'DISTRICT' AND parent_id = $1 \
             ORDER BY id LIMIT 1",
            Some(city.id),
        )
        .await?
        .context("the city has no district")?;
        let district_children = units(
            db,
            "SELECT id, code, path FROM org_unit WHERE parent_id = $1 ORDER BY id",
            district.id,
        )
        .await?;
        let documents = sample_documents(db, &city, documents).await?;
        let case_ids = ids(db, "SELECT id FROM case_record ORDER BY id").await?;
        let chain_roots = ids(db, "SELECT DISTINCT source_case_id FROM contact ORDER BY 1").await?;
        let observed = observed(db, &city).await?;
        let busiest_community = observed
            .iter()
            .max_by_key(|o| o.persons.len())
            .map(|o| o.community.clone())
            .context("nobody is under active observation")?;
        let (follow_ups_date, follow_ups_due) =
            longest_follow_up_list(db, &busiest_community, offset).await?;
        if documents.is_empty() {
            bail!("no resident of the city has a document number");
        }
        if case_ids.is_empty() || chain_roots.is_empty() {
            bail!("no cases with contacts: the database holds no outbreak");
        }
        // Newest first, after the cursor: a cursor among the oldest `page_size` ids leaves
        // a short page, so those are not used (unless there are no others).
        let skip = page_size.min(case_ids.len().saturating_sub(1));
        let cursor_case_ids = case_ids[skip..].to_vec();
        Ok(Self {
            city,
            district,
            district_children,
            busiest_community,
            follow_ups_date,
            follow_ups_due,
            documents,
            cursor_case_ids,
            chain_roots,
            observed,
        })
    }

    pub fn observed_persons(&self) -> usize {
        self.observed.iter().map(|o| o.persons.len()).sum()
    }

    pub fn describe(&self) -> String {
        format!(
            "city {} ({}), district {}, busiest community {} ({} under observation, \
             {} due on {}), \
             {} documents, {} case cursors, {} chain roots, {} communities with {} persons under observation",
            self.city.code,
            self.city.path,
            self.district.code,
            self.busiest_community.code,
            self.observed
                .iter()
                .find(|o| o.community.id == self.busiest_community.id)
                .map_or(0, |o| o.persons.len()),
            self.follow_ups_due,
            self.follow_ups_date,
            self.documents.len(),
            self.cursor_case_ids.len(),
            self.chain_roots.len(),
            self.observed.len(),
            self.observed_persons(),
        )
    }
}

async fn one_unit(db: &Db, sql: &'static str, parent: Option<i64>) -> anyhow::Result<Option<Unit>> {
    let sql = db.sql(sql);
    let row: Option<(i64, String, String)> = on_pool!(db, |pool| {
        let mut query = sqlx::query_as(sql.clone());
        if let Some(parent) = parent {
            query = query.bind(parent);
        }
        query.fetch_optional(pool).await
    })
    .context("cannot read org units")?;
    Ok(row.map(|(id, code, path)| Unit { id, code, path }))
}

async fn units(db: &Db, sql: &'static str, parent: i64) -> anyhow::Result<Vec<Unit>> {
    let sql = db.sql(sql);
    let rows: Vec<(i64, String, String)> = on_pool!(db, |pool| sqlx::query_as(sql.clone())
        .bind(parent)
        .fetch_all(pool)
        .await)
    .context("cannot read org units")?;
    Ok(rows
        .into_iter()
        .map(|(id, code, path)| Unit { id, code, path })
        .collect())
}

async fn ids(db: &Db, sql: &'static str) -> anyhow::Result<Vec<i64>> {
    let rows: Vec<(i64,)> = on_pool!(db, |pool| sqlx::query_as(sql).fetch_all(pool).await)
        .with_context(|| format!("cannot run {sql}"))?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Random residents of the city with a document, up to `limit`.
async fn sample_documents(
    db: &Db,
    city: &Unit,
    limit: u32,
) -> anyhow::Result<Vec<(String, String)>> {
    let sql = db.sql(
        "SELECT document_type, document_number FROM person \
         WHERE document_type IS NOT NULL AND document_number IS NOT NULL \
           AND merged_into_id IS NULL AND residence_path >= $1 AND residence_path < $2 \
         ORDER BY random() LIMIT $3",
    );
    let upper = city.upper_bound();
    let rows: Vec<(String, String)> = on_pool!(db, |pool| sqlx::query_as(sql.clone())
        .bind(&city.path)
        .bind(&upper)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await)
    .context("cannot sample documents")?;
    Ok(rows)
}

/// Residents under active observation, by the community they live in (their residence is
/// a grid of the community, or the community itself).
async fn observed(db: &Db, city: &Unit) -> anyhow::Result<Vec<Observed>> {
    let sql = db.sql(
        "SELECT c.id, c.code, c.path, q.person_id FROM quarantine q \
         JOIN person p ON p.id = q.person_id \
         JOIN org_unit g ON g.id = p.residence_org_id \
         JOIN org_unit c ON c.id = CASE WHEN g.level = 'COMMUNITY' THEN g.id ELSE g.parent_id END \
         WHERE q.is_active = $1 AND p.merged_into_id IS NULL AND c.level = 'COMMUNITY' \
           AND p.residence_path >= $2 AND p.residence_path < $3 \
         ORDER BY c.id, q.person_id",
    );
    let upper = city.upper_bound();
    let rows: Vec<(i64, String, String, i64)> = on_pool!(db, |pool| sqlx::query_as(sql.clone())
        .bind(true)
        .bind(&city.path)
        .bind(&upper)
        .fetch_all(pool)
        .await)
    .context("cannot read active observations")?;
    let mut out: Vec<Observed> = Vec::new();
    for (id, code, path, person) in rows {
        match out.last_mut() {
            Some(last) if last.community.id == id => last.persons.push(person),
            _ => out.push(Observed {
                community: Unit { id, code, path },
                persons: vec![person],
            }),
        }
    }
    Ok(out)
}

/// The UTC instants bounding a local day: `[start, end)`.
pub fn day_bounds(day: NaiveDate, offset: FixedOffset) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = day.and_time(NaiveTime::MIN);
    let start =
        (midnight - chrono::Duration::seconds(i64::from(offset.local_minus_utc()))).and_utc();
    (start, start + chrono::Duration::days(1))
}

/// Of the last 14 local days, the one whose follow-up list in `community` is longest: the
/// list empties as the day's checks come in (on the demo city, by 15:00), so "today" alone
/// would measure an empty list in the afternoon and a full one in the morning.
async fn longest_follow_up_list(
    db: &Db,
    community: &Unit,
    offset: FixedOffset,
) -> anyhow::Result<(NaiveDate, i64)> {
    let sql = db.sql(
        "SELECT COUNT(*) FROM quarantine q JOIN person p ON p.id = q.person_id \
         WHERE p.residence_path >= $1 AND p.residence_path < $2 AND p.merged_into_id IS NULL \
           AND q.start_date <= $5 AND (q.ended_at IS NULL OR q.ended_at >= $4) \
           AND (SELECT COUNT(*) FROM health_check h WHERE h.person_id = q.person_id \
                  AND h.measured_at >= $3 AND h.measured_at < $4) < $6",
    );
    let today = Utc::now().with_timezone(&offset).date_naive();
    let upper = community.upper_bound();
    // Days before today only: the checks scenarios record checks dated now, which would
    // empty today's list as the run goes on.
    let mut best = (today - chrono::Duration::days(1), -1);
    for back in 1..=14 {
        let day = today - chrono::Duration::days(back);
        let (start, end) = day_bounds(day, offset);
        let (due,): (i64,) = on_pool!(db, |pool| sqlx::query_as(sql.clone())
            .bind(&community.path)
            .bind(&upper)
            .bind(start)
            .bind(end)
            .bind(day)
            .bind(crate::floor::CHECKS_PER_DAY)
            .fetch_one(pool)
            .await)
        .context("cannot count follow-ups")?;
        if due > best.1 {
            best = (day, due);
        }
    }
    Ok(best)
}
