//! Given/when/then tests of the booking.

use super::*;
use crate::cabin::Cabin;
use crate::identity::Email;
use crate::ids::{BookingId, FlightId, Locator, UserId};
use crate::money::Money;
use crate::pricing::{Quote, quote};
use crate::testing::{assert_round_trips, given};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
}

/// Departure, ten days after `at(0)`.
fn departure() -> DateTime<Utc> {
    at(10 * 24 * 60)
}

fn id() -> BookingId {
    BookingId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0042))
}

fn customer() -> UserId {
    UserId(Uuid::from_u128(7))
}

fn staff() -> UserId {
    UserId(Uuid::from_u128(8))
}

fn flight() -> FlightId {
    FlightId::parse("SF100-2027-01-15").unwrap()
}

fn passengers(n: usize) -> Vec<Passenger> {
    (0..n)
        .map(|i| Passenger::new("Ann", &format!("Lee{i}")).unwrap())
        .collect()
}

/// Two economy seats at 199.99: fare 399.98, taxes 30.00, total 429.98.
fn the_quote() -> Quote {
    quote(flight(), Cabin::Economy, 2, Money::usd(19_999), at(0)).unwrap()
}

fn place() -> PlaceBooking {
    PlaceBooking {
        booking_id: id(),
        customer: customer(),
        flight_id: flight(),
        departure: departure(),
        cabin: Cabin::Economy,
        passengers: passengers(2),
        contact_email: Email::parse("ann@example.com").unwrap(),
        quote: the_quote(),
        redeem_miles: 0,
        requested_at: at(1),
    }
}

fn requested_with(cmd: PlaceBooking) -> BookingEvent {
    BookingEvent::BookingRequested {
        booking_id: cmd.booking_id,
        locator: Locator::for_booking(cmd.booking_id),
        customer: cmd.customer,
        flight_id: cmd.flight_id,
        departure: cmd.departure,
        cabin: cmd.cabin,
        passengers: cmd.passengers,
        contact_email: cmd.contact_email,
        quote: cmd.quote,
        redeem_miles: cmd.redeem_miles,
        requested_at: cmd.requested_at,
    }
}

fn requested() -> BookingEvent {
    requested_with(place())
}

fn confirmed() -> BookingEvent {
    BookingEvent::BookingConfirmed {
        ticket_numbers: vec![ticket_number(id(), 0), ticket_number(id(), 1)],
        confirmed_at: at(2),
    }
}

fn rejected() -> BookingEvent {
    BookingEvent::BookingRejected {
        reason: "seats_unavailable".into(),
        rejected_at: at(2),
    }
}

fn failed() -> BookingEvent {
    BookingEvent::BookingFailed {
        step: SagaStep::AuthorizePayment,
        reason: "card_declined".into(),
        failed_at: at(2),
    }
}

fn cancellation_requested(refund: i64) -> BookingEvent {
    BookingEvent::BookingCancellationRequested {
        requested_by: customer(),
        requested_at: at(60),
        refund: Money::usd(refund),
    }
}

fn cancelled(refund: i64) -> BookingEvent {
    BookingEvent::BookingCancelled {
        refunded: Money::usd(refund),
        cancelled_at: at(61),
    }
}

fn cancel_at(when: DateTime<Utc>) -> RequestCancellation {
    RequestCancellation {
        at: when,
        by: customer(),
    }
}

// ---- PlaceBooking ----

#[test]
fn placing_a_booking_requests_it_with_a_locator_derived_from_its_id() {
    let state = given::<Booking>([]).when(place()).then([requested()]);
    let s = state.state().unwrap();
    assert_eq!(s.status, BookingStatus::Pending);
    assert_eq!(s.locator, Locator::for_booking(id()));
    assert_eq!(s.card_amount(), Money::usd(42_998));
    assert_eq!(s.card_fare(), Money::usd(39_998));
}

#[test]
fn place_fails_when_the_booking_was_already_placed() {
    given::<Booking>([requested()])
        .when(place())
        .then_err(BookingError::AlreadyPlaced);
}

#[test]
fn place_fails_without_passengers() {
    let cmd = PlaceBooking {
        passengers: vec![],
        ..place()
    };
    given::<Booking>([])
        .when(cmd)
        .then_err(BookingError::NoPassengers);
}

