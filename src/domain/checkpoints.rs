//! Checkpoints (卡口): people and vehicles passing highway exits, stations and compound
//! gates, recorded from the police's and the communities' devices in batches. An arrival
//! from a listed risk area, or a fever at any passage, raises an alert where the traveller
//! is heading: the police channel and the community channel meet on one person.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use entity::{checkpoint_entry, person, AlertKind, Direction, DocumentType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};

use super::{
    alerts::{self, NewAlert},
    batch::{self, Outcome, Problem, Rejection},
    guesses,
    org_units::OrgUnit,
    pagination::{Page, PageRequest},
    persons,
    values::{
        health::FEVER_THRESHOLD, BoundedText, Choice, Document, IdempotencyKey, PersonName, Phone,
        Sent, Temperature, VehiclePlate,
    },
};
use crate::{
    access::{self, scope, Access, Data},
    audit::Actor,
    auth::Principal,
    db,
    error::{AppError, AppResult},
    state::AppState,
};

pub const LIST: &str = "checkpointEntries";
/// How old a submitted passage may be.
const MAX_AGE_DAYS: i64 = 30;
const MAX_NAME_CHARS: usize = 100;
const MAX_PLACE_CHARS: usize = 100;

pub type EntryOutcome = Outcome<checkpoint_entry::Model>;
pub type ItemResult = batch::ItemResult<checkpoint_entry::Model>;

/// One submitted passage, as the device sent it: what a device can get wrong (a clock
/// without its time zone, a number typed oddly) comes unparsed and is checked here, per item.
#[derive(Debug, Clone)]
pub struct EntryInput {
    pub idempotency_key: String,
    pub checkpoint_name: String,
    /// Code of the checkpoint's org unit.
    pub checkpoint: String,
    pub direction: Choice<Direction>,
    pub passed_at: Sent,
    /// A registered person's id, as sent.
    pub person: Option<String>,
    pub traveller: Option<TravellerInput>,
    /// Code of the unit the traveller is heading to.
    pub destination: Option<String>,
    pub vehicle_plate: Option<String>,
    pub from_place: Option<String>,
    pub temperature: Option<Sent>,
}

/// A traveller identified at the checkpoint by what they carry.
#[derive(Debug, Clone)]
pub struct TravellerInput {
    pub name: String,
    pub document_type: Option<Choice<DocumentType>>,
    pub document_number: Option<String>,
    pub phone: Option<String>,
}

/// Who passed.
#[derive(Debug, Clone)]
enum Who {
    /// A registered person named by id: must be in the recorder's jurisdiction.
    Person(i64),
    /// Someone identified by name (and document): linked to the registered person of that
    /// document, wherever they live, else kept as an unregistered traveller.
    Traveller {
        name: PersonName,
        document: Option<Document>,
        phone: Option<Phone>,
    },
    /// A vehicle only (a lorry through a freight checkpoint).
    Vehicle,
}

#[derive(Debug, Clone)]
struct Valid {
    key: IdempotencyKey,
    checkpoint_name: String,
    checkpoint: Arc<OrgUnit>,
    direction: Direction,
    passed_at: DateTime<Utc>,
    who: Who,
    destination: Option<Arc<OrgUnit>>,
    plate: Option<String>,
    from_place: Option<String>,
    risk_area: Option<String>,
    temperature: Option<Temperature>,
}

fn reject(index: usize, field: &str) -> impl Fn(Problem) -> Rejection + '_ {
    move |problem| Rejection::new("entries", index, field, problem)
}

/// A value's own rule broken, worded by the value.
fn bad(index: usize, field: &str) -> impl Fn(crate::i18n::Msg) -> Rejection + '_ {
    move |message| reject(index, field)(Problem::Invalid(message))
}

