//! Progress on stderr: a line per phase while it runs (at most one a second) and when it
//! ends, then a summary of every phase.

use std::time::{Duration, Instant};

const REPORT_EVERY: Duration = Duration::from_secs(1);

/// The phases done so far.
pub struct Progress {
    started: Instant,
    done: Vec<Done>,
}

struct Done {
    name: String,
    rows: usize,
    elapsed: Duration,
}

/// One phase under way: rows written of those expected.
pub struct Phase {
    name: String,
    expected: usize,
    rows: usize,
    started: Instant,
    reported: Instant,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            done: Vec::new(),
        }
    }

    pub fn start(&self, name: impl Into<String>, expected: usize) -> Phase {
        let now = Instant::now();
        Phase {
            name: name.into(),
            expected,
            rows: 0,
            started: now,
            reported: now,
        }
    }

    pub fn finish(&mut self, phase: Phase) {
        phase.report();
        self.done.push(Done {
            name: phase.name,
            rows: phase.rows,
            elapsed: phase.started.elapsed(),
        });
    }

    /// A step that writes no rows of its own (planning in memory, commit, ANALYZE).
    pub fn step(&mut self, name: &str, started: Instant) {
        let elapsed = started.elapsed();
        eprintln!("{name:<20} {:>25} {:>7.1} s", "", elapsed.as_secs_f64());
        self.done.push(Done {
            name: name.to_owned(),
            rows: 0,
            elapsed,
        });
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Every phase with its rows, time and rate, and the totals.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "{:<20} {:>11} {:>9} {:>12}\n",
            "phase", "rows", "seconds", "rows/s"
        );
        let mut rows = 0;
        for done in &self.done {
            rows += done.rows;
            let rate = if done.rows > 0 {
                thousands(rate(done.rows, done.elapsed))
            } else {
                String::new()
            };
            let count = if done.rows > 0 {
                thousands(done.rows as u64)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{:<20} {count:>11} {:>9.1} {rate:>12}\n",
                done.name,
                done.elapsed.as_secs_f64(),
            ));
        }
        let total = self.elapsed();
        out.push_str(&format!(
            "{:<20} {:>11} {:>9.1} {:>12}\n",
            "total",
            thousands(rows as u64),
            total.as_secs_f64(),
            thousands(rate(rows, total)),
        ));
        out
    }
}

impl Phase {
    pub fn add(&mut self, rows: usize) {
        self.rows += rows;
        if self.reported.elapsed() >= REPORT_EVERY {
            self.report();
            self.reported = Instant::now();
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    fn report(&self) {
        let elapsed = self.started.elapsed();
        let done = format!(
            "{}/{}",
            thousands(self.rows as u64),
            thousands(self.expected as u64)
        );
        eprintln!(
            "{:<20} {done:>25} {:>7.1} s {:>10} rows/s",
            self.name,
            elapsed.as_secs_f64(),
            thousands(rate(self.rows, elapsed)),
        );
    }
}

fn rate(rows: usize, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64().max(1e-3);
    (rows as f64 / secs).round() as u64
}

/// 1234567 as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated_by_commas() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
