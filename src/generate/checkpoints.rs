//! Two weeks of checkpoint passages: the police's highway exit and bus station of each
//! district, and the gates of some compounds kept by their communities. Residents come and
//! go, travellers from elsewhere head for a grid of the city, a few arrive from the risk
//! areas (among them everyone later observed for it) and a few run a fever.

use chrono::NaiveDate;
use entity::{
    checkpoint_entry, quarantine, Agency, Direction, DocumentType, QuarantineReason, Sex,
};
use rand::{rngs::StdRng, Rng};

use super::{
    outbreak::minutes,
    residents::{Residents, TRAVELLER_REGIONS},
    scale::{Scale, WINDOW_DAYS},
    subject,
    tree::Place,
    World,
};
use crate::{config::DEFAULT_RISK_AREAS, demo::synthetic, domain::values::ResidentId};

/// Places travellers come from that are not risk areas.
const PLACES: [&str; 7] = [
    "白鹭市",
    "石门县",
    "东川市",
    "云州市",
    "南屏市",
    "北岭县",
    "省内其他地市",
];
const PLATE_LETTERS: [char; 6] = ['A', 'B', 'C', 'D', 'F', 'H'];
/// Every this many communities keeps a gate of its own.
const COMMUNITIES_PER_GATE: usize = 4;

/// A checkpoint: where it stands in the tree and who records its passages.
pub struct Checkpoint<'t> {
    name: String,
    unit: &'t Place,
    /// The community a compound gate belongs to (its passers-by mostly live there).
    community: Option<usize>,
    agency: Agency,
    recorder: String,
}

fn checkpoints<'t>(world: &World<'t>) -> (Vec<Checkpoint<'t>>, Vec<Checkpoint<'t>>) {
    let tree = world.tree;
    let mut police = Vec::new();
    for (d, district) in tree.districts.iter().enumerate() {
        let streets: Vec<&Place> = tree.streets.iter().filter(|s| s.parent == d).collect();
        let (Some(first), Some(last)) = (streets.first(), streets.last()) else {
            continue;
        };
        for (name, unit) in [("高速出口", first), ("汽车客运站", last)] {
            police.push(Checkpoint {
                name: format!("{}{name}", district.name),
                unit,
                community: None,
                agency: Agency::Police,
                recorder: subject(Agency::Police, &unit.code),
            });
        }
    }
    let gates = tree
        .communities
        .iter()
        .enumerate()
        .step_by(COMMUNITIES_PER_GATE)
        .map(|(c, community)| Checkpoint {
            name: format!("{}东门", community.name),
            unit: community,
            community: Some(c),
            agency: Agency::Community,
            recorder: subject(Agency::Community, &community.code),
        })
        .collect();
    (police, gates)
}

