//! Persons: one record per human, registered by any agency and seen per the policy.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use entity::{person, person_provenance, DocumentType, OrgLevel, Sex, TaskKind};
use sea_orm::{
    prelude::Expr,
    sea_query::{ExprTrait, OnConflict},
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    guesses,
    org_units::OrgUnit,
    pagination::{Page, PageRequest},
    values::{BoundedText, Cursor, Document, OrgPath, PersonName, Phone},
    vulnerability::Vulnerability,
};
use crate::{
    access::{self, scope, Access, Data, PersonView, Reach},
    audit::Actor,
    auth::Principal,
    db::{self, WriteError},
    error::{AppError, AppResult},
    state::AppState,
};

/// Name of the list in cursors.
pub const LIST: &str = "persons";

/// Filters of the `persons` list; each narrows the principal's jurisdiction further.
#[derive(Debug, Default, Clone)]
pub struct PersonFilter {
    pub org_unit: Option<Arc<OrgUnit>>,
    pub name_prefix: Option<PersonName>,
    pub phone: Option<Phone>,
    pub vulnerable: Option<bool>,
    pub vulnerability: Option<Vulnerability>,
    /// Under active medical observation (true) or not (false).
    pub under_quarantine: Option<bool>,
    /// With (true) or without (false) a live DELIVER_SUPPLIES task.
    pub supply_task_open: Option<bool>,
}

/// A registration (登记): a new person, or a new report of a known one.
#[derive(Debug, Clone)]
pub struct Registration {
    pub document: Option<Document>,
    pub name: PersonName,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<Phone>,
    pub address: Option<BoundedText>,
    pub residence: Arc<OrgUnit>,
}

/// Changes to a person's record; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct Changes {
    pub name: Option<PersonName>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<Phone>,
    pub address: Option<BoundedText>,
    pub residence: Option<Arc<OrgUnit>>,
}

/// One person, if the principal reaches them in its jurisdiction; NOT_FOUND otherwise,
/// without saying whether the person exists elsewhere.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<PersonView> {
    access::require(
        &actor.principal,
        Data::PersonIdentity,
        Access::Pseudonymized,
    )?;
    let principal = &actor.principal;
    let resident = person::Entity::find_by_id(id)
        .filter(scope::persons_in_jurisdiction(principal))
        .one(&state.db)
        .await?;
    if let Some(model) = resident {
        actor.record_reads("Person", [model.id])?;
        return Ok(PersonView::new(principal, model, Reach::Jurisdiction));
    }
    // The subject of a live task addressed to the principal, for the life of the task.
    if let Some(tasked) = scope::persons_with_live_tasks(principal) {
        let tasked = person::Entity::find_by_id(id)
            .filter(person::Column::Id.in_subquery(tasked))
            .one(&state.db)
            .await?;
        if let Some(model) = tasked {
            actor.record_reads("Person", [model.id])?;
            return Ok(PersonView::new(principal, model, Reach::Task));
        }
    }
    // A break-the-glass grant, every read filed with it.
    let Some(grant) = super::grants::active_for(&state.db, principal, id).await? else {
        return Err(AppError::NotFound { entity: "Person" });
    };
    let model = person::Entity::find_by_id(id)
        .filter(person::Column::MergedIntoId.is_null())
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: "Person" })?;
    actor.record_read_under_grant("Person", model.id, grant.id)?;
    Ok(PersonView::new(principal, model, Reach::Grant(grant.id)))
}

/// Look-up by identity document, for the agencies that see numbers in full.
#[tracing::instrument(skip(state, actor, number), fields(request_id = %actor.request_id))]
pub async fn by_document(
    state: &AppState,
    actor: &Actor,
    kind: DocumentType,
    number: &str,
) -> AppResult<PersonView> {
    access::require(&actor.principal, Data::DocumentNumber, Access::Read)?;
    let document = Document::parse(kind, number).map_err(|m| AppError::bad_input("number", m))?;
    let model = person::Entity::find()
        .filter(person::Column::DocumentType.eq(document.kind()))
        .filter(person::Column::DocumentNumber.eq(document.number()))
        .filter(person::Column::HeldForId.is_null())
        .filter(scope::persons_in_jurisdiction(&actor.principal))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound { entity: "Person" })?;
    actor.record_reads("Person", [model.id])?;
    Ok(PersonView::new(
        &actor.principal,
        model,
        Reach::Jurisdiction,
    ))
}

