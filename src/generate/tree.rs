//! The jurisdiction tree, CITY > DISTRICT > STREET > COMMUNITY > GRID, built the way the
//! demo city builds its own: codes that extend the parent's (`CITY-01-02-03-04`), ids in
//! depth-first order from 1, and materialized paths of ids (`/1/2/3/`) as `OrgPath` makes
//! them, which scope checks compare by prefix.

use entity::{org_unit, OrgLevel};

use super::{calendar::Calendar, names, scale::spread, scale::Scale};
use crate::domain::values::OrgPath;

pub const CITY_CODE: &str = "CITY";

/// A unit below the city, with the index of its parent in the level above.
#[derive(Debug, Clone)]
pub struct Place {
    pub id: i64,
    pub code: String,
    pub path: String,
    pub name: String,
    pub parent: usize,
}

/// The tree as rows, and each level as a list for the generators to pick from.
pub struct Tree {
    pub units: Vec<org_unit::Model>,
    pub city: Place,
    pub districts: Vec<Place>,
    pub streets: Vec<Place>,
    pub communities: Vec<Place>,
    pub grids: Vec<Place>,
    /// Full name of each community for addresses: 星河市江北区新华街道幸福里社区.
    pub community_addresses: Vec<String>,
    /// Grids of each district, for picking a neighbour or someone across town.
    pub grids_of_district: Vec<Vec<usize>>,
    pub grids_of_street: Vec<Vec<usize>>,
}

impl Tree {
    pub fn community_of_grid(&self, grid: usize) -> usize {
        self.grids[grid].parent
    }

    pub fn street_of_grid(&self, grid: usize) -> usize {
        self.communities[self.community_of_grid(grid)].parent
    }

    pub fn district_of_grid(&self, grid: usize) -> usize {
        self.streets[self.street_of_grid(grid)].parent
    }

    /// The district a unit lies in. Ids run depth first, so a district's units have the
    /// ids from its own up to the next district's.
    pub fn district_of_unit(&self, id: i64) -> usize {
        self.districts
            .partition_point(|d| d.id <= id)
            .saturating_sub(1)
    }

    /// The grid with this id, if it is one.
    pub fn grid_by_id(&self, id: i64) -> Option<usize> {
        self.grids.binary_search_by_key(&id, |g| g.id).ok()
    }
}

/// Whether the `d`th of `districts` is a rural county: the last one of a city of four or
/// more, with towns and villages instead of street offices and communities.
fn is_county(d: usize, districts: usize) -> bool {
    districts >= 4 && d == districts - 1
}

