//! The agencies' joint work in the demo city, over the outbreak: tasks between agencies in
//! every state (one of them opened by an absconding), supply tasks for vulnerable residents
//! under home observation (and a few still without one), a week of checkpoint passages with
//! arrivals from the risk areas and fevers, a few persons recorded twice by different
//! agencies, and a week of daily reports that most communities confirmed. Deterministic for
//! a seed; dates are relative to today.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Days, Duration, FixedOffset, NaiveDate, Utc};
use entity::{
    alert, checkpoint_entry, daily_report, org_unit, person, person_provenance, quarantine, task,
    Agency, AlertKind, Direction, OrgLevel, QuarantineEnd, QuarantineKind, QuarantineReason, Sex,
    TaskKind, TaskPriority, TaskStatus,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::synthetic;
use crate::{
    access::policy,
    config::DEFAULT_RISK_AREAS,
    domain::{
        clock::Clock,
        daily_reports,
        values::{OrgPath, RiskAreas},
        vulnerability::Vulnerability,
    },
};

const SEED: u64 = 20_200_125;
/// The demo community operator's unit: left unconfirmed today so the demo user can confirm.
const DEMO_COMMUNITY: &str = "DEMO-01-01-01";
const CHECKPOINTS: [(&str, &str, Agency); 4] = [
    ("G60 云州东收费站", "DEMO-01-02", Agency::Police),
    ("云州火车站", "DEMO-02-01", Agency::Police),
    ("临湖高速出口", "DEMO-04-01", Agency::Police),
    ("幸福里社区东门", DEMO_COMMUNITY, Agency::Community),
];
const PLACES: [&str; 6] = ["澜海市", "青屿县", "白鹭市", "石门县", "东川市", "云州市"];
const PLATE_LETTERS: [char; 6] = ['A', 'B', 'C', 'D', 'F', 'H'];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JointSummary {
    pub tasks: usize,
    pub checkpoint_entries: usize,
    pub duplicate_pairs: usize,
    pub daily_reports: usize,
}

/// The org tree, by id and code.
struct Units {
    by_id: HashMap<i64, org_unit::Model>,
    by_code: HashMap<String, i64>,
}

impl Units {
    async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let rows = org_unit::Entity::find()
            .order_by_asc(org_unit::Column::Id)
            .all(db)
            .await?;
        Ok(Self {
            by_code: rows.iter().map(|u| (u.code.clone(), u.id)).collect(),
            by_id: rows.into_iter().map(|u| (u.id, u)).collect(),
        })
    }

    fn code(&self, code: &str) -> Result<&org_unit::Model, DbErr> {
        self.by_code
            .get(code)
            .and_then(|id| self.by_id.get(id))
            .ok_or_else(|| DbErr::Custom(format!("demo unit {code} missing")))
    }

    /// The unit `depth` levels down a stored path (1: city, 2: district, 3: street, ...).
    fn ancestor(&self, path: &str, depth: usize) -> Result<&org_unit::Model, DbErr> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .nth(depth - 1)
            .and_then(|id| id.parse::<i64>().ok())
            .and_then(|id| self.by_id.get(&id))
            .ok_or_else(|| DbErr::Custom(format!("no unit {depth} deep on {path}")))
    }

    fn of_level(&self, level: OrgLevel) -> Vec<&org_unit::Model> {
        let mut units: Vec<_> = self.by_id.values().filter(|u| u.level == level).collect();
        units.sort_by_key(|u| u.id);
        units
    }
}

