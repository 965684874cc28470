//! What the saga asks the other aggregates to do, by stable names: the forward steps (with the three
//! sub-actions of `confirm_booking`), the compensations and the cancellation steps.
//!
//! The names are part of the record (events, command ids derived from them, the admin view): never
//! rename one.

use crate::booking::SagaStep;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One unit of forward work, each a command on the aggregate that owns it.
///
/// The booking saga's `confirm_booking` step ([`SagaStep::ConfirmBooking`]) is three of them, run in
/// order: commit the held seats, capture the payment, confirm the booking. Each is recorded on its
/// own, so a crash or failure between them is visible and compensated exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardStep {
    /// `ReserveSeats` on the flight inventory (a hold until [`super::SEAT_HOLD`] after the start).
    ReserveSeats,
    /// `RedeemMiles` on the loyalty account; only when miles pay part of the fare.
    RedeemMiles,
    /// `CreatePayment` (first attempt) and the provider's authorization, recorded on the payment.
    AuthorizePayment,
    /// `AwardMiles` on the loyalty account (accrual on what the card paid for the fare).
    AwardMiles,
    /// `CommitSeats` on the flight inventory: held → sold.
    CommitSeats,
    /// `CapturePayment` on the payment.
    CapturePayment,
    /// `ConfirmBooking` on the booking: tickets issued.
    ConfirmBooking,
}

impl ForwardStep {
    /// Every forward step in the order the saga runs them (`RedeemMiles` is skipped without miles).
    pub const ALL: [ForwardStep; 7] = [
        ForwardStep::ReserveSeats,
        ForwardStep::RedeemMiles,
        ForwardStep::AuthorizePayment,
        ForwardStep::AwardMiles,
        ForwardStep::CommitSeats,
        ForwardStep::CapturePayment,
        ForwardStep::ConfirmBooking,
    ];

    /// The step's stable name, e.g. `"commit_seats"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ForwardStep::ReserveSeats => "reserve_seats",
            ForwardStep::RedeemMiles => "redeem_miles",
            ForwardStep::AuthorizePayment => "authorize_payment",
            ForwardStep::AwardMiles => "award_miles",
            ForwardStep::CommitSeats => "commit_seats",
            ForwardStep::CapturePayment => "capture_payment",
            ForwardStep::ConfirmBooking => "confirm_booking",
        }
    }

    /// The step named `s` (as [`ForwardStep::as_str`] spells it), or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == s)
    }

    /// The saga step (of docs/domain.md, and of `BookingFailed`) this is part of.
    pub fn saga_step(self) -> SagaStep {
        match self {
            ForwardStep::ReserveSeats => SagaStep::ReserveSeats,
            ForwardStep::RedeemMiles => SagaStep::RedeemMiles,
            ForwardStep::AuthorizePayment => SagaStep::AuthorizePayment,
            ForwardStep::AwardMiles => SagaStep::AwardMiles,
            ForwardStep::CommitSeats
            | ForwardStep::CapturePayment
            | ForwardStep::ConfirmBooking => SagaStep::ConfirmBooking,
        }
    }
}

impl fmt::Display for ForwardStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Undoing one completed forward step after a failure. Every one is idempotent on its aggregate
/// (releasing nothing, revoking nothing, … is a no-op), so it can be retried any number of times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compensation {
    /// `RevokeMiles`: undoes `award_miles`.
    RevokeMiles,
    /// `VoidPayment`: undoes an authorization that was not captured.
    VoidPayment,
    /// `RefundPayment` of everything captured (`amount: None`): undoes a capture.
    RefundPayment,
    /// `RestoreMiles`: undoes `redeem_miles`.
    RestoreMiles,
    /// `ReleaseSeats` (reason `compensation`): undoes the hold, or the sale once committed.
    ReleaseSeats,
}

impl Compensation {
    /// Every compensation, in the order a plan runs them (a plan has either `void_payment` or
    /// `refund_payment`, never both).
    pub const ALL: [Compensation; 5] = [
        Compensation::RevokeMiles,
        Compensation::VoidPayment,
        Compensation::RefundPayment,
        Compensation::RestoreMiles,
        Compensation::ReleaseSeats,
    ];

    /// The compensation's stable name, e.g. `"void_payment"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Compensation::RevokeMiles => "revoke_miles",
            Compensation::VoidPayment => "void_payment",
            Compensation::RefundPayment => "refund_payment",
            Compensation::RestoreMiles => "restore_miles",
            Compensation::ReleaseSeats => "release_seats",
        }
    }

    /// The compensation named `s` (as [`Compensation::as_str`] spells it), or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The forward step whose effect this undoes: it is only ever planned once that step succeeded.
    pub fn undoes(self) -> ForwardStep {
        match self {
            Compensation::RevokeMiles => ForwardStep::AwardMiles,
            Compensation::VoidPayment => ForwardStep::AuthorizePayment,
            Compensation::RefundPayment => ForwardStep::CapturePayment,
            Compensation::RestoreMiles => ForwardStep::RedeemMiles,
            Compensation::ReleaseSeats => ForwardStep::ReserveSeats,
        }
    }
}

impl fmt::Display for Compensation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of cancelling a confirmed booking, run in this order. Completing the cancellation on
/// the booking is the saga's finish ([`super::SagaOutcome::Cancelled`]), not a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationStep {
    /// `ReleaseSeats` (reason `cancelled`): the sold seats go back on sale.
    ReleaseSeats,
    /// `RefundPayment` of the refund fixed when the cancellation was requested; skipped if zero.
    RefundPayment,
    /// `RevokeMiles`: what the booking earned.
    RevokeMiles,
    /// `RestoreMiles`: what the booking redeemed; only when miles were redeemed.
    RestoreMiles,
}

impl CancellationStep {
    /// Every cancellation step, in the order they run.
    pub const ALL: [CancellationStep; 4] = [
        CancellationStep::ReleaseSeats,
        CancellationStep::RefundPayment,
        CancellationStep::RevokeMiles,
        CancellationStep::RestoreMiles,
    ];

    /// The cancellation step's stable name, e.g. `"refund_payment"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CancellationStep::ReleaseSeats => "release_seats",
            CancellationStep::RefundPayment => "refund_payment",
            CancellationStep::RevokeMiles => "revoke_miles",
            CancellationStep::RestoreMiles => "restore_miles",
        }
    }

    /// The cancellation step named `s` (as [`CancellationStep::as_str`] spells it), or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The forward step whose effect this unwinds.
    pub fn undoes(self) -> ForwardStep {
        match self {
            CancellationStep::ReleaseSeats => ForwardStep::ReserveSeats,
            CancellationStep::RefundPayment => ForwardStep::CapturePayment,
            CancellationStep::RevokeMiles => ForwardStep::AwardMiles,
            CancellationStep::RestoreMiles => ForwardStep::RedeemMiles,
        }
    }
}

impl fmt::Display for CancellationStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
