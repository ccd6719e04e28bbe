//! Cases (病例) and transmission chains (传播链).

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Enum, InputObject, Object, OneofObject, Result, ID,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{case, person};

use super::{
    contacts::Contact,
    context::{actor, row_id, state},
    enums::{Agency, CaseClassification, CaseOutcome, CaseSeverity, ContactRelation},
    loaders::Loaders,
    org_units::OrgUnit,
    persons::{nested, reached, Person, PersonInput},
    prefetch,
};
use crate::{
    domain::{
        cases::{self, CaseFilter as DomainFilter, CaseRow, NewCase},
        chain,
        pagination::PageRequest,
        persons::PersonRef,
        values::{BoundedText, Cursor},
    },
    error::{AppError, AppResult},
    state::AppState,
};

#[derive(Default)]
pub struct CaseQuery;

#[Object]
impl CaseQuery {
    /// One case in reach: its person lives in your jurisdiction, or a unit in it reported
    /// the case (then the person is pseudonymized unless they live inside too).
    #[graphql(visible = "super::visibility::query_cases")]
    async fn case(&self, ctx: &Context<'_>, id: ID) -> Result<Case> {
        let row = cases::get(state(ctx)?, actor(ctx)?, row_id(&id, "id")?).await?;
        prefetch::cases(ctx, &ctx.look_ahead(), std::slice::from_ref(&row)).await?;
        Case::from_row(ctx, row)
    }

    /// Cases in reach, newest first.
    #[graphql(
        visible = "super::visibility::query_cases",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Case, CaseCount, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            cases::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = filter.unwrap_or_default().into_domain(state).await?;
        let rows = cases::list(state, actor(ctx)?, &filter, &page).await?;
        prefetch::cases(ctx, &prefetch::nodes(ctx), &rows.items).await?;
        let mut connection = Connection::with_additional_fields(
            page.after.is_some(),
            rows.has_next_page,
            CaseCount { filter },
        );
        for row in rows.items {
            let cursor = Cursor::Id(row.case.id).encode(cases::LIST);
            connection
                .edges
                .push(Edge::new(cursor, Case::from_row(ctx, row)?));
        }
        Ok(connection)
    }

    /// The transmission chain around a case: the cases linked to it through contacts who
    /// became cases, both ways, up to `depth` steps (at most MAX_CHAIN_DEPTH), with every
    /// traced contact of those cases. Persons are pseudonymized outside your jurisdiction.
    #[graphql(visible = "super::visibility::query_transmission_chain")]
    async fn transmission_chain(
        &self,
        ctx: &Context<'_>,
        case_id: ID,
        depth: Option<i32>,
    ) -> Result<TransmissionChain> {
        let depth = u32::try_from(depth.unwrap_or(2))
            .map_err(|_| AppError::bad_input("depth", crate::msg!("must-not-be-negative")))?;
        let chain =
            chain::walk(state(ctx)?, actor(ctx)?, row_id(&case_id, "caseId")?, depth).await?;
        Ok(TransmissionChain(chain))
    }
}

#[derive(Default)]
pub struct CaseMutation;

#[Object]
impl CaseMutation {
    /// Report a case (病例报告). A person has at most one open case. If the person is a traced
    /// close contact, their contact records are linked to the new case and marked converted.
    #[graphql(visible = "super::visibility::mutation_report_case")]
    async fn report_case(&self, ctx: &Context<'_>, input: ReportCaseInput) -> Result<Case> {
        let state = state(ctx)?;
        let new = input.into_domain(state).await?;
        let row = cases::report(state, actor(ctx)?, new).await?;
        Case::from_row(ctx, row)
    }

