//! `Idempotency-Key`, as Stripe defines it: a retry with the same key and body gets the first
//! response and appends nothing; the same key with a different body is `422`.
//!
//! - **Only what executed is kept.** A request refused before anything executed (a body or a
//!   parameter that fails validation, a stale `If-Match`) is not stored under its key, so the
//!   corrected retry with the same key runs. Nor is a server error, nor the `409
//!   request_in_progress` of a request that collided with one still running under the same key.
//! - **In progress means running.** The request running under a key holds a PostgreSQL advisory
//!   lock on it, taken in a transaction on a connection of its own that also stores its response
//!   when it is done. A concurrent request with the same key finds the lock taken and gets `409
//!   request_in_progress`. If the process dies (or the request is dropped), the connection or the
//!   transaction goes with it, the lock with them, and nothing was stored: the retry runs at once.
//! - **Keys expire.** A key is kept for the configured time to live (24 h by default,
//!   `SKYFLY_IDEMPOTENCY_TTL`), measured on the engine's clock; after that it is pruned, and the
//!   same key is a new request.
//!
//! Crashes between appending and storing the response are safe too: the command carries a command
//! id derived from the caller and the key, which the event store records atomically with the
//! events, so the retry that runs again appends nothing twice.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::Digest;
use skyfly_domain::ids::CommandId;
use sqlx::{PgConnection, Row};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use uuid::Uuid;

/// Responses this large are not kept (they are not command responses).
const MAX_STORED_BODY: usize = 256 * 1024;
/// How long a key is kept unless configured otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Expired keys are pruned at most this often (per process, on the engine's clock).
const PRUNE_EVERY_SECS: i64 = 60;
const REPLAYED_HEADERS: [&str; 5] = [
    "content-type",
    "location",
    "etag",
    "x-event-position",
    "x-resource-version",
];

/// The idempotency keys' settings and bookkeeping, shared by every handler of a process.
#[derive(Debug, Clone)]
pub struct IdempotencyKeys {
    ttl: chrono::Duration,
    /// A request running under a key holds a connection for its lock: at most half the pool, so
    /// the commands themselves always find one.
    holders: Arc<Semaphore>,
    /// When expired keys were last pruned (Unix seconds, engine clock).
    last_prune: Arc<AtomicI64>,
}

impl IdempotencyKeys {
    /// Keys kept for `ttl`, with running requests holding at most half of `pool_size` connections.
    pub fn new(ttl: Duration, pool_size: u32) -> Self {
        let holders = usize::try_from(pool_size / 2).unwrap_or(1).max(1);
        Self {
            ttl: chrono::Duration::zero(),
            holders: Arc::new(Semaphore::new(holders)),
            last_prune: Arc::new(AtomicI64::new(i64::MIN)),
        }
        .with_ttl(ttl)
    }

    /// The same keys with another time to live.
    pub fn with_ttl(self, ttl: Duration) -> Self {
        Self {
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX),
            ..self
        }
    }

    /// Keys stored before this instant have expired.
    fn expired_before(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_sub_signed(self.ttl)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// Whether this process should prune now (at most once every [`PRUNE_EVERY_SECS`]).
    fn prune_due(&self, now: DateTime<Utc>) -> bool {
        let now = now.timestamp();
        let last = self.last_prune.load(Ordering::Relaxed);
        now.saturating_sub(last) >= PRUNE_EVERY_SECS
            && self
                .last_prune
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// Parses a time to live: whole seconds (`86400`), or a whole number with `s`, `m`, `h` or `d`
/// (`24h`); more than zero.
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let scale: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => {
            return Err(format!(
                "{text:?}: a number of seconds, or a number with s, m, h or d"
            ));
        }
    };
    let secs = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|&s| s > 0)
        .ok_or_else(|| format!("{text:?}: more than zero, e.g. 24h"))?;
    Ok(Duration::from_secs(secs))
}

/// Takes the lock that marks (scope, key) as running, in the transaction open on `conn`; `false`
/// if another request holds it. The lock lasts as long as the transaction (and its connection).
pub async fn claim(conn: &mut PgConnection, scope: &str, key: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("idempotency/{scope}/{key}"))
        .fetch_one(conn)
        .await
}

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
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// A stored answer under a key.
struct Stored {
    request_hash: Vec<u8>,
    status: i16,
    headers: Option<serde_json::Value>,
    body: Vec<u8>,
}

