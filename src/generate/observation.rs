//! Medical observation (医学观察) and its twice-daily checks. Every close contact is
//! observed from the day they were traced until their follow-up ends (released then, or
//! transferred to hospital the day they became a case, or, now and then, absconded); more
//! residents are observed after arriving from a risk area, as contacts of contacts, or after
//! fever screening. Everyone observed is checked at about 8:00 and 15:00 every day of it,
//! with a check missed here and there and a small share of fevers.

use chrono::{Duration, NaiveDate};
use entity::{
    case, contact, health_check, quarantine, Agency, QuarantineEnd, QuarantineKind,
    QuarantineReason,
};
use rand::{rngs::StdRng, Rng};

use super::{
    calendar::add_days, outbreak::minutes, picker::Picker, residents::Residents, scale::Scale,
    subject, World,
};
use crate::{
    config::DEFAULT_RISK_AREAS,
    domain::values::{Symptom, Temperature},
};

const HOTELS: [&str; 6] = [
    "星河宾馆",
    "科创公寓",
    "湖畔酒店",
    "滨江大厦",
    "锦江之星",
    "青年旅舍",
];

pub fn quarantines(
    world: &World<'_>,
    scale: &Scale,
    picker: &mut Picker,
    cases: &[case::Model],
    contacts: &[contact::Model],
    rng: &mut StdRng,
) -> Vec<quarantine::Model> {
    let calendar = &world.calendar;
    let mut rows = Vec::with_capacity(scale.quarantines.max(contacts.len()));
    for contact in contacts {
        let start = calendar.local_date(contact.created_at);
        let created_at = calendar.no_later_than_now(contact.created_at + minutes(rng, 10..120));
        let centralized = rng.random_bool(0.3);
        let mut row = observe(
            world,
            rng,
            contact.person_id,
            centralized,
            (QuarantineReason::CloseContact, None),
            Some(contact.id),
            (start, contact.follow_up_end_date.max(start)),
            created_at,
        );
        let absconds = rng.random_bool(0.005);
        let absconded_at = calendar.as_of - minutes(rng, 120..72 * 60);
        if let Some(case_id) = contact.converted_case_id {
            // Taken to hospital when the test came back positive.
            let case = &cases[(case_id - 1) as usize];
            row.created_at = row
                .created_at
                .min(contact.created_at + (case.reported_at - contact.created_at) / 2);
            row.updated_at = row.created_at;
            end(
                &mut row,
                case.reported_at,
                QuarantineEnd::TransferredToHospital,
                Some("确诊后已转运定点医院"),
            );
        } else if row.planned_end_date < calendar.today {
            release(world, rng, &mut row);
        } else if absconds && absconded_at > row.created_at + Duration::days(1) {
            end(
                &mut row,
                absconded_at,
                QuarantineEnd::Absconded,
                Some("晚间巡查发现不在家，电话关机"),
            );
        }
        rows.push(row);
    }

    // Observation for other reasons, the larger part still under way.
    let days = u64::from(world.settings.quarantine_days);
    let risk_places: Vec<&str> = DEFAULT_RISK_AREAS.split(',').collect();
    for _ in contacts.len()..scale.quarantines {
        let Some(person) = picker.anyone(rng) else {
            break;
        };
        let (reason, note) = match rng.random_range(0..100) {
            0..65 => {
                let place = risk_places[rng.random_range(0..risk_places.len())];
                (
                    QuarantineReason::RiskAreaArrival,
                    Some(format!("自{place}返回")),
                )
            }
            65..85 => (
                QuarantineReason::SecondaryContact,
                Some("密接的密接".to_owned()),
            ),
            85..95 => (
                QuarantineReason::FeverScreening,
                Some("发热门诊筛查".to_owned()),
            ),
            _ => (QuarantineReason::Other, Some("本人申请居家观察".to_owned())),
        };
        let back = if rng.random_bool(0.6) {
            rng.random_range(0..=13)
        } else {
            rng.random_range(15..=27)
        };
        let start = calendar.day(back);
        let created_at = calendar.no_later_than_now(calendar.at(
            start,
            rng.random_range(8..20),
            rng.random_range(0..60),
        ));
        let centralized = rng.random_bool(if reason == QuarantineReason::RiskAreaArrival {
            0.4
        } else {
            0.15
        });
        let mut row = observe(
            world,
            rng,
            Residents::id(person),
            centralized,
            (reason, note),
            None,
            (start, add_days(start, days)),
            created_at,
        );
        let absconds = rng.random_bool(0.005);
        let absconded_at = calendar.as_of - minutes(rng, 120..72 * 60);
        if row.planned_end_date < calendar.today {
            release(world, rng, &mut row);
        } else if absconds && absconded_at > row.created_at + Duration::days(1) {
            end(
                &mut row,
                absconded_at,
                QuarantineEnd::Absconded,
                Some("晚间巡查发现不在家，电话关机"),
            );
        }
        rows.push(row);
    }
    rows.sort_by_key(|q| q.created_at);
    for (i, row) in rows.iter_mut().enumerate() {
        row.id = i as i64 + 1;
        if row.end_kind == Some(QuarantineEnd::Released) {
            if let Some(ended) = row.ended_at {
                row.release_notice_no = Some(format!(
                    "XH-JC-{}-{:06}",
                    calendar.local_date(ended).format("%Y%m%d"),
                    row.id
                ));
            }
        }
    }
    rows
}

