//! Given/when/then tests of the booking saga, and tests over `next_actions`.

use super::*;
use crate::aggregate::{Aggregate, DomainEvent, fold};
use crate::booking::SagaStep;
use crate::cabin::Cabin;
use crate::ids::{BookingId, FlightId, LoyaltyAccountId, PaymentId, UserId};
use crate::money::{Currency, Money};
use crate::testing::{assert_round_trips, given};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

mod property;

pub(super) fn at(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + Duration::seconds(secs)
}

pub(super) fn id() -> BookingId {
    BookingId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0042))
}

fn customer() -> UserId {
    UserId(Uuid::from_u128(7))
}

fn staff() -> UserId {
    UserId(Uuid::from_u128(8))
}

/// Two economy seats: fare 399.98, taxes 30.00, total 429.98; `miles` pay part of the fare.
pub(super) fn start_with(miles: u64) -> StartSaga {
    let m = i64::try_from(miles).unwrap();
    StartSaga {
        booking_id: id(),
        customer: customer(),
        flight_id: FlightId::parse("SF100-2027-01-15").unwrap(),
        cabin: Cabin::Economy,
        seats: 2,
        payment_id: PaymentId(Uuid::from_u128(9)),
        account_id: LoyaltyAccountId::for_user(customer()),
        card_amount: Money::usd(42_998 - m),
        accrual_fare: Money::usd(39_998 - m),
        redeem_miles: miles,
        payment_token: "tok_visa_4242".into(),
        step_timeout_secs: DEFAULT_STEP_TIMEOUT_SECS,
        max_provider_retries: DEFAULT_MAX_PROVIDER_RETRIES,
        at: at(0),
    }
}

fn started_with(miles: u64) -> SagaEvent {
    let c = start_with(miles);
    SagaEvent::SagaStarted {
        booking_id: c.booking_id,
        customer: c.customer,
        flight_id: c.flight_id,
        cabin: c.cabin,
        seats: c.seats,
        payment_id: c.payment_id,
        account_id: c.account_id,
        card_amount: c.card_amount,
        accrual_fare: c.accrual_fare,
        redeem_miles: c.redeem_miles,
        payment_token: c.payment_token,
        step_timeout_secs: c.step_timeout_secs,
        max_provider_retries: c.max_provider_retries,
        started_at: c.at,
    }
}

fn started() -> SagaEvent {
    started_with(0)
}

fn step_started(step: ForwardStep, attempt: u32, secs: i64) -> SagaEvent {
    SagaEvent::StepStarted {
        step,
        attempt,
        started_at: at(secs),
        deadline: at(secs + 30),
    }
}

fn step_succeeded(step: ForwardStep, attempt: u32, secs: i64) -> SagaEvent {
    SagaEvent::StepSucceeded {
        step,
        attempt,
        at: at(secs),
    }
}

fn run(step: ForwardStep, attempt: u32) -> SagaAction {
    SagaAction::Run { step, attempt }
}

fn compensate(compensation: Compensation, attempt: u32) -> SagaAction {
    SagaAction::Compensate {
        compensation,
        attempt,
    }
}

fn cancel(step: CancellationStep, attempt: u32) -> SagaAction {
    SagaAction::Cancel { step, attempt }
}

/// A process manager in a test: performs actions, records their outcomes, keeps the clock.
pub(super) struct Sim {
    pub saga: BookingSaga,
    pub now: DateTime<Utc>,
    pub log: Vec<SagaEvent>,
}

impl Sim {
    pub fn start(miles: u64) -> Self {
        Self::start_with(start_with(miles))
    }

    pub fn start_with(cmd: StartSaga) -> Self {
        let mut sim = Sim {
            saga: BookingSaga::default(),
            now: cmd.at,
            log: Vec::new(),
        };
        sim.exec(cmd);
        sim
    }

    pub fn try_exec(&mut self, cmd: impl Into<SagaCommand>) -> Result<Vec<SagaEvent>, SagaError> {
        let events = self.saga.decide(&cmd.into())?;
        for e in &events {
            self.saga.evolve(e);
        }
        self.log.extend(events.iter().cloned());
        Ok(events)
    }

    #[track_caller]
    pub fn exec(&mut self, cmd: impl Into<SagaCommand>) -> Vec<SagaEvent> {
        let cmd = cmd.into();
        match self.try_exec(cmd.clone()) {
            Ok(events) => events,
            Err(e) => panic!("{cmd:?} was refused: {e:?}"),
        }
    }

    /// The one action due now, if any.
    #[track_caller]
    pub fn next(&self) -> Option<SagaAction> {
        let actions = self.saga.next_actions(self.now);
        assert!(actions.len() <= 1, "one step at a time: {actions:?}");
        actions.into_iter().next()
    }

    pub fn tick(&mut self, secs: i64) {
        self.now += Duration::seconds(secs);
    }

    /// Performs `action`; `failure` is the reason and retryability of a failed outcome.
    pub fn perform(&mut self, action: &SagaAction, failure: Option<(&str, bool)>) {
        match *action {
            SagaAction::Run { step, attempt } => {
                self.exec(RecordStepStarted {
                    step,
                    attempt,
                    at: self.now,
                });
                self.tick(1);
                match failure {
                    Some((reason, retryable)) => self.exec(RecordStepFailed {
                        step,
                        attempt,
                        reason: reason.into(),
                        retryable,
                        at: self.now,
                    }),
                    None => self.exec(RecordStepSucceeded {
                        step,
                        attempt,
                        at: self.now,
                    }),
                };
            }
            SagaAction::TimeOut { .. } => {
                self.exec(RecordTimeout { at: self.now });
            }
            SagaAction::Compensate {
                compensation,
                attempt,
            } => {
                match failure {
                    Some((reason, _)) => self.exec(RecordCompensationFailed {
                        compensation,
                        attempt,
                        reason: reason.into(),
                        at: self.now,
                    }),
                    None => self.exec(RecordCompensationSucceeded {
                        compensation,
                        attempt,
                        at: self.now,
                    }),
                };
            }
            SagaAction::Cancel { step, attempt } => {
                match failure {
                    Some((reason, _)) => self.exec(RecordCancellationStepFailed {
                        step,
                        attempt,
                        reason: reason.into(),
                        at: self.now,
                    }),
                    None => self.exec(RecordCancellationStepSucceeded {
                        step,
                        attempt,
                        at: self.now,
                    }),
                };
            }
            SagaAction::Finish(_) => {
                self.exec(EndSaga { at: self.now });
            }
            SagaAction::WaitUntil(t) => self.now = t,
        }
    }

