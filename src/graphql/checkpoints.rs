//! Checkpoints (卡口登记): passages of people and vehicles, recorded in batches.

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, InputObject, Object, Result, SimpleObject, ID,
};
use chrono::{DateTime, Utc};
use entity::checkpoint_entry;

use super::{
    batch_values::{BatchDateTime, BatchDirection, BatchDocumentType, BatchTemperature},
    cases::unit,
    context::{actor, row_id, state},
    enums::{Agency, Direction, DocumentType},
    health_checks::{CheckStatus, ItemError},
    org_units::OrgUnit,
    persons::{reached_inside_by_id, Person},
    prefetch,
};
use crate::{
    access::TravellerView,
    domain::{
        checkpoints::{
            self, EntryFilter as DomainFilter, EntryInput, EntryOutcome, TravellerInput,
        },
        pagination::PageRequest,
        values::{Cursor, Temperature},
    },
    error::{AppError, AppResult},
    state::AppState,
};

#[derive(Default)]
pub struct CheckpointQuery;

#[Object]
impl CheckpointQuery {
    /// Passages at checkpoints in your jurisdiction, and of travellers heading into it
    /// (where they live, or the destination they gave), newest first.
    #[graphql(
        visible = "super::visibility::query_checkpoint_entries",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn checkpoint_entries(
        &self,
        ctx: &Context<'_>,
        filter: Option<CheckpointEntryFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, CheckpointEntry, EntryCount, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            checkpoints::LIST,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let filter = filter.unwrap_or_default().into_domain(state).await?;
        let rows = checkpoints::list(state, actor(ctx)?, &filter, &page).await?;
        let person_ids: Vec<i64> = rows.items.iter().filter_map(|e| e.person_id).collect();
        prefetch::persons_by_id(ctx, &prefetch::nodes(ctx).field("person"), &person_ids).await?;
        prefetch::retention_facts(
            ctx,
            prefetch::nodes(ctx).field("purgeAt").exists(),
            &person_ids,
        )
        .await?;
        let mut connection = Connection::with_additional_fields(
            page.after.is_some(),
            rows.has_next_page,
            EntryCount { filter },
        );
        for entry in rows.items {
            let cursor = Cursor::Id(entry.id).encode(checkpoints::LIST);
            connection
                .edges
                .push(Edge::new(cursor, CheckpointEntry::new(ctx, entry)?));
        }
        Ok(connection)
    }
}

#[derive(Default)]
pub struct CheckpointMutation;

#[Object]
impl CheckpointMutation {
    /// Record passages at a checkpoint in your jurisdiction, up to MAX_CHECKPOINT_BATCH in
    /// one call (e.g. after a shift without signal). Each entry carries a client-generated
    /// `idempotencyKey`: an entry sent again returns DUPLICATE with what was recorded the
    /// first time. The same key and `passedAt` with a different entry, or one key twice in
    /// one batch, is KEY_REUSED: nothing written, the entry recorded with the key returned,
    /// and `error` IDEMPOTENCY_KEY_REUSED naming what differs. A key is unique per user and
    /// `passedAt`: the same key with another time is another passage. A bad entry (a time
    /// without an offset, a
    /// temperature that is not a number, ...) is REJECTED alone with its field and reason;
    /// the others are still recorded.
    ///
    /// A traveller whose document is registered is linked to that person, wherever they
    /// live, and the alert goes to their community. An arrival from a listed risk area
    /// (RISK_AREAS), or a temperature of 37.3 °C or above, raises an alert where the
    /// traveller is heading.
    #[graphql(visible = "super::visibility::mutation_record_checkpoint_entries")]
    async fn record_checkpoint_entries(
        &self,
        ctx: &Context<'_>,
        entries: Vec<CheckpointEntryInput>,
    ) -> Result<Vec<CheckpointEntryResult>> {
        let state = state(ctx)?;
        let max = state.settings.max_checkpoint_batch;
        if entries.len() > max {
            return Err(AppError::LimitExceeded(crate::msg!(
                "limit-batch",
                field = "entries",
                max = max
            ))
            .into());
        }
        let inputs = entries.into_iter().map(Into::into).collect();
        let results = checkpoints::record(state, actor(ctx)?, inputs).await?;
        let person_ids: Vec<i64> = results
            .iter()
            .filter_map(|r| match &r.outcome {
                EntryOutcome::Recorded(e)
                | EntryOutcome::Duplicate(e)
                | EntryOutcome::KeyReused { original: e, .. } => e.person_id,
                EntryOutcome::Rejected(_) => None,
            })
            .collect();
        prefetch::persons_by_id(
            ctx,
            &ctx.look_ahead().field("entry").field("person"),
            &person_ids,
        )
        .await?;
        results
            .into_iter()
            .map(|item| {
                let (status, entry, error) = match item.outcome {
                    EntryOutcome::Recorded(entry) => (CheckStatus::Recorded, Some(entry), None),
                    EntryOutcome::Duplicate(entry) => (CheckStatus::Duplicate, Some(entry), None),
                    EntryOutcome::KeyReused { original, error } => (
                        CheckStatus::KeyReused,
                        Some(original),
                        Some(ItemError::from(error)),
                    ),
                    EntryOutcome::Rejected(rejection) => (
                        CheckStatus::Rejected,
                        None,
                        Some(ItemError::from(rejection)),
                    ),
                };
                Ok(CheckpointEntryResult {
                    idempotency_key: item.idempotency_key,
                    status,
                    entry: entry.map(|e| CheckpointEntry::new(ctx, e)).transpose()?,
                    error,
                })
            })
            .collect()
    }
}