/// A page of the persons in the principal's jurisdiction, ordered by residence then id,
/// so that a grid's residents come together and the scope index serves the order.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &PersonFilter,
    page: &PageRequest,
) -> AppResult<Page<PersonView>> {
    access::require(
        &actor.principal,
        Data::PersonIdentity,
        Access::Pseudonymized,
    )?;
    let mut select = person::Entity::find().filter(list_condition(&actor.principal, filter)?);
    match &page.after {
        None => {}
        Some(Cursor::PathId(path, id)) => {
            select = select.filter(
                Expr::tuple([
                    Expr::col(person::Column::ResidencePath),
                    Expr::col(person::Column::Id),
                ])
                .gt(Expr::tuple([Expr::val(path.as_str()), Expr::val(*id)])),
            );
        }
        Some(Cursor::Id(_) | Cursor::Pair(..)) => {
            return Err(AppError::bad_input("after", crate::msg!("not-a-cursor")))
        }
    }
    let rows = select
        .order_by_asc(person::Column::ResidencePath)
        .order_by_asc(person::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    let page = Page::from_overfetch(rows, page.first);
    actor.record_reads("Person", page.items.iter().map(|p| p.id))?;
    Ok(page.map(|model| PersonView::new(&actor.principal, model, Reach::Jurisdiction)))
}

/// The cursor of a person in the `persons` list.
pub fn cursor_of(view: &PersonView) -> AppResult<String> {
    let path = OrgPath::parse(view.residence_path()).ok_or_else(|| {
        AppError::internal(format!(
            "person {} has a malformed residence path",
            view.id()
        ))
    })?;
    Ok(Cursor::PathId(path, view.id()).encode(LIST))
}

/// How many persons the list would hold across all pages.
pub async fn count(state: &AppState, actor: &Actor, filter: &PersonFilter) -> AppResult<u64> {
    access::require(
        &actor.principal,
        Data::PersonIdentity,
        Access::Pseudonymized,
    )?;
    Ok(person::Entity::find()
        .filter(list_condition(&actor.principal, filter)?)
        .count(&state.db)
        .await?)
}

fn list_condition(principal: &Principal, filter: &PersonFilter) -> AppResult<Condition> {
    let mut condition = scope::persons_in_jurisdiction(principal);
    if let Some(unit) = &filter.org_unit {
        condition = condition.add(scope::within(person::Column::ResidencePath, &unit.path));
    }
    if let Some(prefix) = &filter.name_prefix {
        access::require(principal, Data::PersonIdentity, Access::Read)?;
        condition = condition
            .add(person::Column::Name.gte(prefix.as_str()))
            .add(person::Column::Name.lt(prefix_upper_bound(prefix.as_str())));
    }
    if let Some(phone) = &filter.phone {
        access::require(principal, Data::PersonIdentity, Access::Read)?;
        condition = condition.add(person::Column::Phone.eq(phone.as_str()));
    }
    if let Some(vulnerable) = filter.vulnerable {
        access::require(principal, Data::Vulnerability, Access::Read)?;
        condition = condition.add(if vulnerable {
            person::Column::Vulnerabilities.ne(0)
        } else {
            person::Column::Vulnerabilities.eq(0)
        });
    }
    if let Some(flag) = filter.vulnerability {
        access::require(principal, Data::Vulnerability, Access::Read)?;
        condition = condition.add(
            Expr::col(person::Column::Vulnerabilities)
                .bit_and(flag.bit())
                .ne(0),
        );
    }
    if let Some(isolated) = filter.under_quarantine {
        access::require(principal, Data::Quarantine, Access::Pseudonymized)?;
        let ids = scope::isolated_person_ids();
        condition = condition.add(if isolated {
            person::Column::Id.in_subquery(ids)
        } else {
            person::Column::Id.not_in_subquery(ids)
        });
    }
    if let Some(open) = filter.supply_task_open {
        access::require(principal, Data::Vulnerability, Access::Read)?;
        let ids = scope::persons_with_live_task(TaskKind::DeliverSupplies);
        condition = condition.add(if open {
            person::Column::Id.in_subquery(ids)
        } else {
            person::Column::Id.not_in_subquery(ids)
        });
    }
    Ok(condition)
}

/// The smallest string above every string that starts with `prefix`, in byte order.
fn prefix_upper_bound(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    char::MAX.to_string()
}

/// Registers a person, or records another agency's report of a known one.
///
/// A document number known in the caller's jurisdiction updates that record and adds the
/// registering agency to its provenance. A number whose person lives elsewhere is, for
/// health and police (who verify identities), a relocation of that person, audited as such,
/// provided the name matches; for every other agency it is held for verification: the
/// caller gets a record of its own, exactly as for an unknown number, and learns nothing of
/// the other person.
#[tracing::instrument(skip(state, actor, registration), fields(request_id = %actor.request_id))]
pub async fn register(
    state: &AppState,
    actor: &Actor,
    registration: Registration,
) -> AppResult<PersonView> {
    access::require(&actor.principal, Data::PersonIdentity, Access::ReadWrite)?;
    check_residence(&actor.principal, &registration.residence, "input.residence")?;
    let registration = reconcile_with_document(registration)?;
    let model = db::write_retrying!(&state.db, |txn| {
        register_in(&txn, actor, &registration, Mode::Resident, "registerPerson").await
    })?;
    Ok(PersonView::new(
        &actor.principal,
        model,
        Reach::Jurisdiction,
    ))
}

/// Who a new record is about: a person the principal reaches, or one registered on the
/// spot (a close contact, say), who may live anywhere in the city.
#[derive(Debug, Clone)]
pub enum PersonRef {
    Id(i64),
    Register(Registration),
}

impl PersonRef {
    /// Validates an inline registration as far as it can be outside a transaction.
    pub fn checked(self) -> AppResult<Self> {
        match self {
            Self::Id(id) => Ok(Self::Id(id)),
            Self::Register(registration) => {
                if registration.residence.level != OrgLevel::Grid {
                    return Err(AppError::bad_input(
                        "input.person.register.residence",
                        crate::msg!("must-be-a-grid"),
                    ));
                }
                Ok(Self::Register(reconcile_with_document(registration)?))
            }
        }
    }
}

/// Resolves a [`PersonRef`] inside a write transaction: a known person must be in the
/// principal's reach; an inline registration links to the record of its document if there
/// is one (the name must match) and never moves a person between jurisdictions.
pub async fn resolve_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    person: &PersonRef,
    operation: &str,
) -> Result<person::Model, WriteError> {
    match person {
        PersonRef::Id(id) => Ok(find_for_write(txn, &actor.principal, *id).await?),
        PersonRef::Register(registration) => {
            register_in(txn, actor, registration, Mode::Linked, operation).await
        }
    }
}

