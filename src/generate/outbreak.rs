//! The outbreak: cases reported over three weeks, a third of the later ones among the
//! close contacts of earlier cases (so the transmission chain is a graph several
//! generations deep), about ten contacts traced per case, a good share of them across
//! district lines, and the lab tests behind the classifications. Observation and checks
//! follow in `observation`.
//!
//! Ids follow the order records were created in, as a database hands them out.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{
    case, contact, lab_test, Agency, CaseClassification as Class, CaseOutcome, CaseSeverity,
    ContactRelation, ContactStatus, LabResult, SampleType,
};
use rand::{rngs::StdRng, Rng};

use super::{
    calendar::{add_days, sub_days},
    observation,
    picker::Picker,
    residents::Residents,
    scale::Scale,
    subject, World,
};
use crate::domain::case_rules;

const HOSPITALS: [&str; 3] = ["星河市第一人民医院", "星河市传染病医院", "星河市中医院"];
const LABORATORIES: [&str; 3] = [
    "星河市疾控中心实验室",
    "星河市第一人民医院检验科",
    "星河金域医学检验所",
];
/// Relations with their weights: households and workplaces first.
const RELATIONS: [(ContactRelation, u32); 6] = [
    (ContactRelation::Household, 30),
    (ContactRelation::Work, 25),
    (ContactRelation::Social, 20),
    (ContactRelation::Travel, 15),
    (ContactRelation::Medical, 5),
    (ContactRelation::Other, 5),
];
/// Cases are reported over the last three weeks.
const REPORTING_DAYS: i64 = 21;

pub struct Outbreak {
    pub cases: Vec<case::Model>,
    /// Parallel to `cases`: how each case was first reported, for the alerts it raised.
    pub history: Vec<CaseHistory>,
    pub contacts: Vec<contact::Model>,
    pub quarantines: Vec<entity::quarantine::Model>,
    pub checks: Vec<entity::health_check::Model>,
    pub lab_tests: Vec<lab_test::Model>,
}

#[derive(Debug, Clone, Copy)]
pub struct CaseHistory {
    pub reported_as: Class,
    pub reclassified_at: Option<DateTime<Utc>>,
}

impl CaseHistory {
    /// The classification the case had at `at`.
    pub fn classification_at(&self, case: &case::Model, at: DateTime<Utc>) -> Class {
        match self.reclassified_at {
            Some(changed) if at >= changed => case.classification,
            _ => self.reported_as,
        }
    }
}

/// A case that began as a traced close contact of an earlier case.
struct Conversion {
    case: usize,
    source: usize,
    relation: ContactRelation,
    exposure: NaiveDate,
    traced_at: DateTime<Utc>,
}

pub fn plan(world: &World<'_>, scale: &Scale, picker: &mut Picker, rng: &mut StdRng) -> Outbreak {
    let (cases, history, conversions) = cases(world, scale, picker, rng);
    let contacts = contacts(world, scale, picker, &cases, &conversions, rng);
    let quarantines = observation::quarantines(world, scale, picker, &cases, &contacts, rng);
    let checks = observation::checks(world, &quarantines, rng);
    let lab_tests = lab_tests(world, &cases, &contacts, rng);
    Outbreak {
        cases,
        history,
        contacts,
        quarantines,
        checks,
        lab_tests,
    }
}

pub fn minutes(rng: &mut StdRng, range: std::ops::Range<i64>) -> Duration {
    Duration::minutes(rng.random_range(range))
}

fn relation(rng: &mut StdRng) -> ContactRelation {
    let total: u32 = RELATIONS.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (relation, weight) in RELATIONS {
        if roll < weight {
            return relation;
        }
        roll -= weight;
    }
    ContactRelation::Other
}

