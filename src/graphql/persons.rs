//! Persons (人员): the one shared record per human.

use std::sync::Arc;

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, InputObject, Object, Result, ID,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::person_provenance;

use entity::person;

use super::{
    context::{actor, row_id, state},
    enums::{Agency, DocumentType, Sex, Vulnerability},
    loaders::{Group, Grouped, Loaders, NESTED_MAX},
    org_units::OrgUnit,
};
use crate::{
    access::{scope, PersonView},
    domain::{
        org_units::OrgUnit as DomainOrgUnit,
        pagination::PageRequest,
        persons::{self, Changes, PersonFilter as DomainFilter, Registration},
        values::{parse_birth_date, BoundedText, Document, PersonName, Phone},
        vulnerability,
    },
    error::{AppError, AppResult},
    state::AppState,
};

#[derive(Default)]
pub struct PersonQuery;

#[Object]
impl PersonQuery {
    /// One person in your jurisdiction. NOT_FOUND when there is no such person or they are
    /// outside your jurisdiction: the answer never tells which.
    #[graphql(visible = "super::visibility::query_person")]
    async fn person(&self, ctx: &Context<'_>, id: ID) -> Result<Person> {
        let view = persons::get(state(ctx)?, actor(ctx)?, row_id(&id, "id")?).await?;
        Ok(Person(view))
    }

    /// Look a person up by identity document (for agencies that see numbers in full).
    #[graphql(visible = "super::visibility::query_person_by_document")]
    async fn person_by_document(
        &self,
        ctx: &Context<'_>,
        document_type: DocumentType,
        number: String,
    ) -> Result<Person> {
        let view =
            persons::by_document(state(ctx)?, actor(ctx)?, document_type.into(), &number).await?;
        Ok(Person(view))
    }

    /// Persons living in your jurisdiction, grid by grid. Civil affairs sees only the
    /// residents it looks after (vulnerable or under medical observation).
    #[graphql(
        visible = "super::visibility::query_persons",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn persons(
        &self,
        ctx: &Context<'_>,
        filter: Option<PersonFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Person, PersonCount, EmptyFields>> {
        let state = state(ctx)?;
        let actor = actor(ctx)?;
        let page = PageRequest::parse(
            persons::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = filter.unwrap_or_default().into_domain(state).await?;
        let page_of = persons::list(state, actor, &filter, &page).await?;
        let ids: Vec<i64> = page_of.items.iter().map(PersonView::id).collect();
        super::prefetch::persons(ctx, &super::prefetch::nodes(ctx), &ids).await?;
        let mut connection = Connection::with_additional_fields(
            page.after.is_some(),
            page_of.has_next_page,
            PersonCount { filter },
        );
        for view in page_of.items {
            connection
                .edges
                .push(Edge::new(persons::cursor_of(&view)?, Person(view)));
        }
        Ok(connection)
    }
}

#[derive(Default)]
pub struct PersonMutation;

#[Object]
impl PersonMutation {
    /// Register a person (登记), or report a person already known. The same document
    /// number never creates a second record: it updates the existing one and adds your
    /// agency to its provenance.
    #[graphql(visible = "super::visibility::mutation_register_person")]
    async fn register_person(&self, ctx: &Context<'_>, input: PersonInput) -> Result<Person> {
        let state = state(ctx)?;
        let registration = input.into_domain(state, "input").await?;
        Ok(Person(
            persons::register(state, actor(ctx)?, registration).await?,
        ))
    }

    /// Change a person's record. `expectedVersion` is the version you read; if someone
    /// changed the record since, nothing is written and the error (CONFLICT) carries the
    /// current version.
    #[graphql(visible = "super::visibility::mutation_update_person")]
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: PersonUpdate,
    ) -> Result<Person> {
        let state = state(ctx)?;
        let changes = input.into_domain(state).await?;
        let view = persons::update(
            state,
            actor(ctx)?,
            row_id(&id, "id")?,
            expected_version,
            changes,
        )
        .await?;
        Ok(Person(view))
    }

    /// Set a person's vulnerability flags (困难群体标记), replacing the previous ones.
    #[graphql(visible = "super::visibility::mutation_set_vulnerabilities")]
    async fn set_vulnerabilities(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        flags: Vec<Vulnerability>,
        note: Option<String>,
    ) -> Result<Person> {
        let flags: Vec<vulnerability::Vulnerability> = flags.into_iter().map(Into::into).collect();
        let note = note
            .map(|n| BoundedText::parse(&n, 500).map_err(|m| AppError::bad_input("note", m)))
            .transpose()?;
        let view = persons::set_vulnerabilities(
            state(ctx)?,
            actor(ctx)?,
            row_id(&id, "id")?,
            expected_version,
            &flags,
            note,
        )
        .await?;
        Ok(Person(view))
    }
}

/// A person (人员), as your agency may see them. Outside what the access policy gives you,
/// fields are absent from your schema; a pseudonymized person shows a masked name and no
/// identifiers.
pub struct Person(pub PersonView);

#[Object]
impl Person {
    async fn id(&self) -> ID {
        ID::from(self.0.id().to_string())
    }

