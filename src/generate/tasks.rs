//! The agencies' tasks over the outbreak, each on a route of the policy's `TASK_ROUTES`:
//! supplies for vulnerable residents observed at home (a fifth still without, the gap
//! `vulnerablePersons` shows), the police sent after everyone who absconded, transfers to
//! hospital, medical visits for fevers, observation for arrivals from the risk areas,
//! contacts to locate and identities to verify. Older tasks are mostly done; recent ones
//! open or accepted; some rejected or cancelled.

use chrono::{DateTime, Duration, Utc};
use entity::{
    task, Agency, Direction, QuarantineEnd, QuarantineKind, QuarantineReason, TaskKind,
    TaskPriority, TaskStatus,
};
use rand::{rngs::StdRng, Rng};

use super::{
    outbreak::{minutes, Outbreak},
    residents::Residents,
    subject,
    tree::Place,
    GenerateError, World,
};
use crate::access::policy;

/// What a task asks of whom, and how it is meant to have gone.
struct Spec<'a> {
    kind: TaskKind,
    person_id: i64,
    from: (Agency, &'a Place),
    to: (Agency, &'a Place),
    priority: TaskPriority,
    created: DateTime<Utc>,
    due_in: Duration,
    note: &'static str,
    /// The status it would have reached by now, given time: earlier steps when not.
    aim: TaskStatus,
    /// The receiver's note on DONE or REJECTED, the sender's on CANCELLED.
    outcome: &'static str,
    source: Option<(&'static str, i64)>,
}

fn task(
    spec: Spec<'_>,
    rng: &mut StdRng,
    as_of: DateTime<Utc>,
) -> Result<task::Model, GenerateError> {
    if !policy::may_send(spec.kind, spec.from.0, spec.to.0) {
        return Err(GenerateError::Invalid(format!(
            "a {} task from {} to {} is not a route of the policy",
            spec.kind, spec.from.0, spec.to.0
        )));
    }
    let accepted = spec.created + minutes(rng, 10..180);
    let done = accepted + minutes(rng, 60..20 * 60);
    let refused = spec.created + minutes(rng, 20..240);
    // Each step happens only if its time has come.
    let (status, accepted_at, closed_at, version) = match spec.aim {
        TaskStatus::Done if done <= as_of => (TaskStatus::Done, Some(accepted), Some(done), 3),
        TaskStatus::Done | TaskStatus::Accepted if accepted <= as_of => {
            (TaskStatus::Accepted, Some(accepted), None, 2)
        }
        TaskStatus::Rejected | TaskStatus::Cancelled if refused <= as_of => {
            (spec.aim, None, Some(refused), 2)
        }
        _ => (TaskStatus::Open, None, None, 1),
    };
    let closed = matches!(
        status,
        TaskStatus::Done | TaskStatus::Rejected | TaskStatus::Cancelled
    );
    Ok(task::Model {
        id: 0,
        kind: spec.kind,
        person_id: spec.person_id,
        from_agency: spec.from.0,
        from_org_id: spec.from.1.id,
        from_path: spec.from.1.path.clone(),
        from_subject: subject(spec.from.0, &spec.from.1.code),
        to_agency: spec.to.0,
        to_org_id: spec.to.1.id,
        to_path: spec.to.1.path.clone(),
        priority: spec.priority,
        status,
        due_at: Some(spec.created + spec.due_in),
        note: Some(spec.note.to_owned()),
        outcome_note: closed.then(|| spec.outcome.to_owned()),
        source_entity_type: spec.source.map(|s| s.0.to_owned()),
        source_entity_id: spec.source.map(|s| s.1),
        accepted_at,
        closed_at,
        version,
        created_at: spec.created,
        updated_at: closed_at.or(accepted_at).unwrap_or(spec.created),
    })
}

/// A status by weight.
fn aim(rng: &mut StdRng, weights: &[(TaskStatus, u32)]) -> TaskStatus {
    let total: u32 = weights.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (status, weight) in weights {
        if roll < *weight {
            return *status;
        }
        roll -= weight;
    }
    TaskStatus::Open
}

/// The unit an agency works a person's case from: the community, civil affairs at the
/// street office, health and police at the district.
fn unit_of<'t>(world: &World<'t>, person_id: i64, agency: Agency) -> &'t Place {
    let tree = world.tree;
    match agency {
        Agency::Community => &tree.communities[world.community_of(person_id)],
        Agency::CivilAffairs => &tree.streets[world.street_of(person_id)],
        _ => &tree.districts[world.district_of(person_id)],
    }
}

