//! The step table: which command each saga step sends, to which aggregate — a pure function of
//! the saga's state, the step and the time — and the typed failure a refusal becomes.
//!
//! Nothing here sends anything (see `executor`), so the mapping is tested without a store.

use chrono::{DateTime, Utc};
use skyfly_domain::booking::{
    BookingCommand, CompleteCancellation, ConfirmBooking, FailBooking, RejectBooking,
};
use skyfly_domain::card::TokenAuthorizationRequest;
use skyfly_domain::ids::{BookingId, FlightId, LoyaltyAccountId, PaymentId};
use skyfly_domain::inventory::{
    CommitSeats, InventoryCommand, InventoryError, ReleaseReason, ReleaseSeats, ReserveSeats,
    SEAT_HOLD,
};
use skyfly_domain::loyalty::{
    Accrual, AwardMiles, LoyaltyCommand, RedeemMiles, RestoreMiles, RevokeMiles,
};
use skyfly_domain::money::Money;
use skyfly_domain::payment::{
    CapturePayment, CreatePayment, PaymentCommand, RefundPayment, VoidPayment,
};
use skyfly_domain::saga::{
    BookingSaga, CancellationStep, Compensation, ForwardStep, SEATS_UNAVAILABLE, SagaOutcome,
    SagaState,
};

/// The command a step sends, and the aggregate instance it goes to.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum StepCommand {
    Inventory(InventoryCommand, FlightId),
    Loyalty(LoyaltyCommand, LoyaltyAccountId),
    Payment(PaymentCommand, PaymentId),
    Booking(BookingCommand, BookingId),
    /// Authorize the card: create the payment (once), ask the provider with `request`, and record
    /// its answer on the payment.
    Authorize {
        payment_id: PaymentId,
        create: CreatePayment,
        request: TokenAuthorizationRequest,
    },
    /// The step has nothing to send (a cancellation with nothing to refund): it is done.
    Nothing,
}

/// Why a step (forward, compensation or cancellation) did not take effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum StepFailure {
    /// The owning aggregate refused the command; `code` is its stable code.
    Refused { code: &'static str },
    /// The card provider declined the card or the amount (final).
    Declined { reason: String },
    /// The card provider failed; the same request may succeed later.
    Provider { reason: String },
    /// A fault armed on the fault board failed the step.
    Fault { fault_id: uuid::Uuid },
}

impl StepFailure {
    /// Whether the saga may try the same step again (only a provider's failure).
    pub(super) fn retryable(&self) -> bool {
        matches!(self, StepFailure::Provider { .. })
    }

    /// The reason the saga records (part of the record: never change one).
    pub(super) fn reason(self) -> String {
        match self {
            StepFailure::Refused { code } => code.to_owned(),
            StepFailure::Declined { reason } | StepFailure::Provider { reason } => reason,
            StepFailure::Fault { fault_id } => format!("fault_injected: {fault_id}"),
        }
    }
}

/// The code of the inventory's refusal: a full cabin is [`SEATS_UNAVAILABLE`], which rejects the
/// booking rather than failing it.
pub(super) fn inventory_refusal(e: &InventoryError) -> &'static str {
    match e {
        InventoryError::NotEnoughSeats { .. } => SEATS_UNAVAILABLE,
        e => e.code(),
    }
}

/// What the saga says about the forward step in flight, once its start is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct InFlight {
    /// The step must be answered by then; past it, its command is no longer sent.
    pub deadline: Option<DateTime<Utc>>,
    /// Until when `reserve_seats` holds the seats (the same for a resent reservation).
    pub seat_hold_until: Option<DateTime<Utc>>,
}

impl InFlight {
    /// Read from the saga.
    pub(super) fn of(saga: &BookingSaga) -> Self {
        Self {
            deadline: saga.deadline(),
            seat_hold_until: saga.seat_hold_until(),
        }
    }
}

/// The booking's command for a confirmation: the last forward step sends it, and so does the
/// `Confirmed` outcome (where the booking takes it as a repeat).
fn confirmation(at: DateTime<Utc>) -> BookingCommand {
    BookingCommand::ConfirmBooking(ConfirmBooking { at })
}

