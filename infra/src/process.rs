//! Process-manager stores: PostgreSQL and in-memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use skyfly_domain::ids::{BookingId, FlightId, LoyaltyAccountId};
use skyfly_domain::process::ProcessStore;
use skyfly_domain::store::StoreError;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Mutex;

use crate::pg::backend;

/// How long a worker's claim on a saga lasts unless renewed.
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(10);

/// The PostgreSQL process store. Several processes may share it: each instance is one worker
/// (its `owner` id), and [`ProcessStore::due`] claims the sagas it returns for that worker for
/// `lease`, renewed while the worker lives (docs/adr/0005).
#[derive(Debug, Clone)]
pub struct PgProcessStore {
    pool: PgPool,
    owner: uuid::Uuid,
    lease: std::time::Duration,
}

impl PgProcessStore {
    /// A worker with a fresh id and a 10 s lease.
    pub fn new(pool: PgPool) -> Self {
        Self::for_worker(pool, uuid::Uuid::now_v7(), DEFAULT_LEASE)
    }

    /// A worker with a given id (shown in logs and in `saga_wakeups.lease_owner`) and lease.
    pub fn for_worker(pool: PgPool, owner: uuid::Uuid, lease: std::time::Duration) -> Self {
        Self { pool, owner, lease }
    }

    /// This worker's id, recorded as the `lease_owner` of the sagas it claims.
    pub fn owner(&self) -> uuid::Uuid {
        self.owner
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX)
    }
}

#[async_trait]
impl ProcessStore for PgProcessStore {
    async fn checkpoint(&self, process: &str) -> Result<u64, StoreError> {
        let p: Option<i64> =
            sqlx::query_scalar("SELECT position FROM process_checkpoints WHERE process = $1")
                .bind(process)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(p.map_or(0, |p| u64::try_from(p).unwrap_or(0)))
    }

