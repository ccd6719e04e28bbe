//! A partner's first full copy (首次全量同步): the snapshot that ends in a feed cursor.

use async_graphql::{
    connection::{Connection, ConnectionNameType, Edge, EdgeNameType, EmptyFields},
    Context, Object, OutputType, Result,
};

use super::{
    changes::{prefetch_nested, Change, ChangeType, Record},
    context::{actor, state},
};
use crate::domain::{
    changes::{self, ChangeType as DomainType},
    pagination::PageRequest,
    snapshot::{self, SnapshotCursor},
};

#[derive(Default)]
pub struct SnapshotQuery;

#[Object]
impl SnapshotQuery {
    /// Everything in your reach, as it is now (首次全量同步): for a partner system that
    /// starts its copy from nothing. Read it page by page to its end (`after` = the
    /// `endCursor` of the page before), then follow `changes(after: changesCursor)`: with
    /// the two, nothing is missed and nothing comes twice, even while others write.
    ///
    /// Records come as the change feed shows them (the same scope and masking as their own
    /// queries, each read audited), kind after kind, with operation `snapshot`. A record
    /// changed since the snapshot began is left to the feed. `types` narrows the kinds; by
    /// default every kind you may read. A snapshot older than what the change log keeps is
    /// refused with SNAPSHOT_REQUIRED: start a new one.
    #[graphql(complexity = "super::limits::list_cost(first, child_complexity, 1)")]
    async fn snapshot(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
        types: Option<Vec<ChangeType>>,
    ) -> Result<
        Connection<String, Change, SnapshotFields, EmptyFields, SnapshotName, SnapshotEdgeName>,
    > {
        let state = state(ctx)?;
        let actor = actor(ctx)?;
        let first = PageRequest::parse(
            snapshot::OPERATION,
            first,
            None,
            state.settings.max_page_size,
        )?
        .first;
        let wanted: Option<Vec<DomainType>> =
            types.map(|t| t.into_iter().map(Into::into).collect());
        let kinds = changes::kinds(&actor.principal, wanted.as_deref())?;
        let page = snapshot::page(state, actor, &kinds, first, after.as_deref()).await?;
        let records = changes::records(&state.db, &page.items).await?;
        prefetch_nested(ctx, &records).await?;
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            page.has_next_page,
            SnapshotFields {
                changes_cursor: page.changes_cursor,
            },
        );
        for change in page.items {
            let kind = DomainType::ALL
                .iter()
                .position(|k| *k == change.kind)
                .unwrap_or_default();
            let cursor = SnapshotCursor {
                at: change.position,
                kind,
                last_id: change.entity_id,
            }
            .encode();
            // A record gone since the page was read (a contact folded by a merge) is left out.
            if let Some(record) = Record::take(ctx, &records, &change)? {
                connection.edges.push(Edge::new(
                    cursor,
                    Change {
                        kind: change.kind.into(),
                        operation: change.operation,
                        at: change.at,
                        record,
                    },
                ));
            }
        }
        Ok(connection)
    }
}

/// What a snapshot page adds to its records.
pub struct SnapshotFields {
    changes_cursor: String,
}

#[Object]
impl SnapshotFields {
    /// The change-feed cursor this snapshot was taken at: once you have read the snapshot
    /// to its end, follow `changes(after: changesCursor)` from here. The same on every page.
    async fn changes_cursor(&self) -> &str {
        &self.changes_cursor
    }
}

pub struct SnapshotName;

impl ConnectionNameType for SnapshotName {
    fn type_name<T: OutputType>() -> String {
        "SnapshotConnection".to_owned()
    }
}

pub struct SnapshotEdgeName;

impl EdgeNameType for SnapshotEdgeName {
    fn type_name<T: OutputType>() -> String {
        "SnapshotEdge".to_owned()
    }
}
