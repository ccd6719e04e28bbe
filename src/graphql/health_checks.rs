//! Health checks (健康监测) and the grid worker's list of follow-ups due.

use async_graphql::{
    connection::{Connection, Edge, EmptyFields},
    Context, Enum, InputObject, Object, Result, SimpleObject, ID,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::health_check;

use super::{
    batch_values::{BatchDateTime, BatchSymptom, BatchTemperature},
    cases::unit,
    context::{actor, locale, row_id, state},
    enums::{Agency, Symptom},
    persons::{reached, reached_by_id, Person},
    prefetch,
    quarantines::Quarantine,
};
use crate::{
    domain::{
        batch::Rejection,
        health_checks::{
            self, CheckInput, CheckOutcome, FollowUp as DomainFollowUp, CHECKS_PER_DAY,
        },
        pagination::PageRequest,
        quarantines::QuarantineRow,
        values::{Cursor, Symptom as DomainSymptom, Temperature},
    },
    error::AppError,
};

const FOLLOW_UPS: &str = "followUpsDue";

#[derive(Default)]
pub struct HealthCheckQuery;

#[Object]
impl HealthCheckQuery {
    /// The grid worker's to-do list (待测人员): persons under medical observation on `date`
    /// (local; today when omitted) in your jurisdiction, or in `orgUnit`, with fewer than two
    /// checks recorded that day.
    #[graphql(
        visible = "super::visibility::query_follow_ups_due",
        complexity = "super::limits::list_cost(first, child_complexity, 1)"
    )]
    async fn follow_ups_due(
        &self,
        ctx: &Context<'_>,
        date: Option<NaiveDate>,
        org_unit: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, FollowUp, EmptyFields, EmptyFields>> {
        let state = state(ctx)?;
        let page = PageRequest::parse(
            FOLLOW_UPS,
            first,
            after.as_deref(),
            state.settings.max_page_size,
        )?;
        let date = date.unwrap_or_else(|| state.settings.clock.today());
        let org_unit = match org_unit {
            Some(code) => Some(unit(state, &code, "orgUnit").await?),
            None => None,
        };
        let rows = health_checks::follow_ups_due(state, actor(ctx)?, date, org_unit, &page).await?;
        let nodes = prefetch::nodes(ctx);
        let ids: Vec<i64> = rows.items.iter().map(|r| r.quarantine.id).collect();
        let person_ids: Vec<i64> = rows.items.iter().map(|r| r.person.id).collect();
        prefetch::persons(ctx, &nodes.field("person"), &person_ids).await?;
        prefetch::quarantines(ctx, &nodes.field("quarantine"), &ids, &person_ids).await?;
        let mut connection = Connection::new(page.after.is_some(), rows.has_next_page);
        for row in rows.items {
            let cursor = Cursor::Id(row.quarantine.id).encode(FOLLOW_UPS);
            connection
                .edges
                .push(Edge::new(cursor, FollowUp::new(ctx, row)?));
        }
        Ok(connection)
    }
}

#[derive(Default)]
pub struct HealthCheckMutation;