    async fn save_checkpoint(&self, process: &str, position: u64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO process_checkpoints (process, position) VALUES ($1, $2) \
             ON CONFLICT (process) DO UPDATE SET position = GREATEST(process_checkpoints.position, EXCLUDED.position)",
        )
        .bind(process)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn schedule(
        &self,
        saga: BookingId,
        wake_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO saga_wakeups (saga_id, wake_at) VALUES ($1, $2) \
             ON CONFLICT (saga_id) DO UPDATE SET wake_at = EXCLUDED.wake_at, updated = now()",
        )
        .bind(saga.0)
        .bind(wake_at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn finish(&self, saga: BookingId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM saga_wakeups WHERE saga_id = $1")
            .bind(saga.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<BookingId>, StoreError> {
        // Claims what is due and free (never claimed, claimed by this worker, or a lapsed claim);
        // rows another worker is claiming right now are skipped, not waited for. Leases run on
        // the database's clock: they are about processes being alive, not about business time.
        let mut rows: Vec<(uuid::Uuid, Option<DateTime<Utc>>, DateTime<Utc>)> = sqlx::query_as(
            "WITH due AS ( \
               SELECT saga_id FROM saga_wakeups \
               WHERE (wake_at IS NULL OR wake_at <= $1) \
                 AND (lease_owner IS NULL OR lease_owner = $3 OR lease_until < clock_timestamp()) \
               ORDER BY wake_at NULLS FIRST, updated LIMIT $2 FOR UPDATE SKIP LOCKED) \
             UPDATE saga_wakeups w SET lease_owner = $3, \
                    lease_until = clock_timestamp() + $4 * interval '1 millisecond' \
             FROM due WHERE w.saga_id = due.saga_id \
             RETURNING w.saga_id, w.wake_at, w.updated",
        )
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(self.owner)
        .bind(self.lease_ms())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.sort_by_key(|(_, wake_at, updated)| (wake_at.is_some(), *wake_at, *updated));
        Ok(rows.into_iter().map(|(id, _, _)| BookingId(id)).collect())
    }

    async fn release(&self, saga: BookingId) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE saga_wakeups SET lease_owner = NULL, lease_until = NULL \
             WHERE saga_id = $1 AND lease_owner = $2",
        )
        .bind(saga.0)
        .bind(self.owner)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn renew_claims(&self) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE saga_wakeups SET lease_until = clock_timestamp() + $2 * interval '1 millisecond' \
             WHERE lease_owner = $1",
        )
        .bind(self.owner)
        .bind(self.lease_ms())
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn next_wake(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar("SELECT min(wake_at) FROM saga_wakeups")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }

    async fn hold(
        &self,
        flight: &FlightId,
        booking: BookingId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO hold_expiries (flight_id, booking_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (flight_id, booking_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
        )
        .bind(flight.to_string())
        .bind(booking.0)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn unhold(&self, flight: &FlightId, booking: BookingId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM hold_expiries WHERE flight_id = $1 AND booking_id = $2")
            .bind(flight.to_string())
            .bind(booking.0)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn due_holds(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(FlightId, BookingId)>, StoreError> {
        let rows: Vec<(String, uuid::Uuid)> = sqlx::query_as(
            "SELECT flight_id, booking_id FROM hold_expiries WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
        )
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .filter_map(|(f, b)| FlightId::parse(&f).ok().map(|f| (f, BookingId(b))))
            .collect())
    }

    async fn schedule_expiry(
        &self,
        account: LoyaltyAccountId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO miles_expiries (account_id, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(account.0)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn due_expiries(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(LoyaltyAccountId, DateTime<Utc>)>, StoreError> {
        let rows: Vec<(uuid::Uuid, DateTime<Utc>)> = sqlx::query_as(
            "SELECT account_id, expires_at FROM miles_expiries WHERE expires_at <= $1 \
             ORDER BY expires_at, account_id LIMIT $2",
        )
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(a, at)| (LoyaltyAccountId(a), at))
            .collect())
    }

    async fn expiry_done(
        &self,
        account: LoyaltyAccountId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM miles_expiries WHERE account_id = $1 AND expires_at = $2")
            .bind(account.0)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// The in-memory process store, for fast tests and scenarios.
#[derive(Debug, Default)]
pub struct MemoryProcessStore {
    inner: Mutex<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    checkpoints: HashMap<String, u64>,
    wakeups: HashMap<BookingId, (Option<DateTime<Utc>>, u64)>,
    holds: HashMap<(FlightId, BookingId), DateTime<Utc>>,
    expiries: std::collections::BTreeSet<(DateTime<Utc>, LoyaltyAccountId)>,
    sequence: u64,
}

impl MemoryProcessStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl ProcessStore for MemoryProcessStore {
    async fn checkpoint(&self, process: &str) -> Result<u64, StoreError> {
        Ok(self.lock().checkpoints.get(process).copied().unwrap_or(0))
    }

    async fn save_checkpoint(&self, process: &str, position: u64) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let entry = inner.checkpoints.entry(process.to_owned()).or_insert(0);
        *entry = (*entry).max(position);
        Ok(())
    }

    async fn schedule(
        &self,
        saga: BookingId,
        wake_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.sequence += 1;
        let seq = inner.sequence;
        inner.wakeups.insert(saga, (wake_at, seq));
        Ok(())
    }

    async fn finish(&self, saga: BookingId) -> Result<(), StoreError> {
        self.lock().wakeups.remove(&saga);
        Ok(())
    }

    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<BookingId>, StoreError> {
        let inner = self.lock();
        let mut due: Vec<_> = inner
            .wakeups
            .iter()
            .filter(|(_, (at, _))| at.is_none_or(|at| at <= now))
            .map(|(id, (at, seq))| (*at, *seq, *id))
            .collect();
        due.sort();
        Ok(due.into_iter().take(limit).map(|(_, _, id)| id).collect())
    }

    async fn next_wake(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.lock().wakeups.values().filter_map(|(at, _)| *at).min())
    }
    async fn hold(
        &self,
        flight: &FlightId,
        booking: BookingId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock()
            .holds
            .insert((flight.clone(), booking), expires_at);
        Ok(())
    }

    async fn unhold(&self, flight: &FlightId, booking: BookingId) -> Result<(), StoreError> {
        self.lock().holds.remove(&(flight.clone(), booking));
        Ok(())
    }

    async fn due_holds(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(FlightId, BookingId)>, StoreError> {
        let inner = self.lock();
        let mut due: Vec<_> = inner
            .holds
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, at)| (*at, k.clone()))
            .collect();
        due.sort_by_key(|d| d.0);
        Ok(due.into_iter().take(limit).map(|(_, k)| k).collect())
    }

    async fn schedule_expiry(
        &self,
        account: LoyaltyAccountId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().expiries.insert((at, account));
        Ok(())
    }

    async fn due_expiries(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(LoyaltyAccountId, DateTime<Utc>)>, StoreError> {
        Ok(self
            .lock()
            .expiries
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(limit)
            .map(|(at, a)| (*a, *at))
            .collect())
    }

    async fn expiry_done(
        &self,
        account: LoyaltyAccountId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().expiries.remove(&(at, account));
        Ok(())
    }
}