/// How a registration treats a known person outside the principal's jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `registerPerson`: the person now lives here; move them (relocation).
    Resident,
    /// Registered while recording something else (a contact): link, change nothing.
    Linked,
    /// A row of an imported list: as `Resident`, but a row that changes nothing writes
    /// nothing.
    Imported,
}

async fn register_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    registration: &Registration,
    mode: Mode,
    operation: &str,
) -> Result<person::Model, WriteError> {
    let principal = &actor.principal;
    let now = Utc::now();
    if let Some(document) = &registration.document {
        if !guesses::refused(txn, principal, &[(0, document)], guesses::Entry::Kept)
            .await?
            .is_empty()
        {
            return Err(AppError::LimitExceeded(guesses::refusal()).into());
        }
    }
    let known = match &registration.document {
        Some(document) => known_by_document(txn, principal, document).await?,
        None => Known::Nobody,
    };
    let (model, settled) = settle(txn, principal, registration, known, mode, now).await?;
    let reason = match settled {
        Settled::Relocated => Some("relocated from another jurisdiction on re-registration"),
        _ => None,
    };
    record_provenance(txn, &[model.id], principal, now).await?;
    actor
        .record_write(txn, operation, "Person", &[model.id], reason)
        .await?;
    Ok(model)
}

/// What a registration did to the record it settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// A new record (for an unknown number, or a claim held for verification: the caller
    /// cannot tell the two apart, and must not).
    Created,
    /// A record in the caller's jurisdiction took the registration's details.
    Updated,
    /// A record in the caller's jurisdiction already held every detail given (only when the
    /// caller asked to skip such writes).
    Unchanged,
    /// Health or police moved a known person here from another jurisdiction.
    Relocated,
    /// Linked to the known person elsewhere, changing nothing.
    Linked,
}

/// What a registration will do to the records, decided from who already carries its number.
pub(super) enum Plan {
    /// A new record; `held_for` names the verified person whose number a masked caller
    /// gave (the claim waits for verification).
    Insert { held_for: Option<i64> },
    /// A record in the caller's jurisdiction that already holds every detail given.
    Keep(person::Model),
    /// The record takes the registration's details (`Updated`, or `Relocated` from outside).
    Update {
        current: person::Model,
        settled: Settled,
    },
    /// Linked to the known person elsewhere, changing nothing.
    Link(person::Model),
}