    /// Change a case's classification. Allowed: SUSPECTED → CONFIRMED, ASYMPTOMATIC or
    /// EXCLUDED; ASYMPTOMATIC → CONFIRMED or EXCLUDED. EXCLUDED closes the case.
    #[graphql(visible = "super::visibility::mutation_report_case")]
    async fn reclassify_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        classification: CaseClassification,
        reason: String,
    ) -> Result<Case> {
        let reason =
            BoundedText::parse(&reason, 500).map_err(|m| AppError::bad_input("reason", m))?;
        let row = cases::reclassify(
            state(ctx)?,
            actor(ctx)?,
            row_id(&id, "id")?,
            expected_version,
            classification.into(),
            reason,
        )
        .await?;
        Case::from_row(ctx, row)
    }

    /// Close a CONFIRMED or ASYMPTOMATIC case as RECOVERED or DECEASED (final).
    #[graphql(visible = "super::visibility::mutation_report_case")]
    async fn close_case(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        outcome: CaseOutcome,
    ) -> Result<Case> {
        let row = cases::close(
            state(ctx)?,
            actor(ctx)?,
            row_id(&id, "id")?,
            expected_version,
            outcome.into(),
        )
        .await?;
        Case::from_row(ctx, row)
    }
}

/// A case (病例): a person's infection record.
pub struct Case {
    row: CaseRow,
}

impl Case {
    /// Wraps a case for the client and puts it on the audit trail.
    pub fn from_row(ctx: &Context<'_>, row: CaseRow) -> Result<Self> {
        actor(ctx)?.record_reads("Case", [row.case.id])?;
        Ok(Self { row })
    }

    /// Cases of a person already in hand.
    pub fn nested(
        ctx: &Context<'_>,
        cases: Vec<case::Model>,
        person: &person::Model,
    ) -> Result<Vec<Self>> {
        cases
            .into_iter()
            .map(|case| {
                Self::from_row(
                    ctx,
                    CaseRow {
                        case,
                        person: person.clone(),
                    },
                )
            })
            .collect()
    }

    /// A case by id, through the request's loader.
    pub async fn by_id(ctx: &Context<'_>, id: i64) -> Result<Self> {
        let row = ctx
            .data::<Loaders>()?
            .case
            .load_one(id)
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::internal(format!("case {id} missing")))?;
        Self::from_row(ctx, row)
    }
}

#[Object]
impl Case {
    async fn id(&self) -> ID {
        ID::from(self.row.case.id.to_string())
    }

    /// The person (pseudonymized when they live outside your jurisdiction).
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        reached(ctx, self.row.person.clone()).await
    }

    async fn classification(&self) -> CaseClassification {
        self.row.case.classification.into()
    }

    async fn outcome(&self) -> CaseOutcome {
        self.row.case.outcome.into()
    }

    /// True while the case is neither excluded nor closed.
    async fn open(&self) -> bool {
        self.row.case.is_open
    }

    async fn reported_at(&self) -> DateTime<Utc> {
        self.row.case.reported_at
    }

    /// The unit that reported the case (报告单位).
    async fn reporting_unit(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(state(ctx)?
            .orgs
            .cached_by_id(self.row.case.reporting_org_id)?
            .map(|unit| OrgUnit(unit.clone())))
    }

    /// When the case was excluded or closed.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.row.case.closed_at
    }

    /// Clinical severity (临床分型).
    #[graphql(visible = "super::visibility::case_clinical")]
    async fn severity(&self) -> Option<CaseSeverity> {
        self.row.case.severity.map(Into::into)
    }

    /// Date of symptom onset (发病日期).
    #[graphql(visible = "super::visibility::case_clinical")]
    async fn onset_date(&self) -> Option<NaiveDate> {
        self.row.case.onset_date
    }

    /// Designated hospital (定点医院).
    #[graphql(visible = "super::visibility::case_clinical")]
    async fn designated_hospital(&self) -> Option<&str> {
        self.row.case.designated_hospital.as_deref()
    }

    /// Clinical notes, free text.
    #[graphql(visible = "super::visibility::case_notes")]
    async fn notes(&self) -> Option<&str> {
        self.row.case.notes.as_deref()
    }

    /// Traced close contacts of this case, in the order they were traced; for all of them
    /// page through `contacts(filter: { sourceCase })`.
    #[graphql(
        visible = "super::visibility::case_contacts",
        complexity = "super::limits::list_cost(first, child_complexity, 0)"
    )]
    async fn contacts(&self, ctx: &Context<'_>, first: Option<i32>) -> Result<Vec<Contact>> {
        let rows = nested(ctx, first, |l| &l.contacts_of_case, self.row.case.id).await?;
        Contact::many(ctx, rows)
    }

    #[graphql(visible = "super::visibility::case_created_by_agency")]
    async fn created_by_agency(&self) -> Agency {
        self.row.case.created_by_agency.into()
    }

    /// Version of the record; give it back as `expectedVersion` when you change it.
    async fn version(&self) -> i32 {
        self.row.case.version
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row.case.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.case.updated_at
    }
}