    /// Performs every action until none is left; `fail` picks the failures. Returns the actions
    /// in the order they came, waits included.
    pub fn drive(
        &mut self,
        mut fail: impl FnMut(&SagaAction) -> Option<(&'static str, bool)>,
    ) -> Vec<SagaAction> {
        let mut done = Vec::new();
        while let Some(action) = self.next() {
            assert!(done.len() < 500, "the saga never settles: {done:?}");
            self.perform(&action, fail(&action));
            done.push(action);
        }
        done
    }

    /// Performs every action with success.
    pub fn drive_ok(&mut self) -> Vec<SagaAction> {
        self.drive(|_| None)
    }

    /// Runs the forward steps successfully up to (not including) `step`.
    pub fn run_until(&mut self, step: ForwardStep) {
        while let Some(action) = self.next() {
            if matches!(action, SagaAction::Run { step: s, .. } if s == step) {
                return;
            }
            self.perform(&action, None);
        }
        panic!("{step} never came up");
    }

    pub fn status(&self) -> SagaStatus {
        self.saga.status().unwrap()
    }
}

fn forward_only(actions: &[SagaAction]) -> Vec<SagaAction> {
    actions
        .iter()
        .filter(|a| !matches!(a, SagaAction::WaitUntil(_)))
        .cloned()
        .collect()
}

// ---- StartSaga ----

#[test]
fn starting_a_saga_records_everything_its_steps_need() {
    let saga = given::<BookingSaga>([])
        .when(start_with(0))
        .then([started()]);
    assert_eq!(saga.status(), Some(SagaStatus::Running));
    assert_eq!(saga.current_step(), Some(ForwardStep::ReserveSeats));
    assert_eq!(saga.deadline(), None);
}

#[test]
fn a_saga_cannot_be_started_twice() {
    given::<BookingSaga>([started()])
        .when(start_with(0))
        .then_err(SagaError::AlreadyStarted);
}

#[test]
fn a_card_number_is_never_accepted_as_a_payment_token() {
    for token in [
        "4242 4242 4242 4242",
        "4000-0000-0000-0119",
        "5555555555554444",
        " ",
    ] {
        given::<BookingSaga>([])
            .when(StartSaga {
                payment_token: token.into(),
                ..start_with(0)
            })
            .then_err(SagaError::InvalidPaymentToken);
    }
}

#[test]
fn start_refuses_bad_seat_counts_timeouts_and_amounts() {
    let cases = [
        (
            StartSaga {
                seats: 0,
                ..start_with(0)
            },
            SagaError::InvalidSeatCount { seats: 0 },
        ),
        (
            StartSaga {
                seats: 10,
                ..start_with(0)
            },
            SagaError::InvalidSeatCount { seats: 10 },
        ),
        (
            StartSaga {
                step_timeout_secs: 0,
                ..start_with(0)
            },
            SagaError::InvalidStepTimeout,
        ),
        (
            StartSaga {
                card_amount: Money::usd(0),
                ..start_with(0)
            },
            SagaError::InvalidAmount {
                field: "card_amount",
            },
        ),
        (
            StartSaga {
                accrual_fare: Money::usd(-1),
                ..start_with(0)
            },
            SagaError::InvalidAmount {
                field: "accrual_fare",
            },
        ),
        (
            StartSaga {
                accrual_fare: Money::new(1, Currency::parse("EUR").unwrap()),
                ..start_with(0)
            },
            SagaError::CurrencyMismatch {
                field: "accrual_fare",
            },
        ),
    ];
    for (cmd, error) in cases {
        given::<BookingSaga>([]).when(cmd).then_err(error);
    }
}

#[test]
fn nothing_happens_to_a_saga_that_was_never_started() {
    assert!(BookingSaga::default().next_actions(at(0)).is_empty());
    assert_eq!(BookingSaga::default().status(), None);
    given::<BookingSaga>([])
        .when(RecordTimeout { at: at(0) })
        .then_err(SagaError::NotFound);
}

// ---- The happy path ----

#[test]
fn the_happy_path_without_miles_runs_every_step_in_order_and_confirms() {
    let mut sim = Sim::start(0);
    let actions = sim.drive_ok();
    assert_eq!(
        actions,
        [
            run(ForwardStep::ReserveSeats, 1),
            run(ForwardStep::AuthorizePayment, 1),
            run(ForwardStep::AwardMiles, 1),
            run(ForwardStep::CommitSeats, 1),
            run(ForwardStep::CapturePayment, 1),
            run(ForwardStep::ConfirmBooking, 1),
            SagaAction::Finish(SagaOutcome::Confirmed),
        ]
    );
    assert_eq!(sim.status(), SagaStatus::Confirmed);
    assert!(sim.saga.is_terminal());
    assert_eq!(sim.saga.outcome(), Some(&SagaOutcome::Confirmed));
    assert!(sim.saga.compensation().is_none());
    assert!(
        sim.saga
            .next_actions(sim.now + Duration::days(1))
            .is_empty()
    );
}

#[test]
fn the_happy_path_with_miles_redeems_them_right_after_the_seats() {
    let mut sim = Sim::start(10_000);
    let actions = sim.drive_ok();
    assert_eq!(
        actions,
        [
            run(ForwardStep::ReserveSeats, 1),
            run(ForwardStep::RedeemMiles, 1),
            run(ForwardStep::AuthorizePayment, 1),
            run(ForwardStep::AwardMiles, 1),
            run(ForwardStep::CommitSeats, 1),
            run(ForwardStep::CapturePayment, 1),
            run(ForwardStep::ConfirmBooking, 1),
            SagaAction::Finish(SagaOutcome::Confirmed),
        ]
    );
    assert_eq!(sim.status(), SagaStatus::Confirmed);
}

#[test]
fn the_last_sub_step_of_confirm_booking_reaches_the_confirmed_outcome() {
    let mut history = vec![started()];
    let steps = [
        ForwardStep::ReserveSeats,
        ForwardStep::AuthorizePayment,
        ForwardStep::AwardMiles,
        ForwardStep::CommitSeats,
        ForwardStep::CapturePayment,
    ];
    for (i, step) in (0_i64..).zip(steps) {
        history.push(step_started(step, 1, 2 * i + 1));
        history.push(step_succeeded(step, 1, 2 * i + 2));
    }
    history.push(step_started(ForwardStep::ConfirmBooking, 1, 20));
    let saga = given::<BookingSaga>(history)
        .when(RecordStepSucceeded {
            step: ForwardStep::ConfirmBooking,
            attempt: 1,
            at: at(21),
        })
        .then([
            step_succeeded(ForwardStep::ConfirmBooking, 1, 21),
            SagaEvent::OutcomeReached {
                outcome: SagaOutcome::Confirmed,
                at: at(21),
            },
        ]);
    // Not terminal until the booking was told.
    assert_eq!(saga.status(), Some(SagaStatus::Running));
    assert!(!saga.is_terminal());
    assert_eq!(
        saga.next_actions(at(22)),
        [SagaAction::Finish(SagaOutcome::Confirmed)]
    );
}

#[test]
fn starting_a_step_gives_it_a_durable_deadline() {
    let saga = given::<BookingSaga>([started()])
        .when(RecordStepStarted {
            step: ForwardStep::ReserveSeats,
            attempt: 1,
            at: at(5),
        })
        .then([step_started(ForwardStep::ReserveSeats, 1, 5)]);
    assert_eq!(saga.deadline(), Some(at(35)));
    assert_eq!(saga.current_step(), Some(ForwardStep::ReserveSeats));
    assert_eq!(saga.next_actions(at(6)), [SagaAction::WaitUntil(at(35))]);
    assert_eq!(
        saga.in_flight_action(),
        Some(run(ForwardStep::ReserveSeats, 1))
    );
    assert_eq!(saga.seat_hold_until(), Some(at(5) + SEAT_HOLD));
}

#[test]
fn the_step_timeout_is_configurable() {
    let mut sim = Sim::start_with(StartSaga {
        step_timeout_secs: 120,
        ..start_with(0)
    });
    sim.exec(RecordStepStarted {
        step: ForwardStep::ReserveSeats,
        attempt: 1,
        at: at(0),
    });
    assert_eq!(sim.saga.deadline(), Some(at(120)));
    assert_eq!(sim.next(), Some(SagaAction::WaitUntil(at(120))));
}

#[test]
fn a_redelivered_step_start_or_outcome_takes_effect_once() {
    let history = [
        started(),
        step_started(ForwardStep::ReserveSeats, 1, 1),
        step_succeeded(ForwardStep::ReserveSeats, 1, 2),
    ];
    given::<BookingSaga>(history.clone())
        .when(RecordStepStarted {
            step: ForwardStep::ReserveSeats,
            attempt: 1,
            at: at(9),
        })
        .then_nothing();
    given::<BookingSaga>(history)
        .when(RecordStepSucceeded {
            step: ForwardStep::ReserveSeats,
            attempt: 1,
            at: at(9),
        })
        .then_nothing();
}

#[test]
fn a_step_out_of_turn_is_refused() {
    given::<BookingSaga>([started()])
        .when(RecordStepStarted {
            step: ForwardStep::AuthorizePayment,
            attempt: 1,
            at: at(1),
        })
        .then_err(SagaError::NotNextStep {
            step: ForwardStep::AuthorizePayment,
            attempt: 1,
        });
    given::<BookingSaga>([started()])
        .when(RecordStepStarted {
            step: ForwardStep::RedeemMiles,
            attempt: 1,
            at: at(1),
        })
        .then_err(SagaError::NotNextStep {
            step: ForwardStep::RedeemMiles,
            attempt: 1,
        });
    given::<BookingSaga>([started()])
        .when(RecordStepSucceeded {
            step: ForwardStep::ReserveSeats,
            attempt: 1,
            at: at(1),
        })
        .then_err(SagaError::StepNotStarted {
            step: ForwardStep::ReserveSeats,
            attempt: 1,
        });
}

// ---- Failures and compensation ----

#[test]
fn each_failing_step_compensates_exactly_the_completed_steps_in_reverse_order() {
    use Compensation::*;
    use ForwardStep as F;
    let cases: [(u64, ForwardStep, &[Compensation]); 13] = [
        (0, F::ReserveSeats, &[]),
        (0, F::AuthorizePayment, &[ReleaseSeats]),
        (0, F::AwardMiles, &[VoidPayment, ReleaseSeats]),
        (0, F::CommitSeats, &[RevokeMiles, VoidPayment, ReleaseSeats]),
        // The seats were sold by then: `release_seats` gives back sold seats.
        (
            0,
            F::CapturePayment,
            &[RevokeMiles, VoidPayment, ReleaseSeats],
        ),
        // The payment was captured by then: refunded, not voided.
        (
            0,
            F::ConfirmBooking,
            &[RevokeMiles, RefundPayment, ReleaseSeats],
        ),
        (500, F::ReserveSeats, &[]),
        (500, F::RedeemMiles, &[ReleaseSeats]),
        (500, F::AuthorizePayment, &[RestoreMiles, ReleaseSeats]),
        (
            500,
            F::AwardMiles,
            &[VoidPayment, RestoreMiles, ReleaseSeats],
        ),
        (
            500,
            F::CommitSeats,
            &[RevokeMiles, VoidPayment, RestoreMiles, ReleaseSeats],
        ),
        (
            500,
            F::CapturePayment,
            &[RevokeMiles, VoidPayment, RestoreMiles, ReleaseSeats],
        ),
        (
            500,
            F::ConfirmBooking,
            &[RevokeMiles, RefundPayment, RestoreMiles, ReleaseSeats],
        ),
    ];
    for (miles, failing, expected) in cases {
        let mut sim = Sim::start(miles);
        let actions = sim.drive(|a| match a {
            SagaAction::Run { step, .. } if *step == failing => Some(("boom", false)),
            _ => None,
        });
        let compensations: Vec<Compensation> = actions
            .iter()
            .filter_map(|a| match a {
                SagaAction::Compensate { compensation, .. } => Some(*compensation),
                _ => None,
            })
            .collect();
        assert_eq!(compensations, expected, "{failing} failing, {miles} miles");
        let outcome = SagaOutcome::Failed {
            step: failing.saga_step(),
            reason: "boom".into(),
        };
        assert_eq!(actions.last(), Some(&SagaAction::Finish(outcome.clone())));
        assert_eq!(sim.saga.outcome(), Some(&outcome));
        assert_eq!(sim.status(), SagaStatus::Failed);
        // Nothing ran after the failing step.
        let ran_after = actions
            .iter()
            .skip_while(|a| !matches!(a, SagaAction::Run { step, .. } if *step == failing));
        assert!(
            ran_after
                .skip(1)
                .all(|a| !matches!(a, SagaAction::Run { .. })),
            "{failing}: a forward step ran after the failure"
        );
    }
}

#[test]
fn a_declined_payment_is_not_voided_and_the_seats_are_released() {
    let history = [
        started(),
        step_started(ForwardStep::ReserveSeats, 1, 1),
        step_succeeded(ForwardStep::ReserveSeats, 1, 2),
        step_started(ForwardStep::AuthorizePayment, 1, 3),
    ];
    let saga = given::<BookingSaga>(history)
        .when(RecordStepFailed {
            step: ForwardStep::AuthorizePayment,
            attempt: 1,
            reason: "card_declined".into(),
            retryable: false,
            at: at(4),
        })
        .then([
            SagaEvent::StepFailed {
                step: ForwardStep::AuthorizePayment,
                attempt: 1,
                reason: "card_declined".into(),
                retryable: false,
                at: at(4),
            },
            SagaEvent::CompensationStarted {
                step: SagaStep::AuthorizePayment,
                reason: "card_declined".into(),
                compensations: vec![Compensation::ReleaseSeats],
                at: at(4),
            },
        ]);
    assert_eq!(saga.status(), Some(SagaStatus::Compensating));
    assert_eq!(saga.current_step(), None);
    assert_eq!(
        saga.next_actions(at(4)),
        [compensate(Compensation::ReleaseSeats, 1)]
    );
}

#[test]
fn the_last_compensation_reaches_the_failed_outcome_with_step_and_reason() {
    let history = [
        started(),
        step_started(ForwardStep::ReserveSeats, 1, 1),
        step_succeeded(ForwardStep::ReserveSeats, 1, 2),
        step_started(ForwardStep::AuthorizePayment, 1, 3),
        SagaEvent::StepFailed {
            step: ForwardStep::AuthorizePayment,
            attempt: 1,
            reason: "card_declined".into(),
            retryable: false,
            at: at(4),
        },
        SagaEvent::CompensationStarted {
            step: SagaStep::AuthorizePayment,
            reason: "card_declined".into(),
            compensations: vec![Compensation::ReleaseSeats],
            at: at(4),
        },
    ];
    let outcome = SagaOutcome::Failed {
        step: SagaStep::AuthorizePayment,
        reason: "card_declined".into(),
    };
    let compensated = [
        SagaEvent::CompensationSucceeded {
            compensation: Compensation::ReleaseSeats,
            attempt: 1,
            at: at(5),
        },
        SagaEvent::OutcomeReached {
            outcome: outcome.clone(),
            at: at(5),
        },
    ];
    let saga = given::<BookingSaga>(history.clone())
        .when(RecordCompensationSucceeded {
            compensation: Compensation::ReleaseSeats,
            attempt: 1,
            at: at(5),
        })
        .then(compensated.clone());
    // The outcome is known, but the saga ends only once the booking was told.
    assert_eq!(saga.status(), Some(SagaStatus::Compensating));
    assert_eq!(
        saga.next_actions(at(5)),
        [SagaAction::Finish(outcome.clone())]
    );
    let ended = given::<BookingSaga>(history.into_iter().chain(compensated))
        .when(EndSaga { at: at(6) })
        .then([SagaEvent::SagaEnded {
            outcome: outcome.clone(),
            at: at(6),
        }]);
    assert_eq!(ended.outcome(), Some(&outcome));
    assert_eq!(ended.status(), Some(SagaStatus::Failed));
    assert_eq!(ended.ended_at(), Some(at(6)));
    assert!(ended.next_actions(at(7)).is_empty());
}

#[test]
fn seats_unavailable_rejects_the_booking_with_nothing_to_undo() {
    let saga = given::<BookingSaga>([started(), step_started(ForwardStep::ReserveSeats, 1, 1)])
        .when(RecordStepFailed {
            step: ForwardStep::ReserveSeats,
            attempt: 1,
            reason: SEATS_UNAVAILABLE.into(),
            retryable: false,
            at: at(2),
        })
        .then([
            SagaEvent::StepFailed {
                step: ForwardStep::ReserveSeats,
                attempt: 1,
                reason: SEATS_UNAVAILABLE.into(),
                retryable: false,
                at: at(2),
            },
            SagaEvent::OutcomeReached {
                outcome: SagaOutcome::Rejected {
                    reason: SEATS_UNAVAILABLE.into(),
                },
                at: at(2),
            },
        ]);
    assert!(saga.compensation().is_none());
    let rejected = SagaOutcome::Rejected {
        reason: SEATS_UNAVAILABLE.into(),
    };
    assert_eq!(
        saga.next_actions(at(3)),
        [SagaAction::Finish(rejected.clone())]
    );

    let mut sim = Sim::start(0);
    let actions = sim.drive(|a| match a {
        SagaAction::Run {
            step: ForwardStep::ReserveSeats,
            ..
        } => Some((SEATS_UNAVAILABLE, false)),
        _ => None,
    });
    assert_eq!(
        actions,
        [
            run(ForwardStep::ReserveSeats, 1),
            SagaAction::Finish(rejected.clone())
        ]
    );
    assert_eq!(sim.status(), SagaStatus::Rejected);
    assert_eq!(sim.saga.outcome(), Some(&rejected));
}

#[test]
fn a_retryable_provider_error_is_retried_up_to_the_limit_then_compensated() {
    let mut sim = Sim::start(0);
    sim.run_until(ForwardStep::AuthorizePayment);
    let actions = sim.drive(|a| match a {
        SagaAction::Run {
            step: ForwardStep::AuthorizePayment,
            ..
        } => Some(("processing_error", true)),
        _ => None,
    });
    let t1 = sim
        .saga
        .attempts()
        .iter()
        .find(|a| a.step == ForwardStep::AuthorizePayment && a.attempt == 1)
        .unwrap()
        .ended_at
        .unwrap();
    let t2 = t1 + Duration::seconds(1) + Duration::seconds(1);
    assert_eq!(
        actions,
        [
            run(ForwardStep::AuthorizePayment, 1),
            // Backoff 1 s after the first failure, 2 s after the second.
            SagaAction::WaitUntil(t1 + Duration::seconds(1)),
            run(ForwardStep::AuthorizePayment, 2),
            SagaAction::WaitUntil(t2 + Duration::seconds(2)),
            run(ForwardStep::AuthorizePayment, 3),
            compensate(Compensation::ReleaseSeats, 1),
            SagaAction::Finish(SagaOutcome::Failed {
                step: SagaStep::AuthorizePayment,
                reason: "processing_error".into(),
            }),
        ]
    );
    // The first attempt plus `max_provider_retries` retries.
    let attempts = sim
        .saga
        .attempts()
        .iter()
        .filter(|a| a.step == ForwardStep::AuthorizePayment)
        .count();
    assert_eq!(attempts, 1 + DEFAULT_MAX_PROVIDER_RETRIES as usize);
    assert_eq!(
        run(ForwardStep::AuthorizePayment, 3).command_name(id()),
        format!("{}/authorize_payment/3", id())
    );
}

#[test]
fn a_retryable_failure_schedules_the_next_attempt_after_a_backoff() {
    let history = [
        started(),
        step_started(ForwardStep::ReserveSeats, 1, 1),
        step_succeeded(ForwardStep::ReserveSeats, 1, 2),
        step_started(ForwardStep::AuthorizePayment, 1, 3),
    ];
    let saga = given::<BookingSaga>(history)
        .when(RecordStepFailed {
            step: ForwardStep::AuthorizePayment,
            attempt: 1,
            reason: "processing_error".into(),
            retryable: true,
            at: at(4),
        })
        .then([
            SagaEvent::StepFailed {
                step: ForwardStep::AuthorizePayment,
                attempt: 1,
                reason: "processing_error".into(),
                retryable: true,
                at: at(4),
            },
            SagaEvent::RetryScheduled {
                step: ForwardStep::AuthorizePayment,
                attempt: 2,
                not_before: at(5),
                at: at(4),
            },
        ]);
    assert_eq!(saga.status(), Some(SagaStatus::Running));
    assert_eq!(saga.current_step(), Some(ForwardStep::AuthorizePayment));
    assert_eq!(saga.next_actions(at(4)), [SagaAction::WaitUntil(at(5))]);
    assert_eq!(
        saga.next_actions(at(5)),
        [run(ForwardStep::AuthorizePayment, 2)]
    );
}

#[test]
fn a_retryable_error_then_a_success_carries_on_to_confirmation() {
    let mut sim = Sim::start(0);
    let mut failed_once = false;
    let actions = sim.drive(|a| match a {
        SagaAction::Run {
            step: ForwardStep::AuthorizePayment,
            ..
        } if !failed_once => {
            failed_once = true;
            Some(("processing_error", true))
        }
        _ => None,
    });
    assert_eq!(
        forward_only(&actions),
        [
            run(ForwardStep::ReserveSeats, 1),
            run(ForwardStep::AuthorizePayment, 1),
            run(ForwardStep::AuthorizePayment, 2),
            run(ForwardStep::AwardMiles, 1),
            run(ForwardStep::CommitSeats, 1),
            run(ForwardStep::CapturePayment, 1),
            run(ForwardStep::ConfirmBooking, 1),
            SagaAction::Finish(SagaOutcome::Confirmed),
        ]
    );
    assert_eq!(sim.status(), SagaStatus::Confirmed);
}

#[test]
fn a_failure_not_marked_retryable_is_never_retried() {
    let mut sim = Sim::start(0);
    sim.run_until(ForwardStep::AuthorizePayment);
    let actions = sim.drive(|a| match a {
        SagaAction::Run {
            step: ForwardStep::AuthorizePayment,
            ..
        } => Some(("insufficient_funds", false)),
        _ => None,
    });
    assert_eq!(
        actions,
        [
            run(ForwardStep::AuthorizePayment, 1),
            compensate(Compensation::ReleaseSeats, 1),
            SagaAction::Finish(SagaOutcome::Failed {
                step: SagaStep::AuthorizePayment,
                reason: "insufficient_funds".into(),
            }),
        ]
    );
}

#[test]
fn a_step_that_passes_its_deadline_times_out_and_is_compensated() {
    let mut sim = Sim::start(0);
    sim.run_until(ForwardStep::AuthorizePayment);
    let started_at = sim.now;
    sim.exec(RecordStepStarted {
        step: ForwardStep::AuthorizePayment,
        attempt: 1,
        at: started_at,
    });
    let deadline = started_at + Duration::seconds(30);
    assert_eq!(sim.next(), Some(SagaAction::WaitUntil(deadline)));
    sim.now = deadline;
    assert_eq!(
        sim.next(),
        Some(SagaAction::TimeOut {
            step: ForwardStep::AuthorizePayment,
            attempt: 1
        })
    );
    let events = sim.exec(RecordTimeout { at: deadline });
    assert_eq!(
        events,
        [
            SagaEvent::StepTimedOut {
                step: ForwardStep::AuthorizePayment,
                attempt: 1,
                deadline,
                at: deadline,
            },
            SagaEvent::CompensationStarted {
                step: SagaStep::AuthorizePayment,
                reason: TIMEOUT_REASON.into(),
                compensations: vec![Compensation::ReleaseSeats],
                at: deadline,
            },
        ]
    );
    let rest = sim.drive_ok();
    assert_eq!(
        rest,
        [
            compensate(Compensation::ReleaseSeats, 1),
            SagaAction::Finish(SagaOutcome::Failed {
                step: SagaStep::AuthorizePayment,
                reason: TIMEOUT_REASON.into(),
            }),
        ]
    );
    assert_eq!(sim.status(), SagaStatus::Failed);
}

#[test]
fn a_timeout_before_the_deadline_is_refused() {
    given::<BookingSaga>([started(), step_started(ForwardStep::ReserveSeats, 1, 1)])
        .when(RecordTimeout { at: at(30) })
        .then_err(SagaError::DeadlineNotReached { deadline: at(31) });
}

#[test]
fn a_late_timer_after_the_step_answered_is_a_no_op() {
    given::<BookingSaga>([
        started(),
        step_started(ForwardStep::ReserveSeats, 1, 1),
        step_succeeded(ForwardStep::ReserveSeats, 1, 2),
    ])
    .when(RecordTimeout { at: at(31) })
    .then_nothing();
}

#[test]
fn an_answer_after_the_step_timed_out_is_refused() {
    let history = [
        started(),
        step_started(ForwardStep::ReserveSeats, 1, 1),
        SagaEvent::StepTimedOut {
            step: ForwardStep::ReserveSeats,
            attempt: 1,
            deadline: at(31),
            at: at(31),
        },
        SagaEvent::CompensationStarted {
            step: SagaStep::ReserveSeats,
            reason: TIMEOUT_REASON.into(),
            compensations: vec![],
            at: at(31),
        },
        SagaEvent::OutcomeReached {
            outcome: SagaOutcome::Failed {
                step: SagaStep::ReserveSeats,
                reason: TIMEOUT_REASON.into(),
            },
            at: at(31),
        },
    ];
    given::<BookingSaga>(history)
        .when(RecordStepSucceeded {
            step: ForwardStep::ReserveSeats,
            attempt: 1,
            at: at(40),
        })
        .then_err(SagaError::StepNotInFlight {
            step: ForwardStep::ReserveSeats,
            attempt: 1,
        });
}

#[test]
fn a_failing_compensation_backs_off_longer_each_time_and_is_parked_after_the_limit() {
    let mut sim = Sim::start(0);
    sim.run_until(ForwardStep::AwardMiles);
    let award = sim.next().unwrap();
    sim.perform(&award, Some(("loyalty_unavailable", false)));
    assert_eq!(sim.next(), Some(compensate(Compensation::VoidPayment, 1)));

    let mut waits = Vec::new();
    for attempt in 1..=MAX_COMPENSATION_ATTEMPTS {
        let action = sim.next().unwrap();
        assert_eq!(action, compensate(Compensation::VoidPayment, attempt));
        let failed_at = sim.now;
        let events = sim.exec(RecordCompensationFailed {
            compensation: Compensation::VoidPayment,
            attempt,
            reason: "provider_down".into(),
            at: failed_at,
        });
        if attempt < MAX_COMPENSATION_ATTEMPTS {
            assert_eq!(events.len(), 1, "{events:?}");
            let Some(SagaAction::WaitUntil(until)) = sim.next() else {
                panic!("a failed compensation waits before its retry");
            };
            // Not a moment before.
            sim.now = until - Duration::milliseconds(1);
            assert_eq!(sim.next(), Some(SagaAction::WaitUntil(until)));
            sim.now = until;
            waits.push((until - failed_at).num_seconds());
        } else {
            assert_eq!(
                events,
                [
                    SagaEvent::CompensationFailed {
                        compensation: Compensation::VoidPayment,
                        attempt,
                        reason: "provider_down".into(),
                        at: failed_at,
                    },
                    SagaEvent::CompensationParked {
                        compensation: Compensation::VoidPayment,
                        reason: "provider_down".into(),
                        at: failed_at,
                    },
                ]
            );
        }
    }
    assert_eq!(waits, [1, 2, 4, 8]);

    // Parked, not dropped, and it does not hold up the seats.
    assert_eq!(sim.status(), SagaStatus::Parked);
    assert_eq!(sim.next(), Some(compensate(Compensation::ReleaseSeats, 1)));
    let release = sim.next().unwrap();
    let events = {
        sim.perform(&release, None);
        sim.log.last().cloned().unwrap()
    };
    assert!(
        matches!(events, SagaEvent::CompensationSucceeded { .. }),
        "no outcome while something is parked: {events:?}"
    );
    assert_eq!(sim.status(), SagaStatus::Parked);
    assert!(!sim.saga.is_terminal());
    assert!(
        sim.saga
            .next_actions(sim.now + Duration::days(7))
            .is_empty()
    );
    let parked = sim.saga.parked();
    assert_eq!(parked.len(), 1);
    assert_eq!(
        parked[0].action,
        UndoAction::Compensation(Compensation::VoidPayment)
    );
    assert_eq!(parked[0].attempts, MAX_COMPENSATION_ATTEMPTS);
    assert_eq!(parked[0].reason, "provider_down");
    assert!(
        sim.saga
            .timeline()
            .iter()
            .any(|e| e.kind == TimelineKind::Parked && e.name == "void_payment")
    );
}

#[test]
fn retrying_parked_compensations_gives_them_a_fresh_round_and_then_ends_the_saga() {
    let mut sim = Sim::start(0);
    sim.run_until(ForwardStep::AwardMiles);
    let award = sim.next().unwrap();
    sim.perform(&award, Some(("loyalty_unavailable", false)));
    // VoidPayment keeps failing until parked; ReleaseSeats succeeds.
    sim.drive(|a| match a {
        SagaAction::Compensate {
            compensation: Compensation::VoidPayment,
            ..
        } => Some(("provider_down", false)),
        _ => None,
    });
    assert_eq!(sim.status(), SagaStatus::Parked);

    sim.tick(3600);
    let events = sim.exec(RetryParked { at: sim.now });
    assert_eq!(events, [SagaEvent::ParkedRetried { at: sim.now }]);
    assert_eq!(sim.status(), SagaStatus::Compensating);
    assert!(sim.saga.parked().is_empty());
    // At once (a fresh round), and under a new command id.
    let retry = compensate(Compensation::VoidPayment, MAX_COMPENSATION_ATTEMPTS + 1);
    assert_eq!(sim.next(), Some(retry.clone()));
    assert_eq!(
        retry.command_name(id()),
        format!("{}/compensate/void_payment/6", id())
    );

    let rest = sim.drive_ok();
    let failed = SagaOutcome::Failed {
        step: SagaStep::AwardMiles,
        reason: "loyalty_unavailable".into(),
    };
    assert_eq!(rest, [retry, SagaAction::Finish(failed.clone())]);
    assert_eq!(sim.saga.outcome(), Some(&failed));
}

#[test]
fn a_fresh_round_after_retry_parked_can_park_again() {
    let mut sim = Sim::start(0);
    sim.run_until(ForwardStep::AuthorizePayment);
    let pay = sim.next().unwrap();
    sim.perform(&pay, Some(("card_declined", false)));
    let always_fail = |a: &SagaAction| match a {
        SagaAction::Compensate { .. } => Some(("inventory_down", false)),
        _ => None,
    };
    sim.drive(always_fail);
    sim.exec(RetryParked { at: sim.now });
    sim.drive(always_fail);
    assert_eq!(sim.status(), SagaStatus::Parked);
    assert_eq!(sim.saga.parked()[0].attempts, 2 * MAX_COMPENSATION_ATTEMPTS);
}

#[test]
fn retry_parked_with_nothing_parked_is_refused() {
    given::<BookingSaga>([started()])
        .when(RetryParked { at: at(1) })
        .then_err(SagaError::NothingParked);
}

#[test]
fn a_redelivered_compensation_outcome_takes_effect_once() {
    let history = [
        started(),
        step_started(ForwardStep::ReserveSeats, 1, 1),
        step_succeeded(ForwardStep::ReserveSeats, 1, 2),
        step_started(ForwardStep::AuthorizePayment, 1, 3),
        SagaEvent::StepFailed {
            step: ForwardStep::AuthorizePayment,
            attempt: 1,
            reason: "card_declined".into(),
            retryable: false,
            at: at(4),
        },
        SagaEvent::CompensationStarted {
            step: SagaStep::AuthorizePayment,
            reason: "card_declined".into(),
            compensations: vec![Compensation::ReleaseSeats],
            at: at(4),
        },
        SagaEvent::CompensationFailed {
            compensation: Compensation::ReleaseSeats,
            attempt: 1,
            reason: "store_unavailable".into(),
            at: at(5),
        },
    ];
    // The first attempt's failure again: not a second failure.
    given::<BookingSaga>(history.clone())
        .when(RecordCompensationFailed {
            compensation: Compensation::ReleaseSeats,
            attempt: 1,
            reason: "store_unavailable".into(),
            at: at(6),
        })
        .then_nothing();
    // An attempt that was never sent.
    given::<BookingSaga>(history.clone())
        .when(RecordCompensationFailed {
            compensation: Compensation::ReleaseSeats,
            attempt: 3,
            reason: "store_unavailable".into(),
            at: at(6),
        })
        .then_err(SagaError::UnexpectedAttempt {
            expected: 2,
            got: 3,
        });
    // A compensation that is not in the plan: a payment that was declined is never voided.
    given::<BookingSaga>(history.clone())
        .when(RecordCompensationSucceeded {
            compensation: Compensation::VoidPayment,
            attempt: 1,
            at: at(6),
        })
        .then_err(SagaError::NotPlanned {
            name: "void_payment",
        });
    let mut done = history.to_vec();
    done.push(SagaEvent::CompensationSucceeded {
        compensation: Compensation::ReleaseSeats,
        attempt: 2,
        at: at(7),
    });
    given::<BookingSaga>(done)
        .when(RecordCompensationSucceeded {
            compensation: Compensation::ReleaseSeats,
            attempt: 2,
            at: at(8),
        })
        .then_nothing();
}

#[test]
fn compensation_outcomes_are_refused_while_the_saga_runs() {
    given::<BookingSaga>([started()])
        .when(RecordCompensationSucceeded {
            compensation: Compensation::ReleaseSeats,
            attempt: 1,
            at: at(1),
        })
        .then_err(SagaError::NotCompensating {
            status: SagaStatus::Running,
        });
}

#[test]
fn ending_before_the_outcome_is_known_is_refused_and_ending_twice_is_a_no_op() {
    given::<BookingSaga>([started()])
        .when(EndSaga { at: at(1) })
        .then_err(SagaError::NotFinished {
            status: SagaStatus::Running,
        });
    let mut sim = Sim::start(0);
    sim.drive_ok();
    assert!(sim.try_exec(EndSaga { at: sim.now }).unwrap().is_empty());
}

// ---- Cancellation ----

fn confirmed_sim(miles: u64) -> Sim {
    let mut sim = Sim::start(miles);
    sim.drive_ok();
    assert_eq!(sim.status(), SagaStatus::Confirmed);
    sim
}

fn start_cancellation(refund: i64, when: DateTime<Utc>) -> StartCancellation {
    StartCancellation {
        refund: Money::usd(refund),
        requested_by: customer(),
        at: when,
    }
}

#[test]
fn cancelling_a_confirmed_booking_releases_the_seats_refunds_and_revokes_the_miles() {
    let mut sim = confirmed_sim(0);
    let events = sim.exec(start_cancellation(42_998, sim.now));
    assert_eq!(
        events,
        [SagaEvent::CancellationStarted {
            refund: Money::usd(42_998),
            requested_by: customer(),
            steps: vec![
                CancellationStep::ReleaseSeats,
                CancellationStep::RefundPayment,
                CancellationStep::RevokeMiles,
            ],
            at: sim.now,
        }]
    );
    assert_eq!(sim.status(), SagaStatus::Cancelling);
    assert!(!sim.saga.is_terminal());
    let actions = sim.drive_ok();
    let cancelled = SagaOutcome::Cancelled {
        refunded: Money::usd(42_998),
    };
    assert_eq!(
        actions,
        [
            cancel(CancellationStep::ReleaseSeats, 1),
            cancel(CancellationStep::RefundPayment, 1),
            cancel(CancellationStep::RevokeMiles, 1),
            SagaAction::Finish(cancelled.clone()),
        ]
    );
    assert_eq!(sim.status(), SagaStatus::Cancelled);
    assert_eq!(sim.saga.outcome(), Some(&cancelled));
    assert_eq!(sim.saga.cancellation().unwrap().refund, Money::usd(42_998));
}

#[test]
fn a_zero_refund_skips_the_refund_step() {
    let mut sim = confirmed_sim(0);
    sim.exec(start_cancellation(0, sim.now));
    let actions = sim.drive_ok();
    assert_eq!(
        actions,
        [
            cancel(CancellationStep::ReleaseSeats, 1),
            cancel(CancellationStep::RevokeMiles, 1),
            SagaAction::Finish(SagaOutcome::Cancelled {
                refunded: Money::usd(0)
            }),
        ]
    );
    assert_eq!(sim.status(), SagaStatus::Cancelled);
}

#[test]
fn cancelling_a_booking_paid_partly_with_miles_restores_them() {
    let mut sim = confirmed_sim(10_000);
    // Late cancellation: half the fare kept back, taxes refunded.
    sim.exec(start_cancellation(13_000, sim.now));
    let actions = sim.drive_ok();
    assert_eq!(
        actions,
        [
            cancel(CancellationStep::ReleaseSeats, 1),
            cancel(CancellationStep::RefundPayment, 1),
            cancel(CancellationStep::RevokeMiles, 1),
            cancel(CancellationStep::RestoreMiles, 1),
            SagaAction::Finish(SagaOutcome::Cancelled {
                refunded: Money::usd(13_000)
            }),
        ]
    );

    let mut sim = confirmed_sim(10_000);
    sim.exec(start_cancellation(0, sim.now));
    assert_eq!(
        forward_only(&sim.drive_ok()),
        [
            cancel(CancellationStep::ReleaseSeats, 1),
            cancel(CancellationStep::RevokeMiles, 1),
            cancel(CancellationStep::RestoreMiles, 1),
            SagaAction::Finish(SagaOutcome::Cancelled {
                refunded: Money::usd(0)
            }),
        ]
    );
}

#[test]
fn a_second_cancellation_is_a_no_op() {
    let mut sim = confirmed_sim(0);
    sim.exec(start_cancellation(42_998, sim.now));
    // While cancelling …
    assert!(
        sim.try_exec(start_cancellation(21_000, sim.now))
            .unwrap()
            .is_empty()
    );
    sim.drive_ok();
    // … and once cancelled.
    assert!(
        sim.try_exec(StartCancellation {
            requested_by: staff(),
            ..start_cancellation(42_998, sim.now)
        })
        .unwrap()
        .is_empty()
    );
    assert_eq!(sim.status(), SagaStatus::Cancelled);
}

#[test]
fn only_a_confirmed_saga_can_be_cancelled() {
    given::<BookingSaga>([started()])
        .when(start_cancellation(0, at(1)))
        .then_err(SagaError::NotConfirmed {
            status: SagaStatus::Running,
        });
    let mut sim = Sim::start(0);
    sim.drive(|a| match a {
        SagaAction::Run {
            step: ForwardStep::ReserveSeats,
            ..
        } => Some((SEATS_UNAVAILABLE, false)),
        _ => None,
    });
    assert_eq!(
        sim.try_exec(start_cancellation(0, sim.now)),
        Err(SagaError::NotConfirmed {
            status: SagaStatus::Rejected
        })
    );
}

#[test]
fn a_refund_above_what_the_card_paid_is_refused() {
    let mut sim = confirmed_sim(0);
    assert_eq!(
        sim.try_exec(start_cancellation(42_999, sim.now)),
        Err(SagaError::RefundExceedsPaid {
            paid: Money::usd(42_998)
        })
    );
    assert_eq!(
        sim.try_exec(start_cancellation(-1, sim.now)),
        Err(SagaError::InvalidAmount { field: "refund" })
    );
    assert_eq!(
        sim.try_exec(StartCancellation {
            refund: Money::new(1, Currency::parse("EUR").unwrap()),
            ..start_cancellation(0, sim.now)
        }),
        Err(SagaError::CurrencyMismatch { field: "refund" })
    );
}

#[test]
fn a_failing_cancellation_step_is_retried_and_parked_like_a_compensation() {
    let mut sim = confirmed_sim(0);
    sim.exec(start_cancellation(42_998, sim.now));
    let actions = sim.drive(|a| match a {
        SagaAction::Cancel {
            step: CancellationStep::RefundPayment,
            ..
        } => Some(("provider_down", false)),
        _ => None,
    });
    let refunds = actions
        .iter()
        .filter(|a| {
            matches!(
                a,
                SagaAction::Cancel {
                    step: CancellationStep::RefundPayment,
                    ..
                }
            )
        })
        .count();
    assert_eq!(refunds, MAX_COMPENSATION_ATTEMPTS as usize);
    assert_eq!(sim.status(), SagaStatus::Parked);
    assert_eq!(
        sim.saga.parked()[0].action,
        UndoAction::Cancellation(CancellationStep::RefundPayment)
    );
    // The miles were still revoked; only the refund waits for staff.
    assert_eq!(
        actions.last(),
        Some(&cancel(CancellationStep::RevokeMiles, 1))
    );
    sim.exec(RetryParked { at: sim.now });
    let rest = sim.drive_ok();
    assert_eq!(
        rest,
        [
            cancel(CancellationStep::RefundPayment, 6),
            SagaAction::Finish(SagaOutcome::Cancelled {
                refunded: Money::usd(42_998)
            }),
        ]
    );
    assert_eq!(sim.status(), SagaStatus::Cancelled);
}

// ---- Naming, timing, recovery, admin view ----

#[test]
fn command_names_are_stable_and_carry_the_attempt() {
    let saga = id();
    let cases = [
        (
            run(ForwardStep::ReserveSeats, 1),
            format!("{saga}/reserve_seats/1"),
        ),
        (
            run(ForwardStep::AuthorizePayment, 2),
            format!("{saga}/authorize_payment/2"),
        ),
        (
            SagaAction::TimeOut {
                step: ForwardStep::CapturePayment,
                attempt: 1,
            },
            format!("{saga}/timeout/capture_payment/1"),
        ),
        (
            compensate(Compensation::VoidPayment, 1),
            format!("{saga}/compensate/void_payment/1"),
        ),
        (
            cancel(CancellationStep::RefundPayment, 3),
            format!("{saga}/cancel/refund_payment/3"),
        ),
        (
            SagaAction::Finish(SagaOutcome::Failed {
                step: SagaStep::AwardMiles,
                reason: "x".into(),
            }),
            format!("{saga}/finish/failed"),
        ),
        (
            SagaAction::Finish(SagaOutcome::Cancelled {
                refunded: Money::usd(1),
            }),
            format!("{saga}/finish/cancelled"),
        ),
    ];
    for (action, name) in cases {
        assert_eq!(action.command_name(saga), name);
    }
    // A compensation and a cancellation step of the same name are different commands.
    assert_ne!(
        compensate(Compensation::ReleaseSeats, 1).command_name(saga),
        cancel(CancellationStep::ReleaseSeats, 1).command_name(saga)
    );
}

#[test]
fn backoff_doubles_from_one_second_and_is_capped_at_a_minute() {
    let secs: Vec<i64> = (1..=9).map(|n| backoff(n).num_seconds()).collect();
    assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
}

#[test]
fn a_restarted_process_manager_resumes_every_saga_from_its_stream() {
    // Stop at every point of a run with failures, rebuild from the events alone, and check that
    // the rebuilt saga asks for exactly what the live one does.
    let mut sim = Sim::start(500);
    let mut checkpoints = Vec::new();
    let mut fails = 0;
    while let Some(action) = sim.next() {
        checkpoints.push((sim.log.clone(), sim.now, action.clone()));
        let failure = match &action {
            SagaAction::Run {
                step: ForwardStep::AuthorizePayment,
                ..
            } if fails == 0 => {
                fails += 1;
                Some(("processing_error", true))
            }
            SagaAction::Run {
                step: ForwardStep::CapturePayment,
                ..
            } => Some(("capture_failed", false)),
            SagaAction::Compensate {
                compensation: Compensation::RevokeMiles,
                attempt: 1,
            } => Some(("loyalty_down", false)),
            _ => None,
        };
        sim.perform(&action, failure);
    }
    assert_eq!(sim.status(), SagaStatus::Failed);
    assert!(checkpoints.len() > 10);
    for (log, now, expected) in checkpoints {
        let rebuilt = fold::<BookingSaga>(&log);
        assert_eq!(rebuilt.next_actions(now), [expected]);
    }
}

#[test]
fn the_timeline_tells_each_step_with_its_outcome_and_time() {
    let mut sim = Sim::start(0);
    sim.drive(|a| match a {
        SagaAction::Run {
            step: ForwardStep::AwardMiles,
            ..
        } => Some(("loyalty_down", false)),
        _ => None,
    });
    let kinds: Vec<(TimelineKind, &str)> = sim
        .saga
        .timeline()
        .iter()
        .map(|e| (e.kind, e.name.as_str()))
        .collect();
    use TimelineKind as K;
    assert_eq!(
        kinds,
        [
            (K::SagaStarted, "saga"),
            (K::StepStarted, "reserve_seats"),
            (K::StepSucceeded, "reserve_seats"),
            (K::StepStarted, "authorize_payment"),
            (K::StepSucceeded, "authorize_payment"),
            (K::StepStarted, "award_miles"),
            (K::StepFailed, "award_miles"),
            (K::CompensationStarted, "award_miles"),
            (K::Compensated, "void_payment"),
            (K::Compensated, "release_seats"),
            (K::OutcomeReached, "failed"),
            (K::Ended, "failed"),
        ]
    );
    let failed = &sim.saga.timeline()[6];
    assert_eq!(failed.detail.as_deref(), Some("loyalty_down"));
    assert_eq!(failed.attempt, Some(1));
    assert!(
        sim.saga.timeline().windows(2).all(|w| w[0].at <= w[1].at),
        "in time order"
    );
    let attempts = sim.saga.attempts();
    assert_eq!(attempts.len(), 3);
    assert_eq!(
        attempts[2].outcome,
        Some(StepOutcome::Failed {
            reason: "loyalty_down".into(),
            retryable: false
        })
    );
    assert!(attempts.iter().all(|a| a.ended_at.is_some()));
    let json = serde_json::to_value(&sim.saga.timeline()[6]).unwrap();
    assert_eq!(json["kind"], "step_failed");
}

/// Regression (issue 12, item 4): the booking view's timeline named `saga`, `commit_seats`,
/// `capture_payment` and outcomes as steps; grouped by saga step, only the five steps remain, and
/// sub-actions and compensations sit in the step they belong to.
#[test]
fn the_timeline_groups_sub_actions_and_compensations_under_the_five_saga_steps() {
    let names = |sim: &Sim| -> Vec<(SagaStep, Vec<String>)> {
        by_saga_step(sim.saga.timeline())
            .into_iter()
            .map(|(step, entries)| (step, entries.iter().map(|e| e.name.clone()).collect()))
            .collect()
    };
    let mut confirmed = Sim::start(500);
    confirmed.drive_ok();
    let grouped = names(&confirmed);
    assert_eq!(
        grouped.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        SagaStep::ALL
    );
    let confirm = &grouped[4].1;
    assert!(confirm.contains(&"commit_seats".to_owned()), "{confirm:?}");
    assert!(
        confirm.contains(&"capture_payment".to_owned()),
        "{confirm:?}"
    );

    let mut failed = Sim::start(0);
    failed.drive(|a| match a {
        SagaAction::Run {
            step: ForwardStep::AwardMiles,
            ..
        } => Some(("loyalty_down", false)),
        _ => None,
    });
    let grouped = names(&failed);
    assert_eq!(
        grouped.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [
            SagaStep::ReserveSeats,
            SagaStep::AuthorizePayment,
            SagaStep::AwardMiles
        ]
    );
    assert_eq!(
        grouped[0].1.last().map(String::as_str),
        Some("release_seats")
    );
    assert_eq!(
        grouped[1].1.last().map(String::as_str),
        Some("void_payment")
    );
}

#[test]
fn statuses_and_outcomes_have_stable_names() {
    let all = [
        (SagaStatus::Running, false),
        (SagaStatus::Compensating, false),
        (SagaStatus::Parked, false),
        (SagaStatus::Cancelling, false),
        (SagaStatus::Confirmed, true),
        (SagaStatus::Rejected, true),
        (SagaStatus::Failed, true),
        (SagaStatus::Cancelled, true),
    ];
    for (status, terminal) in all {
        assert_eq!(status.is_terminal(), terminal);
        assert_eq!(
            serde_json::to_value(status).unwrap(),
            serde_json::Value::String(status.as_str().into())
        );
    }
    for step in ForwardStep::ALL {
        assert_eq!(ForwardStep::parse(step.as_str()), Some(step));
    }
    for c in Compensation::ALL {
        assert_eq!(Compensation::parse(c.as_str()), Some(c));
    }
    for c in CancellationStep::ALL {
        assert_eq!(CancellationStep::parse(c.as_str()), Some(c));
    }
    let json = serde_json::to_value(SagaOutcome::Failed {
        step: SagaStep::AwardMiles,
        reason: "x".into(),
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"kind": "failed", "step": "award_miles", "reason": "x"})
    );
}