async fn run_once<F, Fut>(
    state: &AppState,
    scope: &str,
    key: &str,
    operation: &str,
    body: &[u8],
    command: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(CommandId) -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    let keys = &state.idempotency;
    let mut hasher = sha2::Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    let fingerprint = hasher.finalize().to_vec();

    let now = state.clock.now();
    prune(state, now).await;
    let _holder = keys
        .holders
        .acquire()
        .await
        .map_err(|_| ApiError::unavailable("the idempotency keys are shutting down"))?;
    let mut tx = state.pool.begin().await?;
    if !claim(&mut tx, scope, key).await? {
        return Err(ApiError::conflict(
            "request_in_progress",
            "a request with this Idempotency-Key is still being processed; retry shortly",
        ));
    }
    if let Some(stored) = stored(&mut tx, scope, key, keys.expired_before(now)).await? {
        if stored.request_hash != fingerprint {
            return Err(ApiError::field(
                "Idempotency-Key",
                "idempotency_key_reused",
                "this key was used for a different request; use a new key",
            ));
        }
        return Ok(replay(stored.status, stored.headers, stored.body));
    }

    let command_id = CommandId::derived(&format!("idempotency/{scope}/{key}"));
    let response = match command(command_id).await {
        Ok(response) => response,
        // Refused before anything executed: not an answer to keep, the corrected retry runs.
        Err(e) if e.before_execution => return Err(e),
        Err(e) => e.into_response(),
    };
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_STORED_BODY)
        .await
        .unwrap_or_default();
    // A server error is not an answer to keep either: a retry runs again.
    if !parts.status.is_server_error() {
        let insert = sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status, headers, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (scope, key) DO UPDATE SET \
             request_hash = $3, status = $4, headers = $5, body = $6, created_at = $7",
        )
        .bind(scope)
        .bind(key)
        .bind(&fingerprint)
        .bind(i16::try_from(parts.status.as_u16()).unwrap_or(0))
        .bind(keep_headers(&parts.headers))
        .bind(bytes.as_ref())
        .bind(now);
        let kept = match insert.execute(&mut *tx).await {
            Ok(_) => tx.commit().await,
            Err(e) => Err(e),
        };
        if let Err(e) = kept {
            tracing::warn!(error = %e, "could not store an idempotent response; a retry will re-run safely");
        }
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

/// The answer stored under (scope, key), unless it expired. A row without an answer (left by an
/// earlier version, which marked running requests with rows) is no answer.
async fn stored(
    conn: &mut PgConnection,
    scope: &str,
    key: &str,
    expired_before: DateTime<Utc>,
) -> Result<Option<Stored>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT request_hash, status, headers, body FROM idempotency_keys \
         WHERE scope = $1 AND key = $2 AND status IS NOT NULL AND created_at >= $3",
    )
    .bind(scope)
    .bind(key)
    .bind(expired_before)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(Stored {
            request_hash: row.try_get("request_hash")?,
            status: row.try_get("status")?,
            headers: row.try_get("headers")?,
            body: row
                .try_get::<Option<Vec<u8>>, _>("body")?
                .unwrap_or_default(),
        })
    })
    .transpose()
}

/// Deletes the keys that expired, at most once a minute per process. A failure only delays it.
async fn prune(state: &AppState, now: DateTime<Utc>) {
    let keys = &state.idempotency;
    if !keys.prune_due(now) {
        return;
    }
    let pruned = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(keys.expired_before(now))
        .execute(&state.pool)
        .await;
    match pruned {
        Ok(done) if done.rows_affected() > 0 => {
            tracing::debug!(
                pruned = done.rows_affected(),
                "expired idempotency keys pruned"
            );
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not prune expired idempotency keys"),
    }
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

#[cfg(test)]
mod tests {
    use super::parse_ttl;
    use std::time::Duration;

    #[test]
    fn a_ttl_is_seconds_or_a_number_with_a_unit() {
        assert_eq!(parse_ttl("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("2d"), Ok(Duration::from_secs(172_800)));
        for bad in [
            "",
            "0",
            "0h",
            "h",
            "-5",
            "1.5h",
            "3w",
            "99999999999999999999d",
        ] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
