//! `lianfang generate`: a synthetic city in proportion to its number of residents, for
//! benchmarks and load tests. A million residents make a city of 8 districts, 80 street
//! offices, about 700 communities and 3,300 grids, and an outbreak over it: 2,000 cases,
//! 20,000 close contacts, 30,000 under medical observation with their twice-daily checks,
//! 200,000 checkpoint passages in two weeks, tasks between the agencies, lab tests,
//! alerts and the communities' confirmed daily reports.
//!
//! Every row keeps the rules the schema and the domain rely on (one open case and one
//! active observation per person, versions, paths, idempotency keys, task routes), and is
//! dated relative to one moment in the local time zone. The same seed, size and moment
//! give the same rows: each phase draws from its own seeded generator, and nothing
//! iterates a hash map into the output.
//!
//! Rows are planned in memory and written with `COPY` on PostgreSQL (multi-row INSERTs
//! on SQLite), all in one transaction, with the migrations' indexes in place.

mod alerts;
mod bulk;
mod calendar;
mod checkpoints;
mod names;
mod observation;
mod outbreak;
mod picker;
mod progress;
mod reports;
mod residents;
mod scale;
mod tasks;
mod tree;

use std::time::Instant;

use chrono::{DateTime, Utc};
use entity::{
    alert, case, checkpoint_entry, contact, daily_report, health_check, lab_test, org_unit, person,
    person_provenance, quarantine, task, Agency,
};
use rand::{rngs::StdRng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityName, EntityTrait};

use crate::state::{AppState, Settings};

pub use scale::Scale;
pub use tree::CITY_CODE;

use bulk::Bulk;
use calendar::Calendar;
use progress::Progress;
use residents::Residents;
use tree::Tree;

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{0}")]
    Refused(String),
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("database: {0}")]
    Sqlx(#[from] sea_orm::sqlx::Error),
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error("a generated row breaks a rule: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub residents: usize,
    pub seed: u64,
    /// The moment the city is dated from; now when not given.
    pub as_of: Option<DateTime<Utc>>,
}

/// What was generated: the per-phase report, and the moment it is as of.
#[derive(Debug, Clone)]
pub struct Generated {
    pub summary: String,
    pub as_of: DateTime<Utc>,
    pub scale: Scale,
}

/// The city so far, for the phases that place records in it.
pub struct World<'a> {
    pub tree: &'a Tree,
    pub residents: &'a Residents,
    pub calendar: Calendar,
    pub settings: &'a Settings,
}

impl World<'_> {
    pub fn grid_of(&self, person_id: i64) -> usize {
        self.residents.grid((person_id - 1) as usize)
    }

    /// The person's residence path, whose prefixes decide who sees their records.
    pub fn residence(&self, person_id: i64) -> &str {
        &self.tree.grids[self.grid_of(person_id)].path
    }

    pub fn community_of(&self, person_id: i64) -> usize {
        self.tree.community_of_grid(self.grid_of(person_id))
    }

    pub fn street_of(&self, person_id: i64) -> usize {
        self.tree.street_of_grid(self.grid_of(person_id))
    }

    pub fn district_of(&self, person_id: i64) -> usize {
        self.tree.district_of_grid(self.grid_of(person_id))
    }
}

/// The (made-up) user of an agency at a unit who wrote a record: `health-city-01`.
pub fn subject(agency: Agency, unit_code: &str) -> String {
    format!("{agency}-{unit_code}")
        .to_lowercase()
        .replace('_', "-")
}

