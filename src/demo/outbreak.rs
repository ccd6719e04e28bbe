//! A live outbreak for the demo city: cases in several districts, contacts across district
//! lines (some of whom became cases), active and ended observations, a week of twice-daily
//! checks with a few fevers, lab tests, and the alerts all of that raised. Deterministic for
//! a seed; dates are relative to today.

use crate::{i18n::Msg, msg};
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use entity::{
    alert, case, contact, health_check, lab_test, person, quarantine, Agency, AlertKind,
    CaseClassification, CaseOutcome, CaseSeverity, ContactRelation, ContactStatus, LabResult,
    QuarantineEnd, QuarantineKind, QuarantineReason, SampleType,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryOrder};

const SEED: u64 = 20_200_124;
const HOSPITALS: [&str; 3] = ["云州市第一人民医院", "云州市传染病医院", "临湖县人民医院"];
const SITES: [&str; 2] = [
    "江北区集中隔离点（云州宾馆）",
    "高新区集中隔离点（科创公寓）",
];
const RELATIONS: [ContactRelation; 5] = [
    ContactRelation::Household,
    ContactRelation::Work,
    ContactRelation::Social,
    ContactRelation::Travel,
    ContactRelation::Household,
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutbreakSummary {
    pub cases: usize,
    pub contacts: usize,
    pub quarantines: usize,
    pub health_checks: usize,
    pub lab_tests: usize,
    pub alerts: usize,
}

/// Seeds the outbreak over the residents already in the database. `today` is the local
/// date, `offset_hours` the local UTC offset (for check times at 8:00 and 15:00 local).
pub async fn seed(
    db: &impl ConnectionTrait,
    today: NaiveDate,
    offset_hours: i64,
    index_cases: usize,
    alerts: &mut Vec<alert::ActiveModel>,
) -> Result<OutbreakSummary, DbErr> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let people = person::Entity::find()
        .order_by_asc(person::Column::Id)
        .all(db)
        .await?;
    if people.len() < 20 {
        return Ok(OutbreakSummary::default());
    }
    let now = Utc::now();
    let days_ago = |n: u64| today.checked_sub_days(Days::new(n)).unwrap_or(today);
    let local = |date: NaiveDate, hour: i64| -> DateTime<Utc> {
        date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
            + Duration::hours(hour - offset_hours)
    };
    let mut used = std::collections::HashSet::new();
    let mut pick = |rng: &mut StdRng| -> Option<person::Model> {
        for _ in 0..50 {
            let p = &people[rng.random_range(0..people.len())];
            if used.insert(p.id) {
                return Some(p.clone());
            }
        }
        None
    };
    let mut summary = OutbreakSummary::default();

    // Index cases, then their contacts; about one contact in six became a case.
    let mut generation: Vec<(case::Model, person::Model)> = Vec::new();
    for i in 0..index_cases {
        let Some(patient) = pick(&mut rng) else { break };
        let reported = days_ago(rng.random_range(5..12));
        let classification = match i % 7 {
            0 => CaseClassification::Suspected,
            1 => CaseClassification::Asymptomatic,
            _ => CaseClassification::Confirmed,
        };
        let row = insert_case(
            db,
            &patient,
            classification,
            reported,
            local(reported, 10),
            &mut rng,
            i,
        )
        .await?;
        alerts.push(new_alert(
            AlertKind::NewCase,
            &patient,
            "Case",
            row.id,
            msg!("alert-new-case", classification = classification.as_str()),
            local(reported, 10),
        ));
        generation.push((row, patient));
    }
    let mut all_cases = generation.clone();
    for depth in 0..2 {
        let mut next = Vec::new();
        for (source, _) in &generation {
            let contacts = if depth == 0 {
                rng.random_range(3..8)
            } else {
                rng.random_range(1..4)
            };
            for _ in 0..contacts {
                let Some(contact_person) = pick(&mut rng) else {
                    break;
                };
                let exposure = source
                    .reported_at
                    .date_naive()
                    .checked_sub_days(Days::new(rng.random_range(1..4)))
                    .unwrap_or(today);
                let follow_up_end = exposure.checked_add_days(Days::new(14)).unwrap_or(exposure);
                let becomes_case = rng.random_bool(0.16) && exposure < days_ago(3);
                let traced = source.created_at + Duration::hours(rng.random_range(2..30));
                let contact_row = contact::Entity::insert(contact::ActiveModel {
                    source_case_id: Set(source.id),
                    person_id: Set(contact_person.id),
                    relation: Set(RELATIONS[rng.random_range(0..RELATIONS.len())]),
                    last_exposure_date: Set(exposure),
                    follow_up_end_date: Set(follow_up_end),
                    status: Set(ContactStatus::UnderFollowUp),
                    converted_case_id: Set(None),
                    traced_by_org_id: Set(source.reporting_org_id),
                    traced_by_path: Set(source.reporting_path.clone()),
                    notes: Set(None),
                    version: Set(1),
                    created_at: Set(traced),
                    updated_at: Set(traced),
                    created_by_agency: Set(Agency::Health),
                    created_by: Set("demo-seed".into()),
                    ..Default::default()
                })
                .exec_with_returning(db)
                .await?;
                summary.contacts += 1;
                alerts.push(new_alert(
                    AlertKind::ContactTraced,
                    &contact_person,
                    "Contact",
                    contact_row.id,
                    msg!(
                        "alert-contact-traced-short",
                        classification = source.classification.as_str()
                    ),
                    traced,
                ));
                if becomes_case {
                    let reported = exposure
                        .checked_add_days(Days::new(rng.random_range(2..4)))
                        .unwrap_or(today)
                        .min(today);
                    let new_case = insert_case(
                        db,
                        &contact_person,
                        CaseClassification::Confirmed,
                        reported,
                        local(reported, 11),
                        &mut rng,
                        summary.contacts,
                    )
                    .await?;
                    contact::Entity::update(contact::ActiveModel {
                        id: Set(contact_row.id),
                        status: Set(ContactStatus::Converted),
                        converted_case_id: Set(Some(new_case.id)),
                        version: Set(2),
                        ..Default::default()
                    })
                    .exec(db)
                    .await?;
                    alerts.push(new_alert(
                        AlertKind::NewCase,
                        &contact_person,
                        "Case",
                        new_case.id,
                        msg!("alert-new-case", classification = "CONFIRMED"),
                        local(reported, 11),
                    ));
                    next.push((new_case.clone(), contact_person.clone()));
                    all_cases.push((new_case, contact_person));
                    continue;
                }
                // Observation: active while follow-up lasts, released once it is over.
                let start = traced.date_naive();
                let active = follow_up_end >= today;
                let centralized = rng.random_bool(0.3);
                let q = quarantine::Entity::insert(quarantine::ActiveModel {
                    person_id: Set(contact_person.id),
                    kind: Set(if centralized {
                        QuarantineKind::Centralized
                    } else {
                        QuarantineKind::Home
                    }),
                    site: Set(
                        centralized.then(|| SITES[rng.random_range(0..SITES.len())].to_owned())
                    ),
                    reason: Set(if depth == 0 {
                        QuarantineReason::CloseContact
                    } else {
                        QuarantineReason::SecondaryContact
                    }),
                    reason_note: Set(None),
                    contact_id: Set(Some(contact_row.id)),
                    start_date: Set(start),
                    planned_end_date: Set(follow_up_end),
                    is_active: Set(active),
                    ended_at: Set((!active).then(|| local(follow_up_end, 9))),
                    end_kind: Set((!active).then_some(QuarantineEnd::Released)),
                    release_notice_no: Set(
                        (!active).then(|| format!("YZ-JC-{}", 10_000 + contact_row.id))
                    ),
                    end_note: Set(None),
                    needs: Set((contact_person.vulnerabilities != 0)
                        .then(|| "需代购生活物资和常用药".to_owned())),
                    ordered_by_org_id: Set(contact_person.residence_org_id),
                    version: Set(1),
                    created_at: Set(traced),
                    updated_at: Set(traced),
                    created_by_agency: Set(Agency::Community),
                    created_by: Set("demo-seed".into()),
                    ..Default::default()
                })
                .exec_with_returning(db)
                .await?;
                summary.quarantines += 1;
                // A week of twice-daily checks (the last seven days of the observation).
                let mut checks = Vec::new();
                let last_day = if active { today } else { follow_up_end };
                for back in 0..7u64 {
                    let day = last_day
                        .checked_sub_days(Days::new(back))
                        .unwrap_or(last_day);
                    if day < start {
                        break;
                    }
                    for hour in [8, 15] {
                        let at = local(day, hour) + Duration::minutes(rng.random_range(0..40));
                        // Drawn before the check is skipped, so that the rest of the
                        // outbreak is the same city at whatever time of day it is seeded.
                        let fever = rng.random_bool(0.02);
                        let tenths = if fever {
                            rng.random_range(373..392)
                        } else {
                            rng.random_range(358..372)
                        };
                        if at > now {
                            continue;
                        }
                        checks.push(health_check::ActiveModel {
                            person_id: Set(contact_person.id),
                            quarantine_id: Set(Some(q.id)),
                            measured_at: Set(at),
                            temperature_decidegrees: Set(tenths),
                            symptoms: Set(if fever { 1 } else { 0 }),
                            fever: Set(fever),
                            recorded_by: Set("demo-grid-worker".into()),
                            recorded_by_agency: Set(Agency::Community),
                            idempotency_key: Set(format!("demo-{}-{}-{hour}", q.id, day)),
                            created_at: Set(at),
                            ..Default::default()
                        });
                    }
                }
                summary.health_checks += checks.len();
                if !checks.is_empty() {
                    let inserted = health_check::Entity::insert_many(checks)
                        .exec_with_returning(db)
                        .await?;
                    for check in inserted.iter().filter(|c| c.fever) {
                        alerts.push(new_alert(
                            AlertKind::Fever,
                            &contact_person,
                            "HealthCheck",
                            check.id,
                            msg!(
                                "alert-fever",
                                temperature = format!(
                                    "{}.{} °C",
                                    check.temperature_decidegrees / 10,
                                    check.temperature_decidegrees % 10
                                )
                            ),
                            check.measured_at,
                        ));
                    }
                }
            }
        }
        generation = next;
    }

    // Lab tests: every case positive; a negative screening for some contacts.
    let mut tests = Vec::new();
    for (case_row, patient) in &all_cases {
        let sampled = case_row
            .reported_at
            .date_naive()
            .checked_sub_days(Days::new(1))
            .unwrap_or(today);
        tests.push(lab_test(
            patient.id,
            sampled,
            LabResult::Positive,
            case_row.reported_at,
        ));
    }
    summary.cases = all_cases.len();
    summary.lab_tests = tests.len();
    lab_test::Entity::insert_many(tests)
        .exec_without_returning(db)
        .await?;

    // A few cases closed: recovered, and one excluded suspect.
    for (case_row, _) in all_cases
        .iter()
        .filter(|(c, _)| c.reported_at.date_naive() < days_ago(9))
        .take(3)
    {
        if case_row.classification == CaseClassification::Suspected {
            continue;
        }
        case::Entity::update(case::ActiveModel {
            id: Set(case_row.id),
            outcome: Set(CaseOutcome::Recovered),
            is_open: Set(false),
            closed_at: Set(Some(now - Duration::days(1))),
            version: Set(2),
            ..Default::default()
        })
        .exec(db)
        .await?;
    }
    summary.alerts = alerts.len();
    Ok(summary)
}