/// The command of a forward step.
pub(super) fn forward(
    s: &SagaState,
    step: ForwardStep,
    in_flight: InFlight,
    now: DateTime<Utc>,
) -> StepCommand {
    let id = s.booking_id;
    match step {
        ForwardStep::ReserveSeats => StepCommand::Inventory(
            InventoryCommand::ReserveSeats(ReserveSeats {
                booking_id: id,
                cabin: s.cabin,
                seats: s.seats,
                now,
                hold_until: in_flight.seat_hold_until.unwrap_or(now + SEAT_HOLD),
            }),
            s.flight_id.clone(),
        ),
        ForwardStep::RedeemMiles => StepCommand::Loyalty(
            LoyaltyCommand::RedeemMiles(RedeemMiles {
                booking_id: id,
                miles: s.redeem_miles,
                at: now,
            }),
            s.account_id,
        ),
        ForwardStep::AuthorizePayment => StepCommand::Authorize {
            payment_id: s.payment_id,
            create: CreatePayment {
                payment_id: s.payment_id,
                booking_id: id,
                amount: s.card_amount,
                at: now,
            },
            request: TokenAuthorizationRequest {
                token: s.payment_token.clone(),
                amount: s.card_amount,
                today: now.date_naive(),
                reference: s.payment_id.to_string(),
            },
        },
        ForwardStep::AwardMiles => StepCommand::Loyalty(
            LoyaltyCommand::AwardMiles(AwardMiles {
                booking_id: id,
                accrual: Accrual::Fare {
                    paid_by_card: s.accrual_fare,
                    cabin: s.cabin,
                },
                at: now,
            }),
            s.account_id,
        ),
        ForwardStep::CommitSeats => StepCommand::Inventory(
            InventoryCommand::CommitSeats(CommitSeats {
                booking_id: id,
                now,
            }),
            s.flight_id.clone(),
        ),
        ForwardStep::CapturePayment => StepCommand::Payment(
            PaymentCommand::CapturePayment(CapturePayment {
                amount: None,
                at: now,
            }),
            s.payment_id,
        ),
        ForwardStep::ConfirmBooking => StepCommand::Booking(confirmation(now), id),
    }
}

/// Takes back the miles the booking earned.
fn revoke_miles(s: &SagaState, at: DateTime<Utc>) -> StepCommand {
    let revoke = RevokeMiles {
        booking_id: s.booking_id,
        at,
    };
    StepCommand::Loyalty(LoyaltyCommand::RevokeMiles(revoke), s.account_id)
}

/// Gives back the miles the booking redeemed.
fn restore_miles(s: &SagaState, at: DateTime<Utc>) -> StepCommand {
    let restore = RestoreMiles {
        booking_id: s.booking_id,
        at,
    };
    StepCommand::Loyalty(LoyaltyCommand::RestoreMiles(restore), s.account_id)
}

/// Gives the booking's seats back to the flight.
fn release_seats(s: &SagaState, reason: ReleaseReason) -> StepCommand {
    let release = ReleaseSeats {
        booking_id: s.booking_id,
        reason,
    };
    StepCommand::Inventory(InventoryCommand::ReleaseSeats(release), s.flight_id.clone())
}

/// Refunds `amount` of the captured payment (`None`: all of it).
fn refund_payment(s: &SagaState, amount: Option<Money>, at: DateTime<Utc>) -> StepCommand {
    let refund = RefundPayment { amount, at };
    StepCommand::Payment(PaymentCommand::RefundPayment(refund), s.payment_id)
}

/// The command that undoes a completed forward step.
pub(super) fn compensation(s: &SagaState, c: Compensation, now: DateTime<Utc>) -> StepCommand {
    match c {
        Compensation::RevokeMiles => revoke_miles(s, now),
        Compensation::VoidPayment => StepCommand::Payment(
            PaymentCommand::VoidPayment(VoidPayment { at: now }),
            s.payment_id,
        ),
        Compensation::RefundPayment => refund_payment(s, None, now),
        Compensation::RestoreMiles => restore_miles(s, now),
        Compensation::ReleaseSeats => release_seats(s, ReleaseReason::Compensation),
    }
}

/// The command of a cancellation step; `refund` is what the cancellation refunds (fixed when it
/// was requested).
pub(super) fn cancellation(
    s: &SagaState,
    step: CancellationStep,
    refund: Option<Money>,
    now: DateTime<Utc>,
) -> StepCommand {
    match step {
        CancellationStep::ReleaseSeats => release_seats(s, ReleaseReason::Cancelled),
        CancellationStep::RefundPayment => match refund {
            Some(amount) if amount.amount > 0 => refund_payment(s, Some(amount), now),
            _ => StepCommand::Nothing,
        },
        CancellationStep::RevokeMiles => revoke_miles(s, now),
        CancellationStep::RestoreMiles => restore_miles(s, now),
    }
}

/// The booking's command that brings it to the saga's outcome.
pub(super) fn outcome(outcome: &SagaOutcome, at: DateTime<Utc>) -> BookingCommand {
    match outcome {
        SagaOutcome::Confirmed => confirmation(at),
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
    }
}

#[cfg(test)]
mod tests;