/// Extra fields of the cases list.
pub struct CaseCount {
    filter: DomainFilter,
}

#[Object]
impl CaseCount {
    /// Number of cases matching, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(cases::count(state(ctx)?, actor(ctx)?, &self.filter).await?)
    }
}

/// Narrows the cases list.
#[derive(InputObject, Default)]
pub struct CaseFilter {
    classification: Option<CaseClassification>,
    outcome: Option<CaseOutcome>,
    /// Only open (true) or closed and excluded (false) cases.
    open: Option<bool>,
    /// Cases of persons living in this unit (a code).
    org_unit: Option<String>,
    /// Reported at or after this time.
    reported_from: Option<DateTime<Utc>>,
    /// Reported before this time.
    reported_to: Option<DateTime<Utc>>,
}

impl CaseFilter {
    async fn into_domain(self, state: &AppState) -> AppResult<DomainFilter> {
        Ok(DomainFilter {
            classification: self.classification.map(Into::into),
            outcome: self.outcome.map(Into::into),
            open: self.open,
            org_unit: match self.org_unit {
                Some(code) => Some(unit(state, &code, "filter.orgUnit").await?),
                None => None,
            },
            reported_from: self.reported_from,
            reported_to: self.reported_to,
        })
    }
}

/// A person a new record is about: one you reach (`id`), or one registered on the spot
/// (`register`), who may live anywhere in the city.
#[derive(OneofObject)]
pub enum PersonRefInput {
    Id(ID),
    Register(PersonInput),
}

impl PersonRefInput {
    pub(super) async fn into_domain(self, state: &AppState, prefix: &str) -> AppResult<PersonRef> {
        match self {
            Self::Id(id) => Ok(PersonRef::Id(row_id(&id, &format!("{prefix}.id"))?)),
            Self::Register(input) => Ok(PersonRef::Register(
                input
                    .into_domain(state, &format!("{prefix}.register"))
                    .await?,
            )),
        }
    }
}

/// A case report (病例报告).
#[derive(InputObject)]
pub struct ReportCaseInput {
    person: PersonRefInput,
    /// SUSPECTED, CONFIRMED or ASYMPTOMATIC.
    classification: CaseClassification,
    severity: Option<CaseSeverity>,
    /// Date of symptom onset, not in the future.
    onset_date: Option<NaiveDate>,
    /// Code of the reporting unit, inside your jurisdiction; your own unit when omitted.
    reporting_unit: Option<String>,
    designated_hospital: Option<String>,
    notes: Option<String>,
}

impl ReportCaseInput {
    async fn into_domain(self, state: &AppState) -> AppResult<NewCase> {
        Ok(NewCase {
            person: self.person.into_domain(state, "input.person").await?,
            classification: self.classification.into(),
            severity: self.severity.map(Into::into),
            onset_date: self.onset_date,
            reporting_unit: match self.reporting_unit {
                Some(code) => Some(unit(state, &code, "input.reportingUnit").await?),
                None => None,
            },
            designated_hospital: text(self.designated_hospital, 100, "input.designatedHospital")?,
            notes: text(self.notes, 2000, "input.notes")?,
        })
    }
}

/// Validates optional free text of at most `max` characters.
pub(super) fn text(
    value: Option<String>,
    max: usize,
    field: &str,
) -> AppResult<Option<BoundedText>> {
    value
        .map(|v| BoundedText::parse(&v, max).map_err(|m| AppError::bad_input(field, m)))
        .transpose()
}

/// An org unit named by code in an input.
pub(super) async fn unit(
    state: &AppState,
    code: &str,
    field: &str,
) -> AppResult<std::sync::Arc<crate::domain::org_units::OrgUnit>> {
    state
        .orgs
        .by_code(&state.db, code)
        .await?
        .ok_or_else(|| AppError::bad_input(field, crate::msg!("unknown-org-unit")))
}

