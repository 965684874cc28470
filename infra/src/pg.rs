//! PostgreSQL: connecting (creating the database if missing, or requiring it: [`connect`]),
//! embedded migrations, and the event store.

mod connect;

pub use connect::{Connect, ConnectError, Schema, check_url, connect};

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use skyfly_domain::event::{Metadata, NewEvent, RecordedEvent};
use skyfly_domain::ids::{CommandId, EventId};
use skyfly_domain::store::{
    AppendOutcome, Appended, Backlog, EventStore, ExpectedVersion, LogFilter, StoreError,
    StreamAppend,
};
use sqlx::Row;
use sqlx::postgres::{PgListener, PgPool};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

/// The migrations, embedded in the binary and applied on start.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The NOTIFY channel that wakes subscribers in every process.
pub const EVENTS_CHANNEL: &str = "skyfly_events";

/// Connects to `url`, creating the database if it does not exist, and applies the migrations
/// (trying once; [`connect`] says how to wait, or to require the schema instead).
pub async fn connect_and_migrate(url: &str, max_connections: u32) -> Result<PgPool, ConnectError> {
    connect(url, Connect::migrate(max_connections)).await
}

/// Which of `streams` exist (have at least one event). One query for many streams, for bulk
/// loaders that must not re-check thousands of streams one by one.
pub async fn existing_streams(
    pool: &PgPool,
    streams: &[String],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT stream_id FROM events WHERE stream_version = 1 AND stream_id = ANY($1)",
    )
    .bind(streams)
    .fetch_all(pool)
    .await?;
    Ok(found.into_iter().collect())
}

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Backend(other.to_string()),
    }
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The PostgreSQL event store. Cloning shares the pool and the wake-up machinery.
#[derive(Clone)]
pub struct PgEventStore {
    pool: PgPool,
    /// Bumped on every local append and every NOTIFY received from any process.
    wake: Arc<watch::Sender<u64>>,
    /// Tells the notifier task that an append committed here; it sends one NOTIFY for many appends.
    notify_others: Arc<Notify>,
    /// The highest position this process has seen readable (from `read_all` and
    /// `head_position`): a lower bound of the head that costs no query.
    seen_head: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for PgEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgEventStore").finish_non_exhaustive()
    }
}

impl PgEventStore {
    /// Builds the store and starts its two background tasks: the LISTEN loop that wakes local
    /// subscribers when another process appends, and the notifier that tells other processes.
    pub fn new(pool: PgPool) -> Self {
        let store = Self {
            pool,
            wake: Arc::new(watch::channel(0).0),
            notify_others: Arc::new(Notify::new()),
            seen_head: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        };
        tokio::spawn(listen(store.pool.clone(), Arc::clone(&store.wake)));
        tokio::spawn(notify_loop(
            store.pool.clone(),
            Arc::clone(&store.notify_others),
        ));
        store
    }

    /// The connection pool the store reads and appends through.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn saw_head(&self, position: u64) {
        self.seen_head
            .fetch_max(position, std::sync::atomic::Ordering::SeqCst);
    }

    fn bump(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }
}

/// Coalescing NOTIFY sender. NOTIFY inside the append transaction would serialise every commit on
/// the notification queue's lock; sending it afterwards, one for all appends that finished
/// meanwhile, keeps appends parallel.
///
/// After each NOTIFY it waits a few milliseconds before the next: a NOTIFY is a transaction of its
/// own (it takes an xid and writes a commit record), and one per append would double the commits
/// of a busy single writer. Subscribers in this process are woken at once anyway; other processes
/// learn of the first new events at once and of those that follow at most `NOTIFY_WINDOW` later.
async fn notify_loop(pool: PgPool, pending: Arc<Notify>) {
    const NOTIFY_WINDOW: Duration = Duration::from_millis(5);
    loop {
        pending.notified().await;
        if let Err(e) = sqlx::query("SELECT pg_notify($1, '')")
            .bind(EVENTS_CHANNEL)
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "could not notify other processes of new events");
        }
        if pool.is_closed() {
            return;
        }
        // Appends during the window leave one permit: one NOTIFY for all of them.
        tokio::time::sleep(NOTIFY_WINDOW).await;
    }
}

async fn listen(pool: PgPool, wake: Arc<watch::Sender<u64>>) {
    loop {
        if pool.is_closed() {
            return;
        }
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "event notifications unavailable; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(EVENTS_CHANNEL).await {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Whatever was appended while we were not listening: wake everyone once.
        wake.send_modify(|n| *n = n.wrapping_add(1));
        loop {
            match listener.recv().await {
                Ok(_) => wake.send_modify(|n| *n = n.wrapping_add(1)),
                Err(e) => {
                    tracing::warn!(error = %e, "event notifications interrupted; reconnecting");
                    break;
                }
            }
        }
    }
}

