//! The state of a booking saga, how events change it, and what the admin view reads from it.

use super::events::SagaEvent;
use super::timeline::{TimelineEntry, TimelineKind};
use super::{CancellationStep, Compensation, ForwardStep, SEAT_HOLD, SagaOutcome, SagaStatus};
use crate::booking::SagaStep;
use crate::cabin::Cabin;
use crate::ids::{BookingId, FlightId, LoyaltyAccountId, PaymentId, UserId};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The saga of one booking (stream `saga-<BookingId>`). `Default` is a saga not started yet.
///
/// Serialisable so that read models can keep the folded state as a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BookingSaga {
    pub(super) state: Option<SagaState>,
}

/// A started saga: what it is for (public, fixed at the start) and how far it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SagaState {
    /// The booking the saga drives; also the saga's id.
    pub booking_id: BookingId,
    /// The customer who placed it.
    pub customer: UserId,
    /// The flight instance booked.
    pub flight_id: FlightId,
    /// The cabin booked.
    pub cabin: Cabin,
    /// How many seats to hold: one per passenger.
    pub seats: u32,
    /// The payment the saga creates and authorizes.
    pub payment_id: PaymentId,
    /// The customer's loyalty account, which the miles are redeemed from and awarded to.
    pub account_id: LoyaltyAccountId,
    /// What the card pays: `total − redeem_miles`.
    pub card_amount: Money,
    /// What earns miles: `fare − redeem_miles`.
    pub accrual_fare: Money,
    /// Miles paying part of the fare (1 mile = 1 cent); 0 for none, and then there is no
    /// `redeem_miles` step.
    pub redeem_miles: u64,
    /// The provider's opaque card token.
    pub payment_token: String,
    /// How long each forward step may go unanswered, in seconds.
    pub step_timeout_secs: u32,
    /// Further attempts a step gets after a failure marked retryable.
    pub max_provider_retries: u32,
    /// When the saga began.
    pub started_at: DateTime<Utc>,
    pub(super) phase: Phase,
    pub(super) attempts: Vec<StepAttempt>,
    pub(super) retry: Option<ScheduledRetry>,
    pub(super) compensation: Option<CompensationRun>,
    pub(super) cancellation: Option<CancellationRun>,
    pub(super) ended_at: Option<DateTime<Utc>>,
    pub(super) timeline: Vec<TimelineEntry>,
}

/// Which flow the saga is in. `Finishing` means the outcome is known and only the booking has to
/// be told; `Ended(Confirmed)` may still move on to `Cancelling`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", content = "outcome", rename_all = "snake_case")]
pub(super) enum Phase {
    Running,
    Compensating,
    Cancelling,
    Finishing(SagaOutcome),
    Ended(SagaOutcome),
}

/// One attempt of one forward step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepAttempt {
    /// The forward step.
    pub step: ForwardStep,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When its command was sent.
    pub started_at: DateTime<Utc>,
    /// When it times out unless answered.
    pub deadline: DateTime<Utc>,
    /// `None` while the answer is awaited.
    pub outcome: Option<StepOutcome>,
    /// When its outcome was recorded; `None` while the answer is awaited.
    pub ended_at: Option<DateTime<Utc>>,
}

/// How an attempt of a forward step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepOutcome {
    /// Its aggregate accepted the command.
    Succeeded,
    /// Its aggregate refused the command, or its provider failed.
    Failed {
        /// Why: the refusal's stable code, or the fault injected.
        reason: String,
        /// Whether the same command may succeed later.
        retryable: bool,
    },
    /// No answer came before its deadline.
    TimedOut,
}

/// A retryable failure's next attempt, not to be sent before `not_before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledRetry {
    /// The step to try again.
    pub step: ForwardStep,
    /// The number of the next attempt.
    pub attempt: u32,
    /// When it may be sent.
    pub not_before: DateTime<Utc>,
}

/// Where a compensation or cancellation step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndoStatus {
    /// To run, or failed and waiting out its backoff.
    Pending,
    /// Its command took effect.
    Succeeded,
    /// Out of attempts, waiting for staff.
    Parked,
}