/// Seeds the joint work; alerts it raises are appended to `alerts` (inserted by the caller
/// with the outbreak's, in the order they were raised).
pub async fn seed(
    db: &impl ConnectionTrait,
    today: NaiveDate,
    offset_hours: i64,
    alerts: &mut Vec<alert::ActiveModel>,
) -> Result<JointSummary, DbErr> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let units = Units::load(db).await?;
    let offset = FixedOffset::east_opt((offset_hours * 3600) as i32)
        .ok_or_else(|| DbErr::Custom("bad demo offset".into()))?;
    let clock = Clock {
        offset,
        skew: Duration::zero(),
    };
    let at = |date: NaiveDate, hour: i64| -> DateTime<Utc> {
        clock.day_bounds(date).0 + Duration::hours(hour)
    };
    let day = |back: u64| today.checked_sub_days(Days::new(back)).unwrap_or(today);
    let mut summary = JointSummary::default();

    let mut tasks = supplies_for_the_vulnerable(db, &units, day(2), &at, &mut rng).await?;
    tasks.extend(field_tasks(db, &units, &day, &at, alerts, &mut rng).await?);
    summary.tasks = tasks.len();
    for chunk in tasks.chunks(200) {
        task::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    summary.checkpoint_entries =
        checkpoint_passages(db, &units, &day, &at, alerts, &mut rng).await?;
    summary.duplicate_pairs = planted_duplicates(db, &units, &mut rng).await?;
    summary.daily_reports = confirmed_reports(db, &units, &clock, today, &at, &mut rng).await?;
    Ok(summary)
}