async fn insert_case(
    db: &impl ConnectionTrait,
    patient: &person::Model,
    classification: CaseClassification,
    reported: NaiveDate,
    reported_at: DateTime<Utc>,
    rng: &mut StdRng,
    n: usize,
) -> Result<case::Model, DbErr> {
    // The district office reports: the second level of the patient's path.
    let district_id: i64 = patient
        .residence_path
        .split('/')
        .filter(|s| !s.is_empty())
        .nth(1)
        .and_then(|id| id.parse().ok())
        .unwrap_or(patient.residence_org_id);
    let district_path = patient
        .residence_path
        .split('/')
        .filter(|s| !s.is_empty())
        .take(2)
        .fold(String::from("/"), |acc, id| format!("{acc}{id}/"));
    case::Entity::insert(case::ActiveModel {
        person_id: Set(patient.id),
        classification: Set(classification),
        severity: Set(Some(match rng.random_range(0..10) {
            0 => CaseSeverity::Severe,
            1..=3 => CaseSeverity::Moderate,
            _ => CaseSeverity::Mild,
        })),
        onset_date: Set(reported.checked_sub_days(Days::new(rng.random_range(1..4)))),
        reported_at: Set(reported_at),
        reporting_org_id: Set(district_id),
        reporting_path: Set(district_path),
        designated_hospital: Set(Some(HOSPITALS[n % HOSPITALS.len()].to_owned())),
        outcome: Set(CaseOutcome::Active),
        is_open: Set(classification != CaseClassification::Excluded),
        closed_at: Set(None),
        notes: Set(None),
        version: Set(1),
        created_at: Set(reported_at),
        updated_at: Set(reported_at),
        created_by_agency: Set(Agency::Health),
        created_by: Set("demo-seed".into()),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await
}

fn lab_test(
    person_id: i64,
    sampled: NaiveDate,
    result: LabResult,
    result_at: DateTime<Utc>,
) -> lab_test::ActiveModel {
    lab_test::ActiveModel {
        person_id: Set(person_id),
        sample_date: Set(sampled),
        sample_type: Set(SampleType::NasopharyngealSwab),
        result: Set(result),
        result_at: Set(Some(result_at)),
        laboratory: Set("云州市疾控中心实验室".into()),
        version: Set(1),
        created_at: Set(result_at),
        updated_at: Set(result_at),
        created_by_agency: Set(Agency::Health),
        created_by: Set("demo-seed".into()),
        ..Default::default()
    }
}

fn new_alert(
    kind: AlertKind,
    person: &person::Model,
    entity_type: &str,
    entity_id: i64,
    message: Msg,
    at: DateTime<Utc>,
) -> alert::ActiveModel {
    alert::ActiveModel {
        kind: Set(kind),
        person_id: Set(Some(person.id)),
        org_path: Set(person.residence_path.clone()),
        entity_type: Set(entity_type.to_owned()),
        entity_id: Set(entity_id),
        message: Set(message.to_stored()),
        created_at: Set(at),
        ..Default::default()
    }
}

/// Inserts alerts in the order they were raised (alerts are listed newest first by id).
pub async fn insert_alerts(
    db: &impl ConnectionTrait,
    mut alerts: Vec<alert::ActiveModel>,
) -> Result<usize, DbErr> {
    let now = Utc::now();
    alerts.sort_by_key(|a| match &a.created_at {
        sea_orm::ActiveValue::Set(at) | sea_orm::ActiveValue::Unchanged(at) => *at,
        sea_orm::ActiveValue::NotSet => now,
    });
    for chunk in alerts.chunks(500) {
        alert::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(alerts.len())
}
