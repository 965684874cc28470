//! # skyfly-commands
//!
//! **Owns** command handling: load an aggregate (fold its stream), decide, append with the expected
//! version, re-decide on a version conflict where the command allows it; command-id deduplication;
//! the per-process aggregate cache; and the process manager that drives the booking saga
//! ([`process`]: [`ProcessManager`]).
//!
//! **Must not depend on** `skyfly-infra`, `skyfly-projections` or `skyfly-api`, nor on sqlx/axum: it
//! talks to the event store and the clock only through the domain's ports.
//!
//! **Key decision**: commands on one stream are serialised *within a process* by a per-stream async
//! lock around a cached aggregate state. A hot aggregate (one popular flight) then costs one append
//! round trip per command instead of a storm of optimistic-concurrency retries; the expected-version
//! check only arbitrates between processes.

mod bus;
mod cache;
pub mod process;

pub use bus::{CommandBus, CommandError, Envelope, Executed};
pub use process::{DriveError, PROCESS, ProcessManager};