/// A new observation: at home, ordered by the community; or at a district's centralized
/// site, ordered by the district's CDC.
#[allow(clippy::too_many_arguments)]
fn observe(
    world: &World<'_>,
    rng: &mut StdRng,
    person_id: i64,
    centralized: bool,
    (reason, reason_note): (QuarantineReason, Option<String>),
    contact_id: Option<i64>,
    (start_date, planned_end_date): (NaiveDate, NaiveDate),
    created_at: chrono::DateTime<chrono::Utc>,
) -> quarantine::Model {
    let tree = world.tree;
    let district = &tree.districts[world.district_of(person_id)];
    let community = &tree.communities[world.community_of(person_id)];
    let (kind, site, agency, unit) = if centralized {
        let hotel = HOTELS[rng.random_range(0..HOTELS.len())];
        (
            QuarantineKind::Centralized,
            Some(format!("{}集中隔离点（{hotel}）", district.name)),
            Agency::Health,
            district,
        )
    } else {
        (QuarantineKind::Home, None, Agency::Community, community)
    };
    let vulnerable = world.residents.people[(person_id - 1) as usize].vulnerabilities != 0;
    let needs = if vulnerable {
        Some("需代购生活物资和常用药".to_owned())
    } else if rng.random_bool(0.03) {
        Some("需每周代购蔬菜".to_owned())
    } else {
        None
    };
    quarantine::Model {
        id: 0,
        person_id,
        kind,
        site,
        reason,
        reason_note,
        contact_id,
        start_date,
        planned_end_date,
        is_active: true,
        ended_at: None,
        end_kind: None,
        release_notice_no: None,
        end_note: None,
        needs,
        ordered_by_org_id: unit.id,
        version: 1,
        created_at,
        updated_at: created_at,
        created_by_agency: agency,
        created_by: subject(agency, &unit.code),
    }
}

/// Released in the morning of the planned last day (the notice number follows the id).
fn release(world: &World<'_>, rng: &mut StdRng, row: &mut quarantine::Model) {
    let at = world.calendar.at(
        row.planned_end_date,
        rng.random_range(9..12),
        rng.random_range(0..60),
    );
    end(row, at.max(row.created_at), QuarantineEnd::Released, None);
}

fn end(
    row: &mut quarantine::Model,
    at: chrono::DateTime<chrono::Utc>,
    kind: QuarantineEnd,
    note: Option<&str>,
) {
    row.is_active = false;
    row.ended_at = Some(at);
    row.end_kind = Some(kind);
    row.end_note = note.map(str::to_owned);
    row.version = 2;
    row.updated_at = at;
}

/// Checks twice a day, every day of each observation until it ended (or until now), by the
/// grid worker at home or the site's medical staff.
pub fn checks(
    world: &World<'_>,
    quarantines: &[quarantine::Model],
    rng: &mut StdRng,
) -> Vec<health_check::Model> {
    let calendar = &world.calendar;
    let tree = world.tree;
    let mut checks = Vec::with_capacity(quarantines.len() * 24);
    for q in quarantines {
        let until = q.ended_at.unwrap_or(calendar.as_of);
        let (recorded_by, agency) = match q.kind {
            QuarantineKind::Home => (
                subject(
                    Agency::Community,
                    &tree.grids[world.grid_of(q.person_id)].code,
                ),
                Agency::Community,
            ),
            QuarantineKind::Centralized => (q.created_by.clone(), Agency::Health),
        };
        // Those about to test positive run a fever first.
        let feverish_from = (q.end_kind == Some(QuarantineEnd::TransferredToHospital))
            .then(|| until - Duration::days(2));
        let mut day = q.start_date;
        while day <= calendar.local_date(until) {
            for (slot, hour) in [("am", 8), ("pm", 15)] {
                // Every draw is made before deciding whether the check happened, so the
                // moment of generation changes only which checks exist, not the others.
                let measured_at = calendar.at(day, hour, rng.random_range(0..40));
                let recorded_at = measured_at + minutes(rng, 0..6);
                let missed = rng.random_bool(0.02);
                let feverish = feverish_from.is_some_and(|from| measured_at >= from);
                let fever = rng.random_bool(if feverish { 0.35 } else { 0.004 });
                let tenths = if fever {
                    rng.random_range(373..=389)
                } else {
                    rng.random_range(359..=371)
                };
                let symptoms = match rng.random_range(0..1000) {
                    0..2 => Symptom::to_bits(&[Symptom::Cough]),
                    2..6 => Symptom::to_bits(&[Symptom::RunnyNose]),
                    6..10 => Symptom::to_bits(&[Symptom::Fatigue]),
                    n if fever && n < 400 => {
                        Symptom::to_bits(&[Symptom::Cough, Symptom::SoreThroat])
                    }
                    _ => 0,
                };
                if missed || measured_at < q.created_at || measured_at > until {
                    continue;
                }
                checks.push(health_check::Model {
                    id: 0,
                    person_id: q.person_id,
                    quarantine_id: Some(q.id),
                    measured_at,
                    temperature_decidegrees: tenths,
                    symptoms,
                    // The rule the server applies to a recorded check.
                    fever: Temperature::from_tenths(tenths).is_fever()
                        || Symptom::any_alerting(symptoms),
                    recorded_by: recorded_by.clone(),
                    recorded_by_agency: agency,
                    idempotency_key: format!("q{}-{}-{slot}", q.id, day.format("%Y%m%d")),
                    created_at: calendar.no_later_than_now(recorded_at),
                });
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
    }
    checks.sort_by_key(|c| c.created_at);
    for (i, check) in checks.iter_mut().enumerate() {
        check.id = i as i64 + 1;
    }
    checks
}