/// What a demo task looks like at each status: when accepted and closed, its version, and
/// the receiver's outcome note.
struct TaskSpec<'a> {
    kind: TaskKind,
    person: &'a person::Model,
    from: (Agency, &'a org_unit::Model),
    to: (Agency, &'a org_unit::Model),
    priority: TaskPriority,
    status: TaskStatus,
    created: DateTime<Utc>,
    due_in_hours: i64,
    note: &'static str,
    outcome: Option<&'static str>,
    source: Option<(&'static str, i64)>,
}

fn task_row(spec: TaskSpec<'_>) -> Result<task::ActiveModel, DbErr> {
    if !policy::may_send(spec.kind, spec.from.0, spec.to.0) {
        return Err(DbErr::Custom(format!(
            "demo task {} from {} to {} is not a route of the policy",
            spec.kind, spec.from.0, spec.to.0
        )));
    }
    let accepted = matches!(spec.status, TaskStatus::Accepted | TaskStatus::Done)
        .then(|| spec.created + Duration::minutes(40));
    let closed = matches!(
        spec.status,
        TaskStatus::Done | TaskStatus::Rejected | TaskStatus::Cancelled
    )
    .then(|| (spec.created + Duration::hours(5)).min(Utc::now()));
    let version = match spec.status {
        TaskStatus::Open => 1,
        TaskStatus::Accepted | TaskStatus::Rejected | TaskStatus::Cancelled => 2,
        TaskStatus::Done => 3,
    };
    Ok(task::ActiveModel {
        kind: Set(spec.kind),
        person_id: Set(spec.person.id),
        from_agency: Set(spec.from.0),
        from_org_id: Set(spec.from.1.id),
        from_path: Set(spec.from.1.path.clone()),
        from_subject: Set(format!("demo-{}", spec.from.0.to_string().to_lowercase())),
        to_agency: Set(spec.to.0),
        to_org_id: Set(spec.to.1.id),
        to_path: Set(spec.to.1.path.clone()),
        priority: Set(spec.priority),
        status: Set(spec.status),
        due_at: Set(Some(spec.created + Duration::hours(spec.due_in_hours))),
        note: Set(Some(spec.note.to_owned())),
        outcome_note: Set(spec.outcome.map(str::to_owned)),
        source_entity_type: Set(spec.source.map(|s| s.0.to_owned())),
        source_entity_id: Set(spec.source.map(|s| s.1)),
        accepted_at: Set(accepted),
        closed_at: Set(closed),
        version: Set(version),
        created_at: Set(spec.created),
        updated_at: Set(closed.or(accepted).unwrap_or(spec.created)),
        ..Default::default()
    })
}

/// Vulnerable residents under home observation: most have a DELIVER_SUPPLIES task with
/// civil affairs of their street (as the flow opens it), a few do not yet (the gap
/// `vulnerablePersons` shows). Two residents of the demo community are planted so its users
/// see both.
async fn supplies_for_the_vulnerable(
    db: &impl ConnectionTrait,
    units: &Units,
    started: NaiveDate,
    at: &impl Fn(NaiveDate, i64) -> DateTime<Utc>,
    rng: &mut StdRng,
) -> Result<Vec<task::ActiveModel>, DbErr> {
    // Plant: two residents of the demo community, flagged and isolated at home.
    let community = units.code(DEMO_COMMUNITY)?;
    let busy: HashSet<i64> = quarantine::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|q| q.person_id)
        .collect();
    let candidates: Vec<person::Model> = person::Entity::find()
        .filter(person::Column::ResidencePath.starts_with(community.path.as_str()))
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|p| !busy.contains(&p.id))
        .take(2)
        .collect();
    for (i, resident) in candidates.iter().enumerate() {
        let flags = if i == 0 {
            [
                Vulnerability::ElderlyLivingAlone,
                Vulnerability::ChronicIllness,
            ]
        } else {
            [Vulnerability::Disabled, Vulnerability::LowIncome]
        };
        person::Entity::update(person::ActiveModel {
            id: Set(resident.id),
            vulnerabilities: Set(Vulnerability::to_bits(&flags)),
            vulnerability_note: Set(Some(
                if i == 0 {
                    "独居，子女在外地"
                } else {
                    "行动不便，需送药上门"
                }
                .to_owned(),
            )),
            version: Set(resident.version + 1),
            ..Default::default()
        })
        .exec(db)
        .await?;
        quarantine::Entity::insert(quarantine::ActiveModel {
            person_id: Set(resident.id),
            kind: Set(QuarantineKind::Home),
            site: Set(None),
            reason: Set(QuarantineReason::RiskAreaArrival),
            reason_note: Set(Some("自澜海市返回".into())),
            contact_id: Set(None),
            start_date: Set(started),
            planned_end_date: Set(started + Days::new(14)),
            is_active: Set(true),
            ended_at: Set(None),
            end_kind: Set(None),
            release_notice_no: Set(None),
            end_note: Set(None),
            needs: Set(Some("每日代购蔬菜，每周送药".into())),
            ordered_by_org_id: Set(resident.residence_org_id),
            version: Set(1),
            created_at: Set(at(started, 9)),
            updated_at: Set(at(started, 9)),
            created_by_agency: Set(Agency::Community),
            created_by: Set("demo-community-1".into()),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    // Every vulnerable resident at home under observation; every fourth has no task yet.
    let isolated = quarantine::Entity::find()
        .filter(quarantine::Column::IsActive.eq(true))
        .filter(quarantine::Column::Kind.eq(QuarantineKind::Home))
        .find_also_related(person::Entity)
        .order_by_asc(quarantine::Column::Id)
        .all(db)
        .await?;
    let planted: HashSet<i64> = candidates.iter().map(|p| p.id).collect();
    let mut tasks = Vec::new();
    for (n, (q, resident)) in isolated.iter().enumerate() {
        let Some(resident) = resident.as_ref().filter(|p| p.vulnerabilities != 0) else {
            continue;
        };
        // The second planted resident is the demo community's gap.
        let gap = if planted.contains(&resident.id) {
            candidates.get(1).map(|p| p.id) == Some(resident.id)
        } else {
            n % 4 == 3
        };
        if gap {
            continue;
        }
        let status = [TaskStatus::Open, TaskStatus::Accepted, TaskStatus::Accepted][n % 3];
        let created = q.created_at + Duration::minutes(rng.random_range(5..30));
        tasks.push(task_row(TaskSpec {
            kind: TaskKind::DeliverSupplies,
            person: resident,
            from: (
                Agency::Community,
                units.ancestor(&resident.residence_path, 4)?,
            ),
            to: (
                Agency::CivilAffairs,
                units.ancestor(&resident.residence_path, 3)?,
            ),
            priority: TaskPriority::High,
            status,
            created,
            due_in_hours: 24,
            note: "居家隔离的困难群众：请保障生活物资和药品",
            outcome: None,
            source: Some(("Quarantine", q.id)),
        })?);
    }
    Ok(tasks)
}

/// A demo task's kind, sender, receiver, status, note and outcome.
type Route = (
    TaskKind,
    Agency,
    Agency,
    TaskStatus,
    &'static str,
    Option<&'static str>,
);

/// In each district, one task of each route in one state or another (every state appears),
/// a few overdue; and one absconding, with its alert and the ENFORCE_ISOLATION task.
async fn field_tasks(
    db: &impl ConnectionTrait,
    units: &Units,
    day: &impl Fn(u64) -> NaiveDate,
    at: &impl Fn(NaiveDate, i64) -> DateTime<Utc>,
    alerts: &mut Vec<alert::ActiveModel>,
    rng: &mut StdRng,
) -> Result<Vec<task::ActiveModel>, DbErr> {
    use TaskKind as K;
    use TaskStatus as S;
    let routes: [Route; 7] = [
        (
            K::LocatePerson,
            Agency::Health,
            Agency::Police,
            S::Open,
            "密接人员电话无法接通，请协查下落",
            None,
        ),
        (
            K::LocatePerson,
            Agency::Community,
            Agency::Police,
            S::Done,
            "返乡人员未按要求报备，请协助找到",
            Some("已找到，已送返居家隔离"),
        ),
        (
            K::VerifyIdentity,
            Agency::CivilAffairs,
            Agency::Police,
            S::Rejected,
            "申领救助人员身份存疑，请核实",
            Some("证件信息不足，请补充后再发"),
        ),
        (
            K::MedicalVisit,
            Agency::Community,
            Agency::Health,
            S::Accepted,
            "居家隔离人员自述胸闷，请上门诊视",
            None,
        ),
        (
            K::PlaceUnderObservation,
            Agency::Police,
            Agency::Community,
            S::Open,
            "卡口查获的风险地区来人，请落实居家观察",
            None,
        ),
        (
            K::TransferToHospital,
            Agency::Community,
            Agency::Health,
            S::Done,
            "隔离人员发热不退，请安排转运",
            Some("已由120转运至定点医院"),
        ),
        (
            K::MedicalVisit,
            Agency::Police,
            Agency::Health,
            S::Cancelled,
            "留置人员身体不适",
            None,
        ),
    ];
    let mut tasks = Vec::new();
    for district in units.of_level(OrgLevel::District) {
        // Subjects: residents of the district, those of its first community (the demo
        // community in 江北区) first.
        let community = units.code(&format!("{}-01-01", district.code))?;
        let mut residents = person::Entity::find()
            .filter(person::Column::ResidencePath.starts_with(district.path.as_str()))
            .filter(person::Column::Vulnerabilities.eq(0))
            .order_by_desc(person::Column::Id)
            .all(db)
            .await?;
        residents.sort_by_key(|p| !p.residence_path.starts_with(community.path.as_str()));
        for (i, (kind, from, to, status, note, outcome)) in routes.iter().enumerate() {
            let Some(subject) = residents.get(i) else {
                break;
            };
            let unit_of = |agency: Agency| -> Result<&org_unit::Model, DbErr> {
                match agency {
                    Agency::Police | Agency::Health => units.ancestor(&subject.residence_path, 2),
                    Agency::CivilAffairs => units.ancestor(&subject.residence_path, 3),
                    _ => units.ancestor(&subject.residence_path, 4),
                }
            };
            let created = at(day(rng.random_range(0..4)), rng.random_range(8..12));
            tasks.push(task_row(TaskSpec {
                kind: *kind,
                person: subject,
                from: (*from, unit_of(*from)?),
                to: (*to, unit_of(*to)?),
                priority: if i % 3 == 0 {
                    TaskPriority::High
                } else {
                    TaskPriority::Normal
                },
                status: *status,
                created,
                // Open ones made long ago are overdue.
                due_in_hours: if i % 2 == 0 { 4 } else { 72 },
                note,
                outcome: *outcome,
                source: None,
            })?);
        }
    }
    // An absconding yesterday in the demo community's district: the observation ends early,
    // the community is alerted, and the district police take the ENFORCE_ISOLATION task.
    let district = units.code("DEMO-01")?;
    let absconded = quarantine::Entity::find()
        .filter(quarantine::Column::IsActive.eq(true))
        .find_also_related(person::Entity)
        .filter(person::Column::ResidencePath.starts_with(district.path.as_str()))
        .filter(person::Column::Vulnerabilities.eq(0))
        .order_by_asc(quarantine::Column::Id)
        .one(db)
        .await?;
    if let Some((q, Some(resident))) = absconded {
        let ended = at(day(1), 21);
        quarantine::Entity::update(quarantine::ActiveModel {
            id: Set(q.id),
            is_active: Set(false),
            ended_at: Set(Some(ended)),
            end_kind: Set(Some(QuarantineEnd::Absconded)),
            end_note: Set(Some("晚间巡查发现不在家，电话关机".into())),
            version: Set(q.version + 1),
            updated_at: Set(ended),
            ..Default::default()
        })
        .exec(db)
        .await?;
        alerts.push(alert::ActiveModel {
            kind: Set(AlertKind::QuarantineEndedEarly),
            person_id: Set(Some(resident.id)),
            org_path: Set(resident.residence_path.clone()),
            entity_type: Set("Quarantine".into()),
            entity_id: Set(q.id),
            message: Set(crate::msg!("alert-observation-ended", outcome = "ABSCONDED").to_stored()),
            created_at: Set(ended),
            ..Default::default()
        });
        tasks.push(task_row(TaskSpec {
            kind: TaskKind::EnforceIsolation,
            person: &resident,
            from: (
                Agency::Community,
                units.ancestor(&resident.residence_path, 4)?,
            ),
            to: (Agency::Police, units.ancestor(&resident.residence_path, 2)?),
            priority: TaskPriority::Urgent,
            status: TaskStatus::Accepted,
            created: ended,
            due_in_hours: 2,
            note: "居家隔离人员擅自离开，请协助查找并送返",
            outcome: None,
            source: Some(("Quarantine", q.id)),
        })?);
    }
    Ok(tasks)
}

/// A week of passages at three police checkpoints and one compound gate: residents coming
/// and going, travellers from elsewhere, some from the risk areas, a few with a fever; each
/// risky arrival or fever alerts the destination.
async fn checkpoint_passages(
    db: &impl ConnectionTrait,
    units: &Units,
    day: &impl Fn(u64) -> NaiveDate,
    at: &impl Fn(NaiveDate, i64) -> DateTime<Utc>,
    alerts: &mut Vec<alert::ActiveModel>,
    rng: &mut StdRng,
) -> Result<usize, DbErr> {
    let risk_areas = RiskAreas::parse(DEFAULT_RISK_AREAS);
    let residents = person::Entity::find()
        .filter(person::Column::DocumentNumber.is_not_null())
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    let grids = units.of_level(OrgLevel::Grid);
    if residents.is_empty() || grids.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let mut entries = Vec::new();
    for back in (0..7).rev() {
        let date = day(back);
        for (name, code, agency) in CHECKPOINTS {
            let checkpoint = units.code(code)?;
            for _ in 0..rng.random_range(6..11) {
                let passed =
                    at(date, rng.random_range(7..22)) + Duration::minutes(rng.random_range(0..60));
                let inbound = rng.random_bool(0.7);
                let place = inbound.then(|| PLACES[rng.random_range(0..PLACES.len())]);
                let fever = rng.random_bool(0.03);
                let registered = rng.random_bool(0.5);
                let mut entry = checkpoint_entry::ActiveModel {
                    checkpoint_name: Set(name.to_owned()),
                    org_id: Set(checkpoint.id),
                    org_path: Set(checkpoint.path.clone()),
                    direction: Set(if inbound {
                        Direction::Inbound
                    } else {
                        Direction::Outbound
                    }),
                    passed_at: Set(passed),
                    person_id: Set(None),
                    traveller_name: Set(None),
                    traveller_document_type: Set(None),
                    traveller_document: Set(None),
                    traveller_phone: Set(None),
                    vehicle_plate: Set(rng.random_bool(0.5).then(|| plate(rng))),
                    from_place: Set(place.map(str::to_owned)),
                    destination_org_id: Set(None),
                    destination_path: Set(None),
                    from_risk_area: Set(place.is_some_and(|p| risk_areas.area_of(p).is_some())),
                    temperature_decidegrees: Set(Some(if fever {
                        rng.random_range(373..386)
                    } else {
                        rng.random_range(358..372)
                    })),
                    recorded_by: Set(format!("demo-{}-1", agency.to_string().to_lowercase())),
                    recorded_by_agency: Set(agency),
                    idempotency_key: Set(format!("demo-cp-{}", entries.len() + 1)),
                    created_at: Set(passed),
                    ..Default::default()
                };
                if registered {
                    let resident = &residents[rng.random_range(0..residents.len())];
                    entry.person_id = Set(Some(resident.id));
                    entry.destination_org_id = Set(Some(resident.residence_org_id));
                    entry.destination_path = Set(Some(resident.residence_path.clone()));
                } else {
                    let sex = if rng.random_bool(0.5) {
                        Sex::Male
                    } else {
                        Sex::Female
                    };
                    let grid = grids[rng.random_range(0..grids.len())];
                    entry.traveller_name = Set(Some(synthetic::name(rng, sex)));
                    entry.traveller_phone = Set(Some(format!(
                        "139{:08}",
                        rng.random_range(0..100_000_000u32)
                    )));
                    entry.destination_org_id = Set(Some(grid.id));
                    entry.destination_path = Set(Some(grid.path.clone()));
                }
                // Later today's passages are drawn too (and left out), so that the rest
                // of the demo is the same at whatever time of day it is seeded.
                if passed <= now {
                    entries.push(entry);
                }
            }
        }
    }
    let mut count = 0;
    for chunk in entries.chunks(200) {
        let inserted = checkpoint_entry::Entity::insert_many(chunk.to_vec())
            .exec_with_returning(db)
            .await?;
        count += inserted.len();
        for entry in inserted {
            let fever = entry.temperature_decidegrees.is_some_and(|t| t >= 373);
            let risky = entry.from_risk_area && entry.direction == Direction::Inbound;
            if !fever && !risky {
                continue;
            }
            let place = entry.from_place.clone().unwrap_or_default();
            alerts.push(alert::ActiveModel {
                kind: Set(if fever {
                    AlertKind::CheckpointFever
                } else {
                    AlertKind::RiskAreaArrival
                }),
                person_id: Set(entry.person_id),
                org_path: Set(entry
                    .destination_path
                    .clone()
                    .unwrap_or(entry.org_path.clone())),
                entity_type: Set("CheckpointEntry".into()),
                entity_id: Set(entry.id),
                message: Set(if fever {
                    crate::msg!(
                        "alert-checkpoint-fever-plain",
                        checkpoint = entry.checkpoint_name.clone()
                    )
                } else {
                    crate::msg!(
                        "alert-risk-arrival",
                        checkpoint = entry.checkpoint_name.clone(),
                        place = place
                    )
                }
                .to_stored()),
                created_at: Set(entry.passed_at),
                ..Default::default()
            });
        }
    }
    Ok(count)
}

fn plate(rng: &mut StdRng) -> String {
    format!(
        "云{}{:05}",
        PLATE_LETTERS[rng.random_range(0..PLATE_LETTERS.len())],
        rng.random_range(0..100_000u32)
    )
}

/// Four residents recorded a second time, without a document, by another agency's channel:
/// two with the same name and phone, two with the same name and birth date. Two of them live
/// in the demo community, so its users find them with `possibleDuplicates`.
async fn planted_duplicates(
    db: &impl ConnectionTrait,
    units: &Units,
    rng: &mut StdRng,
) -> Result<usize, DbErr> {
    let complete = || {
        person::Entity::find()
            .filter(person::Column::DocumentNumber.is_not_null())
            .filter(person::Column::Phone.is_not_null())
            .filter(person::Column::BirthDate.is_not_null())
    };
    let community = units.code(DEMO_COMMUNITY)?;
    let mut originals = complete()
        .filter(person::Column::ResidencePath.starts_with(community.path.as_str()))
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    originals.truncate(2);
    originals.extend(
        complete()
            .order_by_desc(person::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .take(2),
    );
    let now = Utc::now();
    let mut planted = 0;
    for (i, original) in originals.iter().enumerate() {
        let same_phone = i % 2 == 0;
        let agency = if same_phone {
            Agency::Police
        } else {
            Agency::Health
        };
        let twin = person::Entity::insert(person::ActiveModel {
            document_type: Set(None),
            document_number: Set(None),
            name: Set(original.name.clone()),
            sex: Set(original.sex),
            birth_date: Set(if same_phone {
                None
            } else {
                original.birth_date
            }),
            phone: Set(if same_phone {
                original.phone.clone()
            } else {
                Some(format!("138{:08}", rng.random_range(0..100_000_000u32)))
            }),
            address: Set(original.address.clone().map(|a| format!("{a}（自述）"))),
            residence_org_id: Set(original.residence_org_id),
            residence_path: Set(original.residence_path.clone()),
            vulnerabilities: Set(0),
            vulnerability_note: Set(None),
            merged_into_id: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            created_by_agency: Set(agency),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await?;
        person_provenance::Entity::insert(person_provenance::ActiveModel {
            person_id: Set(twin.id),
            agency: Set(agency),
            first_reported_at: Set(now),
            last_reported_at: Set(now),
            last_reported_by: Set("demo-seed".to_owned()),
            report_count: Set(1),
            ..Default::default()
        })
        .exec(db)
        .await?;
        planted += 1;
    }
    Ok(planted)
}

/// The last seven days confirmed by nearly every community (two days missed here and
/// there), and today by two communities in three, not yet by the demo community. Each
/// confirmation holds the figures as computed now, so none shows as changed.
async fn confirmed_reports(
    db: &impl ConnectionTrait,
    units: &Units,
    clock: &Clock,
    today: NaiveDate,
    at: &impl Fn(NaiveDate, i64) -> DateTime<Utc>,
    rng: &mut StdRng,
) -> Result<usize, DbErr> {
    let now = Utc::now();
    let mut rows = Vec::new();
    for (n, community) in units.of_level(OrgLevel::Community).into_iter().enumerate() {
        let path = OrgPath::parse(&community.path)
            .ok_or_else(|| DbErr::Custom(format!("bad path {}", community.path)))?;
        for back in 0..=7u64 {
            let date = today.checked_sub_days(Days::new(back)).unwrap_or(today);
            let confirmed = match back {
                0 => n % 3 != 0 && community.code != DEMO_COMMUNITY,
                _ => !(n as u64 + back).is_multiple_of(13),
            };
            if !confirmed {
                continue;
            }
            let figures = daily_reports::figures(db, clock, &path, date)
                .await
                .map_err(|e| DbErr::Custom(format!("demo daily report: {e}")))?;
            let note = match (figures.new_cases(), figures.fevers) {
                (0, 0) => "平安无事",
                (0, _) => "发热人员已上报，已复测",
                _ => "新增病例已配合流调",
            };
            let confirmed_at = (at(date, 20) + Duration::minutes(rng.random_range(0..90))).min(now);
            rows.push(daily_report::ActiveModel {
                org_id: Set(community.id),
                org_path: Set(community.path.clone()),
                report_date: Set(date),
                figures: Set(
                    serde_json::to_value(&figures).map_err(|e| DbErr::Custom(e.to_string()))?
                ),
                note: Set(Some(note.to_owned())),
                confirmed_at: Set(confirmed_at),
                confirmed_by: Set(format!("demo-community-{}", community.code.to_lowercase())),
                version: Set(1),
                created_at: Set(confirmed_at),
                updated_at: Set(confirmed_at),
                ..Default::default()
            });
        }
    }
    let count = rows.len();
    for chunk in rows.chunks(200) {
        daily_report::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(count)
}
