//! Health checks (健康监测): twice-daily temperatures and symptoms, submitted by grid
//! workers in batches after an offline shift. Each item stands alone: recorded, a replay of
//! an earlier submission (same idempotency key, same values), refused for reusing a key for
//! other values, or rejected with its reason.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use entity::{health_check, person, quarantine, AlertKind};
use sea_orm::{
    prelude::Expr,
    sea_query::{ExprTrait, IntoCondition, Query},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType, Order,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, TryInsertResult,
};

use super::{
    alerts::{self, NewAlert},
    batch::{self, Outcome, Problem, Rejection},
    nested,
    org_units::OrgUnit,
    pagination::{Page, PageRequest},
    values::{Choice, IdempotencyKey, Sent, Symptom, Temperature},
};
use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    db,
    error::{AppError, AppResult},
    state::AppState,
};

/// How old a submitted measurement may be.
const MAX_AGE_DAYS: i64 = 30;
/// Checks a person under observation needs each day.
pub const CHECKS_PER_DAY: i64 = 2;

/// One submitted check, as the client sent it: what a device can get wrong (a clock without
/// its time zone, a number typed oddly) comes unparsed and is checked here, per item.
#[derive(Debug, Clone)]
pub struct CheckInput {
    pub idempotency_key: String,
    pub person_id: Option<i64>,
    pub measured_at: Sent,
    pub temperature: Sent,
    pub symptoms: Vec<Choice<Symptom>>,
}

pub type CheckOutcome = Outcome<health_check::Model>;
pub type ItemResult = batch::ItemResult<health_check::Model>;

struct Valid {
    key: IdempotencyKey,
    person_id: i64,
    measured_at: DateTime<Utc>,
    temperature: Temperature,
    symptoms: i32,
}

fn reject(index: usize, field: &str) -> impl Fn(Problem) -> Rejection + '_ {
    move |problem| Rejection::new("checks", index, field, problem)
}

/// Records a batch of checks in one transaction, in a number of statements that does not
/// depend on the batch's length. A resubmitted batch writes nothing twice.
#[tracing::instrument(skip(state, actor, inputs), fields(request_id = %actor.request_id, items = inputs.len()))]
pub async fn record(
    state: &AppState,
    actor: &Actor,
    inputs: Vec<CheckInput>,
) -> AppResult<Vec<ItemResult>> {
    access::require(&actor.principal, Data::HealthChecks, Access::ReadWrite)?;
    let max = state.settings.max_health_check_batch;
    if inputs.len() > max {
        return Err(AppError::LimitExceeded(crate::msg!(
            "limit-batch",
            field = "checks",
            max = max
        )));
    }
    let clock = state.settings.clock;
    let oldest = clock.now() - Duration::days(MAX_AGE_DAYS);
    let validated: Vec<Result<Valid, Rejection>> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let key = IdempotencyKey::parse(&input.idempotency_key)
                .map_err(|m| reject(i, "idempotencyKey")(m.into()))?;
            let person_id = input
                .person_id
                .ok_or_else(|| reject(i, "person")(Problem::NotAnId))?;
            let temperature =
                batch::temperature(&input.temperature).map_err(reject(i, "temperature"))?;
            let measured_at =
                batch::instant(&input.measured_at).map_err(reject(i, "measuredAt"))?;
            if measured_at > clock.now() + clock.skew {
                return Err(reject(i, "measuredAt")(Problem::InTheFuture));
            }
            if measured_at < oldest {
                return Err(reject(i, "measuredAt")(Problem::OlderThanDays(
                    MAX_AGE_DAYS,
                )));
            }
            let symptoms = input
                .symptoms
                .iter()
                .enumerate()
                .map(|(j, symptom)| {
                    batch::choice(symptom).map_err(|p| reject(i, &format!("symptoms[{j}]"))(p))
                })
                .collect::<Result<Vec<Symptom>, Rejection>>()?;
            Ok(Valid {
                key,
                person_id,
                measured_at,
                temperature,
                symptoms: Symptom::to_bits(&symptoms),
            })
        })
        .collect();
    db::write_retrying!(&state.db, |txn| {
        record_in(&txn, actor, &inputs, &validated)
            .await
            .map_err(Into::into)
    })
}