impl Plan {
    /// The existing record the plan settles on; `None` for a new one.
    pub(super) fn target(&self) -> Option<i64> {
        match self {
            Self::Insert { .. } => None,
            Self::Keep(current) | Self::Update { current, .. } | Self::Link(current) => {
                Some(current.id)
            }
        }
    }
}

/// The rules of a registration: which record it settles on, given who already carries its
/// number. Pure, so that a list of registrations can be decided at once and written in bulk.
fn plan(
    principal: &Principal,
    registration: &Registration,
    known: Known,
    mode: Mode,
) -> AppResult<Plan> {
    Ok(match known {
        Known::Nobody => Plan::Insert { held_for: None },
        Known::Inside(current) if mode == Mode::Imported && holds(&current, registration) => {
            Plan::Keep(current)
        }
        Known::Inside(current) => Plan::Update {
            current,
            settled: Settled::Updated,
        },
        // The number belongs to someone the caller may not reach, and the caller cannot
        // see numbers in full: it gets exactly what an unknown number gives (a record of the
        // person it met, where it says they live), and the claim waits for an agency that
        // sees numbers in full (`heldRegistrations`). Nothing about the other person, not
        // even whether the names agree, reaches the caller.
        Known::Outside(current) if !access::sees_full_numbers(principal) => Plan::Insert {
            held_for: Some(current.id),
        },
        // Health and police verify identities: they link to (or, registering a resident,
        // relocate) the one person, provided the name matches the one on record.
        Known::Outside(current) => {
            if current.name != registration.name.as_str() {
                let field = match mode {
                    Mode::Linked => "input.person.register.name",
                    Mode::Resident | Mode::Imported => "input.name",
                };
                return Err(AppError::bad_input(
                    field,
                    crate::msg!("name-does-not-match-document"),
                ));
            }
            match mode {
                Mode::Linked => Plan::Link(current),
                Mode::Resident | Mode::Imported => Plan::Update {
                    current,
                    settled: Settled::Relocated,
                },
            }
        }
    })
}

/// Carries out a plan other than a bulk insert.
pub(super) async fn apply(
    txn: &DatabaseTransaction,
    principal: &Principal,
    registration: &Registration,
    plan: Plan,
    now: chrono::DateTime<Utc>,
) -> Result<(person::Model, Settled), WriteError> {
    Ok(match plan {
        Plan::Insert { held_for } => (
            insert(txn, principal, registration, held_for, now).await?,
            Settled::Created,
        ),
        Plan::Keep(current) => (current, Settled::Unchanged),
        Plan::Update { current, settled } => (
            update_from(txn, registration, &current, now).await?,
            settled,
        ),
        Plan::Link(current) => (current, Settled::Linked),
    })
}

/// The rules of a registration, without its provenance and audit (which the caller files,
/// once per registration or once per chunk of an imported list).
async fn settle(
    txn: &DatabaseTransaction,
    principal: &Principal,
    registration: &Registration,
    known: Known,
    mode: Mode,
    now: chrono::DateTime<Utc>,
) -> Result<(person::Model, Settled), WriteError> {
    let plan = plan(principal, registration, known, mode)?;
    apply(txn, principal, registration, plan, now).await
}

/// Whether a record already holds every detail a registration gives.
fn holds(current: &person::Model, registration: &Registration) -> bool {
    current.name == registration.name.as_str()
        && registration.sex.is_none_or(|s| s == current.sex)
        && registration
            .birth_date
            .is_none_or(|d| current.birth_date == Some(d))
        && registration
            .phone
            .as_ref()
            .is_none_or(|p| current.phone.as_deref() == Some(p.as_str()))
        && registration
            .address
            .as_ref()
            .is_none_or(|a| current.address.as_deref() == Some(a.as_str()))
        && current.residence_org_id == registration.residence.id
}

