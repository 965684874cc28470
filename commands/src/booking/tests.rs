//! The booking use cases on the in-memory stores, the saga driven step by step by the process
//! manager (no background worker, no sleeps).

use super::place::booking_id_for;
use super::*;
use crate::testing::{TestApplication, caller, command_id, flight_plan};
use crate::{Call, Caller, RefusalKind};
use chrono::NaiveDate;
use skyfly_domain::booking::{BookingStatus, MAX_PASSENGERS};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::card::{
    AuthorizationRequest, CardDetails, CardToken, PaymentProvider, ProviderError, ProviderFuture,
    TokenAuthorizationRequest,
};
use skyfly_domain::event::NewEvent;
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::identity::Role;
use skyfly_domain::ids::{CommandId, FlightId, Locator};
use skyfly_domain::inventory::FlightInventory;
use skyfly_domain::money::Money;
use skyfly_domain::saga::{BookingSaga, SagaOutcome, SagaStatus};
use skyfly_domain::store::ExpectedVersion;
use std::sync::Arc;

/// An approved test card (the built-in processor approves every valid card but a few).
const CARD: &str = "4242424242424242";
/// The built-in processor's `card_declined` test card: it tokenizes, then declines.
const DECLINED_CARD: &str = "4000000000000002";

/// A customer and a flight with economy (150 seats at 199.00) and business, departing
/// 2026-12-01 08:00 UTC: nine days after the test clock.
struct Setup {
    t: TestApplication,
    customer: Caller,
    flight_id: FlightId,
}

async fn setup() -> Setup {
    let t = TestApplication::new();
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let flight_id = t.schedule(&flight_plan("SF100", date, "DFW", "ORD")).await;
    let customer = t.customer().await;
    Setup {
        t,
        customer,
        flight_id,
    }
}