/// The progress of one compensation or cancellation step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoRecord<T> {
    /// The compensation or cancellation step.
    pub action: T,
    /// Where it stands.
    pub status: UndoStatus,
    /// Failed attempts in all; the next attempt is number `failures + 1` (command ids never repeat).
    pub failures: u32,
    /// Failed attempts since it was planned or last un-parked: drive the backoff and parking.
    pub round_failures: u32,
    /// Why its latest attempt failed, if one did.
    pub last_error: Option<String>,
    /// When its latest attempt failed.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// When it succeeded, once it has.
    pub succeeded_at: Option<DateTime<Utc>>,
    /// When it was parked, while it is.
    pub parked_at: Option<DateTime<Utc>>,
}

impl<T> UndoRecord<T> {
    fn planned(action: T) -> Self {
        Self {
            action,
            status: UndoStatus::Pending,
            failures: 0,
            round_failures: 0,
            last_error: None,
            last_failure_at: None,
            succeeded_at: None,
            parked_at: None,
        }
    }

    /// The number of the attempt to send next.
    pub fn next_attempt(&self) -> u32 {
        self.failures.saturating_add(1)
    }

    /// When the next attempt may go out: `None` if it may go now (nothing failed this round).
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        if self.round_failures == 0 {
            return None;
        }
        self.last_failure_at
            .map(|t| add_or_max(t, super::backoff(self.round_failures)))
    }
}

/// Compensation after a failure: the step that failed, why, and the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompensationRun {
    /// The saga step that failed, as the booking reports it.
    pub failed_step: SagaStep,
    /// Why it failed: its stable code, or `timeout`.
    pub reason: String,
    /// When the saga gave up and began to compensate.
    pub started_at: DateTime<Utc>,
    /// In the order they run: the reverse of the forward steps.
    pub items: Vec<UndoRecord<Compensation>>,
}

/// Cancellation of a confirmed booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancellationRun {
    /// What goes back to the card, fixed when the cancellation was requested; zero skips the
    /// refund.
    pub refund: Money,
    /// The user who asked for the cancellation: the customer, or a member of staff.
    pub requested_by: UserId,
    /// When the cancellation began.
    pub started_at: DateTime<Utc>,
    /// The cancellation steps, in the order they run.
    pub items: Vec<UndoRecord<CancellationStep>>,
}

/// Something that undoes: a compensation or a cancellation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "flow", content = "name", rename_all = "snake_case")]
pub enum UndoAction {
    /// A compensation, after a failure.
    Compensation(Compensation),
    /// A step of cancelling a confirmed booking.
    Cancellation(CancellationStep),
}

impl UndoAction {
    /// The step's stable name, e.g. `"release_seats"`.
    pub fn as_str(self) -> &'static str {
        match self {
            UndoAction::Compensation(c) => c.as_str(),
            UndoAction::Cancellation(c) => c.as_str(),
        }
    }
}

impl fmt::Display for UndoAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compensation or cancellation step that ran out of attempts and waits for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParkedItem {
    /// What waits for staff.
    pub action: UndoAction,
    /// Failed attempts in all.
    pub attempts: u32,
    /// Why its last attempt failed.
    pub reason: String,
    /// When it was parked.
    pub parked_at: DateTime<Utc>,
}

/// What compensations and cancellation steps have in common, for the code that tracks both.
pub(super) trait Undoable: Copy + PartialEq + fmt::Display {
    fn name(self) -> &'static str;
    fn wrap(self) -> UndoAction;
}

impl Undoable for Compensation {
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn wrap(self) -> UndoAction {
        UndoAction::Compensation(self)
    }
}

impl Undoable for CancellationStep {
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn wrap(self) -> UndoAction {
        UndoAction::Cancellation(self)
    }
}