/// The rows of an imported list, each decided as `registerPerson` would decide it
/// (relocations included), except that a row which changes nothing is kept as it is, so that
/// importing the same list twice writes it once. `matched` is the one person in the caller's
/// jurisdiction a row without a document number was matched to, by name with phone or birth
/// date. Two statements for the whole list (the look-alike count, the records of the rows'
/// numbers); the caller writes the plans, files provenance and audit once per chunk.
pub(super) async fn plan_imported(
    txn: &DatabaseTransaction,
    principal: &Principal,
    rows: &[(&Registration, Option<person::Model>)],
    entry: guesses::Entry,
) -> Result<Vec<AppResult<Plan>>, sea_orm::DbErr> {
    let documents: Vec<(usize, &Document)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, (registration, _))| registration.document.as_ref().map(|d| (i, d)))
        .collect();
    // A row's number is a try at a masked number like any other.
    let refused = guesses::refused(txn, principal, &documents, entry).await?;
    let tried: Vec<&Document> = documents
        .iter()
        .filter(|(i, _)| !refused.contains(i))
        .map(|(_, d)| *d)
        .collect();
    let records = carrying(txn, &tried).await?;
    let sees_birth_dates = access::may_see(principal.agency, principal.role, "Person.birthDate");
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, (registration, matched))| {
            if refused.contains(&i) {
                return Err(AppError::LimitExceeded(match entry {
                    guesses::Entry::Kept => guesses::refusal(),
                    guesses::Entry::Trial => guesses::trial_refusal(),
                }));
            }
            let known = match (&registration.document, matched) {
                (Some(document), _) => known_among(principal, &records, document),
                // A row without a number takes the matched record's details as
                // `updatePerson` would: a birth date its resident ID sets is refused whatever
                // the date.
                (None, Some(person)) => {
                    check_against_document(person, registration.sex, registration.birth_date)?;
                    Known::Inside(person.clone())
                }
                (None, None) => Known::Nobody,
            };
            // Whoever cannot see birth dates must not learn one from "unchanged": a row that
            // gives one always updates, whatever the date on record, unless the row's own
            // resident ID number gave it (and then it is the number's, which the caller
            // typed).
            let from_number = registration
                .document
                .as_ref()
                .is_some_and(|d| d.resident_id().is_some());
            let mode = if registration.birth_date.is_some() && !from_number && !sees_birth_dates {
                Mode::Resident
            } else {
                Mode::Imported
            };
            plan(principal, registration, known, mode)
        })
        .collect())
}

/// New records for registrations, in one statement; the records come back in the order of
/// `rows`.
pub(super) async fn insert_all(
    txn: &DatabaseTransaction,
    principal: &Principal,
    rows: &[(&Registration, Option<i64>)],
    now: chrono::DateTime<Utc>,
) -> Result<Vec<person::Model>, WriteError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut inserted = person::Entity::insert_many(
        rows.iter()
            .map(|(registration, held_for)| new_record(principal, registration, *held_for, now)),
    )
    .exec_with_returning(txn)
    .await?;
    // Identifiers are drawn in the order of the rows, on both databases.
    inserted.sort_by_key(|p| p.id);
    let in_order = inserted.len() == rows.len()
        && inserted
            .iter()
            .zip(rows)
            .all(|(p, (r, _))| p.name == r.name.as_str() && p.residence_org_id == r.residence.id);
    if !in_order {
        return Err(AppError::internal("a bulk insert returned its rows out of order").into());
    }
    Ok(inserted)
}

