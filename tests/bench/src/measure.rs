//! Closed-loop load and the figures it yields: throughput, percentiles, the report.

use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) struct Report {
    pub(crate) json: bool,
    pub(crate) figures: Vec<Value>,
}

impl Report {
    pub(crate) fn figure(&mut self, figure: Value) {
        if self.json {
            println!("{figure}");
        } else {
            let fields: Vec<String> = figure
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, _)| k.as_str() != "suite")
                        .map(|(k, v)| match v.as_f64() {
                            Some(f) if v.is_f64() => format!("{k}={f:.2}"),
                            _ => format!("{k}={v}"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            println!(
                "{:<11} {}",
                figure["suite"].as_str().unwrap_or("?"),
                fields.join("  ")
            );
        }
        self.figures.push(figure);
    }
}

/// Latencies of one figure, and what came of the operations.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) latencies: Vec<Duration>,
    pub(crate) ok: u64,
    pub(crate) conflicts: u64,
    pub(crate) failed: u64,
    pub(crate) elapsed: Duration,
}

impl Stats {
    pub(crate) fn per_s(&self, n: u64) -> f64 {
        n as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `p`-th percentile (0–100) in milliseconds.
    pub(crate) fn ms(&mut self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        self.latencies.sort_unstable();
        let rank = ((p / 100.0) * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)].as_secs_f64() * 1000.0
    }
}

/// What one operation came to.
pub(crate) enum Outcome {
    Ok,
    Conflict,
    Failed,
}

/// `workers` loops, each running `op(worker, iteration)` back to back until `duration` is over.
pub(crate) async fn closed_loop<F, Fut>(workers: usize, duration: Duration, op: F) -> Stats
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let until = started + duration;
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let op = Arc::clone(&op);
            tokio::spawn(async move {
                let mut stats = Stats::default();
                let mut i = 0;
                while Instant::now() < until {
                    let t = Instant::now();
                    match op(w, i).await {
                        Outcome::Ok => stats.ok += 1,
                        Outcome::Conflict => stats.conflicts += 1,
                        Outcome::Failed => stats.failed += 1,
                    }
                    stats.latencies.push(t.elapsed());
                    i += 1;
                }
                stats
            })
        })
        .collect();
    let mut total = Stats::default();
    for task in tasks {
        if let Ok(s) = task.await {
            total.latencies.extend(s.latencies);
            total.ok += s.ok;
            total.conflicts += s.conflicts;
            total.failed += s.failed;
        }
    }
    total.elapsed = started.elapsed();
    total
}

pub(crate) const CONCURRENCIES: [usize; 4] = [1, 4, 16, 64];

pub(crate) fn p99(v: &mut [u64]) -> u64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    v[((v.len() - 1) as f64 * 0.99).round() as usize]
}