/// Each phase its own generator: changing one phase leaves the rows of the others as
/// they were.
fn phase_rng(seed: u64, phase: u64) -> StdRng {
    StdRng::seed_from_u64(seed.wrapping_add(phase.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
}

/// Builds the city into the database, which must hold no org units yet.
pub async fn generate(state: &AppState, options: &Options) -> Result<Generated, GenerateError> {
    let empty = state
        .orgs
        .is_empty()
        .map_err(|e| GenerateError::Refused(e.to_string()))?;
    if !empty {
        return Err(GenerateError::Refused(
            "the database already holds org units; generate builds a city only into an empty database"
                .into(),
        ));
    }
    let mut progress = Progress::new();
    let calendar = Calendar::new(state.settings.clock, options.as_of.unwrap_or_else(Utc::now));
    let scale = Scale::for_residents(options.residents);
    let mut bulk = Bulk::begin(&state.db).await?;

    let tree = tree::build(&scale, &calendar);
    write_all::<org_unit::Entity>(&mut bulk, &mut progress, &tree.units).await?;
    let residents = residents::write(
        &mut bulk,
        &mut progress,
        &tree,
        &calendar,
        &mut phase_rng(options.seed, 1),
        scale.residents,
    )
    .await?;

    let started = Instant::now();
    let world = World {
        tree: &tree,
        residents: &residents,
        calendar,
        settings: &state.settings,
    };
    let mut picker = picker::Picker::new(residents.people.len());
    let outbreak = outbreak::plan(&world, &scale, &mut picker, &mut phase_rng(options.seed, 2));
    let entries = checkpoints::entries(
        &world,
        &scale,
        &outbreak.quarantines,
        &mut phase_rng(options.seed, 3),
    );
    let tasks = tasks::tasks(&world, &outbreak, &entries, &mut phase_rng(options.seed, 4))?;
    let alerts = alerts::raised(&world, &outbreak, &entries);
    let reports = reports::confirmed(
        &world,
        &outbreak,
        &entries,
        &tasks,
        &mut phase_rng(options.seed, 5),
    )?;
    progress.step("plan the outbreak", started);

    // Foreign-key order.
    write_all::<case::Entity>(&mut bulk, &mut progress, &outbreak.cases).await?;
    write_all::<contact::Entity>(&mut bulk, &mut progress, &outbreak.contacts).await?;
    write_all::<quarantine::Entity>(&mut bulk, &mut progress, &outbreak.quarantines).await?;
    write_all::<health_check::Entity>(&mut bulk, &mut progress, &outbreak.checks).await?;
    write_all::<lab_test::Entity>(&mut bulk, &mut progress, &outbreak.lab_tests).await?;
    write_all::<checkpoint_entry::Entity>(&mut bulk, &mut progress, &entries).await?;
    write_all::<task::Entity>(&mut bulk, &mut progress, &tasks).await?;
    write_all::<alert::Entity>(&mut bulk, &mut progress, &alerts).await?;
    write_all::<daily_report::Entity>(&mut bulk, &mut progress, &reports).await?;

    let started = Instant::now();
    let tables = [
        org_unit::Entity.table_name(),
        person::Entity.table_name(),
        person_provenance::Entity.table_name(),
        case::Entity.table_name(),
        contact::Entity.table_name(),
        quarantine::Entity.table_name(),
        health_check::Entity.table_name(),
        lab_test::Entity.table_name(),
        checkpoint_entry::Entity.table_name(),
        task::Entity.table_name(),
        alert::Entity.table_name(),
        daily_report::Entity.table_name(),
    ];
    bulk.commit(&tables).await?;
    progress.step("commit", started);

    let started = Instant::now();
    analyze(&state.db).await?;
    progress.step("analyze", started);
    Ok(Generated {
        summary: progress.summary(),
        as_of: calendar.as_of,
        scale,
    })
}

async fn write_all<E: EntityTrait>(
    bulk: &mut Bulk,
    progress: &mut Progress,
    rows: &[E::Model],
) -> Result<usize, GenerateError> {
    let mut writer = bulk.table::<E>(progress, rows.len()).await?;
    writer.push_all(rows).await?;
    writer.finish(progress).await
}

/// Statistics for the planner, so the first queries over the new city plan as well as the
/// later ones. On PostgreSQL VACUUM also sets the visibility map, without which no
/// index-only scan pays off until autovacuum comes by (in the middle of a benchmark).
async fn analyze(db: &DatabaseConnection) -> Result<(), GenerateError> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared("VACUUM (ANALYZE)").await?;
        }
        _ => {
            db.execute_unprepared("ANALYZE").await?;
            // Fold the write-ahead log back into the file: the city is one file to copy.
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
    }
    Ok(())
}