/// The persons among `person_ids` the principal's agency has already reported.
pub(super) async fn reported_by(
    txn: &impl ConnectionTrait,
    principal: &Principal,
    person_ids: &[i64],
) -> Result<std::collections::HashSet<i64>, sea_orm::DbErr> {
    if person_ids.is_empty() {
        return Ok(std::collections::HashSet::new());
    }
    Ok(person_provenance::Entity::find()
        .select_only()
        .column(person_provenance::Column::PersonId)
        .filter(person_provenance::Column::PersonId.is_in(person_ids.iter().copied()))
        .filter(person_provenance::Column::Agency.eq(principal.agency))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

/// Who already carries a document number, as a registration sees it.
enum Known {
    Nobody,
    /// A record in the caller's jurisdiction: a verified one, or a claim the caller's side
    /// registered before (so that registering the same number again updates it, exactly as
    /// for an unknown number).
    Inside(person::Model),
    /// The verified person, living outside the caller's jurisdiction.
    Outside(person::Model),
}

async fn known_by_document(
    txn: &DatabaseTransaction,
    principal: &Principal,
    document: &Document,
) -> Result<Known, sea_orm::DbErr> {
    let records = carrying(txn, &[document]).await?;
    Ok(known_among(principal, &records, document))
}

/// The records (not merged away) carrying any of the numbers, in the order of their ids.
async fn carrying(
    txn: &DatabaseTransaction,
    documents: &[&Document],
) -> Result<Vec<person::Model>, sea_orm::DbErr> {
    let mut numbers: std::collections::BTreeMap<DocumentType, Vec<&str>> = Default::default();
    for document in documents {
        numbers
            .entry(document.kind())
            .or_default()
            .push(document.number());
    }
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let any = numbers
        .into_iter()
        .fold(Condition::any(), |any, (kind, numbers)| {
            any.add(
                Condition::all()
                    .add(person::Column::DocumentType.eq(kind))
                    .add(person::Column::DocumentNumber.is_in(numbers)),
            )
        });
    person::Entity::find()
        .filter(any)
        .filter(person::Column::MergedIntoId.is_null())
        .order_by_asc(person::Column::Id)
        .all(txn)
        .await
}

/// Who carries a number, as a registration by the principal sees it: a record inside its
/// jurisdiction first (a claim its side registered before included), else the verified person.
fn known_among(principal: &Principal, records: &[person::Model], document: &Document) -> Known {
    let carries = |p: &&person::Model| {
        p.document_type == Some(document.kind())
            && p.document_number.as_deref() == Some(document.number())
    };
    let inside = |p: &&person::Model| principal.jurisdiction().contains_str(&p.residence_path);
    if let Some(mine) = records.iter().filter(carries).find(inside) {
        return Known::Inside(mine.clone());
    }
    records
        .iter()
        .filter(carries)
        .find(|p| p.held_for_id.is_none())
        .map_or(Known::Nobody, |p| Known::Outside(p.clone()))
}

async fn insert(
    txn: &DatabaseTransaction,
    principal: &Principal,
    registration: &Registration,
    held_for: Option<i64>,
    now: chrono::DateTime<Utc>,
) -> Result<person::Model, sea_orm::DbErr> {
    person::Entity::insert(new_record(principal, registration, held_for, now))
        .exec_with_returning(txn)
        .await
}

fn new_record(
    principal: &Principal,
    registration: &Registration,
    held_for: Option<i64>,
    now: chrono::DateTime<Utc>,
) -> person::ActiveModel {
    person::ActiveModel {
        document_type: Set(registration.document.as_ref().map(Document::kind)),
        document_number: Set(registration
            .document
            .as_ref()
            .map(|d| d.number().to_owned())),
        name: Set(registration.name.as_str().to_owned()),
        sex: Set(registration.sex.unwrap_or(Sex::Unknown)),
        birth_date: Set(registration.birth_date),
        phone: Set(registration.phone.as_ref().map(|p| p.as_str().to_owned())),
        address: Set(registration
            .address
            .as_ref()
            .map(|a| a.clone().into_inner())),
        residence_org_id: Set(registration.residence.id),
        residence_path: Set(registration.residence.path.as_str().to_owned()),
        vulnerabilities: Set(0),
        vulnerability_note: Set(None),
        merged_into_id: Set(None),
        held_for_id: Set(held_for),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(principal.agency),
        ..Default::default()
    }
}

/// A known record takes the registration's details and residence.
async fn update_from(
    txn: &DatabaseTransaction,
    registration: &Registration,
    current: &person::Model,
    now: chrono::DateTime<Utc>,
) -> Result<person::Model, WriteError> {
    let changes = person::ActiveModel {
        name: Set(registration.name.as_str().to_owned()),
        sex: registration.sex.map_or(NotSet, Set),
        birth_date: registration.birth_date.map_or(NotSet, |d| Set(Some(d))),
        phone: registration
            .phone
            .as_ref()
            .map_or(NotSet, |p| Set(Some(p.as_str().to_owned()))),
        address: registration
            .address
            .as_ref()
            .map_or(NotSet, |a| Set(Some(a.clone().into_inner()))),
        residence_org_id: Set(registration.residence.id),
        residence_path: Set(registration.residence.path.as_str().to_owned()),
        ..Default::default()
    };
    update_versioned(txn, current.id, current.version, changes, now)
        .await?
        .ok_or(WriteError::Retry)
}

/// Adds one report by the principal's agency to each person's provenance, in one
/// statement however many persons there are.
pub async fn record_provenance(
    txn: &impl ConnectionTrait,
    person_ids: &[i64],
    principal: &Principal,
    now: chrono::DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    // One row per person: PostgreSQL refuses to update a row twice in one statement.
    let mut ids = person_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let rows = ids
        .into_iter()
        .map(|person_id| person_provenance::ActiveModel {
            person_id: Set(person_id),
            agency: Set(principal.agency),
            first_reported_at: Set(now),
            last_reported_at: Set(now),
            last_reported_by: Set(principal.subject.clone()),
            report_count: Set(1),
            ..Default::default()
        });
    person_provenance::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                person_provenance::Column::PersonId,
                person_provenance::Column::Agency,
            ])
            .update_columns([
                person_provenance::Column::LastReportedAt,
                person_provenance::Column::LastReportedBy,
            ])
            .value(
                person_provenance::Column::ReportCount,
                Expr::col((
                    person_provenance::Entity,
                    person_provenance::Column::ReportCount,
                ))
                .add(1),
            )
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Updates a person's record if it is still at `expected_version`; CONFLICT otherwise.
#[tracing::instrument(skip(state, actor, changes), fields(request_id = %actor.request_id))]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    changes: Changes,
) -> AppResult<PersonView> {
    access::require(&actor.principal, Data::PersonIdentity, Access::ReadWrite)?;
    if let Some(residence) = &changes.residence {
        check_residence(&actor.principal, residence, "input.residence")?;
    }
    let txn = db::begin_write(&state.db).await?;
    let current = find_for_write(&txn, &actor.principal, id).await?;
    check_against_document(&current, changes.sex, changes.birth_date)?;
    let active = person::ActiveModel {
        name: changes.name.map_or(NotSet, |n| Set(n.into_inner())),
        sex: changes.sex.map_or(NotSet, Set),
        birth_date: changes.birth_date.map_or(NotSet, |d| Set(Some(d))),
        phone: changes.phone.map_or(NotSet, |p| Set(Some(p.into_inner()))),
        address: changes
            .address
            .map_or(NotSet, |a| Set(Some(a.into_inner()))),
        residence_org_id: changes.residence.as_ref().map_or(NotSet, |r| Set(r.id)),
        residence_path: changes
            .residence
            .as_ref()
            .map_or(NotSet, |r| Set(r.path.as_str().to_owned())),
        ..Default::default()
    };
    let Some(updated) = update_versioned(&txn, id, expected_version, active, Utc::now()).await?
    else {
        return Err(lost_update(&txn, id).await);
    };
    actor
        .record_write(&txn, "updatePerson", "Person", &[id], None)
        .await?;
    txn.commit().await?;
    Ok(PersonView::new(
        &actor.principal,
        updated,
        Reach::Jurisdiction,
    ))
}

