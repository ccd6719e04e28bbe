//! One record per person (一人一档): finding records that are likely the same human, and
//! counting how many persons each agency's channel alone knows.
//!
//! Two records are a likely pair when they share a name and a phone number, or a name and a
//! birth date, and at least one has no document number (two different numbers are two
//! people, and such a pair could not be merged anyway).

use std::{collections::HashMap, sync::Arc};

use entity::{person, person_provenance, Agency};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement},
    FromQueryResult, StatementBuilder,
};

use super::{
    org_units::OrgUnit,
    pagination::{not_this_list, Page, PageRequest},
    persons,
    values::{Cursor, OrgPath},
};
use crate::{
    access::{self, disclosure::Disclosure, Access, Data, PersonView, Reach},
    audit::Actor,
    auth::Principal,
    error::{AppError, AppResult},
    state::AppState,
};

pub const LIST: &str = "possibleDuplicates";

/// Why two records look like one human.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateReason {
    SameNameAndPhone,
    SameNameAndBirthDate,
}

#[derive(Debug, Clone)]
pub struct DuplicatePair {
    pub first: PersonView,
    pub second: PersonView,
    pub reasons: Vec<DuplicateReason>,
}

#[derive(Debug, FromQueryResult)]
struct PairIds {
    first_id: i64,
    second_id: i64,
}

/// The unit a query covers: `unit` if given (inside the principal's jurisdiction, else
/// FORBIDDEN), the principal's own unit otherwise.
fn covered(principal: &Principal, unit: Option<Arc<OrgUnit>>) -> AppResult<OrgPath> {
    match unit {
        Some(unit) if principal.jurisdiction().contains(&unit.path) => Ok(unit.path.clone()),
        Some(_) => Err(AppError::forbidden(crate::msg!(
            "org-unit-outside-jurisdiction"
        ))),
        None => Ok(principal.jurisdiction().clone()),
    }
}

/// Pairs of likely duplicates among the residents of a unit, ordered by the pair's ids.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn list(
    state: &AppState,
    actor: &Actor,
    unit: Option<Arc<OrgUnit>>,
    page: &PageRequest,
) -> AppResult<Page<DuplicatePair>> {
    let principal = &actor.principal;
    access::require(principal, Data::PersonIdentity, Access::ReadWrite)?;
    let path = covered(principal, unit)?;
    let after = match &page.after {
        None => None,
        Some(Cursor::Pair(first, second)) => Some((*first, *second)),
        Some(_) => return Err(not_this_list()),
    };
    // Pairing by birth date would tell whoever cannot see birth dates (they sit hidden in
    // a masked number) that two records share one: only those who see them pair on them.
    let by_birth_date = access::may_see(principal.agency, principal.role, "Person.birthDate");
    let statement = pairs_query(&path, after, page.first + 1, by_birth_date);
    let backend = state.db.get_database_backend();
    let rows = PairIds::find_by_statement(StatementBuilder::build(&statement, &backend))
        .all(&state.db)
        .await?;
    let page = Page::from_overfetch(rows, page.first);
    let mut ids: Vec<i64> = page
        .items
        .iter()
        .flat_map(|p| [p.first_id, p.second_id])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let people: HashMap<i64, person::Model> = persons::by_ids(&state.db, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    actor.record_reads("Person", ids.iter().copied())?;
    let mut items = Vec::with_capacity(page.items.len());
    for pair in &page.items {
        let (Some(first), Some(second)) = (people.get(&pair.first_id), people.get(&pair.second_id))
        else {
            return Err(AppError::internal("a listed duplicate vanished"));
        };
        let mut reasons = Vec::new();
        if first.phone.is_some() && first.phone == second.phone {
            reasons.push(DuplicateReason::SameNameAndPhone);
        }
        if by_birth_date && first.birth_date.is_some() && first.birth_date == second.birth_date {
            reasons.push(DuplicateReason::SameNameAndBirthDate);
        }
        items.push(DuplicatePair {
            first: PersonView::new(principal, first.clone(), Reach::Jurisdiction),
            second: PersonView::new(principal, second.clone(), Reach::Jurisdiction),
            reasons,
        });
    }
    Ok(Page {
        items,
        has_next_page: page.has_next_page,
    })
}

/// The cursor of a pair in the list.
pub fn cursor_of(pair: &DuplicatePair) -> String {
    Cursor::Pair(pair.first.id(), pair.second.id()).encode(LIST)
}

fn pairs_query(
    path: &OrgPath,
    after: Option<(i64, i64)>,
    limit: u64,
    by_birth_date: bool,
) -> SelectStatement {
    let a = Alias::new("a");
    let b = Alias::new("b");
    let col = |table: &Alias, column: person::Column| Expr::col((table.clone(), column));
    let inside = |table: &Alias| {
        col(table, person::Column::ResidencePath)
            .gte(path.as_str())
            .and(col(table, person::Column::ResidencePath).lt(path.upper_bound()))
            .and(col(table, person::Column::MergedIntoId).is_null())
    };
    let mut query = Query::select()
        .expr_as(col(&a, person::Column::Id), Alias::new("first_id"))
        .expr_as(col(&b, person::Column::Id), Alias::new("second_id"))
        .from_as(person::Entity, a.clone())
        .join_as(
            JoinType::InnerJoin,
            person::Entity,
            b.clone(),
            col(&a, person::Column::Name)
                .equals((b.clone(), person::Column::Name))
                .and(col(&a, person::Column::Id).lt(col(&b, person::Column::Id))),
        )
        .and_where(inside(&a))
        .and_where(inside(&b))
        .and_where(
            col(&a, person::Column::DocumentNumber).is_null().or(col(
                &b,
                person::Column::DocumentNumber,
            )
            .is_null()),
        )
        .and_where(if by_birth_date {
            col(&a, person::Column::Phone)
                .equals((b.clone(), person::Column::Phone))
                .or(col(&a, person::Column::BirthDate)
                    .equals((b.clone(), person::Column::BirthDate)))
        } else {
            col(&a, person::Column::Phone).equals((b.clone(), person::Column::Phone))
        })
        .order_by((a.clone(), person::Column::Id), Order::Asc)
        .order_by((b.clone(), person::Column::Id), Order::Asc)
        .limit(limit)
        .to_owned();
    if let Some((first, second)) = after {
        query.and_where(
            Expr::tuple([col(&a, person::Column::Id), col(&b, person::Column::Id)])
                .gt(Expr::tuple([Expr::val(first), Expr::val(second)])),
        );
    }
    query
}

/// How many persons of a unit each number of agencies has reported, and, of those only one
/// agency knows, which agency that is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    pub persons: i64,
    /// (number of agencies, persons): 0 for records no agency's channel reported.
    pub by_agency_count: Vec<(i64, i64)>,
    /// Persons known to exactly one agency, by agency.
    pub only_by: Vec<(Agency, i64)>,
}