const NAMES: [(&str, &str); 10] = [
    ("Ada", "Lovelace"),
    ("Alan", "Turing"),
    ("Grace", "Hopper"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
    ("Frances", "Allen"),
    ("John", "Backus"),
    ("Radia", "Perlman"),
    ("Ken", "Thompson"),
];

fn request_with(
    flight_id: &FlightId,
    cabin: Cabin,
    passengers: usize,
    card: &str,
) -> PlaceBookingRequest {
    PlaceBookingRequest::parse(
        &flight_id.to_string(),
        cabin,
        &NAMES[..passengers],
        "ada@example.com",
        (card, 12, 2030, "123"),
        0,
    )
    .unwrap()
}

fn request(flight_id: &FlightId, passengers: usize) -> PlaceBookingRequest {
    request_with(flight_id, Cabin::Economy, passengers, CARD)
}

async fn events(t: &TestApplication, stream: &str) -> Vec<RecordedEvent> {
    t.app.bus.store().read_stream(stream, 0).await.unwrap()
}

fn types(events: &[RecordedEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

async fn head(t: &TestApplication) -> u64 {
    t.app.bus.store().head_position().await.unwrap()
}

async fn status(t: &TestApplication, id: BookingId) -> Option<BookingStatus> {
    t.app.bus.load::<Booking>(id).await.unwrap().0.status()
}

async fn economy(t: &TestApplication, flight_id: &FlightId) -> (u32, u32, u32) {
    let (inventory, _) = t.app.bus.load::<FlightInventory>(flight_id).await.unwrap();
    let c = inventory.cabin(Cabin::Economy).unwrap();
    (c.available, c.held, c.sold)
}

/// Runs what the process manager has due until nothing is (bounded: a saga that would never
/// settle fails the test instead of hanging it). Returns how many sagas were driven.
async fn settle(t: &TestApplication) -> usize {
    let mut driven = 0;
    for _ in 0..20 {
        match t.app.process.run_due().await.unwrap() {
            0 => return driven,
            n => driven += n,
        }
    }
    panic!("the process manager still had sagas due after 20 rounds");
}

/// Places a booking for the setup's customer and drives its saga to confirmation.
async fn confirmed_booking(s: &Setup, passengers: usize) -> Placed {
    let placed = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request(&s.flight_id, passengers),
    )
    .await
    .unwrap();
    settle(&s.t).await;
    assert_eq!(
        status(&s.t, placed.booking_id).await,
        Some(BookingStatus::Confirmed)
    );
    placed
}

#[tokio::test]
async fn a_customer_places_a_pending_booking_whose_saga_starts_first() {
    let s = setup().await;
    let command = command_id();
    let placed = place(&s.t.app, &s.customer, command, request(&s.flight_id, 2))
        .await
        .unwrap();
    assert_eq!(placed.booking_id, booking_id_for(command));
    assert_eq!(placed.locator, Locator::for_booking(placed.booking_id));
    assert_eq!(placed.version, 1);

    let (booking, version) =
        s.t.app
            .bus
            .load::<Booking>(placed.booking_id)
            .await
            .unwrap();
    assert_eq!(version, 1);
    let b = booking.state().expect("the booking is recorded");
    assert_eq!(b.status, BookingStatus::Pending);
    assert_eq!(b.customer, s.customer.user_id);
    assert_eq!(b.locator, placed.locator);
    assert_eq!(b.passengers.len(), 2);
    // 2 × 199.00, plus 7.5% taxes.
    assert_eq!(b.quote.fare, Money::usd(39_800));
    assert_eq!(b.quote.total, Money::usd(42_785));

    let saga = events(&s.t, &format!("saga-{}", placed.booking_id)).await;
    let booking = events(&s.t, &format!("booking-{}", placed.booking_id)).await;
    assert_eq!(types(&saga), ["SagaStarted"]);
    assert_eq!(types(&booking), ["BookingRequested"]);
    assert_eq!(placed.position, Some(booking[0].global_position));
    assert!(
        saga[0].global_position < booking[0].global_position,
        "a booking never exists without its saga"
    );
    for e in [&saga[0], &booking[0]] {
        assert_eq!(
            e.metadata.correlation_id, placed.booking_id.0,
            "{}",
            e.event_type
        );
    }
    assert_eq!(booking[0].metadata.command_id, command);
    // The saga carries the card's token and what the card pays, never the number.
    let payload = &saga[0].payload;
    assert_eq!(payload["card_amount"]["amount"], 42_785);
    assert_eq!(payload["seats"], 2);
    let token = payload["payment_token"].as_str().unwrap();
    assert!(token.starts_with("tok."), "{token}");
    assert!(!saga[0].payload.to_string().contains(CARD));
    // Nothing is held until the saga runs.
    assert_eq!(economy(&s.t, &s.flight_id).await, (150, 0, 0));
}

#[tokio::test]
async fn placing_queues_the_saga_and_driving_it_confirms_the_booking() {
    let s = setup().await;
    let placed = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request(&s.flight_id, 2),
    )
    .await
    .unwrap();
    // Queued: due now, without the log follower having seen anything.
    assert_eq!(s.t.app.process.run_due().await.unwrap(), 1);
    assert_eq!(settle(&s.t).await, 0, "one drive took it to the end");
    let (booking, _) =
        s.t.app
            .bus
            .load::<Booking>(placed.booking_id)
            .await
            .unwrap();
    let b = booking.state().unwrap();
    assert_eq!(b.status, BookingStatus::Confirmed);
    assert_eq!(b.ticket_numbers.len(), 2);
    assert_eq!(economy(&s.t, &s.flight_id).await, (148, 0, 2));
    let (saga, _) =
        s.t.app
            .bus
            .load::<BookingSaga>(placed.booking_id)
            .await
            .unwrap();
    assert_eq!(saga.status(), Some(SagaStatus::Confirmed));
    assert_eq!(s.t.app.process.next_wake_up().await.unwrap(), None);
}

#[tokio::test]
async fn placing_by_staff_is_forbidden_and_records_nothing() {
    let s = setup().await;
    let before = head(&s.t).await;
    let staff = caller(Role::Staff);
    let e = place(&s.t.app, &staff, command_id(), request(&s.flight_id, 1))
        .await
        .unwrap_err();
    assert!(matches!(e, UseCaseError::Forbidden(_)), "{e:?}");
    assert_eq!(head(&s.t).await, before);
}

#[tokio::test]
async fn an_unknown_flight_is_invalid_naming_flight_id() {
    let s = setup().await;
    let before = head(&s.t).await;
    let unknown = FlightId::parse("SF999-2026-12-01").unwrap();
    let e = place(&s.t.app, &s.customer, command_id(), request(&unknown, 1))
        .await
        .unwrap_err();
    match e {
        UseCaseError::Invalid { field, code, .. } => {
            assert_eq!((field.as_str(), code), ("flight_id", "unknown_flight"));
        }
        other => panic!("expected unknown_flight, got {other:?}"),
    }
    assert_eq!(head(&s.t).await, before);
}

#[tokio::test]
async fn a_cabin_the_flight_does_not_offer_is_refused_cabin_not_offered() {
    let s = setup().await;
    let before = head(&s.t).await;
    let e = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request_with(&s.flight_id, Cabin::First, 1, CARD),
    )
    .await
    .unwrap_err();
    match e {
        UseCaseError::Invalid { field, code, .. } => {
            assert_eq!((field.as_str(), code), ("cabin", "cabin_not_offered"));
        }
        other => panic!("expected cabin_not_offered, got {other:?}"),
    }
    assert_eq!(head(&s.t).await, before);
}