#[test]
fn error_codes_name_the_field_when_there_is_one() {
    assert_eq!(
        SagaError::InvalidPaymentToken.code(),
        "invalid_payment_token"
    );
    assert_eq!(
        SagaError::InvalidPaymentToken.field(),
        Some("payment_token")
    );
    assert_eq!(
        SagaError::DeadlineNotReached { deadline: at(0) }.code(),
        "deadline_not_reached"
    );
    assert_eq!(SagaError::NothingParked.field(), None);
}

#[test]
fn saga_events_round_trip_through_the_store() {
    let events = [
        started_with(10_000),
        step_started(ForwardStep::ReserveSeats, 1, 1),
        step_succeeded(ForwardStep::CommitSeats, 1, 2),
        SagaEvent::StepFailed {
            step: ForwardStep::AuthorizePayment,
            attempt: 2,
            reason: "processing_error".into(),
            retryable: true,
            at: at(3),
        },
        SagaEvent::StepTimedOut {
            step: ForwardStep::CapturePayment,
            attempt: 1,
            deadline: at(4),
            at: at(5),
        },
        SagaEvent::RetryScheduled {
            step: ForwardStep::AuthorizePayment,
            attempt: 3,
            not_before: at(7),
            at: at(5),
        },
        SagaEvent::CompensationStarted {
            step: SagaStep::ConfirmBooking,
            reason: TIMEOUT_REASON.into(),
            compensations: vec![Compensation::RefundPayment, Compensation::ReleaseSeats],
            at: at(6),
        },
        SagaEvent::CompensationSucceeded {
            compensation: Compensation::RestoreMiles,
            attempt: 1,
            at: at(7),
        },
        SagaEvent::CompensationFailed {
            compensation: Compensation::VoidPayment,
            attempt: 4,
            reason: "provider_down".into(),
            at: at(8),
        },
        SagaEvent::CompensationParked {
            compensation: Compensation::RevokeMiles,
            reason: "loyalty_down".into(),
            at: at(9),
        },
        SagaEvent::ParkedRetried { at: at(10) },
        SagaEvent::CancellationStarted {
            refund: Money::usd(13_000),
            requested_by: staff(),
            steps: CancellationStep::ALL.to_vec(),
            at: at(11),
        },
        SagaEvent::CancellationStepSucceeded {
            step: CancellationStep::ReleaseSeats,
            attempt: 1,
            at: at(12),
        },
        SagaEvent::CancellationStepFailed {
            step: CancellationStep::RefundPayment,
            attempt: 2,
            reason: "provider_down".into(),
            at: at(13),
        },
        SagaEvent::CancellationStepParked {
            step: CancellationStep::RestoreMiles,
            reason: "loyalty_down".into(),
            at: at(14),
        },
        SagaEvent::OutcomeReached {
            outcome: SagaOutcome::Rejected {
                reason: SEATS_UNAVAILABLE.into(),
            },
            at: at(15),
        },
        SagaEvent::SagaEnded {
            outcome: SagaOutcome::Confirmed,
            at: at(16),
        },
        SagaEvent::SagaEnded {
            outcome: SagaOutcome::Failed {
                step: SagaStep::AwardMiles,
                reason: "x".into(),
            },
            at: at(16),
        },
        SagaEvent::SagaEnded {
            outcome: SagaOutcome::Cancelled {
                refunded: Money::usd(1),
            },
            at: at(17),
        },
    ];
    for event in &events {
        assert_round_trips(event);
    }
    let json = serde_json::to_value(&events[6]).unwrap();
    assert_eq!(json["event_type"], "CompensationStarted");
    assert_eq!(json["payload"]["step"], "confirm_booking");
    assert_eq!(
        json["payload"]["compensations"],
        serde_json::json!(["refund_payment", "release_seats"])
    );
    // Every variant is covered above.
    let mut types: Vec<&str> = events.iter().map(|e| e.event_type()).collect();
    types.dedup();
    assert_eq!(types.len(), 17);
}