pub fn build(scale: &Scale, calendar: &Calendar) -> Tree {
    let created_at = calendar.at(calendar.day(90), 9, 0);
    let mut units = Vec::with_capacity(1 + scale.districts + scale.streets + scale.grids * 2);
    let mut add = |code: String, name: String, level: OrgLevel, parent: Option<&Place>| {
        let id = units.len() as i64 + 1;
        let path = match parent {
            Some(parent) => OrgPath::parse(&parent.path)
                .map(|p| p.child(id))
                .unwrap_or_else(|| OrgPath::root(id)),
            None => OrgPath::root(id),
        };
        units.push(org_unit::Model {
            id,
            code: code.clone(),
            name: name.clone(),
            level,
            parent_id: parent.map(|p| p.id),
            path: path.as_str().to_owned(),
            created_at,
        });
        Place {
            id,
            code,
            path: path.as_str().to_owned(),
            name,
            parent: 0,
        }
    };

    let city = add(
        CITY_CODE.to_owned(),
        names::CITY.to_owned(),
        OrgLevel::City,
        None,
    );
    let (mut districts, mut streets, mut communities, mut grids) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut community_addresses = Vec::new();
    let mut grids_of_district = Vec::new();
    let mut grids_of_street = Vec::new();
    let streets_per_district = spread(scale.streets, scale.districts);
    let communities_per_street = spread(scale.communities, scale.streets);
    let grids_per_community = spread(scale.grids, scale.communities);
    let (mut urban, mut counties, mut city_streets, mut towns, mut city_communities, mut villages) =
        (0, 0, 0, 0, 0, 0);
    for (d, street_count) in streets_per_district.iter().enumerate() {
        let county = is_county(d, scale.districts);
        let name = if county {
            counties += 1;
            names::county(counties - 1)
        } else {
            urban += 1;
            names::district(urban - 1)
        };
        let district = add(
            format!("{CITY_CODE}-{:02}", d + 1),
            name,
            OrgLevel::District,
            Some(&city),
        );
        let mut in_district = Vec::new();
        for s in 0..*street_count {
            let name = if county {
                towns += 1;
                names::street(towns - 1, true)
            } else {
                city_streets += 1;
                names::street(city_streets - 1, false)
            };
            let mut street = add(
                format!("{}-{:02}", district.code, s + 1),
                name,
                OrgLevel::Street,
                Some(&district),
            );
            street.parent = districts.len();
            let mut in_street = Vec::new();
            for c in 0..communities_per_street[streets.len()] {
                let name = if county {
                    villages += 1;
                    names::community(villages - 1, true)
                } else {
                    city_communities += 1;
                    names::community(city_communities - 1, false)
                };
                let mut community = add(
                    format!("{}-{:02}", street.code, c + 1),
                    name,
                    OrgLevel::Community,
                    Some(&street),
                );
                community.parent = streets.len();
                community_addresses.push(format!(
                    "{}{}{}{}",
                    city.name, district.name, street.name, community.name
                ));
                for g in 0..grids_per_community[communities.len()] {
                    let mut grid = add(
                        format!("{}-{:02}", community.code, g + 1),
                        names::grid(g),
                        OrgLevel::Grid,
                        Some(&community),
                    );
                    grid.parent = communities.len();
                    in_district.push(grids.len());
                    in_street.push(grids.len());
                    grids.push(grid);
                }
                communities.push(community);
            }
            grids_of_street.push(in_street);
            streets.push(street);
        }
        grids_of_district.push(in_district);
        districts.push(district);
    }
    Tree {
        units,
        city,
        districts,
        streets,
        communities,
        grids,
        community_addresses,
        grids_of_district,
        grids_of_street,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, TimeZone};

    use super::*;
    use crate::domain::clock::Clock;

    fn calendar() -> Calendar {
        let clock = Clock {
            offset: FixedOffset::east_opt(8 * 3600).unwrap(),
            skew: chrono::Duration::zero(),
        };
        Calendar::new(
            clock,
            chrono::Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap(),
        )
    }

    #[test]
    fn codes_extend_the_parents_and_paths_follow_ids_depth_first() {
        let tree = build(&Scale::for_residents(5_000), &calendar());
        let city = &tree.units[0];
        assert_eq!((city.code.as_str(), city.path.as_str()), ("CITY", "/1/"));
        let district = &tree.units[1];
        assert_eq!(
            (district.code.as_str(), district.path.as_str()),
            ("CITY-01", "/1/2/")
        );
        let grid = &tree.grids[0];
        assert_eq!(grid.code, "CITY-01-01-01-01");
        assert_eq!(grid.path, "/1/2/3/4/5/");
        for unit in &tree.units {
            let path = OrgPath::parse(&unit.path).unwrap();
            assert!(unit.path.ends_with(&format!("/{}/", unit.id)));
            let parent = unit.parent_id.map(|id| &tree.units[id as usize - 1]);
            if let Some(parent) = parent {
                assert!(unit.code.starts_with(&format!("{}-", parent.code)));
                assert_eq!(
                    path.depth(),
                    OrgPath::parse(&parent.path).unwrap().depth() + 1
                );
            }
        }
    }

    #[test]
    fn every_unit_has_a_child_down_to_the_grids() {
        for residents in [100, 5_000, 1_000_000] {
            let scale = Scale::for_residents(residents);
            let tree = build(&scale, &calendar());
            assert_eq!(tree.grids.len(), scale.grids);
            assert_eq!(tree.communities.len(), scale.communities);
            assert!(tree.grids_of_district.iter().all(|g| !g.is_empty()));
            assert!(tree.grids_of_street.iter().all(|g| !g.is_empty()));
        }
    }
}