/// A person or vehicle passing a checkpoint (卡口登记).
pub struct CheckpointEntry(checkpoint_entry::Model);

impl CheckpointEntry {
    pub(super) fn new(ctx: &Context<'_>, entry: checkpoint_entry::Model) -> Result<Self> {
        actor(ctx)?.record_reads("CheckpointEntry", [entry.id])?;
        Ok(Self(entry))
    }
}

#[Object]
impl CheckpointEntry {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }

    /// The checkpoint's name, e.g. "G60 云州东收费站".
    async fn checkpoint_name(&self) -> &str {
        &self.0.checkpoint_name
    }

    /// The unit the checkpoint belongs to.
    async fn checkpoint(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        unit_by_id(ctx, Some(self.0.org_id))
    }

    async fn direction(&self) -> Direction {
        self.0.direction.into()
    }

    async fn passed_at(&self) -> DateTime<Utc> {
        self.0.passed_at
    }

    /// The registered person who passed, when they live in your jurisdiction (a traveller
    /// whose document belongs to someone living elsewhere shows only as `traveller`, so
    /// that no entry tells whether, or where, a number is registered).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        match self.0.person_id {
            Some(id) => reached_inside_by_id(ctx, id).await,
            None => Ok(None),
        }
    }

    /// The document is registered to a person of another name: for health and police to
    /// resolve. Never shown to those who see numbers masked.
    #[graphql(visible = "super::visibility::checkpoint_entry_identity_conflict")]
    async fn identity_conflict(&self) -> bool {
        self.0.identity_conflict
    }

    /// The traveller as identified at the checkpoint (name, document, phone), as recorded.
    #[graphql(visible = "super::visibility::checkpoint_entry_traveller")]
    async fn traveller(&self, ctx: &Context<'_>) -> Result<Option<Traveller>> {
        Ok(TravellerView::of(&actor(ctx)?.principal, &self.0).map(Traveller))
    }

    #[graphql(visible = "super::visibility::checkpoint_entry_detail")]
    async fn vehicle_plate(&self) -> Option<&str> {
        self.0.vehicle_plate.as_deref()
    }

    /// Where the traveller came from, as they said.
    async fn from_place(&self) -> Option<&str> {
        self.0.from_place.as_deref()
    }

    /// The place of origin named a listed risk area when the entry was recorded.
    async fn from_risk_area(&self) -> bool {
        self.0.from_risk_area
    }

    /// The unit the traveller said they were heading to, if given.
    async fn destination(&self, ctx: &Context<'_>) -> Result<Option<OrgUnit>> {
        unit_by_id(ctx, self.0.destination_org_id)
    }

    /// Temperature taken at the checkpoint, °C, if any.
    async fn temperature(&self) -> Option<f64> {
        self.0
            .temperature_decidegrees
            .map(|t| Temperature::from_tenths(t).celsius())
    }

    /// 37.3 °C or above: an alert was raised.
    async fn fever(&self) -> bool {
        self.0
            .temperature_decidegrees
            .is_some_and(|t| Temperature::from_tenths(t).is_fever())
    }

    /// The user who recorded the passage (their id in their agency's identity system).
    #[graphql(visible = "super::visibility::checkpoint_entry_detail")]
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }

    async fn recorded_by_agency(&self) -> Agency {
        self.0.recorded_by_agency.into()
    }

    /// The idempotency key the entry was submitted with.
    async fn idempotency_key(&self) -> &str {
        &self.0.idempotency_key
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the retention policy deletes this passage: a period after it, and not before
    /// the stand-down of the checkpoint's unit and of the destination. Null while either is
    /// not declared, while the traveller is under a legal hold, and when the traveller became
    /// a case or a contact (kept), and for a registered traveller living outside your
    /// jurisdiction (whether they are kept is not yours to know).
    async fn purge_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        super::retention::checkpoint_entry(ctx, &self.0).await
    }
}

fn unit_by_id(ctx: &Context<'_>, id: Option<i64>) -> Result<Option<OrgUnit>> {
    let Some(id) = id else { return Ok(None) };
    Ok(state(ctx)?
        .orgs
        .cached_by_id(id)?
        .map(|u| OrgUnit(u.clone())))
}

/// A traveller not (yet) registered as a person (未登记人员).
pub struct Traveller(TravellerView);

#[Object]
impl Traveller {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    #[graphql(visible = "super::visibility::traveller_document")]
    async fn document_type(&self) -> Option<DocumentType> {
        self.0.document_type.map(Into::into)
    }

