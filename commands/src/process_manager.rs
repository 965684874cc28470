//! The booking process manager: drives each booking saga through its steps and compensations.
//!
//! The saga aggregate (`skyfly_domain::saga`) decides *what* comes next; this module *does* it:
//! each step is a command on the owning aggregate sent through the [`CommandBus`] — the same path
//! as the API — with a command id derived from the saga id, the step and the attempt, so a retry
//! after a crash or a redelivery never takes effect twice. Outcomes are recorded back into the
//! saga. Which sagas are in flight and when each next needs attention (deadlines, backoff) is kept
//! in the [`ProcessStore`], so a restart resumes every saga and fires deadlines that came due
//! while the engine was down.

use crate::{CommandBus, CommandError, Envelope};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use skyfly_domain::Aggregate;
use skyfly_domain::booking::{
    Booking, BookingCommand, CompleteCancellation, ConfirmBooking, FailBooking, RejectBooking,
};
use skyfly_domain::card::{PaymentProvider, ProviderError, TokenAuthorizationRequest};
use skyfly_domain::event::{Actor, Metadata};
use skyfly_domain::faults::{BOARD_ID, FaultBoard, FaultCommand, FaultEffect, TriggerFault, roll};
use skyfly_domain::ids::{BookingId, CommandId, LoyaltyAccountId};
use skyfly_domain::inventory::{
    CommitSeats, FlightInventory, InventoryCommand, InventoryError, ReleaseReason, ReleaseSeats,
    ReserveSeats,
};
use skyfly_domain::loyalty::{
    Accrual, AwardMiles, ExpireMiles, LoyaltyAccount, LoyaltyCommand, LoyaltyEvent, RedeemMiles,
    RestoreMiles, RevokeMiles,
};
use skyfly_domain::payment::{
    CapturePayment, CreatePayment, Payment, PaymentCommand, PaymentError, RecordAuthorization,
    RecordDecline, RefundPayment, VoidPayment,
};
use skyfly_domain::process::ProcessStore;
use skyfly_domain::saga::{
    BookingSaga, CancellationStep, Compensation, EndSaga, ForwardStep,
    RecordCancellationStepFailed, RecordCancellationStepSucceeded, RecordCompensationFailed,
    RecordCompensationSucceeded, RecordStepFailed, RecordStepStarted, RecordStepSucceeded,
    RecordTimeout, SagaAction, SagaCommand, SagaOutcome, SagaState,
};
use skyfly_domain::store::StoreError;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// The process manager's name in the process store.
pub const PROCESS: &str = "booking_saga";
/// A saga that needs nothing now but is not finished (parked) is looked at again after this long.
const PARKED_RECHECK: chrono::Duration = chrono::Duration::hours(1);
/// A drive stops after this many actions and goes back in the queue (fairness, and a guard
/// against a saga that would never settle).
const MAX_ACTIONS_PER_DRIVE: usize = 64;
/// How often a worker renews its claims on the sagas it drives (well inside the store's lease).
const RENEW_CLAIMS_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("event store: {0}")]
    Store(#[from] StoreError),
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

/// What a step command came to.
enum StepResult {
    Done,
    Failed {
        reason: String,
        retryable: bool,
    },
    /// The step's deadline passed before its command could be sent: nothing was sent, and the
    /// saga records the timeout next.
    Late,
}

pub struct ProcessManager {
    stopped: std::sync::atomic::AtomicBool,
    bus: Arc<CommandBus>,
    process: Arc<dyn ProcessStore>,
    payments: Arc<dyn PaymentProvider>,
    wake: Notify,
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

fn system() -> Actor {
    Actor::system(PROCESS)
}

fn metadata(saga: BookingId, command_id: CommandId) -> Metadata {
    Metadata {
        correlation_id: saga.0,
        ..Metadata::new(command_id, system())
    }
}

impl ProcessManager {
    pub fn new(
        bus: Arc<CommandBus>,
        process: Arc<dyn ProcessStore>,
        payments: Arc<dyn PaymentProvider>,
    ) -> Self {
        Self {
            stopped: std::sync::atomic::AtomicBool::new(false),
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
        self.stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Runs until stopped: follows the log (a safety net that finds sagas and seat holds however
    /// they were recorded) and drives what is due, sleeping until the next wake-up or a nudge.
    pub async fn run(self: Arc<Self>) {
        let follower = Arc::clone(&self);
        let follow = tokio::spawn(async move { follower.follow().await });
        // Claims on sagas lapse unless renewed: this worker is alive as long as it renews them.
        let renewer = Arc::clone(&self);
        let renew = tokio::spawn(async move {
            loop {
                if let Err(e) = renewer.process.renew_claims().await {
                    tracing::warn!(error = %e, "could not renew the claims on sagas");
                }
                tokio::time::sleep(RENEW_CLAIMS_EVERY).await;
            }
        });
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
        renew.abort();
    }

    /// Follows the global log from its checkpoint: queues sagas that were started, retried or
    /// cancelled, and keeps the indexes of seat holds and miles that will expire.
    async fn follow(&self) {
        let mut position = 0;
        while !self.is_stopped() {
            match self.follow_once().await {
                Ok((0, at)) => {
                    position = at;
                    self.bus.store().wait_for_events(position).await;
                }
                Ok((_, at)) => {
                    position = at;
                    self.wake.notify_one();
                    // Under a steady trickle, take a few milliseconds of events at a time.
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, position, "follower could not handle the log; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Handles the log from the follower's checkpoint up to what is readable now, in batches;
    /// returns how many events and the new checkpoint. (`run` does this continuously; scenarios
    /// and tests that drive the engine step by step call it directly.)
    pub async fn follow_once(&self) -> Result<(usize, u64), StoreError> {
        const FOLLOWER: &str = "booking_saga_follower";
        let store = Arc::clone(self.bus.store());
        let mut position = self.process.checkpoint(FOLLOWER).await?;
        let mut handled = 0;
        loop {
            let batch = store.read_all(position, 500).await?;
            if batch.is_empty() {
                return Ok((handled, position));
            }
            for event in &batch {
                self.observe(event).await?;
                position = event.global_position;
                handled += 1;
            }
            self.process.save_checkpoint(FOLLOWER, position).await?;
        }
    }

    async fn observe(&self, event: &skyfly_domain::event::RecordedEvent) -> Result<(), StoreError> {
        let booking = || {
            event
                .payload
                .get("booking_id")
                .and_then(|b| b.as_str())
                .and_then(|b| uuid::Uuid::parse_str(b).ok())
                .map(BookingId)
        };
        let flight = || {
            event
                .stream_id
                .strip_prefix("flight-")
                .and_then(|f| skyfly_domain::ids::FlightId::parse(f).ok())
        };
        if event.stream_id.starts_with("faults-") {
            // Armed, disarmed or used up by another process: bring the cached board up to date.
            if let Err(e) = self.bus.load::<FaultBoard>(BOARD_ID).await {
                tracing::warn!(error = %e, "could not refresh the fault board");
            }
        }
        match event.event_type.as_str() {
            "SagaStarted" | "ParkedRetried" | "CancellationStarted" => {
                if let Some(id) = event
                    .stream_id
                    .strip_prefix("saga-")
                    .and_then(|s| uuid::Uuid::parse_str(s).ok())
                {
                    self.process.schedule(BookingId(id), None).await?;
                }
            }
            "SeatsReserved" => {
                let expires = event
                    .payload
                    .get("expires_at")
                    .and_then(|e| e.as_str())
                    .and_then(|e| e.parse::<DateTime<Utc>>().ok());
                if let (Some(f), Some(b), Some(at)) = (flight(), booking(), expires) {
                    self.process.hold(&f, b, at).await?;
                }
            }
            "SeatsCommitted" | "SeatsReleased" => {
                if let (Some(f), Some(b)) = (flight(), booking()) {
                    self.process.unhold(&f, b).await?;
                }
            }
            // Every lot that gains miles will expire: awards, and restored slices (whose lot may
            // have expired meanwhile, then they are due at once).
            "MilesAwarded" | "MilesRestored" => {
                let account = event
                    .stream_id
                    .strip_prefix("loyalty-")
                    .and_then(|a| uuid::Uuid::parse_str(a).ok())
                    .map(LoyaltyAccountId);
                let decoded = skyfly_domain::event::decode::<LoyaltyEvent>(event);
                let expiries: Vec<DateTime<Utc>> = match decoded {
                    Ok(LoyaltyEvent::MilesAwarded { expires_at, .. }) => vec![expires_at],
                    Ok(LoyaltyEvent::MilesRestored { lots, .. }) => {
                        lots.iter().map(|l| l.expires_at).collect()
                    }
                    _ => Vec::new(),
                };
                if let Some(account) = account {
                    for at in expiries {
                        self.process.schedule_expiry(account, at).await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Releases the seats of every hold that came due (also those that came due while down).
    pub async fn expire_holds(&self) -> Result<usize, StoreError> {
        let now = self.now();
        let due = self.process.due_holds(now, 256).await?;
        for (flight, booking) in &due {
            let command_id = CommandId::derived(&format!("expire-hold/{flight}/{booking}"));
            let command = InventoryCommand::ExpireHold(skyfly_domain::inventory::ExpireHold {
                booking_id: *booking,
                now,
            });
            match self
                .bus
                .execute::<FlightInventory>(
                    flight,
                    Envelope::new(command, metadata(*booking, command_id)),
                )
                .await
            {
                Ok(_) | Err(CommandError::Rejected(_)) => {
                    self.process.unhold(flight, *booking).await?
                }
                Err(CommandError::Store(e)) => return Err(e),
                Err(e) => {
                    tracing::warn!(%flight, %booking, error = %e, "hold could not be expired")
                }
            }
        }
        Ok(due.len())
    }

    /// Expires the miles of every lot that came due (also those that came due while down).
    pub async fn expire_miles(&self) -> Result<usize, StoreError> {
        let now = self.now();
        let due = self.process.due_expiries(now, 256).await?;
        for (account, at) in &due {
            let command_id =
                CommandId::derived(&format!("expire-miles/{account}/{}", at.timestamp_micros()));
            let command = LoyaltyCommand::ExpireMiles(ExpireMiles { at: *at });
            let meta = Metadata::new(command_id, system());
            match self
                .bus
                .execute::<LoyaltyAccount>(*account, Envelope::new(command, meta))
                .await
            {
                Ok(_) | Err(CommandError::Rejected(_)) => {
                    self.process.expiry_done(*account, *at).await?
                }
                Err(CommandError::Store(e)) => return Err(e),
                Err(e) => {
                    tracing::warn!(%account, error = %e, "miles could not be expired")
                }
            }
        }
        Ok(due.len())
    }

    /// The earliest time a saga in flight next needs attention (a deadline, a retry's backoff).
    pub async fn next_wake_up(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.process.next_wake().await
    }

    async fn idle(&self) {
        let until_next = match self.process.next_wake().await {
            Ok(Some(at)) => (at - self.now()).to_std().unwrap_or(Duration::ZERO),
            _ => Duration::from_secs(1),
        };
        // Capped, so that a clock moved forward by a test is noticed even without a nudge.
        let pause = until_next.clamp(Duration::from_millis(1), Duration::from_secs(1));
        let _ = tokio::time::timeout(pause, self.wake.notified()).await;
    }

    /// Drives every saga due now; returns how many were driven.
    pub async fn run_due(&self) -> Result<usize, StoreError> {
        let expired = self.expire_holds().await? + self.expire_miles().await?;
        let due = self.process.due(self.now(), 256).await?;
        let mine: Vec<_> = {
            let mut driving = self
                .driving
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            due.into_iter().filter(|id| driving.insert(*id)).collect()
        };
        let count = mine.len() + expired;
        futures::stream::iter(mine)
            .for_each_concurrent(self.concurrency, |id| self.drive_claimed(id))
            .await;
        Ok(count)
    }

    /// Drives a saga this worker claimed, then lets go of it.
    async fn drive_claimed(&self, id: BookingId) {
        if let Err(e) = self.drive(id).await {
            tracing::warn!(saga = %id, error = %e, "saga step failed to run; retrying shortly");
            let _ = self
                .process
                .schedule(id, Some(self.now() + chrono::Duration::seconds(1)))
                .await;
        }
        if let Err(e) = self.process.release(id).await {
            // The claim lapses by itself; another worker (or this one) takes it then.
            tracing::warn!(saga = %id, error = %e, "could not release the saga's claim");
        }
        self.driving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
        // Its next wake-up may be due already, and a drive slot is free.
        self.wake.notify_one();
    }

    /// Starts a drive for every due saga this worker is not driving yet, as far as free drive
    /// slots allow, without waiting for them to end (a slow saga holds up no other). Returns how
    /// many drives started and expiries ran.
    async fn dispatch_due(
        self: &Arc<Self>,
        slots: &Arc<tokio::sync::Semaphore>,
    ) -> Result<usize, StoreError> {
        let expired = self.expire_holds().await? + self.expire_miles().await?;
        let free = slots.available_permits();
        if free == 0 {
            return Ok(expired);
        }
        let in_flight = self
            .driving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        // What this worker is driving is still due (and claimed by it): ask for that many more.
        let due = self.process.due(self.now(), free + in_flight).await?;
        let mine: Vec<_> = {
            let mut driving = self
                .driving
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            due.into_iter()
                .filter(|id| driving.insert(*id))
                .take(free)
                .collect()
        };
        for id in &mine {
            let Ok(slot) = Arc::clone(slots).try_acquire_owned() else {
                self.driving
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(id);
                continue;
            };
            let this = Arc::clone(self);
            let id = *id;
            tokio::spawn(async move {
                this.drive_claimed(id).await;
                drop(slot);
            });
        }
        Ok(mine.len() + expired)
    }

    /// Drives one saga as far as it can go now.
    pub async fn drive(&self, id: BookingId) -> Result<(), DriveError> {
        for turn in 0..MAX_ACTIONS_PER_DRIVE {
            // The first look reads the stream (someone may have changed the saga: a cancellation,
            // a retry); after that this worker, which holds the saga's claim, is its writer, and
            // its own records keep the cache current.
            let (saga, _) = if turn == 0 {
                self.bus.load::<BookingSaga>(id).await?
            } else {
                self.bus.load_cached::<BookingSaga>(id).await?
            };
            let Some(state) = saga.state().cloned() else {
                // Nothing to drive (a stale queue entry).
                self.process.finish(id).await?;
                return Ok(());
            };
            let now = self.now();
            // A step in flight that nobody in this process is running (drives of one saga are
            // exclusive here): whoever started it died before recording its answer. Send it
            // again — its command id is derived, so it takes effect at most once.
            if let Some(SagaAction::Run { step, attempt }) = saga.in_flight_action()
                && saga.deadline().is_some_and(|deadline| now < deadline)
            {
                let action = SagaAction::Run { step, attempt };
                let command_id = CommandId::derived(&action.command_name(id));
                self.finish_step(&state, step, attempt, command_id).await?;
                continue;
            }
            match saga.next_actions(now).into_iter().next() {
                None if saga.is_terminal() => {
                    self.process.finish(id).await?;
                    return Ok(());
                }
                None => {
                    // Parked, waiting for staff.
                    self.process
                        .schedule(id, Some(now + PARKED_RECHECK))
                        .await?;
                    return Ok(());
                }
                Some(SagaAction::WaitUntil(at)) => {
                    self.process.schedule(id, Some(at)).await?;
                    return Ok(());
                }
                Some(action) => {
                    let command_id = CommandId::derived(&action.command_name(id));
                    self.perform(&state, &action, command_id).await?;
                }
            }
        }
        self.process.schedule(id, None).await?;
        Ok(())
    }

    async fn record(
        &self,
        id: BookingId,
        command_id: CommandId,
        command: SagaCommand,
    ) -> Result<(), DriveError> {
        // One record per kind of outcome of an action: "started" and "succeeded" of the same
        // attempt are two commands; a redelivered "succeeded" is the same one.
        let kind = serde_json::to_value(&command)
            .ok()
            .and_then(|v| {
                v.get("command_type")
                    .and_then(|t| t.as_str().map(str::to_owned))
            })
            .unwrap_or_default();
        let record_id = CommandId::derived(&format!("{}/record/{kind}", command_id.0));
        let envelope = Envelope::new(command, metadata(id, record_id));
        match self.bus.execute::<BookingSaga>(id, envelope).await {
            Ok(_) => Ok(()),
            // A stale record (an answer that arrived after its step timed out, a redelivery): the
            // saga already moved on, which is what we want.
            Err(CommandError::Rejected(e)) => {
                tracing::debug!(saga = %id, error = %e, "saga record refused");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn perform(
        &self,
        s: &SagaState,
        action: &SagaAction,
        command_id: CommandId,
    ) -> Result<(), DriveError> {
        let id = s.booking_id;
        let now = self.now();
        match action {
            SagaAction::Run { step, attempt } => {
                let started = RecordStepStarted {
                    step: *step,
                    attempt: *attempt,
                    at: now,
                };
                self.record(id, command_id, SagaCommand::RecordStepStarted(started))
                    .await?;
                self.finish_step(s, *step, *attempt, command_id).await
            }
            SagaAction::TimeOut { .. } => {
                self.record(
                    id,
                    command_id,
                    SagaCommand::RecordTimeout(RecordTimeout { at: now }),
                )
                .await
            }
            SagaAction::Compensate {
                compensation,
                attempt,
            } => {
                let record = match self.compensate(s, *compensation, command_id).await? {
                    None => SagaCommand::RecordCompensationSucceeded(RecordCompensationSucceeded {
                        compensation: *compensation,
                        attempt: *attempt,
                        at: self.now(),
                    }),
                    Some(reason) => {
                        SagaCommand::RecordCompensationFailed(RecordCompensationFailed {
                            compensation: *compensation,
                            attempt: *attempt,
                            reason,
                            at: self.now(),
                        })
                    }
                };
                self.record(id, command_id, record).await
            }
            SagaAction::Cancel { step, attempt } => {
                let record = match self.cancel_step(s, *step, command_id).await? {
                    None => SagaCommand::RecordCancellationStepSucceeded(
                        RecordCancellationStepSucceeded {
                            step: *step,
                            attempt: *attempt,
                            at: self.now(),
                        },
                    ),
                    Some(reason) => {
                        SagaCommand::RecordCancellationStepFailed(RecordCancellationStepFailed {
                            step: *step,
                            attempt: *attempt,
                            reason,
                            at: self.now(),
                        })
                    }
                };
                self.record(id, command_id, record).await
            }
            SagaAction::Finish(outcome) => {
                self.finish_booking(s, outcome, command_id).await?;
                self.record(
                    id,
                    command_id,
                    SagaCommand::EndSaga(EndSaga { at: self.now() }),
                )
                .await
            }
            SagaAction::WaitUntil(_) => Ok(()),
        }
    }

    /// Runs a started step and records what came of it.
    async fn finish_step(
        &self,
        s: &SagaState,
        step: ForwardStep,
        attempt: u32,
        command_id: CommandId,
    ) -> Result<(), DriveError> {
        let id = s.booking_id;
        let result = self.run_step(s, step, attempt, command_id).await?;
        let at = self.now();
        let record = match result {
            StepResult::Late => return Ok(()),
            StepResult::Done => {
                SagaCommand::RecordStepSucceeded(RecordStepSucceeded { step, attempt, at })
            }
            StepResult::Failed { reason, retryable } => {
                SagaCommand::RecordStepFailed(RecordStepFailed {
                    step,
                    attempt,
                    reason,
                    retryable,
                    at,
                })
            }
        };
        self.record(id, command_id, record).await
    }

    /// Applies armed faults for this step: delays, and possibly a failure (recorded on the board).
    async fn faults(
        &self,
        s: &SagaState,
        step: ForwardStep,
        attempt: u32,
    ) -> Result<Option<String>, DriveError> {
        let saga_step = step.saga_step();
        // Every step of every saga looks at the one fault board: from the cache, which this
        // process's own commands keep current and the log follower refreshes when the board
        // changes elsewhere (see `observe`). Reading it from the store each time would make the
        // board's slot a lock every saga step of the process queues for.
        let (board, _) = self.bus.load_cached::<FaultBoard>(BOARD_ID).await?;
        let mut failure = None;
        for effect in board.effects(saga_step, roll(s.booking_id, saga_step, attempt)) {
            match effect {
                FaultEffect::Delay { delay_ms } => {
                    tokio::time::sleep(Duration::from_millis(u64::from(delay_ms))).await
                }
                FaultEffect::Fail { fault_id } => {
                    let command_id = CommandId::derived(&format!(
                        "{}/fault/{}/{attempt}",
                        s.booking_id,
                        step.as_str()
                    ));
                    let trigger = FaultCommand::TriggerFault(TriggerFault {
                        fault_id,
                        booking_id: s.booking_id,
                        at: self.now(),
                    });
                    match self
                        .bus
                        .execute::<FaultBoard>(
                            BOARD_ID,
                            Envelope::new(trigger, metadata(s.booking_id, command_id)),
                        )
                        .await
                    {
                        Ok(_) => failure = Some(format!("fault_injected: {fault_id}")),
                        // Used up by another saga meanwhile: this command is not failed.
                        Err(CommandError::Rejected(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(failure)
    }

    async fn run_step(
        &self,
        s: &SagaState,
        step: ForwardStep,
        attempt: u32,
        command_id: CommandId,
    ) -> Result<StepResult, DriveError> {
        if let Some(reason) = self.faults(s, step, attempt).await? {
            return Ok(StepResult::Failed {
                reason,
                retryable: false,
            });
        }
        let id = s.booking_id;
        let now = self.now();
        let (saga, _) = self.bus.load_cached::<BookingSaga>(id).await?;
        if saga.deadline().is_some_and(|deadline| now >= deadline) {
            return Ok(StepResult::Late);
        }
        let meta = metadata(id, command_id);
        let failed = |code: &str| StepResult::Failed {
            reason: code.to_owned(),
            retryable: false,
        };
        Ok(match step {
            ForwardStep::ReserveSeats => {
                let hold_until = saga
                    .seat_hold_until()
                    .unwrap_or(now + chrono::Duration::minutes(15));
                let command = InventoryCommand::ReserveSeats(ReserveSeats {
                    booking_id: id,
                    cabin: s.cabin,
                    seats: s.seats,
                    now,
                    hold_until,
                });
                match self
                    .bus
                    .execute::<FlightInventory>(&s.flight_id, Envelope::new(command, meta))
                    .await
                {
                    Ok(_) => StepResult::Done,
                    Err(CommandError::Rejected(InventoryError::NotEnoughSeats { .. })) => {
                        failed(skyfly_domain::saga::SEATS_UNAVAILABLE)
                    }
                    Err(CommandError::Rejected(e)) => failed(e.code()),
                    Err(e) => return Err(e.into()),
                }
            }
            ForwardStep::RedeemMiles => {
                let command = LoyaltyCommand::RedeemMiles(RedeemMiles {
                    booking_id: id,
                    miles: s.redeem_miles,
                    at: now,
                });
                self.outcome::<LoyaltyAccount>(s.account_id, command, meta, |e| e.code())
                    .await?
            }
            ForwardStep::AuthorizePayment => self.authorize(s, meta).await?,
            ForwardStep::AwardMiles => {
                let accrual = Accrual::Fare {
                    paid_by_card: s.accrual_fare,
                    cabin: s.cabin,
                };
                let command = LoyaltyCommand::AwardMiles(AwardMiles {
                    booking_id: id,
                    accrual,
                    at: now,
                });
                self.outcome::<LoyaltyAccount>(s.account_id, command, meta, |e| e.code())
                    .await?
            }
            ForwardStep::CommitSeats => {
                let command = InventoryCommand::CommitSeats(CommitSeats {
                    booking_id: id,
                    now,
                });
                self.outcome::<FlightInventory>(&s.flight_id, command, meta, |e| e.code())
                    .await?
            }
            ForwardStep::CapturePayment => {
                let command = PaymentCommand::CapturePayment(CapturePayment {
                    amount: None,
                    at: now,
                });
                self.outcome::<Payment>(s.payment_id, command, meta, |e| e.code())
                    .await?
            }
            ForwardStep::ConfirmBooking => {
                let command = BookingCommand::ConfirmBooking(ConfirmBooking { at: now });
                self.outcome::<Booking>(id, command, meta, |e| e.code())
                    .await?
            }
        })
    }

    /// Runs a command whose refusal is a step failure (not an infrastructure error).
    async fn outcome<A: Aggregate>(
        &self,
        target: impl std::fmt::Display,
        command: A::Command,
        meta: Metadata,
        code: impl Fn(&A::Error) -> &'static str,
    ) -> Result<StepResult, DriveError> {
        match self
            .bus
            .execute::<A>(target, Envelope::new(command, meta))
            .await
        {
            Ok(_) => Ok(StepResult::Done),
            Err(CommandError::Rejected(e)) => Ok(StepResult::Failed {
                reason: code(&e).to_owned(),
                retryable: false,
            }),
            Err(e) => Err(e.into()),
        }
    }

    async fn authorize(&self, s: &SagaState, meta: Metadata) -> Result<StepResult, DriveError> {
        let now = self.now();
        let create = PaymentCommand::CreatePayment(CreatePayment {
            payment_id: s.payment_id,
            booking_id: s.booking_id,
            amount: s.card_amount,
            at: now,
        });
        let create_meta = Metadata {
            command_id: CommandId::derived(&format!("{}/create_payment", s.booking_id)),
            ..meta.clone()
        };
        match self
            .bus
            .execute::<Payment>(s.payment_id, Envelope::new(create, create_meta))
            .await
        {
            Ok(_) | Err(CommandError::Rejected(PaymentError::AlreadyExists)) => {}
            Err(CommandError::Rejected(e)) => {
                return Ok(StepResult::Failed {
                    reason: e.code().to_owned(),
                    retryable: false,
                });
            }
            Err(e) => return Err(e.into()),
        }
        let (payment, _) = self.bus.load::<Payment>(s.payment_id).await?;
        if payment
            .state()
            .is_some_and(|p| p.authorization_code.is_some())
        {
            return Ok(StepResult::Done); // authorized by an earlier delivery
        }
        let request = TokenAuthorizationRequest {
            token: s.payment_token.clone(),
            amount: s.card_amount,
            today: now.date_naive(),
            reference: s.payment_id.to_string(),
        };
        let record = match self.payments.authorize_token(request).await {
            Ok(authorization) => PaymentCommand::RecordAuthorization(RecordAuthorization {
                authorization,
                at: self.now(),
            }),
            Err(ProviderError::Declined(reason)) => {
                let decline = PaymentCommand::RecordDecline(RecordDecline {
                    reason: reason.clone(),
                    card: None,
                    at: self.now(),
                });
                self.bus
                    .execute::<Payment>(s.payment_id, Envelope::new(decline, meta))
                    .await?;
                return Ok(StepResult::Failed {
                    reason,
                    retryable: false,
                });
            }
            Err(ProviderError::Retryable(reason)) => {
                return Ok(StepResult::Failed {
                    reason,
                    retryable: true,
                });
            }
        };
        self.outcome::<Payment>(s.payment_id, record, meta, |e| e.code())
            .await
    }

    /// Undoes a completed step. `None` when done (or nothing was left to undo), else the reason.
    async fn compensate(
        &self,
        s: &SagaState,
        c: Compensation,
        command_id: CommandId,
    ) -> Result<Option<String>, DriveError> {
        let (id, now, meta) = (s.booking_id, self.now(), metadata(s.booking_id, command_id));
        let result = match c {
            Compensation::RevokeMiles => {
                let command = LoyaltyCommand::RevokeMiles(RevokeMiles {
                    booking_id: id,
                    at: now,
                });
                self.outcome::<LoyaltyAccount>(s.account_id, command, meta, |e| e.code())
                    .await?
            }
            Compensation::VoidPayment => {
                let command = PaymentCommand::VoidPayment(VoidPayment { at: now });
                self.outcome::<Payment>(s.payment_id, command, meta, |e| e.code())
                    .await?
            }
            Compensation::RefundPayment => {
                let command = PaymentCommand::RefundPayment(RefundPayment {
                    amount: None,
                    at: now,
                });
                self.outcome::<Payment>(s.payment_id, command, meta, |e| e.code())
                    .await?
            }
            Compensation::RestoreMiles => {
                let command = LoyaltyCommand::RestoreMiles(RestoreMiles {
                    booking_id: id,
                    at: now,
                });
                self.outcome::<LoyaltyAccount>(s.account_id, command, meta, |e| e.code())
                    .await?
            }
            Compensation::ReleaseSeats => {
                let command = InventoryCommand::ReleaseSeats(ReleaseSeats {
                    booking_id: id,
                    reason: ReleaseReason::Compensation,
                });
                self.outcome::<FlightInventory>(&s.flight_id, command, meta, |e| e.code())
                    .await?
            }
        };
        Ok(match result {
            StepResult::Done | StepResult::Late => None,
            StepResult::Failed { reason, .. } => Some(reason),
        })
    }

    async fn cancel_step(
        &self,
        s: &SagaState,
        step: CancellationStep,
        command_id: CommandId,
    ) -> Result<Option<String>, DriveError> {
        let (id, now, meta) = (s.booking_id, self.now(), metadata(s.booking_id, command_id));
        let result = match step {
            CancellationStep::ReleaseSeats => {
                let command = InventoryCommand::ReleaseSeats(ReleaseSeats {
                    booking_id: id,
                    reason: ReleaseReason::Cancelled,
                });
                self.outcome::<FlightInventory>(&s.flight_id, command, meta, |e| e.code())
                    .await?
            }
            CancellationStep::RefundPayment => {
                let refund = self
                    .bus
                    .load::<BookingSaga>(id)
                    .await?
                    .0
                    .cancellation()
                    .map(|c| c.refund);
                match refund {
                    Some(amount) if amount.amount > 0 => {
                        let command = PaymentCommand::RefundPayment(RefundPayment {
                            amount: Some(amount),
                            at: now,
                        });
                        self.outcome::<Payment>(s.payment_id, command, meta, |e| e.code())
                            .await?
                    }
                    _ => StepResult::Done,
                }
            }
            CancellationStep::RevokeMiles => {
                let command = LoyaltyCommand::RevokeMiles(RevokeMiles {
                    booking_id: id,
                    at: now,
                });
                self.outcome::<LoyaltyAccount>(s.account_id, command, meta, |e| e.code())
                    .await?
            }
            CancellationStep::RestoreMiles => {
                let command = LoyaltyCommand::RestoreMiles(RestoreMiles {
                    booking_id: id,
                    at: now,
                });
                self.outcome::<LoyaltyAccount>(s.account_id, command, meta, |e| e.code())
                    .await?
            }
        };
        Ok(match result {
            StepResult::Done | StepResult::Late => None,
            StepResult::Failed { reason, .. } => Some(reason),
        })
    }

    /// Brings the booking to the saga's outcome (idempotent: the booking ignores a repeat).
    async fn finish_booking(
        &self,
        s: &SagaState,
        outcome: &SagaOutcome,
        command_id: CommandId,
    ) -> Result<(), DriveError> {
        let at = self.now();
        let command = match outcome {
            SagaOutcome::Confirmed => BookingCommand::ConfirmBooking(ConfirmBooking { at }),
            SagaOutcome::Rejected { reason } => BookingCommand::RejectBooking(RejectBooking {
                reason: reason.clone(),
                at,
            }),
            SagaOutcome::Failed { step, reason } => BookingCommand::FailBooking(FailBooking {
                step: *step,
                reason: reason.clone(),
                at,
            }),
            SagaOutcome::Cancelled { refunded } => {
                BookingCommand::CompleteCancellation(CompleteCancellation {
                    refunded: *refunded,
                    at,
                })
            }
        };
        match self
            .bus
            .execute::<Booking>(
                s.booking_id,
                Envelope::new(command, metadata(s.booking_id, command_id)),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(CommandError::Rejected(e)) => {
                // The booking is already in a terminal state (or missing): log, and end the saga.
                tracing::warn!(saga = %s.booking_id, error = %e, "booking could not take the saga's outcome");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}