/// Records a batch of passages in one transaction, in a number of statements that does not
/// depend on the batch's length. A resubmitted batch writes nothing twice.
#[tracing::instrument(skip(state, actor, inputs), fields(request_id = %actor.request_id, items = inputs.len()))]
pub async fn record(
    state: &AppState,
    actor: &Actor,
    inputs: Vec<EntryInput>,
) -> AppResult<Vec<ItemResult>> {
    access::require(&actor.principal, Data::CheckpointEntries, Access::ReadWrite)?;
    let max = state.settings.max_checkpoint_batch;
    if inputs.len() > max {
        return Err(AppError::LimitExceeded(crate::msg!(
            "limit-batch",
            field = "entries",
            max = max
        )));
    }
    let mut validated = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        validated.push(validate(state, &actor.principal, i, input).await?);
    }
    let keys: Vec<String> = inputs.iter().map(|i| i.idempotency_key.clone()).collect();
    db::write_retrying!(&state.db, |txn| {
        record_in(&txn, actor, &keys, &validated)
            .await
            .map_err(Into::into)
    })
}

/// Checks one item as far as it can be without the database. Unknown org units are
/// rejections of the item; only a failure to read the org tree fails the batch.
async fn validate(
    state: &AppState,
    principal: &Principal,
    i: usize,
    input: &EntryInput,
) -> AppResult<Result<Valid, Rejection>> {
    let unit = |code: String, field: &'static str| async move {
        state
            .orgs
            .by_code(&state.db, &code)
            .await
            .map(|found| found.ok_or_else(|| reject(i, field)(Problem::UnknownOrgUnit)))
    };
    let checkpoint = match unit(input.checkpoint.clone(), "checkpoint").await? {
        Ok(checkpoint) => checkpoint,
        Err(rejection) => return Ok(Err(rejection)),
    };
    let destination = match &input.destination {
        Some(code) => match unit(code.clone(), "destination").await? {
            Ok(destination) => Some(destination),
            Err(rejection) => return Ok(Err(rejection)),
        },
        None => None,
    };
    Ok(check(state, principal, i, input, checkpoint, destination))
}

fn check(
    state: &AppState,
    principal: &Principal,
    i: usize,
    input: &EntryInput,
    checkpoint: Arc<OrgUnit>,
    destination: Option<Arc<OrgUnit>>,
) -> Result<Valid, Rejection> {
    let key = IdempotencyKey::parse(&input.idempotency_key).map_err(bad(i, "idempotencyKey"))?;
    let checkpoint_name = BoundedText::parse(&input.checkpoint_name, MAX_NAME_CHARS)
        .map_err(bad(i, "checkpointName"))?
        .into_inner();
    if !principal.jurisdiction().contains(&checkpoint.path) {
        return Err(reject(i, "checkpoint")(Problem::OutsideJurisdiction));
    }
    let clock = state.settings.clock;
    let direction = batch::choice(&input.direction).map_err(reject(i, "direction"))?;
    let passed_at = batch::instant(&input.passed_at).map_err(reject(i, "passedAt"))?;
    if passed_at > clock.now() + clock.skew {
        return Err(reject(i, "passedAt")(Problem::InTheFuture));
    }
    if passed_at < clock.now() - Duration::days(MAX_AGE_DAYS) {
        return Err(reject(i, "passedAt")(Problem::OlderThanDays(MAX_AGE_DAYS)));
    }
    let plate = input
        .vehicle_plate
        .as_deref()
        .map(VehiclePlate::parse)
        .transpose()
        .map_err(bad(i, "vehiclePlate"))?
        .map(VehiclePlate::into_inner);
    let who = match (&input.person, &input.traveller) {
        (Some(_), Some(_)) => return Err(reject(i, "traveller")(Problem::PersonAndTraveller)),
        (Some(id), None) => Who::Person(
            id.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| reject(i, "person")(Problem::NotAnId))?,
        ),
        (None, Some(traveller)) => traveller_of(i, traveller)?,
        (None, None) if plate.is_some() => Who::Vehicle,
        (None, None) => return Err(reject(i, "person")(Problem::NobodyNamed)),
    };
    let from_place = input
        .from_place
        .as_deref()
        .map(|place| BoundedText::parse(place, MAX_PLACE_CHARS))
        .transpose()
        .map_err(bad(i, "fromPlace"))?
        .map(BoundedText::into_inner);
    let risk_area = from_place
        .as_deref()
        .and_then(|place| state.settings.risk_areas.area_of(place))
        .map(str::to_owned);
    let temperature = input
        .temperature
        .as_ref()
        .map(batch::temperature)
        .transpose()
        .map_err(reject(i, "temperature"))?;
    Ok(Valid {
        key,
        checkpoint_name,
        checkpoint,
        direction,
        passed_at,
        who,
        destination,
        plate,
        from_place,
        risk_area,
        temperature,
    })
}