async fn record_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    inputs: &[CheckInput],
    validated: &[Result<Valid, Rejection>],
) -> AppResult<Vec<ItemResult>> {
    let principal = &actor.principal;
    let subject = principal.subject.as_str();
    let valid: Vec<&Valid> = validated.iter().filter_map(|v| v.as_ref().ok()).collect();
    let keys: Vec<&str> = valid.iter().map(|v| v.key.as_str()).collect();
    let person_ids: Vec<i64> = valid
        .iter()
        .map(|v| v.person_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();

    // One read for the whole batch: the persons in scope with their active observation.
    // Earlier submissions are not looked for first: the insert skips their keys, and only
    // keys that did not go in are read back.
    let in_scope: Vec<(i64, String, Option<i64>)> = if person_ids.is_empty() {
        Vec::new()
    } else {
        person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .column(person::Column::ResidencePath)
            .column(quarantine::Column::Id)
            .join(
                JoinType::LeftJoin,
                quarantine::Relation::Person
                    .def()
                    .rev()
                    .on_condition(|_, observation| {
                        Expr::col((observation, quarantine::Column::IsActive))
                            .eq(true)
                            .into_condition()
                    }),
            )
            .filter(person::Column::Id.is_in(person_ids.iter().copied()))
            .filter(scope::persons_in_jurisdiction(principal))
            .into_tuple()
            .all(txn)
            .await?
    };
    let residences: HashMap<i64, String> = in_scope
        .iter()
        .map(|(id, path, _)| (*id, path.clone()))
        .collect();
    let observations: HashMap<i64, i64> = in_scope
        .iter()
        .filter_map(|(id, _, observation)| observation.map(|o| (*id, o)))
        .collect();

    let now = Utc::now();
    let mut to_insert = Vec::new();
    let mut planned: HashMap<&str, usize> = HashMap::new();
    for (i, item) in validated.iter().enumerate() {
        let Ok(valid) = item else { continue };
        if !residences.contains_key(&valid.person_id) || planned.contains_key(valid.key.as_str()) {
            continue;
        }
        planned.insert(valid.key.as_str(), i);
        let fever = valid.temperature.is_fever() || Symptom::any_alerting(valid.symptoms);
        to_insert.push(health_check::ActiveModel {
            person_id: Set(valid.person_id),
            quarantine_id: Set(observations.get(&valid.person_id).copied()),
            measured_at: Set(valid.measured_at),
            temperature_decidegrees: Set(valid.temperature.tenths()),
            symptoms: Set(valid.symptoms),
            fever: Set(fever),
            recorded_by: Set(subject.to_owned()),
            recorded_by_agency: Set(principal.agency),
            idempotency_key: Set(valid.key.as_str().to_owned()),
            created_at: Set(now),
            ..Default::default()
        });
    }

    // One insert; a key a concurrent submission just took is skipped, then read back.
    let inserted: Vec<health_check::Model> = match health_check::Entity::insert_many(to_insert)
        .on_conflict_do_nothing_on([
            health_check::Column::RecordedBy,
            health_check::Column::IdempotencyKey,
            health_check::Column::MeasuredAt,
        ])
        .exec_with_returning_many(txn)
        .await?
    {
        TryInsertResult::Inserted(rows) => rows,
        TryInsertResult::Empty | TryInsertResult::Conflicted => Vec::new(),
    };
    // Keys that did not go in: submitted before (or a moment ago by a concurrent request),
    // or for a person out of reach, whose earlier check still answers as a duplicate.
    let submitted: HashSet<&str> = keys.iter().copied().collect();
    let raced = batch::raced(
        submitted,
        inserted.iter().map(|c| c.idempotency_key.as_str()),
    );
    let mut earlier: HashMap<String, health_check::Model> = HashMap::new();
    if !raced.is_empty() {
        // A key twice in the batch is answered by its first use.
        let mut submitted: HashMap<&str, DateTime<Utc>> = HashMap::new();
        for v in &valid {
            submitted.entry(v.key.as_str()).or_insert(v.measured_at);
        }
        earlier = batch::by_key(
            health_check::Entity::find()
                .filter(health_check::Column::RecordedBy.eq(subject))
                .filter(health_check::Column::IdempotencyKey.is_in(raced))
                .all(txn)
                .await?,
            |check| check.idempotency_key.as_str(),
            |check| {
                submitted.get(check.idempotency_key.as_str())
                    == Some(&check.measured_at.trunc_subsecs(6))
            },
        );
    }

    let fevers: Vec<NewAlert<'_>> = inserted
        .iter()
        .filter(|check| check.fever)
        .filter_map(|check| {
            residences.get(&check.person_id).map(|path| NewAlert {
                kind: AlertKind::Fever,
                person_id: Some(check.person_id),
                org_path: path,
                entity_type: "HealthCheck",
                entity_id: check.id,
                message: fever_message(check),
            })
        })
        .collect();
    alerts::raise(txn, fevers).await?;
    let ids: Vec<i64> = inserted.iter().map(|c| c.id).collect();
    if !ids.is_empty() {
        actor
            .record_write(txn, "recordHealthChecks", "HealthCheck", &ids, None)
            .await?;
    }

    let keys: Vec<String> = inputs.iter().map(|i| i.idempotency_key.clone()).collect();
    Ok(batch::assemble(
        &keys,
        validated,
        |valid| valid.key.as_str(),
        |check: &health_check::Model| check.idempotency_key.as_str(),
        batch::Stored {
            inserted: &inserted,
            planned: &planned,
            earlier: &earlier,
        },
        |i, valid, check| batch::key_reused("checks", i, "HealthCheck", differences(valid, check)),
        // Never says whether the person exists outside one's jurisdiction.
        |i, _| reject(i, "person")(Problem::PersonNotFound),
    ))
}

/// The fields in which a check differs from the one recorded under its key: a key sent
/// again with another reading is not a replay, or the new reading would be lost unseen.
/// What the server derives (the fever flag, the observation) is not the client's to differ.
fn differences(valid: &Valid, check: &health_check::Model) -> Vec<&'static str> {
    [
        ("person", valid.person_id == check.person_id),
        (
            "measuredAt",
            // Rows stored before instants were kept to the microsecond may hold more.
            valid.measured_at == check.measured_at.trunc_subsecs(6),
        ),
        (
            "temperature",
            valid.temperature.tenths() == check.temperature_decidegrees,
        ),
        ("symptoms", valid.symptoms == check.symptoms),
    ]
    .into_iter()
    .filter_map(|(field, same)| (!same).then_some(field))
    .collect()
}