#[tokio::test]
async fn ten_passengers_are_refused_before_anything_is_recorded() {
    let s = setup().await;
    let before = head(&s.t).await;
    let command = command_id();
    let too_many = request(&s.flight_id, MAX_PASSENGERS + 1);
    let e = place(&s.t.app, &s.customer, command, too_many)
        .await
        .unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!(
                (r.code, r.kind),
                ("too_many_passengers", RefusalKind::Invalid)
            );
            assert_eq!(r.field.as_deref(), Some("passengers"));
        }
        other => panic!("expected too_many_passengers, got {other:?}"),
    }
    let id = booking_id_for(command);
    assert!(
        events(&s.t, &format!("saga-{id}")).await.is_empty(),
        "no saga"
    );
    assert!(events(&s.t, &format!("booking-{id}")).await.is_empty());
    assert_eq!(head(&s.t).await, before);
    assert_eq!(
        s.t.app.process.run_due().await.unwrap(),
        0,
        "nothing queued"
    );
}

#[tokio::test]
async fn nine_passengers_are_the_most_one_booking_takes() {
    let s = setup().await;
    let placed = confirmed_booking(&s, MAX_PASSENGERS).await;
    assert_eq!(economy(&s.t, &s.flight_id).await, (141, 0, 9));
    let (booking, _) =
        s.t.app
            .bus
            .load::<Booking>(placed.booking_id)
            .await
            .unwrap();
    assert_eq!(booking.state().unwrap().ticket_numbers.len(), 9);
}

#[tokio::test]
async fn redeeming_more_miles_than_the_fare_is_refused_before_anything_is_recorded() {
    let s = setup().await;
    let before = head(&s.t).await;
    let mut greedy = request(&s.flight_id, 1);
    greedy.redeem_miles = 19_901;
    let e = place(&s.t.app, &s.customer, command_id(), greedy)
        .await
        .unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!(r.code, "redeem_exceeds_fare");
            assert_eq!(r.field.as_deref(), Some("redeem_miles"));
        }
        other => panic!("expected redeem_exceeds_fare, got {other:?}"),
    }
    assert_eq!(head(&s.t).await, before);
}

/// A processor that refuses every card at tokenization (an acquirer's vault can).
struct RefusingVault;

impl PaymentProvider for RefusingVault {
    fn authorize(&self, _: AuthorizationRequest) -> ProviderFuture<'_> {
        Box::pin(async { Err(ProviderError::Declined("card_declined".into())) })
    }

    fn tokenize(&self, _: CardDetails) -> Result<CardToken, ProviderError> {
        Err(ProviderError::Declined("card_declined".into()))
    }

    fn authorize_token(&self, _: TokenAuthorizationRequest) -> ProviderFuture<'_> {
        Box::pin(async { Err(ProviderError::Declined("card_declined".into())) })
    }
}