fn row_to_event(row: &sqlx::postgres::PgRow) -> Result<RecordedEvent, StoreError> {
    let metadata: serde_json::Value = row.try_get("metadata").map_err(backend)?;
    let metadata: Metadata = serde_json::from_value(metadata)
        .map_err(|e| StoreError::Backend(format!("bad metadata: {e}")))?;
    Ok(RecordedEvent {
        event_id: EventId(row.try_get::<Uuid, _>("event_id").map_err(backend)?),
        stream_id: row.try_get("stream_id").map_err(backend)?,
        stream_version: to_u64(row.try_get("stream_version").map_err(backend)?),
        global_position: to_u64(row.try_get("global_position").map_err(backend)?),
        event_type: row.try_get("event_type").map_err(backend)?,
        schema_version: u32::try_from(row.try_get::<i32, _>("schema_version").map_err(backend)?)
            .unwrap_or(0),
        payload: row.try_get("payload").map_err(backend)?,
        metadata,
        recorded_at: row
            .try_get::<DateTime<Utc>, _>("recorded_at")
            .map_err(backend)?,
    })
}

/// `expected` as the append functions take it: -1 any, -2 no stream, n >= 0 exactly n.
fn expected_code(expected: ExpectedVersion) -> i64 {
    match expected {
        ExpectedVersion::Any => -1,
        ExpectedVersion::NoStream => -2,
        ExpectedVersion::Exact(v) => to_i64(v),
    }
}

/// Events as the append functions take them.
fn events_json(events: &[NewEvent]) -> serde_json::Value {
    events
        .iter()
        .map(|e| {
            serde_json::json!({
                "event_id": e.event_id,
                "event_type": e.event_type,
                "schema_version": e.schema_version,
                "payload": e.payload,
                "metadata": e.metadata,
                "recorded_at": e.recorded_at.trunc_subsecs(6),
            })
        })
        .collect()
}

const COLUMNS: &str = "global_position, event_id, stream_id, stream_version, event_type, schema_version, payload, metadata, recorded_at";