pub fn tasks(
    world: &World<'_>,
    outbreak: &Outbreak,
    entries: &[entity::checkpoint_entry::Model],
    rng: &mut StdRng,
) -> Result<Vec<task::Model>, GenerateError> {
    use TaskStatus::{Accepted, Cancelled, Done, Open, Rejected};
    let as_of = world.calendar.as_of;
    let tree = world.tree;
    let old = |at: DateTime<Utc>| as_of - at > Duration::days(1);
    let mut tasks = Vec::new();

    for q in &outbreak.quarantines {
        let person = q.person_id;
        let orderer = (
            q.created_by_agency,
            unit_of(world, person, q.created_by_agency),
        );
        let vulnerable = world.residents.people[(person - 1) as usize].vulnerabilities != 0;
        // Observing a vulnerable resident at home opens the supplies task at once.
        if q.kind == QuarantineKind::Home && vulnerable && !rng.random_bool(0.2) {
            let weights: &[(TaskStatus, u32)] = match (q.is_active, old(q.created_at)) {
                (false, _) => &[(Done, 90), (Cancelled, 10)],
                (true, true) => &[(Accepted, 50), (Done, 40), (Open, 10)],
                (true, false) => &[(Open, 50), (Accepted, 50)],
            };
            tasks.push(task(
                Spec {
                    kind: TaskKind::DeliverSupplies,
                    person_id: person,
                    from: orderer,
                    to: (
                        Agency::CivilAffairs,
                        unit_of(world, person, Agency::CivilAffairs),
                    ),
                    priority: TaskPriority::Normal,
                    created: q.created_at,
                    due_in: Duration::hours(24),
                    note: "Home observation of a vulnerable resident: deliver living supplies",
                    aim: aim(rng, weights),
                    outcome: "物资已送达，每周两次",
                    source: Some(("Quarantine", q.id)),
                },
                rng,
                as_of,
            )?);
        }
        let Some(ended) = q.ended_at else { continue };
        match q.end_kind {
            // Whoever left observation is the district police's to find and return.
            Some(QuarantineEnd::Absconded) => {
                let weights: &[(TaskStatus, u32)] = if old(ended) {
                    &[(Done, 70), (Accepted, 30)]
                } else {
                    &[(Accepted, 70), (Open, 30)]
                };
                tasks.push(task(
                    Spec {
                        kind: TaskKind::EnforceIsolation,
                        person_id: person,
                        from: orderer,
                        to: (Agency::Police, unit_of(world, person, Agency::Police)),
                        priority: TaskPriority::Urgent,
                        created: ended,
                        due_in: Duration::hours(2),
                        note: "Left medical observation without permission: locate and return",
                        aim: aim(rng, weights),
                        outcome: "已找到并送返隔离地点",
                        source: Some(("Quarantine", q.id)),
                    },
                    rng,
                    as_of,
                )?);
            }
            Some(QuarantineEnd::TransferredToHospital) if q.kind == QuarantineKind::Home => {
                let created = (ended - minutes(rng, 30..120)).max(q.created_at);
                tasks.push(task(
                    Spec {
                        kind: TaskKind::TransferToHospital,
                        person_id: person,
                        from: orderer,
                        to: (Agency::Health, unit_of(world, person, Agency::Health)),
                        priority: TaskPriority::Urgent,
                        created,
                        due_in: Duration::hours(2),
                        note: "居家隔离人员核酸阳性，请安排转运",
                        aim: Done,
                        outcome: "已由120转运至定点医院",
                        source: Some(("Quarantine", q.id)),
                    },
                    rng,
                    as_of,
                )?);
            }
            _ => {}
        }
    }

    // A medical visit for the first fever of someone observed at home.
    let mut visited = std::collections::HashSet::new();
    for check in outbreak.checks.iter().filter(|c| c.fever) {
        let Some(q) = check
            .quarantine_id
            .map(|id| &outbreak.quarantines[(id - 1) as usize])
        else {
            continue;
        };
        if q.kind != QuarantineKind::Home || !visited.insert(q.id) || rng.random_bool(0.3) {
            continue;
        }
        let created = check.created_at + minutes(rng, 10..60);
        if created > as_of {
            continue;
        }
        let weights: &[(TaskStatus, u32)] = if old(created) {
            &[(Done, 85), (Rejected, 5), (Cancelled, 10)]
        } else {
            &[(Open, 40), (Accepted, 60)]
        };
        let status = aim(rng, weights);
        tasks.push(task(
            Spec {
                kind: TaskKind::MedicalVisit,
                person_id: check.person_id,
                from: (
                    Agency::Community,
                    unit_of(world, check.person_id, Agency::Community),
                ),
                to: (
                    Agency::Health,
                    unit_of(world, check.person_id, Agency::Health),
                ),
                priority: TaskPriority::High,
                created,
                due_in: Duration::hours(12),
                note: "居家隔离人员发热，请上门诊视",
                aim: status,
                outcome: match status {
                    Rejected => "已转发热门诊，无需上门",
                    Cancelled => "复测体温正常",
                    _ => "已上门诊视，建议继续观察",
                },
                source: Some(("HealthCheck", check.id)),
            },
            rng,
            as_of,
        )?);
    }

    // Arrivals from a risk area: the police ask the community to observe them; most are
    // (those observed for it), some have left the city again.
    let observed: std::collections::HashSet<i64> = outbreak
        .quarantines
        .iter()
        .filter(|q| q.reason == QuarantineReason::RiskAreaArrival)
        .map(|q| q.person_id)
        .collect();
    for entry in entries {
        let Some(person) = entry.person_id else {
            continue;
        };
        if !entry.from_risk_area || entry.direction != Direction::Inbound {
            continue;
        }
        let created = world
            .calendar
            .no_later_than_now(entry.created_at + minutes(rng, 10..30));
        let (status, outcome) = if observed.contains(&person) {
            (Done, "已落实居家观察")
        } else {
            let status = aim(rng, &[(Open, 50), (Rejected, 30), (Accepted, 20)]);
            (status, "该人员已离开本市")
        };
        let checkpoint_district = tree.district_of_unit(entry.org_id);
        tasks.push(task(
            Spec {
                kind: TaskKind::PlaceUnderObservation,
                person_id: person,
                from: (Agency::Police, &tree.districts[checkpoint_district]),
                to: (Agency::Community, unit_of(world, person, Agency::Community)),
                priority: TaskPriority::High,
                created,
                due_in: Duration::hours(12),
                note: "卡口查获的风险地区来人，请落实居家观察",
                aim: status,
                outcome,
                source: Some(("CheckpointEntry", entry.id)),
            },
            rng,
            as_of,
        )?);
    }

    // Contacts the health side cannot reach: the police locate them.
    for contact in &outbreak.contacts {
        if !rng.random_bool(0.05) {
            continue;
        }
        let created = contact.created_at + minutes(rng, 30..600);
        if created > as_of {
            continue;
        }
        let weights: &[(TaskStatus, u32)] = if old(created) {
            &[(Done, 75), (Rejected, 10), (Cancelled, 15)]
        } else {
            &[(Open, 50), (Accepted, 50)]
        };
        let status = aim(rng, weights);
        let tracer = tree.district_of_unit(contact.traced_by_org_id);
        tasks.push(task(
            Spec {
                kind: TaskKind::LocatePerson,
                person_id: contact.person_id,
                from: (Agency::Health, &tree.districts[tracer]),
                to: (
                    Agency::Police,
                    unit_of(world, contact.person_id, Agency::Police),
                ),
                priority: TaskPriority::High,
                created,
                due_in: Duration::hours(24),
                note: "密接人员电话无法接通，请协查下落",
                aim: status,
                outcome: match status {
                    Rejected => "号码为空号，信息不足",
                    Cancelled => "已联系上本人",
                    _ => "已找到，已告知居家观察",
                },
                source: Some(("Contact", contact.id)),
            },
            rng,
            as_of,
        )?);
    }

    // Civil affairs checks who claims support.
    for (index, resident) in world.residents.people.iter().enumerate() {
        if resident.vulnerabilities == 0 || !rng.random_bool(0.01) {
            continue;
        }
        let person = Residents::id(index);
        let created = as_of - minutes(rng, 60..10 * 24 * 60);
        let status = aim(rng, &[(Done, 60), (Rejected, 20), (Open, 20)]);
        tasks.push(task(
            Spec {
                kind: TaskKind::VerifyIdentity,
                person_id: person,
                from: (
                    Agency::CivilAffairs,
                    unit_of(world, person, Agency::CivilAffairs),
                ),
                to: (Agency::Police, unit_of(world, person, Agency::Police)),
                priority: TaskPriority::Normal,
                created,
                due_in: Duration::hours(72),
                note: "申领救助人员身份待核实",
                aim: status,
                outcome: if status == Rejected {
                    "证件信息不足，请补充后再发"
                } else {
                    "身份信息核实无误"
                },
                source: None,
            },
            rng,
            as_of,
        )?);
    }

    tasks.sort_by_key(|t| t.created_at);
    for (i, task) in tasks.iter_mut().enumerate() {
        task.id = i as i64 + 1;
    }
    Ok(tasks)
}
