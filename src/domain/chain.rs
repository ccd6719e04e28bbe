//! Transmission chains (传播链): from one case, the cases linked to it through traced
//! contacts who became cases, in both directions, to a bounded depth — walked by one
//! recursive query, then read in three more, however large the chain.

use std::collections::{HashMap, HashSet};

use entity::{case, contact, person};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};

use super::cases::{self, CaseRow};
use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    error::{AppError, AppResult},
    state::AppState,
};

/// A case in the chain and its distance from the starting case.
#[derive(Debug, Clone)]
pub struct ChainCase {
    pub row: CaseRow,
    pub depth: u32,
}

/// A traced contact of a case in the chain; `person` is set when the contact did not become
/// a case inside the chain (else the case stands for them).
#[derive(Debug, Clone)]
pub struct ChainContact {
    pub contact: contact::Model,
    pub person: Option<person::Model>,
}

#[derive(Debug, Clone)]
pub struct Chain {
    pub root_id: i64,
    pub cases: Vec<ChainCase>,
    pub contacts: Vec<ChainContact>,
    /// The walk hit the node limit; more of the chain exists.
    pub truncated: bool,
}

#[derive(Debug, FromQueryResult)]
struct Walked {
    case_id: i64,
    depth: i64,
}

/// The chain around a case in reach.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn walk(state: &AppState, actor: &Actor, case_id: i64, depth: u32) -> AppResult<Chain> {
    let principal = &actor.principal;
    access::require(principal, Data::Contacts, Access::Pseudonymized)?;
    access::require(principal, Data::CaseStatus, Access::Pseudonymized)?;
    let max_depth = state.settings.max_chain_depth;
    if depth > max_depth {
        return Err(AppError::LimitExceeded(crate::msg!(
            "limit-chain-depth",
            max = max_depth
        )));
    }
    let max_nodes = u64::from(state.settings.max_chain_nodes);
    let root = case::Entity::find_by_id(case_id)
        .filter(scope::cases_in_reach(principal))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: "Case" })?;

    let walked = walk_ids(&state.db, root.id, depth, max_nodes + 1).await?;
    let mut truncated = walked.len() as u64 > max_nodes;
    let depths: HashMap<i64, u32> = walked
        .into_iter()
        .take(usize::try_from(max_nodes).unwrap_or(usize::MAX))
        .map(|w| (w.case_id, u32::try_from(w.depth).unwrap_or(u32::MAX)))
        .collect();
    let case_ids: Vec<i64> = depths.keys().copied().collect();
    let mut cases: Vec<ChainCase> = cases::by_ids(&state.db, &case_ids)
        .await?
        .into_iter()
        .map(|row| ChainCase {
            depth: depths.get(&row.case.id).copied().unwrap_or(0),
            row,
        })
        .collect();
    cases.sort_by_key(|c| (c.depth, c.row.case.id));

    let room = max_nodes.saturating_sub(cases.len() as u64);
    let mut contacts = contact::Entity::find()
        .filter(contact::Column::SourceCaseId.is_in(case_ids.iter().copied()))
        .order_by_asc(contact::Column::SourceCaseId)
        .order_by_asc(contact::Column::Id)
        .limit(room + 1)
        .all(&state.db)
        .await?;
    if contacts.len() as u64 > room {
        truncated = true;
        contacts.truncate(usize::try_from(room).unwrap_or(0));
    }
    let in_chain: HashSet<i64> = case_ids.iter().copied().collect();
    let outside: Vec<i64> = contacts
        .iter()
        .filter(|c| !c.converted_case_id.is_some_and(|id| in_chain.contains(&id)))
        .map(|c| c.person_id)
        .collect();
    let mut persons: HashMap<i64, person::Model> = if outside.is_empty() {
        HashMap::new()
    } else {
        person::Entity::find()
            .filter(person::Column::Id.is_in(outside))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect()
    };
    let contacts: Vec<ChainContact> = contacts
        .into_iter()
        .map(|contact| {
            let person = if contact
                .converted_case_id
                .is_some_and(|id| in_chain.contains(&id))
            {
                None
            } else {
                persons.get(&contact.person_id).cloned()
            };
            ChainContact { contact, person }
        })
        .collect();
    persons.clear();

    actor.record_reads("Case", cases.iter().map(|c| c.row.case.id))?;
    actor.record_reads("Contact", contacts.iter().map(|c| c.contact.id))?;
    actor.record_reads(
        "Person",
        cases.iter().map(|c| c.row.person.id).chain(
            contacts
                .iter()
                .filter_map(|c| c.person.as_ref().map(|p| p.id)),
        ),
    )?;
    Ok(Chain {
        root_id: root.id,
        cases,
        contacts,
        truncated,
    })
}

/// The recursive walk: each case reachable from the root through contacts that became
/// cases (forwards) or the contact records a case came from (backwards), with its least
/// distance, nearest first.
async fn walk_ids(
    db: &impl ConnectionTrait,
    root: i64,
    depth: u32,
    limit: u64,
) -> AppResult<Vec<Walked>> {
    let backend = db.get_database_backend();
    let (p1, p2, p3) = match backend {
        DbBackend::Postgres => ("$1", "$2", "$3"),
        _ => ("?", "?", "?"),
    };
    let sql = format!(
        "WITH RECURSIVE walk(case_id, depth) AS ( \
            SELECT CAST({p1} AS BIGINT), 0 \
            UNION \
            SELECT CASE WHEN c.source_case_id = w.case_id THEN c.converted_case_id ELSE c.source_case_id END, \
                   w.depth + 1 \
            FROM walk w JOIN contact c \
              ON (c.source_case_id = w.case_id AND c.converted_case_id IS NOT NULL) \
              OR c.converted_case_id = w.case_id \
            WHERE w.depth < {p2} \
         ) \
         SELECT case_id, CAST(MIN(depth) AS BIGINT) AS depth FROM walk \
         GROUP BY case_id ORDER BY MIN(depth), case_id LIMIT {p3}"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [root.into(), i64::from(depth).into(), limit.into()],
    );
    Ok(Walked::find_by_statement(statement).all(db).await?)
}