fn traveller_of(i: usize, traveller: &TravellerInput) -> Result<Who, Rejection> {
    let name = PersonName::parse(&traveller.name).map_err(bad(i, "traveller.name"))?;
    let kind = traveller
        .document_type
        .as_ref()
        .map(batch::choice)
        .transpose()
        .map_err(reject(i, "traveller.documentType"))?;
    let document = match (&traveller.document_number, kind) {
        (Some(number), kind) => Some(
            Document::parse(kind.unwrap_or(DocumentType::ResidentId), number)
                .map_err(bad(i, "traveller.documentNumber"))?,
        ),
        (None, Some(_)) => {
            return Err(reject(i, "traveller.documentNumber")(
                Problem::DocumentTypeWithoutNumber,
            ))
        }
        (None, None) => None,
    };
    let phone = traveller
        .phone
        .as_deref()
        .map(Phone::parse)
        .transpose()
        .map_err(bad(i, "traveller.phone"))?;
    Ok(Who::Traveller {
        name,
        document,
        phone,
    })
}

/// What an item resolved to: a person named by id (with where they live), a person linked
/// by the traveller's document (behind the scenes: the recorder is shown the traveller as
/// recorded, whoever they turn out to be), or nobody.
enum Resolved {
    Named {
        person_id: i64,
        residence: String,
    },
    Linked {
        person_id: i64,
    },
    /// The document is registered to someone of another name: kept unlinked, flagged for
    /// an agency that sees numbers in full.
    Conflict,
    Nobody,
}

impl Resolved {
    fn person_id(&self) -> Option<i64> {
        match self {
            Self::Named { person_id, .. } | Self::Linked { person_id } => Some(*person_id),
            Self::Conflict | Self::Nobody => None,
        }
    }
}