    /// True when you see this person pseudonymized (脱敏): masked name, no document
    /// number, phone or address.
    async fn pseudonymized(&self) -> bool {
        self.0.is_pseudonymized()
    }

    /// Full name, or its first character followed by `*` when pseudonymized.
    async fn name(&self) -> String {
        self.0.name()
    }

    async fn sex(&self) -> Sex {
        self.0.sex().into()
    }

    /// Year of birth (shown even when pseudonymized, for age groups).
    async fn birth_year(&self) -> Option<i32> {
        self.0.birth_year()
    }

    #[graphql(visible = "super::visibility::person_birth_date")]
    async fn birth_date(&self) -> Option<NaiveDate> {
        self.0.birth_date()
    }

    /// Mobile or landline number.
    #[graphql(visible = "super::visibility::person_phone")]
    async fn phone(&self) -> Option<&str> {
        self.0.phone()
    }

    /// Home address (住址).
    #[graphql(visible = "super::visibility::person_address")]
    async fn address(&self) -> Option<&str> {
        self.0.address()
    }

    #[graphql(visible = "super::visibility::person_document_type")]
    async fn document_type(&self) -> Option<DocumentType> {
        self.0.document_type().map(Into::into)
    }

    /// Identity document number (证件号码): in full for health and police, as the first 6
    /// and last 4 characters for community and civil affairs.
    #[graphql(visible = "super::visibility::person_document_number")]
    async fn document_number(&self) -> Option<String> {
        self.0.document_number()
    }

    /// The grid the person lives in (居住网格).
    async fn residence(&self, ctx: &Context<'_>) -> Result<OrgUnit> {
        let unit = state(ctx)?
            .orgs
            .cached_by_id(self.0.residence_org_id())?
            .ok_or_else(|| {
                AppError::internal("person's residence grid missing from the org directory")
            })?;
        Ok(OrgUnit(unit.clone()))
    }

    /// Vulnerability flags (困难群体标记) kept by civil affairs and the community.
    #[graphql(visible = "super::visibility::person_vulnerabilities")]
    async fn vulnerabilities(&self) -> Option<Vec<Vulnerability>> {
        self.0.vulnerabilities().map(|bits| {
            vulnerability::Vulnerability::from_bits(bits)
                .into_iter()
                .map(Into::into)
                .collect()
        })
    }

    #[graphql(visible = "super::visibility::person_vulnerability_note")]
    async fn vulnerability_note(&self) -> Option<&str> {
        self.0.vulnerability_note()
    }

    /// Which agencies' channels reported this person, and when (信息来源).
    #[graphql(visible = "super::visibility::person_provenance")]
    async fn provenance(&self, ctx: &Context<'_>) -> Result<Vec<Provenance>> {
        if !self.0.identified() {
            return Ok(Vec::new());
        }
        let loaders = ctx.data::<Loaders>()?;
        let rows = loaders
            .provenance
            .load_one(self.0.id())
            .await
            .map_err(AppError::from)?
            .unwrap_or_default();
        Ok(rows.iter().cloned().map(Provenance).collect())
    }

