//! The projector runtime: follow the log, apply batches, checkpoint in the same transaction.

use async_trait::async_trait;
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::store::EventStore;
use sqlx::{PgConnection, PgPool};
use std::sync::Arc;
use std::time::Duration;

/// A read model: how events become rows.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Stable id, e.g. `"flight_availability"`; also the checkpoint's name.
    fn name(&self) -> &'static str;

    /// The statements that create the projection's tables in `schema` (live tables are in
    /// `public`; a rebuild builds into a fresh schema and moves them over).
    fn create(&self, schema: &str) -> Vec<String>;

    /// The projection's tables (unqualified), for the switch after a rebuild.
    fn tables(&self) -> &'static [&'static str];

    /// Applies one event to the tables in `schema`, inside the batch's transaction.
    async fn apply(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        event: &RecordedEvent,
    ) -> Result<(), sqlx::Error>;

    /// Applies a batch of events in log order, inside the batch's transaction. The default applies
    /// them one by one; a projection may do better (one read and one write per batch).
    async fn apply_all(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        events: &[RecordedEvent],
    ) -> Result<(), sqlx::Error> {
        for event in events {
            self.apply(tx, schema, event).await?;
        }
        Ok(())
    }
}

/// The event as `E` with its stream's id, if it belongs to streams of `category` (`"booking"`
/// for `booking-<id>`). An event of the category that does not decode is logged and skipped: a
/// read model must not stop on one it cannot read.
pub fn decode_in<'e, E: skyfly_domain::DomainEvent>(
    event: &'e RecordedEvent,
    category: &str,
) -> Option<(&'e str, E)> {
    let id = event.stream_id.strip_prefix(category)?.strip_prefix('-')?;
    match skyfly_domain::event::decode::<E>(event) {
        Ok(e) => Some((id, e)),
        Err(err) => {
            tracing::warn!(event_id = %event.event_id, event_type = %event.event_type, error = %err, "undecodable event skipped");
            None
        }
    }
}

/// Where a projector is and how far behind.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProjectorStatus {
    /// The projection's name, also its checkpoint's, e.g. `flight_availability`.
    pub name: String,
    /// The global position the read model has applied the log up to (its checkpoint).
    pub position: u64,
    /// How many readable events lie after `position`: events the read model has not applied yet.
    pub lag_events: u64,
    /// Age of the oldest event the read model has not applied yet, in milliseconds (0 when caught
    /// up).
    pub lag_ms: u64,
    /// `live` when nothing is left to apply, else `catching_up`.
    pub status: String,
}

pub(crate) fn lock_key(name: &str) -> String {
    format!("projection/{name}")
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The statements a projection's tables are created with: stored with its checkpoint, so a
/// release that changes them is noticed.
pub fn definition(projection: &dyn Projection) -> String {
    projection.create("public").join(";\n")
}

/// Creates the live tables and the checkpoint row if they do not exist. Returns `true` if the
/// live tables were built with another definition (an older release): the read model has to be
/// rebuilt, which the projector does before it follows the log.
pub async fn install(pool: &PgPool, projection: &dyn Projection) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(lock_key(projection.name()))
        .execute(&mut *tx)
        .await?;
    let definition = definition(projection);
    let stored: Option<Option<String>> =
        sqlx::query_scalar("SELECT definition FROM projection_checkpoints WHERE name = $1")
            .bind(projection.name())
            .fetch_optional(&mut *tx)
            .await?;
    let stale = match stored {
        Some(stored) => stored.as_deref() != Some(definition.as_str()),
        None => {
            for statement in projection.create("public") {
                sqlx::query(&statement).execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO projection_checkpoints (name, position, definition) VALUES ($1, 0, $2)",
            )
            .bind(projection.name())
            .bind(&definition)
            .execute(&mut *tx)
            .await?;
            false
        }
    };
    tx.commit().await?;
    Ok(stale)
}

/// Applies events after the stored checkpoint, up to `limit`, in one transaction. Returns how many
/// were applied. The checkpoint row is locked first, so two projectors never apply the same event.
pub async fn apply_batch(
    pool: &PgPool,
    store: &dyn EventStore,
    projection: &dyn Projection,
    schema: &str,
    checkpoint_name: &str,
    limit: usize,
) -> Result<usize, ProjectionError> {
    Ok(
        apply_batch_to(pool, store, projection, schema, checkpoint_name, limit)
            .await?
            .0,
    )
}

