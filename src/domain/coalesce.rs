//! Identical computations asked for at the same time run once.
//!
//! The command's dashboards and its analysts ask for the same figures of the same units
//! over and over; a district's fortnight costs the database half a second of both cores.
//! A request that arrives while the same computation is running waits for it and shares
//! its result, so it sees figures no older than its own arrival. Nothing is kept once the
//! computation ends: the next request computes afresh.

use std::{
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{Arc, Mutex},
};

use futures_util::future::{BoxFuture, FutureExt, Shared};
use sea_orm::DbErr;

use crate::error::{loggable, AppError, AppResult};

type Flight<V> = Shared<BoxFuture<'static, Result<Arc<V>, Arc<AppError>>>>;

pub struct Coalescer<K, V> {
    flights: Arc<Mutex<HashMap<K, Flight<V>>>>,
}

impl<K, V> Default for Coalescer<K, V> {
    fn default() -> Self {
        Self {
            flights: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

impl<K, V> Coalescer<K, V>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    /// The result of `compute` for `key`, or of the same computation already running.
    pub async fn run<F, Fut>(&self, key: K, compute: F) -> AppResult<Arc<V>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<V>> + Send + 'static,
    {
        let flight = {
            let mut flights = self
                .flights
                .lock()
                .map_err(|_| AppError::internal("coalescer lock poisoned"))?;
            match flights.get(&key) {
                Some(running) => running.clone(),
                None => {
                    let work = compute();
                    let registry = Arc::clone(&self.flights);
                    let done_key = key.clone();
                    // A task of its own: it runs to its end and then removes itself, even
                    // when every caller has gone (a request cancelled by its timeout leaves
                    // neither a half-run query holding a connection nor a stale entry).
                    let task = tokio::spawn(async move {
                        let result = work.await.map(Arc::new).map_err(Arc::new);
                        if let Ok(mut flights) = registry.lock() {
                            flights.remove(&done_key);
                        }
                        result
                    });
                    let flight: Flight<V> = async move {
                        task.await.unwrap_or_else(|failed| {
                            Err(Arc::new(AppError::internal(format!(
                                "shared computation stopped: {failed}"
                            ))))
                        })
                    }
                    .boxed()
                    .shared();
                    flights.insert(key, flight.clone());
                    flight
                }
            }
        };
        flight.await.map_err(|shared| rejoin(&shared))
    }

    /// Computations running now.
    pub fn in_flight(&self) -> usize {
        self.flights.lock().map_or(0, |f| f.len())
    }
}

/// Each caller's own copy of a shared failure, with its code: a database that cannot be
/// reached stays UNAVAILABLE; anything else is INTERNAL, its cause logged by each caller.
fn rejoin(shared: &AppError) -> AppError {
    match shared {
        AppError::Unavailable(cause) => AppError::Unavailable(DbErr::Custom(format!(
            "shared computation: {}",
            loggable(cause)
        ))),
        other => AppError::internal(format!("shared computation: {}", loggable(other))),
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    use super::*;

    #[tokio::test]
    async fn callers_at_the_same_time_share_one_computation_and_later_ones_compute_again() {
        let coalescer: Arc<Coalescer<&'static str, usize>> = Arc::new(Coalescer::default());
        let runs = Arc::new(AtomicUsize::new(0));
        let call = |coalescer: Arc<Coalescer<&'static str, usize>>, runs: Arc<AtomicUsize>| async move {
            coalescer
                .run("district", || async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok(runs.fetch_add(1, Ordering::SeqCst) + 1)
                })
                .await
        };
        let together = futures_util::future::join_all(
            (0..5).map(|_| call(Arc::clone(&coalescer), Arc::clone(&runs))),
        )
        .await;
        for result in &together {
            assert_eq!(result.as_deref().ok(), Some(&1));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(coalescer.in_flight(), 0, "nothing is kept once it ends");
        let later = call(Arc::clone(&coalescer), Arc::clone(&runs)).await;
        assert_eq!(later.as_deref().ok(), Some(&2));
    }

    #[tokio::test]
    async fn a_failure_reaches_every_caller_with_its_code_and_is_not_kept() {
        let coalescer: Coalescer<u8, u8> = Coalescer::default();
        let failed = coalescer
            .run(1, || async {
                Err(AppError::Unavailable(DbErr::Custom("down".into())))
            })
            .await;
        assert_eq!(failed.err().map(|e| e.code()), Some("UNAVAILABLE"));
        let next = coalescer.run(1, || async { Ok(7) }).await;
        assert_eq!(next.as_deref().ok(), Some(&7));
    }

    #[tokio::test]
    async fn a_cancelled_first_caller_does_not_stop_the_computation_nor_leave_it_behind() {
        let coalescer: Coalescer<u8, u8> = Coalescer::default();
        let first = coalescer.run(1, || async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(1)
        });
        // Started, then dropped before it ends: the computation goes on, and a caller
        // arriving meanwhile shares it.
        assert!(tokio::time::timeout(Duration::from_millis(10), first)
            .await
            .is_err());
        let second = coalescer.run(1, || async { Ok(2) }).await;
        assert_eq!(second.as_deref().ok(), Some(&1));
        assert_eq!(coalescer.in_flight(), 0);
        let third = coalescer.run(1, || async { Ok(3) }).await;
        assert_eq!(third.as_deref().ok(), Some(&3));
    }
}
