//! # skyfly-api
//!
//! **Owns** the HTTP API (axum) and the `skyfly` binary (server and CLI): request parsing into
//! commands, authentication, problem+json errors, idempotency keys, OpenAPI, metrics, settings, and
//! the wiring of concrete adapters to ports — the only crate that does that wiring.
//!
//! **Must not** contain business rules (they are in `skyfly-domain`) nor SQL of the event store (it
//! is in `skyfly-infra`); it may keep its own tables for credentials, tokens and idempotency.
//!
//! **Key decision**: every write endpoint goes through `skyfly_commands::CommandBus`, the same path
//! the process managers use, so optimistic concurrency, command-id deduplication and the per-stream
//! serialisation hold for every caller alike.

pub mod auth;
pub mod bench;
pub mod bootstrap;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod middleware;
pub mod routes;
pub mod scenario;
pub mod state;

pub use routes::router;
pub use state::AppState;
