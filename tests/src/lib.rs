//! # skyfly-tests
//!
//! **Owns** cross-crate test harnesses: the event-store contract suite (run against every adapter),
//! fresh PostgreSQL databases per test, and helpers for HTTP and real-process tests.
//!
//! **Must not** be depended on by any production crate; it is dev-only.
//!
//! **Key decision**: every database test gets its own freshly created and migrated database, so
//! tests run in parallel against one real PostgreSQL without seeing each other's events; a guard
//! drops it when the test ends, however it ends (`db`).
//!
//! The integration tests are a few binaries (`tests/stores`, `tests/engine`, `tests/http`,
//! `tests/processes`), one module per subject; what more than one of them needs lives here, and
//! so does every use of the engine builder, the use cases and the scenario runner (`app`, `scenario`).

pub mod app;
pub mod contract;
pub mod db;
pub mod nats;
pub mod process;
pub mod scenario;
pub mod workload;

use std::path::PathBuf;
use std::time::Duration;

/// Runs `future` to completion on a runtime of its own: for tests (and helpers) without one.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

/// The original system's data: `shared/data-from-seed` beside the repository (`../shared`), or,
/// from a git worktree under `wt/`, beside the folder of the worktrees (`../../shared`). Its
/// absence fails the test, naming where it was looked for: CI always has it.
pub fn seed_data_dir() -> PathBuf {
    skyfly_fixtures::seed::seed_data_dir().unwrap_or_else(|missing| panic!("{missing}"))
}

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
