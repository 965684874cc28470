//! Request observation: one tracing span and Prometheus metrics per request, labelled by route
//! template (never by raw path, so ids do not explode label cardinality).

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Records a tracing event and the HTTP request count and duration metrics, labelled by method, route template and status.
pub async fn observe(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    let elapsed = started.elapsed();
    metrics::counter!("skyfly_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.as_u16().to_string()).increment(1);
    metrics::histogram!("skyfly_http_request_duration_seconds", "method" => method.clone(), "route" => route.clone()).record(elapsed.as_secs_f64());
    if status.is_server_error() {
        tracing::error!(%method, %route, status = status.as_u16(), ms = elapsed.as_millis() as u64, "request failed");
    } else {
        tracing::debug!(%method, %route, status = status.as_u16(), ms = elapsed.as_millis() as u64, "request");
    }
    response
}

/// Every query answer carries `X-Read-Model-Position`. Queries served from read models set their
/// projection's position; the others read aggregates, which are up to date with the log as of the
/// request, so they carry the log's head taken before the query ran (a lower bound).
pub async fn read_position(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != axum::http::Method::GET {
        return next.run(request).await;
    }
    // A lower bound is all the header promises: what the store has seen readable, no query.
    let head = Some(skyfly_domain::store::EventStore::known_head(state.bus.store().as_ref()).await);
    let mut response = next.run(request).await;
    if !response.headers().contains_key("x-read-model-position")
        && let Some(head) = head
        && let Ok(value) = axum::http::HeaderValue::from_str(&head.to_string())
    {
        response
            .headers_mut()
            .insert("x-read-model-position", value);
    }
    response
}
