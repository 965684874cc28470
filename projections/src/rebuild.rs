//! Rebuilding a read model from the whole log into fresh tables while the live ones keep
//! answering, then switching atomically.
//!
//! One rebuild of a read model runs at a time across every process: the rebuilding connection
//! holds a session advisory lock on it (`rebuild/<name>`), which dies with the connection if the
//! process does. Two rebuilds sharing one shadow schema would write into each other's tables (one
//! resets the other's checkpoint and drops its tables mid-way), so a second one is refused with
//! [`ProjectionError::RebuildRunning`] instead. What the last rebuild of each read model came to
//! (running with its progress, succeeded, failed and why) is kept in `projection_rebuilds`.

use crate::runtime::{Projection, ProjectionError, apply_batch, definition, lock_key, to_i64};
use chrono::{DateTime, Utc};
use skyfly_domain::store::EventStore;
use sqlx::PgPool;
use sqlx::{ConnectOptions, Connection, PgConnection};

/// What the last rebuild of a read model came to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RebuildState {
    /// The read model.
    pub name: String,
    /// `running`, `succeeded` or `failed`.
    pub state: String,
    /// Events applied so far.
    pub done: u64,
    /// Events in the log when it started (at least `done`).
    pub total: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (`None` while it runs).
    pub finished_at: Option<DateTime<Utc>>,
}

/// The right to rebuild one read model: held until the rebuild ends (or the process dies).
pub struct RebuildClaim {
    pool: PgPool,
    /// A connection of its own (not the pool's: a rebuild must not take one from the commands
    /// for as long as it runs), holding the session lock.
    connection: Option<PgConnection>,
    name: String,
}

impl std::fmt::Debug for RebuildClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RebuildClaim")
            .field("name", &self.name)
            .finish()
    }
}

fn claim_key(name: &str) -> String {
    format!("rebuild/{name}")
}

impl RebuildClaim {
    /// Claims the rebuild of the read model `name`, or answers
    /// [`ProjectionError::RebuildRunning`] if one runs (in any process).
    pub async fn acquire(pool: &PgPool, name: &str) -> Result<Self, ProjectionError> {
        let mut connection = pool.connect_options().connect().await?;
        let claimed: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                .bind(claim_key(name))
                .fetch_one(&mut connection)
                .await?;
        if !claimed {
            return Err(ProjectionError::RebuildRunning(name.to_owned()));
        }
        sqlx::query(
            "INSERT INTO projection_rebuilds (name, state, done, total, error, started_at, finished_at) \
             VALUES ($1, 'running', 0, 0, NULL, now(), NULL) \
             ON CONFLICT (name) DO UPDATE SET state = 'running', done = 0, total = 0, error = NULL, \
             started_at = now(), finished_at = NULL",
        )
        .bind(name)
        .execute(&mut connection)
        .await?;
        Ok(Self {
            pool: pool.clone(),
            connection: Some(connection),
            name: name.to_owned(),
        })
    }

