//! Medical observation (医学观察): centralized or at home.

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, InputObject, Object, Result, ID,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::quarantine;

use super::{
    cases::{text, unit},
    contacts::Contact,
    context::{actor, row_id, state},
    enums::{QuarantineEnd, QuarantineKind, QuarantineReason},
    health_checks::HealthCheck,
    org_units::OrgUnit,
    persons::{nested, reached, reached_by_id, Person},
    prefetch,
};
use crate::{
    domain::{
        pagination::PageRequest,
        quarantines::{
            self, Ending, NewQuarantine, QuarantineFilter as DomainFilter, QuarantineRow,
        },
        values::Cursor,
    },
    error::{AppError, AppResult},
    state::AppState,
};

#[derive(Default)]
pub struct QuarantineQuery;

#[Object]
impl QuarantineQuery {
    /// One observation of a resident of your jurisdiction.
    #[graphql(visible = "super::visibility::query_quarantines")]
    async fn quarantine(&self, ctx: &Context<'_>, id: ID) -> Result<Quarantine> {
        let row = quarantines::get(state(ctx)?, actor(ctx)?, row_id(&id, "id")?).await?;
        Quarantine::from_row(ctx, row)
    }

    /// Observations of residents of your jurisdiction, newest first.
    #[graphql(
        visible = "super::visibility::query_quarantines",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn quarantines(
        &self,
        ctx: &Context<'_>,
        filter: Option<QuarantineFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Quarantine, QuarantineCount, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            quarantines::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = filter.unwrap_or_default().into_domain(state).await?;
        let rows = quarantines::list(state, actor(ctx)?, &filter, &page).await?;
        let ids: Vec<i64> = rows.items.iter().map(|r| r.quarantine.id).collect();
        let person_ids: Vec<i64> = rows.items.iter().map(|r| r.person.id).collect();
        prefetch::quarantines(ctx, &prefetch::nodes(ctx), &ids, &person_ids).await?;
        let mut connection = Connection::with_additional_fields(
            page.after.is_some(),
            rows.has_next_page,
            QuarantineCount { filter },
        );
        for row in rows.items {
            let cursor = Cursor::Id(row.quarantine.id).encode(quarantines::LIST);
            connection
                .edges
                .push(Edge::new(cursor, Quarantine::from_row(ctx, row)?));
        }
        Ok(connection)
    }
}

#[derive(Default)]
pub struct QuarantineMutation;

#[Object]
impl QuarantineMutation {
    /// Place a resident of your jurisdiction under medical observation. One active
    /// observation per person; the planned end defaults to QUARANTINE_DAYS after the start.
    #[graphql(visible = "super::visibility::mutation_start_quarantine")]
    async fn start_quarantine(
        &self,
        ctx: &Context<'_>,
        input: StartQuarantineInput,
    ) -> Result<Quarantine> {
        let state = state(ctx)?;
        let new = input.into_domain()?;
        let row = quarantines::start(state, actor(ctx)?, new).await?;
        Quarantine::from_row(ctx, row)
    }

    /// End an active observation: RELEASED (with the release-notice number),
    /// TRANSFERRED_TO_HOSPITAL or ABSCONDED. Every end is final.
    #[graphql(visible = "super::visibility::mutation_start_quarantine")]
    async fn end_quarantine(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: EndQuarantineInput,
    ) -> Result<Quarantine> {
        let ending = input.into_domain()?;
        let row = quarantines::end(
            state(ctx)?,
            actor(ctx)?,
            row_id(&id, "id")?,
            expected_version,
            ending,
        )
        .await?;
        Quarantine::from_row(ctx, row)
    }