/// The org unit named by `code` (`orgUnit` arguments), or the caller's own when omitted.
pub(super) async fn unit_or_own(
    ctx: &Context<'_>,
    code: Option<String>,
) -> AppResult<std::sync::Arc<crate::domain::org_units::OrgUnit>> {
    match code {
        Some(code) => unit(super::context::state(ctx)?, &code, "orgUnit").await,
        None => Ok(super::context::actor(ctx)?.principal.org.clone()),
    }
}

/// A transmission chain: cases and close contacts as nodes, exposures as edges.
pub struct TransmissionChain(chain::Chain);

#[Object]
impl TransmissionChain {
    /// The case the walk started from.
    async fn root(&self, ctx: &Context<'_>) -> Result<Case> {
        let root = self
            .0
            .cases
            .iter()
            .find(|c| c.row.case.id == self.0.root_id)
            .ok_or_else(|| AppError::internal("chain without its root"))?;
        Case::from_row(ctx, root.row.clone())
    }

    /// Cases (kind CASE) and contacts who did not become a case in the chain (kind CONTACT).
    async fn nodes(&self, ctx: &Context<'_>) -> Result<Vec<ChainNode>> {
        let mut nodes = Vec::new();
        for case in &self.0.cases {
            nodes.push(ChainNode {
                key: format!("case:{}", case.row.case.id),
                kind: ChainNodeKind::Case,
                depth: Some(i32::try_from(case.depth).unwrap_or(i32::MAX)),
                person: reached(ctx, case.row.person.clone()).await?,
                case: Some(Case::from_row(ctx, case.row.clone())?),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for contact in &self.0.contacts {
            let Some(person) = &contact.person else {
                continue;
            };
            if !seen.insert(person.id) {
                continue;
            }
            nodes.push(ChainNode {
                key: format!("person:{}", person.id),
                kind: ChainNodeKind::Contact,
                depth: None,
                person: reached(ctx, person.clone()).await?,
                case: None,
            });
        }
        Ok(nodes)
    }

    /// One edge per traced contact: from the source case to the contact's node.
    async fn edges(&self) -> Vec<ChainEdge> {
        let in_chain: std::collections::HashSet<i64> =
            self.0.cases.iter().map(|c| c.row.case.id).collect();
        self.0
            .contacts
            .iter()
            .map(|c| {
                let contact = &c.contact;
                let (to, kind) = match contact.converted_case_id.filter(|id| in_chain.contains(id))
                {
                    Some(case_id) => (format!("case:{case_id}"), ChainEdgeKind::Transmitted),
                    None => (
                        format!("person:{}", contact.person_id),
                        ChainEdgeKind::Exposed,
                    ),
                };
                ChainEdge {
                    from: format!("case:{}", contact.source_case_id),
                    to,
                    kind,
                    relation: contact.relation.into(),
                    last_exposure_date: contact.last_exposure_date,
                    contact_id: ID::from(contact.id.to_string()),
                }
            })
            .collect()
    }

    /// True when the chain was cut at MAX_CHAIN_NODES: more of it exists.
    async fn truncated(&self) -> bool {
        self.0.truncated
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ChainNodeKind {
    /// A case.
    Case,
    /// A close contact who has not become a case in this chain.
    Contact,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ChainEdgeKind {
    /// The contact was exposed and is under follow-up (or was).
    Exposed,
    /// The contact became a case: transmission (传播).
    Transmitted,
}

/// A node of a transmission chain.
#[derive(async_graphql::SimpleObject)]
pub struct ChainNode {
    /// `case:<id>` or `person:<id>`, as used by the edges.
    key: String,
    kind: ChainNodeKind,
    /// Steps from the root case (cases only).
    depth: Option<i32>,
    case: Option<Case>,
    person: Person,
}

/// An exposure in a transmission chain.
#[derive(async_graphql::SimpleObject)]
pub struct ChainEdge {
    from: String,
    to: String,
    kind: ChainEdgeKind,
    relation: ContactRelation,
    last_exposure_date: NaiveDate,
    contact_id: ID,
}
