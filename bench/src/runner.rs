//! Closed-loop load: N workers, each sending its next request when the last one answered
//! (after a think time, for virtual users), first through a warm-up, then through the
//! measured window. Only requests started inside the window are recorded.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use rand::Rng;

use crate::metrics::{Metrics, Reading};

/// Error messages kept per operation for the report.
const ERROR_SAMPLES: usize = 5;

/// What one request came to.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub error: Option<String>,
    /// Work items done (health checks recorded), for batches.
    pub items: u64,
    /// Items of the request that failed (a check not RECORDED).
    pub item_errors: u64,
    /// SQL statements the request ran, where the client runs them itself (the floor).
    pub statements: u64,
}

impl Outcome {
    pub fn ok() -> Self {
        Self::default()
    }

    pub fn error(message: impl Into<String>) -> Self {
        Self {
            error: Some(message.into()),
            ..Self::default()
        }
    }
}

/// Figures of one operation, merged over the workers.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Latency in microseconds.
    pub latency: Histogram<u64>,
    pub requests: u64,
    pub errors: u64,
    pub items: u64,
    pub item_errors: u64,
    pub statements: u64,
    pub error_samples: Vec<String>,
}

/// An empty latency histogram: 1 µs to 10 min at 3 significant figures (longer values
/// are clamped). Made once at start, then cloned.
pub fn empty_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 600_000_000, 3)?)
}

impl Stats {
    pub fn new(empty: &Histogram<u64>) -> Self {
        Self {
            latency: empty.clone(),
            requests: 0,
            errors: 0,
            items: 0,
            item_errors: 0,
            statements: 0,
            error_samples: Vec::new(),
        }
    }

    pub fn record(&mut self, latency: Duration, outcome: Outcome) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.latency.saturating_record(micros);
        self.requests += 1;
        self.items += outcome.items;
        self.item_errors += outcome.item_errors;
        self.statements += outcome.statements;
        if let Some(error) = outcome.error {
            self.errors += 1;
            if self.error_samples.len() < ERROR_SAMPLES && !self.error_samples.contains(&error) {
                self.error_samples.push(error);
            }
        }
    }

    pub fn merge(&mut self, other: &Stats) {
        let _ = self.latency.add(&other.latency);
        self.requests += other.requests;
        self.errors += other.errors;
        self.items += other.items;
        self.item_errors += other.item_errors;
        self.statements += other.statements;
        for error in &other.error_samples {
            if self.error_samples.len() < ERROR_SAMPLES && !self.error_samples.contains(error) {
                self.error_samples.push(error.clone());
            }
        }
    }
}

/// Per-operation figures of one run, in the order operations were first seen.
#[derive(Debug, Clone)]
pub struct OpStats {
    empty: Histogram<u64>,
    pub ops: Vec<(&'static str, Stats)>,
}

impl OpStats {
    pub fn new(empty: &Histogram<u64>) -> Self {
        Self {
            empty: empty.clone(),
            ops: Vec::new(),
        }
    }

    fn entry(&mut self, name: &'static str) -> &mut Stats {
        let index = match self.ops.iter().position(|(n, _)| *n == name) {
            Some(index) => index,
            None => {
                self.ops.push((name, Stats::new(&self.empty)));
                self.ops.len() - 1
            }
        };
        &mut self.ops[index].1
    }

    fn merge(&mut self, other: &OpStats) {
        for (name, stats) in &other.ops {
            self.entry(name).merge(stats);
        }
    }

    /// Every operation together.
    pub fn overall(&self) -> Stats {
        let mut all = Stats::new(&self.empty);
        for (_, stats) in &self.ops {
            all.merge(stats);
        }
        all
    }
}

/// How long to warm up and to measure.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub warmup: Duration,
    pub duration: Duration,
}

/// Think time between a virtual user's requests: uniform in `[0, 2 × mean]`.
#[derive(Debug, Clone, Copy)]
pub struct Think(pub Duration);

impl Think {
    fn next(&self) -> Duration {
        let max = self.0.as_secs_f64() * 2.0;
        Duration::from_secs_f64(rand::rng().random_range(0.0..=max))
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Run {
    pub ops: OpStats,
    pub duration: Duration,
    /// Server figures at the start and end of the window, when the server was measured.
    pub before: Option<Reading>,
    pub after: Option<Reading>,
    pub max_rss_bytes: Option<u64>,
}

/// Runs `op` from `workers` closed-loop workers. `op(worker)` sends one request and names
/// its operation; `think` pauses a virtual user between requests; `metrics` is read at the
/// start and end of the window and sampled for RSS during it (the server's runs; the floor
/// passes `None`).
pub async fn closed_loop<F, Fut>(
    workers: usize,
    window: Window,
    think: Option<Think>,
    metrics: Option<&Metrics>,
    op: F,
) -> anyhow::Result<Run>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (&'static str, Outcome)> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let measure_from = start + window.warmup;
    let end = measure_from + window.duration;
    let empty = empty_histogram()?;
    let mut handles = Vec::with_capacity(workers);
    for worker in 0..workers {
        let op = Arc::clone(&op);
        let empty = empty.clone();
        handles.push(tokio::spawn(async move {
            let mut ops = OpStats::new(&empty);
            if let Some(think) = think {
                // Virtual users do not all start at the same instant.
                sleep_until_before(Instant::now() + think.next(), end).await;
            }
            while Instant::now() < end {
                let began = Instant::now();
                let (name, outcome) = op(worker).await;
                if began >= measure_from {
                    ops.entry(name).record(began.elapsed(), outcome);
                }
                if let Some(think) = think {
                    sleep_until_before(Instant::now() + think.next(), end).await;
                }
            }
            ops
        }));
    }
    tokio::time::sleep_until(measure_from.into()).await;
    let (before, sampler) = match metrics {
        Some(m) => (
            Some(m.read().await?),
            Some(m.sample_rss(Duration::from_millis(500))),
        ),
        None => (None, None),
    };
    let mut ops = OpStats::new(&empty);
    for handle in handles {
        match handle.await {
            Ok(worker_ops) => ops.merge(&worker_ops),
            Err(err) => anyhow::bail!("a load worker failed: {err}"),
        }
    }
    let max_rss_bytes = match sampler {
        Some(s) => s.finish().await,
        None => None,
    };
    let after = match metrics {
        Some(m) => Some(m.read().await?),
        None => None,
    };
    let max_rss_bytes = max_rss_bytes.max(after.and_then(|a| a.rss_bytes));
    Ok(Run {
        ops,
        duration: window.duration,
        before,
        after,
        max_rss_bytes,
    })
}

async fn sleep_until_before(at: Instant, end: Instant) {
    tokio::time::sleep_until(at.min(end).into()).await;
}