#[Object]
impl HealthCheckMutation {
    /// Record temperature checks, up to MAX_HEALTH_CHECK_BATCH in one call (e.g. after an
    /// offline shift). Each check carries a client-generated `idempotencyKey`: a check sent
    /// again returns DUPLICATE with what was recorded the first time, and is not written
    /// twice. The same key and `measuredAt` with a different check (another reading, person
    /// or symptoms), or one key twice in one batch, is KEY_REUSED: nothing written, the check
    /// recorded with the key returned, and `error` IDEMPOTENCY_KEY_REUSED naming what
    /// differs. A key is unique per user and `measuredAt`: the same key with another time is
    /// another check. A bad
    /// item (a time without an offset, a temperature that is not a number, ...) is REJECTED
    /// alone with its field and reason; the others are still recorded. A check at 37.3 °C
    /// or above, or with a listed respiratory symptom, raises a fever alert.
    #[graphql(visible = "super::visibility::mutation_record_health_checks")]
    async fn record_health_checks(
        &self,
        ctx: &Context<'_>,
        checks: Vec<HealthCheckInput>,
    ) -> Result<Vec<HealthCheckResult>> {
        let state = state(ctx)?;
        let max = state.settings.max_health_check_batch;
        if checks.len() > max {
            return Err(AppError::LimitExceeded(crate::msg!(
                "limit-batch",
                field = "checks",
                max = max
            ))
            .into());
        }
        let inputs = checks
            .into_iter()
            .map(|c| CheckInput {
                person_id: row_id(&c.person, "person").ok(),
                idempotency_key: c.idempotency_key,
                measured_at: c.measured_at.0,
                temperature: c.temperature.0,
                symptoms: c
                    .symptoms
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| s.0.map(Into::into))
                    .collect(),
            })
            .collect();
        let results = health_checks::record(state, actor(ctx)?, inputs).await?;
        let person_ids: Vec<i64> = results
            .iter()
            .filter_map(|r| match &r.outcome {
                CheckOutcome::Recorded(c)
                | CheckOutcome::Duplicate(c)
                | CheckOutcome::KeyReused { original: c, .. } => Some(c.person_id),
                CheckOutcome::Rejected(_) => None,
            })
            .collect();
        prefetch::persons_by_id(
            ctx,
            &ctx.look_ahead().field("check").field("person"),
            &person_ids,
        )
        .await?;
        let actor = actor(ctx)?;
        results
            .into_iter()
            .map(|item| {
                let (status, check, error) = match item.outcome {
                    CheckOutcome::Recorded(check) => (CheckStatus::Recorded, Some(check), None),
                    CheckOutcome::Duplicate(check) => (CheckStatus::Duplicate, Some(check), None),
                    CheckOutcome::KeyReused { original, error } => {
                        (CheckStatus::KeyReused, Some(original), Some(error.into()))
                    }
                    CheckOutcome::Rejected(rejection) => {
                        (CheckStatus::Rejected, None, Some(rejection.into()))
                    }
                };
                if let Some(check) = &check {
                    actor.record_reads("HealthCheck", [check.id])?;
                }
                Ok(HealthCheckResult {
                    idempotency_key: item.idempotency_key,
                    status,
                    check: check.map(HealthCheck),
                    error,
                })
            })
            .collect()
    }
}

/// One temperature and symptom check (体温监测).
pub struct HealthCheck(health_check::Model);

impl HealthCheck {
    pub fn many(ctx: &Context<'_>, rows: Vec<health_check::Model>) -> Result<Vec<Self>> {
        actor(ctx)?.record_reads("HealthCheck", rows.iter().map(|c| c.id))?;
        Ok(rows.into_iter().map(Self).collect())
    }
}

#[Object]
impl HealthCheck {
    async fn id(&self) -> ID {
        ID::from(self.0.id.to_string())
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        reached_by_id(ctx, self.0.person_id).await
    }

    async fn measured_at(&self) -> DateTime<Utc> {
        self.0.measured_at
    }

    /// Body temperature in °C, one decimal.
    async fn temperature(&self) -> f64 {
        Temperature::from_tenths(self.0.temperature_decidegrees).celsius()
    }

    async fn symptoms(&self) -> Vec<Symptom> {
        DomainSymptom::from_bits(self.0.symptoms)
            .into_iter()
            .map(Into::into)
            .collect()
    }

    /// 37.3 °C or above, or a listed respiratory symptom: a fever alert was raised.
    async fn fever(&self) -> bool {
        self.0.fever
    }

    /// The idempotency key the check was submitted with.
    async fn idempotency_key(&self) -> &str {
        &self.0.idempotency_key
    }

