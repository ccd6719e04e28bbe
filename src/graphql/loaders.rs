//! DataLoaders: nested fields of a list load in one statement per field, not one per row.
//! A fresh set is made for every request, so nothing cached crosses principals.
//!
//! Values are shared (`Arc`), not copied: a page of 50 cases asks the caches about a
//! thousand times, and DataLoader clones the value on every hit.

use std::{collections::HashMap, future::Future, marker::PhantomData, sync::Arc};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{case, contact, health_check, lab_test, person, person_provenance, quarantine};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    domain::{
        cases::{self, CaseRow},
        contacts, health_checks, lab_tests, persons, quarantines,
    },
    error::{AppError, AppResult},
    state::AppState,
};

/// Most rows a nested list returns per parent (its `first` may ask for fewer).
pub const NESTED_MAX: u64 = 100;

/// Error shared between the callers of one batch (loader errors must be `Clone`).
#[derive(Clone, Debug)]
pub struct LoadError(Arc<AppError>);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<LoadError> for AppError {
    fn from(err: LoadError) -> Self {
        match err.0.as_ref() {
            AppError::Unavailable(_) => {
                AppError::Unavailable(sea_orm::DbErr::Custom("database unavailable".into()))
            }
            other => AppError::internal(other.to_string()),
        }
    }
}

fn load_error(err: AppError) -> LoadError {
    LoadError(Arc::new(err))
}

/// Rows that belong to a parent id, fetched for many parents at once.
pub trait Group: Send + Sync + 'static {
    type Row: Clone + Send + Sync + 'static;
    fn fetch(
        state: &AppState,
        parents: &[i64],
    ) -> impl Future<Output = AppResult<Vec<Self::Row>>> + Send;
    fn parent(row: &Self::Row) -> i64;
}

pub struct GroupLoader<G: Group> {
    state: Arc<AppState>,
    group: PhantomData<G>,
}

/// The rows of one parent, shared between the cache and its readers.
pub type Rows<R> = Arc<[R]>;

impl<G: Group> Loader<i64> for GroupLoader<G> {
    type Value = Rows<G::Row>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = G::fetch(&self.state, keys).await.map_err(load_error)?;
        Ok(group_rows::<G>(rows, &[]).into_iter().collect())
    }
}

/// Rows grouped by parent, each of `parents` present (with no rows when it has none).
fn group_rows<G: Group>(rows: Vec<G::Row>, parents: &[i64]) -> HashMap<i64, Rows<G::Row>> {
    let mut grouped: HashMap<i64, Vec<G::Row>> =
        parents.iter().map(|id| (*id, Vec::new())).collect();
    for row in rows {
        grouped.entry(G::parent(&row)).or_default().push(row);
    }
    grouped
        .into_iter()
        .map(|(parent, rows)| (parent, Rows::from(rows)))
        .collect()
}

macro_rules! group {
    ($name:ident, $row:ty, |$state:ident, $ids:ident| $fetch:expr, |$r:ident| $parent:expr) => {
        pub struct $name;
        impl Group for $name {
            type Row = $row;
            async fn fetch($state: &AppState, $ids: &[i64]) -> AppResult<Vec<$row>> {
                $fetch.await
            }
            fn parent($r: &$row) -> i64 {
                $parent
            }
        }
    };
}

group!(
    ProvenanceOf,
    person_provenance::Model,
    |state, ids| persons::provenance_rows(&state.db, ids),
    |r| r.person_id
);
group!(
    ContactsOfCase,
    contact::Model,
    |state, ids| contacts::of_cases(&state.db, ids, NESTED_MAX),
    |r| r.source_case_id
);
group!(
    ExposuresOf,
    contact::Model,
    |state, ids| contacts::of_persons(&state.db, ids, NESTED_MAX),
    |r| r.person_id
);
group!(
    CasesOf,
    case::Model,
    |state, ids| cases::of_persons(&state.db, ids, NESTED_MAX),
    |r| r.person_id
);
group!(
    ActiveQuarantineOf,
    quarantine::Model,
    |state, ids| quarantines::active_of_persons(&state.db, ids),
    |r| r.person_id
);
group!(
    QuarantinesOf,
    quarantine::Model,
    |state, ids| quarantines::of_persons(&state.db, ids, NESTED_MAX),
    |r| r.person_id
);
group!(
    ChecksOfPerson,
    health_check::Model,
    |state, ids| health_checks::latest(&state.db, health_check::Column::PersonId, ids, NESTED_MAX),
    |r| r.person_id
);
group!(
    ChecksOfQuarantine,
    health_check::Model,
    |state, ids| health_checks::latest(
        &state.db,
        health_check::Column::QuarantineId,
        ids,
        NESTED_MAX
    ),
    |r| r.quarantine_id.unwrap_or_default()
);
group!(
    LabTestsOf,
    lab_test::Model,
    |state, ids| lab_tests::of_persons(&state.db, ids, NESTED_MAX),
    |r| r.person_id
);