impl Reconciliation {
    pub fn known_to_one(&self) -> i64 {
        self.only_by.iter().map(|(_, n)| n).sum()
    }

    pub fn known_to_several(&self) -> i64 {
        self.by_agency_count
            .iter()
            .filter(|(agencies, _)| *agencies > 1)
            .map(|(_, n)| n)
            .sum()
    }
}

#[derive(Debug, FromQueryResult)]
struct ChannelRow {
    agencies: i64,
    only_agency: Option<String>,
    persons: i64,
}

/// Counts over the residents of a unit (aggregates only: any agency may see them for its
/// own jurisdiction), in one statement.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn reconciliation(
    state: &AppState,
    actor: &Actor,
    unit: Option<Arc<OrgUnit>>,
) -> AppResult<Reconciliation> {
    let principal = &actor.principal;
    access::require(principal, Data::PersonIdentity, Access::Aggregates)?;
    let path = covered(principal, unit.clone())?;
    let p = Alias::new("p");
    let pp = Alias::new("pp");
    let agencies = Alias::new("agencies");
    let only_agency = Alias::new("only_agency");
    let agency = || Expr::col((pp.clone(), person_provenance::Column::Agency));
    // Per resident: how many agencies reported them and, if exactly one, which.
    let per_person = Query::select()
        .expr_as(Func::count(agency()), agencies.clone())
        .expr_as(
            Expr::case(Func::count(agency()).eq(1), Func::min(agency()))
                .finally(Expr::val(Option::<String>::None)),
            only_agency.clone(),
        )
        .from_as(person::Entity, p.clone())
        .join_as(
            JoinType::LeftJoin,
            person_provenance::Entity,
            pp.clone(),
            Expr::col((pp.clone(), person_provenance::Column::PersonId))
                .equals((p.clone(), person::Column::Id)),
        )
        .and_where(Expr::col((p.clone(), person::Column::ResidencePath)).gte(path.as_str()))
        .and_where(Expr::col((p.clone(), person::Column::ResidencePath)).lt(path.upper_bound()))
        .and_where(Expr::col((p.clone(), person::Column::MergedIntoId)).is_null())
        .group_by_col((p.clone(), person::Column::Id))
        .to_owned();
    let statement = Query::select()
        .column(agencies.clone())
        .column(only_agency.clone())
        .expr_as(
            Func::count(Expr::col(agencies.clone())),
            Alias::new("persons"),
        )
        .from_subquery(per_person, Alias::new("per_person"))
        .group_by_col(agencies.clone())
        .group_by_col(only_agency.clone())
        .to_owned();
    let backend = state.db.get_database_backend();
    let rows = ChannelRow::find_by_statement(StatementBuilder::build(&statement, &backend))
        .all(&state.db)
        .await?;
    let mut result = Reconciliation::default();
    let mut by_count: HashMap<i64, i64> = HashMap::new();
    for row in rows {
        result.persons += row.persons;
        *by_count.entry(row.agencies).or_default() += row.persons;
        if let Some(agency) = row.only_agency {
            let agency = agency
                .parse::<Agency>()
                .map_err(|_| AppError::internal("unknown agency in provenance"))?;
            result.only_by.push((agency, row.persons));
        }
    }
    result.by_agency_count = by_count.into_iter().collect();
    result.by_agency_count.sort_unstable();
    result.only_by.sort_by_key(|(agency, _)| agency.to_string());
    // As this principal may read them (analysts: perturbed, see `access::disclosure`);
    // the total is the sum of its perturbed parts.
    let disclosure = Disclosure::for_principal(principal, &state.settings.disclosure_key);
    if disclosure.perturbs() {
        let unit_id = unit.as_ref().map_or(principal.org.id, |u| u.id);
        let cell = |measure: &str, n: i64| disclosure.stock(measure, unit_id, n);
        for (agencies, n) in &mut result.by_agency_count {
            *n = cell(&format!("persons.reported_by.{agencies}"), *n);
        }
        for (agency, n) in &mut result.only_by {
            *n = cell(&format!("persons.only_by.{agency}"), *n);
        }
        result.persons = result.by_agency_count.iter().map(|(_, n)| n).sum();
    }
    Ok(result)
}