    /// The user who recorded the check (their id in their agency's identity system).
    #[graphql(visible = "super::visibility::health_check_recorded_by")]
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }

    async fn recorded_by_agency(&self) -> Agency {
        self.0.recorded_by_agency.into()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the retention policy deletes this check: a period after it was measured, and
    /// not before the stand-down of the person's residence. Null while that is not declared,
    /// while the person is under a legal hold, and when the person became a case or a
    /// contact (kept), and for persons living outside your jurisdiction.
    async fn purge_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        super::retention::health_check(ctx, &self.0).await
    }
}

/// One check to record.
#[derive(InputObject)]
pub struct HealthCheckInput {
    /// A key your app generates once per check (a UUID fits); sending the same check again
    /// with it is safe.
    idempotency_key: String,
    /// A person living in your jurisdiction.
    person: ID,
    /// When the temperature was taken, with its offset (`2026-12-03T08:30:00+08:00`); not
    /// in the future, at most 30 days ago.
    measured_at: BatchDateTime,
    /// °C, 30.0 to 45.0, one decimal: a number, or the same number as text.
    temperature: BatchTemperature,
    /// Symptoms ticked, as names of the enum `Symptom`.
    symptoms: Option<Vec<BatchSymptom>>,
}

/// What happened to one item of a batch (a check, a checkpoint entry).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CheckStatus {
    /// Written now.
    Recorded,
    /// Sent before with this key and the same values: nothing written, the first result
    /// returned.
    Duplicate,
    /// This key was used before (or earlier in this batch) for different values: nothing
    /// written, the item recorded with the key returned, and `error` (code
    /// IDEMPOTENCY_KEY_REUSED) naming the fields that differ. Send a new item with a new key.
    KeyReused,
    /// Not written; see `error`.
    Rejected,
}

/// What happened to one submitted check.
#[derive(SimpleObject)]
pub struct HealthCheckResult {
    idempotency_key: String,
    status: CheckStatus,
    /// The check recorded with this key: now (RECORDED) or before (DUPLICATE, KEY_REUSED).
    check: Option<HealthCheck>,
    /// Why the item was not written (REJECTED, KEY_REUSED).
    error: Option<ItemError>,
}

/// Why one item of a batch was not written.
pub struct ItemError(Rejection);

#[Object]
impl ItemError {
    /// BAD_USER_INPUT, NOT_FOUND, FORBIDDEN (e.g. a checkpoint outside your jurisdiction),
    /// LIMIT_EXCEEDED (a traveller's number refused as a guess), or IDEMPOTENCY_KEY_REUSED
    /// (status KEY_REUSED).
    async fn code(&self) -> &str {
        self.0.code()
    }

    /// The input field, e.g. `checks[3].temperature`.
    async fn field(&self) -> &str {
        &self.0.field
    }

    /// What was wrong, and the form expected where the value had the wrong one, in the
    /// reader's language.
    async fn message(&self, ctx: &Context<'_>) -> String {
        self.0.message().render(locale(ctx))
    }
}

impl From<Rejection> for ItemError {
    fn from(rejection: Rejection) -> Self {
        Self(rejection)
    }
}

/// A person due for checks today (待测).
pub struct FollowUp(DomainFollowUp);

impl FollowUp {
    fn new(ctx: &Context<'_>, row: DomainFollowUp) -> Result<Self> {
        actor(ctx)?.record_reads("Quarantine", [row.quarantine.id])?;
        Ok(Self(row))
    }
}

#[Object]
impl FollowUp {
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        reached(ctx, self.0.person.clone()).await
    }

    async fn quarantine(&self, ctx: &Context<'_>) -> Result<Quarantine> {
        Quarantine::from_row(
            ctx,
            QuarantineRow {
                quarantine: self.0.quarantine.clone(),
                person: self.0.person.clone(),
            },
        )
    }

    /// Checks recorded on the day.
    async fn checks_recorded(&self) -> i64 {
        self.0.checks_recorded
    }

    /// Checks still missing on the day.
    async fn checks_missing(&self) -> i64 {
        (CHECKS_PER_DAY - self.0.checks_recorded).max(0)
    }
}
