//! The residents: one person row each, made by the demo's `ResidentFactory` (Chinese
//! names, phones, addresses, valid resident ID numbers of the fictional `3399` regions, a
//! few vulnerability flags), and a provenance row for every agency that reported them.
//! Written as they are made; what later phases need is kept in a compact list.

use chrono::{DateTime, Duration, Utc};
use entity::{person, person_provenance, Agency};
use rand::{rngs::StdRng, Rng};

use super::{
    bulk::Bulk, calendar::Calendar, progress::Progress, subject, tree::Tree, GenerateError,
};
use crate::demo::synthetic::ResidentFactory;

/// Region codes of the districts: 339901 up, one per district, 89 in all (past that they
/// repeat); 339990..339999 are left for travellers from elsewhere. No real prefecture
/// starts with 3399.
pub const REGION_BASE: u32 = 339_901;
const DISTRICT_REGIONS: usize = 89;
pub const TRAVELLER_REGIONS: std::ops::RangeInclusive<u32> = 339_990..=339_999;

const BY_COMMUNITY: u8 = 1;
const BY_POLICE: u8 = 2;
const BY_HEALTH: u8 = 4;

/// What the later phases need of a resident; the person id is the index plus one.
#[derive(Debug, Clone)]
pub struct Resident {
    pub grid: u32,
    pub vulnerabilities: i32,
    pub documented: bool,
    pub registered_at: DateTime<Utc>,
    reported_by: u8,
}

pub struct Residents {
    pub people: Vec<Resident>,
    /// Indexes into `people` of each grid's residents.
    pub by_grid: Vec<Vec<u32>>,
}

impl Residents {
    pub fn id(index: usize) -> i64 {
        index as i64 + 1
    }

    pub fn grid(&self, index: usize) -> usize {
        self.people[index].grid as usize
    }
}

pub async fn write(
    bulk: &mut Bulk,
    progress: &mut Progress,
    tree: &Tree,
    calendar: &Calendar,
    rng: &mut StdRng,
    count: usize,
) -> Result<Residents, GenerateError> {
    let mut factory = ResidentFactory::new(calendar.today);
    let mut people = Vec::with_capacity(count);
    let mut writer = bulk.table::<person::Entity>(progress, count).await?;
    for index in 0..count {
        let grid = rng.random_range(0..tree.grids.len());
        let community = tree.community_of_grid(grid);
        let region = REGION_BASE + (tree.district_of_grid(grid) % DISTRICT_REGIONS) as u32;
        let resident = factory.resident(rng, region, &tree.community_addresses[community]);
        // Registered by the community a month or two before the outbreak; the police
        // channel knows most households, the health channel a few.
        let registered_at = calendar.at(
            calendar.day(rng.random_range(30..60)),
            rng.random_range(8..18),
            rng.random_range(0..60),
        );
        let mut reported_by = BY_COMMUNITY;
        if rng.random_bool(0.6) {
            reported_by |= BY_POLICE;
        }
        if rng.random_bool(0.1) {
            reported_by |= BY_HEALTH;
        }
        people.push(Resident {
            grid: grid as u32,
            vulnerabilities: resident.vulnerabilities,
            documented: resident.document.is_some(),
            registered_at,
            reported_by,
        });
        writer
            .push(&person::Model {
                id: Residents::id(index),
                document_type: resident.document.as_ref().map(|d| d.0),
                document_number: resident.document.map(|d| d.1),
                name: resident.name,
                sex: resident.sex,
                birth_date: Some(resident.birth_date),
                phone: Some(resident.phone),
                address: Some(resident.address),
                residence_org_id: tree.grids[grid].id,
                residence_path: tree.grids[grid].path.clone(),
                vulnerabilities: resident.vulnerabilities,
                vulnerability_note: None,
                merged_into_id: None,
                version: 1,
                created_at: registered_at,
                updated_at: registered_at,
                created_by_agency: Agency::Community,
                held_for_id: None,
            })
            .await?;
    }
    writer.finish(progress).await?;

    let expected = count + count * 7 / 10;
    let mut writer = bulk
        .table::<person_provenance::Entity>(progress, expected)
        .await?;
    let mut id = 0;
    for (index, resident) in people.iter().enumerate() {
        let grid = &tree.grids[resident.grid as usize];
        let district = &tree.districts[tree.district_of_grid(resident.grid as usize)];
        let community = &tree.communities[grid.parent];
        let channels = [
            (BY_COMMUNITY, Agency::Community, &community.code, 0),
            (BY_POLICE, Agency::Police, &district.code, 3),
            (BY_HEALTH, Agency::Health, &district.code, 9),
        ];
        for (bit, agency, unit, days_later) in channels {
            if resident.reported_by & bit == 0 {
                continue;
            }
            id += 1;
            let at = resident.registered_at + Duration::days(days_later);
            writer
                .push(&person_provenance::Model {
                    id,
                    person_id: Residents::id(index),
                    agency,
                    first_reported_at: at,
                    last_reported_at: at,
                    last_reported_by: subject(agency, unit),
                    report_count: 1,
                })
                .await?;
        }
    }
    writer.finish(progress).await?;

    let mut by_grid = vec![Vec::new(); tree.grids.len()];
    for (index, resident) in people.iter().enumerate() {
        by_grid[resident.grid as usize].push(index as u32);
    }
    Ok(Residents { people, by_grid })
}
