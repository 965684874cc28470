//! The steps of the booking saga, by their stable names (also used to arm faults per step).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaStep {
    ReserveSeats,
    RedeemMiles,
    AuthorizePayment,
    AwardMiles,
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

    pub fn as_str(self) -> &'static str {
        match self {
            SagaStep::ReserveSeats => "reserve_seats",
            SagaStep::RedeemMiles => "redeem_miles",
            SagaStep::AuthorizePayment => "authorize_payment",
            SagaStep::AwardMiles => "award_miles",
            SagaStep::ConfirmBooking => "confirm_booking",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == s)
    }
}

impl fmt::Display for SagaStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