    /// Cases of this person, newest first (病例记录).
    #[graphql(
        visible = "super::visibility::person_cases",
        complexity = "super::limits::list_cost(first, child_complexity, 0)"
    )]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<Vec<super::cases::Case>> {
        if !self.0.shows_records() {
            return Ok(Vec::new());
        }
        let rows = nested(ctx, first, |l| &l.cases_of_person, self.0.id()).await?;
        let person = self.0.model().clone();
        super::cases::Case::nested(ctx, rows, &person)
    }

    /// Exposures: the contact records in which this person is the close contact, newest first.
    #[graphql(
        visible = "super::visibility::person_exposures",
        complexity = "super::limits::list_cost(first, child_complexity, 0)"
    )]
    async fn exposures(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<Vec<super::contacts::Contact>> {
        if !self.0.shows_records() {
            return Ok(Vec::new());
        }
        let rows = nested(ctx, first, |l| &l.exposures, self.0.id()).await?;
        super::contacts::Contact::many(ctx, rows)
    }

    /// The current medical observation, if any.
    #[graphql(visible = "super::visibility::person_quarantines")]
    async fn active_quarantine(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<super::quarantines::Quarantine>> {
        if !self.0.shows_records() {
            return Ok(None);
        }
        let rows = ctx
            .data::<Loaders>()?
            .active_quarantine
            .load_one(self.0.id())
            .await
            .map_err(AppError::from)?;
        let Some(quarantine) = rows.and_then(|rows| rows.first().cloned()) else {
            return Ok(None);
        };
        Ok(super::quarantines::Quarantine::many(ctx, vec![quarantine])?.pop())
    }

    /// Medical observations of this person, newest first.
    #[graphql(
        visible = "super::visibility::person_quarantines",
        complexity = "super::limits::list_cost(first, child_complexity, 0)"
    )]
    async fn quarantines(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<Vec<super::quarantines::Quarantine>> {
        if !self.0.shows_records() {
            return Ok(Vec::new());
        }
        let rows = nested(ctx, first, |l| &l.quarantines, self.0.id()).await?;
        super::quarantines::Quarantine::many(ctx, rows)
    }

    /// Health checks of this person, latest first.
    #[graphql(
        visible = "super::visibility::person_health_checks",
        complexity = "super::limits::list_cost(first, child_complexity, 0)"
    )]
    async fn health_checks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<Vec<super::health_checks::HealthCheck>> {
        if !self.0.shows_records() {
            return Ok(Vec::new());
        }
        let rows = nested(ctx, first, |l| &l.checks_of_person, self.0.id()).await?;
        super::health_checks::HealthCheck::many(ctx, rows)
    }

    /// Laboratory tests of this person, latest sample first (health only).
    #[graphql(
        visible = "super::visibility::person_lab_tests",
        complexity = "super::limits::list_cost(first, child_complexity, 0)"
    )]
    async fn lab_tests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<Vec<super::lab_tests::LabTest>> {
        if !self.0.shows_records() {
            return Ok(Vec::new());
        }
        let rows = nested(ctx, first, |l| &l.lab_tests, self.0.id()).await?;
        super::lab_tests::LabTest::many(ctx, rows)
    }

    /// The agency that registered the person first.
    #[graphql(visible = "super::visibility::person_created_by_agency")]
    async fn created_by_agency(&self) -> Option<Agency> {
        self.0.created_by_agency().map(Into::into)
    }

    /// Version of the record; give it back as `expectedVersion` when you change it.
    async fn version(&self) -> i32 {
        self.0.model_version()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at()
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at()
    }

    /// When the retention policy anonymizes this person (a person registered only for the
    /// emergency): a period after the stand-down of their residence. Null while the response
    /// there is not stood down, while a legal hold applies (an open case, a live task, an
    /// observation under way), and for persons who are kept (a case, a contact, a
    /// vulnerability flag) or already anonymized, and for persons living outside your
    /// jurisdiction.
    #[graphql(visible = "super::visibility::person_purge_at")]
    async fn purge_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        super::retention::person(ctx, self.0.id()).await
    }
}

/// One agency's reports of a person.
pub struct Provenance(person_provenance::Model);

#[Object]
impl Provenance {
    async fn agency(&self) -> Agency {
        self.0.agency.into()
    }

    async fn first_reported_at(&self) -> DateTime<Utc> {
        self.0.first_reported_at
    }

    async fn last_reported_at(&self) -> DateTime<Utc> {
        self.0.last_reported_at
    }

    /// How many times this agency reported the person.
    async fn report_count(&self) -> i32 {
        self.0.report_count
    }
}

/// Extra fields of the persons list.
pub struct PersonCount {
    filter: DomainFilter,
}

#[Object]
impl PersonCount {
    /// Number of persons matching, across all pages (counted only when you ask for it).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(persons::count(state(ctx)?, actor(ctx)?, &self.filter).await?)
    }
}

