//! Place a booking: validate and price it, tokenize the card, record the booking and start its
//! saga in one transaction, and queue the saga. The booking is `pending` until the saga confirms
//! or fails it.

use crate::{Application, Caller, Envelope, RefusalKind, UseCaseError, UseCaseResult};
use skyfly_domain::Aggregate;
use skyfly_domain::booking::{Booking, BookingCommand, Passenger, PlaceBooking};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::card::CardDetails;
use skyfly_domain::event::Metadata;
use skyfly_domain::identity::{Email, Role};
use skyfly_domain::ids::{
    BookingId, CommandId, FlightId, Locator, LoyaltyAccountId, PaymentId, SKYFLY_NAMESPACE,
};
use skyfly_domain::inventory::FlightInventory;
use skyfly_domain::loyalty::MAX_MILES;
use skyfly_domain::money::Money;
use skyfly_domain::saga::{BookingSaga, DEFAULT_MAX_PROVIDER_RETRIES, SagaCommand, StartSaga};
use skyfly_domain::store::StoreError;
use uuid::Uuid;

/// Place a booking, as the customer asked for it; every value already validated.
#[derive(Debug, Clone)]
pub struct PlaceBookingRequest {
    /// The flight.
    pub flight_id: FlightId,
    /// The cabin.
    pub cabin: Cabin,
    /// Who flies (1 to 9).
    pub passengers: Vec<Passenger>,
    /// Where the confirmation goes.
    pub contact_email: Email,
    /// The card (tokenized here; never stored).
    pub card: CardDetails,
    /// Miles to pay part of the fare with (1 mile = 1 cent; at most the fare).
    pub redeem_miles: u64,
}

impl PlaceBookingRequest {
    /// The command from raw values, naming the first invalid field.
    pub fn parse(
        flight_id: &str,
        cabin: Cabin,
        passengers: &[(&str, &str)],
        contact_email: &str,
        card: (&str, u32, i32, &str),
        redeem_miles: u64,
    ) -> UseCaseResult<Self> {
        let flight_id = FlightId::parse(flight_id)
            .map_err(|e| UseCaseError::invalid("flight_id", "invalid_field", e))?;
        let passengers = passengers
            .iter()
            .enumerate()
            .map(|(i, (first, last))| {
                Passenger::new(first, last)
                    .map_err(|e| UseCaseError::invalid(format!("passengers[{i}]"), e.code(), &e))
            })
            .collect::<UseCaseResult<Vec<_>>>()?;
        let contact_email = Email::parse(contact_email)
            .map_err(|e| UseCaseError::invalid("contact.email", "invalid_email", e))?;
        let (number, exp_month, exp_year, cvc) = card;
        let card = CardDetails::parse(number, exp_month, exp_year, cvc).map_err(|e| {
            UseCaseError::invalid(format!("payment.{}", e.field()), "invalid_card", &e)
        })?;
        if redeem_miles > MAX_MILES {
            return Err(UseCaseError::invalid(
                "redeem_miles",
                "invalid_miles",
                format!("a booking redeems at most {MAX_MILES} miles"),
            ));
        }
        Ok(Self {
            flight_id,
            cabin,
            passengers,
            contact_email,
            card,
            redeem_miles,
        })
    }
}

/// A placed booking: the saga takes it from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The booking's id (derived from the command id: a retry names the same booking).
    pub booking_id: BookingId,
    /// Its record locator.
    pub locator: Locator,
    /// The booking stream's version.
    pub version: u64,
    /// Global position of the booking's event.
    pub position: Option<u64>,
}

/// The booking id a placing command gives its booking.
pub fn booking_id_for(command_id: CommandId) -> BookingId {
    BookingId(Uuid::new_v5(
        &SKYFLY_NAMESPACE,
        format!("booking/{}", command_id.0).as_bytes(),
    ))
}

/// What the saga must charge the card, and the fare that earns miles, when `redeem_miles` pay
/// part of the fare (taxes are always paid by card).
/// Checked: miles beyond what an amount can hold are refused, never wrapped.
fn split_fare(fare: Money, total: Money, redeem_miles: u64) -> UseCaseResult<(Money, Money)> {
    let out_of_range = || {
        UseCaseError::invalid(
            "redeem_miles",
            "invalid_miles",
            format!("a booking redeems at most {MAX_MILES} miles"),
        )
    };
    let miles = i64::try_from(redeem_miles).map_err(|_| out_of_range())?;
    let card_amount = total
        .checked_sub(Money::new(miles, total.currency))
        .map_err(|_| out_of_range())?;
    let accrual_fare = fare
        .checked_sub(Money::new(miles, fare.currency))
        .map_err(|_| out_of_range())?;
    let accrual_fare = Money {
        amount: accrual_fare.amount.max(0),
        ..accrual_fare
    };
    Ok((card_amount, accrual_fare))
}

