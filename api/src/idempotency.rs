//! `Idempotency-Key`: a retry with the same key and body gets the first response and appends
//! nothing; the same key with a different body is `422`.
//!
//! Two layers make this hold across crashes. The first response is stored here (PostgreSQL), and
//! the command carries a command id derived from the caller and the key, which the event store
//! records atomically with the events: if the engine dies after appending but before storing the
//! response, the retry runs again, the store recognises the command, and nothing is appended twice.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::Digest;
use skyfly_domain::ids::CommandId;
use sqlx::Row;
use std::future::Future;
use uuid::Uuid;

/// Responses this large are not kept (they are not command responses).
const MAX_STORED_BODY: usize = 256 * 1024;
/// A key whose first request has not finished after this long is taken over by a retry.
const ABANDONED_AFTER_SECS: f64 = 60.0;
const REPLAYED_HEADERS: [&str; 5] = [
    "content-type",
    "location",
    "etag",
    "x-event-position",
    "x-resource-version",
];

/// Runs `command` at most once per (scope, key). `scope` identifies the caller; `operation` the
/// endpoint (so one key cannot be replayed against another endpoint).
pub async fn once<F, Fut>(
    state: &AppState,
    scope: &str,
    key: Option<String>,
    operation: &str,
    body: &[u8],
    command: F,
) -> Response
where
    F: FnOnce(CommandId) -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    let Some(key) = key else {
        return command(CommandId(Uuid::now_v7()))
            .await
            .unwrap_or_else(IntoResponse::into_response);
    };
    match run_once(state, scope, &key, operation, body, command).await {
        Ok(r) | Err(r) => r,
    }
}

async fn run_once<F, Fut>(
    state: &AppState,
    scope: &str,
    key: &str,
    operation: &str,
    body: &[u8],
    command: F,
) -> Result<Response, Response>
where
    F: FnOnce(CommandId) -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    let fail = |e: ApiError| e.into_response();
    let mut hasher = sha2::Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    let fingerprint = hasher.finalize().to_vec();

    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(&fingerprint)
    .execute(&state.pool)
    .await
    .map_err(|e| fail(e.into()))?
    .rows_affected()
        == 1;

    if !claimed {
        let row = sqlx::query(
            "SELECT request_hash, status, headers, body, extract(epoch FROM now() - created_at)::float8 AS age \
             FROM idempotency_keys WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_one(&state.pool)
        .await
        .map_err(|e| fail(e.into()))?;
        let stored_hash: Vec<u8> = row.try_get("request_hash").map_err(|e| fail(e.into()))?;
        if stored_hash != fingerprint {
            return Err(fail(ApiError::field(
                "Idempotency-Key",
                "idempotency_key_reused",
                "this key was used for a different request; use a new key",
            )));
        }
        let status: Option<i16> = row.try_get("status").map_err(|e| fail(e.into()))?;
        if let Some(status) = status {
            let headers: Option<serde_json::Value> =
                row.try_get("headers").map_err(|e| fail(e.into()))?;
            let body: Option<Vec<u8>> = row.try_get("body").map_err(|e| fail(e.into()))?;
            return Ok(replay(status, headers, body.unwrap_or_default()));
        }
        let age: f64 = row.try_get("age").unwrap_or(0.0);
        if age < ABANDONED_AFTER_SECS {
            return Err(fail(ApiError::conflict(
                "request_in_progress",
                "a request with this Idempotency-Key is still being processed; retry shortly",
            )));
        }
        // The first attempt died mid-way. Take the key over (one retry wins); the command id makes
        // re-running safe.
        let taken = sqlx::query(
            "UPDATE idempotency_keys SET created_at = now() WHERE scope = $1 AND key = $2 AND status IS NULL \
             AND extract(epoch FROM now() - created_at) >= $3",
        )
        .bind(scope)
        .bind(key)
        .bind(ABANDONED_AFTER_SECS)
        .execute(&state.pool)
        .await
        .map_err(|e| fail(e.into()))?
        .rows_affected();
        if taken != 1 {
            return Err(fail(ApiError::conflict(
                "request_in_progress",
                "retry shortly",
            )));
        }
    }

    let command_id = CommandId::derived(&format!("idempotency/{scope}/{key}"));
    let response = command(command_id)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_STORED_BODY)
        .await
        .unwrap_or_default();
    if parts.status.is_server_error() {
        // Not an answer to keep: let a retry run again.
        let _ = sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind(scope)
            .bind(key)
            .execute(&state.pool)
            .await;
    } else {
        let headers = keep_headers(&parts.headers);
        let stored = sqlx::query("UPDATE idempotency_keys SET status = $3, headers = $4, body = $5 WHERE scope = $1 AND key = $2")
            .bind(scope)
            .bind(key)
            .bind(i16::try_from(parts.status.as_u16()).unwrap_or(0))
            .bind(headers)
            .bind(bytes.as_ref())
            .execute(&state.pool)
            .await;
        if let Err(e) = stored {
            tracing::warn!(error = %e, "could not store an idempotent response; a retry will re-run safely");
        }
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn keep_headers(headers: &HeaderMap) -> serde_json::Value {
    let kept: serde_json::Map<String, serde_json::Value> = REPLAYED_HEADERS
        .iter()
        .filter_map(|name| {
            headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .map(|v| ((*name).to_owned(), v.into()))
        })
        .collect();
    serde_json::Value::Object(kept)
}

fn replay(status: i16, headers: Option<serde_json::Value>, body: Vec<u8>) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    if let Some(serde_json::Value::Object(map)) = headers {
        for (name, value) in map {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::from_bytes(name.as_bytes()),
                value.as_str().map(HeaderValue::from_str),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