#[test]
fn place_fails_with_more_than_nine_passengers() {
    let q = quote(flight(), Cabin::Economy, 10, Money::usd(100), at(0)).unwrap();
    let cmd = PlaceBooking {
        passengers: passengers(10),
        quote: q,
        ..place()
    };
    given::<Booking>([])
        .when(cmd)
        .then_err(BookingError::TooManyPassengers { count: 10 });
}

#[test]
fn place_accepts_nine_passengers() {
    let q = quote(flight(), Cabin::Economy, 9, Money::usd(100), at(0)).unwrap();
    let cmd = PlaceBooking {
        passengers: passengers(9),
        quote: q,
        ..place()
    };
    given::<Booking>([])
        .when(cmd.clone())
        .then([requested_with(cmd)]);
}

#[test]
fn place_fails_when_the_quote_is_for_another_flight_cabin_or_party() {
    let other_flight = Quote {
        flight_id: FlightId::parse("SF101-2027-01-15").unwrap(),
        ..the_quote()
    };
    let other_cabin = Quote {
        cabin: Cabin::Business,
        ..the_quote()
    };
    let other_party = Quote {
        passengers: 3,
        ..the_quote()
    };
    for q in [other_flight, other_cabin, other_party] {
        given::<Booking>([])
            .when(PlaceBooking {
                quote: q,
                ..place()
            })
            .then_err(BookingError::QuoteMismatch);
    }
}

#[test]
fn place_fails_when_the_quote_has_expired() {
    let expires_at = the_quote().expires_at;
    let late = PlaceBooking {
        requested_at: expires_at + Duration::seconds(1),
        ..place()
    };
    given::<Booking>([])
        .when(late)
        .then_err(BookingError::QuoteExpired { expires_at });
    let just_in_time = PlaceBooking {
        requested_at: expires_at,
        ..place()
    };
    given::<Booking>([])
        .when(just_in_time.clone())
        .then([requested_with(just_in_time)]);
}

#[test]
fn place_fails_once_the_flight_has_departed() {
    let q = Quote {
        expires_at: departure() + Duration::minutes(15),
        ..the_quote()
    };
    let cmd = PlaceBooking {
        departure: at(1),
        quote: q,
        ..place()
    };
    given::<Booking>([])
        .when(cmd)
        .then_err(BookingError::Departed { departure: at(1) });
}

#[test]
fn place_fails_when_miles_would_pay_more_than_the_fare() {
    let cmd = PlaceBooking {
        redeem_miles: 39_999,
        ..place()
    };
    given::<Booking>([])
        .when(cmd)
        .then_err(BookingError::RedeemExceedsFare { max: 39_998 });
}

#[test]
fn miles_may_pay_the_whole_fare_but_never_the_taxes() {
    let cmd = PlaceBooking {
        redeem_miles: 39_998,
        ..place()
    };
    let state = given::<Booking>([])
        .when(cmd.clone())
        .then([requested_with(cmd)]);
    assert_eq!(state.state().unwrap().card_amount(), Money::usd(3_000));
    // ...and the card paid nothing for the fare, so nothing earns miles.
    assert_eq!(state.state().unwrap().card_fare(), Money::usd(0));
}