fn cases(
    world: &World<'_>,
    scale: &Scale,
    picker: &mut Picker,
    rng: &mut StdRng,
) -> (Vec<case::Model>, Vec<CaseHistory>, Vec<Conversion>) {
    let calendar = &world.calendar;
    let as_of = calendar.as_of;
    let mut times: Vec<DateTime<Utc>> = (0..scale.cases)
        .map(|_| as_of - minutes(rng, 20..REPORTING_DAYS * 24 * 60))
        .collect();
    times.sort();
    let mut cases: Vec<case::Model> = Vec::with_capacity(times.len());
    let mut history = Vec::with_capacity(times.len());
    let mut conversions = Vec::new();
    for &reported_at in &times {
        // A contact of a case reported two to eleven days before becomes a case; the first
        // tenth are the index cases that started it all.
        let earliest = cases.partition_point(|c| c.reported_at < reported_at - Duration::days(11));
        let latest = cases.partition_point(|c| c.reported_at <= reported_at - Duration::days(2));
        let source =
            (cases.len() >= scale.cases / 10 && earliest < latest && rng.random_bool(0.35))
                .then(|| rng.random_range(earliest..latest))
                .filter(|&source| cases[source].classification != Class::Excluded);
        let (person, conversion) = if let Some(source) = source {
            let relation = relation(rng);
            let source_grid = world.grid_of(cases[source].person_id);
            let Some(person) = picker.contact_of(world, rng, source_grid, relation) else {
                continue;
            };
            let source_reported = cases[source].reported_at;
            let exposure = sub_days(
                calendar.local_date(source_reported),
                rng.random_range(0..=2),
            );
            let mut traced_at = source_reported + minutes(rng, 60..1800);
            if traced_at > reported_at - Duration::minutes(30) {
                traced_at = source_reported + (reported_at - source_reported) / 2;
            }
            let conversion = Conversion {
                case: cases.len(),
                source,
                relation,
                exposure,
                traced_at,
            };
            (person, Some(conversion))
        } else {
            let Some(person) = picker.anyone(rng) else {
                continue;
            };
            (person, None)
        };
        let (first, last) = if conversion.is_some() {
            let class = if rng.random_bool(0.85) {
                Class::Confirmed
            } else {
                Class::Asymptomatic
            };
            (class, class)
        } else {
            match rng.random_range(0..100) {
                0..12 => (Class::Suspected, Class::Suspected),
                12..18 => (Class::Suspected, Class::Excluded),
                18..26 => (Class::Suspected, Class::Confirmed),
                26..30 => (Class::Asymptomatic, Class::Confirmed),
                30..50 => (Class::Asymptomatic, Class::Asymptomatic),
                _ => (Class::Confirmed, Class::Confirmed),
            }
        };
        let changed_at = reported_at + minutes(rng, 12 * 60..72 * 60);
        let reclassified_at = (first != last && changed_at <= as_of).then_some(changed_at);
        let classification = if reclassified_at.is_some() {
            last
        } else {
            first
        };
        // Some of the older cases are over: recovered, a few deceased.
        let age = as_of - reported_at;
        let roll = rng.random_range(0..100);
        let ends_at = reported_at
            + Duration::hours(rng.random_range(9 * 24..age.num_hours().max(9 * 24 + 1)));
        let outcome = match classification {
            Class::Confirmed | Class::Asymptomatic
                if age > Duration::days(10) && ends_at < as_of =>
            {
                match roll {
                    0..45 => CaseOutcome::Recovered,
                    45..47 => CaseOutcome::Deceased,
                    _ => CaseOutcome::Active,
                }
            }
            _ => CaseOutcome::Active,
        };
        let closed_at = match (classification, outcome) {
            (Class::Excluded, _) => reclassified_at,
            (_, CaseOutcome::Active) => None,
            _ => Some(ends_at),
        };
        let version =
            1 + i32::from(reclassified_at.is_some()) + i32::from(outcome != CaseOutcome::Active);
        let updated_at = closed_at
            .or(reclassified_at)
            .unwrap_or(reported_at)
            .max(reported_at);
        let severity = match (first, classification, outcome) {
            (_, _, CaseOutcome::Deceased) => Some(CaseSeverity::Critical),
            (Class::Asymptomatic, Class::Asymptomatic, _) => None,
            (_, Class::Confirmed, _) => Some(match rng.random_range(0..100) {
                0..60 => CaseSeverity::Mild,
                60..88 => CaseSeverity::Moderate,
                88..97 => CaseSeverity::Severe,
                _ => CaseSeverity::Critical,
            }),
            _ => Some(CaseSeverity::Mild),
        };
        let onset_date = (first != Class::Asymptomatic)
            .then(|| sub_days(calendar.local_date(reported_at), rng.random_range(0..=3)));
        // The district's CDC reports, now and then the district of the hospital it was
        // found in.
        let home = world.district_of(Residents::id(person));
        let reporter = if rng.random_bool(0.1) {
            rng.random_range(0..world.tree.districts.len())
        } else {
            home
        };
        let reporter = &world.tree.districts[reporter];
        let id = cases.len() as i64 + 1;
        history.push(CaseHistory {
            reported_as: first,
            reclassified_at,
        });
        if let Some(conversion) = conversion {
            conversions.push(conversion);
        }
        cases.push(case::Model {
            id,
            person_id: Residents::id(person),
            classification,
            severity,
            onset_date,
            reported_at,
            reporting_org_id: reporter.id,
            reporting_path: reporter.path.clone(),
            designated_hospital: Some(HOSPITALS[id as usize % HOSPITALS.len()].to_owned()),
            outcome,
            is_open: case_rules::is_open(classification, outcome),
            closed_at,
            notes: None,
            version,
            created_at: reported_at,
            updated_at,
            created_by_agency: Agency::Health,
            created_by: subject(Agency::Health, &reporter.code),
        });
    }
    (cases, history, conversions)
}