/// Sets a person's vulnerability flags (civil affairs and the community).
#[tracing::instrument(skip(state, actor, note), fields(request_id = %actor.request_id))]
pub async fn set_vulnerabilities(
    state: &AppState,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    flags: &[Vulnerability],
    note: Option<BoundedText>,
) -> AppResult<PersonView> {
    access::require(&actor.principal, Data::Vulnerability, Access::ReadWrite)?;
    let txn = db::begin_write(&state.db).await?;
    // In reach, or NOT_FOUND; the version is checked by the update itself.
    find_for_write(&txn, &actor.principal, id).await?;
    let active = person::ActiveModel {
        vulnerabilities: Set(Vulnerability::to_bits(flags)),
        vulnerability_note: Set(note.map(BoundedText::into_inner)),
        ..Default::default()
    };
    let Some(updated) = update_versioned(&txn, id, expected_version, active, Utc::now()).await?
    else {
        return Err(lost_update(&txn, id).await);
    };
    actor
        .record_write(&txn, "setVulnerabilities", "Person", &[id], None)
        .await?;
    txn.commit().await?;
    Ok(PersonView::new(
        &actor.principal,
        updated,
        Reach::Jurisdiction,
    ))
}

/// The provenance rows of many persons at once (one statement, for the DataLoader); one
/// row per agency, so at most five per person.
pub async fn provenance_rows(
    db: &impl ConnectionTrait,
    person_ids: &[i64],
) -> AppResult<Vec<person_provenance::Model>> {
    Ok(person_provenance::Entity::find()
        .filter(person_provenance::Column::PersonId.is_in(person_ids.iter().copied()))
        .order_by_asc(person_provenance::Column::FirstReportedAt)
        .order_by_asc(person_provenance::Column::Id)
        .all(db)
        .await?)
}

/// A person in the principal's reach, inside a write transaction; NOT_FOUND otherwise.
pub async fn find_for_write(
    txn: &DatabaseTransaction,
    principal: &Principal,
    id: i64,
) -> AppResult<person::Model> {
    person::Entity::find_by_id(id)
        .filter(scope::persons_in_jurisdiction(principal))
        .one(txn)
        .await?
        .ok_or(AppError::NotFound { entity: "Person" })
}

/// CONFLICT naming the version that won, after `update_versioned` found none to update.
pub(super) async fn lost_update(txn: &DatabaseTransaction, id: i64) -> AppError {
    super::versioning::lost_update::<person::Entity>(
        txn,
        "Person",
        id,
        person::Column::Id,
        person::Column::Version,
    )
    .await
}

