//! # skyfly-infra
//!
//! **Owns** the adapters behind the domain's ports: the PostgreSQL event store (with its embedded
//! migrations), the in-memory event store for fast tests, the system and manual clocks, and the
//! built-in card processor, the process-manager stores, and the NATS JetStream relay and live feed
//! (`nats`). Later: the EventStoreDB adapter.
//!
//! **Must not depend on** `skyfly-commands`, `skyfly-projections` or `skyfly-api`: adapters know
//! the ports, never the code that uses them.
//!
//! **Key decision** (docs/adr/0002): PostgreSQL global positions are derived from the appending
//! transaction's xid, and readers stop at the oldest running transaction, so the global log is
//! gap-safe by construction — no reader can skip an event that commits late.

#![warn(missing_docs)]

pub mod baseline;
pub mod card;
pub mod clock;
pub mod credentials;
pub mod memory;
pub mod nats;
pub mod pg;
pub mod process;

pub use credentials::{MemoryCredentialStore, PgCredentialStore};
pub use memory::MemoryEventStore;
pub use pg::PgEventStore;
