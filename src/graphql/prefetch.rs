//! Nested data for a whole page, loaded before the page is resolved: for each nested field
//! the query selects, one statement for all rows, fed into the request's loader caches.
//!
//! DataLoader alone batches by time (it waits a millisecond for keys), and async-graphql
//! resolves long lists in slices of 32, so a slow moment can split one field's loads into
//! several statements. Reading the query ahead makes the count exact: a page costs the same
//! statements whatever its length.

use std::{collections::BTreeSet, sync::Arc};

use async_graphql::{Context, Lookahead, Result};
use entity::contact;

use super::{
    context::{actor, state},
    loaders::{Group, GroupLoader, Grouped, Loaders, Rows},
};
use crate::{
    access::scope,
    domain::{cases, persons as person_rows},
    state::AppState,
};

/// The node of a connection field: `edges { node { ... } }`.
pub fn nodes<'a>(ctx: &'a Context<'_>) -> Lookahead<'a> {
    ctx.look_ahead().field("edges").field("node")
}

async fn feed<G: Group>(
    loader: &Grouped<G>,
    state: &AppState,
    parents: &[i64],
) -> Result<Vec<(i64, Rows<G::Row>)>> {
    let rows = GroupLoader::<G>::fetch_all(state, parents).await?;
    loader.feed_many(rows.clone()).await;
    Ok(rows)
}

/// Nested fields of persons (`look` is the person selection).
pub async fn persons(ctx: &Context<'_>, look: &Lookahead<'_>, ids: &[i64]) -> Result<()> {
    if ids.is_empty() || !look.exists() {
        return Ok(());
    }
    let state = state(ctx)?;
    let loaders = ctx.data::<Loaders>()?;
    let ids: Vec<i64> = ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if look.field("provenance").exists() {
        feed(&loaders.provenance, state, &ids).await?;
    }
    // Civil affairs' reach depends on whether a person is under observation.
    if look.field("activeQuarantine").exists()
        || scope::reach_needs_isolation(&actor(ctx)?.principal)
    {
        feed(&loaders.active_quarantine, state, &ids).await?;
    }
    if look.field("quarantines").exists() {
        feed(&loaders.quarantines, state, &ids).await?;
    }
    if look.field("healthChecks").exists() {
        feed(&loaders.checks_of_person, state, &ids).await?;
    }
    if look.field("labTests").exists() {
        feed(&loaders.lab_tests, state, &ids).await?;
    }
    if look.field("cases").exists() {
        feed(&loaders.cases_of_person, state, &ids).await?;
    }
    if look.field("exposures").exists() {
        feed(&loaders.exposures, state, &ids).await?;
    }
    // The retention facts behind the persons' and their checks' `purgeAt`.
    retention_facts(
        ctx,
        look.field("purgeAt").exists() || look.field("healthChecks").field("purgeAt").exists(),
        &ids,
    )
    .await
}

/// The retention facts of these persons, when a `purgeAt` that reads them is selected.
pub async fn retention_facts(ctx: &Context<'_>, wanted: bool, person_ids: &[i64]) -> Result<()> {
    if !wanted || person_ids.is_empty() {
        return Ok(());
    }
    let facts = crate::retention::purge_at::person_facts(&state(ctx)?.db, person_ids).await?;
    ctx.data::<Loaders>()?.retention.feed_many(facts).await;
    Ok(())
}

/// Nested fields of cases whose persons are in hand.
pub async fn cases(ctx: &Context<'_>, look: &Lookahead<'_>, rows: &[cases::CaseRow]) -> Result<()> {
    if rows.is_empty() || !look.exists() {
        return Ok(());
    }
    let person_ids: Vec<i64> = rows.iter().map(|r| r.person.id).collect();
    persons(ctx, &look.field("person"), &person_ids).await?;
    let contacts_look = look.field("contacts");
    if contacts_look.exists() {
        let case_ids: Vec<i64> = rows.iter().map(|r| r.case.id).collect();
        let grouped = feed(
            &ctx.data::<Loaders>()?.contacts_of_case,
            state(ctx)?,
            &case_ids,
        )
        .await?;
        let all: Vec<&contact::Model> = grouped.iter().flat_map(|(_, rows)| rows.iter()).collect();
        contacts(ctx, &contacts_look, &all, false).await?;
    }
    Ok(())
}

/// Nested fields of contacts; `persons_in_hand` when their persons came with them.
pub async fn contacts(
    ctx: &Context<'_>,
    look: &Lookahead<'_>,
    rows: &[&contact::Model],
    persons_in_hand: bool,
) -> Result<()> {
    if rows.is_empty() || !look.exists() {
        return Ok(());
    }
    let state = state(ctx)?;
    let loaders = ctx.data::<Loaders>()?;
    let person_look = look.field("person");
    if person_look.exists() {
        let ids: Vec<i64> = rows
            .iter()
            .map(|c| c.person_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !persons_in_hand {
            let people = person_rows::by_ids(&state.db, &ids).await?;
            loaders
                .person
                .feed_many(people.into_iter().map(|p| (p.id, Arc::new(p))))
                .await;
        }
        persons(ctx, &person_look, &ids).await?;
    }
    let source = look.field("sourceCase");
    let converted = look.field("convertedCase");
    if source.exists() || converted.exists() {
        let ids: Vec<i64> = rows
            .iter()
            .flat_map(|c| [Some(c.source_case_id), c.converted_case_id])
            .flatten()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let found = cases::by_ids(&state.db, &ids).await?;
        loaders
            .case
            .feed_many(found.into_iter().map(|row| (row.case.id, row)))
            .await;
    }
    Ok(())
}

/// Nested fields of observations whose persons are in hand.
pub async fn quarantines(
    ctx: &Context<'_>,
    look: &Lookahead<'_>,
    ids: &[i64],
    person_ids: &[i64],
) -> Result<()> {
    if ids.is_empty() || !look.exists() {
        return Ok(());
    }
    persons(ctx, &look.field("person"), person_ids).await?;
    if look.field("healthChecks").exists() {
        feed(
            &ctx.data::<Loaders>()?.checks_of_quarantine,
            state(ctx)?,
            ids,
        )
        .await?;
    }
    Ok(())
}

/// Persons known only by id (alerts, checks, tests): load them and their nested fields.
pub async fn persons_by_id(ctx: &Context<'_>, look: &Lookahead<'_>, ids: &[i64]) -> Result<()> {
    if ids.is_empty() || !look.exists() {
        return Ok(());
    }
    let ids: Vec<i64> = ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let people = person_rows::by_ids(&state(ctx)?.db, &ids).await?;
    ctx.data::<Loaders>()?
        .person
        .feed_many(people.into_iter().map(|p| (p.id, Arc::new(p))))
        .await;
    persons(ctx, look, &ids).await
}
