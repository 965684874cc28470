//! Sends a step's command to its aggregate through the command bus and maps a refusal to a typed
//! [`StepFailure`]; authorizes the card with the payment provider.

use super::steps::{self, InFlight, StepCommand, StepFailure, inventory_refusal};
use super::{DriveError, ProcessManager, metadata};
use crate::{CommandError, Envelope};
use skyfly_domain::Aggregate;
use skyfly_domain::booking::{Booking, BookingError};
use skyfly_domain::card::{ProviderError, TokenAuthorizationRequest};
use skyfly_domain::event::Metadata;
use skyfly_domain::ids::{CommandId, PaymentId};
use skyfly_domain::inventory::FlightInventory;
use skyfly_domain::loyalty::{LoyaltyAccount, LoyaltyError};
use skyfly_domain::payment::{
    CreatePayment, Payment, PaymentCommand, PaymentError, RecordAuthorization, RecordDecline,
};
use skyfly_domain::saga::{ForwardStep, SagaOutcome, SagaState};

/// What a forward step's command came to.
pub(super) enum StepResult {
    Done,
    Failed(StepFailure),
    /// The step's deadline passed before its command could be sent: nothing was sent, and the
    /// saga records the timeout next.
    Late,
}

impl From<Result<(), StepFailure>> for StepResult {
    fn from(sent: Result<(), StepFailure>) -> Self {
        match sent {
            Ok(()) => StepResult::Done,
            Err(failure) => StepResult::Failed(failure),
        }
    }
}

impl ProcessManager {
    /// Runs a started forward step: its faults, then (unless its deadline passed) its command.
    pub(super) async fn run_step(
        &self,
        s: &SagaState,
        step: ForwardStep,
        attempt: u32,
        in_flight: InFlight,
        command_id: CommandId,
    ) -> Result<StepResult, DriveError> {
        let run = async {
            if let Some(failure) = self.faults(s, step, attempt).await? {
                return Ok(StepResult::Failed(failure));
            }
            let now = self.now();
            if in_flight.deadline.is_some_and(|deadline| now >= deadline) {
                return Ok(StepResult::Late);
            }
            let command = steps::forward(s, step, in_flight, now);
            let sent = self
                .send(command, metadata(s.booking_id, command_id))
                .await?;
            Ok(sent.into())
        };
        let Some(deadline) = in_flight.deadline else {
            return run.await;
        };
        // The deadline fires while the step still hangs (a provider that does not answer): the
        // step is abandoned there — its late answer is never recorded — and the saga records the
        // timeout and compensates.
        tokio::select! {
            result = run => result,
            () = self.until(deadline) => {
                tracing::warn!(saga = %s.booking_id, step = step.as_str(), "step timed out while in flight");
                Ok(StepResult::Late)
            }
        }
    }

    /// Resolves once the engine's clock reaches `at` (an injected clock may jump: it is looked at
    /// at least every 250 ms).
    async fn until(&self, at: chrono::DateTime<chrono::Utc>) {
        const LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(250);
        loop {
            let Ok(left) = (at - self.now()).to_std() else {
                return;
            };
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(LOOK_EVERY)).await;
        }
    }

    /// Sends a step's command. The outer error is the infrastructure's (the drive is retried);
    /// the inner one the step's failure (the saga records it).
    pub(super) async fn send(
        &self,
        command: StepCommand,
        meta: Metadata,
    ) -> Result<Result<(), StepFailure>, DriveError> {
        match command {
            StepCommand::Inventory(command, flight) => {
                self.refusable::<FlightInventory>(&flight, command, meta, inventory_refusal)
                    .await
            }
            StepCommand::Loyalty(command, account) => {
                self.refusable::<LoyaltyAccount>(account, command, meta, LoyaltyError::code)
                    .await
            }
            StepCommand::Payment(command, payment) => {
                self.refusable::<Payment>(payment, command, meta, PaymentError::code)
                    .await
            }
            StepCommand::Booking(command, booking) => {
                self.refusable::<Booking>(booking, command, meta, BookingError::code)
                    .await
            }
            StepCommand::Authorize {
                payment_id,
                create,
                request,
            } => self.authorize(payment_id, create, request, meta).await,
            StepCommand::Nothing => Ok(Ok(())),
        }
    }

    /// Runs a command whose refusal is a step failure (not an infrastructure error).
    async fn refusable<A: Aggregate>(
        &self,
        target: impl std::fmt::Display,
        command: A::Command,
        meta: Metadata,
        code: impl Fn(&A::Error) -> &'static str,
    ) -> Result<Result<(), StepFailure>, DriveError> {
        match self
            .bus
            .execute::<A>(target, Envelope::new(command, meta))
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(CommandError::Rejected(e)) => Ok(Err(StepFailure::Refused { code: code(&e) })),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates the payment (once: `<saga>/create_payment`), has the provider authorize the card
    /// unless an earlier delivery did, and records the authorization or the decline.
    async fn authorize(
        &self,
        payment_id: PaymentId,
        create: CreatePayment,
        request: TokenAuthorizationRequest,
        meta: Metadata,
    ) -> Result<Result<(), StepFailure>, DriveError> {
        let create_meta = Metadata {
            command_id: CommandId::derived(&format!("{}/create_payment", create.booking_id)),
            ..meta.clone()
        };
        let create = PaymentCommand::CreatePayment(create);
        match self
            .bus
            .execute::<Payment>(payment_id, Envelope::new(create, create_meta))
            .await
        {
            Ok(_) | Err(CommandError::Rejected(PaymentError::AlreadyExists)) => {}
            Err(CommandError::Rejected(e)) => {
                return Ok(Err(StepFailure::Refused { code: e.code() }));
            }
            Err(e) => return Err(e.into()),
        }
        let (payment, _) = self.bus.load::<Payment>(payment_id).await?;
        if payment
            .state()
            .is_some_and(|p| p.authorization_code.is_some())
        {
            return Ok(Ok(())); // authorized by an earlier delivery
        }
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
                    .execute::<Payment>(payment_id, Envelope::new(decline, meta))
                    .await?;
                return Ok(Err(StepFailure::Declined { reason }));
            }
            Err(ProviderError::Retryable(reason)) => {
                return Ok(Err(StepFailure::Provider { reason }));
            }
        };
        self.refusable::<Payment>(payment_id, record, meta, PaymentError::code)
            .await
    }

    /// Brings the booking to the saga's outcome (idempotent: the booking ignores a repeat).
    pub(super) async fn finish_booking(
        &self,
        s: &SagaState,
        outcome: &SagaOutcome,
        command_id: CommandId,
    ) -> Result<(), DriveError> {
        let command = steps::outcome(outcome, self.now());
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
