//! NATS JetStream: the event relay (outbox semantics) and the live feed.
//!
//! **Relay.** Every event of the global log, once its position is final (what `read_all` returns),
//! is published to the JetStream stream [`Subjects::stream`] (`SKYFLY_EVENTS` by default) on
//! `skyfly.events.<category>.<event_type>` (`category`: the stream id's prefix, `booking`,
//! `flight`, `payment`, `loyalty`, `saga`, …), in global order. The payload is the event envelope
//! as JSON, the same shape as `GET /api/v1/admin/events` shows. Headers: `Nats-Msg-Id` (the event
//! id: the broker drops a duplicate), `Skyfly-Position` (the global position), `Skyfly-Stream`,
//! `Skyfly-Event-Type`.
//!
//! Exactly once and in order, across crashes of the engine and outages of NATS:
//! - each publish carries `Nats-Expected-Last-Sequence`, so the broker refuses a message that
//!   would land out of order (after a lost one) instead of storing it;
//! - where to go on from is read back from the stream itself (the `Skyfly-Position` of its last
//!   message) whenever the relay starts or anything failed, so nothing published is published
//!   again and nothing unpublished is skipped; the stored checkpoint is the fallback for a stream
//!   whose messages were removed by an operator;
//! - one relay publishes at a time: the leader holds a PostgreSQL advisory lock on a connection of
//!   its own; when its process dies the lock goes with the connection and another takes over.
//!
//! **Live feed.** [`Nats::live`] subscribes to `skyfly.events.>` (core NATS: what the relay
//! publishes from now on); the client resubscribes by itself when NATS comes back.

use async_nats::jetstream::{self, context::Context, message::PublishMessage};
use futures::StreamExt;
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::store::EventStore;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Every relayed subject starts with this (by default; see [`Subjects`]).
pub const SUBJECT_PREFIX: &str = "skyfly.events";
/// Header naming the log an event comes from (one per SkyFly database).
pub const LOG_HEADER: &str = "Skyfly-Log";
/// The relay's name in `process_checkpoints`.
pub const RELAY: &str = "nats_relay";
/// Header carrying the event's global position.
pub const POSITION_HEADER: &str = "Skyfly-Position";

/// Why connecting to NATS, relaying the log or subscribing to the live feed failed.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// NATS failed or refused an operation, a subject prefix is not valid, or an event did not
    /// serialize; the message says which.
    #[error("NATS: {0}")]
    Nats(String),
    /// Reading the event log failed.
    #[error("event store: {0}")]
    Store(#[from] skyfly_domain::store::StoreError),
    /// The relay's PostgreSQL work failed (its leader lock or its checkpoint).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

fn nats_err(e: impl std::fmt::Display) -> NatsError {
    NatsError::Nats(e.to_string())
}

/// Where one SkyFly log goes on NATS: subjects `<prefix>.<category>.<event_type>` in the stream
/// named after the prefix (`skyfly.events` → `SKYFLY_EVENTS`). Several SkyFly installations can
/// share a NATS server by giving each its own prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subjects {
    prefix: String,
}

impl Default for Subjects {
    fn default() -> Self {
        Self {
            prefix: SUBJECT_PREFIX.to_owned(),
        }
    }
}