async fn record_in(
    txn: &DatabaseTransaction,
    actor: &Actor,
    keys: &[String],
    validated: &[Result<Valid, Rejection>],
) -> AppResult<Vec<ItemResult>> {
    let principal = &actor.principal;
    let subject = principal.subject.as_str();
    let valid: Vec<(usize, &Valid)> = validated
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_ref().ok().map(|v| (i, v)))
        .collect();
    // A key twice in the batch is answered by its first use.
    let mut submitted: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for (_, v) in &valid {
        submitted.entry(v.key.as_str()).or_insert(v.passed_at);
    }
    let mut earlier = find_by_keys(txn, subject, &submitted, submitted.keys().copied()).await?;

    // Two reads for the whole batch: persons named by id (in scope), persons by document.
    let ids: HashSet<i64> = valid
        .iter()
        .filter_map(|(_, v)| match v.who {
            Who::Person(id) => Some(id),
            _ => None,
        })
        .collect();
    let in_scope: HashMap<i64, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        person::Entity::find()
            .select_only()
            .column(person::Column::Id)
            .column(person::Column::ResidencePath)
            .filter(person::Column::Id.is_in(ids))
            .filter(scope::persons_in_jurisdiction(principal))
            .into_tuple::<(i64, String)>()
            .all(txn)
            .await?
            .into_iter()
            .collect()
    };
    let numbers: HashSet<&str> = valid
        .iter()
        .filter_map(|(_, v)| match &v.who {
            Who::Traveller {
                document: Some(document),
                ..
            } => Some(document.number()),
            _ => None,
        })
        .collect();
    let by_document: HashMap<(DocumentType, String), person::Model> = if numbers.is_empty() {
        HashMap::new()
    } else {
        person::Entity::find()
            .filter(person::Column::DocumentNumber.is_in(numbers))
            .filter(person::Column::MergedIntoId.is_null())
            .filter(person::Column::HeldForId.is_null())
            .all(txn)
            .await?
            .into_iter()
            .filter_map(|p| {
                let key = (p.document_type?, p.document_number.clone()?);
                Some((key, p))
            })
            .collect()
    };

    // Numbers that would test a masked resident's number once too often are refused alike.
    let documents: Vec<(usize, &Document)> = valid
        .iter()
        .filter(|(_, v)| !earlier.contains_key(v.key.as_str()))
        .filter_map(|(i, v)| match &v.who {
            Who::Traveller {
                document: Some(document),
                ..
            } => Some((*i, document)),
            _ => None,
        })
        .collect();
    let guessed = guesses::refused(txn, principal, &documents, guesses::Entry::Kept).await?;

    let now = Utc::now();
    // Where each person linked by document lives: their home is alerted too.
    let mut homes: HashMap<i64, String> = HashMap::new();
    let mut refused: HashMap<usize, Rejection> = HashMap::new();
    let mut planned: HashMap<&str, usize> = HashMap::new();
    let mut to_insert = Vec::new();
    for (i, v) in &valid {
        if earlier.contains_key(v.key.as_str()) || planned.contains_key(v.key.as_str()) {
            continue;
        }
        if guessed.contains(i) {
            refused.insert(
                *i,
                reject(*i, "traveller.documentNumber")(Problem::LookAlikeLimit),
            );
            continue;
        }
        let resolved = match &v.who {
            Who::Person(id) => match in_scope.get(id) {
                Some(residence) => Resolved::Named {
                    person_id: *id,
                    residence: residence.clone(),
                },
                None => {
                    // Never says whether the person exists outside one's jurisdiction.
                    refused.insert(*i, reject(*i, "person")(Problem::PersonNotFound));
                    continue;
                }
            },
            // Whatever the document turns out to be (unknown, someone of this name, someone
            // of another), the item is recorded alike and the recorder is told alike.
            Who::Traveller {
                name,
                document: Some(document),
                ..
            } => match by_document.get(&(document.kind(), document.number().to_owned())) {
                Some(known) if known.name != name.as_str() => Resolved::Conflict,
                Some(known) => {
                    homes.insert(known.id, known.residence_path.clone());
                    Resolved::Linked {
                        person_id: known.id,
                    }
                }
                None => Resolved::Nobody,
            },
            Who::Traveller { document: None, .. } | Who::Vehicle => Resolved::Nobody,
        };
        planned.insert(v.key.as_str(), *i);
        to_insert.push(row_of(v, resolved, principal, now));
    }

    // One insert; a key a concurrent submission just took is skipped, then read back.
    let inserted: Vec<checkpoint_entry::Model> =
        match checkpoint_entry::Entity::insert_many(to_insert)
            .on_conflict_do_nothing_on([
                checkpoint_entry::Column::RecordedBy,
                checkpoint_entry::Column::IdempotencyKey,
                checkpoint_entry::Column::PassedAt,
            ])
            .exec_with_returning_many(txn)
            .await?
        {
            TryInsertResult::Inserted(rows) => rows,
            TryInsertResult::Empty | TryInsertResult::Conflicted => Vec::new(),
        };
    let raced = batch::raced(
        planned.keys().copied(),
        inserted.iter().map(|e| e.idempotency_key.as_str()),
    );
    if !raced.is_empty() {
        earlier.extend(find_by_keys(txn, subject, &submitted, raced.into_iter()).await?);
    }

    let linked: Vec<i64> = inserted.iter().filter_map(|e| e.person_id).collect();
    persons::record_provenance(txn, &linked, principal, now).await?;
    let mut raised: Vec<NewAlert<'_>> = inserted.iter().filter_map(alert_for).collect();
    raised.extend(inserted.iter().filter_map(|entry| {
        let home = homes.get(&entry.person_id?)?;
        home_alert_for(entry, home)
    }));
    // A home inside the destination already has the destination's alert: keep only the
    // one naming the person (its viewers reach the person anyway).
    raised.retain(|alert| {
        alert.person_id.is_some()
            || !inserted.iter().any(|entry| {
                entry.id == alert.entity_id
                    && entry.traveller_name.is_some()
                    && entry
                        .person_id
                        .and_then(|id| homes.get(&id))
                        .is_some_and(|home| within_path(home, alert.org_path))
            })
    });
    alerts::raise(txn, raised).await?;
    let ids: Vec<i64> = inserted.iter().map(|e| e.id).collect();
    if !ids.is_empty() {
        actor
            .record_write(
                txn,
                "recordCheckpointEntries",
                "CheckpointEntry",
                &ids,
                None,
            )
            .await?;
    }
    Ok(batch::assemble(
        keys,
        validated,
        |v| v.key.as_str(),
        |e: &checkpoint_entry::Model| e.idempotency_key.as_str(),
        batch::Stored {
            inserted: &inserted,
            planned: &planned,
            earlier: &earlier,
        },
        |i, v, entry| batch::key_reused("entries", i, "CheckpointEntry", differences(v, entry)),
        |i, _| {
            refused
                .get(&i)
                .cloned()
                .unwrap_or_else(|| reject(i, "person")(Problem::PersonNotFound))
        },
    ))
}