/// [`apply_batch`], also returning the checkpoint after the batch.
pub async fn apply_batch_to(
    pool: &PgPool,
    store: &dyn EventStore,
    projection: &dyn Projection,
    schema: &str,
    checkpoint_name: &str,
    limit: usize,
) -> Result<(usize, u64), ProjectionError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(lock_key(checkpoint_name))
        .execute(&mut *tx)
        .await?;
    let position: i64 = sqlx::query_scalar(
        "SELECT position FROM projection_checkpoints WHERE name = $1 FOR UPDATE",
    )
    .bind(checkpoint_name)
    .fetch_one(&mut *tx)
    .await?;
    let batch = store
        .read_all(u64::try_from(position).unwrap_or(0), limit)
        .await
        .map_err(ProjectionError::Store)?;
    let Some(last) = batch.last().map(|e| e.global_position) else {
        return Ok((0, u64::try_from(position).unwrap_or(0)));
    };
    projection.apply_all(&mut tx, schema, &batch).await?;
    sqlx::query(
        "UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1",
    )
    .bind(checkpoint_name)
    .bind(to_i64(last))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((batch.len(), last))
}

/// Why a projector, a rebuild or a wait for a read model failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The read models' database.
    #[error("read model database: {0}")]
    Database(#[from] sqlx::Error),
    /// The event store (reading the log, its head or its backlog).
    #[error("event store: {0}")]
    Store(skyfly_domain::store::StoreError),
    /// A rebuild of this read model runs already (in this process or another).
    #[error("a rebuild of {0} is already running")]
    RebuildRunning(String),
}

/// How long a projector that just applied a small batch gathers events before the next one.
const BATCH_WINDOW: Duration = Duration::from_millis(3);

/// Keeps one projection up to date: batches when behind, woken by new events when caught up.
pub struct Projector {
    pool: PgPool,
    store: Arc<dyn EventStore>,
    projection: Arc<dyn Projection>,
    batch: usize,
    /// The checkpoint as this process last saw it committed (a lower bound of the stored one:
    /// checkpoints only move forward), so queries need not ask the database for it each time.
    known: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Projector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projector")
            .field("name", &self.projection.name())
            .finish_non_exhaustive()
    }
}