#[tokio::test]
async fn a_card_refused_at_tokenization_is_invalid_naming_the_card_number() {
    let mut s = setup().await;
    s.t.app.payments = Arc::new(RefusingVault);
    let before = head(&s.t).await;
    let e = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request(&s.flight_id, 1),
    )
    .await
    .unwrap_err();
    match e {
        UseCaseError::Invalid { field, code, .. } => {
            assert_eq!(
                (field.as_str(), code),
                ("payment.card_number", "card_refused")
            );
        }
        other => panic!("expected card_refused, got {other:?}"),
    }
    assert_eq!(head(&s.t).await, before, "no saga without a token");
}

#[tokio::test]
async fn a_card_declined_at_authorization_is_placed_then_the_saga_fails_the_booking() {
    let s = setup().await;
    let placed = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request_with(&s.flight_id, Cabin::Economy, 2, DECLINED_CARD),
    )
    .await
    .unwrap();
    assert_eq!(
        status(&s.t, placed.booking_id).await,
        Some(BookingStatus::Pending)
    );
    settle(&s.t).await;
    let (booking, _) =
        s.t.app
            .bus
            .load::<Booking>(placed.booking_id)
            .await
            .unwrap();
    let b = booking.state().unwrap();
    assert_eq!(b.status, BookingStatus::Failed);
    let failure = b.failure.as_ref().unwrap();
    assert!(failure.reason.contains("card_declined"), "{failure:?}");
    assert!(b.ticket_numbers.is_empty());
    // The seats it held went back on sale.
    assert_eq!(economy(&s.t, &s.flight_id).await, (150, 0, 0));
}

#[test]
fn invalid_fields_are_named() {
    let flight = "SF100-2026-12-01";
    let card = ("4242424242424242", 12, 2030, "123");
    let field = |r: crate::UseCaseResult<PlaceBookingRequest>| match r.unwrap_err() {
        UseCaseError::Invalid { field, .. } => field,
        other => panic!("expected an invalid field, got {other:?}"),
    };
    let ada = ("Ada", "Lovelace");
    let parse = |flight, passengers: &[(&str, &str)], email, card| {
        PlaceBookingRequest::parse(flight, Cabin::Economy, passengers, email, card, 0)
    };
    assert!(parse(flight, &[ada], "ada@example.com", card).is_ok());
    assert_eq!(
        field(parse("SF100", &[ada], "ada@example.com", card)),
        "flight_id"
    );
    assert_eq!(
        field(parse(flight, &[ada, ("Alan", "")], "ada@example.com", card)),
        "passengers[1]"
    );
    let long = "x".repeat(51);
    assert_eq!(
        field(parse(
            flight,
            &[(long.as_str(), "Lovelace")],
            "ada@example.com",
            card
        )),
        "passengers[0]"
    );
    assert_eq!(
        field(parse(flight, &[ada], "not-an-email", card)),
        "contact.email"
    );
    // Fails the Luhn check.
    let bad_number = ("4242424242424241", 12, 2030, "123");
    assert_eq!(
        field(parse(flight, &[ada], "ada@example.com", bad_number)),
        "payment.card_number"
    );
    let short = ("4242", 12, 2030, "123");
    assert_eq!(
        field(parse(flight, &[ada], "ada@example.com", short)),
        "payment.card_number"
    );
    let bad_month = ("4242424242424242", 13, 2030, "123");
    assert_eq!(
        field(parse(flight, &[ada], "ada@example.com", bad_month)),
        "payment.exp_month"
    );
    let bad_cvc = ("4242424242424242", 12, 2030, "12");
    assert_eq!(
        field(parse(flight, &[ada], "ada@example.com", bad_cvc)),
        "payment.cvc"
    );
}

