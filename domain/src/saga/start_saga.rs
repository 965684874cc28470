//! `StartSaga`: a placed booking's saga begins.

use super::events::SagaEvent;
use super::{BookingSaga, SagaError};
use crate::cabin::Cabin;
use crate::card::luhn_valid;
use crate::ids::{BookingId, FlightId, LoyaltyAccountId, PaymentId, UserId};
use crate::inventory::MAX_SEATS_PER_BOOKING;
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Sent by the process manager when it sees `BookingRequested`. It carries everything the steps
/// need, so the saga's own stream is enough to carry on after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartSaga {
    /// The booking to drive; also the saga's id.
    pub booking_id: BookingId,
    /// The customer who placed it.
    pub customer: UserId,
    /// The flight instance booked.
    pub flight_id: FlightId,
    /// The cabin booked.
    pub cabin: Cabin,
    /// How many seats to hold, one per passenger: 1 to [`MAX_SEATS_PER_BOOKING`].
    pub seats: u32,
    /// The payment to create and authorize.
    pub payment_id: PaymentId,
    /// The customer's loyalty account, which the miles are redeemed from and awarded to.
    pub account_id: LoyaltyAccountId,
    /// `total − redeem_miles` ([`crate::booking::BookingState::card_amount`]).
    pub card_amount: Money,
    /// `fare − redeem_miles` ([`crate::booking::BookingState::card_fare`]).
    pub accrual_fare: Money,
    /// Miles paying part of the fare (1 mile = 1 cent); 0 for none, and then there is no
    /// `redeem_miles` step.
    pub redeem_miles: u64,
    /// The provider's opaque token for the card; refused if blank or if it looks like a card
    /// number.
    pub payment_token: String,
    /// [`super::DEFAULT_STEP_TIMEOUT_SECS`] unless configured otherwise.
    pub step_timeout_secs: u32,
    /// [`super::DEFAULT_MAX_PROVIDER_RETRIES`] unless configured otherwise.
    pub max_provider_retries: u32,
    /// When the saga starts.
    pub at: DateTime<Utc>,
}

/// A token that is a card number in disguise (12 to 19 digits, spaces and dashes aside, passing
/// the Luhn check) must never reach the event log.
fn looks_like_a_card_number(token: &str) -> bool {
    let digits: String = token.chars().filter(|c| *c != ' ' && *c != '-').collect();
    (12..=19).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && luhn_valid(&digits)
}

pub(super) fn decide(state: &BookingSaga, cmd: &StartSaga) -> Result<Vec<SagaEvent>, SagaError> {
    if state.state().is_some() {
        return Err(SagaError::AlreadyStarted);
    }
    if cmd.seats == 0 || cmd.seats > MAX_SEATS_PER_BOOKING {
        return Err(SagaError::InvalidSeatCount { seats: cmd.seats });
    }
    if cmd.card_amount.amount <= 0 {
        return Err(SagaError::InvalidAmount {
            field: "card_amount",
        });
    }
    if cmd.accrual_fare.amount < 0 {
        return Err(SagaError::InvalidAmount {
            field: "accrual_fare",
        });
    }
    if cmd.accrual_fare.currency != cmd.card_amount.currency {
        return Err(SagaError::CurrencyMismatch {
            field: "accrual_fare",
        });
    }
    if cmd.step_timeout_secs == 0 {
        return Err(SagaError::InvalidStepTimeout);
    }
    if cmd.payment_token.trim().is_empty() || looks_like_a_card_number(&cmd.payment_token) {
        return Err(SagaError::InvalidPaymentToken);
    }
    Ok(vec![SagaEvent::SagaStarted {
        booking_id: cmd.booking_id,
        customer: cmd.customer,
        flight_id: cmd.flight_id.clone(),
        cabin: cmd.cabin,
        seats: cmd.seats,
        payment_id: cmd.payment_id,
        account_id: cmd.account_id,
        card_amount: cmd.card_amount,
        accrual_fare: cmd.accrual_fare,
        redeem_miles: cmd.redeem_miles,
        payment_token: cmd.payment_token.clone(),
        step_timeout_secs: cmd.step_timeout_secs,
        max_provider_retries: cmd.max_provider_retries,
        started_at: cmd.at,
    }])
}