/// Places a booking for `customer` (customers only).
pub async fn place(
    app: &Application,
    customer: &Caller,
    command_id: CommandId,
    request: PlaceBookingRequest,
) -> UseCaseResult<Placed> {
    if customer.role != Role::Customer {
        return Err(UseCaseError::Forbidden("bookings are placed by customers"));
    }
    let now = app.now();
    let PlaceBookingRequest {
        flight_id,
        cabin,
        passengers,
        contact_email,
        card,
        redeem_miles,
    } = request;
    let (inventory, _) = app.bus.load::<FlightInventory>(&flight_id).await?;
    let schedule = inventory.schedule().ok_or_else(|| {
        UseCaseError::invalid("flight_id", "unknown_flight", "no such flight is scheduled")
    })?;
    let offered = inventory.cabin(cabin).ok_or_else(|| {
        UseCaseError::invalid(
            "cabin",
            "cabin_not_offered",
            "this flight does not offer that cabin",
        )
    })?;
    let count = u32::try_from(passengers.len()).unwrap_or(u32::MAX);
    let quote = skyfly_domain::pricing::quote(flight_id.clone(), cabin, count, offered.fare, now)
        .map_err(|e| UseCaseError::invalid("passengers", "invalid_field", e))?;
    let booking_id = booking_id_for(command_id);
    let place = PlaceBooking {
        booking_id,
        customer: customer.user_id,
        flight_id: flight_id.clone(),
        departure: schedule.departure,
        cabin,
        passengers,
        contact_email,
        quote: quote.clone(),
        redeem_miles,
        requested_at: now,
    };
    // Everything the booking would refuse is refused before the card is tokenized.
    if let Err(e) = Booking::default().decide(&BookingCommand::PlaceBooking(place.clone())) {
        return Err(UseCaseError::refused(
            RefusalKind::Invalid,
            e.code(),
            e.field(),
            &e,
        ));
    }
    let token = app
        .payments
        .tokenize(card)
        .map_err(|e| UseCaseError::invalid("payment.card_number", "card_refused", e.to_string()))?;
    let (card_amount, accrual_fare) = split_fare(quote.fare, quote.total, redeem_miles)?;
    let start = SagaCommand::StartSaga(StartSaga {
        booking_id,
        customer: customer.user_id,
        flight_id,
        cabin,
        seats: count,
        payment_id: PaymentId(Uuid::new_v5(
            &SKYFLY_NAMESPACE,
            format!("payment/{booking_id}").as_bytes(),
        )),
        account_id: LoyaltyAccountId::for_user(customer.user_id),
        card_amount,
        accrual_fare,
        redeem_miles,
        payment_token: token.token,
        step_timeout_secs: super::STEP_TIMEOUT_SECS,
        max_provider_retries: DEFAULT_MAX_PROVIDER_RETRIES,
        at: now,
    });
    // The booking and its saga come into existence together, in one transaction: no saga ever
    // acts for a booking that was not recorded, and no booking waits for a saga that never was.
    let saga_envelope = Envelope::new(
        start,
        Metadata {
            correlation_id: booking_id.0,
            ..Metadata::new(
                CommandId::derived(&format!("{}/start-saga", command_id.0)),
                customer.actor(),
            )
        },
    );
    let booking_envelope = Envelope::new(
        BookingCommand::PlaceBooking(place),
        Metadata {
            correlation_id: booking_id.0,
            ..Metadata::new(command_id, customer.actor())
        },
    );
    let mut attempt = 0;
    let done = loop {
        attempt += 1;
        let saga = app
            .bus
            .decide::<BookingSaga>(booking_id, &saga_envelope)
            .await?;
        let booking = app
            .bus
            .decide::<Booking>(booking_id, &booking_envelope)
            .await?;
        match app.bus.append_together(saga, booking).await {
            Ok((_, booking)) => break booking,
            // A concurrent retry of the same request recorded them first: decide again, and
            // the store recognises both commands.
            Err(StoreError::VersionConflict { .. }) if attempt < 3 => continue,
            Err(e) => return Err(UseCaseError::Store(e)),
        }
    };
    app.process.enqueue(booking_id).await?;
    Ok(Placed {
        booking_id,
        locator: Locator::for_booking(booking_id),
        version: done.version,
        position: done.position,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use skyfly_domain::money::Currency;

    #[test]
    fn redeemed_miles_come_off_the_card_and_the_fare_that_earns_miles() {
        let usd = |amount| Money::new(amount, Currency::USD);
        let (card, accrual) = split_fare(usd(10_000), usd(10_750), 2_500).unwrap();
        assert_eq!(card, usd(8_250));
        assert_eq!(accrual, usd(7_500));
        let (card, accrual) = split_fare(usd(10_000), usd(10_750), 10_000).unwrap();
        assert_eq!(card, usd(750));
        assert_eq!(accrual, usd(0));
    }
}