/// The fields in which a passage differs from the one recorded under its key: a key sent
/// again with another passage is not a replay, or the new passage would be lost unseen. What
/// the server derives (the person a document links to, the risk area, the alerts) is not
/// the device's to differ.
fn differences(v: &Valid, entry: &checkpoint_entry::Model) -> Vec<&'static str> {
    let document = |d: &Document| (d.kind(), d.number().to_owned());
    let who: Vec<(&'static str, bool)> = match &v.who {
        Who::Person(id) => vec![(
            "person",
            entry.traveller_name.is_none() && entry.person_id == Some(*id),
        )],
        Who::Traveller {
            name,
            document: doc,
            phone,
        } => vec![
            (
                "traveller.name",
                entry.traveller_name.as_deref() == Some(name.as_str()),
            ),
            (
                "traveller.documentNumber",
                doc.as_ref().map(document)
                    == entry
                        .traveller_document_type
                        .zip(entry.traveller_document.clone()),
            ),
            (
                "traveller.phone",
                entry.traveller_phone.as_deref() == phone.as_ref().map(Phone::as_str),
            ),
        ],
        Who::Vehicle => vec![(
            if entry.traveller_name.is_some() {
                "traveller"
            } else {
                "person"
            },
            entry.traveller_name.is_none() && entry.person_id.is_none(),
        )],
    };
    [
        ("checkpointName", v.checkpoint_name == entry.checkpoint_name),
        ("checkpoint", v.checkpoint.id == entry.org_id),
        ("direction", v.direction == entry.direction),
        (
            "passedAt",
            // Rows stored before instants were kept to the microsecond may hold more.
            v.passed_at == entry.passed_at.trunc_subsecs(6),
        ),
    ]
    .into_iter()
    .chain(who)
    .chain([
        (
            "destination",
            v.destination.as_ref().map(|d| d.id) == entry.destination_org_id,
        ),
        ("vehiclePlate", v.plate == entry.vehicle_plate),
        ("fromPlace", v.from_place == entry.from_place),
        (
            "temperature",
            v.temperature.map(Temperature::tenths) == entry.temperature_decidegrees,
        ),
    ])
    .filter_map(|(field, same)| (!same).then_some(field))
    .collect()
}

/// The entries `subject` filed under `keys` at the instants `submitted` now.
async fn find_by_keys<'k>(
    txn: &DatabaseTransaction,
    subject: &str,
    submitted: &HashMap<&str, DateTime<Utc>>,
    keys: impl Iterator<Item = &'k str>,
) -> AppResult<HashMap<String, checkpoint_entry::Model>> {
    let keys: Vec<&str> = keys.collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(batch::by_key(
        checkpoint_entry::Entity::find()
            .filter(checkpoint_entry::Column::RecordedBy.eq(subject))
            .filter(checkpoint_entry::Column::IdempotencyKey.is_in(keys))
            .all(txn)
            .await?,
        |entry| entry.idempotency_key.as_str(),
        |entry| {
            submitted.get(entry.idempotency_key.as_str()) == Some(&entry.passed_at.trunc_subsecs(6))
        },
    ))
}