    /// Record the living needs of a person under observation (supplies, medicine, care),
    /// for civil affairs. An empty value clears them.
    #[graphql(visible = "super::visibility::mutation_set_quarantine_needs")]
    async fn set_quarantine_needs(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        needs: Option<String>,
    ) -> Result<Quarantine> {
        let needs = text(needs.filter(|n| !n.trim().is_empty()), 500, "needs")?;
        let row = quarantines::set_needs(
            state(ctx)?,
            actor(ctx)?,
            row_id(&id, "id")?,
            expected_version,
            needs,
        )
        .await?;
        Quarantine::from_row(ctx, row)
    }
}

/// A medical observation (医学观察).
pub struct Quarantine {
    quarantine: quarantine::Model,
    person: Option<std::sync::Arc<entity::person::Model>>,
}

impl Quarantine {
    pub fn from_row(ctx: &Context<'_>, row: QuarantineRow) -> Result<Self> {
        actor(ctx)?.record_reads("Quarantine", [row.quarantine.id])?;
        Ok(Self {
            quarantine: row.quarantine,
            person: Some(row.person.into()),
        })
    }

    pub fn many(ctx: &Context<'_>, rows: Vec<quarantine::Model>) -> Result<Vec<Self>> {
        actor(ctx)?.record_reads("Quarantine", rows.iter().map(|q| q.id))?;
        Ok(rows
            .into_iter()
            .map(|quarantine| Self {
                quarantine,
                person: None,
            })
            .collect())
    }
}

#[Object]
impl Quarantine {
    async fn id(&self) -> ID {
        ID::from(self.quarantine.id.to_string())
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        match &self.person {
            Some(person) => reached(ctx, std::sync::Arc::clone(person)).await,
            None => reached_by_id(ctx, self.quarantine.person_id).await,
        }
    }

    async fn kind(&self) -> QuarantineKind {
        self.quarantine.kind.into()
    }

    /// The centralized observation site (集中隔离点).
    async fn site(&self) -> Option<&str> {
        self.quarantine.site.as_deref()
    }

    #[graphql(visible = "super::visibility::quarantine_detail")]
    async fn reason(&self) -> QuarantineReason {
        self.quarantine.reason.into()
    }

    #[graphql(visible = "super::visibility::quarantine_detail_text")]
    async fn reason_note(&self) -> Option<&str> {
        self.quarantine.reason_note.as_deref()
    }

    /// The contact record this observation follows, if any.
    #[graphql(visible = "super::visibility::quarantine_contact")]
    async fn contact(&self, ctx: &Context<'_>) -> Result<Option<Contact>> {
        let Some(id) = self.quarantine.contact_id else {
            return Ok(None);
        };
        let loaded = ctx
            .data::<super::loaders::Loaders>()?
            .contact
            .load_one(id)
            .await
            .map_err(AppError::from)?;
        Ok(match loaded {
            Some(contact) => {
                Contact::many(ctx, vec![std::sync::Arc::unwrap_or_clone(contact)])?.pop()
            }
            None => None,
        })
    }

    async fn start_date(&self) -> NaiveDate {
        self.quarantine.start_date
    }

    async fn planned_end_date(&self) -> NaiveDate {
        self.quarantine.planned_end_date
    }

    /// True until the observation ends.
    async fn active(&self) -> bool {
        self.quarantine.is_active
    }

    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.quarantine.ended_at
    }

    /// How it ended.
    async fn outcome(&self) -> Option<QuarantineEnd> {
        self.quarantine.end_kind.map(Into::into)
    }

    /// Number of the release notice (解除医学观察通知书编号).
    async fn release_notice_no(&self) -> Option<&str> {
        self.quarantine.release_notice_no.as_deref()
    }

    #[graphql(visible = "super::visibility::quarantine_detail_text")]
    async fn end_note(&self) -> Option<&str> {
        self.quarantine.end_note.as_deref()
    }

    /// Living needs (生活需求) for civil affairs: supplies, medicine, care.
    #[graphql(visible = "super::visibility::quarantine_needs")]
    async fn needs(&self) -> Option<&str> {
        self.quarantine.needs.as_deref()
    }

    /// The unit that ordered the observation.
    async fn ordered_by(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(state(ctx)?
            .orgs
            .cached_by_id(self.quarantine.ordered_by_org_id)?
            .map(|unit| OrgUnit(unit.clone())))
    }

    /// Checks recorded during this observation, latest first.
    #[graphql(
        visible = "super::visibility::person_health_checks",
        complexity = "super::limits::list_cost(first, child_complexity, 0)"
    )]
    async fn health_checks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<Vec<HealthCheck>> {
        let rows = nested(ctx, first, |l| &l.checks_of_quarantine, self.quarantine.id).await?;
        HealthCheck::many(ctx, rows)
    }

    async fn version(&self) -> i32 {
        self.quarantine.version
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.quarantine.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.quarantine.updated_at
    }
}