fn contacts(
    world: &World<'_>,
    scale: &Scale,
    picker: &mut Picker,
    cases: &[case::Model],
    conversions: &[Conversion],
    rng: &mut StdRng,
) -> Vec<contact::Model> {
    let calendar = &world.calendar;
    let follow_up = u64::from(world.settings.follow_up_days);
    let traced = |source: &case::Model,
                  person: usize,
                  relation: ContactRelation,
                  exposure: NaiveDate,
                  traced_at: DateTime<Utc>| contact::Model {
        id: 0,
        source_case_id: source.id,
        person_id: Residents::id(person),
        relation,
        last_exposure_date: exposure,
        follow_up_end_date: add_days(exposure, follow_up),
        status: ContactStatus::UnderFollowUp,
        converted_case_id: None,
        // Traced by the epidemiologists of the unit that reported the case.
        traced_by_org_id: source.reporting_org_id,
        traced_by_path: source.reporting_path.clone(),
        notes: None,
        version: 1,
        created_at: traced_at,
        updated_at: traced_at,
        created_by_agency: Agency::Health,
        created_by: source.created_by.clone(),
    };
    let mut contacts = Vec::with_capacity(scale.contacts);
    for conversion in conversions {
        let case = &cases[conversion.case];
        let mut row = traced(
            &cases[conversion.source],
            (case.person_id - 1) as usize,
            conversion.relation,
            conversion.exposure,
            conversion.traced_at,
        );
        // Reporting the case converted the contact record.
        row.status = ContactStatus::Converted;
        row.converted_case_id = Some(case.id);
        row.version = 2;
        row.updated_at = case.reported_at;
        contacts.push(row);
    }
    for _ in conversions.len()..scale.contacts {
        let source = &cases[rng.random_range(0..cases.len())];
        let relation = relation(rng);
        let Some(person) = picker.contact_of(world, rng, world.grid_of(source.person_id), relation)
        else {
            continue;
        };
        let exposure = sub_days(
            calendar.local_date(source.reported_at),
            rng.random_range(0..=3),
        );
        let mut traced_at = source.reported_at + minutes(rng, 60..36 * 60);
        if traced_at > calendar.as_of - Duration::minutes(5) {
            traced_at = source.reported_at + (calendar.as_of - source.reported_at) / 2;
        }
        contacts.push(traced(source, person, relation, exposure, traced_at));
    }
    contacts.sort_by_key(|c| c.created_at);
    for (i, contact) in contacts.iter_mut().enumerate() {
        contact.id = i as i64 + 1;
    }
    contacts
}

/// Every case has its positive (or, for suspects, pending; for the excluded, negative)
/// test; about half the contacts a screening test, negative or still pending.
fn lab_tests(
    world: &World<'_>,
    cases: &[case::Model],
    contacts: &[contact::Model],
    rng: &mut StdRng,
) -> Vec<lab_test::Model> {
    let calendar = &world.calendar;
    let mut tests = Vec::new();
    let test = |rng: &mut StdRng,
                person_id: i64,
                sampled: NaiveDate,
                result: LabResult,
                created_by: &str|
     -> Option<lab_test::Model> {
        let created_at = calendar.at(sampled, rng.random_range(8..17), rng.random_range(0..60));
        let result_at = created_at + minutes(rng, 6 * 60..20 * 60);
        let laboratory = LABORATORIES[rng.random_range(0..LABORATORIES.len())];
        if created_at > calendar.as_of {
            return None;
        }
        // A result comes in later and bumps the version.
        let (result, result_at) = if result == LabResult::Pending || result_at > calendar.as_of {
            (LabResult::Pending, None)
        } else {
            (result, Some(result_at))
        };
        Some(lab_test::Model {
            id: 0,
            person_id,
            sample_date: sampled,
            sample_type: SampleType::NasopharyngealSwab,
            result,
            result_at,
            laboratory: laboratory.to_owned(),
            version: if result_at.is_some() { 2 } else { 1 },
            created_at,
            updated_at: result_at.unwrap_or(created_at),
            created_by_agency: Agency::Health,
            created_by: created_by.to_owned(),
        })
    };
    for case in cases {
        let reported = calendar.local_date(case.reported_at);
        let result = match case.classification {
            Class::Confirmed | Class::Asymptomatic => LabResult::Positive,
            Class::Excluded => LabResult::Negative,
            Class::Suspected => LabResult::Pending,
        };
        let sampled = sub_days(reported, 1);
        tests.extend(test(rng, case.person_id, sampled, result, &case.created_by));
    }
    for contact in contacts {
        if contact.status == ContactStatus::Converted || !rng.random_bool(0.5) {
            continue;
        }
        let sampled = add_days(
            calendar.local_date(contact.created_at),
            rng.random_range(0..=2),
        )
        .min(calendar.today);
        tests.extend(test(
            rng,
            contact.person_id,
            sampled,
            LabResult::Negative,
            &contact.created_by,
        ));
    }
    tests.sort_by_key(|t| t.created_at);
    for (i, test) in tests.iter_mut().enumerate() {
        test.id = i as i64 + 1;
    }
    tests
}
