//! The process-manager store port: what a process manager must remember across restarts besides
//! the events themselves — its position in the global log, and which sagas are in flight and when
//! each next needs attention (its durable deadline).

use crate::ids::{BookingId, FlightId, LoyaltyAccountId};
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// What a process manager keeps across restarts: its checkpoint in the global log, the sagas in
/// flight with their next wake-up, the seat holds that will expire and the miles that will expire.
#[async_trait]
pub trait ProcessStore: Send + Sync + 'static {
    /// The global position up to which `process` has handled the log (0 if never).
    async fn checkpoint(&self, process: &str) -> Result<u64, StoreError>;

    /// Moves the checkpoint forward (never backward).
    async fn save_checkpoint(&self, process: &str, position: u64) -> Result<(), StoreError>;

    /// Records that `saga` is in flight and next needs attention at `wake_at` (`None`: as soon as
    /// possible).
    async fn schedule(
        &self,
        saga: BookingId,
        wake_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// The saga reached a terminal state: nothing more to wake it for.
    async fn finish(&self, saga: BookingId) -> Result<(), StoreError>;

    /// Sagas in flight whose wake-up time is due at `now` (or unset), oldest first. A store shared
    /// by several workers claims them for the calling worker: no other worker gets them until
    /// [`release`](Self::release) or until the claim lapses (the worker stopped renewing it).
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<BookingId>, StoreError>;

    /// The calling worker is done driving `saga` for now (it stays scheduled).
    async fn release(&self, _saga: BookingId) -> Result<(), StoreError> {
        Ok(())
    }

    /// The calling worker is alive: its claims go on (a single-process store has none).
    async fn renew_claims(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The earliest wake-up time of any saga in flight.
    async fn next_wake(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// A seat hold that expires at `expires_at` unless committed or released first.
    async fn hold(
        &self,
        flight: &FlightId,
        booking: BookingId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The hold was committed or released: it no longer expires.
    async fn unhold(&self, flight: &FlightId, booking: BookingId) -> Result<(), StoreError>;

    /// Holds due to expire at `now`.
    async fn due_holds(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(FlightId, BookingId)>, StoreError>;

    /// Miles on `account` expire at `at` (a lot's expiry): the process expires them then.
    async fn schedule_expiry(
        &self,
        account: LoyaltyAccountId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Expiries due at `now`, oldest first.
    async fn due_expiries(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(LoyaltyAccountId, DateTime<Utc>)>, StoreError>;

    /// The expiry at `at` was carried out.
    async fn expiry_done(
        &self,
        account: LoyaltyAccountId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}