pub(crate) fn fever_message(check: &health_check::Model) -> crate::i18n::Msg {
    let temperature = Temperature::from_tenths(check.temperature_decidegrees);
    let symptoms: Vec<String> = Symptom::from_bits(check.symptoms)
        .into_iter()
        .filter(|s| Symptom::ALERTING.contains(s))
        .map(|s| format!("{s:?}"))
        .collect();
    if temperature.is_fever() {
        crate::msg!("alert-fever", temperature = temperature.to_string())
    } else {
        crate::msg!("alert-respiratory", symptoms = symptoms.join(", "))
    }
}

/// A person under observation with fewer than two checks on a day: the grid worker's list.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub quarantine: quarantine::Model,
    pub person: person::Model,
    pub checks_recorded: i64,
}

/// Persons under observation on `date` (local) in the principal's jurisdiction, or in
/// `org_unit`, with fewer than two checks recorded that day; by observation, oldest first.
#[tracing::instrument(skip(state, actor), fields(request_id = %actor.request_id))]
pub async fn follow_ups_due(
    state: &AppState,
    actor: &Actor,
    date: NaiveDate,
    org_unit: Option<Arc<OrgUnit>>,
    page: &PageRequest,
) -> AppResult<Page<FollowUp>> {
    access::require(&actor.principal, Data::HealthChecks, Access::Read)?;
    let clock = state.settings.clock;
    clock.date_not_in_future(date, "date")?;
    let (day_start, day_end) = clock.day_bounds(date);
    let checks_that_day = Query::select()
        .expr(Expr::col((health_check::Entity, health_check::Column::Id)).count())
        .from(health_check::Entity)
        .and_where(
            Expr::col((health_check::Entity, health_check::Column::PersonId))
                .equals((quarantine::Entity, quarantine::Column::PersonId)),
        )
        .and_where(
            Expr::col((health_check::Entity, health_check::Column::MeasuredAt)).gte(day_start),
        )
        .and_where(Expr::col((health_check::Entity, health_check::Column::MeasuredAt)).lt(day_end))
        .to_owned();
    let mut condition = Condition::all()
        .add(scope::about_residents(
            quarantine::Column::PersonId,
            &actor.principal,
        ))
        .add(quarantine::Column::StartDate.lte(date))
        .add(
            Condition::any()
                .add(quarantine::Column::EndedAt.is_null())
                .add(quarantine::Column::EndedAt.gte(day_end)),
        )
        .add(Expr::expr(Expr::SubQuery(None, Box::new(checks_that_day.into()))).lt(CHECKS_PER_DAY));
    if let Some(unit) = &org_unit {
        condition = condition.add(scope::persons_living_in(
            quarantine::Column::PersonId,
            &unit.path,
        ));
    }
    condition = condition.add(page.after_id(quarantine::Column::Id)?);
    let rows = quarantine::Entity::find()
        .find_also_related(person::Entity)
        .filter(condition)
        .order_by_asc(quarantine::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    // Every observation has its person (foreign key); a missing one would be skipped.
    let rows: Vec<_> = rows
        .into_iter()
        .filter_map(|(q, p)| p.map(|p| (q, p)))
        .collect();
    let page = Page::from_overfetch(rows, page.first);
    let person_ids: Vec<i64> = page.items.iter().map(|(q, _)| q.person_id).collect();
    let counts = checks_between(&state.db, &person_ids, day_start, day_end).await?;
    Ok(page.map(|(quarantine, person)| {
        let checks_recorded = counts.get(&quarantine.person_id).copied().unwrap_or(0);
        FollowUp {
            quarantine,
            person,
            checks_recorded,
        }
    }))
}

async fn checks_between(
    db: &impl ConnectionTrait,
    person_ids: &[i64],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> AppResult<HashMap<i64, i64>> {
    if person_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(health_check::Entity::find()
        .select_only()
        .column(health_check::Column::PersonId)
        .column_as(health_check::Column::Id.count(), "n")
        .filter(health_check::Column::PersonId.is_in(person_ids.iter().copied()))
        .filter(health_check::Column::MeasuredAt.gte(start))
        .filter(health_check::Column::MeasuredAt.lt(end))
        .group_by(health_check::Column::PersonId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The latest `per_parent` checks of each person or observation.
pub async fn latest(
    db: &impl ConnectionTrait,
    parent: health_check::Column,
    parent_ids: &[i64],
    per_parent: u64,
) -> AppResult<Vec<health_check::Model>> {
    Ok(nested::first_per_parent::<health_check::Entity>(
        db,
        parent,
        parent_ids,
        &[
            (health_check::Column::MeasuredAt, Order::Desc),
            (health_check::Column::Id, Order::Desc),
        ],
        per_parent,
        Condition::all(),
    )
    .await?)
}
