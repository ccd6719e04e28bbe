//! Parsed queries, kept: apps send the same few operations over and over, and parsing one
//! (a PEG parser) cost more than a look-up by document number spent in the database.
//!
//! It sits innermost among the extensions, so it replaces only the parse itself: the shape
//! limits and the visibility walk still run on every request, for every principal. (The
//! recursion and directive bounds async-graphql checks inside the parse hold for a document
//! once it passed them.)

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::ExecutableDocument,
    ServerResult, Variables,
};

/// Distinct query texts kept.
const ENTRIES: usize = 512;
/// Longer texts are parsed every time: the cache stays small (at most ENTRIES × this, and
/// their documents), whatever clients send.
const MAX_CACHED_CHARS: usize = 8 * 1024;

pub struct ParseCache {
    documents: Arc<Mutex<lru::LruCache<String, ExecutableDocument>>>,
}

impl ParseCache {
    pub fn new() -> Self {
        let entries = NonZeroUsize::new(ENTRIES).unwrap_or(NonZeroUsize::MIN);
        Self {
            documents: Arc::new(Mutex::new(lru::LruCache::new(entries))),
        }
    }
}

impl Default for ParseCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ExtensionFactory for ParseCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Cached {
            documents: Arc::clone(&self.documents),
        })
    }
}

struct Cached {
    documents: Arc<Mutex<lru::LruCache<String, ExecutableDocument>>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Cached {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // An empty text comes with a document parsed already (a persisted query found by
        // its hash): what `next` returns then is that document, not the parse of `query`,
        // and keeping it under "" would serve it for every other hash.
        if query.is_empty() || query.len() > MAX_CACHED_CHARS {
            return next.run(ctx, query, variables).await;
        }
        // A poisoned lock only means another request panicked mid-update: parse instead.
        if let Some(document) = self
            .documents
            .lock()
            .ok()
            .and_then(|mut cache| cache.get(query).cloned())
        {
            return Ok(document);
        }
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut cache) = self.documents.lock() {
            cache.put(query.to_owned(), document.clone());
        }
        Ok(document)
    }
}