fn row_of(
    v: &Valid,
    resolved: Resolved,
    principal: &Principal,
    now: DateTime<Utc>,
) -> checkpoint_entry::ActiveModel {
    // Where the traveller was heading as recorded: the residence of a person named by id,
    // else the destination given, else the checkpoint's own unit. Never the home of a
    // person linked by document: the entry's place in lists and filters must not depend on
    // whom the document belongs to (that home reaches the entry through `person_id`).
    let destination_path = match &resolved {
        Resolved::Named { residence, .. } => residence.clone(),
        _ => v
            .destination
            .as_ref()
            .map_or_else(|| v.checkpoint.path.as_str(), |d| d.path.as_str())
            .to_owned(),
    };
    let (name, document, phone) = match &v.who {
        Who::Traveller {
            name,
            document,
            phone,
        } => (
            Some(name.as_str().to_owned()),
            document.clone(),
            phone.as_ref().map(|p| p.as_str().to_owned()),
        ),
        Who::Person(_) | Who::Vehicle => (None, None, None),
    };
    checkpoint_entry::ActiveModel {
        checkpoint_name: Set(v.checkpoint_name.clone()),
        org_id: Set(v.checkpoint.id),
        org_path: Set(v.checkpoint.path.as_str().to_owned()),
        direction: Set(v.direction),
        passed_at: Set(v.passed_at),
        person_id: Set(resolved.person_id()),
        identity_conflict: Set(matches!(resolved, Resolved::Conflict)),
        traveller_name: Set(name),
        traveller_document_type: Set(document.as_ref().map(Document::kind)),
        traveller_document: Set(document.map(|d| d.number().to_owned())),
        traveller_phone: Set(phone),
        vehicle_plate: Set(v.plate.clone()),
        from_place: Set(v.from_place.clone()),
        from_risk_area: Set(v.risk_area.is_some()),
        destination_org_id: Set(v.destination.as_ref().map(|d| d.id)),
        destination_path: Set(Some(destination_path)),
        temperature_decidegrees: Set(v.temperature.map(Temperature::tenths)),
        recorded_by: Set(principal.subject.clone()),
        recorded_by_agency: Set(principal.agency),
        idempotency_key: Set(v.key.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
}

/// A fever at any passage, or an arrival from a risk area, alerts the destination.
pub(crate) fn alert_for(entry: &checkpoint_entry::Model) -> Option<NewAlert<'_>> {
    let (kind, message) = alert_text(entry)?;
    Some(NewAlert {
        kind,
        // Only a person named by id: one linked by document is the home's business (the
        // alert below), and this alert must read the same whoever the document belongs to.
        person_id: entry.person_id.filter(|_| entry.traveller_name.is_none()),
        org_path: entry
            .destination_path
            .as_deref()
            .unwrap_or(entry.org_path.as_str()),
        entity_type: "CheckpointEntry",
        entity_id: entry.id,
        message,
    })
}

/// The same alert for the home of a person linked by document, behind the scenes.
fn home_alert_for<'e>(entry: &'e checkpoint_entry::Model, home: &'e str) -> Option<NewAlert<'e>> {
    let (kind, message) = alert_text(entry)?;
    Some(NewAlert {
        kind,
        person_id: entry.person_id,
        org_path: home,
        entity_type: "CheckpointEntry",
        entity_id: entry.id,
        message,
    })
}

/// `path` lies in the subtree of `unit` (both stored materialized paths).
fn within_path(path: &str, unit: &str) -> bool {
    path.starts_with(unit)
}

fn alert_text(entry: &checkpoint_entry::Model) -> Option<(AlertKind, crate::i18n::Msg)> {
    let temperature = entry
        .temperature_decidegrees
        .map(Temperature::from_tenths)
        .filter(|t| t.is_fever());
    let risky_arrival = entry.from_risk_area && entry.direction == Direction::Inbound;
    let place = entry.from_place.as_deref().unwrap_or("?");
    let (kind, message) = match (temperature, risky_arrival) {
        (Some(t), true) => (
            AlertKind::CheckpointFever,
            crate::msg!(
                "alert-checkpoint-fever-risk",
                temperature = t.to_string(),
                checkpoint = entry.checkpoint_name.clone(),
                place = place
            ),
        ),
        (Some(t), false) => (
            AlertKind::CheckpointFever,
            crate::msg!(
                "alert-checkpoint-fever",
                temperature = t.to_string(),
                checkpoint = entry.checkpoint_name.clone()
            ),
        ),
        (None, true) => (
            AlertKind::RiskAreaArrival,
            crate::msg!(
                "alert-risk-arrival",
                checkpoint = entry.checkpoint_name.clone(),
                place = place
            ),
        ),
        (None, false) => return None,
    };
    Some((kind, message))
}

#[derive(Debug, Default, Clone)]
pub struct EntryFilter {
    /// At a checkpoint in this unit or heading into it.
    pub org_unit: Option<Arc<OrgUnit>>,
    pub direction: Option<Direction>,
    pub from_risk_area: Option<bool>,
    pub fever: Option<bool>,
    pub passed_since: Option<DateTime<Utc>>,
    pub passed_before: Option<DateTime<Utc>>,
    pub person_id: Option<i64>,
    pub identity_conflict: Option<bool>,
}

/// One entry in reach.
pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<checkpoint_entry::Model> {
    access::require(
        &actor.principal,
        Data::CheckpointEntries,
        Access::Pseudonymized,
    )?;
    checkpoint_entry::Entity::find_by_id(id)
        .filter(scope::entries_in_reach(&actor.principal))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound {
            entity: "CheckpointEntry",
        })
}

