//! The server's `GET /metrics` (Prometheus text): SQL statements run, resident memory.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::Context;
use tokio::{sync::watch, task::JoinHandle};

pub const STATEMENTS: &str = "lianfang_sql_statements_total";
pub const RSS: &str = "process_resident_memory_bytes";

/// One reading of the server's figures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reading {
    pub statements: u64,
    pub rss_bytes: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Metrics {
    client: reqwest::Client,
    url: String,
}

impl Metrics {
    pub fn new(client: reqwest::Client, base_url: &str) -> Self {
        Self {
            client,
            url: format!("{}/metrics", base_url.trim_end_matches('/')),
        }
    }

    pub async fn read(&self) -> anyhow::Result<Reading> {
        // A pooled connection the server closed as idle (keep-alive ends after 5 s, less
        // than a slow scenario's window) fails once on reuse: a fresh one is tried.
        let response = match self.client.get(&self.url).send().await {
            Err(err) if !err.is_timeout() => self.client.get(&self.url).send().await,
            other => other,
        };
        let body = response
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("cannot read {}", self.url))?
            .text()
            .await
            .context("cannot read the metrics body")?;
        Ok(Reading {
            statements: value(&body, STATEMENTS)
                .with_context(|| format!("{} has no {STATEMENTS}", self.url))?,
            rss_bytes: value(&body, RSS),
        })
    }

    /// Samples the resident memory every `every` until stopped; the largest seen.
    pub fn sample_rss(&self, every: Duration) -> RssSampler {
        let (stop, mut stopped) = watch::channel(false);
        let max = Arc::new(AtomicU64::new(0));
        let sink = Arc::clone(&max);
        let metrics = self.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        if let Ok(Reading { rss_bytes: Some(bytes), .. }) = metrics.read().await {
                            sink.fetch_max(bytes, Ordering::Relaxed);
                        }
                    }
                    _ = stopped.changed() => break,
                }
            }
        });
        RssSampler { stop, max, task }
    }
}

/// A running RSS sampler.
pub struct RssSampler {
    stop: watch::Sender<bool>,
    max: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl RssSampler {
    /// Stops sampling; the largest RSS seen, in bytes (`None` if the server reports none).
    pub async fn finish(self) -> Option<u64> {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        Some(self.max.load(Ordering::Relaxed)).filter(|bytes| *bytes > 0)
    }
}

/// The value of an unlabelled sample `name` in a Prometheus text body.
fn value(body: &str, name: &str) -> Option<u64> {
    body.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, rest) = line.split_once(char::is_whitespace)?;
            (key == name).then(|| rest.split_whitespace().next())?
        })
        .and_then(|raw| raw.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_unlabelled_samples() {
        let body = "# HELP lianfang_sql_statements_total x\n\
                    # TYPE lianfang_sql_statements_total counter\n\
                    lianfang_sql_statements_total 1234\n\
                    process_resident_memory_bytes 5.5e7\n";
        assert_eq!(value(body, STATEMENTS), Some(1234));
        assert_eq!(value(body, RSS), Some(55_000_000));
        assert_eq!(value(body, "missing"), None);
    }
}
