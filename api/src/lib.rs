//! # skyfly-api
//!
//! **Owns** the HTTP adapter (axum): routing, request bodies turned into the application layer's
//! typed commands (`TryFrom` at the edge), authentication (JWT access tokens), problem+json
//! errors, idempotency keys, `ETag`/`If-Match`, read-your-writes positions, the live stream, the
//! OpenAPI document and HTTP metrics.
//!
//! **Must not** contain business rules (they are in `skyfly-domain`), use cases (they are in
//! `skyfly-commands`: every handler is extract → command → use case → response), SQL against
//! the event log (the event-store port in `skyfly-infra`) or a read model's table (its module in
//! `skyfly-projections`). It may keep its own table for idempotency keys. It does not wire the
//! engine (`skyfly-engine` does) and knows nothing of the CLI, the scenario runner or the
//! benchmark, which use it.

#![warn(missing_docs)]

pub mod auth;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod state;

pub use routes::router;
pub use state::AppState;
