//! The booking process manager: drives each booking saga through its steps and compensations.
//!
//! The saga aggregate (`skyfly_domain::saga`) decides *what* comes next; this module *does* it:
//! each step is a command on the owning aggregate sent through the [`CommandBus`] — the same path
//! as the API — with a command id derived from the saga id, the step and the attempt, so a retry
//! after a crash or a redelivery never takes effect twice. Outcomes are recorded back into the
//! saga. Which sagas are in flight and when each next needs attention (deadlines, backoff) is kept
//! in the [`ProcessStore`], so a restart resumes every saga and fires deadlines that came due
//! while the engine was down.
//!
//! The parts, one concern each:
//!
//! - `claims`: which sagas this worker drives — claims and their renewal, the set being driven,
//!   and handing due sagas to drive slots;
//! - `driver`: one saga's drive — ask the saga what is next, perform it, record the outcome;
//! - `steps`: the step table — a pure function from the saga's state and a step (forward,
//!   compensation, cancellation, outcome) to the command to send, and the typed `StepFailure`
//!   a refusal becomes (turned into the saga's reason string only where the saga is told);
//! - `executor`: sends a step's command (and the card authorization) and maps a refusal to a
//!   step failure;
//! - `faults`: applies the faults armed on the fault board to a step;
//! - `follower`: follows the log to queue sagas and index seat holds and miles that expire;
//! - `expiries`: releases expired seat holds and expires miles.

mod claims;
mod driver;
mod executor;
mod expiries;
mod faults;
mod follower;
mod steps;

use crate::{CommandBus, CommandError};
use chrono::{DateTime, Utc};
use skyfly_domain::card::PaymentProvider;
use skyfly_domain::event::{Actor, Metadata};
use skyfly_domain::ids::{BookingId, CommandId};
use skyfly_domain::process::ProcessStore;
use skyfly_domain::store::StoreError;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// The process manager's name in the process store.
pub const PROCESS: &str = "booking_saga";

/// Why a drive of a saga stopped before the saga settled (it is queued again shortly).
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// The event store (or the process store) could not be read or written.
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    /// A command could not be run for another reason than a refusal (a version conflict that
    /// persisted, an event that could not be encoded or decoded).
    #[error("{0}")]
    Command(String),
}

impl<E: std::error::Error + 'static> From<CommandError<E>> for DriveError {
    fn from(e: CommandError<E>) -> Self {
        match e {
            CommandError::Store(s) => DriveError::Store(s),
            other => DriveError::Command(other.to_string()),
        }
    }
}

/// Drives booking sagas: runs their steps, compensations and cancellations, fires their
/// deadlines, and expires seat holds and miles. One per engine process; several processes share
/// the work through claims in the [`ProcessStore`].
pub struct ProcessManager {
    stopped: AtomicBool,
    bus: Arc<CommandBus>,
    process: Arc<dyn ProcessStore>,
    payments: Arc<dyn PaymentProvider>,
    wake: Notify,
    /// The sagas this worker is driving now (a saga is driven by one drive at a time).
    driving: Mutex<HashSet<BookingId>>,
    concurrency: usize,
}

impl std::fmt::Debug for ProcessManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessManager")
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// Who the process manager's commands are from.
fn system() -> Actor {
    Actor::system(PROCESS)
}

/// Metadata of a command the process manager sends for `saga`: one conversation per booking.
fn metadata(saga: BookingId, command_id: CommandId) -> Metadata {
    Metadata {
        correlation_id: saga.0,
        ..Metadata::new(command_id, system())
    }
}

impl ProcessManager {
    /// A process manager sending its commands through `bus`, keeping its queue in `process` and
    /// authorizing cards with `payments`.
    pub fn new(
        bus: Arc<CommandBus>,
        process: Arc<dyn ProcessStore>,
        payments: Arc<dyn PaymentProvider>,
    ) -> Self {
        Self {
            stopped: AtomicBool::new(false),
            bus,
            process,
            payments,
            wake: Notify::new(),
            driving: Mutex::new(HashSet::new()),
            concurrency: 32,
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.bus.clock().now()
    }

    /// A saga was started (or changed from outside: cancelled, parked items retried): queue it.
    pub async fn enqueue(&self, saga: BookingId) -> Result<(), StoreError> {
        self.process.schedule(saga, None).await?;
        self.wake.notify_one();
        Ok(())
    }

    /// Look at the queue now (after the clock was moved, in tests and scenarios).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// Stops `run` (at its next turn): the engine is going down, or a test simulates downtime.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Runs until stopped: follows the log (a safety net that finds sagas and seat holds however
    /// they were recorded) and drives what is due, sleeping until the next wake-up or a nudge.
    /// Once stopped it takes no more work and returns when the drives in flight have finished
    /// (their claims renewed meanwhile), so that awaiting it drains the worker.
    pub async fn run(self: Arc<Self>) {
        let follower = Arc::clone(&self);
        let follow = tokio::spawn(async move { follower.follow().await });
        // Claims on sagas lapse unless renewed: this worker is alive as long as it renews them.
        let renewer = Arc::clone(&self);
        let renew = tokio::spawn(async move { renewer.renew_claims().await });
        let slots = Arc::new(tokio::sync::Semaphore::new(self.concurrency));
        while !self.is_stopped() {
            match self.dispatch_due(&slots).await {
                Ok(0) => self.idle().await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "process manager could not read its queue; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        follow.abort();
        // Every slot back: no drive is in flight any more.
        let all = u32::try_from(self.concurrency).unwrap_or(u32::MAX);
        let _ = slots.acquire_many(all).await;
        renew.abort();
    }

    /// The earliest time a saga in flight next needs attention (a deadline, a retry's backoff).
    pub async fn next_wake_up(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.process.next_wake().await
    }

    /// Waits until the next wake-up is due, a nudge, or a second at most.
    async fn idle(&self) {
        let until_next = match self.process.next_wake().await {
            Ok(Some(at)) => (at - self.now()).to_std().unwrap_or(Duration::ZERO),
            _ => Duration::from_secs(1),
        };
        // Capped, so that a clock moved forward by a test is noticed even without a nudge.
        let pause = until_next.clamp(Duration::from_millis(1), Duration::from_secs(1));
        let _ = tokio::time::timeout(pause, self.wake.notified()).await;
    }
}
