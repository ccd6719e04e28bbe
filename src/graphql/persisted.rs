//! Persisted operations: automatic persisted queries for every client (a phone on a weak
//! line sends a hash instead of the query), and an allow-list for the mobile apps' tokens,
//! which may run only the operations registered for them.

use std::{collections::HashMap, path::Path};

use async_graphql::{
    extensions::apollo_persisted_queries::{CacheStorage, LruCacheStorage},
    Request,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{auth::Principal, error::AppError};

/// The registered operations, by the SHA-256 of their text.
#[derive(Debug, Default, Clone)]
pub struct Registered {
    operations: HashMap<String, String>,
    /// `client` claim values whose tokens may run registered operations only.
    restricted_clients: Vec<String>,
}

/// An Apollo persisted-query manifest (`format: "apollo-persisted-query-manifest"`).
#[derive(Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    operations: Vec<ManifestOperation>,
}

#[derive(Deserialize)]
struct ManifestOperation {
    id: String,
    body: String,
}

fn sha256(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

impl Registered {
    /// Reads a manifest; every operation's `id` must be the SHA-256 of its `body`.
    pub fn load(path: Option<&Path>, restricted_clients: Vec<String>) -> Result<Self, String> {
        let restricted_clients: Vec<String> = restricted_clients
            .into_iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        let Some(path) = path else {
            if !restricted_clients.is_empty() {
                return Err("ALLOW_LIST_CLIENTS needs PERSISTED_OPERATIONS_FILE".into());
            }
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a persisted-query manifest: {e}", path.display()))?;
        if manifest.format != "apollo-persisted-query-manifest" || manifest.version != 1 {
            return Err(format!(
                "{}: expected apollo-persisted-query-manifest version 1",
                path.display()
            ));
        }
        let mut operations = HashMap::new();
        for op in manifest.operations {
            let hash = sha256(&op.body);
            if hash != op.id {
                return Err(format!(
                    "{}: operation {} has the id of another text",
                    path.display(),
                    op.id
                ));
            }
            async_graphql::parser::parse_query(&op.body)
                .map_err(|e| format!("operation {}: {e}", op.id))?;
            operations.insert(hash, op.body);
        }
        Ok(Self {
            operations,
            restricted_clients,
        })
    }

    /// The cache of automatic persisted queries, holding the registered operations from
    /// the start so that an app can send their hash alone.
    pub async fn storage(&self, capacity: usize) -> LruCacheStorage {
        let storage = LruCacheStorage::new(capacity.max(self.operations.len()).max(1));
        for (hash, body) in &self.operations {
            if let Ok(doc) = async_graphql::parser::parse_query(body) {
                storage.set(hash.clone(), doc).await;
            }
        }
        storage
    }

    /// Refuses an operation that is not registered, for a token of a restricted client.
    pub fn check(&self, principal: &Principal, request: &Request) -> Result<(), AppError> {
        let restricted = principal
            .client
            .as_ref()
            .is_some_and(|client| self.restricted_clients.contains(client));
        if !restricted {
            return Ok(());
        }
        let hash = if request.query.is_empty() {
            request
                .extensions
                .get("persistedQuery")
                .and_then(|pq| match pq {
                    async_graphql::Value::Object(fields) => fields.get("sha256Hash").cloned(),
                    _ => None,
                })
                .and_then(|h| match h {
                    async_graphql::Value::String(h) => Some(h),
                    _ => None,
                })
                .unwrap_or_default()
        } else {
            sha256(&request.query)
        };
        if self.operations.contains_key(&hash) {
            Ok(())
        } else {
            Err(AppError::forbidden(crate::msg!(
                "persisted-only-registered"
            )))
        }
    }
}