impl Subjects {
    /// `prefix`: dot-separated tokens of letters, digits, `_` and `-`.
    pub fn new(prefix: &str) -> Result<Self, NatsError> {
        let valid = !prefix.is_empty()
            && prefix.split('.').all(|t| {
                !t.is_empty()
                    && t.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
        if !valid {
            return Err(NatsError::Nats(format!(
                "{prefix:?} is not a subject prefix (dot-separated tokens of letters, digits, _ and -)"
            )));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    /// The prefix every subject of the log starts with, e.g. `skyfly.events`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The JetStream stream holding the log.
    pub fn stream(&self) -> String {
        self.prefix
            .chars()
            .map(|c| {
                if c == '.' || c == '-' {
                    '_'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect()
    }

    /// Every subject of the log.
    pub fn all(&self) -> String {
        format!("{}.>", self.prefix)
    }

    /// The subject an event is published on.
    pub fn subject(&self, event: &RecordedEvent) -> String {
        let category = event
            .stream_id
            .split_once('-')
            .map_or(event.stream_id.as_str(), |(c, _)| c);
        format!(
            "{}.{}.{}",
            self.prefix,
            token(category),
            token(&event.event_type)
        )
    }

    /// The stream's configuration: every subject of the log, kept on disk, without limits (the
    /// stream is a mirror of the log), with a deduplication window for redelivered publishes.
    pub fn stream_config(&self) -> jetstream::stream::Config {
        jetstream::stream::Config {
            name: self.stream(),
            subjects: vec![self.all()],
            storage: jetstream::stream::StorageType::File,
            duplicate_window: Duration::from_secs(120),
            description: Some("SkyFly's global event log, in order (skyfly relay)".to_owned()),
            ..Default::default()
        }
    }
}

/// A subject token: anything but letters, digits, `_` and `-` becomes `_`.
fn token(raw: &str) -> String {
    let t: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if t.is_empty() { "_".into() } else { t }
}

/// A connection to NATS that is made in the background and remade after an outage: the engine
/// starts and serves commands whether NATS is up or not.
#[derive(Clone)]
pub struct Nats {
    client: async_nats::Client,
    subjects: Subjects,
}

impl std::fmt::Debug for Nats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nats")
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl Nats {
    /// Connects to `url`; returns at once, connecting (and later reconnecting) in the background.
    pub async fn connect(url: &str, subjects: Subjects) -> Result<Self, NatsError> {
        let client = async_nats::ConnectOptions::new()
            .name("skyfly")
            .retry_on_initial_connect()
            .max_reconnects(None)
            // Quick to notice NATS is back: at most 1 s between attempts.
            .reconnect_delay_callback(|attempts| {
                Duration::from_millis((50 * attempts as u64).min(1_000))
            })
            .connect(url)
            .await
            .map_err(nats_err)?;
        Ok(Self { client, subjects })
    }

    /// Whether the client is connected to NATS at this moment.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Where this connection's log goes: its subjects and stream.
    pub fn subjects(&self) -> &Subjects {
        &self.subjects
    }

    /// A JetStream context on this connection.
    pub fn jetstream(&self) -> Context {
        jetstream::new(self.client.clone())
    }

    /// Events as the relay publishes them from now on (core NATS, no replay). Messages that are
    /// not event envelopes are skipped.
    pub async fn live(
        &self,
    ) -> Result<futures::stream::BoxStream<'static, RecordedEvent>, NatsError> {
        let subscriber = self
            .client
            .subscribe(self.subjects.all())
            .await
            .map_err(nats_err)?;
        Ok(subscriber
            .filter_map(|m| async move { serde_json::from_slice::<RecordedEvent>(&m.payload).ok() })
            .boxed())
    }
}

/// What the relay reports (health, metrics, the admin API).
#[derive(Debug, Default)]
pub struct RelayStatus {
    running: AtomicBool,
    position: AtomicU64,
    leader: AtomicBool,
    published: AtomicU64,
}

impl RelayStatus {
    /// The global position of the last event known to be in the stream.
    pub fn position(&self) -> u64 {
        self.position.load(Ordering::SeqCst)
    }
    /// Whether this process runs a relay (leading or waiting to).
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }
    /// Whether this process is the one publishing.
    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::SeqCst)
    }
    /// Messages this process published (since it started).
    pub fn published(&self) -> u64 {
        self.published.load(Ordering::SeqCst)
    }
}

/// Publishes the global log to JetStream; see the module's documentation.
pub struct Relay {
    nats: Nats,
    /// The identity of the log this relay publishes (its database's), on every message.
    log: String,
    pool: PgPool,
    store: Arc<dyn EventStore>,
    batch: usize,
    status: Arc<RelayStatus>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("position", &self.status.position())
            .finish_non_exhaustive()
    }
}

/// Where the stream is: its last sequence and the global position of its last event.
#[derive(Debug, Clone, Copy)]
struct Tail {
    sequence: u64,
    position: u64,
}

impl Relay {
    /// A relay that publishes the log of `store` through `nats`, marking every message with `log`
    /// (the log's identity), and keeps its leader lock and checkpoint in `pool`.
    pub fn new(nats: Nats, log: String, pool: PgPool, store: Arc<dyn EventStore>) -> Self {
        Self {
            nats,
            log,
            pool,
            store,
            batch: 512,
            status: Arc::new(RelayStatus::default()),
        }
    }

    /// The relay's status, shared: it follows the relay while it runs.
    pub fn status(&self) -> Arc<RelayStatus> {
        Arc::clone(&self.status)
    }

    /// Runs until the task is dropped: waits to lead, then publishes; after any failure (NATS
    /// down, a refused publish, the database) it finds out where the stream is and goes on.
    pub async fn run(self: Arc<Self>) {
        self.status.running.store(true, Ordering::SeqCst);
        let mut pause = Duration::from_millis(100);
        loop {
            match self.lead().await {
                Ok(()) => pause = Duration::from_millis(100),
                Err(e) => {
                    tracing::warn!(error = %e, "event relay interrupted; resuming");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// One term as leader: returns (with an error) when something failed.
    async fn lead(&self) -> Result<(), NatsError> {
        let mut lock = self.pool.acquire().await?.detach();
        loop {
            let got: bool =
                sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                    .bind(RELAY)
                    .fetch_one(&mut lock)
                    .await?;
            if got {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        self.status.leader.store(true, Ordering::SeqCst);
        let result = self.publish_while_leading(&mut lock).await;
        self.status.leader.store(false, Ordering::SeqCst);
        result
    }

    async fn publish_while_leading(&self, lock: &mut sqlx::PgConnection) -> Result<(), NatsError> {
        let js = self.nats.jetstream();
        let mut tail = self.tail(&js).await?;
        self.status.position.store(tail.position, Ordering::SeqCst);
        tracing::info!(
            sequence = tail.sequence,
            position = tail.position,
            "event relay leads; publishing from the stream's tail"
        );
        let mut last_check = tokio::time::Instant::now();
        loop {
            let events = self.store.read_all(tail.position, self.batch).await?;
            if events.is_empty() {
                let _ = tokio::time::timeout(
                    Duration::from_secs(1),
                    self.store.wait_for_events(tail.position),
                )
                .await;
            } else {
                tail = self.publish(&js, tail, &events).await?;
                self.status.position.store(tail.position, Ordering::SeqCst);
                self.status
                    .published
                    .fetch_add(events.len() as u64, Ordering::SeqCst);
                metrics::gauge!("skyfly_relay_position").set(tail.position as f64);
                metrics::counter!("skyfly_relay_published_total").increment(events.len() as u64);
                self.save_checkpoint(tail.position).await?;
            }
            // The lock lives as long as its connection: make sure it is still there.
            if last_check.elapsed() > Duration::from_secs(5) {
                sqlx::query("SELECT 1").execute(&mut *lock).await?;
                last_check = tokio::time::Instant::now();
            }
        }
    }

    /// Publishes `events` (in order, pipelined) after `tail`; every message must land right
    /// after the previous one or the broker refuses it.
    async fn publish(
        &self,
        js: &Context,
        tail: Tail,
        events: &[RecordedEvent],
    ) -> Result<Tail, NatsError> {
        let mut acks = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            let body = serde_json::to_vec(event).map_err(nats_err)?;
            let message = PublishMessage::build()
                .payload(body.into())
                .message_id(event.event_id.to_string())
                .expected_last_sequence(tail.sequence + i as u64)
                .header(POSITION_HEADER, event.global_position.to_string().as_str())
                .header(LOG_HEADER, self.log.as_str())
                .header("Skyfly-Stream", event.stream_id.as_str())
                .header("Skyfly-Event-Type", event.event_type.as_str());
            acks.push(
                js.send_publish(self.nats.subjects.subject(event), message)
                    .await
                    .map_err(nats_err)?,
            );
        }
        let mut sequence = tail.sequence;
        for (ack, event) in acks.into_iter().zip(events) {
            let ack = ack.await.map_err(nats_err)?;
            if ack.duplicate || ack.sequence != sequence + 1 {
                return Err(NatsError::Nats(format!(
                    "event {} landed at sequence {} (duplicate: {}), expected {}",
                    event.global_position,
                    ack.sequence,
                    ack.duplicate,
                    sequence + 1
                )));
            }
            sequence = ack.sequence;
        }
        Ok(Tail {
            sequence,
            position: events.last().map_or(tail.position, |e| e.global_position),
        })
    }

    /// The stream's tail: created if missing; its last message says how far the log got.
    async fn tail(&self, js: &Context) -> Result<Tail, NatsError> {
        let mut stream = js
            .get_or_create_stream(self.nats.subjects.stream_config())
            .await
            .map_err(nats_err)?;
        let sequence = stream.info().await.map_err(nats_err)?.state.last_sequence;
        if sequence == 0 {
            return Ok(Tail {
                sequence,
                position: 0,
            });
        }
        let last = stream.get_raw_message(sequence).await.ok();
        if let Some(log) = last.as_ref().and_then(|m| m.headers.get(LOG_HEADER))
            && log.as_str() != self.log
        {
            // Publishing on would interleave two logs in one stream.
            return Err(NatsError::Nats(format!(
                "stream {} holds another SkyFly log ({}); give this one its own subject prefix (SKYFLY_NATS_PREFIX)",
                self.nats.subjects.stream(),
                log.as_str()
            )));
        }
        let from_stream = last.and_then(|m| {
            m.headers
                .get(POSITION_HEADER)
                .and_then(|v| v.as_str().parse::<u64>().ok())
        });
        let position = match from_stream {
            Some(p) => p,
            // The last message is gone (purged, aged out): go on from what was recorded.
            None => self.checkpoint().await?,
        };
        Ok(Tail { sequence, position })
    }

    async fn checkpoint(&self) -> Result<u64, NatsError> {
        let p: Option<i64> =
            sqlx::query_scalar("SELECT position FROM process_checkpoints WHERE process = $1")
                .bind(RELAY)
                .fetch_optional(&self.pool)
                .await?;
        Ok(p.map_or(0, |p| u64::try_from(p).unwrap_or(0)))
    }

    async fn save_checkpoint(&self, position: u64) -> Result<(), NatsError> {
        sqlx::query(
            "INSERT INTO process_checkpoints (process, position) VALUES ($1, $2) \
             ON CONFLICT (process) DO UPDATE SET position = EXCLUDED.position",
        )
        .bind(RELAY)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_category_and_the_type() {
        use skyfly_domain::event::{Actor, Metadata};
        use skyfly_domain::ids::{CommandId, EventId};
        let event = RecordedEvent {
            event_id: EventId(uuid::Uuid::nil()),
            stream_id: "booking-0193b1c2-0000-7000-8000-000000000002".into(),
            stream_version: 1,
            global_position: 65537,
            event_type: "BookingRequested".into(),
            schema_version: 1,
            payload: serde_json::json!({}),
            metadata: Metadata::new(CommandId(uuid::Uuid::nil()), Actor::system("test")),
            recorded_at: chrono::Utc::now(),
        };
        assert_eq!(
            Subjects::default().subject(&event),
            "skyfly.events.booking.BookingRequested"
        );
        assert_eq!(Subjects::default().stream(), "SKYFLY_EVENTS");
        let other = Subjects::new("test-7.skyfly.events").unwrap();
        assert_eq!(other.stream(), "TEST_7_SKYFLY_EVENTS");
        assert_eq!(other.all(), "test-7.skyfly.events.>");
        assert!(Subjects::new("a..b").is_err());
        assert!(Subjects::new("a.*").is_err());
        assert_eq!(token("a.b c*>"), "a_b_c__");
    }
}
