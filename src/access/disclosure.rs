//! Statistical disclosure control of the figures analysts read (统计披露控制).
//!
//! Hiding a small count as "<5" protects nothing if it can be subtracted back out: a
//! district's total minus its other children, a period minus its other days, two
//! overlapping periods. So every figure an analyst reads is perturbed, by the consistent
//! cell-key method national statistics offices use for published census tables (the
//! Australian Bureau of Statistics' TableBuilder, the European "cell key method"):
//!
//! - each **cell** (a measure, a unit, and for flows the day) gets a key from a keyed hash
//!   of what it is and of its true count, and from the key a small noise in −2..=+2 (half
//!   the time 0; a true count above zero never shows below 1, a true zero stays 0);
//! - the same cell always gets the same noise, so asking again, or asking the same thing
//!   another way (statistics and the daily report count a day's cases alike), teaches
//!   nothing; a stock that stays the same from day to day (people under observation)
//!   keeps the same noise, so it cannot be averaged out over days;
//! - a period's flows are the sums of its perturbed days, so a period minus its other days
//!   gives back exactly the perturbed day and never the true one, however the windows
//!   overlap; a parent and its children are perturbed each on its own, so a total minus
//!   the other children leaves the hidden child plus noise;
//! - then a perturbed count from 1 to below the threshold reads "<5" as before.
//!
//! Operators of the command and every other principal see exact figures; only the roles
//! the policy names (`policy::suppresses_small_counts`) are protected. The key is secret
//! (`DISCLOSURE_KEY`), so that nobody can compute the noise of a cell themselves.

use sha2::{Digest, Sha256};

use super::policy;
use crate::auth::Principal;

/// Which figures a cell holds: a measure, a unit, and a day for flows (`None` for stocks
/// and for figures of no day, so that an unchanged count keeps its noise from day to day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell<'a> {
    pub measure: &'a str,
    pub unit: i64,
    pub day: Option<i64>,
}

/// The deployment's secret for cell keys. Never printed.
#[derive(Clone)]
pub struct DisclosureKey([u8; 32]);

impl DisclosureKey {
    /// From `DISCLOSURE_KEY`, else derived from the JWT secret (distinct from it).
    pub fn new(configured: Option<&str>, jwt_secret: &str) -> Self {
        let digest = match configured {
            Some(key) => Sha256::digest(key.as_bytes()),
            None => Sha256::digest([b"disclosure:".as_slice(), jwt_secret.as_bytes()].concat()),
        };
        Self(digest.into())
    }
}

impl std::fmt::Debug for DisclosureKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DisclosureKey(..)")
    }
}

/// The perturbation applied to one principal's figures, or none.
#[derive(Clone)]
pub struct Disclosure {
    key: Option<[u8; 32]>,
}

/// Noise by the key's position in [0, 1): P(0) = 1/2, P(±1) = 1/5 each, P(±2) = 1/20 each.
const NOISE: [(f64, i64); 5] = [(0.05, -2), (0.25, -1), (0.75, 0), (0.95, 1), (1.0, 2)];

/// The largest noise, for tests and documentation: a perturbed count is within this of the
/// true one (except that a true count above zero never shows below 1).
pub const MAX_NOISE: i64 = 2;

impl Disclosure {
    /// Perturbation for principals the policy protects figures from; exact figures for
    /// everyone else.
    pub fn for_principal(principal: &Principal, key: &DisclosureKey) -> Self {
        Self {
            key: policy::suppresses_small_counts(principal.role).then_some(key.0),
        }
    }

    /// Exact figures.
    pub fn exact() -> Self {
        Self { key: None }
    }

    pub fn perturbs(&self) -> bool {
        self.key.is_some()
    }

    /// A flow of `day` (new cases, checks recorded): its own cell each day.
    pub fn flow(&self, measure: &str, unit: i64, day: i64, n: i64) -> i64 {
        let day = Some(day);
        self.count(Cell { measure, unit, day }, n)
    }

    /// A stock, or a figure of no day: one cell whatever the day, so that an unchanged count
    /// keeps its noise.
    pub fn stock(&self, measure: &str, unit: i64, n: i64) -> i64 {
        let day = None;
        self.count(Cell { measure, unit, day }, n)
    }

    /// The count of `cell` as this principal may read it.
    pub fn count(&self, cell: Cell<'_>, n: i64) -> i64 {
        let Some(key) = &self.key else { return n };
        if n <= 0 {
            return n;
        }
        let position = cell_key(key, cell, n);
        let noise = NOISE
            .iter()
            .find(|(upper, _)| position < *upper)
            .map_or(0, |(_, noise)| *noise);
        (n + noise).max(1)
    }
}

/// The cell's key: a keyed hash of the cell and its true count, as a number in [0, 1).
fn cell_key(key: &[u8; 32], cell: Cell<'_>, n: i64) -> f64 {
    let mut hash = Sha256::new();
    hash.update(key);
    hash.update(cell.measure.as_bytes());
    hash.update([0]);
    hash.update(cell.unit.to_le_bytes());
    hash.update(cell.day.map_or([0xff; 8], i64::to_le_bytes));
    hash.update(n.to_le_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (u64::from_le_bytes(first) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perturbing() -> Disclosure {
        Disclosure {
            key: Some(Sha256::digest(b"test").into()),
        }
    }

    fn cell(day: i64) -> Cell<'static> {
        Cell {
            measure: "cases.confirmed",
            unit: 7,
            day: Some(day),
        }
    }

    #[test]
    fn the_same_cell_always_reads_the_same() {
        let d = perturbing();
        for n in 0..50 {
            assert_eq!(d.count(cell(3), n), d.count(cell(3), n));
        }
    }

    #[test]
    fn noise_is_small_and_zero_stays_zero_and_nothing_drops_below_one() {
        let d = perturbing();
        assert_eq!(d.count(cell(1), 0), 0);
        for day in 0..500 {
            for n in 1..20 {
                let q = d.count(cell(day), n);
                assert!(q >= 1 && (q - n).abs() <= MAX_NOISE, "{n} read as {q}");
            }
        }
    }

    #[test]
    fn about_half_the_cells_are_moved_and_the_noise_averages_out() {
        let d = perturbing();
        let noises: Vec<i64> = (0..4000).map(|day| d.count(cell(day), 100) - 100).collect();
        let moved = noises.iter().filter(|n| **n != 0).count();
        assert!((1700..2300).contains(&moved), "{moved} of 4000 moved");
        let mean = noises.iter().sum::<i64>() as f64 / 4000.0;
        assert!(mean.abs() < 0.1, "mean noise {mean}");
    }

    #[test]
    fn exact_figures_are_untouched() {
        assert_eq!(Disclosure::exact().count(cell(1), 3), 3);
    }
}