pub(super) fn add_or_max(t: DateTime<Utc>, d: chrono::Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl SagaState {
    /// The forward steps of this saga, in order (`redeem_miles` only when miles are redeemed).
    pub fn plan(&self) -> Vec<ForwardStep> {
        ForwardStep::ALL
            .into_iter()
            .filter(|s| *s != ForwardStep::RedeemMiles || self.redeem_miles > 0)
            .collect()
    }

    pub(super) fn next_after(&self, step: ForwardStep) -> Option<ForwardStep> {
        self.plan().into_iter().skip_while(|s| *s != step).nth(1)
    }

    pub(super) fn find_attempt(&self, step: ForwardStep, attempt: u32) -> Option<&StepAttempt> {
        self.attempts
            .iter()
            .find(|a| a.step == step && a.attempt == attempt)
    }

    /// Whether some attempt of `step` succeeded.
    pub fn succeeded(&self, step: ForwardStep) -> bool {
        self.attempts
            .iter()
            .any(|a| a.step == step && a.outcome == Some(StepOutcome::Succeeded))
    }

    /// The attempt awaiting its answer, if any.
    pub fn in_flight(&self) -> Option<&StepAttempt> {
        self.attempts.last().filter(|a| a.outcome.is_none())
    }

    /// The forward step and attempt to start next, and from when (`None`: now), regardless of
    /// the clock; `None` when a step is in flight or the saga is not running.
    pub(super) fn next_to_run(&self) -> Option<(ForwardStep, u32, Option<DateTime<Utc>>)> {
        if self.phase != Phase::Running {
            return None;
        }
        let Some(last) = self.attempts.last() else {
            return self.plan().first().map(|s| (*s, 1, None));
        };
        match &last.outcome {
            None => None,
            Some(StepOutcome::Succeeded) => self.next_after(last.step).map(|s| (s, 1, None)),
            Some(_) => self.retry.map(|r| (r.step, r.attempt, Some(r.not_before))),
        }
    }

    /// What undoes the completed steps, last first. Only steps that succeeded are undone; once
    /// the seats were committed `release_seats` gives back the sold seats, and once the payment was
    /// captured it is refunded instead of voided.
    pub(super) fn compensation_plan(&self) -> Vec<Compensation> {
        let mut plan = Vec::new();
        if self.succeeded(ForwardStep::AwardMiles) {
            plan.push(Compensation::RevokeMiles);
        }
        if self.succeeded(ForwardStep::CapturePayment) {
            plan.push(Compensation::RefundPayment);
        } else if self.succeeded(ForwardStep::AuthorizePayment) {
            plan.push(Compensation::VoidPayment);
        }
        if self.succeeded(ForwardStep::RedeemMiles) {
            plan.push(Compensation::RestoreMiles);
        }
        if self.succeeded(ForwardStep::ReserveSeats) {
            plan.push(Compensation::ReleaseSeats);
        }
        plan
    }

    /// Where the saga is, for the admin view: a parked item makes a compensating or cancelling saga
    /// [`SagaStatus::Parked`].
    pub fn status(&self) -> SagaStatus {
        fn any_parked<T>(items: &[UndoRecord<T>]) -> bool {
            items.iter().any(|i| i.status == UndoStatus::Parked)
        }
        match &self.phase {
            Phase::Running => SagaStatus::Running,
            Phase::Compensating
                if self
                    .compensation
                    .as_ref()
                    .is_some_and(|r| any_parked(&r.items)) =>
            {
                SagaStatus::Parked
            }
            Phase::Compensating => SagaStatus::Compensating,
            Phase::Cancelling
                if self
                    .cancellation
                    .as_ref()
                    .is_some_and(|r| any_parked(&r.items)) =>
            {
                SagaStatus::Parked
            }
            Phase::Cancelling => SagaStatus::Cancelling,
            Phase::Finishing(SagaOutcome::Confirmed | SagaOutcome::Rejected { .. }) => {
                SagaStatus::Running
            }
            Phase::Finishing(SagaOutcome::Failed { .. }) => SagaStatus::Compensating,
            Phase::Finishing(SagaOutcome::Cancelled { .. }) => SagaStatus::Cancelling,
            Phase::Ended(outcome) => outcome.status(),
        }
    }

    fn attempt_mut(&mut self, step: ForwardStep, attempt: u32) -> Option<&mut StepAttempt> {
        self.attempts
            .iter_mut()
            .find(|a| a.step == step && a.attempt == attempt)
    }

    fn end_attempt(
        &mut self,
        step: ForwardStep,
        attempt: u32,
        outcome: StepOutcome,
        at: DateTime<Utc>,
    ) {
        if let Some(a) = self.attempt_mut(step, attempt) {
            a.outcome = Some(outcome);
            a.ended_at = Some(at);
        }
    }

    fn log(&mut self, entry: TimelineEntry) {
        self.timeline.push(entry);
    }
}

fn undo_succeeded<T: Undoable>(items: &mut [UndoRecord<T>], action: T, at: DateTime<Utc>) {
    if let Some(i) = items.iter_mut().find(|i| i.action == action) {
        i.status = UndoStatus::Succeeded;
        i.succeeded_at = Some(at);
    }
}

fn undo_failed<T: Undoable>(
    items: &mut [UndoRecord<T>],
    action: T,
    reason: &str,
    at: DateTime<Utc>,
) {
    if let Some(i) = items.iter_mut().find(|i| i.action == action) {
        i.failures = i.failures.saturating_add(1);
        i.round_failures = i.round_failures.saturating_add(1);
        i.last_error = Some(reason.to_owned());
        i.last_failure_at = Some(at);
    }
}

fn undo_parked<T: Undoable>(items: &mut [UndoRecord<T>], action: T, at: DateTime<Utc>) {
    if let Some(i) = items.iter_mut().find(|i| i.action == action) {
        i.status = UndoStatus::Parked;
        i.parked_at = Some(at);
    }
}

/// Un-parks everything parked; returns their names, for the timeline.
fn undo_unpark<T: Undoable>(items: &mut [UndoRecord<T>]) -> Vec<&'static str> {
    let mut names = Vec::new();
    for i in items.iter_mut().filter(|i| i.status == UndoStatus::Parked) {
        i.status = UndoStatus::Pending;
        i.round_failures = 0;
        i.parked_at = None;
        names.push(i.action.name());
    }
    names
}