impl Projector {
    /// A projector that applies `projection` from the log in `store` to its tables in `pool`, up to
    /// 1,000 events per transaction.
    pub fn new(pool: PgPool, store: Arc<dyn EventStore>, projection: Arc<dyn Projection>) -> Self {
        Self {
            pool,
            store,
            projection,
            batch: 1000,
            known: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn saw(&self, position: u64) {
        self.known
            .fetch_max(position, std::sync::atomic::Ordering::SeqCst);
    }

    /// A position the read model has certainly reached (what this process last saw committed),
    /// without asking the database; `position` asks.
    pub fn known_position(&self) -> u64 {
        self.known.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The projection's name, also its checkpoint's.
    pub fn name(&self) -> &'static str {
        self.projection.name()
    }

    /// Applies everything available now; returns how many events.
    pub async fn catch_up(&self) -> Result<usize, ProjectionError> {
        let mut total = 0;
        loop {
            let (n, position) = apply_batch_to(
                &self.pool,
                self.store.as_ref(),
                self.projection.as_ref(),
                "public",
                self.name(),
                self.batch,
            )
            .await?;
            self.saw(position);
            total += n;
            if n < self.batch {
                return Ok(total);
            }
        }
    }

    /// Runs until the task is dropped. A read model built by an older release (other table
    /// definitions) is rebuilt from the log first; the old tables answer meanwhile.
    pub async fn run(self: Arc<Self>) {
        match install(&self.pool, self.projection.as_ref()).await {
            Ok(false) => {}
            Ok(true) => {
                tracing::warn!(
                    projection = self.name(),
                    "read model definition changed; rebuilding it from the log"
                );
                if let Err(e) = crate::rebuild::rebuild(
                    &self.pool,
                    self.store.as_ref(),
                    self.projection.as_ref(),
                    &|_, _| {},
                )
                .await
                {
                    tracing::error!(projection = self.name(), error = %e, "rebuild failed");
                }
            }
            Err(e) => {
                tracing::error!(projection = self.name(), error = %e, "cannot install the read model");
            }
        }
        let mut reported = tokio::time::Instant::now() - Duration::from_secs(60);
        loop {
            match self.catch_up().await {
                Ok(applied) => {
                    // The gauges cost two queries: at most once a second.
                    if reported.elapsed() >= Duration::from_secs(1)
                        && let Ok(status) = self.status().await
                    {
                        reported = tokio::time::Instant::now();
                        metrics::gauge!("skyfly_projection_position", "projection" => self.name())
                            .set(status.position as f64);
                        metrics::gauge!("skyfly_projection_lag_events", "projection" => self.name()).set(status.lag_events as f64);
                        metrics::gauge!("skyfly_projection_lag_ms", "projection" => self.name())
                            .set(status.lag_ms as f64);
                    }
                    if applied > 0 && applied < self.batch {
                        // Under a steady trickle, gather a few milliseconds of events per
                        // transaction instead of one transaction per event.
                        tokio::time::sleep(BATCH_WINDOW).await;
                    }
                    self.store.wait_for_events(self.known_position()).await;
                }
                Err(e) => {
                    tracing::warn!(projection = self.name(), error = %e, "projection batch failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    /// The read model's checkpoint as stored in the database (0 if it has none yet).
    pub async fn position(&self) -> Result<u64, sqlx::Error> {
        let p: Option<i64> =
            sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = $1")
                .bind(self.name())
                .fetch_optional(&self.pool)
                .await?;
        let p = p.map_or(0, |p| u64::try_from(p).unwrap_or(0));
        self.saw(p);
        Ok(p)
    }

    /// Position, and lag in events and milliseconds behind the head of the log (the backlog the
    /// event store reports after the position).
    pub async fn status(&self) -> Result<ProjectorStatus, ProjectionError> {
        let position = self.position().await?;
        let backlog = self
            .store
            .backlog(position)
            .await
            .map_err(ProjectionError::Store)?;
        let lag_events = backlog.events;
        let lag_ms = backlog.oldest_recorded_at.map_or(0, |oldest| {
            u64::try_from((chrono::Utc::now() - oldest).num_milliseconds()).unwrap_or(0)
        });
        Ok(ProjectorStatus {
            name: self.name().to_owned(),
            position,
            lag_events,
            lag_ms: if lag_events == 0 { 0 } else { lag_ms },
            status: if lag_events == 0 {
                "live".into()
            } else {
                "catching_up".into()
            },
        })
    }
}

/// Waits until each of `projectors` reached `min_position` (giving up after `timeout`) and returns
/// the lowest of their positions: what an answer joining their read models reflects at least.
/// Without `min_position` it answers at once. A position this process saw committed is used when
/// it answers the question; otherwise the checkpoint is read (another process's projector may be
/// further, or none runs here).
pub async fn reached(
    projectors: &[&Projector],
    min_position: Option<u64>,
    timeout: Duration,
) -> Result<u64, sqlx::Error> {
    let give_up = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(2);
    loop {
        let mut at = u64::MAX;
        for p in projectors {
            let known = p.known_position();
            let position = match min_position {
                Some(min) if known >= min => known,
                None if known > 0 => known,
                _ => p.position().await?,
            };
            at = at.min(position);
        }
        if min_position.is_none_or(|min| at >= min) || tokio::time::Instant::now() >= give_up {
            return Ok(at);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// For a lookup by id that found nothing at position `at`: waits (giving up after `timeout`) until
/// `projectors` caught up with the log as committed now, so that what was just written is found.
/// Returns their new position, or `None` if they were already there (the thing does not exist).
pub async fn caught_up(
    store: &dyn EventStore,
    projectors: &[&Projector],
    at: u64,
    timeout: Duration,
) -> Result<Option<u64>, ProjectionError> {
    // Committed, not only readable: what was just written may still sit above the watermark while
    // other transactions run, and it must be waited for, not reported missing.
    let head = store
        .committed_head()
        .await
        .map_err(ProjectionError::Store)?;
    if at >= head {
        return Ok(None);
    }
    Ok(Some(reached(projectors, Some(head), timeout).await?))
}