/// `UPDATE person SET ..., version = version + 1 WHERE id = ? AND version = ?`: the
/// optimistic lock. `None` when someone else changed the record first.
pub(super) async fn update_versioned(
    txn: &DatabaseTransaction,
    id: i64,
    expected_version: i32,
    mut changes: person::ActiveModel,
    now: chrono::DateTime<Utc>,
) -> Result<Option<person::Model>, sea_orm::DbErr> {
    changes.version = Set(expected_version + 1);
    changes.updated_at = Set(now);
    let mut rows = person::Entity::update_many()
        .set(changes)
        .filter(person::Column::Id.eq(id))
        .filter(person::Column::Version.eq(expected_version))
        .exec_with_returning(txn)
        .await?;
    Ok(rows.pop())
}

/// A residence must be a grid inside the principal's jurisdiction.
pub(super) fn check_residence(principal: &Principal, unit: &OrgUnit, field: &str) -> AppResult<()> {
    if unit.level != OrgLevel::Grid {
        return Err(AppError::bad_input(field, crate::msg!("must-be-a-grid")));
    }
    if !principal.jurisdiction().contains(&unit.path) {
        return Err(AppError::forbidden(crate::msg!(
            "grid-outside-jurisdiction",
            field = field
        )));
    }
    Ok(())
}

/// Fills sex and birth date from a resident ID number and refuses values that contradict it.
pub(super) fn reconcile_with_document(mut registration: Registration) -> AppResult<Registration> {
    let Some(id) = registration
        .document
        .as_ref()
        .and_then(Document::resident_id)
    else {
        return Ok(registration);
    };
    let encoded_birth = id.birth_date();
    let encoded_sex = sex_of_resident_id(id.as_str());
    if registration.birth_date.is_some_and(|d| d != encoded_birth) {
        return Err(AppError::bad_input(
            "input.birthDate",
            crate::msg!("does-not-match-resident-id"),
        ));
    }
    if registration
        .sex
        .is_some_and(|s| s != Sex::Unknown && s != encoded_sex)
    {
        return Err(AppError::bad_input(
            "input.sex",
            crate::msg!("does-not-match-resident-id"),
        ));
    }
    registration.birth_date = Some(encoded_birth);
    registration.sex = Some(encoded_sex);
    Ok(registration)
}

fn check_against_document(
    current: &person::Model,
    sex: Option<Sex>,
    birth_date: Option<NaiveDate>,
) -> AppResult<()> {
    if current.document_type != Some(DocumentType::ResidentId) {
        return Ok(());
    }
    let Some(number) = current.document_number.as_deref() else {
        return Ok(());
    };
    let Ok(id) = super::values::ResidentId::parse(number) else {
        return Ok(());
    };
    // Refused whatever the date: were a matching date accepted and another refused, a
    // caller who sees the number masked could test dates one by one for its hidden middle.
    if birth_date.is_some() {
        return Err(AppError::bad_input(
            "input.birthDate",
            crate::msg!("set-by-resident-id"),
        ));
    }
    // The sex is the parity of the 17th digit, which every viewer of the number sees.
    if sex.is_some_and(|s| s != sex_of_resident_id(id.as_str())) {
        return Err(AppError::bad_input(
            "input.sex",
            crate::msg!("does-not-match-resident-id"),
        ));
    }
    Ok(())
}

/// The 17th digit of a resident ID number is odd for men and even for women.
fn sex_of_resident_id(number: &str) -> Sex {
    match number.as_bytes().get(16).map(|b| (b - b'0') % 2) {
        Some(1) => Sex::Male,
        Some(_) => Sex::Female,
        None => Sex::Unknown,
    }
}

/// Persons by id, without a scope check: callers reached them through records in scope and
/// show them masked per reach.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<Vec<person::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(person::Entity::find()
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_upper_bound_follows_every_extension_of_the_prefix() {
        let bound = prefix_upper_bound("张");
        for name in ["张", "张伟", "张\u{10FFFF}"] {
            assert!(name >= "张" && name < bound.as_str(), "{name}");
        }
        assert!("弛" >= bound.as_str() || !"弛".starts_with('张'));
        assert_eq!(prefix_upper_bound("ab"), "ac");
    }

    #[test]
    fn the_seventeenth_digit_gives_the_sex() {
        assert_eq!(sex_of_resident_id("11010519491231002X"), Sex::Female);
        assert_eq!(sex_of_resident_id("11010519491231001X"), Sex::Male);
    }
}
