//! DataLoaders: nested fields of a list load in one statement per field, not one per row.
//! A fresh set is made for every request, so nothing cached crosses principals.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use entity::person_provenance;

use crate::{domain::persons, error::AppError, state::AppState};

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

pub struct ProvenanceLoader {
    state: Arc<AppState>,
}

impl Loader<i64> for ProvenanceLoader {
    type Value = Vec<person_provenance::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        persons::provenance_of(&self.state.db, keys)
            .await
            .map_err(|e| LoadError(Arc::new(e)))
    }
}

/// The loaders of one request.
pub struct Loaders {
    pub provenance: DataLoader<ProvenanceLoader>,
}

impl Loaders {
    pub fn new(state: &Arc<AppState>) -> Self {
        Self {
            provenance: DataLoader::new(
                ProvenanceLoader {
                    state: Arc::clone(state),
                },
                tokio::spawn,
            ),
        }
    }
}
