//! # skyfly-tests
//!
//! **Owns** cross-crate test harnesses: the event-store contract suite (run against every adapter),
//! fresh PostgreSQL databases per test, and helpers for HTTP and real-process tests.
//!
//! **Must not** be depended on by any production crate; it is dev-only.
//!
//! **Key decision**: every database test gets its own freshly created and migrated database, so
//! tests run in parallel against one real PostgreSQL without seeing each other's events.

pub mod app;
pub mod contract;
pub mod db;
pub mod nats;
pub mod process;
pub mod workload;

use std::time::Duration;

/// Polls `check` until it returns `Some`, or fails after `deadline`. Waiting on a condition, never a
/// fixed sleep.
pub async fn eventually<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + deadline;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < give_up,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