fn parked_items<T: Undoable>(items: &[UndoRecord<T>]) -> impl Iterator<Item = ParkedItem> + '_ {
    items
        .iter()
        .filter(|i| i.status == UndoStatus::Parked)
        .map(|i| ParkedItem {
            action: i.action.wrap(),
            attempts: i.failures,
            reason: i.last_error.clone().unwrap_or_default(),
            parked_at: i.parked_at.unwrap_or(DateTime::<Utc>::MIN_UTC),
        })
}

fn names<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "nothing to undo".to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl BookingSaga {
    /// The started saga, or `None` before it started.
    pub fn state(&self) -> Option<&SagaState> {
        self.state.as_ref()
    }

    /// `None` before the saga started.
    pub fn status(&self) -> Option<SagaStatus> {
        self.state.as_ref().map(SagaState::status)
    }

    /// Whether the saga reached one of its terminal states.
    pub fn is_terminal(&self) -> bool {
        self.status().is_some_and(SagaStatus::is_terminal)
    }

    /// How it ended, once the booking was told.
    pub fn outcome(&self) -> Option<&SagaOutcome> {
        match &self.state.as_ref()?.phase {
            Phase::Ended(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// When the booking was last told how the saga ended, if it was.
    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref()?.ended_at
    }

    /// Every event in words, oldest first.
    pub fn timeline(&self) -> &[TimelineEntry] {
        self.state.as_ref().map_or(&[], |s| s.timeline.as_slice())
    }

    /// Every attempt of every forward step, in the order they started.
    pub fn attempts(&self) -> &[StepAttempt] {
        self.state.as_ref().map_or(&[], |s| s.attempts.as_slice())
    }

    /// The compensation run, once the saga gave up on a step.
    pub fn compensation(&self) -> Option<&CompensationRun> {
        self.state.as_ref()?.compensation.as_ref()
    }

    /// The cancellation run, once a confirmed booking is being cancelled.
    pub fn cancellation(&self) -> Option<&CancellationRun> {
        self.state.as_ref()?.cancellation.as_ref()
    }

    /// What waits for staff: parked compensations or cancellation steps.
    pub fn parked(&self) -> Vec<ParkedItem> {
        let Some(s) = self.state.as_ref() else {
            return Vec::new();
        };
        let compensations = s.compensation.iter().flat_map(|r| parked_items(&r.items));
        let cancellations = s.cancellation.iter().flat_map(|r| parked_items(&r.items));
        compensations.chain(cancellations).collect()
    }

    /// The forward step in progress (in flight, waiting to be retried, or about to start); `None`
    /// once the forward steps are over.
    pub fn current_step(&self) -> Option<ForwardStep> {
        let s = self.state.as_ref()?;
        if s.phase != Phase::Running {
            return None;
        }
        s.in_flight()
            .map(|a| a.step)
            .or_else(|| s.next_to_run().map(|(step, _, _)| step))
    }

    /// The deadline of the step in flight.
    pub fn deadline(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref()?.in_flight().map(|a| a.deadline)
    }

    /// Until when reserved seats are held: [`SEAT_HOLD`] after the latest `reserve_seats` attempt
    /// started. The process manager sends this as `hold_until`, so that a resent reservation asks
    /// for the same hold.
    pub fn seat_hold_until(&self) -> Option<DateTime<Utc>> {
        self.state
            .as_ref()?
            .attempts
            .iter()
            .rev()
            .find(|a| a.step == ForwardStep::ReserveSeats)
            .map(|a| add_or_max(a.started_at, SEAT_HOLD))
    }

    pub(super) fn apply(&mut self, event: &SagaEvent) {
        if let SagaEvent::SagaStarted {
            booking_id,
            customer,
            flight_id,
            cabin,
            seats,
            payment_id,
            account_id,
            card_amount,
            accrual_fare,
            redeem_miles,
            payment_token,
            step_timeout_secs,
            max_provider_retries,
            started_at,
        } = event
        {
            let entry =
                TimelineEntry::new(TimelineKind::SagaStarted, "saga", *started_at).detail(format!(
                    "{seats} {cabin} seat(s) on {flight_id}; card pays {card_amount}; \
                     {redeem_miles} miles redeemed"
                ));
            self.state = Some(SagaState {
                booking_id: *booking_id,
                customer: *customer,
                flight_id: flight_id.clone(),
                cabin: *cabin,
                seats: *seats,
                payment_id: *payment_id,
                account_id: *account_id,
                card_amount: *card_amount,
                accrual_fare: *accrual_fare,
                redeem_miles: *redeem_miles,
                payment_token: payment_token.clone(),
                step_timeout_secs: *step_timeout_secs,
                max_provider_retries: *max_provider_retries,
                started_at: *started_at,
                phase: Phase::Running,
                attempts: Vec::new(),
                retry: None,
                compensation: None,
                cancellation: None,
                ended_at: None,
                timeline: vec![entry],
            });
            return;
        }
        let Some(s) = self.state.as_mut() else {
            return;
        };
        match event {
            SagaEvent::SagaStarted { .. } => {}
            SagaEvent::StepStarted {
                step,
                attempt,
                started_at,
                deadline,
            } => {
                s.retry = None;
                s.attempts.push(StepAttempt {
                    step: *step,
                    attempt: *attempt,
                    started_at: *started_at,
                    deadline: *deadline,
                    outcome: None,
                    ended_at: None,
                });
                s.log(
                    TimelineEntry::new(TimelineKind::StepStarted, step, *started_at)
                        .attempt(*attempt)
                        .detail(format!("deadline {}", deadline.to_rfc3339())),
                );
            }
            SagaEvent::StepSucceeded { step, attempt, at } => {
                s.end_attempt(*step, *attempt, StepOutcome::Succeeded, *at);
                s.log(TimelineEntry::new(TimelineKind::StepSucceeded, step, *at).attempt(*attempt));
            }
            SagaEvent::StepFailed {
                step,
                attempt,
                reason,
                retryable,
                at,
            } => {
                let outcome = StepOutcome::Failed {
                    reason: reason.clone(),
                    retryable: *retryable,
                };
                s.end_attempt(*step, *attempt, outcome, *at);
                let detail = if *retryable {
                    format!("{reason} (retryable)")
                } else {
                    reason.clone()
                };
                s.log(
                    TimelineEntry::new(TimelineKind::StepFailed, step, *at)
                        .attempt(*attempt)
                        .detail(detail),
                );
            }
            SagaEvent::StepTimedOut {
                step,
                attempt,
                deadline,
                at,
            } => {
                s.end_attempt(*step, *attempt, StepOutcome::TimedOut, *at);
                s.log(
                    TimelineEntry::new(TimelineKind::TimedOut, step, *at)
                        .attempt(*attempt)
                        .detail(format!("no answer by {}", deadline.to_rfc3339())),
                );
            }
            SagaEvent::RetryScheduled {
                step,
                attempt,
                not_before,
                at,
            } => {
                s.retry = Some(ScheduledRetry {
                    step: *step,
                    attempt: *attempt,
                    not_before: *not_before,
                });
                s.log(
                    TimelineEntry::new(TimelineKind::RetryScheduled, step, *at)
                        .attempt(*attempt)
                        .detail(format!("not before {}", not_before.to_rfc3339())),
                );
            }
            SagaEvent::CompensationStarted {
                step,
                reason,
                compensations,
                at,
            } => {
                s.phase = Phase::Compensating;
                s.retry = None;
                s.compensation = Some(CompensationRun {
                    failed_step: *step,
                    reason: reason.clone(),
                    started_at: *at,
                    items: compensations
                        .iter()
                        .copied()
                        .map(UndoRecord::planned)
                        .collect(),
                });
                s.log(
                    TimelineEntry::new(TimelineKind::CompensationStarted, step, *at)
                        .detail(format!("{reason}; undo: {}", names(compensations))),
                );
            }
            SagaEvent::CompensationSucceeded {
                compensation,
                attempt,
                at,
            } => {
                if let Some(run) = s.compensation.as_mut() {
                    undo_succeeded(&mut run.items, *compensation, *at);
                }
                s.log(
                    TimelineEntry::new(TimelineKind::Compensated, compensation, *at)
                        .attempt(*attempt),
                );
            }
            SagaEvent::CompensationFailed {
                compensation,
                attempt,
                reason,
                at,
            } => {
                if let Some(run) = s.compensation.as_mut() {
                    undo_failed(&mut run.items, *compensation, reason, *at);
                }
                s.log(
                    TimelineEntry::new(TimelineKind::CompensationFailed, compensation, *at)
                        .attempt(*attempt)
                        .detail(reason.clone()),
                );
            }
            SagaEvent::CompensationParked {
                compensation,
                reason,
                at,
            } => {
                if let Some(run) = s.compensation.as_mut() {
                    undo_parked(&mut run.items, *compensation, *at);
                }
                s.log(
                    TimelineEntry::new(TimelineKind::Parked, compensation, *at)
                        .detail(reason.clone()),
                );
            }
            SagaEvent::ParkedRetried { at } => {
                let mut unparked = Vec::new();
                match s.phase {
                    Phase::Compensating => {
                        if let Some(run) = s.compensation.as_mut() {
                            unparked = undo_unpark(&mut run.items);
                        }
                    }
                    Phase::Cancelling => {
                        if let Some(run) = s.cancellation.as_mut() {
                            unparked = undo_unpark(&mut run.items);
                        }
                    }
                    _ => {}
                }
                s.log(
                    TimelineEntry::new(TimelineKind::ParkedRetried, "saga", *at)
                        .detail(names(&unparked)),
                );
            }
            SagaEvent::CancellationStarted {
                refund,
                requested_by,
                steps,
                at,
            } => {
                s.phase = Phase::Cancelling;
                s.cancellation = Some(CancellationRun {
                    refund: *refund,
                    requested_by: *requested_by,
                    started_at: *at,
                    items: steps.iter().copied().map(UndoRecord::planned).collect(),
                });
                s.log(
                    TimelineEntry::new(TimelineKind::CancellationStarted, "saga", *at).detail(
                        format!("by {requested_by}; refund {refund}; {}", names(steps)),
                    ),
                );
            }
            SagaEvent::CancellationStepSucceeded { step, attempt, at } => {
                if let Some(run) = s.cancellation.as_mut() {
                    undo_succeeded(&mut run.items, *step, *at);
                }
                s.log(
                    TimelineEntry::new(TimelineKind::CancellationStepSucceeded, step, *at)
                        .attempt(*attempt),
                );
            }
            SagaEvent::CancellationStepFailed {
                step,
                attempt,
                reason,
                at,
            } => {
                if let Some(run) = s.cancellation.as_mut() {
                    undo_failed(&mut run.items, *step, reason, *at);
                }
                s.log(
                    TimelineEntry::new(TimelineKind::CancellationStepFailed, step, *at)
                        .attempt(*attempt)
                        .detail(reason.clone()),
                );
            }
            SagaEvent::CancellationStepParked { step, reason, at } => {
                if let Some(run) = s.cancellation.as_mut() {
                    undo_parked(&mut run.items, *step, *at);
                }
                s.log(TimelineEntry::new(TimelineKind::Parked, step, *at).detail(reason.clone()));
            }
            SagaEvent::OutcomeReached { outcome, at } => {
                s.phase = Phase::Finishing(outcome.clone());
                s.log(
                    TimelineEntry::new(TimelineKind::OutcomeReached, outcome.as_str(), *at)
                        .detail(outcome.to_string()),
                );
            }
            SagaEvent::SagaEnded { outcome, at } => {
                s.phase = Phase::Ended(outcome.clone());
                s.ended_at = Some(*at);
                s.log(
                    TimelineEntry::new(TimelineKind::Ended, outcome.as_str(), *at)
                        .detail(outcome.to_string()),
                );
            }
        }
    }
}