/// Entries in reach, newest first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &EntryFilter,
    page: &PageRequest,
) -> AppResult<Page<checkpoint_entry::Model>> {
    access::require(
        &actor.principal,
        Data::CheckpointEntries,
        Access::Pseudonymized,
    )?;
    let rows = checkpoint_entry::Entity::find()
        .filter(
            condition(&actor.principal, filter).add(page.before_id(checkpoint_entry::Column::Id)?),
        )
        .order_by_desc(checkpoint_entry::Column::Id)
        .limit(page.first + 1)
        .all(&state.db)
        .await?;
    Ok(Page::from_overfetch(rows, page.first))
}

pub async fn count(state: &AppState, actor: &Actor, filter: &EntryFilter) -> AppResult<u64> {
    access::require(
        &actor.principal,
        Data::CheckpointEntries,
        Access::Pseudonymized,
    )?;
    Ok(checkpoint_entry::Entity::find()
        .filter(condition(&actor.principal, filter))
        .count(&state.db)
        .await?)
}

fn condition(principal: &Principal, filter: &EntryFilter) -> Condition {
    use checkpoint_entry::Column;
    let mut condition = Condition::all().add(scope::entries_in_reach(principal));
    if let Some(unit) = &filter.org_unit {
        condition = condition.add(scope::entries_touching(principal, &unit.path));
    }
    if let Some(direction) = filter.direction {
        condition = condition.add(Column::Direction.eq(direction));
    }
    if let Some(risk) = filter.from_risk_area {
        condition = condition.add(Column::FromRiskArea.eq(risk));
    }
    if let Some(fever) = filter.fever {
        let threshold = FEVER_THRESHOLD.tenths();
        condition = condition.add(if fever {
            Condition::all().add(Column::TemperatureDecidegrees.gte(threshold))
        } else {
            // No temperature taken is no fever.
            Condition::any()
                .add(Column::TemperatureDecidegrees.is_null())
                .add(Column::TemperatureDecidegrees.lt(threshold))
        });
    }
    if let Some(since) = filter.passed_since {
        condition = condition.add(Column::PassedAt.gte(since));
    }
    if let Some(before) = filter.passed_before {
        condition = condition.add(Column::PassedAt.lt(before));
    }
    if let Some(conflict) = filter.identity_conflict {
        condition = condition.add(Column::IdentityConflict.eq(conflict));
    }
    if let Some(person_id) = filter.person_id {
        // Only a person the principal reaches: an entry linked behind the scenes to someone
        // living elsewhere must not be found by trying their id.
        condition = condition
            .add(Column::PersonId.eq(person_id))
            .add(scope::about_residents(Column::PersonId, principal));
    }
    condition
}