#[tokio::test]
async fn the_same_command_id_twice_names_the_same_booking_and_appends_once() {
    let s = setup().await;
    let command = command_id();
    let first = place(&s.t.app, &s.customer, command, request(&s.flight_id, 2))
        .await
        .unwrap();
    let after_first = head(&s.t).await;
    let again = place(&s.t.app, &s.customer, command, request(&s.flight_id, 2))
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_eq!(
        head(&s.t).await,
        after_first,
        "nothing appended the second time"
    );
    assert_eq!(
        events(&s.t, &format!("saga-{}", first.booking_id))
            .await
            .len(),
        1
    );
    assert_eq!(
        events(&s.t, &format!("booking-{}", first.booking_id))
            .await
            .len(),
        1
    );
    // Still one booking's seats once the saga ran.
    settle(&s.t).await;
    assert_eq!(economy(&s.t, &s.flight_id).await, (148, 0, 2));
    // A redelivery after confirmation answers the same booking too.
    let late = place(&s.t.app, &s.customer, command, request(&s.flight_id, 2))
        .await
        .unwrap();
    assert_eq!(late.booking_id, first.booking_id);
}

#[tokio::test]
async fn another_command_id_is_another_booking() {
    let s = setup().await;
    let a = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request(&s.flight_id, 1),
    )
    .await
    .unwrap();
    let b = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request(&s.flight_id, 1),
    )
    .await
    .unwrap();
    assert_ne!(a.booking_id, b.booking_id);
    assert_ne!(a.locator, b.locator);
}

#[tokio::test]
async fn a_booking_is_visible_to_its_owner_and_staff_and_to_no_other_customer() {
    let s = setup().await;
    let placed = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request(&s.flight_id, 1),
    )
    .await
    .unwrap();
    let raw = placed.booking_id.to_string();

    let (id, booking, version) = visible_booking(&s.t.app, &s.customer, &raw).await.unwrap();
    assert_eq!((id, version), (placed.booking_id, 1));
    assert_eq!(booking.state().unwrap().locator, placed.locator);

    let (_, booking, _) = visible_booking(&s.t.app, &caller(Role::Staff), &raw)
        .await
        .unwrap();
    assert_eq!(booking.state().unwrap().customer, s.customer.user_id);

    let stranger = caller(Role::Customer);
    let e = visible_booking(&s.t.app, &stranger, &raw)
        .await
        .unwrap_err();
    assert!(matches!(e, UseCaseError::NotFound("booking")), "{e:?}");
}

#[tokio::test]
async fn a_booking_that_does_not_exist_or_a_malformed_id_is_not_found() {
    let s = setup().await;
    let staff = caller(Role::Staff);
    for raw in [uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()] {
        let e = visible_booking(&s.t.app, &staff, &raw).await.unwrap_err();
        assert!(
            matches!(e, UseCaseError::NotFound("booking")),
            "{raw}: {e:?}"
        );
    }
}

#[tokio::test]
async fn cancelling_a_confirmed_booking_starts_its_cancellation() {
    let s = setup().await;
    let placed = confirmed_booking(&s, 2).await;
    let cancelled = cancel(
        &s.t.app,
        &s.customer,
        &Call::by(&s.customer, command_id()),
        &CancelBooking {
            booking_id: placed.booking_id.to_string(),
        },
    )
    .await
    .unwrap();
    assert_eq!(cancelled.booking_id, placed.booking_id);
    assert_eq!(cancelled.locator, placed.locator);
    assert_eq!(cancelled.status, BookingStatus::CancellationRequested);

    let (booking, version) =
        s.t.app
            .bus
            .load::<Booking>(placed.booking_id)
            .await
            .unwrap();
    assert_eq!(cancelled.version, version);
    let b = booking.state().unwrap();
    let c = b.cancellation.as_ref().unwrap();
    assert_eq!(c.requested_by, s.customer.user_id);
    // More than 24 h before departure: everything the card paid comes back.
    assert_eq!(c.refund, b.quote.total);

    let (saga, _) =
        s.t.app
            .bus
            .load::<BookingSaga>(placed.booking_id)
            .await
            .unwrap();
    assert_eq!(saga.status(), Some(SagaStatus::Cancelling));
    let saga_events = events(&s.t, &format!("saga-{}", placed.booking_id)).await;
    assert!(types(&saga_events).contains(&"CancellationStarted"));

    // Queued: driving it releases the seats and ends the booking cancelled.
    assert_eq!(settle(&s.t).await, 1);
    assert_eq!(
        status(&s.t, placed.booking_id).await,
        Some(BookingStatus::Cancelled)
    );
    assert_eq!(economy(&s.t, &s.flight_id).await, (150, 0, 0));
    let (saga, _) =
        s.t.app
            .bus
            .load::<BookingSaga>(placed.booking_id)
            .await
            .unwrap();
    assert_eq!(saga.status(), Some(SagaStatus::Cancelled));
}

