//! One record per person (一人一档): likely duplicates, merging them, and how many persons
//! only one agency's channel knows.

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Enum, InputObject, Object, Result, SimpleObject, ID,
};

use super::{
    cases::unit,
    context::{actor, row_id, state},
    counts::{threshold, Count},
    enums::Agency,
    persons::Person,
    prefetch,
};
use crate::{
    domain::{
        duplicates::{self, DuplicatePair as DomainPair, DuplicateReason as DomainReason},
        merge::{self, ExpectedVersions},
        org_units::OrgUnit,
        pagination::PageRequest,
    },
    error::AppResult,
    state::AppState,
};

async fn unit_of(
    state: &AppState,
    code: Option<String>,
) -> AppResult<Option<std::sync::Arc<OrgUnit>>> {
    match code {
        Some(code) => Ok(Some(unit(state, &code, "orgUnit").await?)),
        None => Ok(None),
    }
}

#[derive(Default)]
pub struct DuplicateQuery;

#[Object]
impl DuplicateQuery {
    /// Pairs of records in `orgUnit` (your jurisdiction when omitted) that are likely the
    /// same human: the same name and phone, or the same name and birth date, with at least
    /// one of them without a document number. Merge them with `mergePersons`.
    #[graphql(
        visible = "super::visibility::query_possible_duplicates",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn possible_duplicates(
        &self,
        ctx: &Context<'_>,
        org_unit: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, DuplicatePair, EmptyFields, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            duplicates::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let unit = unit_of(state, org_unit).await?;
        let pairs = duplicates::list(state, actor(ctx)?, unit, &page).await?;
        let ids: Vec<i64> = pairs
            .items
            .iter()
            .flat_map(|p| [p.first.id(), p.second.id()])
            .collect();
        let nodes = prefetch::nodes(ctx);
        prefetch::persons(ctx, &nodes.field("first"), &ids).await?;
        prefetch::persons(ctx, &nodes.field("second"), &ids).await?;
        let mut connection = Connection::new(page.after.is_some(), pairs.has_next_page);
        for pair in pairs.items {
            connection
                .edges
                .push(Edge::new(duplicates::cursor_of(&pair), DuplicatePair(pair)));
        }
        Ok(connection)
    }

    /// How many residents of `orgUnit` (your jurisdiction when omitted) each number of
    /// agencies has reported, and of those only one agency knows, which one: the figure
    /// the lists kept apart could never give.
    #[graphql(visible = "super::visibility::query_reconciliation")]
    async fn reconciliation(
        &self,
        ctx: &Context<'_>,
        org_unit: Option<String>,
    ) -> Result<Reconciliation> {
        let state = state(ctx)?;
        let unit = unit_of(state, org_unit).await?;
        let counts = duplicates::reconciliation(state, actor(ctx)?, unit).await?;
        let t = threshold(ctx)?;
        let count = |n: i64| Count::new(n, t);
        Ok(Reconciliation {
            persons: count(counts.persons),
            known_to_one: count(counts.known_to_one()),
            known_to_several: count(counts.known_to_several()),
            known_to_none: count(
                counts
                    .by_agency_count
                    .iter()
                    .find(|(agencies, _)| *agencies == 0)
                    .map_or(0, |(_, n)| *n),
            ),
            by_agency_count: counts
                .by_agency_count
                .iter()
                .map(|(agencies, persons)| AgencyCount {
                    agencies: *agencies,
                    persons: count(*persons),
                })
                .collect(),
            only_by: counts
                .only_by
                .iter()
                .map(|(agency, persons)| ChannelCount {
                    agency: (*agency).into(),
                    persons: count(*persons),
                })
                .collect(),
        })
    }
}

#[derive(Default)]
pub struct DuplicateMutation;

#[Object]
impl DuplicateMutation {
    /// Merge two records of the same human: every case, contact, observation, check, lab
    /// test, task, checkpoint entry, alert and grant of `mergeId` moves to `keepId`, which
    /// takes the details only the other had and is reported by every agency that reported
    /// either. The merged record leaves every list. Refused (BAD_USER_INPUT, nothing written)
    /// when both carry document numbers, or both have an open case or an active observation.
    #[graphql(visible = "super::visibility::mutation_merge_persons")]
    async fn merge_persons(
        &self,
        ctx: &Context<'_>,
        keep_id: ID,
        merge_id: ID,
        expected_versions: MergeVersions,
    ) -> Result<Person> {
        let view = merge::merge(
            state(ctx)?,
            actor(ctx)?,
            row_id(&keep_id, "keepId")?,
            row_id(&merge_id, "mergeId")?,
            ExpectedVersions {
                keep: expected_versions.keep,
                merge: expected_versions.merge,
            },
        )
        .await?;
        Ok(Person(view))
    }
}

/// The versions of both records as you read them.
#[derive(InputObject)]
pub struct MergeVersions {
    keep: i32,
    merge: i32,
}

/// Why two records look like one human.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum DuplicateReason {
    SameNameAndPhone,
    SameNameAndBirthDate,
}

/// Two records that are likely the same human; `first` is the older record.
pub struct DuplicatePair(DomainPair);

#[Object]
impl DuplicatePair {
    async fn first(&self) -> Person {
        Person(self.0.first.clone())
    }

    async fn second(&self) -> Person {
        Person(self.0.second.clone())
    }

    async fn reasons(&self) -> Vec<DuplicateReason> {
        self.0
            .reasons
            .iter()
            .map(|r| match r {
                DomainReason::SameNameAndPhone => DuplicateReason::SameNameAndPhone,
                DomainReason::SameNameAndBirthDate => DuplicateReason::SameNameAndBirthDate,
            })
            .collect()
    }
}

/// Residents of a unit by how many agencies' channels reported them (对账). Analysts see
/// small counts as "<N".
#[derive(SimpleObject)]
pub struct Reconciliation {
    /// Residents counted (merged records excluded).
    persons: Count,
    /// Reported by exactly one agency.
    known_to_one: Count,
    /// Reported by two agencies or more.
    known_to_several: Count,
    /// On record with no agency's report (e.g. loaded from an old list).
    known_to_none: Count,
    by_agency_count: Vec<AgencyCount>,
    /// Of those known to one agency only, which agency.
    only_by: Vec<ChannelCount>,
}

/// How many residents this many agencies reported.
#[derive(SimpleObject)]
pub struct AgencyCount {
    agencies: i64,
    persons: Count,
}

/// How many residents only this agency reported.
#[derive(SimpleObject)]
pub struct ChannelCount {
    agency: Agency,
    persons: Count,
}
