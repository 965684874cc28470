//! # skyfly-projections
//!
//! **Owns** the read side: projections (pure mappings from events to read-model rows), the runtime
//! that keeps them up to date in PostgreSQL, and rebuilding a read model from the log into fresh
//! tables with an atomic switch.
//!
//! **Must not depend on** `skyfly-commands` or `skyfly-api`: read models are derived from the
//! event log only, never from the write side's state.
//!
//! **Key decision**: a projection writes its rows and its checkpoint in the same transaction,
//! under a per-projection advisory lock, so each event takes effect exactly once — across crashes,
//! restarts, a second projector process, and a rebuild switching tables underneath.

pub mod bookings;
pub mod documents;
pub mod flights;
pub mod inspect;
pub mod loyalty;
pub mod payments;
pub mod runtime;

pub use runtime::{Projection, Projector, ProjectorStatus, rebuild};
