//! # skyfly-commands
//!
//! **Owns** the application layer: every use case (register, log in, schedule and import
//! flights, quote fares, place, confirm and cancel bookings, hold and sell seats, take payments,
//! award and redeem miles, arm faults, retry parked compensations, operate read models, read the
//! log, …) exists once here, takes a typed command and returns a typed [`UseCaseError`] that keeps
//! "refused by the domain" apart from "failed to record". Under it: command handling (load an
//! aggregate, decide, append with the expected version, re-decide on a conflict; command-id
//! deduplication; the per-process aggregate cache) and the process managers that drive the
//! booking saga.
//! The process manager that drives the booking saga is [`process`] ([`ProcessManager`]).
//!
//! **Must not depend on** `skyfly-infra`, `skyfly-projections` or `skyfly-api`, nor on sqlx/axum:
//! it talks to the event store, the clock, the card processor, the credentials and the read
//! models only through ports (the domain's, and [`read_models::ReadModels`]). Adapters — HTTP, the
//! CLI, the demo loader, the scenario runner, the benchmark — call the use cases; none of them
//! calls another adapter.
//!
//! **Key decision**: commands on one stream are serialised *within a process* by a per-stream async
//! lock around a cached aggregate state. A hot aggregate (one popular flight) then costs one append
//! round trip per command instead of a storm of optimistic-concurrency retries; the expected-version
//! check only arbitrates between processes.

#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod application;
mod bus;
mod cache;
mod error;
pub mod process;

pub mod booking;
pub mod events;
pub mod faults;
pub mod flights;
pub mod identity;
pub mod inventory;
pub mod loyalty;
pub mod payments;
pub mod pricing;
pub mod read_models;
pub mod sagas;

#[cfg(test)]
pub mod testing;

pub use application::{Application, Call, Caller};
pub use bus::{CommandBus, CommandError, Decided, Envelope, Executed};
pub use error::{DomainRefusal, Refusal, RefusalKind, UseCaseError, UseCaseResult};
pub use process::{DriveError, PROCESS, ProcessManager};