#[tokio::test]
async fn cancelling_twice_starts_one_cancellation() {
    let s = setup().await;
    let placed = confirmed_booking(&s, 1).await;
    let command = CancelBooking {
        booking_id: placed.booking_id.to_string(),
    };
    let cancel_now = || async {
        let call = Call::by(&s.customer, command_id());
        cancel(&s.t.app, &s.customer, &call, &command)
            .await
            .unwrap()
    };
    let first = cancel_now().await;
    let after_first = head(&s.t).await;
    let again = cancel_now().await;
    assert_eq!(again.status, BookingStatus::CancellationRequested);
    assert_eq!(again.version, first.version);
    assert_eq!(
        head(&s.t).await,
        after_first,
        "nothing appended the second time"
    );
    settle(&s.t).await;
    assert_eq!(
        status(&s.t, placed.booking_id).await,
        Some(BookingStatus::Cancelled)
    );
}

#[tokio::test]
async fn staff_may_cancel_a_customers_booking() {
    let s = setup().await;
    let placed = confirmed_booking(&s, 1).await;
    let staff = caller(Role::Staff);
    let cancelled = cancel(
        &s.t.app,
        &staff,
        &Call::by(&staff, command_id()),
        &CancelBooking {
            booking_id: placed.booking_id.to_string(),
        },
    )
    .await
    .unwrap();
    assert_eq!(cancelled.status, BookingStatus::CancellationRequested);
    let (booking, _) =
        s.t.app
            .bus
            .load::<Booking>(placed.booking_id)
            .await
            .unwrap();
    let c = booking.state().unwrap().cancellation.clone().unwrap();
    assert_eq!(c.requested_by, staff.user_id);
}

#[tokio::test]
async fn another_customer_cannot_cancel_a_booking() {
    let s = setup().await;
    let placed = confirmed_booking(&s, 1).await;
    let before = head(&s.t).await;
    let e = cancel(
        &s.t.app,
        &caller(Role::Customer),
        &Call::by(&caller(Role::Customer), command_id()),
        &CancelBooking {
            booking_id: placed.booking_id.to_string(),
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(e, UseCaseError::NotFound("booking")), "{e:?}");
    assert_eq!(head(&s.t).await, before);
    assert_eq!(
        status(&s.t, placed.booking_id).await,
        Some(BookingStatus::Confirmed)
    );
}

#[tokio::test]
async fn cancelling_a_pending_booking_is_refused_with_the_bookings_code() {
    let s = setup().await;
    let placed = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request(&s.flight_id, 1),
    )
    .await
    .unwrap();
    let before = head(&s.t).await;
    let e = cancel(
        &s.t.app,
        &s.customer,
        &Call::by(&s.customer, command_id()),
        &CancelBooking {
            booking_id: placed.booking_id.to_string(),
        },
    )
    .await
    .unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!((r.code, r.kind), ("not_confirmed", RefusalKind::Conflict));
        }
        other => panic!("expected not_confirmed, got {other:?}"),
    }
    assert_eq!(head(&s.t).await, before);
    let (saga, _) =
        s.t.app
            .bus
            .load::<BookingSaga>(placed.booking_id)
            .await
            .unwrap();
    assert!(saga.cancellation().is_none());
}