    /// Runs the claimed rebuild of `projection` to its end, records what it came to, and lets the
    /// claim go. `progress(done, total)` is told after each batch.
    pub async fn run(
        mut self,
        store: &dyn EventStore,
        projection: &dyn Projection,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<u64, ProjectionError> {
        let pool = self.pool.clone();
        let name = self.name.clone();
        let report = |done: u64, total: u64| {
            progress(done, total);
            let (pool, name) = (pool.clone(), name.clone());
            // Progress is for operators: a lost update is only a stale figure.
            tokio::spawn(async move {
                let _ = sqlx::query(
                    "UPDATE projection_rebuilds SET done = $2, total = $3 WHERE name = $1 AND state = 'running'",
                )
                .bind(name)
                .bind(to_i64(done))
                .bind(to_i64(total))
                .execute(&pool)
                .await;
            });
        };
        let result = rebuild_claimed(&self.pool, store, projection, &report).await;
        let (state, error, done) = match &result {
            Ok(done) => ("succeeded", None, *done),
            Err(e) => ("failed", Some(e.to_string()), 0),
        };
        if let Err(e) = result.as_ref() {
            tracing::error!(projection = %self.name, error = %e, "rebuild failed");
        }
        self.release(state, error, done).await;
        result
    }

    /// Records the outcome and closes the claim's connection, which unlocks it.
    async fn release(&mut self, state: &str, error: Option<String>, done: u64) {
        let Some(mut connection) = self.connection.take() else {
            return;
        };
        let recorded = sqlx::query(
            "UPDATE projection_rebuilds SET state = $2, error = $3, finished_at = now(), \
             done = CASE WHEN $2 = 'succeeded' THEN $4 ELSE done END, \
             total = CASE WHEN $2 = 'succeeded' THEN $4 ELSE total END WHERE name = $1",
        )
        .bind(&self.name)
        .bind(state)
        .bind(error)
        .bind(to_i64(done))
        .execute(&mut connection)
        .await;
        if let Err(e) = recorded {
            tracing::warn!(projection = %self.name, error = %e, "could not record the rebuild's outcome");
        }
        // Closing the session releases its lock.
        if let Err(e) = connection.close().await {
            tracing::debug!(projection = %self.name, error = %e, "rebuild connection closed uncleanly");
        }
    }
}

impl Drop for RebuildClaim {
    fn drop(&mut self) {
        // Dropped without `run` finishing (cancelled): dropping the connection ends the session,
        // which unlocks it.
        drop(self.connection.take());
    }
}

/// Rebuilds `projection` from the whole log into fresh tables while the live ones keep answering,
/// then switches atomically; [`ProjectionError::RebuildRunning`] if a rebuild of it runs already.
/// `progress(done, total)` is told after each batch.
pub async fn rebuild(
    pool: &PgPool,
    store: &dyn EventStore,
    projection: &dyn Projection,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<u64, ProjectionError> {
    RebuildClaim::acquire(pool, projection.name())
        .await?
        .run(store, projection, progress)
        .await
}

/// A row of `projection_rebuilds`.
type RebuildRow = (
    String,
    String,
    i64,
    i64,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// What the last rebuild of each read model came to (read models never rebuilt are absent).
pub async fn rebuild_states(pool: &PgPool) -> Result<Vec<RebuildState>, sqlx::Error> {
    let rows: Vec<RebuildRow> =
        sqlx::query_as(
            "SELECT name, state, done, total, error, started_at, finished_at FROM projection_rebuilds ORDER BY name",
        )
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(name, state, done, total, error, started_at, finished_at)| RebuildState {
                name,
                state,
                done: u64::try_from(done).unwrap_or(0),
                total: u64::try_from(total).unwrap_or(0),
                error,
                started_at,
                finished_at,
            },
        )
        .collect())
}

/// The rebuild itself, for the holder of its claim.
pub(crate) async fn rebuild_claimed(
    pool: &PgPool,
    store: &dyn EventStore,
    projection: &dyn Projection,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<u64, ProjectionError> {
    let name = projection.name();
    let schema = format!("rebuild_{name}");
    let shadow = format!("{name}__rebuild");
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(pool)
        .await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(pool)
        .await?;
    for statement in projection.create(&schema) {
        sqlx::query(&statement).execute(pool).await?;
    }
    sqlx::query("INSERT INTO projection_checkpoints (name, position) VALUES ($1, 0) ON CONFLICT (name) DO UPDATE SET position = 0")
        .bind(&shadow)
        .execute(pool)
        .await?;
    let total = store
        .backlog(0)
        .await
        .map_err(ProjectionError::Store)?
        .events;
    let mut done = 0u64;
    loop {
        let n = apply_batch(pool, store, projection, &schema, &shadow, 5_000).await?;
        done += n as u64;
        progress(done, total.max(done));
        if n < 5_000 {
            break;
        }
    }
    // The switch: under the live projector's lock, catch the shadow up to the live checkpoint's
    // log, then swap the tables and take over the shadow's position, all in one transaction.
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(lock_key(name))
        .execute(&mut *tx)
        .await?;
    let mut position: i64 =
        sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = $1")
            .bind(&shadow)
            .fetch_one(&mut *tx)
            .await?;
    loop {
        let batch = store
            .read_all(u64::try_from(position).unwrap_or(0), 5_000)
            .await
            .map_err(ProjectionError::Store)?;
        let Some(last) = batch.last().map(|e| e.global_position) else {
            break;
        };
        projection.apply_all(&mut tx, &schema, &batch).await?;
        done += batch.len() as u64;
        position = to_i64(last);
    }
    for table in projection.tables() {
        sqlx::query(&format!("DROP TABLE IF EXISTS public.{table} CASCADE"))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!("ALTER TABLE {schema}.{table} SET SCHEMA public"))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, position, definition) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET position = $2, definition = $3, updated_at = now()",
    )
    .bind(name)
    .bind(position)
    .bind(definition(projection))
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
        .bind(&shadow)
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    progress(done, done);
    Ok(done)
}
