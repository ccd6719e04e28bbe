//! How big each part of the city is, in proportion to its residents. The figures per
//! million are those of a mid-sized outbreak under control: two thousand cases, ten close
//! contacts traced for each, thirty thousand under medical observation.

/// Residents per unit of each level, as in a Chinese city of a million: about 8 districts,
/// 80 street offices, 700 communities and 3,300 grids of 300 residents.
const RESIDENTS_PER_DISTRICT: f64 = 125_000.0;
const RESIDENTS_PER_STREET: f64 = 12_500.0;
const RESIDENTS_PER_COMMUNITY: f64 = 1_430.0;
const RESIDENTS_PER_GRID: f64 = 300.0;

const CASES_PER_MILLION: f64 = 2_000.0;
const CONTACTS_PER_MILLION: f64 = 20_000.0;
const QUARANTINES_PER_MILLION: f64 = 30_000.0;
const CHECKPOINT_ENTRIES_PER_MILLION: f64 = 200_000.0;

/// Days of records before today that the city holds (checks, passages, daily reports).
pub const WINDOW_DAYS: u64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub residents: usize,
    pub districts: usize,
    pub streets: usize,
    pub communities: usize,
    pub grids: usize,
    pub cases: usize,
    pub contacts: usize,
    pub quarantines: usize,
    pub checkpoint_entries: usize,
}

impl Scale {
    /// At least two districts, so that even a small city has contacts across district
    /// lines; at least one unit below each unit.
    pub fn for_residents(residents: usize) -> Self {
        let r = residents as f64;
        let count = |per: f64| (r / per).round() as usize;
        let districts = count(RESIDENTS_PER_DISTRICT).max(2);
        let streets = count(RESIDENTS_PER_STREET).max(districts);
        let communities = count(RESIDENTS_PER_COMMUNITY).max(streets);
        let grids = count(RESIDENTS_PER_GRID).max(communities);
        let per_million = |n: f64| ((n * r / 1e6).round() as usize).max(1);
        Self {
            residents,
            districts,
            streets,
            communities,
            grids,
            cases: per_million(CASES_PER_MILLION),
            contacts: per_million(CONTACTS_PER_MILLION),
            quarantines: per_million(QUARANTINES_PER_MILLION),
            checkpoint_entries: per_million(CHECKPOINT_ENTRIES_PER_MILLION),
        }
    }
}

/// `total` split into `parts` shares that differ by at most one, the larger ones first.
pub fn spread(total: usize, parts: usize) -> Vec<usize> {
    let parts = parts.max(1);
    (0..parts)
        .map(|i| total / parts + usize::from(i < total % parts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_million_residents_make_a_city_of_the_usual_shape() {
        let scale = Scale::for_residents(1_000_000);
        assert_eq!(scale.districts, 8);
        assert_eq!(scale.streets, 80);
        assert_eq!(scale.communities, 699);
        assert_eq!(scale.grids, 3_333);
        assert_eq!(scale.cases, 2_000);
        assert_eq!(scale.quarantines, 30_000);
    }

    #[test]
    fn a_small_city_still_has_two_districts_and_a_case() {
        let scale = Scale::for_residents(300);
        assert_eq!((scale.districts, scale.streets), (2, 2));
        assert!(scale.communities >= 2 && scale.grids >= scale.communities);
        assert_eq!(scale.cases, 1);
    }

    #[test]
    fn spread_shares_differ_by_at_most_one() {
        assert_eq!(spread(10, 3), vec![4, 3, 3]);
        assert_eq!(spread(2, 4), vec![1, 1, 0, 0]);
    }
}
