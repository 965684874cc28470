//! The steps of the booking saga, by their stable names (also used to arm faults per step).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A forward step of the booking saga, in the order it runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaStep {
    /// Hold the seats on the flight.
    ReserveSeats,
    /// Take the redeemed miles from the customer's loyalty account (only when miles are redeemed).
    RedeemMiles,
    /// Create the payment and authorize the card for what it pays.
    AuthorizePayment,
    /// Award the miles the card-paid fare earns.
    AwardMiles,
    /// Commit the seats, capture the payment and confirm the booking (three recorded sub-steps).
    ConfirmBooking,
}

impl SagaStep {
    /// In the order the saga runs them.
    pub const ALL: [SagaStep; 5] = [
        SagaStep::ReserveSeats,
        SagaStep::RedeemMiles,
        SagaStep::AuthorizePayment,
        SagaStep::AwardMiles,
        SagaStep::ConfirmBooking,
    ];

    /// The step's stable name, e.g. `"reserve_seats"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SagaStep::ReserveSeats => "reserve_seats",
            SagaStep::RedeemMiles => "redeem_miles",
            SagaStep::AuthorizePayment => "authorize_payment",
            SagaStep::AwardMiles => "award_miles",
            SagaStep::ConfirmBooking => "confirm_booking",
        }
    }

    /// The step named `s` (as [`SagaStep::as_str`] spells it), or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == s)
    }
}

impl fmt::Display for SagaStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