#[tokio::test]
async fn confirming_an_unknown_booking_is_not_found() {
    let s = setup().await;
    let before = head(&s.t).await;
    let call = Call::by(&caller(Role::Staff), command_id());
    let unknown = ConfirmBookingNow {
        booking_id: BookingId(uuid::Uuid::now_v7()),
    };
    let e = confirm(&s.t.app, &call, unknown).await.unwrap_err();
    assert!(matches!(e, UseCaseError::NotFound("booking")), "{e:?}");
    assert_eq!(head(&s.t).await, before);
}

#[tokio::test]
async fn staff_confirm_a_pending_booking_by_hand_at_the_version_they_saw() {
    let s = setup().await;
    let placed = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request(&s.flight_id, 2),
    )
    .await
    .unwrap();
    let staff = caller(Role::Staff);
    let command = ConfirmBookingNow {
        booking_id: placed.booking_id,
    };
    let stale = Call::by(&staff, command_id()).expecting(Some(placed.version + 1));
    let e = confirm(&s.t.app, &stale, command).await.unwrap_err();
    assert!(
        matches!(
            e,
            UseCaseError::VersionConflict {
                expected: 2,
                actual: 1
            }
        ),
        "{e:?}"
    );
    let call = Call::by(&staff, CommandId::derived("confirm-by-hand")).expecting(Some(1));
    let done = confirm(&s.t.app, &call, command).await.unwrap();
    assert_eq!(done.version, 2);
    assert_eq!(done.events.len(), 1);
    let b = done.state.state().unwrap();
    assert_eq!(b.status, BookingStatus::Confirmed);
    assert_eq!(b.ticket_numbers.len(), 2);
}

#[tokio::test]
async fn cancelling_within_a_day_of_departure_refunds_half_the_fare_and_the_taxes() {
    let s = setup().await;
    let placed = confirmed_booking(&s, 1).await;
    // 2026-11-30 12:00: 20 hours before the 08:00 departure on 2026-12-01.
    s.t.clock.advance(chrono::Duration::days(8));
    let cancelled = cancel(
        &s.t.app,
        &s.customer,
        &Call::by(&s.customer, command_id()),
        &CancelBooking {
            booking_id: placed.booking_id.to_string(),
        },
    )
    .await
    .unwrap();
    assert_eq!(cancelled.status, BookingStatus::CancellationRequested);
    let (booking, _) =
        s.t.app
            .bus
            .load::<Booking>(placed.booking_id)
            .await
            .unwrap();
    let b = booking.state().unwrap();
    // Fare 199.00, taxes 14.93: half the fare is kept, the taxes come back.
    assert_eq!(b.quote.taxes, Money::usd(1_493));
    let c = b.cancellation.as_ref().unwrap();
    assert_eq!(c.requested_at, s.t.app.now());
    assert_eq!(c.refund, Money::usd(1_493 + 9_950));
    settle(&s.t).await;
    let (booking, _) =
        s.t.app
            .bus
            .load::<Booking>(placed.booking_id)
            .await
            .unwrap();
    let b = booking.state().unwrap();
    assert_eq!(b.status, BookingStatus::Cancelled);
    assert_eq!(
        b.cancellation.as_ref().unwrap().refunded,
        Some(Money::usd(11_443))
    );
}

