//! Close contacts (密切接触者).

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, InputObject, Object, Result, ID,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{contact, ContactStatus as StoredStatus};

use super::{
    cases::{text, unit, Case, PersonRefInput},
    context::{actor, row_id, state},
    enums::{ContactRelation, ContactStatus},
    org_units::OrgUnit,
    persons::{reached, reached_by_id, Person},
    prefetch,
};
use crate::{
    domain::{
        contacts::{self, ContactFilter as DomainFilter, ContactRow, NewContact},
        pagination::PageRequest,
        values::Cursor,
    },
    error::AppResult,
    state::AppState,
};

#[derive(Default)]
pub struct ContactQuery;

#[Object]
impl ContactQuery {
    /// Close contacts in reach, newest first: those living in your jurisdiction, those traced
    /// by your unit, and those of cases in reach (pseudonymized when they live elsewhere).
    #[graphql(
        visible = "super::visibility::query_contacts",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ContactFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Contact, ContactCount, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            contacts::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = filter.unwrap_or_default().into_domain(state).await?;
        let rows = contacts::list(state, actor(ctx)?, &filter, &page).await?;
        let models: Vec<&contact::Model> = rows.items.iter().map(|r| &r.contact).collect();
        prefetch::contacts(ctx, &prefetch::nodes(ctx), &models, true).await?;
        let mut connection = Connection::with_additional_fields(
            page.after.is_some(),
            rows.has_next_page,
            ContactCount { filter },
        );
        for row in rows.items {
            let cursor = Cursor::Id(row.contact.id).encode(contacts::LIST);
            connection
                .edges
                .push(Edge::new(cursor, Contact::from_row(ctx, row)?));
        }
        Ok(connection)
    }
}

#[derive(Default)]
pub struct ContactMutation;

#[Object]
impl ContactMutation {
    /// Record a close contact of a case (流调发现的密接). The follow-up end date is the last
    /// exposure plus FOLLOW_UP_DAYS. The contact may live anywhere: register them inline
    /// with `person: { register: ... }` and their own jurisdiction sees them at once.
    #[graphql(visible = "super::visibility::mutation_record_contact")]
    async fn record_contact(
        &self,
        ctx: &Context<'_>,
        input: RecordContactInput,
    ) -> Result<Contact> {
        let state = state(ctx)?;
        let new = input.into_domain(state).await?;
        let row = contacts::record(state, actor(ctx)?, new).await?;
        Contact::from_row(ctx, row)
    }
}

/// A close contact (密切接触者): a person exposed to a case.
pub struct Contact {
    contact: contact::Model,
    /// Present when loaded with its person.
    person: Option<std::sync::Arc<entity::person::Model>>,
}

impl Contact {
    pub fn from_row(ctx: &Context<'_>, row: ContactRow) -> Result<Self> {
        actor(ctx)?.record_reads("Contact", [row.contact.id])?;
        Ok(Self {
            contact: row.contact,
            person: Some(row.person.into()),
        })
    }

    /// Contacts without their persons (loaded on demand).
    pub fn many(ctx: &Context<'_>, rows: Vec<contact::Model>) -> Result<Vec<Self>> {
        actor(ctx)?.record_reads("Contact", rows.iter().map(|c| c.id))?;
        Ok(rows
            .into_iter()
            .map(|contact| Self {
                contact,
                person: None,
            })
            .collect())
    }
}

#[Object]
impl Contact {
    async fn id(&self) -> ID {
        ID::from(self.contact.id.to_string())
    }

    /// The case the contact was exposed to.
    async fn source_case(&self, ctx: &Context<'_>) -> Result<Case> {
        Case::by_id(ctx, self.contact.source_case_id).await
    }

    /// The contact (pseudonymized when they live outside your jurisdiction).
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        match &self.person {
            Some(person) => reached(ctx, std::sync::Arc::clone(person)).await,
            None => reached_by_id(ctx, self.contact.person_id).await,
        }
    }

    async fn relation(&self) -> ContactRelation {
        self.contact.relation.into()
    }

    /// Last exposure to the case (末次暴露日期).
    async fn last_exposure_date(&self) -> NaiveDate {
        self.contact.last_exposure_date
    }

    /// End of follow-up: the last exposure plus FOLLOW_UP_DAYS.
    async fn follow_up_end_date(&self) -> NaiveDate {
        self.contact.follow_up_end_date
    }

    async fn status(&self) -> ContactStatus {
        self.contact.status.into()
    }

    /// Still under follow-up today (local date).
    async fn under_follow_up(&self, ctx: &Context<'_>) -> Result<bool> {
        let today = state(ctx)?.settings.clock.today();
        Ok(self.contact.status == StoredStatus::UnderFollowUp
            && self.contact.follow_up_end_date >= today)
    }

    /// The case this contact became, if any.
    async fn converted_case(&self, ctx: &Context<'_>) -> Result<Option<Case>> {
        match self.contact.converted_case_id {
            Some(id) => Ok(Some(Case::by_id(ctx, id).await?)),
            None => Ok(None),
        }
    }

    /// The unit that traced the contact.
    async fn traced_by(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        Ok(state(ctx)?
            .orgs
            .cached_by_id(self.contact.traced_by_org_id)?
            .map(|unit| OrgUnit(unit.clone())))
    }

    /// Investigation notes, free text.
    #[graphql(visible = "super::visibility::contact_notes")]
    async fn notes(&self) -> Option<&str> {
        self.contact.notes.as_deref()
    }

    async fn version(&self) -> i32 {
        self.contact.version
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.contact.created_at
    }
}

/// Extra fields of the contacts list.
pub struct ContactCount {
    filter: DomainFilter,
}

#[Object]
impl ContactCount {
    /// Number of contacts matching, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(contacts::count(state(ctx)?, actor(ctx)?, &self.filter).await?)
    }
}

/// Narrows the contacts list.
#[derive(InputObject, Default)]
pub struct ContactFilter {
    /// Contacts of this case.
    source_case: Option<ID>,
    /// Contacts living in this unit (a code).
    org_unit: Option<String>,
    status: Option<ContactStatus>,
    /// Still under follow-up on this date.
    under_follow_up_on: Option<NaiveDate>,
}

impl ContactFilter {
    async fn into_domain(self, state: &AppState) -> AppResult<DomainFilter> {
        Ok(DomainFilter {
            source_case_id: self
                .source_case
                .map(|id| row_id(&id, "filter.sourceCase"))
                .transpose()?,
            org_unit: match self.org_unit {
                Some(code) => Some(unit(state, &code, "filter.orgUnit").await?),
                None => None,
            },
            status: self.status.map(Into::into),
            under_follow_up_on: self.under_follow_up_on,
        })
    }
}

/// A traced exposure (流调结果).
#[derive(InputObject)]
pub struct RecordContactInput {
    /// The case the person was exposed to.
    source_case: ID,
    person: PersonRefInput,
    relation: ContactRelation,
    /// Not in the future, and not after the source case was closed.
    last_exposure_date: NaiveDate,
    notes: Option<String>,
}

impl RecordContactInput {
    async fn into_domain(self, state: &AppState) -> AppResult<NewContact> {
        Ok(NewContact {
            source_case_id: row_id(&self.source_case, "input.sourceCase")?,
            person: self.person.into_domain(state, "input.person").await?,
            relation: self.relation.into(),
            last_exposure_date: self.last_exposure_date,
            notes: text(self.notes, 2000, "input.notes")?,
        })
    }
}