pub fn entries(
    world: &World<'_>,
    scale: &Scale,
    quarantines: &[quarantine::Model],
    rng: &mut StdRng,
) -> Vec<checkpoint_entry::Model> {
    let calendar = &world.calendar;
    let tree = world.tree;
    let (police, gates) = checkpoints(world);
    let risk_places: Vec<&str> = DEFAULT_RISK_AREAS.split(',').collect();
    let first_day = calendar.day(WINDOW_DAYS - 1);
    let mut entries = Vec::with_capacity(scale.checkpoint_entries);

    // Everyone observed after arriving from a risk area passed a police checkpoint of their
    // district a few hours before.
    for q in quarantines {
        if q.reason != QuarantineReason::RiskAreaArrival || q.start_date < first_day {
            continue;
        }
        let district = world.district_of(q.person_id);
        let checkpoint = &police[(district * 2 + rng.random_range(0..2)).min(police.len() - 1)];
        let place = q
            .reason_note
            .as_deref()
            .and_then(|n| n.strip_prefix('自'))
            .and_then(|n| n.strip_suffix("返回"))
            .unwrap_or(risk_places[0]);
        let passed_at = q.created_at - minutes(rng, 30..300);
        let mut entry = passage(
            world,
            rng,
            checkpoint,
            passed_at,
            Direction::Inbound,
            Some(place),
        );
        resident(world, &mut entry, q.person_id);
        entries.push(entry);
    }

    let linked = entries.len();
    for _ in linked..scale.checkpoint_entries {
        let back = rng.random_range(0..WINDOW_DAYS);
        let passed_at = calendar.at(
            calendar.day(back),
            rng.random_range(6..23),
            rng.random_range(0..60),
        );
        let at_gate = !gates.is_empty() && rng.random_bool(0.3);
        let checkpoint = if at_gate {
            &gates[rng.random_range(0..gates.len())]
        } else {
            &police[rng.random_range(0..police.len())]
        };
        let direction = if rng.random_bool(0.6) {
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        let place = (direction == Direction::Inbound).then(|| {
            if rng.random_bool(0.05) {
                risk_places[rng.random_range(0..risk_places.len())]
            } else {
                PLACES[rng.random_range(0..PLACES.len())]
            }
        });
        let registered = rng.random_bool(if at_gate { 0.9 } else { 0.5 });
        // Grid of the gate's community, or anywhere in the city.
        let grid = match checkpoint.community {
            Some(c) => {
                let first = tree.grids.partition_point(|g| g.parent < c);
                let last = tree.grids.partition_point(|g| g.parent <= c);
                rng.random_range(first..last.max(first + 1))
            }
            None => rng.random_range(0..tree.grids.len()),
        };
        let mut entry = passage(world, rng, checkpoint, passed_at, direction, place);
        let person = registered
            .then(|| documented_resident(world, rng, grid))
            .flatten();
        match person {
            Some(person) => resident(world, &mut entry, Residents::id(person)),
            None => traveller(world, rng, &mut entry, grid),
        }
        if entry.passed_at <= calendar.as_of {
            entries.push(entry);
        }
    }
    entries.sort_by_key(|e| e.passed_at);
    for (i, entry) in entries.iter_mut().enumerate() {
        entry.id = i as i64 + 1;
        entry.idempotency_key = format!("cp-{}", entry.id);
    }
    entries
}

/// A passage without its traveller yet.
fn passage(
    world: &World<'_>,
    rng: &mut StdRng,
    checkpoint: &Checkpoint<'_>,
    passed_at: chrono::DateTime<chrono::Utc>,
    direction: Direction,
    place: Option<&str>,
) -> checkpoint_entry::Model {
    let fever = rng.random_bool(0.004);
    let temperature = if fever {
        rng.random_range(373..=386)
    } else {
        rng.random_range(359..=371)
    };
    let by_car = rng.random_bool(if checkpoint.agency == Agency::Police {
        0.5
    } else {
        0.05
    });
    let plate = by_car.then(|| {
        format!(
            "云{}{:05}",
            PLATE_LETTERS[rng.random_range(0..PLATE_LETTERS.len())],
            rng.random_range(0..100_000u32)
        )
    });
    let recorded_at = passed_at + minutes(rng, 0..3);
    checkpoint_entry::Model {
        id: 0,
        checkpoint_name: checkpoint.name.clone(),
        org_id: checkpoint.unit.id,
        org_path: checkpoint.unit.path.clone(),
        direction,
        passed_at,
        person_id: None,
        traveller_name: None,
        traveller_document_type: None,
        traveller_document: None,
        traveller_phone: None,
        vehicle_plate: plate,
        from_place: place.map(str::to_owned),
        destination_org_id: None,
        destination_path: None,
        from_risk_area: place.is_some_and(|p| world.settings.risk_areas.area_of(p).is_some()),
        temperature_decidegrees: Some(temperature),
        recorded_by: checkpoint.recorder.clone(),
        recorded_by_agency: checkpoint.agency,
        idempotency_key: String::new(),
        created_at: world.calendar.no_later_than_now(recorded_at.max(passed_at)),
        identity_conflict: false,
    }
}

/// Someone with a document living in `grid`, else anyone with one.
fn documented_resident(world: &World<'_>, rng: &mut StdRng, grid: usize) -> Option<usize> {
    let people = &world.residents.people;
    let in_grid = &world.residents.by_grid[grid];
    (0..8)
        .map(|i| {
            if i < 4 && !in_grid.is_empty() {
                in_grid[rng.random_range(0..in_grid.len())] as usize
            } else {
                rng.random_range(0..people.len())
            }
        })
        .find(|&p| people[p].documented)
}

/// A registered resident: their arrival is their residence's.
fn resident(world: &World<'_>, entry: &mut checkpoint_entry::Model, person_id: i64) {
    let grid = &world.tree.grids[world.grid_of(person_id)];
    entry.person_id = Some(person_id);
    entry.destination_org_id = Some(grid.id);
    entry.destination_path = Some(grid.path.clone());
}

/// A traveller not registered here, heading for `grid`, now and then with a resident ID
/// number of a (fictional) region elsewhere.
fn traveller(
    world: &World<'_>,
    rng: &mut StdRng,
    entry: &mut checkpoint_entry::Model,
    grid: usize,
) {
    let sex = if rng.random_bool(0.5) {
        Sex::Male
    } else {
        Sex::Female
    };
    entry.traveller_name = Some(synthetic::name(rng, sex));
    entry.traveller_phone = Some(format!("139{:08}", rng.random_range(0..100_000_000u32)));
    if rng.random_bool(0.4) {
        let region = rng.random_range(TRAVELLER_REGIONS);
        let birth = NaiveDate::from_ymd_opt(
            rng.random_range(1950..2006),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        )
        .unwrap_or_default();
        let base: u16 = rng.random_range(0..500) * 2;
        let sequence = if sex == Sex::Male { base + 1 } else { base };
        if let Some(id) = ResidentId::generate(region, birth, sequence.min(999)) {
            entry.traveller_document_type = Some(DocumentType::ResidentId);
            entry.traveller_document = Some(id.as_str().to_owned());
        }
    }
    let grid = &world.tree.grids[grid];
    entry.destination_org_id = Some(grid.id);
    entry.destination_path = Some(grid.path.clone());
}