macro_rules! by_id {
    ($name:ident, $entity:ident) => {
        /// Rows by id (the caller reached them through a record in scope).
        pub struct $name {
            state: Arc<AppState>,
        }

        impl Loader<i64> for $name {
            type Value = Arc<$entity::Model>;
            type Error = LoadError;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().copied()))
                    .all(&self.state.db)
                    .await
                    .map_err(|e| load_error(e.into()))?;
                Ok(rows
                    .into_iter()
                    .map(|row| (row.id, Arc::new(row)))
                    .collect())
            }
        }
    };
}

by_id!(PersonById, person);
by_id!(ContactById, contact);

/// Cases by id, with their persons.
pub struct CaseById {
    state: Arc<AppState>,
}

impl Loader<i64> for CaseById {
    type Value = CaseRow;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = cases::by_ids(&self.state.db, keys)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().map(|row| (row.case.id, row)).collect())
    }
}

/// What the retention policy asks of persons (`retention::purge_at`), for their `purgeAt`.
pub struct RetentionFacts {
    state: Arc<AppState>,
}

impl Loader<i64> for RetentionFacts {
    type Value = crate::retention::purge_at::PersonFacts;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = crate::retention::purge_at::person_facts(&self.state.db, keys)
            .await
            .map_err(load_error)?;
        Ok(rows.into_iter().collect())
    }
}

/// The loaders of one request.
pub struct Loaders {
    /// The stand-downs, read once per request that asks for a `purgeAt`.
    pub stand_downs: tokio::sync::OnceCell<crate::retention::rules::StandDowns>,
    pub retention: DataLoader<RetentionFacts, HashMapCache>,
    pub provenance: Grouped<ProvenanceOf>,
    pub contacts_of_case: Grouped<ContactsOfCase>,
    pub exposures: Grouped<ExposuresOf>,
    pub cases_of_person: Grouped<CasesOf>,
    pub active_quarantine: Grouped<ActiveQuarantineOf>,
    pub quarantines: Grouped<QuarantinesOf>,
    pub checks_of_person: Grouped<ChecksOfPerson>,
    pub checks_of_quarantine: Grouped<ChecksOfQuarantine>,
    pub lab_tests: Grouped<LabTestsOf>,
    pub person: DataLoader<PersonById, HashMapCache>,
    pub contact: DataLoader<ContactById, HashMapCache>,
    pub case: DataLoader<CaseById, HashMapCache>,
}

/// A cached loader of rows grouped by parent.
pub type Grouped<G> = DataLoader<GroupLoader<G>, HashMapCache>;

/// Loaders cache for the one request they belong to, so that a page's nested data
/// prefetched in one statement (see `prefetch`) serves every row of the page.
fn group<G: Group>(state: &Arc<AppState>) -> DataLoader<GroupLoader<G>, HashMapCache> {
    DataLoader::with_cache(
        GroupLoader {
            state: Arc::clone(state),
            group: PhantomData,
        },
        tokio::spawn,
        HashMapCache::default(),
    )
}

impl<G: Group> GroupLoader<G> {
    /// Fetches the rows of many parents in one statement, every parent present (with an
    /// empty list when it has none), ready to feed the cache.
    pub async fn fetch_all(
        state: &AppState,
        parents: &[i64],
    ) -> AppResult<Vec<(i64, Rows<G::Row>)>> {
        let rows = if parents.is_empty() {
            Vec::new()
        } else {
            G::fetch(state, parents).await?
        };
        Ok(group_rows::<G>(rows, parents).into_iter().collect())
    }
}

impl Loaders {
    pub fn new(state: &Arc<AppState>) -> Self {
        Self {
            stand_downs: tokio::sync::OnceCell::new(),
            retention: DataLoader::with_cache(
                RetentionFacts {
                    state: Arc::clone(state),
                },
                tokio::spawn,
                HashMapCache::default(),
            ),
            provenance: group(state),
            contacts_of_case: group(state),
            exposures: group(state),
            cases_of_person: group(state),
            active_quarantine: group(state),
            quarantines: group(state),
            checks_of_person: group(state),
            checks_of_quarantine: group(state),
            lab_tests: group(state),
            person: DataLoader::with_cache(
                PersonById {
                    state: Arc::clone(state),
                },
                tokio::spawn,
                HashMapCache::default(),
            ),
            contact: DataLoader::with_cache(
                ContactById {
                    state: Arc::clone(state),
                },
                tokio::spawn,
                HashMapCache::default(),
            ),
            case: DataLoader::with_cache(
                CaseById {
                    state: Arc::clone(state),
                },
                tokio::spawn,
                HashMapCache::default(),
            ),
        }
    }
}