    /// In full for health and police; first 6 and last 4 characters for the community.
    #[graphql(visible = "super::visibility::traveller_document")]
    async fn document_number(&self) -> Option<&str> {
        self.0.document_number.as_deref()
    }
}

/// What happened to one submitted entry.
#[derive(SimpleObject)]
pub struct CheckpointEntryResult {
    idempotency_key: String,
    status: CheckStatus,
    /// The entry recorded with this key: now (RECORDED) or before (DUPLICATE, KEY_REUSED).
    entry: Option<CheckpointEntry>,
    /// Why the item was not written (REJECTED, KEY_REUSED).
    error: Option<ItemError>,
}

/// One passage to record. Name who passed by `person` (a registered person of your
/// jurisdiction) or by `traveller` (what they carry); a vehicle alone needs its plate.
#[derive(InputObject)]
pub struct CheckpointEntryInput {
    /// A key your device generates once per entry (a UUID fits); sending the same entry
    /// again with it is safe.
    idempotency_key: String,
    /// The checkpoint's name, e.g. "G60 云州东收费站".
    checkpoint_name: String,
    /// Code of the checkpoint's org unit; it must be in your jurisdiction.
    checkpoint: String,
    /// INBOUND or OUTBOUND.
    direction: BatchDirection,
    /// When they passed, with its offset (`2026-12-03T08:30:00+08:00`); not in the future,
    /// at most 30 days ago.
    passed_at: BatchDateTime,
    person: Option<ID>,
    traveller: Option<TravellerDetails>,
    /// Code of the unit they are heading to (a community or grid), if they said.
    destination: Option<String>,
    vehicle_plate: Option<String>,
    /// Where they came from (city, county), as they said; checked against RISK_AREAS.
    from_place: Option<String>,
    /// °C, 30.0 to 45.0, one decimal: a number, or the same number as text.
    temperature: Option<BatchTemperature>,
}

impl From<CheckpointEntryInput> for EntryInput {
    fn from(input: CheckpointEntryInput) -> Self {
        Self {
            idempotency_key: input.idempotency_key,
            checkpoint_name: input.checkpoint_name,
            checkpoint: input.checkpoint,
            direction: input.direction.0.map(Into::into),
            passed_at: input.passed_at.0,
            person: input.person.map(|id| id.0),
            traveller: input.traveller.map(|t| TravellerInput {
                name: t.name,
                document_type: t.document_type.map(|kind| kind.0.map(Into::into)),
                document_number: t.document_number,
                phone: t.phone,
            }),
            destination: input.destination,
            vehicle_plate: input.vehicle_plate,
            from_place: input.from_place,
            temperature: input.temperature.map(|t| t.0),
        }
    }
}

/// A traveller as identified at the checkpoint. With a document registered to a person of
/// the same name, the entry is linked to that person.
#[derive(InputObject)]
pub struct TravellerDetails {
    name: String,
    /// A name of the enum `DocumentType`; RESIDENT_ID when omitted.
    document_type: Option<BatchDocumentType>,
    document_number: Option<String>,
    phone: Option<String>,
}

/// Narrows the checkpoint entries.
#[derive(InputObject, Default)]
pub struct CheckpointEntryFilter {
    /// Entries at a checkpoint in this unit (code) or heading into it.
    org_unit: Option<String>,
    direction: Option<Direction>,
    /// Only arrivals from listed risk areas (true), or all others (false).
    from_risk_area: Option<bool>,
    /// Only entries with a temperature of 37.3 °C or above (true), or all others (false).
    fever: Option<bool>,
    /// Passed at or after this instant.
    passed_since: Option<DateTime<Utc>>,
    /// Passed before this instant.
    passed_before: Option<DateTime<Utc>>,
    /// Entries of this registered person (one living in your jurisdiction).
    person: Option<ID>,
    /// Only entries whose document is registered to a person of another name (true).
    #[graphql(visible = "super::visibility::checkpoint_entry_filter_identity_conflict")]
    identity_conflict: Option<bool>,
}

impl CheckpointEntryFilter {
    async fn into_domain(self, state: &AppState) -> AppResult<DomainFilter> {
        Ok(DomainFilter {
            org_unit: match &self.org_unit {
                Some(code) => Some(unit(state, code, "filter.orgUnit").await?),
                None => None,
            },
            direction: self.direction.map(Into::into),
            from_risk_area: self.from_risk_area,
            fever: self.fever,
            passed_since: self.passed_since,
            passed_before: self.passed_before,
            person_id: self
                .person
                .map(|id| row_id(&id, "filter.person"))
                .transpose()?,
            identity_conflict: self.identity_conflict,
        })
    }
}

/// Extra fields of the checkpoint entries list.
pub struct EntryCount {
    filter: DomainFilter,
}

#[Object]
impl EntryCount {
    /// Number of entries matching, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(checkpoints::count(state(ctx)?, actor(ctx)?, &self.filter).await?)
    }
}
