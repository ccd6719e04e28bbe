//! Figures of a run: computed from the runner's statistics, printed as a table, written as
//! JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::runner::{Run, Stats};

/// Latency and throughput of one operation (or of a whole scenario).
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub requests: u64,
    pub throughput_rps: f64,
    /// Health checks recorded per second (checks scenarios and the mix's checks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks_per_s: Option<f64>,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    pub errors: u64,
    /// Checks not RECORDED, where the operation records checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_errors: Option<u64>,
    /// The first few distinct error messages (with their codes).
    pub error_samples: Vec<String>,
}

impl Figures {
    pub fn of(stats: &Stats, seconds: f64, counts_checks: bool) -> Self {
        let ms = |micros: u64| micros as f64 / 1000.0;
        let h = &stats.latency;
        let empty = stats.requests == 0;
        let pick = |q: f64| {
            if empty {
                0.0
            } else {
                ms(h.value_at_quantile(q))
            }
        };
        let per_s = |n: u64| {
            if seconds > 0.0 {
                n as f64 / seconds
            } else {
                0.0
            }
        };
        Self {
            requests: stats.requests,
            throughput_rps: per_s(stats.requests),
            checks_per_s: counts_checks.then(|| per_s(stats.items)),
            p50_ms: pick(0.50),
            p95_ms: pick(0.95),
            p99_ms: pick(0.99),
            max_ms: if empty { 0.0 } else { ms(h.max()) },
            mean_ms: if empty { 0.0 } else { h.mean() / 1000.0 },
            errors: stats.errors,
            item_errors: counts_checks.then_some(stats.item_errors),
            error_samples: stats.error_samples.clone(),
        }
    }
}

/// One operation of the mix.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The floor of a scenario and the server's figures over it.
#[derive(Debug, Clone, Serialize)]
pub struct Floor {
    #[serde(flatten)]
    pub figures: Figures,
    /// Statements the floor ran ÷ its requests.
    pub statements_per_request: f64,
    /// Server ÷ floor: latency above 1 and throughput below 1 mean the server is slower.
    pub ratio_p50: f64,
    pub ratio_p99: f64,
    pub ratio_throughput: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub scenario: String,
    /// Closed-loop clients (or virtual users, for `mixed`).
    pub clients: usize,
    pub duration_s: f64,
    #[serde(flatten)]
    pub server: Figures,
    /// Statements counted by the server over the measured window ÷ requests in it.
    pub sql_statements: Option<u64>,
    pub statements_per_request: Option<f64>,
    /// Largest resident memory of the server sampled during the window.
    pub max_rss_mb: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Operation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<Floor>,
}

impl ScenarioResult {
    pub fn from_run(name: &str, clients: usize, run: &Run, counts_checks: bool) -> Self {
        let seconds = run.duration.as_secs_f64();
        let overall = run.ops.overall();
        let statements = match (run.before, run.after) {
            (Some(b), Some(a)) => Some(a.statements.saturating_sub(b.statements)),
            _ => None,
        };
        let per_request = statements
            .filter(|_| overall.requests > 0)
            .map(|s| s as f64 / overall.requests as f64);
        let operations = if run.ops.ops.len() > 1 {
            run.ops
                .ops
                .iter()
                .map(|(name, stats)| Operation {
                    name: (*name).to_owned(),
                    figures: Figures::of(stats, seconds, name.starts_with("check")),
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            scenario: name.to_owned(),
            clients,
            duration_s: seconds,
            server: Figures::of(&overall, seconds, counts_checks),
            sql_statements: statements,
            statements_per_request: per_request,
            max_rss_mb: run.max_rss_bytes.map(|b| b as f64 / 1_048_576.0),
            operations,
            floor: None,
        }
    }

    pub fn with_floor(mut self, floor: &Run) -> Self {
        let overall = floor.ops.overall();
        let figures = Figures::of(&overall, floor.duration.as_secs_f64(), false);
        let statements_per_request = if overall.requests > 0 {
            overall.statements as f64 / overall.requests as f64
        } else {
            0.0
        };
        let ratio = |server: f64, floor: f64| if floor > 0.0 { server / floor } else { 0.0 };
        self.floor = Some(Floor {
            ratio_p50: ratio(self.server.p50_ms, figures.p50_ms),
            ratio_p99: ratio(self.server.p99_ms, figures.p99_ms),
            ratio_throughput: ratio(self.server.throughput_rps, figures.throughput_rps),
            statements_per_request,
            figures,
        });
        self
    }

    pub fn errors(&self) -> u64 {
        self.server.errors + self.floor.as_ref().map_or(0, |f| f.figures.errors)
    }
}

/// A whole run, as written to `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub timestamp: String,
    pub parameters: serde_json::Value,
    pub sample: String,
    /// The figures: the one run's, or with `--runs` the median of the runs.
    pub scenarios: Vec<ScenarioResult>,
    /// Every run, when there were several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<Vec<ScenarioResult>>,
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// The table printed on stdout.
pub fn table(results: &[ScenarioResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<18} {:>7} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8} {:>6} {:>8} {:>7}",
        "scenario",
        "reqs",
        "req/s",
        "checks/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
        "stmt/req",
        "RSS MB"
    );
    for r in results {
        row(
            &mut out,
            &r.scenario,
            &r.server,
            r.statements_per_request,
            r.max_rss_mb,
        );
        for op in &r.operations {
            row(&mut out, &format!("  {}", op.name), &op.figures, None, None);
        }
        if let Some(floor) = &r.floor {
            row(
                &mut out,
                "  floor (SQL)",
                &floor.figures,
                Some(floor.statements_per_request),
                None,
            );
            let _ = writeln!(
                out,
                "  server/floor: p50 ×{:.2}, p99 ×{:.2}, throughput ×{:.2}",
                floor.ratio_p50, floor.ratio_p99, floor.ratio_throughput
            );
        }
        for error in &r.server.error_samples {
            let _ = writeln!(out, "  error: {error}");
        }
        if let Some(floor) = &r.floor {
            for error in &floor.figures.error_samples {
                let _ = writeln!(out, "  floor error: {error}");
            }
        }
    }
    out
}

