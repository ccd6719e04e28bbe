//! Picking residents for parts in the outbreak. Each person plays at most one part (a case,
//! a close contact, someone observed after a journey), which keeps the one-open-case and
//! one-active-observation rules without bookkeeping; a contact lives where the relation
//! to the case says: the same grid for a household, the district (or across town) for
//! work, anywhere for travel.

use entity::ContactRelation;
use rand::{rngs::StdRng, Rng};

use super::World;

/// Random tries before falling back to a scan: a city runs out of free residents only when
/// it is very small.
const TRIES: usize = 64;
const TRIES_IN_GRID: usize = 8;

pub struct Picker {
    taken: Vec<bool>,
}

impl Picker {
    pub fn new(residents: usize) -> Self {
        Self {
            taken: vec![false; residents],
        }
    }

    fn take(&mut self, index: usize) -> Option<usize> {
        if self.taken[index] {
            return None;
        }
        self.taken[index] = true;
        Some(index)
    }

    /// Anyone in the city not yet in the outbreak.
    pub fn anyone(&mut self, rng: &mut StdRng) -> Option<usize> {
        let count = self.taken.len();
        if count == 0 {
            return None;
        }
        for _ in 0..TRIES {
            if let Some(index) = self.take(rng.random_range(0..count)) {
                return Some(index);
            }
        }
        let start = rng.random_range(0..count);
        (0..count)
            .map(|i| (start + i) % count)
            .find(|&i| !self.taken[i])
            .and_then(|i| self.take(i))
    }

    /// Someone of `grid` not yet in the outbreak.
    fn in_grid(&mut self, world: &World<'_>, rng: &mut StdRng, grid: usize) -> Option<usize> {
        let residents = &world.residents.by_grid[grid];
        if residents.is_empty() {
            return None;
        }
        (0..TRIES_IN_GRID).find_map(|_| {
            let index = residents[rng.random_range(0..residents.len())] as usize;
            self.take(index)
        })
    }

    /// A close contact of someone living in `grid`, where `relation` makes them live.
    pub fn contact_of(
        &mut self,
        world: &World<'_>,
        rng: &mut StdRng,
        grid: usize,
        relation: ContactRelation,
    ) -> Option<usize> {
        let tree = world.tree;
        let district = tree.district_of_grid(grid);
        let random_of = |rng: &mut StdRng, grids: &[usize]| grids[rng.random_range(0..grids.len())];
        let elsewhere = |rng: &mut StdRng| {
            let others = tree.districts.len() - 1;
            let mut other = rng.random_range(0..others.max(1));
            if others > 0 && other >= district {
                other += 1;
            }
            random_of(rng, &tree.grids_of_district[other])
        };
        let target = match relation {
            ContactRelation::Household => grid,
            ContactRelation::Work | ContactRelation::Medical => {
                if rng.random_bool(0.3) {
                    elsewhere(rng)
                } else {
                    random_of(rng, &tree.grids_of_district[district])
                }
            }
            ContactRelation::Social => {
                if rng.random_bool(0.25) {
                    elsewhere(rng)
                } else {
                    random_of(rng, &tree.grids_of_street[tree.street_of_grid(grid)])
                }
            }
            ContactRelation::Travel | ContactRelation::Other => {
                rng.random_range(0..tree.grids.len())
            }
        };
        self.in_grid(world, rng, target)
            .or_else(|| self.anyone(rng))
    }
}