#[tokio::test]
async fn cancelling_after_departure_is_refused_departed() {
    let s = setup().await;
    let placed = confirmed_booking(&s, 1).await;
    s.t.clock.advance(chrono::Duration::days(9));
    let e = cancel(
        &s.t.app,
        &s.customer,
        &Call::by(&s.customer, command_id()),
        &CancelBooking {
            booking_id: placed.booking_id.to_string(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Some("departed"), "{e:?}");
    assert_eq!(
        status(&s.t, placed.booking_id).await,
        Some(BookingStatus::Confirmed)
    );
}

#[tokio::test]
async fn a_flight_that_departed_cannot_be_booked() {
    let s = setup().await;
    s.t.clock.advance(chrono::Duration::days(9));
    let before = head(&s.t).await;
    let e = place(
        &s.t.app,
        &s.customer,
        command_id(),
        request(&s.flight_id, 1),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Some("departed"), "{e:?}");
    assert_eq!(head(&s.t).await, before);
}

#[tokio::test]
async fn the_engine_dying_while_recording_a_booking_leaves_neither_the_booking_nor_its_saga() {
    // Every append that touches a booking stream fails, as if the engine died committing it.
    let memory: Arc<dyn skyfly_domain::store::EventStore> =
        Arc::new(skyfly_infra::MemoryEventStore::new());
    let failing = crate::testing::FailingAppends {
        inner: memory.clone(),
        prefix: "booking-".into(),
    };
    let t = TestApplication::with_store(Arc::new(failing));
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let flight_id = t.schedule(&flight_plan("SF100", date, "DFW", "ORD")).await;
    let customer = t.customer().await;
    let command = command_id();
    let died = place(&t.app, &customer, command, request(&flight_id, 2)).await;
    assert!(matches!(died, Err(UseCaseError::Store(_))), "{died:?}");
    let booking_id = booking_id_for(command);
    for stream in [
        format!("saga-{booking_id}"),
        format!("booking-{booking_id}"),
    ] {
        assert_eq!(
            memory.read_stream(&stream, 0).await.unwrap(),
            [],
            "{stream}: nothing of the booking is recorded"
        );
    }
    // No saga runs for it: the flight's seats stay untouched.
    settle(&t).await;
    assert_eq!(economy(&t, &flight_id).await, (150, 0, 0));

    // The client's retry, on an engine that lives, books it and the saga confirms it.
    let t = TestApplication::with_store(memory);
    let placed = place(&t.app, &customer, command, request(&flight_id, 2))
        .await
        .unwrap();
    assert_eq!(placed.booking_id, booking_id);
    settle(&t).await;
    assert_eq!(status(&t, booking_id).await, Some(BookingStatus::Confirmed));
    assert_eq!(economy(&t, &flight_id).await, (148, 0, 2));
}

#[tokio::test]
async fn a_booking_recorded_after_its_saga_ended_takes_the_sagas_outcome() {
    // What an engine that recorded the saga and the booking one after the other could leave: the
    // saga recorded, the engine dead before the booking was, and the saga run to its end alone.
    let s = setup().await;
    let command = command_id();
    let booking_id = booking_id_for(command);
    let saga_stream = format!("saga-{booking_id}");
    let elsewhere = TestApplication::new();
    let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    elsewhere
        .schedule(&flight_plan("SF100", date, "DFW", "ORD"))
        .await;
    place(
        &elsewhere.app,
        &s.customer,
        command,
        request(&s.flight_id, 1),
    )
    .await
    .unwrap();
    let started: Vec<NewEvent> = events(&elsewhere, &saga_stream)
        .await
        .into_iter()
        .map(|e| NewEvent {
            event_id: e.event_id,
            event_type: e.event_type,
            schema_version: e.schema_version,
            payload: e.payload,
            metadata: e.metadata,
            recorded_at: e.recorded_at,
        })
        .collect();
    let saga_command = CommandId::derived(&format!("{}/start-saga", command.0));
    s.t.app
        .bus
        .store()
        .append(
            &saga_stream,
            ExpectedVersion::NoStream,
            Some(saga_command),
            started,
        )
        .await
        .unwrap();
    s.t.app.process.enqueue(booking_id).await.unwrap();
    settle(&s.t).await;
    let (saga, _) = s.t.app.bus.load::<BookingSaga>(booking_id).await.unwrap();
    let outcome = saga.outcome().cloned().expect("the lone saga ended");
    assert!(
        !matches!(outcome, SagaOutcome::Confirmed),
        "without its booking the saga cannot confirm: {outcome:?}"
    );

    // The client's retry records the booking; it takes the saga's outcome, not `pending`.
    place(&s.t.app, &s.customer, command, request(&s.flight_id, 1))
        .await
        .unwrap();
    assert_eq!(status(&s.t, booking_id).await, Some(BookingStatus::Pending));
    settle(&s.t).await;
    assert_eq!(status(&s.t, booking_id).await, Some(BookingStatus::Failed));
}