#[async_trait]
impl EventStore for PgEventStore {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        command_id: Option<CommandId>,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend);
        }
        let expected_code = expected_code(expected);
        let batch = events_json(&events);
        let row = sqlx::query(
            "SELECT outcome, version, last_position FROM skyfly_append($1, $2, $3, $4)",
        )
        .bind(stream)
        .bind(expected_code)
        .bind(command_id.map(|c| c.0))
        .bind(batch)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        let outcome: String = row.try_get("outcome").map_err(backend)?;
        let version = to_u64(row.try_get("version").map_err(backend)?);
        let last_position = to_u64(row.try_get("last_position").map_err(backend)?);
        let appended = Appended {
            stream_version: version,
            last_position,
        };
        match outcome.as_str() {
            "appended" => {
                self.bump();
                self.notify_others.notify_one();
                Ok(AppendOutcome::Appended(appended))
            }
            "duplicate" => Ok(AppendOutcome::AlreadyApplied(appended)),
            _ => Err(StoreError::VersionConflict {
                stream: stream.to_owned(),
                expected,
                actual: version,
            }),
        }
    }

    async fn append_streams(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        if appends.is_empty() || appends.iter().any(|a| a.events.is_empty()) {
            return Err(StoreError::EmptyAppend);
        }
        let parts: serde_json::Value = appends
            .iter()
            .map(|a| {
                serde_json::json!({
                    "stream": a.stream,
                    "expected": expected_code(a.expected),
                    "command": a.command_id.map(|c| c.0),
                    "events": events_json(&a.events),
                })
            })
            .collect();
        let rows = sqlx::query(
            "SELECT part, outcome, version, last_position FROM skyfly_append_streams($1)",
        )
        .bind(parts)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut outcomes = Vec::with_capacity(rows.len());
        let mut appended_any = false;
        for row in &rows {
            let part = usize::try_from(row.try_get::<i64, _>("part").map_err(backend)?)
                .unwrap_or(0)
                .saturating_sub(1);
            let outcome: String = row.try_get("outcome").map_err(backend)?;
            let appended = Appended {
                stream_version: to_u64(row.try_get("version").map_err(backend)?),
                last_position: to_u64(row.try_get("last_position").map_err(backend)?),
            };
            match outcome.as_str() {
                "appended" => {
                    appended_any = true;
                    outcomes.push(AppendOutcome::Appended(appended));
                }
                "duplicate" => outcomes.push(AppendOutcome::AlreadyApplied(appended)),
                _ => {
                    let a = appends.get(part).ok_or_else(|| {
                        StoreError::Backend("append answered for an unknown stream".into())
                    })?;
                    return Err(StoreError::VersionConflict {
                        stream: a.stream.clone(),
                        expected: a.expected,
                        actual: appended.stream_version,
                    });
                }
            }
        }
        if outcomes.len() != appends.len() {
            return Err(StoreError::Backend(format!(
                "append of {} streams answered {} outcomes",
                appends.len(),
                outcomes.len()
            )));
        }
        if appended_any {
            self.bump();
            self.notify_others.notify_one();
        }
        Ok(outcomes)
    }

    async fn read_stream(
        &self,
        stream: &str,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM events WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version"
        ))
        .bind(stream)
        .bind(to_i64(after_version))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(row_to_event).collect()
    }

    async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM events \
             WHERE global_position > $1 AND global_position < skyfly_watermark() \
             ORDER BY global_position LIMIT $2"
        ))
        .bind(to_i64(after))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let events: Vec<RecordedEvent> = rows.iter().map(row_to_event).collect::<Result<_, _>>()?;
        if let Some(last) = events.last() {
            self.saw_head(last.global_position);
        }
        Ok(events)
    }

    async fn read_filtered(
        &self,
        after: u64,
        limit: usize,
        filter: &LogFilter,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM events \
             WHERE global_position > $1 AND global_position < skyfly_watermark() \
             AND ($2::text IS NULL OR event_type = $2) AND ($3::text IS NULL OR stream_id = $3) \
             AND ($4::uuid IS NULL OR (metadata ->> 'correlation_id')::uuid = $4) \
             ORDER BY global_position LIMIT $5"
        ))
        .bind(to_i64(after))
        .bind(&filter.event_type)
        .bind(&filter.stream_id)
        .bind(filter.correlation_id)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(row_to_event).collect()
    }

    async fn backlog(&self, after: u64) -> Result<Backlog, StoreError> {
        let row = sqlx::query(
            "SELECT count(*) AS behind, min(recorded_at) AS oldest FROM events \
             WHERE global_position > $1 AND global_position < skyfly_watermark()",
        )
        .bind(to_i64(after))
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(Backlog {
            events: to_u64(row.try_get("behind").map_err(backend)?),
            oldest_recorded_at: row.try_get("oldest").map_err(backend)?,
        })
    }

    async fn known_head(&self) -> u64 {
        match self.seen_head.load(std::sync::atomic::Ordering::SeqCst) {
            0 => self.head_position().await.unwrap_or(0),
            seen => seen,
        }
    }

    async fn wait_for_events(&self, after: u64) {
        // Subscribe before looking, so a notification between the look and the wait is not lost.
        let mut rx = self.wake.subscribe();
        rx.borrow_and_update();
        let probe = sqlx::query(
            "SELECT coalesce((SELECT max(global_position) FROM events), 0) AS newest, skyfly_watermark() AS watermark",
        )
        .fetch_one(&self.pool)
        .await;
        match probe {
            Ok(row) => {
                let newest = to_u64(row.try_get("newest").unwrap_or(0));
                let watermark = to_u64(row.try_get("watermark").unwrap_or(0));
                if newest > after {
                    if newest < watermark {
                        return; // readable already
                    }
                    // Committed but held behind an older transaction still running. Its end sends
                    // no notification if it appended nothing, so look again shortly.
                    let _ = tokio::time::timeout(Duration::from_millis(2), rx.changed()).await;
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "event store probe failed");
                tokio::time::sleep(Duration::from_millis(200)).await;
                return;
            }
        }
        // Nothing new: wait for a notification. The bound only limits the cost of a notification
        // lost while the listener reconnects; it is not how events are found.
        let _ = tokio::time::timeout(Duration::from_secs(1), rx.changed()).await;
    }

    async fn committed_head(&self) -> Result<u64, StoreError> {
        let head: Option<i64> = sqlx::query_scalar("SELECT max(global_position) FROM events")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        Ok(head.map_or(0, to_u64))
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        let head: Option<i64> = sqlx::query_scalar(
            "SELECT max(global_position) FROM events WHERE global_position < skyfly_watermark()",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        let head = head.map_or(0, to_u64);
        self.saw_head(head);
        Ok(head)
    }

    async fn recorded_command(
        &self,
        command_id: CommandId,
    ) -> Result<Option<Appended>, StoreError> {
        let row =
            sqlx::query("SELECT stream_version, last_position FROM commands WHERE command_id = $1")
                .bind(command_id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        row.map(|r| {
            Ok(Appended {
                stream_version: to_u64(r.try_get("stream_version").map_err(backend)?),
                last_position: to_u64(r.try_get("last_position").map_err(backend)?),
            })
        })
        .transpose()
    }
}

/// `url` with its database replaced by `database` (query parameters kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let base = match rest.find('/') {
        Some(i) => &base[..base.len() - rest.len() + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// Drops the database `name` on the server of `server_url` (connections to it are ended).
pub async fn drop_database(server_url: &str, name: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&with_database(server_url, "postgres")).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    Ok(())
}