fn row(out: &mut String, name: &str, f: &Figures, statements: Option<f64>, rss: Option<f64>) {
    let errors = match f.item_errors {
        Some(items) if items > 0 => format!("{}/{items}", f.errors),
        _ => f.errors.to_string(),
    };
    let _ = writeln!(
        out,
        "{:<18} {:>7} {:>9.1} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>6} {:>8} {:>7}",
        name,
        f.requests,
        f.throughput_rps,
        opt(f.checks_per_s, 1),
        f.p50_ms,
        f.p95_ms,
        f.p99_ms,
        f.max_ms,
        errors,
        opt(statements, 2),
        opt(rss, 1),
    );
}

/// The middle value (the mean of the two middle ones for an even count).
fn middle(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

impl Figures {
    /// Each figure's median over runs; errors are summed, so one bad run shows.
    fn median(runs: &[&Figures]) -> Self {
        let of = |f: fn(&Figures) -> f64| middle(runs.iter().map(|r| f(r)).collect());
        let checks: Vec<f64> = runs.iter().filter_map(|r| r.checks_per_s).collect();
        let item_errors: Vec<u64> = runs.iter().filter_map(|r| r.item_errors).collect();
        Self {
            requests: of(|r| r.requests as f64).round() as u64,
            throughput_rps: of(|r| r.throughput_rps),
            checks_per_s: (!checks.is_empty()).then(|| middle(checks)),
            p50_ms: of(|r| r.p50_ms),
            p95_ms: of(|r| r.p95_ms),
            p99_ms: of(|r| r.p99_ms),
            max_ms: of(|r| r.max_ms),
            mean_ms: of(|r| r.mean_ms),
            errors: runs.iter().map(|r| r.errors).sum(),
            item_errors: (!item_errors.is_empty()).then(|| item_errors.iter().sum()),
            error_samples: runs
                .iter()
                .flat_map(|r| r.error_samples.iter().cloned())
                .take(5)
                .collect(),
        }
    }
}

impl ScenarioResult {
    /// The median of repeated runs of one scenario: each figure's median, errors summed,
    /// memory the largest seen, ratios to the floor taken between the medians.
    pub fn median(runs: &[&ScenarioResult]) -> Option<Self> {
        let first = runs.first()?;
        let server = Figures::median(&runs.iter().map(|r| &r.server).collect::<Vec<_>>());
        let per_request: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.statements_per_request)
            .collect();
        // The mix's operations, matched by name: their order differs from run to run.
        let operations = first
            .operations
            .iter()
            .map(|op| Operation {
                name: op.name.clone(),
                figures: Figures::median(
                    &runs
                        .iter()
                        .filter_map(|r| r.operations.iter().find(|o| o.name == op.name))
                        .map(|o| &o.figures)
                        .collect::<Vec<_>>(),
                ),
            })
            .collect();
        let floors: Vec<&Floor> = runs.iter().filter_map(|r| r.floor.as_ref()).collect();
        let floor = (!floors.is_empty()).then(|| {
            let figures = Figures::median(&floors.iter().map(|f| &f.figures).collect::<Vec<_>>());
            let ratio = |server: f64, floor: f64| if floor > 0.0 { server / floor } else { 0.0 };
            Floor {
                ratio_p50: ratio(server.p50_ms, figures.p50_ms),
                ratio_p99: ratio(server.p99_ms, figures.p99_ms),
                ratio_throughput: ratio(server.throughput_rps, figures.throughput_rps),
                statements_per_request: middle(
                    floors.iter().map(|f| f.statements_per_request).collect(),
                ),
                figures,
            }
        });
        Some(Self {
            scenario: first.scenario.clone(),
            clients: first.clients,
            duration_s: first.duration_s,
            server,
            sql_statements: None,
            statements_per_request: (!per_request.is_empty()).then(|| middle(per_request)),
            max_rss_mb: runs
                .iter()
                .filter_map(|r| r.max_rss_mb)
                .max_by(f64::total_cmp),
            operations,
            floor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_three_is_the_middle_and_of_four_the_mean_of_the_middle_two() {
        assert_eq!(middle(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(middle(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(middle(vec![]), 0.0);
    }
}