/// Extra fields of the observations list.
pub struct QuarantineCount {
    filter: DomainFilter,
}

#[Object]
impl QuarantineCount {
    /// Number of observations matching, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(quarantines::count(state(ctx)?, actor(ctx)?, &self.filter).await?)
    }
}

/// Narrows the observations list.
#[derive(InputObject, Default)]
pub struct QuarantineFilter {
    /// Only active (true) or ended (false) observations.
    active: Option<bool>,
    /// Planned to end on or before this date.
    ending_by: Option<NaiveDate>,
    kind: Option<QuarantineKind>,
    /// Observations of persons living in this unit (a code).
    org_unit: Option<String>,
}

impl QuarantineFilter {
    async fn into_domain(self, state: &AppState) -> AppResult<DomainFilter> {
        Ok(DomainFilter {
            active: self.active,
            ending_by: self.ending_by,
            kind: self.kind.map(Into::into),
            org_unit: match self.org_unit {
                Some(code) => Some(unit(state, &code, "filter.orgUnit").await?),
                None => None,
            },
        })
    }
}

/// An observation order (隔离通知).
#[derive(InputObject)]
pub struct StartQuarantineInput {
    /// A person living in your jurisdiction.
    person: ID,
    kind: QuarantineKind,
    /// The centralized site; required for CENTRALIZED, not given for HOME.
    site: Option<String>,
    reason: QuarantineReason,
    reason_note: Option<String>,
    /// The contact record this observation follows.
    contact: Option<ID>,
    /// Today (local) when omitted; not in the future.
    start_date: Option<NaiveDate>,
    /// QUARANTINE_DAYS after the start when omitted.
    planned_end_date: Option<NaiveDate>,
    /// Living needs, for civil affairs.
    needs: Option<String>,
}

impl StartQuarantineInput {
    fn into_domain(self) -> AppResult<NewQuarantine> {
        Ok(NewQuarantine {
            person_id: row_id(&self.person, "input.person")?,
            kind: self.kind.into(),
            site: text(self.site, 100, "input.site")?,
            reason: self.reason.into(),
            reason_note: text(self.reason_note, 500, "input.reasonNote")?,
            contact_id: self
                .contact
                .map(|id| row_id(&id, "input.contact"))
                .transpose()?,
            start_date: self.start_date,
            planned_end_date: self.planned_end_date,
            needs: text(self.needs, 500, "input.needs")?,
        })
    }
}

/// How an observation ends.
#[derive(InputObject)]
pub struct EndQuarantineInput {
    outcome: QuarantineEnd,
    /// Required for RELEASED (解除医学观察通知书编号).
    release_notice_no: Option<String>,
    note: Option<String>,
    /// Now when omitted; not in the future.
    ended_at: Option<DateTime<Utc>>,
}

impl EndQuarantineInput {
    fn into_domain(self) -> AppResult<Ending> {
        Ok(Ending {
            outcome: self.outcome.into(),
            release_notice_no: text(self.release_notice_no, 40, "input.releaseNoticeNo")?,
            note: text(self.note, 500, "input.note")?,
            ended_at: self.ended_at,
        })
    }
}