#[test]
fn passenger_names_are_trimmed_and_must_be_1_to_50_characters() {
    let p = Passenger::new("  Ann ", " Lee").unwrap();
    assert_eq!((p.first_name(), p.last_name()), ("Ann", "Lee"));
    assert_eq!(
        Passenger::new(" ", "Lee"),
        Err(BookingError::InvalidPassengerName)
    );
    assert_eq!(
        Passenger::new("Ann", ""),
        Err(BookingError::InvalidPassengerName)
    );
    assert_eq!(
        Passenger::new(&"a".repeat(51), "Lee"),
        Err(BookingError::InvalidPassengerName)
    );
    assert!(Passenger::new(&"é".repeat(50), "Lee").is_ok());
    assert!(serde_json::from_str::<Passenger>(r#"{"first_name":"","last_name":"Lee"}"#).is_err());
    assert_eq!(
        serde_json::from_str::<Passenger>(r#"{"first_name":"Ann","last_name":"Lee"}"#).unwrap(),
        Passenger::new("Ann", "Lee").unwrap()
    );
}

// ---- ConfirmBooking ----

#[test]
fn confirming_issues_one_ticket_per_passenger() {
    let state = given::<Booking>([requested()])
        .when(ConfirmBooking { at: at(2) })
        .then([confirmed()]);
    let s = state.state().unwrap();
    assert_eq!(s.status, BookingStatus::Confirmed);
    assert_eq!(s.ticket_numbers.len(), 2);
}

#[test]
fn confirming_again_is_a_no_op() {
    given::<Booking>([requested(), confirmed()])
        .when(ConfirmBooking { at: at(3) })
        .then_nothing();
}

#[test]
fn confirm_fails_when_the_booking_does_not_exist() {
    given::<Booking>([])
        .when(ConfirmBooking { at: at(2) })
        .then_err(BookingError::NotFound);
}

#[test]
fn confirm_fails_unless_the_booking_is_pending() {
    for (history, status) in [
        (vec![rejected()], BookingStatus::Rejected),
        (vec![failed()], BookingStatus::Failed),
        (
            vec![confirmed(), cancellation_requested(42_998)],
            BookingStatus::CancellationRequested,
        ),
        (
            vec![
                confirmed(),
                cancellation_requested(42_998),
                cancelled(42_998),
            ],
            BookingStatus::Cancelled,
        ),
    ] {
        given::<Booking>(std::iter::once(requested()).chain(history))
            .when(ConfirmBooking { at: at(2) })
            .then_err(BookingError::NotPending { status });
    }
}

#[test]
fn ticket_numbers_are_13_digits_stable_and_distinct() {
    let numbers: Vec<String> = (0..9).map(|i| ticket_number(id(), i)).collect();
    for n in &numbers {
        assert_eq!(n.len(), 13, "{n}");
        assert!(n.bytes().all(|b| b.is_ascii_digit()), "{n}");
        assert!(n.starts_with(TICKET_PREFIX));
    }
    let mut distinct = numbers.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 9);
    assert_eq!(ticket_number(id(), 3), numbers[3]);
    assert_ne!(ticket_number(BookingId(Uuid::from_u128(1)), 0), numbers[0]);
    assert_eq!(
        ticket_number(BookingId(Uuid::from_u128(9_999_999_999)), 1).len(),
        13
    );
}

// ---- RejectBooking, FailBooking ----

#[test]
fn rejecting_a_pending_booking_ends_it() {
    let state = given::<Booking>([requested()])
        .when(RejectBooking {
            reason: "seats_unavailable".into(),
            at: at(2),
        })
        .then([rejected()]);
    assert_eq!(state.status(), Some(BookingStatus::Rejected));
    assert!(state.status().unwrap().is_terminal());
}

#[test]
fn rejecting_again_is_a_no_op() {
    given::<Booking>([requested(), rejected()])
        .when(RejectBooking {
            reason: "seats_unavailable".into(),
            at: at(3),
        })
        .then_nothing();
}

#[test]
fn reject_fails_unless_the_booking_is_pending() {
    given::<Booking>([requested(), confirmed()])
        .when(RejectBooking {
            reason: "late".into(),
            at: at(3),
        })
        .then_err(BookingError::NotPending {
            status: BookingStatus::Confirmed,
        });
    given::<Booking>([requested(), failed()])
        .when(RejectBooking {
            reason: "late".into(),
            at: at(3),
        })
        .then_err(BookingError::NotPending {
            status: BookingStatus::Failed,
        });
    given::<Booking>([])
        .when(RejectBooking {
            reason: "late".into(),
            at: at(3),
        })
        .then_err(BookingError::NotFound);
}

#[test]
fn failing_records_the_step_and_the_reason() {
    let state = given::<Booking>([requested()])
        .when(FailBooking {
            step: SagaStep::AuthorizePayment,
            reason: "card_declined".into(),
            at: at(2),
        })
        .then([failed()]);
    let failure = state.state().unwrap().failure.clone().unwrap();
    assert_eq!(
        (failure.step, failure.reason.as_str()),
        (SagaStep::AuthorizePayment, "card_declined")
    );
}

#[test]
fn failing_again_is_a_no_op() {
    given::<Booking>([requested(), failed()])
        .when(FailBooking {
            step: SagaStep::AwardMiles,
            reason: "timeout".into(),
            at: at(3),
        })
        .then_nothing();
}

#[test]
fn fail_fails_unless_the_booking_is_pending() {
    let fail = || FailBooking {
        step: SagaStep::ConfirmBooking,
        reason: "timeout".into(),
        at: at(3),
    };
    given::<Booking>([requested(), confirmed()])
        .when(fail())
        .then_err(BookingError::NotPending {
            status: BookingStatus::Confirmed,
        });
    given::<Booking>([requested(), rejected()])
        .when(fail())
        .then_err(BookingError::NotPending {
            status: BookingStatus::Rejected,
        });
    given::<Booking>([])
        .when(fail())
        .then_err(BookingError::NotFound);
}

// ---- RequestCancellation, refunds ----

#[test]
fn cancelling_more_than_24_hours_before_departure_refunds_everything_the_card_paid() {
    let when = departure() - Duration::hours(24) - Duration::seconds(1);
    given::<Booking>([requested(), confirmed()])
        .when(cancel_at(when))
        .then([BookingEvent::BookingCancellationRequested {
            requested_by: customer(),
            requested_at: when,
            refund: Money::usd(42_998),
        }]);
}

#[test]
fn cancelling_within_24_hours_refunds_half_the_fare_and_all_taxes() {
    // Exactly 24 h is not "more than 24 h": half the fare (399.98 / 2 = 199.99) + taxes 30.00.
    let when = departure() - Duration::hours(24);
    given::<Booking>([requested(), confirmed()])
        .when(cancel_at(when))
        .then([BookingEvent::BookingCancellationRequested {
            requested_by: customer(),
            requested_at: when,
            refund: Money::usd(22_999),
        }]);
}

#[test]
fn a_late_refund_rounds_half_of_an_odd_fare_up() {
    let q = Quote {
        fare: Money::usd(101),
        taxes: Money::usd(8),
        total: Money::usd(109),
        ..the_quote()
    };
    let state = crate::aggregate::fold::<Booking>(&[
        requested_with(PlaceBooking {
            quote: q,
            ..place()
        }),
        confirmed(),
    ]);
    // round_half_up(50.5) = 51, plus taxes 8.
    assert_eq!(
        state.refund_due(departure() - Duration::hours(1)),
        Some(Money::usd(59))
    );
    assert_eq!(
        state.refund_due(departure() - Duration::hours(25)),
        Some(Money::usd(109))
    );
}

#[test]
fn a_refund_returns_only_what_the_card_paid_when_miles_paid_part_of_the_fare() {
    let with_miles = |miles| {
        crate::aggregate::fold::<Booking>(&[
            requested_with(PlaceBooking {
                redeem_miles: miles,
                ..place()
            }),
            confirmed(),
        ])
    };
    // Early: everything the card paid (429.98 − 100.00). The miles come back via the loyalty account.
    assert_eq!(
        with_miles(10_000).refund_due(departure() - Duration::days(2)),
        Some(Money::usd(32_998))
    );
    // Late: card paid 299.98 of the fare; half the fare (199.99) is kept back; taxes come back in full.
    assert_eq!(
        with_miles(10_000).refund_due(departure() - Duration::hours(2)),
        Some(Money::usd(9_999 + 3_000))
    );
    // Late, miles paid more than half the fare: the fare part is floored at zero, the taxes remain.
    assert_eq!(
        with_miles(39_998).refund_due(departure() - Duration::hours(2)),
        Some(Money::usd(3_000))
    );
}

#[test]
fn nothing_is_refundable_unless_confirmed_and_before_departure() {
    let pending = crate::aggregate::fold::<Booking>(&[requested()]);
    assert_eq!(pending.refund_due(at(5)), None);
    let confirmed = crate::aggregate::fold::<Booking>(&[requested(), confirmed()]);
    assert_eq!(confirmed.refund_due(departure()), None);
    assert_eq!(Booking::default().refund_due(at(5)), None);
}

#[test]
fn staff_may_request_a_cancellation_and_the_booking_records_who_did() {
    let state = given::<Booking>([requested(), confirmed()])
        .when(RequestCancellation {
            at: at(60),
            by: staff(),
        })
        .then([BookingEvent::BookingCancellationRequested {
            requested_by: staff(),
            requested_at: at(60),
            refund: Money::usd(42_998),
        }]);
    assert_eq!(state.status(), Some(BookingStatus::CancellationRequested));
}

#[test]
fn a_second_cancel_is_a_no_op() {
    given::<Booking>([requested(), confirmed(), cancellation_requested(42_998)])
        .when(cancel_at(at(70)))
        .then_nothing();
    given::<Booking>([
        requested(),
        confirmed(),
        cancellation_requested(42_998),
        cancelled(42_998),
    ])
    .when(cancel_at(at(70)))
    .then_nothing();
}

#[test]
fn cancel_fails_once_the_flight_has_departed() {
    given::<Booking>([requested(), confirmed()])
        .when(cancel_at(departure()))
        .then_err(BookingError::Departed {
            departure: departure(),
        });
}

#[test]
fn cancel_fails_unless_the_booking_is_confirmed() {
    for (history, status) in [
        (vec![], BookingStatus::Pending),
        (vec![rejected()], BookingStatus::Rejected),
        (vec![failed()], BookingStatus::Failed),
    ] {
        given::<Booking>(std::iter::once(requested()).chain(history))
            .when(cancel_at(at(60)))
            .then_err(BookingError::NotConfirmed { status });
    }
    given::<Booking>([])
        .when(cancel_at(at(60)))
        .then_err(BookingError::NotFound);
}

// ---- CompleteCancellation ----

#[test]
fn completing_a_cancellation_records_the_refund() {
    let state = given::<Booking>([requested(), confirmed(), cancellation_requested(42_998)])
        .when(CompleteCancellation {
            refunded: Money::usd(42_998),
            at: at(61),
        })
        .then([cancelled(42_998)]);
    let c = state.state().unwrap().cancellation.clone().unwrap();
    assert_eq!(
        (c.refund, c.refunded),
        (Money::usd(42_998), Some(Money::usd(42_998)))
    );
    assert_eq!(state.status(), Some(BookingStatus::Cancelled));
}

#[test]
fn completing_a_cancellation_again_is_a_no_op() {
    given::<Booking>([
        requested(),
        confirmed(),
        cancellation_requested(42_998),
        cancelled(42_998),
    ])
    .when(CompleteCancellation {
        refunded: Money::usd(42_998),
        at: at(62),
    })
    .then_nothing();
}

#[test]
fn complete_cancellation_fails_when_none_was_requested() {
    given::<Booking>([requested(), confirmed()])
        .when(CompleteCancellation {
            refunded: Money::usd(1),
            at: at(62),
        })
        .then_err(BookingError::CancellationNotRequested {
            status: BookingStatus::Confirmed,
        });
    given::<Booking>([])
        .when(CompleteCancellation {
            refunded: Money::usd(1),
            at: at(62),
        })
        .then_err(BookingError::NotFound);
}

// ---- values, errors, serde ----

#[test]
fn saga_steps_have_stable_snake_case_names() {
    for step in SagaStep::ALL {
        assert_eq!(SagaStep::parse(step.as_str()), Some(step));
        assert_eq!(serde_json::to_value(step).unwrap(), step.as_str());
    }
    assert_eq!(SagaStep::AuthorizePayment.as_str(), "authorize_payment");
    assert_eq!(SagaStep::parse("pay"), None);
}

#[test]
fn errors_have_stable_codes_and_name_their_field() {
    assert_eq!(
        BookingError::RedeemExceedsFare { max: 1 }.field(),
        Some("redeem_miles")
    );
    assert_eq!(BookingError::NoPassengers.field(), Some("passengers"));
    assert_eq!(
        BookingError::TooManyPassengers { count: 10 }.code(),
        "too_many_passengers"
    );
    assert_eq!(BookingError::NotFound.code(), "not_found");
    assert_eq!(
        BookingError::NotPending {
            status: BookingStatus::Failed
        }
        .to_string(),
        "the booking is failed, not pending"
    );
}

#[test]
fn booking_events_round_trip_through_the_store() {
    for event in [
        requested(),
        confirmed(),
        rejected(),
        failed(),
        cancellation_requested(1),
        cancelled(1),
    ] {
        assert_round_trips(&event);
    }
    let json = serde_json::to_value(failed()).unwrap();
    assert_eq!(json["payload"]["step"], "authorize_payment");
}
