//! `GET /api/v1/health` and `GET /metrics`.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::time::Duration;

/// The health of the engine and its dependencies.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, `degraded` (a non-essential dependency is down) or `unavailable`.
    pub status: String,
    /// Each dependency's state.
    pub checks: Checks,
}

/// The state of each dependency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Checks {
    /// The event store: `ok` or `unavailable`.
    pub event_store: String,
    /// The read models: `ok` or `unavailable`.
    pub read_models: String,
    /// NATS: `ok`, `unreachable` or `disabled`.
    pub nats: String,
    /// The relay to JetStream in this process: `leading` (publishing), `standby` (another
    /// process publishes), or `disabled` (no NATS, or not a worker).
    pub relay: String,
    /// Global position of the last event known to be on JetStream (the leader's).
    pub relay_position: u64,
}

#[utoipa::path(get, path = "/api/v1/health", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
/// The health of the engine and its dependencies.
pub async fn health(State(state): State<AppState>) -> Response {
    // Each dependency answers a cheap read within 2 s, or is unavailable.
    let within = |ok: bool| if ok { "ok" } else { "unavailable" };
    let event_store = within(matches!(
        tokio::time::timeout(Duration::from_secs(2), state.bus.store().head_position()).await,
        Ok(Ok(_))
    ));
    let read_models = within(matches!(
        tokio::time::timeout(
            Duration::from_secs(2),
            skyfly_projections::places::probe(&state.pool)
        )
        .await,
        Ok(Ok(()))
    ));
    // NATS carries events to other processes and dashboards; commands do not need it, so with
    // NATS down the engine is degraded, not unavailable (the relay catches up when it returns).
    let nats = match &state.nats {
        Some(n) if n.is_connected() => "ok",
        Some(_) => "unreachable",
        None => "disabled",
    };
    let status = match (event_store, read_models, nats) {
        ("ok", "ok", "ok" | "disabled") => "ok",
        ("ok", _, _) => "degraded",
        _ => "unavailable",
    };
    let code = if status == "unavailable" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let body = Health {
        status: status.into(),
        checks: Checks {
            event_store: event_store.into(),
            read_models: read_models.into(),
            nats: nats.into(),
            relay: match &state.relay {
                Some(r) if r.status().is_leader() => "leading".into(),
                Some(r) if r.status().is_running() => "standby".into(),
                _ => "disabled".into(),
            },
            relay_position: state.relay.as_ref().map_or(0, |r| r.status().position()),
        },
    };
    crate::routes::json_response(code, &body)
}

/// Prometheus metrics in the text exposition format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let text = state
        .metrics
        .as_ref()
        .map(|h| h.render())
        .unwrap_or_default();
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}