/// Narrows the persons list. Every filter stays inside your jurisdiction.
#[derive(InputObject, Default)]
pub struct PersonFilter {
    /// Only residents of this org unit (a code) and the units below it.
    org_unit: Option<String>,
    /// Names starting with this text.
    #[graphql(visible = "super::visibility::person_filter_name_prefix")]
    name_prefix: Option<String>,
    /// Exact phone number.
    #[graphql(visible = "super::visibility::person_filter_phone")]
    phone: Option<String>,
    /// Only persons with (true) or without (false) any vulnerability flag.
    #[graphql(visible = "super::visibility::person_filter_vulnerable")]
    vulnerable: Option<bool>,
    /// Only persons with this vulnerability flag.
    #[graphql(visible = "super::visibility::person_filter_vulnerability")]
    vulnerability: Option<Vulnerability>,
}

impl PersonFilter {
    async fn into_domain(self, state: &AppState) -> AppResult<DomainFilter> {
        Ok(DomainFilter {
            org_unit: match self.org_unit {
                Some(code) => {
                    Some(state.orgs.by_code(&state.db, &code).await?.ok_or_else(|| {
                        AppError::bad_input("filter.orgUnit", crate::msg!("unknown-org-unit"))
                    })?)
                }
                None => None,
            },
            name_prefix: self
                .name_prefix
                .map(|p| {
                    PersonName::parse(&p).map_err(|m| AppError::bad_input("filter.namePrefix", m))
                })
                .transpose()?,
            phone: self
                .phone
                .map(|p| Phone::parse(&p).map_err(|m| AppError::bad_input("filter.phone", m)))
                .transpose()?,
            vulnerable: self.vulnerable,
            vulnerability: self.vulnerability.map(Into::into),
            under_quarantine: None,
            supply_task_open: None,
        })
    }
}

/// A registration (人员登记).
#[derive(InputObject)]
#[graphql(visible = "super::visibility::person_input")]
pub struct PersonInput {
    /// Kind of identity document; give it with `documentNumber`, or neither.
    document_type: Option<DocumentType>,
    /// Identity document number; a resident ID is checked (birth date, check digit).
    document_number: Option<String>,
    name: String,
    /// Taken from a resident ID number when omitted.
    sex: Option<Sex>,
    /// Taken from a resident ID number when omitted.
    birth_date: Option<NaiveDate>,
    /// Mobile (11 digits) or landline with area code.
    phone: Option<String>,
    address: Option<String>,
    /// Code of the grid (网格) the person lives in, inside your jurisdiction.
    residence: String,
}

impl PersonInput {
    /// Validates the registration; errors name fields under `prefix` (e.g. `input`).
    pub(super) async fn into_domain(
        self,
        state: &AppState,
        prefix: &str,
    ) -> AppResult<Registration> {
        let field = |name: &str| format!("{prefix}.{name}");
        let document = match (self.document_type, self.document_number) {
            (Some(kind), Some(number)) => Some(
                Document::parse(kind.into(), &number)
                    .map_err(|m| AppError::bad_input(field("documentNumber"), m))?,
            ),
            (None, None) => None,
            (Some(_), None) => {
                return Err(AppError::bad_input(
                    field("documentNumber"),
                    crate::msg!("required-with-document-type"),
                ))
            }
            (None, Some(_)) => {
                return Err(AppError::bad_input(
                    field("documentType"),
                    crate::msg!("required-with-document-number"),
                ))
            }
        };
        Ok(Registration {
            document,
            name: PersonName::parse(&self.name)
                .map_err(|m| AppError::bad_input(field("name"), m))?,
            sex: self.sex.map(Into::into),
            birth_date: self
                .birth_date
                .map(|d| {
                    parse_birth_date(d).map_err(|m| AppError::bad_input(field("birthDate"), m))
                })
                .transpose()?,
            phone: self
                .phone
                .map(|p| Phone::parse(&p).map_err(|m| AppError::bad_input(field("phone"), m)))
                .transpose()?,
            address: self
                .address
                .map(|a| {
                    BoundedText::parse(&a, 200)
                        .map_err(|m| AppError::bad_input(field("address"), m))
                })
                .transpose()?,
            residence: grid(state, &self.residence, &field("residence")).await?,
        })
    }
}

/// Changes to a person's record; omitted fields stay as they are.
#[derive(InputObject)]
#[graphql(visible = "super::visibility::person_input")]
pub struct PersonUpdate {
    name: Option<String>,
    sex: Option<Sex>,
    birth_date: Option<NaiveDate>,
    phone: Option<String>,
    address: Option<String>,
    /// Code of the new residence grid, inside your jurisdiction.
    residence: Option<String>,
}

