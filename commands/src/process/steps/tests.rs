//! The step table: which command each step sends where, and the reasons the saga records.

use super::*;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::UserId;
use skyfly_domain::inventory::InventoryError;
use skyfly_domain::saga::SagaEvent;
use skyfly_domain::testing::given;
use uuid::Uuid;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + chrono::Duration::seconds(secs)
}

fn booking() -> BookingId {
    BookingId(Uuid::from_u128(0x42))
}

fn flight() -> FlightId {
    FlightId::parse("SF100-2027-01-15").unwrap()
}

fn payment() -> PaymentId {
    PaymentId(Uuid::from_u128(9))
}

fn account() -> LoyaltyAccountId {
    LoyaltyAccountId(Uuid::from_u128(10))
}

fn started() -> SagaEvent {
    SagaEvent::SagaStarted {
        booking_id: booking(),
        customer: UserId(Uuid::from_u128(7)),
        flight_id: flight(),
        cabin: Cabin::Economy,
        seats: 2,
        payment_id: payment(),
        account_id: account(),
        card_amount: Money::usd(40_998),
        accrual_fare: Money::usd(37_998),
        redeem_miles: 2_000,
        payment_token: "tok_visa_4242".into(),
        step_timeout_secs: 30,
        max_provider_retries: 2,
        started_at: at(0),
    }
}

fn saga(events: impl IntoIterator<Item = SagaEvent>) -> BookingSaga {
    given::<BookingSaga>(std::iter::once(started()).chain(events))
        .state()
        .clone()
}

fn state() -> SagaState {
    saga([]).state().cloned().unwrap()
}

const NOTHING_IN_FLIGHT: InFlight = InFlight {
    deadline: None,
    seat_hold_until: None,
};

#[test]
fn the_saga_in_flight_gives_the_deadline_and_the_seat_hold() {
    let saga = saga([SagaEvent::StepStarted {
        step: ForwardStep::ReserveSeats,
        attempt: 1,
        started_at: at(5),
        deadline: at(35),
    }]);
    let in_flight = InFlight::of(&saga);
    assert_eq!(in_flight.deadline, Some(at(35)));
    assert_eq!(in_flight.seat_hold_until, Some(at(5) + SEAT_HOLD));
}

#[test]
fn a_reservation_asks_for_the_sagas_hold_or_a_fresh_one() {
    let held = InFlight {
        deadline: Some(at(35)),
        seat_hold_until: Some(at(5) + SEAT_HOLD),
    };
    let reserve = |in_flight| forward(&state(), ForwardStep::ReserveSeats, in_flight, at(9));
    let with_hold = |hold_until| {
        StepCommand::Inventory(
            InventoryCommand::ReserveSeats(ReserveSeats {
                booking_id: booking(),
                cabin: Cabin::Economy,
                seats: 2,
                now: at(9),
                hold_until,
            }),
            flight(),
        )
    };
    assert_eq!(reserve(held), with_hold(at(5) + SEAT_HOLD));
    assert_eq!(reserve(NOTHING_IN_FLIGHT), with_hold(at(9) + SEAT_HOLD));
}

#[test]
fn every_forward_step_goes_to_the_aggregate_that_owns_it() {
    let now = at(9);
    let step = |step| forward(&state(), step, NOTHING_IN_FLIGHT, now);
    assert_eq!(
        step(ForwardStep::RedeemMiles),
        StepCommand::Loyalty(
            LoyaltyCommand::RedeemMiles(RedeemMiles {
                booking_id: booking(),
                miles: 2_000,
                at: now,
            }),
            account(),
        )
    );
    assert_eq!(
        step(ForwardStep::AuthorizePayment),
        StepCommand::Authorize {
            payment_id: payment(),
            create: CreatePayment {
                payment_id: payment(),
                booking_id: booking(),
                amount: Money::usd(40_998),
                at: now,
            },
            request: TokenAuthorizationRequest {
                token: "tok_visa_4242".into(),
                amount: Money::usd(40_998),
                today: now.date_naive(),
                reference: payment().to_string(),
            },
        }
    );
    assert_eq!(
        step(ForwardStep::AwardMiles),
        StepCommand::Loyalty(
            LoyaltyCommand::AwardMiles(AwardMiles {
                booking_id: booking(),
                accrual: Accrual::Fare {
                    paid_by_card: Money::usd(37_998),
                    cabin: Cabin::Economy,
                },
                at: now,
            }),
            account(),
        )
    );
    assert_eq!(
        step(ForwardStep::CommitSeats),
        StepCommand::Inventory(
            InventoryCommand::CommitSeats(CommitSeats {
                booking_id: booking(),
                now,
            }),
            flight(),
        )
    );
    assert_eq!(
        step(ForwardStep::CapturePayment),
        StepCommand::Payment(
            PaymentCommand::CapturePayment(CapturePayment {
                amount: None,
                at: now,
            }),
            payment(),
        )
    );
    assert_eq!(
        step(ForwardStep::ConfirmBooking),
        StepCommand::Booking(
            BookingCommand::ConfirmBooking(ConfirmBooking { at: now }),
            booking(),
        )
    );
}