impl PersonUpdate {
    async fn into_domain(self, state: &AppState) -> AppResult<Changes> {
        Ok(Changes {
            name: self
                .name
                .map(|n| PersonName::parse(&n).map_err(|m| AppError::bad_input("input.name", m)))
                .transpose()?,
            sex: self.sex.map(Into::into),
            birth_date: self
                .birth_date
                .map(|d| parse_birth_date(d).map_err(|m| AppError::bad_input("input.birthDate", m)))
                .transpose()?,
            phone: self
                .phone
                .map(|p| Phone::parse(&p).map_err(|m| AppError::bad_input("input.phone", m)))
                .transpose()?,
            address: self
                .address
                .map(|a| {
                    BoundedText::parse(&a, 200).map_err(|m| AppError::bad_input("input.address", m))
                })
                .transpose()?,
            residence: match self.residence {
                Some(code) => Some(grid(state, &code, "input.residence").await?),
                None => None,
            },
        })
    }
}

async fn grid(state: &AppState, code: &str, field: &str) -> AppResult<Arc<DomainOrgUnit>> {
    state
        .orgs
        .by_code(&state.db, code)
        .await?
        .ok_or_else(|| AppError::bad_input(field, crate::msg!("unknown-org-unit")))
}

/// A person met through another record (a case, a contact, a check): shown as the policy
/// says for how the principal reaches them, and put on the audit trail.
pub async fn reached(ctx: &Context<'_>, model: impl Into<Arc<person::Model>>) -> Result<Person> {
    let person = reached_unaudited(ctx, model).await?;
    actor(ctx)?.record_reads("Person", [person.0.id()])?;
    Ok(person)
}

async fn reached_unaudited(
    ctx: &Context<'_>,
    model: impl Into<Arc<person::Model>>,
) -> Result<Person> {
    let model = model.into();
    let actor = actor(ctx)?;
    let isolated = if scope::reach_needs_isolation(&actor.principal) {
        let active = ctx
            .data::<Loaders>()?
            .active_quarantine
            .load_one(model.id)
            .await
            .map_err(AppError::from)?;
        active.is_some_and(|rows| !rows.is_empty())
    } else {
        false
    };
    let reach = scope::reach_of(&actor.principal, &model, isolated);
    Ok(Person(PersonView::new(&actor.principal, model, reach)))
}

/// A person loaded by id (for records that hold only the id).
pub async fn reached_by_id(ctx: &Context<'_>, id: i64) -> Result<Person> {
    let model = ctx
        .data::<Loaders>()?
        .person
        .load_one(id)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::internal(format!("person {id} missing")))?;
    reached(ctx, model).await
}

/// A person loaded by id, only if the principal reaches them in its own jurisdiction
/// (`None` otherwise, unaudited): for records that may point, behind the scenes, to
/// someone the principal must not learn of.
pub async fn reached_inside_by_id(ctx: &Context<'_>, id: i64) -> Result<Option<Person>> {
    let model = ctx
        .data::<Loaders>()?
        .person
        .load_one(id)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::internal(format!("person {id} missing")))?;
    let person = reached_unaudited(ctx, model).await?;
    if person.0.reach() != crate::access::Reach::Jurisdiction {
        return Ok(None);
    }
    actor(ctx)?.record_reads("Person", [person.0.id()])?;
    Ok(Some(person))
}

/// The first `first` (default 20, at most 100) rows of a nested list, through its loader.
pub async fn nested<G: Group>(
    ctx: &Context<'_>,
    first: Option<i32>,
    loader: impl FnOnce(&Loaders) -> &Grouped<G>,
    parent: i64,
) -> Result<Vec<G::Row>> {
    let limit = nested_limit(first)?;
    let rows = loader(ctx.data::<Loaders>()?)
        .load_one(parent)
        .await
        .map_err(AppError::from)?;
    Ok(rows
        .map(|rows| rows.iter().take(limit).cloned().collect())
        .unwrap_or_default())
}

/// Validates a nested list's `first`.
pub fn nested_limit(first: Option<i32>) -> AppResult<usize> {
    match first {
        None => Ok(20),
        Some(n) if n < 0 => Err(AppError::bad_input(
            "first",
            crate::msg!("must-not-be-negative"),
        )),
        Some(n) if i64::from(n) > i64::try_from(NESTED_MAX).unwrap_or(i64::MAX) => Err(
            AppError::LimitExceeded(crate::msg!("limit-nested-first", max = NESTED_MAX)),
        ),
        Some(n) => Ok(usize::try_from(n).unwrap_or(0)),
    }
}