#[test]
fn the_last_step_and_the_confirmed_outcome_send_the_same_confirmation() {
    let StepCommand::Booking(from_step, to) = forward(
        &state(),
        ForwardStep::ConfirmBooking,
        NOTHING_IN_FLIGHT,
        at(9),
    ) else {
        panic!("confirm_booking goes to the booking");
    };
    assert_eq!(to, booking());
    assert_eq!(from_step, outcome(&SagaOutcome::Confirmed, at(9)));
}

#[test]
fn every_outcome_has_its_booking_command() {
    let failed = SagaOutcome::Failed {
        step: skyfly_domain::booking::SagaStep::AuthorizePayment,
        reason: "card_declined".into(),
    };
    assert_eq!(
        outcome(&failed, at(9)),
        BookingCommand::FailBooking(FailBooking {
            step: skyfly_domain::booking::SagaStep::AuthorizePayment,
            reason: "card_declined".into(),
            at: at(9),
        })
    );
    let rejected = SagaOutcome::Rejected {
        reason: SEATS_UNAVAILABLE.into(),
    };
    assert_eq!(
        outcome(&rejected, at(9)),
        BookingCommand::RejectBooking(RejectBooking {
            reason: SEATS_UNAVAILABLE.into(),
            at: at(9),
        })
    );
    let cancelled = SagaOutcome::Cancelled {
        refunded: Money::usd(100),
    };
    assert_eq!(
        outcome(&cancelled, at(9)),
        BookingCommand::CompleteCancellation(CompleteCancellation {
            refunded: Money::usd(100),
            at: at(9),
        })
    );
}

#[test]
fn compensations_undo_their_step_on_its_aggregate() {
    let now = at(9);
    let undo = |c| compensation(&state(), c, now);
    assert_eq!(
        undo(Compensation::ReleaseSeats),
        StepCommand::Inventory(
            InventoryCommand::ReleaseSeats(ReleaseSeats {
                booking_id: booking(),
                reason: ReleaseReason::Compensation,
            }),
            flight(),
        )
    );
    assert_eq!(
        undo(Compensation::VoidPayment),
        StepCommand::Payment(
            PaymentCommand::VoidPayment(VoidPayment { at: now }),
            payment()
        )
    );
    assert_eq!(
        undo(Compensation::RefundPayment),
        StepCommand::Payment(
            PaymentCommand::RefundPayment(RefundPayment {
                amount: None,
                at: now,
            }),
            payment(),
        )
    );
    assert_eq!(
        undo(Compensation::RevokeMiles),
        StepCommand::Loyalty(
            LoyaltyCommand::RevokeMiles(RevokeMiles {
                booking_id: booking(),
                at: now,
            }),
            account(),
        )
    );
    assert_eq!(
        undo(Compensation::RestoreMiles),
        StepCommand::Loyalty(
            LoyaltyCommand::RestoreMiles(RestoreMiles {
                booking_id: booking(),
                at: now,
            }),
            account(),
        )
    );
}

#[test]
fn a_cancellation_refunds_what_it_was_fixed_at_and_nothing_when_that_is_zero() {
    let now = at(9);
    let refund = |amount| cancellation(&state(), CancellationStep::RefundPayment, amount, now);
    assert_eq!(
        refund(Some(Money::usd(100))),
        StepCommand::Payment(
            PaymentCommand::RefundPayment(RefundPayment {
                amount: Some(Money::usd(100)),
                at: now,
            }),
            payment(),
        )
    );
    assert_eq!(refund(Some(Money::usd(0))), StepCommand::Nothing);
    assert_eq!(refund(None), StepCommand::Nothing);
    assert_eq!(
        cancellation(&state(), CancellationStep::ReleaseSeats, None, now),
        StepCommand::Inventory(
            InventoryCommand::ReleaseSeats(ReleaseSeats {
                booking_id: booking(),
                reason: ReleaseReason::Cancelled,
            }),
            flight(),
        )
    );
    assert_eq!(
        cancellation(&state(), CancellationStep::RevokeMiles, None, now),
        compensation(&state(), Compensation::RevokeMiles, now)
    );
    assert_eq!(
        cancellation(&state(), CancellationStep::RestoreMiles, None, now),
        compensation(&state(), Compensation::RestoreMiles, now)
    );
}

#[test]
fn failures_become_the_reasons_the_saga_records() {
    let full = InventoryError::NotEnoughSeats {
        requested: 2,
        available: 1,
    };
    assert_eq!(inventory_refusal(&full), SEATS_UNAVAILABLE);
    assert_eq!(
        inventory_refusal(&InventoryError::NoSuchHold),
        "no_such_hold"
    );
    let refused = StepFailure::Refused {
        code: SEATS_UNAVAILABLE,
    };
    assert!(!refused.retryable());
    assert_eq!(refused.reason(), "seats_unavailable");
    let declined = StepFailure::Declined {
        reason: "card_declined".into(),
    };
    assert!(!declined.retryable());
    assert_eq!(declined.reason(), "card_declined");
    let provider = StepFailure::Provider {
        reason: "processing_error".into(),
    };
    assert!(provider.retryable());
    assert_eq!(provider.reason(), "processing_error");
    let fault_id = Uuid::from_u128(0xfa);
    let fault = StepFailure::Fault { fault_id };
    assert!(!fault.retryable());
    assert_eq!(fault.reason(), format!("fault_injected: {fault_id}"));
}
